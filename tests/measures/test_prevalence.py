"""prevalence(): crude and by group, under the survey design, errors, notes, correction, plot."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from tolerances import DESIGN_ABS

from lbprun._checks import ArgumentError
from lbprun.exceptions import DataQualityWarning, DataValidationError, DesignWarning
from lbprun.measures.intervals import PROPORTION_METHODS, proportion_ci
from lbprun.measures.misclassification import rogan_gladen
from lbprun.measures.prevalence import PrevalenceResult, prevalence
from lbprun.measures.survey import SurveyDesign

DESIGN = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)
COLUMNS = ["by", "group", "n", "cases", "n_missing", "estimate", "ci_low", "ci_high"]


@pytest.fixture(scope="module")
def survey(reference_dir):
    return pd.read_csv(reference_dir / "runner_survey.csv")


@pytest.fixture(scope="module")
def expected(expected_dir):
    return json.loads((expected_dir / "survey_prevalence.json").read_text())


@pytest.mark.parametrize("method", PROPORTION_METHODS)
def test_crude_prevalence_by_group_equals_proportion_ci(survey, method):
    result = prevalence(survey, by="sex", method=method, level=0.9)
    assert isinstance(result, PrevalenceResult)
    table = result.table
    assert list(table.columns) == [*COLUMNS, "method", "level"]
    assert table["by"].tolist() == ["all", "sex", "sex"]
    assert table["group"].tolist() == ["all", "F", "M"]
    counts = survey.groupby("sex")["lbp_12m"].agg(["sum", "size"])
    x = [survey["lbp_12m"].sum(), *counts["sum"]]
    n = [len(survey), *counts["size"]]
    ref = proportion_ci(x, n, method=method, level=0.9)
    assert table["cases"].tolist() == x and table["n"].tolist() == n
    np.testing.assert_allclose(
        table[["estimate", "ci_low", "ci_high"]], ref[["estimate", "ci_low", "ci_high"]]
    )
    assert (table["method"] == method).all() and (table["level"] == 0.9).all()


def test_prevalence_matches_survey(survey, expected):
    result = prevalence(survey, "lbp_12m", by="sex", design=DESIGN)
    table = result.table.set_index("group")
    assert result.method == "logit" and result.design == DESIGN
    for column in ("std_error", "deff", "n_effective", "df"):
        assert column in table.columns
    overall = table.loc["all"]
    assert overall["estimate"] == pytest.approx(expected["logit"]["est"], abs=DESIGN_ABS)
    assert overall["ci_low"] == pytest.approx(expected["logit"]["low"], abs=DESIGN_ABS)
    assert overall["ci_high"] == pytest.approx(expected["logit"]["high"], abs=DESIGN_ABS)
    assert overall["std_error"] == pytest.approx(expected["se"], abs=DESIGN_ABS)
    assert overall["deff"] == pytest.approx(expected["deff"], abs=DESIGN_ABS)
    assert overall["n_effective"] == pytest.approx(len(survey) / expected["deff"], rel=1e-9)
    ref = expected["by_sex_logit"]
    for i, sex in enumerate(ref["sex"]):
        assert table.loc[sex, "estimate"] == pytest.approx(ref["est"][i], abs=DESIGN_ABS)
        assert table.loc[sex, "ci_low"] == pytest.approx(ref["low"][i], abs=DESIGN_ABS)
        assert table.loc[sex, "ci_high"] == pytest.approx(ref["high"][i], abs=DESIGN_ABS)


@pytest.mark.parametrize("method", ["beta", "likelihood", "mean"])
def test_prevalence_design_methods_match_survey(survey, expected, method):
    row = prevalence(survey, design=DESIGN, method=method).table.iloc[0]
    tolerance = DESIGN_ABS if method != "likelihood" else 1e-5
    assert row["ci_low"] == pytest.approx(expected[method]["low"], abs=tolerance)
    assert row["ci_high"] == pytest.approx(expected[method]["high"], abs=tolerance)


def test_missing_outcomes_are_counted_and_noted():
    data = pd.DataFrame(
        {
            "sex": ["F", "F", "F", "M", "M", None],
            "lbp_point": pd.array([True, None, False, True, None, False], dtype="boolean"),
        }
    )
    result = prevalence(data, "lbp_point", by="sex", method="exact")
    table = result.table.set_index("group")
    assert table.loc["all", ["n", "cases", "n_missing"]].tolist() == [4, 2, 2]
    assert table.loc["F", ["n", "cases", "n_missing"]].tolist() == [2, 1, 1]
    assert table.loc["M", ["n", "cases", "n_missing"]].tolist() == [1, 1, 1]
    assert result.case_definition == "point"
    assert any("2 rows with a missing 'lbp_point'" in note for note in result.notes)
    assert any("missing sex" in note for note in result.notes)


@pytest.mark.parametrize(
    "values",
    [
        [True, False, True, False],
        [1, 0, 1, 0],
        [1.0, 0.0, 1.0, np.nan],
        pd.array([1, 0, 1, None], dtype="Int64"),
        pd.array([True, False, True, None], dtype="boolean"),
    ],
)
def test_outcome_types_accepted(values):
    result = prevalence(pd.DataFrame({"lbp_lifetime": values}), "lbp_lifetime")
    assert result.table["cases"].iloc[0] == 2
    assert result.case_definition == "lifetime"


@pytest.mark.parametrize("values", [[0, 1, 2], ["yes", "no", "yes"], [0.5, 1.0, 0.0]])
def test_outcome_must_be_binary(values):
    data = pd.DataFrame({"runner_id": ["a", "b", "c"], "lbp_12m": values})
    with pytest.raises(
        DataValidationError, match="outcome column 'lbp_12m' must hold 0/1"
    ) as info:
        prevalence(data)
    cases = info.value.failure_cases
    assert cases["column"].unique().tolist() == ["lbp_12m"]
    assert cases["runner_id"].iloc[0] in {"a", "b", "c"}


def test_argument_errors(survey):
    with pytest.raises(ArgumentError, match="column 'sexx' not found in data. Did you mean 'sex'"):
        prevalence(survey, by="sexx")
    with pytest.raises(ArgumentError, match="column 'lbp_12' not found.*Did you mean 'lbp_12m'"):
        prevalence(survey, "lbp_12")
    with pytest.raises(ArgumentError, match="Did you mean 0.95"):
        prevalence(survey, level=95)
    with pytest.raises(ArgumentError, match="Did you mean 'jeffreys'"):
        prevalence(survey, method="jefreys")
    with pytest.raises(ArgumentError, match="method must be one of 'logit'"):
        prevalence(survey, design=DESIGN, method="wilson")
    with pytest.raises(ArgumentError, match="given together"):
        prevalence(survey, sensitivity=0.9)
    with pytest.raises(ArgumentError, match="must not include the outcome"):
        prevalence(survey, by="lbp_12m")


def test_weights_zero_or_missing_are_errors(survey):
    bad = survey.copy()
    bad.loc[[5, 9], "weight"] = [0.0, np.nan]
    with pytest.raises(DataValidationError, match="column 'weight'.*row positions 9"):
        prevalence(bad, design=DESIGN)
    bad.loc[9, "weight"] = 1.0
    with pytest.raises(DataValidationError, match="zero, negative"):
        prevalence(bad, design=DESIGN)
    with pytest.raises(ArgumentError, match="Did you mean 'weight'"):
        prevalence(survey, design=SurveyDesign(weights="weights"))


def test_lonely_psu_becomes_a_note(survey):
    data = survey[~((survey["region"] == "south") & (survey["club"] != "south-1"))]
    with pytest.warns(DesignWarning, match="single PSU"):
        result = prevalence(data, design=DESIGN)
    assert any("single PSU" in note and "'south'" in note for note in result.notes)
    assert "Notes:" in result.summary()


def test_case_definitions():
    data = pd.DataFrame({"stopped_running_1wk": [1, 0, 0, 1], "lbp_12m": [1, 1, 0, 0]})
    own = prevalence(data, "stopped_running_1wk", case_definition="LBP stopping running >= 1 week")
    assert own.case_definition == "LBP stopping running >= 1 week"
    assert not own.notes
    unnamed = prevalence(data, "stopped_running_1wk")
    assert unnamed.case_definition == "stopped_running_1wk"
    assert "case definition not stated" in unnamed.notes[0]
    assert prevalence(data).case_definition == "12-month"
    with pytest.raises(ArgumentError, match="case_definition must be a non-empty string"):
        prevalence(data, case_definition="  ")


def test_crossed_groups_and_empty_group(survey):
    result = prevalence(survey, by=["sex", "competitive"])
    assert result.by == ("sex", "competitive")
    assert result.table["by"].iloc[1] == "sex, competitive"
    assert result.table["group"].tolist()[1:] == ["F, 0", "F, 1", "M, 0", "M, 1"]
    assert result.table["n"].iloc[1:].sum() == len(survey)
    data = pd.DataFrame({"g": ["a", "a", "b"], "lbp_12m": [1, 0, None]})
    empty = prevalence(data, by="g").table.set_index("group")
    assert np.isnan(empty.loc["b", "estimate"]) and empty.loc["b", "n_missing"] == 1


def test_result_interfaces(survey):
    result = prevalence(survey, by="sex", design=DESIGN)
    payload = json.loads(result.to_json())
    assert payload["type"] == "PrevalenceResult"
    assert payload["case_definition"] == "12-month"
    assert payload["design"]["cluster"] == "club"
    assert len(payload["table"]) == 3
    text = result.summary()
    assert text.startswith("Prevalence of lbp_12m (survey-weighted 12-month prevalence)")
    assert repr(result) == text
    assert "<table" in result._repr_html_()
    frame = result.to_frame()
    frame.loc[0, "estimate"] = -1
    assert result.table.loc[0, "estimate"] > 0


def test_plot_draws_each_group(survey):
    result = prevalence(survey, by="sex")
    ax = result.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["all", "sex: F", "sex: M"]
    assert ax.get_xlabel() == "Prevalence (%)"
    points = [line for line in ax.lines if line.get_marker() == "o"]
    xs = np.concatenate([line.get_xdata() for line in points])
    ys = np.concatenate([line.get_ydata() for line in points])
    np.testing.assert_allclose(xs[np.argsort(ys)], result.table["estimate"] * 100)
    fig, own = plt.subplots()
    assert result.plot(ax=own) is own
    plt.close("all")


def test_rogan_gladen_by_hand_and_in_prevalence(survey):
    out = rogan_gladen(0.3, 0.9, 0.95, ci_low=0.25, ci_high=0.35)
    assert out["estimate"].iloc[0] == pytest.approx((0.3 + 0.95 - 1) / (0.9 + 0.95 - 1))
    assert out["ci_low"].iloc[0] == pytest.approx((0.25 - 0.05) / 0.85)
    assert out["ci_high"].iloc[0] == pytest.approx((0.35 - 0.05) / 0.85)
    result = prevalence(survey, by="sex", sensitivity=0.9, specificity=0.95)
    crude = prevalence(survey, by="sex")
    np.testing.assert_allclose(result.table["apparent_estimate"], crude.table["estimate"])
    np.testing.assert_allclose(
        result.table["estimate"], (crude.table["estimate"] - 0.05) / 0.85, rtol=1e-12
    )
    np.testing.assert_allclose(
        result.table["ci_low"], (crude.table["ci_low"] - 0.05) / 0.85, rtol=1e-12
    )
    assert result.sensitivity == 0.9 and any("Rogan-Gladen" in n for n in result.notes)


def test_rogan_gladen_clips_impossible_prevalence():
    data = pd.DataFrame({"lbp_12m": [1] + [0] * 99})
    with pytest.warns(DataQualityWarning, match="impossible"):
        result = prevalence(data, sensitivity=0.9, specificity=0.95)
    assert result.table["estimate"].iloc[0] == 0.0
    assert any("clipped" in note for note in result.notes)
    with pytest.warns(DataQualityWarning):
        high = rogan_gladen([0.95, 0.5], 0.9, 0.95)
    assert high["estimate"].iloc[0] == 1.0 and high["clipped"].tolist() == [True, False]
    with pytest.raises(ArgumentError, match="sensitivity \\+ specificity must be > 1"):
        rogan_gladen(0.3, 0.5, 0.4)
    with pytest.raises(ArgumentError, match="Did you mean 0.9"):
        rogan_gladen(0.3, 90, 0.95)
