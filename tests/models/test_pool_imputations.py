"""Rubin's rules over data sets imputed elsewhere: ``pool_imputations`` against R
``mice::pool`` on ``mice(nhanes2, m = 5, seed = 1)`` (tests/reference/r/mice_pool_nhanes2.R)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import lbprun
from lbprun._checks import ArgumentError
from lbprun.models.pooling import pool_imputations
from lbprun.models.risk_factors import fit_risk_factors

#: Pooled quantities against mice::pool (R's glm refitted to epsilon = 1e-14): absolute, and
#: relative for the variances (statsmodels' IRLS covariance uses the weights of the last step).
POOL_ABS = 1e-8
POOL_VAR_REL = 1e-8

CASES = {
    "logistic": ("hyp", ["bmi", "chl"], "log_odds"),
    "linear": ("chl", ["age", "bmi"], "coefficient"),
}
COLUMNS = {
    "estimate": "estimate",
    "std_error": "std_error",
    "statistic": "statistic",
    "p_value": "p_value",
    "ci_low": "ci_low",
    "ci_high": "ci_high",
    "df": "df",
    "riv": "riv",
    "lambda_": "lambda",
    "fmi": "fmi",
}
VARIANCES = {"within_variance": "ubar", "between_variance": "b", "total_variance": "t"}


@pytest.fixture(scope="module")
def long(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "mice_nhanes2_long.csv")


@pytest.fixture(scope="module")
def expected(reference_dir) -> dict:
    return json.loads((reference_dir / "expected" / "mice_pool_nhanes2.json").read_text())


def _r_term(term: str) -> str:
    return term.replace("[", "").replace("]", "")


@pytest.mark.parametrize("fit", ["logistic", "linear"])
def test_pool_imputations_matches_mice(long, expected, fit):
    outcome, predictors, scale = CASES[fit]
    ref = expected[fit]
    assert all(ref["convergence"]["converged"])
    res = lbprun.pool_imputations(long, outcome, predictors, fit=fit)
    table = res.to_frame(scale=scale)
    assert [_r_term(t) for t in table["term"]] == ref["terms"]
    assert res.m == ref["m"] == 5
    assert res.df_complete == ref["dfcom"]
    for ours, theirs in COLUMNS.items():
        np.testing.assert_allclose(table[ours], ref[theirs], rtol=0, atol=POOL_ABS, err_msg=ours)
    for ours, theirs in VARIANCES.items():
        np.testing.assert_allclose(table[ours], ref[theirs], rtol=POOL_VAR_REL, err_msg=ours)
    per = res.per_imputation.pivot(index="imputation", columns="term", values="estimate")
    per = per[table["term"]].to_numpy()
    np.testing.assert_allclose(per, ref["per_imputation_estimate"], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(np.diag(res.cov), table["total_variance"], rtol=1e-12)


def test_list_of_frames_equals_long_frame(long):
    frames = [g.drop(columns=".imp") for _, g in long.groupby(".imp")]
    a = pool_imputations(frames, "chl", ["age", "bmi"], fit="linear").to_frame()
    b = pool_imputations(long, "chl", ["age", "bmi"], fit="linear").to_frame()
    pd.testing.assert_frame_equal(a, b)


def test_pooled_estimate_independent_of_imputation_order(long):
    frames = [g for _, g in long.groupby(".imp")]
    a = pool_imputations(frames, "hyp", ["bmi", "chl"]).to_frame(scale="log_odds")
    b = pool_imputations(frames[::-1], "hyp", ["bmi", "chl"]).to_frame(scale="log_odds")
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-12)
    np.testing.assert_allclose(a["df"], b["df"], rtol=1e-12)


def test_original_rows_of_include_true_are_left_out(long):
    original = long[long[".imp"] == 1].assign(**{".imp": 0, "bmi": np.nan})
    res = pool_imputations(pd.concat([original, long]), "chl", ["age", "bmi"], fit="linear")
    assert res.m == 5
    assert "25 rows of the original data (imputation 0) left out." in res.notes
    stata = long.rename(columns={".imp": "_mi_m"})
    res = pool_imputations(stata, "chl", ["age", "bmi"], fit="linear", imputation="_mi_m")
    assert res.m == 5


def test_callables_statsmodels_lbprun_and_pairs_agree(long):
    base = pool_imputations(long, "hyp", ["bmi", "chl"]).to_frame(scale="log_odds")

    def statsmodels_fit(frame):
        x = sm.add_constant(frame[["bmi", "chl"]])
        return sm.GLM(frame["hyp"], x, family=sm.families.Binomial()).fit(tol=1e-14)

    def lbprun_fit(frame):
        return fit_risk_factors(frame, "hyp", ["bmi", "chl"])

    def pair(frame):
        res = statsmodels_fit(frame)
        return res.params, res.cov_params()

    for fit in (statsmodels_fit, lbprun_fit, pair):
        table = pool_imputations(long, fit=fit, df_complete=22).to_frame()
        np.testing.assert_allclose(table["estimate"], base["estimate"], rtol=1e-8)
        np.testing.assert_allclose(table["total_variance"], base["total_variance"], rtol=1e-7)
        np.testing.assert_allclose(table["df"], base["df"], rtol=1e-6)
    assert pool_imputations(long, fit=pair).df_complete == np.inf


def test_result_layout(long):
    res = pool_imputations(long, "hyp", ["bmi", "chl"])
    odds = res.to_frame()
    logs = res.to_frame(scale="log_odds")
    np.testing.assert_allclose(odds["estimate"], np.exp(logs["estimate"]))
    assert odds["n"].tolist() == [25, 25, 25]
    assert json.dumps(res.to_dict())
    assert "pooled over 5 imputations" in res.summary()
    assert "cov" not in res.to_dict()


def test_plots(long):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for fit, y, x in (("logistic", "hyp", ["bmi"]), ("linear", "chl", ["age"])):
        ax = pool_imputations(long, y, x, fit=fit).plot()
        assert ax.get_xlabel().endswith("CI, pooled)")
        plt.close("all")


def test_arguments_are_checked(long):
    with pytest.raises(ArgumentError, match="at least 2 completed"):
        pool_imputations(long[long[".imp"] == 1], "chl", ["bmi"], fit="linear")
    with pytest.raises(ArgumentError, match="imp"):
        pool_imputations(long.drop(columns=".imp"), "chl", ["bmi"], fit="linear")
    holes = long.assign(bmi=long["bmi"].where(long.index != 3))
    with pytest.raises(ArgumentError, match="completed data set 1 must have no missing"):
        pool_imputations(holes, "chl", ["bmi"], fit="linear")
    with pytest.raises(ArgumentError, match="fit must be one of"):
        pool_imputations(long, "chl", ["bmi"], fit="ols")
    with pytest.raises(ArgumentError, match="outcome and predictors"):
        pool_imputations(long, "chl", fit="linear")
    with pytest.raises(ArgumentError, match="df_complete"):
        pool_imputations(long, "chl", ["bmi"], fit="linear", df_complete=0)
    with pytest.raises(ArgumentError, match="data must be a list"):
        pool_imputations("long.csv", "chl", ["bmi"], fit="linear")
    with pytest.raises(ArgumentError, match="same terms"):
        pool_imputations(
            [long[long[".imp"] == 1], long[long[".imp"] == 2].query("age != '60-99'")],
            "chl",
            ["age"],
            fit="linear",
        )
    with pytest.raises(ArgumentError, match="fit must return"):
        pool_imputations(long, fit=lambda frame: 1.0)


def test_pooled_fits_report_their_convergence(reference_dir):
    long = pd.read_csv(reference_dir / "mice_nhanes2_long.csv")
    pooled = pool_imputations(long, "hyp", ["bmi", "chl"])
    assert any(
        note.startswith("Each of the 5 completed-data fits converged") for note in pooled.notes
    )
