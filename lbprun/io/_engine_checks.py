"""Row checks of the validation engine: ranges, missing values, pace, date order, follow-up.

Each check takes a typed chunk and returns failure frames with columns ``pos, column, check,
value, message`` (``pos``: 0-based position in the chunk). Ranges and missing values are
checked by :func:`range_failures` on whole NumPy columns; :func:`pandera_failures` runs the
same rules through pandera (the general path, kept to check the fast one against).

Examples
--------
>>> import pandas as pd
>>> from lbprun.io.schema import SURVEY
>>> typed = pd.DataFrame({"runner_id": pd.array(["a", None], dtype="string"),
...                       "age": [150.0, 30.0]})
>>> cases = with_messages(range_failures(typed, SURVEY), typed, SURVEY)
>>> cases[["pos", "column", "check", "value"]].to_dict("records")
[{'pos': 1, 'column': 'runner_id', 'check': 'not_nullable', 'value': None}, {'pos': 0, 'column': 'age', 'check': 'in_range', 'value': 150.0}]
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from lbprun.io import _parse
from lbprun.io.schema import PACE_MIN_PER_KM, TableSchema

__all__ = [
    "MILE_RACES",
    "date_failures",
    "frame",
    "miles_message",
    "overlap_cases",
    "pace_failures",
    "pandera_failures",
    "pandera_schema",
    "plain",
    "range_failures",
]

MILE_RACES = np.array([3.1, 6.2, 13.1, 26.2])
_FRAME_COLUMNS = ["pos", "column", "check", "value", "message"]


def plain(value: Any) -> Any:
    """A failing value as plain Python: numbers as float/int, dates as ISO text."""
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def day(value: Any) -> str:
    """A date as ``YYYY-MM-DD`` (``NA`` when missing)."""
    return str(pd.Timestamp(value).date()) if pd.notna(value) else "NA"


def frame(pos: Any, column: str, check: str, values: Any, messages: list[str]) -> pd.DataFrame:
    """A failure frame (``pos, column, check, value, message``)."""
    if not len(messages):
        return _EMPTY.copy()
    return pd.DataFrame(
        {
            "pos": np.asarray(pos, dtype=np.int64),
            "column": column,
            "check": check,
            "value": pd.Series([plain(v) for v in values], dtype=object),
            "message": pd.Series(messages, dtype=object),
        }
    )


_EMPTY = _parse.no_failures().assign(column=pd.Series(dtype=object))[_FRAME_COLUMNS]


def empty() -> pd.DataFrame:
    """An empty failure frame."""
    return _EMPTY.copy()


def pandera_schema(schema: TableSchema, present: list[str]) -> Any:
    """The pandera schema of the range and missing-value rules of the present columns."""
    import pandera.pandas as pa

    spec = {}
    for col in schema:
        if col.name not in present:
            continue
        checks = []
        if col.dtype in ("float", "int") and (col.min is not None or col.max is not None):
            low = -np.inf if col.min is None else col.min
            high = np.inf if col.max is None else col.max
            checks.append(pa.Check.in_range(low, high))
        spec[col.name] = pa.Column(checks=checks, nullable=col.nullable, required=False)
    return pa.DataFrameSchema(spec)


def pandera_failures(typed: pd.DataFrame, checker: Any) -> pd.DataFrame:
    """Range and missing-value failures found by pandera (``pos, column, check``)."""
    import pandera.pandas as pa

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pandera's own concat
            checker.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as error:
        cases = error.failure_cases
        cases = cases[cases["column"].isin(typed.columns) & cases["index"].notna()]
        checks = cases["check"].astype(str).str.replace(r"\(.*", "", regex=True)
        return pd.DataFrame(
            {
                "pos": cases["index"].astype(np.int64).to_numpy(),
                "column": cases["column"].to_numpy(),
                "check": checks.to_numpy(),
            }
        )
    return pd.DataFrame({"pos": np.empty(0, np.int64), "column": [], "check": []})


def range_failures(typed: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Range and missing-value failures, checked on whole columns (the fast path).

    The rules are pandera's: a missing value fails ``not_nullable`` in a column that must not
    be missing and is never out of range; bounds are inclusive.
    """
    parts = []
    for col in schema:
        if col.name not in typed.columns:
            continue
        values = typed[col.name]
        na = values.isna().to_numpy()
        if not col.nullable and na.any():
            parts.append((np.flatnonzero(na), col.name, "not_nullable"))
        if col.dtype in ("float", "int") and (col.min is not None or col.max is not None):
            numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
            low = -np.inf if col.min is None else col.min
            high = np.inf if col.max is None else col.max
            with np.errstate(invalid="ignore"):
                out = ~na & ~((numbers >= low) & (numbers <= high))
            if out.any():
                parts.append((np.flatnonzero(out), col.name, "in_range"))
    return pd.DataFrame(
        {
            "pos": np.concatenate([p for p, _, _ in parts]) if parts else np.empty(0, np.int64),
            "column": [c for p, c, _ in parts for _ in p],
            "check": [k for p, _, k in parts for _ in p],
        }
    )


def with_messages(cases: pd.DataFrame, typed: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Add the failing values and the messages to ``pos, column, check`` cases."""
    cases = cases.reset_index(drop=True)
    values = [
        plain(typed[c].iloc[p])
        for p, c in zip(cases["pos"].to_numpy(), cases["column"], strict=True)
    ]
    cases["value"] = pd.Series(values, dtype=object)
    cases["message"] = pd.Series(
        [
            f"{c} must not be missing."
            if k == "not_nullable"
            else f"{c} must be {schema[c].rule}; got {v!r}."
            for c, k, v in zip(cases["column"], cases["check"], values, strict=True)
        ],
        dtype=object,
    )
    return cases


def not_done(cases: pd.DataFrame, failed: pd.DataFrame, also_date: bool) -> pd.DataFrame:
    """Leave out cases of values whose conversion already failed (their value is missing)."""
    if not len(cases) or not len(failed):
        return cases
    done = failed[["pos", "column"]]
    if also_date:
        timed = done[done["column"] == "start_time"]
        done = pd.concat([done, timed.assign(column="date")], ignore_index=True)
    done = done.assign(_done=True).drop_duplicates(["pos", "column"])
    hit = cases[["pos", "column"]].merge(done, on=["pos", "column"], how="left")["_done"]
    return cases[hit.isna().to_numpy()].reset_index(drop=True)


def pace_failures(typed: pd.DataFrame, schema: TableSchema, miles: dict[str, Any], sample: int):
    """Implausible paces; adds the distances on mile race distances to ``miles``."""
    low, high = PACE_MIN_PER_KM
    distance = typed["distance_km"].to_numpy(dtype=float, na_value=np.nan)
    duration = typed["duration_min"].to_numpy(dtype=float, na_value=np.nan)
    col_d, col_t = schema["distance_km"], schema["duration_min"]
    with np.errstate(divide="ignore", invalid="ignore"):
        usable = (distance >= col_d.min) & (distance <= col_d.max)
        usable &= duration >= col_t.min
        usable &= duration <= col_t.max
        positive = distance > 0
        usable &= positive | (duration > 0)
        pace = duration / (distance + 0.0)  # a zero distance (also -0.0) gives +inf
    implausible = (pace < low) | (pace > high)
    implausible &= usable
    bad = np.flatnonzero(implausible)
    good = usable & positive & ~implausible
    miles["n"] += int(good.sum())
    kept = distance[good]
    middle = (MILE_RACES[1:] + MILE_RACES[:-1]) / 2
    nearest = MILE_RACES[np.searchsorted(middle, kept)]
    miles["race"] += int(np.count_nonzero(np.abs(kept - nearest) < 0.051))
    taken = sum(len(p) for p in miles["paces"])
    if taken < sample:
        miles["paces"].append(pace[np.flatnonzero(good)[: sample - taken]])
    return frame(
        bad,
        "duration_min",
        "pace",
        typed["duration_min"].iloc[bad],
        [
            f"pace {pace[p]:.3g} min/km (duration_min {duration[p]:g} / distance_km "
            f"{distance[p]:g}) is outside [{low:g}, {high:g}] min/km."
            for p in bad
        ],
    )


def date_failures(typed: pd.DataFrame, schema: TableSchema) -> list[pd.DataFrame]:
    """Dates out of order (``date_order``) and dates outside follow-up (``within``)."""
    out = []
    for earlier, later in schema.date_order:
        if {earlier, later} <= set(typed):
            bad = np.flatnonzero((typed[earlier] > typed[later]).to_numpy())
            out.append(
                frame(
                    bad,
                    later,
                    "date_order",
                    typed[later].iloc[bad],
                    [
                        f"{later} {day(typed[later].iloc[p])} is before {earlier} "
                        f"{day(typed[earlier].iloc[p])}."
                        for p in bad
                    ],
                )
            )
    for column, start, end in schema.within:
        if {column, start, end} <= set(typed):
            before = (typed[column] < typed[start]).to_numpy()
            after = (typed[column] > typed[end]).to_numpy()
            bad = np.flatnonzero(before | after)
            out.append(
                frame(
                    bad,
                    column,
                    "within",
                    typed[column].iloc[bad],
                    [
                        f"{column} {day(typed[column].iloc[p])} is "
                        + (
                            f"before {start} {day(typed[start].iloc[p])}"
                            if before[p]
                            else f"after {end} {day(typed[end].iloc[p])}"
                        )
                        + " (outside follow-up)."
                        for p in bad
                    ],
                )
            )
    return out


def overlap_cases(slim: pd.DataFrame, source: str) -> pd.DataFrame:
    """Episodes that start before the episode before them ended (``runner_id, onset_date,
    recovery_date, row`` of every valid episode), as failure cases."""
    slim = slim.reset_index(drop=True)
    slim = slim[slim["runner_id"].notna() & slim["onset_date"].notna()]
    slim = slim.sort_values(["runner_id", "onset_date", "row"], kind="stable")
    previous = slim.groupby("runner_id", sort=False)
    prev_rec = previous["recovery_date"].shift()
    prev_on = previous["onset_date"].shift()
    prev_row = previous["row"].shift()
    has_prev = prev_on.notna()
    overlap = has_prev & (prev_rec.isna() | (slim["onset_date"] < prev_rec))
    hit = slim[overlap]
    return pd.DataFrame(
        {
            "source": source,
            "row": pd.array(hit["row"].to_numpy(), dtype="Int64"),
            "runner_id": pd.array(hit["runner_id"].to_numpy(), dtype="string"),
            "column": "onset_date",
            "check": "overlap",
            "value": [plain(v) for v in hit["onset_date"]],
            "message": [
                f"episode starting {day(o)} overlaps the episode on row "
                f"{int(r)} (onset {day(po)}, recovery "
                f"{day(pr) if pd.notna(pr) else 'none: unresolved'})."
                for o, r, po, pr in zip(
                    hit["onset_date"],
                    prev_row[overlap],
                    prev_on[overlap],
                    prev_rec[overlap],
                    strict=True,
                )
            ],
        }
    )


def miles_message(miles: dict[str, Any], name: str) -> str | None:
    """The warning for distances that look like miles (race distances, slow paces), or None."""
    if miles["n"] < 5:
        return None
    paces = np.concatenate(miles["paces"]) if miles["paces"] else np.empty(0)
    median = float(np.median(paces)) if len(paces) else np.nan
    share = miles["race"] / miles["n"]
    reasons = []
    if share >= 0.5:
        reasons.append(
            f"{share:.0%} of distances sit on race distances in miles (3.1, 6.2, 13.1, 26.2)"
        )
    if len(paces) >= 10 and median > 9.0:
        reasons.append(f"the median pace is {median:.1f} min/km, slow for runners")
    if not reasons:
        return None
    return (
        f"{name}: distance_km looks like miles: {'; '.join(reasons)}. If the "
        "distances are in miles, pass units={'distance_km': 'mi'}."
    )
