"""Read the XML track formats: GPX (.gpx, versions 1.0 and 1.1) and TCX (.tcx), compressed or not.

A file may be gzip-, bz2-, xz- or zstd-compressed, whatever its name says: the codec is
recognised by its leading bytes (:mod:`lbprun.io._watch_bytes`) and the first record of a
compressed file carries it under ``"codec"``. Both are parsed by :func:`lbprun.io._xml.parse_xml` (one linear pass, size and depth limits,
no entities), so a hostile file ends in a :class:`~lbprun.exceptions.DataReadError` naming it.
Each activity is returned as a plain dict of raw values; :mod:`lbprun.io.wearables`
normalises, filters and anonymises them. Remarks travel in the first record's
``reader_notes``.

GPX. A file is one recording, as Strava and Garmin Connect import it: its timed tracks
(``<trk>``, e.g. a device's "ACTIVE LOG" and "ACTIVE LOG #2" around a pause) and their segments
make ONE activity. Tracks become separate activities only when their recorded ``<type>`` differ
(a run, then a ride) or when more than :data:`MAX_PAUSE_HOURS` hours pass between them (a
device log holding several days). Distance is the haversine sum between consecutive points of
each segment (Earth radius 6,378.137 km, as gpxpy; no distance across the gap between two
segments or tracks); elapsed time runs from the earliest to the latest point time; moving time
sums the intervals whose speed is at least 1 km/h, capped at the elapsed time.

Bad values inside a GPX file are dropped with a note, never used: points whose latitude or
longitude is missing, not a number or out of range (lat 999) are left out; times that cannot be
read (year 99999, an offset beyond +-14 h, garbage) count as missing, as do placeholder times
before 1990 (GPSBabel writes 1901-12-13T20:45:52Z for an unknown time); non-finite elevations
("NaN") and heart rates outside (0, 300) bpm are missing. A track without any usable time (a
planned route) is skipped with a note; a file with no timed track raises
:class:`NotAnActivityError`.

TCX (Garmin Training Center): one activity per ``<Activity>``; distance and moving time are the
laps' ``DistanceMeters`` and ``TotalTimeSeconds`` (the summary), elapsed time runs from the first
to the last ``Trackpoint`` and is at least the laps' time. When the trackpoints' cumulative
distance disagrees with the laps' by more than 5 %, the laps win and a note says so.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import Counter
from pathlib import Path
from typing import Any

from lbprun.exceptions import DataReadError, NotAnActivityError
from lbprun.io._activity_types import normalise_type
from lbprun.io._watch_bytes import file_bytes, unpack, with_codec
from lbprun.io._xml import local_name, parse_xml

__all__ = [
    "MAX_PAUSE_HOURS",
    "MOVING_SPEED_M_S",
    "read_gpx",
    "read_gpx_bytes",
    "read_tcx",
    "read_tcx_bytes",
]

#: Speed (m/s) at or above which an interval between two points counts as moving (1 km/h, the
#: stopped-speed threshold gpxpy uses).
MOVING_SPEED_M_S = 1000.0 / 3600.0
#: Tracks of one GPX file further apart than this are separate activities.
MAX_PAUSE_HOURS = 6.0
#: Times before this year are placeholders for an unknown time; after the last, impossible.
_FIRST_REAL_YEAR, _LAST_REAL_YEAR = 1990, 2100
_MAX_OFFSET = _dt.timedelta(hours=14)
_EARTH_RADIUS_M = 6378137.0
#: Relative disagreement between a summary and its records that earns a note.
_DISAGREE = 0.05

_Point = tuple[float, float, "float | None", "_dt.datetime | None", "float | None"]


def read_gpx(path: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Read one .gpx file (compressed or not); raise DataReadError naming it when unreadable."""
    label = name or str(path)
    raw, codec = file_bytes(path, label, "GPX")
    return with_codec(_parse_gpx(raw, label), codec)


def read_gpx_bytes(raw: bytes, label: str, *, gzipped: bool = False) -> list[dict[str, Any]]:
    """Parse GPX bytes, compressed or not (``gzipped`` is ignored); ``label`` names the file."""
    raw, codec = unpack(raw, label, "GPX")
    return with_codec(_parse_gpx(raw, label), codec)


def _parse_gpx(raw: bytes, label: str) -> list[dict[str, Any]]:
    root = parse_xml(raw, label, "GPX")
    if local_name(root) != "gpx":
        raise DataReadError(f"{label}: not a GPX file (its root element is <{local_name(root)}>).")
    bad: Counter[str] = Counter()
    tracks = [_read_track(e, bad) for e in root if local_name(e) == "trk"]
    if not tracks:
        raise NotAnActivityError(f"{label}: GPX file has no track (<trk>), so no activity.")
    timed = [(n, t) for n, t in enumerate(tracks, 1) if t["times"]]
    if not timed:
        raise NotAnActivityError(
            f"{label}: no GPX track has usable timestamps (a route, or placeholder times "
            "before 1990)."
        )
    meta = _metadata(root)
    notes = []
    records = []
    for group in _group(timed):
        records.append(_activity([t for _, t in group], meta, label))
        if len(group) > 1:
            numbers = ", ".join(str(n) for n, _ in group)
            notes.append(
                f"{label}: tracks {numbers} are one recording split by pauses; read as one "
                "activity."
            )
    untimed = [str(n) for n, t in enumerate(tracks, 1) if not t["times"]]
    if untimed:
        notes.append(
            f"{label}: track(s) {', '.join(untimed)} without timestamped points were skipped."
        )
    notes.extend(_bad_notes(bad, label))
    if notes:
        records[0]["reader_notes"] = notes
    return records


def _metadata(root: Any) -> dict[str, str | None]:
    """Name, description and author of a GPX 1.1 ``<metadata>`` or GPX 1.0 header."""
    meta: dict[str, str | None] = {"name": None, "desc": None, "author": None, "email": None}
    for element in root:
        name = local_name(element)
        if name == "metadata":
            for child in element:
                key = local_name(child)
                if key in ("name", "desc"):
                    meta[key] = _text(child)
                elif key == "author":
                    for part in child:
                        if local_name(part) == "name":
                            meta["author"] = _text(part)
                        elif local_name(part) == "email" and part.get("id"):
                            meta["email"] = f"{part.get('id')}@{part.get('domain', '')}"
        elif name in ("name", "desc", "author", "email"):  # GPX 1.0
            meta[name] = _text(element)
    return meta


def _text(element: Any) -> str | None:
    text = (element.text or "").strip()
    return text or None


def _read_track(track: Any, bad: Counter[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": None, "name": None, "desc": None, "segments": []}
    for child in track:
        name = local_name(child)
        if name in ("type", "name", "desc"):
            out[name] = _text(child)
        elif name == "trkseg":
            points = [p for e in child if local_name(e) == "trkpt" if (p := _point(e, bad))]
            if points:
                out["segments"].append(points)
    out["times"] = [p[3] for points in out["segments"] for p in points if p[3] is not None]
    return out


def _point(element: Any, bad: Counter[str]) -> _Point | None:
    try:
        lat, lon = float(element.get("lat")), float(element.get("lon"))
    except (TypeError, ValueError):
        bad["coordinates"] += 1
        return None
    if not (math.isfinite(lat) and math.isfinite(lon) and abs(lat) <= 90 and abs(lon) <= 180):
        bad["coordinates"] += 1
        return None
    elevation = when = rate = None
    for child in element:
        name = local_name(child)
        if name == "ele":
            elevation = _finite(child.text, bad, "elevations")
        elif name == "time":
            when = _when(child.text, bad)
        else:
            for sub in child.iter():
                if local_name(sub).lower() == "hr" and rate is None:
                    value = _finite(sub.text, bad, "heart rates")
                    rate = value if value is not None and 0 < value < 300 else None
    return (lat, lon, elevation, when, rate)


def _finite(text: str | None, bad: Counter[str], what: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        bad[what] += 1
        return None
    return value


def _when(text: str | None, bad: Counter[str]) -> _dt.datetime | None:
    """A point time; None when missing, unreadable (counted) or a placeholder before 1990."""
    text = (text or "").strip()
    if not text:
        return None
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    try:
        when = _dt.datetime.fromisoformat(text)
        offset = when.utcoffset()
    except (ValueError, TypeError, OverflowError):
        bad["times"] += 1
        return None
    if offset is not None and abs(offset) > _MAX_OFFSET or when.year > _LAST_REAL_YEAR:
        bad["times"] += 1
        return None
    return when if when.year >= _FIRST_REAL_YEAR else None


def _bad_notes(bad: Counter[str], label: str) -> list[str]:
    notes = []
    if bad["coordinates"]:
        notes.append(
            f"{label}: {bad['coordinates']} point(s) with a missing or impossible latitude or "
            "longitude were left out."
        )
    for what in ("times", "elevations", "heart rates"):
        if bad[what]:
            notes.append(f"{label}: {bad[what]} unreadable point {what} were read as missing.")
    return notes


def _group(timed: list[tuple[int, dict[str, Any]]]) -> list[list[tuple[int, dict[str, Any]]]]:
    """Tracks of one recording: in time order, split where the type changes or a long pause."""
    ordered = sorted(timed, key=lambda item: (_utc(min(item[1]["times"])), item[0]))
    groups: list[list[tuple[int, dict[str, Any]]]] = []
    kind = end = None
    for number, track in ordered:
        mine = normalise_type(track["type"]) if track["type"] else None
        start = _utc(min(track["times"]))
        pause = end is not None and (start - end).total_seconds() > MAX_PAUSE_HOURS * 3600
        if not groups or pause or (mine and kind and mine != kind):
            groups.append([])
            kind = None
        groups[-1].append((number, track))
        kind = kind or mine
        finish = _utc(max(track["times"]))
        end = finish if end is None or finish > end else end
    return groups


def _utc(when: _dt.datetime) -> _dt.datetime:
    """Comparable time: a naive time is read as UTC (as :mod:`lbprun.io.wearables` does)."""
    return when.replace(tzinfo=_dt.UTC) if when.utcoffset() is None else when


def _haversine(a: _Point, b: _Point) -> float:
    d_lon = math.radians(a[1] - b[1])
    lat1, lat2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((lat1 - lat2) / 2) ** 2 + math.sin(d_lon / 2) ** 2 * math.cos(lat1) * math.cos(
        lat2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0)))


def _activity(tracks: list[dict[str, Any]], meta: dict[str, Any], label: str) -> dict[str, Any]:
    segments = [points for track in tracks for points in track["segments"]]
    times = [t for track in tracks for t in track["times"]]
    distance_m = moving_s = gain_m = 0.0
    for points in segments:
        for a, b in zip(points, points[1:], strict=False):
            step = _haversine(a, b)
            distance_m += step
            if a[3] is not None and b[3] is not None:
                seconds = (_utc(b[3]) - _utc(a[3])).total_seconds()
                if seconds > 0 and step / seconds >= MOVING_SPEED_M_S:
                    moving_s += seconds
            if a[2] is not None and b[2] is not None:
                gain_m += max(b[2] - a[2], 0.0)
    rates = [p[4] for points in segments for p in points if p[4] is not None]
    start = min(times, key=_utc)
    elapsed = (_utc(max(times, key=_utc)) - _utc(start)).total_seconds()
    offset = None
    if start.utcoffset() is not None:
        offset = round(start.utcoffset().total_seconds() / 60.0)
    first = segments[0][0]
    typed = next((t["type"] for t in tracks if t["type"]), None)
    return {
        "source_format": "gpx",
        "filename": Path(label).name,
        "start_time": start,
        "naive_time": start.utcoffset() is None,
        "utc_offset_min": offset,
        "distance_km": distance_m / 1000.0,
        "duration_min": elapsed / 60.0,
        "moving_time_min": min(moving_s, elapsed) / 60.0,
        "elevation_gain_m": gain_m if any(p[2] is not None for s in segments for p in s) else None,
        "avg_hr": sum(rates) / len(rates) if rates else None,
        "raw_type": typed,
        "activity_name": tracks[0]["name"] or meta["name"],
        "activity_description": tracks[0]["desc"] or meta["desc"],
        "start_lat": first[0],
        "start_lon": first[1],
        "athlete_name": meta["author"],
        "athlete_email": meta["email"],
    }


def read_tcx(path: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Read one .tcx file (compressed or not); raise DataReadError naming it when unreadable."""
    label = name or str(path)
    raw, codec = file_bytes(path, label, "TCX")
    return with_codec(_parse_tcx(raw, label), codec)


def read_tcx_bytes(raw: bytes, label: str, *, gzipped: bool = False) -> list[dict[str, Any]]:
    """Parse TCX bytes, compressed or not (``gzipped`` is ignored); ``label`` names the file."""
    raw, codec = unpack(raw, label, "TCX")
    return with_codec(_parse_tcx(raw, label), codec)


def _parse_tcx(raw: bytes, label: str) -> list[dict[str, Any]]:
    root = parse_xml(raw, label, "TCX")
    activities = [e for e in root.iter() if local_name(e) == "Activity"]
    if not activities:
        raise DataReadError(f"{label}: TCX file has no <Activity>.")
    bad: Counter[str] = Counter()
    notes: list[str] = []
    records = [_tcx_activity(a, label, n, bad, notes) for n, a in enumerate(activities, 1)]
    notes.extend(_bad_notes(bad, label))
    if notes:
        records[0]["reader_notes"] = notes
    return records


def _children(element: Any, name: str) -> list[Any]:
    return [e for e in element.iter() if local_name(e) == name]


def _tcx_text(element: Any, name: str) -> str | None:
    found = _children(element, name)
    return found[0].text.strip() if found and found[0].text else None


def _summary(text: str | None, label: str, number: int, what: str) -> float:
    """A lap total: a finite, non-negative number (0 when absent), else DataReadError."""
    try:
        value = float(text or 0.0)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise DataReadError(f"{label}: activity {number} has an unreadable lap {what} ({text!r}).")
    return value


def _tcx_activity(
    activity: Any, label: str, number: int, bad: Counter[str], notes: list[str]
) -> dict[str, Any]:
    laps = _children(activity, "Lap")
    points = _children(activity, "Trackpoint")
    times = [t for p in points if (t := _when(_tcx_text(p, "Time"), bad)) is not None]
    if not times and laps and laps[0].get("StartTime"):
        times = [t for t in [_when(laps[0].get("StartTime"), bad)] if t is not None]
    if not times:
        raise DataReadError(f"{label}: activity {number} has no start time.")
    lap_seconds = [
        _summary(_tcx_text(lap, "TotalTimeSeconds"), label, number, "time") for lap in laps
    ]
    lap_metres = [
        _summary(_tcx_text(lap, "DistanceMeters"), label, number, "distance") for lap in laps
    ]
    heights = [
        h
        for p in points
        if (h := _finite(_tcx_text(p, "AltitudeMeters"), bad, "elevations")) is not None
    ]
    rates = [
        r if r is not None and 0 < r < 300 else None
        for lap in laps
        for e in _children(lap, "AverageHeartRateBpm")
        for r in [_finite(_tcx_text(e, "Value"), bad, "heart rates")]
    ]
    lat = lon = None
    for p in points:
        if _children(p, "Position"):
            lat = _finite(_tcx_text(p, "LatitudeDegrees"), bad, "coordinates")
            lon = _finite(_tcx_text(p, "LongitudeDegrees"), bad, "coordinates")
            if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
                lat = lon = None
            break
    track = [
        d
        for p in points
        if (d := _finite(_tcx_text(p, "DistanceMeters"), bad, "distances")) is not None
    ]
    if track and sum(lap_metres) > 0:
        recorded = max(track) - min(track)
        if abs(recorded - sum(lap_metres)) > max(_DISAGREE * sum(lap_metres), 50.0):
            notes.append(
                f"{label}: activity {number}: the laps' distance ({sum(lap_metres) / 1000:.3f} km) "
                f"and the trackpoints' ({recorded / 1000:.3f} km) disagree; the laps' was used."
            )
    start = min(times, key=_utc)
    # elapsed time includes the timer time: the first trackpoint may come after the lap start
    elapsed = max((_utc(max(times, key=_utc)) - _utc(start)).total_seconds(), sum(lap_seconds))
    weights = [s for s in lap_seconds if s > 0]
    usable = [r for r in rates if r is not None]
    offset = None
    if start.utcoffset() is not None:
        offset = round(start.utcoffset().total_seconds() / 60.0)
    return {
        "source_format": "tcx",
        "filename": Path(label).name,
        "start_time": start,
        "utc_offset_min": offset,
        "distance_km": sum(lap_metres) / 1000.0,
        "duration_min": elapsed / 60.0,
        "moving_time_min": sum(lap_seconds) / 60.0,
        "elevation_gain_m": sum(
            max(b - a, 0.0) for a, b in zip(heights, heights[1:], strict=False)
        )
        if heights
        else None,
        "avg_hr": sum(r * s for r, s in zip(usable, weights, strict=False)) / sum(weights)
        if usable and len(usable) == len(rates) == len(weights)
        else None,
        "raw_type": activity.get("Sport"),
        "device_serial": _tcx_text(activity, "UnitId"),
        "start_lat": lat,
        "start_lon": lon,
    }
