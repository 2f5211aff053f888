"""``lbprun validate FILE --kind KIND``: check a runner table against the column dictionary.

Prints the rows in / valid / rejected, failures per column and check and up to 20 examples (or
JSON with ``--json``). Exit code 0 when the file is valid, 1 when it is not or cannot be read.

A watch export (a Strava export folder or ``.zip``, a ``.gpx``, ``.tcx`` or ``.fit`` file,
optionally compressed (gzip, bz2, xz, zstd), or a folder of them) is read with
:func:`lbprun.io.wearables.read_watch_export` and the activities it yields are validated as a
training log (``--kind activities``): the report counts the activities read, kept, rejected
and left out as other activity types, and adds the import's notes (duplicates removed, time
zone, pseudonymous runner id). ``--rejected`` writes the rejected rows with
:func:`lbprun.io.write.write_table` (``.csv``, ``.xlsx`` or ``.parquet`` by the extension;
another extension is a usage error, exit code 2). ``--columns``, ``--units``, ``--sheet`` and
``--config`` mean what they mean in :mod:`lbprun.cli._reading` (``parse_map`` lives there and
is re-exported here).

Examples
--------
>>> parse_map("Runner ID=runner_id, km=distance_km")
{'Runner ID': 'runner_id', 'km': 'distance_km'}
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from lbprun.cli._reading import InputReader, add_reader_options, parse_map
from lbprun.io._watch_bytes import WATCH_FILE_SUFFIXES
from lbprun.io.schema import SCHEMAS

__all__ = ["WATCH_SUFFIXES", "is_watch_source", "parse_map", "register", "run"]

#: File names read as watch exports rather than as tables.
WATCH_SUFFIXES = (".zip", *WATCH_FILE_SUFFIXES)


def is_watch_source(path: str) -> bool:
    """Return True for a folder or a watch file name (``.zip``, ``.gpx``, ``.fit``, ...).

    >>> is_watch_source("runs.FIT.gz"), is_watch_source("runs.csv")
    (True, False)
    """
    return Path(path).is_dir() or path.lower().endswith(WATCH_SUFFIXES)


def register(subparsers: Any) -> None:
    """Add the ``validate`` sub-command."""
    parser = subparsers.add_parser(
        "validate",
        help="check a survey, training log, cohort or episodes file",
        description="Validate a runner table (CSV/TSV/TXT, xlsx, parquet, dta, sav) or a watch "
        "export (Strava folder or .zip, .gpx/.tcx/.fit, compressed or not (gzip, bz2, xz, zstd), a folder of them; "
        "--kind activities) against lbprun's column dictionary. Exit code 0 when valid, 1 "
        "when not.",
    )
    parser.add_argument("file", help="the file to check")
    parser.add_argument("--kind", required=True, choices=list(SCHEMAS), help="table kind")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--max-examples", type=int, default=20, help="failures shown as examples (default 20)"
    )
    parser.add_argument(
        "--rejected",
        metavar="FILE",
        help="also write the rejected rows with their reasons to FILE: .csv, .xlsx or "
        ".parquet by the extension (formula-like text escaped)",
    )
    parser.add_argument(
        "--runner-id",
        help="watch exports: the runner id of every activity (default: a pseudonym)",
    )
    add_reader_options(parser, on_error=False)
    parser.set_defaults(func=run)


def _validate_watch(args: argparse.Namespace, settings: Any) -> tuple[Any, Any]:
    """Read a watch export and validate its activities; return the report and import report."""
    from lbprun.io._watch_rows import add_watch_accounting
    from lbprun.io.validate import validate
    from lbprun.io.wearables import read_watch_export

    runs = read_watch_export(args.file, runner_id=args.runner_id)
    watch = runs.attrs["lbprun"]["report"]
    report = validate(
        runs,
        "activities",
        source=args.file,
        columns=settings.columns or None,
        units=settings.units or None,
    )
    files = f"{watch.files_read} file(s) opened" if watch.files_read else "no activity file"
    read_note = (
        f"watch export ({watch.format}): {files}; rows are the imported activities, "
        "counted from 0."
    )
    # rows_in counts every record of the source: kept, rejected, other types, duplicates
    report = add_watch_accounting(report, runs)
    report = dataclasses.replace(report, notes=(read_note, *report.notes))
    return report, watch


def run(args: argparse.Namespace) -> int:
    """Validate ``args.file`` and print the report; return 0 when valid, 1 otherwise."""
    import pandas as pd

    from lbprun.cli._output import check_extension
    from lbprun.io.validate import validate
    from lbprun.io.write import write_table

    check_extension(args.rejected, "--rejected")
    (settings,) = InputReader(args, "validate").plan([(args.file, args.kind)])
    watch = None
    if is_watch_source(args.file):
        if args.kind != "activities":
            print(
                f"lbprun validate: error: {args.file!r} is a watch export, which holds "
                f"activities; use --kind activities (got {args.kind!r}).",
                file=sys.stderr,
            )
            return 2
        report, watch = _validate_watch(args, settings)
    elif args.runner_id is not None:
        print(
            "lbprun validate: error: --runner-id applies to watch exports only (a folder, "
            f".zip, .gpx, .tcx or .fit file); got {args.file!r}.",
            file=sys.stderr,
        )
        return 2
    else:
        report = validate(
            args.file,
            args.kind,
            columns=settings.columns or None,
            units=settings.units or None,
            sheet=settings.sheet,
        )
    if args.json:
        out = report.to_dict(max_failures=max(args.max_examples, 0))
        out["examples"] = report.examples(args.max_examples)
        if watch is not None:
            out["watch_import"] = watch.to_dict()
        print(json.dumps(out, indent=2))
    else:
        print(report.summary(max_examples=args.max_examples))
        if watch is not None:
            print("Watch import:")
            print(watch.table.to_string(index=False))
    if args.rejected:
        rejected = report.rejected if report.rejected is not None else pd.DataFrame()
        if rejected.shape[1] == 0:
            rejected = pd.DataFrame(columns=["row", "reasons"])
        path = write_table(rejected, args.rejected, sheet_name="rejected")
        print(f"rejected rows written to {path}", file=sys.stderr)
    return 0 if report.ok else 1
