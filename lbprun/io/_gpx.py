"""Read the XML track formats: GPX tracks (.gpx, .gpx.gz) with gpxpy, and TCX (.tcx, .tcx.gz).

One activity per ``<trk>``. Distances are haversine sums between consecutive points of each
segment (gpxpy's ``haversine_distance``, Earth radius 6,378.137 km; no elevation, no smoothing),
so they agree with gpxpy's ``length_2d`` (a flat-earth shortcut for close points) to better
than 1 cm per km. Each activity is returned as a plain dict of raw values;
:mod:`lbprun.io.wearables` normalises, filters and anonymises them.

TCX (Garmin Training Center) is read with :mod:`xml.etree.ElementTree`: one activity per
``<Activity>``, distance and moving time from the laps' ``DistanceMeters`` and
``TotalTimeSeconds``, elapsed time from the first to the last ``Trackpoint``.

Real files: a track without times (a planned route) is skipped when the file holds timed
tracks too, and a file with no timed track raises :class:`NotAnActivityError`; point times
before 1990 are placeholders (GPSBabel writes 1901-12-13T20:45:52Z for an unknown time) and
count as missing; points out of time order are allowed (start and end are the earliest and
the latest time, and moving time is capped at the elapsed time). Remarks travel in the first record's ``reader_notes``.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from lbprun.exceptions import DataReadError, NotAnActivityError
from lbprun.io._watch_bytes import file_bytes, gunzip

__all__ = ["MOVING_SPEED_M_S", "read_gpx", "read_gpx_bytes", "read_tcx", "read_tcx_bytes"]

#: Speed (m/s) at or above which an interval between two points counts as moving (1 km/h, the
#: stopped-speed threshold gpxpy uses).
MOVING_SPEED_M_S = 1000.0 / 3600.0
#: Times before this are placeholders for an unknown time, not real GPS times.
_FIRST_REAL_YEAR = 1990


def read_gpx(path: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Read one .gpx or .gpx.gz file; raise DataReadError naming it when it is unreadable."""
    label = name or str(path)
    raw, gzipped = file_bytes(path, label, "GPX")
    return read_gpx_bytes(raw, label, gzipped=gzipped)


def read_gpx_bytes(raw: bytes, label: str, *, gzipped: bool = False) -> list[dict[str, Any]]:
    """Parse GPX bytes (optionally gzip-compressed); ``label`` names the file in errors."""
    import gpxpy
    import gpxpy.gpx

    if gzipped:
        raw = gunzip(raw, label)
    try:
        text = raw.decode("utf-8-sig")
        gpx = gpxpy.parse(text)
    except (gpxpy.gpx.GPXException, UnicodeDecodeError, ValueError) as error:
        raise DataReadError(f"{label}: malformed or truncated GPX file ({error}).") from None
    if not gpx.tracks:
        raise NotAnActivityError(f"{label}: GPX file has no track (<trk>), so no activity.")
    timed = [(n, t) for n, t in enumerate(gpx.tracks, 1) if any(map(_time, _points(t)))]
    if not timed:
        raise NotAnActivityError(
            f"{label}: no GPX track has usable timestamps (a route, or placeholder times before 1990)."
        )
    records = [_track(track, gpx, label) for _, track in timed]
    untimed = [str(n) for n in range(1, len(gpx.tracks) + 1) if n not in dict(timed)]
    if untimed:
        records[0]["reader_notes"] = [
            f"{label}: track(s) {', '.join(untimed)} without timestamped points were skipped."
        ]
    return records


def _points(track: Any) -> list[Any]:
    return [p for segment in track.segments for p in segment.points]


def _time(point: Any) -> _dt.datetime | None:
    """The point's time, or None when missing or a placeholder (before 1990)."""
    when = point.time
    return when if when is not None and when.year >= _FIRST_REAL_YEAR else None


def _track(track: Any, gpx: Any, label: str) -> dict[str, Any]:
    from gpxpy.geo import haversine_distance

    segments = [seg.points for seg in track.segments if seg.points]
    times = [t for points in segments for p in points if (t := _time(p)) is not None]
    distance_m = moving_s = gain_m = 0.0
    rates: list[float] = []
    for points in segments:
        for a, b in zip(points, points[1:], strict=False):
            step = haversine_distance(a.latitude, a.longitude, b.latitude, b.longitude)
            distance_m += step
            if _time(a) is not None and _time(b) is not None:
                seconds = (b.time - a.time).total_seconds()
                if seconds > 0 and step / seconds >= MOVING_SPEED_M_S:
                    moving_s += seconds
            if a.elevation is not None and b.elevation is not None:
                gain_m += max(b.elevation - a.elevation, 0.0)
        rates.extend(r for p in points if (r := _heart_rate(p)) is not None)
    start, end = min(times), max(times)
    offset = None
    if start.tzinfo is not None and start.utcoffset() is not None:
        offset = round(start.utcoffset().total_seconds() / 60.0)
    has_elevation = any(p.elevation is not None for points in segments for p in points)
    first = segments[0][0]
    return {
        "source_format": "gpx",
        "filename": Path(label).name,
        "start_time": start,
        "naive_time": start.tzinfo is None,
        "utc_offset_min": offset,
        "distance_km": distance_m / 1000.0,
        "duration_min": _seconds(start, end) / 60.0,
        "moving_time_min": min(moving_s, _seconds(start, end)) / 60.0,
        "elevation_gain_m": gain_m if has_elevation else None,
        "avg_hr": sum(rates) / len(rates) if rates else None,
        "raw_type": track.type,
        "activity_name": track.name or gpx.name,
        "activity_description": track.description or gpx.description,
        "start_lat": first.latitude,
        "start_lon": first.longitude,
        "athlete_name": getattr(gpx, "author_name", None),
        "athlete_email": getattr(gpx, "author_email", None),
    }


def _seconds(start: _dt.datetime, end: _dt.datetime) -> float:
    return (end - start).total_seconds()


def _heart_rate(point: Any) -> float | None:
    """Heart rate from a Garmin TrackPointExtension (``gpxtpx:hr``) or a plain ``<hr>``."""
    for extension in point.extensions:
        for element in extension.iter():
            if element.tag.rsplit("}", 1)[-1].lower() == "hr" and element.text:
                try:
                    rate = float(element.text)
                except ValueError:
                    return None
                return rate if rate > 0 else None
    return None


def read_tcx(path: Path, name: str | None = None) -> list[dict[str, Any]]:
    """Read one .tcx or .tcx.gz file; raise DataReadError naming it when it is unreadable."""
    label = name or str(path)
    raw, gzipped = file_bytes(path, label, "TCX")
    return read_tcx_bytes(raw, label, gzipped=gzipped)


def read_tcx_bytes(raw: bytes, label: str, *, gzipped: bool = False) -> list[dict[str, Any]]:
    """Parse TCX bytes (optionally gzip-compressed); ``label`` names the file in errors."""
    import xml.etree.ElementTree as ET

    if gzipped:
        raw = gunzip(raw, label)
    try:
        root = ET.fromstring(raw.lstrip())
    except ET.ParseError as error:
        raise DataReadError(f"{label}: malformed or truncated TCX file ({error}).") from None
    activities = [e for e in root.iter() if _local(e) == "Activity"]
    if not activities:
        raise DataReadError(f"{label}: TCX file has no <Activity>.")
    return [_tcx_activity(a, label, n) for n, a in enumerate(activities, 1)]


def _local(element: Any) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def _children(element: Any, name: str) -> list[Any]:
    return [e for e in element.iter() if _local(e) == name]


def _text(element: Any, name: str) -> str | None:
    found = _children(element, name)
    return found[0].text.strip() if found and found[0].text else None


def _tcx_activity(activity: Any, label: str, number: int) -> dict[str, Any]:
    laps = _children(activity, "Lap")
    points = _children(activity, "Trackpoint")
    try:
        times = [_dt.datetime.fromisoformat(t) for p in points if (t := _text(p, "Time"))]
        if not times and laps and laps[0].get("StartTime"):
            times = [_dt.datetime.fromisoformat(laps[0].get("StartTime"))]
        lap_seconds = [float(_text(lap, "TotalTimeSeconds") or 0.0) for lap in laps]
        lap_metres = [float(_text(lap, "DistanceMeters") or 0.0) for lap in laps]
        heights = [float(h) for p in points if (h := _text(p, "AltitudeMeters")) is not None]
        rates = [
            float(v)
            for lap in laps
            for e in _children(lap, "AverageHeartRateBpm")
            if (v := _text(e, "Value")) is not None
        ]
        first = next((p for p in points if _children(p, "Position")), None)
        lat = None if first is None else float(_text(first, "LatitudeDegrees") or "nan")
        lon = None if first is None else float(_text(first, "LongitudeDegrees") or "nan")
    except ValueError as error:
        raise DataReadError(
            f"{label}: activity {number} has an unreadable value ({error})."
        ) from None
    if not times:
        raise DataReadError(f"{label}: activity {number} has no start time.")
    # elapsed time includes the timer time: the first trackpoint may come after the lap start
    elapsed = max(_seconds(min(times), max(times)), sum(lap_seconds))
    weights = [s for s in lap_seconds if s > 0]
    start = min(times)
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
        "avg_hr": sum(r * s for r, s in zip(rates, weights, strict=False)) / sum(weights)
        if rates and len(rates) == len(weights)
        else None,
        "raw_type": activity.get("Sport"),
        "device_serial": _text(activity, "UnitId"),
        "start_lat": lat,
        "start_lon": lon,
    }
