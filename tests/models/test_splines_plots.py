"""Restricted cubic splines (rms::rcspline.eval), dose-response and forest plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import patsy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.models._design_matrix import HARRELL_QUANTILES, rcs_basis, rcs_knots
from lbprun.models.calibration import val_prob
from lbprun.models.risk_factors import fit_risk_factors
from lbprun.plots.models import plot_dose_response, plot_forest


def test_rcs_knots_at_harrell_quantiles():
    x = np.random.default_rng(1).normal(size=500)
    for nk, probs in HARRELL_QUANTILES.items():
        np.testing.assert_allclose(rcs_knots(x, nk), np.quantile(x, probs))
    small = np.arange(50.0)
    knots = rcs_knots(small, 4)
    assert knots[0] == 4.0 and knots[-1] == 45.0
    with pytest.raises(ArgumentError, match="3..7"):
        rcs_knots(x, 9)


def test_rcs_basis_spans_natural_cubic_spline():
    x = np.linspace(0, 100, 301)
    knots = np.array([10.0, 35.0, 65.0, 90.0])
    basis = np.column_stack([np.ones_like(x), rcs_basis(x, knots)])
    natural = patsy.dmatrix(
        "cr(x, knots=inner, lower_bound=10, upper_bound=90) - 1",
        {"x": np.clip(x, 10, 90), "inner": knots[1:-1]},
    )
    inside = (x >= 10) & (x <= 90)
    coef, *_ = np.linalg.lstsq(basis[inside], np.asarray(natural)[inside], rcond=None)
    np.testing.assert_allclose(basis[inside] @ coef, np.asarray(natural)[inside], atol=1e-8)


@settings(max_examples=25, deadline=None)
@given(st.floats(91.0, 500.0), st.floats(501.0, 900.0))
def test_rcs_basis_is_linear_beyond_last_knot(a, b):
    knots = np.array([10.0, 35.0, 65.0, 90.0])
    mid = (a + b) / 2
    values = rcs_basis(np.array([a, mid, b]), knots)
    np.testing.assert_allclose(values[1], (values[0] + values[2]) / 2, rtol=1e-9, atol=1e-9)


def test_spline_fit_lr_test_and_dose_response(survey):
    fit = fit_risk_factors(survey, "lbp_12m", ["weekly_km", "prior_lbp"], splines={"weekly_km": 4})
    terms = fit.table["term"].tolist()
    assert terms[1:4] == ["weekly_km", "weekly_km'", "weekly_km''"]
    test = fit.lr_test("weekly_km")
    assert test["df"][0] == 3 and test["statistic"][0] > 0
    curve = fit.dose_response("weekly_km", reference=30.0, grid=[20.0, 30.0, 60.0])
    assert curve.loc[1, "estimate"] == pytest.approx(1.0)
    assert curve.loc[1, "ci_low"] == pytest.approx(1.0)
    assert (curve["ci_low"] <= curve["estimate"]).all()
    linear = fit_risk_factors(survey, "lbp_12m", ["weekly_km", "prior_lbp"])
    slope = linear.table.loc[1, "estimate"]
    line = linear.dose_response("weekly_km", reference=30.0, grid=[40.0])
    assert line["estimate"][0] == pytest.approx(np.exp(10 * slope))
    with pytest.raises(ArgumentError, match="variable must be one of"):
        fit.dose_response("prior")


def test_spline_on_text_column_is_rejected(survey):
    with pytest.raises(ArgumentError, match="splines must name numeric columns"):
        fit_risk_factors(survey, "lbp_12m", ["surface"], splines={"surface": 3})


def test_plots_return_axes(survey):
    import matplotlib.pyplot as plt

    fit = fit_risk_factors(survey, "lbp_12m", ["weekly_km", "sex"], splines={"weekly_km": 3})
    ax = fit.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["weekly_km", "weekly_km'", "sex[M]"]
    assert ax.get_xscale() == "log"
    ax2 = plot_dose_response(fit, "weekly_km", reference=30.0)
    assert ax2.get_ylabel() == "Odds ratio (reference 30)"
    assert len(ax2.lines[0].get_xdata()) == 100
    p = fit.predict(survey)["estimate"]
    ax3 = val_prob(p, survey["lbp_12m"]).plot()
    assert ax3.get_xlabel() == "Predicted probability"
    with pytest.raises(ArgumentError, match="must have columns"):
        plot_forest({"term": ["a"]})
    plt.close("all")
