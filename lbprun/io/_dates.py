"""Dates and date-times of raw table values, with one date format per column.

A date column is read in ISO 8601 (``2025-01-31``) or in one d/m/Y form (``31/01/2025``,
``01/31/2025``, ``31.01.2025``). The form and the day/month order are decided once per column
from counts (:class:`DateCounts`) that add up over chunks, so a file read in chunks is decided
exactly as the whole file would be.

Examples
--------
>>> import pandas as pd
>>> counts = date_counts(pd.Series(["13/01/2025", "02/03/2025", "2025-01-06"]))
>>> counts
DateCounts(iso=1, dmy=2, day_first=1, month_first=0)
>>> decide(counts, None, "start_date")
('dmy', 'dmy', [])
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun.io._parse import _as_text, _concat, _failures, all_strings, missing_mask, no_failures

__all__ = [
    "DateCounts",
    "date_counts",
    "scan",
    "weighted_counts",
    "date_order_evidence",
    "decide",
    "to_date",
    "to_datetime",
]

_ISO_DATE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
_DMY = r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$"
_ISO_DATETIME = (
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
_WORDS = {"iso": "YYYY-MM-DD", "dmy": "day/month/year", "mdy": "month/day/year"}


@dataclass(frozen=True)
class DateCounts:
    """How many values of a date column are ISO or d/m/Y, and the day/month evidence."""

    iso: int = 0
    dmy: int = 0
    day_first: int = 0  # d/m/Y values whose first field exceeds 12
    month_first: int = 0  # d/m/Y values whose second field exceeds 12

    def __add__(self, other: DateCounts) -> DateCounts:
        return DateCounts(
            self.iso + other.iso,
            self.dmy + other.dmy,
            self.day_first + other.day_first,
            self.month_first + other.month_first,
        )

    @property
    def evidence(self) -> str | None:
        """``"dmy"`` or ``"mdy"`` when exactly one order is evidenced, else None."""
        if (self.day_first > 0) != (self.month_first > 0):
            return "dmy" if self.day_first else "mdy"
        return None


@dataclass
class _Scan:
    values: pd.Series  # datetime objects already converted; NaT elsewhere
    pending: np.ndarray  # values still to parse from text
    strings: pd.Series
    fast: pd.Series
    plain: np.ndarray
    iso: np.ndarray
    dmy: np.ndarray
    parts: pd.DataFrame

    def counts(self) -> DateCounts:
        first = self.parts[0].astype(int).to_numpy()
        second = self.parts[1].astype(int).to_numpy()
        return DateCounts(
            int(self.iso.sum()),
            int(self.dmy.sum()),
            int((first > 12).sum()),
            int((second > 12).sum()),
        )


def weighted_counts(scan: _Scan, weights: np.ndarray) -> DateCounts:
    """The counts of a scan of distinct values, each value counted ``weights`` times."""
    w = np.asarray(weights, dtype=np.int64)[scan.pending]
    on_dmy = w[scan.dmy]
    first = scan.parts[0].astype(int).to_numpy()
    second = scan.parts[1].astype(int).to_numpy()
    return DateCounts(
        int(w[scan.iso].sum()),
        int(on_dmy.sum()),
        int(on_dmy[first > 12].sum()),
        int(on_dmy[second > 12].sum()),
    )


def _date_objects(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Convert datetime-like objects in an object column; return them and a mask of them."""
    out = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if all_strings(raw):
        return out, np.zeros(len(raw), dtype=bool)
    mask = raw.map(lambda v: isinstance(v, _dt.date | np.datetime64) and not pd.isna(v))
    mask = mask.to_numpy(dtype=bool)
    if mask.any():
        converted = pd.to_datetime(
            raw[mask].map(
                lambda v: pd.Timestamp(v).tz_localize(None) if getattr(v, "tzinfo", None) else v
            )
        )
        out[mask] = converted.dt.normalize().astype("datetime64[ns]")
    return out, mask


def scan(raw: pd.Series) -> _Scan:
    """Classify the values of a raw date column (ISO, d/m/Y, objects, missing)."""
    missing = missing_mask(raw)
    values, is_obj = _date_objects(raw.astype(object))
    pending = ~missing & ~is_obj
    strings = _as_text(raw).astype(object)[pending].astype(str)
    fast = pd.to_datetime(strings, format="%Y-%m-%d", errors="coerce")
    plain = fast.notna().to_numpy()
    iso = plain.copy()
    if (~plain).any():
        iso[~plain] = strings[~plain].str.match(_ISO_DATE).to_numpy(dtype=bool)
    dmy = np.zeros(len(strings), dtype=bool)
    parts = pd.DataFrame({0: pd.Series(dtype=object), 1: pd.Series(dtype=object),
                          2: pd.Series(dtype=object)})  # fmt: skip
    if (~iso).any():
        parts = strings[~iso].str.extract(_DMY)
        found = parts[0].notna().to_numpy()
        dmy[np.flatnonzero(~iso)[found]] = True
        parts = parts[found]
    return _Scan(values, pending, strings, fast, plain, iso, dmy, parts)


def date_counts(raw: pd.Series) -> DateCounts:
    """Count the ISO and d/m/Y values of a raw column and the day/month evidence."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return DateCounts()
    return scan(raw).counts()


def date_order_evidence(raw: pd.Series) -> str | None:
    """Return ``"dmy"`` or ``"mdy"`` when d/m/Y-like values settle the order, else None.

    >>> date_order_evidence(pd.Series(["01/06/2025", "12/31/2025"]))
    'mdy'
    """
    return date_counts(raw).evidence


def decide(
    counts: DateCounts, hint: str | None, column: str
) -> tuple[str | None, str | None, list[str]]:
    """Return a column's form (``iso``/``dmy``), day/month order and notes.

    The form is the more frequent of ISO and d/m/Y. The order is day-first if a first field
    exceeds 12, month-first if a second field does (the more frequent when both do); when every
    d/m/Y value is ambiguous it follows ``hint`` (the other date columns), else day-first, with
    a note.
    """
    notes: list[str] = []
    form = None
    if counts.iso or counts.dmy:
        form = "iso" if counts.iso >= counts.dmy else "dmy"
    order = None
    if counts.dmy:
        if counts.day_first or counts.month_first:
            order = "dmy" if counts.day_first >= counts.month_first else "mdy"
        else:
            order = hint if hint in ("dmy", "mdy") else "dmy"
            like = " like the other date columns of the file" if hint in ("dmy", "mdy") else ""
            notes.append(
                f"{column}: every d/m/Y date has day and month <= 12; read as "
                f"{_WORDS[order]}{like}."
            )
    return form, order, notes


def to_date(
    raw: pd.Series, column: str, state: dict[str, Any]
) -> tuple[pd.Series, pd.DataFrame, list[str]]:
    """Parse a date column with one format per column.

    ISO dates (``2025-01-31``, also with a time, whose date is kept) and one d/m/Y form are
    read; see :func:`decide`. A column mixing ISO and d/m/Y forms is an error
    (``mixed_date_formats``, on the less frequent form); a value not in the column's format is
    ``date_format``. ``state`` holds the column's decision (``form``, ``order``, ``hint``),
    made here from this chunk unless already made for the whole file.

    Returns
    -------
    values : pandas.Series of datetime64[ns]
    failures : pandas.DataFrame
    notes : list of str
    """
    notes: list[str] = []
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) else raw
        return values.dt.normalize().astype("datetime64[ns]"), no_failures(), notes
    found = scan(raw)
    iso, dmy, parts = found.iso, found.dmy, found.parts
    if "form" not in state or ("order" not in state and dmy.any()):
        form, order, decided = decide(found.counts(), state.get("hint"), column)
        if "form" not in state and form is not None:
            state["form"] = form
        if "order" not in state and order is not None:
            state["order"] = order
            notes += decided
    form, order = state.get("form"), state.get("order")
    values = found.values.copy()
    pos_all = np.flatnonzero(found.pending)
    if found.plain.any():
        values.iloc[pos_all[found.plain]] = found.fast[found.plain].to_numpy()
    timed = iso & ~found.plain
    if timed.any():
        parsed = pd.to_datetime(
            found.strings[timed].str.slice(0, 10), format="%Y-%m-%d", errors="coerce"
        )
        values.iloc[pos_all[timed]] = parsed.to_numpy()
    if dmy.any():
        first, second = parts[0].astype(int).to_numpy(), parts[1].astype(int).to_numpy()
        day, month = (first, second) if order == "dmy" else (second, first)
        iso_text = [f"{y}-{m:02d}-{d:02d}" for y, m, d in zip(parts[2], month, day, strict=True)]
        parsed = pd.to_datetime(pd.Series(iso_text), format="%Y-%m-%d", errors="coerce")
        values.iloc[pos_all[dmy]] = parsed.to_numpy()
    frames = []
    mixed = np.zeros(0, dtype=np.int64)
    if (form == "iso" and dmy.any()) or (form == "dmy" and iso.any()):
        mixed = pos_all[dmy if form == "iso" else iso]
        expected = _WORDS["iso" if form == "iso" else order or "dmy"]
        frames.append(
            _failures(
                mixed,
                "mixed_date_formats",
                raw.iloc[mixed].tolist(),
                f"{column}: mixed date formats in one column; this value is not {expected} "
                "like the rest of the column.",
            )
        )
        values.iloc[mixed] = pd.NaT
    unparsed = np.setdiff1d(np.flatnonzero(found.pending & values.isna().to_numpy()), mixed)
    if len(unparsed):
        fmt = _WORDS["iso" if form in (None, "iso") else order or "dmy"]
        frames.append(
            _failures(
                unparsed,
                "date_format",
                raw.iloc[unparsed].tolist(),
                [
                    f"{column} must be a valid date in the column's format ({fmt}); "
                    f"got {raw.iloc[p]!r}."
                    for p in unparsed
                ],
            )
        )
    return values.astype("datetime64[ns]"), _concat(frames), notes


def to_datetime(
    raw: pd.Series, column: str
) -> tuple[pd.Series, pd.Series, pd.DataFrame, list[str]]:
    """Parse ISO 8601 date-times; return them, their local calendar dates, failures, notes.

    Values with a UTC offset are converted to UTC (tz-aware) and their local date is the date
    as written; naive values stay naive.
    """
    notes: list[str] = []
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        if getattr(raw.dt, "tz", None) is None:
            return raw, raw.dt.normalize().astype("datetime64[ns]"), no_failures(), notes
        local = raw.dt.tz_localize(None).dt.normalize().astype("datetime64[ns]")
        return raw.dt.tz_convert("UTC"), local, no_failures(), notes
    missing = missing_mask(raw)
    objects, is_obj = _date_objects(raw.astype(object))
    text = _as_text(raw).astype(object)
    pending = ~missing & ~is_obj
    strings = text.where(pending, None)
    ok = strings.str.match(_ISO_DATETIME, na=False).to_numpy(dtype=bool) & pending
    has_offset = strings.str.contains(_OFFSET, na=False).to_numpy(dtype=bool) & ok
    local = objects.copy()
    local[ok] = pd.to_datetime(strings[ok].str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    if has_offset.any():
        if (ok & ~has_offset).any():
            notes.append(f"{column}: values without a UTC offset were taken as UTC.")
        values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
        values[ok] = pd.to_datetime(strings[ok], format="ISO8601", utc=True, errors="coerce")
        if is_obj.any():
            values[is_obj] = pd.to_datetime(raw[is_obj]).dt.tz_localize("UTC")
    else:
        values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
        values[ok] = pd.to_datetime(strings[ok], format="ISO8601", errors="coerce")
        if is_obj.any():
            values[is_obj] = pd.to_datetime(raw[is_obj]).astype("datetime64[ns]")
    bad = np.flatnonzero(pending & values.isna().to_numpy())
    local[bad] = pd.NaT
    failures = _failures(
        bad,
        "date_format",
        raw.iloc[bad].tolist(),
        [f"{column} must be an ISO 8601 date-time; got {raw.iloc[p]!r}." for p in bad],
    )
    return values, local.astype("datetime64[ns]"), failures, notes
