"""Tests for heterogeneity of the random-intercept logistic model (metafor ``rma.glmm``).

``rma.glmm(measure = "PLO")`` reports two tests that the study logits are homogeneous given the
moderators, each on k - p degrees of freedom:

* the likelihood-ratio test ``QE.LRT`` = 2 (l_sat - l_FE): the saturated model (one logit per
  study) against the fixed-effects logistic model :math:`x_i \\sim \\mathrm{Bin}(n_i,
  \\mathrm{expit}(x_i^\\top\\beta))` (the binomial deviance G² of that model);
* the Wald-type test ``QE.Wld``: the Wald statistic of the extra coefficients of the saturated
  model. It equals the weighted residual sum of squares
  :math:`\\sum_i w_i (y_i - x_i^\\top\\hat\\beta_w)^2` of the uncorrected study logits
  :math:`y_i` with :math:`w_i = 1/(1/x_i + 1/(n_i - x_i))`; a study with 0 or n cases has an
  infinite logit with zero weight in the saturated model and adds nothing, as in metafor.

Examples
--------
>>> import numpy as np
>>> t = heterogeneity_tests(np.array([4.0, 10.0, 9.0]), np.array([40.0, 60.0, 120.0]))
>>> round(t["q_wald"], 4), round(t["q_lrt"], 4), t["q_df"]  # rma.glmm: 3.450064, 3.374863
(3.4501, 3.3749, 2)
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from lbprun.exceptions import ConvergenceError

__all__ = ["fit_logistic", "heterogeneity_tests"]


def fit_logistic(x: np.ndarray, n: np.ndarray, design: np.ndarray) -> tuple[np.ndarray, float]:
    """Fixed-effects logistic regression of x cases out of n by Newton's method.

    Returns the coefficients and the log-likelihood (binomial, with the binomial coefficient).
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    design = np.asarray(design, dtype=float)
    p0 = (x.sum() + 0.5) / (n.sum() + 1.0)
    beta = np.zeros(design.shape[1])
    beta[0] = np.log(p0 / (1.0 - p0))
    for _ in range(100):
        prob = special.expit(design @ beta)
        grad = design.T @ (x - n * prob)
        info = design.T @ (design * (n * prob * (1.0 - prob))[:, None])
        step = np.linalg.solve(info, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12:
            break
    else:  # pragma: no cover - the logistic likelihood is concave
        raise ConvergenceError("Fixed-effects logistic model: Newton's method did not converge.")
    return beta, _binomial_loglik(x, n, special.expit(design @ beta))


def _binomial_loglik(x: np.ndarray, n: np.ndarray, prob: np.ndarray) -> float:
    lchoose = special.gammaln(n + 1.0) - special.gammaln(x + 1.0) - special.gammaln(n - x + 1.0)
    return float(np.sum(lchoose + special.xlogy(x, prob) + special.xlog1py(n - x, -prob)))


def heterogeneity_tests(
    x: np.ndarray, n: np.ndarray, design: np.ndarray | None = None
) -> dict[str, float]:
    """Wald-type and likelihood-ratio tests for (residual) heterogeneity, as ``rma.glmm``.

    Returns ``q_wald, q_wald_p, q_lrt, q_lrt_p, q_df`` (the p-values from the chi-squared
    distribution on ``q_df = k - p`` degrees of freedom; 1 when k = p, as metafor).
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    k = len(x)
    design = np.ones((k, 1)) if design is None else np.asarray(design, dtype=float)
    df = k - design.shape[1]
    _, ll_fe = fit_logistic(x, n, design)
    ll_sat = _binomial_loglik(x, n, x / n)
    q_lrt = max(0.0, 2.0 * (ll_sat - ll_fe))
    inner = (x > 0) & (x < n)
    y = np.log(x[inner] / (n[inner] - x[inner]))
    w = 1.0 / (1.0 / x[inner] + 1.0 / (n[inner] - x[inner]))
    xd = design[inner]
    beta = np.linalg.lstsq(xd * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
    q_wald = max(0.0, float(np.sum(w * (y - xd @ beta) ** 2)))
    return {
        "q_wald": q_wald,
        "q_wald_p": float(stats.chi2.sf(q_wald, df)) if df > 0 else 1.0,
        "q_lrt": q_lrt,
        "q_lrt_p": float(stats.chi2.sf(q_lrt, df)) if df > 0 else 1.0,
        "q_df": df,
    }
