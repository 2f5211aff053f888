"""fit_risk_factors: R's glm / MASS::confint / rms::lrm values, result API, errors, collapsing."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.genmod.generalized_linear_model import GLMResultsWrapper
from tolerances import INTERPOLATED_REL, ITERATIVE_REL, PROFILE_ROOT_REL

from lbprun._checks import ArgumentError
from lbprun.exceptions import SeparationWarning, SparseDataWarning
from lbprun.models.risk_factors import RiskFactorResult, fit_risk_factors

R_TERMS = {"(Intercept)": "(Intercept)", "sexM": "sex[M]"}


@pytest.fixture(scope="module")
def expected(expected_dir):
    return json.loads((expected_dir / "logistic_survey.json").read_text())


@pytest.fixture(scope="module")
def profile_fit(survey, predictors):
    return fit_risk_factors(
        survey, "lbp_12m", predictors, reference_levels={"sex": "F"}, interval="profile"
    )


@pytest.fixture(scope="module")
def wald_fit(survey, predictors):
    return fit_risk_factors(survey, "lbp_12m", predictors, reference_levels={"sex": "F"})


def _terms(expected):
    return [R_TERMS.get(t, t) for t in expected["term"]]


def test_fit_risk_factors_matches_r_glm(wald_fit, expected):
    table = wald_fit.to_frame("log_odds")
    assert table["term"].tolist() == _terms(expected)
    np.testing.assert_allclose(table["estimate"], expected["coef"], rtol=ITERATIVE_REL)
    np.testing.assert_allclose(table["std_error"], expected["se"], rtol=ITERATIVE_REL)
    odds = wald_fit.to_frame()
    np.testing.assert_allclose(odds["estimate"], expected["odds_ratio"], rtol=ITERATIVE_REL)
    np.testing.assert_allclose(odds["ci_low"], expected["or_wald_low"], rtol=ITERATIVE_REL)
    np.testing.assert_allclose(odds["ci_high"], expected["or_wald_high"], rtol=ITERATIVE_REL)


def test_fit_risk_factors_matches_mass_confint(profile_fit, expected):
    odds = profile_fit.to_frame()
    exact_low, exact_high = expected["or_profile_exact_low"], expected["or_profile_exact_high"]
    np.testing.assert_allclose(odds["ci_low"], exact_low, rtol=PROFILE_ROOT_REL)
    np.testing.assert_allclose(odds["ci_high"], exact_high, rtol=PROFILE_ROOT_REL)
    np.testing.assert_allclose(odds["ci_low"], expected["or_profile_low"], rtol=INTERPOLATED_REL)
    np.testing.assert_allclose(odds["ci_high"], expected["or_profile_high"], rtol=INTERPOLATED_REL)


def test_fit_risk_factors_matches_rms_lrm(wald_fit, expected):
    glance = wald_fit.glance().iloc[0]
    assert glance["n_used"] == expected["n_used"]
    assert glance["n_dropped"] == 55 and glance["dropped"] == "bmi24: 55"
    np.testing.assert_allclose(glance["deviance"], expected["deviance"], rtol=ITERATIVE_REL)
    np.testing.assert_allclose(
        glance["null_deviance"], expected["null_deviance"], rtol=ITERATIVE_REL
    )
    np.testing.assert_allclose(glance["aic"], expected["aic"], rtol=ITERATIVE_REL)
    np.testing.assert_allclose(glance["brier"], expected["brier"], rtol=ITERATIVE_REL)
    np.testing.assert_allclose(
        glance["nagelkerke_r2"], expected["nagelkerke_r2"], rtol=ITERATIVE_REL
    )
    # rms 6.5 counts one event/non-event pair of nearly equal probabilities (1e-7 apart) as
    # tied: half a pair out of 598 x 1896, so C agrees to 5e-7.
    np.testing.assert_allclose(glance["c_statistic"], expected["c_statistic"], atol=1e-6)


def test_result_api(wald_fit):
    assert isinstance(wald_fit, RiskFactorResult)
    assert isinstance(wald_fit.model, GLMResultsWrapper)
    frame = wald_fit.to_frame()
    assert list(frame.columns[:7]) == [
        "term",
        "estimate",
        "ci_low",
        "ci_high",
        "std_error",
        "statistic",
        "p_value",
    ]
    payload = json.loads(wald_fit.to_json())
    assert payload["type"] == "RiskFactorResult" and len(payload["table"]) == 11
    assert "Notes:" in wald_fit.summary() and "55 rows dropped" in wald_fit.summary()
    np.testing.assert_allclose(frame["p_value"], wald_fit.model.pvalues, rtol=1e-6)


def test_lr_test_matches_nested_glm(survey):
    full = fit_risk_factors(survey, "lbp_12m", ["prior_lbp", "surface", "km10"])
    reduced = fit_risk_factors(survey, "lbp_12m", ["prior_lbp", "km10"])
    test = full.lr_test("surface").iloc[0]
    assert test["df"] == 4
    expected = reduced.glance()["deviance"][0] - full.glance()["deviance"][0]
    np.testing.assert_allclose(test["statistic"], expected, rtol=1e-9)
    with pytest.raises(ArgumentError, match="term must be one of"):
        full.lr_test("surfce")


def test_predict_matches_statsmodels(wald_fit, survey):
    new = survey.dropna(subset=["bmi24"]).head(5)
    pred = wald_fit.predict(new)
    x = wald_fit.spec.transform(new)
    frame = wald_fit.model.get_prediction(x).summary_frame()
    np.testing.assert_allclose(pred["estimate"], frame["mean"], rtol=1e-10)
    np.testing.assert_allclose(pred["ci_low"], frame["mean_ci_lower"], rtol=1e-8)
    assert (pred["ci_low"] < pred["estimate"]).all() and (pred["estimate"] < pred["ci_high"]).all()


def test_formula_gives_same_fit_as_predictors(survey):
    by_list = fit_risk_factors(survey, "lbp_12m", ["prior_lbp", "surface", "km10"])
    by_formula = fit_risk_factors(
        survey, "lbp_12m", formula="lbp_12m ~ prior_lbp + C(surface) + km10"
    )
    np.testing.assert_allclose(
        np.sort(by_list.table["estimate"]), np.sort(by_formula.table["estimate"]), rtol=1e-9
    )
    assert by_formula.lr_test("C(surface)")["df"][0] == 4


def test_collapsed_patterns_give_identical_estimates(survey):
    predictors = ["prior_lbp", "sex", "surface", "spike30"]
    collapsed = fit_risk_factors(survey, "lbp_12m", predictors)
    assert collapsed.glance()["collapsed"][0]
    assert len(collapsed._y) < 100
    x = collapsed.spec.transform(survey)
    direct = sm.GLM(survey["lbp_12m"], x, family=sm.families.Binomial()).fit(tol=1e-12)
    np.testing.assert_allclose(collapsed.table["estimate"], direct.params, rtol=1e-9)
    np.testing.assert_allclose(collapsed.table["std_error"], direct.bse, rtol=1e-8)
    np.testing.assert_allclose(collapsed.glance()["deviance"][0], direct.deviance, rtol=1e-10)
    np.testing.assert_allclose(collapsed.glance()["aic"][0], direct.aic, rtol=1e-10)
    c_direct = fit_risk_factors(survey.assign(z=survey["age"]), "lbp_12m", [*predictors, "z"])
    assert not c_direct.glance()["collapsed"][0]


def test_cluster_robust_matches_statsmodels(survey):
    fit = fit_risk_factors(survey, "lbp_12m", ["prior_lbp", "km10"], cluster="club")
    x = fit.spec.transform(survey)
    codes = pd.factorize(survey["club"])[0]
    ref = sm.GLM(survey["lbp_12m"], x, family=sm.families.Binomial()).fit(
        cov_type="cluster", cov_kwds={"groups": codes}
    )
    np.testing.assert_allclose(fit.table["std_error"], ref.bse, rtol=1e-8)
    with pytest.raises(ArgumentError, match="likelihood-based"):
        fit.lr_test("km10")


def test_non_binary_outcome_names_values(survey):
    with pytest.raises(ArgumentError, match=r"must be binary.*'asphalt'"):
        fit_risk_factors(survey, "surface", ["age"])


def test_single_level_predictor(survey):
    with pytest.raises(ArgumentError, match="at least two distinct values"):
        fit_risk_factors(survey.assign(one="a"), "lbp_12m", ["age", "one"])


def test_unknown_column_suggests(survey):
    with pytest.raises(ArgumentError, match="Did you mean 'weekly_km'"):
        fit_risk_factors(survey, "lbp_12m", ["weekly_kms"])


def test_level_percent_is_rejected(survey):
    with pytest.raises(ArgumentError, match="Did you mean 0.95"):
        fit_risk_factors(survey, "lbp_12m", ["age"], level=95)


def test_collinear_terms_are_named(survey):
    data = survey.assign(age2=survey["age"] * 2)
    with pytest.raises(ArgumentError, match=r"collinear.*'age2'.*'age'"):
        fit_risk_factors(data, "lbp_12m", ["age", "age2"])


def test_separation_warns_and_firth_is_finite():
    data = pd.DataFrame(
        {
            "x": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1] * 4,
            "z": np.tile(np.linspace(-1, 1, 12), 4),
        }
    )
    data["y"] = data["x"]
    with pytest.warns(SeparationWarning, match="method='firth'"):
        ml = fit_risk_factors(data, "y", ["x", "z"])
    assert any("separation" in note for note in ml.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseDataWarning)
        firth = fit_risk_factors(data, "y", ["x", "z"], method="firth", interval="profile")
    assert np.isfinite(firth.table["estimate"]).all()
    assert abs(firth.table.loc[1, "estimate"]) < 10
    assert firth.table.loc[1, "ci_low"] > 0


def test_sparse_events_warn(survey):
    small = survey.head(120)
    with pytest.warns(SparseDataWarning, match="events per variable"):
        fit = fit_risk_factors(small, "lbp_point", ["km10", "spike30", "age", "prior_lbp"])
    assert fit.glance()["events_per_variable"][0] < 10


@settings(max_examples=15, deadline=None)
@given(st.floats(0.5, 0.99), st.floats(0.5, 0.99))
def test_wider_interval_at_higher_level(a, b):
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"x": rng.normal(size=200)})
    data["y"] = (rng.uniform(size=200) < 1 / (1 + np.exp(-data["x"]))).astype(int)
    lo, hi = sorted((a, b))
    narrow = fit_risk_factors(data, "y", ["x"], level=lo).table
    wide = fit_risk_factors(data, "y", ["x"], level=hi).table
    assert (wide["ci_low"] <= narrow["ci_low"] + 1e-12).all()
    assert (wide["ci_high"] >= narrow["ci_high"] - 1e-12).all()


def test_predict_rejects_unseen_level(survey):
    fit = fit_risk_factors(survey, "lbp_12m", ["surface", "prior_lbp"])
    new = survey.head(2).assign(surface="sand")
    with pytest.raises(ArgumentError, match="levels seen in the fit.*'sand'"):
        fit.predict(new)


def test_profile_under_separation_gives_nan_and_note():
    data = pd.DataFrame(
        {"x": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1] * 5, "z": np.tile(np.arange(10.0), 5)}
    )
    data["y"] = data["x"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseDataWarning)
        with pytest.warns(SeparationWarning):
            fit = fit_risk_factors(data, "y", ["x", "z"], interval="profile")
    # x and z (z < 5 exactly when x = 0) both separate the outcome: no finite profile
    assert fit.table[["ci_low", "ci_high"]].isna().all().all()
    assert any("separation along x, z" in note for note in fit.notes)
    assert any("profile intervals could not be computed" in note for note in fit.notes)
