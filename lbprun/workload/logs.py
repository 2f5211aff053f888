"""Lay out a large training log so every engine reads whole runners without a shuffle.

:func:`sort_by_runner` rewrites a Parquet (or CSV) log of any size, in bounded memory, as
Parquet files sorted by runner: the streaming engine then cuts it into batches and the Dask
engine into tasks straight from the files. :func:`write_runner_buckets` writes hive
partitions by runner bucket (``runner_bucket=K/``), one Dask task per bucket, which suits a
log that grows by appending. :func:`choose_engine` says which engine ``engine="auto"`` takes.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"runner_id": ["b", "a", "b"], "distance_km": [1.0, 2.0, 3.0]}).to_parquet(
...     folder / "log.parquet")
>>> files = sort_by_runner(folder / "log.parquet", folder / "sorted")
>>> pd.read_parquet(files[0])["distance_km"].tolist()
[2.0, 1.0, 3.0]
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from lbprun._checks import check_positive_int
from lbprun.workload._budget import choose_engine
from lbprun.workload._chunks import partition_by_runner, runner_layout
from lbprun.workload._dask_parts import write_runner_buckets
from lbprun.workload._prepared import rank_runners
from lbprun.workload._sources import source_files

__all__ = ["choose_engine", "sort_by_runner", "write_runner_buckets"]


def _sorted_table(path: str) -> Any:
    """The Parquet file ``path`` with its rows stably sorted by runner (kernel order)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    ids = table.column("runner_id").to_pandas()
    codes, uniques = pd.factorize(ids, sort=False)
    ranks, _ = rank_runners(codes, uniques)
    order = np.argsort(ranks, kind="stable")
    return table.take(pa.array(order))


def sort_by_runner(
    source: str | Path | Sequence[str | Path],
    folder: str | Path,
    *,
    batch_rows: int = 2_000_000,
    row_group_size: int = 100_000,
) -> list[Path]:
    """Rewrite a log as Parquet files sorted by runner, in bounded memory.

    Runners come in ascending order of their id (the order of lbprun's tables), each
    runner's runs in their input order. The log is read one record batch at a time and split
    into files of consecutive runners of about ``batch_rows`` runs each, then each file is
    sorted in memory; memory is about one file.

    Parameters
    ----------
    source : str, Path or sequence of them
        Parquet files (paths, globs or a folder) of one log.
    folder : str or Path
        Output folder (created if needed); receives ``part-00000.parquet``, ...
    batch_rows : int, default=2_000_000
        Runs per output file (about; a runner is never split).
    row_group_size : int, default=100_000
        Rows per Parquet row group of the output.

    Returns
    -------
    list of Path
        The files written, in runner order.

    Raises
    ------
    lbprun._checks.ArgumentError
        When a file has no ``runner_id`` column or a runner id is missing (naming the file
        and row).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"runner_id": [3, 1, 2, 1]}).to_parquet(folder / "log.parquet")
    >>> [pd.read_parquet(f)["runner_id"].tolist()
    ...  for f in sort_by_runner(folder / "log.parquet", folder / "out", batch_rows=2)]
    [[1, 1], [2, 3]]
    """
    import pyarrow.parquet as pq

    batch_rows = check_positive_int(batch_rows, "batch_rows")
    row_group_size = check_positive_int(row_group_size, "row_group_size")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    layout = runner_layout(source_files(source))
    if layout.sorted:  # already sorted: copy into the folder's part-N layout
        parts = [str(f) for f in layout.files]
        scratch = None
    else:
        scratch = folder / ".lbprun-partition"
        parts = partition_by_runner(layout, scratch, batch_rows=batch_rows)
    written = []
    try:
        for i, part in enumerate(parts):
            table = _sorted_table(part) if scratch is not None else pq.read_table(part)
            target = folder / f"part-{i:05d}.parquet"
            pq.write_table(table, target, row_group_size=row_group_size)
            written.append(target)
            del table
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return written
