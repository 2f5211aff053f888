"""One tool, one setting, one fresh process: the measured side of ``bench_scale.py``.

:func:`run_tool` is what the child process of ``bench_scale.py`` runs. After its imports (and,
for Dask, after the local cluster has started and its workers have imported lbprun) it times
one call from the start of reading the Parquet log to all six tables written as Parquet under
``out``, then returns a JSON-safe record: the seconds, the child's peak RSS (``VmHWM``) and,
for Dask, each worker's peak RSS (``ru_maxrss``).

The data helpers used by the parent live here too: a shuffled copy of a log written by DuckDB
in bounded memory, a log of a sample of runners, and one tool's tables cut down to that sample.

Tool names: ``kernel_t<k>`` (``engine="pandas", threads=k``), ``stream`` and
``stream_unsorted`` (``engine="stream"``; the parent hands the second one a shuffled log),
``duckdb_engine`` (``engine="duckdb"``), ``dask_w<k>`` (``engine="dask"`` on a
``LocalCluster`` of k single-threaded worker processes), and the peers ``duckdb_sql`` and
``polars`` of ``_peers.py``.

Examples
--------
>>> from _scale_child import parse_tool  # run from benchmarks/
>>> parse_tool("dask_w16")
('dask', 16)
>>> parse_tool("polars")
('polars', None)
"""

from __future__ import annotations

import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

__all__ = [
    "extract_runners",
    "parse_tool",
    "run_tool",
    "sample_runners",
    "shuffled_copy",
    "table_path",
]

#: Tools with a fixed name (the others are ``kernel_t<k>`` and ``dask_w<k>``).
FIXED_TOOLS = ("stream", "stream_unsorted", "duckdb_engine", "duckdb_sql", "polars")


def parse_tool(tool: str) -> tuple[str, int | None]:
    """Split a tool name into its kind and its thread or worker count."""
    match = re.fullmatch(r"(kernel)_t(\d+)|(dask)_w(\d+)", tool)
    if match:
        kind = match.group(1) or match.group(3)
        return kind, int(match.group(2) or match.group(4))
    if tool in FIXED_TOOLS:
        return tool, None
    raise ValueError(f"tool must be kernel_t<k>, dask_w<k> or one of {FIXED_TOOLS}; got {tool!r}.")


def _peak_rss_mb() -> float:
    sys.path.insert(0, str(HERE))
    from bench_workload import peak_rss_mb

    return peak_rss_mb()


def _worker_peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker_imports() -> None:
    import importlib

    importlib.import_module("lbprun.workload.engines")


def _timed(call: Any) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def run_tool(tool: str, data: str, out: str, options: dict[str, Any]) -> dict[str, Any]:
    """Run ``tool`` once on the Parquet log ``data``, writing its six tables under ``out``.

    ``options``: ``batch_rows``, ``temp_directory`` (stream; passed only when set),
    ``memory_limit`` (DuckDB engine). Returns ``status`` ``"ok"``, or ``"unavailable"`` with
    the ``reason`` when lbprun refuses the engine by name (an ``ArgumentError`` about
    ``engine``, e.g. an engine this lbprun does not have yet).
    """
    sys.path.insert(0, str(HERE))
    from bench_workload import _write

    kind, k = parse_tool(tool)
    record: dict[str, Any] = {"tool": tool, "status": "ok"}
    cluster = client = None
    if kind in ("duckdb_sql", "polars"):
        import _peers

        compute = _peers.duckdb_sql if kind == "duckdb_sql" else _peers.polars_lazy
        if kind == "polars":
            import polars  # noqa: F401
        else:
            import duckdb  # noqa: F401

        def call() -> None:
            _write(compute(data), Path(out))

    else:
        from lbprun._checks import ArgumentError
        from lbprun.workload.engines import run_workload

        kwargs: dict[str, Any] = {"out": out}
        if kind == "kernel":
            kwargs.update(engine="pandas", threads=k)
        elif kind in ("stream", "stream_unsorted"):
            kwargs["engine"] = "stream"
            for key in ("batch_rows", "temp_directory"):
                if options.get(key) is not None:
                    kwargs[key] = options[key]
        elif kind == "duckdb_engine":
            kwargs.update(engine="duckdb", memory_limit=options.get("memory_limit"))
        else:  # dask: the cluster starts (and its workers import lbprun) before the clock
            import logging

            from distributed import Client, LocalCluster

            logging.getLogger("distributed").setLevel(logging.ERROR)
            cluster = LocalCluster(
                n_workers=k, threads_per_worker=1, processes=True, dashboard_address=None
            )
            client = Client(cluster)
            client.run(_worker_imports)
            kwargs.update(engine="dask", client=client)

        def call() -> None:
            record["outputs"] = {key: str(p) for key, p in run_workload(data, **kwargs).items()}

    record["rss_before_mb"] = _peak_rss_mb()
    try:
        record["seconds"] = _timed(call)
    except Exception as error:  # every failure is recorded, none hidden
        unknown = kind not in ("duckdb_sql", "polars") and isinstance(error, ArgumentError)
        if unknown and "engine" in str(error):
            record.update(status="unavailable", reason=str(error))
        else:
            record.update(status="failed", reason=traceback.format_exc()[-3000:])
    record["peak_rss_mb"] = _peak_rss_mb()
    if client is not None:
        workers = client.run(_worker_peak_mb)
        record["workers_peak_rss_mb"] = sorted(workers.values())
        record["workers_peak_rss_sum_mb"] = sum(workers.values())
        record["workers_peak_rss_max_mb"] = max(workers.values())
        client.close()
        cluster.close()
    return record


# ---------------------------------------------------------------------- data helpers (parent)
def table_path(folder: Path, key: str) -> Path:
    """The Parquet output of table ``key`` under ``folder``: ``key.parquet`` or a ``key/`` folder."""
    for candidate in (folder / f"{key}.parquet", folder / key):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"no output for table {key!r} in {folder}")


def shuffled_copy(path: Path, target: Path, temp_directory: Path) -> Path:
    """Write the runs of ``path`` in a seeded shuffled order to ``target`` (DuckDB, spilling)."""
    if target.exists():
        return target
    import duckdb

    temp_directory.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    con = duckdb.connect()
    try:
        con.execute("SET memory_limit = '2GB'")
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"SET temp_directory = '{temp_directory}'")
        con.execute(
            f"COPY (SELECT * EXCLUDE (file_row_number) FROM "
            f"read_parquet('{path}', file_row_number = true) "
            "ORDER BY hash(file_row_number + 2024)) "
            f"TO '{tmp}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)"
        )
    finally:
        con.close()
    tmp.rename(target)
    return target


def sample_runners(path: Path, n: int) -> list[str]:
    """``n`` runner ids spread evenly over the sorted ids of the log ``path``."""
    import polars as pl

    ids = (
        pl.scan_parquet(path)
        .select(pl.col("runner_id").cast(pl.String).unique())
        .collect()
        .to_series()
        .sort()
    )
    step = max(len(ids) // max(n, 1), 1)
    return ids.gather(list(range(0, len(ids), step))[:n]).to_list()


def extract_runners(source: Path, target: Path, runners: list[str]) -> Path:
    """Write the rows of ``runners`` from the Parquet file or folder ``source`` to ``target``."""
    import polars as pl

    target.parent.mkdir(parents=True, exist_ok=True)
    (
        pl.scan_parquet(source)
        .filter(pl.col("runner_id").cast(pl.String).is_in(runners))
        .sink_parquet(target)
    )
    return target
