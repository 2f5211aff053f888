"""The spikes kernel: week-to-week progression classes and single-run spikes as numpy arrays.

The definitions behind :func:`lbprun.workload.spikes.load_spikes` (progression against the
previous week or the mean of the 4 previous weeks, classed by thresholds) and
:func:`lbprun.workload.spikes.single_run_spikes` (each run against the longest run of the
preceding days). :func:`spikes_table` and :func:`runs_table` are their pandas engine.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": "a", "date": pd.to_datetime(
...     ["2024-01-01", "2024-01-20", "2024-02-15"]), "distance_km": [10.0, 12.0, 11.0]})
>>> runs_table(runs, progress=False)["is_spike"].tolist()
[False, True, False]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from lbprun._checks import check_choice, check_positive_int
from lbprun._progress import check_progress
from lbprun.workload._grid import (
    Block,
    Prepared,
    blocks,
    check_block_days,
    check_threads,
    for_each_block,
    prepare,
    ticking,
)
from lbprun.workload._scans import window_max, window_sums
from lbprun.workload._weekly_kernel import WeeklyArrays, weekly_arrays, weekly_frame
from lbprun.workload.definitions import (
    BASELINES,
    CLASS_DECIMALS,
    check_thresholds,
    class_labels,
    week_offset,
)

__all__ = [
    "classify",
    "longest_previous",
    "progression",
    "runs_frame",
    "runs_table",
    "spikes_frame",
    "spikes_table",
]


def progression(arrays: WeeklyArrays, baseline: str) -> np.ndarray:
    """Week-to-week progression (%) against ``baseline`` on the weekly grid."""
    if baseline == "previous_week":
        return arrays.change_pct
    km = arrays.distance_km
    previous = np.zeros_like(km)
    previous[1:] = km[:-1]
    base = window_sums(previous, [4])[4] / 4.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * (km - base) / base
    pct[(arrays.local < 4) | ~(base > 0)] = np.nan
    return pct


def classify(pct: np.ndarray, thresholds: Sequence[float]) -> pd.Categorical:
    """Progression classes: ``<=t1`` (regression included), ``t1-t2``, ..., ``>tk``.

    The percentage is rounded to ``CLASS_DECIMALS`` decimals before it is compared with the
    thresholds, so a week at exactly a threshold (e.g. 29.7 km after a 27 km baseline, 10 %)
    falls in the lower class whatever the rounding error of the sums behind it.
    """
    labels = class_labels(thresholds)
    codes = np.searchsorted(np.asarray(thresholds), np.round(pct, CLASS_DECIMALS), side="left")
    codes[np.isnan(pct)] = -1
    return pd.Categorical.from_codes(codes, categories=labels, ordered=True)


def spikes_frame(
    prep: Prepared,
    arrays: WeeklyArrays,
    baseline: str,
    thresholds: Sequence[float],
) -> pd.DataFrame:
    """Build the :func:`load_spikes` table from the weekly kernel's arrays."""
    pct = progression(arrays, baseline)
    extra = {"progression_pct": pct, "progression_class": classify(pct, thresholds)}
    return weekly_frame(prep, arrays, extra)


def spikes_table(
    activities: pd.DataFrame,
    *,
    baseline: str = "previous_week",
    thresholds: Sequence[float] = (10, 30),
    week_start: str = "monday",
) -> pd.DataFrame:
    """The :func:`~lbprun.workload.spikes.load_spikes` table with the numpy kernel.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id, date, distance_km, duration_min``.
    baseline : {"previous_week", "previous_4_weeks"}, default="previous_week"
        The baseline of the progression.
    thresholds : sequence of float, default=(10, 30)
        Increasing class limits in %.
    week_start : str, default="monday"
        First day of the calendar week.

    Returns
    -------
    pandas.DataFrame
        The weekly table plus ``progression_pct`` and ``progression_class``.
    """
    baseline = check_choice("baseline", baseline, BASELINES)
    limits = check_thresholds(thresholds)
    weekday = week_offset(week_start)
    prep = prepare(activities, ["distance_km", "duration_min"])
    return spikes_frame(prep, weekly_arrays(prep, weekday), baseline, limits)


def longest_previous(
    prep: Prepared,
    window_days: int,
    *,
    block_days: int | None = None,
    threads: int = 1,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Longest single run in ``[date - window_days, date - 1]`` for every run (sorted order)."""
    distance = prep.values("distance_km")
    out = np.empty(prep.n_runs)

    def work(block: Block) -> None:
        pos = block.pos
        km = distance[block.runs]
        grid = np.full(block.size, -np.inf)
        if len(pos):
            heads = np.flatnonzero(np.concatenate(([True], pos[1:] != pos[:-1])))
            grid[pos[heads]] = np.fmax.reduceat(km, heads)
        best = window_max(grid, window_days)
        before = np.full(block.size, -np.inf)
        before[1:] = best[:-1]
        values = before[pos]
        values[~np.isfinite(values)] = np.nan
        out[block.runs] = values

    block_iter = blocks(prep, pad=window_days, block_days=block_days)
    for_each_block(work, block_iter, threads=threads, progress=progress)
    return out


def runs_frame(
    prep: Prepared, longest: np.ndarray, window_days: int, *, deep: bool = True
) -> pd.DataFrame:
    """Build the :func:`single_run_spikes` table (``deep=False``: share the input's columns)."""
    out = prep.sorted_frame(deep=deep)
    km = out["distance_km"].to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100.0 * (km / longest - 1.0)
    extra = {
        f"longest_prev_{window_days}d_km": longest,
        "spike_pct": pct,
        "is_spike": km > longest,
    }
    if out.columns.is_unique and not set(extra) & set(out.columns):
        # one frame from the columns, without the copy that ``out[name] = array`` makes
        columns = {name: out[name] for name in out.columns}
        return pd.DataFrame({**columns, **extra}, copy=False)
    for name, values in extra.items():
        out[name] = values
    return out


def runs_table(
    activities: pd.DataFrame,
    *,
    window_days: int = 30,
    block_days: int | None = None,
    threads: int | None = None,
    progress: bool | None | Callable[[int], None] = None,
) -> pd.DataFrame:
    """The :func:`~lbprun.workload.spikes.single_run_spikes` table with the numpy kernel.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id, date, distance_km``.
    window_days : int, default=30
        Length of the look-back window in days.
    block_days : int, optional
        Grid days per block of runners (memory bound).
    threads : int, optional
        Threads computing blocks of runners (default: every available core).
    progress : bool, None or callable, default=None
        A progress bar over runners (as in :func:`~lbprun.workload.spikes.single_run_spikes`),
        or a callable given the number of runners of each finished block.

    Returns
    -------
    pandas.DataFrame
        The runs sorted by ``runner_id, date`` plus ``longest_prev_{window_days}d_km``,
        ``spike_pct`` and ``is_spike``.
    """
    if not callable(progress):
        progress = check_progress(progress)
    window_days = check_positive_int(window_days, "window_days")
    block_days = check_block_days(block_days)
    threads = check_threads(threads)
    prep = prepare(activities, ["distance_km"])
    with ticking(progress, prep.n_runners, "single-run spikes") as tick:
        longest = longest_previous(
            prep, window_days, block_days=block_days, threads=threads, progress=tick
        )
    return runs_frame(prep, longest, window_days)
