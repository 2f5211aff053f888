"""Private building blocks shared by the training-load kernel.

The kernel sorts the runs once by (runner, date), maps runner ids to integer codes and dates to
integer day numbers (:mod:`lbprun.workload._prepared`, re-exported here), and then works on flat
float64 arrays: a per-runner daily grid is laid out runner after runner in one array (cumulative
offsets), processed in blocks of whole runners so that memory stays bounded (:func:`blocks`), on
several threads (:func:`for_each_block`). The window and scan arithmetic on the grid lives in
:mod:`lbprun.workload._scans`.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": ["b", "a", "a"], "date": pd.to_datetime(
...     ["2024-01-02", "2024-01-05", "2024-01-01"]), "distance_km": [3.0, 5.0, 4.0]})
>>> prep = prepare(runs, ["distance_km"])
>>> list(prep.runners), prep.first.tolist(), prep.last.tolist()
(['a', 'b'], [19723, 19724], [19727, 19724])
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import check_positive_int
from lbprun.workload._prepared import (
    Prepared,
    day_numbers,
    days_to_datetime,
    local_datetimes,
    prepare,
    rank_runners,
    repeat_runners,
    runner_column,
)
from lbprun.workload.definitions import ENGINES, WEEKDAYS, week_offset

__all__ = [
    "DEFAULT_BLOCK_DAYS",
    "Block",
    "ENGINES",
    "WEEKDAYS",
    "Prepared",
    "ProgressBar",
    "blocks",
    "available_cores",
    "check_block_days",
    "check_threads",
    "day_numbers",
    "days_to_datetime",
    "for_each_block",
    "local_datetimes",
    "notes_warning",
    "prepare",
    "rank_runners",
    "repeat_runners",
    "runner_column",
    "ticking",
    "week_offset",
]

#: Grid days per block: bounds the memory of the blocked computations (2 MB per float array,
#: so a block's temporaries stay in cache).
DEFAULT_BLOCK_DAYS = 262_144


@dataclass(frozen=True)
class Block:
    """Runners ``r0:r1`` laid out on one daily grid of ``size`` days.

    ``start[i]`` is where runner ``r0 + i``'s grid begins (after ``pad`` leading padding days),
    ``length[i]`` its number of grid days, ``runs`` the slice of its runs in sorted order and
    :attr:`pos` the grid position of each of those runs (computed when first read, so on the
    thread that works on the block). ``code``, ``day`` and ``first`` are the prepared runner
    codes and day numbers of those runs and the first day of every runner.
    """

    r0: int
    r1: int
    pad: int
    size: int
    start: np.ndarray
    length: np.ndarray
    runs: slice
    code: np.ndarray
    day: np.ndarray
    first: np.ndarray

    @cached_property
    def pos(self) -> np.ndarray:
        """Grid position of every run of the block (sorted order)."""
        code = self.code - self.r0
        out = self.day - self.first[self.r0 : self.r1][code]
        out += self.start[code]
        return out

    def local_day(self) -> np.ndarray:
        """Day index within its runner's grid for every grid position (padding is negative)."""
        out = np.arange(self.size, dtype=np.int64)
        out -= np.repeat(self.start, self.length + self.pad)
        return out

    def keep(self) -> np.ndarray:
        """Grid positions that are not padding, runner after runner."""
        if self.pad == 0:
            return np.arange(self.size, dtype=np.int64)
        local = self.local_day()
        return np.flatnonzero(local >= 0)


def blocks(
    prep: Prepared,
    *,
    pad: int = 0,
    block_days: int | None = None,
) -> Iterator[Block]:
    """Yield blocks of whole runners whose grids hold about ``block_days`` days each.

    Only the block bounds are computed here; the per-run work of a block (its :attr:`Block.pos`)
    is left to the thread that computes the block.
    """
    block_days = DEFAULT_BLOCK_DAYS if block_days is None else block_days
    length = prep.last - prep.first + 1
    cum = np.concatenate(([0], np.cumsum(length + pad)))
    r0 = 0
    n = prep.n_runners
    while r0 < n:
        r1 = int(np.searchsorted(cum, cum[r0] + block_days, side="right")) - 1
        r1 = min(max(r1, r0 + 1), n)
        start = cum[r0:r1] - cum[r0] + pad
        runs = slice(int(prep.run_start[r0]), int(prep.run_start[r1]))
        size = int(cum[r1] - cum[r0])
        code, day = prep.code[runs], prep.day[runs]
        yield Block(r0, r1, pad, size, start, length[r0:r1], runs, code, day, prep.first)
        r0 = r1


def for_each_block(
    work: Callable[[Block], None],
    block_iter: Iterable[Block],
    *,
    threads: int = 1,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Call ``work(block)`` for every block, on ``threads`` threads.

    Blocks hold whole runners and ``work`` writes only its block's slice of the outputs, so
    blocks are independent; numpy releases the GIL in its array loops, so threads run them in
    parallel. At most ``2 * threads`` blocks are in flight (bounded memory). ``progress`` is
    called with each finished block's number of runners, in block order. An exception in
    ``work`` is raised here.

    >>> from types import SimpleNamespace
    >>> out = np.zeros(3)
    >>> def work(block):
    ...     out[block.r0 : block.r1] = 10 * block.r0
    >>> for_each_block(work, [SimpleNamespace(r0=i, r1=i + 1) for i in range(3)], threads=2)
    >>> out
    array([ 0., 10., 20.])
    """
    if threads <= 1:
        for block in block_iter:
            work(block)
            if progress is not None:
                progress(block.r1 - block.r0)
        return
    pending: deque = deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="lbprun-block") as pool:
        try:
            for block in block_iter:
                pending.append((block.r1 - block.r0, pool.submit(work, block)))
                if len(pending) >= 2 * threads:
                    _finish(pending.popleft(), progress)
            while pending:
                _finish(pending.popleft(), progress)
        finally:
            for _, future in pending:
                future.cancel()


def _finish(item: tuple[int, Any], progress: Callable[[int], None] | None) -> None:
    runners, future = item
    future.result()
    if progress is not None:
        progress(runners)


def available_cores() -> int:
    """Number of CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without sched_getaffinity
        return os.cpu_count() or 1


def check_threads(threads: Any) -> int:
    """Check the ``threads`` keyword (None means every available core)."""
    return available_cores() if threads is None else check_positive_int(threads, "threads")


def notes_warning(
    frame: pd.DataFrame, notes: list[str], silent: Sequence[str] = ()
) -> pd.DataFrame:
    """Attach data notes to ``frame.attrs['notes']`` and warn about each (except ``silent``)."""
    import warnings

    from lbprun.exceptions import DataQualityWarning

    frame.attrs["notes"] = (*notes, *silent)
    for note in notes:
        warnings.warn(note, DataQualityWarning, stacklevel=3)
    return frame


class ProgressBar:
    """A bar over runners, or nothing when off (``with ProgressBar(...) as tick``).

    ``enabled`` follows :func:`lbprun._progress.progress_enabled` (None: the global policy).
    """

    def __init__(self, enabled: bool | None, total: int, desc: str):
        from lbprun._progress import progress_bar, progress_enabled

        self.bar = None
        if progress_enabled(enabled):
            self.bar = progress_bar(total, desc=desc, unit="runner", enabled=True)

    def __enter__(self) -> Callable[[int], None] | None:
        return None if self.bar is None else self.bar.update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def check_block_days(block_days: Any) -> int | None:
    """Check the ``block_days`` keyword (None means the default)."""
    return None if block_days is None else check_positive_int(block_days, "block_days")


@contextmanager
def ticking(
    progress: bool | None | Callable[[int], None], total: int, desc: str
) -> Iterator[Callable[[int], None] | None]:
    """The tick of a progress report: ``progress`` itself when it is a callable, else the
    update of a :class:`ProgressBar` over ``total`` runners (or None when the bar is off)."""
    if callable(progress):
        yield progress
        return
    with ProgressBar(progress, total, desc) as tick:
        yield tick
