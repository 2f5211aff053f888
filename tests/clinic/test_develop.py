"""develop_risk_model: the same design as fit_risk_factors, the RiskModel it builds, row
accounting, the TRIPOD report and argument checks."""

from __future__ import annotations

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from tolerances import ITERATIVE_REL

from lbprun._checks import ArgumentError
from lbprun.clinic.develop import DevelopedRiskModel, develop_risk_model
from lbprun.clinic.model import RiskModel
from lbprun.exceptions import SparseDataWarning
from lbprun.models.risk_factors import fit_risk_factors

PREDICTORS = ["weekly_km", "prior_lbp", "sex", "surface", "age"]


@pytest.fixture(scope="module")
def survey(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "runner_survey.csv")


@pytest.fixture(scope="module")
def developed(survey) -> DevelopedRiskModel:
    data = survey.copy()
    data.loc[data.index[:7], "age"] = np.nan  # 7 rows excluded for a missing age
    return develop_risk_model(
        data,
        "lbp_12m",
        PREDICTORS,
        splines={"weekly_km": 4},
        reference_levels={"sex": "F", "surface": "asphalt"},
        n_bootstrap=20,
        n_jobs=1,
        progress=False,
        label="demonstration <not for clinical use>",
    )


def test_same_design_and_fit_as_fit_risk_factors(survey, developed):
    data = survey.copy()
    data.loc[data.index[:7], "age"] = np.nan
    reference = fit_risk_factors(
        data,
        "lbp_12m",
        PREDICTORS,
        splines={"weekly_km": 4},
        reference_levels={"sex": "F", "surface": "asphalt"},
    ).to_frame("log_odds")
    coef = developed.coefficients
    assert coef["term"].tolist() == reference["term"].tolist()
    np.testing.assert_allclose(coef["estimate"], reference["estimate"], rtol=ITERATIVE_REL)
    np.testing.assert_allclose(coef["std_error"], reference["std_error"], rtol=ITERATIVE_REL)
    assert coef["term"].tolist()[:4] == ["(Intercept)", "weekly_km", "weekly_km'", "weekly_km''"]


def test_reference_model_coefficients_match_r(survey, expected_dir):
    expected = json.loads((expected_dir / "logistic_survey.json").read_text())
    data = survey.copy()
    data["km10"] = (data["weekly_km"] - 30) / 10
    data["spike30"] = (data["max_weekly_increase_pct"] > 30).astype(int)
    data["shoe800"] = (data["shoe_km"] > 800).astype(int)
    data["asphalt"] = (data["surface"] == "asphalt").astype(int)
    data["bmi24"] = np.where(data["bmi"].isna(), np.nan, data["bmi"] > 24)
    data["yrs6"] = (data["years_running"] > 6).astype(int)
    predictors = ["km10", "spike30", "shoe800", "asphalt", "bmi24", "yrs6", "prior_lbp"]
    predictors += ["strength_training", "sex", "age"]
    dev = develop_risk_model(
        data, "lbp_12m", predictors, reference_levels={"sex": "F"}, validation="none"
    )
    np.testing.assert_allclose(dev.model.coef, expected["coef"], rtol=ITERATIVE_REL)
    np.testing.assert_allclose(dev.coefficients["std_error"], expected["se"], rtol=ITERATIVE_REL)
    assert dev.rows["rows_kept"] == expected["n_used"]


def test_rows_in_equal_kept_plus_rejected_plus_excluded(developed, survey):
    rows = developed.rows
    assert rows["rows_in"] == len(survey)
    assert rows["rows_in"] == rows["rows_kept"] + rows["rows_rejected"] + rows["rows_excluded"]
    assert rows["rows_excluded"] == 7 and rows["missing"] == {"age": 7}
    assert rows["events"] == int(survey["lbp_12m"].iloc[7:].sum())
    assert developed.notes[0].startswith("7 rows excluded with missing values (age: 7)")


def test_model_is_a_risk_model_that_scores(developed):
    model = developed.model
    assert isinstance(model, RiskModel)
    np.testing.assert_allclose(model.coef, developed.coefficients["estimate"])
    assert model.label == "demonstration <not for clinical use>"
    corrected = model.validation["corrected"]["C (ROC)"]
    table = developed.to_frame().set_index("statistic")
    assert corrected == pytest.approx(table.loc["c_statistic", "corrected"])
    assert model.validation["method"] == "bootstrap" and model.validation["successful"] == 20
    spline = model.feature("weekly_km")
    assert spline.kind == "spline" and len(spline.knots) == 4


def test_calibration_and_decision_curves(developed):
    groups = developed.calibration.to_frame()
    assert groups["n"].sum() == developed.rows["rows_kept"]
    assert groups["events"].sum() == developed.rows["events"]
    assert (groups["ci_low"] <= groups["observed"]).all()
    # deciles of predicted risk increase
    assert (np.diff(groups["mean_predicted"]) > 0).all()
    decision = developed.decision.to_frame()
    assert set(decision["strategy"]) == {"model", "all", "none"}
    assert decision["ci_low"].notna().any()


def test_summary_dict_and_repr(developed):
    text = developed.summary()
    assert text.startswith("Risk model for lbp_12m")
    assert "20 of 20 refits successful" in text
    payload = json.loads(json.dumps(developed.to_dict()))
    assert payload["rows"]["rows_excluded"] == 7
    assert payload["table"][0]["statistic"] == "c_statistic"
    assert payload["sample_size"]["minimum"] > 0


def test_markdown_report_has_the_tripod_items(developed):
    report = developed.report()
    for heading in (
        "Source of data",
        "Outcome",
        "Predictors",
        "Missing data",
        "Sample size",
        "Model specification",
        "Full model",
        "Performance: apparent and optimism-corrected",
        "Calibration",
        "Decision curve",
        "Limitations",
    ):
        assert f"## {heading}" in report
    assert "| weekly_km | spline | km/week |" in report
    assert "| (Intercept) |" in report
    assert "Label: demonstration &lt;not for clinical use&gt;" in report
    assert "age: 7 missing" in report


def test_html_report_is_self_contained_and_escaped(developed):
    page = developed.report(format="html")
    assert page.startswith("<!DOCTYPE html>")
    assert re.search(r"(src|href)=\"https?:", page) is None
    assert "<script" not in page
    assert page.count("data:image/png;base64,") == 2
    assert "&lt;not for clinical use&gt;" in page
    assert "<not for clinical use>" not in page
    with pytest.raises(ArgumentError, match="format must be one of 'markdown', 'html'"):
        developed.report(format="pdf")


def test_firth_penalty_matches_fit_risk_factors(survey):
    small = survey.head(150)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseDataWarning)
        dev = develop_risk_model(
            small,
            "lbp_point",
            ["prior_lbp", "sex"],
            penalty="firth",
            n_bootstrap=10,
            n_jobs=1,
            progress=False,
        )
        ref = fit_risk_factors(small, "lbp_point", ["prior_lbp", "sex"], method="firth")
    np.testing.assert_allclose(
        dev.coefficients["estimate"], ref.to_frame("log_odds")["estimate"], rtol=ITERATIVE_REL
    )


def test_bad_arguments_are_named(survey):
    with pytest.raises(ArgumentError, match="validation must be one of .* Did you mean 'cv'"):
        develop_risk_model(survey, "lbp_12m", ["age"], validation="cvv")
    with pytest.raises(ArgumentError, match="penalty must be one of None, 'firth'; got 'ridge'"):
        develop_risk_model(survey, "lbp_12m", ["age"], penalty="ridge")
    with pytest.raises(ArgumentError, match="n_jobs must be -1"):
        develop_risk_model(survey, "lbp_12m", ["age"], n_jobs=0)
    with pytest.raises(ArgumentError, match="n_bootstrap must be a positive integer; got 0"):
        develop_risk_model(survey, "lbp_12m", ["age"], n_bootstrap=0)
    with pytest.raises(ArgumentError, match="column 'agee' not found in data. Did you mean"):
        develop_risk_model(survey, "lbp_12m", ["agee"])
    with pytest.raises(ArgumentError, match="outcome 'age' must be binary"):
        develop_risk_model(survey, "age", ["sex"])
