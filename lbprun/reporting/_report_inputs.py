"""The inputs of a report: read and validated by lbprun's readers, counted and fingerprinted.

A report starts from a file (or a DataFrame, or a reader's
:class:`~lbprun.io.validate.ValidationReport`). Either way the rows go through the survey (or
training-log) reader with ``on_error="drop"``, so that what the report says about its data is
the reader's own record: rows read, kept, rejected (counted by reason, never listed) and
excluded, with ``rows_in == rows_kept + rows_rejected + rows_excluded``.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"runner_id": ["a", "b", "c"], "lbp_12m": ["yes", "no", "maybe"]})
>>> record = read_input(frame, "survey")
>>> record.rows_in, record.rows_kept, record.rows_rejected, record.reasons
(3, 2, 1, {'lbp_12m / dtype': 1})
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lbprun._checks import ArgumentError

__all__ = ["InputRecord", "read_input"]


@dataclass(frozen=True, kw_only=True, eq=False)
class InputRecord:
    """One input of a report: its kept rows and what happened to the others.

    Attributes
    ----------
    name : str
        The file name (without its folder), or ``"<DataFrame>"``.
    sha256 : str
        SHA-256 of the file's bytes; of the table's CSV text for a DataFrame.
    kind : str
        ``"survey"`` or ``"activities"``.
    rows_in, rows_kept, rows_rejected, rows_excluded : int
        The reader's counts (``rows_in == rows_kept + rows_rejected + rows_excluded``).
    reasons : dict of str to int
        Rejected rows per ``"column / check"`` (a row failing two checks counts under each).
    data : pandas.DataFrame
        The kept rows, typed.
    """

    name: str
    sha256: str
    kind: str
    rows_in: int
    rows_kept: int
    rows_rejected: int
    rows_excluded: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    data: pd.DataFrame = field(repr=False)


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reasons(failures: pd.DataFrame) -> dict[str, int]:
    if failures is None or not len(failures):
        return {}
    keyed = failures.assign(reason=failures["column"].astype(str) + " / " + failures["check"])
    counts = keyed.groupby("reason", sort=True)["row"].nunique(dropna=False)
    return {str(k): int(v) for k, v in counts.items()}


def read_input(
    source: Any,
    kind: str,
    *,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
) -> InputRecord:
    """Read ``source`` with lbprun's reader of ``kind`` (rows with a failure rejected).

    Parameters
    ----------
    source : str, pathlib.Path, pandas.DataFrame or ValidationReport
        A file, a table, or what a reader returned with ``on_error="drop"``.
    kind : {"survey", "activities"}
        The reader to use.
    columns, units : dict, optional
        The readers' ``columns=`` and ``units=``.

    Returns
    -------
    InputRecord
        The kept rows with the counts, reasons and fingerprint.

    Raises
    ------
    lbprun._checks.ArgumentError
        A source of another type.
    lbprun.exceptions.DataValidationError
        A table-level failure (a required column missing).
    """
    from lbprun.io import read as readers
    from lbprun.io.validate import ValidationReport

    if isinstance(source, ValidationReport):
        report = source
    elif isinstance(source, str | Path | pd.DataFrame):
        reader = getattr(readers, f"read_{kind}")
        report = reader(source, columns=columns, units=units, on_error="drop")
    else:
        raise ArgumentError(
            f"data must be a file path, a pandas DataFrame or a ValidationReport; got "
            f"{type(source).__name__}."
        )
    if report.data is None:
        raise ArgumentError(f"the {kind} ValidationReport holds no data (keep_data=False).")
    path = Path(str(report.source))
    if isinstance(source, str | Path) or (report.source != "<DataFrame>" and path.is_file()):
        name, digest = path.name, _file_hash(path)
    else:
        frame = source if isinstance(source, pd.DataFrame) else report.data
        name = "<DataFrame>"
        digest = hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
    return InputRecord(
        name=name,
        sha256=digest,
        kind=kind,
        rows_in=int(report.rows_in),
        rows_kept=int(report.rows_kept),
        rows_rejected=int(report.rows_rejected),
        rows_excluded=int(report.rows_excluded),
        reasons=_reasons(report.failure_cases),
        data=report.data,
    )
