"""Invariants of pool_prevalence (Hypothesis) and the coverage of its confidence interval."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lbprun.meta import pool_prevalence
from lbprun.meta._tau2 import fit_uni

counts = st.lists(
    st.tuples(st.integers(20, 500), st.floats(0.02, 0.6)), min_size=2, max_size=12
).map(
    lambda rows: pd.DataFrame(
        {
            "study": [f"s{i}" for i in range(len(rows))],
            "n": [n for n, _ in rows],
            "cases": [max(1, min(n - 1, round(n * p))) for n, p in rows],
        }
    )
)


@given(counts, st.sampled_from(["REML", "DL", "PM", "ML"]))
def test_pooled_estimate_within_study_range_and_order_free(data, method):
    r = pool_prevalence(data, method=method)
    es = r.studies["yi"]
    assert es.min() - 1e-9 <= r.estimate_link <= es.max() + 1e-9
    assert r.ci_low <= r.estimate <= r.ci_high
    assert r.pi_low <= r.ci_low + 1e-12 and r.pi_high >= r.ci_high - 1e-12
    assert r.tau2 >= 0.0 and 0.0 <= r.i2 < 100.0
    shuffled = pool_prevalence(data.iloc[::-1], method=method)
    np.testing.assert_allclose(shuffled.estimate_link, r.estimate_link, rtol=1e-9, atol=1e-12)


@given(st.lists(st.floats(-3, 3), min_size=2, max_size=10), st.floats(0.01, 1.0))
def test_homogeneous_dl_is_the_fixed_effect_mean(ys, v):
    y = np.full(len(ys), ys[0])
    f = fit_uni(y, np.full(len(ys), v), method="DL")
    assert f.tau2 == 0.0
    np.testing.assert_allclose(f.beta[0], ys[0])


def _coverage(reps: int, seed: int, k: int = 15, mu: float = -2.0, tau: float = 0.5) -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        n = rng.integers(100, 1000, size=k)
        p = 1 / (1 + np.exp(-(mu + tau * rng.standard_normal(k))))
        d = pd.DataFrame({"study": range(k), "n": n, "cases": rng.binomial(n, p)})
        r = pool_prevalence(d, method="REML", knha=True)
        hits += r.ci_low_link <= mu <= r.ci_high_link
    return hits / reps


def test_logit_ci_coverage_small():
    # 200 seeded replicates: binomial 95% band for coverage 0.95 is about [0.92, 0.98]
    assert 0.90 <= _coverage(200, seed=20240601) <= 0.99


@pytest.mark.slow
def test_logit_ci_coverage():
    assert 0.935 <= _coverage(2000, seed=7) <= 0.965
