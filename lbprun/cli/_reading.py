"""Reader options shared by every sub-command that reads a file, and the reader call they make.

Each such sub-command takes ``--columns MAP``, ``--units MAP``, ``--sheet NAME``,
``--config FILE.toml`` and, except ``validate`` (which reports rather than reads),
``--on-error raise|drop|missing`` and ``--rejected FILE``; ``prevalence`` and ``risk`` also
take ``--kind`` (a survey, or a cohort's baseline table). They mean what the readers'
keywords mean (:func:`lbprun.io.read.read_survey` and the others):

- ``--columns "Runner ID=runner_id,km=distance_km"`` is ``columns={...}``;
- ``--units "weekly_km=mi"`` is ``units={...}``;
- ``--on-error drop`` is ``on_error="drop"``: the rows with a failure are left out, the run
  goes on, and standard error says how many rows were read, kept, rejected (and excluded);
  ``missing`` is ``on_error="missing"`` (invalid values become missing, rows kept, with a
  note); ``raise`` (the default) stops with exit code 1 and the report;
- ``--rejected FILE`` writes the rejected rows with their reasons (``.csv``, ``.xlsx`` or
  ``.parquet`` by the extension), headed by the ``source`` file and its ``kind``; it is
  written whatever ``--on-error`` says, also when the data are invalid.

Precedence: the top level of ``--config`` < its table for the file's kind < the command line,
entry by entry (see :mod:`lbprun.cli._config`). A sub-command that reads one file gives it the
command-line maps as they are (a ``--columns`` name absent from the file is an error, as in
Python). ``incidence`` reads several files: each command-line entry goes to every file it fits
(a ``--columns`` name that is a column of the file; a ``--units`` column of the file's kind),
and an entry that fits none of them is a usage error (exit code 2).

Examples
--------
>>> parse_map("Runner ID=runner_id, km=distance_km")
{'Runner ID': 'runner_id', 'km': 'distance_km'}
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import pandas as pd

from lbprun.cli._config import (
    ON_ERROR,
    FileSettings,
    UsageError,
    load_config,
    unit_columns,
)
from lbprun.cli._output import check_extension

__all__ = ["InputReader", "add_reader_options", "parse_map"]


def parse_map(text: str) -> dict[str, str]:
    """Parse ``"a=b,c=d"`` into ``{"a": "b", "c": "d"}`` (spaces around names are dropped)."""
    out = {}
    for item in text.split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise argparse.ArgumentTypeError(
                f"a MAP must be 'name=lbprun_name,...'; got {item.strip()!r} without '='."
            )
        key, value = item.rsplit("=", 1)
        if not key.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"a MAP entry needs both sides of '='; got {item!r}.")
        out[key.strip()] = value.strip()
    return out


def add_reader_options(
    parser: Any,
    *,
    kinds: Sequence[str] | None = None,
    default_kind: str | None = None,
    on_error: bool = True,
) -> None:
    """Add the reader options to a sub-command's parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The sub-command's parser.
    kinds : sequence of str or None, default=None
        Kinds the file may be (adds ``--kind``), or None for a fixed kind.
    default_kind : str or None, default=None
        The default of ``--kind``.
    on_error : bool, default=True
        Add ``--on-error`` and ``--rejected`` (``validate`` has its own ``--rejected``).
    """
    group = parser.add_argument_group("reading the input (as the readers' keywords)")
    if kinds:
        group.add_argument(
            "--kind",
            choices=list(kinds),
            default=default_kind,
            help=f"kind of table the file holds (default {default_kind})",
        )
    group.add_argument(
        "--columns",
        type=parse_map,
        metavar="MAP",
        help='rename columns: "Runner ID=runner_id,km=distance_km"',
    )
    group.add_argument(
        "--units", type=parse_map, metavar="MAP", help="units of the file: weekly_km=mi,..."
    )
    group.add_argument("--sheet", metavar="NAME", help="Excel sheet (default: the first)")
    group.add_argument(
        "--config",
        metavar="FILE.toml",
        help="study configuration: column and unit maps, on_error, sheet (TOML; the "
        "command line overrides it)",
    )
    if on_error:
        group.add_argument(
            "--on-error",
            choices=ON_ERROR,
            default=None,
            help="invalid rows: raise (default: stop with exit code 1), drop (leave them "
            "out and go on), missing (invalid values become missing)",
        )
        group.add_argument(
            "--rejected",
            metavar="FILE",
            help="write the rejected rows with their reasons (.csv, .xlsx or .parquet)",
        )


def _header(path: str, sheet: str | int | None) -> list[str]:
    """Return the header of a table file ([] for a watch export, whose names are lbprun's)."""
    from lbprun.cli.validate import is_watch_source
    from lbprun.io._formats import open_source

    if is_watch_source(path):
        return []
    return list(open_source(path, sheet=sheet).columns)


class InputReader:
    """Read a sub-command's input files with the options of its command line and config.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (reader options as added by :func:`add_reader_options`).
    command : str
        The sub-command, for messages.
    fit : bool, default=False
        Give each command-line map entry only to the files it fits (several input files).
    """

    def __init__(self, args: argparse.Namespace, command: str, *, fit: bool = False) -> None:
        self.args = args
        self.command = command
        self.fit = fit
        self.config = load_config(getattr(args, "config", None))
        self.rejected_path = getattr(args, "rejected", None)
        check_extension(self.rejected_path, "--rejected")
        self._rejected: list[pd.DataFrame] = []
        self.last: Any = None  # the ValidationReport of the last file read

    def _say(self, text: str) -> None:
        print(f"lbprun {self.command}: {text}", file=sys.stderr)

    def plan(self, files: Sequence[tuple[str, str]]) -> list[FileSettings]:
        """Return the settings of each ``(path, kind)``; check every command-line entry is used.

        Raises
        ------
        UsageError
            With ``fit``: a ``--columns`` or ``--units`` entry that fits none of the files.
        """
        cli_columns = dict(self.args.columns or {})
        cli_units = dict(self.args.units or {})
        used_columns: set[str] = set()
        used_units: set[str] = set()
        plans = []
        for path, kind in files:
            shared = self.config.shared
            own = self.config.kinds.get(kind, FileSettings())
            sheet = next(
                (s for s in (self.args.sheet, own.sheet, shared.sheet) if s is not None), None
            )
            header: list[str] = []
            if shared.columns or (self.fit and cli_columns):
                header = _header(path, sheet)
            columns = {k: v for k, v in shared.columns.items() if k in header}
            columns.update(own.columns)
            units = {k: v for k, v in shared.units.items() if k in unit_columns(kind)}
            units.update(own.units)
            fit_columns = {k: v for k, v in cli_columns.items() if not self.fit or k in header}
            fit_units = {
                k: v for k, v in cli_units.items() if not self.fit or k in unit_columns(kind)
            }
            used_columns.update(fit_columns)
            used_units.update(fit_units)
            columns.update(fit_columns)
            units.update(fit_units)
            on_error = getattr(self.args, "on_error", None) or own.on_error or shared.on_error
            plans.append(FileSettings(columns, units, on_error or "raise", sheet))
        names = ", ".join(path for path, _ in files)
        for option, given, used in (
            ("--columns", cli_columns, used_columns),
            ("--units", cli_units, used_units),
        ):
            unused = [f"{k}={v}" for k, v in given.items() if k not in used]
            if unused:
                what = "a column of" if option == "--columns" else "a unit column of"
                raise UsageError(
                    f"{option} entry {', '.join(unused)} is not {what} any of {names}; "
                    "a kind's own map belongs in --config ([cohort.columns], ...)."
                )
        return plans

    def read(self, path: str, kind: str, settings: FileSettings, **extra: Any) -> pd.DataFrame:
        """Read and validate one file with lbprun's reader of ``kind``; return the kept rows.

        With ``raise``, invalid data raise the reader's DataValidationError (after
        ``--rejected`` is written); with ``drop`` or ``missing`` the counts go to standard
        error and the rejected rows are kept for ``--rejected``.
        """
        from lbprun._checks import ArgumentError
        from lbprun.io import read as readers
        from lbprun.io.validate import ValidationReport

        mode = settings.on_error or "raise"
        reader = getattr(readers, f"read_{kind}")
        try:
            result = reader(
                path,
                columns=settings.columns or None,
                units=settings.units or None,
                sheet=settings.sheet,
                on_error="drop" if mode == "raise" else mode,
                **extra,
            )
        except ArgumentError as error:
            if str(path) in str(error):
                raise
            raise ArgumentError(f"{path}: {error}") from None
        if not isinstance(result, ValidationReport):  # pragma: no cover - readers' contract
            return result
        report = self.last = result
        rejected = report.rejected
        if rejected is not None and len(rejected):
            self._rejected.append(rejected.assign(source=str(path), kind=kind))
        if mode == "raise":
            if not report.ok:
                self.finish()
                raise report.to_error()
            return report.data
        self._account(path, mode, report)
        return report.data

    def _account(self, path: str, mode: str, report: Any) -> None:
        excluded = f", {report.rows_excluded} excluded" if report.rows_excluded else ""
        text = (
            f"{path}: {report.rows_in} rows in, {report.rows_kept} kept, "
            f"{report.rows_rejected} rejected{excluded} (--on-error {mode})"
        )
        emptied = getattr(report, "values_set_missing", None) or {}
        if emptied:
            values = ", ".join(f"{column} {n}" for column, n in emptied.items())
            text += f"; invalid values set to missing: {values}"
        if report.rows_rejected:
            text += (
                f"; rejected rows with their reasons go to {self.rejected_path}"
                if self.rejected_path
                else "; --rejected FILE writes them with their reasons"
            )
        self._say(text)

    def finish(self) -> None:
        """Write ``--rejected`` (every file's rejected rows, ``source`` and ``kind`` first)."""
        if not self.rejected_path:
            return
        from lbprun.io.write import write_table

        if len(self._rejected) > 1:  # several kinds: one table, the union of their columns
            table = pd.concat([part.astype(object) for part in self._rejected], ignore_index=True)
        elif self._rejected:
            table = self._rejected[0]
        else:
            table = pd.DataFrame(columns=["source", "kind", "row", "reasons"])
        first = ["source", "kind"]
        table = table[[*first, *[c for c in table.columns if c not in first]]]
        written = write_table(table, self.rejected_path, sheet_name="rejected")
        self._say(f"wrote {len(table)} rejected rows to {written}")
        self.rejected_path = None
