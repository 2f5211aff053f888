"""Shared building blocks of the regression models: predictor lists, design matrices, Wald
coefficient tables on the linear-predictor scale, their exponentiated form, and data-problem
notes.

Examples
--------
>>> table = coefficient_table(["(Intercept)", "spike"], [-1.0, 0.5], [0.1, 0.2], 0.95)
>>> exponentiate(table, "odds_ratio", ("odds_ratio", "log_odds"))["estimate"].round(4).tolist()
[0.3679, 1.6487]
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lbprun._checks import ArgumentError, check_choice, check_columns
from lbprun.exceptions import LbprunWarning, SparseDataWarning
from lbprun.models import _design_matrix as dm

__all__ = [
    "as_list",
    "check_events",
    "coefficient_table",
    "count_values",
    "exponentiate",
    "group_codes",
    "prepare_design",
    "warn_note",
]


def as_list(predictors: str | Sequence[str] | None, name: str = "predictors") -> list[str]:
    """Return predictor names as a list (a single string is one predictor)."""
    if predictors is None:
        return []
    if isinstance(predictors, str):
        return [predictors]
    try:
        out = list(predictors)
    except TypeError:
        raise ArgumentError(
            f"{name} must be a column name or a list of them; got {predictors!r}."
        ) from None
    if not all(isinstance(p, str) for p in out):
        raise ArgumentError(f"{name} must be column names (str); got {out!r}.")
    return out


def prepare_design(
    data: pd.DataFrame,
    used: Sequence[str],
    predictors: Sequence[str],
    *,
    reference_levels: Mapping[str, Any] | None = None,
    splines: Mapping[str, int] | None = None,
    category_order: bool = True,
) -> tuple[pd.DataFrame, np.ndarray, dm.DesignSpec, list[str]]:
    """Complete cases of ``used`` columns, the design of ``predictors`` and notes.

    Categorical predictors use R's treatment coding; the reference level is
    ``reference_levels[column]`` when given, else the first category of a pandas Categorical
    (with ``category_order``; without it, as :func:`~lbprun.models.risk_factors.fit_risk_factors`
    does), else the first level in sorted order. ``splines`` are restricted cubic splines as in
    :func:`lbprun.models._design_matrix.build_spec`.
    """
    used = list(dict.fromkeys(used))
    check_columns(data, used)
    keep, missing = dm.complete_cases(data, used)
    notes = []
    if missing:
        counts = ", ".join(f"{c} ({n})" for c, n in missing.items())
        notes.append(
            f"{int((~keep).sum())} of {len(data)} rows with a missing value were left out "
            f"(missing per column: {counts})."
        )
    rows = data.loc[keep].reset_index(drop=True)
    if rows.empty:
        raise ArgumentError(f"data must have complete rows in {used!r}; got none.")
    references = {}
    for column in predictors if category_order else ():
        series = rows[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            present = [c for c in series.cat.categories if (series == c).any()]
            if present:
                references[column] = present[0]
    references.update(reference_levels or {})
    spec = dm.build_spec(rows, predictors, reference_levels=references, splines=splines)
    x = spec.transform(rows)
    message = dm.collinear_message(x, spec.names)
    if message is not None:
        raise ArgumentError(message)
    return rows, x, spec, notes


def coefficient_table(
    names: Sequence[str],
    params: Any,
    std_error: Any,
    level: float,
    df: Any = None,
) -> pd.DataFrame:
    """Wald table on the linear-predictor scale (normal, or Student's t with ``df``).

    Columns ``term, estimate, ci_low, ci_high, std_error, statistic, p_value, level``.
    """
    params = np.asarray(params, dtype=float)
    std_error = np.asarray(std_error, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = params / std_error
    if df is None:
        crit = stats.norm.ppf(0.5 + level / 2.0)
        p_value = 2.0 * stats.norm.sf(np.abs(statistic))
    else:
        crit = stats.t.ppf(0.5 + level / 2.0, df)
        p_value = 2.0 * stats.t.sf(np.abs(statistic), df)
    return pd.DataFrame(
        {
            "term": list(names),
            "estimate": params,
            "ci_low": params - crit * std_error,
            "ci_high": params + crit * std_error,
            "std_error": std_error,
            "statistic": statistic,
            "p_value": p_value,
            "level": level,
        }
    )


def exponentiate(table: pd.DataFrame, scale: str, scales: tuple[str, str]) -> pd.DataFrame:
    """Return ``table`` on the ratio scale (``scales[0]``) or as it is (``scales[1]``)."""
    check_choice("scale", scale, scales)
    out = table.copy()
    if scale == scales[0]:
        for column in ("estimate", "ci_low", "ci_high"):
            out[column] = np.exp(out[column])
    return out


def group_codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a cluster column, in sorted order of its values."""
    return pd.factorize(values, sort=True)[0].astype(np.int64)


def warn_note(notes: list[str], message: str, category: type[Warning] = LbprunWarning) -> None:
    """Record an analysis problem as a note and emit it as a warning."""
    notes.append(message)
    warnings.warn(message, category, stacklevel=3)


def check_events(notes: list[str], y: np.ndarray | None, events: float, terms: int) -> None:
    """Warn when there are fewer than 10 events (or non-events) per predictor column."""
    if y is not None:
        events = min(events, y.size - events)
    if terms > 0 and events / terms < 10:
        warn_note(
            notes,
            f"Only {events:g} events for {terms} predictor column{'s' if terms > 1 else ''} "
            "(fewer than 10 per column): estimates and intervals may be unstable.",
            SparseDataWarning,
        )


def count_values(values: pd.Series, name: str) -> np.ndarray:
    """Check non-negative integer counts and return them as float."""
    y = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(y) | (y < 0) | (y != np.round(y))
    if bad.any():
        first = values.to_numpy().tolist()[np.flatnonzero(bad)[0]]
        raise ArgumentError(
            f"{name} must be non-negative integer counts; got {first!r} "
            f"({int(bad.sum())} bad value{'s' if bad.sum() > 1 else ''})."
        )
    return y
