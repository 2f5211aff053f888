"""What the DuckDB engine checks in a log's files before it computes anything.

The kernel refuses a log without the columns it needs, or with a run without a runner or a
date; DuckDB would instead fail with a binder error or drop such runs in its joins. These
checks read the schema and two columns (one scan) and raise the kernel's errors, naming the
file and, for Parquet, the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lbprun._checks import ArgumentError, check_columns

__all__ = ["check_file_runs"]

#: Columns DuckDB adds to a scan (file name, row number), not the user's.
_SCAN_COLUMNS = ("filename", "file_row_number")


def check_file_runs(con: Any, scan: str, order: str, needed: Sequence[str], name: str) -> None:
    """Raise :class:`~lbprun._checks.ArgumentError` for a log the kernel would refuse.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The engine's connection.
    scan : str
        The table function reading the files (``read_parquet(...)`` or ``read_csv(...)``).
    order : str
        The scan's columns giving the input order (``filename``, ``file_row_number``).
    needed : sequence of str
        The numeric columns the jobs read.
    name : str
        The file (or pattern) to name when the scan has no ``filename`` column.

    Examples
    --------
    >>> import duckdb, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "log.parquet"
    >>> pd.DataFrame({"runner_id": ["a", None], "date": pd.to_datetime(["2024-01-01"] * 2),
    ...               "distance_km": [5.0, 3.0]}).to_parquet(path)
    >>> scan = f"read_parquet(['{path}'], file_row_number = true)"
    >>> check_file_runs(duckdb.connect(), scan, "file_row_number", ["distance_km"], str(path))
    Traceback (most recent call last):
    ...
    lbprun._checks.ArgumentError: ...log.parquet: row 2, column 'runner_id': the runner id is ...
    """
    described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    columns = [row[0] for row in described if row[0] not in _SCAN_COLUMNS]
    if "date" not in columns and "start_time" in columns:
        raise ArgumentError(
            "the DuckDB engine reads a 'date' column; this log has 'start_time' only: use "
            "engine='stream' (or 'pandas'), or add a 'date' column."
        )
    check_columns(pd.DataFrame(columns=columns), ["runner_id", "date", *needed], name="activities")
    counts = con.execute(
        "SELECT count(*) FILTER (WHERE runner_id IS NULL), count(*) FILTER (WHERE date IS NULL) "
        f"FROM {scan}"
    ).fetchone()
    what = {"runner_id": "the runner id is missing (every run needs a runner)"}
    what["date"] = "the date is missing (every run needs a date)"
    for column, missing in zip(("runner_id", "date"), counts, strict=True):
        if missing:
            raise ArgumentError(
                _where(con, scan, order, column, name) + f"{what[column]}; "
                f"{missing} run(s) in all."
            )


def _where(con: Any, scan: str, order: str, column: str, name: str) -> str:
    """``"file: row N, column 'c': "`` of the first run missing ``column`` (no row for CSV)."""
    file = "filename" if "filename" in order else "NULL"
    row = "file_row_number" if "file_row_number" in order else "NULL"
    found = con.execute(
        f"SELECT {file}, {row} FROM {scan} WHERE {column} IS NULL ORDER BY {order} LIMIT 1"
    ).fetchone()
    where = found[0] if found[0] is not None else name
    if found[1] is None:
        return f"{where}: column {column!r}: "
    return f"{where}: row {int(found[1]) + 1}, column {column!r}: "
