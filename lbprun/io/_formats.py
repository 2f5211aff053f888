"""Open a table source (a file or a DataFrame) and yield its raw rows in chunks.

A :class:`TableSource` knows the header, the decimal mark, reading notes (encoding fallbacks)
and how rows are numbered in messages: the 1-based file line for text files (the header is
line 1), the sheet row for Excel, the 1-based record number for Parquet, Stata and SPSS, and the
0-based position for DataFrames. Text is read as text: nothing is evaluated, and Excel formulas
come back as their formula text.

Examples
--------
>>> import pandas as pd
>>> src = open_source(pd.DataFrame({"runner_id": ["a", "b"]}))
>>> src.fmt, src.row_kind, src.columns
('frame', 'position', ['runner_id'])
>>> [rows.tolist() for _, rows in src.chunks()]
[[0, 1]]
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun.exceptions import DataReadError

__all__ = ["CHUNK_ROWS", "TEXT_SUFFIXES", "TableSource", "open_source"]

#: Rows per chunk when reading CSV and Parquet files.
CHUNK_ROWS = 100_000
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab", ".dat")
_DELIMITERS = (",", ";", "\t", "|")
_BLOCK = 1 << 24

Chunk = tuple[pd.DataFrame, np.ndarray]


@dataclass
class TableSource:
    """A readable table: header, reading notes and a chunk iterator.

    Parameters
    ----------
    name : str
        The file (as given) or ``"<DataFrame>"``, for messages.
    fmt : str
        ``"csv"``, ``"xlsx"``, ``"parquet"``, ``"dta"``, ``"sav"`` or ``"frame"``.
    row_kind : str
        ``"line"``, ``"excel"``, ``"record"`` or ``"position"``.
    columns : list of str
        The header, as in the source.
    read_chunks : callable
        Returns an iterator of ``(raw_frame, row_numbers)``.
    decimal : str, default="."
        Decimal mark of a text file.
    notes : list of str
        Reading notes (encoding fallback, delimiter, sheet).
    """

    name: str
    fmt: str
    row_kind: str
    columns: list[str]
    read_chunks: Callable[[], Iterator[Chunk]]
    decimal: str = "."
    notes: list[str] = field(default_factory=list)
    header_row: int | None = 1
    read_subset: Callable[[list[int]], Iterator[pd.DataFrame]] | None = None

    def chunks(self) -> Iterator[Chunk]:
        """Yield ``(raw_frame, row_numbers)`` chunks; read errors become DataReadError."""
        try:
            yield from self.read_chunks()
        except DataReadError:
            raise
        except Exception as error:  # any parser or decompression failure
            raise DataReadError(f"{self.name}: cannot be read ({_describe(error)}).") from None

    def columns_only(self, positions: list[int]) -> Iterator[pd.DataFrame]:
        """Yield the columns at ``positions`` in chunks (a first pass over a chunked file)."""
        if self.read_subset is None:
            return
        try:
            yield from self.read_subset(positions)
        except DataReadError:
            raise
        except Exception as error:
            raise DataReadError(f"{self.name}: cannot be read ({_describe(error)}).") from None


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def open_source(
    source: Any, *, sheet: str | int | None = None, chunk_rows: int | None = None
) -> TableSource:
    """Open a path or DataFrame as a :class:`TableSource` (header read, rows not yet)."""
    chunk_rows = CHUNK_ROWS if chunk_rows is None else chunk_rows
    if isinstance(source, pd.DataFrame):
        frame = source
        return TableSource(
            name="<DataFrame>",
            fmt="frame",
            row_kind="position",
            columns=[str(c) for c in frame.columns],
            read_chunks=lambda: iter([(frame, np.arange(len(frame), dtype=np.int64))]),
            header_row=None,
        )
    path = Path(source)
    name = str(source)
    if not path.exists():
        raise DataReadError(f"{name}: no such file.")
    if path.is_dir():
        raise DataReadError(f"{name}: is a folder, not a table file.")
    if path.stat().st_size == 0:
        raise DataReadError(f"{name}: the file is empty.")
    with path.open("rb") as handle:
        magic = handle.read(8)
    suffix = path.suffix.lower()
    if magic.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        return _open_excel(path, name, sheet)
    if magic.startswith(b"PAR1") or suffix in (".parquet", ".pq"):
        return _open_parquet(path, name, chunk_rows)
    if suffix == ".dta":
        return _open_whole(path, name, "dta", _read_dta)
    if suffix in (".sav", ".zsav"):
        return _open_whole(path, name, "sav", _read_sav)
    if suffix == ".xls":
        raise DataReadError(f"{name}: old .xls workbooks are not supported; save it as .xlsx.")
    return _open_text(path, name, chunk_rows)


# -- text ---------------------------------------------------------------------------------------


def _detect_encoding(path: Path, name: str) -> tuple[str, list[str]]:
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", []
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", []
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", []
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            if b"\x00" in block:
                raise DataReadError(
                    f"{name}: binary content (NUL bytes), not a text table; is the file "
                    "extension right?"
                )
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                where = offset + error.start
                bad = block[error.start : error.start + 1].hex()
                for encoding in ("cp1252", "latin-1"):
                    if not _decodes(path, encoding):
                        continue
                    return encoding, [
                        f"{name} is not valid UTF-8 (byte 0x{bad} at offset {where}); "
                        f"read as {encoding}: check accented text."
                    ]
            offset += len(block)
    return "utf-8", []


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            for block in iter(lambda: handle.read(_BLOCK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _contains(path: Path, needle: bytes) -> bool:
    with path.open("rb") as handle:
        return any(needle in block for block in iter(lambda: handle.read(_BLOCK), b""))


def _sniff(sample: str) -> tuple[str, str]:
    """Return the delimiter and decimal mark of a text sample."""
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    if len(lines) > 1 and not sample.endswith("\n"):
        lines = lines[:-1]  # the last line may be cut by the sample
    best, best_score = ",", (-1, -1)
    for delimiter in _DELIMITERS:
        counts = [len(row) - 1 for row in csv.reader(lines, delimiter=delimiter)]
        if not counts or counts[0] == 0:
            continue
        consistent = sum(c == counts[0] for c in counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    decimal = "."
    if best != ",":
        body = [row for row in csv.reader(lines[1:], delimiter=best)]
        cells = [c.strip() for row in body for c in row]
        comma = sum(bool(_match(r"[+-]?\d+,\d+", c)) for c in cells)
        dot = sum(bool(_match(r"[+-]?\d+\.\d+", c)) for c in cells)
        if comma and comma >= dot:
            decimal = ","
    return best, decimal


def _match(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


def _open_text(path: Path, name: str, chunk_rows: int) -> TableSource:
    encoding, notes = _detect_encoding(path, name)
    with path.open("r", encoding=encoding, newline="") as handle:
        sample = handle.read(1 << 16)
    if not sample.strip():
        raise DataReadError(f"{name}: the file is empty (no header, no rows).")
    delimiter, decimal = _sniff(sample)
    quoted = _contains(path, b'"')  # without quotes no field can span lines
    if delimiter != ",":
        label = {"\t": "tab", ";": "';'", "|": "'|'"}[delimiter]
        decimal_note = " and decimal comma" if decimal == "," else ""
        notes.append(f"{name}: read with {label} as the delimiter{decimal_note}.")
    first = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
    columns = [c.strip() for c in first]
    if not any(columns):
        raise DataReadError(f"{name}: the header line is empty.")
    header_lines = 1

    def read_chunks() -> Iterator[Chunk]:
        reader = pd.read_csv(
            path,
            sep=delimiter,
            encoding=encoding,
            dtype=str,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            chunksize=chunk_rows,
            engine="c",
        )
        line = header_lines + 1
        total = 0
        with reader:
            for chunk in reader:
                if len(chunk.columns) != len(columns):
                    raise DataReadError(
                        f"{name}: the header has {len(columns)} names but the rows have "
                        f"{len(chunk.columns)} fields."
                    )
                extra = np.zeros(len(chunk), dtype=np.int64)
                for column in chunk.columns if quoted else ():
                    values = chunk[column]
                    has_newline = values.str.contains("\n", regex=False).to_numpy()
                    if has_newline.any():
                        extra += np.where(has_newline, values.str.count("\n").to_numpy(), 0)
                starts = (
                    line + np.arange(len(chunk)) + np.concatenate(([0], np.cumsum(extra)[:-1]))
                )
                line = int(starts[-1] + extra[-1] + 1) if len(chunk) else line
                blank = (chunk == "").all(axis=1).to_numpy()
                if blank.any():
                    chunk = chunk.loc[~blank]
                    starts = starts[~blank]
                total += len(chunk)
                yield chunk.reset_index(drop=True), starts.astype(np.int64)
        if total == 0:
            raise DataReadError(f"{name}: the file has a header but no data rows.")

    def read_subset(positions: list[int]) -> Iterator[pd.DataFrame]:
        reader = pd.read_csv(
            path,
            sep=delimiter,
            encoding=encoding,
            dtype=str,
            na_filter=False,
            keep_default_na=False,
            usecols=positions,
            chunksize=chunk_rows,
            engine="c",
        )
        with reader:
            yield from reader

    return TableSource(
        name, "csv", "line", columns, read_chunks, decimal, notes, read_subset=read_subset
    )


# -- Excel --------------------------------------------------------------------------------------


def _open_excel(path: Path, name: str, sheet: str | int | None) -> TableSource:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=False, data_only=False)
    except Exception as error:
        raise DataReadError(
            f"{name}: cannot be read as an Excel workbook ({_describe(error)})."
        ) from None
    names = workbook.sheetnames
    if sheet is None:
        title = names[0]
    elif isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
        title = names[sheet]
    elif sheet in names:
        title = str(sheet)
    else:
        raise DataReadError(f"{name}: no sheet {sheet!r}; sheets are {', '.join(names)}.")
    worksheet = workbook[title]
    rows = []
    numbers = []
    for number, values in enumerate(worksheet.iter_rows(min_row=1, values_only=True), start=1):
        if values is None or all(
            v is None or (isinstance(v, str) and not v.strip()) for v in values
        ):
            continue
        rows.append([_cell(v) for v in values])
        numbers.append(number)
    workbook.close()
    if not rows:
        raise DataReadError(f"{name}: sheet {title!r} is empty.")
    header = [("" if v is None else str(v)).strip() for v in rows[0]]
    keep = [i for i, h in enumerate(header) if h]
    header = [header[i] for i in keep]
    body = [[row[i] if i < len(row) else None for i in keep] for row in rows[1:]]
    if not body:
        raise DataReadError(f"{name}: sheet {title!r} has a header but no data rows.")
    frame = pd.DataFrame(body, columns=header, dtype=object)
    row_numbers = np.asarray(numbers[1:], dtype=np.int64)
    notes = [] if sheet is None and len(names) == 1 else [f"{name}: read sheet {title!r}."]
    return TableSource(
        name,
        "xlsx",
        "excel",
        header,
        lambda: iter([(frame, row_numbers)]),
        notes=notes,
        header_row=numbers[0],
    )


def _cell(value: Any) -> Any:
    """An Excel cell value as lbprun reads it: formulas stay formula text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "year"):
        return value
    text = getattr(value, "text", None)  # ArrayFormula and DataTableFormula
    return str(text if text is not None else value)


# -- Parquet, Stata, SPSS ---------------------------------------------------------------------


def _open_parquet(path: Path, name: str, chunk_rows: int) -> TableSource:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is in the [formats] extra
        raise DataReadError(f"{name}: reading Parquet needs the [formats] extra.") from None
    try:
        parquet = pq.ParquetFile(path)
        columns = [str(c) for c in parquet.schema_arrow.names]
    except Exception as error:
        raise DataReadError(
            f"{name}: cannot be read as Parquet ({_describe(error)}); is it truncated?"
        ) from None
    if parquet.metadata.num_rows == 0:
        raise DataReadError(f"{name}: the file has columns but no data rows.")

    def read_chunks() -> Iterator[Chunk]:
        start = 1
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            frame = batch.to_pandas()
            yield frame, np.arange(start, start + len(frame), dtype=np.int64)
            start += len(frame)

    def read_subset(positions: list[int]) -> Iterator[pd.DataFrame]:
        names = [columns[i] for i in positions]
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=names):
            yield batch.to_pandas()

    return TableSource(
        name,
        "parquet",
        "record",
        columns,
        read_chunks,
        header_row=None,
        read_subset=read_subset,
    )


def _read_dta(path: Path) -> pd.DataFrame:
    return pd.read_stata(path, convert_categoricals=True)


def _read_sav(path: Path) -> pd.DataFrame:
    try:
        import pyreadstat
    except ImportError:  # pragma: no cover - pyreadstat is in the [formats] extra
        raise DataReadError(f"{path}: reading SPSS files needs the [formats] extra.") from None
    frame, _meta = pyreadstat.read_sav(str(path), apply_value_formats=True)
    return frame


def _open_whole(
    path: Path, name: str, fmt: str, reader: Callable[[Path], pd.DataFrame]
) -> TableSource:
    try:
        frame = reader(path)
    except DataReadError:
        raise
    except Exception as error:
        raise DataReadError(f"{name}: cannot be read as .{fmt} ({_describe(error)}).") from None
    if len(frame) == 0:
        raise DataReadError(f"{name}: the file has columns but no data rows.")
    numbers = np.arange(1, len(frame) + 1, dtype=np.int64)
    return TableSource(
        name,
        fmt,
        "record",
        [str(c) for c in frame.columns],
        lambda: iter([(frame, numbers)]),
        header_row=None,
    )
