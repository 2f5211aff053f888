"""The Dask engine: the in-memory kernel on partitions of whole runners, one task each.

How the runs are cut into partitions of whole runners, cheapest first:

1. a pandas DataFrame is sorted by runner in this process (one stable argsort of integer
   runner codes) and cut at runner boundaries into slices, in the kernel's order;
2. a folder of hive partitions by runner bucket (``runner_bucket=K/*.parquet``, see
   :func:`~lbprun.workload._dask_parts.write_runner_buckets`) gives one task per bucket;
3. Parquet files sorted by runner (each runner's rows contiguous, runners ascending across
   the files) are cut into chunks of whole runners from their row-group layout
   (:func:`~lbprun.workload._chunks.runner_layout`, which reads only ``runner_id``); each task
   reads its own chunk, so no row moves between workers;
4. anything else (unsorted Parquet, CSV) goes through Dask's shuffle on an integer hash of the
   runner id (``p2p`` on a distributed cluster, ``tasks`` on the local scheduler), with each
   row's input position carried along so a partition is put back in input order.

Each task runs :func:`~lbprun.workload.kernel.kernel_tables` single-threaded. With ``out`` it
writes its part of every table where it runs (``out/part-00000.parquet`` ... for one table,
``out/<key>/part-00000.parquet`` ... for several) and returns only row counts; otherwise the
tables come back and are concatenated in the kernel's order (partitions that are not in that
order are put back by the rank of the runner id, stably). Identifier columns travel as
categoricals (Parquet) or Arrow strings (CSV), values as float64, dates as datetime64: no
Python string object per row.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_columns, check_positive_int
from lbprun.workload._budget import estimated_runs
from lbprun.workload._chunks import plan_chunks, runner_layout
from lbprun.workload._dask_parts import (
    BUCKET,
    KEY,
    bucket_folders,
    bucket_part,
    chunk_part,
    keyed,
    run_part,
    shuffled_part,
)
from lbprun.workload._grid import available_cores
from lbprun.workload._prepared import rank_runners
from lbprun.workload._sources import describe_source, read_csv_file, source_files
from lbprun.workload.kernel import kernel_tables

__all__ = ["dask_outputs"]

Jobs = dict[str, tuple[str, dict[str, Any]]]

#: Tasks per worker thread when ``npartitions`` is not given (room to balance the load).
TASKS_PER_THREAD = 3

#: Most runs per task when ``npartitions`` is not given, so that a worker's peak memory is set
#: by the task (about 250 bytes a run), not by the size of the log over the number of workers.
TASK_ROWS = 2_000_000

_PART = re.compile(r"^part-\d{5}\.parquet$")


def _current_client() -> Any:
    """The active ``distributed`` client, or None (the local threaded scheduler)."""
    try:
        from distributed import default_client
    except ImportError:
        return None
    try:
        return default_client()
    except ValueError:
        return None


def _thread_count(client: Any) -> int:
    if client is not None:
        return max(1, sum(client.nthreads().values()))
    return available_cores()


def _default_tasks(source: Any, client: Any) -> int:
    """:data:`TASKS_PER_THREAD` per worker thread, more when a task would exceed TASK_ROWS."""
    by_threads = TASKS_PER_THREAD * _thread_count(client)
    try:
        runs = estimated_runs(source)
    except (ArgumentError, OSError, ValueError):  # the plan says what is wrong with the source
        return by_threads
    return max(by_threads, math.ceil(runs / TASK_ROWS))


def _unreadable(source: Any, error: Exception) -> ArgumentError:
    text = " ".join(str(error).split())
    return ArgumentError(
        f"{describe_source(source)}: cannot be read as UTF-8 CSV ({type(error).__name__}: {text})."
    )


def _plain_sample(files: list[str]) -> pd.DataFrame:
    """The first run of the first file, read as pandas reads the file (for output dtypes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if ".parquet" not in files[0].lower():
        for file in files:  # each file's header, before Dask reads them in parallel
            header = read_csv_file(file, nrows=0)
            if "runner_id" not in header.columns:
                shown = ", ".join(map(str, header.columns))
                raise ArgumentError(f"{file}: column 'runner_id' not found. Columns are: {shown}.")
        return read_csv_file(files[0], nrows=1)
    reader = pq.ParquetFile(files[0])
    batch = next(reader.iter_batches(batch_size=1), None)
    schema = reader.schema_arrow
    table = pa.Table.from_batches([batch] if batch is not None else [], schema=schema)
    if BUCKET in table.column_names:
        table = table.drop_columns([BUCKET])
    return table.to_pandas()


def _frame_slices(source: pd.DataFrame, n: int) -> list[pd.DataFrame]:
    """Slices of whole runners in the kernel's order, about ``len / n`` rows each."""
    check_columns(source, ["runner_id"], name="activities")
    codes, uniques = pd.factorize(source["runner_id"], sort=False)
    missing = int((codes < 0).sum())
    if missing:
        raise ArgumentError(
            f"activities['runner_id'] must not be missing; got {missing} missing value(s)."
        )
    ranked, _ = rank_runners(codes, uniques)
    order = np.argsort(ranked, kind="stable")
    starts = np.searchsorted(ranked[order], np.arange(len(uniques)))
    size = max(1, math.ceil(len(source) / max(n, 1)))
    cuts = sorted({int(s) for s in starts[np.unique(starts // size, return_index=True)[1]]})
    bounds = [*cuts, len(source)]
    return [source.take(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _shuffled(files: list[str], n: int, client: Any) -> list[Any]:
    """Partitions of whole runners by Dask's shuffle (p2p on a cluster), as delayed frames."""
    import dask
    import dask.dataframe as dd

    with dask.config.set({"dataframe.convert-string": True}):
        if all(".parquet" in f.lower() for f in files):
            ddf = dd.read_parquet(files)
        else:
            ddf = dd.read_csv(files, assume_missing=True)  # integer columns may hold gaps
        ddf = ddf.map_partitions(keyed, meta=keyed(ddf._meta))
        method = "p2p" if client is not None else "tasks"
        shuffled = ddf.shuffle(on=KEY, npartitions=n, shuffle_method=method)
        return list(shuffled.to_delayed())


def _plan(
    source: Any, npartitions: int | None, client: Any
) -> tuple[Any, list[Any], pd.DataFrame, bool]:
    """Task function, its items, a one-run sample of the input and whether items are ordered."""
    n = npartitions or _default_tasks(source, client)
    if isinstance(source, pd.DataFrame):
        return run_part, _frame_slices(source, n), source.iloc[:1], True
    buckets = bucket_folders(source)
    if buckets:
        return bucket_part, buckets, _plain_sample(buckets[0]), False
    files = source_files(source)
    missing = [f for f in files if not Path(f).exists()]
    if not files or missing:
        raise ArgumentError(f"activities: no such file {(missing or [str(source)])[0]!r}.")
    sample = _plain_sample(files)
    if all(".parquet" in f.lower() for f in files):
        layout = runner_layout(files)
        if layout.sorted:
            batch_rows = max(1, math.ceil(layout.rows / n))
            return chunk_part, plan_chunks(layout, batch_rows), sample, True
    return shuffled_part, _shuffled(files, n, client), sample, False


def _targets(out: str | Path | None, jobs: Jobs) -> dict[str, str] | None:
    """Output folder of each table (created, earlier ``part-NNNNN.parquet`` files removed)."""
    if out is None:
        return None
    targets = {}
    for key in jobs:
        folder = Path(out) if len(jobs) == 1 else Path(out) / key
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.iterdir():
            if _PART.match(old.name):
                old.unlink()
        targets[key] = str(folder)
    return targets


def _as_meta(table: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the dtypes the kernel gives on the input as pandas reads it."""
    changed = {
        column: dtype
        for column, dtype in meta.dtypes.items()
        if column in table.columns
        and table[column].dtype != dtype
        # the sample's integers, where the whole log has gaps, stay floats (as pandas reads it)
        and not (pd.api.types.is_integer_dtype(dtype) and table[column].isna().any())
    }
    return table.astype(changed) if changed else table


def _kernel_order(table: pd.DataFrame) -> pd.DataFrame:
    """Rows of whole runners put in the kernel's order: by rank of the runner id, stably."""
    codes, uniques = pd.factorize(table["runner_id"], sort=False)
    ranked, _ = rank_runners(codes, uniques)
    return table.take(np.argsort(ranked, kind="stable")).reset_index(drop=True)


def _ticker(bar: Any, keys: set) -> Any:
    """A local-scheduler callback advancing ``bar`` when a task of ``keys`` finishes."""
    from dask.callbacks import Callback

    class _Tick(Callback):
        def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker: Any) -> None:
            if key in keys:
                bar.update(1)

    return _Tick()


def _compute(tasks: list[Any], client: Any, bar: Any) -> list[dict[str, Any]]:
    """Results of ``tasks`` in order, on ``client`` or the local scheduler."""
    import dask

    bar.reset(total=len(tasks))
    if client is not None:
        from distributed import as_completed

        futures = client.compute(tasks)
        for _ in as_completed(futures):
            bar.update(1)
        return client.gather(futures)
    with _ticker(bar, {task.key for task in tasks}):
        return list(dask.compute(*tasks))


def dask_outputs(
    source: Any,
    jobs: Jobs,
    *,
    out: str | Path | None = None,
    client: Any = None,
    npartitions: int | None = None,
    progress: bool | None = None,
) -> dict[str, pd.DataFrame | Path]:
    """Run workload functions with Dask: the kernel on partitions of whole runners.

    Parameters
    ----------
    source : pandas.DataFrame, str, Path or list of them
        The runs, in memory, as Parquet or CSV files, or a folder of ``runner_bucket=K``
        hive partitions.
    jobs : dict
        Output key to ``(function name, checked options)``.
    out : str or Path, optional
        Folder receiving each table as Parquet parts written by the workers (``out`` itself
        for one job, ``out / key`` otherwise); the folders are returned.
    client : dask.distributed.Client, optional
        The cluster (default: the active client, else the local threaded scheduler).
    npartitions : int, optional
        Number of tasks (default: 3 per worker thread, or more so that no task holds more
        than 2,000,000 runs; a folder of ``runner_bucket=K`` partitions is one task each).
    progress : bool or None, default=None
        Show a bar over the tasks.

    Returns
    -------
    dict of str to pandas.DataFrame or Path
        The kernel's tables (same rows, order and dtypes), or the output folders.
    """
    import dask

    from lbprun._progress import progress_bar

    if npartitions is not None:
        npartitions = check_positive_int(npartitions, "npartitions")
    client = client if client is not None else _current_client()
    targets = _targets(out, jobs)
    try:
        function, items, sample, ordered = _plan(source, npartitions, client)
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise _unreadable(source, error) from None
    if client is not None and function is run_part and items:
        # slices go to the workers once, not in the graph; unhashed keys, so that a second call
        # on the same frame never shares (and races to release) the first call's data
        items = client.scatter(items, hash=False)
    metas = {key: table.iloc[:0] for key, table in kernel_tables(sample, jobs, threads=1).items()}
    task = dask.delayed(function, pure=False)
    tasks = [task(item, jobs, targets, index) for index, item in enumerate(items)]
    with progress_bar(None, desc="dask", unit="partition", enabled=progress) as bar:
        try:
            parts = _compute(tasks, client, bar) if tasks else []
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise _unreadable(source, error) from None
    if targets is not None:
        for key, folder in targets.items():
            if not any(_PART.match(p.name) for p in Path(folder).iterdir()):
                metas[key].to_parquet(Path(folder) / "part-00000.parquet", index=False)
        return {key: Path(folder) for key, folder in targets.items()}
    results: dict[str, pd.DataFrame | Path] = {}
    for key, meta in metas.items():
        pieces = [_as_meta(part[key], meta) for part in parts if key in part] or [meta]
        table = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
        results[key] = table.reset_index(drop=True) if ordered else _kernel_order(table)
    return results
