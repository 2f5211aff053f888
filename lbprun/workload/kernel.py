"""The in-memory kernel as one entry point: workload jobs on a frame of whole runners.

Every engine (the pandas engine in this process, the streaming engine batch by batch, the
Dask engine partition by partition) calls :func:`kernel_tables` on a pandas DataFrame that
holds every run of each of its runners, so they all compute the same tables.
:func:`compute_workload` runs the whole workload (weekly table, both progression baselines,
single-run spikes, rolling and EWMA ACWR) on one sort of the runs. This module imports only the kernel and the definitions, never the engines or the public
functions.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from lbprun._checks import check_positive_int
from lbprun.workload._acwr_kernel import acwr_arrays, acwr_table
from lbprun.workload._grid import Prepared, check_block_days, check_threads, prepare
from lbprun.workload._spikes_kernel import (
    longest_previous,
    runs_frame,
    runs_table,
    spikes_frame,
    spikes_table,
)
from lbprun.workload._weekly_kernel import weekly_arrays, weekly_frame, weekly_table
from lbprun.workload.definitions import check_thresholds, check_windows, week_offset

__all__ = [
    "TABLES",
    "WORKLOAD_JOBS",
    "compute_workload",
    "is_whole_workload",
    "kernel_tables",
    "workload_options",
]

#: The kernel's table of each workload function (pandas engine, same keyword options).
TABLES: dict[str, Callable[..., pd.DataFrame]] = {
    "weekly_load": weekly_table,
    "load_spikes": spikes_table,
    "single_run_spikes": runs_table,
    "acwr": acwr_table,
}

#: The six tables of the whole workload: output key, function name, fixed options.
WORKLOAD_JOBS = (
    ("weekly", "weekly_load", {}),
    ("spikes_previous_week", "load_spikes", {"baseline": "previous_week"}),
    ("spikes_previous_4_weeks", "load_spikes", {"baseline": "previous_4_weeks"}),
    ("runs", "single_run_spikes", {}),
    ("acwr_rolling", "acwr", {"method": "rolling", "coupled": False}),
    ("acwr_ewma", "acwr", {"method": "ewma", "coupled": False}),
)


def is_whole_workload(jobs: dict[str, tuple[str, dict[str, Any]]]) -> bool:
    """Whether ``jobs`` are the six tables of the whole workload (one kernel pass)."""
    expected = {key: (name, fixed) for key, name, fixed in WORKLOAD_JOBS}
    if set(jobs) != set(expected):
        return False
    same = all(
        jobs[key][0] == name and all(jobs[key][1].get(k) == v for k, v in fixed.items())
        for key, (name, fixed) in expected.items()
    )
    return same and jobs["acwr_rolling"][1].get("load", "distance_km") == "distance_km"


def workload_options(jobs: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    """The options of :func:`~lbprun.workload.acwr.compute_workload` behind whole-workload jobs."""
    spikes = jobs["spikes_previous_week"][1]
    rolling = jobs["acwr_rolling"][1]
    return {
        "week_start": spikes.get("week_start", "monday"),
        "thresholds": spikes.get("thresholds", (10, 30)),
        "window_days": jobs["runs"][1].get("window_days", 30),
        "acute": rolling.get("acute", 7),
        "chronic": rolling.get("chronic", 28),
    }


def kernel_tables(
    frame: pd.DataFrame,
    jobs: dict[str, tuple[str, dict[str, Any]]],
    *,
    threads: int | None = None,
    progress: bool | Callable[[int], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Compute workload ``jobs`` on ``frame`` with the numpy kernel.

    Parameters
    ----------
    frame : pandas.DataFrame
        Runs of whole runners (``runner_id``, ``date`` or ``start_time``, the load columns).
    jobs : dict
        Output key to ``(function name, checked options)``; the six tables of the whole
        workload are computed in one pass.
    threads : int, optional
        Threads of the kernel's parallel blocks (default: every available core).
    progress : callable or bool, optional
        Called with the number of runners finished after each block; ``True`` shows a bar
        over runners for each single-run-spikes or ACWR table instead (not for the whole
        workload, whose caller owns the bar).

    Returns
    -------
    dict of str to pandas.DataFrame
        One table per key of ``jobs``.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.to_datetime(["2024-01-01"]),
    ...                      "distance_km": [5.0], "duration_min": [30.0]})
    >>> kernel_tables(runs, {"w": ("weekly_load", {})})["w"]["distance_km"].tolist()
    [5.0]
    """
    if is_whole_workload(jobs):
        tick = progress if callable(progress) else None
        return compute_workload(frame, threads=threads, progress=tick, **workload_options(jobs))
    tables = {}
    for key, (name, options) in jobs.items():
        if name in ("single_run_spikes", "acwr"):
            shown = progress if callable(progress) else bool(progress)
            options = {**options, "threads": threads, "progress": shown}
        tables[key] = TABLES[name](frame, **options)
    return tables


def compute_workload(
    activities: pd.DataFrame,
    *,
    week_start: str = "monday",
    thresholds: tuple[float, ...] = (10, 30),
    window_days: int = 30,
    acute: int = 7,
    chronic: int = 28,
    block_days: int | None = None,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """Run the whole training-load workload on one sort of the runs.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id, date, distance_km, duration_min``; any subset of whole runners
        (e.g. one partition of a runner-partitioned Dask frame).
    week_start, thresholds, window_days, acute, chronic, block_days, threads
        As in :func:`~lbprun.workload.weekly.weekly_load`,
        :func:`~lbprun.workload.spikes.load_spikes`,
        :func:`~lbprun.workload.spikes.single_run_spikes` and :func:`~lbprun.workload.acwr.acwr`
        (``threads``: the blocks of the daily grid run in parallel, and with 2 or more the
        weekly tables are built on a thread of their own meanwhile; default every available
        core; ``threads=1`` runs everything on the calling thread).
    progress : callable, optional
        Called with the number of runners finished after each block of the daily grid (twice
        per runner: spikes, then ACWR).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"weekly"`` (:func:`~lbprun.workload.weekly.weekly_load`), ``"spikes_previous_week"``
        and ``"spikes_previous_4_weeks"`` (:func:`~lbprun.workload.spikes.load_spikes`),
        ``"runs"`` (:func:`~lbprun.workload.spikes.single_run_spikes`), ``"acwr_rolling"``
        (uncoupled) and ``"acwr_ewma"`` (:func:`~lbprun.workload.acwr.acwr`), each equal to the
        public function's result. To save memory the frames share column buffers (the three
        weekly tables share the weekly columns, the two ACWR tables share ``runner_id, date, load``, and ``"runs"`` shares the input's columns
        when the input is already sorted): copy a frame before changing it in place.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=3),
    ...                      "distance_km": 5.0, "duration_min": 30.0})
    >>> sorted(compute_workload(runs))
    ['acwr_ewma', 'acwr_rolling', 'runs', 'spikes_previous_4_weeks', 'spikes_previous_week', 'weekly']
    """
    weekday = week_offset(week_start)
    limits = check_thresholds(thresholds)
    window_days = check_positive_int(window_days, "window_days")
    acute, chronic = check_windows(acute, chronic)
    block_days = check_block_days(block_days)
    threads = check_threads(threads)
    # reuse a grid cached by earlier calls on this frame, but keep none: the per-run arrays
    # are released once the daily grid is built (lower peak memory)
    prep = prepare(activities, ["distance_km", "duration_min"], keep=False)
    if threads == 1:
        out = _weekly_tables(prep, weekday, limits)
        out.update(_daily_tables(prep, window_days, acute, chronic, block_days, 1, progress))
    else:
        # the weekly tables are one serial pass over the runs: build them on a thread of their
        # own while the block passes of the daily grid run on ``threads`` threads
        with ThreadPoolExecutor(1, thread_name_prefix="lbprun-weekly") as side:
            weekly = side.submit(_weekly_tables, prep, weekday, limits)
            daily = _daily_tables(prep, window_days, acute, chronic, block_days, threads, progress)
            out = weekly.result()
        out.update(daily)
    prep.release()
    return {key: out[key] for key, _, _ in WORKLOAD_JOBS}


def _weekly_tables(
    prep: Prepared, weekday: int, limits: tuple[float, ...]
) -> dict[str, pd.DataFrame]:
    """The weekly table and both progression tables (they share the weekly columns)."""
    arrays = weekly_arrays(prep, weekday)
    out = {"weekly": weekly_frame(prep, arrays)}
    for baseline in ("previous_week", "previous_4_weeks"):
        out[f"spikes_{baseline}"] = spikes_frame(prep, arrays, baseline, limits)
    return out


def _daily_tables(
    prep: Prepared,
    window_days: int,
    acute: int,
    chronic: int,
    block_days: int | None,
    threads: int,
    progress: Callable[[int], None] | None,
) -> dict[str, pd.DataFrame]:
    """The single-run spikes and both ACWR tables: two block passes over the daily grid."""
    longest = longest_previous(
        prep, window_days, block_days=block_days, threads=threads, progress=progress
    )
    out = {"runs": runs_frame(prep, longest, window_days, deep=False)}
    grid = acwr_arrays(
        prep,
        "distance_km",
        acute=acute,
        chronic=chronic,
        methods=(("rolling", False), ("ewma", False)),
        block_days=block_days,
        threads=threads,
        progress=progress,
    )
    out["acwr_rolling"] = grid.frame(0)
    out["acwr_ewma"] = grid.frame(1)
    return out
