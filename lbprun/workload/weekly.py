"""Weekly training load: one row per runner and calendar week, rest weeks included.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": ["a", "a", "a"],
...                      "date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-15"]),
...                      "distance_km": [5.0, 10.0, 8.0], "duration_min": [30.0, 60.0, 45.0]})
>>> weekly_load(runs)[["week_start", "distance_km", "n_runs", "change_pct"]]
  week_start  distance_km  n_runs  change_pct
0 2024-01-01         15.0       2         NaN
1 2024-01-08          0.0       0      -100.0
2 2024-01-15          8.0       1         NaN
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun.workload._grid import (
    Prepared,
    check_engine,
    days_to_datetime,
    dispatch,
    prepare,
    repeat_runners,
    week_offset,
)

__all__ = ["WEEKLY_COLUMNS", "week_grid", "weekly_load"]

#: Columns of :func:`weekly_load`, in order.
WEEKLY_COLUMNS = (
    "runner_id",
    "week_start",
    "distance_km",
    "duration_min",
    "n_runs",
    "longest_run_km",
    "change_pct",
)


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


def weekly_load(
    activities: pd.DataFrame, *, week_start: str = "monday", engine: str = "pandas"
) -> pd.DataFrame:
    """Weekly distance, duration, runs and week-to-week change per runner and calendar week.

    Parameters
    ----------
    activities : pandas.DataFrame
        One row per run with ``runner_id``, ``date`` (the local calendar date of the run;
        when absent, the local date of a tz-aware ``start_time`` is used), ``distance_km`` and
        ``duration_min``.
    week_start : str, default="monday"
        First day of the calendar week, any weekday name (case-insensitive).
    engine : {"pandas", "duckdb", "dask"}, default="pandas"
        ``"pandas"`` runs the vectorised numpy kernel; the others dispatch to
        :mod:`lbprun.workload.engines` (extra ``lbprun[scale]``).

    Returns
    -------
    pandas.DataFrame
        One row per runner and calendar week from the week of the runner's first run to the
        week of the last run, sorted by ``runner_id, week_start``; weeks without runs are rows
        of zeros. Columns ``runner_id, week_start`` (Timestamp of the week's first day),
        ``distance_km, duration_min`` (sums), ``n_runs``, ``longest_run_km`` (0 in empty weeks)
        and ``change_pct``.

    Raises
    ------
    lbprun._checks.ArgumentError
        When a column is missing, a date or runner id is missing, or an option is invalid.

    Notes
    -----
    ``change_pct = 100 * (km_w - km_{w-1}) / km_{w-1}``; it is NaN for a runner's first week
    and when the previous week is 0 km. Several runs on one day are summed; the kernel sums what
    it is given, so duplicated runs count twice (de-duplication belongs to the reader). Missing
    distances or durations count as 0 in the sums, as SQL ``SUM`` skips NULL. The week of a run
    is the calendar week of its local date, so daylight-saving changes and runs across midnight
    do not move runs between weeks. There is no R equivalent; the table is validated against
    a straightforward pandas ``groupby`` on hand-computed logs in the tests.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": ["b", "a"], "date": ["2024-03-03", "2024-03-04"],
    ...                      "distance_km": [4.0, 6.0], "duration_min": [25.0, 33.0]})
    >>> weekly_load(runs, week_start="sunday")[["runner_id", "week_start", "distance_km"]]
      runner_id week_start  distance_km
    0         a 2024-03-03          6.0
    1         b 2024-03-03          4.0
    """
    engine = check_engine(engine)
    weekday = week_offset(week_start)
    if engine != "pandas":
        return dispatch("weekly_load", engine, activities, {"week_start": week_start})
    prep = prepare(activities, ["distance_km", "duration_min"])
    return weekly_frame(prep, weekly_arrays(prep, weekday))
