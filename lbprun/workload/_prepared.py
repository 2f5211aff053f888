"""Prepared runs: sorted by (runner, date), runner ids ranked, dates as day numbers.

:func:`prepare` is the first step of every pandas-engine workload function; the grid it returns
may come from the cache of :mod:`lbprun.workload._cache` (same frame, same runner ids and
dates). The blocked computations on the grid live in :mod:`lbprun.workload._grid`.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": ["b", "a", "a"], "date": pd.to_datetime(
...     ["2024-01-02", "2024-01-05", "2024-01-01"]), "distance_km": [3.0, 5.0, 4.0]})
>>> prep = prepare(runs, ["distance_km"], cache=False)
>>> prep.order.tolist(), prep.code.tolist(), prep.day.tolist()
([2, 1, 0], [0, 0, 1], [19723, 19727, 19724])
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_columns
from lbprun.workload._cache import cached

__all__ = [
    "NS_PER_DAY",
    "Prepared",
    "day_numbers",
    "days_to_datetime",
    "local_datetimes",
    "prepare",
    "rank_runners",
    "repeat_runners",
    "runner_column",
]

#: Nanoseconds per day (day numbers to ``datetime64[ns]``).
NS_PER_DAY = 86_400_000_000_000

_MEMO_LOCK = threading.Lock()


def days_to_datetime(days: np.ndarray) -> np.ndarray:
    """Convert integer day numbers (days since 1970-01-01) to ``datetime64[ns]`` (in place)."""
    days = np.asarray(days, dtype=np.int64)
    days *= NS_PER_DAY
    return days.view("M8[ns]")


def local_datetimes(values: pd.Series, name: str) -> pd.Series:
    """Return ``activities[name]`` as naive datetimes: tz-aware values keep their local time."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        try:
            values = pd.to_datetime(values)
        except (TypeError, ValueError) as error:
            raise ArgumentError(
                f"activities[{name!r}] must hold dates; got values that cannot be read as "
                f"dates ({error})."
            ) from None
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)  # local wall-clock time
    return values


def day_numbers(values: pd.Series, name: str) -> np.ndarray:
    """Return the local calendar date of each value as days since 1970-01-01."""
    raw = local_datetimes(values, name).to_numpy(dtype="datetime64[ns]")
    if np.isnat(raw).any():
        raise ArgumentError(
            f"activities[{name!r}] must not be missing; got {int(np.isnat(raw).sum())} "
            "missing value(s)."
        )
    return np.floor_divide(raw.view(np.int64), NS_PER_DAY)


@dataclass
class Prepared:
    """Runs sorted by (runner, date) with integer runner codes and day numbers.

    Attributes
    ----------
    frame : DataFrame
        The input frame (not copied).
    order : ndarray of int or None
        Positions of the input rows in sorted order (None when the input is already sorted).
    code, day : ndarray of int64
        Runner code (rank of the runner id) and day number of every run, in sorted order.
    runners : array-like
        The sorted unique runner ids (the input's dtype).
    run_start : ndarray of int64
        ``run_start[r]:run_start[r + 1]`` are runner ``r``'s runs in sorted order.
    first, last : ndarray of int64
        First and last run day of every runner.
    memo : dict or None
        Layouts derived from the grid alone (never from the run values), shared by every call
        that reuses a cached grid (see :meth:`remember`); None for an uncached grid.
    """

    frame: pd.DataFrame
    order: np.ndarray | None
    code: np.ndarray
    day: np.ndarray
    runners: Any
    run_start: np.ndarray
    first: np.ndarray
    last: np.ndarray
    memo: dict | None = field(default=None, repr=False, compare=False)

    @property
    def shared(self) -> bool:
        """Whether this grid comes from the cache (its layouts are then shared between calls)."""
        return self.memo is not None

    def recall(self, key: Any) -> Any:
        """A layout remembered by an earlier call on this cached grid, or None."""
        return None if self.memo is None else self.memo.get(key)

    def remember(self, key: Any, value: Any, *, limit: int = 4) -> Any:
        """Keep ``value`` (read-only layout arrays) for later calls that share this grid.

        A cached grid hands the same ``memo`` to every call; at most ``limit`` values are kept.
        An uncached grid keeps nothing.
        """
        if self.memo is not None:
            with _MEMO_LOCK:  # calls on other threads may share this memo
                while len(self.memo) >= limit:
                    self.memo.pop(next(iter(self.memo)), None)
                self.memo[key] = value
        return value

    def release(self) -> None:
        """Drop the per-run arrays (``code``, ``day``, ``order``) to free memory."""
        self.code = self.day = np.empty(0, dtype=np.int64)
        self.order = None

    @property
    def n_runners(self) -> int:
        """Number of runners."""
        return len(self.first)

    @property
    def n_runs(self) -> int:
        """Number of runs."""
        return len(self.code)

    def values(self, column: str, *, fill: float | None = None) -> np.ndarray:
        """Return a numeric column as float64 in sorted order (NaN replaced by ``fill``)."""
        series = self.frame[column]
        try:
            if isinstance(series.dtype, np.dtype):  # no copy for float64 columns
                raw = np.asarray(series.to_numpy(), dtype=np.float64)
            else:
                raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
        except (ValueError, TypeError):
            raise _not_numbers(self.frame, column) from None
        if self.order is not None:
            raw = raw[self.order]
        if fill is not None:
            missing = np.isnan(raw)
            if missing.any():
                raw = raw.copy() if self.order is None else raw
                raw[missing] = fill
        return raw

    def raw(self, column: str) -> np.ndarray:
        """Return any column as an array in sorted order."""
        raw = self.frame[column].to_numpy()
        return raw if self.order is None else raw[self.order]

    def sorted_frame(self, *, deep: bool = True) -> pd.DataFrame:
        """Return the input rows in sorted order with a fresh RangeIndex.

        With ``deep=False`` and an already sorted input this is a shallow copy: adding columns
        to it leaves the input untouched, but changing its values in place would not.
        """
        if self.order is None:
            out = self.frame.copy(deep=deep)
        else:
            out = self.frame.take(self.order)
        out.index = pd.RangeIndex(len(out))
        return out


def runner_column(prep: Prepared, codes: np.ndarray) -> Any:
    """Return the runner ids of ``codes`` with the input's dtype."""
    return prep.runners.take(codes)


def repeat_runners(prep: Prepared, counts: np.ndarray) -> Any:
    """Return every runner id repeated ``counts[r]`` times, with the input's dtype."""
    if isinstance(prep.runners, np.ndarray):
        return np.repeat(prep.runners, counts)
    if isinstance(prep.runners, pd.Categorical):
        codes = np.repeat(prep.runners.codes, counts)
        return pd.Categorical.from_codes(codes, dtype=prep.runners.dtype)
    index = np.arange(prep.n_runners, dtype=np.int32 if prep.n_runners < 2**31 else np.int64)
    return prep.runners.take(np.repeat(index, counts))


def rank_runners(codes: np.ndarray, uniques: Any) -> tuple[np.ndarray, Any]:
    """Re-code factorised runner ids by the rank of the id (the order every engine uses).

    Returns the new codes and the sorted unique ids (numpy array or pandas extension array).
    Ids of mixed types are ordered by their text.
    """
    uniques = pd.Index(uniques) if isinstance(uniques, np.ndarray) else uniques
    # categoricals are ranked by their values, not by the order of their categories
    categorical = isinstance(uniques.dtype, pd.CategoricalDtype)
    values = pd.Index(np.asarray(uniques)) if categorical else uniques
    try:
        rank = np.asarray(values.argsort(), dtype=np.int64)
    except TypeError:  # mixed types: order by their text
        rank = np.argsort(np.asarray(values.astype(str), dtype=object), kind="stable")
    runners = uniques.take(rank)
    if isinstance(runners, pd.Index):
        numpy_backed = isinstance(runners.dtype, np.dtype)
        runners = runners.to_numpy() if numpy_backed else runners.array
    remap = np.empty(len(rank), dtype=np.int64)
    remap[rank] = np.arange(len(rank), dtype=np.int64)
    return remap[codes], runners


def prepare(
    activities: pd.DataFrame,
    columns: Iterable[str],
    *,
    name: str = "activities",
    cache: bool = True,
    keep: bool = True,
) -> Prepared:
    """Validate the columns, then sort runs by (runner, date) once.

    With ``cache=True`` the grid comes from :mod:`lbprun.workload._cache` when the runner id
    and date columns are unchanged since an earlier call on the same frame; ``keep=False``
    reuses a cached grid but does not keep a new one.
    """
    needed = ["runner_id", *columns]
    date_column = "date"
    if isinstance(activities, pd.DataFrame) and "date" not in activities.columns:
        if "start_time" in activities.columns:
            date_column = "start_time"
    check_columns(activities, [*needed, date_column], name=name)
    if not cache:
        return _prepare(activities, date_column, name)
    return cached(
        activities,
        ("runner_id", date_column),
        lambda: _prepare(activities, date_column, name),
        store=keep,
    )


def _prepare(activities: pd.DataFrame, date_column: str, name: str) -> Prepared:
    day = day_numbers(activities[date_column], date_column)
    codes, uniques = pd.factorize(activities["runner_id"], sort=False)
    if len(codes) and codes.min() < 0:
        raise ArgumentError(
            f"{name}['runner_id'] must not be missing; got {int((codes < 0).sum())} missing "
            "value(s)."
        )
    code, runners = rank_runners(codes, uniques)
    order = None
    if len(day):
        span = int(day.max() - day.min()) + 1
        key = code * span
        key += day
        key -= day.min()
        if bool(np.any(key[1:] < key[:-1])):
            order = np.argsort(key, kind="stable")
            code = code[order]
            day = day[order]
    n = len(runners)
    run_start = np.searchsorted(code, np.arange(n + 1, dtype=np.int64))
    first = day[run_start[:-1]] if n else np.empty(0, dtype=np.int64)
    last = day[run_start[1:] - 1] if n else np.empty(0, dtype=np.int64)
    return Prepared(activities, order, code, day, runners, run_start, first, last)


def _not_numbers(frame: pd.DataFrame, column: str) -> ArgumentError:
    """The error for a column holding a value that is not a number: the first one, and whose."""
    series = frame[column]
    numbers = pd.to_numeric(series, errors="coerce")
    bad = np.flatnonzero(numbers.isna().to_numpy() & series.notna().to_numpy())
    if not len(bad):
        return ArgumentError(f"activities[{column!r}] must hold numbers.")
    row = int(bad[0])
    whose = ""
    if "runner_id" in frame.columns:
        whose = f" for runner {frame['runner_id'].iloc[row]!r}"
        for date in ("date", "start_time"):
            if date in frame.columns:
                whose += f" on {frame[date].iloc[row]}"
                break
    return ArgumentError(
        f"activities[{column!r}] must hold numbers; got {series.iloc[row]!r}{whose} "
        f"({len(bad)} such value(s))."
    )
