"""load_spikes and single_run_spikes on hand-computed logs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from workload_logs import log, random_log

from lbprun._checks import ArgumentError
from lbprun.workload.spikes import load_spikes, single_run_spikes


def weekly_log(km: list[float], runner: str = "a") -> pd.DataFrame:
    """One run each Monday from 2024-01-01 (0 km weeks are runs of 0 km)."""
    dates = pd.date_range("2024-01-01", periods=len(km), freq="7D")
    return log([(runner, d, k) for d, k in zip(dates, km, strict=True)])


def test_previous_week_classes_at_the_boundaries():
    out = load_spikes(weekly_log([8.0, 10.0, 11.0, 13.0, 26.0, 13.0]))
    pct = out["progression_pct"].to_numpy()
    assert np.isnan(pct[0])
    assert pct[1:].tolist() == [25.0, 10.0, pytest.approx(18.181818181818), 100.0, -50.0]
    assert out["progression_class"].astype(object).tolist()[1:] == [
        "10-30%",
        "<=10%",  # exactly 10 % is <= 10 %
        "10-30%",
        ">30%",
        "<=10%",  # regression
    ]
    assert pd.isna(out["progression_class"].iloc[0])
    assert out["progression_pct"].equals(out["change_pct"])
    assert list(out["progression_class"].cat.categories) == ["<=10%", "10-30%", ">30%"]


def test_exactly_thirty_percent_is_middle_class():
    out = load_spikes(weekly_log([10.0, 13.0]))
    assert out["progression_pct"].iloc[1] == 30.0
    assert out["progression_class"].iloc[1] == "10-30%"


def test_previous_four_weeks_baseline():
    out = load_spikes(weekly_log([8.0, 8.0, 0.0, 8.0, 12.0, 6.0]), baseline="previous_4_weeks")
    pct = out["progression_pct"].to_numpy()
    assert np.isnan(pct[:4]).all()  # fewer than 4 preceding weeks
    assert pct[4] == pytest.approx(100.0)  # (12 - 6) / 6, zero week included
    assert pct[5] == pytest.approx(100.0 * (6.0 - 7.0) / 7.0)
    assert out["progression_class"].astype(object).tolist()[4:] == [">30%", "<=10%"]


def test_previous_four_weeks_zero_baseline_is_missing():
    runs = log([("a", "2024-01-01", 5.0), ("a", "2024-02-05", 5.0)])  # 4 empty weeks between
    out = load_spikes(runs, baseline="previous_4_weeks")
    assert len(out) == 6
    pct = out["progression_pct"].to_numpy()
    assert pct[4] == -100.0  # baseline (5 + 0 + 0 + 0) / 4
    assert np.isnan(pct[5])  # baseline of four empty weeks is 0
    assert pd.isna(out["progression_class"].iloc[5])


def test_custom_thresholds_and_errors():
    out = load_spikes(weekly_log([10.0, 12.0, 16.0]), thresholds=(5, 20, 50))
    assert list(out["progression_class"].cat.categories) == ["<=5%", "5-20%", "20-50%", ">50%"]
    assert out["progression_class"].astype(object).tolist()[1:] == ["5-20%", "20-50%"]
    runs = weekly_log([1.0])
    with pytest.raises(ArgumentError, match="strictly increasing"):
        load_spikes(runs, thresholds=(30, 10))
    with pytest.raises(ArgumentError, match="Did you mean 'previous_week'"):
        load_spikes(runs, baseline="previous_weak")


def test_single_run_spikes_window_edges():
    runs = log(
        [
            ("a", "2024-01-01", 10.0),
            ("a", "2024-01-31", 12.0),  # 30 days later: 2024-01-01 is in the window
            ("a", "2024-03-02", 11.0),  # 31 days after 2024-01-31: window empty
            ("a", "2024-03-03", 5.0),
            ("a", "2024-03-03", 12.0),  # same-day run is not in the window
        ]
    )
    out = single_run_spikes(runs)
    assert out["longest_prev_30d_km"].tolist()[1] == 10.0
    longest = out["longest_prev_30d_km"].to_numpy()
    assert np.isnan(longest[0]) and np.isnan(longest[2])
    assert longest[3:].tolist() == [11.0, 11.0]
    assert out["spike_pct"].iloc[1] == pytest.approx(20.0)
    assert out["spike_pct"].iloc[4] == pytest.approx(100.0 * (12.0 / 11.0 - 1.0))
    assert out["is_spike"].tolist() == [False, True, False, False, True]


def test_single_run_spikes_keeps_runners_apart_and_columns():
    runs = log([("b", "2024-01-10", 20.0), ("a", "2024-01-08", 30.0), ("b", "2024-01-12", 25.0)])
    runs["shoe_id"] = ["x", "y", "x"]
    out = single_run_spikes(runs, window_days=7)
    assert out["runner_id"].tolist() == ["a", "b", "b"]
    assert "shoe_id" in out.columns and "longest_prev_7d_km" in out.columns
    longest = out["longest_prev_7d_km"].to_numpy()
    assert np.isnan(longest[0]) and np.isnan(longest[1])  # a's run does not leak into b
    assert longest[2] == 20.0
    assert out["is_spike"].tolist() == [False, False, True]


def test_single_run_spikes_matches_brute_force():
    runs = random_log(seed=4)
    out = single_run_spikes(runs)
    expected = []
    ordered = runs.sort_values(["runner_id", "date"], kind="stable")
    for _, sub in ordered.groupby("runner_id", sort=True):
        dates = sub["date"].to_numpy()
        km = sub["distance_km"].to_numpy()
        for day in dates:
            inside = (dates >= day - np.timedelta64(30, "D")) & (dates < day)
            expected.append(km[inside].max() if inside.any() else np.nan)
    np.testing.assert_array_equal(out["longest_prev_30d_km"].to_numpy(), np.array(expected))
    assert out["distance_km"].to_numpy().tolist() == ordered["distance_km"].tolist()


def test_single_run_spikes_block_size_does_not_matter():
    runs = random_log(seed=5)
    pd.testing.assert_frame_equal(single_run_spikes(runs), single_run_spikes(runs, block_days=1))
    with pytest.raises(ArgumentError, match="window_days must be a positive integer"):
        single_run_spikes(runs, window_days=0)


def test_progression_exactly_at_a_threshold_falls_in_the_lower_class():
    # four weeks of 27 km, then 29.7 km: +10 % exactly against the 4-week mean
    days = pd.date_range("2024-01-01", periods=5, freq="7D")
    log = pd.DataFrame(
        {
            "runner_id": "a",
            "date": days,
            "distance_km": [27.0, 27.0, 27.0, 27.0, 29.7],
            "duration_min": 150.0,
        }
    )
    table = load_spikes(log, baseline="previous_4_weeks")
    last = table.iloc[-1]
    assert abs(last["progression_pct"] - 10.0) < 1e-9
    assert last["progression_class"] == "<=10%"
