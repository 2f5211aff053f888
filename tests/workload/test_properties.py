"""Hypothesis properties of the workload kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun.workload.acwr import acwr
from lbprun.workload.monotony import training_monotony
from lbprun.workload.spikes import single_run_spikes
from lbprun.workload.weekly import weekly_load

logs = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c", "d"]),
        st.integers(0, 200),
        st.floats(0, 60, allow_nan=False).map(lambda x: round(x, 2)),
    ),
    min_size=1,
    max_size=80,
).map(
    lambda rows: pd.DataFrame(
        {
            "runner_id": [r for r, _, _ in rows],
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta([d for _, d, _ in rows], "D"),
            "distance_km": [k for _, _, k in rows],
            "duration_min": [6.0 * k for _, _, k in rows],
        }
    )
)
week_starts = st.sampled_from(["monday", "wednesday", "sunday"])


@settings(max_examples=80, deadline=None)
@given(runs=logs, week_start=week_starts)
def test_weekly_totals_equal_daily_totals_and_input_sum(runs, week_start):
    weekly = weekly_load(runs, week_start=week_start)
    daily = acwr(runs)
    shift = {"monday": 0, "wednesday": 2, "sunday": 6}[week_start]
    offset = (daily["date"].dt.day_of_week - shift) % 7
    daily_week = daily["date"] - pd.to_timedelta(offset, "D")
    from_daily = daily.groupby(["runner_id", daily_week])["load"].sum()
    from_weekly = weekly.set_index(["runner_id", "week_start"])["distance_km"]
    np.testing.assert_allclose(
        from_weekly.reindex(from_daily.index).to_numpy(), from_daily.to_numpy(), atol=1e-9
    )
    assert np.isclose(weekly["distance_km"].sum(), runs["distance_km"].sum())
    assert weekly["n_runs"].sum() == len(runs)
    assert np.isclose(daily["load"].sum(), runs["distance_km"].sum())


@settings(max_examples=80, deadline=None)
@given(runs=logs, week_start=week_starts)
def test_every_week_between_first_and_last_is_present(runs, week_start):
    weekly = weekly_load(runs, week_start=week_start)
    for runner, sub in weekly.groupby("runner_id"):
        steps = sub["week_start"].diff().dropna()
        assert (steps == pd.Timedelta(days=7)).all()
        dates = runs.loc[runs["runner_id"] == runner, "date"]
        assert (
            sub["week_start"].iloc[0]
            <= dates.min()
            < sub["week_start"].iloc[0] + pd.Timedelta(days=7)
        )
        assert sub["week_start"].iloc[-1] <= dates.max()
        assert dates.max() < sub["week_start"].iloc[-1] + pd.Timedelta(days=7)
    grid = acwr(runs)
    for _, sub in grid.groupby("runner_id"):
        assert (sub["date"].diff().dropna() == pd.Timedelta(days=1)).all()


@settings(max_examples=60, deadline=None)
@given(
    runs=logs,
    scale=st.floats(1e-3, 1e3, allow_nan=False),
    method=st.sampled_from(["rolling", "ewma"]),
    coupled=st.booleans(),
)
def test_acwr_is_scale_free(runs, scale, method, coupled):
    base = acwr(runs, method=method, coupled=coupled)["acwr"].to_numpy()
    scaled = runs.assign(distance_km=runs["distance_km"] * scale)
    other = acwr(scaled, method=method, coupled=coupled)["acwr"].to_numpy()
    assert np.array_equal(np.isnan(base), np.isnan(other))
    np.testing.assert_allclose(other, base, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(runs=logs, block_days=st.integers(1, 300))
def test_block_size_does_not_change_results(runs, block_days):
    for method in ("rolling", "ewma"):
        pd.testing.assert_frame_equal(
            acwr(runs, method=method, block_days=block_days),
            acwr(runs, method=method),
            rtol=1e-12,
        )
    pd.testing.assert_frame_equal(
        single_run_spikes(runs, block_days=block_days), single_run_spikes(runs)
    )


@settings(max_examples=40, deadline=None)
@given(runs=logs)
def test_monotony_weekly_load_matches_weekly_distance(runs):
    mono = training_monotony(runs)
    weekly = weekly_load(runs)
    np.testing.assert_allclose(mono["weekly_load"], weekly["distance_km"], atol=1e-9)
    defined = mono["monotony"].notna()
    assert (mono.loc[defined, "sd_daily_load"] > 0).all()
    assert (mono.loc[mono["weekly_load"] == 0, "monotony"]).isna().all()
