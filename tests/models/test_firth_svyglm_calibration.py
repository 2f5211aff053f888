"""Firth (brglm2), survey-weighted logistic (survey::svyglm) and val_prob (rms::val.prob)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import special
from tolerances import DESIGN_ABS, ITERATIVE_REL

from lbprun._checks import ArgumentError
from lbprun.exceptions import SparseDataWarning
from lbprun.measures.survey import SurveyDesign
from lbprun.models.calibration import concordance, val_prob
from lbprun.models.firth import firth_fit
from lbprun.models.risk_factors import fit_risk_factors
from lbprun.models.survey_glm import svyglm_logistic

DESIGN = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)


def _load(expected_dir, name):
    return json.loads((expected_dir / name).read_text())


def test_fit_risk_factors_firth_matches_brglm2(survey, expected_dir):
    expected = _load(expected_dir, "firth_survey_slice.json")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseDataWarning)
        fit = fit_risk_factors(
            survey.head(150),
            "lbp_point",
            ["km10", "spike30", "prior_lbp", "sex"],
            method="firth",
            reference_levels={"sex": "F"},
        )
    table = fit.to_frame("log_odds")
    assert table["term"].tolist() == ["(Intercept)", "km10", "spike30", "prior_lbp", "sex[M]"]
    assert fit.glance()["events"][0] == expected["events"]
    np.testing.assert_allclose(table["estimate"], expected["coef"], rtol=ITERATIVE_REL)
    np.testing.assert_allclose(table["std_error"], expected["se"], rtol=ITERATIVE_REL)


def test_firth_profile_interval_contains_estimate_and_lr_test(survey):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseDataWarning)
        fit = fit_risk_factors(
            survey.head(150),
            "lbp_point",
            ["km10", "prior_lbp"],
            method="firth",
            interval="profile",
        )
    table = fit.table
    assert (table["ci_low"] < table["estimate"]).all()
    assert (table["estimate"] < table["ci_high"]).all()
    test = fit.lr_test("prior_lbp").iloc[0]
    assert test["statistic"] > 0 and 0 < test["p_value"] < 1


def test_firth_on_collapsed_patterns_equals_row_fit():
    rng = np.random.default_rng(5)
    x = np.column_stack([np.ones(300), rng.integers(0, 2, 300), rng.integers(0, 2, 300)])
    y = (rng.uniform(size=300) < 0.1 + 0.2 * x[:, 1]).astype(float)
    rows, counts = np.unique(np.column_stack([x, y]), axis=0, return_counts=True)
    direct = firth_fit(x, y)
    collapsed = firth_fit(rows[:, :-1], rows[:, -1], counts.astype(float))
    np.testing.assert_allclose(collapsed.beta, direct.beta, rtol=1e-9)
    np.testing.assert_allclose(collapsed.cov, direct.cov, rtol=1e-8)


def test_fit_risk_factors_survey_matches_svyglm(survey, predictors, expected_dir):
    expected = _load(expected_dir, "svyglm_survey.json")
    fit = fit_risk_factors(
        survey, "lbp_12m", predictors, reference_levels={"sex": "F"}, design=DESIGN
    )
    table = fit.to_frame("log_odds")
    np.testing.assert_allclose(table["estimate"], expected["coef"], rtol=ITERATIVE_REL)
    np.testing.assert_allclose(table["std_error"], expected["se"], rtol=ITERATIVE_REL)
    assert fit.glance()["df_residual"][0] == expected["df_residual"]
    np.testing.assert_allclose(table["ci_low"], expected["ci_low"], atol=DESIGN_ABS)
    np.testing.assert_allclose(table["ci_high"], expected["ci_high"], atol=DESIGN_ABS)
    assert (table["method"] == "survey").all()
    with pytest.raises(ArgumentError, match="likelihood-based"):
        fit.lr_test("sex")


def test_svyglm_without_design_structure_is_weighted_sandwich():
    rng = np.random.default_rng(2)
    n = 400
    data = pd.DataFrame({"w": rng.uniform(1, 4, n), "x": rng.normal(size=n)})
    y = (rng.uniform(size=n) < special.expit(-0.5 + data["x"].to_numpy())).astype(float)
    x = np.column_stack([np.ones(n), data["x"].to_numpy()])
    fit = svyglm_logistic(x, y, SurveyDesign(weights="w"), data)
    w = data["w"].to_numpy() / data["w"].mean()
    mu = special.expit(x @ fit.beta)
    np.testing.assert_allclose(x.T @ (w * (y - mu)), 0, atol=1e-8)
    a_inv = np.linalg.inv((x * (w * mu * (1 - mu))[:, None]).T @ x)
    u = x * (w * (y - mu))[:, None]
    meat = n / (n - 1) * (u - u.mean(0)).T @ (u - u.mean(0))
    np.testing.assert_allclose(fit.cov, a_inv @ meat @ a_inv, rtol=1e-10)
    assert fit.df_residual == n - 1 + 1 - 2


def test_val_prob_matches_rms(survey, predictors, expected_dir):
    expected = _load(expected_dir, "calibration_survey.json")
    fit = fit_risk_factors(survey, "lbp_12m", predictors, reference_levels={"sex": "F"})
    used = survey.dropna(subset=predictors)
    p = fit.predict(used)["estimate"]
    result = val_prob(p, used["lbp_12m"])
    for key in ("R2", "Brier", "Emax", "Eavg", "E90"):
        np.testing.assert_allclose(result.stats[key], expected[key], rtol=ITERATIVE_REL)
    for key in ("Intercept", "Slope"):
        np.testing.assert_allclose(result.stats[key], expected[key], atol=1e-9)
    # C and Dxy: see test_fit_risk_factors_matches_rms_lrm (half a near-tied pair).
    for key in ("C (ROC)", "Dxy"):
        np.testing.assert_allclose(result.stats[key], expected[key], atol=2e-6)
    assert result.to_frame()["statistic"].tolist()[:2] == ["Dxy", "C (ROC)"]


def test_val_prob_rejects_bad_input():
    with pytest.raises(ArgumentError, match="same length"):
        val_prob([0.2, 0.3], [1])
    with pytest.raises(ArgumentError, match=r"p must be probabilities"):
        val_prob([0.0, 0.3], [1, 0])
    with pytest.raises(ArgumentError, match="y must be 0 or 1"):
        val_prob([0.2, 0.3], [2, 0])


def test_concordance_equals_pairwise_count():
    rng = np.random.default_rng(0)
    p = rng.integers(0, 10, 60) / 10
    y = rng.integers(0, 2, 60)
    diff = p[y == 1][:, None] - p[y == 0][None, :]
    expected = np.mean((diff > 0) + 0.5 * (diff == 0))
    assert concordance(p, y) == pytest.approx(expected, rel=1e-12)


def test_wald_test_single_term_equals_table_and_factor_df(survey, predictors):
    design_fit = fit_risk_factors(
        survey, "lbp_12m", predictors, reference_levels={"sex": "F"}, design=DESIGN
    )
    test = design_fit.wald_test("km10").iloc[0]
    row = design_fit.table.set_index("term").loc["km10"]
    assert test["statistic"] == pytest.approx(row["statistic"] ** 2, rel=1e-10)
    assert test["p_value"] == pytest.approx(row["p_value"], rel=1e-8)
    ml = fit_risk_factors(survey, "lbp_12m", ["surface", "prior_lbp"])
    wald = ml.wald_test("surface").iloc[0]
    lr = ml.lr_test("surface").iloc[0]
    assert wald["df"] == 4
    assert wald["statistic"] == pytest.approx(lr["statistic"], rel=0.05)
