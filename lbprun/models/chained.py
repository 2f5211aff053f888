"""Multiple imputation by chained equations with predictive mean matching (the one
imputation engine of lbprun).

:func:`impute_chained` returns ``m`` completed copies of a data set; :func:`encode_columns` and
:func:`decode_columns` carry boolean and two-level text or categorical columns through it as
0/1 and back. :func:`lbprun.models.imputation.fit_with_imputation` and
``fit_risk_factors(missing="impute")`` both use it.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> data = pd.DataFrame({"a": rng.normal(size=50), "b": rng.normal(size=50)})
>>> data.loc[:9, "b"] = np.nan
>>> completed = impute_chained(data, ["a", "b"], m=2, seed=1)
>>> len(completed), int(completed[0]["b"].isna().sum())
(2, 0)
>>> bool(set(completed[0].loc[:9, "b"]) <= set(data.loc[10:, "b"]))
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError

__all__ = ["decode_columns", "encode_columns", "impute_chained"]


def _design(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    parts = [np.ones((len(frame), 1))]
    for col in columns:
        series = frame[col]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            parts.append(series.to_numpy(dtype=float)[:, None])
        else:
            dummies = pd.get_dummies(series, drop_first=True, dtype=float)
            parts.append(dummies.to_numpy())
    return np.hstack(parts)


def _pmm_draw(
    x: np.ndarray, y: np.ndarray, observed: np.ndarray, rng: np.random.Generator, donors: int
) -> np.ndarray:
    xo, yo = x[observed], y[observed]
    xtx_inv = np.linalg.pinv(xo.T @ xo)
    beta_hat = xtx_inv @ xo.T @ yo
    resid = yo - xo @ beta_hat
    dof = max(len(yo) - x.shape[1], 1)
    sigma2 = float(resid @ resid) / rng.chisquare(dof)
    beta_star = rng.multivariate_normal(beta_hat, sigma2 * xtx_inv, method="eigh")
    pred_obs = xo @ beta_hat
    pred_mis = x[~observed] @ beta_star
    order = np.argsort(pred_obs, kind="stable")
    sorted_pred = pred_obs[order]
    k = min(donors, len(yo))
    # the k nearest observed predictions lie among the k on either side of each target
    window = np.searchsorted(sorted_pred, pred_mis)[:, None] + np.arange(-k, k)
    inside = (window >= 0) & (window < len(yo))
    window = np.clip(window, 0, len(yo) - 1)
    distance = np.where(inside, np.abs(sorted_pred[window] - pred_mis[:, None]), np.inf)
    nearest = np.take_along_axis(window, np.argsort(distance, axis=1, kind="stable")[:, :k], 1)
    pick = rng.integers(0, k, size=pred_mis.size)
    return yo[order[nearest[np.arange(pred_mis.size), pick]]]


def impute_chained(
    data: pd.DataFrame,
    columns: Sequence[str],
    *,
    m: int = 20,
    iterations: int = 10,
    donors: int = 5,
    seed: int | None = 0,
) -> list[pd.DataFrame]:
    """Return ``m`` completed copies of ``data[columns]`` by chained equations.

    Parameters
    ----------
    data : pandas.DataFrame
        The data.
    columns : sequence of str
        Columns of the analysis model (outcome and predictors); every one is used to impute
        the others.
    m : int, default=20
        Number of imputations.
    iterations : int, default=10
        Cycles through the incomplete columns.
    donors : int, default=5
        Donors of predictive mean matching.
    seed : int, optional
        Seed of the random generator.

    Returns
    -------
    list of pandas.DataFrame
        The completed data sets (all columns of ``data``, imputed ``columns``).

    Raises
    ------
    lbprun._checks.ArgumentError
        A text/categorical column with missing values (only numeric and binary columns are
        imputed), or a column with no observed value.

    Notes
    -----
    Predictive mean matching as R ``mice(method = "pmm")`` (type-1 matching): for each
    incomplete column, a linear model on the other columns is fitted to the observed rows,
    its parameters are drawn from their posterior, and each missing value is taken from one of
    the ``donors`` observed rows whose predicted values are closest.
    """
    rng = np.random.default_rng(seed)
    columns = list(columns)
    missing = {c: data[c].isna().to_numpy() for c in columns}
    incomplete = [c for c in columns if missing[c].any()]
    for col in incomplete:
        series = data[col]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            raise ArgumentError(
                f"missing='impute' needs numeric or 0/1 columns to impute; got missing values "
                f"in text column {col!r}."
            )
        if missing[col].all():
            raise ArgumentError(f"column {col!r} must have observed values to impute; got none.")
    out = []
    for _ in range(m):
        work = data.copy()
        for col in incomplete:
            work[col] = work[col].astype(float)
            observed = work.loc[~missing[col], col].to_numpy()
            work.loc[missing[col], col] = rng.choice(observed, missing[col].sum())
        for _ in range(iterations):
            for col in incomplete:
                others = [c for c in columns if c != col]
                x = _design(work, others)
                y = work[col].to_numpy(dtype=float)
                work.loc[missing[col], col] = _pmm_draw(x, y, ~missing[col], rng, donors)
        out.append(work)
    return out


def encode_columns(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Numeric copy of ``frame`` for :func:`impute_chained` (columns v0, v1, ...) and how to
    decode each column.

    Numeric columns stay as they are, boolean and two-level columns become 0/1 (missing values
    kept), columns with more levels must be complete and become dummy columns.
    """
    coded, decoders = {}, {}
    for j, column in enumerate(frame.columns):
        series = frame[column]
        key = f"v{j}"
        if pd.api.types.is_bool_dtype(series) or (
            series.dtype == object and set(series.dropna().unique()) <= {True, False}
        ):
            coded[key] = pd.to_numeric(series.astype("boolean").astype("Float64")).astype(float)
            decoders[column] = ("bool", key, None)
        elif pd.api.types.is_numeric_dtype(series):
            coded[key] = pd.to_numeric(series).astype(float)
            decoders[column] = ("float", key, None)
        else:
            levels = sorted(pd.unique(series.dropna()).tolist(), key=str)
            if series.isna().any() and len(levels) != 2:
                raise ArgumentError(
                    f"predictor {column!r} must be numeric, boolean or have two levels when it "
                    f"has missing values; got {len(levels)} levels {levels[:6]!r}."
                )
            if len(levels) == 2:
                coded[key] = (series == levels[1]).astype(float).where(series.notna())
                decoders[column] = ("binary", key, levels)
            else:
                for i, level in enumerate(levels[1:]):
                    coded[f"{key}_{i}"] = (series == level).astype(float)
                decoders[column] = ("complete", key, None)
    return pd.DataFrame(coded), decoders


def decode_columns(
    original: pd.DataFrame, imputed: pd.DataFrame, decoders: dict[str, Any]
) -> pd.DataFrame:
    """Return ``original`` with its missing values filled from an :func:`encode_columns` copy
    completed by :func:`impute_chained` (labels and categories restored)."""
    out = original.copy()
    for column, (kind, key, levels) in decoders.items():
        if not original[column].isna().any():
            continue
        values = imputed[key].to_numpy()
        if kind == "bool":
            out[column] = values > 0.5
        elif kind == "float":
            out[column] = values
        elif kind == "binary":
            filled = np.where(values > 0.5, levels[1], levels[0])
            if isinstance(original[column].dtype, pd.CategoricalDtype):
                filled = pd.Categorical(filled, categories=original[column].cat.categories)
            out[column] = filled
    return out
