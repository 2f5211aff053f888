"""Out-of-core (DuckDB) and distributed (Dask) engines for the training-load workload.

The workload functions (:func:`~lbprun.workload.weekly.weekly_load`,
:func:`~lbprun.workload.spikes.load_spikes`, :func:`~lbprun.workload.spikes.single_run_spikes`,
:func:`~lbprun.workload.acwr.acwr`) take ``engine="pandas" | "duckdb" | "dask"``; the pandas
engine is the vectorised numpy kernel and the other two dispatch here. All engines follow the
same definitions and give the same tables (to rounding, 1e-9).

Interface
---------
``run(name, source, *, engine, out=None, <engine options>, **options)``
    ``name`` is one of ``"weekly_load"``, ``"load_spikes"``, ``"single_run_spikes"``,
    ``"acwr"``; ``options`` are that function's keyword arguments (``week_start``;
    ``baseline, thresholds, week_start``; ``window_days``; ``acute, chronic, method, coupled,
    load``), checked here as in the function. ``source`` is a pandas DataFrame, or a path, a
    glob or a list of paths of Parquet or CSV files (a folder means its ``*.parquet`` files).
    Returns a pandas DataFrame identical to the kernel's, or, when ``out`` is given, the path
    of the Parquet output (a file for DuckDB, a folder of parts for Dask) and nothing is
    brought back into memory.
``run_workload(source, *, engine, out=None, ...)``
    The whole benchmark workload in one go, as :func:`~lbprun.workload.acwr.compute_workload`:
    a dict with keys ``weekly, spikes_previous_week, spikes_previous_4_weeks, runs,
    acwr_rolling, acwr_ewma`` (DataFrames, or Parquet paths under the folder ``out``).

Engine options: DuckDB ``memory_limit`` (default ``"4GB"``), ``temp_directory`` (spill folder;
a temporary one by default) and ``threads``; Dask ``client`` (a ``dask.distributed.Client``;
by default the current client, or the local threaded scheduler) and ``npartitions``; pandas
``threads`` (blocks of runners computed in parallel; default all cores).

With ``engine="pandas"`` a Parquet source is read with pyarrow and its identifier columns
(:data:`CATEGORICAL_COLUMNS`: ``runner_id``, ``shoe_id``, ``surface``, ``activity_type``)
become pandas categoricals, so the output tables' ``runner_id`` is categorical too (the same
values; one small code per row instead of a string object per row).

How they work: the DuckDB engine is SQL on a view of the runs (daily and weekly grids by
``range()`` and a left join, rolling windows as ``RANGE BETWEEN INTERVAL ... PRECEDING``
frames, the EWMA in closed form), so files larger than memory stream through and spill to
disk. The Dask engine sorts the runs by runner (``set_index``), so that every partition holds
whole runners, then runs the pandas kernel on each partition with ``map_partitions``.

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

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_columns, check_positive_int
from lbprun._progress import check_progress, progress_bar
from lbprun.workload._grid import local_datetimes, rank_runners

__all__ = ["CATEGORICAL_COLUMNS", "ENGINES", "FUNCTIONS", "run", "run_workload"]

#: Engines of :func:`run`.
ENGINES = ("pandas", "duckdb", "dask")

#: Workload functions :func:`run` can compute.
FUNCTIONS = ("weekly_load", "load_spikes", "single_run_spikes", "acwr")

_OPTIONS = {
    "weekly_load": ("week_start",),
    "load_spikes": ("baseline", "thresholds", "week_start"),
    "single_run_spikes": ("window_days",),
    "acwr": ("acute", "chronic", "method", "coupled", "load"),
}

_EXTRA = 'pip install "lbprun[scale]"'
_NEEDS = {"duckdb": ("duckdb",), "dask": ("dask.dataframe", "distributed")}

_WORKLOAD_JOBS = (
    ("weekly", "weekly_load", {}),
    ("spikes_previous_week", "load_spikes", {"baseline": "previous_week"}),
    ("spikes_previous_4_weeks", "load_spikes", {"baseline": "previous_4_weeks"}),
    ("runs", "single_run_spikes", {}),
    ("acwr_rolling", "acwr", {"method": "rolling", "coupled": False}),
    ("acwr_ewma", "acwr", {"method": "ewma", "coupled": False}),
)


def runner_codes(runner: pd.Series) -> tuple[np.ndarray, Any]:
    """Runner codes (rank of the id, as the kernel orders ids) and the sorted unique ids."""
    codes, uniques = pd.factorize(runner, sort=False)
    return rank_runners(codes, uniques)


def normalised_frame(activities: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, Any]:
    """Runner code, naive date, float values and row number of every run; the runner ids.

    What the DuckDB engine registers: runner codes rank the ids as the kernel orders them.
    """
    date_column = "date"
    if "date" not in activities.columns and "start_time" in activities.columns:
        date_column = "start_time"
    check_columns(activities, ["runner_id", date_column, *columns], name="activities")
    dates = local_datetimes(activities[date_column], date_column)
    runner = activities["runner_id"]
    for column, values in (("runner_id", runner), (date_column, dates)):
        if values.isna().any():
            raise ArgumentError(
                f"activities[{column!r}] must not be missing; got {int(values.isna().sum())} "
                "missing value(s)."
            )
    codes, runners = runner_codes(runner)
    frame = {
        "code": codes,
        "date": dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"),
    }
    for column in dict.fromkeys(columns):
        frame[column] = activities[column].to_numpy(dtype=np.float64, na_value=np.nan)
    frame["_lbprun_row"] = np.arange(len(activities), dtype=np.int64)
    return pd.DataFrame(frame), runners


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
    from lbprun.workload._grid import week_offset
    from lbprun.workload.acwr import METHODS, check_windows
    from lbprun.workload.spikes import BASELINES, check_thresholds

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


#: Text columns read from Parquet as categoricals by the pandas engine (few distinct values,
#: repeated on every run: one small code per row instead of one string object).
CATEGORICAL_COLUMNS = ("runner_id", "shoe_id", "surface", "activity_type")


def source_files(source: str | Path | Sequence[str | Path]) -> list[str]:
    """The files of a source: paths, globs, or folders (their ``*.parquet``, else ``*.csv``)."""
    import glob

    paths = [source] if isinstance(source, str | Path) else list(source)
    files: list[str] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += sorted(map(str, path.glob("*.parquet"))) or sorted(
                map(str, path.glob("*.csv"))
            )
        else:
            files += sorted(glob.glob(str(path))) or [str(path)]
    return files


def _read_pandas(source: Any) -> pd.DataFrame:
    """Read file sources into one DataFrame for the pandas engine.

    Parquet files are read with pyarrow, the text columns of :data:`CATEGORICAL_COLUMNS` as
    pandas categoricals (several files are read as one dataset, so their categories are
    unified); CSV files with :func:`pandas.read_csv`.
    """
    if isinstance(source, pd.DataFrame):
        return source
    files = source_files(source)
    if files and all(".parquet" in f.lower() for f in files):
        return _read_parquet(files)
    parts = [pd.read_parquet(f) if ".parquet" in f.lower() else pd.read_csv(f) for f in files]
    return pd.concat(parts, ignore_index=True) if len(parts) != 1 else parts[0]


def _read_parquet(files: list[str]) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(files[0])
    text = (pa.types.is_string, pa.types.is_large_string)
    dictionary = [
        name
        for name in CATEGORICAL_COLUMNS
        if name in schema.names and any(is_text(schema.field(name).type) for is_text in text)
    ]
    table = pq.read_table(files[0] if len(files) == 1 else files, read_dictionary=dictionary)
    frame = table.to_pandas(self_destruct=True)
    del table
    # Arrow's allocator keeps the freed buffers of the table; give them back to the system
    pa.default_memory_pool().release_unused()
    return frame


def _pandas_outputs(
    source: Any,
    jobs: dict[str, tuple[str, dict[str, Any]]],
    out: str | Path | None,
    threads: int | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    from lbprun.workload.acwr import acwr, compute_workload
    from lbprun.workload.spikes import load_spikes, single_run_spikes
    from lbprun.workload.weekly import weekly_load

    functions = {
        "weekly_load": weekly_load,
        "load_spikes": load_spikes,
        "single_run_spikes": single_run_spikes,
        "acwr": acwr,
    }
    frame = _read_pandas(source)
    if _is_whole_workload(jobs):
        # one pass per runner for the single-run spikes, one for the ACWR
        with progress_bar(None, desc="workload", unit="runner", enabled=progress) as bar:
            tick = bar.update if not bar.disable else None
            tables = compute_workload(
                frame, threads=threads, progress=tick, **_workload_options(jobs)
            )
    else:
        tables = {}
        for key, (name, options) in jobs.items():
            if name in ("single_run_spikes", "acwr"):
                options = {**options, "threads": threads, "progress": progress}
            tables[key] = functions[name](frame, **options)
    if out is None:
        return tables
    results: dict[str, Any] = {}
    for key, table in tables.items():
        target = Path(out)
        if len(jobs) > 1 or target.suffix != ".parquet":
            target.mkdir(parents=True, exist_ok=True)
            target = target / f"{key}.parquet"
        table.to_parquet(target, index=False)
        results[key] = target
    return results


def _is_whole_workload(jobs: dict[str, tuple[str, dict[str, Any]]]) -> bool:
    """Whether ``jobs`` are the six tables of :func:`run_workload` (one kernel pass)."""
    expected = {key: (name, fixed) for key, name, fixed in _WORKLOAD_JOBS}
    if set(jobs) != set(expected):
        return False
    same = all(
        jobs[key][0] == name and all(jobs[key][1].get(k) == v for k, v in fixed.items())
        for key, (name, fixed) in expected.items()
    )
    return same and jobs["acwr_rolling"][1].get("load", "distance_km") == "distance_km"


def _workload_options(jobs: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    spikes = jobs["spikes_previous_week"][1]
    rolling = jobs["acwr_rolling"][1]
    return {
        "week_start": spikes.get("week_start", "monday"),
        "thresholds": spikes.get("thresholds", (10, 30)),
        "window_days": jobs["runs"][1].get("window_days", 30),
        "acute": rolling.get("acute", 7),
        "chronic": rolling.get("chronic", 28),
    }


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
    allowed = {
        "pandas": ("threads",),
        "duckdb": ("memory_limit", "temp_directory", "threads"),
        "dask": ("client", "npartitions"),
    }[engine]
    for key, value in engine_options.items():
        if value is not None and key not in allowed:
            raise ArgumentError(
                f"{key} must be None with engine={engine!r}; got {value!r} "
                f"({engine!r} takes {', '.join(allowed) or 'no engine options'})."
            )
    options = {k: v for k, v in engine_options.items() if k in allowed}
    _require(engine)
    if engine == "duckdb":
        from lbprun.workload._duckdb_engine import duckdb_outputs

        return duckdb_outputs(source, jobs, out=out, progress=progress, **options)
    if engine == "dask":
        from lbprun.workload._dask_engine import dask_outputs

        return dask_outputs(source, jobs, out=out, progress=progress, **options)
    return _pandas_outputs(source, jobs, out, progress=progress, **options)


def run(
    name: str,
    source: Any,
    *,
    engine: str = "duckdb",
    out: str | Path | None = None,
    memory_limit: str | None = None,
    temp_directory: str | Path | None = None,
    threads: int | None = None,
    client: Any = None,
    npartitions: int | None = None,
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
    engine : {"duckdb", "dask", "pandas"}, default="duckdb"
        ``"duckdb"``: SQL, out of core; ``"dask"``: the pandas kernel on runner partitions;
        ``"pandas"``: the kernel in this process.
    out : str or Path, optional
        Write the table to this Parquet file (DuckDB, pandas) or folder (Dask) and return its
        path instead of a DataFrame.
    memory_limit : str, optional
        DuckDB only: memory limit before spilling (default ``"4GB"``).
    temp_directory : str or Path, optional
        DuckDB only: spill folder (default: a temporary folder, removed afterwards).
    threads : int, optional
        DuckDB and pandas: number of threads (default: all cores).
    client : dask.distributed.Client, optional
        Dask only: the cluster to use (default: the current client, else local threads).
    npartitions : int, optional
        Dask only: number of runner partitions (default: about 4 per worker thread).
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
    }
    result = _dispatch(engine, source, {name: (name, checked)}, out, engine_options, progress)
    return result[name]


def run_workload(
    source: Any,
    *,
    engine: str = "duckdb",
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
    progress: bool | None = None,
) -> dict[str, pd.DataFrame | Path]:
    """Compute the whole training-load workload with one engine.

    Weekly table, both progression baselines, single-run spikes, rolling (uncoupled) and EWMA
    ACWR, as :func:`lbprun.workload.acwr.compute_workload` does with the pandas kernel.

    Parameters
    ----------
    source : pandas.DataFrame, str, Path or list of them
        The runs, in memory or as Parquet / CSV files (see :func:`run`).
    engine : {"duckdb", "dask", "pandas"}, default="duckdb"
        The engine (see :func:`run`).
    out : str or Path, optional
        Folder receiving one Parquet output per table (``weekly.parquet`` ...); the paths are
        returned instead of DataFrames.
    week_start, thresholds, window_days, acute, chronic
        As in the workload functions.
    memory_limit, temp_directory, threads, client, npartitions
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
        for key, name, options in _WORKLOAD_JOBS
    }
    engine_options = {
        "memory_limit": memory_limit,
        "temp_directory": temp_directory,
        "threads": threads,
        "client": client,
        "npartitions": npartitions,
    }
    return _dispatch(engine, source, jobs, out, engine_options, progress)
