"""GPS-watch and Strava export ingestion: every format against the values written into it."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import re
import warnings
import zipfile
from pathlib import Path

import fitdecode
import pandas as pd
import pytest
from _watch_fixtures import (
    EARTH_RADIUS_M,
    STRAVA_MONTHS,
    fit_activity,
    fit_crc,
    gpx_text,
    haversine_m,
    meridian_points,
    strava_date,
    strava_export,
    strava_rows,
    tcx_text,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.exceptions import DataQualityWarning, DataReadError
from lbprun.io.read import read_activities
from lbprun.io.schema import ACTIVITIES, SURFACES
from lbprun.io.wearables import (
    PRIVATE_FIELDS,
    WatchImportReport,
    normalise_type,
    read_watch_export,
)

START = dt.datetime(2025, 1, 6, 6, 1, 2, tzinfo=dt.UTC)
KM = 1e-6


def _report(frame: pd.DataFrame) -> WatchImportReport:
    meta = frame.attrs["lbprun"]
    report = meta["report"]
    assert isinstance(report, WatchImportReport)
    assert meta["kind"] == "activities" and meta["format"] == report.format
    assert meta["notes"] == list(report.notes)
    return report


def _all_text(frame: pd.DataFrame) -> str:
    return " ".join(map(str, frame.astype(str).to_numpy().ravel())) + " ".join(frame.columns)


# ---- FIT ------------------------------------------------------------------------------------


def test_fit_encoder_is_read_back_by_fitdecode():
    data = fit_activity(START, distance_m=10234.56, elapsed_s=3725, timer_s=3600)
    assert data[8:12] == b".FIT" and data[0] == 14
    assert fit_crc(data) == 0  # the trailing CRC makes the whole-file CRC zero
    found = {}
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.RAISE) as reader:
        for frame in reader:
            if frame.frame_type == fitdecode.FIT_FRAME_DATA:
                found.setdefault(frame.name, {f.name: f.value for f in frame.fields})
    assert found["file_id"]["serial_number"] == 3_912_345_678
    assert found["session"]["total_distance"] == pytest.approx(10234.56)
    assert found["session"]["total_timer_time"] == 3600
    assert found["session"]["sport"] == "running"
    assert found["session"]["start_time"] == START


def test_fit_session_values(tmp_path):
    path = tmp_path / "run.fit"
    path.write_bytes(
        fit_activity(START, distance_m=10234.56, elapsed_s=3725.5, timer_s=3600.25, avg_hr=151)
    )
    runs = read_watch_export(path, runner_id="r1")
    assert len(runs) == 1
    row = runs.iloc[0]
    assert row["distance_km"] == pytest.approx(10.23456, abs=KM)
    assert row["duration_min"] == pytest.approx(3725.5 / 60, abs=1e-9)
    assert row["moving_time_min"] == pytest.approx(3600.25 / 60, abs=1e-9)
    assert row["start_time"] == pd.Timestamp(START)
    assert row["elevation_gain_m"] == 85 and row["avg_hr"] == 151
    assert row["activity_type"] == "run" and row["runner_id"] == "r1"
    assert _report(runs).format == "fit"


def test_fit_local_date_from_offset_and_tz(tmp_path):
    late = dt.datetime(2025, 1, 7, 23, 30, tzinfo=dt.UTC)
    path = tmp_path / "late.fit.gz"
    path.write_bytes(
        gzip.compress(
            fit_activity(late, distance_m=8000, elapsed_s=2400, timer_s=2400, offset_min=120)
        )
    )
    by_offset = read_watch_export(path)
    assert by_offset["date"].iloc[0] == pd.Timestamp("2025-01-08")
    assert _report(by_offset).tz_source == "activity files' UTC offset"
    in_new_york = read_watch_export(path, tz="America/New_York")
    assert in_new_york["date"].iloc[0] == pd.Timestamp("2025-01-07")
    assert in_new_york["start_time"].iloc[0] == pd.Timestamp(late)
    path.write_bytes(
        gzip.compress(
            fit_activity(late, distance_m=8000, elapsed_s=2400, timer_s=2400, offset_min=None)
        )
    )
    in_utc = read_watch_export(path)
    assert in_utc["date"].iloc[0] == pd.Timestamp("2025-01-07")
    assert _report(in_utc).tz_source == "UTC"
    assert any("UTC date" in note for note in _report(in_utc).notes)


@pytest.mark.parametrize(
    ("sub_sport", "expected", "surface"),
    [
        ("trail", "trail_run", "trail"),
        ("treadmill", "treadmill_run", "treadmill"),
        ("track", "run", "track"),
        ("virtual_activity", "virtual_run", "treadmill"),
    ],
)
def test_fit_sub_sport_sets_type_and_surface(tmp_path, sub_sport, expected, surface):
    path = tmp_path / "a.fit"
    path.write_bytes(
        fit_activity(START, distance_m=5000, elapsed_s=1800, timer_s=1800, sub_sport=sub_sport)
    )
    row = read_watch_export(path).iloc[0]
    assert (row["activity_type"], row["surface"]) == (expected, surface)


def test_fit_detected_from_content_without_extension(tmp_path):
    path = tmp_path / "download.bin"
    path.write_bytes(fit_activity(START, distance_m=5000, elapsed_s=1800, timer_s=1800))
    runs = read_watch_export(path, activity_types="run")
    assert runs["distance_km"].tolist() == pytest.approx([5.0], abs=KM)


def test_fit_without_session_sums_records(tmp_path):
    path = tmp_path / "records.fit"
    path.write_bytes(
        fit_activity(START, distance_m=6000, elapsed_s=2000, timer_s=1900, with_session=False)
    )
    row = read_watch_export(path, activity_types=None).iloc[0]
    assert row["distance_km"] == pytest.approx(6.0, abs=KM)
    assert row["duration_min"] == pytest.approx(2000 / 60)
    assert row["elevation_gain_m"] == pytest.approx(40.0)  # 100 -> 140 m in 10 m steps
    assert row["avg_hr"] == pytest.approx(142.0)  # mean of 140..144
    assert row["activity_type"] == "unknown"


def test_fit_serial_dropped_unless_asked(tmp_path):
    path = tmp_path / "run.fit"
    path.write_bytes(fit_activity(START, distance_m=5000, elapsed_s=1800, timer_s=1800))
    private = read_watch_export(path)
    assert "3912345678" not in _all_text(private)
    assert not {"device_serial", "start_lat", "start_lon"} & set(private.columns)
    assert _report(private).dropped_private["device_serial"] == 1
    kept = read_watch_export(path, keep_private=True)
    assert kept["device_serial"].iloc[0] == "3912345678"
    assert kept["start_lat"].iloc[0] == pytest.approx(45.0, abs=1e-6)


def test_fit_bad_crc_is_refused_when_strict_and_read_from_its_summary_otherwise(tmp_path):
    data = bytearray(fit_activity(START, distance_m=5000, elapsed_s=1800, timer_s=1800))
    data[-1] ^= 0xFF
    path = tmp_path / "flipped.fit"
    path.write_bytes(bytes(data))
    with pytest.raises(DataReadError, match=r"flipped\.fit.*CRC"):
        read_watch_export(path, strict=True)
    with pytest.warns(DataQualityWarning, match=r"flipped\.fit.*CRC.*session summary"):
        runs = read_watch_export(path)
    assert runs["distance_km"].tolist() == pytest.approx([5.0], abs=KM)
    assert any("CRC check failed" in n for n in _report(runs).notes)


def test_fit_changed_data_byte_fails_the_crc(tmp_path):
    data = bytearray(fit_activity(START, distance_m=5000, elapsed_s=1800, timer_s=1800))
    data[-3] ^= 0x01  # inside the last data message: still decodable, wrong CRC
    path = tmp_path / "tampered.fit"
    path.write_bytes(bytes(data))
    with pytest.raises(DataReadError, match=r"tampered\.fit.*CRC"):
        read_watch_export(path, strict=True)
    with pytest.warns(DataQualityWarning, match=r"tampered\.fit.*CRC"):
        read_watch_export(path)


def test_fit_garbage_raises_naming_the_file(tmp_path):
    path = tmp_path / "noise.fit"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(DataReadError, match=r"noise\.fit"):
        read_watch_export(path)


def test_fit_truncated_raises_naming_the_file(tmp_path):
    data = fit_activity(START, distance_m=5000, elapsed_s=1800, timer_s=1800)
    path = tmp_path / "cut.fit"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataReadError, match=r"cut\.fit"):
        read_watch_export(path)


# ---- GPX ------------------------------------------------------------------------------------


def _gpx_file(path: Path, tracks, **kwargs) -> Path:
    path.write_text(gpx_text(tracks, **kwargs))
    return path


def test_gpx_values_against_the_points_written(tmp_path):
    step = 0.0009
    points = meridian_points(START, 21, step, 30, hr=150)
    expected_km = 20 * EARTH_RADIUS_M * math.radians(step) / 1000
    path = _gpx_file(tmp_path / "run.gpx", [{"name": "Lunch Run", "type": "running",
                                             "points": points}])  # fmt: skip
    runs = read_watch_export(path, runner_id="r1")
    row = runs.iloc[0]
    assert row["distance_km"] == pytest.approx(expected_km, abs=KM)
    assert row["duration_min"] == pytest.approx(10.0)
    assert row["moving_time_min"] == pytest.approx(10.0)
    assert row["elevation_gain_m"] == pytest.approx(10 * 5.0)  # ten 0 -> 5 m steps
    assert row["avg_hr"] == pytest.approx(150.0)
    assert row["start_time"] == pd.Timestamp(START)
    assert row["activity_type"] == "run"
    assert _report(runs).format == "gpx"


def test_gpx_zigzag_distance_pause_and_segments(tmp_path):
    lats = [45.0, 45.004, 45.004, 45.001, 45.003]
    lons = [9.0, 9.003, 9.003, 9.006, 9.002]
    seconds = [0, 120, 420, 600, 700]  # 300 s standing still between points 2 and 3
    points = [
        (lat, lon, None, START + dt.timedelta(seconds=s), 140 + i)
        for i, (lat, lon, s) in enumerate(zip(lats, lons, seconds, strict=True))
    ]
    path = _gpx_file(tmp_path / "z.gpx", [{"type": "running",
                                           "points": [points[:3], points[3:]]}])  # fmt: skip
    row = read_watch_export(path).iloc[0]
    inside = [(0, 1), (1, 2), (3, 4)]  # no distance across the gap between the two segments
    expected = sum(haversine_m(lats[a], lons[a], lats[b], lons[b]) for a, b in inside) / 1000
    assert row["distance_km"] == pytest.approx(expected, abs=KM)
    assert row["duration_min"] == pytest.approx(700 / 60)
    assert row["moving_time_min"] == pytest.approx((120 + 100) / 60)
    assert math.isnan(row["elevation_gain_m"])
    assert row["avg_hr"] == pytest.approx(142.0)


def test_gpx_distance_agrees_with_gpxpy_length_2d(tmp_path):
    import gpxpy

    points = [
        (45.0 + 0.0007 * i, 9.0 + 0.0011 * math.sin(i / 3), None,
         START + dt.timedelta(seconds=20 * i), None)
        for i in range(200)
    ]  # fmt: skip
    text = gpx_text([{"type": "running", "points": points}])
    path = tmp_path / "wiggle.gpx"
    path.write_text(text)
    ours = read_watch_export(path)["distance_km"].iloc[0]
    theirs = gpxpy.parse(text).tracks[0].length_2d() / 1000
    assert abs(ours - theirs) < 1e-5 * theirs  # under a centimetre per km


def test_gpx_two_tracks_type_filter_and_gz(tmp_path):
    run = meridian_points(START, 11, 0.001, 36)
    ride = meridian_points(START + dt.timedelta(hours=3), 11, 0.01, 60, hr=None)
    text = gpx_text([{"type": "running", "points": run}, {"type": "cycling", "points": ride}])
    path = tmp_path / "two.gpx.gz"
    path.write_bytes(gzip.compress(text.encode()))
    runs = read_watch_export(path)
    assert runs["activity_type"].tolist() == ["run"]
    assert _report(runs).dropped_types == {"ride": 1}
    everything = read_watch_export(path, activity_types=None)
    assert everything["activity_type"].tolist() == ["run", "ride"]
    assert math.isnan(everything["avg_hr"].iloc[1])


def test_gpx_local_offset_and_tz(tmp_path):
    plus_two = dt.timezone(dt.timedelta(hours=2))
    late = dt.datetime(2025, 6, 1, 0, 30, tzinfo=plus_two)  # 22:30 UTC on 31 May
    path = _gpx_file(
        tmp_path / "o.gpx", [{"type": "running", "points": meridian_points(late, 5, 0.001, 60)}]
    )
    runs = read_watch_export(path)
    assert runs["start_time"].iloc[0] == pd.Timestamp("2025-05-31 22:30", tz="UTC")
    assert runs["date"].iloc[0] == pd.Timestamp("2025-06-01")
    tokyo = read_watch_export(path, tz="Asia/Tokyo")
    assert tokyo["date"].iloc[0] == pd.Timestamp("2025-06-01")
    london = read_watch_export(path, tz="Europe/London")
    assert london["date"].iloc[0] == pd.Timestamp("2025-05-31")


def test_gpx_times_without_zone_are_read_as_utc(tmp_path):
    text = gpx_text([{"type": "running", "points": meridian_points(START, 5, 0.001, 60)}])
    path = tmp_path / "naive.gpx"
    path.write_text(re.sub(r"(Z|\+00:00)</time>", "</time>", text))
    runs = read_watch_export(path)
    assert runs["start_time"].iloc[0] == pd.Timestamp(START)
    assert any("without a zone" in note for note in _report(runs).notes)


def test_gpx_privacy(tmp_path):
    points = meridian_points(START, 5, 0.001, 60)
    path = _gpx_file(
        tmp_path / "private.gpx", [{"name": "Run past home", "type": "running", "points": points}]
    )
    runs = read_watch_export(path, runner_id="r1")
    text = _all_text(runs)
    for secret in ("Run past home", "Jane Runner", "private.gpx", "45.0", "9.0"):
        assert secret not in text
    assert not set(PRIVATE_FIELDS) & set(runs.columns)
    dropped = _report(runs).dropped_private
    assert dropped["activity_name"] == 1 and dropped["athlete_name"] == 1
    assert dropped["start_lat"] == 1 and dropped["filename"] == 1
    kept = read_watch_export(path, runner_id="r1", keep_private=True)
    assert kept["activity_name"].iloc[0] == "Run past home"
    assert kept["athlete_name"].iloc[0] == "Jane Runner"
    assert kept["start_lat"].iloc[0] == pytest.approx(45.0)


def test_gpx_truncated_and_malformed_raise_naming_the_file(tmp_path):
    text = gpx_text([{"type": "running", "points": meridian_points(START, 5, 0.001, 60)}])
    cut = tmp_path / "cut.gpx"
    cut.write_text(text[: len(text) // 2])
    with pytest.raises(DataReadError, match=r"cut\.gpx"):
        read_watch_export(cut)
    empty = tmp_path / "empty.gpx"
    empty.write_text('<gpx version="1.1" creator="x"></gpx>')
    with pytest.raises(DataReadError, match=r"empty\.gpx.*no track"):
        read_watch_export(empty)


def test_folder_of_gpx_and_fit_files(tmp_path):
    folder = tmp_path / "watch"
    folder.mkdir()
    _gpx_file(
        folder / "a.gpx", [{"type": "running", "points": meridian_points(START, 11, 0.001, 30)}]
    )
    later = START + dt.timedelta(days=1)
    (folder / "b.fit").write_bytes(fit_activity(later, distance_m=7000, elapsed_s=2100,
                                                timer_s=2000))  # fmt: skip
    (folder / "notes.txt").write_text("ignored")
    runs = read_watch_export(folder, runner_id="r1")
    assert runs["source_format"].tolist() == ["gpx", "fit"]
    assert runs["distance_km"].iloc[1] == pytest.approx(7.0, abs=KM)
    report = _report(runs)
    assert report.format == "fit+gpx" and report.files_read == 2


def test_folder_without_watch_files(tmp_path):
    (tmp_path / "x.txt").write_text("nothing")
    with pytest.raises(DataReadError, match="no Strava export"):
        read_watch_export(tmp_path)


# ---- TCX ------------------------------------------------------------------------------------


def test_tcx_values_and_privacy(tmp_path):
    path = tmp_path / "run.tcx"
    path.write_text(tcx_text(START, [(1200.0, 4000.0, 140), (600.0, 1800.5, 170)]))
    runs = read_watch_export(path, runner_id="r1")
    row = runs.iloc[0]
    assert row["distance_km"] == pytest.approx(5.8005, abs=KM)
    assert row["moving_time_min"] == pytest.approx(30.0)
    assert row["duration_min"] == pytest.approx(30.0)  # last trackpoint at 1800 s
    assert row["avg_hr"] == pytest.approx((140 * 1200 + 170 * 600) / 1800)
    assert row["elevation_gain_m"] == pytest.approx(2.0 * (21 + 11 - 1))
    assert row["start_time"] == pd.Timestamp(START) and row["activity_type"] == "run"
    assert "3912345678" not in _all_text(runs)
    kept = read_watch_export(path, keep_private=True)
    assert kept["device_serial"].iloc[0] == "3912345678"
    renamed = tmp_path / "run.xml"
    renamed.write_bytes(path.read_bytes())
    assert _report(read_watch_export(renamed)).format == "tcx"
    gz = tmp_path / "ride.tcx.gz"
    gz.write_bytes(gzip.compress(tcx_text(START, [(600.0, 5000.0, 120)], sport="Biking").encode()))
    assert read_watch_export(gz).empty
    assert read_watch_export(gz, activity_types=None)["activity_type"].tolist() == ["ride"]


def test_tcx_truncated_raises_naming_the_file(tmp_path):
    text = tcx_text(START, [(600.0, 2000.0, 150)])
    path = tmp_path / "cut.tcx"
    path.write_text(text[: len(text) // 2])
    with pytest.raises(DataReadError, match=r"cut\.tcx"):
        read_watch_export(path)


# ---- Strava ---------------------------------------------------------------------------------

EXPECTED_KM = [10.23456, 15.5, 5.0]


@pytest.mark.parametrize("language", ["en", "de", "fr", "it", "es"])
@pytest.mark.parametrize("unit", ["km", "mi"])
def test_strava_export_languages_and_units(tmp_path, language, unit):
    path = strava_export(tmp_path / "export", language=language, unit=unit, as_zip=unit == "mi")
    runs = read_watch_export(path, runner_id="r1")
    report = _report(runs)
    assert report.format == "strava"
    assert report.language == language
    assert report.distance_unit == unit
    assert "second Distance column (metres)" in report.distance_unit_evidence
    assert runs["distance_km"].tolist() == pytest.approx(EXPECTED_KM, abs=KM)
    assert runs["duration_min"].tolist() == pytest.approx([3725 / 60, 6300 / 60, 1800 / 60])
    assert runs["moving_time_min"].tolist() == pytest.approx([60.0, 100.0, 1790 / 60])
    assert runs["activity_type"].tolist() == ["run", "trail_run", "virtual_run"]
    assert runs["shoe_id"].tolist() == ["Pegasus 40", "Speedgoat 5", "Pegasus 40"]
    assert runs["elevation_gain_m"].tolist() == [85.0, 640.0, 0.0]
    assert runs["avg_hr"].tolist() == [148.0, 152.0, 160.0]
    assert runs["rpe"].tolist() == [6.0, 7.0, 8.0]
    assert runs["start_time"].tolist() == [
        pd.Timestamp(r["start"]) for r in strava_rows() if r["id"] in (101, 103, 105)
    ]
    # the trail run started 23:30 UTC; its FIT file says UTC+2, so it was the next day
    assert runs["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-01-06", "2025-01-08", "2025-01-10"
    ]  # fmt: skip


def test_strava_csv_with_bom_and_crlf(tmp_path):
    path = strava_export(tmp_path / "export", language="fr")
    csv_path = path / "activities.csv"
    text = csv_path.read_text(encoding="utf-8")
    csv_path.write_bytes(text.replace("\n", "\r\n").encode("utf-8-sig"))
    runs = read_watch_export(path, tz="Europe/Paris")
    assert _report(runs).language == "fr"
    assert runs["distance_km"].tolist() == pytest.approx(EXPECTED_KM, abs=KM)


def test_strava_dates_with_tz_argument(tmp_path):
    path = strava_export(tmp_path / "export")
    runs = read_watch_export(path, tz="America/Los_Angeles")
    assert runs["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-01-05", "2025-01-07", "2025-01-10"
    ]  # fmt: skip
    assert _report(runs).tz_source == "tz argument 'America/Los_Angeles'"
    assert _report(runs).files_read == 0  # activity files are not needed with tz=


def test_strava_type_filter(tmp_path):
    path = strava_export(tmp_path / "export")
    everything = read_watch_export(path, activity_types=None)
    assert "ride" in everything["activity_type"].tolist()
    trails = read_watch_export(path, activity_types=["trail_run"])
    assert trails["activity_type"].tolist() == ["trail_run"]
    report = _report(trails)
    assert report.dropped_types == {"run": 2, "ride": 1, "virtual_run": 1}  # before dedupe


def test_strava_duplicates_removed_and_reported(tmp_path):
    path = strava_export(tmp_path / "export")
    runs = read_watch_export(path)
    duplicates = _report(runs).duplicates
    assert len(duplicates) == 1
    gone = duplicates.iloc[0]
    assert gone["start_diff_s"] == 60
    assert gone["distance_diff_pct"] == pytest.approx(1.0, abs=1e-3)  # metres have 2 decimals
    assert gone["kept_distance_km"] == pytest.approx(10.23456, abs=KM)
    # the richer record (heart rate, gear, RPE) is the one kept
    assert runs["avg_hr"].iloc[0] == 148.0
    kept_both = read_watch_export(path, dedupe=False)
    assert len(kept_both) == len(runs) + 1
    assert _report(kept_both).duplicates.empty


def test_strava_dedupe_keeps_the_richer_record_even_when_it_starts_later(tmp_path):
    rows = strava_rows()[:2]
    rows[1] = {**rows[1], "start": rows[0]["start"] - dt.timedelta(seconds=90)}
    runs = read_watch_export(strava_export(tmp_path / "export", rows=rows))
    assert runs["avg_hr"].tolist() == [148.0]
    assert _report(runs).duplicates["start_diff_s"].tolist() == [90.0]


def test_strava_missing_activity_file_is_noted(tmp_path):
    path = strava_export(tmp_path / "export")
    (path / "activities" / "103.fit").unlink()
    runs = read_watch_export(path)
    assert any("missing" in note for note in _report(runs).notes)
    assert runs["date"].iloc[1] == pd.Timestamp("2025-01-07")  # UTC date without the file


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [("1.234,5", "de", 1234.5), ("1,234.5", "en", 1234.5), ("1,234", "en", 1234.0),
     ("10,25", "fr", 10.25), ("", "en", None), ("n/a", "en", None)],
)  # fmt: skip
def test_strava_numbers(text, language, expected):
    from lbprun.io._strava import _number

    assert _number(text, language) == expected


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 3600), st.floats(5.0, 5.3), st.booleans()),
        min_size=1,
        max_size=25,
    )
)
@example(specs=[(0, 5.0625, False), (0, 5.1875, False), (0, 5.125, True)])  # a chain of twins
def test_dedupe_leaves_no_twins_and_loses_no_row(specs):
    from lbprun.io._watch_rows import _same_run
    from lbprun.io._watch_rows import dedupe as _dedupe

    t0 = pd.Timestamp("2025-01-01", tz="UTC")
    records = [
        {"start_time": t0 + pd.Timedelta(seconds=s), "distance_km": d,
         "avg_hr": 150.0 if hr else None}
        for s, d, hr in specs
    ]  # fmt: skip
    removed = _dedupe(records)
    assert len(records) + len(removed) == len(specs)
    for i, a in enumerate(records):
        assert not any(_same_run(a, b) for b in records[i + 1 :])
    assert (removed["start_diff_s"] <= 120).all()
    assert (removed["distance_diff_pct"] <= 2).all()


def test_strava_dedupe_limits(tmp_path):
    rows = strava_rows()[:2]
    rows[1] = {**rows[1], "start": rows[0]["start"] + dt.timedelta(seconds=150)}
    path = strava_export(tmp_path / "far", rows=rows)
    assert len(read_watch_export(path)) == 2  # 150 s apart: two runs
    rows[1] = {**rows[1], "start": rows[0]["start"], "km": rows[0]["km"] * 0.97}
    path = strava_export(tmp_path / "longer", rows=rows)
    assert len(read_watch_export(path)) == 2  # 3 % apart: two runs


def test_strava_privacy(tmp_path):
    path = strava_export(tmp_path / "export", language="de", as_zip=True)
    runs = read_watch_export(path)
    text = _all_text(runs)
    for secret in ("Morning Run", "Felt good", "back a bit stiff", "101.fit", "activities/",
                   "jane@example.org", "Jane", "Night trail"):  # fmt: skip
        assert secret not in text
    assert not set(PRIVATE_FIELDS) & set(runs.columns)
    dropped = _report(runs).dropped_private
    assert dropped == {"activity_id": 3, "activity_name": 3, "activity_description": 2,
                       "private_note": 1, "filename": 2}  # fmt: skip
    kept = read_watch_export(path, keep_private=True)
    assert kept["activity_name"].tolist() == ["Morning Run", "Night trail", "Zwift"]
    assert kept["private_note"].iloc[0] == "back a bit stiff"


def test_strava_old_export_unit_from_speed(tmp_path):
    path = strava_export(tmp_path / "old", unit="mi", metres_column=False)
    runs = read_watch_export(path, tz="UTC")
    report = _report(runs)
    assert report.distance_unit == "mi"
    assert report.distance_unit_evidence.startswith("Average Speed x Moving Time")
    # the display column has two decimals of a mile: 0.005 mi = 8 m at most
    assert runs["distance_km"].tolist() == pytest.approx(EXPECTED_KM, abs=0.005 * 1.609344)


@pytest.mark.parametrize("unit", ["km", "mi"])
def test_strava_old_export_unit_from_files(tmp_path, unit):
    path = strava_export(tmp_path / "old", unit=unit, metres_column=False, speed_column=False)
    runs = read_watch_export(path)
    report = _report(runs)
    assert report.distance_unit == unit
    assert report.distance_unit_evidence.startswith("the activity files' track length")
    assert runs["distance_km"].tolist() == pytest.approx(EXPECTED_KM, abs=0.005 * 1.609344)


def test_strava_unit_that_cannot_be_detected_raises(tmp_path):
    rows = [{**r, "file": None} for r in strava_rows()]
    path = strava_export(tmp_path / "old", metres_column=False, speed_column=False, rows=rows)
    with pytest.raises(DataReadError, match="km or miles"):
        read_watch_export(path)


def test_strava_conflicting_units_warn(tmp_path):
    path = strava_export(tmp_path / "mixed")
    csv_path = path / "activities.csv"
    rows = list(csv.reader(io.StringIO(csv_path.read_text())))
    rows[1][6] = f"{10.23456 / 1.609344:.2f}"  # one row written in miles
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    csv_path.write_text(buffer.getvalue())
    with pytest.warns(DataQualityWarning, match="disagree"):
        runs = read_watch_export(path, tz="UTC")
    assert _report(runs).distance_unit == "km"
    assert any("disagree" in n for n in _report(runs).notes)


def test_strava_garbage_zip_and_missing_csv(tmp_path):
    garbage = tmp_path / "export.zip"
    garbage.write_bytes(b"PK\x03\x04 this is not a zip at all")
    with pytest.raises(DataReadError, match=r"export\.zip"):
        read_watch_export(garbage)
    no_csv = tmp_path / "photos.zip"
    with zipfile.ZipFile(no_csv, "w") as archive:
        archive.writestr("media/a.jpg", b"jpeg")
    with pytest.raises(DataReadError, match=r"photos\.zip.*activities\.csv"):
        read_watch_export(no_csv)


def test_strava_corrupt_activity_file_is_a_warning(tmp_path):
    path = strava_export(tmp_path / "export")
    target = path / "activities" / "103.fit"
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 2])  # cut before its session: unreadable
    with pytest.warns(DataQualityWarning, match=r"103\.fit"):
        runs = read_watch_export(path)
    assert runs["date"].iloc[1] == pd.Timestamp("2025-01-07")  # no offset: UTC date
    assert any("103.fit" in note for note in _report(runs).notes)


@settings(max_examples=60, deadline=None)
@given(
    when=st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2035, 12, 31)).map(
        lambda d: d.replace(microsecond=0, tzinfo=dt.UTC)
    ),
    language=st.sampled_from(sorted(STRAVA_MONTHS)),
)
def test_strava_dates_round_trip_in_every_language(when, language):
    from lbprun.io._strava import parse_strava_date

    assert parse_strava_date(strava_date(when, language), language) == pd.Timestamp(when)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jan 6, 2025, 12:05:00 AM", "2025-01-06 00:05:00"),
        ("Jan 6, 2025, 12:05:00 PM", "2025-01-06 12:05:00"),
        ("6 ene 2025, 7:01:02 p. m.", "2025-01-06 19:01:02"),
        ("2025-01-06 07:01:02", "2025-01-06 07:01:02"),
        ("06.01.2025, 07:01:02", "2025-01-06 07:01:02"),
        ("6 Mrz 2025, 07:01:02", "2025-03-06 07:01:02"),
    ],
)
def test_strava_date_forms(text, expected):
    from lbprun.io._strava import parse_strava_date

    assert parse_strava_date(text) == pd.Timestamp(expected, tz="UTC")


def test_strava_ambiguous_month_raises_naming_the_file(tmp_path):
    path = strava_export(tmp_path / "export")
    csv_path = path / "activities.csv"
    csv_path.write_text(csv_path.read_text().replace("Jan 6, 2025", "Ju 6, 2025", 1))
    with pytest.raises(DataReadError, match=r"activities\.csv: line 2"):
        read_watch_export(path)


# ---- types, arguments, schema, report -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("Run", "run"), ("Trail Run", "trail_run"), ("VirtualRun", "virtual_run"),
     ("Treadmill", "treadmill_run"), ("Laufband", "treadmill_run"), ("Course à pied", "run"),
     ("Corsa", "run"), ("Carrera", "run"), ("running", "run"), ("Walk", "walk"),
     ("Radfahrt", "ride"), ("Weight Training", "weight_training"), ("", "unknown")],
)  # fmt: skip
def test_normalise_type(raw, expected):
    assert normalise_type(raw) == expected


def test_argument_checks(tmp_path):
    path = tmp_path / "run.fit"
    path.write_bytes(fit_activity(START, distance_m=5000, elapsed_s=1800, timer_s=1800))
    with pytest.raises(ArgumentError, match="tz must be an IANA"):
        read_watch_export(path, tz="Mars/Olympus")
    with pytest.raises(ArgumentError, match="runner_id must be"):
        read_watch_export(path, runner_id="  ")
    with pytest.raises(ArgumentError, match="activity_types must be"):
        read_watch_export(path, activity_types=[1])
    with pytest.raises(ArgumentError, match="source must be a path"):
        read_watch_export(42)
    with pytest.raises(DataReadError, match="no such file"):
        read_watch_export(tmp_path / "absent.fit")
    unknown = tmp_path / "notes.bin"
    unknown.write_bytes(b"\x00\x01binary")
    with pytest.raises(DataReadError, match=r"notes\.bin: unknown watch format"):
        read_watch_export(unknown)


def test_pseudonymous_runner_id_is_stable(tmp_path):
    path = strava_export(tmp_path / "export")
    first = read_watch_export(path)["runner_id"].unique().tolist()
    second = read_watch_export(path)["runner_id"].unique().tolist()
    assert first == second and len(first) == 1 and first[0].startswith("watch-")
    assert any("pseudonym" in note for note in _report(read_watch_export(path)).notes)


@pytest.mark.parametrize("kind", ["strava", "gpx", "fit"])
def test_output_conforms_to_the_activities_schema(tmp_path, kind):
    if kind == "strava":
        path = strava_export(tmp_path / "export", as_zip=True)
    elif kind == "gpx":
        path = _gpx_file(
            tmp_path / "a.gpx",
            [{"type": "TrailRun", "points": meridian_points(START, 9, 0.001, 40)}],
        )
    else:
        path = tmp_path / "a.fit"
        path.write_bytes(fit_activity(START, distance_m=5000, elapsed_s=1800, timer_s=1700))
    runs = read_watch_export(path, activity_types=None)
    extra = {"moving_time_min", "source_format"}
    assert set(runs.columns) <= set(ACTIVITIES.names) | extra
    assert set(ACTIVITIES.required) <= set(runs.columns)
    for column in ACTIVITIES:
        if column.name not in runs or column.min is None:
            continue
        values = runs[column.name].dropna()
        assert values.between(column.min, column.max).all(), column.name
    assert runs["surface"].dropna().isin(SURFACES).all()
    assert str(runs["start_time"].dtype) == "datetime64[ns, UTC]"
    assert runs["runner_id"].notna().all() and runs["date"].notna().all()
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        validated = read_activities(path)
    assert len(validated) == len(read_watch_export(path))


def test_report_serialises_and_plots(tmp_path):
    import matplotlib.pyplot as plt

    runs = read_watch_export(strava_export(tmp_path / "export"))
    report = _report(runs)
    payload = json.loads(report.to_json())
    assert payload["distance_unit"] == "km" and payload["format"] == "strava"
    assert payload["table"][0] == {"step": "read", "n": 5, "detail": "3 file(s) opened"}
    assert "duplicates" in report.summary()
    assert "<table" in report._repr_html_()
    ax = report.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "read",
        "type_filter",
        "duplicates",
        "kept",
    ]
    plt.close(ax.figure)
