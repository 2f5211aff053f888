"""Training-load spikes: week-to-week progression classes and single-run spikes.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": "a",
...                      "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"]),
...                      "distance_km": [10.0, 12.0, 20.0], "duration_min": 60.0})
>>> load_spikes(runs)[["week_start", "progression_pct", "progression_class"]]
  week_start  progression_pct progression_class
0 2024-01-01              NaN               NaN
1 2024-01-08        20.000000            10-30%
2 2024-01-15        66.666667              >30%
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lbprun._checks import check_choice, check_positive_int
from lbprun._progress import check_progress
from lbprun.workload._dispatch import check_engine, dispatch
from lbprun.workload._grid import check_block_days
from lbprun.workload._spikes_kernel import runs_table, spikes_table
from lbprun.workload.definitions import (
    BASELINES,
    CLASS_DECIMALS,
    check_thresholds,
    class_labels,
    week_offset,
)

__all__ = ["BASELINES", "CLASS_DECIMALS", "class_labels", "load_spikes", "single_run_spikes"]


def load_spikes(
    activities: pd.DataFrame,
    *,
    baseline: str = "previous_week",
    thresholds: Sequence[float] = (10, 30),
    week_start: str = "monday",
    engine: str = "pandas",
) -> pd.DataFrame:
    """Week-to-week progression of weekly distance, classed as in Nielsen et al. (2014).

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id, date, distance_km, duration_min`` (see :func:`weekly_load`).
    baseline : {"previous_week", "previous_4_weeks"}, default="previous_week"
        Compare each week with the previous week, or with the mean of the 4 preceding weeks.
    thresholds : sequence of float, default=(10, 30)
        Increasing class limits in %.
    week_start : str, default="monday"
        First day of the calendar week.
    engine : {"pandas", "duckdb", "dask"}, default="pandas"
        Computation engine (see :func:`weekly_load`).

    Returns
    -------
    pandas.DataFrame
        The :func:`weekly_load` table plus ``progression_pct`` (float) and
        ``progression_class`` (ordered categorical; missing where the pct is NaN).

    Raises
    ------
    lbprun._checks.ArgumentError
        When a column is missing or an option is invalid.

    Notes
    -----
    ``previous_week``: pct = ``change_pct``. ``previous_4_weeks``:
    pct = ``100 * (km_w - b) / b`` with ``b = (km_{w-1} + ... + km_{w-4}) / 4`` (empty weeks
    count as 0); NaN when the runner has fewer than 4 preceding weeks or ``b = 0``. With
    thresholds ``(10, 30)`` the classes are ``"<=10%"`` (pct <= 10, regression included),
    ``"10-30%"`` (10 < pct <= 30) and ``">30%"`` (pct > 30). The classes follow Nielsen et al.
    (2014), whose > 30 % class had HR 1.59 (0.96-2.66) for distance-related injuries. There is
    no R equivalent; values are validated against hand-computed logs.

    References
    ----------
    Nielsen RO et al. Excessive progression in weekly running distance and risk of
    running-related injuries. J Orthop Sports Phys Ther 2014;44:739-747.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=5,
    ...                      freq="7D"), "distance_km": [8.0, 8, 8, 8, 12], "duration_min": 50.0})
    >>> load_spikes(runs, baseline="previous_4_weeks")["progression_pct"].tolist()[-1]
    50.0
    """
    engine = check_engine(engine)
    baseline = check_choice("baseline", baseline, BASELINES)
    limits = check_thresholds(thresholds)
    week_offset(week_start)
    if engine != "pandas":
        options = {"baseline": baseline, "thresholds": limits, "week_start": week_start}
        return dispatch("load_spikes", engine, activities, options)
    return spikes_table(activities, baseline=baseline, thresholds=limits, week_start=week_start)


def single_run_spikes(
    activities: pd.DataFrame,
    *,
    window_days: int = 30,
    block_days: int | None = None,
    threads: int | None = None,
    progress: bool | None = None,
    engine: str = "pandas",
) -> pd.DataFrame:
    """Compare every run with the longest single run of the preceding ``window_days`` days.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id, date, distance_km``.
    window_days : int, default=30
        Length of the look-back window in days (the run's own day is excluded).
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
        The input runs (all columns) sorted by ``runner_id, date`` (ties keep their input
        order), with a fresh index, plus ``longest_prev_{window_days}d_km`` (NaN when there is
        no run in the window), ``spike_pct`` and ``is_spike``.

    Raises
    ------
    lbprun._checks.ArgumentError
        When a column is missing or an option is invalid.

    Notes
    -----
    ``longest_prev = max(km of runs dated in [date - window_days, date - 1])``;
    ``spike_pct = 100 * (km / longest_prev - 1)``; ``is_spike = km > longest_prev`` (False
    when ``longest_prev`` is NaN). Other runs of the same day are not in the window. There is
    no R equivalent; values are validated against hand-computed logs.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-20", "2024-02-15"]), "distance_km": [10.0, 12.0, 11.0]})
    >>> single_run_spikes(runs)[["longest_prev_30d_km", "spike_pct", "is_spike"]]
       longest_prev_30d_km  spike_pct  is_spike
    0                  NaN        NaN     False
    1                 10.0  20.000000      True
    2                 12.0  -8.333333     False
    """
    engine = check_engine(engine)
    progress = check_progress(progress)
    window_days = check_positive_int(window_days, "window_days")
    block_days = check_block_days(block_days)
    if engine != "pandas":
        options: dict[str, Any] = {"window_days": window_days}
        if threads is not None:
            options["threads"] = threads
        return dispatch("single_run_spikes", engine, activities, {**options, "progress": progress})
    return runs_table(
        activities,
        window_days=window_days,
        block_days=block_days,
        threads=threads,
        progress=progress,
    )
