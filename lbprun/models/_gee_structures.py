"""Working correlation structures of :func:`lbprun.models.gee.fit_gee` beyond statsmodels' own:
R ``geepack``'s AR(1) moment estimator and a fixed (user-given) correlation matrix.

Both are statsmodels ``CovStruct`` subclasses used by ``statsmodels.api.GEE``.

Examples
--------
>>> import numpy as np
>>> fixed = FixedCorrelation(np.array([[1.0, 0.5], [0.5, 1.0]]))
>>> fixed.dep_params.tolist()
[[1.0, 0.5], [0.5, 1.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import statsmodels.api as sm

from lbprun._checks import ArgumentError

__all__ = ["FixedCorrelation", "GeepackAutoregressive", "check_fixed_matrix", "geepack_ar1"]


def geepack_ar1(products: np.ndarray, lags: np.ndarray, start: float = 0.5) -> float:
    """Root of geepack's AR(1) estimating equation
    :math:`\\sum d\\,\\alpha^{d-1}(z - \\alpha^d) = 0` over all within-cluster pairs.

    Parameters
    ----------
    products : numpy.ndarray
        :math:`z = r_j r_k / \\phi` for every pair of one cluster's Pearson residuals.
    lags : numpy.ndarray
        Their distances :math:`d = |j - k| \\ge 1`.
    start : float, default=0.5
        Starting value of the Gauss-Newton iterations.

    Returns
    -------
    float
        The estimate of :math:`\\alpha` (Gauss-Newton to a step below 1e-14).

    Examples
    --------
    >>> round(geepack_ar1(np.array([0.5, 0.25]), np.array([1, 2])), 12)
    0.5
    """
    alpha = float(np.clip(start, -0.99, 0.99))
    for _ in range(200):
        power = alpha ** (lags - 1.0)
        grad = lags * power
        step = float(np.sum(grad * (products - power * alpha)) / np.sum(grad**2))
        alpha = float(np.clip(alpha + step, -0.999999, 0.999999))
        if abs(step) < 1e-14:
            break
    return alpha


class GeepackAutoregressive(sm.cov_struct.Autoregressive):
    """AR(1) working correlation whose parameter is estimated as R ``geepack::geeglm`` does.

    :math:`\\phi = \\sum r^2 / N` (no degrees-of-freedom correction) and :math:`\\alpha` solves
    :math:`\\sum_i \\sum_{j<k} d_{jk}\\alpha^{d_{jk}-1}(r_{ij}r_{ik}/\\phi - \\alpha^{d_{jk}}) = 0`
    over all pairs of a cluster, :math:`d_{jk}` their distance in observation order (geepack's
    estimating equation for the correlation with the identity link). statsmodels' own
    ``Autoregressive`` fits lag-wise moment estimates by weighted least squares instead.
    """

    def __init__(self) -> None:
        super().__init__(grid=False)

    def update(self, params: Any) -> None:
        model = self.model
        variance = model.family.variance
        ssr, nobs, products, lags = 0.0, 0, [], []
        for i in range(model.num_group):
            mean, _ = model.cached_means[i]
            resid = (model.endog_li[i] - mean) / np.sqrt(variance(mean))
            ssr += float(np.sum(resid**2))
            nobs += resid.size
            j, k = np.triu_indices(resid.size, 1)
            products.append(resid[j] * resid[k])
            lags.append((k - j).astype(float))
        if not products or not np.concatenate(lags).size:
            self.dep_params = 0.0
            return
        phi = ssr / nobs
        start = 0.5 if self.dep_params in (None, 0) else float(self.dep_params)
        self.dep_params = geepack_ar1(np.concatenate(products) / phi, np.concatenate(lags), start)

    def summary(self) -> str:
        return f"Autoregressive(1) parameter (geepack estimator): {self.dep_params:.4f}"


class FixedCorrelation(sm.cov_struct.CovStruct):
    """A working correlation matrix given by the user, as R ``geeglm(corstr = "fixed")``.

    Row and column ``t`` of ``matrix`` belong to the ``t``-th occasion: the position of an
    observation's time value among the sorted distinct time values (``positions`` per cluster,
    set by :func:`lbprun.models.gee.fit_gee`).
    """

    def __init__(self, matrix: np.ndarray) -> None:
        super().__init__()
        self.dep_params = np.asarray(matrix, dtype=float)
        self.positions: list[np.ndarray] = []

    def update(self, params: Any) -> None:
        return None

    def covariance_matrix(self, endog_expval: Any, index: int) -> tuple[np.ndarray, bool]:
        where = self.positions[index]
        return self.dep_params[np.ix_(where, where)], True

    def summary(self) -> str:
        return f"Fixed working correlation ({self.dep_params.shape[0]} occasions)"


def check_fixed_matrix(matrix: Any, clock: np.ndarray) -> np.ndarray:
    """``matrix`` checked as a correlation matrix of one row per distinct time value."""
    try:
        out = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        out = np.full((0, 0), np.nan)
    k = np.unique(clock).size
    if (
        out.shape != (k, k)
        or not np.isfinite(out).all()
        or not np.allclose(out, out.T)
        or not np.allclose(np.diag(out), 1.0)
        or np.linalg.eigvalsh(out).min() <= 0
    ):
        raise ArgumentError(
            "working_correlation must be a symmetric positive-definite correlation matrix of "
            f"{k} x {k} (one row per time value); got shape {out.shape}."
        )
    return out
