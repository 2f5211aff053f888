"""Benchmark of separate training-load calls against one ``compute_workload`` pass.

Two rows, on the seeded synthetic log ``synthetic_log(6500, 104, seed=1)`` (about 2.08 million
runs; ``benchmarks/_synthetic_log.py``):

1. **Separate calls on one frame** (in one process, the frame in memory): the six tables of
   ``compute_workload`` made by six public calls (``weekly_load``, ``load_spikes`` with both
   baselines, ``single_run_spikes``, ``acwr`` rolling and EWMA), and by the four calls the
   README shows (``weekly_load``, ``load_spikes``, ``single_run_spikes``, ``acwr``), with the
   grid cache (``lbprun.workload.clear_cache()`` before each repeat, so the first call
   prepares the grid) and without it (``set_cache_size(0)``); against ``compute_workload``
   and idiomatic lazy Polars computing the same six tables from a Polars frame of the runs
   (``_peers.polars_queries``; the pandas-to-Polars conversion is timed apart).
2. **The command line, end to end** (each tool a fresh process, wall time with interpreter
   start and imports): ``lbprun workload log.csv --out weekly.parquet`` against a script that
   reads the CSV with pandas (pyarrow engine) and writes ``weekly_load`` to Parquet, pandas plus
   ``compute_workload`` (all six tables, in memory), and Polars reading the CSV and writing its
   weekly table. The CSV is the log without its one exact duplicate run (the command's reader
   rejects duplicated runs; the other scripts do not check).

Every timing is the best of ``--repeats`` (default 3); in row 1 the tools take turns within
each repeat (round robin), and the load average at the start and end is recorded (the machine
is shared). Results go to ``benchmarks/results/workload_calls.json``.

Usage::

    python benchmarks/bench_workload_calls.py
    python benchmarks/bench_workload_calls.py --n-runners 650 --repeats 1   # a quick look
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results" / "workload_calls.json"
sys.path.insert(0, str(HERE))


def best_of(function, repeats: int, before=None) -> tuple[float, list[float]]:
    """Best and all wall times of ``function()`` (``before()`` runs untimed first)."""
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        gc.collect()
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times), times


def separate_calls(args: argparse.Namespace) -> dict:
    """Row 1: separate calls vs compute_workload vs Polars on one in-memory frame."""
    import polars as pl
    from _peers import polars_queries
    from _synthetic_log import synthetic_log

    import lbprun
    from lbprun.workload import clear_cache, set_cache_size

    runs = synthetic_log(args.n_runners, args.weeks, seed=args.seed)

    def six():
        lbprun.weekly_load(runs)
        lbprun.load_spikes(runs)
        lbprun.load_spikes(runs, baseline="previous_4_weeks")
        lbprun.single_run_spikes(runs)
        lbprun.acwr(runs)
        lbprun.acwr(runs, method="ewma")

    def four():
        lbprun.weekly_load(runs)
        lbprun.load_spikes(runs)
        lbprun.single_run_spikes(runs)
        lbprun.acwr(runs)

    start = time.perf_counter()
    frame = pl.from_pandas(runs)
    convert = time.perf_counter() - start

    def uncached(function):
        def run():
            previous = set_cache_size(0)
            try:
                function()
            finally:
                set_cache_size(previous)

        return run

    tools = {
        "compute_workload": lambda: lbprun.compute_workload(runs),
        "six_calls_cached": six,
        "six_calls_uncached": uncached(six),
        "four_calls_cached": four,
        "four_calls_uncached": uncached(four),
        "polars_six_tables": lambda: polars_queries(frame, collect=True),
    }
    # round robin: every repeat times each tool once, so a burst of load on the shared
    # machine does not fall on one tool only
    times: dict[str, list[float]] = {name: [] for name in tools}
    for _ in range(args.repeats):
        for name, function in tools.items():
            times[name].append(best_of(function, 1, clear_cache)[0])
    out = {name: (min(t), t) for name, t in times.items()}
    base = out["compute_workload"][0]
    return {
        "runs": len(runs),
        "runner_id_dtype": str(runs["runner_id"].dtype),
        "polars_from_pandas_seconds": convert,
        "tools": {
            name: {"seconds_best": b, "seconds_all": t, "ratio_to_compute_workload": b / base}
            for name, (b, t) in out.items()
        },
    }


SCRIPTS = {
    "pandas_read_csv_weekly_load": """
import sys, pandas as pd, lbprun
runs = pd.read_csv(sys.argv[1], engine="pyarrow", parse_dates=["date"])
lbprun.weekly_load(runs).to_parquet(sys.argv[2], index=False)
""",
    "pandas_read_csv_compute_workload": """
import sys, pandas as pd, lbprun
runs = pd.read_csv(sys.argv[1], engine="pyarrow", parse_dates=["date"])
lbprun.compute_workload(runs)
""",
    "polars_read_csv_weekly": """
import sys, polars as pl
sys.path.insert(0, sys.argv[3])
from _peers import polars_queries
runs = pl.read_csv(sys.argv[1], try_parse_dates=True)
polars_queries(runs)["weekly"].collect().write_parquet(sys.argv[2])
""",
}


def command_line(args: argparse.Namespace) -> dict:
    """Row 2: ``lbprun workload log.csv --out weekly.parquet`` against read-CSV scripts."""
    from _synthetic_log import synthetic_log

    csv = CACHE / f"log_synthetic_{args.n_runners}x{args.weeks}_seed{args.seed}.csv"
    if not csv.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        runs = synthetic_log(args.n_runners, args.weeks, seed=args.seed)
        # the reader rejects exact duplicate runs; the seeded log holds one
        runs = runs.drop_duplicates(ignore_index=True)
        runs["date"] = runs["date"].dt.strftime("%Y-%m-%d")
        runs.to_csv(csv.with_suffix(".tmp"), index=False)
        csv.with_suffix(".tmp").rename(csv)
    commands = {"lbprun_cli_weekly": [sys.executable, "-m", "lbprun", "workload", str(csv)]}
    for name, code in SCRIPTS.items():
        commands[name] = [sys.executable, "-c", code, str(csv)]
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        target = str(Path(folder) / "weekly.parquet")
        for name, command in commands.items():
            if name == "lbprun_cli_weekly":
                full = [*command, "--out", target]
            else:
                full = [*command, target, str(HERE)]

            def run(full=full, name=name):
                done = subprocess.run(full, capture_output=True, text=True, timeout=args.timeout)
                if done.returncode != 0:
                    raise RuntimeError(f"{name} failed:\n{done.stderr[-3000:]}")

            out[name] = best_of(run, args.repeats)
    base = out["lbprun_cli_weekly"][0]
    return {
        "csv": str(csv.relative_to(HERE.parent)),
        "csv_mb": round(csv.stat().st_size / 1e6, 1),
        "timed": "wall time of a fresh process (interpreter start, imports, read, compute, "
        "write); best of the repeats",
        "tools": {
            name: {"seconds_best": b, "seconds_all": t, "ratio_to_lbprun_cli": b / base}
            for name, (b, t) in out.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-runners", type=int, default=6500)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", nargs="+", default=["calls", "cli"], choices=["calls", "cli"])
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    import numpy
    import pandas
    import polars

    record = json.loads(args.results.read_text()) if args.results.exists() else {}
    record.update(
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        machine={
            "cpu_count": os.cpu_count(),
            "python": sys.version.split()[0],
            "numpy": numpy.__version__,
            "pandas": pandas.__version__,
            "polars": polars.__version__,
        },
        data={
            "generator": "synthetic",
            "n_runners": args.n_runners,
            "weeks": args.weeks,
            "seed": args.seed,
        },
    )
    rows = {"calls": ("separate_calls", separate_calls), "cli": ("command_line", command_line)}
    for row in args.rows:
        key, function = rows[row]
        start = list(os.getloadavg())
        record[key] = function(args)
        record[key].update(repeats=args.repeats, load_average_start_end=[start, os.getloadavg()])
        print(json.dumps(record[key], indent=2), flush=True)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
