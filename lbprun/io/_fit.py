"""Read Garmin FIT activity files (.fit, plain or gzip/bz2/xz/zstd-compressed) with fitdecode.

One activity per ``session`` message (a multisport file has several). When a file has no
session, the ``record`` messages are summed instead. Each activity is returned as a plain dict
of raw values; :mod:`lbprun.io.wearables` normalises, filters and anonymises them. Remarks on
the file (fields read as raw bytes) travel in the first record's ``reader_notes``.

Real devices write a few things the FIT profile does not foresee, handled here: field sizes
that do not match their base type (COROS watches; such fields are read as raw bytes), a zero
``activity.local_timestamp`` (Zwift; the offset is ignored), an average heart rate of 0 when no
sensor was worn (read as missing), and times relative to the device's power-on (older
Garmin units; an error, since no calendar date can be derived). Files that are not activities
(settings, workouts, monitoring, weight scale) raise :class:`NotAnActivityError`.

Damaged files: when the file is cut short, fails its CRC or carries garbage AFTER a readable
``session`` message (a dead battery, some phone apps), the activity is read from its session
summary with a :class:`DataQualityWarning` and a note; ``strict=True`` refuses it. A damaged
file without a readable session raises :class:`DataReadError`. The summary wins over the
records: a session timer time above its elapsed time is capped at the elapsed time, and a
session distance or duration that differs from the records' by more than 5 % is kept, each
with a note. Every error of the decoder underneath becomes a :class:`DataReadError` naming the
file.
"""

from __future__ import annotations

import datetime as _dt
import io
import struct
import warnings
from pathlib import Path
from typing import Any

from lbprun.exceptions import DataQualityWarning, DataReadError, NotAnActivityError
from lbprun.io._watch_bytes import file_bytes, unpack, with_codec

__all__ = ["read_fit", "read_fit_bytes"]

_SEMICIRCLE_DEG = 180.0 / 2**31
#: The largest UTC offset in use (UTC+14); a larger local_timestamp - timestamp is a device bug.
_MAX_OFFSET_MIN = 14 * 60
#: Session start times outside these years are not real dates.
_FIRST_YEAR, _LAST_YEAR = 1990, 2100
#: Relative disagreement between the session summary and the records that earns a note.
_DISAGREE = 0.05


def read_fit(path: Path, name: str | None = None, *, strict: bool = False) -> list[dict[str, Any]]:
    """Read one .fit file (compressed or not); raise DataReadError naming it when unreadable."""
    label = name or str(path)
    raw, codec = file_bytes(path, label, "FIT")
    return with_codec(_read_fit(raw, label, strict), codec)


def read_fit_bytes(
    raw: bytes, label: str, *, gzipped: bool = False, strict: bool = False
) -> list[dict[str, Any]]:
    """Decode FIT bytes, compressed or not; ``label`` names the file in errors.

    The codec (gzip, bz2, xz, zstd) is recognised by the leading bytes; ``gzipped`` is
    accepted for compatibility and changes nothing. With ``strict=False`` a file that is
    damaged after a readable session summary (cut short, a CRC that does not match, garbage
    after it) gives the activities of its sessions, with a :class:`DataQualityWarning` and a
    note; ``strict=True`` refuses it.
    """
    raw, codec = unpack(raw, label, "FIT")
    return with_codec(_read_fit(raw, label, strict), codec)


def _read_fit(raw: bytes, label: str, strict: bool) -> list[dict[str, Any]]:
    messages, damage, relaxed = _decode(raw, label)
    notes = []
    if damage is not None:
        if strict or not messages.get("session"):
            raise DataReadError(damage)
        notes.append(
            f"{damage} The activity was read from its session summary, which comes before the "
            "damage; its values cannot be checked against the file's CRC."
        )
        warnings.warn(notes[-1], DataQualityWarning, stacklevel=4)
    activities = _activities(messages, label, notes)
    if relaxed:
        notes.append(
            f"{label}: {relaxed} FIT field definition(s) do not match the FIT profile "
            "(a known device quirk); those fields were read as raw bytes and not used."
        )
    if notes:
        activities[0]["reader_notes"] = notes
    return activities


#: Everything the decoder underneath may raise on hostile bytes.
_DECODE_ERRORS = (
    ValueError, KeyError, IndexError, LookupError, TypeError, RuntimeError, NotImplementedError,
    OverflowError, EOFError, AttributeError, ZeroDivisionError, RecursionError, struct.error,
    AssertionError,
)  # fmt: skip


def _decode(raw: bytes, label: str) -> tuple[dict[str, list[dict[str, Any]]], str | None, int]:
    """Decode the messages lbprun uses; return them, the damage found (a message) and the
    number of relaxed field definitions."""
    import fitdecode

    messages: dict[str, list[dict[str, Any]]] = {}
    damage = None
    # ErrorHandling.WARN only relaxes field sizes and developer-field definitions that do not
    # match the profile (real COROS files); the CRC and the structure are still checked.
    with warnings.catch_warnings(record=True) as relaxed:
        warnings.simplefilter("always")
        try:
            with fitdecode.FitReader(
                io.BytesIO(raw),
                check_crc=fitdecode.CrcCheck.RAISE,
                error_handling=fitdecode.ErrorHandling.WARN,
            ) as reader:
                for frame in reader:
                    if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                        continue
                    if frame.name in ("file_id", "session", "record", "activity"):
                        values = {f.name: f.value for f in frame.fields}
                        messages.setdefault(frame.name, []).append(values)
        except fitdecode.FitCRCError as error:
            damage = f"{label}: corrupt FIT file, CRC check failed ({error})."
        except (fitdecode.FitError, *_DECODE_ERRORS) as error:
            damage = f"{label}: corrupt or truncated FIT file ({type(error).__name__}: {error})."
    return messages, damage, len(relaxed)


def _activities(
    messages: dict[str, list[dict[str, Any]]], label: str, notes: list[str]
) -> list[dict[str, Any]]:
    file_id = (messages.get("file_id") or [{}])[0]
    serial = file_id.get("serial_number")
    offset = _utc_offset(messages.get("activity") or [])
    records = messages.get("record") or []
    common = {
        "source_format": "fit",
        "filename": Path(label).name,
        "device_serial": None if serial is None else str(serial),
        "utc_offset_min": offset,
    }
    sessions = messages.get("session") or []
    kind = file_id.get("type")
    if not sessions and kind not in (None, "activity", 4):
        raise NotAnActivityError(f"{label}: a FIT {kind} file, not an activity.")
    if not sessions:
        if not records:
            raise DataReadError(f"{label}: FIT file has neither session nor record messages.")
        return [{**common, **_from_records(records, label)}]
    out = []
    for session in sessions:
        start = session.get("start_time") or session.get("timestamp")
        if isinstance(start, int):
            raise DataReadError(
                f"{label}: FIT times are counted from the device's power-on, not calendar "
                "times; the date of the activity is unknown."
            )
        if not isinstance(start, _dt.datetime) or not _FIRST_YEAR <= start.year <= _LAST_YEAR:
            raise DataReadError(f"{label}: FIT session without a usable start time ({start!r}).")
        elapsed = _float(session.get("total_elapsed_time"))
        timer = _float(session.get("total_timer_time"))
        elapsed = timer if elapsed is None else elapsed
        if timer is not None and elapsed is not None and timer > elapsed:
            notes.append(
                f"{label}: the session's timer time ({timer:g} s) exceeds its elapsed time "
                f"({elapsed:g} s); the elapsed time was kept and the moving time capped at it."
            )
            timer = elapsed
        distance = _float(session.get("total_distance"))
        if distance is None and records:
            distance = _from_records(records, label)["distance_km"] * 1000.0
        if len(sessions) == 1 and records:
            _compare(distance, elapsed, records, label, notes)
        out.append(
            {
                **common,
                "start_time": start,
                "distance_km": None if distance is None else distance / 1000.0,
                "duration_min": _minutes(elapsed),
                "moving_time_min": _minutes(timer),
                "elevation_gain_m": _float(session.get("total_ascent")),
                "avg_hr": _heart_rate(session.get("avg_heart_rate")),
                "raw_type": _sport(session),
                "start_lat": _degrees(session.get("start_position_lat")),
                "start_lon": _degrees(session.get("start_position_long")),
            }
        )
    return out


def _compare(
    distance: float | None,
    elapsed: float | None,
    records: list[dict[str, Any]],
    label: str,
    notes: list[str],
) -> None:
    """Note where the session summary and the records disagree by more than 5 %."""
    try:
        summed = _from_records(records, label)
    except DataReadError:
        return
    recorded_m = summed["distance_km"] * 1000.0
    recorded_s = summed["duration_min"] * 60.0
    pairs = (
        ("distance", distance, recorded_m, 50.0, "m"),
        ("duration", elapsed, recorded_s, 60.0, "s"),
    )
    for what, summary, recorded, floor, unit in pairs:
        if summary is None or not recorded:
            continue
        if abs(summary - recorded) > max(_DISAGREE * summary, floor):
            notes.append(
                f"{label}: the session's {what} ({summary:.0f} {unit}) and the records' "
                f"({recorded:.0f} {unit}) disagree; the session summary was used."
            )


def _from_records(records: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """Summarise ``record`` messages: elapsed time, last cumulative distance, ascent, mean HR."""
    times = [r["timestamp"] for r in records if isinstance(r.get("timestamp"), _dt.datetime)]
    if not times:
        raise DataReadError(f"{label}: FIT records carry no timestamps.")
    distances = [d for r in records if (d := _float(r.get("distance"))) is not None]
    heights = [
        h
        for r in records
        if (h := _float(r.get("enhanced_altitude", r.get("altitude")))) is not None
    ]
    rates = [rate for r in records if (rate := _heart_rate(r.get("heart_rate"))) is not None]
    first = next((r for r in records if r.get("position_lat") is not None), {})
    return {
        "start_time": min(times),
        "distance_km": (max(distances) - min(distances)) / 1000.0 if distances else 0.0,
        "duration_min": (max(times) - min(times)).total_seconds() / 60.0,
        "moving_time_min": None,
        "elevation_gain_m": sum(
            max(b - a, 0.0) for a, b in zip(heights, heights[1:], strict=False)
        )
        if heights
        else None,
        "avg_hr": sum(rates) / len(rates) if rates else None,
        "raw_type": None,
        "start_lat": _degrees(first.get("position_lat")),
        "start_lon": _degrees(first.get("position_long")),
    }


def _utc_offset(activities: list[dict[str, Any]]) -> float | None:
    """Minutes east of UTC from the activity message (local_timestamp - timestamp)."""
    for message in activities:
        local, utc = message.get("local_timestamp"), message.get("timestamp")
        if isinstance(local, _dt.datetime) and isinstance(utc, _dt.datetime):
            offset = round((local - utc).total_seconds() / 60.0)
            # a zero local_timestamp (Zwift) reads as 1989-12-31: no offset, not -28 years
            return offset if abs(offset) <= _MAX_OFFSET_MIN else None
    return None


def _sport(session: dict[str, Any]) -> str | None:
    sport, sub = session.get("sport"), session.get("sub_sport")
    if sport is None:
        return None
    if sub in (None, "generic") or isinstance(sub, int):
        return str(sport)
    return f"{sport}:{sub}"


def _minutes(seconds: Any) -> float | None:
    value = _float(seconds)
    return None if value is None else value / 60.0


def _float(value: Any) -> float | None:
    """A number, or None for a missing value or one fitdecode left as raw bytes."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _heart_rate(value: Any) -> float | None:
    """A heart rate in bpm; 0 (written when no sensor was worn) is missing."""
    if not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


def _degrees(semicircles: Any) -> float | None:
    if isinstance(semicircles, float):
        return semicircles
    value = _float(semicircles)
    return None if value is None else value * _SEMICIRCLE_DEG
