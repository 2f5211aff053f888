"""Time lbprun's proportion intervals and prevalence against statsmodels and pandas, same run.

Usage::

    python benchmarks/bench_intervals.py                                  # full size
    python benchmarks/bench_intervals.py --pairs 100000 --rows 1000000    # quick check

1. ``proportion_ci_arrays`` and ``proportion_ci`` (the DataFrame) on 1,000,000 (x, n) pairs for
   each method versus ``statsmodels.stats.proportion.proportion_confint`` on the same pairs.
2. ``prevalence(data, by="group")`` on 10,000,000 rows (50 groups) versus a naive pandas
   ``groupby`` loop calling ``proportion_confint`` once per group.

Each timing is the best of ``--repeat`` calls (at least 25 for calls under 0.2 s), alternating
lbprun and its peer so that load from other processes hits both; ``ratio`` is lbprun's time over the peer's (below 1 means
lbprun is faster). Results go to ``benchmarks/results/intervals.json``.
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
import scipy
import statsmodels
from statsmodels.stats.proportion import proportion_confint

from lbprun.measures.intervals import PROPORTION_METHODS, proportion_ci, proportion_ci_arrays
from lbprun.measures.prevalence import prevalence

RESULTS = Path(__file__).resolve().parent / "results" / "intervals.json"
#: statsmodels' name of each lbprun method.
STATSMODELS = {
    "wilson": "wilson",
    "exact": "beta",
    "jeffreys": "jeffreys",
    "agresti_coull": "agresti_coull",
    "wald": "normal",
}


def interleaved(funcs: dict, repeat: int) -> dict[str, list[float]]:
    """Time each function ``repeat`` times, alternating between them so that a busy machine
    slows every contender alike; return all times per name. Calls that take under 0.2 s are
    repeated at least 25 times, since their best time is otherwise dominated by noise."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    rounds, done = repeat, 0
    while done < rounds:
        for name, func in funcs.items():
            start = time.perf_counter()
            func()
            times[name].append(time.perf_counter() - start)
        done += 1
        if done == 1 and max(t[0] for t in times.values()) < 0.2:
            rounds = max(repeat, 25)
    return times


def bench_pairs(pairs: int, repeat: int, seed: int) -> dict:
    """Time every method on ``pairs`` random (x, n) pairs, lbprun versus statsmodels."""
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 2000, size=pairs)
    x = rng.binomial(n, rng.uniform(0, 0.5, size=pairs))
    out = {}
    for method in PROPORTION_METHODS:
        peer = STATSMODELS[method]
        times = interleaved(
            {
                "arrays": lambda m=method: proportion_ci_arrays(x, n, method=m),
                "dataframe": lambda m=method: proportion_ci(x, n, method=m),
                "statsmodels": lambda p=peer: proportion_confint(x, n, method=p),
            },
            repeat,
        )
        arrays, frame, sm = (min(times[k]) for k in ("arrays", "dataframe", "statsmodels"))
        _, low, high = proportion_ci_arrays(x, n, method=method)
        sm_low, sm_high = proportion_confint(x, n, method=peer)
        inner = (x > 0) & (x < n)
        out[method] = {
            "statsmodels_method": peer,
            "seconds_arrays": arrays,
            "seconds_dataframe": frame,
            "seconds_statsmodels": sm,
            "ratio_arrays": arrays / sm,
            "ratio_dataframe": frame / sm,
            "median_ratio_arrays": float(
                np.median(times["arrays"]) / np.median(times["statsmodels"])
            ),
            "calls": len(times["arrays"]),
            "all_seconds": times,
            "max_abs_difference_inside": float(
                max(
                    np.max(np.abs(low[inner] - np.clip(sm_low, 0, 1)[inner])),
                    np.max(np.abs(high[inner] - np.clip(sm_high, 0, 1)[inner])),
                )
            ),
        }
        print(
            f"{method:>14}: arrays {arrays:.3f}s  frame {frame:.3f}s  statsmodels {sm:.3f}s  "
            f"ratio {arrays / sm:.2f} / {frame / sm:.2f}",
            flush=True,
        )
    return out


def naive_by_group(data: pd.DataFrame) -> pd.DataFrame:
    """The peer: a pandas groupby loop with one statsmodels call per group."""
    rows = []
    for level, sub in data.groupby("group", observed=True):
        cases, size = int(sub["lbp_12m"].sum()), int(sub["lbp_12m"].count())
        low, high = proportion_confint(cases, size, method="wilson")
        rows.append({"group": level, "n": size, "cases": cases, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows)


def bench_prevalence(rows: int, groups: int, repeat: int, seed: int) -> dict:
    """Time ``prevalence(by=...)`` on ``rows`` rows versus :func:`naive_by_group`."""
    rng = np.random.default_rng(seed)
    labels = np.array([f"club-{i:02d}" for i in range(groups)])
    data = pd.DataFrame(
        {
            "group": pd.Categorical.from_codes(rng.integers(0, groups, rows), categories=labels),
            "lbp_12m": rng.random(rows) < 0.22,
        }
    )
    times = interleaved(
        {"lbprun": lambda: prevalence(data, by="group"), "naive": lambda: naive_by_group(data)},
        repeat,
    )
    ours, peer = min(times["lbprun"]), min(times["naive"])
    check = prevalence(data, by="group").table.iloc[1:].reset_index(drop=True)
    reference = naive_by_group(data)
    difference = float(np.max(np.abs(check["ci_low"].to_numpy() - reference["ci_low"].to_numpy())))
    print(
        f"prevalence by {groups} groups on {rows:,} rows: lbprun {ours:.3f}s, "
        f"naive pandas + statsmodels {peer:.3f}s, ratio {ours / peer:.2f}",
        flush=True,
    )
    return {
        "rows": rows,
        "groups": groups,
        "seconds_lbprun": ours,
        "seconds_naive": peer,
        "ratio": ours / peer,
        "median_ratio": float(np.median(times["lbprun"]) / np.median(times["naive"])),
        "all_seconds": times,
        "max_abs_difference": difference,
    }


def main(argv: list[str] | None = None) -> dict:
    """Run both benchmarks, print a summary and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    results = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "pandas": pd.__version__,
            "statsmodels": statsmodels.__version__,
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
        },
        "target": "proportion intervals no slower than statsmodels proportion_confint",
        "repeat": args.repeat,
        "seed": args.seed,
        "pairs": args.pairs,
        "proportion_ci": bench_pairs(args.pairs, args.repeat, args.seed),
        "prevalence_by_group": bench_prevalence(args.rows, args.groups, args.repeat, args.seed),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.output}")
    return results


if __name__ == "__main__":
    main()
