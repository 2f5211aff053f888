"""Cohort checks, follow-up time and at-risk periods shared by the incidence estimators.

:func:`prepare_cohort` checks a cohort table (one row per runner: ``start_date``,
``end_date``, ``lbp_onset_date``) and returns day numbers and event flags; the rows it rejects
are listed in one :class:`~lbprun.exceptions.DataValidationError` (row, column, value).
:func:`risk_intervals` turns follow-up and recurrent episodes into at-risk periods. Used by
:mod:`lbprun.measures.survival` and :mod:`lbprun.measures.incidence`.

Examples
--------
>>> by_columns("sex"), by_columns(None)
(('sex',), ())
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_columns
from lbprun.exceptions import DataQualityWarning, DataValidationError

__all__ = [
    "ALL",
    "as_text",
    "by_columns",
    "check_rows",
    "day_numbers",
    "group_codes",
    "group_rows",
    "member_mask",
    "prepare_cohort",
    "risk_intervals",
    "warn_note",
]

#: Label of the whole-cohort row of grouped tables.
ALL = "all"


def by_columns(by: str | Sequence[str] | None) -> tuple[str, ...]:
    """Return ``by`` as a tuple of column names."""
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


def day_numbers(frame: pd.DataFrame, column: str, table: str) -> np.ndarray:
    """Return a date column as float day numbers (NaN when missing); raise on unreadable dates."""
    series = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        text = series.astype("string").str.strip()
        blank = text.isna() | (text == "")
        parsed = pd.to_datetime(text.mask(blank), errors="coerce", format="ISO8601")
        if (parsed.isna() & ~blank).any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                parsed = pd.to_datetime(text.mask(blank), errors="coerce")
        message = f"not a date (use ISO dates such as 2025-01-31, or lbprun.io.read.read_{table})"
        check_rows(frame, (parsed.isna() & ~blank).to_numpy(), column, "date", message, table)
        series = parsed
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    values = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    days = values.astype(np.int64).astype(float)
    days[np.isnat(values)] = np.nan
    return days


def check_rows(
    frame: pd.DataFrame, bad: np.ndarray, column: str, check: str, message: str, table: str
) -> None:
    """Raise one DataValidationError listing the rows where ``bad`` is True (if any)."""
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    values = frame[column].to_numpy()[rows]
    ids = frame["runner_id"].to_numpy()[rows] if "runner_id" in frame.columns else None
    cases = pd.DataFrame(
        {
            "source": table,
            "row": rows,
            "runner_id": ids,
            "column": column,
            "check": check,
            "value": values,
            "message": message,
        }
    )
    labels = [f"row {r}" for r in rows[:5]]
    if ids is not None:
        labels = [f"{label} (runner {i!r})" for label, i in zip(labels, ids[:5], strict=True)]
    shown = "; ".join(
        f"{label}: {v!r}" for label, v in zip(labels, cases["value"][:5], strict=True)
    )
    raise DataValidationError(
        f"{table}: {len(rows)} row{'s' if len(rows) > 1 else ''} fail {column} ({check}): "
        f"{message}. First: {shown}.",
        cases,
    )


def prepare_cohort(
    cohort: pd.DataFrame, *, onset: str, by: tuple[str, ...], need_id: bool = False
) -> dict[str, Any]:
    """Check a cohort and return day numbers, events, days at risk and group codes.

    Returns a dict with ``start, end, onset`` (float day numbers), ``event`` (bool),
    ``time`` (days at risk: onset - start, or end - start + 1 when censored), ``codes``
    (int group codes, -1 when a ``by`` value is missing), ``labels`` and ``notes``.
    """
    needed = ["start_date", "end_date", onset, *by] + (["runner_id"] if need_id else [])
    check_columns(cohort, needed, name="cohort")
    if len(cohort) == 0:
        raise ArgumentError("cohort must have at least one runner; got an empty table.")
    start = day_numbers(cohort, "start_date", "cohort")
    end = day_numbers(cohort, "end_date", "cohort")
    first = day_numbers(cohort, onset, "cohort")
    event = ~np.isnan(first)
    checks = [
        (np.isnan(start), "start_date", "not_null", "missing date"),
        (np.isnan(end), "end_date", "not_null", "missing date"),
        (end < start, "end_date", "end_after_start", "end_date is before start_date"),
        (
            event & ((first < start) | (first > end)),
            onset,
            "within_follow_up",
            f"{onset} lies outside [start_date, end_date]",
        ),
    ]
    if need_id:
        duplicated = cohort["runner_id"].duplicated().to_numpy()
        checks.append((duplicated, "runner_id", "unique", "runner_id is duplicated"))
    for bad, column, check, message in checks:
        check_rows(cohort, bad, column, check, message, "cohort")
    time = np.where(event, first - start, end - start + 1.0)
    codes, labels = group_codes(cohort, by)
    notes = []
    if by and (codes < 0).any():
        notes.append(
            f"{int((codes < 0).sum())} runners with a missing {', '.join(by)} are in the "
            "overall row only."
        )
    return {
        "start": start,
        "end": end,
        "onset": first,
        "event": event,
        "time": time,
        "codes": codes,
        "labels": labels,
        "notes": notes,
    }


def group_codes(data: pd.DataFrame, by: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Integer group codes (-1 for a missing level) and their labels, levels sorted."""
    if not by:
        return np.zeros(len(data), dtype=np.int64), []
    if len(by) == 1:
        codes, uniques = pd.factorize(data[by[0]], sort=True)
        return codes.astype(np.int64), [str(u) for u in uniques]
    grouped = data.groupby(list(by), sort=True, observed=True, dropna=True)
    codes = grouped.ngroup().to_numpy(dtype=float)
    codes = np.where(np.isnan(codes), -1, codes).astype(np.int64)
    present, first = np.unique(codes, return_index=True)
    first = first[present >= 0]
    labels = [", ".join(str(data[c].iloc[i]) for c in by) for i in first]
    codes = np.searchsorted(present[present >= 0], codes).astype(np.int64)
    codes[np.asarray(grouped.ngroup().isna())] = -1
    return codes, labels


def group_rows(by: tuple[str, ...], labels: list[str]) -> list[tuple[str, str, int]]:
    """``(by, group, code)`` of the overall row (code -2) and of each group."""
    by_label = ", ".join(by)
    return [(ALL, ALL, -2)] + [(by_label, label, i) for i, label in enumerate(labels)]


def member_mask(codes: np.ndarray, code: int) -> np.ndarray:
    return np.ones(codes.size, dtype=bool) if code == -2 else codes == code


def warn_note(notes: list[str], message: str, category: type[Warning]) -> None:
    notes.append(message)
    warnings.warn(message, category, stacklevel=3)


def as_text(values: pd.Series) -> pd.Index:
    return pd.Index(values.astype("string").astype(object))


def risk_intervals(
    prep: dict[str, Any], ids: pd.Index, episodes: pd.DataFrame | None, notes: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """At-risk intervals ``[lo, hi)`` in day numbers, their runner and events per runner."""
    n = len(ids)
    start, stop = prep["start"], prep["end"] + 1.0
    if episodes is None:
        runner = np.arange(n)
        hi = np.where(prep["event"], prep["onset"], stop)
        return runner, start, hi, prep["event"].astype(np.int64)
    check_columns(episodes, ["runner_id", "onset_date", "recovery_date"], name="episodes")
    on = day_numbers(episodes, "onset_date", "episodes")
    rec = day_numbers(episodes, "recovery_date", "episodes")
    check_rows(episodes, np.isnan(on), "onset_date", "not_null", "missing date", "episodes")
    idx = ids.get_indexer(as_text(episodes["runner_id"]))
    unknown = idx < 0
    if unknown.any():
        warn_note(
            notes,
            f"{int(unknown.sum())} episodes of {episodes.loc[unknown, 'runner_id'].nunique()} "
            "runners absent from the cohort were ignored.",
            DataQualityWarning,
        )
    keep = np.flatnonzero(~unknown)
    checks = (
        (rec < on, "recovery_date", "recovery_after_onset", "recovery_date is before onset_date"),
        (
            (on < start[np.maximum(idx, 0)]) | (on > prep["end"][np.maximum(idx, 0)]),
            "onset_date",
            "within_follow_up",
            "episode onset lies outside the runner's [start_date, end_date]",
        ),
    )
    for bad, column, check, message in checks:
        check_rows(episodes, bad & ~unknown, column, check, message, "episodes")
    order = keep[np.lexsort((on[keep], idx[keep]))]
    r, o, v = idx[order], on[order], rec[order]
    first = np.ones(r.size, dtype=bool)
    first[1:] = r[1:] != r[:-1]
    prev_rec = np.concatenate([[np.nan], v[:-1]])
    overlap = ~first & (np.isnan(prev_rec) | (o < prev_rec))
    overlapping = np.zeros(len(episodes), dtype=bool)
    overlapping[order[overlap]] = True
    message = "episode starts before the previous episode of the runner has recovered"
    check_rows(episodes, overlapping, "onset_date", "no_overlap", message, "episodes")
    last = np.ones(r.size, dtype=bool)
    last[:-1] = r[1:] != r[:-1]
    lo_ep = np.where(first, start[r], prev_rec)
    resumed = last & ~np.isnan(v)
    none = np.setdiff1d(np.arange(n), r)
    runner = np.concatenate([r, r[resumed], none])
    lo = np.concatenate([lo_ep, v[resumed], start[none]])
    hi = np.concatenate([o, stop[r[resumed]], stop[none]])
    hi = np.minimum(hi, stop[runner])
    lo = np.minimum(lo, hi)  # a recovery after end_date leaves an empty interval
    events = np.bincount(r, minlength=n).astype(np.int64)
    cohort_first = prep["onset"][r[first]]
    mismatch = int((cohort_first != o[first]).sum())
    if mismatch:
        notes.append(
            f"{mismatch} runners have a first episode onset different from the cohort's onset "
            "column; the episodes were used."
        )
    return runner, lo, hi, events
