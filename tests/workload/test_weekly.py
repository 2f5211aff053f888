"""weekly_load on hand-computed logs: gaps, single runs, two runs a day, midnight, DST."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from workload_logs import log

from lbprun._checks import ArgumentError
from lbprun.workload.weekly import WEEKLY_COLUMNS, weekly_load


def test_gap_of_months_gives_zero_weeks():
    runs = log([("a", "2024-01-01", 10.0), ("a", "2024-03-06", 5.0)])
    out = weekly_load(runs)
    assert list(out.columns) == list(WEEKLY_COLUMNS)
    assert len(out) == 10  # 2024-01-01 ... week of 2024-03-04
    assert out["week_start"].iloc[0] == pd.Timestamp("2024-01-01")
    assert out["week_start"].iloc[-1] == pd.Timestamp("2024-03-04")
    assert out["distance_km"].tolist() == [10.0] + [0.0] * 8 + [5.0]
    assert out["n_runs"].tolist() == [1] + [0] * 8 + [1]
    assert out["longest_run_km"].tolist() == [10.0] + [0.0] * 8 + [5.0]
    change = out["change_pct"].to_numpy()
    assert np.isnan(change[0]) and change[1] == -100.0
    assert np.isnan(change[2:]).all()  # previous week 0 km


def test_single_run():
    out = weekly_load(log([("solo", "2024-05-15", 7.5)]))
    assert len(out) == 1
    row = out.iloc[0]
    assert row["week_start"] == pd.Timestamp("2024-05-13")
    assert (row["distance_km"], row["duration_min"], row["n_runs"]) == (7.5, 45.0, 1)
    assert np.isnan(row["change_pct"])


def test_two_runs_a_day_and_change():
    runs = log(
        [
            ("a", "2024-01-02", 5.0),
            ("a", "2024-01-02", 7.0),
            ("a", "2024-01-09", 6.0),
            ("a", "2024-01-10", 9.0),
        ]
    )
    out = weekly_load(runs)
    assert out["distance_km"].tolist() == [12.0, 15.0]
    assert out["n_runs"].tolist() == [2, 2]
    assert out["longest_run_km"].tolist() == [7.0, 9.0]
    assert out["change_pct"].iloc[1] == pytest.approx(25.0)


def test_duplicated_runs_are_summed():
    runs = log([("a", "2024-01-02", 5.0), ("a", "2024-01-02", 5.0)])
    out = weekly_load(runs)
    assert out["distance_km"].tolist() == [10.0]
    assert out["n_runs"].tolist() == [2]


def test_run_across_midnight_uses_local_start_date():
    runs = pd.DataFrame(
        {
            "runner_id": ["a", "a"],
            "start_time": pd.to_datetime(["2024-03-10 23:30", "2024-03-11 06:00"]).tz_localize(
                "Europe/Rome"
            ),
            "distance_km": [10.0, 4.0],
            "duration_min": [70.0, 25.0],
        }
    )
    out = weekly_load(runs)  # the 23:30 Sunday run ends on Monday but belongs to Sunday
    assert out["week_start"].tolist() == [pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-11")]
    assert out["distance_km"].tolist() == [10.0, 4.0]


@pytest.mark.parametrize(
    ("times", "weeks", "km"),
    [
        # last Sunday of March 2024: 02:00 -> 03:00 in Europe/Rome
        (
            ["2024-03-31 01:30", "2024-03-31 23:30", "2024-04-01 00:30"],
            ["2024-03-25", "2024-04-01"],
            [3.0 + 5.0, 8.0],
        ),
        # last Sunday of October 2024: 03:00 -> 02:00
        (
            ["2024-10-27 02:30", "2024-10-27 23:59", "2024-10-28 00:15"],
            ["2024-10-21", "2024-10-28"],
            [3.0 + 5.0, 8.0],
        ),
    ],
)
def test_daylight_saving_weeks_follow_local_dates(times, weeks, km):
    local = pd.DatetimeIndex(pd.to_datetime(times)).tz_localize(
        "Europe/Rome", ambiguous=[True, False, False]
    )
    runs = pd.DataFrame(
        {
            "runner_id": "a",
            "start_time": local,
            "distance_km": [3.0, 5.0, 8.0],
            "duration_min": [20.0, 30.0, 50.0],
        }
    )
    out = weekly_load(runs)
    assert out["week_start"].tolist() == [pd.Timestamp(w) for w in weeks]
    assert out["distance_km"].tolist() == km
    # in UTC the Monday-morning run falls on Sunday: the local date must win
    utc_days = local.tz_convert("UTC").normalize().tz_localize(None)
    assert utc_days[2] == pd.Timestamp(times[2][:10]) - pd.Timedelta(days=1)


def test_tz_aware_date_column_uses_local_date():
    stamps = pd.to_datetime(["2024-04-01 00:30"]).tz_localize("Europe/Rome")
    runs = pd.DataFrame(
        {"runner_id": ["a"], "date": stamps, "distance_km": [5.0], "duration_min": [30.0]}
    )
    assert weekly_load(runs)["week_start"].tolist() == [pd.Timestamp("2024-04-01")]


def test_week_start_any_weekday_and_sorting():
    runs = log(
        [
            ("b", "2024-01-06", 4.0),  # Saturday
            ("a", "2024-01-07", 6.0),  # Sunday
            ("a", "2024-01-06", 2.0),
        ]
    )
    out = weekly_load(runs, week_start="Saturday")
    assert out["runner_id"].tolist() == ["a", "b"]
    assert out["week_start"].tolist() == [pd.Timestamp("2024-01-06")] * 2
    assert out["distance_km"].tolist() == [8.0, 4.0]
    sunday = weekly_load(runs, week_start="sunday")
    assert sunday["week_start"].tolist() == [
        pd.Timestamp("2023-12-31"),
        pd.Timestamp("2024-01-07"),
        pd.Timestamp("2023-12-31"),
    ]


def test_missing_duration_counts_as_zero():
    runs = log([("a", "2024-01-01", 5.0), ("a", "2024-01-02", 5.0)])
    runs.loc[1, "duration_min"] = np.nan
    assert weekly_load(runs)["duration_min"].tolist() == [30.0]
    assert np.isnan(runs.loc[1, "duration_min"])  # the input is not filled in place


def test_string_dates_and_empty_input():
    runs = pd.DataFrame(
        {"runner_id": ["a"], "date": ["2024-02-01"], "distance_km": [3.0], "duration_min": [20.0]}
    )
    assert weekly_load(runs)["week_start"].tolist() == [pd.Timestamp("2024-01-29")]
    empty = weekly_load(runs.iloc[:0])
    assert list(empty.columns) == list(WEEKLY_COLUMNS) and len(empty) == 0


def test_errors_are_clear():
    runs = log([("a", "2024-01-01", 5.0)])
    with pytest.raises(ArgumentError, match="Did you mean 'monday'"):
        weekly_load(runs, week_start="mondya")
    with pytest.raises(ArgumentError, match="engine must be one of"):
        weekly_load(runs, engine="spark")
    with pytest.raises(ArgumentError, match="'distance_km' not found"):
        weekly_load(runs.drop(columns="distance_km"))
    bad = runs.copy()
    bad["date"] = pd.NaT
    with pytest.raises(ArgumentError, match="must not be missing"):
        weekly_load(bad)
    bad = runs.copy()
    bad["runner_id"] = None
    with pytest.raises(ArgumentError, match="runner_id"):
        weekly_load(bad)
