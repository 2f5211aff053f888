"""Random- and mixed-effects models for effect sizes (metafor's ``rma.uni``).

The heterogeneity variance tau² is found by solving each estimator's equation to machine
precision with Brent's method rather than by iterating to a threshold:

* ``"DL"`` (DerSimonian–Laird): :math:`\\tau^2 = \\max\\{0, (Q - (k-p)) / \\mathrm{tr}(P_0)\\}`,
* ``"PM"`` (Paule–Mandel): :math:`y^\\top P(\\tau^2) y = k - p`,
* ``"ML"``: :math:`y^\\top P^2 y = \\mathrm{tr}(W)`,
* ``"REML"``: :math:`y^\\top P^2 y = \\mathrm{tr}(P)`,

with :math:`W = \\mathrm{diag}\\{1/(v_i+\\tau^2)\\}` and
:math:`P = W - WX(X^\\top WX)^{-1}X^\\top W`. Where the equation has no root above 0, tau² is 0,
as in metafor.

The equal-effects model (``"EE"``, alias ``"FE"``, metafor ``method = "EE"``) fixes tau² at 0;
metafor then reports :math:`I^2 = \\max\\{0, 100 (Q - (k-p))/Q\\}` and :math:`H^2 = Q/(k-p)`.
With ``weighted=False`` the coefficients are the unweighted least-squares fit with the
covariance :math:`(X^\\top X)^{-1} X^\\top \\mathrm{diag}(v_i + \\tau^2) X (X^\\top X)^{-1}`
(metafor ``weighted = FALSE``); tau², Q, I² and H² are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from lbprun.exceptions import ConvergenceError

__all__ = ["EE_METHODS", "TAU2_METHODS", "UniFit", "fit_uni"]

TAU2_METHODS = ("REML", "DL", "PM", "ML")
#: Equal-effects (common-effect) model: tau² = 0 (metafor "EE"; "FE" is its older name).
EE_METHODS = ("EE", "FE")


@dataclass(frozen=True)
class UniFit:
    """A fitted random/mixed-effects model on the link scale."""

    beta: np.ndarray
    vb: np.ndarray
    tau2: float
    qe: float
    qe_p: float
    qm: float
    qm_df: int
    qm_p: float
    i2: float
    h2: float
    vt: float
    k: int
    p: int
    crit: float
    dfs: float

    @property
    def se(self) -> np.ndarray:
        """Standard errors of the coefficients."""
        return np.sqrt(np.diag(self.vb))


def _p_matrix(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    wx = x * w[:, None]
    return np.diag(w) - wx @ np.linalg.solve(x.T @ wx, wx.T)


def _score(tau2: float, y: np.ndarray, v: np.ndarray, x: np.ndarray, method: str) -> float:
    w = 1.0 / (v + tau2)
    p_mat = _p_matrix(x, w)
    py = p_mat @ y
    if method == "PM":
        return float(y @ py) - (len(y) - x.shape[1])
    if method == "ML":
        return float(py @ py) - float(w.sum())
    return float(py @ py) - float(np.trace(p_mat))


def _solve_tau2(y: np.ndarray, v: np.ndarray, x: np.ndarray, method: str) -> float:
    if method in EE_METHODS:
        return 0.0
    if method == "DL":
        p0 = _p_matrix(x, 1.0 / v)
        qe = float(y @ p0 @ y)
        return max(0.0, (qe - (len(y) - x.shape[1])) / float(np.trace(p0)))
    if _score(0.0, y, v, x, method) <= 0.0:
        return 0.0
    upper = max(float(np.var(y)), float(np.max(v)), 1e-8)
    for _ in range(200):
        if _score(upper, y, v, x, method) < 0.0:
            break
        upper *= 2.0
    else:  # pragma: no cover - the score is negative for large tau2 whenever k > p
        raise ConvergenceError(f"tau2 ({method}): no upper bracket found below {upper!r}.")
    return float(
        optimize.brentq(
            _score, 0.0, upper, args=(y, v, x, method), xtol=1e-300, rtol=1e-15, maxiter=500
        )
    )


def fit_uni(
    y: np.ndarray,
    v: np.ndarray,
    x: np.ndarray | None = None,
    *,
    method: str = "REML",
    knha: bool = False,
    level: float = 0.95,
    weighted: bool = True,
) -> UniFit:
    """Fit ``y ~ X`` with known sampling variances ``v`` and random effects (``rma.uni``).

    The test of moderators covers every coefficient but the first (the intercept); with
    ``knha=True`` the covariance is scaled by :math:`y^\\top P y/(k-p)` and tests use the t and F
    distributions on k - p degrees of freedom (metafor ``test="knha"``). ``weighted=False``
    gives the unweighted estimates (not with ``knha``).
    """
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    k = len(y)
    x = np.ones((k, 1)) if x is None else np.asarray(x, dtype=float)
    p = x.shape[1]
    tau2 = _solve_tau2(y, v, x, method)
    w = 1.0 / (v + tau2)
    wx = x * w[:, None]
    vb = np.linalg.inv(x.T @ wx)
    beta = vb @ (wx.T @ y)
    if not weighted:
        xtx_inv = np.linalg.inv(x.T @ x)
        beta = xtx_inv @ (x.T @ y)
        vb = xtx_inv @ (x.T @ (x * (v + tau2)[:, None])) @ xtx_inv
    p0 = _p_matrix(x, 1.0 / v)
    qe = float(y @ p0 @ y)
    df_e = k - p
    qe_p = float(stats.chi2.sf(qe, df_e)) if df_e > 0 else float("nan")
    vt = df_e / float(np.trace(p0)) if df_e > 0 else float("nan")
    i2 = 100.0 * tau2 / (vt + tau2)
    h2 = (tau2 + vt) / vt
    if method in EE_METHODS and df_e > 0:
        i2 = max(0.0, 100.0 * (qe - df_e) / qe) if qe > 0 else 0.0
        h2 = qe / df_e
    alpha = 1.0 - level
    if knha:
        p_mat = _p_matrix(x, w)
        vb = vb * float(y @ p_mat @ y) / df_e
        dfs = float(df_e)
        crit = float(stats.t.ppf(1.0 - alpha / 2.0, df_e))
    else:
        dfs = float("inf")
        crit = float(stats.norm.ppf(1.0 - alpha / 2.0))
    qm, qm_p = float("nan"), float("nan")
    if p > 1:
        b2 = beta[1:]
        qm = float(b2 @ np.linalg.solve(vb[1:, 1:], b2))
        if knha:
            qm /= p - 1
            qm_p = float(stats.f.sf(qm, p - 1, df_e))
        else:
            qm_p = float(stats.chi2.sf(qm, p - 1))
    return UniFit(
        beta=beta,
        vb=vb,
        tau2=tau2,
        qe=qe,
        qe_p=qe_p,
        qm=qm,
        qm_df=p - 1,
        qm_p=qm_p,
        i2=i2,
        h2=h2,
        vt=vt,
        k=k,
        p=p,
        crit=crit,
        dfs=dfs,
    )
