"""Acute:chronic workload ratio (rolling or EWMA) on the daily grid, and the combined kernel.

:func:`compute_workload` (defined in :mod:`lbprun.workload.kernel`) runs the whole benchmark
workload (weekly table, both progression baselines, single-run spikes, rolling and EWMA ACWR)
on one sort of the runs; it works on any subset of whole runners, so a distributed engine can
run it per runner partition. The kernel itself lives in :mod:`lbprun.workload._acwr_kernel`.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=28),
...                      "distance_km": [5.0] * 21 + [10.0] * 7})
>>> acwr(runs).iloc[-1][["acute_load", "chronic_load", "acwr"]].astype(float).tolist()
[10.0, 5.0, 2.0]
"""

from __future__ import annotations

import pandas as pd

from lbprun._checks import check_choice
from lbprun._progress import check_progress
from lbprun.workload._acwr_kernel import acwr_table, check_coupled
from lbprun.workload._dispatch import check_engine, dispatch
from lbprun.workload._grid import check_block_days
from lbprun.workload.definitions import ACWR_COLUMNS, METHODS, check_windows
from lbprun.workload.kernel import compute_workload

__all__ = ["ACWR_COLUMNS", "METHODS", "acwr", "compute_workload"]


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
    coupled = check_coupled(coupled)
    block_days = check_block_days(block_days)
    if engine != "pandas":
        options = {
            "acute": acute,
            "chronic": chronic,
            "method": method,
            "coupled": coupled,
            "load": load,
        }
        if threads is not None:
            options["threads"] = threads
        return dispatch("acwr", engine, activities, {**options, "progress": progress})
    return acwr_table(
        activities,
        acute=acute,
        chronic=chronic,
        method=method,
        coupled=coupled,
        load=load,
        block_days=block_days,
        threads=threads,
        progress=progress,
    )
