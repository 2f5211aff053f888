"""Runner-complete chunks of a Parquet log, read in bounded memory.

The streaming and Dask engines run the in-memory kernel on pieces of a log that hold every
run of each of their runners. This module finds such pieces without loading the log:

* :func:`runner_layout` reads only the ``runner_id`` column, one row group at a time, and
  learns whether the log is *sorted* (each runner's rows contiguous, runners in the kernel's
  order: ascending id) and, if so, where each runner starts; otherwise how many rows each
  runner has.
* :func:`plan_chunks` cuts a sorted log at runner starts into chunks of about ``batch_rows``
  rows, each a list of row ranges of row groups (a runner may straddle row groups and
  files); :func:`read_chunk` reads one.
* :func:`partition_by_runner` rewrites an unsorted log, one record batch at a time, into
  Parquet files of consecutive runner ranges (kernel order), each about ``batch_rows`` rows,
  keeping the input order inside each runner. Memory is one batch plus one open writer per
  output file.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> runs = pd.DataFrame({"runner_id": ["a", "a", "b", "c"],
...                      "date": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01",
...                                              "2024-01-03"]),
...                      "distance_km": [5.0, 6.0, 7.0, 8.0]})
>>> runs.to_parquet(folder / "log.parquet", row_group_size=3)
>>> layout = runner_layout([str(folder / "log.parquet")])
>>> layout.sorted, layout.rows, layout.runners
(True, 4, 3)
>>> [chunk.rows for chunk in plan_chunks(layout, batch_rows=2)]
[2, 2]
>>> read_chunk(plan_chunks(layout, batch_rows=2)[1])["runner_id"].tolist()
['b', 'c']
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_positive_int
from lbprun.workload._grid import available_cores
from lbprun.workload._sources import CATEGORICAL_COLUMNS

__all__ = [
    "CATEGORICAL_COLUMNS",
    "Chunk",
    "Layout",
    "Piece",
    "partition_by_runner",
    "plan_chunks",
    "read_chunk",
    "runner_layout",
]


@dataclass(frozen=True)
class Piece:
    """Rows ``start:stop`` of row groups ``row_groups`` (read together) of ``file``."""

    file: str
    row_groups: tuple[int, ...]
    start: int
    stop: int


@dataclass(frozen=True)
class Chunk:
    """Whole runners: the rows of ``pieces``, in order."""

    pieces: tuple[Piece, ...]
    rows: int


@dataclass
class Layout:
    """Where the runners of a Parquet log are (see :func:`runner_layout`)."""

    files: list[str]
    #: rows of each row group, per file
    group_rows: list[list[int]]
    #: True when every runner's rows are contiguous and runners ascend in the kernel's order
    sorted: bool
    rows: int
    runners: int
    #: first global row of each runner (sorted logs only)
    starts: np.ndarray | None = None
    #: rows per runner in kernel order, and the ids (unsorted logs only)
    counts: np.ndarray | None = None
    ids: Any = field(default=None, repr=False)


def _decoded(column: Any) -> Any:
    """One plain Arrow array of a column (dictionaries decoded, chunks combined)."""
    import pyarrow as pa

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


#: What a missing value of a column the kernel cannot do without means.
_MISSING = {
    "runner_id": "the runner id is missing (every run needs a runner)",
    "date": "the date is missing (every run needs a date)",
    "start_time": "the start time is missing (every run needs a date)",
}


def _check_no_missing(array: Any, file: str, first_row: int, column: str = "runner_id") -> None:
    """Raise naming ``file``, the row (1-based, in the file) and ``column`` of the first null."""
    if array.null_count:
        import pyarrow.compute as pc

        row = int(np.flatnonzero(pc.is_null(array).to_numpy(zero_copy_only=False))[0])
        raise ArgumentError(
            f"{file}: row {first_row + row + 1}, column {column!r}: {_MISSING[column]}."
        )


def _check_dates(table: Any, file: str, first_row: int) -> None:
    """No missing run date (``date``, else ``start_time``, as the kernel reads it) in ``table``."""
    names = table.column_names
    column = "date" if "date" in names else "start_time" if "start_time" in names else None
    if column is not None:
        _check_no_missing(table.column(column), file, first_row, column)


def _ascending(first: Any, second: Any) -> bool:
    """Whether every ``first[i] < second[i]`` (Arrow arrays of equal length)."""
    import pyarrow.compute as pc

    return len(first) == 0 or bool(pc.all(pc.less(first, second)).as_py())


def runner_layout(files: Sequence[str | Path]) -> Layout:
    """Learn where each runner's rows are, reading only ``runner_id`` row group by row group.

    Parameters
    ----------
    files : sequence of str or Path
        Parquet files of one log, in order.

    Returns
    -------
    Layout
        ``sorted`` is True when each runner's rows are contiguous and runners ascend (the
        kernel's order) across the files; then ``starts`` holds each runner's first row.
        Otherwise ``counts`` and ``ids`` hold each runner's number of rows, in kernel order.

    Raises
    ------
    lbprun._checks.ArgumentError
        When a file has no ``runner_id`` column or a runner id is missing (naming the file and
        row).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.parquet"
    >>> pd.DataFrame({"runner_id": [2, 1, 2], "km": [1.0, 2.0, 3.0]}).to_parquet(path)
    >>> layout = runner_layout([path])
    >>> layout.sorted, layout.counts.tolist(), layout.ids.to_pylist()
    (False, [1, 2], [1, 2])
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    files = [str(f) for f in files]
    group_rows: list[list[int]] = []
    starts: list[np.ndarray] = []
    counts: list[Any] = []
    is_sorted = True
    last = None  # last runner id seen (sorted logs)
    offset = 0
    for file in files:
        reader = pq.ParquetFile(file)
        if "runner_id" not in reader.schema_arrow.names:
            raise ArgumentError(f"{file}: no 'runner_id' column; got {reader.schema_arrow.names}.")
        sizes = [reader.metadata.row_group(i).num_rows for i in range(reader.num_row_groups)]
        group_rows.append(sizes)
        for group, size in enumerate(sizes):
            if size == 0:
                continue
            ids = _decoded(reader.read_row_group(group, columns=["runner_id"]).column(0))
            _check_no_missing(ids, file, sum(sizes[:group]))  # rows counted in this file
            if is_sorted:
                change = pc.not_equal(ids[1:], ids[:-1]).to_numpy(zero_copy_only=False)
                local = np.concatenate(([0], np.flatnonzero(change) + 1))
                heads = ids.take(pa.array(local))
                continues = last is not None and heads[0].as_py() == last
                ordered = _ascending(heads[:-1], heads[1:]) and (
                    last is None
                    or continues
                    or _ascending(pa.array([last], heads.type), heads[:1])
                )
                if ordered:
                    starts.append(local[1:] + offset if continues else local + offset)
                    last = heads[-1].as_py()
                else:
                    is_sorted = False
                    # count the rows seen so far by runner, then go on counting
                    counts.extend(_counts_before(files, group_rows, offset))
            if not is_sorted:
                counts.append(pc.value_counts(ids))
            offset += size
    rows = offset
    if is_sorted:
        first = np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)
        return Layout(files, group_rows, True, rows, len(first), starts=first.astype(np.int64))
    table = pa.Table.from_batches([pa.RecordBatch.from_struct_array(c) for c in counts if len(c)])
    table = table.group_by("values").aggregate([("counts", "sum")])
    table = table.sort_by("values")
    ids = table.column("values").combine_chunks()
    count = table.column("counts_sum").to_numpy().astype(np.int64)
    return Layout(files, group_rows, False, rows, len(ids), counts=count, ids=ids)


def _counts_before(files: list[str], group_rows: list[list[int]], stop: int) -> list[Any]:
    """Value counts of the runner ids of the first ``stop`` rows, row group by row group."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = []
    offset = 0
    for file, sizes in zip(files, group_rows, strict=False):
        reader = pq.ParquetFile(file)
        for group, size in enumerate(sizes):
            if offset >= stop:
                return out
            if size:
                ids = _decoded(reader.read_row_group(group, columns=["runner_id"]).column(0))
                out.append(pc.value_counts(ids))
            offset += size
    return out


def plan_chunks(layout: Layout, batch_rows: int) -> list[Chunk]:
    """Cut a sorted log at runner starts into chunks of about ``batch_rows`` rows.

    A runner with more rows than ``batch_rows`` is a chunk of its own.

    Parameters
    ----------
    layout : Layout
        From :func:`runner_layout`; must be sorted.
    batch_rows : int
        Target rows per chunk.

    Returns
    -------
    list of Chunk
        In the log's order (which is the kernel's).

    Examples
    --------
    >>> layout = Layout(["f"], [[3, 3]], True, 6, 3, starts=np.array([0, 2, 5]))
    >>> [(c.rows, [(p.row_groups, p.start, p.stop) for p in c.pieces])
    ...  for c in plan_chunks(layout, 4)]
    [(2, [((0,), 0, 2)]), (4, [((0, 1), 2, 6)])]
    """
    if not layout.sorted:
        raise ArgumentError("plan_chunks needs a log sorted by runner; partition it first.")
    batch_rows = check_positive_int(batch_rows, "batch_rows")
    if layout.rows == 0:
        return []
    starts = layout.starts
    bounds = [0]
    while bounds[-1] < layout.rows:
        target = bounds[-1] + batch_rows
        if target >= layout.rows:
            bounds.append(layout.rows)
            break
        # the last runner start at or before the target, past the current bound
        at = int(np.searchsorted(starts, target, side="right")) - 1
        cut = int(starts[at]) if at >= 0 and starts[at] > bounds[-1] else None
        if cut is None:  # one runner longer than a batch: up to the next runner
            nxt = int(np.searchsorted(starts, bounds[-1], side="right"))
            cut = int(starts[nxt]) if nxt < len(starts) else layout.rows
        bounds.append(cut)
    return [_chunk(layout, a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _chunk(layout: Layout, start: int, stop: int) -> Chunk:
    """The pieces of global rows ``start:stop``."""
    pieces = []
    offset = 0
    for file, sizes in zip(layout.files, layout.group_rows, strict=True):
        ends = offset + np.cumsum(sizes, dtype=np.int64)
        begins = ends - np.asarray(sizes, dtype=np.int64)
        offset = int(ends[-1]) if len(sizes) else offset
        groups = np.flatnonzero((begins < stop) & (ends > start))
        groups = [int(g) for g in groups if sizes[g] > 0]
        if not groups:
            continue
        first = int(begins[groups[0]])
        pieces.append(
            Piece(
                file,
                tuple(groups),
                max(start, first) - first,
                min(stop, int(ends[groups[-1]])) - first,
            )
        )
    return Chunk(tuple(pieces), stop - start)


def _dictionary_columns(schema: Any) -> list[str]:
    import pyarrow as pa

    text = (pa.types.is_string, pa.types.is_large_string)
    return [
        name
        for name in CATEGORICAL_COLUMNS
        if name in schema.names and any(is_text(schema.field(name).type) for is_text in text)
    ]


def read_chunk(chunk: Chunk, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read one chunk into pandas, ids of :data:`CATEGORICAL_COLUMNS` as categoricals.

    Parameters
    ----------
    chunk : Chunk
        From :func:`plan_chunks` (or a whole file of :func:`partition_by_runner`).
    columns : sequence of str, optional
        Columns to read (default all).

    Returns
    -------
    pandas.DataFrame
        The chunk's rows in the log's order, with a fresh RangeIndex.

    Examples
    --------
    >>> chunk = Chunk((), 0)
    >>> len(read_chunk(chunk))
    0
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for piece in chunk.pieces:
        schema = pq.read_schema(piece.file)
        reader = pq.ParquetFile(piece.file, read_dictionary=_dictionary_columns(schema))
        table = reader.read_row_groups(list(piece.row_groups), columns=columns, use_threads=True)
        table = table.slice(piece.start, piece.stop - piece.start)
        before = sum(
            reader.metadata.row_group(g).num_rows for g in range(min(piece.row_groups, default=0))
        )
        _check_dates(table, piece.file, before + piece.start)
        if tables and table.schema != tables[0].schema:  # files written with other types
            table = _conform(table, tables[0].schema, piece.file)
        tables.append(table)
    if not tables:
        return pd.DataFrame()
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    table = table.unify_dictionaries()
    frame = table.to_pandas(self_destruct=True)
    del table, tables
    return frame


def file_chunk(file: str | Path) -> Chunk:
    """A whole file as one chunk (a file of :func:`partition_by_runner`).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "part.parquet"
    >>> pd.DataFrame({"runner_id": ["a"], "km": [1.0]}).to_parquet(path)
    >>> file_chunk(path).rows
    1
    """
    import pyarrow.parquet as pq

    metadata = pq.read_metadata(str(file))
    groups = tuple(range(metadata.num_row_groups))
    return Chunk((Piece(str(file), groups, 0, metadata.num_rows),), metadata.num_rows)


def _bucket_firsts(counts: np.ndarray, batch_rows: int) -> np.ndarray:
    """Index of the first runner of each bucket: consecutive runners, ~``batch_rows`` rows."""
    ends = np.cumsum(counts)
    firsts = [0]
    while True:
        target = (ends[firsts[-1] - 1] if firsts[-1] else 0) + batch_rows
        nxt = int(np.searchsorted(ends, target, side="left")) + 1
        nxt = max(nxt, firsts[-1] + 1)
        if nxt >= len(counts):
            break
        firsts.append(nxt)
    return np.asarray(firsts, dtype=np.int64)


def partition_by_runner(
    layout: Layout, folder: str | Path, *, batch_rows: int, read_rows: int = 1_000_000
) -> list[str]:
    """Rewrite an unsorted log into runner-complete Parquet files, in bounded memory.

    Runners are split into consecutive ranges of the kernel's order holding about
    ``batch_rows`` rows each; each range goes to one file, its rows in the input order. The
    log is read ``read_rows`` rows at a time; every output file has a writer open for the
    whole pass.

    Parameters
    ----------
    layout : Layout
        From :func:`runner_layout` on the log (its ``counts`` and ``ids``).
    folder : str or Path
        Where to write ``part-00000.parquet``, ... (created if needed).
    batch_rows : int
        Target rows per output file.
    read_rows : int, default=1_000_000
        Rows read at a time.

    Returns
    -------
    list of str
        The files written, in the kernel's order of their runners.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"runner_id": ["b", "a", "b", "c"], "km": [1.0, 2.0, 3.0, 4.0]}).to_parquet(
    ...     folder / "log.parquet")
    >>> layout = runner_layout([folder / "log.parquet"])
    >>> parts = partition_by_runner(layout, folder / "parts", batch_rows=2)
    >>> [pd.read_parquet(p)["km"].tolist() for p in parts]
    [[1.0, 2.0, 3.0], [4.0]]
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    batch_rows = check_positive_int(batch_rows, "batch_rows")
    if layout.counts is None:
        raise ArgumentError("partition_by_runner needs the runner counts of an unsorted layout.")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    firsts = _bucket_firsts(layout.counts, batch_rows)
    schema = pq.read_schema(layout.files[0])
    paths = [str(folder / f"part-{b:05d}.parquet") for b in range(len(firsts))]
    writers = [pq.ParquetWriter(path, schema) for path in paths]
    written: list[Future] = []
    # the slices of one read are written side by side while the next read is cut; every
    # write of a read finishes before the next read's are submitted, so each file keeps the
    # input order
    pool = ThreadPoolExecutor(min(available_cores(), len(paths)))
    try:
        for file in layout.files:
            reader = pq.ParquetFile(file)
            offset = 0
            for batch in reader.iter_batches(batch_size=read_rows):
                table = pa.Table.from_batches([batch])
                if table.schema != schema:
                    table = _conform(table, schema, file)
                _check_dates(table, file, offset)  # rows are reordered below
                offset += table.num_rows
                ids = _decoded(table.column("runner_id"))
                rank = pc.index_in(ids, value_set=layout.ids).to_numpy(zero_copy_only=False)
                bucket = np.searchsorted(firsts, rank, side="right") - 1
                order = np.argsort(bucket, kind="stable")
                sizes = np.bincount(bucket, minlength=len(firsts))
                table = table.take(pa.array(order))
                for future in written:
                    future.result()
                written = []
                at = 0
                for b in np.flatnonzero(sizes):
                    piece = table.slice(at, int(sizes[b]))
                    written.append(pool.submit(writers[b].write_table, piece))
                    at += int(sizes[b])
        for future in written:
            future.result()
    finally:
        pool.shutdown(wait=True)
        for writer in writers:
            writer.close()
    return paths


def _conform(table: Any, schema: Any, file: str) -> Any:
    """Cast ``table`` to the first file's schema, or raise naming the file."""
    try:
        return table.select(schema.names).cast(schema)
    except (KeyError, ValueError, TypeError, NotImplementedError) as error:
        import pyarrow as pa

        if isinstance(error, pa.ArrowException | KeyError | ValueError | TypeError):
            raise ArgumentError(
                f"{file}: its columns do not match the first file's ({schema.names}); "
                f"got {table.schema.names} ({error})."
            ) from None
        raise
