"""Hostile tabular files: CSV/TSV structure and encodings, compression, Parquet, spreadsheets.

Every file is built here, in code; each case states the exact outcome: the values in the right
columns and the right row counts, or the named error (with the column, line or codes it must
name).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lbprun
from analyses.hostile import Case

SURVEY = "runner_id,sex,age,bmi,surface,lbp_12m\n"
ROWS = "R1,F,34,22.1,road,1\nR2,M,41,24.0,trail,0\n"


# -- builders -------------------------------------------------------------------------------


def _write(name: str, content: str | bytes, encoding: str = "utf-8"):
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return make


def _xlsx(name: str, rows: list[list[Any]], far: dict[str, Any] | None = None, patch=None):
    """A workbook with ``rows`` from A1, optional far cells, and an optional XML patch."""

    def make(folder: Path) -> Path:
        import openpyxl

        book = openpyxl.Workbook()
        sheet = book.active
        for row in rows:
            sheet.append(row)
        for cell, value in (far or {}).items():
            sheet[cell] = value
        path = folder / name
        book.save(path)
        if patch is not None:
            _rewrite(path, patch)
        return path

    return make


def _rewrite(path: Path, patch: Callable[[str, bytes], bytes]) -> None:
    with zipfile.ZipFile(path) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info.filename, patch(info.filename, data))


def _parquet(name: str, build: Callable[[], Any]):
    def make(folder: Path) -> Path:
        import pyarrow.parquet as pq

        path = folder / name
        pq.write_table(build(), path)
        return path

    return make


def _survey_table(**columns: Any):
    import pyarrow as pa

    base = {
        "runner_id": pa.array(["R1", "R2"]),
        "lbp_12m": pa.array([True, False]),
    }
    base.update(columns)
    return pa.table(base)


# -- runners and checks ---------------------------------------------------------------------


def _read_survey(path: Path, out: Path):
    return lbprun.read_survey(path)


def _drop_survey(path: Path, out: Path):
    return lbprun.read_survey(path, on_error="drop")


def _read_cohort(path: Path, out: Path):
    return lbprun.read_cohort(path)


def _two_rows(result, path: Path, out: Path) -> None:
    assert len(result) == 2, len(result)
    assert result["runner_id"].tolist() == ["R1", "R2"], result["runner_id"].tolist()
    assert result["lbp_12m"].tolist() == [True, False], result["lbp_12m"].tolist()


def _two_rows_full(result, path: Path, out: Path) -> None:
    _two_rows(result, path, out)
    assert result["age"].tolist() == [34.0, 41.0], result["age"].tolist()
    assert result["bmi"].tolist() == [22.1, 24.0], result["bmi"].tolist()
    assert result["surface"].astype(str).tolist() == ["asphalt", "trail"]  # road: a synonym


def _field_count(line: int, count: int):
    def check(error, path: Path, out: Path) -> None:
        cases = error.failure_cases
        hit = cases[(cases["check"] == "field_count") & (cases["row"] == line)]
        assert len(hit) == 1, cases.to_dict("records")
        assert hit["value"].iloc[0] == count, hit.to_dict("records")
        assert f"line {line}" in str(error)

    return check


def _dropped(lines: list[int], kept: int, check: str | None = None):
    def verify(report, path: Path, out: Path) -> None:
        assert report.rows_in == report.rows_kept + report.rows_rejected, report
        assert report.rows_kept == kept == len(report.data), (report.rows_kept, kept)
        assert report.rejected["row"].tolist() == lines, report.rejected["row"].tolist()
        if check is not None:
            found = report.failure_cases["check"].tolist()
            assert check in found, found

    return verify


def _names(*words: str):
    def check(error, path: Path, out: Path) -> None:
        for word in words:
            assert word in str(error), (word, str(error))

    return check


def _duplicate(column: str):
    def check(error, path: Path, out: Path) -> None:
        cases = error.failure_cases
        hit = cases[(cases["check"] == "duplicate_column") & (cases["column"] == column)]
        assert len(hit) == 1, cases.to_dict("records")

    return check


# -- structure ------------------------------------------------------------------------------


def _wide_header(folder: Path) -> Path:
    extra = [f"free_text_question_{i:03d}_" + "x" * 230 for i in range(300)]
    header = ",".join(["runner_id", "lbp_12m", *extra])
    lines = [header] + [f"R{k},{v}," + ",".join(["a"] * 300) for k, v in ((1, "yes"), (2, "no"))]
    path = folder / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len(header) > 65_536
    return path


def _wide_check(result, path: Path, out: Path) -> None:
    _two_rows(result, path, out)
    assert result.shape == (2, 302), result.shape


def _long_text(folder: Path) -> Path:
    text = "long answer " * 100_000
    path = folder / "long_text.csv"
    path.write_text(f'runner_id,comment,lbp_12m\nR1,"{text}",yes\nR2,short,no\n', "utf-8")
    return path


def _long_text_check(result, path: Path, out: Path) -> None:
    _two_rows(result, path, out)
    assert len(result["comment"].iloc[0]) == 1_200_000, len(result["comment"].iloc[0])


def _many_delimiters(folder: Path) -> Path:
    path = folder / "many_fields.csv"
    path.write_text(SURVEY + "R1,F,34,22.1,road,1\n" + "R2" + "," * 1_000_000 + "\n", "utf-8")
    return path


STRUCTURE = [
    Case(
        name="csv_plain_valid",
        kind="structure",
        make=_write("plain.csv", SURVEY + ROWS),
        run=_read_survey,
        check=_two_rows_full,
        what="a plain valid survey (control case)",
    ),
    Case(
        name="csv_trailing_delimiter_every_row",
        kind="structure",
        make=_write("trailing.csv", SURVEY + "R1,F,34,22.1,road,1,\nR2,M,41,24.0,trail,0,\n"),
        run=_read_survey,
        check=_two_rows_full,
        what="every data row ends in a delimiter the header lacks: read unshifted, with a note",
    ),
    Case(
        name="csv_trailing_delimiter_one_row",
        kind="structure",
        make=_write("trailing_one.csv", SURVEY + "R1,F,34,22.1,road,1,\nR2,M,41,24.0,trail,0\n"),
        run=_read_survey,
        expect="DataValidationError",
        check=_field_count(2, 7),
        what="one data row ends in a delimiter: a row error naming line 2, never a shift",
    ),
    Case(
        name="csv_short_row_dropped",
        kind="structure",
        make=_write("short.csv", SURVEY + "R1,F,34,22.1,road,1\nR2,M,41\nR3,F,29,21.0,track,no\n"),
        run=_drop_survey,
        check=_dropped([3], 2, "field_count"),
        what="a row with too few fields is dropped with its reason, never padded",
    ),
    Case(
        name="csv_long_row_decimal_comma",
        kind="structure",
        make=_write("long_row.csv", SURVEY + "R1,F,34,22,1,road,1\nR2,M,41,24.0,trail,0\n"),
        run=_read_survey,
        expect="DataValidationError",
        check=_field_count(2, 7),
        what="an unquoted decimal comma adds a field: a row error naming line 2",
    ),
    Case(
        name="csv_bare_cr_line_ends",
        kind="structure",
        make=_write("old_mac.csv", (SURVEY + ROWS).replace("\n", "\r")),
        run=_read_survey,
        check=_two_rows_full,
        what="old Mac line ends (bare CR) are line ends",
    ),
    Case(
        name="csv_mixed_line_ends_lines_named",
        kind="structure",
        make=_write(
            "mixed_ends.csv",
            "runner_id,age,lbp_12m\r\nR1,34,yes\rR2,41,no\nR3,200,no\r\nR4,30,maybe\r",
        ),
        run=_drop_survey,
        check=_dropped([4, 5], 2),
        what="CRLF, CR and LF mixed: failures name the right lines (4 and 5)",
    ),
    Case(
        name="csv_quoted_newlines_lines_named",
        kind="structure",
        make=_write(
            "quoted_newlines.csv",
            'runner_id,comment,age,lbp_12m\nR1,"two\nlines, and a comma",34,yes\n'
            'R2,"three\r\nline\rends",41,no\nR3,plain,300,no\n',
        ),
        run=_drop_survey,
        check=_dropped([7], 2),
        what="quoted values spanning lines: the row after them is named as line 7",
    ),
    Case(
        name="csv_duplicate_header",
        kind="structure",
        make=_write("dup_header.csv", "runner_id,lbp_12m,lbp_12m\nR1,yes,no\nR2,no,no\n"),
        run=_read_survey,
        expect="DataValidationError",
        check=_duplicate("lbp_12m"),
        what="a column name twice in the header: a table error naming it, none taken silently",
    ),
    Case(
        name="csv_duplicate_after_renaming",
        kind="structure",
        make=_write("dup_rename.csv", "runner_id,LBP,lbp_12m\nR1,yes,no\nR2,no,no\n"),
        run=lambda path, out: lbprun.read_survey(path, columns={"LBP": "lbp_12m"}),
        expect="DataValidationError",
        check=_duplicate("lbp_12m"),
        what="columns= renames a column onto an existing one: a table error naming it",
    ),
    Case(
        name="csv_header_wider_than_sample",
        kind="structure",
        make=_wide_header,
        run=_read_survey,
        check=_wide_check,
        what="300 long column names: a header above 64 KB is read whole",
    ),
    Case(
        name="csv_long_free_text",
        kind="structure",
        make=_long_text,
        run=_read_survey,
        check=_long_text_check,
        what="a 1.2 MB free-text cell (above the csv module's field limit) is read",
    ),
    Case(
        name="csv_stray_quote_in_field",
        kind="structure",
        make=_write("stray_quote.csv", "runner_id,height,lbp_12m\nR1,5'10\",yes\nR2,6'1\",no\n"),
        run=_read_survey,
        check=lambda r, p, o: (
            _two_rows(r, p, o),
            _equal(r["height"].tolist(), ["5'10\"", "6'1\""]),
        ),
        what="a quote inside an unquoted value is a literal character",
    ),
    Case(
        name="csv_unbalanced_quote",
        kind="structure",
        make=_write(
            "unbalanced.csv", 'runner_id,comment,lbp_12m\nR1,"never closed,yes\nR2,x,no\n'
        ),
        run=_read_survey,
        expect="DataReadError",
        check=_names("line 2", "never closed"),
        what="a quoted value that is never closed: a read error naming its line",
    ),
    Case(
        name="csv_blank_and_delimiter_only_lines",
        kind="structure",
        make=_write(
            "blank_lines.csv",
            SURVEY + "\n   \nR1,F,34,22.1,road,1\n,,,,,\n,,\nR2,M,41,24.0,trail,0\n\n",
        ),
        run=_read_survey,
        check=_two_rows_full,
        what="blank, whitespace-only and delimiter-only lines are skipped, not errors",
    ),
    Case(
        name="csv_million_delimiters_one_line",
        kind="structure",
        make=_many_delimiters,
        run=_read_survey,
        expect="DataValidationError",
        check=_field_count(3, 1_000_001),
        what="one line of a million delimiters: a row error, memory stays small",
    ),
]


def _equal(found: Any, expected: Any) -> None:
    assert found == expected, (found, expected)


# -- encoding -------------------------------------------------------------------------------


def _xml_encoding(name: str, data: bytes) -> bytes:
    if name == "xl/worksheets/sheet1.xml":
        if data.startswith(b"<?xml"):
            data = data[data.index(b"?>") + 2 :]
        return b'<?xml version="1.0" encoding="x-no-such-codec"?>' + data
    return data


ENCODING = [
    Case(
        name="csv_nul_bytes",
        kind="encoding",
        make=_write("nul.csv", b"runner_id,lbp_12m\n\x00\x01\x02\x00\x00\xff\n"),
        run=_read_survey,
        expect="DataReadError",
        check=_names("NUL"),
        what="binary content behind a .csv name",
    ),
    Case(
        name="csv_utf16le_without_bom",
        kind="encoding",
        make=_write("utf16_nobom.csv", SURVEY + ROWS, "utf-16-le"),
        run=_read_survey,
        check=_two_rows_full,
        what="UTF-16 (little-endian) without a byte-order mark, recognised by its NUL bytes",
    ),
    Case(
        name="csv_utf16be_with_bom",
        kind="encoding",
        make=_write("utf16_be.csv", b"\xfe\xff" + (SURVEY + ROWS).encode("utf-16-be")),
        run=_read_survey,
        check=_two_rows_full,
        what="UTF-16 big-endian with a byte-order mark",
    ),
    Case(
        name="csv_utf32_with_bom",
        kind="encoding",
        make=_write("utf32.csv", SURVEY + ROWS, "utf-32"),
        run=_read_survey,
        check=_two_rows_full,
        what="UTF-32 with a byte-order mark",
    ),
    Case(
        name="csv_utf8_bom_quoted_header",
        kind="encoding",
        make=_write(
            "bom_quoted.csv", b"\xef\xbb\xbf" + b'"runner_id","lbp_12m"\r\n"R1","yes"\r\nR2,no\r\n'
        ),
        run=_read_survey,
        check=_two_rows,
        what="a UTF-8 byte-order mark before a quoted header name",
    ),
    Case(
        name="csv_cp1252_accents",
        kind="encoding",
        make=_write(
            "cp1252.csv", "runner_id,club,lbp_12m\nR1,Sí Corredores,yes\nR2,Ötztal,no\n", "cp1252"
        ),
        run=_read_survey,
        check=lambda r, p, o: (
            _two_rows(r, p, o),
            _equal(r["club"].tolist(), ["Sí Corredores", "Ötztal"]),
            _equal(any("cp1252" in n for n in r.attrs["lbprun"]["notes"]), True),
        ),
        what="cp1252 text: read with a note, accents intact",
    ),
    Case(
        name="csv_utf16_lone_surrogate",
        kind="encoding",
        make=_write(
            "bad_utf16.csv",
            b"\xff\xfe"
            + "runner_id,lbp_12m\nR1,".encode("utf-16-le")
            + b"\x00\xd8"
            + "yes\n".encode("utf-16-le"),
        ),
        run=_read_survey,
        expect="DataReadError",
        check=_names("UTF-16"),
        what="UTF-16 with a lone surrogate: a read error, not a UnicodeDecodeError",
    ),
    Case(
        name="xlsx_unknown_declared_encoding",
        kind="encoding",
        make=_xlsx("codec.xlsx", [["runner_id", "lbp_12m"], ["R1", "yes"]], patch=_xml_encoding),
        run=_read_survey,
        expect="DataReadError",
        what="a sheet whose XML declares an unknown encoding (LookupError underneath)",
    ),
]


# -- parquet --------------------------------------------------------------------------------


def _pa():
    import pyarrow as pa

    return pa


PARQUET = [
    Case(
        name="parquet_struct_column",
        kind="parquet",
        make=_parquet(
            "struct.parquet", lambda: _survey_table(extra=_pa().array([{"a": 1}, {"a": 2}]))
        ),
        run=_read_survey,
        expect="DataReadError",
        check=_names("'extra'", "nested"),
        what="a struct column: a read error naming the column",
    ),
    Case(
        name="parquet_list_and_map_columns",
        kind="parquet",
        make=_parquet(
            "list.parquet",
            lambda: _survey_table(
                tags=_pa().array([["a"], []]),
                meta=_pa().array([[("k", 1)], []], type=_pa().map_(_pa().string(), _pa().int64())),
            ),
        ),
        run=_read_survey,
        expect="DataReadError",
        check=_names("'tags'", "nested"),
        what="list and map columns: a read error naming the first",
    ),
    Case(
        name="parquet_timestamp_year_9999",
        kind="parquet",
        make=_parquet(
            "far_date.parquet",
            lambda: _pa().table(
                {
                    "runner_id": ["C1", "C2"],
                    "start_date": _pa().array([0, 253_370_764_800_000_000], _pa().timestamp("us")),
                    "end_date": _pa().array([10**15, 10**15], _pa().timestamp("us")),
                }
            ),
        ),
        run=_read_cohort,
        expect="DataReadError",
        check=_names("'start_date'", "record 2", "1677-2262"),
        what="a timestamp in year 9999 does not fit datetime64[ns]: named column and record",
    ),
    Case(
        name="parquet_date32_far_out",
        kind="parquet",
        make=_parquet(
            "date32.parquet",
            lambda: _pa().table(
                {
                    "runner_id": ["C1", "C2"],
                    "start_date": _pa()
                    .array([1, 2_000_000_000], _pa().int32())
                    .cast(_pa().date32()),
                    "end_date": _pa().array([10, 20], _pa().int32()).cast(_pa().date32()),
                }
            ),
        ),
        run=_read_cohort,
        expect="DataReadError",
        check=_names("'start_date'", "record 2"),
        what="a date32 five million years away: a read error naming column and record",
    ),
    Case(
        name="parquet_int64_id_beyond_float",
        kind="parquet",
        make=_parquet(
            "bigint.parquet",
            lambda: _pa().table(
                {
                    "runner_id": _pa().array([2**63 - 1, 2**53 + 1], _pa().int64()),
                    "lbp_12m": [True, False],
                }
            ),
        ),
        run=_read_survey,
        check=lambda r, p, o: _equal(r["runner_id"].tolist(), [str(2**63 - 1), str(2**53 + 1)]),
        what="int64 ids beyond float precision are kept exact as text",
    ),
    Case(
        name="parquet_decimal_column",
        kind="parquet",
        make=_parquet(
            "decimal.parquet",
            lambda: _survey_table(
                bmi=_pa().array(["22.10", "24.00"]).cast(_pa().decimal128(5, 2)),
                age=_pa().array([34.0, 41.0], _pa().float32()),
            ),
        ),
        run=_read_survey,
        check=lambda r, p, o: (
            _two_rows(r, p, o),
            _equal(r["bmi"].tolist(), [22.1, 24.0]),
            _equal(r["age"].tolist(), [34.0, 41.0]),
        ),
        what="decimal and float32 columns read as float64 numbers",
    ),
    Case(
        name="parquet_dictionary_of_bytes",
        kind="parquet",
        make=_parquet(
            "dict_bytes.parquet",
            lambda: _pa().table(
                {
                    "runner_id": _pa().array([b"R1", b"R2"]).dictionary_encode(),
                    "lbp_12m": _pa().array([b"yes", b"no"], _pa().binary()),
                }
            ),
        ),
        run=_read_survey,
        check=_two_rows,
        what="a dictionary of bytes and a binary column decode as UTF-8 text",
    ),
    Case(
        name="parquet_invalid_utf8_bytes",
        kind="parquet",
        make=_parquet(
            "bad_bytes.parquet",
            lambda: _pa().table(
                {
                    "runner_id": _pa().array([b"R1", b"\xff\xfe"]),
                    "lbp_12m": [True, False],
                }
            ),
        ),
        run=_read_survey,
        expect="DataReadError",
        check=_names("'runner_id'"),
        what="binary values that are not UTF-8: a read error naming the column",
    ),
    Case(
        name="parquet_duplicate_column_names",
        kind="parquet",
        make=_parquet(
            "dup.parquet",
            lambda: _pa().Table.from_arrays(
                [
                    _pa().array(["R1", "R2"]),
                    _pa().array([True, False]),
                    _pa().array([False, True]),
                ],
                names=["runner_id", "lbp_12m", "lbp_12m"],
            ),
        ),
        run=_read_survey,
        expect="DataValidationError",
        check=_duplicate("lbp_12m"),
        what="a column name twice in a Parquet schema: a table error naming it",
    ),
]


# -- spreadsheets ---------------------------------------------------------------------------


def _dimension(name: str, data: bytes) -> bytes:
    if name.startswith("xl/worksheets/"):
        import re

        return re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
    return data


def _sav(name: str, labels: dict[float, str]):
    def make(folder: Path) -> Path:
        import pandas as pd
        import pyreadstat

        frame = pd.DataFrame({"runner_id": ["R1", "R2", "R3"], "lbp_12m": [1.0, 0.0, 2.0]})
        path = folder / name
        pyreadstat.write_sav(frame, str(path), variable_value_labels={"lbp_12m": labels})
        return path

    return make


def _dta_truncated(folder: Path) -> Path:
    import pandas as pd

    path = folder / "truncated.dta"
    pd.DataFrame({"runner_id": ["R1", "R2"], "lbp_12m": [1, 0]}).to_stata(path, write_index=False)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _not_a_workbook(folder: Path) -> Path:
    path = folder / "plain_zip.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return path


SPREADSHEET = [
    Case(
        name="xlsx_far_cell_xfd1048576",
        kind="spreadsheet",
        make=_xlsx(
            "far.xlsx",
            [["runner_id", "lbp_12m"], ["R1", "yes"], ["R2", "no"]],
            far={"XFD1048576": "far away"},
        ),
        run=_read_survey,
        check=_two_rows,
        what="one cell at XFD1048576: streamed, trimmed to the header, no empty cells built",
    ),
    Case(
        name="xlsx_dimension_whole_sheet",
        kind="spreadsheet",
        make=_xlsx(
            "dimension.xlsx",
            [["runner_id", "lbp_12m"], ["R1", "yes"], ["R2", "no"]],
            patch=_dimension,
        ),
        run=_read_survey,
        check=_two_rows,
        what="a sheet whose dimension claims A1:XFD1048576",
    ),
    Case(
        name="xlsx_rows_far_apart",
        kind="spreadsheet",
        make=_xlsx(
            "gap.xlsx",
            [["runner_id", "age", "lbp_12m"], ["R1", 34, "yes"]],
            far={"A900000": "R2", "B900000": 400, "C900000": "no"},
        ),
        run=_drop_survey,
        check=_dropped([900000], 1),
        what="a second row 900,000 rows down: read, and its failure names sheet row 900000",
    ),
    Case(
        name="xlsx_formula_never_evaluated",
        kind="spreadsheet",
        make=_xlsx(
            "formula.xlsx",
            [["runner_id", "age", "lbp_12m"], ["R1", "=30+4", "yes"], ["R2", 41, "no"]],
        ),
        run=_read_survey,
        expect="DataValidationError",
        check=_names("never evaluates", "row 2"),
        what="a formula in a numeric column is read as its text, never computed",
    ),
    Case(
        name="xlsx_duplicate_header",
        kind="spreadsheet",
        make=_xlsx("dup.xlsx", [["runner_id", "lbp_12m", "lbp_12m"], ["R1", "yes", "no"]]),
        run=_read_survey,
        expect="DataValidationError",
        check=_duplicate("lbp_12m"),
        what="a column name twice in a sheet's header",
    ),
    Case(
        name="xlsx_plain_zip",
        kind="spreadsheet",
        make=_not_a_workbook,
        run=_read_survey,
        expect="DataReadError",
        what="a zip without a workbook inside, named .xlsx",
    ),
    Case(
        name="sav_colliding_value_labels",
        kind="spreadsheet",
        make=_sav("collide.sav", {1.0: "Yes", 0.0: "No", 2.0: "Yes"}),
        run=_read_survey,
        expect="DataReadError",
        check=_names("'lbp_12m'", "1.0", "2.0"),
        what="SPSS value labels giving codes 1 and 2 the same label",
    ),
    Case(
        name="sav_value_labels_applied",
        kind="spreadsheet",
        make=_sav("labels.sav", {1.0: "Yes", 0.0: "No", 2.0: "Don't know"}),
        run=_drop_survey,
        check=lambda r, p, o: (
            _dropped([3], 2)(r, p, o),
            _equal(r.data["lbp_12m"].tolist(), [True, False]),
            _equal(r.rejected["lbp_12m"].tolist(), ["Don't know"]),
        ),
        what="distinct SPSS value labels are applied; an unknown label is a row failure",
    ),
    Case(
        name="dta_truncated",
        kind="spreadsheet",
        make=_dta_truncated,
        run=_read_survey,
        expect="DataReadError",
        what="a Stata file cut in half",
    ),
]


# -- compression ----------------------------------------------------------------------------


def _gzip_bomb(folder: Path) -> Path:
    member = gzip.compress(b"0" * (16 << 20), compresslevel=9)
    path = folder / "bomb.csv.gz"
    path.write_bytes(gzip.compress(SURVEY.encode()) + member * 64)  # 1 GiB inflated
    return path


def _xlsx_bomb(folder: Path) -> Path:
    path = _xlsx("bomb.xlsx", [["runner_id", "lbp_12m"], ["R1", "yes"]])(folder)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.xml", b" " * (64 << 20))
    return path


def _truncated_gzip(folder: Path) -> Path:
    data = gzip.compress((SURVEY + ROWS * 500).encode())
    path = folder / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    return path


def _deflate_check(result, path: Path, out: Path) -> None:
    _two_rows_full(result, path, out)
    assert any("decompression" in n for n in result.attrs["lbprun"]["notes"])


COMPRESSION = [
    Case(
        name="csv_gzip_valid",
        kind="compression",
        make=_write("survey.csv.gz", gzip.compress((SURVEY + ROWS).encode())),
        run=_read_survey,
        check=_deflate_check,
        what="a gzipped CSV is read through bounded streaming decompression",
    ),
    Case(
        name="csv_xz_valid",
        kind="compression",
        make=_write("survey.csv.xz", lzma.compress((SURVEY + ROWS).encode())),
        run=_read_survey,
        check=_deflate_check,
        what="an xz-compressed CSV is read the same way",
    ),
    Case(
        name="tsv_bz2_valid",
        kind="compression",
        make=_write("survey.tsv.bz2", bz2.compress((SURVEY + ROWS).replace(",", "\t").encode())),
        run=_read_survey,
        check=_deflate_check,
        what="a bz2-compressed TSV is read the same way",
    ),
    Case(
        name="csv_gzip_bomb",
        kind="compression",
        make=_gzip_bomb,
        run=_read_survey,
        expect="DataReadError",
        check=_names("decompression bomb"),
        what="a 1 MB gzip that inflates to 1 GiB is refused after a few hundred MB at most",
    ),
    Case(
        name="csv_gzip_truncated",
        kind="compression",
        make=_truncated_gzip,
        run=_read_survey,
        expect="DataReadError",
        check=_names("gzip"),
        what="a gzip file cut in half: a read error, not EOFError",
    ),
    Case(
        name="xlsx_member_bomb",
        kind="compression",
        make=_xlsx_bomb,
        run=_read_survey,
        expect="DataReadError",
        check=_names("padding.xml", "decompression bomb"),
        what="an xlsx member declaring 64 MiB at 1000:1 is refused before openpyxl opens it",
    ),
]

CASES: list[Case] = [*STRUCTURE, *ENCODING, *PARQUET, *SPREADSHEET, *COMPRESSION]
