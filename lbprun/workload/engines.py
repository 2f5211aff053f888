"""The engines of the training-load workload: one dispatcher for every scale.

The workload functions (:func:`~lbprun.workload.weekly.weekly_load`,
:func:`~lbprun.workload.spikes.load_spikes`, :func:`~lbprun.workload.spikes.single_run_spikes`,
:func:`~lbprun.workload.acwr.acwr`) take ``engine=``; the pandas engine is the vectorised
numpy kernel (:mod:`lbprun.workload.kernel`) and the others dispatch here. All engines follow
the same definitions and give the same tables (floats to 1e-9, classes exactly).

Interface
---------
``run(name, source, *, engine="auto", out=None, <engine options>, **options)``
    ``name`` is one of ``"weekly_load"``, ``"load_spikes"``, ``"single_run_spikes"``,
    ``"acwr"``; ``options`` are that function's keyword arguments (``week_start``;
    ``baseline, thresholds, week_start``; ``window_days``; ``acute, chronic, method, coupled,
    load``), checked here as in the function. ``source`` is a pandas DataFrame, or a path, a
    glob or a list of paths of Parquet or CSV files (a folder means its ``*.parquet`` files).
    Returns a pandas DataFrame identical to the kernel's, or, when ``out`` is given, the path
    of the Parquet output (a file, or a folder of parts for Dask) and nothing is brought back
    into memory.
``run_workload(source, *, engine="auto", out=None, ...)``
    The whole workload in one go, as :func:`~lbprun.workload.acwr.compute_workload`: a dict
    with keys ``weekly, spikes_previous_week, spikes_previous_4_weeks, runs, acwr_rolling,
    acwr_ewma`` (DataFrames, or Parquet paths under the folder ``out``).

Engines and their options:

- ``"pandas"``: the kernel in this process (``threads``: blocks of runners in parallel).
- ``"stream"``: the kernel over batches of whole runners of a Parquet (or CSV) log, Parquet
  to Parquet, memory set by ``batch_rows``; an unsorted log is first partitioned by runner in
  bounded memory in ``temp_directory`` (:mod:`lbprun.workload._stream_engine`).
- ``"duckdb"``: SQL on a view of the runs (``memory_limit``, ``temp_directory``, ``threads``).
- ``"dask"``: the kernel on pieces of whole runners, one task each: chunks of a Parquet log
  sorted by runner (no shuffle), ``runner_bucket=K`` hive folders, slices of a DataFrame, or
  else the partitions of Dask's shuffle on a hash of the runner id (``p2p`` on a cluster);
  with ``out`` the workers write the Parquet parts themselves (``client``, ``npartitions``).
- ``"auto"`` (the default): ``"pandas"`` when the log's estimated kernel memory fits
  ``memory_budget`` (default: half of this machine's memory), else ``"stream"``
  (:func:`lbprun.workload._budget.choose_engine`).

A Parquet source is read with pyarrow and its identifier columns (:data:`CATEGORICAL_COLUMNS`:
``runner_id``, ``shoe_id``, ``surface``, ``activity_type``) become pandas categoricals, so the
output tables' ``runner_id`` is categorical too (the same values; one small code per row
instead of a string object per row).

Examples
--------
>>> import pandas as pd
>>> from lbprun.workload.engines import run
>>> runs = pd.DataFrame({"runner_id": "a", "date": pd.to_datetime(["2024-01-01", "2024-01-09"]),
...                      "distance_km": [5.0, 8.0], "duration_min": [30.0, 50.0]})
>>> run("weekly_load", runs, engine="duckdb")[["week_start", "distance_km", "change_pct"]]
  week_start  distance_km  change_pct
0 2024-01-01          5.0         NaN
1 2024-01-08          8.0        60.0
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_positive_int
from lbprun._progress import check_progress
from lbprun.workload._file_checks import check_parquet_files, needed_columns
from lbprun.workload._sources import (
    CATEGORICAL_COLUMNS,
    normalised_frame,
    runner_codes,
    source_files,
)
from lbprun.workload.definitions import (
    BASELINES,
    ENGINES,
    METHODS,
    check_thresholds,
    check_windows,
    week_offset,
)
from lbprun.workload.kernel import WORKLOAD_JOBS

__all__ = [
    "CATEGORICAL_COLUMNS",
    "ENGINES",
    "FUNCTIONS",
    "normalised_frame",
    "run",
    "run_workload",
    "runner_codes",
    "source_files",
]

#: Workload functions :func:`run` can compute.
FUNCTIONS = ("weekly_load", "load_spikes", "single_run_spikes", "acwr")

_OPTIONS = {
    "weekly_load": ("week_start",),
    "load_spikes": ("baseline", "thresholds", "week_start"),
    "single_run_spikes": ("window_days",),
    "acwr": ("acute", "chronic", "method", "coupled", "load"),
}

_EXTRA = 'pip install "lbprun[scale]"'
_NEEDS = {
    "stream": ("pyarrow",),
    "duckdb": ("duckdb",),
    "dask": ("dask.dataframe", "distributed"),
}

#: Engine options each engine takes (``auto`` passes those of the engine it chooses).
_ENGINE_OPTIONS = {
    "pandas": ("threads",),
    "stream": ("batch_rows", "temp_directory", "threads"),
    "duckdb": ("memory_limit", "temp_directory", "threads"),
    "dask": ("client", "npartitions"),
    "auto": ("memory_budget", "batch_rows", "temp_directory", "threads"),
}


def _require(engine: str) -> None:
    """Import what ``engine`` needs, or raise an ArgumentError naming the extra."""
    for module in _NEEDS.get(engine, ()):
        try:
            importlib.import_module(module)
        except ImportError:
            raise ArgumentError(
                f"engine={engine!r} needs the optional dependency {module.split('.')[0]!r}, "
                f"which is not installed. Install the scale extra: {_EXTRA}."
            ) from None


def _check_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Check a workload function's options exactly as the function does."""
    allowed = _OPTIONS[name]
    for key in options:
        if key not in allowed:
            check_choice(f"keyword of {name}", key, allowed)
    checked = dict(options)
    if "week_start" in allowed:
        checked["week_start"] = options.get("week_start", "monday")
        week_offset(checked["week_start"])
    if name == "load_spikes":
        checked["baseline"] = check_choice(
            "baseline", options.get("baseline", "previous_week"), BASELINES
        )
        checked["thresholds"] = check_thresholds(options.get("thresholds", (10, 30)))
    if name == "single_run_spikes":
        checked["window_days"] = check_positive_int(options.get("window_days", 30), "window_days")
    if name == "acwr":
        acute, chronic = check_windows(options.get("acute", 7), options.get("chronic", 28))
        checked.update(acute=acute, chronic=chronic)
        checked["method"] = check_choice("method", options.get("method", "rolling"), METHODS)
        coupled = options.get("coupled", False)
        if not isinstance(coupled, bool):
            raise ArgumentError(f"coupled must be True or False; got {coupled!r}.")
        checked["coupled"] = coupled
        load = options.get("load", "distance_km")
        if not isinstance(load, str):
            raise ArgumentError(f"load must be a column name; got {load!r}.")
        checked["load"] = load
    return checked


def _check_source(source: Any) -> Any:
    if isinstance(source, pd.DataFrame | str | Path):
        return source
    if isinstance(source, Sequence) and all(isinstance(s, str | Path) for s in source):
        return list(source)
    raise ArgumentError(
        "activities must be a pandas DataFrame or Parquet/CSV path(s); "
        f"got {type(source).__name__}."
    )


def _check_files(source: Any, jobs: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """Every engine refuses the same Parquet files, naming the one that does not fit."""
    if isinstance(source, pd.DataFrame):
        return
    files = [f for f in source_files(source) if Path(f).is_file()]
    if files and all(".parquet" in f.lower() for f in files):
        check_parquet_files(files, needed_columns(jobs))


def _dispatch(
    engine: str,
    source: Any,
    jobs: dict[str, tuple[str, dict[str, Any]]],
    out: str | Path | None,
    engine_options: dict[str, Any],
    progress: bool | None = None,
) -> dict[str, Any]:
    engine = check_choice("engine", engine, ENGINES)
    progress = check_progress(progress)
    source = _check_source(source)
    allowed = _ENGINE_OPTIONS[engine]
    for key, value in engine_options.items():
        if value is not None and key not in allowed:
            raise ArgumentError(
                f"{key} must be None with engine={engine!r}; got {value!r} "
                f"({engine!r} takes {', '.join(allowed) or 'no engine options'})."
            )
    options = {k: v for k, v in engine_options.items() if k in allowed}
    if engine == "auto":
        from lbprun.workload._budget import choose_engine

        engine = choose_engine(source, options.pop("memory_budget", None))
        options = {k: v for k, v in options.items() if k in _ENGINE_OPTIONS[engine]}
    _require(engine)
    _check_files(source, jobs)
    if engine == "stream":
        from lbprun.workload._stream_engine import stream_outputs

        return stream_outputs(source, jobs, out=out, progress=progress, **options)
    if engine == "duckdb":
        from lbprun.workload._duckdb_engine import duckdb_outputs

        return duckdb_outputs(source, jobs, out=out, progress=progress, **options)
    if engine == "dask":
        from lbprun.workload._dask_engine import dask_outputs

        return dask_outputs(source, jobs, out=out, progress=progress, **options)
    from lbprun.workload._pandas_engine import pandas_outputs

    return pandas_outputs(source, jobs, out, progress=progress, **options)


def run(
    name: str,
    source: Any,
    *,
    engine: str = "auto",
    out: str | Path | None = None,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
    client: Any = None,
    npartitions: int | None = None,
    batch_rows: int | None = None,
    memory_budget: int | str | None = None,
    progress: bool | None = None,
    **options: Any,
) -> pd.DataFrame | Path:
    """Compute one training-load table with the DuckDB, Dask or pandas engine.

    Parameters
    ----------
    name : {"weekly_load", "load_spikes", "single_run_spikes", "acwr"}
        The workload function.
    source : pandas.DataFrame, str, Path or list of them
        The runs (``runner_id, date, distance_km, duration_min``), in memory or as Parquet or
        CSV files (paths, globs, or a folder of Parquet files).
    engine : {"auto", "pandas", "stream", "duckdb", "dask"}, default="auto"
        ``"pandas"``: the kernel in this process; ``"stream"``: the kernel over batches of
        whole runners of a Parquet or CSV log, out of core; ``"duckdb"``: SQL, out of core;
        ``"dask"``: the kernel on pieces of whole runners, one task each, on a Dask cluster;
        ``"auto"``: ``"pandas"`` when the log fits ``memory_budget``, else ``"stream"``.
    out : str or Path, optional
        Write the table to this Parquet file (pandas, stream, DuckDB) or folder (Dask: a
        folder of ``part-NNNNN.parquet`` files written by the workers) and return its path
        instead of a DataFrame.
    memory_limit : str, optional
        DuckDB only: memory limit before spilling (default ``"4GB"``).
    temp_directory : str or Path, optional
        DuckDB: spill folder; stream: where an unsorted log is partitioned by runner (default:
        a temporary folder, removed afterwards).
    threads : int, optional
        pandas, stream and DuckDB: number of threads (default: all cores).
    client : dask.distributed.Client, optional
        Dask only: the cluster to use (default: the current client, else local threads).
    npartitions : int, optional
        Dask only: number of tasks (default: about 3 per worker thread).
    batch_rows : int, optional
        stream (and auto): runs per batch (default 2,000,000); peak memory grows with it.
    memory_budget : int or str, optional
        auto only: bytes (or text such as ``"8GB"``) the in-memory kernel may use (default:
        half of this machine's memory); a larger log is streamed.
    progress : bool or None, default=None
        Show a progress bar on standard error (pandas: runners; DuckDB: output tables; Dask:
        runner partitions, or tasks of the local scheduler); None: only when standard error is
        a terminal and bars are not turned off (``lbprun.set_progress``,
        ``LBPRUN_PROGRESS=0``).
    **options
        The keyword arguments of the workload function ``name``.

    Returns
    -------
    pandas.DataFrame or Path
        The same table as the workload function with ``engine="pandas"``, or the Parquet path.

    Raises
    ------
    lbprun._checks.ArgumentError
        For an unknown function, engine or option (with the closest spelling), or when the
        engine's optional dependency is not installed (naming the ``scale`` extra).

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=30),
    ...                      "distance_km": 5.0, "duration_min": 30.0})
    >>> table = run("acwr", runs, engine="duckdb", method="ewma")
    >>> float(table["acwr"].iloc[-1])
    1.0
    """
    name = check_choice("name", name, FUNCTIONS)
    checked = _check_options(name, options)
    engine_options = {
        "memory_limit": memory_limit,
        "temp_directory": temp_directory,
        "threads": threads,
        "client": client,
        "npartitions": npartitions,
        "batch_rows": batch_rows,
        "memory_budget": memory_budget,
    }
    result = _dispatch(engine, source, {name: (name, checked)}, out, engine_options, progress)
    return result[name]


def run_workload(
    source: Any,
    *,
    engine: str = "auto",
    out: str | Path | None = None,
    week_start: str = "monday",
    thresholds: Sequence[float] = (10, 30),
    window_days: int = 30,
    acute: int = 7,
    chronic: int = 28,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
    client: Any = None,
    npartitions: int | None = None,
    batch_rows: int | None = None,
    memory_budget: int | str | None = None,
    progress: bool | None = None,
) -> dict[str, pd.DataFrame | Path]:
    """Compute the whole training-load workload with one engine.

    Weekly table, both progression baselines, single-run spikes, rolling (uncoupled) and EWMA
    ACWR, as :func:`lbprun.workload.acwr.compute_workload` does with the pandas kernel.

    Parameters
    ----------
    source : pandas.DataFrame, str, Path or list of them
        The runs, in memory or as Parquet / CSV files (see :func:`run`).
    engine : {"auto", "pandas", "stream", "duckdb", "dask"}, default="auto"
        The engine (see :func:`run`).
    out : str or Path, optional
        Folder receiving one Parquet output per table (``weekly.parquet`` ...); the paths are
        returned instead of DataFrames.
    week_start, thresholds, window_days, acute, chronic
        As in the workload functions.
    memory_limit, temp_directory, threads, client, npartitions, batch_rows, memory_budget
        Engine options (see :func:`run`).
    progress : bool or None, default=None
        Show a progress bar (see :func:`run`).

    Returns
    -------
    dict of str to pandas.DataFrame or Path
        Keys ``weekly, spikes_previous_week, spikes_previous_4_weeks, runs, acwr_rolling,
        acwr_ewma``.

    Raises
    ------
    lbprun._checks.ArgumentError
        For an unknown engine or invalid option, or a missing optional dependency.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": ["a", "b"], "date": pd.to_datetime(["2024-01-01"] * 2),
    ...                      "distance_km": [5.0, 7.0], "duration_min": [30.0, 40.0]})
    >>> tables = run_workload(runs, engine="duckdb")
    >>> tables["weekly"]["distance_km"].tolist()
    [5.0, 7.0]
    """
    shared = {"week_start": week_start}
    extra = {
        "load_spikes": {"thresholds": thresholds, **shared},
        "weekly_load": shared,
        "single_run_spikes": {"window_days": window_days},
        "acwr": {"acute": acute, "chronic": chronic, "load": "distance_km"},
    }
    jobs = {
        key: (name, _check_options(name, {**extra[name], **options}))
        for key, name, options in WORKLOAD_JOBS
    }
    engine_options = {
        "memory_limit": memory_limit,
        "temp_directory": temp_directory,
        "threads": threads,
        "client": client,
        "npartitions": npartitions,
        "batch_rows": batch_rows,
        "memory_budget": memory_budget,
    }
    return _dispatch(engine, source, jobs, out, engine_options, progress)
