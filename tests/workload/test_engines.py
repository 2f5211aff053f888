"""The DuckDB and Dask engines give the pandas kernel's tables, on every kind of input."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workload_logs import assert_same

from lbprun._checks import ArgumentError
from lbprun.workload.acwr import acwr, compute_workload
from lbprun.workload.engines import CATEGORICAL_COLUMNS, run, run_workload
from lbprun.workload.spikes import load_spikes, single_run_spikes
from lbprun.workload.weekly import weekly_load

pytest.importorskip("duckdb")
pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")


FUNCTIONS = {
    "weekly_load": weekly_load,
    "load_spikes": load_spikes,
    "single_run_spikes": single_run_spikes,
    "acwr": acwr,
}

CASES = [
    ("weekly_load", {}),
    ("weekly_load", {"week_start": "Sunday"}),
    ("load_spikes", {}),
    ("load_spikes", {"baseline": "previous_4_weeks", "thresholds": (5, 20, 50)}),
    ("single_run_spikes", {}),
    ("single_run_spikes", {"window_days": 9}),
    ("acwr", {}),
    ("acwr", {"coupled": True, "acute": 5, "chronic": 21}),
    ("acwr", {"method": "ewma"}),
    ("acwr", {"method": "ewma", "acute": 1, "chronic": 9, "load": "duration_min"}),
]


def random_log(seed: int, n_runners: int = 12, days: int = 400) -> pd.DataFrame:
    """Seeded log with gaps, double runs, a 0 km run, missing durations and unsorted rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n_runners):
        p = rng.uniform(0.15, 0.8)
        ran = rng.random(days) < p
        gap = rng.integers(0, days)
        ran[gap : gap + rng.integers(0, 90)] = False
        for day in np.flatnonzero(ran):
            for _ in range(1 + int(rng.random() < 0.1)):
                rows.append((f"r{r:02d}", int(day), round(float(rng.gamma(3.0, 3.0)), 2)))
    frame = pd.DataFrame(rows, columns=["runner_id", "day", "distance_km"])
    frame["date"] = pd.Timestamp("2024-01-03") + pd.to_timedelta(frame.pop("day"), unit="D")
    frame["duration_min"] = (frame["distance_km"] * rng.uniform(4.5, 6.5, len(frame))).round(1)
    frame.loc[frame.sample(frac=0.02, random_state=seed).index, "duration_min"] = np.nan
    frame.loc[frame.index[5], "distance_km"] = 0.0
    frame["shoe_id"] = "s" + (frame.index % 3).astype(str)
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return random_log(11)


@pytest.fixture(scope="module")
def reference_log(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "runner_activities.csv", parse_dates=["date"])


@pytest.fixture(scope="module")
def client():
    """A real two-worker LocalCluster for the whole module, closed afterwards."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    )
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


EDGE = pd.DataFrame(
    {
        "runner_id": ["gap", "gap", "gap", "single", "double", "double", "double"],
        "date": pd.to_datetime(
            [
                "2024-01-01",
                "2024-01-02",
                "2024-03-20",
                "2024-02-07",
                "2024-01-10",
                "2024-01-10",
                "2024-01-12",
            ]
        ),
        "distance_km": [10.0, 5.0, 8.0, 12.0, 6.0, 4.0, 11.0],
        "duration_min": [60.0, 30.0, 50.0, 70.0, 35.0, 25.0, 66.0],
    }
)


@pytest.mark.parametrize("engine", ["duckdb", "dask"])
@pytest.mark.parametrize(("name", "options"), CASES)
def test_engine_matches_kernel_on_random_log(engine, name, options, log, client):
    expected = FUNCTIONS[name](log, **options)
    got = run(name, log, engine=engine, **options)
    assert_same(expected, got)


@pytest.mark.parametrize("engine", ["duckdb", "dask"])
@pytest.mark.parametrize(("name", "options"), CASES[::2])
def test_engine_matches_kernel_on_edge_cases(engine, name, options, client):
    expected = FUNCTIONS[name](EDGE, **options)
    assert_same(expected, run(name, EDGE, engine=engine, **options))


def test_duckdb_edge_cases_by_hand():
    weekly = run("weekly_load", EDGE, engine="duckdb")
    gap = weekly[weekly["runner_id"] == "gap"]
    # Weeks of 2024-01-01 .. 2024-03-18: 12 weeks, 10 of them empty rows of zeros.
    assert len(gap) == 12
    assert gap["distance_km"].tolist() == [15.0] + [0.0] * 10 + [8.0]
    assert gap["change_pct"].iloc[1] == -100.0
    assert gap["change_pct"].iloc[2:].isna().all()
    single = weekly[weekly["runner_id"] == "single"]
    assert single[["distance_km", "n_runs", "longest_run_km"]].values.tolist() == [[12.0, 1, 12.0]]
    assert np.isnan(single["change_pct"].iloc[0])
    daily = run("acwr", EDGE, engine="duckdb")
    double = daily[daily["runner_id"] == "double"]
    assert double["load"].tolist() == [10.0, 0.0, 11.0]  # two runs a day are summed
    assert double["acwr"].isna().all()  # grid shorter than the chronic window
    runs = run("single_run_spikes", EDGE, engine="duckdb")
    both = runs[runs["runner_id"] == "double"]
    # The other run of the same day is not in the look-back window; ties keep input order.
    assert both["longest_prev_30d_km"].iloc[:2].isna().all()
    assert both["longest_prev_30d_km"].iloc[2] == 6.0
    assert both["distance_km"].tolist() == [6.0, 4.0, 11.0]
    assert both["is_spike"].tolist() == [False, False, True]


@pytest.mark.parametrize("engine", ["duckdb", "dask"])
def test_run_workload_matches_compute_workload_on_reference(engine, reference_log, client):
    expected = compute_workload(reference_log)
    got = run_workload(reference_log, engine=engine)
    assert set(got) == set(expected)
    for key, table in expected.items():
        assert_same(table, got[key])


def test_dask_with_explicit_client_and_partitions(log, client):
    expected = compute_workload(log)
    for npartitions in (1, 5):
        got = run_workload(log, engine="dask", client=client, npartitions=npartitions)
        for key, table in expected.items():
            assert_same(table, got[key])


def test_ewma_across_epochs_matches_recursion():
    # Spans 2 and 3 cut a 1,500-day grid into epochs of 419 and 664 days, and the gap of
    # 700 days empties whole epochs.
    days = np.r_[np.arange(0, 500, 2), np.arange(1200, 1500)]
    runs = pd.DataFrame(
        {
            "runner_id": "long",
            "date": pd.Timestamp("2020-01-01") + pd.to_timedelta(days, unit="D"),
            "distance_km": 5.0 + (days % 7),
        }
    )
    got = run("acwr", runs, engine="duckdb", method="ewma", acute=2, chronic=3)
    # Straight recursion, independent of both implementations.
    load = got["load"].to_numpy()
    for column, span in (("acute_load", 2), ("chronic_load", 3)):
        lam = 2 / (span + 1)
        value = np.empty_like(load)
        value[0] = load[0]
        for t in range(1, len(load)):
            value[t] = lam * load[t] + (1 - lam) * value[t - 1]
        np.testing.assert_allclose(got[column].to_numpy()[2:], value[2:], rtol=1e-12, atol=0)
    # The kernel agrees wherever its loads are not rounding residue (its carry-over
    # correction is exact to about 1e-19 absolute, so loads decayed below that differ).
    expected = acwr(runs, method="ewma", acute=2, chronic=3)
    kept = ~(expected["chronic_load"].abs() < 1e-12).to_numpy()
    assert kept.sum() > 800
    assert_same(expected[kept], got[kept])


@pytest.mark.parametrize("suffix", ["parquet", "csv"])
def test_duckdb_reads_files_and_writes_parquet(suffix, log, tmp_path):
    ordered = log.sort_values(["runner_id", "date"], kind="stable").reset_index(drop=True)
    path = tmp_path / f"runs.{suffix}"
    if suffix == "parquet":
        ordered.to_parquet(path, index=False)
    else:
        ordered.to_csv(path, index=False)
    for name, options in CASES[::3]:
        expected = FUNCTIONS[name](ordered, **options)
        target = tmp_path / f"{name}.parquet"
        written = run(
            name,
            str(path),
            engine="duckdb",
            out=target,
            memory_limit="200MB",
            temp_directory=tmp_path / "spill",
            threads=1,
            **options,
        )
        assert written == target
        got = pd.read_parquet(target)[list(expected.columns)]
        for column in ("date", "week_start"):
            if column in got:
                got[column] = got[column].astype("datetime64[ns]")
        if "progression_class" in got:
            got["progression_class"] = pd.Categorical(
                got["progression_class"],
                categories=expected["progression_class"].cat.categories,
                ordered=True,
            )
        if name == "single_run_spikes":
            got["shoe_id"] = got["shoe_id"].astype(object)
            expected = expected.assign(date=expected["date"].astype("datetime64[ns]"))
        assert_same(expected, got)


def test_file_sources_match_in_memory(log, tmp_path, client):
    folder = tmp_path / "parts"
    folder.mkdir()
    ordered = log.sort_values(["runner_id", "date"], kind="stable").reset_index(drop=True)
    half = len(ordered) // 2
    ordered.iloc[:half].to_parquet(folder / "a.parquet", index=False)
    ordered.iloc[half:].to_parquet(folder / "b.parquet", index=False)
    expected = acwr(ordered, method="ewma")
    assert_same(expected, run("acwr", folder, engine="duckdb", method="ewma"))
    assert_same(expected, run("acwr", folder, engine="dask", method="ewma"))
    runs = single_run_spikes(ordered)
    assert_same(runs, run("single_run_spikes", str(folder / "*.parquet"), engine="dask"))
    from_files = run("single_run_spikes", folder, engine="pandas")
    assert isinstance(from_files["runner_id"].dtype, pd.CategoricalDtype)
    assert_same(runs, as_text(from_files))


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its text columns read as categoricals back as object."""
    categorical = [c for c in CATEGORICAL_COLUMNS if c in frame]
    return frame.astype({column: str for column in categorical})


def test_pandas_engine_reads_parquet_ids_as_categories(log, tmp_path):
    """One kernel pass over a Parquet file: the same tables, runner ids as categoricals."""
    path = tmp_path / "log.parquet"
    log.to_parquet(path, index=False)
    expected = compute_workload(log)
    got = run_workload(path, engine="pandas", threads=2)
    assert sorted(got) == sorted(expected)
    for key, table in got.items():
        assert isinstance(table["runner_id"].dtype, pd.CategoricalDtype), key
        assert_same(expected[key], as_text(table))


def test_run_workload_writes_one_parquet_per_table(log, tmp_path):
    paths = run_workload(log, engine="duckdb", out=tmp_path / "out")
    assert sorted(p.name for p in paths.values()) == sorted(
        f"{key}.parquet" for key in compute_workload(log.head(3))
    )
    expected = compute_workload(log)["acwr_rolling"]
    got = pd.read_parquet(paths["acwr_rolling"])
    got["date"] = got["date"].astype("datetime64[ns]")
    assert_same(expected, got)


def test_dask_writes_parquet_folder(log, tmp_path, client):
    target = run("weekly_load", log, engine="dask", out=tmp_path / "weekly")
    got = pd.read_parquet(target).reset_index(drop=True)
    assert_same(weekly_load(log), got)


def test_kernel_dispatch_reaches_the_engines(log, client):
    for engine in ("duckdb", "dask"):
        assert_same(acwr(log), acwr(log, engine=engine))
        assert_same(load_spikes(log), load_spikes(log, engine=engine))


def test_non_string_runner_ids_keep_their_dtype_and_order(log, client):
    numbered = log.assign(runner_id=log["runner_id"].str[1:].astype(int) * 7)
    expected = weekly_load(numbered)
    for engine in ("duckdb", "dask"):
        got = run("weekly_load", numbered, engine=engine)
        assert got["runner_id"].dtype == expected["runner_id"].dtype
        assert_same(expected, got)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.lists(st.integers(0, 120), min_size=1, max_size=40),
    km=st.lists(st.integers(0, 6000).map(lambda c: c / 100), min_size=40, max_size=40),
    runners=st.lists(st.sampled_from(["a", "b", "c"]), min_size=40, max_size=40),
)
def test_duckdb_matches_kernel_on_any_log(days, km, runners):
    runs = pd.DataFrame(
        {
            "runner_id": runners[: len(days)],
            "date": pd.Timestamp("2024-02-26") + pd.to_timedelta(days, unit="D"),
            "distance_km": km[: len(days)],
            "duration_min": np.asarray(km[: len(days)]) * 6.0,
        }
    )
    expected = compute_workload(runs)
    # The EWMA is compared runner by runner: on a shared grid the kernel's carry-over
    # correction can leave ~1e-17 where a runner's exact chronic load is 0 (see the test below).
    expected["acwr_ewma"] = pd.concat(
        [acwr(group, method="ewma") for _, group in runs.groupby("runner_id")],
        ignore_index=True,
    )
    got = run_workload(runs, engine="duckdb")
    for key, table in expected.items():
        assert_same(table, got[key])


def test_ewma_of_an_all_zero_runner_is_exactly_zero():
    # Contract: acwr is NaN where chronic_load == 0; a runner's EWMA depends on its runs only.
    runs = pd.DataFrame(
        {
            "runner_id": ["a", "b", "b"],
            "date": pd.to_datetime(["2024-02-26", "2024-02-26", "2024-03-31"]),
            "distance_km": [1.0, 0.0, 0.0],
        }
    )
    got = run("acwr", runs, engine="duckdb", method="ewma")
    zero = got[got["runner_id"] == "b"]
    assert (zero["load"] == 0.0).all()
    assert (zero["chronic_load"].dropna() == 0.0).all()
    assert zero["acwr"].isna().all()
    alone = run("acwr", runs[runs["runner_id"] == "b"], engine="duckdb", method="ewma")
    assert_same(alone, zero)


def test_unknown_engine_suggests_the_closest(log):
    with pytest.raises(ArgumentError, match="Did you mean 'duckdb'"):
        run("acwr", log, engine="duckbd")
    with pytest.raises(ArgumentError, match="Did you mean 'dask'"):
        weekly_load(log, engine="dsak")


def test_unknown_function_or_option_suggests_the_closest(log):
    with pytest.raises(ArgumentError, match="Did you mean 'acwr'"):
        run("acrw", log)
    with pytest.raises(ArgumentError, match="Did you mean 'acute'"):
        run("acwr", log, acut=7)
    with pytest.raises(ArgumentError, match="chronic must be longer than acute"):
        run("acwr", log, acute=28, chronic=7)
    with pytest.raises(ArgumentError, match="memory_limit must be None with engine='dask'"):
        run("acwr", log, engine="dask", memory_limit="1GB")
    with pytest.raises(ArgumentError, match="activities must be"):
        run("acwr", 42)
    with pytest.raises(ArgumentError, match="Parquet/CSV"):
        run("acwr", "runs.xlsx")


@pytest.mark.parametrize(("engine", "module"), [("duckdb", "duckdb"), ("dask", "distributed")])
def test_missing_extra_names_the_install_command(engine, module, log, monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ArgumentError, match=r"lbprun\[scale\]") as info:
        run("weekly_load", log, engine=engine)
    assert repr(module) in str(info.value)
    with pytest.raises(ArgumentError, match=r"lbprun\[scale\]"):
        weekly_load(log, engine=engine)


def test_duckdb_connection_spills_to_the_given_folder(tmp_path):
    from lbprun.workload._duckdb_engine import connect

    with connect(memory_limit="123MB", temp_directory=tmp_path / "spill", threads=1) as con:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        folder = con.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
    assert limit.replace(" ", "").upper().startswith(("117", "123"))
    assert folder == str(tmp_path / "spill")
    assert int(threads) == 1


def test_local_date_of_tz_aware_start_times(client):
    # Around the end of daylight saving in Rome: weeks follow the local calendar date.
    start = pd.to_datetime(
        ["2024-10-26 23:30", "2024-10-27 00:30", "2024-10-27 23:45", "2024-10-28 06:00"]
    ).tz_localize("Europe/Rome")
    runs = pd.DataFrame(
        {
            "runner_id": "a",
            "start_time": start,
            "distance_km": [5.0, 6.0, 7.0, 8.0],
            "duration_min": [30.0, 36.0, 42.0, 48.0],
        }
    )
    expected = weekly_load(runs)
    assert expected["distance_km"].tolist() == [18.0, 8.0]
    for engine in ("duckdb", "dask"):
        assert_same(expected, run("weekly_load", runs, engine=engine))
        assert_same(acwr(runs), run("acwr", runs, engine=engine))


def test_duckdb_spike_after_a_zero_km_longest_run_is_infinite_as_in_the_kernel():
    # DuckDB 1.0 divides by zero to NULL, later releases to +inf: the engine says which.
    runs = pd.DataFrame(
        {
            "runner_id": ["a", "a", "a"],
            "date": pd.to_datetime(["2024-02-26", "2024-02-27", "2024-02-28"]),
            "distance_km": [0.0, 0.01, 0.0],
            "duration_min": [0.0, 0.06, 0.0],
        }
    )
    expected = compute_workload(runs)["runs"]
    got = run_workload(runs, engine="duckdb")["runs"]
    assert np.isinf(expected["spike_pct"].iloc[1])
    assert_same(expected, got)
