"""Open a table source (a file or a DataFrame) and yield its raw rows in chunks.

A :class:`TableSource` knows the header, the decimal mark, reading notes (encoding fallbacks)
and how rows are numbered in messages: the 1-based file line for text files (the header is
line 1), the sheet row for Excel, the 1-based record number for Parquet, Stata and SPSS, and the
0-based position for DataFrames. Text is read as text: nothing is evaluated, and Excel formulas
come back as their formula text. CSV and Parquet chunks are read one ahead on a thread.

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

import queue
import threading
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
#: Parquet chunks hold up to this many times ``CHUNK_ROWS`` rows (half the file at most).
PARQUET_CHUNK_FACTOR = 10

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
    header_row : int or None, default=1
        The row of the header (file line or sheet row), None for formats without one.
    read_subset : callable or None, default=None
        Returns an iterator of chunks of the columns at the given positions (a first pass).
    bad_rows, bad_counts : numpy.ndarray
        Text files: the lines whose field count differs from the header's, and their counts.
    expected_fields : int, default=0
        Text files: the header's field count.
    total_rows : int or None, default=None
        Data rows the chunks will hold, when known before reading (a progress bar's total).
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
    bad_rows: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    bad_counts: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    expected_fields: int = 0
    total_rows: int | None = None

    def chunks(self) -> Iterator[Chunk]:
        """Yield ``(raw_frame, row_numbers)`` chunks; read errors become DataReadError.

        Files are read one chunk ahead on a thread (Parquet decoding and the CSV parser
        release the GIL), so reading overlaps the validation of the chunk before.
        """
        try:
            if self.fmt in ("csv", "parquet"):
                yield from _read_ahead(self.read_chunks)
            else:
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


def _read_ahead(make: Callable[[], Iterator[Chunk]]) -> Iterator[Chunk]:
    """Yield the chunks of ``make()`` while a thread reads the next one."""
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> None:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    def work() -> None:
        try:
            for chunk in make():
                put(("chunk", chunk))
                if stop.is_set():
                    return
            put(("end", None))
        except BaseException as error:  # handed to the reading thread, raised there
            put(("error", error))

    worker = threading.Thread(target=work, name="lbprun-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = box.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()
        worker.join()


def describe(error: BaseException) -> str:
    """``"TypeName: first line of the message"`` of an exception, for error messages."""
    return _describe(error)


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
            total_rows=len(frame),
        )
    path = Path(source)
    name = str(source)
    if not path.exists():
        raise DataReadError(f"{name}: no such file.")
    if path.is_dir():
        raise DataReadError(f"{name}: is a folder, not a table file.")
    if path.stat().st_size == 0:
        raise DataReadError(f"{name}: the file is empty.")
    try:
        with path.open("rb") as handle:
            magic = handle.read(8)
    except OSError as error:
        raise DataReadError(f"{name}: cannot be opened ({_describe(error)}).") from None
    suffix = path.suffix.lower()
    from lbprun.io._limits import codec_of_head

    if codec_of_head(magic) is not None:  # gzip/bz2/xz/zstd, whatever the name says
        from lbprun.io._text import open_text

        return open_text(path, name, chunk_rows, sheet=sheet)
    if magic.startswith(b"PK\x03\x04") or suffix in (".xlsx", ".xlsm"):
        from lbprun.io._excel import open_excel

        return open_excel(path, name, sheet)
    if magic.startswith(b"PAR1") or suffix in (".parquet", ".pq"):
        return _open_parquet(path, name, chunk_rows)
    if suffix == ".dta":
        return _open_whole(path, name, "dta", _read_dta)
    if suffix in (".sav", ".zsav"):
        return _open_whole(path, name, "sav", _read_sav)
    if suffix == ".xls":
        raise DataReadError(f"{name}: old .xls workbooks are not supported; save it as .xlsx.")
    from lbprun.io._text import open_text

    return open_text(path, name, chunk_rows, sheet=sheet)


# -- Parquet, Stata, SPSS ---------------------------------------------------------------------


def _open_parquet(path: Path, name: str, chunk_rows: int) -> TableSource:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - pyarrow is in the [formats] extra
        raise DataReadError(f"{name}: reading Parquet needs the [formats] extra.") from None
    try:
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        columns = [str(c) for c in schema.names]
        rows = parquet.metadata.num_rows
    except Exception as error:
        raise DataReadError(
            f"{name}: cannot be read as Parquet ({_describe(error)}); is it truncated?"
        ) from None
    for column, kind in zip(columns, schema.types, strict=True):
        if _nested(kind):
            raise DataReadError(
                f"{name}: column {column!r} holds nested values ({kind}); lbprun reads flat "
                "tables only: flatten or drop that column."
            )
    if rows == 0:
        raise DataReadError(f"{name}: the file has columns but no data rows.")
    # typed, compact columns: a long file is read in fewer, larger chunks (at most
    # PARQUET_CHUNK_FACTOR x chunk_rows, at least two), a short one in chunks of chunk_rows
    chunk_rows = min(PARQUET_CHUNK_FACTOR * chunk_rows, max(chunk_rows, rows // 2))

    def read_chunks() -> Iterator[Chunk]:
        start = 1
        for batch in parquet.iter_batches(batch_size=chunk_rows):
            frame = _batch_frame(batch, columns, name, start)
            yield frame, np.arange(start, start + len(frame), dtype=np.int64)
            start += len(frame)

    def read_subset(positions: list[int]) -> Iterator[pd.DataFrame]:
        names = [columns[i] for i in positions]
        start = 1
        for batch in parquet.iter_batches(batch_size=chunk_rows, columns=names):
            yield _batch_frame(batch, names, name, start)
            start += batch.num_rows

    return TableSource(
        name,
        "parquet",
        "record",
        columns,
        read_chunks,
        header_row=None,
        read_subset=read_subset,
        total_rows=rows,
    )


def _nested(kind: Any) -> bool:
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        return _nested(kind.value_type)
    return bool(
        pa.types.is_nested(kind) or (hasattr(pa.types, "is_union") and pa.types.is_union(kind))
    )


def _batch_frame(batch: Any, columns: list[str], name: str, start: int) -> pd.DataFrame:
    """A record batch as a DataFrame, column by column, with every value checked.

    Text stays text (binary is decoded as UTF-8), decimals become float64, dates and
    timestamps become ``datetime64[ns]`` (keeping a time zone); a value out of that range
    (1677-2262) or undecodable bytes raise a DataReadError naming the column (and record).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    data = {}
    for k, column in enumerate(columns):
        array = batch.column(k)
        kind = array.type
        if pa.types.is_dictionary(kind):
            array, kind = array.dictionary_decode(), kind.value_type
        try:
            if (
                pa.types.is_binary(kind)
                or pa.types.is_large_binary(kind)
                or (pa.types.is_fixed_size_binary(kind))
            ):
                array = array.cast(pa.binary()).cast(pa.string())
            elif pa.types.is_decimal(kind) or pa.types.is_float16(kind):
                array = array.cast(pa.float64())
            elif pa.types.is_date(kind) or pa.types.is_timestamp(kind):
                zone = kind.tz if pa.types.is_timestamp(kind) else None
                array = array.cast(pa.timestamp("ns", tz=zone), safe=True)
            elif pa.types.is_time(kind) or pa.types.is_duration(kind):
                array = array.cast(pa.string())
            series = array.to_pandas()
        except Exception as error:
            where = _first_out_of_range(array, pc)
            at = f", record {start + where}" if where is not None else ""
            rule = (
                "dates must lie in 1677-2262 (datetime64[ns])"
                if pa.types.is_date(kind) or pa.types.is_timestamp(kind)
                else "text must be UTF-8"
                if pa.types.is_binary(kind) or pa.types.is_large_binary(kind)
                else "lbprun cannot convert it"
            )
            raise DataReadError(
                f"{name}: column {column!r}{at} cannot be read ({_describe(error)}); {rule}."
            ) from None
        if pd.api.types.is_datetime64_dtype(series.dtype):
            series = series.astype("datetime64[ns]")
        data[k] = series.reset_index(drop=True)
    frame = pd.DataFrame(data)
    frame.columns = columns
    return frame


def _first_out_of_range(array: Any, pc: Any) -> int | None:
    """The position of the first date out of the ``datetime64[ns]`` range, if that was it."""
    import pyarrow as pa

    kind = array.type
    try:
        if pa.types.is_timestamp(kind):
            unit = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}[kind.unit]
            values = array.cast(pa.int64()).to_numpy(zero_copy_only=False)
            limit = np.iinfo(np.int64).max // unit
        elif pa.types.is_date32(kind):
            values = array.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
            limit = np.iinfo(np.int64).max // 86_400_000_000_000
        else:
            return None
        bad = np.flatnonzero(np.abs(np.nan_to_num(values.astype(float))) > limit)
        return int(bad[0]) if len(bad) else None
    except Exception:  # pragma: no cover - best effort for the message only
        return None


def _read_dta(path: Path) -> pd.DataFrame:
    return pd.read_stata(path, convert_categoricals=True)


def _read_sav(path: Path) -> pd.DataFrame:
    try:
        import pyreadstat
    except ImportError:  # pragma: no cover - pyreadstat is in the [formats] extra
        raise DataReadError(f"{path}: reading SPSS files needs the [formats] extra.") from None
    frame, meta = pyreadstat.read_sav(str(path), apply_value_formats=False)
    labels = getattr(meta, "variable_value_labels", None) or {}
    for column, mapping in labels.items():
        if column not in frame.columns or not mapping:
            continue
        seen: dict[str, list[Any]] = {}
        for code, label in mapping.items():
            seen.setdefault(str(label).strip().lower(), []).append(code)
        clash = {label: codes for label, codes in seen.items() if len(codes) > 1}
        if clash:
            label, codes = next(iter(clash.items()))
            raise DataReadError(
                f"{path}: column {column!r} has value labels that give several codes one "
                f"label ({label!r} for codes {', '.join(repr(c) for c in codes)}); lbprun "
                "cannot tell those answers apart. Fix the labels in SPSS."
            )
        values = frame[column]
        mapped = values.map(mapping)
        frame[column] = mapped.where(mapped.notna() | values.isna(), values)
    return frame


def _open_whole(
    path: Path, name: str, fmt: str, reader: Callable[[Path], pd.DataFrame]
) -> TableSource:
    try:
        frame = reader(path)
    except DataReadError as error:
        raise DataReadError(str(error).replace(str(path), name, 1)) from None
    except Exception as error:
        raise DataReadError(f"{name}: cannot be read as .{fmt} ({_describe(error)}).") from None
    if len(frame) == 0:
        raise DataReadError(f"{name}: the file has columns but no data rows.")
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column].dtype):
            values = frame[column]
            if isinstance(values.dtype, pd.DatetimeTZDtype):
                values = values.dt.tz_localize(None)
            try:
                frame[column] = values.astype("datetime64[ns]")
            except Exception as error:
                raise DataReadError(
                    f"{name}: column {column!r} has dates out of the 1677-2262 range "
                    f"({_describe(error)})."
                ) from None
    numbers = np.arange(1, len(frame) + 1, dtype=np.int64)
    return TableSource(
        name,
        fmt,
        "record",
        [str(c) for c in frame.columns],
        lambda: iter([(frame, numbers)]),
        header_row=None,
    )
