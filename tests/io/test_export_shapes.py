"""Watch exports read the way runners hand them over: each shape on a file built here."""

from __future__ import annotations

import datetime as dt
import gzip
import math
import os
import warnings
import zipfile

import pandas as pd
import pytest
from _watch_fixtures import (
    EARTH_RADIUS_M,
    encode_fit,
    fit_activity,
    fit_cut_after_session,
    fit_not_activity,
    gpx_by_hand,
    gpx_text,
    meridian_points,
    strava_export,
    tcx_text,
)

import lbprun
from lbprun.exceptions import DataQualityWarning, DataReadError, NotAnActivityError
from lbprun.io.wearables import read_watch_export

START = dt.datetime(2025, 1, 6, 6, 1, 2, tzinfo=dt.UTC)
KM = 1e-6
STEP = 0.001  # degrees of latitude between points
STEP_KM = EARTH_RADIUS_M * math.radians(STEP) / 1000


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, [w for w in caught if issubclass(w.category, DataQualityWarning)]


def _notes(frame: pd.DataFrame) -> str:
    return " | ".join(frame.attrs["lbprun"]["notes"])


# ---- 1. Strava export: folder, zip or its bare activities.csv ------------------------------


def test_strava_bare_activities_csv_reads_like_the_whole_export(tmp_path):
    folder = strava_export(tmp_path / "export")
    archive = strava_export(tmp_path / "zipped", as_zip=True)
    bare = tmp_path / "only" / "activities.csv"
    bare.parent.mkdir()
    bare.write_bytes((folder / "activities.csv").read_bytes())  # duplicated Distance, Elapsed
    columns = ["start_time", "distance_km", "duration_min", "activity_type", "shoe_id"]
    frames = [
        _quiet(lbprun.read_activities, p, runner_id="r1")[0] for p in (folder, archive, bare)
    ]
    for frame in frames[1:]:
        pd.testing.assert_frame_equal(frame[columns], frames[0][columns])
    assert frames[2]["distance_km"].tolist() == pytest.approx([10.23456, 15.5, 5.0], abs=KM)
    meta = frames[2].attrs["lbprun"]
    # 5 lines: 3 runs kept, 1 ride left out, 1 run recorded twice removed
    assert meta["rows_in"] == 5 and meta["rows_excluded"] == 2
    assert meta["excluded_types"] == {"ride": 1, "duplicate": 1}
    direct = read_watch_export(bare, runner_id="r1")
    assert direct.attrs["lbprun"]["report"].format == "strava"


def test_bare_activities_csv_with_another_name_and_a_generic_csv_stay_apart(tmp_path):
    folder = strava_export(tmp_path / "export")
    renamed = tmp_path / "my_strava.csv"
    renamed.write_bytes((folder / "activities.csv").read_bytes())
    runs = lbprun.read_activities(renamed, runner_id="r1")
    assert len(runs) == 3
    generic = tmp_path / "log.csv"
    generic.write_text(
        "runner_id,date,distance_km,duration_min\nr1,2025-01-06,10,55\n", encoding="utf-8"
    )
    assert lbprun.read_activities(generic)["distance_km"].tolist() == [10.0]


# ---- 2. GPX: one recording in several tracks or segments is one activity --------------------


def _log(start: dt.datetime, n: int, step_s: int = 60) -> list:
    return meridian_points(start, n, STEP, step_s)


def test_gpx_tracks_of_one_recording_are_one_activity(tmp_path):
    first = _log(START, 11)  # 10 min, 10 steps
    second = _log(START + dt.timedelta(minutes=15), 6)  # after a 5 min pause
    second = [(p[0] + 0.02, *p[1:]) for p in second]
    path = tmp_path / "active_log.gpx"
    path.write_text(
        gpx_text([{"name": "ACTIVE LOG", "type": "running", "points": first},
                  {"name": "ACTIVE LOG #2", "points": second}])
    )  # fmt: skip
    runs = read_watch_export(path, runner_id="r1")
    assert len(runs) == 1
    row = runs.iloc[0]
    assert row["distance_km"] == pytest.approx(15 * STEP_KM, abs=KM)  # no distance over the gap
    assert row["duration_min"] == pytest.approx(20.0)
    assert row["moving_time_min"] == pytest.approx(15.0)
    assert row["activity_type"] == "run"
    assert "tracks 1, 2 are one recording" in _notes(runs)


def test_gpx_segments_of_one_track_are_one_activity(tmp_path):
    points = _log(START, 21)
    path = tmp_path / "paused.gpx"
    path.write_text(gpx_text([{"type": "running", "points": [points[:8], points[8:]]}]))
    runs = read_watch_export(path, runner_id="r1")
    assert len(runs) == 1
    assert runs.loc[0, "distance_km"] == pytest.approx(19 * STEP_KM, abs=KM)
    assert runs.loc[0, "duration_min"] == pytest.approx(20.0)


def test_gpx_tracks_of_different_sports_or_days_stay_apart(tmp_path):
    run = _log(START, 11)
    ride = meridian_points(START + dt.timedelta(hours=1), 11, 0.01, 60, hr=None)
    tomorrow = _log(START + dt.timedelta(days=1), 11)
    path = tmp_path / "device_log.gpx"
    path.write_text(
        gpx_text([{"type": "running", "points": run}, {"type": "cycling", "points": ride},
                  {"type": "running", "points": tomorrow}])
    )  # fmt: skip
    runs = read_watch_export(path, runner_id="r1", activity_types=None)
    assert runs["activity_type"].tolist() == ["run", "ride", "run"]


def test_gpx_untimed_track_inside_a_timed_file_is_noted(tmp_path):
    timed = _log(START, 11)
    route = [(p[0], p[1], p[2], None, None) for p in timed]
    path = tmp_path / "with_route.gpx"
    path.write_text(gpx_text([{"type": "running", "points": timed}, {"points": route}]))
    runs = lbprun.read_activities(path, runner_id="r1")
    assert len(runs) == 1
    assert "track(s) 2 without timestamped points were skipped" in _notes(runs)


def test_gpx_1_0_and_1_1_with_the_same_content_give_the_same_result(tmp_path):
    tracks = [{"name": "Lunch", "type": "running", "points": [_log(START, 8), _log(START + dt.timedelta(minutes=9), 5)]}]  # fmt: skip
    frames = []
    for version in ("1.0", "1.1"):
        path = tmp_path / f"v{version}.gpx"
        path.write_text(gpx_by_hand(version, tracks))
        frame = read_watch_export(path, runner_id="r1", keep_private=True)
        frames.append(frame.drop(columns="filename"))
    pd.testing.assert_frame_equal(frames[0], frames[1])
    assert frames[0].loc[0, "avg_hr"] == pytest.approx(150.0)
    assert frames[0].loc[0, "athlete_name"] == "Jane Runner"
    assert frames[0].loc[0, "activity_name"] == "Lunch"


# ---- 3. FIT damaged after a readable session summary -----------------------------------------


def test_fit_cut_after_its_session_is_read_from_the_summary(tmp_path):
    data = fit_activity(START, distance_m=8000, elapsed_s=2700, timer_s=2600)
    path = tmp_path / "dead_battery.fit"
    path.write_bytes(fit_cut_after_session(data))
    with pytest.warns(DataQualityWarning, match=r"dead_battery\.fit.*session summary"):
        runs = read_watch_export(path, runner_id="r1")
    assert runs["distance_km"].tolist() == pytest.approx([8.0], abs=KM)
    assert runs["duration_min"].tolist() == pytest.approx([45.0])
    assert "truncated" in _notes(runs)
    with pytest.raises(DataReadError, match=r"dead_battery\.fit"):
        read_watch_export(path, strict=True)
    garbage = tmp_path / "garbage_after.fit"
    garbage.write_bytes(data + b"\x00not fit\xff" * 20)
    runs, caught = _quiet(read_watch_export, garbage, runner_id="r1")
    assert len(runs) == 1 and len(caught) == 1


def test_fit_damaged_before_its_summary_or_not_an_activity_still_raises(tmp_path):
    data = fit_activity(START, distance_m=8000, elapsed_s=2700, timer_s=2600)
    cut = tmp_path / "cut.fit"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataReadError, match=r"cut\.fit"):
        read_watch_export(cut)
    settings = tmp_path / "Settings.fit"
    settings.write_bytes(fit_not_activity("settings", START))
    with pytest.raises(NotAnActivityError, match=r"Settings\.fit"):
        read_watch_export(settings)


# ---- 4. Non-running activities are excluded with their reason --------------------------------


def test_untyped_gpx_at_walking_pace_is_excluded_as_a_walk(tmp_path):
    hike = meridian_points(START, 21, 0.0005, 60)  # 56 m a minute: 18 min/km
    run = _log(START + dt.timedelta(days=1), 21)  # 111 m a minute: 9 min/km
    folder = tmp_path / "phone"
    folder.mkdir()
    (folder / "hike.gpx").write_text(gpx_text([{"points": hike}]))
    (folder / "run.gpx").write_text(gpx_text([{"points": run}]))
    report = lbprun.read_activities(folder, runner_id="r1", on_error="drop")
    assert report.rows_in == 2 and report.rows_kept == 1 and report.rows_excluded == 1
    assert report.excluded_types == {"walk": 1}
    assert report.data["activity_type"].tolist() == ["unknown"]
    assert any("walking or hiking pace" in n for n in report.notes)
    everything = read_watch_export(folder, runner_id="r1", activity_types=None)
    assert sorted(everything["activity_type"]) == ["unknown", "walk"]


def test_rides_in_fit_tcx_and_strava_are_counted_never_fatal(tmp_path):
    ride = tmp_path / "ride.fit"
    ride.write_bytes(
        fit_activity(START, distance_m=40_000, elapsed_s=5400, timer_s=5200, sport="cycling")
    )
    runs = lbprun.read_activities(ride, runner_id="r1")
    assert len(runs) == 0
    assert runs.attrs["lbprun"]["rows_in"] == 1
    assert runs.attrs["lbprun"]["excluded_types"] == {"ride": 1}
    tcx = tmp_path / "ride.tcx"
    tcx.write_text(tcx_text(START, [(3600.0, 30_000.0, 130)], sport="Biking"))
    report = lbprun.read_activities(tcx, runner_id="r1", on_error="drop")
    assert (report.rows_in, report.rows_kept, report.rows_excluded) == (1, 0, 1)
    strava = strava_export(tmp_path / "export")
    report = lbprun.read_activities(strava, runner_id="r1", on_error="drop")
    assert report.rows_in == report.rows_kept + report.rows_rejected + report.rows_excluded == 5
    assert report.excluded_types == {"ride": 1, "duplicate": 1}


# ---- 5. The summary wins over the records ----------------------------------------------------


def test_fit_timer_above_elapsed_and_records_that_disagree(tmp_path):
    path = tmp_path / "odd.fit"
    path.write_bytes(fit_activity(START, distance_m=5000, elapsed_s=1800, timer_s=2000))
    runs = read_watch_export(path, runner_id="r1")
    assert runs.loc[0, "duration_min"] == pytest.approx(30.0)
    assert runs.loc[0, "moving_time_min"] == pytest.approx(30.0)
    assert "exceeds its elapsed time" in _notes(runs)
    messages = [
        ("file_id", {"type": 4, "manufacturer": 1, "product": 1, "serial_number": 1,
                     "time_created": START}),
        ("record", {"timestamp": START, "distance": 0.0}),
        ("record", {"timestamp": START + dt.timedelta(seconds=1800), "distance": 4000.0}),
        ("session", {"timestamp": START + dt.timedelta(seconds=1800), "start_time": START,
                     "sport": 1, "sub_sport": 0, "total_elapsed_time": 1800,
                     "total_timer_time": 1800, "total_distance": 5000.0}),
    ]  # fmt: skip
    path = tmp_path / "disagree.fit"
    path.write_bytes(encode_fit(messages))
    runs = read_watch_export(path, runner_id="r1")
    assert runs.loc[0, "distance_km"] == pytest.approx(5.0)
    assert "the session's distance (5000 m) and the records' (4000 m) disagree" in _notes(runs)


def test_tcx_laps_win_over_trackpoint_distances(tmp_path):
    text = tcx_text(START, [(600.0, 2000.0, 150)])
    text = text.replace("</Position>", "</Position><DistanceMeters>1</DistanceMeters>", 1)
    text = text.replace(
        "</Position><AltitudeMeters>120.0", "</Position><DistanceMeters>1500</DistanceMeters>"
        "<AltitudeMeters>120.0"
    )  # fmt: skip
    path = tmp_path / "laps.tcx"
    path.write_text(text)
    runs = read_watch_export(path, runner_id="r1")
    assert runs.loc[0, "distance_km"] == pytest.approx(2.0)
    assert "the laps' distance (2.000 km) and the trackpoints' (1.499 km) disagree" in _notes(runs)


# ---- valid files refused before ----------------------------------------------------------


def test_gpx_in_latin_1_and_strava_with_a_megabyte_description(tmp_path):
    text = gpx_by_hand("1.1", [{"name": "Zürich–Côte", "type": "running", "points": _log(START, 6)}],
                       encoding="ISO-8859-1").replace("–", "-")  # fmt: skip
    path = tmp_path / "latin.gpx"
    path.write_bytes(text.encode("latin-1"))
    runs = read_watch_export(path, runner_id="r1", keep_private=True)
    assert runs.loc[0, "activity_name"] == "Zürich-Côte"
    rows = [dict(r, desc="x" * 1_100_000) if r["id"] == 101 else r for r in _rows()]
    export = strava_export(tmp_path / "long", rows=rows)
    runs = read_watch_export(export, runner_id="r1", keep_private=True)
    assert runs["activity_description"].str.len().max() == 1_100_000


def _rows():
    from _watch_fixtures import strava_rows

    return strava_rows()


# ---- hostile shapes ------------------------------------------------------------------------


def test_links_out_of_an_export_folder_are_not_followed(tmp_path):
    secret = tmp_path / "secret.gpx"
    secret.write_text(gpx_text([{"type": "running", "points": _log(START, 6)}]))
    folder = tmp_path / "watch"
    folder.mkdir()
    (folder / "run.gpx").write_text(gpx_text([{"type": "running", "points": _log(START + dt.timedelta(days=2), 6)}]))  # fmt: skip
    os.symlink(secret, folder / "link.gpx")
    runs = read_watch_export(folder, runner_id="r1")
    assert len(runs) == 1
    assert "symbolic link(s) leading out of the folder" in _notes(runs)


def test_zip_members_with_parent_or_absolute_names_are_only_read(tmp_path):
    export = strava_export(tmp_path / "export")
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("../../escape/activities.csv", (export / "activities.csv").read_bytes())
        out.writestr("/abs/activities/101.fit.gz", gzip.compress(b"nothing"))
    before = set(tmp_path.parent.rglob("*"))
    runs, _ = _quiet(read_watch_export, archive, runner_id="r1")
    assert len(runs) == 3
    assert set(tmp_path.parent.rglob("*")) == before


def test_gpx_external_entity_never_leaks_and_billion_laughs_fails_fast(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TEXT")
    xxe = tmp_path / "xxe.gpx"
    xxe.write_text(
        f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<gpx version="1.1"><trk><name>&x;</name><trkseg><trkpt lat="45" lon="9">'
        "<time>2025-01-06T06:01:02Z</time></trkpt></trkseg></trk></gpx>"
    )
    with pytest.raises(DataReadError, match=r"xxe\.gpx") as raised:
        read_watch_export(xxe, keep_private=True)
    assert "TOP-SECRET" not in str(raised.value)
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = tmp_path / "laughs.gpx"
    bomb.write_text(
        f'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY l0 "lol">{laughs}]><gpx>&l9;</gpx>'
    )
    with pytest.raises(DataReadError, match=r"laughs\.gpx.*entities"):
        read_watch_export(bomb)


def test_gpx_nested_too_deep_and_bad_point_values(tmp_path):
    deep = tmp_path / "deep.gpx"
    deep.write_text("<gpx>" + "<extensions>" * 200_000 + "</extensions>" * 200_000 + "</gpx>")
    with pytest.raises(DataReadError, match=r"deep\.gpx.*nested deeper"):
        read_watch_export(deep)
    points = _log(START, 11)
    text = gpx_by_hand("1.1", [{"type": "running", "points": points}])
    text = text.replace('lat="45.0010000"', 'lat="999"', 1).replace("<ele>105.0</ele>", "<ele>NaN</ele>", 2)  # fmt: skip
    text = text.replace("2025-01-06T06:03:02Z", "99999-01-06T06:03:02Z")
    path = tmp_path / "bad_values.gpx"
    path.write_text(text)
    runs = read_watch_export(path, runner_id="r1")
    notes = _notes(runs)
    assert "1 point(s) with a missing or impossible latitude" in notes
    assert "unreadable point times" in notes and "unreadable point elevations" in notes
    assert runs.loc[0, "duration_min"] == pytest.approx(10.0)
    assert math.isfinite(runs.loc[0, "elevation_gain_m"])
