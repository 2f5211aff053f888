"""lbprun.io.write: formula-like text escaped in CSV and XLSX, line breaks quoted, Parquet as is."""

from __future__ import annotations

import csv
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.io._parse import is_formula
from lbprun.io.write import csv_text, escape_cell, escape_frame, write_table

HOSTILE = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil", "x")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd",
    "-cmd",
    "\tR1",
    "\rR1",
    "  =1+1",
    "-2+3",
]
PLAIN = ["R1", "-5", "+3.2", "-1e3", "a=b", "", "runner 7"]


def _formula_like(text: str) -> bool:
    return text[:1] in ("\t", "\r") or is_formula(text)


def _read_csv_module(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _table() -> pd.DataFrame:
    values = HOSTILE + PLAIN
    return pd.DataFrame(
        {
            "runner_id": pd.array(values, dtype="string"),
            "label": pd.Categorical(values),
            "text_obj": pd.Series(values, dtype=object),
            "km": np.linspace(-5.0, 5.0, len(values)),
            "n": np.arange(len(values)) - 3,
            "flag": [True, False] * (len(values) // 2) + [True] * (len(values) % 2),
        }
    )


@pytest.mark.parametrize("value", HOSTILE)
def test_escape_cell_prefixes_formula_like_text(value):
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", [*PLAIN, -5, 3.2, None, True])
def test_escape_cell_leaves_plain_values(value):
    assert escape_cell(value) is value


def test_escape_frame_copies_and_keeps_numeric_columns():
    table = _table()
    before = table.copy(deep=True)
    safe = escape_frame(table)
    pd.testing.assert_frame_equal(table, before)  # the input is not modified
    for column in ("km", "n", "flag"):
        pd.testing.assert_series_equal(safe[column], table[column])
    assert safe["runner_id"].tolist()[: len(HOSTILE)] == ["'" + v for v in HOSTILE]
    assert escape_frame(pd.DataFrame({"=x": [1]})).columns.tolist() == ["'=x"]


def test_escape_frame_keeps_missing_values():
    table = pd.DataFrame({"a": pd.array(["=1", None], dtype="string"), "b": ["x", None]})
    safe = escape_frame(table)
    assert safe["a"].tolist()[0] == "'=1" and pd.isna(safe["a"].tolist()[1])
    assert safe["b"].tolist()[0] == "x" and pd.isna(safe["b"].tolist()[1])


def test_escape_frame_with_unhashable_cells():
    safe = escape_frame(pd.DataFrame({"a": [["=x"], "=y"]}))
    assert safe["a"].tolist() == [["=x"], "'=y"]


def test_csv_round_trip(tmp_path):
    table = _table()
    path = write_table(table, tmp_path / "t.csv")
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == len(table) + 1
    assert rows[0] == list(table.columns)
    for row, value in zip(rows[1:], HOSTILE + PLAIN, strict=True):
        expected = "'" + value if _formula_like(value) else value
        assert row[0] == row[1] == row[2] == expected
    assert [float(row[3]) for row in rows[1:]] == table["km"].tolist()  # exact
    assert [int(row[4]) for row in rows[1:]] == table["n"].tolist()
    assert len(pd.read_csv(path, keep_default_na=False)) == len(table)


def test_csv_quotes_lone_carriage_returns_and_line_feeds():
    table = pd.DataFrame({"id": ["a\rb", "c\nd", "e\r\nf", 'q"uote', "x,y"], "k": range(5)})
    text = csv_text(table)
    assert text.endswith("4\n") and "\r\n" not in text.replace('e\r\nf"', "")
    rows = _read_csv_module(text)
    assert [r[0] for r in rows[1:]] == table["id"].tolist()
    assert len(pd.read_csv(io.StringIO(text))) == 5


def test_csv_of_empty_tables():
    assert csv_text(pd.DataFrame({"a": pd.Series([], dtype=object)})) == "a\n"
    assert _read_csv_module(csv_text(pd.DataFrame({"=a": []}))) == [["'=a"]]


def test_xlsx_round_trip_has_no_formula_cell(tmp_path):
    table = _table().assign(
        day=pd.to_datetime(["2025-01-06"] * len(HOSTILE + PLAIN)),
        start=pd.to_datetime(["2025-01-06 07:30"] * len(HOSTILE + PLAIN), utc=True),
        rate=[np.inf, -np.inf] + [np.nan] * (len(HOSTILE + PLAIN) - 2),
    )
    path = write_table(table, tmp_path / "t.xlsx", sheet_name="weekly/acwr")
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    assert sheet.title == "weekly_acwr"
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(rows) == len(table) + 1
    for row, value in zip(rows[1:], HOSTILE + PLAIN, strict=True):
        expected = "'" + value if _formula_like(value) else value
        expected = expected.replace("\r", "\n") or None  # XML keeps line feeds; "" is empty
        assert row[0] == row[1] == row[2] == expected
    np.testing.assert_allclose([r[3] for r in rows[1:]], table["km"], rtol=1e-15)
    assert [r[4] for r in rows[1:]] == table["n"].tolist()
    assert [r[5] for r in rows[1:]] == table["flag"].tolist()
    assert rows[1][6].date().isoformat() == "2025-01-06"
    assert rows[1][7] == "2025-01-06T07:30:00+00:00"
    assert rows[1][8] == "inf" and rows[2][8] == "-inf" and rows[3][8] is None


def test_xlsx_replaces_characters_xml_cannot_hold(tmp_path):
    path = write_table(pd.DataFrame({"id": ["a\x01b"]}), tmp_path / "t.xlsx")
    assert openpyxl.load_workbook(path).active["A2"].value == "a\ufffdb"


def test_xlsx_refuses_text_longer_than_a_cell(tmp_path):
    with pytest.raises(ArgumentError, match="32,767"):
        write_table(pd.DataFrame({"id": ["x" * 40_000]}), tmp_path / "t.xlsx")


def test_parquet_is_written_as_is(tmp_path):
    table = _table()
    back = pd.read_parquet(write_table(table, tmp_path / "t.parquet"))
    assert back["runner_id"].tolist() == table["runner_id"].tolist()
    assert back["km"].tolist() == table["km"].tolist()


def test_unknown_format_is_an_argument_error(tmp_path):
    with pytest.raises(ArgumentError, match=r"\.csv, \.xlsx, \.parquet"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.txt")
    with pytest.raises(ArgumentError, match="format"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv", format="json")
    path = write_table(pd.DataFrame({"a": ["=1"]}), tmp_path / "t.txt", format="csv")
    assert path.read_text(encoding="utf-8") == "a\n'=1\n"


_TEXT = st.text(
    alphabet=st.sampled_from(list("=+-@\t\r\n\",;'aZ0 9.eé|!")) | st.characters(),
    max_size=12,
)


@settings(max_examples=150, deadline=None)
@given(values=st.lists(_TEXT, min_size=1, max_size=20))
def test_written_csv_keeps_rows_and_escapes_every_formula(values):
    table = pd.DataFrame({"id": pd.array(values, dtype="string"), "x": range(len(values))})
    rows = _read_csv_module(csv_text(table))
    assert len(rows) == len(values) + 1
    for row, value, number in zip(rows[1:], values, range(len(values)), strict=True):
        assert row[0] == ("'" + value if _formula_like(value) else value)
        assert row[1] == str(number)


def test_lone_surrogates_are_written_as_replacement_characters(tmp_path):
    from lbprun.io.write import write_table

    frame = pd.DataFrame({"runner_id": pd.Series(["\ud800", "=\udfff"], dtype=object)})
    path = write_table(frame, tmp_path / "t.csv")
    text = path.read_text(encoding="utf-8")
    assert "\ufffd" in text and "'=\ufffd" in text
