"""Every logistic fitting function verifies its convergence at the estimate and says how in its
notes; fits stopped early are polished to the tight estimate, non-converging fits say so."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lbprun.models.firth as firth_module
import lbprun.models.profile as profile_module
from lbprun.datasets import load_example_survey
from lbprun.exceptions import ConvergenceError, LbprunWarning, SeparationWarning
from lbprun.measures.survey import SurveyDesign
from lbprun.models._convergence import ConvergenceCheck, summarize_checks
from lbprun.models.calibration import val_prob
from lbprun.models.firth import firth_fit
from lbprun.models.imputation import fit_with_imputation
from lbprun.models.profile import fit_ml
from lbprun.models.risk_factors import fit_risk_factors
from lbprun.models.survey_glm import svyglm_logistic

PREDICTORS = ["prior_lbp", "weekly_km", "age"]
DESIGN = SurveyDesign(cluster="cluster", strata="stratum", weights="weight", nest=True)


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    return load_example_survey()


@pytest.fixture(scope="module")
def arrays(survey):
    x = np.column_stack(
        [np.ones(len(survey)), *(survey[c].to_numpy(dtype=float) for c in PREDICTORS)]
    )
    return x, survey["lbp_12m"].to_numpy(dtype=float)


def _early_newton(monkeypatch, max_iter=2):
    """Make every logistic_newton call of fit_ml stop after ``max_iter`` iterations."""
    original = profile_module.logistic_newton

    def stopped(*args, **kwargs):
        kwargs["max_iter"] = max_iter
        return original(*args, **kwargs)

    monkeypatch.setattr(profile_module, "logistic_newton", stopped)


# maximum likelihood


def test_ml_note_says_converged(survey):
    fit = fit_risk_factors(survey, "lbp_12m", PREDICTORS)
    assert fit.notes[-1].startswith("Converged: Newton-Raphson to relative gradient")
    assert fit.convergence.converged and fit.convergence.note in fit.notes
    assert fit.convergence.gradient < 1e-10 and fit.convergence.step < 1e-10


def test_ml_cluster_and_collapsed_fits_note_convergence(survey):
    clustered = fit_risk_factors(survey, "lbp_12m", PREDICTORS, cluster="cluster")
    collapsed = fit_risk_factors(survey, "lbp_12m", ["prior_lbp", "sex"])
    assert collapsed.stats["collapsed"]
    for fit in (clustered, collapsed):
        assert any(note.startswith("Converged:") for note in fit.notes)


def test_fit_ml_stopped_early_is_polished(arrays):
    x, y = arrays
    names = ["(Intercept)", *PREDICTORS]
    w = np.ones(len(y))
    tight, tight_cov, _, _, tight_check = fit_ml(x, y, w, names)
    beta, cov, factory, notes, check = fit_ml(x, y, w, names, max_iter=1)
    assert "then Newton steps" in check.note and check.converged
    assert notes[-1] == check.note
    np.testing.assert_allclose(beta, tight, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cov, tight_cov, rtol=1e-8)
    np.testing.assert_allclose(factory().params, tight, rtol=1e-10, atol=1e-12)
    assert tight_check.converged and "then Newton steps" not in tight_check.note


def test_fit_risk_factors_stopped_early_is_polished(survey, monkeypatch):
    tight = fit_risk_factors(survey, "lbp_12m", PREDICTORS)
    _early_newton(monkeypatch)
    polished = fit_risk_factors(survey, "lbp_12m", PREDICTORS)
    assert "Newton-Raphson (2 iterations), then Newton steps" in polished.notes[-1]
    assert polished.notes[-1].startswith("Converged:")
    np.testing.assert_allclose(
        polished.table["estimate"], tight.table["estimate"], rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(polished.table["std_error"], tight.table["std_error"], rtol=1e-8)


def test_ml_separation_says_not_converged():
    data = pd.DataFrame(
        {
            "x": [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 1] * 4,
            "z": np.tile(np.linspace(-1, 1, 12), 4),
        }
    )
    data["y"] = data["x"]
    with pytest.warns(SeparationWarning):
        fit = fit_risk_factors(data, "y", ["x", "z"])
    assert any("separation" in note for note in fit.notes)
    assert not fit.convergence.converged
    assert any(note.startswith("Not converged: Newton-Raphson") for note in fit.notes)


def test_ml_no_separation_and_no_convergence_raises(arrays, monkeypatch):
    x, y = arrays
    monkeypatch.setattr(profile_module, "newton_maximize", lambda f, g, h, b: (b, 0))
    with pytest.raises(ConvergenceError, match="Not converged: Newton-Raphson"):
        fit_ml(x, y, np.ones(len(y)), ["(Intercept)", *PREDICTORS], max_iter=1)


# Firth


def test_firth_note_says_converged(survey):
    fit = fit_risk_factors(survey, "lbp_12m", PREDICTORS, method="firth")
    assert fit.convergence is fit.model.convergence and fit.convergence.converged
    assert "Converged: Firth's penalised Newton-Raphson" in fit.notes[-1]


def test_firth_stopped_early_is_polished(arrays):
    x, y = arrays
    tight = firth_fit(x, y)
    polished = firth_fit(x, y, max_iter=2)
    assert polished.convergence.converged
    assert "(2 iterations), then Newton steps" in polished.convergence.note
    np.testing.assert_allclose(polished.beta, tight.beta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(polished.cov, tight.cov, rtol=1e-8)
    assert polished.penalized_loglik == pytest.approx(tight.penalized_loglik, rel=1e-12)


def test_firth_separated_data_converge():
    x = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1.0]])
    fit = firth_fit(x, np.array([0, 0, 0, 1, 1, 1.0]))
    assert fit.convergence.converged and fit.convergence.gradient < 1e-10


def test_firth_not_converging_raises(arrays, monkeypatch):
    x, y = arrays
    monkeypatch.setattr(firth_module, "newton_maximize", lambda f, g, h, b: (b, 0))
    with pytest.raises(ConvergenceError, match="Not converged: Firth"):
        firth_fit(x, y, max_iter=1)


# survey-weighted


def test_survey_note_says_converged(survey):
    fit = fit_risk_factors(survey, "lbp_12m", PREDICTORS, design=DESIGN)
    assert fit.convergence.converged
    assert fit.notes[-1].startswith(
        "Converged: Newton-Raphson on the design-weighted score to relative gradient"
    )


def test_survey_stopped_early_is_polished(survey, arrays):
    x, y = arrays
    tight = svyglm_logistic(x, y, DESIGN, survey)
    polished = svyglm_logistic(x, y, DESIGN, survey, max_iter=1)
    assert polished.convergence.converged
    assert "then Newton steps" in polished.notes[-1]
    np.testing.assert_allclose(polished.beta, tight.beta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(polished.cov, tight.cov, rtol=1e-8)


def test_survey_separation_raises_with_the_check():
    data = pd.DataFrame({"x": [0.0, 0, 0, 1, 1, 1] * 3, "w": 1.0 + np.arange(18) % 3})
    x = np.column_stack([np.ones(18), data["x"]])
    with pytest.raises(ConvergenceError, match="Not converged: Newton-Raphson"):
        svyglm_logistic(x, data["x"].to_numpy(), SurveyDesign(weights="w"), data)


# multiple imputation


def _with_missing(survey: pd.DataFrame) -> pd.DataFrame:
    data = survey[["lbp_12m", *PREDICTORS]].copy()
    rng = np.random.default_rng(4)
    data.loc[rng.random(len(data)) < 0.15, "weekly_km"] = np.nan
    return data


def test_fit_with_imputation_summarises_the_fits(survey):
    res = fit_with_imputation(_with_missing(survey), "lbp_12m", PREDICTORS, m=3, seed=1)
    assert res.notes[-1].startswith(
        "Each of the 4 fits (complete cases and 3 imputations) converged (score and hessian"
    )
    assert "max relative gradient" in res.notes[-1]


def test_fit_with_imputation_custom_fit_is_not_checked(survey):
    def means(frame):
        return frame[["age"]].mean(), frame[["age"]].std() / np.sqrt(len(frame))

    res = fit_with_imputation(_with_missing(survey), "lbp_12m", PREDICTORS, m=2, seed=1, fit=means)
    assert "was not checked" in res.notes[-1]


def test_risk_factors_impute_summarises_the_fits(survey):
    fit = fit_risk_factors(
        _with_missing(survey), "lbp_12m", PREDICTORS, missing="impute", imputations=3
    )
    assert fit.notes[-1].startswith("Each of the 3 imputed fits converged")
    assert fit.complete_case.notes[-1].startswith("Converged:")


def test_risk_factors_impute_polishes_every_fit(survey, monkeypatch):
    data = _with_missing(survey)
    tight = fit_risk_factors(data, "lbp_12m", PREDICTORS, missing="impute", imputations=3)
    _early_newton(monkeypatch)
    polished = fit_risk_factors(data, "lbp_12m", PREDICTORS, missing="impute", imputations=3)
    assert polished.notes[-1].startswith("Each of the 3 imputed fits converged")
    np.testing.assert_allclose(
        polished.table["estimate"], tight.table["estimate"], rtol=1e-10, atol=1e-12
    )


def test_summary_of_failed_checks():
    good = ConvergenceCheck(
        converged=True, gradient=1e-14, step=1e-15, iterations=4, method="IRLS", note=""
    )
    bad = ConvergenceCheck(
        converged=False, gradient=1e-3, step=0.5, iterations=100, method="IRLS", note=""
    )
    ok, note = summarize_checks([good, bad, good], "the 3 imputed fits")
    assert not ok
    assert note.startswith("Not converged: 1 of the 3 imputed fits stopped above tolerance")


# calibration


def test_val_prob_notes_the_recalibration_fit():
    rng = np.random.default_rng(2)
    p = rng.uniform(0.05, 0.95, 300)
    y = (rng.random(300) < p).astype(float)
    result = val_prob(p, y)
    assert result.notes[0].startswith("Converged: recalibration Newton-Raphson")


def test_val_prob_separated_outcomes_warn_not_converged():
    p = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    y = np.array([0, 0, 0, 1, 1, 1.0])
    with pytest.warns(LbprunWarning, match="Not converged: recalibration"):
        result = val_prob(p, y)
    assert result.notes[0].startswith("Not converged")
