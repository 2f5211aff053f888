"""Random-intercept logistic model for proportions (metafor ``rma.glmm(measure = "PLO")``).

Study i has :math:`x_i \\sim \\mathrm{Bin}(n_i, \\mathrm{expit}(\\mu + b_i))` with
:math:`b_i \\sim N(0, \\tau^2)`. The marginal likelihood of each study is integrated over
:math:`b_i` by adaptive Gauss–Hermite quadrature centred at the conditional mode of
:math:`b_i` and scaled by its curvature, as lme4's ``glmer(nAGQ = q)`` does (one node is the
Laplace approximation); ``(mu, log tau)`` are found by maximising the summed log-likelihood.

With a design matrix (``design=``, metafor ``rma.glmm(mods = ...)``) the linear predictor is
:math:`x_i^\\top\\beta + b_i` and ``(beta, log tau)`` are estimated together.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from lbprun.exceptions import ConvergenceError

__all__ = ["GlmmFit", "fit_glmm"]


@dataclass(frozen=True)
class GlmmFit:
    """Maximum-likelihood fit of the random-intercept logistic model.

    ``mu`` and ``se`` are the first coefficient (the intercept) and its standard error;
    ``beta`` and ``vb`` hold every coefficient and their covariance.
    """

    mu: float
    se: float
    tau2: float
    loglik: float
    n_nodes: int
    beta: np.ndarray | None = None
    vb: np.ndarray | None = None


def _modes(
    mu: float | np.ndarray, tau: float, x: np.ndarray, n: np.ndarray, b0: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Conditional modes of the random intercepts and the curvature there.

    The score :math:`x - n\\,\\mathrm{expit}(\\mu + b) - b/\\tau^2` decreases in b and changes
    sign in :math:`[(x - n)\\tau^2, x\\tau^2]`; Newton steps that leave the current bracket are
    replaced by bisection, so the root is found even for 0 or n cases and a large tau.
    ``b0`` (the modes at nearby parameters) only speeds the search up.
    """
    tau2 = tau * tau
    lo = np.minimum((x - n) * tau2, 0.0) - 1e-12
    hi = np.maximum(x * tau2, 0.0) + 1e-12
    b = np.clip(np.zeros_like(x) if b0 is None else b0, lo, hi)
    for _ in range(200):
        p = special.expit(mu + b)
        grad = x - n * p - b / tau2
        lo = np.where(grad > 0.0, b, lo)
        hi = np.where(grad < 0.0, b, hi)
        hess = -n * p * (1.0 - p) - 1.0 / tau2
        new = b - grad / hess
        outside = (new < lo) | (new > hi)
        new = np.where(outside, 0.5 * (lo + hi), new)
        step = new - b
        b = new
        if np.max(np.abs(step)) < 1e-13 * max(1.0, float(np.max(np.abs(b)))):
            break
    p = special.expit(mu + b)
    return b, n * p * (1.0 - p) + 1.0 / tau2


def _loglik(
    theta: np.ndarray,
    x: np.ndarray,
    n: np.ndarray,
    nodes,
    weights,
    lchoose,
    design=None,
    cache: dict | None = None,
) -> float:
    log_tau = float(theta[-1])
    mu = float(theta[0]) if design is None else design @ theta[:-1]
    tau = np.exp(log_tau)
    b_hat, curv = _modes(mu, tau, x, n, None if cache is None else cache.get("b"))
    if cache is not None:
        cache["b"] = b_hat
    scale = np.sqrt(2.0 / curv)
    b = b_hat[:, None] + scale[:, None] * nodes[None, :]
    eta = np.reshape(mu, (-1, 1)) + b
    log_f = (
        lchoose[:, None]
        + x[:, None] * eta
        - n[:, None] * np.logaddexp(0.0, eta)
        - 0.5 * (b / tau) ** 2
        - 0.5 * np.log(2.0 * np.pi)
        - log_tau
    )
    log_w = np.log(weights)[None, :] + nodes[None, :] ** 2
    a = log_f + log_w
    top = a.max(axis=1)
    per_study = top + np.log(np.exp(a - top[:, None]).sum(axis=1)) + np.log(scale)
    return float(per_study.sum())


def _hessian(fun, theta: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian."""
    k = len(theta)
    h = np.zeros((k, k))
    eye = np.eye(k) * step
    for i in range(k):
        for j in range(i, k):
            val = (
                fun(theta + eye[i] + eye[j])
                - fun(theta + eye[i] - eye[j])
                - fun(theta - eye[i] + eye[j])
                + fun(theta - eye[i] - eye[j])
            ) / (4.0 * step * step)
            h[i, j] = h[j, i] = val
    return h


def fit_glmm(
    x: np.ndarray,
    n: np.ndarray,
    *,
    n_nodes: int = 7,
    start: tuple[float, float] | None = None,
    design: np.ndarray | None = None,
) -> GlmmFit:
    """Fit the random-intercept logistic model by maximum likelihood.

    ``start`` is ``(mu, tau2)`` (by default the two-step ML estimates on the logit scale are
    not needed: a pooled logit and tau2 = 0.5 suffice). The standard error of ``mu`` comes
    from the inverse of the observed information of ``(mu, tau)``, as lme4's ``vcov``.
    ``design`` is an optional k x p model matrix whose first column is the intercept
    (metafor ``rma.glmm(mods = ...)``); the coefficients start at the fixed-effects
    logistic fit.
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    nodes, weights = np.polynomial.hermite.hermgauss(n_nodes)
    lchoose = special.gammaln(n + 1.0) - special.gammaln(x + 1.0) - special.gammaln(n - x + 1.0)
    if design is not None:
        design = np.asarray(design, dtype=float)
        from lbprun.meta._glmm_tests import fit_logistic

        beta0 = fit_logistic(x, n, design)[0]
        tau2_0 = 0.5 if start is None else start[1]
        theta0 = np.append(beta0, 0.5 * np.log(max(tau2_0, 1e-4)))
    else:
        if start is None:
            p = (x.sum() + 0.5) / (n.sum() + 1.0)
            start = (float(np.log(p / (1.0 - p))), 0.5)
        theta0 = np.array([start[0], 0.5 * np.log(max(start[1], 1e-4))])

    cache: dict = {}

    def neg(theta: np.ndarray) -> float:
        return -_loglik(theta, x, n, nodes, weights, lchoose, design, cache)

    res = optimize.minimize(
        neg, theta0, method="Nelder-Mead", options={"xatol": 1e-3, "fatol": 1e-6, "maxiter": 5000}
    )
    res = optimize.minimize(neg, res.x, method="BFGS", options={"gtol": 1e-10})
    theta = res.x
    if not np.all(np.isfinite(theta)):
        raise ConvergenceError(f"GLMM: the likelihood maximisation failed ({res.message}).")
    if theta[-1] < np.log(1e-6):
        raise ConvergenceError(
            f"GLMM: tau went to the boundary (tau = {np.exp(theta[-1])!r}); the random-intercept "
            "model is not identified for these studies. Use a two-step method."
        )
    cov = np.linalg.inv(_hessian(neg, theta))
    p = len(theta) - 1
    return GlmmFit(
        mu=float(theta[0]),
        se=float(np.sqrt(cov[0, 0])),
        tau2=float(np.exp(2.0 * theta[-1])),
        loglik=-float(res.fun),
        n_nodes=n_nodes,
        beta=theta[:p].copy(),
        vb=cov[:p, :p].copy(),
    )
