"""The streaming engine: the in-memory kernel over runner-complete batches of a Parquet log.

One pass reads only the runner ids (:func:`~lbprun.workload._chunks.runner_layout`). A log
sorted by runner is then cut at runner starts into batches of about ``batch_rows`` rows;
an unsorted one is first rewritten, in bounded memory, into files of consecutive runners
(:func:`~lbprun.workload._chunks.partition_by_runner`, in ``temp_directory``). Each batch is
read, computed by the kernel (:func:`~lbprun.workload.kernel.kernel_tables`) and its tables
appended to the Parquet outputs while the next batch is being read, so peak memory is set
by ``batch_rows`` (about three batches in flight), not by the log.

The outputs hold the same rows as the kernel's tables on the whole log, in the same order
(runners in the kernel's order, then as the kernel orders their rows).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from lbprun._checks import ArgumentError, check_positive_int
from lbprun._progress import progress_bar
from lbprun.workload._chunks import (
    Chunk,
    file_chunk,
    partition_by_runner,
    plan_chunks,
    read_chunk,
    runner_layout,
)
from lbprun.workload._grid import check_threads
from lbprun.workload._sources import NOT_UTF8_ADVICE
from lbprun.workload.kernel import kernel_tables

__all__ = ["BATCH_ROWS", "parquet_rows", "stream_outputs"]

#: Default runs per batch (about 0.5 GB of kernel memory for the whole workload).
BATCH_ROWS = 2_000_000


def parquet_rows(files: Sequence[str]) -> int:
    """Number of rows of Parquet ``files``, from their footers.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.parquet"
    >>> pd.DataFrame({"runner_id": ["a", "b"]}).to_parquet(path)
    >>> parquet_rows([str(path)])
    2
    """
    import pyarrow.parquet as pq

    return sum(pq.read_metadata(f).num_rows for f in files)


@contextmanager
def _scratch(temp_directory: str | Path | None) -> Iterator[Path]:
    """A scratch folder inside ``temp_directory`` (or the system's), removed afterwards."""
    if temp_directory is not None:
        Path(temp_directory).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="lbprun-stream-", dir=temp_directory))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _csv_to_parquet(files: list[str], folder: Path) -> list[str]:
    """Convert CSV files to Parquet block by block (bounded memory)."""
    import pyarrow.csv as csv
    import pyarrow.parquet as pq

    out = []
    folder.mkdir(parents=True, exist_ok=True)
    for i, file in enumerate(files):
        target = folder / f"csv-{i:05d}.parquet"
        try:
            # empty fields and NA markers are missing values, as pandas.read_csv reads them
            options = csv.ConvertOptions(strings_can_be_null=True)
            reader = csv.open_csv(file, convert_options=options)
            _check_text(reader.schema, file)
            with pq.ParquetWriter(target, reader.schema) as writer:
                for batch in reader:
                    writer.write_batch(batch)
        except ArgumentError:
            raise
        except Exception as error:  # pyarrow.ArrowInvalid and friends
            raise ArgumentError(f"{file}: cannot be read as CSV in batches ({error}).") from None
        out.append(str(target))
    return out


def _check_text(schema: Any, file: str) -> None:
    """Arrow reads a column that is not valid UTF-8 as bytes: refuse it, naming the column."""
    import pyarrow as pa

    for field in schema:
        if pa.types.is_binary(field.type) or pa.types.is_large_binary(field.type):
            raise ArgumentError(
                f"{file}: column {field.name!r} is not UTF-8 text; {NOT_UTF8_ADVICE}."
            )


class _Outputs:
    """Parquet writers (one per table), or in-memory pieces when there is no ``out``."""

    def __init__(self, jobs: dict[str, Any], out: str | Path | None):
        self.keys = list(jobs)
        self.targets: dict[str, Path] = {}
        if out is not None:
            for key in self.keys:
                target = Path(out)
                if len(self.keys) > 1 or target.suffix != ".parquet":
                    target.mkdir(parents=True, exist_ok=True)
                    target = target / f"{key}.parquet"
                else:
                    target.parent.mkdir(parents=True, exist_ok=True)
                self.targets[key] = target
        self.writers: dict[str, Any] = {}
        self.pieces: dict[str, list[Any]] = {key: [] for key in self.keys}

    def append(self, tables: dict[str, pd.DataFrame]) -> None:
        """Keep or write one batch's tables, one after another."""
        for future in self.submit(None, tables):
            future.result()

    def submit(self, pool: ThreadPoolExecutor | None, tables: dict[str, pd.DataFrame]) -> list:
        """Write one batch's tables side by side on ``pool`` (each to its own file).

        Returns the futures of the writes (none when the tables are kept in memory or there
        is no pool); a table's batches are written in order as long as the caller waits for
        these futures before submitting the next batch.
        """
        if not self.targets:
            for key in self.keys:
                self.pieces[key].append(tables[key])
            return []
        if pool is None:
            for key in self.keys:
                self._write(key, tables[key])
            return []
        return [pool.submit(self._write, key, tables[key]) for key in self.keys]

    def _write(self, key: str, frame: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        writer = self.writers.get(key)
        if writer is None:
            writer = self.writers[key] = pq.ParquetWriter(self.targets[key], table.schema)
        elif table.schema != writer.schema:
            try:
                table = table.select(writer.schema.names).cast(writer.schema)
            except (KeyError, ValueError, TypeError, NotImplementedError) as error:
                raise ArgumentError(
                    f"table {key!r}: a batch of the log gives columns {table.schema.names} "
                    f"({table.schema.types}) that do not fit the first batch's "
                    f"{writer.schema.names} ({writer.schema.types}): the log's files hold "
                    f"different columns or types ({error})."
                ) from None
        writer.write_table(table)

    def close(self, empty: dict[str, pd.DataFrame]) -> dict[str, Any]:
        for writer in self.writers.values():
            writer.close()
        if self.targets:
            for key, target in self.targets.items():
                if key not in self.writers:  # no batch: an empty table with the kernel's columns
                    empty[key].to_parquet(target, index=False)
            return dict(self.targets)
        results = {}
        for key, pieces in self.pieces.items():
            if not pieces:
                results[key] = empty[key]
                continue
            results[key] = _concat(pieces)
        return results


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate batch tables; categoricals with different categories are unioned in order."""
    from pandas.api.types import union_categoricals

    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    columns = {}
    for column in frames[0].columns:
        values = [frame[column] for frame in frames]
        if isinstance(values[0].dtype, pd.CategoricalDtype) and any(
            not v.dtype == values[0].dtype for v in values
        ):
            columns[column] = pd.Series(union_categoricals(values), name=column)
        else:
            columns[column] = pd.concat(values, ignore_index=True)
    return pd.DataFrame(columns)


def _empty_tables(jobs: dict[str, Any], files: list[str]) -> dict[str, pd.DataFrame]:
    """The kernel's tables of no runs (the columns and dtypes of an empty log)."""
    import pyarrow.parquet as pq

    frame = pq.read_schema(files[0]).empty_table().to_pandas() if files else pd.DataFrame()
    try:
        return {k: v.iloc[:0] for k, v in kernel_tables(frame, jobs, threads=1).items()}
    except ArgumentError:
        raise
    except Exception as error:  # an empty frame the kernel cannot type
        raise ArgumentError(f"the log has no runs and no usable columns ({error}).") from None


def _pipeline(
    chunks: list[Chunk],
    jobs: dict[str, Any],
    outputs: _Outputs,
    threads: int | None,
    tick: Callable[[int], None] | None,
) -> None:
    """Read batch i+1 and write batch i-1 while the kernel computes batch i.

    A batch's tables are written side by side (up to ``threads`` files at once: writing is
    most of the work), and all of them before the next batch's, so each file gets its
    batches in order and at most two batches of tables are held.
    """
    writers = min(check_threads(threads), max(1, len(outputs.keys)))
    with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(writers) as writer:
        pending: Future | None = reader.submit(read_chunk, chunks[0]) if chunks else None
        written: list[Future] = []
        for i, chunk in enumerate(chunks):
            frame = pending.result()
            pending = reader.submit(read_chunk, chunks[i + 1]) if i + 1 < len(chunks) else None
            tables = kernel_tables(frame, jobs, threads=threads)
            del frame
            for future in written:
                future.result()
            written = outputs.submit(writer, tables)
            del tables
            if tick is not None:
                tick(chunk.rows)
        for future in written:
            future.result()


def stream_outputs(
    source: Any,
    jobs: dict[str, tuple[str, dict[str, Any]]],
    *,
    out: str | Path | None = None,
    batch_rows: int | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
    progress: bool | None = None,
) -> dict[str, pd.DataFrame | Path]:
    """Run workload ``jobs`` over runner-complete batches of a Parquet (or CSV) log.

    ``jobs`` maps an output key to ``(function name, checked options)``. With ``out`` each
    table is appended to a Parquet file (``out`` itself for one job ending in ``.parquet``,
    else ``out / f"{key}.parquet"``) and its path returned; without, the tables are
    gathered in memory. A pandas DataFrame source is computed in one batch.
    """
    from lbprun.workload._sources import source_files

    batch_rows = check_positive_int(BATCH_ROWS if batch_rows is None else batch_rows, "batch_rows")
    outputs = _Outputs(jobs, out)
    if isinstance(source, pd.DataFrame):
        tables = kernel_tables(source, jobs, threads=threads)
        outputs.append(tables)
        return outputs.close(tables)
    files = source_files(source)
    missing = [f for f in files if not os.path.exists(f)]
    if missing:
        raise ArgumentError(f"no such file: {missing[0]}.")
    with _scratch(temp_directory) as scratch:
        if not all(".parquet" in f.lower() for f in files):
            if any(".parquet" in f.lower() for f in files):
                raise ArgumentError("the streaming engine reads Parquet or CSV files, not both.")
            converted = _csv_to_parquet(files, scratch / "csv")
            with _naming(dict(zip(converted, files, strict=True))):
                return _stream_files(
                    converted, jobs, outputs, batch_rows, scratch, threads, progress
                )
        return _stream_files(files, jobs, outputs, batch_rows, scratch, threads, progress)


@contextmanager
def _naming(originals: dict[str, str]) -> Iterator[None]:
    """Errors about converted CSV files name the user's CSV files instead."""
    try:
        yield
    except ArgumentError as error:
        message = str(error)
        for converted, original in originals.items():
            message = message.replace(converted, original)
        raise ArgumentError(message) from None
    except UnicodeDecodeError as error:
        raise ArgumentError(
            f"{', '.join(originals.values())}: not UTF-8 text ({error.reason}); {NOT_UTF8_ADVICE}."
        ) from None


def _stream_files(
    files: list[str],
    jobs: dict[str, tuple[str, dict[str, Any]]],
    outputs: _Outputs,
    batch_rows: int,
    scratch: Path,
    threads: int | None,
    progress: bool | None,
) -> dict[str, pd.DataFrame | Path]:
    """Lay out the Parquet ``files``, partition them by runner if needed, and stream them."""
    layout = runner_layout(files)
    empty = _empty_tables(jobs, files)
    if layout.sorted:
        chunks = plan_chunks(layout, batch_rows)
    else:
        parts = partition_by_runner(layout, scratch / "parts", batch_rows=batch_rows)
        chunks = [file_chunk(part) for part in parts]
    with progress_bar(layout.rows, desc="stream", unit="run", enabled=progress) as bar:
        tick = bar.update if not bar.disable else None
        _pipeline(chunks, jobs, outputs, threads, tick)
    return outputs.close(empty)
