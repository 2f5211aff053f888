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

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice
from lbprun._progress import check_progress, progress_bar
from lbprun.exceptions import DataReadError, LbprunError
from lbprun.io._engine import CASE_COLUMNS, Run
from lbprun.io._formats import open_source
from lbprun.io._missing import (
    MissingTally,
    set_missing,
    split_missing,
    typed_missing_masks,
)
from lbprun.io._parse import missing_mask
from lbprun.io._validation_report import ValidationReport
from lbprun.io.schema import SCHEMAS

__all__ = ["ValidationReport", "validate"]

_TABLE_CHECKS = ("required_column", "one_of_required", "duplicate_column")


def validate(
    data: Any,
    kind: str,
    *,
    source: str | None = None,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    sheet: str | int | None = None,
    keep_data: bool = False,
    progress: bool | None = None,
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
    progress : bool or None, default=None
        Show a progress bar over the rows read and validated (tqdm, on standard error); None:
        only when standard error is a terminal and bars are not turned off
        (``lbprun.set_progress``, ``LBPRUN_PROGRESS=0``).

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
    does not grow with the file beyond 64-bit hashes of the key columns (about 32 bytes per
    distinct key, for duplicates across chunks). Date columns are first scanned over the whole file, so
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
        data,
        kind,
        name=source,
        columns=columns,
        units=units,
        sheet=sheet,
        keep_data=keep_data,
        progress=progress,
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
    on_error: str = "raise",
    progress: bool | None = None,
) -> ValidationReport:
    """Validate ``data`` and build the report (shared by :func:`validate` and the readers).

    ``fill`` adds constant columns that the source lacks (``{"runner_id": "R017"}`` for a
    single runner's own log); a source that has one of them is an ArgumentError.
    ``activity_types`` (normalised types) leaves out training-log rows of other types.
    ``on_error="missing"`` sets values that fail on their own to missing and keeps their row
    (see :mod:`lbprun.io._missing`); other modes reject every row with a failure.
    ``progress`` shows a bar over the data rows (see :func:`lbprun._progress.progress_bar`).
    """
    check_choice("kind", kind, tuple(SCHEMAS))
    progress = check_progress(progress)
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
    counted = [c.name for c in run.schema if run.names.count(c.name) == 1]
    tally = MissingTally(counted)
    label = f"read {Path(src.name).name}"  # the file name: the bar fits a narrow terminal
    bar = progress_bar(src.total_rows, desc=label, unit="row", enabled=progress)
    try:
        with bar:
            run.prescan()
            for raw, rows in src.chunks():
                if not keep_data:
                    tally.add_frame(raw, np.asarray(rows), _raw_missing(raw, run, counted))
                parts.append(run.process(raw, rows))
                bar.update(len(raw))
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
    emptied = cases.iloc[:0]
    if on_error == "missing" and not table_level.any():
        bad_rows, emptied = split_missing(cases, run.schema, run.use_names)
    else:
        bad_rows = np.unique(cases.loc[~table_level, "row"].dropna().to_numpy(dtype=np.int64))
    rows_rejected = run.rows_in if table_level.any() else len(bad_rows)
    reasons = (
        cases.assign(reason=cases["column"].astype(str) + ": " + cases["message"].astype(str))
        .groupby("row")["reason"]
        .agg("; ".join)
    )
    table_reason = "; ".join(cases.loc[table_level, "message"].astype(str))
    data_out, rejected, set_counts = _split(
        run, bad_rows, reasons, table_reason, data, emptied, tally, cases
    )
    missing = tally.table()
    if set_counts:
        run.notes.append(
            f"{sum(set_counts.values())} invalid value(s) set to missing and their rows kept "
            f"({', '.join(f'{c} {n}' for c, n in set_counts.items())}); see set_missing."
        )
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
    unknown = sorted({target for target in run.rename.values() if target not in run.schema.names})
    if unknown:
        run.notes.append(
            f"column(s) {', '.join(map(repr, unknown))} named by columns= are not lbprun "
            f"columns of a {kind} table: kept as read, not validated."
        )
    recoded = [
        f"{column}: values in {unit} converted to {run.schema[column].unit}."
        for column, unit in run.units.items()
    ] + list(getattr(run, "recoded", []))
    counts = cases.groupby(["column", "check"], sort=False).size().rename("failures").reset_index()
    rejected_cases = cases[cases["row"].isin(bad_rows) | table_level]
    rejected_checks = {
        f"{column} / {check}": int(n)
        for (column, check), n in rejected_cases.groupby(["column", "check"], sort=False)
        .size()
        .items()
    }
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
        missing=missing,
        rows_with_missing=int(missing.attrs.get("rows_with_missing", 0)),
        set_missing=emptied[CASE_COLUMNS].reset_index(drop=True),
        values_set_missing=dict(set_counts),
        recoded=tuple(recoded),
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
            "rejected_checks": rejected_checks,
            "values_set_missing": dict(set_counts),
            "missing": dict(zip(missing["column"], missing["missing"].tolist(), strict=True)),
            "recoded": list(recoded),
        }
    return report


def _split(
    run: Run,
    bad_rows: np.ndarray,
    reasons: pd.Series,
    table_reason: str,
    source: Any,
    emptied: pd.DataFrame,
    tally: MissingTally,
    cases: pd.DataFrame,
) -> tuple[pd.DataFrame | None, pd.DataFrame, Counter]:
    """Split the kept typed rows into valid data and rejected rows (with reasons).

    With kept data, the missing values are counted here (over every row validated) and the
    values of ``emptied`` set to missing; returns the counts of values set to missing.
    """
    set_counts: Counter[str] = Counter()
    raw_parts = [r for r in run.rejected_raw if len(r)]
    rejected = pd.concat(raw_parts, ignore_index=True) if raw_parts else pd.DataFrame()
    if len(emptied) and len(rejected) and not table_reason:  # rows kept with values emptied
        rejected = rejected[rejected["_row"].isin(bad_rows)]
    data = None
    if run.keep_data:
        typed = pd.concat(run.kept, ignore_index=True) if run.kept else pd.DataFrame()
        if len(typed):
            rows = typed["_row"].to_numpy()
            tally.add_frame(typed, rows, typed_missing_masks(typed, cases, tally.columns))
            typed, set_counts = set_missing(typed, emptied)
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
    if len(rejected):
        rejected = rejected.sort_values("_row", kind="stable").reset_index(drop=True)
        why = rejected["_row"].map(reasons).astype(object).fillna("")
        if table_reason:
            why = (table_reason + "; " + why).str.rstrip("; ")
        rejected.insert(0, "row", rejected.pop("_row").astype("Int64"))
        rejected["reasons"] = why.to_numpy()
    else:
        rejected = pd.DataFrame(columns=["row", *run.use_names, "reasons"])
    return data, rejected, set_counts


def _raw_missing(raw: pd.DataFrame, run: Run, counted: list[str]) -> dict[str, np.ndarray]:
    """Per counted column, True where a raw value is missing (blank, NaN or an NA token)."""
    width = raw.shape[1]
    masks = {}
    for name in counted:
        position = run.names.index(name)
        if position < width:
            mask = missing_mask(raw.iloc[:, position])
            if mask.any():
                masks[name] = mask
    return masks
