"""Read Garmin FIT activity files (.fit, .fit.gz) with fitdecode.

One activity per ``session`` message (a multisport file has several). When a file has no
session, the ``record`` messages are summed instead. Each activity is returned as a plain dict
of raw values; :mod:`lbprun.io.wearables` normalises, filters and anonymises them.
"""

from __future__ import annotations

import datetime as _dt
import io
import struct
from pathlib import Path
from typing import Any

from lbprun.exceptions import DataReadError
from lbprun.io._watch_bytes import file_bytes, gunzip

__all__ = ["read_fit", "read_fit_bytes"]

_SEMICIRCLE_DEG = 180.0 / 2**31


def read_fit(path: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Read one .fit or .fit.gz file; raise DataReadError naming it when it is unreadable."""
    label = name or str(path)
    raw, gzipped = file_bytes(path, label, "FIT")
    return read_fit_bytes(raw, label, gzipped=gzipped)


def read_fit_bytes(raw: bytes, label: str, *, gzipped: bool = False) -> list[dict[str, Any]]:
    """Decode FIT bytes (optionally gzip-compressed); ``label`` names the file in errors."""
    import fitdecode

    if gzipped:
        raw = gunzip(raw, label)
    messages: dict[str, list[dict[str, Any]]] = {}
    try:
        with fitdecode.FitReader(
            io.BytesIO(raw),
            check_crc=fitdecode.CrcCheck.RAISE,
            error_handling=fitdecode.ErrorHandling.RAISE,
        ) as reader:
            for frame in reader:
                if frame.frame_type != fitdecode.FIT_FRAME_DATA:
                    continue
                if frame.name in ("file_id", "session", "record", "activity"):
                    values = {f.name: f.value for f in frame.fields}
                    messages.setdefault(frame.name, []).append(values)
    except fitdecode.FitCRCError as error:
        raise DataReadError(f"{label}: corrupt FIT file, CRC check failed ({error}).") from None
    except (fitdecode.FitError, ValueError, KeyError, struct.error) as error:
        raise DataReadError(f"{label}: corrupt or truncated FIT file ({error}).") from None
    return _activities(messages, label)


def _activities(messages: dict[str, list[dict[str, Any]]], label: str) -> list[dict[str, Any]]:
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
    if not sessions:
        if not records:
            raise DataReadError(f"{label}: FIT file has neither session nor record messages.")
        return [{**common, **_from_records(records, label)}]
    out = []
    for session in sessions:
        start = session.get("start_time") or session.get("timestamp")
        if not isinstance(start, _dt.datetime):
            raise DataReadError(f"{label}: FIT session without a start time.")
        elapsed = session.get("total_elapsed_time")
        timer = session.get("total_timer_time")
        distance = session.get("total_distance")
        if distance is None:
            distance = _from_records(records, label)["distance_km"] * 1000.0
        out.append(
            {
                **common,
                "start_time": start,
                "distance_km": float(distance) / 1000.0,
                "duration_min": _minutes(elapsed if elapsed is not None else timer),
                "moving_time_min": _minutes(timer),
                "elevation_gain_m": _float(session.get("total_ascent")),
                "avg_hr": _float(session.get("avg_heart_rate")),
                "raw_type": _sport(session),
                "start_lat": _degrees(session.get("start_position_lat")),
                "start_lon": _degrees(session.get("start_position_long")),
            }
        )
    return out


def _from_records(records: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """Summarise ``record`` messages: elapsed time, last cumulative distance, ascent, mean HR."""
    times = [r["timestamp"] for r in records if isinstance(r.get("timestamp"), _dt.datetime)]
    if not times:
        raise DataReadError(f"{label}: FIT records carry no timestamps.")
    distances = [float(r["distance"]) for r in records if r.get("distance") is not None]
    heights = [
        float(h)
        for r in records
        if (h := r.get("enhanced_altitude", r.get("altitude"))) is not None
    ]
    rates = [float(r["heart_rate"]) for r in records if r.get("heart_rate") is not None]
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
            return round((local - utc).total_seconds() / 60.0)
    return None


def _sport(session: dict[str, Any]) -> str | None:
    sport, sub = session.get("sport"), session.get("sub_sport")
    if sport is None:
        return None
    if sub in (None, "generic") or isinstance(sub, int):
        return str(sport)
    return f"{sport}:{sub}"


def _minutes(seconds: Any) -> float | None:
    return None if seconds is None else float(seconds) / 60.0


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _degrees(semicircles: Any) -> float | None:
    if semicircles is None or isinstance(semicircles, float):
        return semicircles
    return float(semicircles) * _SEMICIRCLE_DEG
