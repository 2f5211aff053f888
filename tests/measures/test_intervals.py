"""Proportion and rate intervals: R's values, statsmodels' values, errors and invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson
from tolerances import CLOSED_FORM_ABS

from lbprun._checks import ArgumentError
from lbprun.measures.intervals import (
    PROPORTION_METHODS,
    RATE_METHODS,
    proportion_ci,
    proportion_ci_arrays,
    rate_ci,
    rate_ci_arrays,
)


@pytest.fixture(scope="module")
def proportion_reference(expected_dir):
    return pd.read_csv(expected_dir / "proportion_ci.csv")


@pytest.fixture(scope="module")
def poisson_reference(expected_dir):
    return pd.read_csv(expected_dir / "poisson_ci.csv")


@pytest.mark.parametrize("method", PROPORTION_METHODS)
def test_proportion_ci_matches_epitools(proportion_reference, method):
    for level, rows in proportion_reference.groupby("level"):
        out = proportion_ci(rows["x"].to_numpy(), rows["n"].to_numpy(), method=method, level=level)
        np.testing.assert_allclose(
            out["estimate"], rows["proportion"], atol=CLOSED_FORM_ABS, rtol=0
        )
        np.testing.assert_allclose(
            out["ci_low"], rows[f"{method}_low"], atol=CLOSED_FORM_ABS, rtol=0
        )
        np.testing.assert_allclose(
            out["ci_high"], rows[f"{method}_high"], atol=CLOSED_FORM_ABS, rtol=0
        )


def test_rate_ci_matches_stats_poisson_test(poisson_reference):
    for level, rows in poisson_reference.groupby("level"):
        out = rate_ci(rows["x"].to_numpy(), rows["person_time"].to_numpy(), per=1, level=level)
        np.testing.assert_allclose(out["estimate"], rows["rate"], atol=CLOSED_FORM_ABS, rtol=0)
        np.testing.assert_allclose(out["ci_low"], rows["low"], atol=CLOSED_FORM_ABS, rtol=0)
        np.testing.assert_allclose(out["ci_high"], rows["high"], atol=CLOSED_FORM_ABS, rtol=0)


def test_rate_ci_per_scales_every_column(poisson_reference):
    rows = poisson_reference[poisson_reference["level"] == 0.95]
    per_one = rate_ci(rows["x"], rows["person_time"], per=1)
    per_thousand = rate_ci(rows["x"], rows["person_time"], per=1000)
    for column in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(per_thousand[column], 1000 * per_one[column], rtol=1e-12)
    assert (per_thousand["per"] == 1000).all()


@pytest.mark.parametrize(
    ("method", "statsmodels_method"),
    [
        ("wilson", "wilson"),
        ("exact", "beta"),
        ("jeffreys", "jeffreys"),
        ("agresti_coull", "agresti_coull"),
    ],
)
def test_proportion_ci_matches_statsmodels(method, statsmodels_method):
    rng = np.random.default_rng(3)
    n = rng.integers(1, 500, size=300)
    x = rng.binomial(n, rng.uniform(0, 1, size=300))
    low, high = proportion_confint(x, n, method=statsmodels_method)
    _, our_low, our_high = proportion_ci_arrays(x, n, method=method)
    # statsmodels' Jeffreys keeps the beta quantile at x = 0 and x = n; R and lbprun use 0 and 1.
    inner = (x > 0) & (x < n)
    np.testing.assert_allclose(our_low[inner], np.clip(low, 0, 1)[inner], atol=1e-12)
    np.testing.assert_allclose(our_high[inner], np.clip(high, 0, 1)[inner], atol=1e-12)
    assert np.all(our_low[x == 0] == 0) and np.all(our_high[x == n] == 1)


@pytest.mark.parametrize(("method", "statsmodels_method"), [("score", "score"), ("wald", "wald")])
def test_rate_ci_matches_statsmodels(method, statsmodels_method):
    events = np.array([1, 2, 5, 17, 57, 300])
    time = np.array([10.0, 40.0, 100.0, 1000.5, 20.0, 12345.6])
    low, high = confint_poisson(events, time, method=statsmodels_method)
    _, our_low, our_high = rate_ci_arrays(events, time, per=1, method=method)
    np.testing.assert_allclose(our_low, np.maximum(low, 0), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(our_high, high, rtol=1e-12)


def test_byar_formula_and_closeness_to_exact():
    z = 1.959963984540054
    _, low, high = rate_ci_arrays(np.array([57.0]), 1.0, per=1, method="byar")
    assert low[0] == pytest.approx(57 * (1 - 1 / (9 * 57) - z / (3 * np.sqrt(57))) ** 3, rel=1e-12)
    assert high[0] == pytest.approx(
        58 * (1 - 1 / (9 * 58) + z / (3 * np.sqrt(58))) ** 3, rel=1e-12
    )
    events = np.array([5, 20, 57, 300])
    _, b_low, b_high = rate_ci_arrays(events, 1.0, per=1, method="byar")
    _, e_low, e_high = rate_ci_arrays(events, 1.0, per=1, method="exact")
    np.testing.assert_allclose(b_low, e_low, rtol=0.01)
    np.testing.assert_allclose(b_high, e_high, rtol=0.01)
    zero = rate_ci(0, 10.0, per=1, method="byar")
    assert zero["ci_low"].iloc[0] == 0.0
    assert zero["ci_high"].iloc[0] > 0


def test_proportion_ci_frame_columns_and_broadcasting():
    out = proportion_ci([[1], [2]], [5, 10, 20], method="exact", level=0.9)
    assert list(out.columns) == ["x", "n", "estimate", "ci_low", "ci_high", "method", "level"]
    assert len(out) == 6
    assert out["x"].tolist() == [1, 1, 1, 2, 2, 2]
    assert out["n"].tolist() == [5, 10, 20, 5, 10, 20]
    assert (out["method"] == "exact").all() and (out["level"] == 0.9).all()
    scalar = proportion_ci(3, 10)
    assert len(scalar) == 1 and scalar["estimate"].iloc[0] == pytest.approx(0.3)
    est, low, high = proportion_ci_arrays(3, 10)
    assert np.ndim(est) == 0 and float(low) == pytest.approx(scalar["ci_low"].iloc[0])


def test_rate_ci_frame_columns():
    out = rate_ci([0, 3], 250.0, per=1000)
    assert list(out.columns) == [
        "events", "person_time", "estimate", "ci_low", "ci_high", "method", "level", "per",
    ]  # fmt: skip
    assert out["estimate"].tolist() == [0.0, 12.0]
    assert out["ci_low"].iloc[0] == 0.0


@pytest.mark.parametrize(
    ("x", "n", "match"),
    [
        (6, 5, r"x must be <= n; got x=6 > n=5"),
        (-1, 5, "x must be finite and non-negative"),
        (1.5, 5, "x must be whole counts; got 1.5"),
        (1, 0, "n must be positive"),
        (1, np.nan, "n must be finite and non-negative"),
        ([1, 2], [3, 4, 5], "broadcastable"),
        (["a"], 5, "x must be numeric counts; got dtype <U1"),
        (pd.array([1, None], dtype="Int64"), 5, "got nan at position 1"),
    ],
)
def test_proportion_ci_rejects_bad_counts(x, n, match):
    with pytest.raises(ArgumentError, match=match):
        proportion_ci(x, n)


def test_proportion_ci_rejects_bad_method_and_level():
    with pytest.raises(ArgumentError, match="Did you mean 'wilson'"):
        proportion_ci(1, 5, method="wilsn")
    with pytest.raises(ArgumentError, match="Did you mean 'agresti_coull'"):
        proportion_ci(1, 5, method="agresti-coull")
    with pytest.raises(ArgumentError, match=r"got 95\. Did you mean 0\.95\?"):
        proportion_ci(1, 5, level=95)


@pytest.mark.parametrize(
    ("events", "time", "match"),
    [
        (-1, 10.0, "events must be finite and non-negative"),
        (1, -10.0, "person_time must be finite and non-negative"),
        (1, 0.0, "person_time must be positive"),
        (1.5, 10.0, "events must be whole counts"),
    ],
)
def test_rate_ci_rejects_bad_inputs(events, time, match):
    with pytest.raises(ArgumentError, match=match):
        rate_ci(events, time)


def test_rate_ci_rejects_bad_method_per_and_level():
    with pytest.raises(ArgumentError, match="Did you mean 'exact'"):
        rate_ci(1, 10.0, method="exakt")
    with pytest.raises(ArgumentError, match="per must be a positive number"):
        rate_ci(1, 10.0, per=0)
    with pytest.raises(ArgumentError, match="Did you mean 0.9"):
        rate_ci(1, 10.0, level=90)


@st.composite
def counts(draw):
    n = draw(st.integers(min_value=1, max_value=5000))
    x = draw(st.integers(min_value=0, max_value=n))
    return x, n


@settings(max_examples=150, deadline=None)
@given(counts(), st.sampled_from(PROPORTION_METHODS), st.floats(0.5, 0.995))
def test_proportion_ci_invariants(pair, method, level):
    x, n = pair
    est, low, high = (float(v) for v in proportion_ci_arrays(x, n, method=method, level=level))
    assert 0.0 <= low <= est <= high <= 1.0
    if x == 0:
        assert low == 0.0
    if x == n:
        assert high == 1.0
    _, wide_low, wide_high = proportion_ci_arrays(
        x, n, method=method, level=min(level + 0.004, 0.999)
    )
    assert wide_low <= low + 1e-12 and wide_high >= high - 1e-12


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), st.sampled_from(PROPORTION_METHODS))
def test_proportion_ci_monotone_in_x(n, method):
    x = np.arange(n + 1)
    _, low, high = proportion_ci_arrays(x, n, method=method)
    assert np.all(np.diff(low) >= -1e-12)
    assert np.all(np.diff(high) >= -1e-12)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 2000),
    st.floats(0.1, 1e6, allow_nan=False),
    st.sampled_from(RATE_METHODS),
    st.floats(0.5, 0.99),
)
def test_rate_ci_invariants(events, time, method, level):
    est, low, high = (
        float(v) for v in rate_ci_arrays(events, time, per=1, method=method, level=level)
    )
    assert 0.0 <= low <= est <= high
    if events == 0:
        assert low == 0.0
        # the Wald interval degenerates to [0, 0] at zero events (one reason not to use it)
        assert high == 0.0 if method == "wald" else high > 0.0
    _, wide_low, wide_high = rate_ci_arrays(
        events, time, per=1, method=method, level=level + 0.009
    )
    assert float(wide_low) <= low + 1e-12 and float(wide_high) >= high - 1e-12
