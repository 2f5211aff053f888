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


def two_files(tmp_path, change) -> list[str]:
    first = log()
    second = log().assign(runner_id=lambda f: f["runner_id"] + "2")
    second = change(second)
    paths = [tmp_path / "a.parquet", tmp_path / "b.parquet"]
    first.to_parquet(paths[0], index=False)
    second.to_parquet(paths[1], index=False)
    return [str(p) for p in paths]


COMPATIBLE = {
    "numbers as text": lambda f: f.assign(distance_km=f["distance_km"].astype(str)),
    "an extra column": lambda f: f.assign(shoe_id="s1"),
    "float32 durations": lambda f: f.assign(duration_min=f["duration_min"].astype("float32")),
}

CLASHING = {
    "integer ids": (lambda f: f.assign(runner_id=range(len(f))), "'runner_id' holds integer"),
    "a time zone": (
        lambda f: f.assign(date=f["date"].dt.tz_localize("UTC")),
        "'date' holds time zone timestamp",
    ),
    "no duration": (lambda f: f.drop(columns=["duration_min"]), "'duration_min' not found"),
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", sorted(COMPATIBLE))
def test_files_of_compatible_types_give_the_same_tables(case, engine, tmp_path):
    paths = two_files(tmp_path, COMPATIBLE[case])
    expected = run_workload(paths, engine="pandas")
    options = {"batch_rows": 3} if engine == "stream" else {}  # batches cut across files
    got = run_workload(paths, engine=engine, **options)
    for key in ("weekly", "acwr_ewma"):
        want = expected[key].reset_index(drop=True)
        have = got[key].reset_index(drop=True)
        assert have["runner_id"].astype(str).tolist() == want["runner_id"].astype(str).tolist()
        pd.testing.assert_series_equal(
            have["distance_km"] if key == "weekly" else have["acwr"],
            want["distance_km"] if key == "weekly" else want["acwr"],
            check_dtype=False,
        )


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", sorted(CLASHING))
def test_files_that_clash_are_refused_naming_the_file(case, engine, tmp_path):
    change, message = CLASHING[case]
    paths = two_files(tmp_path, change)
    with pytest.raises(ArgumentError, match=message) as raised:
        run_workload(paths, engine=engine)
    assert str(raised.value).startswith(paths[1])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_file_that_is_not_parquet_is_named(engine, tmp_path):
    path = tmp_path / "log.parquet"
    path.write_bytes(b"PAR1" + bytes(range(256)) * 2 + b"PAR1")
    with pytest.raises(ArgumentError, match="log.parquet: cannot be read as Parquet"):
        run_workload(str(path), engine=engine)


HEADER = "runner_id,date,distance_km,duration_min\n"
ROWS = "a,2024-01-01,5.0,30\na,2024-01-08,8.0,48\nb,2024-01-02,3.0,20\n"

BAD_CSV = {
    "latin-1 text": ((HEADER + ROWS.replace("a,", "Jos\xe9,")).encode("latin-1"), "UTF-8"),
    "an empty file": (b"", "empty|Empty"),
    "a row with an extra field": ((HEADER + ROWS + "c,2024-01-03,4.0,20,99\n").encode(), "CSV"),
}


@pytest.mark.parametrize("engine", ["pandas", "stream", "dask"])
@pytest.mark.parametrize("case", sorted(BAD_CSV))
def test_unreadable_csv_files_are_named(case, engine, tmp_path):
    data, message = BAD_CSV[case]
    path = tmp_path / "log.csv"
    path.write_bytes(data)
    with pytest.raises(ArgumentError, match=message) as raised:
        run_workload(str(path), engine=engine)
    assert str(raised.value).startswith(str(path))


@pytest.mark.parametrize("engine", ["pandas", "stream", "dask"])
def test_a_value_that_is_not_a_number_is_shown_with_its_runner_and_date(engine, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(HEADER + ROWS + "c,2024-01-03,four,20\n")
    with pytest.raises(ArgumentError, match=r"'distance_km'.*'four' for runner 'c' on 2024-01-03"):
        run_workload(str(path), engine=engine)


def test_dask_keeps_gaps_in_a_column_its_sample_read_as_integers(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(HEADER + ROWS + "c,2024-01-03,4.0\n")  # a short last row: no duration
    expected = run_workload(str(path), engine="pandas")
    got = run_workload(str(path), engine="dask")
    assert got["runs"]["duration_min"].isna().tolist() == [False, False, False, True]
    pd.testing.assert_series_equal(
        got["weekly"]["duration_min"], expected["weekly"]["duration_min"], check_dtype=False
    )
