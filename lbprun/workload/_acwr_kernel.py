"""The ACWR kernel: acute and chronic loads on the flat daily grid, block by block.

The definitions behind :func:`lbprun.workload.acwr.acwr`: the daily grid holds every day from
a runner's first to last run (rest days are 0), rolling means combine power-of-two windows and
the EWMA is a segmented scan (:mod:`lbprun.workload._scans`); the first ``chronic - 1`` days of
each runner are missing, not guessed. :func:`acwr_table` is the pandas engine of
:func:`~lbprun.workload.acwr.acwr`.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=28),
...                      "distance_km": [5.0] * 21 + [10.0] * 7})
>>> float(acwr_table(runs, progress=False)["acwr"].iloc[-1])
2.0
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice
from lbprun._progress import check_progress
from lbprun.workload._grid import (
    Block,
    Prepared,
    blocks,
    check_block_days,
    check_threads,
    for_each_block,
    prepare,
    repeat_runners,
    ticking,
)
from lbprun.workload._prepared import NS_PER_DAY
from lbprun.workload._scans import ewma, window_sums
from lbprun.workload.definitions import METHODS, check_windows

__all__ = ["DailyGrid", "acwr_arrays", "acwr_block", "acwr_table", "check_coupled"]


def check_coupled(coupled: Any) -> bool:
    """Check the ``coupled`` keyword (True or False)."""
    if not isinstance(coupled, bool | np.bool_):
        raise ArgumentError(f"coupled must be True or False; got {coupled!r}.")
    return bool(coupled)


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
    # categorical runner ids: their codes are repeated block by block, on the block threads
    categorical = known is None and isinstance(prep.runners, pd.Categorical)
    runner_codes = prep.runners.codes if categorical else None
    grid_codes = np.empty(size if categorical else 0, dtype=getattr(runner_codes, "dtype", int))

    def work(block: Block) -> None:
        grid = np.bincount(block.pos, weights=values[block.runs], minlength=block.size)
        local = block.local_day()
        where = slice(int(offsets[block.r0]), int(offsets[block.r1]))
        load[where] = grid
        if known is None:
            first = np.repeat(prep.first[block.r0 : block.r1], block.length)
            np.add(first, local, out=day[where])
            np.multiply(day[where], NS_PER_DAY, out=day[where])  # datetime64[ns] values
        if categorical:
            grid_codes[where] = np.repeat(runner_codes[block.r0 : block.r1], block.length)
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
        date = day.view("M8[ns]")
        if categorical:
            dtype = prep.runners.dtype
            runner_id = pd.Categorical.from_codes(grid_codes, dtype=dtype, validate=False)
        elif not (prep.shared and isinstance(prep.runners, np.ndarray)):
            runner_id = repeat_runners(prep, lengths)
        if not prep.shared:
            return DailyGrid(runner_id, date, load, results)
        # numpy runner ids are repeated for each call (as costly as a copy); others are kept
        numpy_ids = isinstance(prep.runners, np.ndarray)
        known = (None if numpy_ids else runner_id, date)
        known[1].flags.writeable = False
        prep.remember(("daily",), known)
    # each call its own columns (Arrow text: a shallow copy); frames of one grid share them
    runner_id = repeat_runners(prep, lengths) if known[0] is None else known[0].copy()
    return DailyGrid(runner_id, known[1].copy(), load, results)


def acwr_table(
    activities: pd.DataFrame,
    *,
    acute: int = 7,
    chronic: int = 28,
    method: str = "rolling",
    coupled: bool = False,
    load: str = "distance_km",
    block_days: int | None = None,
    threads: int | None = None,
    progress: bool | None | Callable[[int], None] = None,
) -> pd.DataFrame:
    """The :func:`~lbprun.workload.acwr.acwr` table with the numpy kernel.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id``, ``date`` and the ``load`` column.
    acute, chronic : int, default=7, 28
        Window lengths in days (``chronic > acute``).
    method : {"rolling", "ewma"}, default="rolling"
        Rolling means or exponentially weighted moving averages.
    coupled : bool, default=False
        Rolling only: whether the chronic window includes the acute window.
    load : str, default="distance_km"
        Column holding the load of a run.
    block_days : int, optional
        Grid days per block of runners (memory bound).
    threads : int, optional
        Threads computing blocks of runners (default: every available core).
    progress : bool, None or callable, default=None
        A progress bar over runners (as in :func:`~lbprun.workload.acwr.acwr`), or a callable
        given the number of runners of each finished block.

    Returns
    -------
    pandas.DataFrame
        One row per runner and day of the daily grid (see :func:`~lbprun.workload.acwr.acwr`).
    """
    if not callable(progress):
        progress = check_progress(progress)
    method = check_choice("method", method, METHODS)
    acute, chronic = check_windows(acute, chronic)
    coupled = check_coupled(coupled)
    block_days = check_block_days(block_days)
    threads = check_threads(threads)
    if not isinstance(load, str):
        raise ArgumentError(f"load must be a column name; got {load!r}.")
    prep = prepare(activities, [load])
    with ticking(progress, prep.n_runners, "acwr") as tick:
        grid = acwr_arrays(
            prep,
            load,
            acute=acute,
            chronic=chronic,
            methods=((method, coupled),),
            block_days=block_days,
            threads=threads,
            progress=tick,
        )
    return grid.frame()
