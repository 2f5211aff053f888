"""Training logs exported by watch apps as generic tables (Garmin Connect, Polar, Runkeeper CSV).

They hold one runner's activities of every sport, without a runner id, with durations written
as clocks (``1:52:10``). ``read_activities`` reads them with ``runner_id=``, converts clock and
ISO 8601 durations, and keeps running activities only unless told otherwise.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from _watch_fixtures import tcx_text
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.exceptions import DataValidationError
from lbprun.io._activity_types import RUN_TYPES, kept_types, normalise_type
from lbprun.io._parse import to_float
from lbprun.io.read import read_activities

GARMIN_HEADER = (
    "Activity Type,Date,Favorite,Title,Distance,Calories,Time,Avg HR,Max HR,Total Ascent,"
    "Moving Time,Elapsed Time"
)
GARMIN_ROWS = [
    'Running,2024-03-02 07:31:12,false,"Morning run",10.02,650,00:52:13,148,171,85,'
    "00:51:50,00:53:01",
    'Treadmill Running,2024-03-04 18:02:00,false,"Treadmill",8.00,500,00:40:00,140,160,0,'
    "00:40:00,00:40:00",
    'Cycling,2024-03-05 18:02:00,false,"Commute",30.00,800,01:10:00,130,160,200,01:10:00,01:12:00',
    'Trail Running,2024-03-07 06:45:00,false,"Long run",21.10,"1,234",01:52:10,150,175,'
    "150,01:50:00,01:55:00",
    'Pool Swim,2024-03-08 12:00:00,false,"Swim",1.50,300,00:35:00,120,140,0,00:30:00,00:35:00',
]
GARMIN_COLUMNS = {
    "Date": "start_time",
    "Distance": "distance_km",
    "Time": "duration_min",
    "Activity Type": "activity_type",
    "Avg HR": "avg_hr",
    "Total Ascent": "elevation_gain_m",
}


@pytest.fixture
def garmin_csv(tmp_path):
    path = tmp_path / "Activities.csv"
    path.write_text("\n".join([GARMIN_HEADER, *GARMIN_ROWS]) + "\n", encoding="utf-8")
    return path


def test_garmin_connect_csv_reads_runs_of_one_runner(garmin_csv):
    runs = read_activities(garmin_csv, runner_id="R017", columns=GARMIN_COLUMNS)
    assert runs["runner_id"].tolist() == ["R017"] * 3
    assert runs["activity_type"].tolist() == ["Running", "Treadmill Running", "Trail Running"]
    assert runs["duration_min"].round(6).tolist() == [
        round(52 + 13 / 60, 6),
        40.0,
        round(112 + 10 / 60, 6),
    ]
    assert runs["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-03-02",
        "2024-03-04",
        "2024-03-07",
    ]
    info = runs.attrs["lbprun"]
    assert (info["rows_in"], info["rows_excluded"], info["rows_rejected"]) == (5, 2, 0)
    assert any("ride 1" in note and "swim 1" in note for note in info["notes"])


def test_every_row_is_kept_excluded_or_rejected(garmin_csv):
    report = read_activities(garmin_csv, runner_id="R017", columns=GARMIN_COLUMNS, on_error="drop")
    assert report.rows_in == report.rows_kept + report.rows_rejected + report.rows_excluded
    assert report.excluded_types == {"ride": 1, "swim": 1}
    assert "excluded (other activity types): 2" in report.summary()


def test_activity_types_none_keeps_every_row_and_checks_it(garmin_csv):
    report = read_activities(
        garmin_csv,
        runner_id="R017",
        columns=GARMIN_COLUMNS,
        activity_types=None,
        on_error="drop",
    )
    assert (report.rows_in, report.rows_excluded) == (5, 0)
    # the ride is too fast for a run: rejected with its file line and reason
    assert report.rejected["row"].tolist() == [4]
    assert "pace" in report.rejected["reasons"].iloc[0]
    with pytest.raises(DataValidationError, match=r"row 4, duration_min"):
        read_activities(garmin_csv, runner_id="R017", columns=GARMIN_COLUMNS, activity_types=None)


def test_activity_types_choose_what_is_kept(garmin_csv):
    rides = read_activities(
        garmin_csv,
        runner_id="R017",
        columns=GARMIN_COLUMNS,
        activity_types=["treadmill_run", "Trail Running"],
    )
    assert rides["activity_type"].tolist() == ["Treadmill Running", "Trail Running"]


def test_runner_id_errors(garmin_csv):
    with pytest.raises(ArgumentError, match="runner_id must be a non-empty string"):
        read_activities(garmin_csv, runner_id="  ", columns=GARMIN_COLUMNS)
    frame = pd.DataFrame(
        {"runner_id": ["a"], "date": ["2024-01-01"], "distance_km": [5.0], "duration_min": [30]}
    )
    with pytest.raises(ArgumentError, match="runner_id must be None when the data have"):
        read_activities(frame, runner_id="b")
    with pytest.raises(ArgumentError, match="activity_types must be strings or None"):
        read_activities(frame, activity_types=[1, 2])


def test_clock_and_iso_durations_are_minutes_whatever_the_unit():
    raw = pd.Series(["00:52:13", "1:52:10", "52:13", "PT1H2M3S", "0:04:41.5", "12.5", None])
    minutes, failures = to_float(raw, "duration_min")
    expected = [52 + 13 / 60, 112 + 10 / 60, 52 + 13 / 60, 62.05, 4 + 41.5 / 60, 12.5]
    assert minutes.iloc[:6].tolist() == pytest.approx(expected, rel=1e-12)
    assert pd.isna(minutes.iloc[6]) and failures.empty
    hours, _ = to_float(raw, "duration_min", unit="h")  # plain numbers are hours, clocks are not
    assert hours.iloc[:5].tolist() == pytest.approx(expected[:5], rel=1e-12)
    assert hours.iloc[5] == pytest.approx(750.0)


def test_bad_clock_is_reported_with_its_value():
    minutes, failures = to_float(pd.Series(["1:75:00", "ab:cd", "10:00"]), "duration_min")
    assert failures["pos"].tolist() == [0, 1]
    assert failures["value"].tolist() == ["1:75:00", "ab:cd"]
    assert minutes.iloc[2] == 10.0
    distance, failures = to_float(pd.Series(["10:00"]), "distance_km")  # not a duration
    assert pd.isna(distance.iloc[0]) and failures["check"].tolist() == ["dtype"]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Running", "run"),
        ("Treadmill Running", "treadmill_run"),
        ("Indoor Running", "treadmill_run"),
        ("Trail Running", "trail_run"),
        ("Track Running", "run"),
        ("Virtual Running", "virtual_run"),
        ("Ultra Run", "run"),
        ("Jogging", "run"),
        ("Track&field running", "run"),
        ("Road Cycling", "ride"),
        ("Mountain Biking", "ride"),
        ("Lap Swimming", "swim"),
        ("Open Water Swimming", "swim"),
        ("Walking", "walk"),
        ("Hiking", "hike"),
        ("Strength Training", "strength_training"),
    ],
)
def test_export_labels_are_normalised(label, expected):
    assert normalise_type(label) == expected


def test_kept_types_expand_run():
    assert kept_types("run") == set(RUN_TYPES)
    assert kept_types(["Ride"]) == {"ride"}
    with pytest.raises(ArgumentError):
        kept_types(5)


def test_read_activities_reads_tcx_files(tmp_path):
    path = tmp_path / "morning.tcx"
    start = dt.datetime(2024, 5, 4, 6, 30, tzinfo=dt.UTC)
    path.write_text(tcx_text(start, [(1800.0, 5000.0, 150), (1500.0, 4000.0, 160)]))
    runs = read_activities(path, runner_id="R1")
    assert runs["runner_id"].tolist() == ["R1"]
    assert runs["distance_km"].tolist() == pytest.approx([9.0])
    cycling = tmp_path / "ride.tcx"
    cycling.write_text(tcx_text(start, [(1800.0, 5000.0, 130)], sport="Biking"))
    assert read_activities(cycling, activity_types=None)["activity_type"].tolist() == ["ride"]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Running", "Cycling", "", "Hike", "Treadmill Running", "Yoga"]),
            st.floats(0.5, 40.0),
            st.sampled_from(["00:30:00", "0:45:10", "12:00", "abc", "45"]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_rows_in_equals_kept_rejected_and_excluded(rows):
    frame = pd.DataFrame(
        {
            "date": "2024-01-01",
            "activity_type": [r[0] for r in rows],
            "distance_km": [r[1] for r in rows],
            "duration_min": [r[2] for r in rows],
            "start_time": [f"2024-01-01 0{i % 10}:{i:02d}:00" for i in range(len(rows))],
        }
    )
    report = read_activities(frame, runner_id="R1", on_error="drop")
    assert report.rows_in == len(rows)
    assert report.rows_in == report.rows_kept + report.rows_rejected + report.rows_excluded
    expected_excluded = sum(r[0] in ("Cycling", "Hike", "Yoga") for r in rows)
    assert report.rows_excluded == expected_excluded
    if report.data is not None:
        assert set(report.data["runner_id"]) <= {"R1"}
