"""The Parquet files of a log, checked before any engine reads them.

Each file must be readable as Parquet and hold the columns the tables need, and the columns
the kernel reads must be of one kind across files (text or integer runner ids, dates with or
without a time zone), so that every engine either computes the same tables or refuses the
same log with an error naming the file.

Examples
--------
>>> import pyarrow as pa
>>> column_kind(pa.dictionary(pa.int32(), pa.string())), column_kind(pa.timestamp("us", "UTC"))
('text', 'time zone timestamp')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lbprun._checks import ArgumentError, closest

__all__ = ["check_parquet_files", "column_kind", "needed_columns"]

#: Kinds of a numeric column that mix (the kernel reads text numbers too).
_NUMERIC = {"integer", "float", "text", "null"}


def needed_columns(jobs: dict[str, tuple[str, dict[str, Any]]]) -> list[str]:
    """The numeric input columns the workload ``jobs`` read, in order, without repeats.

    Examples
    --------
    >>> needed_columns({"w": ("weekly_load", {}), "a": ("acwr", {"load": "duration_min"})})
    ['distance_km', 'duration_min']
    """
    needed = ["distance_km"]
    for name, options in jobs.values():
        if name in ("weekly_load", "load_spikes"):
            needed.append("duration_min")
        if name == "acwr":
            needed.append(options.get("load", "distance_km"))
    return list(dict.fromkeys(needed))


def column_kind(kind: Any) -> str:
    """What an Arrow type holds, as far as the kernel is concerned.

    Examples
    --------
    >>> import pyarrow as pa
    >>> column_kind(pa.int16()), column_kind(pa.large_string()), column_kind(pa.date32())
    ('integer', 'text', 'date')
    """
    import pyarrow as pa

    if pa.types.is_dictionary(kind):
        return column_kind(kind.value_type)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        return "text"
    if pa.types.is_integer(kind):
        return "integer"
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "float"
    if pa.types.is_timestamp(kind):
        return "time zone timestamp" if kind.tz is not None else "timestamp"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_null(kind):
        return "null"
    return str(kind)


def check_parquet_files(files: Sequence[str], needed: Sequence[str]) -> None:
    """Raise :class:`~lbprun._checks.ArgumentError` naming the file that does not fit.

    Parameters
    ----------
    files : sequence of str
        The log's Parquet files.
    needed : sequence of str
        Numeric columns the tables read (:func:`needed_columns`); ``runner_id`` and ``date``
        (or ``start_time``) are always needed.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"runner_id": ["a"], "date": pd.to_datetime(["2024-01-01"]),
    ...               "distance_km": [5.0]}).to_parquet(folder / "a.parquet")
    >>> pd.DataFrame({"runner_id": [1], "date": pd.to_datetime(["2024-01-01"]),
    ...               "distance_km": [5.0]}).to_parquet(folder / "b.parquet")
    >>> check_parquet_files([str(folder / "a.parquet")], ["distance_km"])
    >>> check_parquet_files([str(folder / n) for n in ("a.parquet", "b.parquet")],
    ...                     ["distance_km"])
    Traceback (most recent call last):
    ...
    lbprun._checks.ArgumentError: ...b.parquet: column 'runner_id' holds integer values, ...
    """
    import pyarrow.parquet as pq

    first: dict[str, tuple[str, str]] = {}  # column -> (kind, file)
    dated_by: tuple[str, str] | None = None  # (date column, file)
    for file in files:
        try:
            schema = pq.read_schema(file)
        except Exception as error:  # pyarrow.ArrowInvalid, OSError: not Parquet, truncated
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ArgumentError(f"{file}: cannot be read as Parquet ({message}).") from None
        names = list(schema.names)
        date = "date" if "date" in names or "start_time" not in names else "start_time"
        dated_by = dated_by or (date, file)
        if date != dated_by[0] and dated_by[0] not in names:
            raise ArgumentError(
                f"{file}: runs are dated by {date!r}, but in {dated_by[1]} by "
                f"{dated_by[0]!r}; use one date column in every file."
            )
        date = dated_by[0] if dated_by[0] in names else date
        for column in ["runner_id", date, *needed]:
            if column not in names:
                hint = closest(column, names)
                shown = f"Did you mean {hint!r}?" if hint else f"Columns are: {', '.join(names)}."
                raise ArgumentError(f"{file}: column {column!r} not found. {shown}")
            kind = column_kind(schema.field(column).type)
            seen = first.setdefault(column, (kind, file))
            numeric = column in needed and {kind, seen[0]} <= _NUMERIC
            if kind != seen[0] and not numeric and "null" not in (kind, seen[0]):
                raise ArgumentError(
                    f"{file}: column {column!r} holds {kind} values, but {seen[1]} holds "
                    f"{seen[0]} values; write it with one type in every file."
                )
