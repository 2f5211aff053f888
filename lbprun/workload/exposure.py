"""Model-ready training-load exposures measured strictly before each runner's index date.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=56),
...                      "distance_km": 5.0})
>>> index = pd.Series(pd.to_datetime(["2024-02-26"]), index=["a"])
>>> exposure_summary(runs, index)[["total_km_4w", "mean_weekly_km_8w", "max_acwr_4w"]]
   total_km_4w  mean_weekly_km_8w  max_acwr_4w
0        140.0               35.0          1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_columns, check_positive_int
from lbprun.io.schema import SURFACES
from lbprun.workload._dispatch import check_engine, dispatch
from lbprun.workload._grid import (
    Prepared,
    day_numbers,
    days_to_datetime,
    notes_warning,
    prepare,
    runner_column,
)
from lbprun.workload._scans import window_sums
from lbprun.workload.definitions import check_windows
from lbprun.workload.shoes import check_limit, shoe_totals

__all__ = ["exposure_summary"]


def _index_days(prep: Prepared, index_dates: Any) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Index day of every runner of ``prep`` (last run + 1 when missing), imputed flags, notes."""
    if isinstance(index_dates, pd.Series):
        ids = pd.Series(index_dates.index, dtype=object)
        dates = pd.Series(index_dates.to_numpy())
    elif isinstance(index_dates, pd.DataFrame):
        check_columns(index_dates, ["runner_id", "index_date"], name="index_dates")
        ids = index_dates["runner_id"].reset_index(drop=True)
        dates = index_dates["index_date"].reset_index(drop=True)
    else:
        raise ArgumentError(
            "index_dates must be a Series (runner_id -> date) or a DataFrame with columns "
            f"runner_id and index_date; got {type(index_dates).__name__}."
        )
    if ids.duplicated().any():
        first = ids[ids.duplicated()].iloc[0]
        raise ArgumentError(f"index_dates must have one date per runner; got {first!r} twice.")
    given = dates.notna().to_numpy()
    days = np.zeros(len(ids), dtype=np.int64)
    if given.any():
        days[given] = day_numbers(dates[given], "index_date")
    runners = pd.Index(np.asarray(prep.runners, dtype=object).astype(str))
    where = runners.get_indexer(ids.astype(str).to_numpy())
    known = where >= 0
    index = prep.last + 1
    imputed = np.ones(prep.n_runners, dtype=bool)
    pick = known & given
    index[where[pick]] = days[pick]
    imputed[where[pick]] = False
    notes = []
    if (~known).any():
        notes.append(
            f"{int((~known).sum())} runner(s) of index_dates have no runs and were left out."
        )
    if imputed.any():
        notes.append(
            f"{int(imputed.sum())} runner(s) without an index date were summarised up to "
            "their last run + 1 day."
        )
    return index, imputed, notes


def _check_windows(windows: Any) -> tuple[int, ...]:
    try:
        values = tuple(windows)
    except TypeError:
        values = (windows,)
    if not values:
        raise ArgumentError(f"windows must hold at least one number of weeks; got {windows!r}.")
    return tuple(check_positive_int(w, "windows") for w in values)


def exposure_summary(
    activities: pd.DataFrame,
    index_dates: pd.Series | pd.DataFrame,
    *,
    windows: Sequence[int] = (4, 8),
    shoe_limit_km: float = 800,
    spike_pct: float = 30,
    acute: int = 7,
    chronic: int = 28,
    engine: str = "pandas",
) -> pd.DataFrame:
    """One row per runner of training-load exposures before the runner's index date.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id, date, distance_km``; optional ``shoe_id`` and ``surface``.
    index_dates : pandas.Series or pandas.DataFrame
        The index date (LBP onset, survey date) of each runner: a Series indexed by
        ``runner_id``, or a DataFrame with columns ``runner_id, index_date``. Runners without
        one (absent or missing) are summarised up to their last run + 1 day.
    windows : sequence of int, default=(4, 8)
        Window lengths N in weeks: the ``N * 7`` days before the index date.
    shoe_limit_km : float, default=800
        Limit for ``shoe_past_limit``.
    spike_pct : float, default=30
        A week-to-week increase above this (in %) counts as a spike.
    acute, chronic : int, default=7, 28
        Windows of the rolling, uncoupled ACWR (see :func:`acwr`).
    engine : {"pandas", "duckdb", "dask"}, default="pandas"
        Computation engine (see :func:`weekly_load`).

    Returns
    -------
    pandas.DataFrame
        One row per runner with runs, sorted by ``runner_id``: ``runner_id, index_date,
        index_imputed, days_logged`` (days from the first run to the index date), then for each
        N: ``total_km_{N}w, mean_weekly_km_{N}w, max_increase_pct_{N}w, n_spikes_{N}w,
        max_acwr_{N}w``, then ``shoe_km, shoe_past_limit, main_surface, main_surface_share``.
        ``attrs["notes"]`` holds data notes.

    Raises
    ------
    lbprun._checks.ArgumentError
        When a column is missing, ``index_dates`` is malformed or an option is invalid.

    Notes
    -----
    Only runs dated strictly before the index date are used, so nothing after it can leak into
    an exposure. Windows are the ``N * 7`` days before the index date (not calendar weeks, which
    would leave a partial week). The window is cut into 7-day blocks counted back from the day
    before the index date; ``max_increase_pct`` is the largest ``100 * (km_b - km_{b-1}) /
    km_{b-1}`` over the N blocks (each compared with the block before it, which may lie before
    the window) and ``n_spikes`` counts those above ``spike_pct``; a block after a 0-km block
    has no change. Days between the first run and the index date without runs count as rest
    days, and so do days of the window before the first run: check ``days_logged`` when logs
    start late. ``max_acwr`` is the highest rolling uncoupled ACWR on the days of the window
    (as :func:`acwr`, on the daily grid extended with rest days up to the day before the index
    date). ``shoe_km`` is the distance logged before the index date on the shoe of the most
    recent run with a ``shoe_id``; ``main_surface`` is the surface with the most distance in
    the longest window (ties go to the first in :data:`lbprun.io.schema.SURFACES` order) and
    ``main_surface_share`` its share.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=3,
    ...                      freq="7D"), "distance_km": [10.0, 10.0, 15.0]})
    >>> out = exposure_summary(runs, pd.Series({"a": pd.Timestamp("2024-01-22")}), windows=[2])
    >>> out[["total_km_2w", "max_increase_pct_2w", "n_spikes_2w"]]
       total_km_2w  max_increase_pct_2w  n_spikes_2w
    0         25.0                 50.0            1
    """
    engine = check_engine(engine)
    widths = _check_windows(windows)
    limit = check_limit(shoe_limit_km, "shoe_limit_km")
    try:
        threshold = float(spike_pct)
    except (TypeError, ValueError):
        threshold = float("nan")
    if not np.isfinite(threshold):
        raise ArgumentError(f"spike_pct must be a finite number (%); got {spike_pct!r}.")
    acute, chronic = check_windows(acute, chronic)
    if engine != "pandas":
        options = {
            "windows": widths,
            "shoe_limit_km": limit,
            "spike_pct": threshold,
            "acute": acute,
            "chronic": chronic,
        }
        options["index_dates"] = index_dates
        return dispatch("exposure_summary", engine, activities, options)
    prep = prepare(activities, ["distance_km"])
    index, imputed, notes = _index_days(prep, index_dates)
    n_blocks = max(widths) + 1
    span = 7 * n_blocks + chronic - 1
    n = prep.n_runners
    run_index = index[prep.code]
    before = prep.day < run_index
    offset = prep.day - (run_index - span)
    inside = before & (offset >= 0)
    grid = np.bincount(
        prep.code[inside] * span + offset[inside],
        weights=prep.values("distance_km", fill=0.0)[inside],
        minlength=n * span,
    )
    has_runs = prep.first < index
    days_logged = np.where(has_runs, index - prep.first, 0)
    out = pd.DataFrame(
        {
            "runner_id": runner_column(prep, np.arange(n)),
            "index_date": days_to_datetime(index.copy()),
            "index_imputed": imputed,
            "days_logged": days_logged,
        }
    )
    matrix = grid.reshape(n, span)
    weekly = matrix[:, span - 7 * n_blocks :].reshape(n, n_blocks, 7).sum(axis=2)[:, ::-1]
    previous = weekly[:, 1:]
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(previous > 0, 100.0 * (weekly[:, :-1] - previous) / previous, np.nan)
    acwr = _window_acwr(grid, n, span, index, prep.first, acute, chronic)
    for w in widths:
        total = weekly[:, :w].sum(axis=1)
        part = change[:, :w]
        valid = ~np.isnan(part)
        largest = np.where(valid.any(axis=1), np.where(valid, part, -np.inf).max(axis=1), np.nan)
        recent = acwr[:, span - 7 * w :]
        seen = ~np.isnan(recent)
        peak = np.where(seen.any(axis=1), np.where(seen, recent, -np.inf).max(axis=1), np.nan)
        out[f"total_km_{w}w"] = np.where(has_runs, total, np.nan)
        out[f"mean_weekly_km_{w}w"] = np.where(has_runs, total / w, np.nan)
        out[f"max_increase_pct_{w}w"] = largest
        out[f"n_spikes_{w}w"] = (part > threshold).sum(axis=1)
        out[f"max_acwr_{w}w"] = peak
    shoe_km, shoe_notes = _shoe_km(prep, before)
    out["shoe_km"] = shoe_km
    out["shoe_past_limit"] = pd.array(
        np.where(np.isnan(shoe_km), None, shoe_km > limit), dtype="boolean"
    )
    main, share, surface_notes = _main_surface(prep, before & (offset >= span - 7 * max(widths)))
    out["main_surface"] = main
    out["main_surface_share"] = share
    silent = shoe_notes + surface_notes
    return notes_warning(out, notes, silent) if notes or silent else out


def _window_acwr(
    grid: np.ndarray,
    n: int,
    span: int,
    index: np.ndarray,
    first: np.ndarray,
    acute: int,
    chronic: int,
) -> np.ndarray:
    """Rolling uncoupled ACWR on the (runner, day) window matrix; NaN where undefined."""
    sums = window_sums(grid, [acute, chronic - acute])
    acute_load = sums[acute] / acute
    before = np.zeros_like(grid)
    before[acute:] = sums[chronic - acute][:-acute]
    chronic_load = before / (chronic - acute)
    column = np.tile(np.arange(span), n)
    local = np.repeat(index - span - first, span) + column
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = acute_load / chronic_load
    ratio[(column < chronic - 1) | (local < chronic - 1) | (chronic_load == 0)] = np.nan
    return ratio.reshape(n, span)


def _shoe_km(prep: Prepared, before: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Km on the most recently used shoe, from runs before the index date."""
    out = np.full(prep.n_runners, np.nan)
    if "shoe_id" not in prep.frame.columns:
        return out, ["No shoe_id column: shoe_km is missing."]
    keep = np.flatnonzero(before & ~pd.isna(prep.raw("shoe_id")))
    if not len(keep):
        return out, []
    rows, shoe_code, shoes, km = shoe_totals(prep, keep)
    width = max(len(shoes), 1)
    key = prep.code[rows] * width + shoe_code
    tail = np.concatenate((key[1:] != key[:-1], [True]))
    group_key, group_km = key[tail], km[tail]
    code = prep.code[keep]
    last = keep[np.concatenate((code[1:] != code[:-1], [True]))]
    shoe_of_last = np.searchsorted(shoes.astype(str), prep.raw("shoe_id")[last].astype(str))
    wanted = prep.code[last] * width + shoe_of_last
    out[prep.code[last]] = group_km[np.searchsorted(group_key, wanted)]
    return out, []


def _main_surface(prep: Prepared, window: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Surface with the most distance in the window, and its share of distance."""
    main = np.full(prep.n_runners, None, dtype=object)
    share = np.full(prep.n_runners, np.nan)
    if "surface" not in prep.frame.columns:
        return main, share, ["No surface column: main_surface is missing."]
    surface = prep.raw("surface")
    keep = np.flatnonzero(window & ~pd.isna(surface))
    if not len(keep):
        return main, share, []
    codes, labels = pd.factorize(surface[keep], sort=False)
    labels = np.asarray(labels, dtype=object)
    order = [s for s in SURFACES if s in set(labels)]
    order += sorted((s for s in labels if s not in SURFACES), key=str)
    remap = np.empty(len(labels), dtype=np.int64)
    remap[[list(labels).index(s) for s in order]] = np.arange(len(order))
    m = len(order)
    sums = np.bincount(
        prep.code[keep] * m + remap[codes],
        weights=prep.values("distance_km", fill=0.0)[keep],
        minlength=prep.n_runners * m,
    ).reshape(prep.n_runners, m)
    total = sums.sum(axis=1)
    best = sums.argmax(axis=1)
    found = total > 0
    main[found] = np.asarray(order, dtype=object)[best[found]]
    share[found] = sums[found, best[found]] / total[found]
    return main, share, []
