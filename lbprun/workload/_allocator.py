"""glibc's allocator in Dask worker processes: large kernel temporaries served from the heap.

glibc serves a block larger than its mmap threshold with a fresh ``mmap`` and unmaps it when
freed, so the next block of that size is faulted in page by page again. The threshold starts
at 128 KiB and, by default, rises to the size of the largest mapped block freed (up to
32 MiB), so a process that allocates the same large temporaries again and again soon serves
them from the heap. Setting ``MALLOC_TRIM_THRESHOLD_`` (or any of glibc's ``MALLOC_*_``
tuning variables) turns that adjustment off for the life of the process, and Dask's nanny sets
``MALLOC_TRIM_THRESHOLD_=65536`` in every worker it starts
(``distributed.nanny.pre-spawn-environ``). In such a worker every temporary of the kernel
above 128 KiB was mapped, faulted in and unmapped: on an 11.1-million-run log the kernel took
4.4 s in a worker against 1.0 s in a plain process. :func:`restore_mmap_threshold` sets the
threshold to the 32 MiB glibc would have reached, once per process, and only where the
adjustment was turned off by ``MALLOC_TRIM_THRESHOLD_`` and no ``MALLOC_MMAP_THRESHOLD_`` was
chosen. Memory above the trim threshold at the top of the heap is still returned to the
system, as Dask wants.

Examples
--------
>>> should_restore({"MALLOC_TRIM_THRESHOLD_": "65536"}, "linux")
True
>>> should_restore({"MALLOC_TRIM_THRESHOLD_": "65536", "MALLOC_MMAP_THRESHOLD_": "0"}, "linux")
False
>>> should_restore({}, "linux")
False
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

__all__ = ["MMAP_THRESHOLD", "restore_mmap_threshold", "should_restore"]

#: The largest mmap threshold glibc's own adjustment reaches on 64-bit systems (32 MiB).
MMAP_THRESHOLD = 32 * 2**20

#: ``mallopt`` parameter number of the mmap threshold (``M_MMAP_THRESHOLD`` in malloc.h).
_M_MMAP_THRESHOLD = -3

_done = False


def should_restore(environ: Mapping[str, str], platform: str) -> bool:
    """Whether a process with ``environ`` on ``platform`` needs the threshold set.

    Parameters
    ----------
    environ : mapping of str to str
        The process environment.
    platform : str
        ``sys.platform``.

    Returns
    -------
    bool
        True on Linux when ``MALLOC_TRIM_THRESHOLD_`` is set and ``MALLOC_MMAP_THRESHOLD_``
        is not.

    Examples
    --------
    >>> should_restore({"MALLOC_TRIM_THRESHOLD_": "65536"}, "darwin")
    False
    """
    return (
        platform.startswith("linux")
        and "MALLOC_TRIM_THRESHOLD_" in environ
        and "MALLOC_MMAP_THRESHOLD_" not in environ
    )


def restore_mmap_threshold() -> bool:
    """Set glibc's mmap threshold to :data:`MMAP_THRESHOLD` where :func:`should_restore` says.

    Runs once per process (later calls return False at once). Nothing happens on a C library
    without ``mallopt`` (musl, macOS, Windows).

    Returns
    -------
    bool
        True when the threshold was set by this call.

    Examples
    --------
    >>> restore_mmap_threshold() in (True, False)
    True
    """
    global _done
    if _done:
        return False
    _done = True
    if not should_restore(os.environ, sys.platform):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
    except (OSError, AttributeError):  # not glibc
        return False
