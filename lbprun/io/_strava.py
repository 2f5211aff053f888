"""Read a Strava bulk export (a folder or a .zip holding ``activities.csv`` and ``activities/``).

``activities.csv`` is read with the :mod:`csv` module so that duplicated header names stay
apart: the first ``Distance`` is in the athlete's display unit (km or mi), the second in metres;
``Elapsed Time`` appears twice (seconds). Headers and month names may be localised (EN, DE, FR,
IT, ES): both are matched after case-folding and stripping accents and punctuation. Each
activity is returned as a plain dict of raw values; :mod:`lbprun.io.wearables` normalises,
filters and anonymises them.
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from lbprun.exceptions import DataQualityWarning, DataReadError
from lbprun.io._activity_types import fold
from lbprun.io._export_files import Export
from lbprun.io._fit import read_fit_bytes
from lbprun.io._gpx import read_gpx_bytes, read_tcx_bytes
from lbprun.io._watch_bytes import codec_notes, peek, unpack, watch_kind_of_name

__all__ = [
    "HEADERS",
    "MILES_PER_KM",
    "MONTHS",
    "is_strava_csv",
    "looks_like_activities_csv",
    "parse_strava_date",
    "read_strava",
]

MILES_PER_KM = 1 / 1.609344
#: Longest cell of activities.csv read (a description or note may be very long).
_MAX_FIELD = 256 * 2**20

#: Known header names of ``activities.csv`` per field, in EN, DE, FR, IT, ES.
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "activity_id": {
        "en": ("Activity ID",),
        "de": ("Aktivitäts-ID",),
        "fr": ("ID de l'activité",),
        "it": ("ID attività",),
        "es": ("ID de actividad", "ID de la actividad"),
    },
    "activity_date": {
        "en": ("Activity Date",),
        "de": ("Aktivitätsdatum",),
        "fr": ("Date de l'activité",),
        "it": ("Data attività", "Data dell'attività"),
        "es": ("Fecha de la actividad", "Fecha de actividad"),
    },
    "activity_name": {
        "en": ("Activity Name",),
        "de": ("Name der Aktivität", "Aktivitätsname"),
        "fr": ("Nom de l'activité",),
        "it": ("Nome attività", "Nome dell'attività"),
        "es": ("Nombre de la actividad", "Nombre de actividad"),
    },
    "activity_type": {
        "en": ("Activity Type",),
        "de": ("Aktivitätsart", "Aktivitätstyp", "Sportart"),
        "fr": ("Type d'activité",),
        "it": ("Tipo di attività", "Tipo attività"),
        "es": ("Tipo de actividad",),
    },
    "activity_description": {
        "en": ("Activity Description",),
        "de": ("Aktivitätsbeschreibung", "Beschreibung der Aktivität"),
        "fr": ("Description de l'activité",),
        "it": ("Descrizione attività", "Descrizione dell'attività"),
        "es": ("Descripción de la actividad",),
    },
    "elapsed_time": {
        "en": ("Elapsed Time",),
        "de": ("Verstrichene Zeit", "Gesamtzeit"),
        "fr": ("Temps écoulé",),
        "it": ("Tempo trascorso", "Tempo totale"),
        "es": ("Tiempo transcurrido",),
    },
    "moving_time": {
        "en": ("Moving Time",),
        "de": ("Bewegungszeit", "Zeit in Bewegung"),
        "fr": ("Temps de déplacement", "Temps en mouvement", "Durée de déplacement"),
        "it": ("Tempo in movimento",),
        "es": ("Tiempo en movimiento",),
    },
    "distance": {
        "en": ("Distance",),
        "de": ("Distanz", "Entfernung Strecke"),
        "fr": ("Distance",),
        "it": ("Distanza",),
        "es": ("Distancia",),
    },
    "average_speed": {
        "en": ("Average Speed",),
        "de": ("Durchschnittsgeschwindigkeit", "Durchschnittliche Geschwindigkeit"),
        "fr": ("Vitesse moyenne",),
        "it": ("Velocità media",),
        "es": ("Velocidad media", "Velocidad promedio"),
    },
    "elevation_gain": {
        "en": ("Elevation Gain",),
        "de": ("Höhenzunahme", "Höhenmeter bergauf", "Anstieg"),
        "fr": ("Dénivelé positif",),
        "it": ("Dislivello positivo", "Guadagno di quota"),
        "es": ("Desnivel positivo", "Ganancia de elevación"),
    },
    "average_heart_rate": {
        "en": ("Average Heart Rate",),
        "de": ("Durchschnittliche Herzfrequenz", "Durchschnittsherzfrequenz"),
        "fr": ("Fréquence cardiaque moyenne",),
        "it": ("Frequenza cardiaca media",),
        "es": ("Frecuencia cardíaca media", "Frecuencia cardiaca promedio"),
    },
    "perceived_exertion": {
        "en": ("Perceived Exertion",),
        "de": ("Wahrgenommene Anstrengung", "Empfundene Anstrengung", "Gefühlte Anstrengung"),
        "fr": ("Effort perçu",),
        "it": ("Sforzo percepito",),
        "es": ("Esfuerzo percibido",),
    },
    "activity_gear": {
        "en": ("Activity Gear",),
        "de": ("Aktivitätsausrüstung", "Ausrüstung"),
        "fr": ("Équipement de l'activité", "Équipement", "Matériel utilisé pour l'activité"),
        "it": ("Attrezzatura attività", "Attrezzatura"),
        "es": ("Equipo de la actividad", "Equipamiento"),
    },
    "filename": {
        "en": ("Filename",),
        "de": ("Dateiname",),
        "fr": ("Nom du fichier", "Nom de fichier"),
        "it": ("Nome file", "Nome del file"),
        "es": ("Nombre de archivo", "Nombre del archivo"),
    },
    "private_note": {
        "en": ("Activity Private Note",),
        "de": (
            "Private Notiz zur Aktivität",
            "Private Aktivitätsnotiz",
            "Hinweis zur Privatsphäre für Aktivitäten",
        ),
        "fr": ("Note privée de l'activité", "Note privée sur les activités"),
        "it": ("Nota privata attività", "Nota privata dell'attività"),
        "es": ("Nota privada de la actividad",),
    },
}

#: Month names per language; abbreviations are matched as unambiguous prefixes of these.
MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"),
    "de": ("januar", "februar", "märz", "april", "mai", "juni", "juli", "august",
           "september", "oktober", "november", "dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
}  # fmt: skip
_MONTH_EXTRA = {"mrz": 3, "sept": 9}
#: Readers of the activity files an export names, by kind (any codec, see _watch_bytes).
_FILE_READERS = {"fit": read_fit_bytes, "gpx": read_gpx_bytes, "tcx": read_tcx_bytes}


_fold = fold

_HEADER_INDEX = {
    _fold(name): (field, language)
    for field, by_language in HEADERS.items()
    for language, names in by_language.items()
    for name in names
}
_MONTH_NAMES = [(_fold(name), i + 1) for names in MONTHS.values() for i, name in enumerate(names)]


def _month(token: str) -> int | None:
    key = _fold(token)
    if key in _MONTH_EXTRA:
        return _MONTH_EXTRA[key]
    if len(key) < 3:
        return None
    found = {number for name, number in _MONTH_NAMES if name.startswith(key)}
    return found.pop() if len(found) == 1 else None


def parse_strava_date(text: str, language: str = "en") -> pd.Timestamp:
    """Parse a Strava ``Activity Date`` (UTC) such as ``"Jan 6, 2025, 7:01:02 AM"``.

    Localised forms (``"6. Jan. 2025, 07:01:02"``, ``"6 janv. 2025, 07:01:02"``,
    ``"6 gen 2025, 07:01:02"``, ``"6 ene 2025, 7:01:02 p. m."``), ISO dates and numeric
    ``d.m.y`` dates are accepted; ``m/d/y`` is read month first in English, day first otherwise.

    >>> parse_strava_date("Jan 6, 2025, 7:01:02 PM")
    Timestamp('2025-01-06 19:01:02+0000', tz='UTC')
    >>> parse_strava_date("6. März 2025, 07:01:02", "de")
    Timestamp('2025-03-06 07:01:02+0000', tz='UTC')
    """
    raw = str(text).strip()
    clock = re.search(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", raw)
    hour, minute, second = (0, 0, 0)
    rest = raw
    if clock:
        hour, minute, second = int(clock[1]), int(clock[2]), int(clock[3] or 0)
        tail = _fold(raw[clock.end() :])
        if tail.startswith("pm") and hour < 12:
            hour += 12
        elif tail.startswith("am") and hour == 12:
            hour = 0
        rest = raw[: clock.start()]
    iso = re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", rest)
    numeric = re.search(r"(\d{1,2})([./])(\d{1,2})\2(\d{4})", rest)
    if iso:
        year, month, day = int(iso[1]), int(iso[2]), int(iso[3])
    elif numeric:
        first, second_part, year = int(numeric[1]), int(numeric[3]), int(numeric[4])
        month_first = numeric[2] == "/" and language == "en"
        month, day = (first, second_part) if month_first else (second_part, first)
    else:
        words = re.findall(r"[^\W\d_]+", rest)
        numbers = [int(n) for n in re.findall(r"\d+", rest)]
        months = [m for w in words if (m := _month(w)) is not None]
        years = [n for n in numbers if n >= 1000]
        days = [n for n in numbers if n < 1000]
        if len(months) != 1 or len(years) != 1 or len(days) != 1:
            raise ValueError(f"cannot read the date {text!r}")
        month, day, year = months[0], days[0], years[0]
    return pd.Timestamp(year, month, day, hour, minute, second, tz="UTC")


def _number(text: str, language: str) -> float | None:
    """Read a number written with a decimal point or a decimal comma; empty -> None."""
    value = str(text).strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if not value:
        return None
    if "," in value and "." in value:
        if value.rfind(",") > value.rfind("."):
            value = value.replace(".", "").replace(",", ".")
        else:
            value = value.replace(",", "")
    elif "," in value:
        grouped = language == "en" and re.fullmatch(r"-?\d{1,3}(,\d{3})+", value)
        value = value.replace(",", "") if grouped else value.replace(",", ".")
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_strava(path: Path, *, need_files: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Read a Strava export; return one raw dict per activity and import information.

    ``need_files`` opens each referenced activity file (for the local UTC offset).
    """
    notes: list[str] = []
    export = Export(path, notes)
    try:
        records, info = _read(export, need_files)
    finally:
        export.close()
    info["notes"][:0] = notes
    return records, info


def _rows(export: Export, label: str) -> list[list[str]]:
    """The cells of activities.csv (compressed or not); a description may be megabytes long."""
    limit = csv.field_size_limit()
    raw, codec = unpack(export.read(export.csv_name), label, "CSV")
    if codec is not None:
        export.notes.append(f"{label}: read through {codec} decompression.")
    try:
        csv.field_size_limit(_MAX_FIELD)
        text = raw.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error, MemoryError) as error:
        raise DataReadError(f"{label}: unreadable activities.csv ({error}).") from None
    finally:
        csv.field_size_limit(limit)


def looks_like_activities_csv(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a CSV) is the header of a Strava activities.csv.

    The header must name (in any language lbprun knows) the activity date, the distance and
    either the activity ID or the activity type.
    """
    text = head.decode("utf-8-sig", errors="replace").splitlines()
    if not text:
        return False
    try:
        header = next(csv.reader([text[0]]))
    except (csv.Error, StopIteration):
        return False
    fields = {
        hit[0]
        for name in header
        if (hit := _HEADER_INDEX.get(_fold(re.sub(r"<[^>]*>", "", name)))) is not None
    }
    return {"activity_date", "distance"} <= fields and bool(
        {"activity_id", "activity_type"} & fields
    )


def is_strava_csv(path: Path) -> bool:
    """True when ``path`` is a file whose first line is a Strava activities.csv header."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(65536)
        return looks_like_activities_csv(peek(Path(path), head))
    except (OSError, DataReadError):
        return False


def _read(export: Export, need_files: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    label = export.csv_label
    rows = _rows(export, label)
    if not rows:
        raise DataReadError(f"{label}: activities.csv is empty.")
    header, body = rows[0], [r for r in rows[1:] if any(c.strip() for c in r)]
    positions: dict[str, list[int]] = {}
    languages: dict[str, int] = {}
    unmapped = []
    for i, name in enumerate(header):
        # untranslated headers come wrapped in HTML: <span class="translation_missing">Type</span>
        hit = _HEADER_INDEX.get(_fold(re.sub(r"<[^>]*>", "", name)))
        if hit is None:
            unmapped.append(name)
            continue
        positions.setdefault(hit[0], []).append(i)
        languages[hit[1]] = languages.get(hit[1], 0) + 1
    language = max(languages, key=languages.get) if languages else "en"
    for needed in ("activity_date", "distance"):
        if needed not in positions:
            raise DataReadError(
                f"{label}: activities.csv has no {needed.replace('_', ' ')} column; "
                f"headers are {', '.join(header[:8])}."
            )

    def cell(row: list[str], field: str, which: int = 0) -> str:
        places = positions.get(field, [])
        if not places or which >= len(places) or which < -len(places):
            return ""
        place = places[which]
        return row[place] if place < len(row) else ""

    def last(row: list[str], field: str) -> str:
        """The last non-empty of a repeated column: real exports leave the second
        ``Elapsed Time`` empty on some rows while the first one holds the seconds."""
        places = positions.get(field, [])
        values = [row[p] for p in reversed(places) if p < len(row) and row[p].strip()]
        return values[0] if values else ""

    records = []
    for line, row in enumerate(body, start=2):
        try:
            start = parse_strava_date(cell(row, "activity_date"), language)
        except ValueError as error:
            raise DataReadError(f"{label}: line {line}: {error}.") from None
        record = {
            "source_format": "strava",
            "start_time": start,
            "utc_offset_min": None,
            "distance_display": _number(cell(row, "distance", 0), language),
            "distance_m": _number(cell(row, "distance", 1), language),
            "duration_min": _minutes(_number(last(row, "elapsed_time"), language)),
            "moving_time_min": _minutes(_number(last(row, "moving_time"), language)),
            "average_speed_m_s": _number(last(row, "average_speed"), language),
            "elevation_gain_m": _number(last(row, "elevation_gain"), language),
            "avg_hr": _number(last(row, "average_heart_rate"), language),
            "rpe": _number(last(row, "perceived_exertion"), language),
            "shoe_id": cell(row, "activity_gear").strip() or None,
            "raw_type": cell(row, "activity_type").strip() or None,
            "activity_id": cell(row, "activity_id").strip() or None,
            "activity_name": cell(row, "activity_name") or None,
            "activity_description": cell(row, "activity_description") or None,
            "private_note": cell(row, "private_note") or None,
            "filename": cell(row, "filename").strip() or None,
        }
        records.append(record)
    info: dict[str, Any] = {
        "language": language,
        "unmapped_headers": tuple(unmapped),
        "notes": [],
    }
    missing = 0
    if need_files or any(r["distance_m"] is None and r["distance_display"] for r in records):
        missing = _attach_files(export, records, info)
    info["files_missing"] = missing
    _distances(records, info, label)
    return records, info


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60.0


def _attach_files(export: Export, records: list[dict[str, Any]], info: dict[str, Any]) -> int:
    """Read each activity file for its local UTC offset and its track length."""
    missing = 0
    compressed: list[dict[str, Any]] = []
    for record in records:
        name = record["filename"]
        if not name:
            continue
        member = export.root + name.lstrip("/")
        if not export.has(member):
            missing += 1
            continue
        label = f"{export.path}:{member}"
        reader = _FILE_READERS.get(watch_kind_of_name(member) or "")
        if reader is None:
            continue
        try:
            parsed = reader(export.read(member), label)
        except DataReadError as error:
            message = f"activity file skipped: {error}"
            warnings.warn(message, DataQualityWarning, stacklevel=4)
            info["notes"].append(message)
            continue
        record["utc_offset_min"] = parsed[0]["utc_offset_min"]
        record["file_distance_km"] = sum(p["distance_km"] or 0.0 for p in parsed)
        info["notes"].extend(n for p in parsed for n in p.get("reader_notes", ()))
        compressed.extend(parsed[:1])
    info["notes"].extend(codec_notes(compressed))
    if missing:
        info["notes"].append(f"{missing} activity file(s) named in activities.csv are missing.")
    return missing


def _distances(records: list[dict[str, Any]], info: dict[str, Any], label: str) -> None:
    """Detect the display unit of the first Distance column and fill distance_km."""
    votes = {"km": 0, "mi": 0}
    evidence = ""
    for source, tolerance in (("metres", 0.02), ("speed", 0.05), ("file", 0.05)):
        for record in records:
            shown = record["distance_display"]
            reference = _reference_km(record, source)
            if not shown or not reference:
                continue
            ratio = shown / reference
            if abs(ratio - 1.0) <= tolerance:
                votes["km"] += 1
            elif abs(ratio / MILES_PER_KM - 1.0) <= tolerance:
                votes["mi"] += 1
        if votes["km"] or votes["mi"]:
            evidence = {
                "metres": "the second Distance column (metres)",
                "speed": "Average Speed x Moving Time",
                "file": "the activity files' track length",
            }[source]
            break
    if votes["km"] and votes["mi"]:
        message = (
            f"{label}: Distance units disagree between rows ({votes['km']} look like km, "
            f"{votes['mi']} like miles); the majority was used."
        )
        warnings.warn(message, DataQualityWarning, stacklevel=4)
        info["notes"].append(message)
    unit = None
    if votes["km"] or votes["mi"]:
        unit = "km" if votes["km"] >= votes["mi"] else "mi"
        agree = max(votes.values())
        evidence = f"{evidence}: {agree} of {votes['km'] + votes['mi']} comparable rows agree"
    elif any(r["distance_display"] and r["distance_m"] is None for r in records):
        raise DataReadError(
            f"{label}: cannot tell whether Distance is in km or miles (no metres column, no "
            "Average Speed and Moving Time, no readable activity files)."
        )
    info["distance_unit"] = unit
    info["distance_unit_evidence"] = evidence or "no row with a non-zero distance to compare"
    factor = 1.0 if unit in (None, "km") else 1.0 / MILES_PER_KM
    for record in records:
        if record["distance_m"] is not None:
            record["distance_km"] = record["distance_m"] / 1000.0
        elif record["distance_display"] is not None:
            record["distance_km"] = record["distance_display"] * factor
        else:
            record["distance_km"] = None


def _reference_km(record: dict[str, Any], source: str) -> float | None:
    if source == "metres":
        metres = record["distance_m"]
        return None if metres is None else metres / 1000.0
    if source == "speed":
        speed, moving = record["average_speed_m_s"], record["moving_time_min"]
        return None if speed is None or moving is None else speed * moving * 60.0 / 1000.0
    return record.get("file_distance_km")
