"""Shoe mileage and running-surface shares.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=3),
...                      "distance_km": [300.0, 300.0, 250.0], "shoe_id": "s1",
...                      "surface": ["asphalt", "trail", "asphalt"]})
>>> shoe_mileage(runs)[["shoe_km", "past_limit"]]
   shoe_km  past_limit
0    300.0       False
1    600.0       False
2    850.0        True
>>> surface_share(runs)
  runner_id   asphalt     trail
0         a  0.647059  0.352941
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice
from lbprun.io.schema import SURFACES
from lbprun.workload._dispatch import check_engine, dispatch
from lbprun.workload._grid import (
    Prepared,
    days_to_datetime,
    notes_warning,
    prepare,
    repeat_runners,
    runner_column,
)
from lbprun.workload._scans import segmented_cumsum
from lbprun.workload._weekly_kernel import week_grid, week_start_days
from lbprun.workload.definitions import week_offset

__all__ = ["shoe_mileage", "surface_share"]


def _ranked_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes ranked by the values' text, and the sorted unique values."""
    codes, uniques = pd.factorize(values, sort=False)
    uniques = np.asarray(uniques, dtype=object)
    rank = np.argsort(uniques.astype(str), kind="stable")
    remap = np.empty(len(rank), dtype=np.int64)
    remap[rank] = np.arange(len(rank))
    return remap[codes], uniques[rank]


def shoe_totals(
    prep: Prepared, keep: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative km per (runner, shoe) for the sorted runs at positions ``keep``.

    Returns the positions reordered by (runner, shoe, date), the shoe codes, the sorted shoe
    ids and the cumulative km at each of those runs (that run included).
    """
    shoe_code, shoes = _ranked_codes(prep.raw("shoe_id")[keep])
    key = prep.code[keep] * max(len(shoes), 1) + shoe_code
    order = np.argsort(key, kind="stable")
    rows = keep[order]
    key = key[order]
    heads = np.concatenate(([True], key[1:] != key[:-1])) if len(key) else key.astype(bool)
    km = segmented_cumsum(prep.values("distance_km", fill=0.0)[rows], heads)
    return rows, shoe_code[order], shoes, km


def check_limit(limit_km: Any, name: str = "limit_km") -> float:
    """Check a positive finite distance limit."""
    try:
        value = float(limit_km)
    except (TypeError, ValueError):
        value = float("nan")
    if not np.isfinite(value) or value <= 0 or isinstance(limit_km, bool):
        raise ArgumentError(f"{name} must be a positive number of km; got {limit_km!r}.")
    return value


def shoe_mileage(
    activities: pd.DataFrame, *, limit_km: float = 800, engine: str = "pandas"
) -> pd.DataFrame:
    """Cumulative distance on each pair of shoes at every run.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id, date, distance_km, shoe_id``.
    limit_km : float, default=800
        Replacement convention; 480-800 km (300-500 miles) is usual.
    engine : {"pandas", "duckdb", "dask"}, default="pandas"
        Computation engine (see :func:`weekly_load`).

    Returns
    -------
    pandas.DataFrame
        The runs with a ``shoe_id`` (all input columns), sorted by ``runner_id, shoe_id,
        date`` (ties keep their input order), plus ``shoe_km`` (km on that pair up to and
        including the run) and ``past_limit`` (``shoe_km > limit_km``). ``attrs["notes"]``
        holds data notes.

    Raises
    ------
    lbprun._checks.ArgumentError
        When a column is missing or ``limit_km`` is not positive.

    Warns
    -----
    lbprun.exceptions.DataQualityWarning
        When runs without a ``shoe_id`` are excluded (also a note).

    Notes
    -----
    Shoes are identified by ``(runner_id, shoe_id)``, so two runners may use the same label.
    The mileage counts only the logged runs. The 480-800 km replacement convention rests on
    shock-absorption bench tests (Cook et al. 1985), not on injury outcomes. No R equivalent;
    validated against hand-computed logs.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=2),
    ...                      "distance_km": 10.0, "shoe_id": ["x", "y"]})
    >>> shoe_mileage(runs, limit_km=5)["past_limit"].tolist()
    [True, True]
    """
    engine = check_engine(engine)
    limit = check_limit(limit_km)
    if engine != "pandas":
        return dispatch("shoe_mileage", engine, activities, {"limit_km": limit})
    prep = prepare(activities, ["distance_km", "shoe_id"])
    missing = pd.isna(prep.raw("shoe_id"))
    rows, _, _, km = shoe_totals(prep, np.flatnonzero(~missing))
    out = prep.sorted_frame().take(rows)
    out.index = pd.RangeIndex(len(out))
    out["shoe_km"] = km
    out["past_limit"] = km > limit
    notes = []
    if missing.any():
        notes.append(f"{int(missing.sum())} run(s) without a shoe_id were excluded.")
    return notes_warning(out, notes) if notes else out


def _surface_order(labels: np.ndarray) -> list[Any]:
    known = [s for s in SURFACES if s in set(labels)]
    return known + sorted((s for s in labels if s not in SURFACES), key=str)


def surface_share(
    activities: pd.DataFrame,
    *,
    by: str = "runner",
    week_start: str = "monday",
    engine: str = "pandas",
) -> pd.DataFrame:
    """Share of each runner's distance on each surface.

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id, date, distance_km, surface``.
    by : {"runner", "week"}, default="runner"
        One row per runner, or per runner and calendar week (the weeks of
        :func:`weekly_load`).
    week_start : str, default="monday"
        First day of the calendar week when ``by="week"``.
    engine : {"pandas", "duckdb", "dask"}, default="pandas"
        Computation engine (see :func:`weekly_load`).

    Returns
    -------
    pandas.DataFrame
        ``runner_id`` (and ``week_start``) then one column per surface (lbprun's surfaces in
        :data:`lbprun.io.schema.SURFACES` order, then other labels alphabetically) holding the
        share of distance; each row sums to 1, or is NaN when the row has no distance with a
        known surface. ``attrs["notes"]`` holds data notes.

    Raises
    ------
    lbprun._checks.ArgumentError
        When a column is missing or an option is invalid.

    Warns
    -----
    lbprun.exceptions.DataQualityWarning
        When runs without a surface are excluded (also a note).

    Notes
    -----
    ``share_s = km on s / km with a surface``: runs with a missing surface are left out of both
    terms. Labels are used as given (the reader normalises synonyms). No R equivalent.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": ["a", "a", "b"], "distance_km": [6.0, 2.0, 5.0],
    ...                      "date": pd.to_datetime(["2024-01-01"] * 3),
    ...                      "surface": ["trail", "track", "trail"]})
    >>> surface_share(runs)
      runner_id  trail  track
    0         a   0.75   0.25
    1         b   1.00   0.00
    """
    engine = check_engine(engine)
    by = check_choice("by", by, ("runner", "week"))
    weekday = week_offset(week_start)
    if engine != "pandas":
        options = {"by": by, "week_start": week_start}
        return dispatch("surface_share", engine, activities, options)
    prep = prepare(activities, ["distance_km", "surface"])
    surface = prep.raw("surface")
    missing = pd.isna(surface)
    keep = np.flatnonzero(~missing)
    codes, labels = pd.factorize(surface[keep], sort=False)
    labels = np.asarray(labels, dtype=object)
    order = _surface_order(labels)
    remap = np.empty(len(labels), dtype=np.int64)
    remap[[list(labels).index(s) for s in order]] = np.arange(len(order))
    codes = remap[codes] if len(codes) else codes.astype(np.int64)
    n_surfaces = len(order)
    if by == "runner":
        pos = prep.code[keep]
        rows = prep.n_runners
        head = {"runner_id": runner_column(prep, np.arange(rows))}
    else:
        week_pos, n_weeks, first, start = week_grid(prep, weekday)
        pos = week_pos[keep]
        rows = int(start[-1])
        local = np.arange(rows, dtype=np.int64) - np.repeat(start[:-1], n_weeks)
        week = np.repeat(first, n_weeks) + local
        head = {
            "runner_id": repeat_runners(prep, n_weeks),
            "week_start": days_to_datetime(week_start_days(week, weekday)),
        }
    km = prep.values("distance_km", fill=0.0)[keep]
    sums = np.bincount(pos * n_surfaces + codes, weights=km, minlength=rows * n_surfaces)
    sums = sums.reshape(rows, n_surfaces)
    total = sums.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(total > 0, sums / total, np.nan)
    out = pd.DataFrame(head)
    for j, name in enumerate(order):
        out[name] = shares[:, j]
    notes = []
    if missing.any():
        notes.append(f"{int(missing.sum())} run(s) without a surface were excluded.")
    return notes_warning(out, notes) if notes else out
