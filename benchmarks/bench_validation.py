"""Benchmark of validation: reading a training log costs no more than computing its workload.

A seeded synthetic log (``_synthetic_log.synthetic_log``, default 6,500 runners x 104 weeks =
2,081,959 runs, one of them recorded twice) is validated by ``read_activities(...,
on_error="drop")`` from a DataFrame, a Parquet file and a CSV file, and the validated frame goes
through ``lbprun.workload.acwr.compute_workload`` (every training-load table). All four are
measured afresh in the same run, one after the other, ``--repeats`` times; the table gives the
median of each and the ratio ``validate / compute_workload`` (target: at most 1.0 for the
DataFrame and Parquet inputs). The CSV row includes parsing the text.

Usage::

    python benchmarks/bench_validation.py                   # 2 M runs, 3 repeats
    python benchmarks/bench_validation.py --n-runners 500 --repeats 1

Results go to ``benchmarks/results/validation.json`` and ``validation.md``; the log files are
cached under ``benchmarks/.cache/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "results"
ROWS = (
    ("dataframe", "validate 2 M runs (DataFrame)"),
    ("parquet", "validate 2 M runs (Parquet)"),
    ("csv", "validate 2 M runs (CSV)"),
)


def log_files(n_runners: int, weeks: int, seed: int) -> tuple[object, Path, Path]:
    """The synthetic log as a DataFrame, and its cached Parquet and CSV files."""
    sys.path.insert(0, str(HERE))
    from _synthetic_log import synthetic_log

    log = synthetic_log(n_runners, weeks, seed=seed)
    stem = CACHE / f"validation_{n_runners}x{weeks}_seed{seed}"
    parquet, csv = stem.with_suffix(".parquet"), stem.with_suffix(".csv")
    CACHE.mkdir(parents=True, exist_ok=True)
    if not parquet.exists():
        log.to_parquet(parquet)
    if not csv.exists():
        log.to_csv(csv, index=False)
    return log, parquet, csv


def _timed(function, *args, **kwargs):
    start = time.perf_counter()
    out = function(*args, **kwargs)
    return time.perf_counter() - start, out


def measure(n_runners: int, weeks: int, seed: int, repeats: int) -> dict:
    """Median seconds of each validation and of compute_workload, and their ratios."""
    from lbprun.io.read import read_activities
    from lbprun.workload.acwr import compute_workload

    log, parquet, csv = log_files(n_runners, weeks, seed)
    sources = {"dataframe": log, "parquet": parquet, "csv": csv}
    times: dict[str, list[float]] = {key: [] for key in [*sources, "compute_workload"]}
    rows = None
    for _ in range(repeats):
        for key, source in sources.items():
            seconds, report = _timed(read_activities, source, on_error="drop")
            times[key].append(seconds)
            rows = (report.rows_in, report.rows_kept, report.rows_rejected)
            data = report.data
        seconds, _ = _timed(compute_workload, data)
        times["compute_workload"].append(seconds)
    median = {key: statistics.median(values) for key, values in times.items()}
    return {
        "runs": len(log),
        "rows_in_kept_rejected": rows,
        "repeats": repeats,
        "seconds": median,
        "all_seconds": times,
        "ratio": {key: median[key] / median["compute_workload"] for key in sources},
    }


def machine() -> dict:
    import numpy
    import pandas
    import pyarrow

    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "pyarrow": pyarrow.__version__,
    }


def markdown(result: dict) -> str:
    """The results as a Markdown table."""
    seconds, ratio = result["seconds"], result["ratio"]
    lines = [
        "# Validation benchmark",
        "",
        f"{result['runs']:,} runs; median of {result['repeats']} repeat(s), measured in one "
        f"run on {result['machine']['cpu_count']} CPU(s); created {result['created']}.",
        "",
        "| step | seconds | ratio to compute_workload |",
        "|---|---:|---:|",
    ]
    for key, label in ROWS:
        lines.append(f"| {label} | {seconds[key]:.2f} | {ratio[key]:.2f} |")
    lines.append(
        f"| compute_workload on the validated frame | {seconds['compute_workload']:.2f} | 1.00 |"
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-runners", type=int, default=6500)
    parser.add_argument("--weeks", type=int, default=104)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    result = measure(args.n_runners, args.weeks, args.seed, args.repeats)
    result["created"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    result["machine"] = machine()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "validation.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "validation.md").write_text(markdown(result))
    print(markdown(result))
    return result


if __name__ == "__main__":
    main()
