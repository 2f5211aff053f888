"""Rows of a watch import: local dates, untyped activities, duplicates and the row accounting.

Used by :func:`lbprun.io.wearables.read_watch_export` on the raw records its readers return.

Untyped activities (a GPX file without ``<type>``, a FIT file without a session sport, a TCX
``Sport="Other"``) are classified by their pace over the moving time (the elapsed time when
the moving time is unknown): slower than :data:`WALK_PACE_MIN_PER_KM` is a ``walk`` (walking
or hiking), faster than :data:`RIDE_PACE_MIN_PER_KM` a ``ride``; in between they stay
``unknown`` and are kept with the runs.

Accounting: every record of every source is counted once,
``rows_in == rows_kept + rows_excluded``, where ``rows_excluded`` counts the activities left out
by type (``excluded_types`` by type) and the runs removed as recorded twice (under
``"duplicate"``).
"""

from __future__ import annotations

import bisect
import dataclasses
import zoneinfo
from collections import Counter
from typing import Any

import pandas as pd

from lbprun.exceptions import DataReadError
from lbprun.io.schema import PACE_MIN_PER_KM

__all__ = [
    "COLUMNS",
    "RIDE_PACE_MIN_PER_KM",
    "WALK_PACE_MIN_PER_KM",
    "add_watch_accounting",
    "classify_untyped",
    "dedupe",
    "empty_duplicates",
    "local_dates",
]

#: Output columns, in order (schema columns first, then ``moving_time_min`` and the format).
COLUMNS = (
    "runner_id", "date", "start_time", "distance_km", "duration_min", "moving_time_min",
    "surface", "shoe_id", "activity_type", "elevation_gain_m", "avg_hr", "rpe", "source_format",
)  # fmt: skip

#: An untyped activity slower than this (min/km) is a walk or a hike (under 5.5 km/h).
WALK_PACE_MIN_PER_KM = 11.0
#: An untyped activity faster than this (min/km) is a ride: faster than any run lbprun accepts.
RIDE_PACE_MIN_PER_KM = PACE_MIN_PER_KM[0]

_DEDUPE_SECONDS = 120.0
_DEDUPE_DISTANCE = 0.02


def classify_untyped(records: list[dict[str, Any]], notes: list[str]) -> None:
    """Give untyped records (``activity_type == "unknown"``) a type from their pace, in place."""
    found: Counter[str] = Counter()
    for record in records:
        if record["activity_type"] != "unknown":
            continue
        minutes = record.get("moving_time_min") or record.get("duration_min")
        km = record.get("distance_km")
        if not minutes or not km or km <= 0:
            continue
        pace = minutes / km
        if pace > WALK_PACE_MIN_PER_KM:
            record["activity_type"] = "walk"
        elif pace < RIDE_PACE_MIN_PER_KM:
            record["activity_type"] = "ride"
        else:
            continue
        found[record["activity_type"]] += 1
    if found["walk"]:
        notes.append(
            f"{found['walk']} activity(ies) without a recorded type move slower than "
            f"{WALK_PACE_MIN_PER_KM:g} min/km (walking or hiking pace); read as 'walk'."
        )
    if found["ride"]:
        notes.append(
            f"{found['ride']} activity(ies) without a recorded type move faster than "
            f"{RIDE_PACE_MIN_PER_KM:g} min/km (faster than any run); read as 'ride'."
        )


def add_watch_accounting(result: Any, watch: pd.DataFrame) -> Any:
    """Add a watch import's notes and left-out rows to what ``read_activities`` returns.

    ``result`` is the validated frame or its :class:`~lbprun.io.validate.ValidationReport`;
    ``watch`` the frame :func:`~lbprun.io.wearables.read_watch_export` returned. Afterwards
    ``rows_in`` counts every record of the source (kept, rejected, excluded by type and removed
    as duplicates) and the notes start with the import's.
    """
    meta = watch.attrs.get("lbprun", {})
    extra = int(meta.get("rows_excluded", 0))
    kinds = dict(meta.get("excluded_types", {}))
    notes = list(meta.get("notes", []))

    def update(attrs: dict[str, Any]) -> None:
        attrs["rows_in"] = attrs.get("rows_in", 0) + extra
        attrs["rows_excluded"] = attrs.get("rows_excluded", 0) + extra
        attrs["excluded_types"] = _merge(attrs.get("excluded_types", {}), kinds)
        attrs["rows_duplicates"] = int(meta.get("rows_duplicates", 0))
        attrs["notes"] = notes + list(attrs.get("notes", []))
        if "report" in meta:
            attrs["watch_report"] = meta["report"]

    if isinstance(result, pd.DataFrame):
        update(result.attrs.setdefault("lbprun", {}))
        return result
    if result.data is not None and "lbprun" in result.data.attrs:
        update(result.data.attrs["lbprun"])
    return dataclasses.replace(
        result,
        rows_in=result.rows_in + extra,
        rows_excluded=result.rows_excluded + extra,
        excluded_types=_merge(result.excluded_types, kinds),
        notes=tuple(notes) + tuple(result.notes),
    )


def _merge(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    out = Counter(a)
    out.update(b)
    return dict(out)


def local_dates(
    records: list[dict[str, Any]],
    zone: zoneinfo.ZoneInfo | None,
    tz: Any,
    notes: list[str],
    source: str = "",
) -> str:
    """Set each record's UTC ``start_time`` and local ``date``; return where dates came from."""
    in_utc = naive = 0
    for record in records:
        try:
            start = pd.Timestamp(record["start_time"])
            if start.tzinfo is None:
                naive += 1
                start = start.tz_localize("UTC")
            start = start.tz_convert("UTC").as_unit("ns")
            if zone is not None:
                local = start.tz_convert(zone)
            elif record.get("utc_offset_min") is not None:
                local = start + pd.Timedelta(minutes=record["utc_offset_min"])
            else:
                local = start
                in_utc += 1
        except (ValueError, TypeError, OverflowError) as error:  # OutOfBoundsDatetime too
            raise DataReadError(
                f"{source}: an activity start time cannot be dated ({record['start_time']!r}: "
                f"{error})."
            ) from None
        record["start_time"] = start
        record["date"] = pd.Timestamp(local.date())
    if naive:
        notes.append(f"{naive} activity(ies) had times without a zone; read as UTC.")
    if zone is not None:
        return f"tz argument {tz!r}"
    if in_utc:
        notes.append(
            f"{in_utc} activity(ies) had no local UTC offset; their date is the UTC date "
            "(pass tz= to use a time zone)."
        )
    return "UTC" if in_utc == len(records) else "activity files' UTC offset"


def _richness(record: dict[str, Any]) -> int:
    return sum(record.get(k) is not None for k in COLUMNS)


def empty_duplicates() -> pd.DataFrame:
    names = ["start_time", "distance_km", "kept_start_time", "kept_distance_km"]
    return pd.DataFrame(columns=[*names, "start_diff_s", "distance_diff_pct"])


def dedupe(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Remove runs recorded twice in place; return the removed ones.

    Records are visited from the richest (most filled fields; then earliest start) down; one
    is kept unless a kept record is its twin, so no two kept records are twins and every
    removed record names the kept twin closest in start time.
    """
    order = sorted(
        range(len(records)),
        key=lambda i: (-_richness(records[i]), records[i]["start_time"], i),
    )
    starts: list[float] = []
    kept: list[dict[str, Any]] = []
    removed = []
    for i in order:
        record = records[i]
        second = record["start_time"].timestamp()
        low = bisect.bisect_left(starts, second - _DEDUPE_SECONDS)
        high = bisect.bisect_right(starts, second + _DEDUPE_SECONDS)
        twins = [kept[j] for j in range(low, high) if _same_run(kept[j], record)]
        if not twins:
            place = bisect.bisect_right(starts, second)
            starts.insert(place, second)
            kept.insert(place, record)
            continue
        twin = min(twins, key=lambda k: abs(k["start_time"].timestamp() - second))
        removed.append(
            {
                "start_time": record["start_time"],
                "distance_km": record["distance_km"],
                "kept_start_time": twin["start_time"],
                "kept_distance_km": twin["distance_km"],
                "start_diff_s": abs((record["start_time"] - twin["start_time"]).total_seconds()),
                "distance_diff_pct": 100 * _relative_gap(record, twin),
            }
        )
    records[:] = kept
    if not removed:
        return empty_duplicates()
    return pd.DataFrame(removed).sort_values("start_time", ignore_index=True)


def _relative_gap(a: dict[str, Any], b: dict[str, Any]) -> float:
    x, y = a.get("distance_km") or 0.0, b.get("distance_km") or 0.0
    return 0.0 if max(x, y) == 0 else abs(x - y) / max(x, y)


def _same_run(a: dict[str, Any], b: dict[str, Any]) -> bool:
    seconds = abs((a["start_time"] - b["start_time"]).total_seconds())
    return seconds <= _DEDUPE_SECONDS and _relative_gap(a, b) <= _DEDUPE_DISTANCE
