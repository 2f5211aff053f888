"""The definitions every training-load engine shares: names, classes, windows and their checks.

This module is the bottom of :mod:`lbprun.workload`: the numpy kernel, the engines and the
public functions all read the week starts, progression baselines and classes, ACWR methods and
window rules from here, so that every engine computes the same tables.

Examples
--------
>>> week_offset("Sunday")
6
>>> class_labels(check_thresholds((10, 30)))
['<=10%', '10-30%', '>30%']
>>> check_windows(7, 28)
(7, 28)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lbprun._checks import ArgumentError, check_choice, check_positive_int

__all__ = [
    "ACWR_COLUMNS",
    "BASELINES",
    "CLASS_DECIMALS",
    "ENGINES",
    "METHODS",
    "WEEKDAYS",
    "WEEKLY_COLUMNS",
    "check_thresholds",
    "check_windows",
    "class_labels",
    "week_offset",
]

#: Engines every workload function accepts.
ENGINES = ("pandas", "stream", "duckdb", "dask", "auto")

#: Weekday names accepted by ``week_start`` (Monday = 0, as in :mod:`datetime`).
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

#: Baselines of the week-to-week progression.
BASELINES = ("previous_week", "previous_4_weeks")

#: Methods of the acute:chronic workload ratio.
METHODS = ("rolling", "ewma")

#: Decimals of the percentage compared with the class thresholds (all engines).
CLASS_DECIMALS = 9

#: Columns of the weekly table, in order.
WEEKLY_COLUMNS = (
    "runner_id",
    "week_start",
    "distance_km",
    "duration_min",
    "n_runs",
    "longest_run_km",
    "change_pct",
)

#: Columns of the ACWR table, in order.
ACWR_COLUMNS = ("runner_id", "date", "load", "acute_load", "chronic_load", "acwr")


def week_offset(week_start: Any) -> int:
    """Return the weekday number (Monday = 0) of a ``week_start`` name.

    >>> week_offset("monday"), week_offset("WEDNESDAY")
    (0, 2)
    """
    name = week_start.lower() if isinstance(week_start, str) else week_start
    return WEEKDAYS.index(check_choice("week_start", name, WEEKDAYS))


def check_thresholds(thresholds: Any) -> tuple[float, ...]:
    """Check increasing, finite progression thresholds (in %).

    >>> check_thresholds([10, 30])
    (10.0, 30.0)
    """
    try:
        values = tuple(float(t) for t in thresholds)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"thresholds must be a sequence of numbers (%); got {thresholds!r}."
        ) from None
    if (
        not values
        or not all(np.isfinite(values))
        or any(b <= a for a, b in zip(values, values[1:], strict=False))
    ):
        raise ArgumentError(
            f"thresholds must be finite and strictly increasing; got {thresholds!r}."
        )
    return values


def class_labels(thresholds: Sequence[float]) -> list[str]:
    """Labels of the progression classes, e.g. ``['<=10%', '10-30%', '>30%']``."""
    labels = [f"<={thresholds[0]:g}%"]
    labels += [f"{a:g}-{b:g}%" for a, b in zip(thresholds, thresholds[1:], strict=False)]
    labels.append(f">{thresholds[-1]:g}%")
    return labels


def check_windows(acute: Any, chronic: Any) -> tuple[int, int]:
    """Check the acute and chronic window lengths (days)."""
    acute = check_positive_int(acute, "acute")
    chronic = check_positive_int(chronic, "chronic")
    if chronic <= acute:
        raise ArgumentError(f"chronic must be longer than acute ({acute} days); got {chronic!r}.")
    return acute, chronic
