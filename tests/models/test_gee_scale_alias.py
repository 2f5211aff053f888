"""``GEEResult.to_frame(scale="log")``: the family's log scale, as for rate models."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lbprun._checks import ArgumentError
from lbprun.models.gee import fit_gee

#: geeglm refitted to epsilon = 1e-12: coefficients (absolute), as in test_gee_r.py.
GEE_ABS = 1e-6


@pytest.fixture(scope="module")
def seizure_fit(reference_dir):
    data = pd.read_csv(reference_dir / "seizure_long.csv")
    return fit_gee(
        data,
        "seizures",
        ["post", "trt", "post_trt", "age"],
        groups="id",
        time="period",
        family="poisson",
        exposure="weeks",
        correlation="exchangeable",
        correlation_estimator="geepack",
    )


@pytest.fixture(scope="module")
def binomial_fit():
    rng = np.random.default_rng(1)
    data = pd.DataFrame(
        {"runner_id": np.repeat(np.arange(60), 5), "spike": rng.integers(0, 2, 300)}
    )
    data["new_episode"] = rng.random(300) < np.where(data["spike"] == 1, 0.3, 0.15)
    return fit_gee(data, "new_episode", ["spike"], groups="runner_id")


def test_poisson_log_alias_is_log_rate_and_matches_geepack(seizure_fit, reference_dir):
    expected = json.loads((reference_dir / "expected" / "geepack_seizure.json").read_text())
    log = seizure_fit.to_frame(scale="log")
    pd.testing.assert_frame_equal(log, seizure_fit.to_frame(scale="log_rate"))
    ref = expected["exchangeable"]
    np.testing.assert_allclose(log["estimate"], ref["estimate"], rtol=0, atol=GEE_ABS)
    # the intercept row speaks of the log rate, as with scale="log_rate"
    assert log["label"].iloc[0].startswith("baseline log rate per unit of exposure")
    ratio = seizure_fit.to_frame()
    np.testing.assert_allclose(ratio["estimate"], np.exp(log["estimate"]), rtol=1e-14)


def test_binomial_log_alias_is_log_odds(binomial_fit):
    log = binomial_fit.to_frame(scale="log")
    pd.testing.assert_frame_equal(log, binomial_fit.to_frame(scale="log_odds"))
    assert log["term"].tolist() == ["(Intercept)", "spike"]
    assert log["label"].iloc[0].startswith("baseline log odds")
    odds = binomial_fit.to_frame(scale="odds_ratio")
    for column in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(odds[column], np.exp(log[column]), rtol=1e-14)
    # std_error and statistic stay on the linear-predictor scale whatever the scale
    np.testing.assert_array_equal(odds["std_error"], log["std_error"])
    # the spike coefficient is the log odds ratio: positive, as simulated (0.3 vs 0.15)
    assert log.loc[1, "estimate"] > 0


@pytest.mark.parametrize(
    ("fit", "scale"),
    [("binomial_fit", "log_rate"), ("binomial_fit", "rate_ratio"), ("seizure_fit", "log_odds")],
)
def test_other_family_scale_names_are_still_refused(request, fit, scale):
    result = request.getfixturevalue(fit)
    with pytest.raises(ArgumentError, match=f"scale must be one of .*; got '{scale}'"):
        result.to_frame(scale=scale)
