"""Table output shared by the sub-commands: ``--out FILE`` and CSV on standard output.

Every table goes through :mod:`lbprun.io.write`, so formula-like text from the input (a runner
id, a group label) is escaped in CSV and XLSX and a carriage return never splits a row.

Examples
--------
>>> bad_out("table.xlsx", "prevalence")
False
>>> check_extension("table.txt", "--out")
Traceback (most recent call last):
...
lbprun.cli._config.UsageError: --out must end in .csv, .xlsx, .parquet; got 'table.txt'.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["add_out", "bad_out", "check_extension", "print_csv", "write_out"]


def add_out(parser: Any, what: str) -> None:
    """Add ``--out FILE`` (``.csv``, ``.xlsx`` or ``.parquet``) to a sub-command's parser."""
    parser.add_argument(
        "--out",
        metavar="FILE",
        help=f"also write {what} to FILE: .csv, .xlsx or .parquet by the extension "
        "(formula-like text escaped in .csv and .xlsx)",
    )


def check_extension(path: str | None, option: str) -> None:
    """Raise a usage error (exit code 2) when ``path`` has no table extension lbprun writes."""
    from lbprun.cli._config import UsageError
    from lbprun.io.write import FORMATS

    if path is not None and Path(path).suffix.lower() not in FORMATS:
        raise UsageError(f"{option} must end in {', '.join(FORMATS)}; got {path!r}.")


def bad_out(path: str | None, command: str) -> bool:
    """Print a usage error and return True when ``path`` has no known table extension."""
    from lbprun.io.write import FORMATS

    if path is None or Path(path).suffix.lower() in FORMATS:
        return False
    print(
        f"lbprun {command}: error: --out must end in {', '.join(FORMATS)}; got {path!r}.",
        file=sys.stderr,
    )
    return True


def write_out(table: pd.DataFrame, path: str, command: str, *, sheet_name: str) -> None:
    """Write ``table`` to ``path`` and say so on standard error."""
    from lbprun.io.write import write_table

    written = write_table(table, path, sheet_name=sheet_name)
    print(f"lbprun {command}: wrote {len(table)} rows to {written}", file=sys.stderr)


def print_csv(table: pd.DataFrame) -> None:
    """Print ``table`` as CSV on standard output (formula-like cells escaped)."""
    from lbprun.io.write import csv_text

    sys.stdout.write(csv_text(table))
