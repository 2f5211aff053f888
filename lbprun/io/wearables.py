"""Read GPS-watch files and Strava bulk exports into an activities table.

:func:`read_watch_export` detects the format of its source (a Strava export folder or .zip, a
.gpx / .fit / .tcx file or a folder of them), reads one row per activity, normalises activity
types, derives the local date, removes the same run recorded twice and drops personal data. It
returns a DataFrame shaped like ``lbprun.io.schema.ACTIVITIES``; ``attrs["lbprun"]["report"]``
holds a :class:`WatchImportReport` saying what was detected, filtered, merged and dropped.

The readers live in :mod:`lbprun.io._strava`, :mod:`lbprun.io._gpx` and :mod:`lbprun.io._fit`.
FIT files need the ``[watch]`` extra (fitdecode); GPX and TCX are parsed with the standard
library's Expat parser, within limits (:mod:`lbprun.io._xml`).
"""

from __future__ import annotations

import hashlib
import os
import warnings
import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lbprun._checks import ArgumentError
from lbprun._result import Result
from lbprun.exceptions import DataQualityWarning, DataReadError, NotAnActivityError
from lbprun.io import _fit, _gpx, _strava
from lbprun.io._activity_types import RUN_TYPES, kept_types, normalise_type
from lbprun.io._export_files import walk_files
from lbprun.io._watch_bytes import codec_notes, peek, watch_kind_of_name
from lbprun.io._watch_rows import (
    COLUMNS,
    classify_untyped,
    empty_duplicates,
    local_dates,
)
from lbprun.io._watch_rows import (
    dedupe as remove_duplicates,
)

__all__ = [
    "PRIVATE_FIELDS",
    "RUN_TYPES",
    "WatchImportReport",
    "normalise_type",
    "read_watch_export",
]


#: Fields dropped unless ``keep_private=True``: free text, file names, identifiers, places.
PRIVATE_FIELDS = (
    "activity_id", "activity_name", "activity_description", "private_note", "filename",
    "device_serial", "start_lat", "start_lon", "athlete_name", "athlete_email",
)  # fmt: skip

_SURFACE = {"trail_run": "trail", "treadmill_run": "treadmill", "virtual_run": "treadmill"}


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class WatchImportReport(Result):
    """What :func:`read_watch_export` read, detected, filtered, merged and dropped.

    Parameters
    ----------
    table : pandas.DataFrame
        The import log, one row per step: columns ``step`` (``read``, ``type_filter``,
        ``duplicates``, ``kept``), ``n`` (activities) and ``detail``.
    notes : tuple of str
        Numbered remarks (local dates taken in UTC, missing activity files, unit conflicts).
    source : str
        The path that was read.
    format : str
        ``"strava"``, ``"gpx"``, ``"fit"``, ``"tcx"``, or several joined by ``+`` in
        alphabetical order for a folder holding more than one (``"fit+gpx"``).
    files_read : int
        Number of activity files opened.
    distance_unit : str or None
        Unit of the first ``Distance`` column of a Strava ``activities.csv`` (``"km"`` or
        ``"mi"``), detected, never assumed; None for other formats or when no row could tell.
    distance_unit_evidence : str
        How the unit was detected (which comparison, how many rows agreed).
    language : str or None
        Language of the Strava headers (``"en"``, ``"de"``, ``"fr"``, ``"it"``, ``"es"``).
    tz_source : str
        Where local dates came from: the ``tz`` argument, the files' UTC offsets, or UTC.
    runner_id : str
        The runner identifier written to every row.
    dropped_types : dict of str to int
        Activities removed by the type filter, by normalised type.
    duplicates : pandas.DataFrame
        The runs removed as duplicates: ``start_time``, ``distance_km``, ``kept_start_time``,
        ``kept_distance_km``, ``start_diff_s``, ``distance_diff_pct``.
    dropped_private : dict of str to int
        Private fields left out of the output, with the number of non-empty values dropped.
    unmapped_headers : tuple of str
        Strava headers lbprun does not use (they are not in the output).
    rows_in, rows_kept, rows_excluded : int
        Activities read (every line of ``activities.csv``, every activity of every file), kept,
        and left out (by type or as duplicates): ``rows_in == rows_kept + rows_excluded``.
    excluded_types : dict of str to int
        The activities left out, by type, and under ``"duplicate"`` the runs recorded twice.
    """

    source: str
    format: str
    files_read: int = 0
    distance_unit: str | None = None
    distance_unit_evidence: str = ""
    language: str | None = None
    tz_source: str = ""
    runner_id: str = ""
    dropped_types: dict[str, int] = field(default_factory=dict)
    duplicates: pd.DataFrame = field(default_factory=pd.DataFrame)
    dropped_private: dict[str, int] = field(default_factory=dict)
    unmapped_headers: tuple[str, ...] = ()
    rows_in: int = 0
    rows_kept: int = 0
    rows_excluded: int = 0
    excluded_types: dict[str, int] = field(default_factory=dict)

    def plot(self, ax: Any = None) -> Any:
        """Bar chart of the import log (activities read, filtered, merged and kept).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            Axes to draw on; a new figure is made when None.

        Returns
        -------
        matplotlib.axes.Axes
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 2.5))
        ax.barh(self.table["step"], self.table["n"], color="#4c72b0")
        ax.invert_yaxis()
        ax.set_xlabel("activities")
        ax.set_title(f"{self.format} import")
        return ax


def read_watch_export(
    source: str | os.PathLike[str],
    *,
    runner_id: str | None = None,
    activity_types: Iterable[str] | None = ("run",),
    keep_private: bool = False,
    tz: str | None = None,
    dedupe: bool = True,
    strict: bool = False,
) -> pd.DataFrame:
    """Read a Strava bulk export, GPX or FIT files into an activities table.

    Parameters
    ----------
    source : str or path-like
        A Strava export (folder or .zip with ``activities.csv``, or that ``activities.csv``
        alone), a .gpx / .fit / .tcx file, or a folder of them. Any file may be gzip-, bz2-,
        xz- or zstd-compressed (``.gz``, ``.gzip``, ``.bz2``, ``.xz``, ``.zst``, ``.zstd``,
        or recognised by its leading bytes). The format is detected from the content. Symbolic links leading out of a folder are not
        followed (a note names them).
    runner_id : str or None, default=None
        Identifier written to every row. When None, a pseudonym ``"watch-<12 hex>"`` is derived
        from the activities' start times (stable for the same data; a note says so).
    activity_types : iterable of str or None, default=("run",)
        Normalised types to keep; ``"run"`` stands for every running type in ``RUN_TYPES``
        (``run``, ``trail_run``, ``virtual_run``, ``treadmill_run``). None keeps everything.
        Activities with no recorded type are classified by pace: slower than 11 min/km is a
        ``"walk"``, faster than 2.5 min/km a ``"ride"``; otherwise they are kept as
        ``"unknown"`` (with a note). Activities left out are counted, never an error.
    keep_private : bool, default=False
        Keep ``PRIVATE_FIELDS`` (names, descriptions, notes, file names, activity ids, device
        serial numbers, start coordinates) as extra columns. By default they are dropped and
        the report counts what was dropped.
    tz : str or None, default=None
        IANA zone name (``"Europe/Rome"``) giving the local ``date`` of each run. When None,
        the UTC offset stored in the activity file is used, else the date is taken in UTC.
    dedupe : bool, default=True
        Remove the same run recorded twice: starts within 2 minutes and distances within 2 %
        of the longer one; the row with more filled fields is kept.
    strict : bool, default=False
        Refuse (DataReadError) a FIT file damaged after its session summary (cut short, a CRC
        that does not match, garbage after it). By default its activity is read from the
        session summary, with a DataQualityWarning and a note.

    Returns
    -------
    pandas.DataFrame
        One row per activity, columns ``runner_id, date, start_time, distance_km,
        duration_min, moving_time_min, surface, shoe_id, activity_type, elevation_gain_m,
        avg_hr, rpe, source_format`` (plus the private fields when asked). It may be empty
        when every activity was left out. ``start_time`` is
        tz-aware UTC; ``date`` is the local calendar date; ``duration_min`` is the elapsed time
        and ``moving_time_min`` the moving time. ``attrs["lbprun"]`` is a dict (``source``,
        ``kind``, ``format``, ``notes``, ``rows_in``, ``rows_kept``, ``rows_excluded``,
        ``rows_duplicates``, ``excluded_types``) whose ``"report"`` is a
        :class:`WatchImportReport`; ``rows_in == rows_kept + rows_excluded``.

    Raises
    ------
    DataReadError
        When the source does not exist, or a file is corrupt, truncated or of an unknown
        format (the message names the file, and the codec of compressed data), decompresses
        beyond the limits of ``lbprun.io._limits``, or a Strava distance unit cannot be
        detected.
    ArgumentError
        When an argument is invalid (an unknown time zone, an empty runner_id).

    Notes
    -----
    Strava: ``Activity Date`` is UTC; the first ``Distance`` column is in the athlete's display
    unit, which is detected by comparing it with the second (metres) column, else with
    ``Average Speed x Moving Time``, else with the activity file's track length (km when the
    ratio is within 2 % of 1, miles within 2 % of 0.6214). ``distance_km`` comes from the
    metres column when present. ``duration_min`` is ``Elapsed Time``.

    GPX: the tracks and segments of one file are one activity (one recording split by pauses),
    unless their recorded types differ or more than 6 hours separate them. Distance is the
    haversine sum between consecutive points of each segment (Earth radius 6,378.137 km, as
    gpxpy); elapsed time runs from the first to the last point; moving
    time sums the intervals whose speed is at least 1 km/h; elevation gain sums the positive
    steps of the raw elevations (no smoothing); ``avg_hr`` is the mean of the points' Garmin
    TrackPointExtension ``hr`` values.

    FIT: from the ``session`` message, ``duration_min = total_elapsed_time / 60`` and
    ``moving_time_min = total_timer_time / 60``; without a session the ``record`` messages are
    summed. The local offset is ``activity.local_timestamp - activity.timestamp``. A file
    damaged after its session message is read from the session (DataQualityWarning and a
    note) unless ``strict=True``.

    TCX: distance and moving time are the sums of the laps' ``DistanceMeters`` and
    ``TotalTimeSeconds``; elapsed time runs from the first to the last trackpoint; ``avg_hr``
    is the lap-time-weighted mean of the laps' ``AverageHeartRateBpm``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> points = "".join(
    ...     f'<trkpt lat="{45 + i * 0.001:.3f}" lon="9.0"><ele>100</ele>'
    ...     f"<time>2025-01-06T07:{i:02d}:00Z</time></trkpt>" for i in range(11))
    >>> _ = (folder / "run.gpx").write_text(
    ...     '<gpx version="1.1" creator="x"><trk><type>running</type><trkseg>'
    ...     + points + "</trkseg></trk></gpx>")
    >>> runs = read_watch_export(folder / "run.gpx", runner_id="r1", tz="Europe/Rome")
    >>> runs[["runner_id", "distance_km", "duration_min", "activity_type"]].round(3)
      runner_id  distance_km  duration_min activity_type
    0        r1        1.113          10.0           run
    >>> runs.attrs["lbprun"]["report"].tz_source
    "tz argument 'Europe/Rome'"
    """
    path, types, zone = _check_arguments(source, runner_id, activity_types, tz)
    if not isinstance(strict, bool):
        raise ArgumentError(f"strict must be True or False; got {strict!r}.")
    kind = _detect(path)
    info: dict[str, Any] = {"notes": []}
    if kind == "strava":
        records, info = _strava.read_strava(path, need_files=zone is None)
        files_read = sum(1 for r in records if "file_distance_km" in r)
    else:
        if kind == "folder":
            found = walk_files(path, info["notes"])
            files = [(p, k) for p in found if (k := _file_kind(p))]
        else:
            files = [(path, kind)]
        if not files:
            raise DataReadError(f"{path}: no Strava export, .gpx, .fit or .tcx file found.")
        records = _read_files(files, info["notes"], folder=kind == "folder", strict=strict)
        if not records:
            raise DataReadError(f"{path}: none of the {len(files)} watch files is an activity.")
        files_read = len(files)
        kind = "+".join(sorted({r["source_format"] for r in records}))
    notes: list[str] = list(info["notes"])
    notes.extend(n for r in records for n in r.pop("reader_notes", ()))
    rows_in = len(records)
    log = [("read", rows_in, f"{files_read} file(s) opened")]

    for record in records:
        record["activity_type"] = normalise_type(record.get("raw_type"))
    classify_untyped(records, notes)
    for record in records:
        record["surface"] = _SURFACE.get(record["activity_type"])
        if record.get("raw_type") == "running:track":
            record["surface"] = "track"
    unknown = sum(r["activity_type"] == "unknown" for r in records)
    if unknown:
        notes.append(f"{unknown} activity(ies) have no recorded type; kept as 'unknown'.")
    dropped_types: Counter[str] = Counter()
    if types is not None:
        kept = []
        for record in records:
            if record["activity_type"] in types or record["activity_type"] == "unknown":
                kept.append(record)
            else:
                dropped_types[record["activity_type"]] += 1
        records = kept
    detail = ", ".join(f"{k}: {v}" for k, v in sorted(dropped_types.items())) or "none"
    log.append(("type_filter", -sum(dropped_types.values()), detail))

    if dropped_types:
        notes.append(
            f"{sum(dropped_types.values())} activity(ies) of other types left out ({detail}); "
            "pass activity_types=None to keep every activity."
        )
    tz_source = local_dates(records, zone, tz, notes, str(path))
    duplicates = remove_duplicates(records) if dedupe else empty_duplicates()
    log.append(("duplicates", -len(duplicates), "removed" if dedupe else "not checked"))
    if len(duplicates):
        notes.append(f"{len(duplicates)} run(s) recorded twice were removed (see duplicates).")
    log.append(("kept", len(records), ""))

    if runner_id is None:
        stamps = "|".join(sorted(str(r["start_time"]) for r in records))
        runner_id = "watch-" + hashlib.sha256(stamps.encode()).hexdigest()[:12]
        notes.append(f"runner_id was not given; the pseudonym {runner_id!r} was used.")
    frame = _frame(records, runner_id, keep_private)
    dropped_private = {}
    if not keep_private:
        counts = {k: sum(r.get(k) not in (None, "") for r in records) for k in PRIVATE_FIELDS}
        dropped_private = {k: v for k, v in counts.items() if v}
    excluded = Counter(dropped_types)
    if len(duplicates):
        excluded["duplicate"] = len(duplicates)
    report = WatchImportReport(
        table=pd.DataFrame(log, columns=["step", "n", "detail"]),
        notes=tuple(notes),
        source=str(path),
        format=kind,
        files_read=files_read,
        distance_unit=info.get("distance_unit"),
        distance_unit_evidence=info.get("distance_unit_evidence", ""),
        language=info.get("language"),
        tz_source=tz_source,
        runner_id=runner_id,
        dropped_types=dict(dropped_types),
        duplicates=duplicates,
        dropped_private=dropped_private,
        unmapped_headers=tuple(info.get("unmapped_headers", ())),
        rows_in=rows_in,
        rows_kept=len(records),
        rows_excluded=sum(excluded.values()),
        excluded_types=dict(excluded),
    )
    frame.attrs["lbprun"] = {
        "source": str(path),
        "kind": "activities",
        "format": kind,
        "notes": list(notes),
        "rows_in": rows_in,
        "rows_kept": len(records),
        "rows_excluded": sum(excluded.values()),
        "rows_duplicates": len(duplicates),
        "excluded_types": dict(excluded),
        "report": report,
    }
    return frame


def _check_arguments(
    source: Any, runner_id: Any, activity_types: Any, tz: Any
) -> tuple[Path, set[str] | None, zoneinfo.ZoneInfo | None]:
    if not isinstance(source, str | os.PathLike):
        raise ArgumentError(f"source must be a path; got {source!r}.")
    path = Path(source)
    if not path.exists():
        raise DataReadError(f"{path}: no such file or folder.")
    if runner_id is not None and (not isinstance(runner_id, str) or not runner_id.strip()):
        raise ArgumentError(f"runner_id must be a non-empty string or None; got {runner_id!r}.")
    types = None
    if activity_types is not None:
        types = kept_types(activity_types)
    zone = None
    if tz is not None:
        try:
            zone = zoneinfo.ZoneInfo(str(tz))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ArgumentError(
                f"tz must be an IANA time-zone name such as 'Europe/Rome'; got {tz!r}."
            ) from None
    return path, types, zone


def _read_files(
    files: list[tuple[Path, str]], notes: list[str], *, folder: bool, strict: bool
) -> list[Any]:
    """Read watch files; in a folder, files holding no activity are skipped with a note."""
    records: list[dict[str, Any]] = []
    skipped = []
    for file, kind in files:
        try:
            if kind == "fit":
                records.extend(_fit.read_fit(file, str(file), strict=strict))
            else:
                reader = _gpx.read_gpx if kind == "gpx" else _gpx.read_tcx
                records.extend(reader(file, str(file)))
        except NotAnActivityError as error:
            if not folder:
                raise
            skipped.append(str(error))
    notes.extend(codec_notes(records, str(files[0][0]) if len(files) == 1 else None))
    if skipped:
        message = f"{len(skipped)} file(s) holding no activity were skipped: " + "; ".join(skipped)
        warnings.warn(message, DataQualityWarning, stacklevel=3)
        notes.append(message)
    return records


def _file_kind(path: Path) -> str | None:
    try:
        if not path.is_file():
            return None
    except OSError:
        return None
    return watch_kind_of_name(path.name)


def _detect(path: Path) -> str:
    if path.is_dir():
        if any(p.name.lower() == "activities.csv" for p in walk_files(path, [])):
            return "strava"
        return "folder"
    kind = _file_kind(path)
    if kind is not None:
        return kind
    try:
        with path.open("rb") as handle:
            head = handle.read(65536)
    except OSError as error:
        raise DataReadError(f"{path}: cannot be read ({error}).") from None
    if head.startswith(b"PK") or path.suffix.lower() == ".zip":
        return "strava"
    head = peek(path, head)
    if _strava.looks_like_activities_csv(head):
        return "strava"
    if len(head) >= 12 and head[8:12] == b".FIT":
        return "fit"
    if head.lstrip().startswith(b"<"):
        return "tcx" if b"TrainingCenterDatabase" in head else "gpx"
    raise DataReadError(
        f"{path}: unknown watch format (expected a Strava export or its activities.csv, "
        ".gpx, .fit or .tcx, plain or compressed)."
    )


def _frame(records: list[dict[str, Any]], runner_id: str, keep_private: bool) -> pd.DataFrame:
    columns = list(COLUMNS) + (list(PRIVATE_FIELDS) if keep_private else [])
    rows = [{**r, "runner_id": runner_id} for r in records]
    frame = pd.DataFrame(rows, columns=columns)
    frame["date"] = pd.to_datetime(frame["date"]).astype("datetime64[ns]")
    frame["start_time"] = pd.to_datetime(frame["start_time"], utc=True).astype(
        "datetime64[ns, UTC]"
    )
    numbers = ["distance_km", "duration_min", "moving_time_min", "elevation_gain_m", "avg_hr"]
    for name in [*numbers, "rpe"]:
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    return frame
