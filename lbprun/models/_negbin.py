"""NB2 regression by full Newton steps on :math:`(\\beta, \\log\\theta)` (internal).

The negative-binomial (NB2) log-likelihood with mean :math:`\\mu_i = \\exp(o_i + x_i^T\\beta)`
and variance :math:`\\mu + \\alpha\\mu^2`, :math:`\\theta = 1/\\alpha` (R's ``theta``), its
analytic score and hessian, and the fit used by
:func:`lbprun.models.rates.fit_rate_model` with ``family="negbin"``. The formulas of the
:math:`\\theta` derivatives are those of ``MASS::theta.ml``.

Examples
--------
>>> import numpy as np
>>> y = np.array([0.0, 2.0, 5.0, 1.0, 9.0, 3.0])
>>> x = np.column_stack([np.ones(6), [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]])
>>> fit = fit_negbin(y, x, np.zeros(6))
>>> np.round(np.exp(np.cumsum(fit.params)), 4).tolist()  # NB2 MLE: the two group means
[2.3333, 4.3333]
>>> fit.convergence.converged
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import special

from lbprun.models._convergence import ConvergenceCheck, check_convergence, newton_maximize

__all__ = ["NegbinFit", "fit_negbin", "nb2_derivatives", "nb2_loglike"]

#: Above this theta (alpha below 1e-8) the data show no overdispersion.
THETA_MAX = 1e8


@dataclass(frozen=True, kw_only=True)
class NegbinFit:
    """Maximum likelihood NB2 fit.

    Parameters
    ----------
    params : numpy.ndarray
        :math:`\\hat\\beta`.
    std_error : numpy.ndarray
        SEs of :math:`\\hat\\beta` with :math:`\\theta` fixed, from the expected information
        :math:`X^T W X`, :math:`W = \\mu / (1 + \\alpha\\mu)` (``summary(MASS::glm.nb)``).
    theta, theta_std_error : float
        :math:`\\hat\\theta` and its SE with :math:`\\beta` fixed, from the observed
        information of :math:`\\theta` (``glm.nb``'s ``theta`` and ``SE.theta``).
    alpha, alpha_std_error : float
        :math:`1/\\hat\\theta` and its delta-method SE :math:`SE(\\hat\\theta)/\\hat\\theta^2`.
    joint_covariance : numpy.ndarray
        Inverse observed information of :math:`(\\beta, \\alpha)` jointly (statsmodels'
        ``NegativeBinomial`` ``cov_params()``).
    loglike : float
        Maximised log-likelihood.
    convergence : ConvergenceCheck
        Gradient and Newton step at the estimate.
    boundary : bool
        :math:`\\hat\\theta` ran off to infinity (no overdispersion; the fit is Poisson).
    """

    params: np.ndarray
    std_error: np.ndarray
    theta: float
    theta_std_error: float
    alpha: float
    alpha_std_error: float
    joint_covariance: np.ndarray
    loglike: float
    convergence: ConvergenceCheck
    boundary: bool


def nb2_loglike(y: np.ndarray, x: np.ndarray, offset: np.ndarray, params: np.ndarray) -> float:
    """NB2 log-likelihood at ``params = (beta, log theta)``."""
    beta, theta = params[:-1], float(np.exp(params[-1]))
    eta = offset + x @ beta
    mu = np.exp(eta)
    terms = (
        special.gammaln(y + theta)
        - special.gammaln(theta)
        - special.gammaln(y + 1.0)
        - theta * np.log1p(mu / theta)
        + y * (eta - np.log(theta) - np.log1p(mu / theta))
    )
    return float(np.sum(terms))


def nb2_derivatives(
    y: np.ndarray, x: np.ndarray, offset: np.ndarray, params: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Score and hessian of :func:`nb2_loglike` with respect to ``(beta, log theta)``."""
    beta, theta = params[:-1], float(np.exp(params[-1]))
    mu = np.exp(offset + x @ beta)
    denom = theta + mu
    score_beta = x.T @ ((y - mu) * theta / denom)
    score_theta = float(
        np.sum(
            special.digamma(theta + y)
            - special.digamma(theta)
            - np.log1p(mu / theta)
            + (mu - y) / denom
        )
    )
    h_bb = -(x.T * (mu * theta * (theta + y) / denom**2)) @ x
    h_bt = x.T @ ((y - mu) * mu / denom**2)
    h_tt = float(
        np.sum(
            special.polygamma(1, theta + y)
            - special.polygamma(1, theta)
            + mu / (theta * denom)
            + (y - mu) / denom**2
        )
    )
    k = x.shape[1]
    score = np.append(score_beta, theta * score_theta)
    hessian = np.empty((k + 1, k + 1))
    hessian[:k, :k] = h_bb
    hessian[:k, k] = hessian[k, :k] = theta * h_bt
    hessian[k, k] = theta**2 * h_tt + theta * score_theta
    return score, hessian


def fit_negbin(
    y: np.ndarray, x: np.ndarray, offset: np.ndarray, *, on_failure: str = "warn"
) -> NegbinFit:
    """Fit NB2 by maximum likelihood: Poisson start, then full Newton on (beta, log theta).

    The start is the Poisson fit and R's moment estimate :math:`\\theta_0 = n / \\sum (y/\\mu
    - 1)^2` (``MASS::glm.nb``); Newton steps with step halving run until one more step is
    below 1e-12 relative, and :func:`~lbprun.models._convergence.check_convergence` verifies
    the relative gradient (1e-10) and the step (1e-12) at the estimate.
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    offset = np.asarray(offset, dtype=float)
    poisson = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(tol=1e-10)
    mu = np.exp(offset + x @ np.asarray(poisson.params))
    spread = float(np.sum((y / mu - 1.0) ** 2))
    theta0 = min(y.size / spread, THETA_MAX) if spread > 0 else THETA_MAX
    start = np.append(np.asarray(poisson.params, dtype=float), np.log(theta0))

    def loglike(p: np.ndarray) -> float:
        return nb2_loglike(y, x, offset, p)

    def score(p: np.ndarray) -> np.ndarray:
        return nb2_derivatives(y, x, offset, p)[0]

    def hessian(p: np.ndarray) -> np.ndarray:
        return nb2_derivatives(y, x, offset, p)[1]

    params, iterations = newton_maximize(loglike, score, hessian, start, maxiter=200)
    boundary = bool(np.exp(params[-1]) > THETA_MAX)
    g, h = nb2_derivatives(y, x, offset, params)
    value = loglike(params)
    check = check_convergence(
        g,
        h,
        params,
        value,
        method="Newton steps",
        iterations=iterations,
        on_failure="ignore" if boundary else on_failure,
    )
    beta, theta = params[:-1], float(np.exp(params[-1]))
    mu = np.exp(offset + x @ beta)
    weights = mu / (1.0 + mu / theta)
    std_error = np.sqrt(np.diag(np.linalg.inv((x.T * weights) @ x)))
    info_theta = -(h[-1, -1] - theta * g[-1]) / theta**2
    theta_se = float(1.0 / np.sqrt(info_theta)) if info_theta > 0 else float("nan")
    jacobian = np.eye(params.size)
    jacobian[-1, -1] = -1.0 / theta  # d alpha / d log theta
    try:
        cov_log = np.linalg.inv(-h)
        joint = jacobian @ cov_log @ jacobian.T
    except np.linalg.LinAlgError:
        joint = np.full_like(h, np.nan)
    return NegbinFit(
        params=beta,
        std_error=std_error,
        theta=theta,
        theta_std_error=theta_se,
        alpha=1.0 / theta,
        alpha_std_error=theta_se / theta**2,
        joint_covariance=joint,
        loglike=value,
        convergence=check,
        boundary=boundary,
    )
