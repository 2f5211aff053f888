"""Foster's training monotony and strain per runner and calendar week.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=7),
...                      "distance_km": [10.0, 0, 10, 0, 10, 0, 5]})
>>> training_monotony(runs)[["weekly_load", "monotony", "strain"]].round(3)
   weekly_load  monotony  strain
0         35.0      1.08  37.804
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError
from lbprun.workload._dispatch import check_engine, dispatch
from lbprun.workload._grid import (
    days_to_datetime,
    prepare,
    repeat_runners,
)
from lbprun.workload._weekly_kernel import week_grid, week_start_days
from lbprun.workload.definitions import week_offset

__all__ = ["training_monotony"]


def training_monotony(
    activities: pd.DataFrame,
    *,
    week_start: str = "monday",
    load: str = "distance_km",
    ddof: int = 0,
    engine: str = "pandas",
) -> pd.DataFrame:
    """Training monotony (mean / SD of the 7 daily loads) and strain for every week.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id``, ``date`` and the ``load`` column.
    week_start : str, default="monday"
        First day of the calendar week.
    load : str, default="distance_km"
        Column holding the load of a run (Foster used RPE x minutes of training).
    ddof : {0, 1}, default=0
        0: population SD of the 7 daily loads (the week is the whole population); 1: sample SD
        (as spreadsheet ``STDEV``).
    engine : {"pandas", "duckdb", "dask"}, default="pandas"
        Computation engine (see :func:`weekly_load`).

    Returns
    -------
    pandas.DataFrame
        One row per runner and calendar week (the weeks of :func:`weekly_load`):
        ``runner_id, week_start, weekly_load, mean_daily_load, sd_daily_load, monotony,
        strain``.

    Raises
    ------
    lbprun._checks.ArgumentError
        When a column is missing or an option is invalid.

    Notes
    -----
    The 7 daily loads of a calendar week include rest days as 0 (also days of the first and last
    week outside the runner's log). ``monotony = mean / SD`` and
    ``strain = weekly_load * monotony``; both are NaN when the SD is 0 (a week of rest, or 7
    identical days). Several runs a day are summed; missing loads count as 0. No R equivalent;
    validated against hand-computed weeks.

    References
    ----------
    Foster C. Monitoring training in athletes with reference to overtraining syndrome. Med Sci
    Sports Exerc 1998;30:1164-1168.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=7),
    ...                      "distance_km": 5.0})
    >>> training_monotony(runs)["monotony"].isna().tolist()
    [True]
    """
    engine = check_engine(engine)
    weekday = week_offset(week_start)
    if ddof not in (0, 1) or isinstance(ddof, bool):
        raise ArgumentError(f"ddof must be 0 or 1; got {ddof!r}.")
    if engine != "pandas":
        options = {"week_start": week_start, "load": load, "ddof": ddof}
        return dispatch("training_monotony", engine, activities, options)
    if not isinstance(load, str):
        raise ArgumentError(f"load must be a column name; got {load!r}.")
    prep = prepare(activities, [load])
    pos, n_weeks, first, start = week_grid(prep, weekday)
    size = int(start[-1])
    values = prep.values(load, fill=0.0)
    if len(pos):
        same_day = np.concatenate(([True], prep.day[1:] != prep.day[:-1]))
        same_day |= np.concatenate(([True], prep.code[1:] != prep.code[:-1]))
        heads = np.flatnonzero(same_day)
        daily = np.add.reduceat(values, heads)
        daily_pos = pos[heads]
    else:
        daily = np.zeros(0)
        daily_pos = pos
    total = np.bincount(daily_pos, weights=daily, minlength=size).astype(np.float64)
    n_days = np.bincount(daily_pos, minlength=size)
    mean = total / 7.0
    squares = np.bincount(
        daily_pos, weights=(daily - mean[daily_pos]) ** 2, minlength=size
    ).astype(np.float64)
    squares += (7 - n_days) * mean**2
    sd = np.sqrt(squares / (7 - ddof))
    flat = total == 0
    if len(daily):
        week_heads = np.flatnonzero(np.concatenate(([True], daily_pos[1:] != daily_pos[:-1])))
        spread = np.fmax.reduceat(daily, week_heads) - np.fmin.reduceat(daily, week_heads)
        full = n_days[daily_pos[week_heads]] == 7
        flat[daily_pos[week_heads[full & (spread == 0)]]] = True
    sd[flat] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        monotony = np.where(flat, np.nan, mean / sd)
    local = np.arange(size, dtype=np.int64) - np.repeat(start[:-1], n_weeks)
    week = np.repeat(first, n_weeks) + local

    return pd.DataFrame(
        {
            "runner_id": repeat_runners(prep, n_weeks),
            "week_start": days_to_datetime(week_start_days(week, weekday)),
            "weekly_load": total,
            "mean_daily_load": mean,
            "sd_daily_load": sd,
            "monotony": monotony,
            "strain": total * monotony,
        },
        copy=False,
    )
