"""The cache of prepared grids: reused on an unchanged frame, never stale, never a leak."""

from __future__ import annotations

import gc
import warnings
import weakref
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.workload import CacheInfo, _cache, cache_info, clear_cache, set_cache_size
from lbprun.workload._fingerprint import fingerprint
from lbprun.workload.acwr import acwr, compute_workload
from lbprun.workload.monotony import training_monotony
from lbprun.workload.spikes import load_spikes, single_run_spikes
from lbprun.workload.weekly import weekly_load


@pytest.fixture(autouse=True)
def fresh_cache():
    previous = set_cache_size(4)
    clear_cache()
    yield
    set_cache_size(previous)
    clear_cache()


@contextmanager
def uncached():
    """Compute without the cache, leaving its entries in place."""
    saved = _cache._CACHE.maxsize
    _cache._CACHE.maxsize = 0
    try:
        yield
    finally:
        _cache._CACHE.maxsize = saved


CALLS = {
    "weekly": lambda runs: weekly_load(runs),
    "weekly_sunday": lambda runs: weekly_load(runs, week_start="sunday"),
    "spikes": lambda runs: load_spikes(runs),
    "spikes_4": lambda runs: load_spikes(runs, baseline="previous_4_weeks", week_start="friday"),
    "runs": lambda runs: single_run_spikes(runs, window_days=9, threads=1),
    "acwr": lambda runs: acwr(runs, acute=3, chronic=8, threads=1),
    "acwr_ewma": lambda runs: acwr(runs, method="ewma", load="duration_min", threads=1),
    "monotony": lambda runs: training_monotony(runs),
}


def same(result, expected):
    if isinstance(result, dict):
        assert sorted(result) == sorted(expected)
        for key in result:
            pd.testing.assert_frame_equal(result[key], expected[key], check_exact=True)
    else:
        pd.testing.assert_frame_equal(result, expected, check_exact=True)


def check(call, runs):
    """Run ``call`` through the cache and without it; the results are identical."""
    result = call(runs)
    with uncached():
        expected = call(runs)
    same(result, expected)
    return result


def make_log(n_runners=3, days=40, seed=0, ids="object"):
    rng = np.random.default_rng(seed)
    runner = rng.integers(0, n_runners, 5 * n_runners)
    day = rng.integers(0, days, runner.size)
    km = np.round(rng.uniform(2, 20, runner.size), 2)
    names = np.array([f"r{i}" for i in range(n_runners)], dtype=object)
    runs = pd.DataFrame(
        {
            "runner_id": names[runner],
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day, "D"),
            "distance_km": km,
            "duration_min": np.round(km * 6.0, 1),
        }
    )
    if ids == "str":
        runs["runner_id"] = runs["runner_id"].astype("string[pyarrow]")
    elif ids == "category":
        runs["runner_id"] = runs["runner_id"].astype("category")
    elif ids == "int":
        runs["runner_id"] = runner.astype(np.int64)
    return runs


# ----------------------------------------------------------------------------- reuse
@pytest.mark.parametrize("ids", ["object", "str", "category", "int"])
def test_separate_calls_on_one_frame_prepare_it_once(ids):
    runs = make_log(ids=ids)
    for call in CALLS.values():
        check(call, runs)
    info = cache_info()
    assert isinstance(info, CacheInfo)
    assert (info.misses, info.hits, info.currsize) == (1, len(CALLS) - 1, 1)


def test_compute_workload_reuses_a_cached_grid_but_keeps_none():
    runs = make_log()
    check(compute_workload, runs)
    assert cache_info()[:2] == (0, 1) and cache_info().currsize == 0
    check(CALLS["weekly"], runs)
    check(compute_workload, runs)
    assert cache_info()[:2] == (1, 2)


def test_value_columns_are_read_at_every_call():
    runs = make_log()
    before = check(CALLS["weekly"], runs)
    old = runs.loc[0, "distance_km"]
    runs.loc[0, "distance_km"] = 100.0
    after = check(CALLS["weekly"], runs)
    assert cache_info().hits == 1
    expected = before["distance_km"].sum() + 100.0 - old
    assert after["distance_km"].sum() == pytest.approx(expected, abs=1e-9)


# ----------------------------------------------------------------------------- never stale
def edit_runner(runs):
    runs.loc[runs.index[0], "runner_id"] = runs["runner_id"].iloc[-1]


def edit_runner_iloc(runs):
    runs.iloc[1, runs.columns.get_loc("runner_id")] = runs["runner_id"].iloc[0]


def edit_date(runs):
    runs.loc[runs.index[0], "date"] = pd.Timestamp("2024-03-30")


def edit_date_numpy(runs):
    # a raw write into the frame's buffer, as pandas < 3 allows (pandas 3 hands out read-only
    # views; a user who flips the flag writes into the frame all the same)
    values = runs["date"].to_numpy()
    if not values.flags.writeable:
        try:
            values.flags.writeable = True
        except ValueError:
            pytest.skip("this pandas does not expose the frame's buffer")
    values[0] = np.datetime64("2024-04-02", "ns")
    assert runs["date"].iloc[0] == pd.Timestamp("2024-04-02")


def append_row(runs):
    runs.loc[len(runs) + 100] = ["r0", pd.Timestamp("2024-05-01"), 7.0, 42.0]


def drop_in_place(runs, row):
    # ``inplace=True`` is deprecated from pandas 3.1 on, but users still shrink frames so
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        runs.drop(index=row, inplace=True)  # noqa: PD002 - the in-place edit under test


def drop_row(runs):
    drop_in_place(runs, runs.index[2])


def replace_runner_column(runs):
    runs["runner_id"] = runs["runner_id"].to_numpy()[::-1].copy()


def replace_date_column_same_values(runs):
    runs["date"] = runs["date"].copy()


def runner_as_category(runs):
    runs["runner_id"] = runs["runner_id"].astype("category")


def reorder_categories(runs):
    runs["runner_id"] = runs["runner_id"].astype("category")
    runs["runner_id"] = runs["runner_id"].cat.reorder_categories(
        runs["runner_id"].cat.categories[::-1]
    )


def dates_as_text(runs):
    runs["date"] = runs["date"].dt.strftime("%Y-%m-%d").astype(object)


EDITS = [
    edit_runner,
    edit_runner_iloc,
    edit_date,
    edit_date_numpy,
    append_row,
    drop_row,
    replace_runner_column,
    replace_date_column_same_values,
    runner_as_category,
    reorder_categories,
    dates_as_text,
]


@pytest.mark.parametrize("edit", EDITS, ids=[edit.__name__ for edit in EDITS])
@pytest.mark.parametrize("ids", ["object", "str"])
def test_an_edited_frame_never_meets_a_stale_grid(edit, ids):
    runs = make_log(ids=ids, seed=3)
    first = {name: check(call, runs) for name, call in CALLS.items()}
    edit(runs)
    for call in CALLS.values():
        check(call, runs)
    same_values = (replace_date_column_same_values, dates_as_text)
    same_ids = (runner_as_category, reorder_categories)
    if edit not in same_values + same_ids:
        assert not weekly_load(runs).equals(first["weekly"])
    if edit in same_values:
        same(weekly_load(runs), first["weekly"])


def test_a_new_frame_at_a_recycled_address_gets_its_own_grid():
    runs = make_log(seed=10)
    check(CALLS["weekly"], runs)
    for seed in range(11, 31):  # new frames often reuse the address of a collected one
        runs = runs.drop(index=runs.index[:1]).assign(
            date=lambda frame, s=seed: frame["date"] + pd.Timedelta(days=s)
        )
        gc.collect()
        check(CALLS["weekly"], runs)
    assert cache_info().hits == 0


def test_a_copy_with_other_values_gets_its_own_grid():
    runs = make_log(seed=4)
    check(CALLS["acwr"], runs)
    other = runs.copy()
    other["date"] = other["date"] + pd.Timedelta(days=1)
    result = check(CALLS["acwr"], other)
    assert result["date"].min() == runs["date"].min() + pd.Timedelta(days=1)
    assert cache_info().currsize == 2


def test_a_new_time_zone_moves_the_local_dates():
    start = pd.Series(pd.date_range("2024-01-01 23:30", periods=6, freq="36h", tz="UTC"))
    runs = pd.DataFrame(
        {"runner_id": "a", "start_time": start, "distance_km": 5.0, "duration_min": 30.0}
    )
    utc = check(CALLS["acwr"], runs)
    runs["start_time"] = runs["start_time"].dt.tz_convert("Asia/Tokyo")
    tokyo = check(CALLS["acwr"], runs)
    assert utc["date"].iloc[0] == pd.Timestamp("2024-01-01")
    assert tokyo["date"].iloc[0] == pd.Timestamp("2024-01-02")
    assert cache_info().hits == 0


def test_the_date_column_used_is_part_of_the_key():
    runs = make_log(seed=5)
    runs["start_time"] = (runs["date"] + pd.Timedelta(days=2)).dt.tz_localize("UTC")
    with_date = check(CALLS["weekly"], runs)
    del runs["date"]
    with_start = check(CALLS["weekly"], runs)
    assert (with_start["week_start"].max() - with_date["week_start"].max()).days in (0, 7)
    assert with_start["distance_km"].sum() == pytest.approx(with_date["distance_km"].sum())
    assert cache_info().hits == 0


def test_options_and_engines_do_not_share_stale_tables():
    runs = make_log(seed=6)
    monday = check(CALLS["weekly"], runs)
    sunday = check(CALLS["weekly_sunday"], runs)
    assert (monday["week_start"].dt.day_of_week == 0).all()
    assert (sunday["week_start"].dt.day_of_week == 6).all()
    with pytest.raises(ArgumentError, match="engine"):
        weekly_load(runs, engine="spark")


# ----------------------------------------------------------------------------- Hypothesis
ops = st.one_of(
    st.tuples(st.just("call"), st.sampled_from(sorted(CALLS))),
    st.tuples(st.just("runner"), st.integers(0, 30), st.sampled_from(["a", "b", "c", "d"])),
    st.tuples(st.just("date"), st.integers(0, 30), st.integers(0, 90)),
    st.tuples(st.just("km"), st.integers(0, 30), st.floats(0, 40, allow_nan=False)),
    st.tuples(st.just("append"), st.sampled_from(["a", "e"]), st.integers(0, 90)),
    st.tuples(st.just("drop"), st.integers(0, 30)),
    st.tuples(st.just("reverse_ids")),
)


def apply(runs, op):
    kind, *args = op
    if kind == "call":
        return check(CALLS[args[0]], runs)
    if kind in ("runner", "date", "km", "drop"):
        row = runs.index[args[0] % len(runs)]
        if kind == "drop":
            if len(runs) > 1:
                drop_in_place(runs, row)
        elif kind == "runner":
            runs.loc[row, "runner_id"] = args[1]
        elif kind == "date":
            runs.loc[row, "date"] = pd.Timestamp("2024-01-01") + pd.Timedelta(days=args[1])
        else:
            runs.loc[row, "distance_km"] = args[1]
    elif kind == "append":
        when = pd.Timestamp("2024-01-01") + pd.Timedelta(days=args[1])
        runs.loc[runs.index.max() + 1] = [args[0], when, 3.0, 18.0]
    else:
        runs["runner_id"] = runs["runner_id"].to_numpy()[::-1].copy()
    return None


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 90), st.floats(0, 30)),
        min_size=1,
        max_size=25,
    ),
    steps=st.lists(ops, min_size=1, max_size=12),
    text=st.sampled_from(["object", "str"]),
)
def test_any_sequence_of_calls_and_edits_matches_fresh_computation(rows, steps, text):
    clear_cache()
    runs = pd.DataFrame(
        {
            "runner_id": pd.array([r for r, _, _ in rows], dtype=object),
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta([d for _, d, _ in rows], "D"),
            "distance_km": [k for _, _, k in rows],
            "duration_min": [6.0 * k for _, _, k in rows],
        }
    )
    if text == "str":
        runs["runner_id"] = runs["runner_id"].astype("string[pyarrow]")
    for op in [*steps, ("call", "weekly"), ("call", "acwr")]:
        apply(runs, op)


# ----------------------------------------------------------------------------- memory
def test_the_cache_does_not_keep_frames_alive():
    runs = make_log(seed=7)
    weekly_load(runs)
    assert cache_info().currsize == 1
    alive = weakref.ref(runs)
    del runs
    gc.collect()
    assert alive() is None
    assert cache_info().currsize == 0


def test_at_most_maxsize_grids_least_recently_used_out():
    set_cache_size(2)
    frames = [make_log(seed=s) for s in range(3)]
    for runs in frames:
        weekly_load(runs)
    assert cache_info().currsize == 2
    weekly_load(frames[2])
    weekly_load(frames[0])
    assert cache_info()[:2] == (1, 4)


def test_size_zero_turns_the_cache_off_and_clear_empties_it():
    runs = make_log(seed=8)
    weekly_load(runs)
    clear_cache()
    assert cache_info() == CacheInfo(0, 0, 4, 0)
    assert set_cache_size(0) == 4
    check(CALLS["weekly"], runs)
    check(CALLS["weekly"], runs)
    assert cache_info() == CacheInfo(0, 0, 0, 0)
    with pytest.raises(ArgumentError, match="maxsize"):
        set_cache_size(-1)


def test_cached_arrays_are_read_only_and_results_are_independent():
    runs = make_log(seed=9)
    first = weekly_load(runs)
    second = weekly_load(runs)
    second.loc[0, "distance_km"] = -1.0
    assert first.loc[0, "distance_km"] != -1.0
    assert weekly_load(runs).loc[0, "distance_km"] == first.loc[0, "distance_km"]
    entry = next(iter(_cache._CACHE.entries.values()))
    assert not entry.template.code.flags.writeable
    assert entry.template.frame is None


@pytest.mark.parametrize("ids", ["object", "str"])
def test_tables_of_separate_calls_share_no_buffers(ids):
    runs = make_log(seed=12, ids=ids)
    rolling, ewma = acwr(runs), acwr(runs, method="ewma")
    weekly, spikes = weekly_load(runs), load_spikes(runs)
    assert not np.shares_memory(rolling["date"].to_numpy(), ewma["date"].to_numpy())
    assert not np.shares_memory(weekly["week_start"].to_numpy(), spikes["week_start"].to_numpy())
    expected_date, expected_id = ewma.loc[0, "date"], weekly.loc[0, "runner_id"]
    rolling.loc[0, "date"] = pd.Timestamp("1999-01-01")
    weekly.loc[0, "runner_id"] = "zz"
    weekly.loc[0, "week_start"] = pd.Timestamp("1999-01-04")
    assert ewma.loc[0, "date"] == expected_date
    assert spikes.loc[0, "runner_id"] == expected_id
    again = check(CALLS["acwr"], runs)
    assert again.loc[0, "date"] == expected_date
    assert check(CALLS["weekly"], runs).loc[0, "runner_id"] == expected_id
    assert cache_info().hits >= 5


def test_an_object_fingerprint_holds_the_values_it_compares():
    ids = pd.Series(["x" * 3, "y" * 3], dtype=object)
    taken = fingerprint(ids)
    assert taken.matches(ids)
    ids.iloc[0] = "".join(["x", "xx"])  # an equal value, another object: treated as changed
    assert not taken.matches(ids)
    assert list(taken.objects[0].values) == ["xxx", "yyy"]
    assert fingerprint(pd.Series(pd.arrays.SparseArray([1, 2]))) is None


# ----------------------------------------------------------------------------- threads
def test_concurrent_calls_on_shared_frames_equal_fresh_computation():
    frames = [
        make_log(n_runners=4, days=60, seed=s, ids=i) for s, i in enumerate(["object", "str"])
    ]
    names = sorted(CALLS)
    with uncached():
        expected = {(f, n): CALLS[n](frames[f]) for f in range(2) for n in names}
    jobs = [(f, n) for _ in range(4) for f in range(2) for n in names]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda job: CALLS[job[1]](frames[job[0]]), jobs))
    for job, result in zip(jobs, results, strict=True):
        same(result, expected[job])
    info = cache_info()
    assert info.currsize == 2 and info.hits + info.misses == len(jobs)
