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

import pandas as pd

from lbprun.workload._dispatch import check_engine, dispatch
from lbprun.workload._weekly_kernel import week_grid, weekly_table
from lbprun.workload.definitions import WEEKLY_COLUMNS, week_offset

__all__ = ["WEEKLY_COLUMNS", "week_grid", "weekly_load"]


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
    week_offset(week_start)
    if engine != "pandas":
        return dispatch("weekly_load", engine, activities, {"week_start": week_start})
    return weekly_table(activities, week_start=week_start)
