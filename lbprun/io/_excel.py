"""Open an Excel workbook (.xlsx, .xlsm) as a table source, streaming and within limits.

Before openpyxl opens the workbook, every member of the zip container is checked against the
decompression limits of :mod:`lbprun.io._limits` (declared size and compression ratio), so a
small file that inflates to gigabytes is refused. The sheet is then streamed row by row with
openpyxl's read-only parser: only the cells present in the file are seen (a single cell at
XFD1048576, or a dimension of ``A1:XFD1048576``, costs nothing), each row is trimmed to the
header's width and empty rows are skipped. Formulas are read as their text, never evaluated.

Examples
--------
>>> import openpyxl, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
>>> book = openpyxl.Workbook()
>>> book.active.append(["runner_id", "lbp_12m"])
>>> book.active.append(["R1", "=1+1"])
>>> book.active["XFD1048576"] = "far away"
>>> book.save(path)
>>> src = open_excel(path, "t.xlsx", None)
>>> [(frame.values.tolist(), rows.tolist()) for frame, rows in src.chunks()]
[([['R1', '=1+1']], [2])]
"""

from __future__ import annotations

import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun.exceptions import DataReadError
from lbprun.io._formats import TableSource, describe
from lbprun.io._limits import check_zip_member

__all__ = ["open_excel"]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(value: Any) -> Any:
    """An Excel cell value as lbprun reads it: formulas stay formula text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "year") or hasattr(value, "total_seconds"):
        return value
    text = getattr(value, "text", None)  # ArrayFormula and DataTableFormula
    return str(text if text is not None else value)


def _check_members(path: Path, name: str) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                check_zip_member(info, name)
    except DataReadError:
        raise
    except Exception as error:  # BadZipFile, OSError, NotImplementedError, ...
        raise DataReadError(
            f"{name}: cannot be read as an Excel workbook ({describe(error)})."
        ) from None


def _rows(workbook: Any, worksheet: Any) -> tuple[list[Any], int, list[list[Any]], list[int]]:
    """Stream the present rows: the header, its row number, the data rows and their numbers."""
    from openpyxl.worksheet._reader import WorkSheetParser

    header: list[Any] = []
    header_row = 0
    width = 0
    rows: list[list[Any]] = []
    numbers: list[int] = []
    with worksheet._get_source() as stream:
        parser = WorkSheetParser(
            stream,
            worksheet._shared_strings,
            data_only=False,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            if not width:
                present = {c["column"]: c["value"] for c in cells if not _blank(c["value"])}
                if present:
                    width = max(present)
                    header = [present.get(i) for i in range(1, width + 1)]
                    header_row = number
                continue
            row: list[Any] = [None] * width
            filled = False
            for c in cells:
                column = c["column"]
                if column <= width and not _blank(c["value"]):
                    row[column - 1] = _cell(c["value"])
                    filled = True
            if filled:
                rows.append(row)
                numbers.append(number)
    return header, header_row, rows, numbers


def open_excel(path: Path, name: str, sheet: str | int | None) -> TableSource:
    """Open sheet ``sheet`` (name, 0-based index or None for the first) of a workbook."""
    import openpyxl

    _check_members(path, name)
    notes: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as error:
        raise DataReadError(
            f"{name}: cannot be read as an Excel workbook ({describe(error)})."
        ) from None
    try:
        names = workbook.sheetnames
        if not names:
            raise DataReadError(f"{name}: the workbook has no sheets.")
        if sheet is None:
            title = names[0]
        elif isinstance(sheet, int) and not isinstance(sheet, bool) and 0 <= sheet < len(names):
            title = names[sheet]
        elif sheet in names:
            title = str(sheet)
        else:
            raise DataReadError(f"{name}: no sheet {sheet!r}; sheets are {', '.join(names)}.")
        worksheet = workbook[title]
        if not hasattr(worksheet, "_get_source"):
            raise DataReadError(f"{name}: sheet {title!r} is not a worksheet (a chart sheet?).")
        with warnings.catch_warnings(record=True) as more:
            warnings.simplefilter("always")
            header, header_row, body, numbers = _rows(workbook, worksheet)
        caught = [*caught, *more]
    except DataReadError:
        raise
    except Exception as error:  # XML errors, unknown declared encodings, bad shared strings
        raise DataReadError(
            f"{name}: cannot be read as an Excel workbook ({describe(error)})."
        ) from None
    finally:
        workbook.close()
    for warning in caught:
        text = str(warning.message).splitlines()[0]
        note = f"{name}: {text}"
        if note not in notes and len(notes) < 5:
            notes.append(note)
    if not header:
        raise DataReadError(f"{name}: sheet {title!r} is empty.")
    names_row = [("" if v is None else str(_cell(v))).strip() for v in header]
    keep = [i for i, h in enumerate(names_row) if h]
    columns = [names_row[i] for i in keep]
    if not body:
        raise DataReadError(f"{name}: sheet {title!r} has a header but no data rows.")
    frame = pd.DataFrame([[row[i] for i in keep] for row in body], columns=columns, dtype=object)
    row_numbers = np.asarray(numbers, dtype=np.int64)
    if sheet is not None or len(names) > 1:
        notes.insert(0, f"{name}: read sheet {title!r}.")
    return TableSource(
        name,
        "xlsx",
        "excel",
        columns,
        lambda: iter([(frame, row_numbers)]),
        notes=notes,
        header_row=header_row,
    )
