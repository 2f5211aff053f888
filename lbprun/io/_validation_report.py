"""The validation report: counts, failures, missing values, valid and rejected rows.

:class:`ValidationReport` is what :func:`lbprun.io.validate.validate` returns and what the
readers return with ``on_error="drop"`` or ``"missing"``.

Examples
--------
>>> import pandas as pd
>>> from lbprun.io.validate import validate
>>> report = validate(pd.DataFrame({"runner_id": ["a"], "lbp_12m": ["yes"]}), "survey")
>>> report.summary().splitlines()[:2]
['ValidationReport: <DataFrame> (survey) is valid', 'rows in: 1; valid: 1; rejected: 0']
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lbprun._result import Result, to_jsonable
from lbprun.exceptions import DataValidationError
from lbprun.io._engine import CASE_COLUMNS
from lbprun.io._missing import empty_missing_table

__all__ = ["ValidationReport"]

_ROW_WORDS = {
    "line": "rows are file lines (the header is line 1)",
    "excel": "rows are spreadsheet rows",
    "record": "rows are 1-based record numbers",
    "position": "rows are 0-based positions in the DataFrame",
}


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ValidationReport(Result):
    """The outcome of validating one table: counts, every failure, the valid and rejected rows.

    Unpacks as ``data, rejected = report``.

    Parameters
    ----------
    table : pandas.DataFrame
        Failures counted per column and check: ``column, check, failures``.
    notes : tuple of str
        Reading notes (encoding fallback, delimiter, ambiguous dates, renamed columns).
    kind : str
        Table kind (``survey``, ``activities``, ``cohort``, ``episodes``).
    source : str
        The file as given, or ``"<DataFrame>"``.
    row_kind : str
        How ``row`` counts: ``line``, ``excel``, ``record`` or ``position``.
    rows_in, rows_kept, rows_rejected, rows_excluded : int
        Rows read, rows that passed, rows with at least one failure, rows left out as another
        activity type than those kept (training logs read with ``activity_types=``);
        ``rows_in == rows_kept + rows_rejected + rows_excluded``. A table-level failure (a
        missing column) rejects every row.
    excluded_types : dict of str to int
        Rows left out per normalised activity type.
    failure_cases : pandas.DataFrame
        One row per failure: ``source, row, runner_id, column, check, value, message``.
    data : pandas.DataFrame or None
        The valid rows, typed, when kept (readers; ``validate(..., keep_data=True)``).
    rejected : pandas.DataFrame
        The rejected rows as read (``row``, the columns, ``reasons``).
    renamed : dict
        Columns renamed ``{name in source: lbprun name}``.
    units : dict
        Unit conversions applied ``{column: unit}``.
    missing : pandas.DataFrame
        Values missing in the source (blank, ``NA``, ``n/a``, ``.``, NaN), per column of the
        table kind: ``column, missing, percent, rows`` (the first rows affected). Missing is
        not a failure where a column allows it, but it is counted.
    rows_with_missing : int
        Rows with at least one missing value in a column of the table kind.
    set_missing : pandas.DataFrame
        With ``on_error="missing"``: the failures whose value was set to missing, their rows
        kept (same columns as ``failure_cases``).
    values_set_missing : dict of str to int
        Values set to missing per column (``on_error="missing"``).
    recoded : tuple of str
        Values changed on reading: unit conversions, values read from a unit suffix.
    """

    kind: str
    source: str
    row_kind: str = "position"
    rows_in: int = 0
    rows_kept: int = 0
    rows_rejected: int = 0
    rows_excluded: int = 0
    excluded_types: dict[str, int] = field(default_factory=dict)
    failure_cases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CASE_COLUMNS))
    data: pd.DataFrame | None = None
    rejected: pd.DataFrame | None = None
    renamed: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    missing: pd.DataFrame = field(default_factory=empty_missing_table)
    rows_with_missing: int = 0
    set_missing: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CASE_COLUMNS))
    values_set_missing: dict[str, int] = field(default_factory=dict)
    recoded: tuple[str, ...] = ()
    _private_fields: tuple[str, ...] = field(
        default=("data", "rejected", "failure_cases", "set_missing"), repr=False
    )

    @property
    def ok(self) -> bool:
        """True when there is no failure at all."""
        return len(self.failure_cases) == 0

    def __iter__(self) -> Iterator[pd.DataFrame | None]:
        return iter((self.data, self.rejected))

    def _title(self) -> str:
        status = "valid" if self.ok else "INVALID"
        return f"ValidationReport: {self.source} ({self.kind}) is {status}"

    def examples(self, n: int = 5) -> list[str]:
        """Return up to ``n`` failures as ``"file, row R, column, value: message"`` lines.

        Parameters
        ----------
        n : int, default=5
            The most failures to show (the first ones).

        Returns
        -------
        list of str
            One line per failure (``header`` for the row of a table-level failure).
        """
        lines = []
        for case in self.failure_cases.head(n).itertuples(index=False):
            row = "header" if pd.isna(case.row) else f"row {case.row}"
            value = "" if case.value is None or _isna(case.value) else f", {case.value!r}"
            lines.append(f"{case.source}, {row}, {case.column}{value}: {case.message}")
        return lines

    def summary(self, max_examples: int = 20) -> str:
        """Return the report as text: counts, failures per column and check, examples, notes.

        Parameters
        ----------
        max_examples : int, default=20
            The most failures shown as examples.

        Returns
        -------
        str
            The report, one item per line (never printed).
        """
        lines = [
            self._title(),
            f"rows in: {self.rows_in}; valid: {self.rows_kept}; rejected: {self.rows_rejected}",
        ]
        if self.values_set_missing:
            emptied = int(self.set_missing["row"].nunique())
            lines[1] = (
                f"rows in: {self.rows_in}; kept: {self.rows_kept} ({emptied} with invalid values "
                f"set to missing); rejected: {self.rows_rejected}"
            )
        if self.rows_excluded:
            kinds = ", ".join(f"{k} {n}" for k, n in sorted(self.excluded_types.items()))
            what = "other activity types" + (
                ", duplicates" if "duplicate" in self.excluded_types else ""
            )
            lines.append(f"excluded ({what}): {self.rows_excluded} ({kinds})")
        if self.renamed:
            lines.append(
                "renamed: " + ", ".join(f"{a!r} -> {b!r}" for a, b in self.renamed.items())
            )
        if self.units:
            lines.append("units: " + ", ".join(f"{c} from {u}" for c, u in self.units.items()))
        if len(self.missing):
            lines.append(
                f"missing values (blank or NA in the source): {self.rows_with_missing} row(s) "
                "with at least one; per column:"
            )
            lines += [
                f"  {r.column}: {r.missing} ({r.percent:.1f}%), rows {r.rows}"
                for r in self.missing.itertuples()
            ]
        else:
            lines.append("missing values: none")
        if self.values_set_missing:
            lines.append(
                "invalid values set to missing (rows kept): "
                + ", ".join(f"{c} {n}" for c, n in self.values_set_missing.items())
            )
        if not self.ok:
            lines.append(f"failures by column and check ({len(self.failure_cases)} in all):")
            lines += [f"  {r.column} / {r.check}: {r.failures}" for r in self.table.itertuples()]
            shown = min(max_examples, len(self.failure_cases))
            lines.append(
                f"examples (file, row, column, value), {shown} of "
                f"{len(self.failure_cases)}; {_ROW_WORDS[self.row_kind]}:"
            )
            lines += [f"  {line}" for line in self.examples(max_examples)]
        if self.notes:
            lines.append("Notes:")
            lines += [f"[{i}] {note}" for i, note in enumerate(self.notes, start=1)]
        return "\n".join(lines)

    def to_dict(self, max_failures: int | None = 1000) -> dict[str, Any]:
        """Return a JSON-safe dictionary of the report.

        Parameters
        ----------
        max_failures : int or None, default=1000
            The most failure cases listed; None lists them all.

        Returns
        -------
        dict
            The fields of :meth:`Result.to_dict`, ``ok``, ``n_failures`` (all of them),
            ``set_missing`` and ``failure_cases`` (capped at ``max_failures``).
        """
        out = super().to_dict()
        out["ok"] = self.ok
        cases = (
            self.failure_cases if max_failures is None else self.failure_cases.head(max_failures)
        )
        out["n_failures"] = len(self.failure_cases)
        out["set_missing"] = to_jsonable(
            self.set_missing.astype(object).where(self.set_missing.notna(), None)
        )
        out["failure_cases"] = to_jsonable(cases.astype(object).where(cases.notna(), None))
        return out

    def to_error(self) -> DataValidationError:
        """Return the :class:`~lbprun.exceptions.DataValidationError` describing the failures.

        Returns
        -------
        lbprun.exceptions.DataValidationError
            Failures counted per column and check and up to five examples in the message;
            ``failure_cases`` a copy of the report's. It is returned, not raised.
        """
        counts = "\n".join(
            f"  {r.column} / {r.check}: {r.failures}" for r in self.table.itertuples()
        )
        examples = "\n".join(f"  {line}" for line in self.examples(5))
        message = (
            f"{self.source}: {self.kind} data failed validation with "
            f"{len(self.failure_cases)} failure(s) in {self.rows_rejected} of {self.rows_in} "
            f"rows.\nFailures by column and check:\n{counts}\n"
            f"Examples (file, row, column, value; {_ROW_WORDS[self.row_kind]}):\n{examples}"
        )
        return DataValidationError(message, self.failure_cases.copy())

    def plot(self, ax: Any = None) -> Any:
        """Bar chart of failures per column and check.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 0.4 * max(len(self.table), 2) + 1))
        labels = [f"{r.column} / {r.check}" for r in self.table.itertuples()]
        ax.barh(labels, self.table["failures"].to_numpy())
        ax.set_xlabel("failures")
        ax.set_title(f"{self.source}: {self.rows_rejected} of {self.rows_in} rows rejected")
        ax.invert_yaxis()
        return ax


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False
