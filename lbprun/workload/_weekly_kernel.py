"""The weekly kernel: runs laid out on the runner x week grid as flat numpy arrays.

The definitions behind :func:`lbprun.workload.weekly.weekly_load` and the weekly part of
:func:`lbprun.workload.spikes.load_spikes`: a run's week is the calendar week of its local
date, weeks without runs are rows of zeros, and ``change_pct`` compares each week with the one
before. :func:`weekly_table` is the pandas engine of :func:`~lbprun.workload.weekly.weekly_load`.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": "a", "date": pd.to_datetime(["2024-01-01", "2024-01-10"]),
...                      "distance_km": [5.0, 8.0], "duration_min": [30.0, 50.0]})
>>> weekly_table(runs)[["week_start", "distance_km", "change_pct"]]
  week_start  distance_km  change_pct
0 2024-01-01          5.0         NaN
1 2024-01-08          8.0        60.0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun.workload._grid import Prepared, days_to_datetime, prepare, repeat_runners
from lbprun.workload.definitions import WEEKLY_COLUMNS, week_offset

__all__ = [
    "WEEKLY_COLUMNS",
    "WeekLayout",
    "WeeklyArrays",
    "week_grid",
    "week_layout",
    "week_start_days",
    "weekly_arrays",
    "weekly_frame",
    "weekly_table",
]


@dataclass(frozen=True)
class WeeklyArrays:
    """The runner x week grid as flat arrays (runner after runner, weeks in order)."""

    runner_id: Any
    week: np.ndarray
    week_start: np.ndarray
    local: np.ndarray
    distance_km: np.ndarray
    duration_min: np.ndarray
    n_runs: np.ndarray
    longest_run_km: np.ndarray
    change_pct: np.ndarray


def week_grid(
    prep: Prepared, weekday: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lay out the runner x week grid.

    Returns the grid position of every run (sorted order), the number of weeks and the first
    week index of each runner, and the runners' offsets in the grid.
    """
    shift = 3 - weekday  # 1970-01-01 is a Thursday
    week = np.floor_divide(prep.day + shift, 7)
    first = np.floor_divide(prep.first + shift, 7)
    n_weeks = np.floor_divide(prep.last + shift, 7) - first + 1
    start = np.concatenate(([0], np.cumsum(n_weeks)))
    pos = start[prep.code] + (week - first[prep.code])
    return pos, n_weeks, first, start


@dataclass(frozen=True)
class WeekLayout:
    """Where runs fall on the runner x week grid: depends on runner ids and dates only.

    ``pos`` is the grid position of every run (sorted order), ``heads`` the first run of each
    non-empty week, ``local`` and ``week`` the week of every grid row (within its runner, and
    as a week index), ``week_start`` its first day, ``n_weeks`` the rows of each runner and
    ``runner_id`` the runner of each row (None for numpy runner ids of a cached grid: repeating
    them for each result costs what copying them would). The arrays are read-only: a cached
    grid shares them between calls.
    """

    pos: np.ndarray
    heads: np.ndarray
    local: np.ndarray
    week: np.ndarray
    week_start: np.ndarray
    n_weeks: np.ndarray
    runner_id: Any


def week_layout(prep: Prepared, weekday: int) -> WeekLayout:
    """The :class:`WeekLayout` of ``prep`` (computed once per grid and week start)."""
    layout = prep.recall(("week", weekday))
    if layout is not None:
        return layout
    pos, n_weeks, first, start = week_grid(prep, weekday)
    size = int(start[-1])
    heads = np.flatnonzero(np.concatenate(([True], pos[1:] != pos[:-1]))) if len(pos) else pos
    local = np.arange(size, dtype=np.int64) - np.repeat(start[:-1], n_weeks)
    grid_week = np.repeat(first, n_weeks) + local
    starts = days_to_datetime(week_start_days(grid_week, weekday))
    runner_id = None
    if not (prep.shared and isinstance(prep.runners, np.ndarray)):
        runner_id = repeat_runners(prep, n_weeks)
    if prep.shared:
        for values in (pos, heads, local, grid_week, starts, n_weeks):
            values.flags.writeable = False
    layout = WeekLayout(pos, heads, local, grid_week, starts, n_weeks, runner_id)
    return prep.remember(("week", weekday), layout)


def weekly_arrays(prep: Prepared, weekday: int) -> WeeklyArrays:
    """Compute the runner x week grid from prepared runs (the numpy kernel)."""
    layout = week_layout(prep, weekday)
    pos, heads, local = layout.pos, layout.heads, layout.local
    size = len(local)
    distance = prep.values("distance_km", fill=0.0)
    km = np.bincount(pos, weights=distance, minlength=size)
    minutes = np.bincount(pos, weights=prep.values("duration_min", fill=0.0), minlength=size)
    n_runs = np.bincount(pos, minlength=size).astype(np.int64)
    longest = np.zeros(size)
    if len(pos):
        longest[pos[heads]] = np.fmax.reduceat(distance, heads)
    previous = np.full(size, np.nan)
    previous[1:] = km[:-1]
    previous[local == 0] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        change = 100.0 * (km - previous) / previous
    change[~(previous > 0)] = np.nan
    runner_id, starts = layout.runner_id, layout.week_start
    if runner_id is None:
        runner_id = repeat_runners(prep, layout.n_weeks)
    elif prep.shared:  # each table its own columns (Arrow text: a shallow copy)
        runner_id = runner_id.copy()
    if prep.shared:
        starts = starts.copy()
    return WeeklyArrays(
        runner_id,
        layout.week,
        starts,
        local,
        km,
        minutes,
        n_runs,
        longest,
        change,
    )


def week_start_days(week: np.ndarray, weekday: int) -> np.ndarray:
    """Day number of the first day of each week index."""
    return week * 7 + weekday - 3


def weekly_frame(
    prep: Prepared, arrays: WeeklyArrays, extra: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Build the :func:`weekly_load` table (plus ``extra`` columns) without copying arrays."""
    columns = {
        "runner_id": arrays.runner_id,
        "week_start": arrays.week_start,
        "distance_km": arrays.distance_km,
        "duration_min": arrays.duration_min,
        "n_runs": arrays.n_runs,
        "longest_run_km": arrays.longest_run_km,
        "change_pct": arrays.change_pct,
    }
    return pd.DataFrame({**columns, **(extra or {})}, copy=False)


def weekly_table(activities: pd.DataFrame, *, week_start: str = "monday") -> pd.DataFrame:
    """The :func:`~lbprun.workload.weekly.weekly_load` table with the numpy kernel.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id``, ``date`` (or ``start_time``), ``distance_km``,
        ``duration_min``.
    week_start : str, default="monday"
        First day of the calendar week.

    Returns
    -------
    pandas.DataFrame
        One row per runner and calendar week (see :func:`~lbprun.workload.weekly.weekly_load`).
    """
    weekday = week_offset(week_start)
    prep = prepare(activities, ["distance_km", "duration_min"])
    return weekly_frame(prep, weekly_arrays(prep, weekday))
