"""Mid-p exact rate ratios: epitools' rateratio.midp and rate2by2.test, coverage, edges."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun.measures.incidence import _rate_ratio, incidence_rate

CASES = ("rothman", "small", "zero_exposed", "zero_reference")


@pytest.fixture(scope="module")
def expected(expected_dir):
    return json.loads((expected_dir / "rateratio_midp.json").read_text())


def _as_float(value):
    return np.inf if value == "Infinity" else float(value)


@pytest.mark.parametrize("name", CASES)
def test_rate_ratio_midp_matches_epitools(expected, name):
    case = expected[name]
    est, low, high, p = _rate_ratio(case["x1"], case["t1"], case["x0"], case["t0"], "midp", 0.95)
    # the same equations solved tightly in R (epitools' uniroot stops near 1e-4)
    assert low == pytest.approx(_as_float(case["tight_lower"]), rel=1e-9, abs=1e-12)
    assert high == pytest.approx(_as_float(case["tight_upper"]), rel=1e-9)
    # epitools' own printed limits, to its root-finding accuracy (uniroot's default tolerance)
    assert low == pytest.approx(_as_float(case["epitools_lower"]), rel=5e-4, abs=1e-12)
    assert high == pytest.approx(_as_float(case["epitools_upper"]), rel=5e-4)
    assert p == pytest.approx(case["midp_p_value"], rel=1e-12)
    rates = (case["x1"] / case["t1"], case["x0"] / case["t0"])
    assert est == (np.inf if rates[1] == 0 else pytest.approx(rates[0] / rates[1]))


def test_midp_interval_lies_inside_the_exact_interval():
    """Mid-p limits are never wider than the conservative exact (Garwood) ones."""
    for x1, t1, x0, t0 in [(41, 28010, 15, 19017), (3, 120.5, 7, 210.25), (1, 10, 9, 12)]:
        _, low_mid, high_mid, p_mid = _rate_ratio(x1, t1, x0, t0, "midp", 0.95)
        _, low_ex, high_ex, p_ex = _rate_ratio(x1, t1, x0, t0, "exact", 0.95)
        assert low_ex <= low_mid < high_mid <= high_ex
        assert p_mid <= p_ex


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    x1=st.integers(0, 60),
    x0=st.integers(0, 60),
    t1=st.floats(1.0, 1e4),
    t0=st.floats(1.0, 1e4),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_midp_interval_contains_the_estimate_and_widens_with_level(x1, x0, t1, t0, level):
    if x1 + x0 == 0:
        assert np.isnan(_rate_ratio(x1, t1, x0, t0, "midp", level)[0])
        return
    est, low, high, p = _rate_ratio(x1, t1, x0, t0, "midp", level)
    assert 0.0 <= low <= est <= high and 0.0 <= p <= 1.0
    _, low_wide, high_wide, _ = _rate_ratio(x1, t1, x0, t0, "midp", min(level + 0.005, 0.999))
    assert low_wide <= low and high <= high_wide


def test_midp_coverage_is_close_to_nominal():
    """2,000 seeded cohorts: the 95 % mid-p interval covers the true ratio 93-97 % of the time."""
    rng = np.random.default_rng(20261204)
    truth, t1, t0 = 1.8, 900.0, 1400.0
    x1 = rng.poisson(0.01 * truth * t1, 2000)
    x0 = rng.poisson(0.01 * t0, 2000)
    covered = [
        low <= truth <= high
        for a, b in zip(x1, x0, strict=True)
        for _, low, high, _ in [_rate_ratio(a, t1, b, t0, "midp", 0.95)]
        if a + b > 0
    ]
    assert 0.93 <= np.mean(covered) <= 0.97


def test_incidence_rate_reports_midp_ratios(reference_dir):
    import pandas as pd

    cohort = pd.read_csv(reference_dir / "runner_cohort.csv")
    cohort["group"] = np.random.default_rng(5).choice(["A", "B"], len(cohort))
    runs = pd.read_csv(reference_dir / "runner_activities.csv")
    exact = incidence_rate(cohort, runs, by="group", ratio_method="exact").rate_ratios
    midp = incidence_rate(cohort, runs, by="group", ratio_method="midp").rate_ratios
    assert list(midp["estimate"]) == pytest.approx(list(exact["estimate"]))
    row = midp.dropna(subset=["ci_low"]).iloc[0]
    ex = exact.dropna(subset=["ci_low"]).iloc[0]
    assert ex["ci_low"] <= row["ci_low"] < row["ci_high"] <= ex["ci_high"]
