"""``lbprun workload ACTIVITIES --out FILE``: derive training-load tables from a training log.

``--what weekly`` (default) writes the runner x week table, ``spikes`` the same with the
week-to-week progression and its class, ``runs`` the single-run spikes and ``acwr`` the daily
acute:chronic workload ratio. The output format follows the extension of ``--out``
(``.parquet``, ``.csv`` or ``.xlsx``); in CSV and XLSX, formula-like text from the log (a
runner or shoe id starting with ``=``, ``+``, ``-``, ``@``) is escaped by
:func:`lbprun.io.write.write_table`. Exit code 0 on success, 1 when the data cannot be read or
used, 2 on bad usage.

Examples
--------
>>> parser = argparse.ArgumentParser(prog="lbprun")
>>> register(parser.add_subparsers(dest="command"))
>>> parser.parse_args(["workload", "log.csv", "--out", "w.parquet", "--what", "acwr"]).what
'acwr'
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["WHAT", "read_log", "register", "run"]

#: Tables the sub-command can write.
WHAT = ("weekly", "acwr", "spikes", "runs")

_WRITERS = (".parquet", ".csv", ".xlsx")


def register(subparsers: Any) -> None:
    """Add the ``workload`` sub-command."""
    parser = subparsers.add_parser(
        "workload",
        help="weekly distance, spikes and ACWR from a training log",
        description="Derive training-load tables from a training log (one row per run). "
        "Writes .parquet, .csv or .xlsx by the extension of --out.",
    )
    parser.add_argument("activities", help="the training log (CSV, Parquet, ...)")
    parser.add_argument("--out", required=True, help="output file (.parquet, .csv or .xlsx)")
    parser.add_argument(
        "--engine",
        choices=("pandas", "duckdb", "dask"),
        default="pandas",
        help="pandas (validated, in memory); duckdb with a .parquet --out streams the file "
        "through DuckDB out of core (columns must already carry lbprun names); dask",
    )
    parser.add_argument("--what", choices=WHAT, default="weekly", help="table to write")
    parser.add_argument("--week-start", default="monday", help="first day of the week")
    parser.add_argument(
        "--method", choices=("rolling", "ewma"), default="rolling", help="ACWR method"
    )
    parser.add_argument(
        "--baseline",
        choices=("previous_week", "previous_4_weeks"),
        default="previous_week",
        help="progression baseline for --what spikes",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads of the pandas kernel or of DuckDB (default: every core)",
    )
    parser.add_argument(
        "--progress",
        action="store_true",
        help="show a progress bar (shown anyway when stderr is a terminal)",
    )
    parser.set_defaults(func=run)


def read_log(path: str) -> pd.DataFrame:
    """Read and validate a training log with :func:`lbprun.io.read.read_activities`."""
    from lbprun.io.read import read_activities

    return read_activities(path)


_ENGINE_CALLS = {
    "weekly": lambda a: ("weekly_load", {"week_start": a.week_start}),
    "spikes": lambda a: ("load_spikes", {"baseline": a.baseline, "week_start": a.week_start}),
    "runs": lambda a: ("single_run_spikes", {}),
    "acwr": lambda a: ("acwr", {"method": a.method}),
}


def run(args: argparse.Namespace) -> int:
    """Compute the table asked for and write it; return the exit code."""
    from lbprun.io.write import write_table
    from lbprun.workload.acwr import acwr
    from lbprun.workload.spikes import load_spikes, single_run_spikes
    from lbprun.workload.weekly import weekly_load

    out = Path(args.out)
    if out.suffix.lower() not in _WRITERS:
        print(
            f"lbprun workload: error: --out must end in .parquet, .csv or .xlsx; "
            f"got {args.out!r}.",
            file=sys.stderr,
        )
        return 2
    if args.engine == "duckdb" and out.suffix.lower() == ".parquet":
        # out of core: DuckDB reads the file and writes the table; nothing enters pandas
        from lbprun.workload.engines import run as run_engine

        name, options = _ENGINE_CALLS[args.what](args)
        run_engine(
            name, args.activities, engine="duckdb", out=str(out), threads=args.threads, **options
        )
        print(f"lbprun workload: wrote {args.what} to {out} (duckdb, out of core)")
        return 0
    activities = read_log(args.activities)
    progress = bool(args.progress or sys.stderr.isatty()) and args.engine == "pandas"
    threads = {"threads": args.threads} if args.threads is not None else {}
    if args.what == "weekly":
        table = weekly_load(activities, week_start=args.week_start, engine=args.engine)
    elif args.what == "spikes":
        table = load_spikes(
            activities, baseline=args.baseline, week_start=args.week_start, engine=args.engine
        )
    elif args.what == "runs":
        options = {"progress": True, **threads} if progress else threads
        table = single_run_spikes(activities, engine=args.engine, **options)
    else:
        options = {"progress": True, **threads} if progress else threads
        table = acwr(activities, method=args.method, engine=args.engine, **options)
    write_table(table, out, sheet_name=args.what)
    print(f"lbprun workload: wrote {len(table)} rows ({args.what}) to {out}")
    return 0
