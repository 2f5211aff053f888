"""Benchmark of the training-load workload: lbprun against pandas, Polars and DuckDB peers.

The workload (see the definitions contract in ``benchmarks/README.md``) is the weekly table,
both progression baselines, single-run spikes, rolling (uncoupled) and EWMA ACWR, on a seeded
log of about 10 million runs (20,000 runners x 156 weeks). Each tool runs in a FRESH PROCESS
(one subprocess per repeat); the child times its first call (reading the Parquet log and
computing every table into memory, imports excluded) and reports its peak RSS (``VmHWM``).
The first repeat also writes every table to Parquet, and the parent checks that each tool's
values equal lbprun's (floats to 1e-9, absolute or relative; classes and flags exactly).

Tools: ``lbprun`` (``run_workload(path, engine="pandas")``: the numpy kernel), ``lbprun_duckdb`` (DuckDB
engine, ``run_workload(path, engine="duckdb")``), ``naive_pandas`` (groupby-apply),
``polars`` (idiomatic lazy) and ``duckdb_sql`` (plain SQL window functions); see
``benchmarks/_peers.py``. The naive groupby-apply runs on a subset of runners
(``--naive-runners``) and its compute time is scaled linearly by runs (reading is not scaled).

Usage::

    python benchmarks/bench_workload.py                     # full scale, 3 repeats
    python benchmarks/bench_workload.py --n-runners 2000 --repeats 1
    python benchmarks/bench_workload.py --duckdb-100m       # 100 M runs, DuckDB engine only

Results go to ``benchmarks/results/workload.json``; the log is cached under
``benchmarks/.cache/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results" / "workload.json"
TOOLS = ("lbprun", "lbprun_duckdb", "naive_pandas", "polars", "duckdb_sql")
TABLES = (
    "weekly",
    "spikes_previous_week",
    "spikes_previous_4_weeks",
    "runs",
    "acwr_rolling",
    "acwr_ewma",
)
KEYS = {
    "weekly": ["runner_id", "week_start"],
    "spikes_previous_week": ["runner_id", "week_start"],
    "spikes_previous_4_weeks": ["runner_id", "week_start"],
    "runs": ["runner_id", "date", "distance_km"],
    "acwr_rolling": ["runner_id", "date"],
    "acwr_ewma": ["runner_id", "date"],
}
VALUES = {
    "weekly": ["distance_km", "duration_min", "n_runs", "longest_run_km", "change_pct"],
    "runs": ["longest_prev_30d_km", "spike_pct", "is_spike"],
    "acwr_rolling": ["load", "acute_load", "chronic_load", "acwr"],
}
VALUES["spikes_previous_week"] = [*VALUES["weekly"], "progression_pct", "progression_class"]
VALUES["spikes_previous_4_weeks"] = VALUES["spikes_previous_week"]
VALUES["acwr_ewma"] = VALUES["acwr_rolling"]
TOL = 1e-9


# ------------------------------------------------------------------------------ data
def log_path(n_runners: int, weeks: int, seed: int, generator: str) -> Path:
    """Cached Parquet log (generated on first use)."""
    path = CACHE / f"log_{generator}_{n_runners}x{weeks}_seed{seed}.parquet"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    if generator == "simulate":
        from lbprun.simulate import simulate_cohort

        runs = simulate_cohort(n_runners, weeks, seed=seed).activities
        runs = runs[["runner_id", "date", "distance_km", "duration_min"]]
        runs.to_parquet(tmp, index=False, row_group_size=1_000_000)
    else:
        sys.path.insert(0, str(HERE))
        from _synthetic_log import write_synthetic_log

        write_synthetic_log(tmp, n_runners, weeks, seed=seed)
    tmp.rename(path)
    return path


def default_generator() -> str:
    try:
        from lbprun.simulate import simulate_cohort  # noqa: F401
    except ImportError:
        return "synthetic"
    return "simulate"


# ------------------------------------------------------------------------------ child
def peak_rss_mb() -> float:
    """Peak resident set size of this process (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _write(tables: dict, folder: Path) -> None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    for key, table in tables.items():
        target = folder / f"{key}.parquet"
        if isinstance(table, pd.DataFrame):
            table.to_parquet(target, index=False)
        elif isinstance(table, pa.Table):
            pq.write_table(table, target)
        else:  # polars
            table.write_parquet(target)


def child(args: argparse.Namespace) -> None:
    """Run one tool once, print one JSON line of timings."""
    import pandas as pd

    tool, path = args.child, args.data
    subset = None
    if tool in ("lbprun", "lbprun_duckdb"):
        from lbprun.workload.engines import run_workload
    else:
        sys.path.insert(0, str(HERE))
        import _peers

        if tool == "polars":
            import polars  # noqa: F401
        if tool == "duckdb_sql":
            import duckdb  # noqa: F401
    rss_start = peak_rss_mb()
    start = time.perf_counter()
    read_s = 0.0
    n_runs_computed = None
    if tool == "lbprun":
        tables = run_workload(path, engine="pandas")
    elif tool == "lbprun_duckdb":
        tables = run_workload(path, engine="duckdb", memory_limit=args.memory_limit)
    elif tool == "naive_pandas":
        runs = pd.read_parquet(path)
        if args.naive_runners:
            ids = pd.unique(runs["runner_id"])
            keep = set(sorted(ids.astype(str))[: args.naive_runners])
            subset = sorted(keep)
            runs = runs[runs["runner_id"].isin(keep)]
        n_runs_computed = len(runs)
        read_s = time.perf_counter() - start
        tables = _peers.naive_pandas(runs)
    elif tool == "polars":
        tables = _peers.polars_lazy(path)
    elif tool == "duckdb_sql":
        tables = _peers.duckdb_sql(path)
    else:
        raise SystemExit(f"unknown tool {tool!r}")
    seconds = time.perf_counter() - start
    rss = peak_rss_mb()
    if args.write_to:
        _write(tables, Path(args.write_to))
    print(
        json.dumps(
            {
                "tool": tool,
                "seconds": seconds,
                "read_seconds": read_s,
                "peak_rss_mb": rss,
                "rss_after_imports_mb": rss_start,
                "n_runs_computed": n_runs_computed,
                "subset_runners": subset,
            }
        )
    )


# ------------------------------------------------------------------------------ parent
def machine() -> dict:
    import duckdb
    import numpy
    import pandas
    import polars
    import pyarrow

    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "memory_gb": mem,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "polars": polars.__version__,
        "duckdb": duckdb.__version__,
        "pyarrow": pyarrow.__version__,
    }


def run_child(tool: str, data: Path, args: argparse.Namespace, write_to: Path | None) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", tool, "--data", str(data)]
    if write_to is not None:
        command += ["--write-to", str(write_to)]
    if tool == "naive_pandas" and args.naive_runners:
        command += ["--naive-runners", str(args.naive_runners)]
    if args.memory_limit:
        command += ["--memory-limit", args.memory_limit]
    done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{tool} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(reference: Path, candidate: Path, runners: list[str] | None) -> dict:
    """Mismatch counts per table and column between two folders of Parquet tables."""
    import numpy as np
    import polars as pl

    report = {}
    for key in TABLES:
        ref = pl.read_parquet(reference / f"{key}.parquet")
        got = pl.read_parquet(candidate / f"{key}.parquet")
        if runners is not None:
            ref = ref.filter(pl.col("runner_id").is_in(runners))
        columns = KEYS[key] + VALUES[key]
        ref, got = (
            frame.select(columns)
            .with_columns(pl.col("runner_id").cast(pl.String))
            .with_columns(pl.col(KEYS[key][1]).cast(pl.Date))
            .sort(KEYS[key])
            for frame in (ref, got)
        )
        table = {"rows": [ref.height, got.height]}
        if ref.height != got.height:
            report[key] = table
            continue
        for column in columns:
            a, b = ref[column], got[column]
            if a.dtype.is_float() or b.dtype.is_float():
                x = a.cast(pl.Float64).fill_null(np.nan).to_numpy()
                y = b.cast(pl.Float64).fill_null(np.nan).to_numpy()
                with np.errstate(invalid="ignore"):
                    same = (
                        (x == y)
                        | np.isclose(x, y, rtol=TOL, atol=TOL)
                        | (np.isnan(x) & np.isnan(y))
                    )
                bad = int((~same).sum())
            else:
                x = a.cast(pl.String).fill_null("<missing>").to_numpy()
                y = b.cast(pl.String).fill_null("<missing>").to_numpy()
                bad = int((x != y).sum())
            if bad:
                table[column] = bad
        report[key] = table
    return report


def bench(args: argparse.Namespace) -> dict:
    generator = args.generator or default_generator()
    data = log_path(args.n_runners, args.weeks, args.seed, generator)
    import pyarrow.parquet as pq

    n_runs = pq.ParquetFile(data).metadata.num_rows
    print(f"log: {data} ({n_runs:,} runs)", flush=True)
    outputs = CACHE / "outputs"
    shutil.rmtree(outputs, ignore_errors=True)
    tools = [t for t in TOOLS if t in args.tools]
    if "lbprun" not in tools:
        tools.insert(0, "lbprun")
    results: dict = {}
    load_start = os.getloadavg()
    for tool in tools:
        runs = []
        for repeat in range(args.repeats):
            target = outputs / tool if repeat == 0 else None
            runs.append(run_child(tool, data, args, target))
            print(
                f"  {tool} #{repeat + 1}: {runs[-1]['seconds']:.2f} s, "
                f"peak RSS {runs[-1]['peak_rss_mb']:.0f} MB",
                flush=True,
            )
        seconds = [r["seconds"] for r in runs]
        entry = {
            "seconds_best": min(seconds),
            "seconds_all": seconds,
            "read_seconds": runs[0]["read_seconds"],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "rss_after_imports_mb": runs[0]["rss_after_imports_mb"],
        }
        subset = runs[0]["subset_runners"]
        if tool == "naive_pandas" and runs[0]["n_runs_computed"] < n_runs:
            scale = n_runs / runs[0]["n_runs_computed"]
            compute = [s - r["read_seconds"] for s, r in zip(seconds, runs, strict=True)]
            entry.update(
                measured_runners=len(subset),
                measured_runs=runs[0]["n_runs_computed"],
                scale_factor=scale,
                seconds_measured_best=min(seconds),
                seconds_best=min(
                    r["read_seconds"] + c * scale for r, c in zip(runs, compute, strict=True)
                ),
                note="compute time measured on a subset of runners and scaled linearly by "
                "runs; reading the full log is not scaled; peak RSS is the subset run's",
            )
        if tool != "lbprun":
            entry["mismatches"] = compare(outputs / "lbprun", outputs / tool, subset)
            entry["equal_to_lbprun"] = all(
                set(t) == {"rows"} and t["rows"][0] == t["rows"][1]
                for t in entry["mismatches"].values()
            )
        results[tool] = entry
    base = results["lbprun"]["seconds_best"]
    for entry in results.values():
        entry["ratio_to_lbprun"] = entry["seconds_best"] / base
        if "lbprun_duckdb" in results:
            entry["ratio_to_lbprun_duckdb"] = (
                entry["seconds_best"] / results["lbprun_duckdb"]["seconds_best"]
            )
    if not args.keep_outputs:
        shutil.rmtree(outputs, ignore_errors=True)
    return {
        "data": {
            "generator": generator,
            "n_runners": args.n_runners,
            "weeks": args.weeks,
            "seed": args.seed,
            "runs": n_runs,
            "path": str(data.relative_to(HERE.parent)),
        },
        "repeats": args.repeats,
        "load_average_start_end": [list(load_start), list(os.getloadavg())],
        "timed": "first call in a fresh process: read the Parquet log and compute all six "
        "tables into memory (imports excluded); best of the repeats",
        "tools": results,
    }


# ------------------------------------------------------------------------------ 100 M mode
def bench_100m(args: argparse.Namespace) -> dict:
    """Generate ~100 M runs as Parquet chunks and run the DuckDB engine to Parquet."""
    sys.path.insert(0, str(HERE))
    from _synthetic_log import write_synthetic_log

    folder = CACHE / f"log100m_{args.runners_100m}x{args.weeks}_seed{args.seed}"
    per_file = 20_000
    if not (folder / "_done").exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for i, first in enumerate(range(0, args.runners_100m, per_file)):
            n = min(per_file, args.runners_100m - first)
            write_synthetic_log(
                folder / f"part-{i:03d}.parquet",
                n,
                args.weeks,
                seed=args.seed + i,
                first_runner=first,
            )
            print(f"  wrote part {i} ({first + n:,} runners)", flush=True)
        (folder / "_done").write_text("ok")
    import pyarrow.parquet as pq

    files = sorted(folder.glob("*.parquet"))
    n_runs = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    out = CACHE / "outputs_100m"
    shutil.rmtree(out, ignore_errors=True)
    call = (
        f"run_workload({str(folder)!r}, engine='duckdb', out={str(out)!r}, "
        f"memory_limit={args.memory_limit or '4GB'!r}, temp_directory={str(CACHE / 'spill')!r})"
    )
    code = "\n".join(
        [
            "import json, sys, time",
            f"sys.path.insert(0, {str(HERE)!r})",
            "from bench_workload import peak_rss_mb",
            "from lbprun.workload.engines import run_workload",
            "t = time.perf_counter()",
            call,
            "print(json.dumps({'seconds': time.perf_counter() - t, 'peak_rss_mb': peak_rss_mb()}))",
        ]
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=args.timeout
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    shutil.rmtree(CACHE / "spill", ignore_errors=True)
    sizes = {p.name: p.stat().st_size for p in out.glob("*.parquet")}
    if not args.keep_outputs:
        shutil.rmtree(out, ignore_errors=True)
    return {
        "runs": n_runs,
        "runners": args.runners_100m,
        "memory_limit": args.memory_limit or "4GB",
        "seconds": measured["seconds"],
        "peak_rss_mb": measured["peak_rss_mb"],
        "target_peak_rss_mb": 6144,
        "meets_target": measured["peak_rss_mb"] < 6144,
        "output_bytes": sizes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-runners", type=int, default=20_000)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--repeats",
        "--runs",
        type=int,
        default=3,
        dest="repeats",
        help="fresh processes per tool; the best time is kept",
    )
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument(
        "--generator",
        choices=("simulate", "synthetic"),
        default=None,
        help="lbprun.simulate.simulate_cohort (default when present) or "
        "benchmarks/_synthetic_log.py",
    )
    parser.add_argument(
        "--naive-runners",
        type=int,
        default=1000,
        help="runners given to the naive groupby-apply (0: all)",
    )
    parser.add_argument("--memory-limit", default=None, help="DuckDB engine memory limit")
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--keep-outputs", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--duckdb-100m",
        action="store_true",
        help="only: ~100 M runs through the DuckDB engine to Parquet",
    )
    parser.add_argument("--runners-100m", type=int, default=200_000)
    parser.add_argument("--child", choices=TOOLS, help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--write-to", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args)
        return 0
    previous = json.loads(args.results.read_text()) if args.results.exists() else {}
    record = {
        **previous,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    if args.duckdb_100m:
        record["duckdb_100m"] = bench_100m(args)
    else:
        record["workload"] = bench(args)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps(record.get("duckdb_100m") or record["workload"]["tools"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
