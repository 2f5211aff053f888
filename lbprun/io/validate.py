"""Lazy validation of runner tables against the column dictionary.

:func:`validate` reads a source (a path or a DataFrame), checks it against one table kind of
:mod:`lbprun.io.schema` and returns a :class:`ValidationReport` that lists every failure; it never
raises for data problems. The readers of :mod:`lbprun.io.read` run the same checks and raise one
:class:`~lbprun.exceptions.DataValidationError` (or drop the bad rows) instead.

Checks: required columns (and at least one LBP outcome for surveys); no duplicated column
names; the field count of every text row (``field_count``, named by its line); types (text in a numeric
column names the value); plausible ranges; pace of a run; dates in one format per column; start
before end; onset inside follow-up; recovery after onset and no overlapping episodes; duplicate
runner ids; the same run recorded twice; unknown categories with a suggestion. Distances that look
like miles raise a :class:`~lbprun.exceptions.DataQualityWarning`.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"runner_id": ["a", "b"], "lbp_12m": ["yes", "maybe"], "age": [30, 150]})
>>> report = validate(frame, "survey")
>>> report.ok, report.rows_in, report.rows_rejected
(False, 2, 1)
>>> report.failure_cases[["row", "column", "check"]].to_dict("records")
[{'row': 1, 'column': 'lbp_12m', 'check': 'dtype'}, {'row': 1, 'column': 'age', 'check': 'in_range'}]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice
from lbprun._result import Result, to_jsonable
from lbprun.exceptions import DataReadError, DataValidationError, LbprunError
from lbprun.io._engine import CASE_COLUMNS, Run
from lbprun.io._formats import open_source
from lbprun.io.schema import SCHEMAS

__all__ = ["ValidationReport", "validate"]

_TABLE_CHECKS = ("required_column", "one_of_required", "duplicate_column")
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
    _private_fields: tuple[str, ...] = field(
        default=("data", "rejected", "failure_cases"), repr=False
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
        """Return up to ``n`` failures as ``"file, row R, column, value: message"`` lines."""
        lines = []
        for case in self.failure_cases.head(n).itertuples(index=False):
            row = "header" if pd.isna(case.row) else f"row {case.row}"
            value = "" if case.value is None or _isna(case.value) else f", {case.value!r}"
            lines.append(f"{case.source}, {row}, {case.column}{value}: {case.message}")
        return lines

    def summary(self, max_examples: int = 20) -> str:
        """Return the report as text: counts, failures per column and check, examples, notes."""
        lines = [
            self._title(),
            f"rows in: {self.rows_in}; valid: {self.rows_kept}; rejected: {self.rows_rejected}",
        ]
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
        """Return a JSON-safe dictionary (failure cases capped at ``max_failures``)."""
        out = super().to_dict()
        out["ok"] = self.ok
        cases = (
            self.failure_cases if max_failures is None else self.failure_cases.head(max_failures)
        )
        out["n_failures"] = len(self.failure_cases)
        out["failure_cases"] = to_jsonable(cases.astype(object).where(cases.notna(), None))
        return out

    def to_error(self) -> DataValidationError:
        """Return the :class:`~lbprun.exceptions.DataValidationError` describing the failures."""
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
        """Bar chart of failures per column and check; returns the Axes."""
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


def validate(
    data: Any,
    kind: str,
    *,
    source: str | None = None,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    keep_data: bool = False,
) -> ValidationReport:
    """Validate a table against the column dictionary and report every problem.

    Parameters
    ----------
    data : str, pathlib.Path or pandas.DataFrame
        A file (CSV/TSV/TXT, .xlsx, .parquet, .dta, .sav) or a DataFrame.
    kind : {"survey", "activities", "cohort", "episodes"}
        The table kind of :data:`lbprun.io.schema.SCHEMAS`.
    source : str or None, default=None
        Name shown in messages instead of the path (or ``"<DataFrame>"``).
    columns : dict or None, default=None
        Renaming ``{name in source: lbprun name}``; headers equal to an lbprun name once
        lower-cased with spaces as ``_`` are matched without it.
    units : dict or None, default=None
        Units of the source ``{lbprun column: unit}``, e.g. ``{"distance_km": "mi"}``.
    sheet : str, int or None, default=None
        Excel sheet (name or 0-based index); the first sheet by default.
    keep_data : bool, default=False
        Keep the typed valid rows in ``report.data``. Files are read in chunks, so without it
        memory stays bounded whatever the file size.

    Returns
    -------
    ValidationReport
        ``ok``, the counts, ``failure_cases``, ``rejected`` and, with ``keep_data``, ``data``.

    Raises
    ------
    lbprun.exceptions.DataReadError
        A file that cannot be read at all (empty, header only, corrupt, truncated).
    lbprun._checks.ArgumentError
        An unknown ``kind``, a ``columns`` key not in the source, or an unknown unit.

    Notes
    -----
    Validation is lazy, as in pandera's ``lazy=True`` (which runs the range and missing-value
    checks): every failure is collected before anything is reported.

    CSV and Parquet files are read in chunks (``lbprun.io._formats.CHUNK_ROWS`` rows), so memory
    does not grow with the file beyond 64-bit hashes of the key columns (about 16 bytes per
    row, for duplicates across chunks). Date columns are first scanned over the whole file, so
    a chunked file gets the same date format, failures and rows as a file read in one piece.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": ["a", "a"], "date": ["2025-01-06", "2025-01-06"],
    ...                      "distance_km": [10.0, 10.0], "duration_min": [55.0, 55.0]})
    >>> report = validate(runs, "activities")
    >>> report.failure_cases["check"].tolist()
    ['duplicate_run']
    """
    return run_validation(
        data, kind, name=source, columns=columns, units=units, sheet=sheet, keep_data=keep_data
    )


def run_validation(
    data: Any,
    kind: str,
    *,
    name: str | None = None,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    keep_data: bool = True,
    fmt: str | None = None,
    fill: Mapping[str, Any] | None = None,
    activity_types: set[str] | None = None,
) -> ValidationReport:
    """Validate ``data`` and build the report (shared by :func:`validate` and the readers).

    ``fill`` adds constant columns that the source lacks (``{"runner_id": "R017"}`` for a
    single runner's own log); a source that has one of them is an ArgumentError.
    ``activity_types`` (normalised types) leaves out training-log rows of other types.
    """
    check_choice("kind", kind, tuple(SCHEMAS))
    if not isinstance(data, pd.DataFrame | str | Path):
        raise ArgumentError(
            f"data must be a path or a pandas DataFrame; got {type(data).__name__}."
        )
    src = open_source(data, sheet=sheet)
    if name is not None:
        src.name = str(name)
    if fmt is not None:
        src.fmt = fmt
    run = Run(
        src,
        kind,
        columns=columns,
        units=units,
        keep_data=keep_data,
        fill=fill,
        activity_types=activity_types,
    )
    parts = [run.table_failures()]
    try:
        run.prescan()
        for raw, rows in src.chunks():
            parts.append(run.process(raw, rows))
        parts.append(run.finish())
    except (LbprunError, ArgumentError):
        raise
    except Exception as error:  # a value no converter expected: name the file, not a crash
        detail = str(error).strip().splitlines()
        raise DataReadError(
            f"{src.name}: cannot be read ({type(error).__name__}"
            f"{': ' + detail[0] if detail else ''})."
        ) from error
    nonempty = [p for p in parts if len(p)]
    cases = (
        pd.concat(nonempty, ignore_index=True)
        if nonempty
        else pd.DataFrame({c: pd.Series(dtype=object) for c in CASE_COLUMNS})
    )
    cases = cases.astype({"row": "Int64", "runner_id": "string"})
    cases["value"] = cases["value"].astype(object).where(cases["value"].notna(), None)
    rank = {name: i for i, name in enumerate(run.names)}
    rank.setdefault("date", rank.get("start_time", -1))
    cases["_rank"] = cases["column"].map(rank).fillna(-1)
    cases = (
        cases.sort_values(["row", "_rank", "check"], kind="stable", na_position="first")
        .drop(columns="_rank")
        .reset_index(drop=True)
    )
    table_level = cases["check"].isin(_TABLE_CHECKS).to_numpy()
    bad_rows = np.unique(cases.loc[~table_level, "row"].dropna().to_numpy(dtype=np.int64))
    rows_rejected = run.rows_in if table_level.any() else len(bad_rows)
    reasons = (
        cases.assign(reason=cases["column"].astype(str) + ": " + cases["message"].astype(str))
        .groupby("row")["reason"]
        .agg("; ".join)
    )
    table_reason = "; ".join(cases.loc[table_level, "message"].astype(str))
    data_out, rejected = _split(run, bad_rows, reasons, table_reason, data)
    excluded = sum(run.excluded.values())
    if excluded:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(run.excluded.items()))
        run.notes.append(
            f"{excluded} row(s) of other activity types left out ({kinds}); "
            "pass activity_types=None to keep every activity."
        )
    if run.rename:
        run.notes.append(
            "renamed columns: " + ", ".join(f"{a!r} -> {b!r}" for a, b in run.rename.items()) + "."
        )
    counts = cases.groupby(["column", "check"], sort=False).size().rename("failures").reset_index()
    report = ValidationReport(
        table=counts,
        notes=tuple(run.notes),
        kind=kind,
        source=src.name,
        row_kind=src.row_kind,
        rows_in=run.rows_in + excluded,
        rows_kept=run.rows_in - rows_rejected,
        rows_rejected=rows_rejected,
        rows_excluded=excluded,
        excluded_types=dict(run.excluded),
        failure_cases=cases[CASE_COLUMNS],
        data=data_out,
        rejected=rejected,
        renamed=dict(run.rename),
        units=dict(run.units),
    )
    if data_out is not None:
        data_out.attrs["lbprun"] = {
            "source": src.name,
            "kind": kind,
            "format": src.fmt,
            "renamed": dict(run.rename),
            "units": dict(run.units),
            "notes": list(run.notes),
            "rows_in": run.rows_in + excluded,
            "rows_rejected": rows_rejected,
            "rows_excluded": excluded,
        }
    return report


def _split(
    run: Run, bad_rows: np.ndarray, reasons: pd.Series, table_reason: str, source: Any
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Split the kept typed rows into valid data and rejected rows (with reasons)."""
    raw_parts = [r for r in run.rejected_raw if len(r)]
    rejected = pd.concat(raw_parts, ignore_index=True) if raw_parts else pd.DataFrame()
    data = None
    if run.keep_data:
        typed = pd.concat(run.kept, ignore_index=True) if run.kept else pd.DataFrame()
        is_bad = np.isin(typed["_row"].to_numpy(), bad_rows) if len(typed) else np.zeros(0, bool)
        if table_reason:
            is_bad[:] = True
        known = set(rejected["_row"]) if len(rejected) else set()
        extra = typed[is_bad & ~typed["_row"].isin(known).to_numpy()]
        if len(extra):
            rejected = pd.concat([rejected, extra.astype(object)], ignore_index=True)
        data = typed[~is_bad]
        if isinstance(source, pd.DataFrame):
            data.index = source.index[data["_row"].to_numpy()]
        else:
            data = data.reset_index(drop=True)
        data = data.drop(columns="_row")
        data = data.copy()
    if len(rejected):
        rejected = rejected.sort_values("_row", kind="stable").reset_index(drop=True)
        why = rejected["_row"].map(reasons).astype(object).fillna("")
        if table_reason:
            why = (table_reason + "; " + why).str.rstrip("; ")
        rejected.insert(0, "row", rejected.pop("_row").astype("Int64"))
        rejected["reasons"] = why.to_numpy()
    else:
        rejected = pd.DataFrame(columns=["row", *run.use_names, "reasons"])
    return data, rejected
