"""Every engine refuses the logs the kernel refuses, from Parquet and from CSV, and the
out-of-core engines name the file (and, for Parquet, the row): no run is dropped silently."""

from __future__ import annotations

import pandas as pd
import pytest

from lbprun._checks import ArgumentError
from lbprun.workload.engines import run_workload

pytest.importorskip("duckdb")
pytest.importorskip("dask")

ENGINES = ["pandas", "stream", "duckdb", "dask"]


def log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "runner_id": ["a", "a", "b", "b", "c"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-08", "2024-01-02", "2024-01-20", "2024-02-01"]
            ),
            "distance_km": [5.0, 8.0, 3.0, 10.0, 4.0],
            "duration_min": [30.0, 48.0, 20.0, 60.0, 25.0],
        }
    )


def without_runner() -> pd.DataFrame:
    frame = log()
    frame.loc[2, "runner_id"] = None
    return frame


def without_date() -> pd.DataFrame:
    frame = log()
    frame.loc[1, "date"] = pd.NaT
    return frame


def without_duration() -> pd.DataFrame:
    return log().drop(columns=["duration_min"])


CASES = {
    "runner": (without_runner, "runner_id", 3),
    "date": (without_date, "date", 2),
    "column": (without_duration, "duration_min", None),
}


def write(frame: pd.DataFrame, tmp_path, suffix: str) -> str:
    path = tmp_path / f"log{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return str(path)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_engines_refuse_what_the_kernel_refuses(case, engine, suffix, tmp_path):
    make, column, row = CASES[case]
    path = write(make(), tmp_path, suffix)
    with pytest.raises(ArgumentError, match=column) as raised:
        run_workload(path, engine=engine)
    message = str(raised.value)
    if engine in ("stream", "duckdb") and case != "column":
        assert message.startswith(path)  # the user's file, also when a CSV was converted
        if suffix == ".parquet" or engine == "stream":
            assert f"row {row}," in message


def test_duckdb_reports_engine_failures_as_argument_errors(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("runner_id,date,distance_km,duration_min\na,2024-01-01,five,30\n")
    with pytest.raises(ArgumentError, match="log.csv: the DuckDB engine cannot compute"):
        run_workload(str(path), engine="duckdb")


def test_duckdb_refuses_a_log_dated_by_start_time_only(tmp_path):
    frame = log().rename(columns={"date": "start_time"})
    path = write(frame, tmp_path, ".parquet")
    with pytest.raises(ArgumentError, match="start_time"):
        run_workload(path, engine="duckdb")
    assert len(run_workload(path, engine="stream")["runs"]) == 5  # the kernel reads it


@pytest.mark.parametrize("column", ["runner_id", "date"])
def test_stream_names_the_row_within_its_own_file(column, tmp_path):
    first, second = log(), log().assign(runner_id=lambda f: f["runner_id"] + "2")
    second.loc[1, column] = None
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    first.to_parquet(paths[0], index=False, row_group_size=2)
    second.to_parquet(paths[1], index=False, row_group_size=2)
    with pytest.raises(ArgumentError, match=rf"b\.parquet: row 2, column '{column}'"):
        run_workload([str(p) for p in paths], engine="stream")


def test_stream_names_the_input_row_of_an_unsorted_log(tmp_path):
    frame = log().iloc[[4, 0, 3, 1, 2]].reset_index(drop=True)  # not sorted by runner
    frame.loc[3, "date"] = pd.NaT
    path = write(frame, tmp_path, ".parquet")
    with pytest.raises(ArgumentError, match=r"row 4, column 'date'"):
        run_workload(path, engine="stream", batch_rows=2)
