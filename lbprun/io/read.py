"""Read and validate runner tables: surveys, training logs, cohorts and LBP episodes.

Each reader takes a path (CSV/TSV/TXT, .xlsx, .parquet, .dta, .sav) or a DataFrame, maps column
names and units onto the column dictionary (:mod:`lbprun.io.schema`), converts every column to
its type, checks every rule lazily, and returns the typed DataFrame with its provenance in
``data.attrs["lbprun"]``. Problems raise one :class:`~lbprun.exceptions.DataValidationError`
listing them all, or, with ``on_error="drop"``, come back as rejected rows with their reasons.

Text files: the delimiter (``,`` ``;`` tab ``|``), a decimal comma and the encoding (UTF-8,
UTF-8/UTF-16/UTF-32 with a BOM, UTF-16 without one, else cp1252/latin-1 with a note) are
detected; ``\\n``, ``\\r\\n`` and old Mac ``\\r`` line ends are all read; gzip, bz2, xz and
zstd files (recognised by their leading bytes, whatever the name) are decompressed as a stream
within size and ratio limits, and a compressed .xlsx/.parquet/.dta/.sav is read through the codec. A row with more or fewer fields than
the header is a row failure (check ``field_count``, column ``(row)``) naming its line, never
padded or shifted; only when every data row ends in one extra, empty field is that trailing
delimiter ignored, with a note. Excel sheets are streamed (only the cells present are read,
trimmed to the header's width) after every part of the workbook is checked against the
decompression limits. Parquet columns holding nested values or dates outside 1677-2262, SPSS
value labels giving two codes one label, and any file a library underneath cannot parse raise a
:class:`~lbprun.exceptions.DataReadError` naming the file (and the column and record where
known). Nothing is ever evaluated: an Excel formula is read as its text, and
:func:`write_rejected` escapes cells starting with ``= + - @`` so that no formula is written
back. See ``docs/reading_files.md``.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"Runner ID": ["r1", "r2"], "LBP 12m": ["yes", "no"],
...                       "weekly_km": [20, 25]})
>>> survey = read_survey(frame, units={"weekly_km": "mi"})
>>> survey.attrs["lbprun"]["renamed"]
{'Runner ID': 'runner_id', 'LBP 12m': 'lbp_12m'}
>>> survey["weekly_km"].round(2).tolist(), survey["lbp_12m"].tolist()
([32.19, 40.23], [True, False])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from lbprun._checks import ArgumentError, check_choice
from lbprun.exceptions import DataReadError
from lbprun.io import _limits
from lbprun.io._activity_types import kept_types
from lbprun.io._watch_bytes import WATCH_FILE_SUFFIXES
from lbprun.io.validate import ValidationReport, run_validation

__all__ = [
    "escape_formula",
    "read_activities",
    "read_cohort",
    "read_episodes",
    "read_survey",
    "write_rejected",
]

_WATCH_SUFFIXES = (".zip", *WATCH_FILE_SUFFIXES)

_DOC_PARAMETERS = """
    Parameters
    ----------
    source : str, pathlib.Path or pandas.DataFrame
        A file (CSV/TSV/TXT, .xlsx, .parquet, .dta, .sav) or a DataFrame.
    columns : dict or None, default=None
        Renaming ``{{name in source: lbprun name}}``. Headers equal to an lbprun name once
        lower-cased with spaces and punctuation as ``_`` (``"Runner ID"``) need no entry; what
        was renamed is in ``attrs["lbprun"]["renamed"]``.
    units : dict or None, default=None
        Units of the source ``{{lbprun column: unit}}``, converted to lbprun's units, e.g.
        ``{{"distance_km": "mi", "duration_min": "h"}}`` (see ``schema.UNIT_FACTORS``).
    on_error : {{"raise", "drop", "missing"}}, default="raise"
        ``"raise"``: any failure raises one DataValidationError. ``"drop"``: return a
        :class:`~lbprun.io.validate.ValidationReport` that unpacks as ``data, rejected``,
        every row with a failure rejected. ``"missing"``: the same report, but a value that
        fails on its own (wrong type, out of range, unknown category, implausible pace) is
        set to missing and its row kept (``report.set_missing``, a note); failures of the row
        as a whole (field count, duplicates, dates out of order or outside follow-up, a
        required value missing, any failure of ``runner_id``) still reject it.
    sheet : str, int or None, default=None
        Excel sheet (name or 0-based index); the first by default.
{extra}    progress : bool or None, default=None
        Show a progress bar over the rows read and validated (tqdm, on standard error); None:
        only when standard error is a terminal and bars are not turned off
        (``lbprun.set_progress``, ``LBPRUN_PROGRESS=0``).

    Returns
    -------
    pandas.DataFrame or ValidationReport
        The typed table (string ids, float, nullable boolean, categories with the allowed
        labels, datetime64 dates; other columns untouched) with ``attrs["lbprun"]`` (source,
        kind, format, renamed, units, notes, rows_in). With ``on_error="drop"`` the report,
        whose ``data`` holds the valid rows and ``rejected`` every other row with its reasons
        (``rows_in == rows_kept + rows_rejected + rows_excluded``; only training logs read
        with ``activity_types=`` exclude rows).

    Raises
    ------
    lbprun.exceptions.DataValidationError
        Any failure (``on_error="raise"``), or a missing column (either mode). Its
        ``failure_cases`` has ``source, row, runner_id, column, check, value, message``; ``row``
        is the file line (header = line 1), the Excel row, the 1-based record of Parquet,
        Stata and SPSS files, or the 0-based position in a DataFrame.
    lbprun.exceptions.DataReadError
        A file that cannot be read (empty, header only, corrupt, truncated).
"""


def _read(
    source: Any,
    kind: str,
    *,
    columns: Mapping[str, str] | None,
    units: Mapping[str, str] | None,
    on_error: str,
    sheet: str | int | None,
    name: str | None = None,
    fmt: str | None = None,
    fill: Mapping[str, Any] | None = None,
    activity_types: set[str] | None = None,
    progress: bool | None = None,
) -> pd.DataFrame | ValidationReport:
    check_choice("on_error", on_error, ("raise", "drop", "missing"))
    report = run_validation(
        source,
        kind,
        name=name,
        columns=columns,
        units=units,
        sheet=sheet,
        keep_data=True,
        fmt=fmt,
        fill=fill,
        activity_types=activity_types,
        on_error=on_error,
        progress=progress,
    )
    table_level = report.failure_cases["check"].isin(
        ("required_column", "one_of_required", "duplicate_column")
    )
    if on_error == "raise" and not report.ok or table_level.any():
        raise report.to_error()
    if on_error in ("drop", "missing"):
        return report
    return report.data


def read_survey(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    on_error: str = "raise",
    sheet: str | int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame | ValidationReport:
    """Read and validate a cross-sectional runner survey (one row per runner).
    {parameters}

    Notes
    -----
    At least one LBP outcome (``lbp_point``, ``lbp_12m``, ``lbp_lifetime``) is required and
    ``runner_id`` must be unique.

    Examples
    --------
    >>> import pandas as pd
    >>> read_survey(pd.DataFrame({"runner_id": ["a"], "lbp_12m": ["si"]}))["lbp_12m"].tolist()
    [True]
    """
    return _read(
        source,
        "survey",
        columns=columns,
        units=units,
        on_error=on_error,
        sheet=sheet,
        progress=progress,
    )


def read_cohort(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    on_error: str = "raise",
    sheet: str | int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame | ValidationReport:
    """Read and validate a cohort (one row per runner followed over time).
    {parameters}

    Notes
    -----
    ``start_date <= end_date`` and a first LBP onset inside ``[start_date, end_date]``.

    Examples
    --------
    >>> import pandas as pd
    >>> cohort = read_cohort(pd.DataFrame({"runner_id": ["a"], "start_date": ["06/01/2025"],
    ...                                    "end_date": ["31/12/2025"], "lbp_onset_date": [""]}))
    >>> cohort["end_date"].dt.strftime("%Y-%m-%d").tolist()
    ['2025-12-31']
    """
    return _read(
        source,
        "cohort",
        columns=columns,
        units=units,
        on_error=on_error,
        sheet=sheet,
        progress=progress,
    )


def read_episodes(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    on_error: str = "raise",
    sheet: str | int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame | ValidationReport:
    """Read and validate LBP episodes (one row per episode of a runner).
    {parameters}

    Notes
    -----
    ``onset_date <= recovery_date`` and a runner's episodes do not overlap: an episode starts
    on or after the recovery date of the one before, and an unresolved episode is the last.

    Examples
    --------
    >>> import pandas as pd
    >>> episodes = pd.DataFrame({"runner_id": ["a", "a"], "onset_date": ["2025-02-01",
    ...                          "2025-03-01"], "recovery_date": ["2025-02-10", ""]})
    >>> read_episodes(episodes)["recovery_date"].isna().tolist()
    [False, True]
    """
    return _read(
        source,
        "episodes",
        columns=columns,
        units=units,
        on_error=on_error,
        sheet=sheet,
        progress=progress,
    )


def read_activities(
    source: Any,
    *,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    on_error: str = "raise",
    sheet: str | int | None = None,
    runner_id: str | None = None,
    activity_types: Iterable[str] | None = ("run",),
    strict: bool = False,
    progress: bool | None = None,
) -> pd.DataFrame | ValidationReport:
    """Read and validate a training log (one row per run).
    {parameters}

    Notes
    -----
    A ``date`` or a ``start_time`` column is required (``date`` is then the local date of
    ``start_time``). The pace ``duration_min / distance_km`` must lie in
    ``schema.PACE_MIN_PER_KM``; the same run twice (runner, date, start time, distance and
    duration) is an error; distances that look like miles give a DataQualityWarning.
    A folder, a .zip, a .gpx or a .fit file is read by
    ``lbprun.io.wearables.read_watch_export`` (the ``[watch]`` extra) and then validated.

    Examples
    --------
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": ["a"], "start_time": ["2025-03-01T07:30:00+01:00"],
    ...                      "distance_km": [10.0], "duration_min": [0.9]})
    >>> out = read_activities(runs, units={"duration_min": "h"})
    >>> out["date"].dt.strftime("%Y-%m-%d").tolist(), out["duration_min"].tolist()
    (['2025-03-01'], [54.0])
    """
    if runner_id is not None and (not isinstance(runner_id, str) or not runner_id.strip()):
        raise ArgumentError(f"runner_id must be a non-empty string; got {runner_id!r}.")
    types = None if activity_types is None else kept_types(activity_types)
    name = fmt = None
    fill = None if runner_id is None else {"runner_id": runner_id}
    watch = None
    if isinstance(source, str | Path) and _is_watch(Path(source)):
        watch = _read_watch(Path(source), runner_id, activity_types, strict=strict)
        source, name, fmt, fill, types = watch, str(source), "watch", None, None
    result = _read(
        source,
        "activities",
        columns=columns,
        units=units,
        on_error=on_error,
        sheet=sheet,
        name=name,
        fmt=fmt,
        fill=fill,
        activity_types=types,
        progress=progress,
    )
    if watch is not None:  # count what the watch import left out; keep its notes
        from lbprun.io._watch_rows import add_watch_accounting

        result = add_watch_accounting(result, watch)
    return result


#: The training-log reader's own parameters, placed before ``progress`` in its docstring.
_ACTIVITY_PARAMETERS = """    runner_id : str or None, default=None
        For one runner's own log without a ``runner_id`` column (a watch export, a Garmin
        Connect or Polar CSV): the identifier given to every run. A log that has a
        ``runner_id`` column must not be given one (ArgumentError). Watch files read without
        it get a pseudonym (see ``read_watch_export``).
    activity_types : iterable of str or None, default=("run",)
        Activity types to keep when the log has an ``activity_type`` column (recorded labels
        such as ``"Running"``, ``"Treadmill Running"``, ``"Lauf"`` are normalised by
        ``lbprun.io.wearables.normalise_type``; ``"run"`` stands for every running type).
        Rows of other types (rides, swims, walks) are left out and counted in the report's
        ``rows_excluded``; rows with an empty or unrecognised type are kept. None keeps every
        row.
    strict : bool, default=False
        Watch files only: refuse a FIT file whose records are damaged after a readable session
        summary (DataReadError) instead of reading the activity from its summary with a
        DataQualityWarning and a note (see ``read_watch_export``).
"""

for _reader in (read_survey, read_cohort, read_episodes, read_activities):
    _extra = _ACTIVITY_PARAMETERS if _reader is read_activities else ""
    _reader.__doc__ = (_reader.__doc__ or "").replace(
        "{parameters}", _DOC_PARAMETERS.format(extra=_extra).rstrip()
    )


def _is_watch(path: Path) -> bool:
    name = path.name.lower()
    # a Strava export's bare activities.csv, compressed or not
    if _limits.strip_codec_suffix(name).endswith(".csv") and path.is_file():
        from lbprun.io._strava import is_strava_csv

        return is_strava_csv(path)
    return path.is_dir() or name.endswith(_WATCH_SUFFIXES)


def _read_watch(
    path: Path,
    runner_id: str | None = None,
    activity_types: Any = ("run",),
    *,
    strict: bool = False,
) -> pd.DataFrame:
    try:
        from lbprun.io import wearables
    except ImportError as error:
        raise DataReadError(
            f"{path}: watch formats (Strava export folders and zips, .gpx, .fit, .tcx) need "
            f"lbprun.io.wearables and the [watch] extra (pip install 'lbprun[watch]'); "
            f"{error}."
        ) from None
    return wearables.read_watch_export(
        path, runner_id=runner_id, activity_types=activity_types, strict=strict
    )


def escape_formula(value: Any) -> Any:
    """Prefix ``'`` to text a spreadsheet would run as a formula (``= + - @``).

    Parameters
    ----------
    value : object
        A cell value; only strings are changed.

    Returns
    -------
    object
        The value, escaped when it is a string a spreadsheet would run as a formula.

    Examples
    --------
    >>> escape_formula("=HYPERLINK(\\"http://x\\")"), escape_formula("-2+3"), escape_formula("-5")
    ('\\'=HYPERLINK("http://x")', "'-2+3", '-5')
    """
    from lbprun.io.write import escape_cell

    return escape_cell(value)


def write_rejected(report: ValidationReport, path: str | Path, *, what: str = "rejected") -> Path:
    """Write the rejected rows (or the failure cases) of a report to CSV, formulas escaped.

    Parameters
    ----------
    report : ValidationReport
        A report from :func:`~lbprun.io.validate.validate` or a reader with ``on_error="drop"``.
    path : str or pathlib.Path
        The CSV file to write (UTF-8).
    what : {"rejected", "failure_cases"}, default="rejected"
        The rejected rows with their reasons, or one line per failure.

    Returns
    -------
    pathlib.Path
        The file written.

    Notes
    -----
    Every text cell starting with ``= + - @`` that is not a plain number (and every cell
    starting with a tab or carriage return) is prefixed with ``'`` (OWASP's CSV-injection
    advice) so that opening the file never runs a formula.

    Examples
    --------
    >>> import pandas as pd, tempfile, pathlib
    >>> from lbprun.io.validate import validate
    >>> report = validate(pd.DataFrame({"runner_id": ["=1+1"], "lbp_12m": ["maybe"]}), "survey")
    >>> out = write_rejected(report, pathlib.Path(tempfile.mkdtemp()) / "rejected.csv")
    >>> "'=1+1" in out.read_text()
    True
    """
    check_choice("what", what, ("rejected", "failure_cases"))
    table = report.rejected if what == "rejected" else report.failure_cases
    table = pd.DataFrame(columns=["row"]) if table is None else table
    from lbprun.io.write import write_table

    return write_table(table, Path(path), format="csv")
