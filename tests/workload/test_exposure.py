"""exposure_summary: hand-computed exposures, agreement with acwr(), and no leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from workload_logs import log, random_log

from lbprun._checks import ArgumentError
from lbprun.exceptions import DataQualityWarning
from lbprun.workload.acwr import acwr
from lbprun.workload.exposure import exposure_summary

pytestmark = pytest.mark.filterwarnings("ignore::lbprun.exceptions.DataQualityWarning")


def hand_log() -> pd.DataFrame:
    runs = log(
        [
            ("a", "2024-02-10", 10.0),
            ("a", "2024-02-20", 10.0),
            ("a", "2024-02-25", 8.0),
            ("a", "2024-02-28", 6.0),
            ("a", "2024-03-01", 50.0),  # on the index date: not before it
            ("a", "2024-03-05", 30.0),
        ]
    )
    runs["shoe_id"] = ["x", "x", "y", "x", "y", "x"]
    runs["surface"] = ["trail", "trail", "asphalt", "asphalt", "trail", "trail"]
    every_day = log([("b", d, 5.0) for d in pd.date_range("2024-01-01", "2024-02-28")])
    every_day["shoe_id"] = "z"
    every_day["surface"] = "track"
    return pd.concat([runs, every_day], ignore_index=True)


def test_exposures_by_hand():
    index = pd.DataFrame(
        {"runner_id": ["a", "c"], "index_date": pd.to_datetime(["2024-03-01", "2024-03-01"])}
    )
    with pytest.warns(DataQualityWarning) as record:
        out = exposure_summary(hand_log(), index, windows=(1, 2), shoe_limit_km=25)
    messages = " ".join(str(w.message) for w in record)
    assert "1 runner(s) of index_dates have no runs" in messages
    assert "1 runner(s) without an index date" in messages
    a, b = out.iloc[0], out.iloc[1]
    assert out["runner_id"].tolist() == ["a", "b"]
    # 7-day blocks before 2024-03-01: [Feb 23, Feb 29] 14 km, [Feb 16, 22] 10 km, [Feb 9, 15] 10
    assert a["index_date"] == pd.Timestamp("2024-03-01") and not a["index_imputed"]
    assert a["days_logged"] == 20
    assert (a["total_km_1w"], a["mean_weekly_km_1w"]) == (14.0, 14.0)
    assert (a["total_km_2w"], a["mean_weekly_km_2w"]) == (24.0, 12.0)
    assert a["max_increase_pct_1w"] == pytest.approx(40.0)
    assert a["max_increase_pct_2w"] == pytest.approx(40.0)
    assert (a["n_spikes_1w"], a["n_spikes_2w"]) == (1, 1)
    assert np.isnan(a["max_acwr_2w"])  # fewer than 28 days of log before the index date
    assert a["shoe_km"] == 26.0  # shoe x: 10 + 10 + 6; the index-day run is not counted
    assert bool(a["shoe_past_limit"]) is True
    assert a["main_surface"] == "asphalt"  # last 14 days: asphalt 14 km, trail 10 km
    assert a["main_surface_share"] == pytest.approx(14 / 24)
    assert b["index_imputed"] and b["index_date"] == pd.Timestamp("2024-02-29")
    assert (b["total_km_1w"], b["max_increase_pct_1w"], b["n_spikes_1w"]) == (35.0, 0.0, 0)
    assert b["max_acwr_1w"] == pytest.approx(1.0)
    assert (b["shoe_km"], b["main_surface"], b["main_surface_share"]) == (295.0, "track", 1.0)
    assert len(out.attrs["notes"]) == 2


def test_series_input_and_runner_without_runs_before_index():
    runs = log([("a", "2024-01-10", 5.0)])
    out = exposure_summary(runs, pd.Series({"a": pd.Timestamp("2024-01-10")}))
    row = out.iloc[0]
    assert row["days_logged"] == 0
    assert np.isnan(row["total_km_4w"]) and np.isnan(row["max_acwr_8w"])
    assert np.isnan(row["shoe_km"]) and pd.isna(row["shoe_past_limit"])
    assert "No shoe_id column: shoe_km is missing." in out.attrs["notes"]


def test_max_acwr_equals_acwr_on_data_before_the_index_date():
    runs = random_log(n_runners=10, days=260, seed=21)
    rng = np.random.default_rng(0)
    first = runs.groupby("runner_id")["date"].min()
    index = first + pd.to_timedelta(rng.integers(20, 200, len(first)), "D")
    out = exposure_summary(runs, index, windows=(4, 8)).set_index("runner_id")
    for runner, day in index.items():
        before = runs[(runs["runner_id"] == runner) & (runs["date"] < day)]
        if before.empty:
            assert np.isnan(out.loc[runner, "max_acwr_4w"])
            continue
        # extend the daily grid with rest days up to the day before the index date
        tail = log([(runner, day - pd.Timedelta(days=1), 0.0)])
        daily = acwr(pd.concat([before, tail]))
        for weeks in (4, 8):
            inside = daily[daily["date"] >= day - pd.Timedelta(days=7 * weeks)]["acwr"]
            expected = inside.max() if inside.notna().any() else np.nan
            np.testing.assert_allclose(out.loc[runner, f"max_acwr_{weeks}w"], expected)
        km = before[before["date"] >= day - pd.Timedelta(days=28)]["distance_km"].sum()
        assert out.loc[runner, "total_km_4w"] == pytest.approx(km)


def test_argument_errors():
    runs = log([("a", "2024-01-10", 5.0)])
    with pytest.raises(ArgumentError, match="index_dates must be a Series"):
        exposure_summary(runs, {"a": "2024-01-01"})
    with pytest.raises(ArgumentError, match="one date per runner"):
        exposure_summary(
            runs,
            pd.DataFrame({"runner_id": ["a", "a"], "index_date": ["2024-01-01", "2024-01-02"]}),
        )
    with pytest.raises(ArgumentError, match="spike_pct must be a finite number"):
        exposure_summary(runs, pd.Series({"a": pd.Timestamp("2024-02-01")}), spike_pct="high")
    with pytest.raises(ArgumentError, match="windows must be a positive integer"):
        exposure_summary(runs, pd.Series({"a": pd.Timestamp("2024-02-01")}), windows=(0,))


RUNNERS = ("a", "b", "c")

run_rows = st.lists(
    st.tuples(
        st.sampled_from(RUNNERS),
        st.integers(0, 150),
        st.floats(0, 40, allow_nan=False).map(lambda x: round(x, 2)),
        st.sampled_from([None, "s1", "s2"]),
        st.sampled_from([None, "trail", "asphalt", "grass"]),
    ),
    min_size=1,
    max_size=60,
)


def to_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["runner_id", "day", "distance_km", "shoe_id", "surface"])
    frame["date"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame.pop("day"), "D")
    frame["duration_min"] = 6.0 * frame["distance_km"]
    return frame


@settings(max_examples=60, deadline=None)
@given(
    rows=run_rows,
    index_days=st.tuples(*(st.integers(0, 180) for _ in RUNNERS)),
    later=st.lists(
        st.tuples(
            st.sampled_from(RUNNERS),
            st.integers(0, 60),
            st.floats(0, 200, allow_nan=False),
            st.sampled_from([None, "s1", "s2", "s3"]),
            st.sampled_from([None, "trail", "sand"]),
        ),
        max_size=30,
    ),
)
def test_runs_on_or_after_the_index_date_do_not_leak(rows, index_days, later):
    runs = to_frame(rows)
    index = pd.Series(
        pd.Timestamp("2024-01-01") + pd.to_timedelta(list(index_days), "D"), index=RUNNERS
    )
    index = index[index.index.isin(runs["runner_id"])]
    base = exposure_summary(runs, index)
    extra = [
        (r, int((index[r] - pd.Timestamp("2024-01-01")).days) + d, km, shoe, surface)
        for r, d, km, shoe, surface in later
        if r in index.index
    ]
    if extra:
        runs = pd.concat([runs, to_frame(extra)], ignore_index=True)
    pd.testing.assert_frame_equal(exposure_summary(runs, index), base)
