"""Negative-binomial and Poisson rate models: R's glm.nb to 1e-8, Newton derivatives,
convergence notes, and a seeded simulation."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize, stats

from lbprun.exceptions import ConvergenceError, LbprunWarning
from lbprun.models._convergence import check_convergence, newton_maximize
from lbprun.models._negbin import fit_negbin, nb2_derivatives, nb2_loglike
from lbprun.models.rates import fit_rate_model

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
#: Tight MLE against R's glm.nb(control = glm.control(epsilon = 1e-14)): absolute and relative.
TIGHT = 1e-8
#: glm.nb's $SE.theta is evaluated at theta.ml's second-to-last Newton iterate (stopping at
#: |step| < eps^0.25), so it differs from the SE at the estimate by up to ~4e-5 relative.
R_SE_THETA_REL = 1e-4
CONVERGED = re.compile(
    r"^Converged: (Newton steps|IRLS) to relative gradient \S+ \(max \|step\| \S+\) "
    r"after \d+ iterations?\.$"
)


@pytest.fixture(scope="module")
def expected():
    return json.loads((REFERENCE / "expected" / "negbin_quine.json").read_text())


def case_data(case):
    """Data, events, exposure and predictors of one case of negbin_quine.json."""
    if case == "cgd0":
        data = pd.read_csv(REFERENCE / "cgd0_counts.csv")
        return data, "infections", "futime", ["treat", "age", "steroids"]
    data = pd.read_csv(REFERENCE / "quine.csv").assign(one=1.0)
    exposure = "weeks" if case == "quine_offset" else "one"
    return data, "Days", exposure, ["Eth", "Sex", "Age", "Lrn"]


@pytest.mark.parametrize("case", ["quine", "quine_offset", "cgd0"])
def test_fit_rate_model_negbin_matches_glm_nb(expected, case):
    ref = expected[case]
    data, events, exposure, predictors = case_data(case)
    fit = fit_rate_model(data, events, exposure, predictors, family="negbin")
    table = fit.to_frame(scale="log_rate")
    assert len(table) == len(ref["terms"]) and len(data) == ref["n"]
    np.testing.assert_allclose(table["estimate"], ref["estimate"], rtol=TIGHT, atol=TIGHT)
    np.testing.assert_allclose(table["std_error"], ref["std_error"], rtol=TIGHT, atol=TIGHT)
    assert fit.theta == pytest.approx(ref["theta"], rel=TIGHT, abs=TIGHT)
    assert fit.model.llf == pytest.approx(ref["loglik"], rel=TIGHT, abs=TIGHT)
    assert fit.theta_std_error == pytest.approx(ref["SE_theta_at_estimate"], rel=TIGHT)
    assert fit.theta_std_error == pytest.approx(ref["SE_theta"], rel=R_SE_THETA_REL)
    assert fit.alpha == pytest.approx(1 / ref["theta"], rel=TIGHT)
    assert fit.alpha_std_error == pytest.approx(ref["SE_theta_at_estimate"] / ref["theta"] ** 2)
    assert fit.convergence.converged and CONVERGED.match(fit.notes[-1])


def test_fit_rate_model_negbin_offset_is_exposure(expected):
    """The offset case differs from the no-offset case and matches R's offset fit."""
    data, events, _, predictors = case_data("quine_offset")
    plain = fit_rate_model(data, events, "one", predictors, family="negbin", per=1)
    offset = fit_rate_model(data, events, "weeks", predictors, family="negbin", per=1)
    assert abs(offset.table.loc[0, "estimate"] - plain.table.loc[0, "estimate"]) > 1
    baseline = np.exp(expected["quine_offset"]["estimate"][0])
    assert offset.baseline.loc[0, "estimate"] == pytest.approx(baseline, rel=TIGHT)


def test_negbin_joint_covariance_is_statsmodels_full_hessian():
    data, events, exposure, predictors = case_data("quine")
    fit = fit_rate_model(data, events, exposure, predictors, family="negbin")
    cov = fit.joint_covariance
    assert list(cov.index) == [*fit.table["term"], "alpha"]
    np.testing.assert_allclose(cov.to_numpy(), fit.model.cov_params(), rtol=1e-10)
    np.testing.assert_allclose(np.asarray(fit.model.params)[:-1], fit.table["estimate"])
    # statsmodels' own Newton fit, run tight, agrees with lbprun to 1e-8.
    direct = sm.NegativeBinomial(fit.model.model.endog, fit.model.model.exog).fit(
        method="newton", maxiter=100, tol=1e-14, disp=0
    )
    np.testing.assert_allclose(direct.params[:-1], fit.table["estimate"], atol=TIGHT)
    assert direct.params[-1] == pytest.approx(fit.alpha, rel=TIGHT)
    # The full-hessian SEs differ slightly from R's conditional ones.
    full = np.sqrt(np.diag(cov.to_numpy()))[:-1]
    assert not np.allclose(full, fit.table["std_error"], rtol=1e-6)
    np.testing.assert_allclose(full, fit.table["std_error"], rtol=0.05)


def test_nb2_derivatives_match_finite_differences():
    rng = np.random.default_rng(5)
    n = 200
    x = np.column_stack([np.ones(n), rng.normal(size=n)])
    offset = np.log(rng.uniform(1, 3, n))
    y = rng.negative_binomial(2, 2 / (2 + np.exp(offset + 0.4 + 0.3 * x[:, 1]))).astype(float)
    point = np.array([0.3, 0.2, np.log(1.5)])
    score, hessian = nb2_derivatives(y, x, offset, point)
    numeric = optimize.approx_fprime(point, lambda p: nb2_loglike(y, x, offset, p), 1e-7)
    np.testing.assert_allclose(score, numeric, rtol=1e-5, atol=1e-4)
    for j in range(3):
        column = optimize.approx_fprime(
            point, lambda p, j=j: nb2_derivatives(y, x, offset, p)[0][j], 1e-7
        )
        np.testing.assert_allclose(hessian[j], column, rtol=1e-5, atol=1e-4)
    mu = np.exp(offset + x @ point[:2])
    theta = np.exp(point[-1])
    logpmf = stats.nbinom.logpmf(y, theta, theta / (theta + mu)).sum()
    assert nb2_loglike(y, x, offset, point) == pytest.approx(logpmf, rel=1e-12)


def test_notes_report_convergence_for_both_families():
    data, events, exposure, predictors = case_data("quine_offset")
    for family in ("poisson", "negbin"):
        fit = fit_rate_model(data, events, exposure, predictors, family=family)
        assert fit.convergence.converged
        assert fit.convergence.gradient < 1e-10 and fit.convergence.step < 1e-10
        assert sum(bool(CONVERGED.match(note)) for note in fit.notes) == 1
        assert fit.notes[-1] == fit.convergence.note
        assert fit.convergence.note in fit.summary()
    poisson = fit_rate_model(data, events, exposure, predictors)
    assert poisson.notes[-1].startswith("Converged: IRLS")
    assert poisson.theta is None and poisson.alpha == 0.0
    out = json.loads(poisson.to_json())
    assert out["convergence"]["converged"] is True and "joint_covariance" not in out


def test_negbin_summary_and_dict_report_dispersion():
    data, events, exposure, predictors = case_data("quine")
    fit = fit_rate_model(data, events, exposure, predictors, family="negbin")
    text = fit.summary()
    assert "alpha (dispersion)" in text and "theta = 1/alpha = 1.275" in text
    out = fit.to_dict()
    assert out["theta"] == pytest.approx(fit.theta)
    assert out["theta_std_error"] == pytest.approx(fit.theta_std_error)


def test_negbin_cluster_uses_statsmodels_sandwich_at_the_estimate():
    data, events, exposure, predictors = case_data("quine")
    data = data.assign(school=np.arange(len(data)) % 12)
    fit = fit_rate_model(data, events, exposure, predictors, family="negbin", cluster="school")
    plain = fit_rate_model(data, events, exposure, predictors, family="negbin")
    np.testing.assert_allclose(fit.table["estimate"], plain.table["estimate"], rtol=1e-12)
    np.testing.assert_allclose(fit.table["std_error"], np.asarray(fit.model.bse)[:-1])
    assert fit.model.cov_type == "cluster"


def test_negbin_without_overdispersion_is_noted():
    rng = np.random.default_rng(3)
    n = 400
    data = pd.DataFrame({"x": rng.integers(0, 2, n), "t": 1.0, "y": rng.binomial(4, 0.5, n)})
    with pytest.warns(LbprunWarning, match="alpha is at its boundary 0"):
        fit = fit_rate_model(data, "y", "t", "x", family="negbin")
    poisson = fit_rate_model(data, "y", "t", "x")
    assert fit.alpha < 1e-8
    np.testing.assert_allclose(fit.table["estimate"], poisson.table["estimate"], atol=1e-7)


def test_check_convergence_flags_and_raises():
    hessian = np.array([[-4.0, 1.0], [1.0, -3.0]])
    params = np.array([0.5, -2.0])
    good = check_convergence(np.array([1e-14, 0.0]), hessian, params, -50.0, iterations=3)
    assert good.converged and good.note.startswith("Converged: Newton steps")
    assert good.note.endswith("after 3 iterations.")
    bad_gradient = np.array([1e-4, 0.0])
    with pytest.warns(LbprunWarning, match="Not converged"):
        check = check_convergence(bad_gradient, hessian, params, -50.0)
    assert not check.converged and check.gradient == pytest.approx(1e-4 * 1 / 50)
    with pytest.raises(ConvergenceError, match="Not converged: IRLS stopped"):
        check_convergence(bad_gradient, hessian, params, -50.0, method="IRLS", on_failure="raise")
    singular = check_convergence(np.zeros(2), np.zeros((2, 2)), params, -50.0, on_failure="ignore")
    assert not singular.converged and singular.step == np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_convergence(bad_gradient, hessian, params, -50.0, on_failure="ignore")


def test_newton_maximize_handles_indefinite_start():
    # log-likelihood -cosh(b0) - (b1 - 1)^2: the hessian at b0 = 0 is negative definite only
    # near the optimum; start where the quartic term dominates.
    def loglike(b):
        return float(-(b[0] ** 4) + b[0] ** 2 - (b[1] - 1.0) ** 2)

    def score(b):
        return np.array([-4 * b[0] ** 3 + 2 * b[0], -2 * (b[1] - 1.0)])

    def hessian(b):
        return np.array([[-12 * b[0] ** 2 + 2, 0.0], [0.0, -2.0]])

    params, _ = newton_maximize(loglike, score, hessian, np.array([0.1, 0.0]))
    np.testing.assert_allclose(params, [np.sqrt(0.5), 1.0], atol=1e-12)


def simulate_nb(rng, n, beta, alpha):
    hours = rng.uniform(50, 300, n)
    spike = rng.integers(0, 2, n)
    mu = hours / 100 * np.exp(beta[0] + beta[1] * spike)
    y = rng.poisson(mu * rng.gamma(1 / alpha, alpha, n))
    return pd.DataFrame({"episodes": y, "hours": hours, "spike": spike})


def test_fit_negbin_recovers_known_parameters():
    rng = np.random.default_rng(2024)
    data = simulate_nb(rng, 4000, (0.3, np.log(1.5)), 0.6)
    fit = fit_rate_model(data, "episodes", "hours", "spike", family="negbin", per=100)
    table = fit.to_frame(scale="log_rate")
    truth = [0.3 - np.log(100), np.log(1.5)]  # mu = hours / 100 * exp(b0 + b1 spike)
    z = (table["estimate"] - truth) / table["std_error"]
    assert np.all(np.abs(z) < 3)
    assert abs(fit.alpha - 0.6) < 3 * fit.alpha_std_error
    direct = fit_negbin(
        data["episodes"].to_numpy(float),
        np.column_stack([np.ones(len(data)), data["spike"]]),
        np.log(data["hours"].to_numpy()),
    )
    np.testing.assert_allclose(direct.params, table["estimate"], rtol=1e-12)


@pytest.mark.slow
def test_fit_rate_model_negbin_coverage():
    """200 seeded replicates: the 95 % Wald CI of the log IRR covers in [0.92, 0.98]."""
    rng = np.random.default_rng(77)
    beta = (0.3, np.log(1.5))
    covered, alpha_covered = [], []
    for _ in range(200):
        data = simulate_nb(rng, 300, beta, 0.6)
        fit = fit_rate_model(data, "episodes", "hours", "spike", family="negbin")
        row = fit.table.iloc[1]
        covered.append(row["ci_low"] < beta[1] < row["ci_high"])
        alpha_covered.append(abs(fit.alpha - 0.6) < 1.96 * fit.alpha_std_error)
    # Binomial(200, 0.95): 0.92 and 0.98 are about 2 SDs (0.0154) from 0.95.
    assert 0.92 <= np.mean(covered) <= 0.98
    assert 0.90 <= np.mean(alpha_covered) <= 0.98
