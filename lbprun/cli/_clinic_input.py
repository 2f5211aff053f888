"""Runners for ``lbprun score``: one runner from JSON, many from a table, every row accounted.

A table of runners is read as text (any format lbprun reads), its numeric predictors parsed
as numbers (a value that is not a number stays as given, so the model refuses it by name),
and scored by :meth:`lbprun.clinic.RiskModel.score`. Rows the model cannot score are refused
with their reasons and never dropped silently: rows in = rows scored + rows refused.

Examples
--------
>>> from lbprun.clinic import load_demo_model
>>> frame = pd.DataFrame({"runner_id": ["a", "b"], "age": ["40", "old"], "sex": ["F", "M"],
...                       "prior_lbp": ["1", "0"], "strength_training": ["no", "yes"],
...                       "weekly_km": ["30", "25.5"]})
>>> batch = score_table(load_demo_model(), parsed(load_demo_model(), frame), np.array([2, 3]))
>>> batch.table["row"].tolist(), batch.refused["row"].tolist()
([2], [3])
>>> batch.refused["reasons"].iloc[0]
"runner 'b': age must be a number; got 'old'"
"""

from __future__ import annotations

import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError
from lbprun.exceptions import DataValidationError

__all__ = ["Batch", "parsed", "read_runner_json", "read_runners", "score_table"]


def read_runner_json(path: str) -> dict[str, Any]:
    """One runner from a JSON object of fields by name (``-``: standard input).

    Raises
    ------
    lbprun._checks.ArgumentError
        Text that is not JSON, or JSON that is not one object.
    """
    name = "standard input" if path == "-" else path
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ArgumentError(
            f"--runner {name} must hold JSON; got {error.msg} at line {error.lineno}, "
            f"column {error.colno}."
        ) from None
    if not isinstance(value, dict):
        raise ArgumentError(
            f"--runner {name} must hold one JSON object of fields by name; got a JSON "
            f"{type(value).__name__}. Score several runners with --input TABLE."
        )
    return value


def read_runners(
    path: str, *, columns: dict[str, str] | None = None, sheet: str | None = None
) -> tuple[pd.DataFrame, np.ndarray]:
    """A table of runners as read (text), and each row's number in the file."""
    from lbprun.io._formats import open_source

    source = open_source(path, sheet=sheet)
    parts = list(source.read_chunks())
    if parts:
        frame = pd.concat([part for part, _ in parts], ignore_index=True)
        rows = np.concatenate([np.asarray(r, dtype=np.int64) for _, r in parts])
    else:
        frame = pd.DataFrame(columns=list(source.columns))
        rows = np.zeros(0, dtype=np.int64)
    if columns:
        unknown = [name for name in columns if name not in frame.columns]
        if unknown:
            raise ArgumentError(
                f"--input-columns must name columns of {path}; got {unknown!r} "
                f"(columns: {list(frame.columns)!r})."
            )
        frame = frame.rename(columns=columns)
    return frame, rows


def parsed(model: Any, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the model's numeric predictors parsed as numbers where they are numbers.

    A blank cell becomes missing; text that is not a number is kept as it is, so scoring
    refuses that runner and names the value.
    """
    out = frame.copy()
    for feat in model.features:
        if feat.kind not in ("numeric", "spline") or feat.name not in out.columns:
            continue
        column = out[feat.name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            continue
        raw = column.astype(object)
        numbers = pd.to_numeric(raw, errors="coerce")
        blank = raw.isna() | raw.map(lambda v: isinstance(v, str) and not v.strip())
        good = numbers.notna() | blank
        if good.all():
            out[feat.name] = numbers.astype(float)
            continue
        values = raw.to_numpy(dtype=object).copy()
        values[numbers.notna().to_numpy()] = numbers[numbers.notna()].to_numpy(dtype=float)
        values[blank.to_numpy()] = None
        out[feat.name] = values
    return out


@dataclass(frozen=True)
class Batch:
    """Scored rows (``table``, ``row`` first), refused rows with ``reasons``, and notes."""

    table: pd.DataFrame
    refused: pd.DataFrame
    notes: tuple[str, ...]


def _known_runners(activities: pd.DataFrame, index_date: Any) -> set[str]:
    from lbprun.clinic._history import _runs_before, index_day

    return set(_runs_before(activities, index_day(index_date))["runner_id"])


def score_table(
    model: Any,
    frame: pd.DataFrame,
    rows: np.ndarray,
    *,
    activities: pd.DataFrame | None = None,
    index_date: Any = None,
    level: float = 0.95,
) -> Batch:
    """Score every row of ``frame`` that the model accepts; refuse the others with reasons.

    Raises
    ------
    lbprun.exceptions.DataValidationError
        A predictor missing from the table (no row can be scored).
    lbprun._checks.ArgumentError
        ``activities`` with a table without ``runner_id``.
    """
    reasons: dict[int, list[str]] = {}
    keep = np.arange(len(frame))
    if activities is not None:
        if "runner_id" not in frame.columns:
            raise ArgumentError(
                "--input must have a runner_id column with --activities; got columns "
                f"{list(frame.columns)!r}."
            )
        known = _known_runners(activities, index_date)
        ids = frame["runner_id"].astype(str).to_numpy()
        for i in np.flatnonzero(~np.isin(ids, list(known))):
            reasons.setdefault(int(i), []).append(
                f"runner {ids[i]!r}: no runs before the index date in the activities log"
            )
        keep = np.array([i for i in keep if i not in reasons], dtype=np.intp)
    result, caught = None, []
    for _ in range(2):
        if not len(keep):
            break
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = model.score(
                    frame.iloc[keep].reset_index(drop=True),
                    activities=activities,
                    index_date=index_date,
                    level=level,
                )
            break
        except DataValidationError as error:
            cases = error.failure_cases
            if cases is None or cases["row"].isna().any():
                raise
            for position, message in zip(cases["row"], cases["message"], strict=True):
                reasons.setdefault(int(keep[int(position)]), []).append(message)
            keep = np.array([i for i in keep if i not in reasons], dtype=np.intp)
    notes = tuple(str(w.message) for w in caught)
    if result is None:
        table = pd.DataFrame({"row": np.zeros(0, dtype=np.int64)})
    else:
        table = result.to_frame()
        if "row" in table.columns:
            table = table.drop(columns="row")
        table.insert(0, "row", rows[keep])
    refused_at = np.array(sorted(reasons), dtype=np.intp)
    refused = frame.iloc[refused_at].reset_index(drop=True).astype(object)
    refused.insert(0, "row", rows[refused_at])
    refused.insert(1, "reasons", ["; ".join(reasons[i]) for i in refused_at])
    return Batch(table, refused, notes)
