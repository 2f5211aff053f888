"""What real watch files and real Strava exports do that lbprun's own fixtures did not.

Each test rebuilds one quirk seen in real device files from public test suites (COROS, Zwift,
older Garmin units, GPSBabel, Garmin TCX) or in real Strava bulk exports, with a small file
written by the test itself.
"""

from __future__ import annotations

import datetime as dt
import gzip
import warnings

import pytest
from _watch_fixtures import (
    FIT_EPOCH,
    STRAVA_HEADERS,
    fit_activity,
    fit_not_activity,
    gpx_text,
    meridian_points,
    strava_export,
    tcx_text,
    write_strava_csv,
)

from lbprun.exceptions import DataQualityWarning, DataReadError, NotAnActivityError
from lbprun.io.wearables import read_watch_export

UTC = dt.UTC
START = dt.datetime(2025, 3, 2, 23, 30, 0, tzinfo=UTC)


def _read(path, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs = read_watch_export(path, runner_id="r1", **kwargs)
    return runs, [w for w in caught if issubclass(w.category, DataQualityWarning)]


# ---- FIT ----------------------------------------------------------------------------------


def test_fit_field_declared_with_the_wrong_size_is_read(tmp_path):
    """COROS watches declare some 32-bit fields one byte long; the rest of the file is fine."""
    data = fit_activity(
        START,
        distance_m=12_000.0,
        elapsed_s=3900,
        timer_s=3800,
        extra=[("device_info", {"timestamp": START, "cum_operating_time": 7})],
        byte_fields=("device_info.cum_operating_time",),
    )
    path = tmp_path / "coros.fit"
    path.write_bytes(data)
    runs, caught = _read(path)
    assert len(runs) == 1
    assert runs.loc[0, "distance_km"] == pytest.approx(12.0)
    assert runs.loc[0, "duration_min"] == pytest.approx(65.0)
    notes = runs.attrs["lbprun"]["notes"]
    assert any("do not match the FIT profile" in n and "coros.fit" in n for n in notes)
    assert caught == []


def test_fit_with_a_wrong_size_field_still_fails_its_crc_when_changed(tmp_path):
    data = bytearray(
        fit_activity(
            START,
            distance_m=5000.0,
            elapsed_s=1800,
            timer_s=1800,
            extra=[("device_info", {"timestamp": START, "cum_operating_time": 7})],
            byte_fields=("device_info.cum_operating_time",),
        )
    )
    data[40] ^= 0x01
    path = tmp_path / "changed.fit"
    path.write_bytes(bytes(data))
    with pytest.raises(DataReadError, match="changed.fit"):
        read_watch_export(path, strict=True)


def test_fit_zero_local_timestamp_gives_no_offset(tmp_path):
    """Zwift writes activity.local_timestamp = 0 (1989-12-31): not a UTC offset."""
    data = fit_activity(
        START, distance_m=8000.0, elapsed_s=2400, timer_s=2400, local_time=FIT_EPOCH
    )
    path = tmp_path / "zwift.fit"
    path.write_bytes(data)
    runs, _ = _read(path)
    assert runs.loc[0, "date"] == dt.datetime(2025, 3, 2)
    report = runs.attrs["lbprun"]["report"]
    assert report.tz_source == "UTC"
    runs_rome, _ = _read(path, tz="Europe/Rome")
    assert runs_rome.loc[0, "date"] == dt.datetime(2025, 3, 3)


def test_fit_offset_still_read_when_plausible(tmp_path):
    data = fit_activity(START, distance_m=8000.0, elapsed_s=2400, timer_s=2400, offset_min=-180)
    path = tmp_path / "brazil.fit"
    path.write_bytes(data)
    runs, _ = _read(path)
    assert runs.loc[0, "date"] == dt.datetime(2025, 3, 2)
    assert runs.attrs["lbprun"]["report"].tz_source == "activity files' UTC offset"


def test_fit_heart_rate_zero_means_no_sensor(tmp_path):
    with_session = fit_activity(
        START, distance_m=8000.0, elapsed_s=2400, timer_s=2400, avg_hr=0, record_hr=0
    )
    records_only = fit_activity(
        START,
        distance_m=8000.0,
        elapsed_s=2400,
        timer_s=2400,
        record_hr=0,
        with_session=False,
    )
    for name, data in (("session.fit", with_session), ("records.fit", records_only)):
        path = tmp_path / name
        path.write_bytes(data)
        runs, _ = _read(path)
        assert runs["avg_hr"].isna().all(), name
        assert runs.loc[0, "distance_km"] == pytest.approx(8.0)


def test_fit_times_relative_to_power_on_raise_a_clear_error(tmp_path):
    """Older Garmin units count seconds from power-on (values below 0x10000000)."""
    data = fit_activity(
        FIT_EPOCH + dt.timedelta(seconds=16_441_241),
        distance_m=5000.0,
        elapsed_s=1800,
        timer_s=1800,
        offset_min=None,
    )
    path = tmp_path / "antfs.fit"
    path.write_bytes(data)
    with pytest.raises(DataReadError, match=r"antfs\.fit.*power-on"):
        read_watch_export(path)


@pytest.mark.parametrize(
    ("sport", "sub_sport", "expected"),
    [
        ("running", "ultra", "run"),
        ("running", "street", "run"),
        ("cycling", "commuting", "ride"),
        ("cycling", "virtual_activity", "ride"),
    ],
)
def test_fit_sub_sports_lbprun_does_not_list_fall_back_to_the_sport(
    tmp_path, sport, sub_sport, expected
):
    data = fit_activity(
        START, distance_m=50_000.0, elapsed_s=21_600, timer_s=21_000, sport=sport,
        sub_sport=sub_sport,
    )  # fmt: skip
    path = tmp_path / "a.fit"
    path.write_bytes(data)
    runs, _ = _read(path, activity_types=None)
    assert runs.loc[0, "activity_type"] == expected
    default, _ = _read(path)
    assert len(default) == (1 if expected == "run" else 0)


@pytest.mark.parametrize("file_type", ["settings", "workout", "weight"])
def test_fit_file_that_is_not_an_activity(tmp_path, file_type):
    path = tmp_path / f"{file_type}.fit"
    path.write_bytes(fit_not_activity(file_type, START))
    with pytest.raises(NotAnActivityError, match=f"{file_type}.fit: a FIT {file_type} file"):
        read_watch_export(path)
    with pytest.raises(DataReadError):
        read_watch_export(path)


def test_device_folder_skips_files_that_are_not_activities(tmp_path):
    """A watch's folder holds settings and workout files next to the activities."""
    folder = tmp_path / "GARMIN"
    folder.mkdir()
    (folder / "Settings.fit").write_bytes(fit_not_activity("settings", START))
    (folder / "Workout.fit").write_bytes(fit_not_activity("workout", START))
    (folder / "run.fit").write_bytes(
        fit_activity(START, distance_m=10_000.0, elapsed_s=3000, timer_s=3000)
    )
    (folder / "route.gpx").write_text(
        gpx_text([{"points": [(45.0, 9.0, 100.0, None, None), (45.01, 9.0, 100.0, None, None)]}])
    )
    runs, caught = _read(folder)
    assert len(runs) == 1
    assert runs.loc[0, "distance_km"] == pytest.approx(10.0)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith("3 file(s) holding no activity were skipped")
    for name in ("Settings.fit", "Workout.fit", "route.gpx"):
        assert name in message
    assert message in runs.attrs["lbprun"]["notes"]


def test_folder_with_no_activity_at_all_raises(tmp_path):
    folder = tmp_path / "SETTINGS"
    folder.mkdir()
    (folder / "Settings.fit").write_bytes(fit_not_activity("settings", START))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        with pytest.raises(DataReadError, match="none of the 1 watch files is an activity"):
            read_watch_export(folder)


def test_corrupt_file_in_a_folder_is_still_an_error(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "Settings.fit").write_bytes(fit_not_activity("settings", START))
    data = fit_activity(START, distance_m=5000.0, elapsed_s=1800, timer_s=1800)
    (folder / "cut.fit").write_bytes(data[: len(data) // 2])  # cut before its session
    with pytest.raises(DataReadError, match="cut.fit"):
        read_watch_export(folder)


# ---- GPX and TCX --------------------------------------------------------------------------


def test_gpx_placeholder_times_are_not_dates(tmp_path):
    """GPSBabel writes 1901-12-13T20:45:52Z (the 32-bit epoch minimum) for unknown times."""
    placeholder = dt.datetime(1901, 12, 13, 20, 45, 52, tzinfo=UTC)
    points = [(45.0 + i * 0.001, 9.0, 1600.0, placeholder, None) for i in range(5)]
    path = tmp_path / "babel.gpx"
    path.write_text(gpx_text([{"points": points}]))
    with pytest.raises(NotAnActivityError, match=r"babel\.gpx.*before 1990"):
        read_watch_export(path)


def test_gpx_untimed_track_is_skipped_next_to_a_timed_one(tmp_path):
    """gpxpy's all-fields samples: a recorded track, then a planned one without times."""
    timed = meridian_points(START, 11, 0.001, 60)
    planned = [(p[0], p[1], p[2], None, None) for p in timed]
    path = tmp_path / "two.gpx"
    path.write_text(
        gpx_text([{"type": "running", "points": timed}, {"type": "running", "points": planned}])
    )
    runs, caught = _read(path)
    assert len(runs) == 1
    assert runs.loc[0, "duration_min"] == pytest.approx(10.0)
    assert any("track(s) 2 without timestamped points" in n for n in runs.attrs["lbprun"]["notes"])
    assert caught == []


def test_gpx_points_out_of_time_order(tmp_path):
    """A glitching receiver can log a point out of order: start and end are min and max."""
    points = meridian_points(START, 11, 0.001, 60)
    points[0], points[3] = (
        (*points[0][:3], points[3][3], points[0][4]),
        (*points[3][:3], points[0][3], points[3][4]),
    )
    path = tmp_path / "glitch.gpx"
    path.write_text(gpx_text([{"type": "running", "points": points}]))
    runs, _ = _read(path)
    assert runs.loc[0, "start_time"] == START
    assert runs.loc[0, "duration_min"] == pytest.approx(10.0)
    assert runs.loc[0, "moving_time_min"] <= runs.loc[0, "duration_min"] + 1e-9


def test_gpx_heart_rate_zero_is_missing(tmp_path):
    points = meridian_points(START, 6, 0.001, 60, hr=0)
    points[2] = (*points[2][:4], 150)
    path = tmp_path / "hr.gpx"
    path.write_text(gpx_text([{"type": "running", "points": points}]))
    runs, _ = _read(path)
    assert runs.loc[0, "avg_hr"] == pytest.approx(150.0)


def test_tcx_elapsed_time_is_never_shorter_than_the_timer_time(tmp_path):
    """Garmin TCX: the first trackpoint comes after the lap start (timer before GPS fix)."""
    path = tmp_path / "late_fix.tcx"
    text = tcx_text(START, [(600.0, 1600.0, 150), (600.0, 1600.0, 160)], first_point_delay_s=60)
    path.write_text(text)
    runs, _ = _read(path)
    assert runs.loc[0, "moving_time_min"] == pytest.approx(20.0)
    assert runs.loc[0, "duration_min"] == pytest.approx(20.0)
    assert runs.loc[0, "start_time"] == START + dt.timedelta(seconds=60)


# ---- Strava exports -------------------------------------------------------------------------

_EN = STRAVA_HEADERS["en"]


def _row(header: list[str], values: dict[tuple[str, int], str]) -> list[str]:
    """Cells for ``header``; ``values`` keys are (name, occurrence) as repeated names go."""
    seen: dict[str, int] = {}
    cells = []
    for name in header:
        seen[name] = seen.get(name, 0) + 1
        cells.append(values.get((name, seen[name]), ""))
    return cells


def test_strava_second_elapsed_time_left_empty(tmp_path):
    """Real exports leave the second Elapsed Time empty on some rows (seconds are in the first)."""
    rows = [
        _row(_EN, {("Activity Date", 1): "May 2, 2019, 9:09:12 PM", ("Activity Type", 1): "Run",
                   ("Elapsed Time", 1): "3000", ("Distance", 1): "10.00",
                   ("Moving Time", 1): "2900.0", ("Distance", 2): "10000.0"}),
        _row(_EN, {("Activity Date", 1): "May 3, 2019, 9:09:12 PM", ("Activity Type", 1): "Run",
                   ("Elapsed Time", 1): "3100", ("Elapsed Time", 2): "3060.0",
                   ("Distance", 1): "10.00", ("Distance", 2): "10000.0"}),
    ]  # fmt: skip
    runs, _ = _read(write_strava_csv(tmp_path / "export", _EN, rows))
    assert runs["duration_min"].tolist() == pytest.approx([50.0, 51.0])
    assert runs["moving_time_min"].iloc[0] == pytest.approx(2900.0 / 60.0)
    assert runs["moving_time_min"].isna().iloc[1]


def test_strava_untranslated_headers_wrapped_in_html(tmp_path):
    """Some exports carry '<span class="translation_missing" ...>Type</span>' headers."""
    span = '<span class="translation_missing" title="translation missing: {0}">{0}</span>'
    header = [*_EN, span.format("Type"), span.format("Sport Type")]
    values = {("Activity Date", 1): "Jul 14, 2020, 10:36:55 PM", ("Activity Type", 1): "Run",
              ("Elapsed Time", 1): "3378", ("Distance", 1): "6.32",
              ("Elapsed Time", 2): "3378.0", ("Moving Time", 1): "3261.0",
              ("Distance", 2): "6325.60009765625"}  # fmt: skip
    runs, _ = _read(write_strava_csv(tmp_path / "export", header, [_row(header, values)]))
    assert runs.loc[0, "distance_km"] == pytest.approx(6.3256)
    assert runs.loc[0, "duration_min"] == pytest.approx(56.3)
    unmapped = runs.attrs["lbprun"]["report"].unmapped_headers
    assert header[-1] in unmapped and header[-2] in unmapped


@pytest.mark.parametrize(
    ("language", "renames"),
    [
        ("fr", {"Temps de déplacement": "Durée de déplacement",
                "Équipement de l'activité": "Matériel utilisé pour l'activité",
                "Note privée de l'activité": "Note privée sur les activités"}),
        ("de", {"Wahrgenommene Anstrengung": "Gefühlte Anstrengung",
                "Private Notiz zur Aktivität": "Hinweis zur Privatsphäre für Aktivitäten"}),
    ],
)  # fmt: skip
def test_strava_header_names_of_real_localised_exports(tmp_path, monkeypatch, language, renames):
    headers = {**STRAVA_HEADERS, language: [renames.get(h, h) for h in STRAVA_HEADERS[language]]}
    monkeypatch.setattr("_watch_fixtures.STRAVA_HEADERS", headers)
    path = strava_export(tmp_path / "export", language=language)
    runs, _ = _read(path, dedupe=False)
    report = runs.attrs["lbprun"]["report"]
    for name in renames.values():
        assert name not in report.unmapped_headers
    first = runs.sort_values("start_time").iloc[0]
    assert first["moving_time_min"] == pytest.approx(60.0)
    assert first["shoe_id"] == "Pegasus 40"
    assert first["rpe"] == pytest.approx(6.0)
    assert report.dropped_private.get("private_note") == 1


def test_strava_export_with_a_settings_file_among_the_activities(tmp_path):
    path = strava_export(tmp_path / "export")
    (path / "activities" / "101.fit.gz").write_bytes(
        gzip.compress(fit_not_activity("settings", START))
    )
    runs, caught = _read(path)
    assert len(runs) == 3
    assert any("101.fit.gz: a FIT settings file" in str(w.message) for w in caught)
