"""Checking the runners given to a clinic risk model (internal).

A runner is a dict or Series (one runner) or a DataFrame (one row per runner). Every value
of every predictor is checked; all failures are collected and raised together as one
:class:`~lbprun.exceptions.DataValidationError` naming the runner (``runner_id`` when given,
else the 0-based row) and the field.

Examples
--------
>>> from lbprun.clinic import load_demo_model
>>> model = load_demo_model()
>>> runner = {"age": 40, "sex": "F", "prior_lbp": True, "strength_training": "no",
...           "weekly_km": 30.0}
>>> checked = checked_values(model, runner)
>>> checked.values["sex"], checked.values["strength_training"], checked.ids
(array([0]), array([0.]), ['row 0'])
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError
from lbprun.clinic._features import Feature, schema_column
from lbprun.exceptions import DataValidationError

__all__ = ["Checked", "as_frame", "checked_values"]

_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


@dataclass(frozen=True)
class Checked:
    """Checked predictor values: per-feature arrays, runner labels and range flags."""

    values: dict[str, np.ndarray]
    ids: list[str]
    runner_id: np.ndarray | None
    outside: dict[str, np.ndarray]


def as_frame(runner: Any) -> pd.DataFrame:
    """One runner (dict, Series) or many (DataFrame) as a DataFrame."""
    if isinstance(runner, pd.DataFrame):
        return runner
    if isinstance(runner, pd.Series):
        return pd.DataFrame([runner.to_dict()])
    if isinstance(runner, Mapping):
        if any(isinstance(v, list | tuple | np.ndarray | pd.Series) for v in runner.values()):
            raise ArgumentError(
                "runner must be a dict of single values (one runner); got list values. "
                "Pass a DataFrame to score several runners."
            )
        return pd.DataFrame([dict(runner)])
    raise ArgumentError(
        f"runner must be a dict, pandas Series or DataFrame; got {type(runner).__name__}."
    )


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)


def _raw(series: Any) -> np.ndarray:
    return series if isinstance(series, np.ndarray) else series.to_numpy(dtype=object)


def _is_numeric_series(series: Any) -> bool:
    return (
        isinstance(series, pd.Series)
        and pd.api.types.is_numeric_dtype(series)
        and not pd.api.types.is_bool_dtype(series)
    )


def _numeric(feat: Feature, series: Any) -> tuple[np.ndarray, list[tuple[int, str, Any]]]:
    if _is_numeric_series(series):
        x = series.to_numpy(dtype=float, na_value=np.nan)
        bad = []
    else:
        raw = _raw(series)
        x = np.full(len(raw), np.nan)
        bad = []
        for i, v in enumerate(raw):
            if _is_number(v):
                x[i] = float(v)
            elif not (v is None or v is pd.NA or v is pd.NaT):
                bad.append((i, "type", v))
    for i in np.flatnonzero(np.isnan(x)):
        if not any(b[0] == i for b in bad):
            bad.append((int(i), "missing", None))
    inf = np.flatnonzero(np.isinf(x))
    bad += [(int(i), "finite", float(x[i])) for i in inf]
    entry = schema_column(feat.name)
    if entry is not None and (entry.min is not None or entry.max is not None):
        low = -np.inf if entry.min is None else entry.min
        high = np.inf if entry.max is None else entry.max
        out = np.flatnonzero(np.isfinite(x) & ((x < low) | (x > high)))
        bad += [(int(i), "plausible_range", float(x[i])) for i in out]
    return x, bad


def _boolean(series: Any) -> tuple[np.ndarray, list[tuple[int, str, Any]]]:
    if (
        isinstance(series, pd.Series)
        and pd.api.types.is_bool_dtype(series)
        and not series.isna().any()
    ):
        return series.to_numpy(dtype=float), []
    raw = _raw(series)
    x = np.full(len(raw), np.nan)
    bad = []
    for i, v in enumerate(raw):
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            bad.append((i, "missing", None))
        elif isinstance(v, bool | np.bool_):
            x[i] = float(v)
        elif _is_number(v) and float(v) in (0.0, 1.0):
            x[i] = float(v)
        elif isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
            x[i] = 1.0 if v.strip().lower() in _TRUE else 0.0
        else:
            bad.append((i, "type", v))
    return x, bad


def _normalise(feat: Feature, value: Any) -> Any:
    entry = schema_column(feat.name)
    text = str(value).strip()
    for level in feat.levels:
        if text == str(level):
            return level
    key = "_".join(text.lower().split())
    if entry is not None and entry.synonyms:
        mapped = entry.synonyms.get(key, key)
        for level in feat.levels:
            if mapped == str(level) or mapped == str(level).lower():
                return level
    return None


def _code(levels: list[Any], value: Any) -> int:
    try:
        return levels.index(value)
    except ValueError:
        return -1


def _categorical(feat: Feature, series: Any) -> tuple[np.ndarray, list]:
    levels = list(feat.levels)
    if isinstance(series, np.ndarray):
        codes = np.array([_code(levels, v) for v in series], dtype=np.intp)
    else:
        codes = pd.Index(levels, dtype=object).get_indexer(series.astype(object))
    bad = []
    if (codes < 0).any():
        raw = _raw(series)
        for i in np.flatnonzero(codes < 0):
            v = raw[i]
            if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                bad.append((int(i), "missing", None))
                continue
            level = _normalise(feat, v)
            if level is None:
                bad.append((int(i), "allowed_levels", v))
            else:
                codes[i] = levels.index(level)
    return codes, bad


_RULES = {
    "missing": "must be given",
    "type": "must be a number",
    "finite": "must be finite",
    "plausible_range": "must lie in the column dictionary's plausible range",
    "allowed_levels": "must be one of the model's levels",
    "missing_predictor": "must be given (the model uses this predictor)",
}


def _rule(feat: Feature, check: str) -> str:
    if check == "type" and feat.kind == "boolean":
        return "must be yes/no (True/False, 1/0)"
    if check == "allowed_levels":
        return f"must be one of {list(feat.levels)!r}"
    if check == "plausible_range":
        entry = schema_column(feat.name)
        return f"must lie in [{entry.min:g}, {entry.max:g}] {entry.unit or ''}".rstrip()
    return _RULES[check]


def _raise(failures: list[dict[str, Any]], n: int) -> None:
    table = pd.DataFrame(failures)
    counts = table.groupby(["column", "check"], sort=False).size()
    parts = [f"{col} ({check}): {k}" for (col, check), k in counts.items()]
    shown = "; ".join(f["message"] for f in failures[:5])
    more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
    raise DataValidationError(
        f"runner data must give a valid value of every predictor; got {len(failures)} "
        f"failure(s) among {n} runner(s): {', '.join(parts)}. {shown}{more}.",
        failure_cases=table,
    )


def _columns(runner: Any) -> tuple[Any, int]:
    """``{field: values}`` of the runner(s): Series of a DataFrame, or 1-item object arrays."""
    if isinstance(runner, Mapping) and not isinstance(runner, pd.DataFrame):
        if any(isinstance(v, list | tuple | np.ndarray | pd.Series) for v in runner.values()):
            as_frame(runner)  # raises: one runner only
        return {k: np.array([v], dtype=object) for k, v in runner.items()}, 1
    if isinstance(runner, pd.Series):
        return {k: np.array([v], dtype=object) for k, v in runner.items()}, 1
    frame = as_frame(runner)
    return {k: frame[k] for k in frame.columns}, len(frame)


def checked_values(model: Any, runner: Any) -> Checked:
    """Check every predictor value of ``runner`` for ``model``; raise on any failure.

    Raises
    ------
    lbprun.exceptions.DataValidationError
        Missing predictor columns, missing values, wrong types, values outside the column
        dictionary's plausible range, unknown levels; ``failure_cases`` lists each one.
    lbprun._checks.ArgumentError
        A runner that is not a dict, Series or DataFrame.
    """
    columns, n = _columns(runner)
    if n == 0:
        raise ArgumentError("runner must hold at least one runner; got an empty DataFrame.")
    rid = _raw(columns["runner_id"]) if "runner_id" in columns else None
    ids = [f"row {i}" for i in range(n)] if rid is None else [f"runner {v!r}" for v in rid]
    failures: list[dict[str, Any]] = []
    values: dict[str, np.ndarray] = {}
    outside: dict[str, np.ndarray] = {}
    for feat in model.features:
        if feat.name not in columns:
            failures.append(
                {
                    "source": "runner",
                    "row": None,
                    "runner_id": None,
                    "column": feat.name,
                    "check": "missing_predictor",
                    "value": None,
                    "message": f"{ids[0] if n == 1 else f'all {n} runners'}: field "
                    f"{feat.name!r} must be given (the model uses it); "
                    f"got fields {list(map(str, columns))!r}",
                }
            )
            continue
        series = columns[feat.name]
        if feat.kind == "categorical":
            x, bad = _categorical(feat, series)
        elif feat.kind == "boolean":
            x, bad = _boolean(series)
        else:
            x, bad = _numeric(feat, series)
            with np.errstate(invalid="ignore"):
                outside[feat.name] = (x < feat.min) | (x > feat.max)
        values[feat.name] = x
        for i, check, value in sorted(bad, key=lambda b: b[0]):
            failures.append(
                {
                    "source": "runner",
                    "row": i,
                    "runner_id": None if rid is None else rid[i],
                    "column": feat.name,
                    "check": check,
                    "value": value,
                    "message": f"{ids[i]}: {feat.name} {_rule(feat, check)}; got {value!r}",
                }
            )
    if failures:
        failures.sort(key=lambda f: -1 if f["row"] is None else f["row"])  # stable: by field
        _raise(failures, n)
    return Checked(values, ids, rid, outside)
