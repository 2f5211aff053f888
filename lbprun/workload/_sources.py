"""Sources of runs for the engines: file lists, Parquet / CSV reading, runner codes.

Shared by the engines (:mod:`lbprun.workload.engines` and the engine modules under it), so
that none of them imports the dispatcher. Parquet files are read with pyarrow (on ``threads``
threads), the text columns of :data:`CATEGORICAL_COLUMNS` as pandas categoricals.

Examples
--------
>>> import pandas as pd
>>> codes, runners = runner_codes(pd.Series(["b", "a", "b"]))
>>> codes.tolist(), list(runners)
([1, 0, 1], ['a', 'b'])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_columns
from lbprun.workload._prepared import local_datetimes, rank_runners

__all__ = [
    "CATEGORICAL_COLUMNS",
    "NOT_UTF8_ADVICE",
    "describe_source",
    "normalised_frame",
    "read_csv_file",
    "read_parquet",
    "read_source",
    "runner_codes",
    "source_files",
]

#: Text columns read from Parquet as categoricals by the pandas engine (few distinct values,
#: repeated on every run: one small code per row instead of one string object).
CATEGORICAL_COLUMNS = ("runner_id", "shoe_id", "surface", "activity_type")


def runner_codes(runner: pd.Series) -> tuple[np.ndarray, Any]:
    """Runner codes (rank of the id, as the kernel orders ids) and the sorted unique ids."""
    codes, uniques = pd.factorize(runner, sort=False)
    return rank_runners(codes, uniques)


def normalised_frame(activities: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, Any]:
    """Runner code, naive date, float values and row number of every run; the runner ids.

    What the DuckDB engine registers: runner codes rank the ids as the kernel orders them.
    """
    date_column = "date"
    if "date" not in activities.columns and "start_time" in activities.columns:
        date_column = "start_time"
    check_columns(activities, ["runner_id", date_column, *columns], name="activities")
    dates = local_datetimes(activities[date_column], date_column)
    runner = activities["runner_id"]
    for column, values in (("runner_id", runner), (date_column, dates)):
        if values.isna().any():
            raise ArgumentError(
                f"activities[{column!r}] must not be missing; got {int(values.isna().sum())} "
                "missing value(s)."
            )
    codes, runners = runner_codes(runner)
    frame = {
        "code": codes,
        "date": dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]"),
    }
    for column in dict.fromkeys(columns):
        frame[column] = activities[column].to_numpy(dtype=np.float64, na_value=np.nan)
    frame["_lbprun_row"] = np.arange(len(activities), dtype=np.int64)
    return pd.DataFrame(frame), runners


def source_files(source: str | Path | Sequence[str | Path]) -> list[str]:
    """The files of a source: paths, globs, or folders (their ``*.parquet``, else ``*.csv``)."""
    import glob

    paths = [source] if isinstance(source, str | Path) else list(source)
    files: list[str] = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += sorted(map(str, path.glob("*.parquet"))) or sorted(
                map(str, path.glob("*.csv"))
            )
        else:
            files += sorted(glob.glob(str(path))) or [str(path)]
    return files


def read_source(source: Any, *, threads: int | None = None) -> pd.DataFrame:
    """Read file sources into one DataFrame for the pandas engine.

    Parquet files are read with pyarrow, the text columns of :data:`CATEGORICAL_COLUMNS` as
    pandas categoricals (several files are read as one dataset, so their categories are
    unified); CSV files with :func:`pandas.read_csv`. A DataFrame is returned as it is.

    >>> read_source("runs.xlsx")
    Traceback (most recent call last):
    ...
    lbprun._checks.ArgumentError: activities must be a DataFrame or Parquet/CSV path(s) or glob(s); got 'runs.xlsx'.
    """
    if isinstance(source, pd.DataFrame):
        return source
    files = source_files(source)
    lower = [f.lower() for f in files]
    known = [".parquet" in f or f.endswith(".pq") or ".csv" in f for f in lower]
    if not files or not all(known):
        raise ArgumentError(
            "activities must be a DataFrame or Parquet/CSV path(s) or glob(s); "
            f"got {', '.join(map(repr, files)) or 'no file'}."
        )
    if all(".parquet" in f or f.endswith(".pq") for f in lower):
        return read_parquet(files, threads=threads)
    parts = [read_csv_file(f) if ".csv" in f.lower() else pd.read_parquet(f) for f in files]
    return pd.concat(parts, ignore_index=True) if len(parts) != 1 else parts[0]


#: How to go on with a CSV file that is not UTF-8 text.
NOT_UTF8_ADVICE = (
    "convert it to UTF-8, or read it with lbprun.read_activities, which detects the encoding"
)


def describe_source(source: Any) -> str:
    """The file (or files) a message about ``source`` names.

    Examples
    --------
    >>> describe_source(["a.parquet", "b.parquet"]), describe_source(pd.DataFrame())
    ('a.parquet, b.parquet', 'the DataFrame')
    """
    if isinstance(source, pd.DataFrame):
        return "the DataFrame"
    return ", ".join(map(str, [source] if isinstance(source, str | Path) else source))


def read_csv_file(file: str, **options: Any) -> pd.DataFrame:
    r"""``pandas.read_csv(file, **options)``, its failures as errors naming the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "runs.csv"
    >>> _ = path.write_bytes(b"runner_id,km\nJos\xe9,5\n")
    >>> read_csv_file(str(path))
    Traceback (most recent call last):
    ...
    lbprun._checks.ArgumentError: ...runs.csv: not UTF-8 text (...); convert it to UTF-8, ...
    """
    try:
        return pd.read_csv(file, **options)
    except UnicodeDecodeError as error:
        raise ArgumentError(
            f"{file}: not UTF-8 text ({error.reason} at byte {error.start}); {NOT_UTF8_ADVICE}."
        ) from None
    except pd.errors.EmptyDataError:
        raise ArgumentError(f"{file}: the file is empty (no header row).") from None
    except pd.errors.ParserError as error:
        text = " ".join(str(error).split())
        raise ArgumentError(f"{file}: cannot be read as CSV ({text}).") from None


def read_parquet(files: list[str], *, threads: int | None = None) -> pd.DataFrame:
    """Read Parquet ``files`` as one frame, identifier text columns as categoricals.

    ``threads=1`` reads and converts on this thread only; otherwise pyarrow's thread pool
    decodes columns and row groups in parallel.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pq.read_schema(files[0])
    text = (pa.types.is_string, pa.types.is_large_string)
    dictionary = [
        name
        for name in CATEGORICAL_COLUMNS
        if name in schema.names and any(is_text(schema.field(name).type) for is_text in text)
    ]
    use_threads = threads is None or threads > 1
    table = pq.read_table(
        files[0] if len(files) == 1 else files,
        read_dictionary=dictionary,
        use_threads=use_threads,
    )
    frame = table.to_pandas(self_destruct=True, use_threads=use_threads)
    del table
    # Arrow's allocator keeps the freed buffers of the table; give them back to the system
    pa.default_memory_pool().release_unused()
    return frame
