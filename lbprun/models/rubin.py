"""Rubin's rules: pooling estimates from multiply imputed data sets (Barnard–Rubin df, fraction
of missing information), with the definitions of R ``mice::pool``.

:func:`pool_rubin` is the single implementation used by
:func:`lbprun.models.imputation.fit_with_imputation` and by
``fit_risk_factors(missing="impute")``.

Examples
--------
>>> pooled = pool_rubin([[1.0], [1.2]], [[[0.04]], [[0.05]]], df_complete=48)
>>> round(float(pooled["estimate"][0]), 2), round(float(pooled["std_error"][0]), 4)
(1.1, 0.2739)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_level
from lbprun.models._tables import coefficient_table

__all__ = ["pool_rubin", "pool_rubin_cov"]


def pool_rubin(
    estimates: Any,
    variances: Any,
    *,
    df_complete: float = np.inf,
    level: float = 0.95,
    terms: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Pool ``m`` sets of estimates and variances by Rubin's rules (Barnard-Rubin df).

    Parameters
    ----------
    estimates : array-like of shape (m, p)
        Per-imputation estimates (one row per imputation).
    variances : array-like of shape (m, p) or (m, p, p)
        Their squared standard errors, or their whole covariance matrices.
    df_complete : float, default=inf
        Degrees of freedom of the complete-data analysis (``n - p`` as ``mice::pool``; inf for
        a large-sample Wald analysis).
    level : float, default=0.95
        Confidence level.
    terms : sequence of str or None, default=None
        Term names (``"x0", "x1", ...`` when None).

    Returns
    -------
    pandas.DataFrame
        ``term, estimate, ci_low, ci_high, std_error, statistic, p_value, level, df,
        within_variance, between_variance, total_variance, riv, lambda_, fmi, m``.

    Raises
    ------
    lbprun._checks.ArgumentError
        Fewer than two imputations, shapes that differ, negative or non-finite values.

    Notes
    -----
    With :math:`\\bar Q = \\frac1m\\sum q_i`, :math:`\\bar U = \\frac1m\\sum u_i`,
    :math:`B = \\frac1{m-1}\\sum (q_i - \\bar Q)^2` and :math:`T = \\bar U + (1 + 1/m) B`:
    relative increase in variance :math:`r = (1 + 1/m)B/\\bar U`, proportion of variance due
    to missingness :math:`\\lambda = (1 + 1/m)B/T`, :math:`\\nu_{old} = (m-1)/\\lambda^2`,
    :math:`\\nu_{obs} = \\frac{\\nu_{com}+1}{\\nu_{com}+3}\\nu_{com}(1-\\lambda)` and
    Barnard & Rubin's (1999) :math:`\\nu = \\nu_{old}\\nu_{obs}/(\\nu_{old}+\\nu_{obs})`
    (:math:`\\nu_{old}` when :math:`\\nu_{com}` is infinite, :math:`\\nu_{obs}` when
    :math:`B = 0`); the fraction of missing information is
    :math:`\\gamma = (r + 2/(\\nu + 3))/(r + 1)`. Intervals and p-values use Student's t with
    :math:`\\nu` df. These are the definitions of R ``mice::pool`` (``riv``, ``lambda``,
    ``fmi``, ``df``); the tests check them against hand computation. With covariance matrices
    the pooled covariance :math:`\\bar U + (1 + 1/m)B` (``B`` the between-imputation
    covariance) is returned by :func:`pool_rubin_cov`.

    Examples
    --------
    >>> pooled = pool_rubin([[1.0], [2.0], [3.0]], [[0.5], [0.5], [0.5]])
    >>> pooled[["estimate", "within_variance", "between_variance", "total_variance"]]
       estimate  within_variance  between_variance  total_variance
    0       2.0              0.5               1.0        1.833333
    """
    level = check_level(level)
    q = np.atleast_2d(np.asarray(estimates, dtype=float))
    u = np.asarray(variances, dtype=float)
    u = u if u.ndim == 3 else np.atleast_2d(u)
    diagonal = np.diagonal(u, axis1=1, axis2=2) if u.ndim == 3 else u
    if diagonal.shape != q.shape or (u.ndim == 3 and u.shape[1] != u.shape[2]):
        raise ArgumentError(
            f"estimates and variances must have the same shape; got {q.shape} and {u.shape}."
        )
    m = q.shape[0]
    if m < 2:
        raise ArgumentError(f"estimates must come from at least 2 imputations; got {m}.")
    if (diagonal < 0).any() or not np.isfinite(u).all() or not np.isfinite(q).all():
        raise ArgumentError("variances must be finite and non-negative, estimates finite.")
    return pool_rubin_cov(q, u, df_complete=df_complete, level=level, terms=terms)[0]


def pool_rubin_cov(
    estimates: np.ndarray,
    variances: np.ndarray,
    *,
    df_complete: float = np.inf,
    level: float = 0.95,
    terms: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Rubin's rules without argument checks: the :func:`pool_rubin` table and the pooled
    covariance matrix :math:`T` (diagonal when ``variances`` has shape (m, p))."""
    q = np.atleast_2d(np.asarray(estimates, dtype=float))
    u = np.asarray(variances, dtype=float)
    full = u.ndim == 3
    m = q.shape[0]
    ubar_matrix = u.mean(axis=0)
    ubar = np.diag(ubar_matrix) if full else ubar_matrix
    qbar = q.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1.0 + 1.0 / m) * b
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1.0 + 1.0 / m) * b / ubar
        lam = (1.0 + 1.0 / m) * b / t
        df_old = np.where(lam > 0, (m - 1) / lam**2, np.inf)
        if np.isinf(df_complete):
            df = df_old
        else:
            df_obs = (df_complete + 1.0) / (df_complete + 3.0) * df_complete * (1.0 - lam)
            df = np.where(np.isinf(df_old), df_obs, df_old * df_obs / (df_old + df_obs))
        fmi = (riv + 2.0 / (df + 3.0)) / (riv + 1.0)
    if full:
        between = np.cov(q, rowvar=False, ddof=1).reshape(q.shape[1], q.shape[1])
        cov = ubar_matrix + (1.0 + 1.0 / m) * between
        np.fill_diagonal(cov, t)
    else:
        cov = np.diag(t)
    names = list(terms) if terms is not None else [f"x{j}" for j in range(q.shape[1])]
    table = coefficient_table(names, qbar, np.sqrt(t), level, df=df)
    table["df"] = df
    table["within_variance"] = ubar
    table["between_variance"] = b
    table["total_variance"] = t
    table["riv"] = riv
    table["lambda_"] = lam
    table["fmi"] = fmi
    table["m"] = m
    return table, cov
