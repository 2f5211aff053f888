"""What a Dask task of the workload engine does: whole runners in, the kernel's tables out.

Every task gets the runs of whole runners (a chunk of a sorted Parquet log, a folder of hive
partitions by runner bucket, a slice of a DataFrame, or a partition of a shuffled frame),
runs :func:`~lbprun.workload.kernel.kernel_tables` on them single-threaded (Dask runs the tasks
in parallel) and either returns the tables or writes them to Parquet where it runs, so that
nothing large travels back through the client.

Runner buckets: :func:`runner_bucket` maps a runner id to ``hash(id) % buckets``; a folder
``runner_bucket=K/`` holds every run of each of its runners. :func:`write_runner_buckets`
writes such a layout from a log, one record batch at a time.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": ["a", "b"], "date": pd.to_datetime(["2024-01-01"] * 2),
...                      "distance_km": [5.0, 7.0], "duration_min": [30.0, 40.0]})
>>> run_part(runs, {"w": ("weekly_load", {})}, None, 0)["w"]["distance_km"].tolist()
[5.0, 7.0]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun.workload._allocator import restore_mmap_threshold
from lbprun.workload._chunks import CATEGORICAL_COLUMNS, Chunk, read_chunk
from lbprun.workload.kernel import kernel_tables

__all__ = [
    "BUCKET",
    "KEY",
    "ROW",
    "bucket_folders",
    "keyed",
    "read_bucket",
    "run_part",
    "runner_bucket",
    "write_runner_buckets",
]

#: Hive partition key of a log partitioned by runner.
BUCKET = "runner_bucket"
#: Integer runner key the shuffle partitions on (a hash of the id).
KEY = "_lbprun_key"
#: Input order of a row: input partition number in the high bits, row in the low bits.
ROW = "_lbprun_row"
_ROW_BITS = 40

Jobs = dict[str, tuple[str, dict[str, Any]]]


def run_part(
    frame: pd.DataFrame, jobs: Jobs, targets: dict[str, str] | None, index: int
) -> dict[str, Any]:
    """The kernel's tables of ``frame`` (whole runners), or the number of rows written.

    With ``targets`` (output key to folder), each table is written to
    ``folder/part-{index:05d}.parquet`` and its row count is returned instead. An empty frame
    gives an empty dict.
    """
    if len(frame) == 0:
        return {}
    restore_mmap_threshold()  # in a Dask worker: see lbprun.workload._allocator
    tables = kernel_tables(frame, jobs, threads=1)
    if targets is None:
        return tables
    for key, folder in targets.items():
        tables[key].to_parquet(Path(folder) / f"part-{index:05d}.parquet", index=False)
    return {key: len(table) for key, table in tables.items()}


def chunk_part(chunk: Chunk, jobs: Jobs, targets: dict[str, str] | None, index: int) -> dict:
    """:func:`run_part` on a chunk of a sorted Parquet log, read where the task runs."""
    restore_mmap_threshold()
    return run_part(read_chunk(chunk), jobs, targets, index)


def bucket_part(files: list[str], jobs: Jobs, targets: dict[str, str] | None, index: int) -> dict:
    """:func:`run_part` on the Parquet files of one runner bucket, read where the task runs."""
    restore_mmap_threshold()
    return run_part(read_bucket(files), jobs, targets, index)


def shuffled_part(
    frame: pd.DataFrame, jobs: Jobs, targets: dict[str, str] | None, index: int
) -> dict:
    """:func:`run_part` on a shuffled partition, its rows first put back in input order."""
    frame = frame.sort_values(ROW, kind="stable").drop(columns=[KEY, ROW])
    return run_part(frame.reset_index(drop=True), jobs, targets, index)


def runner_bucket(runner: pd.Series, buckets: int) -> np.ndarray:
    """Bucket of each runner id: a stable hash of the id's value, modulo ``buckets``.

    Examples
    --------
    >>> ids = pd.Series(["a", "b", "a"])
    >>> bucket = runner_bucket(ids, 8)
    >>> bool(bucket[0] == bucket[2]), bool((bucket < 8).all())
    (True, True)
    """
    return (_runner_hash(runner) % np.uint64(buckets)).astype(np.int64)


def _runner_hash(runner: pd.Series) -> np.ndarray:
    """uint64 hash of each id's value (the same for text held as str, object or category)."""
    if isinstance(runner.dtype, pd.CategoricalDtype):
        categories = runner.cat.categories
        hashed = _runner_hash(pd.Series(categories.to_numpy(dtype=object, na_value=None)))
        return hashed[runner.cat.codes.to_numpy()]
    values = runner.to_numpy(dtype=object, na_value=None)
    return pd.util.hash_array(values, categorize=True)


def keyed(part: pd.DataFrame, partition_info: dict | None = None) -> pd.DataFrame:
    """``part`` with its runner key (:data:`KEY`) and input order (:data:`ROW`) columns."""
    number = partition_info["number"] if partition_info else 0
    first = np.int64(number) << np.int64(_ROW_BITS)
    return part.assign(
        **{
            KEY: _runner_hash(part["runner_id"]).view(np.int64),
            ROW: first + np.arange(len(part), dtype=np.int64),
        }
    )


def bucket_folders(source: Any) -> list[list[str]] | None:
    """The Parquet files of each ``runner_bucket=K`` folder of ``source``, or None.

    ``source`` is a folder holding only hive partitions by runner bucket; the buckets come in
    the order of ``K``, the files of each bucket in the order of their names.
    """
    if not isinstance(source, str | Path) or not Path(source).is_dir():
        return None
    folders = [p for p in Path(source).iterdir() if p.is_dir()]
    pattern = re.compile(rf"^{BUCKET}=(\d+)$")
    numbered = [(pattern.match(p.name), p) for p in folders]
    if not numbered or not all(match for match, _ in numbered):
        return None
    numbered.sort(key=lambda item: int(item[0].group(1)))
    buckets = [sorted(map(str, p.glob("*.parquet"))) for _, p in numbered]
    return [files for files in buckets if files]


def read_bucket(files: Sequence[str]) -> pd.DataFrame:
    """Read the Parquet files of one bucket (ids as categoricals), less the bucket column."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = []
    for file in files:
        schema = pq.read_schema(file)
        text = [n for n in CATEGORICAL_COLUMNS if n in schema.names]
        text = [n for n in text if pa.types.is_string(schema.field(n).type)]
        tables.append(pq.ParquetFile(file, read_dictionary=text).read())
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    if BUCKET in table.column_names:
        table = table.drop_columns([BUCKET])
    return table.unify_dictionaries().to_pandas(self_destruct=True)


def write_runner_buckets(
    source: pd.DataFrame | Sequence[str | Path],
    folder: str | Path,
    *,
    buckets: int = 64,
    read_rows: int = 1_000_000,
) -> list[Path]:
    """Write a log as hive partitions by runner bucket, one record batch at a time.

    Each folder ``folder/runner_bucket=K/`` receives one file ``part-00000.parquet`` with
    every run of the runners of bucket ``K`` (see :func:`runner_bucket`), in input order.
    Memory is one batch plus one open writer per bucket.

    Parameters
    ----------
    source : pandas.DataFrame or sequence of str or Path
        The runs, in memory or as Parquet files.
    folder : str or Path
        The output folder (created if needed).
    buckets : int, default=64
        Number of buckets (each Dask task computes one).
    read_rows : int, default=1_000_000
        Rows read at a time from Parquet files.

    Returns
    -------
    list of Path
        The bucket files written (buckets that received no runner have none).

    Examples
    --------
    >>> import tempfile
    >>> runs = pd.DataFrame({"runner_id": ["a", "b", "a"], "distance_km": [1.0, 2.0, 3.0]})
    >>> paths = write_runner_buckets(runs, tempfile.mkdtemp(), buckets=4)
    >>> sorted(len(pd.read_parquet(p)) for p in paths)
    [1, 2]
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = Path(folder)
    writers: dict[int, Any] = {}
    if isinstance(source, pd.DataFrame):
        batches = [pa.Table.from_pandas(source, preserve_index=False)]
    else:
        batches = (
            pa.Table.from_batches([batch])
            for file in source
            for batch in pq.ParquetFile(str(file)).iter_batches(batch_size=read_rows)
        )
    try:
        for table in batches:
            runner = table.column("runner_id").to_pandas()
            bucket = runner_bucket(runner, buckets)
            order = np.argsort(bucket, kind="stable")
            table = table.take(pa.array(order))
            sizes = np.bincount(bucket, minlength=buckets)
            at = 0
            for k in np.flatnonzero(sizes):
                if k not in writers:
                    path = folder / f"{BUCKET}={k}" / "part-00000.parquet"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    writers[k] = pq.ParquetWriter(str(path), table.schema)
                writers[k].write_table(table.slice(at, int(sizes[k])))
                at += int(sizes[k])
    finally:
        for writer in writers.values():
            writer.close()
    return [folder / f"{BUCKET}={k}" / "part-00000.parquet" for k in sorted(writers)]
