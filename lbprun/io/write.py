"""Write lbprun's tables to CSV, XLSX or Parquet so that opening them never runs a formula.

Every table the ``lbprun`` command writes (workload tables, prevalence, incidence and
risk-factor tables, rejected rows) goes through :func:`write_table` or, for CSV printed on
standard output, :func:`csv_text`. Text that came from an input file (a runner id, a group
label, a shoe id) may be a spreadsheet formula such as ``=HYPERLINK("http://evil", "x")``
or ``=cmd|' /C calc'!A0``; these functions make it inert.

The rule (OWASP, "CSV Injection"):

- a **text** cell (and a column name) starting with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return, after any leading spaces, is written with a single quote ``'`` in front
  (``'=1+1``); a plain number written as text (``-5``, ``+3.2``, ``-1e3``) is left alone;
- numeric, boolean and date columns are never altered;
- CSV: every field holding a line feed or a carriage return (also a lone ``\\r``), the
  delimiter or a quote is quoted, so that no reader sees a new row inside a field; rows end
  in ``\\n`` and the file is UTF-8;
- XLSX: every text cell is stored as a string (never as a formula) and the escaped text is
  the same as in CSV; characters that XML cannot hold (control characters other than tab,
  line feed and carriage return) are replaced by U+FFFD, and XML reads a carriage return
  back as a line feed; numbers are stored with 16 significant digits (as by openpyxl and
  pandas' ``to_excel``), infinities as the text ``inf`` / ``-inf``, time-zone-aware times
  as ISO 8601 text;
- Parquet is written as is: it is typed data, not a spreadsheet.

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"runner_id": ["=1+1", "-5", "R1\\rR2"], "km": [-5.0, 1.0, 2.0]})
>>> print(csv_text(table), end="")
runner_id,km
'=1+1,-5.0
-5,1.0
"R1\rR2",2.0
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice
from lbprun.io._parse import is_formula

__all__ = ["FORMATS", "csv_text", "escape_cell", "escape_frame", "write_table"]

#: Output formats by file extension.
FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}

_XLSX_MAX_ROWS = 1_048_576
_XLSX_MAX_COLUMNS = 16_384
_XLSX_MAX_CHARS = 32_767
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def escape_cell(value: Any) -> Any:
    """Prefix ``'`` to text a spreadsheet would run as a formula; return anything else as is.

    Parameters
    ----------
    value : object
        A cell value.

    Returns
    -------
    object
        ``"'" + value`` when ``value`` is a string starting with ``= + - @``, a tab or a
        carriage return (after leading spaces) and is not a plain number; else ``value``.
        Lone surrogates (text no file can hold as UTF-8) become U+FFFD.

    Examples
    --------
    >>> escape_cell("=SUM(A1:A9)"), escape_cell("@x"), escape_cell("\\tR1"), escape_cell("-5")
    ("'=SUM(A1:A9)", "'@x", "'\\tR1", '-5')
    >>> escape_cell(-5), escape_cell("R1")
    (-5, 'R1')
    """
    if not isinstance(value, str):
        return value
    if _SURROGATE.search(value):  # a lone surrogate cannot be written as UTF-8
        value = _SURROGATE.sub("\ufffd", value)
    if value[:1] in ("\t", "\r") or is_formula(value):
        return "'" + value
    return value


def _is_text(series: pd.Series) -> bool:
    dtype = series.dtype
    return pd.api.types.is_object_dtype(dtype) or isinstance(
        dtype, pd.StringDtype | pd.CategoricalDtype
    )


def _escape_series(series: pd.Series) -> pd.Series:
    """Escape the text cells of one column (each distinct value is checked once)."""
    if not _is_text(series):
        return series
    try:
        codes, uniques = pd.factorize(series.astype(object), use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists, dicts): checked one by one
        return series.astype(object).map(escape_cell)
    if any(isinstance(u, str) and _SURROGATE.search(u) for u in uniques):
        # pandas < 3 hashes lone surrogates lossily and can merge distinct values
        return series.astype(object).map(escape_cell)
    escaped = np.array([escape_cell(u) for u in uniques] + [None], dtype=object)
    if all(a is b for a, b in zip(escaped[:-1], uniques, strict=True)):
        return series
    values = escaped[codes]  # code -1 (missing) takes the trailing None
    return pd.Series(values, index=series.index, name=series.name, dtype=object)


def escape_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with every formula-like text cell and column name escaped.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write. It is not modified.

    Returns
    -------
    pandas.DataFrame
        The same rows and columns; text columns (object, string, categorical) holding an
        escaped value become object columns; every other column is the original one.

    Examples
    --------
    >>> import pandas as pd
    >>> escape_frame(pd.DataFrame({"@by": ["+cmd", "F"], "n": [-1, 2]})).to_dict("list")
    {"'@by": ["'+cmd", 'F'], 'n': [-1, 2]}
    """
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(f"frame must be a pandas DataFrame; got {type(frame).__name__}.")
    columns = {i: _escape_series(frame.iloc[:, i]) for i in range(frame.shape[1])}
    out = pd.DataFrame(
        {i: col.reset_index(drop=True) for i, col in columns.items()},
        index=pd.RangeIndex(len(frame)),
    )
    out.columns = pd.Index([escape_cell(c) for c in frame.columns], dtype=object)
    return out


class _RowEnds(io.TextIOBase):
    r"""Text sink for :mod:`csv`: rows are written with ``\r\n`` and stored with ``\n``.

    Python's csv writer quotes a field when it holds a character of the line terminator;
    with ``\n`` alone, a lone ``\r`` would be written bare and read as a row break by Excel
    and by the csv module. The writer emits one ``write`` per row, ending in the terminator.
    """

    def __init__(self, target: TextIO) -> None:
        self._target = target

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if text.endswith("\r\n"):
            text = text[:-2] + "\n"
        return self._target.write(text)


def _write_csv(frame: pd.DataFrame, target: TextIO) -> None:
    safe = escape_frame(frame)
    safe.to_csv(
        _RowEnds(target),
        index=False,
        quoting=csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )


def csv_text(frame: pd.DataFrame) -> str:
    r"""Return ``frame`` as CSV text (for standard output), formula-like cells escaped.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index is not written.

    Returns
    -------
    str
        Header and rows, each ending in ``\n``; the rules of this module's docstring apply.

    Examples
    --------
    >>> import pandas as pd
    >>> csv_text(pd.DataFrame({"group": ["@SUM(1)", "a\rb"]}))
    'group\n\'@SUM(1)\n"a\rb"\n'
    """
    buffer = io.StringIO(newline="")
    _write_csv(frame, buffer)
    return buffer.getvalue()


def _xlsx_values(series: pd.Series) -> list[Any]:
    """One column as Python values openpyxl writes (None for missing)."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) and not _is_text(series):
        return [None if pd.isna(v) else bool(v) for v in series.astype(object)]
    if pd.api.types.is_integer_dtype(dtype):
        return [None if pd.isna(v) else int(v) for v in series.astype(object)]
    if pd.api.types.is_float_dtype(dtype):
        return [_xlsx_float(v) for v in series.astype(object)]
    if isinstance(dtype, pd.DatetimeTZDtype):
        return [None if pd.isna(v) else v.isoformat() for v in series]
    if pd.api.types.is_datetime64_dtype(dtype):
        dates = series.notna().all() and bool((series == series.dt.normalize()).all())
        return [None if pd.isna(v) else (v.date() if dates else v.to_pydatetime()) for v in series]
    if pd.api.types.is_timedelta64_dtype(dtype):
        return [None if pd.isna(v) else v.to_pytimedelta() for v in series]
    return [_xlsx_object(v) for v in series.astype(object)]


def _xlsx_float(value: Any) -> Any:
    if value is None or pd.isna(value):
        return None
    value = float(value)
    if math.isinf(value):  # Excel has no infinity: written as the text inf / -inf
        return "inf" if value > 0 else "-inf"
    return value


def _xlsx_object(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return _xlsx_float(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat() if value.tzinfo is not None else value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.isoformat()
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return value
    return escape_cell(str(value))


def _text_cell(sheet: Any, text: str) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=_XML_ILLEGAL.sub("\ufffd", text))
    cell.data_type = "s"  # a string, never a formula, whatever its first character
    return cell


def _check_lengths(names: list[str], columns: list[list[Any]]) -> None:
    for name, values in zip(names, columns, strict=True):
        longest = max((len(v) for v in [name, *values] if isinstance(v, str)), default=0)
        if longest > _XLSX_MAX_CHARS:
            raise ArgumentError(
                f"column {name!r} holds a text of {longest:,} characters; an Excel cell "
                f"holds at most {_XLSX_MAX_CHARS:,}. Write a .csv or .parquet file instead."
            )


def _write_xlsx(frame: pd.DataFrame, path: Path, sheet_name: str) -> None:
    from openpyxl import Workbook

    if len(frame) + 1 > _XLSX_MAX_ROWS or frame.shape[1] > _XLSX_MAX_COLUMNS:
        raise ArgumentError(
            f"an Excel sheet holds at most {_XLSX_MAX_ROWS - 1:,} rows and "
            f"{_XLSX_MAX_COLUMNS:,} columns below its header; got {frame.shape[0]:,} x "
            f"{frame.shape[1]:,}. Write a .csv or .parquet file instead."
        )
    safe = escape_frame(frame)
    names = [str(c) for c in safe.columns]
    columns = [_xlsx_values(safe.iloc[:, i]) for i in range(safe.shape[1])]
    _check_lengths(names, columns)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_name)
    sheet.append([_text_cell(sheet, name) for name in names])
    for row in zip(*columns, strict=True) if columns else ():
        sheet.append([_text_cell(sheet, v) if isinstance(v, str) else v for v in row])
    workbook.save(path)


def _sheet_name(name: str) -> str:
    clean = re.sub(r"[\[\]:*?/\\]", "_", str(name)).strip("'") or "lbprun"
    return clean[:31]


def write_table(
    frame: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    sheet_name: str = "lbprun",
) -> Path:
    """Write a table to CSV, XLSX or Parquet, with formula-like text made inert.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index is not written and the frame is not modified.
    path : str or path-like
        The file to write (replaced when it exists).
    format : {"csv", "xlsx", "parquet"} or None, default=None
        The format; None takes it from the extension of ``path`` (``.csv``, ``.xlsx``,
        ``.parquet``).
    sheet_name : str, default="lbprun"
        Name of the XLSX sheet (characters Excel forbids become ``_``; 31 at most).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    lbprun._checks.ArgumentError
        An unknown format or extension; for XLSX, a table beyond Excel's 1,048,575 rows or
        16,384 columns, or a text longer than 32,767 characters.

    Notes
    -----
    CSV and XLSX: a text cell or column name starting with ``=``, ``+``, ``-``, ``@``, a tab
    or a carriage return (after leading spaces), and not a plain number such as ``-5`` or
    ``+3.2``, is written with ``'`` in front, as OWASP advises against CSV injection; XLSX
    text cells are strings, never formulas. CSV fields holding a line feed, a carriage
    return, a comma or a quote are quoted (RFC 4180), so a field never splits a row; rows end
    in ``\\n``; UTF-8 without a byte-order mark. Numeric, boolean and date columns are
    never altered. Parquet keeps the table as is (typed values, no escaping).

    References
    ----------
    OWASP Foundation. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection

    Examples
    --------
    >>> import csv, tempfile, pathlib, pandas as pd
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> table = pd.DataFrame({"shoe_id": ['=HYPERLINK("http://evil", "x")', "S1"],
    ...                       "km": [12.5, -3.0]})
    >>> path = write_table(table, folder / "shoes.csv")
    >>> with open(path, newline="", encoding="utf-8") as f:
    ...     list(csv.reader(f))
    [['shoe_id', 'km'], ['\\'=HYPERLINK("http://evil", "x")', '12.5'], ['S1', '-3.0']]
    """
    if not isinstance(frame, pd.DataFrame):
        raise ArgumentError(f"frame must be a pandas DataFrame; got {type(frame).__name__}.")
    path = Path(path)
    if format is None:
        format = FORMATS.get(path.suffix.lower())
        if format is None:
            raise ArgumentError(f"path must end in {', '.join(FORMATS)}; got {str(path)!r}.")
    check_choice("format", format, tuple(FORMATS.values()))
    writers: dict[str, Callable[[], None]] = {
        "csv": lambda: _csv_file(frame, path),
        "xlsx": lambda: _write_xlsx(frame, path, _sheet_name(sheet_name)),
        "parquet": lambda: frame.to_parquet(path, index=False),
    }
    writers[format]()
    return path


def _csv_file(frame: pd.DataFrame, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        _write_csv(frame, handle)
