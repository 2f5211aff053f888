"""Multiple imputation: chained equations with predictive mean matching, Rubin's rules, and
the complete-case fit beside the pooled one. Both entry points (``fit_with_imputation`` and
``fit_risk_factors(missing="impute")``) share one engine and one pooling function."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import special, stats

from lbprun._checks import ArgumentError
from lbprun.models.chained import impute_chained
from lbprun.models.imputation import fit_with_imputation
from lbprun.models.risk_factors import fit_risk_factors
from lbprun.models.rubin import pool_rubin


@pytest.fixture(scope="module")
def incomplete():
    rng = np.random.default_rng(21)
    n = 1500
    km = rng.normal(0, 1, n)
    bmi = 0.8 * km + rng.normal(0, 0.6, n)
    y = (rng.uniform(size=n) < special.expit(-1 + 0.5 * km + 0.4 * bmi)).astype(int)
    full = pd.DataFrame({"km": km, "bmi": bmi, "y": y})
    data = full.copy()
    data.loc[rng.uniform(size=n) < 0.3, "bmi"] = np.nan
    return full, data


def test_impute_recovers_full_data_fit(incomplete):
    full, data = incomplete
    truth = fit_risk_factors(full, "y", ["km", "bmi"]).table
    fit = fit_risk_factors(data, "y", ["km", "bmi"], missing="impute", imputations=10, seed=3)
    table = fit.table
    assert fit.glance()["n_used"][0] == len(data)
    assert fit.glance()["n_imputed_rows"][0] == int(data["bmi"].isna().sum())
    np.testing.assert_allclose(table["estimate"], truth["estimate"], atol=0.12)
    assert (table["std_error"] >= truth["std_error"] * 0.98).all()
    assert ((table["fmi"] >= 0) & (table["fmi"] <= 1)).all() and (table["df"] > 10).all()
    cc = fit.complete_case
    assert cc.glance()["n_used"][0] == int(data["bmi"].notna().sum())
    assert "Rubin" in fit.notes[0]
    again = fit_risk_factors(data, "y", ["km", "bmi"], missing="impute", imputations=10, seed=3)
    np.testing.assert_array_equal(again.table["estimate"], table["estimate"])
    with pytest.raises(ArgumentError, match="likelihood-based"):
        fit.lr_test("km")


def test_impute_chained_keeps_observed_values(incomplete):
    _, data = incomplete
    sets = impute_chained(data, ["y", "km", "bmi"], m=3, iterations=3, seed=1)
    observed = data["bmi"].notna()
    donors = set(data.loc[observed, "bmi"])
    for frame in sets:
        assert frame["bmi"].notna().all()
        np.testing.assert_array_equal(frame.loc[observed, "bmi"], data.loc[observed, "bmi"])
        assert set(frame.loc[~observed, "bmi"]) <= donors


def test_pool_rubin_with_covariance_matrices_by_hand():
    est = np.array([[1.0, 2.0], [1.4, 2.2], [1.2, 1.9]])
    cov = np.array([np.diag([0.04, 0.09])] * 3)
    pooled = pool_rubin(est, cov, df_complete=1e9)
    b = est.var(axis=0, ddof=1)
    total = np.array([0.04, 0.09]) + (1 + 1 / 3) * b
    np.testing.assert_allclose(pooled["std_error"], np.sqrt(total))
    lam = (1 + 1 / 3) * b / total
    np.testing.assert_allclose(pooled["df"], 2 / lam**2, rtol=1e-6)


def test_fit_risk_factors_impute_pools_with_pool_rubin(incomplete):
    _, data = incomplete
    fit = fit_risk_factors(data, "y", ["km", "bmi"], missing="impute", imputations=3, seed=5)
    completed = impute_chained(data, ["y", "km", "bmi"], m=3, seed=5)
    fits = [fit_risk_factors(frame, "y", ["km", "bmi"]) for frame in completed]
    expected = pool_rubin(
        [f.table["estimate"].to_numpy() for f in fits],
        [f.cov for f in fits],
        df_complete=len(data) - 3,
        terms=fits[0].table["term"],
    )
    for column in ("estimate", "std_error", "ci_low", "ci_high", "p_value", "df", "fmi"):
        np.testing.assert_allclose(fit.table[column], expected[column], rtol=1e-12)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.cov)), expected["std_error"], rtol=1e-12)


def test_impute_rejects_text_column_with_missing(incomplete):
    _, data = incomplete
    text = data.assign(group=np.where(np.arange(len(data)) % 2, "a", None))
    with pytest.raises(ArgumentError, match="text column 'group'"):
        fit_risk_factors(text, "y", ["km", "group"], missing="impute", imputations=2)
    with pytest.raises(ArgumentError, match="imputations must be"):
        fit_risk_factors(data, "y", ["km", "bmi"], missing="impute", imputations=1)


# fit_with_imputation and pool_rubin


def test_pool_rubin_by_hand():
    # three imputations of one coefficient: q = 1.0, 1.4, 1.2; u = 0.04, 0.05, 0.06
    pooled = pool_rubin([[1.0], [1.4], [1.2]], [[0.04], [0.05], [0.06]], df_complete=100)
    qbar, ubar = 1.2, 0.05
    b = ((1.0 - 1.2) ** 2 + (1.4 - 1.2) ** 2 + 0.0**2) / 2  # = 0.04
    t = ubar + (1 + 1 / 3) * b  # = 0.103333...
    lam = (4 / 3) * b / t  # = 0.516129...
    riv = (4 / 3) * b / ubar  # = 1.066666...
    df_old = 2 / lam**2  # = 7.5078...
    df_obs = 101 / 103 * 100 * (1 - lam)  # = 47.4475...
    df = df_old * df_obs / (df_old + df_obs)  # = 6.4822...
    fmi = (riv + 2 / (df + 3)) / (riv + 1)
    row = pooled.iloc[0]
    assert row["estimate"] == pytest.approx(qbar)
    assert row["within_variance"] == pytest.approx(ubar)
    assert row["between_variance"] == pytest.approx(0.04)
    assert row["total_variance"] == pytest.approx(0.05 + 4 / 3 * 0.04)
    assert row["std_error"] == pytest.approx(np.sqrt(t))
    assert row["lambda_"] == pytest.approx(lam) and row["riv"] == pytest.approx(riv)
    assert row["df"] == pytest.approx(df) and 6.48 < row["df"] < 6.49
    assert row["fmi"] == pytest.approx(fmi)
    half = stats.t.ppf(0.975, df) * np.sqrt(t)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((1.2 - half, 1.2 + half))
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(1.2 / np.sqrt(t), df))
    # an infinite complete-data df leaves Rubin's (1987) df = (m - 1) / lambda^2
    assert pool_rubin([[1.0], [1.4], [1.2]], [[0.04], [0.05], [0.06]])["df"][0] == pytest.approx(
        df_old
    )


def test_pool_rubin_without_between_variance_is_the_complete_data_answer():
    pooled = pool_rubin([[0.3, 1.0]] * 4, [[0.01, 0.04]] * 4, df_complete=np.inf)
    assert pooled["between_variance"].tolist() == [0.0, 0.0]
    assert pooled["std_error"].tolist() == pytest.approx([0.1, 0.2])
    assert np.isinf(pooled["df"]).all() and pooled["fmi"].tolist() == pytest.approx([0.0, 0.0])
    with pytest.raises(ArgumentError, match="at least 2 imputations"):
        pool_rubin([[1.0]], [[0.1]])
    with pytest.raises(ArgumentError, match="same shape"):
        pool_rubin([[1.0], [2.0]], [[0.1]])


def mar_data(rng, n=600):
    """x is missing at random given (y, z): more often when y = 1 and z is high."""
    z = rng.normal(size=n)
    x = 0.6 * z + rng.normal(0.0, 0.8, n)
    y = (rng.random(n) < special.expit(-1.0 + 0.7 * x + 0.5 * z)).astype(int)
    observed = x.copy()
    observed[rng.random(n) < special.expit(-1.5 + 1.5 * y + 1.0 * z)] = np.nan
    return pd.DataFrame({"lbp": y, "x": observed, "z": z})


def test_fit_with_imputation_pools_its_own_fits():
    data = mar_data(np.random.default_rng(1))
    res = fit_with_imputation(data, "lbp", ["x", "z"], m=4, seed=11)
    table = res.to_frame(scale="log_odds")
    cc = table[table["analysis"] == "complete_case"].reset_index(drop=True)
    complete = data.dropna()
    direct = sm.GLM(
        complete["lbp"], sm.add_constant(complete[["x", "z"]]), family=sm.families.Binomial()
    ).fit(tol=1e-12)  # lbprun's fits are verified to a relative gradient of 1e-10
    np.testing.assert_allclose(cc["estimate"], direct.params, rtol=1e-8)
    np.testing.assert_allclose(cc["std_error"], direct.bse, rtol=1e-8)
    assert cc["n"].iloc[0] == len(complete)
    per = res.per_imputation.pivot(index="imputation", columns="term")
    terms = ["(Intercept)", "x", "z"]
    expected = pool_rubin(
        per["estimate"][terms].to_numpy(),
        per["std_error"][terms].to_numpy() ** 2,
        df_complete=len(data) - 3,
        terms=terms,
    )
    imputed = table[table["analysis"] == "imputed"].reset_index(drop=True)
    assert imputed["label"].tolist() == [
        "baseline log odds (intercept: x 0, z 0)",
        "x (per 1 unit)",
        "z (per 1 unit)",
    ]
    pd.testing.assert_frame_equal(
        imputed.drop(columns=["analysis", "n", "label"]),
        expected,
        check_exact=False,
        check_dtype=False,
    )
    for completed in res.imputed_data:  # observed values kept, imputed ones are donors
        assert completed["x"].notna().all()
        kept = data["x"].notna()
        np.testing.assert_array_equal(completed.loc[kept, "x"], data.loc[kept, "x"])
        assert set(completed.loc[~kept, "x"]) <= set(data.loc[kept, "x"])
    again = fit_with_imputation(data, "lbp", ["x", "z"], m=4, seed=11)
    pd.testing.assert_frame_equal(again.to_frame(), res.to_frame())
    engine = impute_chained(data, ["lbp", "x", "z"], m=4, seed=11)  # the same engine and draws
    for completed, direct in zip(res.imputed_data, engine, strict=True):
        np.testing.assert_array_equal(completed["x"], direct["x"])


def test_fit_with_imputation_has_less_bias_than_complete_cases_under_mar():
    """Seeded simulation: x is missing depending on y and z, so complete cases bias the
    coefficient of z (truth 0.5; the complete-case limit is 0.22 by a 400,000-row fit);
    imputation with the outcome in the imputation model removes most of the bias."""
    rng = np.random.default_rng(2026)
    truth = {"x": 0.7, "z": 0.5}
    cc_err, mi_err = [], []
    for rep in range(8):
        res = fit_with_imputation(mar_data(rng, n=1000), "lbp", ["x", "z"], m=5, seed=rep)
        table = res.to_frame(scale="log_odds").set_index(["analysis", "term"])["estimate"]
        cc_err.append([table["complete_case", t] - truth[t] for t in truth])
        mi_err.append([table["imputed", t] - truth[t] for t in truth])
    cc_bias, mi_bias = np.abs(np.mean(cc_err, axis=0)), np.abs(np.mean(mi_err, axis=0))
    assert cc_bias[1] > 0.2  # z: complete cases are visibly biased
    assert mi_bias[1] < 0.15 and mi_bias[1] < cc_bias[1] / 2
    assert np.sum(mi_bias) < np.sum(cc_bias)


@pytest.mark.slow
def test_fit_with_imputation_coverage_under_mar():
    rng = np.random.default_rng(99)
    covered = []
    for rep in range(100):
        res = fit_with_imputation(mar_data(rng), "lbp", ["x", "z"], m=10, seed=rep)
        row = res.to_frame(scale="log_odds").iloc[-1]
        covered.append(row["ci_low"] < 0.5 < row["ci_high"])
    assert 0.88 <= np.mean(covered) <= 0.99


def test_fit_with_imputation_binary_text_and_custom_fit():
    rng = np.random.default_rng(6)
    n = 300
    data = pd.DataFrame(
        {
            "age": rng.normal(40, 8, n),
            "sex": pd.Categorical(rng.choice(["F", "M"], n)),
            "club": rng.choice(["north", "south", "west"], n),
            "strength_training": pd.array(rng.random(n) < 0.4, dtype="boolean"),
        }
    )
    data["weekly_km"] = 20 + 0.2 * data["age"] + 5 * (data["sex"] == "M") + rng.normal(0, 5, n)
    data.loc[rng.random(n) < 0.15, "sex"] = np.nan
    data.loc[rng.random(n) < 0.15, "strength_training"] = pd.NA

    def ols(frame):
        x = pd.get_dummies(frame[["age", "sex"]], drop_first=True, dtype=float)
        return sm.OLS(frame["weekly_km"], sm.add_constant(x)).fit()

    res = fit_with_imputation(
        data,
        "weekly_km",
        ["age", "sex"],
        m=3,
        seed=2,
        fit=ols,
        auxiliary=["club", "strength_training"],
    )
    assert res.fit == "ols" and res.missing["sex"] == int(data["sex"].isna().sum())
    table = res.to_frame()
    assert table["term"].tolist() == ["const", "age", "sex_M"] * 2
    assert table.iloc[-1]["ci_low"] < 5 < table.iloc[-1]["ci_high"]
    assert np.exp(table["estimate"]).tolist() == pytest.approx(
        res.to_frame(scale="exponentiated")["estimate"].tolist()
    )
    for completed in res.imputed_data:
        assert set(completed["sex"]) == {"F", "M"} and completed["sex"].dtype == "category"
        assert completed["strength_training"].notna().all()
    pair = fit_with_imputation(
        data, "weekly_km", "age", m=2, seed=1, fit=lambda f: (pd.Series([1.0]), pd.Series([0.5]))
    )
    assert pair.to_frame()["term"].tolist() == ["x0", "x0"]


def test_fit_with_imputation_errors_and_api():
    data = mar_data(np.random.default_rng(3), n=200)
    with pytest.raises(ArgumentError, match="m must be an integer >= 2"):
        fit_with_imputation(data, "lbp", ["x"], m=1)
    with pytest.raises(ArgumentError, match="Did you mean 0.95"):
        fit_with_imputation(data, "lbp", ["x"], level=95)
    with pytest.raises(ArgumentError, match="Did you mean 'lbp'"):
        fit_with_imputation(data, "lbpp", ["x"])
    with pytest.raises(ArgumentError, match="must be binary"):
        fit_with_imputation(data.assign(lbp=data["z"]), "lbp", ["x"])
    three = data.assign(club=np.where(np.arange(200) % 7 == 0, None, np.arange(200) % 3 + 1))
    three["club"] = three["club"].map({1: "a", 2: "b", 3: "c"})
    with pytest.raises(ArgumentError, match="must be numeric, boolean or have two levels"):
        fit_with_imputation(three, "lbp", ["x", "club"])
    with pytest.raises(ArgumentError, match="fit must be one of 'logistic'"):
        fit_with_imputation(data, "lbp", ["x"], fit="logit")
    missing_outcome = data.assign(lbp=data["lbp"].where(np.arange(200) % 10 > 0))
    res = fit_with_imputation(missing_outcome, "lbp", ["x", "z"], m=2)
    assert "20 rows with a missing outcome" in res.notes[0]
    assert isinstance(res.seed, int) and res.m == 2
    payload = json.loads(res.to_json())
    assert "imputed_data" not in payload and payload["table"][0]["analysis"] == "complete_case"
    assert res.plot().get_legend() is not None
    assert "2 imputations (MICE)" in res.summary()
