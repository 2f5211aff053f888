"""The Dask engine gives the kernel's tables on every kind of input, without a full shuffle
when the log is sorted or partitioned by runner."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from workload_logs import assert_same

from lbprun.workload.acwr import compute_workload
from lbprun.workload.engines import run, run_workload

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from lbprun.workload import _dask_engine  # noqa: E402
from lbprun.workload._dask_parts import (  # noqa: E402
    bucket_part,
    chunk_part,
    run_part,
    runner_bucket,
    shuffled_part,
    write_runner_buckets,
)


def random_log(seed: int, n_runners: int = 9, days: int = 240) -> pd.DataFrame:
    """Seeded log in random row order: gaps, double runs, missing durations, a 0 km run."""
    rng = np.random.default_rng(seed)
    runner, day = np.nonzero(rng.random((n_runners, days)) < rng.uniform(0.2, 0.7, (n_runners, 1)))
    double = rng.random(runner.size) < 0.1
    runner = np.r_[runner, runner[double]]
    day = np.r_[day, day[double]]
    km = np.round(rng.gamma(3.0, 3.0, runner.size), 2)
    frame = pd.DataFrame(
        {
            "runner_id": np.array([f"r{r:02d}" for r in range(n_runners)])[runner],
            "date": pd.Timestamp("2024-01-03") + pd.to_timedelta(day, unit="D"),
            "distance_km": km,
            "duration_min": np.round(km * rng.uniform(4.5, 6.5, runner.size), 1),
            "shoe_id": np.array(["s0", "s1", "s2"])[rng.integers(0, 3, runner.size)],
        }
    )
    frame.loc[frame.sample(frac=0.02, random_state=seed).index, "duration_min"] = np.nan
    frame.loc[frame.index[5], "distance_km"] = 0.0
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return random_log(7)


@pytest.fixture(scope="module")
def expected(log) -> dict[str, pd.DataFrame]:
    return compute_workload(log)


@pytest.fixture(scope="module")
def client():
    """A real two-process LocalCluster for the whole module, closed afterwards."""
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


@pytest.fixture(scope="module")
def sorted_files(log, tmp_path_factory) -> list[str]:
    """The log sorted by runner in three files cut inside runners, row groups of 40 rows."""
    folder = tmp_path_factory.mktemp("sorted")
    ordered = log.sort_values("runner_id", kind="stable").reset_index(drop=True)
    cuts = [0, len(ordered) // 3 + 7, 2 * len(ordered) // 3 + 11, len(ordered)]
    files = []
    for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
        path = folder / f"log-{i}.parquet"
        ordered.iloc[a:b].to_parquet(path, index=False, row_group_size=40)
        files.append(str(path))
    return files


@pytest.fixture(scope="module")
def unsorted_file(log, tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("unsorted") / "log.parquet"
    log.to_parquet(path, index=False, row_group_size=100)
    return str(path)


def assert_workload(expected: dict[str, pd.DataFrame], got: dict[str, pd.DataFrame]) -> None:
    assert sorted(got) == sorted(expected)
    for key, table in expected.items():
        assert_same(table, got[key])


def read_back(folder, expected: pd.DataFrame) -> pd.DataFrame:
    """A folder of Parquet parts as one table with the kernel's dtypes, by runner (stably)."""
    got = pd.read_parquet(folder)[list(expected.columns)]
    got = got.astype({c: t for c, t in expected.dtypes.items() if got[c].dtype != t})
    return got.sort_values("runner_id", kind="stable").reset_index(drop=True)


def test_sorted_parquet_is_cut_into_chunks_without_a_shuffle(sorted_files, expected, client):
    function, chunks, _, ordered = _dask_engine._plan(sorted_files, 4, client)
    assert function is chunk_part and ordered
    assert 4 <= len(chunks) <= 9  # whole runners of about a quarter of the rows each
    # runners straddle row groups and files: some chunk reads from two files
    assert max(len(chunk.pieces) for chunk in chunks) == 2
    assert sum(chunk.rows for chunk in chunks) == len(expected["runs"])
    assert_workload(expected, run_workload(sorted_files, engine="dask", client=client))
    got = run_workload(sorted_files, engine="dask", client=client, npartitions=50)
    assert_workload(expected, got)


def test_sorted_parquet_writes_parts_from_the_workers(sorted_files, expected, client, tmp_path):
    paths = run_workload(sorted_files, engine="dask", client=client, out=tmp_path, npartitions=3)
    assert paths == {key: tmp_path / key for key in expected}
    n = len(_dask_engine._plan(sorted_files, 3, client)[1])
    parts = sorted(p.name for p in (tmp_path / "weekly").iterdir())
    assert parts == [f"part-{i:05d}.parquet" for i in range(n)]
    for key, table in expected.items():
        assert_same(table, read_back(paths[key], table))
    # one table: its parts straight under ``out``; earlier parts are replaced
    target = run("acwr", sorted_files, engine="dask", client=client, out=tmp_path / "weekly")
    assert target == tmp_path / "weekly"
    n = len(_dask_engine._plan(sorted_files, None, client)[1])
    assert len(list(target.glob("part-*.parquet"))) == n
    assert_same(expected["acwr_rolling"], read_back(target, expected["acwr_rolling"]))


def test_unsorted_parquet_goes_through_the_p2p_shuffle(unsorted_file, log, expected, client):
    function, parts, _, ordered = _dask_engine._plan(unsorted_file, 3, client)
    assert function is shuffled_part and not ordered and len(parts) == 3
    graph = dict(parts[0].__dask_graph__())
    assert any("p2p" in str(key) for key in graph)
    assert_workload(expected, run_workload(unsorted_file, engine="dask", client=client))


def test_unsorted_parquet_out_folder(unsorted_file, expected, client, tmp_path):
    paths = run_workload(unsorted_file, engine="dask", client=client, out=tmp_path, npartitions=4)
    for key, table in expected.items():
        assert_same(table, read_back(paths[key], table))


@pytest.mark.filterwarnings("ignore:Running on a single-machine scheduler:UserWarning")
def test_local_scheduler_uses_the_task_shuffle(unsorted_file, expected, monkeypatch):
    monkeypatch.setattr(_dask_engine, "_current_client", lambda: None)
    with dask.config.set(scheduler="threads"):
        got = run_workload(unsorted_file, engine="dask", npartitions=2)
        assert_workload(expected, got)
        for table in expected.values():
            assert not any(table[c].dtype == object for c in ("distance_km", "date") if c in table)


def test_hive_buckets_are_one_task_each(unsorted_file, log, expected, client, tmp_path):
    written = write_runner_buckets([unsorted_file], tmp_path / "hive", buckets=4, read_rows=150)
    assert 1 <= len(written) <= 4
    for path in written:
        # every runner sits in a single bucket, the one its id hashes to
        runners = pd.read_parquet(path)["runner_id"]
        assert len(set(runner_bucket(runners, 4).tolist())) == 1
    assert sum(len(pd.read_parquet(p)) for p in written) == len(log)
    function, buckets, _, ordered = _dask_engine._plan(tmp_path / "hive", None, client)
    assert function is bucket_part and not ordered and len(buckets) == len(written)
    assert_workload(expected, run_workload(tmp_path / "hive", engine="dask", client=client))


def test_csv_goes_through_the_shuffle(log, client, tmp_path):
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    expected = compute_workload(pd.read_csv(path))
    assert_workload(expected, run_workload(path, engine="dask", client=client, npartitions=3))


def test_dataframe_slices_hold_whole_runners_in_kernel_order(log, expected, client):
    function, slices, _, ordered = _dask_engine._plan(log, 4, client)
    assert function is run_part and ordered
    firsts = [s["runner_id"].iloc[0] for s in slices]
    assert firsts == sorted(firsts)
    assert not set(slices[0]["runner_id"]) & set(slices[1]["runner_id"])
    assert sum(len(s) for s in slices) == len(log)
    assert_workload(expected, run_workload(log, engine="dask", client=client, npartitions=4))


def test_dataframe_out_folder_for_one_table(log, expected, client, tmp_path):
    target = run("single_run_spikes", log, engine="dask", client=client, out=tmp_path / "runs")
    assert_same(expected["runs"], read_back(target, expected["runs"]))


@pytest.mark.filterwarnings("ignore:Running on a single-machine scheduler:UserWarning")
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    days=st.lists(st.integers(0, 90), min_size=1, max_size=30),
    km=st.lists(st.integers(0, 4000).map(lambda c: c / 100), min_size=30, max_size=30),
    runners=st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=30, max_size=30),
    npartitions=st.integers(1, 5),
)
def test_dask_matches_kernel_on_any_log(days, km, runners, npartitions, monkeypatch):
    monkeypatch.setattr(_dask_engine, "_current_client", lambda: None)
    runs = pd.DataFrame(
        {
            "runner_id": runners[: len(days)],
            "date": pd.Timestamp("2024-02-26") + pd.to_timedelta(days, unit="D"),
            "distance_km": km[: len(days)],
            "duration_min": np.asarray(km[: len(days)]) * 6.0,
        }
    )
    with dask.config.set(scheduler="threads"):
        got = run_workload(runs, engine="dask", npartitions=npartitions)
    assert_workload(compute_workload(runs), got)


def test_command_line_runs_on_an_existing_scheduler(log, sorted_files, client, tmp_path, capsys):
    from lbprun.cli import main
    from lbprun.workload.acwr import acwr

    address = client.scheduler.address
    out = tmp_path / "acwr.parquet"
    argv = ["workload", sorted_files[0], "--out", str(out), "--what", "acwr", "--engine", "dask"]
    assert main([*argv, "--scheduler", address, "--method", "ewma"]) == 0
    assert "dask, out of core" in capsys.readouterr().out
    expected = acwr(pd.read_parquet(sorted_files[0]), method="ewma")
    got = pd.read_parquet(out).sort_values(["runner_id", "date"], kind="stable")
    assert_same(expected.astype({"runner_id": str}), got.astype({"runner_id": str}))
    assert client.status == "running"  # the command closed its own connection only
    assert main([*argv[:-2], "--scheduler", address]) == 2  # --scheduler needs --engine dask


def test_default_tasks_are_capped_in_runs_so_worker_memory_is_set_by_the_task(
    sorted_files, unsorted_file, log, expected, client, monkeypatch
):
    threads = sum(client.nthreads().values())
    assert _dask_engine._default_tasks(sorted_files, client) == 3 * threads  # a small log
    smallest_runner = int(log["runner_id"].value_counts().min())
    monkeypatch.setattr(_dask_engine, "TASK_ROWS", smallest_runner - 1)
    n_tasks = -(-len(log) // (smallest_runner - 1))
    assert _dask_engine._default_tasks(sorted_files, client) == n_tasks
    assert _dask_engine._default_tasks(log, client) == n_tasks
    _, chunks, _, _ = _dask_engine._plan(sorted_files, None, client)
    assert len(chunks) == log["runner_id"].nunique()  # every runner is over the cap: one a task
    assert_workload(expected, run_workload(sorted_files, engine="dask", client=client))
    assert_workload(expected, run_workload(unsorted_file, engine="dask", client=client))
