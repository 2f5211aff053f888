"""Builders of the watch files of the hostile corpus (``analyses/hostile/watch.py``).

GPX and TCX text, a small FIT encoder (header, definition and data messages, CRC-16), Strava
``activities.csv`` rows, and ``make`` functions writing a file or a zip archive.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import struct
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

UTC = dt.UTC
START = dt.datetime(2025, 1, 6, 6, 1, 2, tzinfo=UTC)
FIT_EPOCH = dt.datetime(1989, 12, 31, tzinfo=UTC)
#: Text that must never reach any output (a file outside the case, an entity target).
SECRET = "TOP-SECRET-TEXT-42"


def gpx(
    n: int = 11,
    *,
    kind: str | None = "running",
    start: dt.datetime = START,
    step_s: int = 60,
    step_deg: float = 0.001,
    head: str = '<?xml version="1.0" encoding="UTF-8"?>',
    name: str = "Run",
    edit: Any = None,
) -> str:
    """A one-track GPX 1.1 document; ``edit(i, fields)`` may change point ``i``'s fields."""
    parts = [head, '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">']
    parts.append(
        f"<trk><name>{name}</name>" + (f"<type>{kind}</type>" if kind else "") + "<trkseg>"
    )
    for i in range(n):
        when = start + dt.timedelta(seconds=i * step_s)
        fields = {"lat": f"{45 + i * step_deg:.6f}", "lon": "9.0", "ele": f"{100 + 5 * (i % 2)}",
                  "time": f"{when:%Y-%m-%dT%H:%M:%SZ}"}  # fmt: skip
        if edit is not None:
            edit(i, fields)
        parts.append(f'<trkpt lat="{fields["lat"]}" lon="{fields["lon"]}"><ele>{fields["ele"]}'
                     f'</ele><time>{fields["time"]}</time></trkpt>')  # fmt: skip
    parts.append("</trkseg></trk></gpx>")
    return "".join(parts)


def tcx(metres: str = "2000", sport: str = "Running") -> str:
    points = "".join(
        f"<Trackpoint><Time>{START + dt.timedelta(seconds=60 * i):%Y-%m-%dT%H:%M:%SZ}</Time>"
        f"<AltitudeMeters>{100 + i}</AltitudeMeters></Trackpoint>"
        for i in range(11)
    )
    return (
        '<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
        f'TrainingCenterDatabase/v2"><Activities><Activity Sport="{sport}"><Id>x</Id>'
        f'<Lap StartTime="{START:%Y-%m-%dT%H:%M:%SZ}"><TotalTimeSeconds>600</TotalTimeSeconds>'
        f"<DistanceMeters>{metres}</DistanceMeters><Track>{points}</Track></Lap></Activity>"
        "</Activities></TrainingCenterDatabase>"
    )


_CRC = (0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
        0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400)  # fmt: skip
# message: (global number, [(field number, struct code, invalid, scale, kind)], field names)
_FIT = {
    "file_id": (0, [(0, "B", 0xFF, 1, ""), (4, "I", 0xFFFFFFFF, 1, "t")], ["type", "created"]),
    "record": (20, [(253, "I", 0xFFFFFFFF, 1, "t"), (5, "I", 0xFFFFFFFF, 100, "")],
               ["timestamp", "distance"]),
    "session": (18, [(253, "I", 0xFFFFFFFF, 1, "t"), (2, "I", 0xFFFFFFFF, 1, "t"),
                     (5, "B", 0xFF, 1, ""), (7, "I", 0xFFFFFFFF, 1000, ""),
                     (8, "I", 0xFFFFFFFF, 1000, ""), (9, "I", 0xFFFFFFFF, 100, "")],
                ["timestamp", "start_time", "sport", "elapsed", "timer", "distance"]),
    "activity": (34, [(253, "I", 0xFFFFFFFF, 1, "t")], ["timestamp"]),
}  # fmt: skip
_BASE = {"B": 0x00, "I": 0x86}


def crc16(data: bytes, crc: int = 0) -> int:
    for byte in data:
        for nibble in (byte & 0xF, byte >> 4):
            tmp = _CRC[crc & 0xF]
            crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC[nibble]
    return crc


def fit_messages(
    messages: list[tuple[str, dict[str, Any]]], data_size: int | None = None
) -> bytes:
    """Encode ``[(message, {field: value})]`` as a FIT file (header, messages, CRC)."""
    body, local = bytearray(), {}
    for name, values in messages:
        number, fields, names = _FIT[name]
        if name not in local:
            local[name] = len(local)
            body += struct.pack("<BBBHB", 0x40 | local[name], 0, 0, number, len(fields))
            for field, code, *_ in fields:
                body += struct.pack("<BBB", field, struct.calcsize(code), _BASE[code])
        body += bytes([local[name]])
        for (_, code, invalid, scale, kind), key in zip(fields, names, strict=True):
            value = values.get(key)
            if value is None:
                raw = invalid
            elif kind == "t":
                raw = (
                    int((value - FIT_EPOCH).total_seconds())
                    if isinstance(value, dt.datetime)
                    else value
                )
            else:
                raw = round(value * scale)
            body += struct.pack("<" + code, raw)
    size = len(body) if data_size is None else data_size
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, size, b".FIT")
    data = header + struct.pack("<H", crc16(header)) + bytes(body)
    return data + struct.pack("<H", crc16(data))


def fit_run(
    *,
    metres: float = 5000,
    elapsed: float = 1800,
    timer: float = 1800,
    sport: int = 1,
    start: Any = START,
    session: bool = True,
) -> tuple[bytes, int]:
    """A FIT run; returns the file and the offset just after its session message."""
    end = start + dt.timedelta(seconds=elapsed) if isinstance(start, dt.datetime) else start
    messages = [("file_id", {"type": 4, "created": start})]
    messages += [("record", {"timestamp": start + dt.timedelta(seconds=elapsed * i / 4)
                             if isinstance(start, dt.datetime) else start,
                             "distance": metres * i / 4}) for i in range(5)]  # fmt: skip
    if session:
        messages.append(("session", {"timestamp": end, "start_time": start, "sport": sport,
                                     "elapsed": elapsed, "timer": timer, "distance": metres}))  # fmt: skip
    cut = len(fit_messages(messages)) - 2
    return fit_messages([*messages, ("activity", {"timestamp": end})]), cut


def activities_csv(rows: list[list[str]]) -> bytes:
    header = ("Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,"
              "Elapsed Time,Distance,Filename,Elapsed Time,Moving Time,Distance\n")  # fmt: skip
    lines = [",".join(f'"{c}"' for c in row) for row in rows]
    return (header + "\n".join(lines) + "\n").encode()


def strava_row(
    i: int, kind: str = "Run", km: float = 10.0, desc: str = "", file: str = ""
) -> list[str]:
    when = START + dt.timedelta(days=i)
    date = f"{when:%b} {when.day}, {when.year}, {when:%I:%M:%S %p}"
    return [str(100 + i), date, "Morning", kind, desc, "3600", f"{km:.2f}", file, "3600.0",
            "3500.0", f"{km * 1000:.1f}"]  # fmt: skip


def write(name: str, content: Any, encoding: str = "utf-8"):
    """``make`` writing ``content`` (text, bytes, or a function returning them) to ``name``."""

    def make(folder: Path) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content() if callable(content) else content
        path.write_bytes(data.encode(encoding) if isinstance(data, str) else data)
        return path

    return make


def zipped(name: str, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED):
    def make(folder: Path) -> Path:
        path = folder / name
        with zipfile.ZipFile(path, "w", compression=method) as archive:
            for member, data in members.items():
                archive.writestr(member, data() if callable(data) else data)
        return path

    return make


# ---- runners and checks -----------------------------------------------------------------


def watch(**kwargs):
    def run(path: Path, out: Path):
        import warnings

        from lbprun.io.wearables import read_watch_export

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read_watch_export(path, runner_id="r1", **kwargs)

    return run


def activities(**kwargs):
    def run(path: Path, out: Path):
        import warnings

        import lbprun

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return lbprun.read_activities(path, runner_id="r1", on_error="drop", **kwargs)

    return run


def runs(n: int, km: float | None = None, note: str | None = None, duration: float | None = None):
    def check(result, path: Path, out: Path) -> None:
        assert len(result) == n, len(result)
        if km is not None:
            assert abs(result["distance_km"].iloc[0] - km) < 1e-6, result["distance_km"].tolist()
        if duration is not None:
            assert abs(result["duration_min"].iloc[0] - duration) < 1e-9, result["duration_min"]
        notes = " | ".join(result.attrs["lbprun"]["notes"])
        assert note is None or note in notes, notes
        assert SECRET not in result.astype(str).to_string() + notes
        numbers = result.select_dtypes("number").to_numpy(dtype=float)
        assert not np.isinf(numbers).any(), numbers

    return check


def counted(rows_in: int, kept: int, excluded: dict[str, int]):
    def check(report, path: Path, out: Path) -> None:
        assert (report.rows_in, report.rows_kept) == (rows_in, kept), (
            report.rows_in,
            report.rows_kept,
        )
        assert report.rows_in == report.rows_kept + report.rows_rejected + report.rows_excluded
        assert report.excluded_types == excluded, report.excluded_types

    return check


def says(*words: str):
    def check(error, path: Path, out: Path) -> None:
        for word in words:
            assert word in str(error), str(error)
        assert SECRET not in str(error)

    return check


def named(expected: str):
    def check(result, path: Path, out: Path) -> None:
        assert result["activity_name"].tolist() == [expected], result["activity_name"].tolist()

    return check


def secret_and(name: str, content: str):
    def make(folder: Path) -> Path:
        (folder / "secret.txt").write_text(SECRET)
        return write(name, content.replace("SECRET_PATH", str(folder / "secret.txt")))(folder)

    return make


def link_export(folder: Path) -> Path:
    outside = folder / "outside"
    outside.mkdir()
    (outside / "secret.gpx").write_text(gpx(start=START + dt.timedelta(hours=5), name=SECRET))
    export = folder / "export"
    (export / "activities").mkdir(parents=True)
    (export / "activities.csv").write_bytes(
        activities_csv([strava_row(0, file="activities/1.gpx")])
    )
    os.symlink(outside / "secret.gpx", export / "activities" / "1.gpx")
    os.symlink(outside, export / "linked_dir")
    return export


def traversal_export(folder: Path) -> Path:
    (folder / "secret.gpx").write_text(gpx(name=SECRET))
    export = folder / "export"
    export.mkdir()
    (export / "activities.csv").write_bytes(activities_csv([strava_row(0, file="../secret.gpx")]))
    return export


def two_gpx(folder: Path) -> Path:
    (folder / "phone").mkdir()
    (folder / "phone" / "hike.gpx").write_text(gpx(21, kind=None, step_deg=0.0004))
    (folder / "phone" / "run.gpx").write_text(
        gpx(21, kind=None, start=START + dt.timedelta(days=1))
    )
    return folder / "phone"


FIT_OK, FIT_CUT = fit_run(metres=8000, elapsed=2700, timer=2600)
RUN_CSV = activities_csv([strava_row(0), strava_row(0, km=10.05), strava_row(1, "Ride", 40.0),
                           strava_row(2, "Hike", 8.0), strava_row(3)])  # fmt: skip
LAUGHS = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))


def flip_crc(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0xFF])


def bad_member_crc() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("export/activities.csv", RUN_CSV)
    data = bytearray(buffer.getvalue())
    at = data.find(b"Morning")
    data[at] ^= 0x20  # the stored bytes no longer match the member's CRC-32
    return bytes(data)
