"""Make real-format watch files at test time: FIT (own encoder), GPX (gpxpy), Strava exports.

The FIT encoder follows the FIT protocol: a 14-byte header (size, protocol and profile
versions, data size, ".FIT", header CRC), definition and data messages, and the CRC-16 of the
whole file at the end. fitdecode only decodes, so the tests check that it reads these back.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import math
import struct
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

UTC = dt.UTC
FIT_EPOCH = dt.datetime(1989, 12, 31, tzinfo=UTC)
EARTH_RADIUS_M = 6378137.0
TPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"

_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip

# base type: (FIT base-type byte, struct code, invalid value)
_BASE = {
    "enum": (0x00, "B", 0xFF),
    "uint8": (0x02, "B", 0xFF),
    "sint16": (0x83, "h", 0x7FFF),
    "uint16": (0x84, "H", 0xFFFF),
    "sint32": (0x85, "i", 0x7FFFFFFF),
    "uint32": (0x86, "I", 0xFFFFFFFF),
    "uint32z": (0x8C, "I", 0),
}

# message: (global number, [(field, number, base type, scale, offset, kind)])
_MESSAGES: dict[str, tuple[int, list[tuple[str, int, str, float, float, str]]]] = {
    "file_id": (
        0,
        [
            ("type", 0, "enum", 1, 0, ""),
            ("manufacturer", 1, "uint16", 1, 0, ""),
            ("product", 2, "uint16", 1, 0, ""),
            ("serial_number", 3, "uint32z", 1, 0, ""),
            ("time_created", 4, "uint32", 1, 0, "time"),
        ],
    ),
    "record": (
        20,
        [
            ("timestamp", 253, "uint32", 1, 0, "time"),
            ("position_lat", 0, "sint32", 1, 0, "deg"),
            ("position_long", 1, "sint32", 1, 0, "deg"),
            ("altitude", 2, "uint16", 5, 500, ""),
            ("heart_rate", 3, "uint8", 1, 0, ""),
            ("distance", 5, "uint32", 100, 0, ""),
        ],
    ),
    "session": (
        18,
        [
            ("timestamp", 253, "uint32", 1, 0, "time"),
            ("start_time", 2, "uint32", 1, 0, "time"),
            ("start_position_lat", 3, "sint32", 1, 0, "deg"),
            ("start_position_long", 4, "sint32", 1, 0, "deg"),
            ("sport", 5, "enum", 1, 0, ""),
            ("sub_sport", 6, "enum", 1, 0, ""),
            ("total_elapsed_time", 7, "uint32", 1000, 0, ""),
            ("total_timer_time", 8, "uint32", 1000, 0, ""),
            ("total_distance", 9, "uint32", 100, 0, ""),
            ("avg_heart_rate", 16, "uint8", 1, 0, ""),
            ("total_ascent", 22, "uint16", 1, 0, ""),
        ],
    ),
    "device_info": (
        23,
        [
            ("timestamp", 253, "uint32", 1, 0, "time"),
            ("cum_operating_time", 7, "uint32", 1, 0, ""),
        ],
    ),
    "activity": (
        34,
        [
            ("timestamp", 253, "uint32", 1, 0, "time"),
            ("total_timer_time", 0, "uint32", 1000, 0, ""),
            ("num_sessions", 1, "uint16", 1, 0, ""),
            ("type", 2, "enum", 1, 0, ""),
            ("local_timestamp", 5, "uint32", 1, 0, "time"),
        ],
    ),
}

#: FIT ``sport`` and ``sub_sport`` enum values used by the fixtures.
SPORT = {"running": 1, "cycling": 2, "walking": 11}
SUB_SPORT = {
    "generic": 0, "treadmill": 1, "street": 2, "trail": 3, "track": 4, "commuting": 48,
    "virtual_activity": 58, "ultra": 67,
}  # fmt: skip
#: FIT ``file`` types (``file_id.type``) used by the fixtures.
FILE_TYPE = {"settings": 2, "activity": 4, "workout": 5, "weight": 9}


def fit_crc(data: bytes, crc: int = 0) -> int:
    """The FIT CRC-16 (nibble table from the FIT SDK)."""
    for byte in data:
        tmp = _CRC_TABLE[crc & 0xF]
        crc = (crc >> 4) & 0x0FFF
        crc = crc ^ tmp ^ _CRC_TABLE[byte & 0xF]
        tmp = _CRC_TABLE[crc & 0xF]
        crc = (crc >> 4) & 0x0FFF
        crc = crc ^ tmp ^ _CRC_TABLE[(byte >> 4) & 0xF]
    return crc


def _raw(value: Any, base: str, scale: float, offset: float, kind: str) -> int:
    if value is None:
        return _BASE[base][2]
    if kind == "time":
        return int((value - FIT_EPOCH).total_seconds())
    if kind == "deg":
        return int(round(value * 2**31 / 180.0))
    return int(round((value + offset) * scale))


def encode_fit(
    messages: list[tuple[str, dict[str, Any]]], *, byte_fields: tuple[str, ...] = ()
) -> bytes:
    """Encode ``[(message name, {field: value})]`` as a FIT file (bytes).

    ``byte_fields`` (``"message.field"``) are declared one byte long whatever their base type,
    as some COROS watches do for 32-bit fields; their value is written as a single byte.
    """
    body = bytearray()
    local: dict[str, int] = {}
    for name, values in messages:
        number, fields = _MESSAGES[name]
        if name not in local:
            local[name] = len(local)
            body += struct.pack("<BBBHB", 0x40 | local[name], 0, 0, number, len(fields))
            for field_name, field_number, base, *_ in fields:
                code, fmt, _ = _BASE[base]
                size = 1 if f"{name}.{field_name}" in byte_fields else struct.calcsize(fmt)
                body += struct.pack("<BBB", field_number, size, code)
        body += struct.pack("<B", local[name])
        for field_name, _, base, scale, offset, kind in fields:
            raw = _raw(values.get(field_name), base, scale, offset, kind)
            if f"{name}.{field_name}" in byte_fields:
                body += struct.pack("<B", raw & 0xFF)
            else:
                body += struct.pack("<" + _BASE[base][1], raw)
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", fit_crc(header))
    data = header + bytes(body)
    return data + struct.pack("<H", fit_crc(data))


def fit_activity(
    start: dt.datetime,
    *,
    distance_m: float,
    elapsed_s: float,
    timer_s: float,
    sport: str = "running",
    sub_sport: str = "generic",
    ascent_m: int | None = 85,
    avg_hr: int | None = 148,
    serial: int = 3_912_345_678,
    offset_min: int | None = 60,
    with_session: bool = True,
    n_records: int = 5,
    local_time: dt.datetime | None = None,
    record_hr: int | None = None,
    extra: list[tuple[str, dict[str, Any]]] | None = None,
    byte_fields: tuple[str, ...] = (),
) -> bytes:
    """A FIT activity: file_id, records along a meridian, a session and an activity message.

    ``local_time`` overrides ``activity.local_timestamp`` (Zwift writes the FIT epoch);
    ``record_hr`` sets every record's heart rate; ``extra`` messages follow the file_id;
    ``byte_fields`` are passed to :func:`encode_fit`.
    """
    messages: list[tuple[str, dict[str, Any]]] = [
        (
            "file_id",
            {"type": 4, "manufacturer": 1, "product": 3113, "serial_number": serial,
             "time_created": start},
        )
    ]  # fmt: skip
    messages.extend(extra or [])
    for i in range(n_records):
        share = i / (n_records - 1)
        messages.append(
            (
                "record",
                {
                    "timestamp": start + dt.timedelta(seconds=round(share * elapsed_s)),
                    "position_lat": 45.0 + share * 0.05,
                    "position_long": 9.0,
                    "altitude": 100.0 + 10.0 * i,
                    "heart_rate": 140 + i if record_hr is None else record_hr,
                    "distance": share * distance_m,
                },
            )
        )
    end = start + dt.timedelta(seconds=elapsed_s)
    if with_session:
        messages.append(
            (
                "session",
                {
                    "timestamp": end,
                    "start_time": start,
                    "start_position_lat": 45.0,
                    "start_position_long": 9.0,
                    "sport": SPORT[sport],
                    "sub_sport": SUB_SPORT[sub_sport],
                    "total_elapsed_time": elapsed_s,
                    "total_timer_time": timer_s,
                    "total_distance": distance_m,
                    "avg_heart_rate": avg_hr,
                    "total_ascent": ascent_m,
                },
            )
        )
    local = None if offset_min is None else end + dt.timedelta(minutes=offset_min)
    local = local_time if local_time is not None else local
    messages.append(
        (
            "activity",
            {"timestamp": end, "total_timer_time": timer_s, "num_sessions": 1, "type": 0,
             "local_timestamp": local},
        )
    )  # fmt: skip
    return encode_fit(messages, byte_fields=byte_fields)


def fit_not_activity(file_type: str, when: dt.datetime) -> bytes:
    """A FIT file that is not an activity (settings, workout, weight): only a file_id."""
    return encode_fit(
        [
            (
                "file_id",
                {"type": FILE_TYPE[file_type], "manufacturer": 1, "product": 3113,
                 "serial_number": 1, "time_created": when},
            )
        ]
    )  # fmt: skip


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (radius 6,378,137 m)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def gpx_text(tracks: list[dict[str, Any]], *, author: str | None = "Jane Runner") -> str:
    """A GPX document built with gpxpy; each track dict gives ``points`` as
    ``(lat, lon, elevation, time, hr)`` tuples (a list of lists for several segments), and
    optional ``name`` and ``type``."""
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    gpx.nsmap["gpxtpx"] = TPX
    gpx.author_name = author
    for spec in tracks:
        track = gpxpy.gpx.GPXTrack(name=spec.get("name"))
        track.type = spec.get("type")
        segments = spec["points"]
        if segments and not isinstance(segments[0], list):
            segments = [segments]
        for points in segments:
            segment = gpxpy.gpx.GPXTrackSegment()
            for lat, lon, ele, time, hr in points:
                point = gpxpy.gpx.GPXTrackPoint(lat, lon, elevation=ele, time=time)
                if hr is not None:
                    extension = ET.Element(f"{{{TPX}}}TrackPointExtension")
                    ET.SubElement(extension, f"{{{TPX}}}hr").text = str(hr)
                    point.extensions.append(extension)
                segment.points.append(point)
            track.segments.append(segment)
        gpx.tracks.append(track)
    return gpx.to_xml()


def meridian_points(
    start: dt.datetime, n: int, step_deg: float, step_s: int, *, hr: int | None = 150
) -> list[tuple[float, float, float, dt.datetime, int | None]]:
    """Points due north along longitude 9: every step is exactly R * radians(step_deg)."""
    return [
        (45.0 + i * step_deg, 9.0, 100.0 + (5.0 if i % 2 else 0.0), start + dt.timedelta(
            seconds=i * step_s), hr)
        for i in range(n)
    ]  # fmt: skip


# ---- Strava exports ---------------------------------------------------------------------

STRAVA_HEADERS = {
    "en": ["Activity ID", "Activity Date", "Activity Name", "Activity Type",
           "Activity Description", "Elapsed Time", "Distance", "Max Heart Rate",
           "Relative Effort", "Commute", "Activity Private Note", "Activity Gear", "Filename",
           "Athlete Weight", "Elapsed Time", "Moving Time", "Distance", "Max Speed",
           "Average Speed", "Elevation Gain", "Elevation Loss", "Max Heart Rate",
           "Average Heart Rate", "Perceived Exertion", "Media"],
    "de": ["Aktivitäts-ID", "Aktivitätsdatum", "Name der Aktivität", "Aktivitätsart",
           "Aktivitätsbeschreibung", "Verstrichene Zeit", "Distanz", "Max. Herzfrequenz",
           "Relative Leistung", "Pendeln", "Private Notiz zur Aktivität",
           "Aktivitätsausrüstung", "Dateiname", "Gewicht des Athleten", "Verstrichene Zeit",
           "Bewegungszeit", "Distanz", "Max. Geschwindigkeit", "Durchschnittsgeschwindigkeit",
           "Höhenzunahme", "Höhenabnahme", "Max. Herzfrequenz",
           "Durchschnittliche Herzfrequenz", "Wahrgenommene Anstrengung", "Medien"],
    "fr": ["ID de l'activité", "Date de l'activité", "Nom de l'activité", "Type d'activité",
           "Description de l'activité", "Temps écoulé", "Distance", "Fréquence cardiaque max.",
           "Effort relatif", "Trajet domicile-travail", "Note privée de l'activité",
           "Équipement de l'activité", "Nom du fichier", "Poids de l'athlète", "Temps écoulé",
           "Temps de déplacement", "Distance", "Vitesse max.", "Vitesse moyenne",
           "Dénivelé positif", "Dénivelé négatif", "Fréquence cardiaque max.",
           "Fréquence cardiaque moyenne", "Effort perçu", "Médias"],
    "it": ["ID attività", "Data attività", "Nome attività", "Tipo di attività",
           "Descrizione attività", "Tempo trascorso", "Distanza", "Frequenza cardiaca massima",
           "Sforzo relativo", "Pendolarismo", "Nota privata attività", "Attrezzatura attività",
           "Nome file", "Peso atleta", "Tempo trascorso", "Tempo in movimento", "Distanza",
           "Velocità massima", "Velocità media", "Dislivello positivo", "Dislivello negativo",
           "Frequenza cardiaca massima", "Frequenza cardiaca media", "Sforzo percepito",
           "Contenuti multimediali"],
    "es": ["ID de actividad", "Fecha de la actividad", "Nombre de la actividad",
           "Tipo de actividad", "Descripción de la actividad", "Tiempo transcurrido",
           "Distancia", "Frecuencia cardíaca máxima", "Esfuerzo relativo", "Desplazamiento",
           "Nota privada de la actividad", "Equipo de la actividad", "Nombre de archivo",
           "Peso del deportista", "Tiempo transcurrido", "Tiempo en movimiento", "Distancia",
           "Velocidad máxima", "Velocidad media", "Desnivel positivo", "Desnivel negativo",
           "Frecuencia cardíaca máxima", "Frecuencia cardíaca media", "Esfuerzo percibido",
           "Multimedia"],
}  # fmt: skip

STRAVA_MONTHS = {
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
    "de": "Jan. Feb. März Apr. Mai Juni Juli Aug. Sept. Okt. Nov. Dez.".split(),
    "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.".split(),
    "it": "gen feb mar apr mag giu lug ago set ott nov dic".split(),
    "es": "ene feb mar abr may jun jul ago sept oct nov dic".split(),
}

STRAVA_TYPES = {
    "en": {"run": "Run", "trail_run": "Trail Run", "virtual_run": "Virtual Run", "ride": "Ride"},
    "de": {"run": "Lauf", "trail_run": "Traillauf", "virtual_run": "Virtueller Lauf",
           "ride": "Radfahrt"},
    "fr": {"run": "Course à pied", "trail_run": "Trail", "virtual_run": "Course virtuelle",
           "ride": "Vélo"},
    "it": {"run": "Corsa", "trail_run": "Corsa su sentiero", "virtual_run": "Corsa virtuale",
           "ride": "Ciclismo"},
    "es": {"run": "Carrera", "trail_run": "Carrera por sendero",
           "virtual_run": "Carrera virtual", "ride": "Bicicleta"},
}  # fmt: skip


def strava_date(when: dt.datetime, language: str) -> str:
    """Format a UTC time as Strava writes ``Activity Date`` in each language."""
    month = STRAVA_MONTHS[language][when.month - 1]
    if language == "en":
        hour = when.hour % 12 or 12
        ampm = "AM" if when.hour < 12 else "PM"
        return f"{month} {when.day}, {when.year}, {hour}:{when:%M:%S} {ampm}"
    day = f"{when.day}." if language == "de" else str(when.day)
    return f"{day} {month} {when.year}, {when:%H:%M:%S}"


def _num(value: float, language: str, digits: int = 2) -> str:
    text = f"{value:.{digits}f}"
    return text if language == "en" else text.replace(".", ",")


def strava_rows() -> list[dict[str, Any]]:
    """The activities of the fixture export (start times in UTC)."""
    base = dt.datetime(2025, 1, 6, 6, 1, 2, tzinfo=UTC)
    return [
        dict(id=101, start=base, type="run", km=10.23456, elapsed=3725, moving=3600, gain=85.0,
             hr=148.0, rpe=6.0, gear="Pegasus 40", name="Morning Run", desc="Felt good",
             note="back a bit stiff", file="fit.gz", offset=60),
        # the same run recorded by a second device: 60 s later, 1 % shorter
        dict(id=102, start=base + dt.timedelta(seconds=60), type="run", km=10.23456 * 0.99,
             elapsed=3700, moving=3590, gain=None, hr=None, rpe=None, gear=None,
             name="Run (phone)", desc="", note="", file="gpx", offset=None),
        dict(id=103, start=dt.datetime(2025, 1, 7, 23, 30, 0, tzinfo=UTC), type="trail_run",
             km=15.5, elapsed=6300, moving=6000, gain=640.0, hr=152.0, rpe=7.0,
             gear="Speedgoat 5", name="Night trail", desc="Dark", note="", file="fit",
             offset=120),
        dict(id=104, start=dt.datetime(2025, 1, 9, 17, 0, 0, tzinfo=UTC), type="ride",
             km=40.0, elapsed=5400, moving=5200, gain=300.0, hr=130.0, rpe=None, gear="Bike",
             name="Ride", desc="", note="", file=None, offset=None),
        dict(id=105, start=dt.datetime(2025, 1, 10, 18, 15, 0, tzinfo=UTC), type="virtual_run",
             km=5.0, elapsed=1800, moving=1790, gain=0.0, hr=160.0, rpe=8.0, gear="Pegasus 40",
             name="Zwift", desc="", note="", file=None, offset=None),
    ]  # fmt: skip


def _activity_file(row: dict[str, Any]) -> bytes:
    if row["file"] == "gpx":
        step = row["km"] * 1000.0 / 10 / EARTH_RADIUS_M * 180.0 / math.pi
        points = meridian_points(row["start"], 11, step, row["elapsed"] // 10)
        return gpx_text([{"name": row["name"], "type": "running", "points": points}]).encode()
    data = fit_activity(
        row["start"],
        distance_m=row["km"] * 1000.0,
        elapsed_s=row["elapsed"],
        timer_s=row["moving"],
        offset_min=row["offset"],
    )
    return gzip.compress(data) if row["file"] == "fit.gz" else data


def strava_export(
    root: Path,
    *,
    language: str = "en",
    unit: str = "km",
    metres_column: bool = True,
    speed_column: bool = True,
    as_zip: bool = False,
    rows: list[dict[str, Any]] | None = None,
) -> Path:
    """Write a Strava-like export (folder, or zip when ``as_zip``) and return its path.

    ``unit`` is the display unit of the first Distance column ("km" or "mi"). With
    ``metres_column=False`` the second Distance column is removed (an older export);
    with ``speed_column=False`` Average Speed and Moving Time are left empty as well.
    """
    rows = strava_rows() if rows is None else rows
    header = list(STRAVA_HEADERS[language])
    second_distance = [i for i, h in enumerate(header) if h == header[6]][1]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keep = [i for i in range(len(header)) if metres_column or i != second_distance]
    writer.writerow([header[i] for i in keep])
    files: dict[str, bytes] = {}
    for row in rows:
        shown = row["km"] if unit == "km" else row["km"] / 1.609344
        filename = ""
        if row["file"]:
            filename = f"activities/{row['id']}.{row['file']}"
            files[filename] = _activity_file(row)
        speed = row["km"] * 1000.0 / row["moving"]
        cells = [
            str(row["id"]), strava_date(row["start"], language), row["name"],
            STRAVA_TYPES[language][row["type"]], row["desc"], str(row["elapsed"]),
            _num(shown, language), "", "", "false", row["note"], row["gear"] or "", filename,
            "", _num(row["elapsed"], language, 1),
            _num(row["moving"], language, 1) if speed_column else "",
            _num(row["km"] * 1000.0, language, 2),
            "", _num(speed, language, 3) if speed_column else "",
            "" if row["gain"] is None else _num(row["gain"], language, 1), "", "",
            "" if row["hr"] is None else _num(row["hr"], language, 1),
            "" if row["rpe"] is None else _num(row["rpe"], language, 1), "",
        ]  # fmt: skip
        writer.writerow([cells[i] for i in keep])
    content = {"activities.csv": buffer.getvalue().encode("utf-8"), **files}
    content["profile.csv"] = b"Athlete ID,Email Address,First Name\n42,jane@example.org,Jane\n"
    if as_zip:
        path = root.with_suffix(".zip")
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in content.items():
                archive.writestr(f"export_42/{name}", data)
        return path
    root.mkdir(parents=True, exist_ok=True)
    (root / "activities").mkdir(exist_ok=True)
    for name, data in content.items():
        (root / name).write_bytes(data)
    return root


def tcx_text(
    start: dt.datetime,
    laps: list[tuple[float, float, int]],
    *,
    sport: str = "Running",
    serial: str = "3912345678",
    step_s: int = 60,
    first_point_delay_s: int = 0,
) -> str:
    """A TCX document: ``laps`` are ``(seconds, metres, average heart rate)``; each lap has
    trackpoints every ``step_s`` seconds climbing 2 m per point. With
    ``first_point_delay_s`` the first trackpoint comes that late after the first lap's start
    (as when a watch starts the timer before the first GPS fix)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
        'TrainingCenterDatabase/v2"><Activities>',
        f'<Activity Sport="{sport}"><Id>{start.isoformat()}</Id>',
    ]
    when, height = start, 100.0
    for seconds, metres, hr in laps:
        parts.append(
            f'<Lap StartTime="{when.isoformat()}"><TotalTimeSeconds>{seconds}</TotalTimeSeconds>'
            f"<DistanceMeters>{metres}</DistanceMeters>"
            f"<AverageHeartRateBpm><Value>{hr}</Value></AverageHeartRateBpm><Track>"
        )
        for k in range(int(seconds // step_s) + 1):
            if when == start and k * step_s < first_point_delay_s:
                continue
            stamp = when + dt.timedelta(seconds=k * step_s)
            parts.append(
                f"<Trackpoint><Time>{stamp.isoformat()}</Time><Position>"
                f"<LatitudeDegrees>45.0</LatitudeDegrees><LongitudeDegrees>9.0</LongitudeDegrees>"
                f"</Position><AltitudeMeters>{height}</AltitudeMeters></Trackpoint>"
            )
            height += 2.0
        parts.append("</Track></Lap>")
        when += dt.timedelta(seconds=seconds)
    parts.append(f"<Creator><Name>Watch</Name><UnitId>{serial}</UnitId></Creator>")
    parts.append("</Activity></Activities></TrainingCenterDatabase>")
    return "".join(parts)


def write_strava_csv(root: Path, header: list[str], rows: list[list[str]]) -> Path:
    """Write a Strava export folder holding only ``activities.csv`` with these exact cells
    (header names may repeat, as in real exports) and return the folder."""
    root.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    (root / "activities.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return root


def fit_cut_after_session(data: bytes) -> bytes:
    """``data`` (a :func:`fit_activity` file) cut right after its session message: the
    activity message and the file CRC are lost, as when a watch's battery dies."""
    activity = len(encode_fit([("activity", {})])) - 16  # its definition and data message
    return data[: len(data) - 2 - activity]


def gpx_by_hand(
    version: str,
    tracks: list[dict[str, Any]],
    *,
    name: str = "Morning",
    author: str = "Jane Runner",
    encoding: str = "UTF-8",
) -> str:
    """A GPX 1.0 or 1.1 document written by hand (as devices write them): the same content in
    each version's own layout. ``tracks`` as for :func:`gpx_text` (segments are lists)."""
    ns = f"http://www.topografix.com/GPX/{version.replace('.', '/')}"
    head = [f'<?xml version="1.0" encoding="{encoding}"?>',
            f'<gpx version="{version}" creator="device" xmlns="{ns}" xmlns:gpxtpx="{TPX}">']  # fmt: skip
    if version == "1.1":
        head.append(
            f"<metadata><name>{name}</name><author><name>{author}</name></author></metadata>"
        )
    else:
        head.append(f"<name>{name}</name><author>{author}</author>")
    for spec in tracks:
        head.append("<trk>")
        if spec.get("name"):
            head.append(f"<name>{spec['name']}</name>")
        if spec.get("type"):
            head.append(f"<type>{spec['type']}</type>")
        segments = spec["points"]
        if segments and not isinstance(segments[0], list):
            segments = [segments]
        for points in segments:
            head.append("<trkseg>")
            for lat, lon, ele, time, hr in points:
                head.append(f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}">')
                if ele is not None:
                    head.append(f"<ele>{ele}</ele>")
                if time is not None:
                    head.append(f"<time>{time:%Y-%m-%dT%H:%M:%SZ}</time>")
                if hr is not None:
                    hr_xml = f"<gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr></gpxtpx:TrackPointExtension>"
                    head.append(
                        f"<extensions>{hr_xml}</extensions>" if version == "1.1" else hr_xml
                    )
                head.append("</trkpt>")
            head.append("</trkseg>")
        head.append("</trk>")
    head.append("</gpx>")
    return "\n".join(head)
