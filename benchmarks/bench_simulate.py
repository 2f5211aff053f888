"""Time the simulators and the example-data loaders; write ``benchmarks/results/simulate.json``.

Usage::

    python benchmarks/bench_simulate.py                      # 20,000 runners x 156 weeks
    python benchmarks/bench_simulate.py --runners 2000 --weeks 52 --repeat 1   # quick check

The target is a cohort of 20,000 runners followed for 156 weeks (about 10 million runs) in under
a minute. Each timing is the wall-clock time of one call (best and all of ``--repeat`` calls);
peak resident memory of the process is reported as well.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from lbprun import datasets
from lbprun.simulate import SimulationDesign, simulate_cohort, simulate_survey

RESULTS = Path(__file__).resolve().parent / "results" / "simulate.json"


def _time(func, repeat: int):
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return value, times


def run(runners: int, weeks: int, repeat: int, seed: int) -> dict:
    """Run the benchmark and return the results as a JSON-safe dict."""
    results: dict = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
        },
        "target": "simulate_cohort(20000, 156) in under 60 s",
        "timings": {},
    }
    data, times = _time(lambda: simulate_cohort(runners, weeks, seed=seed), repeat)
    results["timings"]["simulate_cohort"] = {
        "call": f"simulate_cohort({runners}, {weeks}, seed={seed})",
        "runs": len(data.activities),
        "runner_weeks": runners * weeks,
        "episodes": len(data.episodes),
        "seconds_best": min(times),
        "seconds_all": times,
        "runs_per_second": len(data.activities) / min(times),
        "meets_target": bool(runners * weeks < 20000 * 156 or min(times) < 60.0),
    }
    del data
    design = SimulationDesign()
    for label, call in {
        "simulate_survey_design_2500": lambda: simulate_survey(2500, design=design, seed=seed),
        "simulate_survey_srs_100000": lambda: simulate_survey(100_000, seed=seed),
    }.items():
        _, times = _time(call, repeat)
        results["timings"][label] = {"seconds_best": min(times), "seconds_all": times}
    for name in ("survey", "activities", "cohort", "episodes"):
        loader = getattr(datasets, f"load_example_{name}")
        frame, times = _time(loader, max(repeat, 3))
        results["timings"][f"load_example_{name}"] = {
            "rows": len(frame),
            "seconds_best": min(times),
            "seconds_all": times,
        }
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Benchmark lbprun.simulate.")
    parser.add_argument("--runners", type=int, default=20000)
    parser.add_argument("--weeks", type=int, default=156)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = run(args.runners, args.weeks, args.repeat, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    for label, timing in results["timings"].items():
        print(f"{label:32s} {timing['seconds_best']:8.3f} s")
    print(f"peak RSS {results['peak_rss_mb']:.0f} MB -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
