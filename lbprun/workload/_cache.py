"""A small cache of prepared runner x day grids, so separate calls on one frame sort it once.

Every pandas-engine workload function starts by preparing the runs (:func:`lbprun.workload._prepared.prepare`):
sorting them by (runner, date), ranking the runner ids and numbering the days. Called one
after another on the same frame (``weekly_load``, then ``load_spikes``, then ``acwr``...), the
functions would prepare the same grid again each time; the cache keeps the last few grids.

An entry is keyed by the frame's identity (held through a weak reference: the cache never
keeps a frame alive, and an entry goes when its frame goes) and the name of the date column;
it is reused only when the runner id and date columns still hold exactly the values they held
(dtype, time zone, length and content, see :mod:`lbprun.workload._fingerprint`). Values edited
in place, rows appended or dropped, columns replaced, a copy of the frame or a new time zone
therefore never meet a stale grid. Only the runner ids and dates shape the grid; the other
columns (distances, durations, loads) are read from the frame at every call. The cached arrays
are read-only and each call gets its own :class:`~lbprun.workload._prepared.Prepared`.

The public controls are re-exported by :mod:`lbprun.workload`: :func:`clear_cache`,
:func:`cache_info` and :func:`set_cache_size` (``0`` turns the cache off).

Examples
--------
>>> import pandas as pd
>>> from lbprun.workload import cache_info, clear_cache, weekly
>>> clear_cache()
>>> runs = pd.DataFrame({"runner_id": ["a", "a"], "date": pd.to_datetime(["2024-01-01",
...                      "2024-01-09"]), "distance_km": [5.0, 6.0], "duration_min": [30.0, 36.0]})
>>> _ = weekly.weekly_load(runs)
>>> _ = weekly.weekly_load(runs, week_start="sunday")
>>> info = cache_info()
>>> info.hits, info.misses, info.currsize
(1, 1, 1)
"""

from __future__ import annotations

import dataclasses
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from lbprun._checks import check_positive_int
from lbprun.workload._fingerprint import Fingerprint, fingerprint

__all__ = ["CacheInfo", "cache_info", "cached", "clear_cache", "set_cache_size"]

#: Grids kept by default (each holds about 110-120 bytes per run, layouts included).
DEFAULT_MAXSIZE = 2

_ARRAYS = ("order", "code", "day", "run_start", "first", "last")


class CacheInfo(NamedTuple):
    """Counters of the grid cache, as :func:`functools.lru_cache` reports them.

    Attributes
    ----------
    hits : int
        Calls that reused a cached grid (since the last :func:`clear_cache`).
    misses : int
        Calls that prepared their grid.
    maxsize : int
        The most grids kept (``0``: the cache is off).
    currsize : int
        Grids kept now.
    """

    hits: int
    misses: int
    maxsize: int
    currsize: int


@dataclasses.dataclass(eq=False)
class _Entry:
    ref: weakref.ref
    columns: tuple[str, str]
    prints: tuple[Fingerprint, ...]
    template: Any  # a Prepared without its frame, arrays read-only


class _Cache:
    def __init__(self, maxsize: int) -> None:
        self.lock = threading.Lock()
        self.entries: OrderedDict[tuple[int, str], _Entry] = OrderedDict()
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self.dead: deque = deque()  # keys of collected frames, removed under the lock

    def _drop_dead(self) -> None:
        while self.dead:
            key, ref = self.dead.popleft()
            entry = self.entries.get(key)
            if entry is not None and entry.ref is ref:
                del self.entries[key]

    def forget(self, key: tuple[int, str], ref: weakref.ref) -> None:
        """Weak-reference callback: the frame is gone, so is its entry."""
        self.dead.append((key, ref))
        if self.lock.acquire(blocking=False):  # never wait inside a garbage collection
            try:
                self._drop_dead()
            finally:
                self.lock.release()


_CACHE = _Cache(DEFAULT_MAXSIZE)


def _freeze(template: Any) -> Any:
    for name in _ARRAYS:
        values = getattr(template, name)
        if isinstance(values, np.ndarray):
            values.flags.writeable = False
    if isinstance(template.runners, np.ndarray):
        template.runners.flags.writeable = False
    return template


def cached(
    activities: Any,
    columns: tuple[str, str],
    compute: Callable[[], Any],
    *,
    store: bool = True,
) -> Any:
    """Return the prepared grid of ``activities`` from the cache, or ``compute()`` it.

    ``columns`` are the runner id and date columns the grid is built from. With
    ``store=False`` a cached grid is reused but a new one is not kept (for one-pass callers that
    free their per-run arrays early).
    """
    cache = _CACHE
    if cache.maxsize == 0 or not isinstance(activities, pd.DataFrame):
        return compute()
    key = (id(activities), columns[1])
    with cache.lock:
        cache._drop_dead()
        entry = cache.entries.get(key)
    frame_columns = [activities[name] for name in columns]
    if not all(isinstance(column, pd.Series) for column in frame_columns):
        return compute()
    if entry is not None and entry.ref() is activities and entry.columns == columns:
        if all(p.matches(c) for p, c in zip(entry.prints, frame_columns, strict=True)):
            with cache.lock:
                cache.hits += 1
                if key in cache.entries:
                    cache.entries.move_to_end(key)
            return dataclasses.replace(entry.template, frame=activities)
    with cache.lock:
        cache.misses += 1
    if not store:
        return compute()
    prints = tuple(fingerprint(column) for column in frame_columns)
    prepared = compute()
    if any(p is None for p in prints):
        return prepared
    template = _freeze(dataclasses.replace(prepared, frame=None, memo={}))
    ref = weakref.ref(activities, lambda ref: cache.forget(key, ref))
    with cache.lock:
        cache._drop_dead()
        if cache.maxsize:
            cache.entries[key] = _Entry(ref, columns, prints, template)
            cache.entries.move_to_end(key)
            while len(cache.entries) > cache.maxsize:
                cache.entries.popitem(last=False)
    return dataclasses.replace(template, frame=activities)


def clear_cache() -> None:
    """Forget every cached training-load grid and reset the counters.

    The pandas engine of :func:`lbprun.weekly_load`, :func:`lbprun.load_spikes`,
    :func:`lbprun.single_run_spikes`, :func:`lbprun.acwr` and the other training-load functions
    keeps the runner x day grid of the last few frames it saw (see :func:`set_cache_size`), so
    separate calls on one frame sort it once. Results never depend on the cache.

    Examples
    --------
    >>> from lbprun.workload import cache_info, clear_cache
    >>> clear_cache()
    >>> cache_info().currsize
    0
    """
    with _CACHE.lock:
        _CACHE.entries.clear()
        _CACHE.dead.clear()
        _CACHE.hits = _CACHE.misses = 0


def cache_info() -> CacheInfo:
    """Report the grid cache: hits, misses, maximum and current number of grids.

    Returns
    -------
    CacheInfo
        Named tuple ``(hits, misses, maxsize, currsize)``.

    Examples
    --------
    >>> from lbprun.workload import cache_info
    >>> cache_info().maxsize
    2
    """
    with _CACHE.lock:
        _CACHE._drop_dead()
        return CacheInfo(_CACHE.hits, _CACHE.misses, _CACHE.maxsize, len(_CACHE.entries))


def set_cache_size(maxsize: int) -> int:
    """Set how many prepared grids the training-load functions keep (0 turns the cache off).

    Parameters
    ----------
    maxsize : int
        Number of grids kept (default 2), least recently used first out; ``0`` disables the
        cache and empties it. A grid holds 16-24 bytes per run of its frame (runner codes, day
        numbers, the sort order of an unsorted frame), 8 more for an ``object`` runner id
        column (its values are kept), and the layouts later calls reuse: about 23 bytes per
        run for each week start used and 50 per run for the daily grid (2 million runs over
        two years: about 230 MB in all).

    Returns
    -------
    int
        The previous size, so that a caller can restore it.

    Examples
    --------
    >>> from lbprun.workload import set_cache_size
    >>> previous = set_cache_size(0)  # every call prepares its own grid
    >>> set_cache_size(previous)
    0
    """
    if maxsize != 0:
        maxsize = check_positive_int(maxsize, "maxsize")
    with _CACHE.lock:
        previous, _CACHE.maxsize = _CACHE.maxsize, int(maxsize)
        while len(_CACHE.entries) > _CACHE.maxsize:
            _CACHE.entries.popitem(last=False)
    return previous
