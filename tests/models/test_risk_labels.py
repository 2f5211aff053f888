"""Odds-ratio tables say what each row is: units and per-unit scaling, level against reference,
yes against no, the intercept as baseline odds, derived terms defined in the notes; survey fits
say so; tables are never truncated; the reading record is repeated in the notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.io.read import read_survey
from lbprun.measures.survey import SurveyDesign
from lbprun.models.gee import fit_gee
from lbprun.models.imputation import fit_with_imputation
from lbprun.models.pooling import pool_imputations
from lbprun.models.rates import fit_rate_model
from lbprun.models.risk_factors import fit_risk_factors

DESIGN = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)
NARROW = ("display.max_columns", 3, "display.width", 40, "display.max_colwidth", 10)
PREDICTORS = ["weekly_km", "sex", "prior_lbp", "surface"]


@pytest.fixture(scope="module")
def raw(reference_dir):
    return pd.read_csv(reference_dir / "runner_survey.csv")


@pytest.fixture(scope="module")
def fit(raw):
    return fit_risk_factors(raw, "lbp_12m", PREDICTORS, reference_levels={"surface": "asphalt"})


@pytest.fixture(scope="module")
def fit10(raw):
    return fit_risk_factors(
        raw,
        "lbp_12m",
        PREDICTORS,
        reference_levels={"surface": "asphalt"},
        per={"weekly_km": 10},
    )


def _row(frame: pd.DataFrame, term: str) -> pd.Series:
    return frame.loc[frame["term"] == term].iloc[0]


def test_labels_in_to_frame(fit):
    frame = fit.to_frame()
    labels = dict(zip(frame["term"], frame["label"], strict=True))
    assert labels["weekly_km"] == "weekly_km (per 1 km/week)"
    assert labels["sex[M]"] == "sex: M vs F"
    assert labels["prior_lbp"] == "prior_lbp: yes vs no"
    assert labels["surface[trail]"] == "surface: trail vs asphalt"
    assert labels["(Intercept)"] == (
        "baseline odds (intercept: weekly_km 0, sex F, prior_lbp no, surface asphalt)"
    )
    assert _row(frame, "(Intercept)")["scale"] == "odds"
    assert (frame.loc[frame["term"] != "(Intercept)", "scale"] == "odds_ratio").all()
    log = fit.to_frame("log_odds")
    assert _row(log, "(Intercept)")["label"].startswith("baseline log odds (intercept:")
    assert list(frame.columns[:7]) == [
        "term",
        "estimate",
        "ci_low",
        "ci_high",
        "std_error",
        "statistic",
        "p_value",
    ]


def test_labels_in_summary(fit):
    text = fit.summary()
    title, header = text.splitlines()[:2]
    assert title == (
        "Risk factors of lbp_12m: odds ratios from logistic regression, 95% Wald intervals"
    )
    assert header.split()[0] == "label"
    for label in (
        "weekly_km (per 1 km/week)",
        "sex: M vs F",
        "prior_lbp: yes vs no",
        "surface: trail vs asphalt",
        "baseline odds (intercept: weekly_km 0, sex F, prior_lbp no, surface asphalt)",
    ):
        assert label in text
    assert "sex[M]" not in text and "(Intercept)" not in text
    assert "odds ratio" not in text.splitlines()[2]  # the intercept row is no odds ratio
    assert "n used 2,549, events 609" in text


def test_per_rescales_estimate_and_interval(fit, fit10):
    one, ten = _row(fit.to_frame("log_odds"), "weekly_km"), _row(fit10.to_frame(), "weekly_km")
    assert ten["estimate"] == pytest.approx(np.exp(10 * one["estimate"]), rel=1e-12)
    assert ten["ci_low"] == pytest.approx(np.exp(10 * one["ci_low"]), rel=1e-12)
    assert ten["ci_high"] == pytest.approx(np.exp(10 * one["ci_high"]), rel=1e-12)
    assert ten["std_error"] == pytest.approx(10 * one["std_error"], rel=1e-12)
    assert ten["p_value"] == pytest.approx(one["p_value"], rel=1e-12)
    assert ten["label"] == "weekly_km (per 10 km/week)"
    other = _row(fit10.to_frame(), "sex[M]")["estimate"]
    assert other == pytest.approx(_row(fit.to_frame(), "sex[M]")["estimate"], rel=1e-12)
    np.testing.assert_array_equal(fit10.table["estimate"], fit.table["estimate"])
    assert "weekly_km (per 10 km/week)" in fit10.summary()
    assert any(
        n.startswith("weekly_km (per 10 km/week): odds ratio for a 10 km/week")
        for n in fit10.notes
    )


@settings(max_examples=25, deadline=None)
@given(units=st.floats(min_value=0.01, max_value=100.0))
def test_per_is_exp_of_scaled_log_odds(fit, units):
    table = fit.table.copy()
    scaled = fit.__class__(**{**fit.__dict__, "per": {"weekly_km": units}})
    row = _row(scaled.to_frame("log_odds"), "weekly_km")
    base = _row(table, "weekly_km")
    assert row["estimate"] == pytest.approx(units * base["estimate"], rel=1e-12)
    assert row["ci_high"] - row["ci_low"] == pytest.approx(
        units * (base["ci_high"] - base["ci_low"]), rel=1e-9
    )


def test_per_errors(raw):
    with pytest.raises(ArgumentError, match="per keys must be linear numeric predictors"):
        fit_risk_factors(raw, "lbp_12m", ["weekly_km", "sex"], per={"sex": 2})
    with pytest.raises(ArgumentError, match="per keys must be linear numeric predictors"):
        fit_risk_factors(
            raw, "lbp_12m", ["weekly_km"], splines={"weekly_km": 3}, per={"weekly_km": 10}
        )
    with pytest.raises(ArgumentError, match=r"per\['weekly_km'\] must be a positive number"):
        fit_risk_factors(raw, "lbp_12m", ["weekly_km"], per={"weekly_km": 0})


def test_spline_terms_defined(raw):
    fit = fit_risk_factors(raw, "lbp_12m", ["weekly_km", "sex"], splines={"weekly_km": 4})
    labels = fit.to_frame()["label"].tolist()
    assert labels[1:4] == [
        "weekly_km (spline, linear part per km/week)",
        "weekly_km' (spline term 1)",
        "weekly_km'' (spline term 2)",
    ]
    knots = fit.spec.predictors[0].knots
    note = next(n for n in fit.notes if n.startswith("weekly_km, weekly_km', weekly_km'':"))
    assert f"4 knots at {knots[0]:g}" in note and "km/week" in note
    assert "dose_response('weekly_km')" in note
    assert note in fit.summary()


def test_caller_definitions_and_survey_fit(raw):
    data = raw.assign(km10=raw["weekly_km"] / 10, spike30=raw["max_weekly_increase_pct"] > 30)
    fit = fit_risk_factors(
        data,
        "lbp_12m",
        ["km10", "spike30", "prior_lbp"],
        design=DESIGN,
        definitions={"km10": "weekly_km / 10", "spike30": "max_weekly_increase_pct > 30"},
    )
    labels = dict(zip(fit.to_frame()["term"], fit.to_frame()["label"], strict=True))
    assert labels["km10"] == "km10 (per 1 unit = 10 km/week)"
    assert labels["spike30"] == "spike30: yes vs no"
    assert "km10 = weekly_km / 10 (as given in definitions)." in fit.notes
    assert "spike30 = max_weekly_increase_pct > 30 (as given in definitions)." in fit.notes
    text = fit.summary()
    assert text.splitlines()[0].startswith(
        "Risk factors of lbp_12m: odds ratios from survey-weighted logistic regression"
    )
    glance = fit.glance().iloc[0]
    w = raw["weight"].to_numpy(float)
    assert glance["n_weighted"] == pytest.approx(w.sum(), rel=1e-12)
    assert glance["events_weighted"] == pytest.approx(np.sum(w * raw["lbp_12m"]), rel=1e-12)
    assert glance["n_effective"] == pytest.approx(w.sum() ** 2 / np.sum(w**2), rel=1e-12)
    assert f"survey-weighted n {w.sum():,.1f}" in text
    with pytest.raises(ArgumentError, match="definitions keys must be predictors"):
        fit_risk_factors(data, "lbp_12m", ["km10"], definitions={"km5": "weekly_km / 5"})


def test_formula_terms_defined(raw):
    fit = fit_risk_factors(
        raw, "lbp_12m", formula="lbp_12m ~ C(sex) + I(weekly_km / 10) + C(sex):age"
    )
    labels = dict(zip(fit.to_frame()["term"], fit.to_frame()["label"], strict=True))
    assert labels["C(sex)[T.M]"] == "sex: M vs F"
    assert labels["I(weekly_km / 10)"] == "I(weekly_km / 10) (per 1 unit)"
    assert labels["C(sex)[F]:age"] == "sex F x age (years)"
    assert "I(weekly_km / 10) is computed by the formula from the data." in fit.notes
    assert "C(sex)[F]:age = product of C(sex)[F] and age (interaction)." in fit.notes
    assert labels["(Intercept)"].startswith("baseline odds (intercept: sex F")


def test_summary_and_html_never_truncate(fit10):
    with pd.option_context(*NARROW):
        text = fit10.summary()
        html = fit10._repr_html_()
    for label in fit10.to_frame()["label"]:
        assert label in text and label in html
    for column in ("estimate", "ci_low", "ci_high", "std_error", "p_value", "scale"):
        assert column in text and column in html
    assert "..." not in text and "..." not in html


def test_reading_record_in_notes(tmp_path):
    lines = ["runner_id,sex,age,weekly_km,prior_lbp,lbp_12m"]
    rng = np.random.default_rng(3)
    for i in range(60):
        age = 250 if i == 0 else 20 + i % 30
        lines.append(
            f"r{i},{'FM'[i % 2]},{age},{rng.integers(5, 80)},{i % 3 == 0:d},{i % 2 ^ (i % 5 == 0):d}"
        )
    path = tmp_path / "survey.csv"
    path.write_text("\n".join(lines) + "\n")
    data = read_survey(path, on_error="drop").data
    fit = fit_risk_factors(data, "lbp_12m", ["weekly_km", "sex"])
    assert fit.stats["n_used"] == 59
    assert any("60 rows read and 1 rejected on reading" in n for n in fit.notes)


def test_rate_and_gee_tables_are_labelled():
    rng = np.random.default_rng(11)
    n = 240
    data = pd.DataFrame(
        {
            "runner_id": np.repeat([f"r{i}" for i in range(n // 4)], 4),
            "sex": np.tile(["F", "M"], n // 2),
            "weekly_km": rng.uniform(10, 80, n),
            "hours": rng.uniform(20, 60, n),
        }
    )
    data["episodes"] = rng.poisson(data["hours"] / 200)
    data["lbp"] = (rng.uniform(size=n) < 0.3).astype(int)
    rates = fit_rate_model(data, "episodes", "hours", ["sex", "weekly_km"], per=1000)
    labels = rates.to_frame()["label"].tolist()
    assert labels == [
        "baseline rate per 1000 hours (intercept: sex F, weekly_km 0)",
        "sex: M vs F",
        "weekly_km (per 1 km/week)",
    ]
    assert rates.to_frame("log_rate")["label"].iloc[0].startswith("baseline log rate per 1 hours")
    assert "baseline rate per 1000 hours (intercept: sex F, weekly_km 0)" in rates.summary()
    gee = fit_gee(data, "lbp", ["sex", "weekly_km"])
    assert gee.to_frame()["label"].tolist() == [
        "baseline odds (intercept: sex F, weekly_km 0)",
        "sex: M vs F",
        "weekly_km (per 1 km/week)",
    ]
    assert gee.to_frame("log_odds")["label"].iloc[0].startswith("baseline log odds (intercept:")


def test_imputed_and_pooled_fits_are_labelled(raw):
    data = raw[["lbp_12m", "weekly_km", "sex", "bmi"]].iloc[:600].copy()
    data.loc[data.index[::7], "bmi"] = np.nan
    expected = {
        "(Intercept)": "baseline odds (intercept: weekly_km 0, sex F, bmi 0)",
        "weekly_km": "weekly_km (per 1 km/week)",
        "sex[M]": "sex: M vs F",
        "bmi": "bmi (per 1 kg/m2)",
    }
    mice = fit_with_imputation(data, "lbp_12m", ["weekly_km", "sex", "bmi"], m=3, seed=1)
    frame = mice.to_frame()
    assert dict(zip(frame["term"], frame["label"], strict=False)) == expected
    assert mice.to_frame("log_odds")["label"].iloc[0].startswith("baseline log odds")
    filled = [data.fillna({"bmi": value}) for value in (22.0, 23.0, 24.0)]
    pooled = pool_imputations(filled, "lbp_12m", ["weekly_km", "sex", "bmi"])
    frame = pooled.to_frame()
    assert dict(zip(frame["term"], frame["label"], strict=True)) == expected
    impute = fit_risk_factors(
        data,
        "lbp_12m",
        ["weekly_km", "sex", "bmi"],
        missing="impute",
        imputations=3,
        per={"weekly_km": 10},
    )
    labels = impute.to_frame()["label"].tolist()
    assert labels[1] == "weekly_km (per 10 km/week)"
    assert any(n.startswith("weekly_km (per 10 km/week): odds ratio") for n in impute.notes)
