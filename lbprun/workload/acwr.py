"""Acute:chronic workload ratio (rolling or EWMA) on the daily grid, and the combined kernel.

:func:`compute_workload` runs the whole benchmark workload (weekly table, both progression
baselines, single-run spikes, rolling and EWMA ACWR) on one sort of the runs; it works on any
subset of whole runners, so a distributed engine can run it per runner partition.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=28),
...                      "distance_km": [5.0] * 21 + [10.0] * 7})
>>> acwr(runs).iloc[-1][["acute_load", "chronic_load", "acwr"]].astype(float).tolist()
[10.0, 5.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_positive_int
from lbprun._progress import check_progress
from lbprun.workload._grid import (
    Block,
    Prepared,
    ProgressBar,
    blocks,
    check_block_days,
    check_engine,
    check_threads,
    days_to_datetime,
    dispatch,
    for_each_block,
    prepare,
    repeat_runners,
    week_offset,
)
from lbprun.workload._scans import ewma, window_sums
from lbprun.workload.spikes import (
    check_thresholds,
    longest_previous,
    runs_frame,
    spikes_frame,
)
from lbprun.workload.weekly import weekly_arrays, weekly_frame

__all__ = ["ACWR_COLUMNS", "METHODS", "acwr", "compute_workload"]

#: Methods of :func:`acwr`.
METHODS = ("rolling", "ewma")

#: Columns of :func:`acwr`, in order.
ACWR_COLUMNS = ("runner_id", "date", "load", "acute_load", "chronic_load", "acwr")


def check_windows(acute: Any, chronic: Any) -> tuple[int, int]:
    """Check the acute and chronic window lengths (days)."""
    acute = check_positive_int(acute, "acute")
    chronic = check_positive_int(chronic, "chronic")
    if chronic <= acute:
        raise ArgumentError(f"chronic must be longer than acute ({acute} days); got {chronic!r}.")
    return acute, chronic


def acwr_block(
    load: np.ndarray,
    local: np.ndarray,
    starts: np.ndarray,
    *,
    acute: int,
    chronic: int,
    method: str,
    coupled: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Acute load, chronic load and ratio on one block of the daily grid."""
    if method == "rolling":
        if coupled:
            sums = window_sums(load, [acute, chronic])
            chronic_load = sums[chronic] / chronic
        else:
            sums = window_sums(load, [acute, chronic - acute])
            before = np.zeros_like(load)
            before[acute:] = sums[chronic - acute][:-acute]
            chronic_load = before / (chronic - acute)
        acute_load = sums[acute] / acute
    else:
        acute_load = ewma(load, acute, starts, local)
        chronic_load = ewma(load, chronic, starts, local)
    early = local < chronic - 1
    acute_load[early] = np.nan
    chronic_load[early] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = acute_load / chronic_load
    ratio[chronic_load == 0] = np.nan
    return acute_load, chronic_load, ratio


@dataclass(frozen=True)
class DailyGrid:
    """The daily grid as flat columns (runner after runner, days in order)."""

    runner_id: Any
    date: np.ndarray
    load: np.ndarray
    results: list[tuple[np.ndarray, np.ndarray, np.ndarray]]

    def frame(self, which: int = 0) -> pd.DataFrame:
        """The :func:`acwr` table of the ``which``-th (method, coupled) pair.

        Frames of one grid share the ``runner_id``, ``date`` and ``load`` buffers.
        """
        acute_load, chronic_load, ratio = self.results[which]
        return pd.DataFrame(
            {
                "runner_id": self.runner_id,
                "date": self.date,
                "load": self.load,
                "acute_load": acute_load,
                "chronic_load": chronic_load,
                "acwr": ratio,
            },
            copy=False,
        )


def acwr_arrays(
    prep: Prepared,
    load_column: str,
    *,
    acute: int,
    chronic: int,
    methods: tuple[tuple[str, bool], ...],
    block_days: int | None = None,
    threads: int = 1,
    progress: Callable[[int], None] | None = None,
    release: bool = False,
) -> DailyGrid:
    """Daily grid (runner, date, load) and (acute, chronic, ratio) per (method, coupled).

    Blocks of whole runners are computed on ``threads`` threads, each writing its slice of the
    output columns. ``release=True`` drops the per-run arrays of ``prep`` once they are used
    (lower peak memory when the caller needs nothing else from them).
    """
    lengths = prep.last - prep.first + 1
    size = int(lengths.sum())
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    load = np.empty(size)
    known = prep.recall(("daily",))  # (runner_id, date) of the grid, from an earlier call
    day = np.empty(size if known is None else 0, dtype=np.int64)
    results = [(np.empty(size), np.empty(size), np.empty(size)) for _ in methods]
    values = prep.values(load_column, fill=0.0)

    def work(block: Block) -> None:
        grid = np.bincount(block.pos, weights=values[block.runs], minlength=block.size)
        local = block.local_day()
        where = slice(int(offsets[block.r0]), int(offsets[block.r1]))
        load[where] = grid
        if known is None:
            first = np.repeat(prep.first[block.r0 : block.r1], block.length)
            np.add(first, local, out=day[where])
        for (method, coupled), out in zip(methods, results, strict=True):
            parts = acwr_block(
                grid,
                local,
                block.start,
                acute=acute,
                chronic=chronic,
                method=method,
                coupled=coupled,
            )
            for target, part in zip(out, parts, strict=True):
                target[where] = part

    block_iter = blocks(prep, block_days=block_days)
    for_each_block(work, block_iter, threads=threads, progress=progress)
    if release:
        prep.release()
    if known is None:
        if not prep.shared:
            return DailyGrid(repeat_runners(prep, lengths), days_to_datetime(day), load, results)
        # numpy runner ids are repeated for each call (as costly as a copy); others are kept
        numpy_ids = isinstance(prep.runners, np.ndarray)
        known = (None if numpy_ids else repeat_runners(prep, lengths), days_to_datetime(day))
        known[1].flags.writeable = False
        prep.remember(("daily",), known)
    # each call its own columns (Arrow text: a shallow copy); frames of one grid share them
    runner_id = repeat_runners(prep, lengths) if known[0] is None else known[0].copy()
    return DailyGrid(runner_id, known[1].copy(), load, results)


def acwr(
    activities: pd.DataFrame,
    *,
    acute: int = 7,
    chronic: int = 28,
    method: str = "rolling",
    coupled: bool = False,
    load: str = "distance_km",
    block_days: int | None = None,
    threads: int | None = None,
    progress: bool | None = None,
    engine: str = "pandas",
) -> pd.DataFrame:
    """Acute:chronic workload ratio per runner and day, by rolling means or EWMA.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id``, ``date`` and the ``load`` column.
    acute, chronic : int, default=7, 28
        Window lengths in days (``chronic > acute``); for EWMA the spans N of
        ``lambda = 2 / (N + 1)``.
    method : {"rolling", "ewma"}, default="rolling"
        Rolling means, or exponentially weighted moving averages (Williams et al. 2017).
    coupled : bool, default=False
        Rolling only: whether the chronic window includes the acute window.
    load : str, default="distance_km"
        Column holding the load of a run (e.g. ``"duration_min"`` or an sRPE column).
    block_days : int, optional
        Grid days per block of runners (memory bound); does not change the result.
    threads : int, optional
        Threads computing blocks of runners in parallel (default: every available core); with
        ``engine="duckdb"``, DuckDB's threads. The result does not depend on it.
    progress : bool or None, default=None
        Show a progress bar over runners (tqdm, on standard error); None: only when standard
        error is a terminal and bars are not turned off (``lbprun.set_progress``,
        ``LBPRUN_PROGRESS=0``).
    engine : {"pandas", "duckdb", "dask"}, default="pandas"
        Computation engine (see :func:`weekly_load`).

    Returns
    -------
    pandas.DataFrame
        One row per runner and day of the daily grid (every date from the runner's first to
        last run), sorted by ``runner_id, date``: ``runner_id, date, load`` (sum of the day's
        runs, 0 on rest days), ``acute_load, chronic_load, acwr``.

    Raises
    ------
    lbprun._checks.ArgumentError
        When a column is missing or an option is invalid.

    Notes
    -----
    Rolling: ``acute_t = mean(load_{t-a+1..t})``; coupled ``chronic_t = mean(load_{t-c+1..t})``,
    uncoupled ``chronic_t = mean(load_{t-c+1..t-a})`` (the ``c - a`` days before the acute
    window). EWMA: ``lambda = 2 / (N + 1)``, ``E_0 = load_0``,
    ``E_t = lambda * load_t + (1 - lambda) * E_{t-1}``; ``coupled`` does not apply. For both,
    the loads and ratio are NaN on the first ``chronic - 1`` days of each runner's grid (the
    first chronic window is missing, not guessed), and ``acwr`` is NaN where the chronic load
    is 0. Missing loads count as 0. The 0.8-1.3 "sweet spot" and >= 1.5 "danger zone" come from
    team sports and are contested (Lolli et al. 2019; Impellizzeri et al. 2020). Validated
    against pandas ``groupby().rolling().mean()`` and ``ewm(adjust=False)`` in the tests (no R
    equivalent).

    References
    ----------
    Williams S et al. Better way to determine the acute:chronic workload ratio? Br J Sports Med
    2017;51:209-210.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=28),
    ...                      "distance_km": 4.0})
    >>> float(acwr(runs, method="ewma").iloc[-1]["acwr"])
    1.0
    """
    engine = check_engine(engine)
    progress = check_progress(progress)
    method = check_choice("method", method, METHODS)
    acute, chronic = check_windows(acute, chronic)
    if not isinstance(coupled, bool | np.bool_):
        raise ArgumentError(f"coupled must be True or False; got {coupled!r}.")
    block_days = check_block_days(block_days)
    if engine != "pandas":
        options = {
            "acute": acute,
            "chronic": chronic,
            "method": method,
            "coupled": bool(coupled),
            "load": load,
        }
        if threads is not None:
            options["threads"] = threads
        return dispatch("acwr", engine, activities, {**options, "progress": progress})
    threads = check_threads(threads)
    if not isinstance(load, str):
        raise ArgumentError(f"load must be a column name; got {load!r}.")
    prep = prepare(activities, [load])
    with ProgressBar(progress, prep.n_runners, "acwr") as tick:
        grid = acwr_arrays(
            prep,
            load,
            acute=acute,
            chronic=chronic,
            methods=((method, bool(coupled)),),
            block_days=block_days,
            threads=threads,
            progress=tick,
        )
    return grid.frame()


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
        As in :func:`weekly_load`, :func:`load_spikes`, :func:`single_run_spikes` and
        :func:`acwr` (``threads``: the blocks of the daily grid run in parallel; default every
        available core).
    progress : callable, optional
        Called with the number of runners finished after each block of the daily grid (twice
        per runner: spikes, then ACWR).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"weekly"`` (:func:`weekly_load`), ``"spikes_previous_week"`` and
        ``"spikes_previous_4_weeks"`` (:func:`load_spikes`), ``"runs"``
        (:func:`single_run_spikes`), ``"acwr_rolling"`` (uncoupled) and ``"acwr_ewma"``
        (:func:`acwr`), each equal to the public function's result. To save memory the
        frames share column buffers (the three weekly tables share the weekly columns, the two
        ACWR tables share ``runner_id, date, load``, and ``"runs"`` shares the input's columns
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
    arrays = weekly_arrays(prep, weekday)
    out = {"weekly": weekly_frame(prep, arrays)}
    for baseline in ("previous_week", "previous_4_weeks"):
        out[f"spikes_{baseline}"] = spikes_frame(prep, arrays, baseline, limits)
    longest = longest_previous(
        prep, window_days, block_days=block_days, threads=threads, progress=progress
    )
    out["runs"] = runs_frame(prep, longest, window_days, deep=False)
    grid = acwr_arrays(
        prep,
        "distance_km",
        acute=acute,
        chronic=chronic,
        methods=(("rolling", False), ("ewma", False)),
        block_days=block_days,
        threads=threads,
        progress=progress,
        release=True,
    )
    out["acwr_rolling"] = grid.frame(0)
    out["acwr_ewma"] = grid.frame(1)
    return out
