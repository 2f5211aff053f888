"""Mutation fuzzing of the tabular readers: a result with consistent row counts, or an LbprunError.

Valid CSV, xlsx and Parquet inputs are mutated (bytes inserted, deleted or replaced with the
characters that matter to a parser, lines repeated or cut, cells and column types drawn at
random). Whatever comes in, ``read_survey(..., on_error="drop")`` returns a report with
``rows_in == rows_kept + rows_rejected + rows_excluded`` or raises an
:class:`~lbprun.exceptions.LbprunError`; nothing else. The runs are derandomised and bounded
(fixed ``max_examples``), so the test is deterministic and takes a few seconds.
"""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbprun.exceptions import LbprunError
from lbprun.io import read
from lbprun.io._scan import scan_layout


def _fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

VALID_CSV = (
    b"runner_id,sex,age,bmi,surface,lbp_12m,comment\n"
    b'R1,F,34,22.1,road,yes,"a, quoted\nvalue"\n'
    b"R2,M,41,24.0,trail,no,plain\n"
    b"R3,F,29,21.5,track,1,\n"
)
#: Bytes that matter to a CSV parser, and a few that do not.
ALPHABET = b',;\t|"\r\n \x00\xff\xfeA1.-='


def _folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="lbprun-fuzz-"))


def _check(path: Path) -> None:
    try:
        report = read.read_survey(path, on_error="drop")
    except LbprunError:
        return
    assert report.rows_in == report.rows_kept + report.rows_rejected + report.rows_excluded
    assert len(report.data) == report.rows_kept
    assert len(report.rejected) == report.rows_rejected
    if len(report.rejected):
        assert report.rejected["row"].notna().all()


@st.composite
def mutated(draw, base: bytes) -> bytes:
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["insert", "delete", "replace", "repeat", "cut"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "insert":
            data[at:at] = draw(
                st.binary(min_size=1, max_size=3).map(
                    lambda b: bytes(ALPHABET[x % len(ALPHABET)] for x in b)
                )
            )
        elif op == "delete" and data:
            del data[at : at + draw(st.integers(1, 4))]
        elif op == "replace" and data:
            data[at] = ALPHABET[draw(st.integers(0, len(ALPHABET) - 1))]
        elif op == "repeat":
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            lines.insert(k, lines[k])
            data = bytearray(b"\n".join(lines))
        elif op == "cut":
            data = data[: max(at, 1)]
    return bytes(data)


@_fuzz(20)
@given(mutated(VALID_CSV), st.sampled_from([".csv", ".tsv", ".txt"]))
def test_mutated_csv_gives_a_result_or_a_named_error(content, suffix):
    path = _folder() / f"survey{suffix}"
    path.write_bytes(content)
    _check(path)


@FUZZ
@given(mutated(VALID_CSV))
def test_byte_layout_matches_the_csv_module(content):
    """Where quotes are well placed, the NumPy scan counts what the csv module counts."""
    text = content.replace(b"\x00", b"").decode("latin-1")
    path = _folder() / "layout.csv"
    path.write_bytes(text.encode("latin-1"))
    try:
        layout = scan_layout(path, ",", encoding="latin-1")
    except LbprunError:
        return
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=False))
    if not rows:
        return
    assert layout.n_records == len(rows)
    assert layout.width == max(len(rows[0]), 1)
    counts = np.array([max(len(r), 1) for r in rows])
    blank = np.array([not any(c.strip(' \t"') for c in r) for r in rows])
    odd = np.flatnonzero((counts != counts[0]) & ~blank)
    odd = odd[odd > 0]
    assert layout.odd_index.tolist() == odd.tolist()


@st.composite
def sheets(draw) -> list[list[object]]:
    cell = st.one_of(
        st.none(),
        st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=8),
        st.integers(-(10**12), 10**12),
        st.floats(allow_nan=False, allow_infinity=False),
        st.booleans(),
        st.sampled_from(["=1+1", "=A1", "yes", "no", "R1", "", " "]),
    )
    header = draw(
        st.lists(
            st.sampled_from(["runner_id", "lbp_12m", "age", "bmi", "sex", "x", None]),
            min_size=0,
            max_size=6,
        )
    )
    body = draw(st.lists(st.lists(cell, max_size=8), max_size=6))
    return [header, *body]


@_fuzz(12)
@given(sheets(), st.lists(st.tuples(st.integers(1, 16384), st.integers(1, 1048576)), max_size=2))
def test_random_workbooks_give_a_result_or_a_named_error(rows, far):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for column, row in far:
        sheet.cell(row=row, column=column, value="far")
    path = _folder() / "survey.xlsx"
    book.save(path)
    _check(path)


@_fuzz(12)
@given(mutated(b""), st.integers(0, 10_000), st.integers(1, 64))
def test_damaged_workbooks_give_a_named_error(noise, at, width):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["runner_id", "lbp_12m"])
    book.active.append(["R1", "yes"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = bytearray(buffer.getvalue())
    at %= len(data)
    data[at : at + width] = noise[:width] or b"\x00"
    path = _folder() / "damaged.xlsx"
    path.write_bytes(bytes(data))
    _check(path)


def _arrow_column(kind: str, seed: int):
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    n = 3
    if kind == "int64":
        return pa.array(rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64))
    if kind == "timestamp_us":
        return pa.array(rng.integers(-(2**62), 2**62, n), pa.timestamp("us"))
    if kind == "timestamp_ns_tz":
        return pa.array(rng.integers(-(2**62), 2**62, n), pa.timestamp("ns", tz="UTC"))
    if kind == "date32":
        return pa.array(rng.integers(-(2**31), 2**31 - 1, n).astype(np.int32), pa.date32())
    if kind == "decimal":
        return pa.array([str(v) for v in rng.integers(-999, 999, n)]).cast(pa.decimal128(5, 1))
    if kind == "binary":
        return pa.array([bytes(rng.integers(0, 256, 3, dtype=np.uint8)) for _ in range(n)])
    if kind == "dict_bytes":
        return pa.array([b"yes", b"no", b"yes"]).dictionary_encode()
    if kind == "list":
        return pa.array([[1], [], None])
    if kind == "struct":
        return pa.array([{"a": 1}, None, {"a": 3}])
    if kind == "float":
        return pa.array(rng.choice([np.nan, np.inf, -1e308, 0.5, 34.0], n))
    if kind == "time":
        return pa.array([1, 2, 3], pa.time32("s"))
    if kind == "duration":
        return pa.array([1, 2, 3], pa.duration("s"))
    if kind == "null":
        return pa.nulls(n)
    return pa.array(["yes", "no", None])


KINDS = [
    "int64",
    "timestamp_us",
    "timestamp_ns_tz",
    "date32",
    "decimal",
    "binary",
    "dict_bytes",
    "list",
    "struct",
    "float",
    "time",
    "duration",
    "null",
    "string",
]


@_fuzz(15)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["runner_id", "lbp_12m", "age", "bmi", "sex", "x"]),
            st.sampled_from(KINDS),
            st.integers(0, 2**16),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_random_parquet_columns_give_a_result_or_a_named_error(columns):
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays(
        [_arrow_column(kind, seed) for _, kind, seed in columns],
        names=[name for name, _, _ in columns],
    )
    path = _folder() / "survey.parquet"
    pq.write_table(table, path)
    _check(path)


@pytest.mark.parametrize("suffix", [".csv.gz", ".csv"])
def test_gzip_and_plain_files_read_the_same(suffix, tmp_path):
    import gzip

    path = tmp_path / f"survey{suffix}"
    path.write_bytes(gzip.compress(VALID_CSV) if suffix.endswith(".gz") else VALID_CSV)
    data = read.read_survey(path)
    assert data["runner_id"].tolist() == ["R1", "R2", "R3"]
    assert data["comment"].tolist() == ["a, quoted\nvalue", "plain", ""]  # other columns: as read
