"""The streaming engine and its runner-complete chunks equal the in-memory kernel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.workload._chunks import (
    partition_by_runner,
    plan_chunks,
    read_chunk,
    runner_layout,
)
from lbprun.workload._stream_engine import stream_outputs
from lbprun.workload.engines import _check_options
from lbprun.workload.kernel import WORKLOAD_JOBS, kernel_tables

JOBS = {key: (name, _check_options(name, options)) for key, name, options in WORKLOAD_JOBS}


def make_log(n_runners: int, seed: int, *, max_runs: int = 40, ids: str = "text") -> pd.DataFrame:
    """Runs of ``n_runners`` runners over a year, sorted by runner id then date."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, max_runs, n_runners)
    runner = np.repeat(np.arange(n_runners), counts)
    days = rng.integers(0, 365, len(runner))
    frame = pd.DataFrame(
        {
            "runner_id": [f"r{i:04d}" for i in runner] if ids == "text" else runner * 7 + 3,
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(days, unit="D"),
            "distance_km": rng.gamma(2.0, 4.0, len(runner)).round(2),
            "duration_min": rng.gamma(2.0, 25.0, len(runner)).round(1),
        }
    )
    frame.loc[rng.random(len(frame)) < 0.03, "distance_km"] = 0.0
    return frame.sort_values(["runner_id", "date"], kind="stable").reset_index(drop=True)


def assert_tables_equal(expected: dict, got: dict, *, from_files: bool = False) -> None:
    """Same keys, columns, rows in the same order; floats to 1e-9, everything else exactly."""
    assert set(expected) == set(got)
    for key, table in expected.items():
        other = pd.read_parquet(got[key]) if from_files else got[key]
        assert list(other.columns) == list(table.columns), key
        assert len(other) == len(table), key
        for column in table.columns:
            a, b = table[column].reset_index(drop=True), other[column].reset_index(drop=True)
            if a.dtype.kind == "f":
                np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=1e-9, atol=1e-9)
            else:
                pd.testing.assert_series_equal(
                    b.astype(object), a.astype(object), check_dtype=False, check_names=False
                )


def write_parts(frame: pd.DataFrame, folder, n_files: int, row_group_size: int) -> list[str]:
    """Write ``frame`` as ``n_files`` Parquet files of consecutive rows."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, part in enumerate(np.array_split(np.arange(len(frame)), n_files)):
        path = folder / f"part-{i:03d}.parquet"
        frame.iloc[part].to_parquet(path, index=False, row_group_size=row_group_size)
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def log() -> pd.DataFrame:
    return make_log(60, seed=11)


@pytest.mark.parametrize("batch_rows", [1, 37, 500, 10**9])
def test_sorted_files_stream_to_the_kernels_tables(log, tmp_path, batch_rows):
    # row groups of 13 rows in 3 files: runners straddle row groups and files
    files = write_parts(log, tmp_path / "log", 3, 13)
    expected = kernel_tables(pd.read_parquet(tmp_path / "log"), JOBS)
    got = stream_outputs(files, JOBS, batch_rows=batch_rows)
    assert_tables_equal(expected, got)
    written = stream_outputs(tmp_path / "log", JOBS, out=tmp_path / "out", batch_rows=batch_rows)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{key}.parquet" for key in JOBS
    )
    assert_tables_equal(expected, written, from_files=True)


def test_unsorted_log_is_partitioned_then_streamed(log, tmp_path):
    shuffled = log.sample(frac=1, random_state=3).reset_index(drop=True)
    files = write_parts(shuffled, tmp_path / "log", 2, 50)
    expected = kernel_tables(shuffled, JOBS)
    scratch = tmp_path / "scratch"
    got = stream_outputs(files, JOBS, batch_rows=100, temp_directory=scratch)
    assert_tables_equal(expected, got)
    assert list(scratch.iterdir()) == []  # the partitioned copy is removed


def test_integer_ids_and_one_table(tmp_path):
    frame = make_log(25, seed=4, ids="int")
    frame.to_parquet(tmp_path / "log.parquet", row_group_size=17)
    jobs = {"acwr": ("acwr", _check_options("acwr", {"method": "ewma", "coupled": True}))}
    expected = kernel_tables(frame, jobs)
    target = stream_outputs(
        tmp_path / "log.parquet", jobs, out=tmp_path / "acwr.parquet", batch_rows=40
    )["acwr"]
    assert target == tmp_path / "acwr.parquet"
    assert_tables_equal(expected, {"acwr": target}, from_files=True)


def test_csv_log_streams_through_parquet(log, tmp_path):
    log.to_csv(tmp_path / "log.csv", index=False)
    expected = kernel_tables(pd.read_csv(tmp_path / "log.csv"), JOBS)
    got = stream_outputs(tmp_path / "log.csv", JOBS, batch_rows=200)
    for key in JOBS:  # CSV ids are text in both; the run dates as each reader typed them
        for table in (got[key], expected[key]):
            table["runner_id"] = table["runner_id"].astype(str)
            if "date" in table:
                table["date"] = pd.to_datetime(table["date"])
    assert_tables_equal(expected, got)


def test_a_dataframe_source_is_one_batch(log):
    assert_tables_equal(kernel_tables(log, JOBS), stream_outputs(log, JOBS))


def test_empty_log_gives_empty_tables_with_the_kernels_columns(log, tmp_path):
    log.iloc[:0].to_parquet(tmp_path / "empty.parquet")
    got = stream_outputs(tmp_path / "empty.parquet", JOBS, out=tmp_path / "out")
    expected = kernel_tables(make_log(2, seed=1), JOBS)
    for key, path in got.items():
        table = pd.read_parquet(path)
        assert len(table) == 0
        assert list(table.columns) == list(expected[key].columns)


def test_missing_runner_id_names_file_and_row(log, tmp_path):
    broken = log.copy()
    broken["runner_id"] = broken["runner_id"].astype(object)
    broken.loc[5, "runner_id"] = None
    broken.to_parquet(tmp_path / "log.parquet", row_group_size=4)
    with pytest.raises(ArgumentError, match=r"log\.parquet: row 6, column 'runner_id'"):
        stream_outputs(tmp_path / "log.parquet", JOBS)


def test_files_without_runner_id_or_of_mixed_formats_are_refused(log, tmp_path):
    log.drop(columns="runner_id").to_parquet(tmp_path / "a.parquet")
    with pytest.raises(ArgumentError, match="no 'runner_id' column"):
        stream_outputs(tmp_path / "a.parquet", JOBS)
    log.to_csv(tmp_path / "b.csv", index=False)
    log.to_parquet(tmp_path / "c.parquet")
    with pytest.raises(ArgumentError, match="not both"):
        stream_outputs([tmp_path / "b.csv", tmp_path / "c.parquet"], JOBS)
    with pytest.raises(ArgumentError, match="no such file"):
        stream_outputs(tmp_path / "nothing.parquet", JOBS)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    counts=st.lists(st.integers(1, 30), min_size=1, max_size=12),
    batch_rows=st.integers(1, 120),
    group=st.integers(1, 40),
    shuffle=st.booleans(),
)
def test_chunks_are_runner_complete_and_bounded(
    tmp_path_factory, counts, batch_rows, group, shuffle
):
    ids = np.repeat([f"r{i:02d}" for i in range(len(counts))], counts)
    frame = pd.DataFrame({"runner_id": ids, "row": np.arange(len(ids))})
    if shuffle:
        frame = frame.sample(frac=1, random_state=len(ids)).reset_index(drop=True)
    folder = tmp_path_factory.mktemp("chunks")
    frame.to_parquet(folder / "log.parquet", row_group_size=group)
    layout = runner_layout([folder / "log.parquet"])
    assert layout.rows == len(frame) and layout.runners == len(counts)
    # a shuffled log may still happen to be sorted (one runner, or luck)
    contiguous = frame["runner_id"].is_monotonic_increasing
    assert layout.sorted == contiguous
    if layout.sorted:
        chunks = [read_chunk(c) for c in plan_chunks(layout, batch_rows)]
    else:
        assert layout.counts.tolist() == frame["runner_id"].value_counts().sort_index().tolist()
        parts = partition_by_runner(layout, folder / "parts", batch_rows=batch_rows, read_rows=7)
        chunks = [pd.read_parquet(p) for p in parts]
    seen: list[str] = []
    for chunk in chunks:
        runners = chunk["runner_id"].astype(str).unique().tolist()
        assert runners == sorted(runners) or not layout.sorted
        assert not set(runners) & set(seen)  # each runner in one chunk only
        assert min(runners) > max(seen, default="")  # chunks in the kernel's order
        seen += runners
        assert len(chunk) <= max(batch_rows, max(counts)) + (0 if layout.sorted else max(counts))
        # every runner's rows in the input order
        for runner, rows in chunk.groupby("runner_id", observed=True)["row"]:
            expected_rows = frame.loc[frame["runner_id"] == runner, "row"].tolist()
            assert rows.tolist() == expected_rows
    assert sum(map(len, chunks)) == len(frame)


def test_batches_bound_what_the_kernel_sees(tmp_path, monkeypatch):
    """The kernel never gets more than a batch (plus the rest of the runner at its end)."""
    import lbprun.workload._stream_engine as engine

    frame = make_log(80, seed=9, max_runs=30)
    frame.to_parquet(tmp_path / "log.parquet", row_group_size=64)
    sizes: list[int] = []
    kernel = engine.kernel_tables

    def counting(part, jobs, **options):
        sizes.append(len(part))
        return kernel(part, jobs, **options)

    monkeypatch.setattr(engine, "kernel_tables", counting)
    stream_outputs(tmp_path / "log.parquet", JOBS, out=tmp_path / "out", batch_rows=150)
    assert sum(sizes) == len(frame)
    assert max(sizes) <= 150 and len(sizes) >= len(frame) // 150
    assert pq.read_metadata(tmp_path / "out" / "runs.parquet").num_rows == len(frame)


# --- through the dispatcher: run / run_workload with engine="stream" and engine="auto" -------

CASES = [
    ("weekly_load", {"week_start": "Sunday"}),
    ("load_spikes", {"baseline": "previous_4_weeks", "thresholds": (5, 20, 50)}),
    ("single_run_spikes", {"window_days": 9}),
    ("acwr", {"coupled": True, "acute": 5, "chronic": 21}),
    ("acwr", {"method": "ewma", "acute": 1, "chronic": 9, "load": "duration_min"}),
]


@pytest.fixture(scope="module")
def shuffled_file(log, tmp_path_factory):
    path = tmp_path_factory.mktemp("shuffled") / "log.parquet"
    log.sample(frac=1, random_state=5).to_parquet(path, index=False, row_group_size=90)
    return path


@pytest.mark.parametrize(("name", "options"), CASES)
def test_run_with_the_stream_engine_equals_the_kernel(shuffled_file, name, options):
    from lbprun.workload.engines import run

    kernel = run(name, shuffled_file, engine="pandas", **options)
    streamed = run(name, shuffled_file, engine="stream", batch_rows=120, **options)
    pd.testing.assert_frame_equal(
        streamed.astype({"runner_id": str}),
        kernel.astype({"runner_id": str}),
        check_exact=False,
        rtol=1e-9,
        atol=1e-9,
    )


def test_auto_streams_a_log_above_the_memory_budget(log, tmp_path):
    from lbprun.workload._budget import BYTES_PER_RUN, choose_engine
    from lbprun.workload.engines import run_workload

    path = tmp_path / "log.parquet"
    log.to_parquet(path, index=False)
    fits, too_big = len(log) * BYTES_PER_RUN, len(log) * BYTES_PER_RUN - 1
    assert choose_engine(path, fits) == "pandas"
    assert choose_engine(path, too_big) == "stream"
    assert choose_engine(log, 1) == "pandas"  # already in memory
    in_memory = run_workload(path, engine="pandas")
    streamed = run_workload(path, memory_budget=too_big, batch_rows=100, out=tmp_path / "out")
    assert_tables_equal(in_memory, streamed, from_files=True)


def test_engine_options_are_checked(log, tmp_path):
    from lbprun.workload.engines import run

    with pytest.raises(ArgumentError, match="batch_rows must be None with engine='pandas'"):
        run("weekly_load", log, engine="pandas", batch_rows=10)
    with pytest.raises(ArgumentError, match="memory_budget must be None with engine='stream'"):
        run("weekly_load", log, engine="stream", memory_budget="1GB")
    with pytest.raises(ArgumentError, match="memory_budget must be a positive number"):
        run("weekly_load", log, memory_budget="lots")
    with pytest.raises(ArgumentError, match="batch_rows must be"):
        run("weekly_load", log, engine="stream", batch_rows=0)
    with pytest.raises(ArgumentError, match="'stream'"):
        run("weekly_load", log, engine="streem")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("4GB", 4 * 10**9), ("512 MiB", 512 * 2**20), ("1.5gb", 1.5e9), (2048, 2048)],
)
def test_memory_budget_units(text, expected):
    from lbprun.workload._budget import parse_bytes

    assert parse_bytes(text) == expected


def test_public_functions_take_the_stream_engine(log):
    from lbprun.workload.acwr import acwr

    assert_tables_equal({"a": acwr(log)}, {"a": acwr(log, engine="stream")})


def test_command_line_streams_a_parquet_log(log, tmp_path, capsys):
    from lbprun.cli import main
    from lbprun.workload.engines import run

    path = tmp_path / "log.parquet"
    log.sample(frac=1, random_state=2).to_parquet(path, index=False)
    out = tmp_path / "acwr.parquet"
    code = main(
        [
            "workload",
            str(path),
            "--out",
            str(out),
            "--what",
            "acwr",
            "--engine",
            "stream",
            "--batch-rows",
            "200",
            "--method",
            "ewma",
        ]
    )
    assert code == 0
    assert "stream, out of core" in capsys.readouterr().out
    expected = run("acwr", path, engine="pandas", method="ewma")
    assert_tables_equal({"a": expected}, {"a": out}, from_files=True)
    assert main(["workload", str(path), "--out", str(out), "--batch-rows", "5"]) == 2


def test_sort_by_runner_lays_out_a_log_that_needs_no_partitioning(log, tmp_path):
    from lbprun.workload import sort_by_runner

    shuffled = log.sample(frac=1, random_state=8).reset_index(drop=True)
    write_parts(shuffled, tmp_path / "log", 3, 70)
    files = sort_by_runner(tmp_path / "log", tmp_path / "sorted", batch_rows=300)
    assert len(files) >= 4
    layout = runner_layout(files)
    assert layout.sorted and layout.rows == len(log) and layout.runners == log.runner_id.nunique()
    back = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    expected = shuffled.sort_values("runner_id", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected)
    assert_tables_equal(kernel_tables(shuffled, JOBS), stream_outputs(files, JOBS, batch_rows=99))
    # a sorted log is copied as it is
    again = sort_by_runner(files, tmp_path / "again")
    assert pd.concat(map(pd.read_parquet, again), ignore_index=True).equals(back)
