"""acwr on hand-computed logs and against pandas rolling / ewm, plus compute_workload."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from workload_logs import log, naive_acwr, random_log

from lbprun._checks import ArgumentError
from lbprun.workload._scans import linear_recursion
from lbprun.workload.acwr import ACWR_COLUMNS, acwr, compute_workload
from lbprun.workload.spikes import load_spikes, single_run_spikes
from lbprun.workload.weekly import weekly_load


def daily_log(loads: list[float], runner: str = "a", start: str = "2024-01-01") -> pd.DataFrame:
    dates = pd.date_range(start, periods=len(loads), freq="D")
    return log([(runner, d, k) for d, k in zip(dates, loads, strict=True) if k > 0])


def test_rolling_uncoupled_and_coupled_by_hand():
    runs = daily_log([5.0] * 21 + [10.0] * 7)
    out = acwr(runs)
    assert list(out.columns) == list(ACWR_COLUMNS)
    assert len(out) == 28
    assert out[["acute_load", "chronic_load", "acwr"]].iloc[:27].isna().all().all()
    assert out.iloc[27][["acute_load", "chronic_load", "acwr"]].tolist() == [10.0, 5.0, 2.0]
    coupled = acwr(runs, coupled=True).iloc[27]
    assert coupled["chronic_load"] == pytest.approx((21 * 5 + 70) / 28)
    assert coupled["acwr"] == pytest.approx(10.0 / 6.25)


def test_rest_days_are_zero_and_chronic_zero_gives_missing_ratio():
    runs = log([("a", "2024-01-01", 0.0), ("a", "2024-01-28", 7.0)])
    out = acwr(runs)
    assert out["load"].tolist() == [0.0] * 27 + [7.0]
    last = out.iloc[-1]
    assert last["acute_load"] == 1.0
    assert last["chronic_load"] == 0.0
    assert np.isnan(last["acwr"])


def test_ewma_by_hand():
    runs = daily_log([4.0, 8.0, 0.0, 8.0])
    # acute span 1 (lambda 1) and chronic span 3 (lambda 0.5): E = 4, 6, 3, 5.5
    out = acwr(runs, method="ewma", acute=1, chronic=3)
    assert np.isnan(out["chronic_load"].iloc[:2]).all()
    assert out["chronic_load"].iloc[2:].tolist() == pytest.approx([3.0, 5.5])
    assert out["acute_load"].iloc[2:].tolist() == [0.0, 8.0]
    assert out["acwr"].iloc[2:].tolist() == pytest.approx([0.0, 8.0 / 5.5])


def test_ewma_restarts_for_every_runner():
    big = daily_log([200.0] * 40, runner="a")
    small = daily_log([1.0, 2.0, 3.0] * 12, runner="b", start="2024-02-09")
    together = acwr(pd.concat([big, small]), method="ewma")
    alone = acwr(small, method="ewma")
    part = together[together["runner_id"] == "b"].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, alone, rtol=1e-13)


@pytest.mark.parametrize(
    ("method", "coupled"), [("rolling", False), ("rolling", True), ("ewma", False)]
)
def test_acwr_matches_pandas_rolling_and_ewm(method, coupled):
    runs = random_log(seed=11)
    out = acwr(runs, method=method, coupled=coupled)
    expected = naive_acwr(runs, method=method, coupled=coupled)
    pd.testing.assert_frame_equal(out, expected, rtol=1e-10, check_dtype=False)


def test_other_windows_and_load_column():
    runs = random_log(seed=12)
    out = acwr(runs, acute=3, chronic=10, load="duration_min")
    swapped = runs.assign(distance_km=runs["duration_min"])
    expected = naive_acwr(swapped, method="rolling", acute=3, chronic=10)
    pd.testing.assert_frame_equal(out, expected, rtol=1e-10, check_dtype=False)


def test_block_size_does_not_change_acwr():
    runs = random_log(seed=13)
    for method in ("rolling", "ewma"):
        pd.testing.assert_frame_equal(
            acwr(runs, method=method), acwr(runs, method=method, block_days=37), rtol=1e-13
        )


def test_linear_recursion_matches_a_loop():
    rng = np.random.default_rng(3)
    for n in (1, 31, 32, 33, 5000):
        u = rng.random(n)
        expected = np.empty(n)
        state = 0.0
        for i, value in enumerate(u):
            state = value + 0.9 * state
            expected[i] = state
        np.testing.assert_allclose(linear_recursion(u, 0.9), expected, rtol=1e-13)


def test_compute_workload_equals_the_public_functions():
    runs = random_log(seed=14)
    original = runs.copy()
    out = compute_workload(runs, block_days=50)
    pd.testing.assert_frame_equal(runs, original)  # the input is left untouched
    ordered = runs.sort_values(["runner_id", "date"], kind="stable", ignore_index=True)
    shared = compute_workload(ordered)["runs"]
    assert list(ordered.columns) == list(original.columns)
    assert shared["is_spike"].dtype == bool
    pd.testing.assert_frame_equal(out["weekly"], weekly_load(runs))
    for baseline in ("previous_week", "previous_4_weeks"):
        pd.testing.assert_frame_equal(
            out[f"spikes_{baseline}"], load_spikes(runs, baseline=baseline)
        )
    pd.testing.assert_frame_equal(out["runs"], single_run_spikes(runs))
    pd.testing.assert_frame_equal(out["acwr_rolling"], acwr(runs), rtol=1e-13)
    pd.testing.assert_frame_equal(out["acwr_ewma"], acwr(runs, method="ewma"), rtol=1e-13)


def test_argument_errors():
    runs = daily_log([1.0])
    with pytest.raises(ArgumentError, match="chronic must be longer than acute"):
        acwr(runs, acute=7, chronic=7)
    with pytest.raises(ArgumentError, match="Did you mean 'ewma'"):
        acwr(runs, method="ewm")
    with pytest.raises(ArgumentError, match="coupled must be True or False"):
        acwr(runs, coupled="yes")
    with pytest.raises(ArgumentError, match="block_days must be a positive integer"):
        acwr(runs, block_days=0)
    with pytest.raises(ArgumentError, match="'rpe' not found"):
        acwr(runs, load="rpe")


@pytest.mark.parametrize("dtype", ["category", "string", "string[pyarrow]"])
def test_runner_id_dtype_is_kept(dtype):
    runs = random_log(seed=15)
    base = compute_workload(runs)
    typed = compute_workload(runs.assign(runner_id=runs["runner_id"].astype(dtype)))
    if dtype == "string[pyarrow]":  # a fully Arrow-backed frame, as read_parquet(dtype_backend=)
        arrow = runs.convert_dtypes(dtype_backend="pyarrow")
        for name, frame in compute_workload(arrow).items():
            pd.testing.assert_frame_equal(
                frame.astype(base[name].dtypes.to_dict()), base[name], check_dtype=False
            )
    for name, frame in typed.items():
        assert frame["runner_id"].dtype == dtype
        plain = frame.assign(runner_id=frame["runner_id"].astype(object))
        pd.testing.assert_frame_equal(plain, base[name], check_dtype=False)


@pytest.mark.parametrize("ordered", [False, True])
def test_categorical_ids_are_sorted_by_value_not_category_order(ordered):
    runs = random_log(seed=16)
    categories = sorted(runs["runner_id"].unique(), reverse=True)
    typed = runs.assign(
        runner_id=pd.Categorical(runs["runner_id"], categories=categories, ordered=ordered)
    )
    base = compute_workload(runs)
    for name, frame in compute_workload(typed).items():
        plain = frame.assign(runner_id=frame["runner_id"].astype(object))
        pd.testing.assert_frame_equal(plain, base[name], check_dtype=False)


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_threads_do_not_change_the_result(threads):
    runs = random_log(seed=17)
    base = compute_workload(runs, threads=1, block_days=64)
    for name, frame in compute_workload(runs, threads=threads, block_days=64).items():
        pd.testing.assert_frame_equal(frame, base[name], check_exact=True)


def test_an_error_in_a_block_thread_is_raised_and_stops_the_rest():
    from types import SimpleNamespace

    from lbprun.workload._grid import for_each_block

    done = []

    def work(block):
        if block.r0 == 3:
            raise ValueError("block 3 failed")
        done.append(block.r0)

    parts = [SimpleNamespace(r0=i, r1=i + 1) for i in range(50)]
    with pytest.raises(ValueError, match="block 3 failed"):
        for_each_block(work, parts, threads=2)
    assert len(done) < 49  # the blocks not yet started were cancelled


def test_ewma_of_a_runner_does_not_depend_on_other_runners():
    rng = np.random.default_rng(11)
    days = pd.to_datetime("2024-01-01") + pd.to_timedelta(rng.integers(0, 400, 300), unit="D")
    log = pd.DataFrame(
        {
            "runner_id": np.where(np.arange(300) < 150, "a", "b"),
            "date": days,
            "distance_km": rng.gamma(2.0, 5.0, 300),
            "duration_min": 60.0,
        }
    )
    log.loc[log["runner_id"] == "b", "distance_km"] *= 1e-6  # tiny loads next to large ones
    together = acwr(log, method="ewma")
    alone = acwr(log[log["runner_id"] == "b"], method="ewma")
    pd.testing.assert_frame_equal(
        together[together["runner_id"] == "b"].reset_index(drop=True),
        alone.reset_index(drop=True),
        check_exact=True,
    )
