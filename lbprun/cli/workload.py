"""``lbprun workload ACTIVITIES --out FILE``: derive training-load tables from a training log.

``--what weekly`` (default) writes the runner x week table, ``spikes`` the same with the
week-to-week progression and its class, ``runs`` the single-run spikes and ``acwr`` the daily
acute:chronic workload ratio. The output format follows the extension of ``--out``
(``.parquet``, ``.csv`` or ``.xlsx``; another extension is a usage error, exit code 2); in CSV
and XLSX, formula-like text from the log (a runner or shoe id starting with ``=``, ``+``,
``-``, ``@``) is escaped by :func:`lbprun.io.write.write_table`. The log is read with
:func:`lbprun.io.read.read_activities` and the reader options of :mod:`lbprun.cli._reading`
(``--columns``, ``--units``, ``--sheet``, ``--on-error``, ``--rejected``, ``--config``);
compressed logs (``.csv.gz``, ``.bz2``, ``.xz``, ``.zst``) are read like plain ones. With
``--progress`` (or when standard error is a terminal, unless ``--quiet`` or
``LBPRUN_PROGRESS=0``) a bar follows the stages read,
validate, compute and write with their counts. Exit code 0 on success, 1 when the data cannot
be read or used, 2 on bad usage.

``--engine duckdb`` or ``--engine stream`` with a ``.parquet`` ``--out`` reads a Parquet or
CSV log out of core when no reader option is given (its columns must then carry lbprun's
names and units): DuckDB in SQL, or the streaming engine, which runs lbprun's kernel over
batches of whole runners (``--batch-rows``) with memory set by the batch. Otherwise the log
is read and validated by lbprun first and the table is computed and written by that engine.
``--engine dask --scheduler tcp://host:8786`` runs on an existing Dask cluster.

Examples
--------
>>> parser = argparse.ArgumentParser(prog="lbprun")
>>> register(parser.add_subparsers(dest="command"))
>>> args = parser.parse_args(["workload", "log.csv", "--out", "w.parquet", "--what", "acwr",
...                           "--units", "distance_km=mi", "--on-error", "drop"])
>>> args.what, args.units, args.on_error
('acwr', {'distance_km': 'mi'}, 'drop')
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pandas as pd

from lbprun.cli._output import check_extension
from lbprun.cli._progress import Stages
from lbprun.cli._reading import InputReader, add_reader_options

__all__ = ["WHAT", "read_log", "register", "run"]

#: Tables the sub-command can write.
WHAT = ("weekly", "acwr", "spikes", "runs")

#: Logs DuckDB reads itself (out of core); other files go through lbprun's reader.
_DUCKDB_READS = (".parquet", ".pq", ".csv", ".csv.gz", ".tsv", ".txt")
_STREAM_READS = (".parquet", ".pq", ".csv")
_READER_OPTIONS = ("columns", "units", "sheet", "config", "on_error", "rejected")


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
        choices=("pandas", "stream", "duckdb", "dask"),
        default="pandas",
        help="pandas (validated, in memory); stream or duckdb with a .parquet --out read the "
        "file out of core (columns must already carry lbprun names); dask",
    )
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=None,
        help="runs per batch of the stream engine (default 2,000,000; memory grows with it)",
    )
    parser.add_argument(
        "--scheduler",
        default=None,
        help="address of a Dask scheduler for --engine dask (default: this machine's threads)",
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
        help="show a progress bar over read, validate, compute and write (shown anyway when "
        "stderr is a terminal)",
    )
    add_reader_options(parser)
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


def _streams(args: argparse.Namespace) -> bool:
    """True when the engine reads the log itself: a file it reads and no reader option."""
    plain = all(getattr(args, name, None) is None for name in _READER_OPTIONS)
    reads = _STREAM_READS if args.engine == "stream" else _DUCKDB_READS
    return plain and args.activities.lower().endswith(reads)


def _engine_options(args: argparse.Namespace) -> dict[str, Any]:
    """Options of ``lbprun.workload.engines.run`` from the command line."""
    from lbprun.cli._config import UsageError

    options: dict[str, Any] = {}
    if args.threads is not None and args.engine != "dask":
        options["threads"] = args.threads
    if args.batch_rows is not None:
        if args.engine != "stream":
            raise UsageError(f"--batch-rows needs --engine stream; got {args.engine!r}.")
        options["batch_rows"] = args.batch_rows
    if args.scheduler is not None:
        if args.engine != "dask":
            raise UsageError(f"--scheduler needs --engine dask; got {args.engine!r}.")
        options["scheduler"] = args.scheduler
    return options


def _compute(args: argparse.Namespace, activities: pd.DataFrame, bar: bool) -> pd.DataFrame:
    from lbprun.workload.acwr import acwr
    from lbprun.workload.spikes import load_spikes, single_run_spikes
    from lbprun.workload.weekly import weekly_load

    threads = {"threads": args.threads} if args.threads is not None else {}
    per_runner = {"progress": bar, **threads}
    if args.what == "weekly":
        return weekly_load(activities, week_start=args.week_start, engine=args.engine)
    if args.what == "spikes":
        return load_spikes(
            activities, baseline=args.baseline, week_start=args.week_start, engine=args.engine
        )
    if args.what == "runs":
        return single_run_spikes(activities, engine=args.engine, **per_runner)
    return acwr(activities, method=args.method, engine=args.engine, **per_runner)


def run(args: argparse.Namespace) -> int:
    """Compute the table asked for and write it; return the exit code."""
    engine_options = _engine_options(args)
    scheduler = engine_options.pop("scheduler", None)
    if scheduler is None:
        return _run(args, engine_options)
    try:
        from distributed import Client
    except ImportError:
        from lbprun.cli._config import UsageError

        raise UsageError(
            '--scheduler needs the scale extra: pip install "lbprun[scale]".'
        ) from None
    with Client(scheduler) as client:  # closed (not the cluster) when the table is written
        return _run(args, {**engine_options, "client": client})


def _run(args: argparse.Namespace, engine_options: dict[str, Any]) -> int:
    from lbprun.io.write import write_table

    check_extension(args.out, "--out")
    out = Path(args.out)
    engine_out = args.engine in ("duckdb", "stream") and out.suffix.lower() == ".parquet"
    if args.engine == "dask" and args.scheduler is not None:
        engine_out = out.suffix.lower() == ".parquet"
    if engine_out and _streams(args):
        # out of core: the engine reads the file and writes the table; nothing enters pandas
        from lbprun.workload.engines import run as run_engine

        name, options = _ENGINE_CALLS[args.what](args)
        target = run_engine(
            name, args.activities, engine=args.engine, out=str(out), **engine_options, **options
        )
        print(f"lbprun workload: wrote {args.what} to {target} ({args.engine}, out of core)")
        return 0
    reader = InputReader(args, "workload")
    (settings,) = reader.plan([(args.activities, "activities")])
    bar = True if args.progress else (False if args.quiet else None)
    with Stages(bar, ("read", "validate", "compute", "write"), "lbprun workload") as stages:
        stages.start("read")  # the reader reads and validates in one pass over the file
        activities = reader.read(args.activities, "activities", settings)
        report = reader.last
        stages.done("read", f"{report.rows_in} rows in")
        excluded = f", {report.rows_excluded} excluded" if report.rows_excluded else ""
        counts = f"{report.rows_kept} kept, {report.rows_rejected} rejected{excluded}"
        stages.done("validate", counts)
        reader.finish()
        stages.start("compute")
        if engine_out:
            from lbprun.workload.engines import run as run_engine

            name, options = _ENGINE_CALLS[args.what](args)
            target = run_engine(
                name, activities, engine=args.engine, out=str(out), **engine_options, **options
            )
            table = pd.read_parquet(target, columns=[])
            stages.done("compute", f"{len(table)} {args.what} rows")
            stages.done("write", f"{target} ({args.engine})")
        else:
            table = _compute(args, activities, bar)
            stages.done("compute", f"{len(table)} {args.what} rows")
            stages.start("write")
            write_table(table, out, sheet_name=args.what)
            stages.done("write", f"{len(table)} rows to {out}")
    print(f"lbprun workload: wrote {len(table)} rows ({args.what}) to {out}")
    return 0
