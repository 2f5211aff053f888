"""Time clinic risk scoring: one runner and 100,000 runners, lbprun against peers, same run.

Usage::

    python benchmarks/bench_scoring.py                    # 2,000 single calls, 100,000 runners
    python benchmarks/bench_scoring.py --calls 500 --runners 20000   # quick check

The demonstration model (age, sex, previous LBP, strength training, weekly km as a
restricted cubic spline) scores:

1. one runner given as a dict, ``--calls`` calls each (median and 99th percentile):
   ``model.predict_one`` (probability and interval), ``model.score`` (the result object,
   tables built on first use), ``model.score(...).to_frame()`` (the whole table), a plain
   numpy reimplementation (design row, ``x @ beta``, ``x' V x``, expit) and statsmodels'
   ``Logit.predict`` (probability only, no interval) on the same design row;
2. ``--runners`` runners in a DataFrame (best of ``--repeat``): ``model.score`` and its
   table, plain numpy on the same design matrix, and ``Logit.predict``.

The peers get the design matrix ready-made (lbprun also checks every value and builds it);
the largest absolute difference of the probabilities from lbprun's is recorded. Results go to
``benchmarks/results/scoring.json`` and ``scoring.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels
import statsmodels.api as sm
from scipy import special

from lbprun.clinic import load_demo_model

RESULTS = Path(__file__).resolve().parent / "results"


def runners(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "runner_id": [f"R{i:06d}" for i in range(n)],
            "age": rng.integers(18, 76, n).astype(float),
            "sex": rng.choice(["F", "M"], n),
            "prior_lbp": rng.integers(0, 2, n).astype(bool),
            "strength_training": rng.integers(0, 2, n).astype(bool),
            "weekly_km": rng.uniform(7.0, 120.0, n).round(1),
        }
    )


def numpy_score(x: np.ndarray, beta: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, ...]:
    eta = x @ beta
    se = np.sqrt(np.einsum("ij,jk,ik->i", x, cov, x))
    z = 1.959963984540054
    return special.expit(eta), special.expit(eta - z * se), special.expit(eta + z * se)


def per_call(funcs: dict, calls: int) -> dict[str, dict[str, float]]:
    """Median and 99th percentile (seconds) of ``calls`` alternating calls of each function."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for func in funcs.values():  # warm up
        for _ in range(20):
            func()
    for _ in range(calls):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return {
        name: {"median_s": float(np.median(t)), "p99_s": float(np.percentile(t, 99))}
        for name, t in times.items()
    }


def best(funcs: dict, repeat: int) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in funcs}
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--runners", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    model = load_demo_model()
    beta, cov = np.asarray(model.coef), np.asarray(model.cov)
    frame = runners(args.runners, args.seed)
    one = frame.iloc[0].to_dict()
    one = {k: (v.item() if hasattr(v, "item") else v) for k, v in one.items()}
    x1 = model.design_matrix(one)
    logit = sm.Logit(np.zeros(1), x1)

    single = per_call(
        {
            "lbprun predict_one": lambda: model.predict_one(one),
            "lbprun score": lambda: model.score(one),
            "lbprun score + table": lambda: model.score(one).to_frame(),
            "numpy (design ready)": lambda: numpy_score(x1, beta, cov),
            "statsmodels Logit.predict (design ready)": lambda: logit.predict(beta, x1),
        },
        args.calls,
    )
    x = model.design_matrix(frame)
    logit_n = sm.Logit(np.zeros(len(x)), x)
    many = best(
        {
            "lbprun score": lambda: model.score(frame),
            "lbprun score + table": lambda: model.score(frame).to_frame(),
            "numpy (design ready)": lambda: numpy_score(x, beta, cov),
            "statsmodels Logit.predict (design ready)": lambda: logit_n.predict(beta, x),
        },
        args.repeat,
    )
    p_lbprun = model.score(frame).table["probability"].to_numpy()
    diffs = {
        "numpy": float(np.max(np.abs(numpy_score(x, beta, cov)[0] - p_lbprun))),
        "statsmodels": float(np.max(np.abs(logit_n.predict(beta, x) - p_lbprun))),
    }
    result = {
        "benchmark": "scoring",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "calls": args.calls,
        "runners": args.runners,
        "repeat": args.repeat,
        "one_runner": single,
        "many_runners_s": many,
        "max_abs_difference_probability": diffs,
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "statsmodels": statsmodels.__version__,
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scoring.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "scoring.md").write_text(markdown(result))
    print(markdown(result))
    return result


def markdown(result: dict) -> str:
    lines = [
        "# Scoring benchmark",
        "",
        f"Demonstration model; measured in one run on {result['machine']['cpus']} CPU(s); "
        f"created {result['created']}.",
        "",
        f"## One runner (dict), {result['calls']} calls each",
        "",
        "| tool | median (ms) | p99 (ms) |",
        "|---|---:|---:|",
    ]
    for name, t in result["one_runner"].items():
        lines.append(f"| {name} | {t['median_s'] * 1e3:.3f} | {t['p99_s'] * 1e3:.3f} |")
    lines += [
        "",
        f"## {result['runners']:,} runners (DataFrame), best of {result['repeat']}",
        "",
        "| tool | seconds |",
        "|---|---:|",
    ]
    for name, t in result["many_runners_s"].items():
        lines.append(f"| {name} | {t:.3f} |")
    d = result["max_abs_difference_probability"]
    lines += [
        "",
        f"Largest |difference| of the probabilities from lbprun's: numpy {d['numpy']:.1e}, "
        f"statsmodels {d['statsmodels']:.1e}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
