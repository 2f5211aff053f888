"""Scoring runners with a clinic risk model: design, risk, interval, contributions, checks."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

from lbprun._checks import ArgumentError
from lbprun.clinic import DEMO_LABEL, RiskModel, RiskScore, build_demo_model, load_demo_model
from lbprun.clinic.demo import DEMO_PREDICTORS
from lbprun.clinic.model_file import model_to_dict
from lbprun.datasets import load_example_survey
from lbprun.exceptions import DataValidationError, ExtrapolationWarning
from lbprun.models._design_matrix import build_spec

RUNNER = {
    "runner_id": "R1",
    "age": 45,
    "sex": "M",
    "prior_lbp": True,
    "strength_training": False,
    "weekly_km": 40.0,
}


@pytest.fixture(scope="module")
def survey():
    return load_example_survey()


@pytest.fixture(scope="module")
def spec(survey):
    return build_spec(
        survey, list(DEMO_PREDICTORS), reference_levels={"sex": "F"}, splines={"weekly_km": 3}
    )


@pytest.fixture(scope="module")
def model():
    return load_demo_model()


@pytest.fixture(scope="module")
def mixed():
    """A model with integer-coded categories, a 4-knot spline and a non-dictionary column."""
    rng = np.random.default_rng(7)
    n = 400
    data = pd.DataFrame(
        {
            "club": rng.choice([3, 1, 2], size=n),
            "age": rng.uniform(18, 70, n).round(1),
            "cadence": rng.normal(170, 8, n),
            "competitive": rng.uniform(size=n) < 0.4,
        }
    )
    lp = -1 + 0.03 * (data["age"] - 40) + 0.5 * data["competitive"] - 0.2 * (data["club"] == 2)
    data["y"] = (rng.uniform(size=n) < special.expit(lp)).astype(int)
    spec = build_spec(
        data,
        ["club", "age", "cadence", "competitive"],
        reference_levels={"club": 2},
        splines={"age": 4},
    )
    fit = sm.Logit(data["y"].to_numpy(float), spec.transform(data)).fit(disp=0)
    model = RiskModel.from_design(
        spec, fit.params, fit.cov_params(), data, outcome="y", bands={"low": 0, "high": 0.4}
    )
    return model, spec, data


def test_design_matrix_equals_spec_transform_to_0_ulp(model, spec, survey):
    assert np.array_equal(model.design_matrix(survey), spec.transform(survey))


def test_design_matrix_of_mixed_kinds_equals_spec_transform(mixed):
    model, spec, data = mixed
    assert [f.kind for f in model.features] == ["categorical", "spline", "numeric", "boolean"]
    assert model.design_names == spec.names
    assert np.array_equal(model.design_matrix(data), spec.transform(data))


def test_feature_schema(model, survey):
    age = model.feature("age")
    assert (age.unit, age.description) == ("years", "Age at the survey.")
    assert (age.min, age.max, age.reference) == (18.0, 80.0, 42.0)
    assert age.p01 == float(np.quantile(survey["age"], 0.01))
    assert age.p99 == float(np.quantile(survey["age"], 0.99))
    sex = model.feature("sex")
    assert (sex.kind, sex.levels, sex.reference) == ("categorical", ("F", "M"), "F")
    km = model.feature("weekly_km")
    assert km.kind == "spline" and len(km.knots) == 3 and km.unit == "km/week"
    dev = model.development
    assert (dev.n, dev.events) == (2500, int(survey["lbp_12m"].sum()))
    assert dev.outcome_definition == "LBP in the past 12 months (period prevalence)."
    assert len(dev.linear_predictor) == 1000 and len(dev.data_sha256) == 64


def test_probability_and_delta_method_interval_by_hand(model, survey):
    level = 0.9
    out = model.score(survey.head(50), level=level).to_frame()
    x = model.design_matrix(survey.head(50))
    eta = x @ model.coef
    se = np.sqrt(np.array([row @ model.cov @ row for row in x]))
    z = 1.6448536269514722
    assert np.allclose(out["probability"], special.expit(eta), rtol=1e-14, atol=0)
    assert np.allclose(out["ci_low"], special.expit(eta - z * se), rtol=1e-12, atol=0)
    assert np.allclose(out["ci_high"], special.expit(eta + z * se), rtol=1e-12, atol=0)
    assert out["runner_id"].tolist() == survey["runner_id"].head(50).tolist()


def test_one_runner_value_and_band(model):
    result = model.score(RUNNER)
    row = result.to_frame().iloc[0]
    assert isinstance(result, RiskScore)
    assert row["probability"] == pytest.approx(0.6306901, abs=1e-6)
    assert row["band"] == "moderate" and not row["extrapolated"]
    assert row["ci_low"] < row["probability"] < row["ci_high"]


def test_dict_series_and_frame_give_the_same_score(model):
    a = model.score(RUNNER).to_frame()
    b = model.score(pd.Series(RUNNER)).to_frame()
    c = model.score(pd.DataFrame([RUNNER])).to_frame()
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c)


def test_vectorised_scores_equal_one_at_a_time(model, survey):
    some = survey.head(20)
    many = model.score(some).to_frame()
    for i in range(len(some)):
        one = model.score(some.iloc[i]).to_frame()
        assert one["probability"].iloc[0] == many["probability"].iloc[i]


def test_contributions_add_up_to_the_linear_predictor(model, survey):
    some = survey.head(30)
    result = model.score(some)
    table = result.to_frame()
    parts = table[[f"contribution_{p}" for p in model.predictors]].sum(axis=1)
    eta = special.logit(table["probability"])
    eta_ref = model.reference_design() @ model.coef
    assert np.allclose(parts, eta - eta_ref, atol=1e-12)
    long = result.contributions
    assert list(long.columns) == [
        "runner_id", "predictor", "value", "reference", "log_odds", "odds_ratio"
    ]  # fmt: skip
    assert len(long) == 30 * len(model.predictors)
    assert np.allclose(long["odds_ratio"], np.exp(long["log_odds"]))
    first = long[long["runner_id"] == some["runner_id"].iloc[0]]
    assert np.allclose(first["log_odds"], table.filter(like="contribution_").iloc[0])


def test_reference_runner_has_no_contribution(model):
    ref = {"age": 42.0, "sex": "F", "prior_lbp": False, "strength_training": False,
           "weekly_km": model.feature("weekly_km").reference}  # fmt: skip
    table = model.score(ref).to_frame()
    assert (table.filter(like="contribution_").to_numpy() == 0).all()
    assert table["row"].tolist() == [0]
    assert table["probability"].iloc[0] == special.expit(model.reference_design() @ model.coef)


def test_summary_shows_the_demo_label_and_serialises(model):
    result = model.score(RUNNER)
    text = result.summary()
    assert DEMO_LABEL in text.splitlines()[1]
    assert "prior_lbp  True     False  1.081859    2.950159" in text
    assert result.notes[0] == DEMO_LABEL
    data = json.loads(result.to_json())
    assert data["label"] == DEMO_LABEL
    assert data["table"][0]["band"] == "moderate"
    assert repr(result) == text
    assert "<table" in result._repr_html_()


def test_extrapolation_warns_and_flags(model):
    far = dict(RUNNER, weekly_km=250.0, age=85.0, runner_id="far")
    with pytest.warns(
        ExtrapolationWarning, match="weekly_km .*development range \\[6.2, 171.5\\]"
    ):
        table = model.score(pd.DataFrame([RUNNER, far])).to_frame()
    assert table["extrapolated"].tolist() == [False, True]
    assert table["outside_range"].tolist() == ["", "age,weekly_km"]


def test_no_warning_inside_the_range(model):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.score(RUNNER)


def test_synonyms_and_yes_no_are_accepted(model):
    base = model.score(RUNNER).to_frame()["probability"].iloc[0]
    alt = dict(RUNNER, sex="male", prior_lbp="yes", strength_training=0)
    assert model.score(alt).to_frame()["probability"].iloc[0] == base


@pytest.mark.parametrize(
    ("change", "column", "check"),
    [
        ({"sex": "X"}, "sex", "allowed_levels"),
        ({"age": "forty"}, "age", "type"),
        ({"age": True}, "age", "type"),
        ({"age": None}, "age", "missing"),
        ({"age": float("inf")}, "age", "finite"),
        ({"age": 150}, "age", "plausible_range"),
        ({"prior_lbp": "maybe"}, "prior_lbp", "type"),
        ({"prior_lbp": 2}, "prior_lbp", "type"),
    ],
)
def test_invalid_values_name_the_runner_and_field(model, change, column, check):
    with pytest.raises(DataValidationError, match=f"runner 'R1': {column}") as info:
        model.score(dict(RUNNER, **change))
    cases = info.value.failure_cases
    assert cases[["runner_id", "column", "check"]].values.tolist() == [["R1", column, check]]


def test_every_failure_is_collected(model, survey):
    bad = survey.head(4).copy()
    bad["sex"] = bad["sex"].astype(object)
    bad.loc[1, "sex"] = "unknown"
    bad.loc[3, "age"] = np.nan
    with pytest.raises(DataValidationError, match="2 failure\\(s\\) among 4 runner") as info:
        model.score(bad)
    cases = info.value.failure_cases
    assert cases[["row", "column", "check"]].values.tolist() == [
        [1, "sex", "allowed_levels"],
        [3, "age", "missing"],
    ]


def test_missing_predictor(model):
    runner = {k: v for k, v in RUNNER.items() if k != "weekly_km"}
    with pytest.raises(DataValidationError, match="runner 'R1': field 'weekly_km' must be given"):
        model.score(runner)
    with pytest.raises(DataValidationError, match="all 2 runners: field 'weekly_km'") as info:
        model.score(pd.DataFrame([runner, runner]))
    assert info.value.failure_cases["check"].tolist() == ["missing_predictor"]


def test_bad_arguments(model):
    with pytest.raises(ArgumentError, match="Did you mean 0.95"):
        model.score(RUNNER, level=95)
    with pytest.raises(ArgumentError, match="runner must be a dict"):
        model.score([1, 2])
    with pytest.raises(ArgumentError, match="index_date must be used with activities"):
        model.score(RUNNER, index_date="2025-01-01")


@settings(max_examples=25)
@given(
    age=st.floats(18, 80),
    km=st.floats(6.2, 171.5),
    level=st.floats(0.5, 0.98),
    more=st.floats(0.001, 0.019),
)
def test_interval_bounds_and_nesting(model, age, km, level, more):
    runner = dict(RUNNER, age=age, weekly_km=km)
    narrow = model.score(runner, level=level).to_frame().iloc[0]
    wide = model.score(runner, level=level + more).to_frame().iloc[0]
    assert 0 <= narrow["ci_low"] <= narrow["probability"] <= narrow["ci_high"] <= 1
    assert wide["ci_low"] <= narrow["ci_low"] and wide["ci_high"] >= narrow["ci_high"]
    assert wide["probability"] == narrow["probability"]


def test_bands_are_configurable_and_lower_limits_inclusive(mixed):
    model, _, _ = mixed
    assert model.bands == (("low", 0.0), ("high", 0.4))
    from lbprun.clinic._summary import band_of

    assert band_of(np.array([0.0, 0.3999, 0.4, 0.99]), model.bands).tolist() == [
        "low", "low", "high", "high"
    ]  # fmt: skip
    with pytest.raises(ArgumentError, match="start at 0 and increase"):
        RiskModel.from_design(*_demo_inputs(), outcome="lbp_12m", bands={"a": 0.2, "b": 0.1})


def _demo_inputs():
    data = load_example_survey()
    spec = build_spec(data, ["age", "prior_lbp"])
    fit = sm.Logit(data["lbp_12m"].to_numpy(float), spec.transform(data)).fit(disp=0)
    return spec, fit.params, fit.cov_params(), data


def test_default_bands_follow_the_development_risk(model, survey):
    rate = float(survey["lbp_12m"].mean())
    assert model.bands == (("low", 0.0), ("moderate", 0.5 * rate), ("high", 1.5 * rate))


def test_from_design_refuses_bad_inputs():
    spec, coef, cov, data = _demo_inputs()
    with pytest.raises(ArgumentError, match="coef and cov must have 3 entries"):
        RiskModel.from_design(spec, coef[:2], cov, data, outcome="lbp_12m")
    with pytest.raises(ArgumentError, match="outcome must be a column"):
        RiskModel.from_design(spec, coef, cov, data, outcome="nope")
    gappy = data.assign(age=data["age"].where(data.index != 3))
    with pytest.raises(ArgumentError, match="complete-case"):
        RiskModel.from_design(spec, coef, cov, gappy, outcome="lbp_12m")


def test_recalibration_matches_the_prevalence(model, survey):
    recal = model.recalibrate(0.25)
    stored = special.expit(np.array(recal.development.linear_predictor) + recal.intercept_shift)
    assert stored.mean() == pytest.approx(0.25, abs=1e-13)
    scored = recal.score(survey).to_frame()["probability"].mean()
    assert scored == pytest.approx(0.25, abs=1e-3)
    exact = model.recalibrate(0.25, data=survey)
    assert exact.score(survey).to_frame()["probability"].mean() == pytest.approx(0.25, abs=1e-13)
    assert exact.recalibrated_to == 0.25 and model.intercept_shift == 0.0
    with pytest.raises(ArgumentError, match="Did you mean 0.25"):
        model.recalibrate(25)


def test_points_table_reproduces_the_risk(model):
    table = model.points_table()
    assert list(table.columns) == ["predictor", "value", "log_odds", "points", "risk"]
    assert table["points"].max() == pytest.approx(table.query("predictor == 'total points'")
                                                  ["points"].max())  # fmt: skip
    spans = table[table["predictor"] != "total points"].groupby("predictor")["points"]
    assert spans.max().max() == pytest.approx(100.0)
    runner = dict(RUNNER, age=40.0, weekly_km=40.0)
    points = 0.0
    for name in model.predictors:
        rows = table[table["predictor"] == name]
        value = runner[name]
        points += float(rows.loc[rows["value"] == value, "points"].iloc[0])
    scale = (table["log_odds"].iloc[1] - table["log_odds"].iloc[0]) / (
        table["points"].iloc[1] - table["points"].iloc[0]
    )
    totals = table[table["predictor"] == "total points"]
    lp0 = totals["log_odds"].iloc[0]
    risk = special.expit(lp0 + points * scale)
    assert risk == pytest.approx(model.score(runner).to_frame()["probability"].iloc[0], rel=1e-12)


def test_plot_points_returns_a_figure(model):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = model.plot_points()
    assert isinstance(fig, Figure)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [*model.predictors, "total points", "risk"]
    ax = model.score(RUNNER).plot()
    assert len(ax.patches) == len(model.predictors)
    plt.close("all")


def test_shipped_demo_model_equals_a_rebuild_except_creation_time(model):
    shipped, rebuilt = model_to_dict(model), model_to_dict(build_demo_model())
    for doc in (shipped, rebuilt):
        doc["development"].pop("created")
    _assert_same(shipped, rebuilt, "$")


def _assert_same(a, b, where):
    if isinstance(a, float):
        # bitwise in one environment; numpy/statsmodels releases may differ in the last bits
        assert isinstance(b, float) and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_mixed_model_round_trips_through_its_file(mixed, tmp_path):
    from lbprun.clinic import load_model

    model, spec, data = mixed
    loaded = load_model(model.save(tmp_path / "mixed.json"))
    assert loaded.feature("club").levels == (1, 2, 3) and loaded.feature("club").reference == 2
    assert np.array_equal(loaded.design_matrix(data), spec.transform(data))
    before = model.score(data).to_frame()["probability"].to_numpy()
    assert np.array_equal(loaded.score(data).to_frame()["probability"].to_numpy(), before)
