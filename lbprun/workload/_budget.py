"""Which engine a log needs: the in-memory kernel when it fits a memory budget, else streaming.

Examples
--------
>>> parse_bytes("4GB"), parse_bytes("512 MiB"), parse_bytes(1000)
(4000000000, 536870912, 1000)
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pandas as pd

from lbprun._checks import ArgumentError
from lbprun.workload._sources import source_files

__all__ = [
    "BYTES_PER_RUN",
    "choose_engine",
    "default_budget",
    "estimated_memory",
    "estimated_runs",
    "parse_bytes",
]

#: Bytes of kernel memory per run for the whole workload (measured peak 210 B/run on an
#: 11.1 M-run log, rounded up).
BYTES_PER_RUN = 250

#: Bytes of a CSV row, to estimate the runs of a CSV file from its size.
CSV_BYTES_PER_RUN = 40

_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}


def parse_bytes(value: Any) -> int:
    """Bytes of ``value``: an integer, or text such as ``"4GB"``, ``"512 MiB"``.

    Examples
    --------
    >>> parse_bytes("1.5 GB")
    1500000000
    """
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", value)
        if match and match.group(2).upper() in _UNITS and float(match.group(1)) > 0:
            return int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    raise ArgumentError(
        f"memory_budget must be a positive number of bytes or text such as '4GB' or "
        f"'512MiB'; got {value!r}."
    )


def _cgroup_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            return int(text)
    return None


def default_budget() -> int:
    """Half of this machine's memory (or of its container's limit, when lower).

    Examples
    --------
    >>> default_budget() > 0
    True
    """
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not a POSIX system
        total = 8 * 10**9
    limit = _cgroup_limit()
    return (min(total, limit) if limit else total) // 2


def estimated_runs(source: Any) -> int:
    """Estimated number of runs of ``source``, without reading its rows.

    Parquet files: rows from their footers; CSV files: rows from their size
    (:data:`CSV_BYTES_PER_RUN`); a DataFrame: its length.

    Examples
    --------
    >>> estimated_runs(pd.DataFrame({"runner_id": ["a"] * 4}))
    4
    """
    if isinstance(source, pd.DataFrame):
        return len(source)
    import pyarrow.parquet as pq

    rows = 0
    for file in source_files(source):
        if ".parquet" in file.lower():
            try:
                rows += pq.read_metadata(file).num_rows
            except (OSError, ValueError):  # unreadable: let the engine say why
                continue
        elif os.path.exists(file):
            rows += os.path.getsize(file) // CSV_BYTES_PER_RUN
    return rows


def estimated_memory(source: Any) -> int:
    """Estimated kernel memory (bytes) of the whole workload on ``source``.

    :func:`estimated_runs` runs of :data:`BYTES_PER_RUN` bytes each.

    Examples
    --------
    >>> estimated_memory(pd.DataFrame({"runner_id": ["a"] * 4}))
    1000
    """
    return estimated_runs(source) * BYTES_PER_RUN


def choose_engine(source: Any, memory_budget: Any = None) -> str:
    """``"pandas"`` when the log's kernel memory fits ``memory_budget``, else ``"stream"``.

    Parameters
    ----------
    source : pandas.DataFrame, str, Path or list of them
        The runs (a DataFrame is already in memory: always ``"pandas"``).
    memory_budget : int or str, optional
        Bytes, or text such as ``"4GB"`` (default: :func:`default_budget`).

    Returns
    -------
    str
        The engine :func:`lbprun.workload.engines.run` takes with ``engine="auto"``.

    Examples
    --------
    >>> choose_engine(pd.DataFrame({"runner_id": ["a"]}), "1KB")
    'pandas'
    """
    budget = default_budget() if memory_budget is None else parse_bytes(memory_budget)
    if isinstance(source, pd.DataFrame):
        return "pandas"
    return "stream" if estimated_memory(source) > budget else "pandas"
