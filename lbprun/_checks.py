"""Argument checks used once, at every public boundary.

Messages follow one shape, ``"{name} must be {rule}; got {value!r}."``, plus a hint where the fix
is obvious. These raise ``ValueError`` / ``TypeError`` subclasses of :class:`LbprunError`.

Examples
--------
>>> check_level(0.9)
0.9
>>> check_level(95)
Traceback (most recent call last):
...
lbprun._checks.ArgumentError: level must be in (0, 1); got 95. Did you mean 0.95?
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbprun.exceptions import LbprunError

__all__ = [
    "ArgumentError",
    "check_choice",
    "check_columns",
    "check_level",
    "check_nonnegative",
    "check_positive_int",
    "closest",
]


class ArgumentError(LbprunError, ValueError):
    """An argument with a value outside its allowed set or range."""


def closest(value: Any, choices: Iterable[Any]) -> str | None:
    """Return the choice closest in spelling to ``value``, or None when none is close.

    >>> closest("wilsn", ["wilson", "exact"])
    'wilson'
    """
    matches = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.6)
    return matches[0] if matches else None


def check_level(level: Any, name: str = "level") -> float:
    """Check a confidence level in (0, 1) and return it as a float."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a number in (0, 1); got {level!r}.") from None
    if not (0.0 < value < 1.0) or isinstance(level, bool):
        hint = ""
        if 1.0 < value < 100.0:
            hint = f" Did you mean {value / 100:g}?"
        raise ArgumentError(f"{name} must be in (0, 1); got {level!r}.{hint}")
    return value


def check_choice(name: str, value: Any, choices: Sequence[Any]) -> Any:
    """Check that ``value`` is one of ``choices`` (case-sensitive) and return it."""
    if value in choices:
        return value
    message = f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}."
    suggestion = closest(value, choices)
    if suggestion is not None:
        message += f" Did you mean {suggestion!r}?"
    raise ArgumentError(message)


def check_columns(
    data: pd.DataFrame, columns: Iterable[str | None], *, name: str = "data"
) -> None:
    """Check that every named column exists in ``data`` (None entries are skipped)."""
    if not isinstance(data, pd.DataFrame):
        raise ArgumentError(f"{name} must be a pandas DataFrame; got {type(data).__name__}.")
    for column in columns:
        if column is None or column in data.columns:
            continue
        message = f"column {column!r} not found in {name}."
        suggestion = closest(column, data.columns)
        if suggestion is not None:
            message += f" Did you mean {suggestion!r}?"
        else:
            shown = ", ".join(map(str, list(data.columns)[:12]))
            message += f" Columns are: {shown}."
        raise ArgumentError(message)


def check_positive_int(value: Any, name: str) -> int:
    """Check a strictly positive integer and return it."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise ArgumentError(f"{name} must be a positive integer; got {value!r}.")
    return int(value)


def check_nonnegative(values: Any, name: str) -> np.ndarray:
    """Check an array of finite non-negative numbers and return it as float."""
    array = np.asarray(values, dtype=float)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        first = array.ravel()[np.flatnonzero(bad.ravel())[0]]
        raise ArgumentError(
            f"{name} must be finite and non-negative; got {first!r} "
            f"({int(bad.sum())} bad value{'s' if bad.sum() > 1 else ''})."
        )
    return array
