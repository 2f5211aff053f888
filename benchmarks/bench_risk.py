"""Time lbprun's risk-factor fit against scikit-learn and statsmodels, same run.

Usage::

    python benchmarks/bench_risk.py                       # 1,000,000 rows x 12 predictors
    python benchmarks/bench_risk.py --rows 100000         # quick check

1. ``fit_risk_factors`` with full inference (coefficients, SEs, Wald intervals, p-values, C,
   Brier, Nagelkerke R2) on ``--rows`` rows x 12 numeric predictors (8 continuous, 4 binary),
   versus ``sklearn.linear_model.LogisticRegression(solver="newton-cholesky", penalty=None)``
   (point estimates only) and ``statsmodels`` ``GLM(Binomial).fit()`` plus its ``conf_int()``.
2. Collapsed covariate patterns: 6 binned predictors (text categories, 4 levels each) on the
   same number of rows: ``fit_risk_factors`` (fits on the unique patterns automatically) versus
   statsmodels' GLM on every row.

Each timing is the best of ``--repeat`` calls, alternating the tools so that load from other
processes hits all of them; ``ratio`` is lbprun's time over the peer's. The largest absolute
difference of the estimates between lbprun and each peer is recorded. Results go to
``benchmarks/results/risk.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import statsmodels
import statsmodels.api as sm
from scipy import special
from sklearn.linear_model import LogisticRegression

from lbprun.models.risk_factors import fit_risk_factors

RESULTS = Path(__file__).resolve().parent / "results" / "risk.json"


def interleaved(funcs: dict, repeat: int) -> tuple[dict[str, float], dict[str, object]]:
    """Best time of ``repeat`` alternating calls of each function, and each last output."""
    times: dict[str, list[float]] = {name: [] for name in funcs}
    outputs: dict[str, object] = {}
    for _ in range(repeat):
        for name, func in funcs.items():
            start = time.perf_counter()
            outputs[name] = func()
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}, outputs


def numeric_data(rows: int, seed: int) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    cols = {f"x{i}": rng.normal(size=rows) for i in range(8)}
    cols.update({f"b{i}": rng.integers(0, 2, rows).astype(float) for i in range(4)})
    data = pd.DataFrame(cols)
    names = list(cols)
    coef = np.linspace(-0.4, 0.4, len(names))
    eta = -1.0 + data[names].to_numpy() @ coef
    data["y"] = (rng.uniform(size=rows) < special.expit(eta)).astype(float)
    return data, names


def binned_data(rows: int, seed: int) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed + 1)
    names = [f"bin{i}" for i in range(6)]
    data = pd.DataFrame({n: rng.choice(["a", "b", "c", "d"], rows) for n in names})
    eta = -1.0 + sum(0.2 * (data[n] == "b") - 0.3 * (data[n] == "d") for n in names)
    data["y"] = (rng.uniform(size=rows) < special.expit(eta)).astype(float)
    return data, names


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    data, names = numeric_data(args.rows, args.seed)
    x = data[names].to_numpy()
    y = data["y"].to_numpy()
    xc = sm.add_constant(x)

    def lbprun_fit():
        return fit_risk_factors(data, "y", names)

    def sklearn_fit():
        return LogisticRegression(solver="newton-cholesky", penalty=None, tol=1e-8).fit(x, y)

    def statsmodels_fit():
        res = sm.GLM(y, xc, family=sm.families.Binomial()).fit()
        res.conf_int()
        return res

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        times, out = interleaved(
            {"lbprun": lbprun_fit, "sklearn": sklearn_fit, "statsmodels": statsmodels_fit},
            args.repeat,
        )
    beta = out["lbprun"].table["estimate"].to_numpy()
    sk = out["sklearn"]
    sk_beta = np.concatenate([sk.intercept_, sk.coef_.ravel()])
    full = {
        "rows": args.rows,
        "predictors": len(names),
        "seconds": times,
        "ratio_vs_sklearn": times["lbprun"] / times["sklearn"],
        "ratio_vs_statsmodels": times["lbprun"] / times["statsmodels"],
        "max_abs_diff_vs_sklearn": float(np.max(np.abs(beta - sk_beta))),
        "max_abs_diff_vs_statsmodels": float(
            np.max(np.abs(beta - np.asarray(out["statsmodels"].params)))
        ),
    }

    binned, bnames = binned_data(args.rows, args.seed)
    fit = fit_risk_factors(binned, "y", bnames)
    xb = fit.spec.transform(binned)
    yb = binned["y"].to_numpy()

    def lbprun_collapsed():
        return fit_risk_factors(binned, "y", bnames)

    def statsmodels_rows():
        res = sm.GLM(yb, xb, family=sm.families.Binomial()).fit()
        res.conf_int()
        return res

    times_b, out_b = interleaved(
        {"lbprun_collapsed": lbprun_collapsed, "statsmodels_rows": statsmodels_rows},
        args.repeat,
    )
    collapsed = {
        "rows": args.rows,
        "predictors": len(bnames),
        "patterns": int(len(fit._y)),
        "seconds": times_b,
        "speedup_vs_statsmodels_rows": times_b["statsmodels_rows"] / times_b["lbprun_collapsed"],
        "max_abs_diff": float(
            np.max(
                np.abs(
                    out_b["lbprun_collapsed"].table["estimate"].to_numpy()
                    - np.asarray(out_b["statsmodels_rows"].params)
                )
            )
        ),
    }
    result = {
        "benchmark": "risk",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "numpy": np.__version__,
            "statsmodels": statsmodels.__version__,
            "sklearn": sklearn.__version__,
        },
        "repeat": args.repeat,
        "full_inference": full,
        "collapsed_patterns": collapsed,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
