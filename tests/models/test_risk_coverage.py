"""Seeded simulation: bias and Wald-interval coverage of fit_risk_factors on surveys drawn by
lbprun.simulate.simulate_survey with known log odds ratios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbprun.models.risk_factors import fit_risk_factors
from lbprun.simulate import simulate_survey

#: simulate_survey coefficient -> how the predictor is derived from the survey columns.
TERMS = {
    "per_10km_week": lambda s: s["weekly_km"] / 10,
    "spike_gt_30pct": lambda s: (s["max_weekly_increase_pct"] > 30).astype(int),
    "shoe_km_gt_800": lambda s: (s["shoe_km"] > 800).astype(int),
    "surface_asphalt_vs_other": lambda s: (s["surface"] == "asphalt").astype(int),
    "bmi_gt_24": lambda s: (s["bmi"] > 24).astype(int),
    "years_running_gt_6": lambda s: (s["years_running"] > 6).astype(int),
    "prior_lbp": lambda s: s["prior_lbp"].astype(int),
    "strength_training": lambda s: s["strength_training"].astype(int),
}


def simulate_coverage(reps: int, n: int, seed: int, level: float = 0.95) -> pd.DataFrame:
    """Bias, empirical SD, mean SE and Wald coverage of each log odds ratio over ``reps``
    simulated surveys of ``n`` runners (seeds ``seed, seed + 1, ...``)."""
    rows = []
    truth = None
    for rep in range(reps):
        sim = simulate_survey(n, seed=seed + rep)
        truth = sim.truth["coefficients"]
        data = pd.DataFrame({name: f(sim.survey) for name, f in TERMS.items()})
        data["lbp_12m"] = sim.survey["lbp_12m"].astype(int)
        table = fit_risk_factors(data, "lbp_12m", list(TERMS), level=level).table.set_index("term")
        for name in TERMS:
            rows.append(
                {
                    "term": name,
                    "estimate": table.loc[name, "estimate"],
                    "std_error": table.loc[name, "std_error"],
                    "covered": table.loc[name, "ci_low"]
                    <= truth[name]
                    <= table.loc[name, "ci_high"],
                    "truth": truth[name],
                }
            )
    frame = pd.DataFrame(rows)
    return frame.groupby("term", sort=False).agg(
        truth=("truth", "first"),
        bias=("estimate", lambda e: e.mean() - frame.loc[e.index, "truth"].iloc[0]),
        empirical_sd=("estimate", "std"),
        mean_se=("std_error", "mean"),
        coverage=("covered", "mean"),
    )


def test_wald_coverage_fast():
    summary = simulate_coverage(reps=60, n=700, seed=100)
    pooled = summary["coverage"].mean()  # 480 intervals: Monte Carlo SD about 0.01
    assert 0.91 <= pooled <= 0.985
    assert (summary["coverage"] >= 0.83).all()
    # bias within 4 Monte Carlo standard errors (plus the small-sample bias of ML, < 0.05)
    limit = 4 * summary["empirical_sd"] / np.sqrt(60) + 0.05
    assert (summary["bias"].abs() <= limit).all()
    np.testing.assert_allclose(summary["mean_se"], summary["empirical_sd"], rtol=0.3)


@pytest.mark.slow
def test_wald_coverage_large():
    summary = simulate_coverage(reps=1000, n=2000, seed=5000)
    assert (summary["coverage"].between(0.935, 0.965)).all()
    limit = 4 * summary["empirical_sd"] / np.sqrt(1000) + 0.01
    assert (summary["bias"].abs() <= limit).all()
    np.testing.assert_allclose(summary["mean_se"], summary["empirical_sd"], rtol=0.08)
