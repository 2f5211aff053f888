"""Hostile tabular files, in process: every case of ``analyses/hostile/tabular.py`` and details.

The corpus test (``test_hostile_corpus.py``) runs each case in its own process with time and
memory limits; here the same cases run in this process (quick, with full tracebacks), plus the
details a case does not state: notes, dtypes, rejected rows and row accounting.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lbprun.exceptions import DataReadError, DataValidationError, LbprunError
from lbprun.io import read

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analyses.hostile import tabular  # noqa: E402

CASES = {case.name: case for case in tabular.CASES}


def test_corpus_covers_its_classes():
    from collections import Counter

    kinds = Counter(case.kind for case in tabular.CASES)
    assert kinds["structure"] >= 10 and kinds["encoding"] >= 6 and kinds["parquet"] >= 5
    assert kinds["spreadsheet"] >= 7 and kinds["compression"] >= 3
    assert len(tabular.CASES) >= 32


@pytest.mark.parametrize("name", sorted(n for n in CASES if "bomb" not in n))
def test_case_outcome_in_process(name, tmp_path):
    case = CASES[name]
    folder, out = tmp_path / "input", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    path = case.make(folder)
    if case.expect == "ok":
        result = case.run(path, out)
        if case.check is not None:
            case.check(result, path, out)
        return
    with pytest.raises(LbprunError) as caught:
        case.run(path, out)
    assert type(caught.value).__name__ == case.expect, caught.value
    assert path.name in str(caught.value)
    if case.check is not None:
        case.check(caught.value, path, out)


def _csv(tmp_path: Path, text: str | bytes, name: str = "t.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_trailing_delimiter_on_every_row_is_ignored_with_a_note(tmp_path):
    path = _csv(tmp_path, "runner_id,age,lbp_12m\nR1,34,yes,\nR2,41,no,\n")
    data = read.read_survey(path)
    assert data.columns.tolist() == ["runner_id", "age", "lbp_12m"]
    assert data["age"].tolist() == [34.0, 41.0]
    assert any("ends in a delimiter" in note for note in data.attrs["lbprun"]["notes"])


def test_field_count_rows_are_rejected_whole_and_counted(tmp_path):
    path = _csv(
        tmp_path,
        "runner_id,age,lbp_12m\nR1,34,yes\nR2,41\nR3,29,no,extra\nR4,50,maybe\n\nR5,30,no\n",
    )
    report = read.read_survey(path, on_error="drop")
    assert report.rows_in == 5 == report.rows_kept + report.rows_rejected
    assert report.data["runner_id"].tolist() == ["R1", "R5"]
    assert report.rejected["row"].tolist() == [3, 4, 5]
    shape = report.failure_cases[report.failure_cases["check"] == "field_count"]
    assert shape["row"].tolist() == [3, 4]
    assert shape["value"].tolist() == [2, 4]
    assert shape["column"].unique().tolist() == ["(row)"]
    assert report.rejected.loc[0, "runner_id"] == "R2"  # kept as read, not padded
    assert "line 3 has 2 fields" in report.rejected.loc[0, "reasons"]


def test_field_count_error_names_the_line_in_the_message(tmp_path):
    path = _csv(tmp_path, "runner_id,lbp_12m\r\nR1,yes\r\nR2,no,\r\n")
    with pytest.raises(DataValidationError, match="line 3 has 3 fields but the header has 2"):
        read.read_survey(path)


def test_rows_after_multiline_values_and_bare_cr_keep_their_lines(tmp_path):
    path = _csv(tmp_path, 'runner_id,note,age,lbp_12m\rR1,"a\rb\r\nc",34,yes\rR2,x,300,no\r')
    report = read.read_survey(path, on_error="drop")
    assert report.rejected["row"].tolist() == [5]
    assert report.data["note"].tolist() == ["a\rb\r\nc"]


def test_gzip_csv_reads_like_the_plain_file(tmp_path):
    text = "runner_id;bmi;lbp_12m\nR1;22,5;ja\nR2;23,1;nein\n"
    plain = read.read_survey(_csv(tmp_path, text))
    packed = read.read_survey(_csv(tmp_path, gzip.compress(text.encode()), "t.csv.gz"))
    pd.testing.assert_frame_equal(plain, packed)
    assert packed["bmi"].tolist() == [22.5, 23.1]


def test_corrupt_gzip_is_a_read_error(tmp_path):
    path = _csv(tmp_path, b"\x1f\x8b\x08\x00" + b"\x00" * 20, "t.csv.gz")
    with pytest.raises(DataReadError, match="gzip"):
        read.read_survey(path)


def test_utf16_without_bom_gets_a_note(tmp_path):
    path = _csv(tmp_path, "runner_id\tlbp_12m\nR1\tyes\n".encode("utf-16-be"))
    data = read.read_survey(path)
    assert data["runner_id"].tolist() == ["R1"]
    assert any("UTF-16-BE" in note for note in data.attrs["lbprun"]["notes"])


def test_parquet_dates_are_datetime64_ns(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.table(
        {
            "runner_id": ["C1"],
            "start_date": pa.array([1_700_000_000_000], pa.timestamp("ms", tz="Europe/Rome")),
            "end_date": pa.array([19_800], pa.date32()),
            "lbp_onset_date": pa.array([None], pa.date32()),
        }
    )
    path = tmp_path / "c.parquet"
    pq.write_table(table, path)
    data = read.read_cohort(path)
    assert data["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-11-14"]
    assert str(data["end_date"].dtype) == "datetime64[ns]"
    assert data["end_date"].iloc[0] == pd.Timestamp("2024-03-18")


def test_duplicate_columns_in_a_dataframe_are_named(tmp_path):
    frame = pd.DataFrame([["R1", "yes", "no"]], columns=["runner_id", "lbp_12m", "lbp_12m"])
    with pytest.raises(DataValidationError, match="lbp_12m") as caught:
        read.read_survey(frame, on_error="drop")
    assert "duplicate_column" in caught.value.failure_cases["check"].tolist()


def test_unexpected_values_in_a_dataframe_end_in_a_named_error():
    frame = pd.DataFrame({"runner_id": ["R1", "R2"], "lbp_12m": [{"a": 1}, [1]]})
    try:
        report = read.read_survey(frame, on_error="drop")
    except LbprunError:
        return
    assert report.rows_in == report.rows_kept + report.rows_rejected


def test_read_only_arrays_are_never_written(tmp_path):
    """Copy-on-Write: a frame whose arrays are read-only is read without error."""
    values = np.array(["R1", "R2"], dtype=object)
    values.flags.writeable = False
    frame = pd.DataFrame({"runner_id": values, "age": np.array([30.0, 40.0]), "lbp_12m": "yes"})
    data = read.read_survey(frame)
    assert data["age"].tolist() == [30.0, 40.0]
