"""GEE against R ``geepack::geeglm`` on ``geepack::seizure`` (Poisson with a log-exposure
offset; exchangeable, AR(1) and fixed working correlations), tests/reference/r/geepack_seizure.R."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lbprun._checks import ArgumentError
from lbprun.exceptions import ConvergenceError
from lbprun.models._gee_structures import geepack_ar1
from lbprun.models.gee import fit_gee

#: geeglm refitted to epsilon = 1e-12: coefficients, robust SEs, correlation (absolute).
GEE_ABS = 1e-6
PREDICTORS = ["post", "trt", "post_trt", "age"]


@pytest.fixture(scope="module")
def seizure(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "seizure_long.csv")


@pytest.fixture(scope="module")
def expected(reference_dir) -> dict:
    return json.loads((reference_dir / "expected" / "geepack_seizure.json").read_text())


def _fit(data, expected, correlation, estimator="geepack"):
    fixed = np.reshape(expected["fixed_matrix"], (5, 5)) if correlation == "fixed" else None
    return fit_gee(
        data,
        "seizures",
        PREDICTORS,
        groups="id",
        time="period",
        family="poisson",
        exposure="weeks",
        correlation=correlation,
        working_correlation=fixed,
        correlation_estimator=estimator,
    )


@pytest.mark.parametrize("correlation", ["exchangeable", "ar1", "fixed"])
def test_fit_gee_matches_geepack(seizure, expected, correlation):
    ref = expected[correlation]
    assert ref["convergence"]["error"] == 0
    res = _fit(seizure, expected, correlation)
    table = res.to_frame(scale="log_rate")
    assert ["(Intercept)", *PREDICTORS] == ref["terms"] == table["term"].tolist()
    np.testing.assert_allclose(table["estimate"], ref["estimate"], rtol=0, atol=GEE_ABS)
    np.testing.assert_allclose(table["std_error"], ref["robust_std_error"], rtol=0, atol=GEE_ABS)
    cov = np.reshape(ref["vbeta"], (5, 5), order="F")
    np.testing.assert_allclose(res.model.cov_robust, cov, rtol=0, atol=GEE_ABS**2)
    alpha = res.glance()["working_correlation"][0]
    if correlation == "fixed":
        assert np.isnan(alpha)
    else:
        assert abs(alpha - ref["alpha"]) < GEE_ABS
    assert res.exposure == "weeks" and res.correlation_estimator == "geepack"


def test_statsmodels_exchangeable_estimator_keeps_p_in_the_df(seizure, expected):
    """statsmodels divides by N - p and n_pairs - p; geepack by N and n_pairs."""
    sm_fit = _fit(seizure, expected, "exchangeable", estimator="statsmodels")
    gp_fit = _fit(seizure, expected, "exchangeable")
    resid = gp_fit.model.resid_pearson
    ids = seizure["id"].to_numpy()
    n, p = len(resid), 5
    pairs = sum(r.sum() ** 2 - (r**2).sum() for r in (resid[ids == g] for g in np.unique(ids)))
    gp_alpha = pairs / 2 / ((resid**2).sum() / n) / (59 * 10)
    assert gp_fit.glance()["working_correlation"][0] == pytest.approx(gp_alpha, rel=1e-10)
    assert sm_fit.glance()["working_correlation"][0] != pytest.approx(gp_alpha, rel=1e-3)
    # the fixed structure does not depend on the estimator
    a = _fit(seizure, expected, "fixed", estimator="statsmodels").to_frame()
    b = _fit(seizure, expected, "fixed").to_frame()
    pd.testing.assert_frame_equal(a, b)
    assert p == len(PREDICTORS) + 1


def test_statsmodels_ar1_failure_is_a_convergence_error(seizure, expected):
    with pytest.raises(ConvergenceError, match="correlation_estimator='geepack'"):
        _fit(seizure, expected, "ar1", estimator="statsmodels")


def test_geepack_ar1_estimating_equation():
    assert geepack_ar1(np.array([0.6, 0.36, 0.216]), np.array([1.0, 2.0, 3.0])) == pytest.approx(
        0.6, abs=1e-12
    )


def test_identity_fixed_matrix_equals_independence(seizure):
    base = dict(groups="id", time="period", family="poisson", exposure="weeks")
    a = fit_gee(seizure, "seizures", PREDICTORS, correlation="independence", **base)
    b = fit_gee(
        seizure,
        "seizures",
        PREDICTORS,
        correlation="fixed",
        working_correlation=np.eye(5),
        **base,
    )
    np.testing.assert_allclose(a.table["estimate"], b.table["estimate"], atol=1e-10)
    np.testing.assert_allclose(a.table["std_error"], b.table["std_error"], atol=1e-10)


def test_offset_and_fixed_arguments_are_checked(seizure):
    base = dict(groups="id", time="period")
    with pytest.raises(ArgumentError, match="exposure must be used with family='poisson'"):
        fit_gee(seizure.assign(y=seizure["seizures"] > 3), "y", ["trt"], exposure="weeks", **base)
    with pytest.raises(ArgumentError, match="must be finite and > 0"):
        fit_gee(
            seizure.assign(weeks=0.0),
            "seizures",
            ["trt"],
            family="poisson",
            exposure="weeks",
            groups="id",
        )
    with pytest.raises(ArgumentError, match="working_correlation must be given exactly"):
        fit_gee(seizure, "seizures", ["trt"], family="poisson", correlation="fixed", **base)
    with pytest.raises(ArgumentError, match="5 x 5"):
        fit_gee(
            seizure,
            "seizures",
            ["trt"],
            family="poisson",
            correlation="fixed",
            working_correlation=np.eye(4),
            **base,
        )
    with pytest.raises(ArgumentError, match="time must name a column"):
        fit_gee(
            seizure,
            "seizures",
            ["trt"],
            groups="id",
            correlation="fixed",
            working_correlation=np.eye(5),
        )
    with pytest.raises(ArgumentError, match="correlation_estimator"):
        fit_gee(seizure, "seizures", ["trt"], family="poisson", correlation_estimator="gee")
