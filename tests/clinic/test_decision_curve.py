"""Decision curves: net benefit by hand, treat-all and treat-none, bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.clinic.decision_curve import decision_curve, net_benefit

#: Ten participants: predicted risks and outcomes (4 events).
P = np.array([0.05, 0.10, 0.15, 0.20, 0.20, 0.30, 0.40, 0.55, 0.70, 0.90])
Y = np.array([0, 0, 1, 0, 0, 1, 0, 0, 1, 1])


def test_net_benefit_by_hand():
    result = decision_curve(P, Y, thresholds=[0.1, 0.2, 0.5], n_bootstrap=0)
    table = result.to_frame()
    model = table[table["strategy"] == "model"].set_index("threshold")
    # pt = 0.1: positives p >= 0.1 are 9 rows, 4 events and 5 non-events
    #   NB = 4/10 - 5/10 * 0.1/0.9 = 0.4 - 0.0555...
    # pt = 0.2: p >= 0.2 (ties count positive, as dcurves) are 7 rows, 3 events, 4 non-events
    #   NB = 3/10 - 4/10 * 0.25 = 0.2
    # pt = 0.5: p >= 0.5 are 3 rows, 2 events, 1 non-event: NB = 0.2 - 0.1 = 0.1
    np.testing.assert_allclose(model["net_benefit"], [0.4 - 0.5 / 9, 0.2, 0.1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(model["tp_rate"], [0.4, 0.3, 0.2])
    np.testing.assert_allclose(model["fp_rate"], [0.5, 0.4, 0.1])
    treat_all = table[table["strategy"] == "all"]["net_benefit"].to_numpy()
    # NB(all) = 0.4 - 0.6 * pt / (1 - pt)
    np.testing.assert_allclose(treat_all, [0.4 - 0.6 / 9, 0.4 - 0.6 * 0.25, -0.2], atol=1e-15)
    assert (table[table["strategy"] == "none"]["net_benefit"] == 0).all()
    assert table["strategy"].tolist()[:3] == ["model", "all", "none"]
    assert np.isnan(model["ci_low"]).all()


def test_net_benefit_function_matches_table():
    thresholds = np.round(np.arange(0, 0.95, 0.05), 2)
    table = decision_curve(P, Y, thresholds=thresholds, n_bootstrap=0).to_frame()
    model = table[table["strategy"] == "model"]["net_benefit"].to_numpy()
    np.testing.assert_allclose(net_benefit(P, Y, thresholds), model)
    # threshold 0: every runner is positive, the model equals treat-all
    treat_all = table[table["strategy"] == "all"]["net_benefit"].to_numpy()
    assert model[0] == pytest.approx(treat_all[0])


def test_default_thresholds_are_those_of_dcurves():
    table = decision_curve(P, Y, n_bootstrap=0).to_frame()
    thresholds = table["threshold"].unique()
    assert thresholds.size == 100
    assert thresholds[0] == 0 and thresholds[-1] == pytest.approx(0.99)


def test_bootstrap_intervals_are_seeded_and_cover_the_estimate():
    rng = np.random.default_rng(11)
    p = rng.uniform(0.02, 0.8, 400)
    y = (rng.uniform(size=400) < p).astype(float)
    first = decision_curve(p, y, thresholds=[0.1, 0.2, 0.3], n_bootstrap=100, seed=5)
    again = decision_curve(p, y, thresholds=[0.1, 0.2, 0.3], n_bootstrap=100, seed=5)
    other = decision_curve(p, y, thresholds=[0.1, 0.2, 0.3], n_bootstrap=100, seed=6)
    pd_first, pd_again = first.to_frame(), again.to_frame()
    np.testing.assert_array_equal(pd_first["ci_low"], pd_again["ci_low"])
    assert not np.array_equal(pd_first["ci_low"], other.to_frame()["ci_low"])
    shown = pd_first[pd_first["strategy"] != "none"]
    assert (shown["ci_low"] <= shown["net_benefit"]).all()
    assert (shown["net_benefit"] <= shown["ci_high"]).all()
    assert (shown["ci_low"] < shown["ci_high"]).all()
    none = pd_first[pd_first["strategy"] == "none"]
    assert (none[["ci_low", "ci_high"]] == 0).all().all()
    assert first.useful_range() == (0.1, 0.3)


@given(
    st.lists(st.floats(0, 1), min_size=5, max_size=40),
    st.floats(0, 0.95),
    st.integers(0, 2**32 - 1),
)
def test_net_benefit_never_exceeds_prevalence(risks, threshold, seed):
    p = np.array(risks)
    y = np.random.default_rng(seed).integers(0, 2, p.size).astype(float)
    nb = net_benefit(p, y, [threshold])[0]
    assert nb <= y.mean() + 1e-12


def test_decision_curve_rejects_bad_input():
    with pytest.raises(ArgumentError, match="same length"):
        decision_curve([0.2, 0.3], [1])
    with pytest.raises(ArgumentError, match=r"p must be risks in \[0, 1\]; got \[1.5\]"):
        decision_curve([1.5, 0.3], [1, 0])
    with pytest.raises(ArgumentError, match=r"thresholds must lie in \[0, 1\)"):
        decision_curve([0.5, 0.3], [1, 0], thresholds=[1.0])
    with pytest.raises(ArgumentError, match="y must be 0 or 1"):
        decision_curve([0.5, 0.3], [2, 0])
