"""GEE for runner-week outcomes, Poisson / negative-binomial rate models and the runner x week
at-risk table."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from lbprun._checks import ArgumentError
from lbprun.datasets import load_example_activities, load_example_cohort, load_example_episodes
from lbprun.exceptions import SparseDataWarning
from lbprun.models.gee import fit_gee, fit_repeated
from lbprun.models.panel import runner_week_panel
from lbprun.models.rates import fit_rate_model
from lbprun.models.risk_factors import fit_risk_factors
from lbprun.simulate import simulate_cohort


@pytest.fixture(scope="module")
def weeks():
    rng = np.random.default_rng(11)
    runners, n_weeks = 150, 8
    frailty = rng.normal(0, 1.0, runners)
    data = pd.DataFrame(
        {
            "runner_id": np.repeat([f"R{i:03d}" for i in range(runners)], n_weeks),
            "week": np.tile(np.arange(n_weeks), runners),
            "acwr_high": rng.integers(0, 2, runners * n_weeks),
        }
    )
    eta = -1.5 + 0.7 * data["acwr_high"] + np.repeat(frailty, n_weeks)
    data["lbp_week"] = (rng.uniform(size=len(data)) < special.expit(eta)).astype(int)
    return data


def test_independence_gee_equals_glm_with_cluster_sandwich(weeks):
    fit = fit_repeated(weeks, "lbp_week", ["acwr_high"], cov_struct="independence")
    x = fit.spec.transform(weeks)
    glm = sm.GLM(weeks["lbp_week"], x, family=sm.families.Binomial()).fit(
        cov_type="cluster",
        cov_kwds={"groups": pd.factorize(weeks["runner_id"])[0], "use_correction": False},
    )
    np.testing.assert_allclose(fit.table["estimate"], glm.params, rtol=1e-6)
    np.testing.assert_allclose(fit.table["std_error"], glm.bse, rtol=1e-5)


def test_exchangeable_gee_sees_within_runner_correlation(weeks):
    fit = fit_repeated(weeks, "lbp_week", ["acwr_high"])
    assert fit.glance()["working_correlation"][0] > 0.05
    assert fit.glance()["n_groups"][0] == 150
    row = fit.to_frame().iloc[1]
    # population-averaged log OR is attenuated from the conditional 0.7 (about 0.6 here)
    assert np.exp(0.4) < row["estimate"] < np.exp(0.8)
    ar1 = fit_repeated(weeks, "lbp_week", ["acwr_high"], cov_struct="ar1", time="week")
    assert ar1.glance()["cov_struct"][0] == "ar1"
    with pytest.raises(ArgumentError, match="time must name"):
        fit_repeated(weeks, "lbp_week", ["acwr_high"], cov_struct="ar1")


def test_fit_repeated_is_fit_gee_in_the_risk_factor_layout(weeks):
    data = weeks.assign(surface=np.where(np.arange(len(weeks)) % 3 == 0, "trail", "road"))
    for structure, time in (("exchangeable", None), ("ar1", "week")):
        layout = fit_repeated(
            data,
            "lbp_week",
            ["acwr_high", "surface"],
            cov_struct=structure,
            time=time,
            reference_levels={"surface": "trail"},
        )
        gee = fit_gee(
            data.assign(surface=pd.Categorical(data["surface"], ["trail", "road"])),
            "lbp_week",
            ["acwr_high", "surface"],
            correlation=structure,
            time=time,
        )
        table = gee.to_frame(scale="log_odds")
        assert layout.table["term"].tolist() == table["term"].tolist()
        np.testing.assert_allclose(layout.table["estimate"], table["estimate"], rtol=1e-10)
        np.testing.assert_allclose(layout.table["ci_high"], table["ci_high"], rtol=1e-10)
        assert layout.glance()["working_correlation"][0] == pytest.approx(
            gee.glance()["working_correlation"][0], rel=1e-10
        )
    assert layout.wald_test("surface")["df"][0] == 1


def test_poisson_rate_ratio_is_ratio_of_rates():
    rng = np.random.default_rng(4)
    n = 300
    data = pd.DataFrame({"trail": rng.integers(0, 2, n), "hours": rng.uniform(20, 200, n)})
    data["episodes"] = rng.poisson(data["hours"] / 1000 * np.where(data["trail"] == 1, 6, 3))
    fit = fit_rate_model(data, "episodes", "hours", ["trail"], per=1000)
    sums = data.groupby("trail")[["episodes", "hours"]].sum()
    rates = sums["episodes"] / sums["hours"]
    table = fit.to_frame()
    assert table.loc[1, "estimate"] == pytest.approx(rates[1] / rates[0], rel=1e-8)
    assert table.loc[0, "estimate"] == pytest.approx(1000 * rates[0], rel=1e-8)
    se = np.sqrt(1 / sums["episodes"][0] + 1 / sums["episodes"][1])
    assert table.loc[1, "std_error"] == pytest.approx(se, rel=1e-6)


def test_negbin_estimates_overdispersion():
    rng = np.random.default_rng(8)
    n = 800
    data = pd.DataFrame({"trail": rng.integers(0, 2, n), "hours": rng.uniform(50, 300, n)})
    mean = data["hours"] / 100 * np.where(data["trail"] == 1, 2.0, 1.0)
    data["episodes"] = rng.poisson(mean * rng.gamma(2.0, 0.5, n))  # alpha = 0.5
    nb = fit_rate_model(data, "episodes", "hours", ["trail"], family="negbin")
    pois = fit_rate_model(data, "episodes", "hours", ["trail"])
    assert 0.3 < nb.alpha < 0.8
    assert nb.table.loc[1, "std_error"] > pois.table.loc[1, "std_error"]
    assert nb.to_frame().loc[1, "ci_low"] < 2.0 < nb.to_frame().loc[1, "ci_high"]
    with pytest.raises(ArgumentError, match="exposure must be positive"):
        fit_rate_model(data.assign(hours=0.0), "episodes", "hours", ["trail"])
    with pytest.raises(ArgumentError, match="non-negative integer counts"):
        fit_rate_model(data.assign(episodes=0.5), "episodes", "hours", ["trail"])


# fit_gee, fit_rate_model and runner_week_panel


def correlated_binary(rng, n_runners=80, weeks=5, beta=(-1.0, 0.5), share=0.6):
    """Runner-week outcomes whose marginal model is exactly logit P(y=1|x) = b0 + b1 x.

    Each week draws a uniform that is the runner's shared uniform with probability ``share``
    and a fresh one otherwise; y = 1{u < p}. Whatever u is, P(u < p) = p, so the marginal
    (population-averaged) log odds ratio is b1 while weeks of one runner are correlated.
    """
    x = rng.integers(0, 2, (n_runners, weeks))
    p = special.expit(beta[0] + beta[1] * x)
    shared = rng.random((n_runners, 1))
    u = np.where(rng.random((n_runners, weeks)) < share, shared, rng.random((n_runners, weeks)))
    return pd.DataFrame(
        {
            "runner_id": np.repeat([f"R{i:03d}" for i in range(n_runners)], weeks),
            "week_index": np.tile(np.arange(weeks), n_runners),
            "spike": x.ravel(),
            "new_episode": (u < p).ravel().astype(int),
        }
    )


@pytest.fixture(scope="module")
def runner_weeks():
    return correlated_binary(np.random.default_rng(5), n_runners=150, weeks=8)


def test_fit_gee_matches_statsmodels_gee(runner_weeks):
    fit = fit_gee(runner_weeks, "new_episode", ["spike"])
    x = sm.add_constant(runner_weeks[["spike"]].to_numpy(dtype=float))
    direct = sm.GEE(
        runner_weeks["new_episode"].to_numpy(),
        x,
        groups=pd.factorize(runner_weeks["runner_id"], sort=True)[0],
        family=sm.families.Binomial(),
        cov_struct=sm.cov_struct.Exchangeable(),
    ).fit()
    log_odds = fit.to_frame(scale="log_odds")
    np.testing.assert_allclose(log_odds["estimate"], direct.params, rtol=1e-8)
    np.testing.assert_allclose(log_odds["std_error"], direct.bse, rtol=1e-8)
    z = stats.norm.ppf(0.975)
    np.testing.assert_allclose(
        fit.to_frame()["ci_high"], np.exp(direct.params + z * direct.bse), rtol=1e-8
    )
    glance = fit.glance()
    assert glance.loc[0, "working_correlation"] == pytest.approx(
        direct.model.cov_struct.dep_params, rel=1e-8
    )
    assert glance.loc[0, "working_correlation"] > 0.1  # the generator shares uniforms
    assert (glance.loc[0, "n_obs"], glance.loc[0, "n_groups"]) == (1200, 150)
    assert glance.loc[0, "cluster_size_min"] == glance.loc[0, "cluster_size_max"] == 8


def test_fit_gee_independence_is_cluster_robust_logistic(runner_weeks):
    fit = fit_gee(runner_weeks, "new_episode", "spike", correlation="independence")
    x = sm.add_constant(runner_weeks[["spike"]].to_numpy(dtype=float))
    groups = pd.factorize(runner_weeks["runner_id"])[0]
    glm = sm.GLM(runner_weeks["new_episode"], x, family=sm.families.Binomial())
    plain = glm.fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    table = fit.to_frame(scale="log_odds")
    np.testing.assert_allclose(table["estimate"], plain.params, rtol=1e-7)
    np.testing.assert_allclose(table["std_error"], plain.bse, rtol=1e-6)
    corrected = glm.fit(cov_type="cluster", cov_kwds={"groups": groups})
    n, k, g = len(runner_weeks), 2, 150
    factor = np.sqrt(g / (g - 1) * (n - 1) / (n - k))
    np.testing.assert_allclose(corrected.bse, table["std_error"] * factor, rtol=1e-6)
    assert fit.glance().loc[0, "working_correlation"] == 0.0


def test_fit_gee_independence_relates_to_fit_risk_factors_cluster(runner_weeks):
    """fit_risk_factors(cluster=) applies the small-sample factor G/(G-1)(N-1)/(N-K)."""
    gee = fit_gee(runner_weeks, "new_episode", ["spike"], correlation="independence")
    ml = fit_risk_factors(runner_weeks, "new_episode", ["spike"], cluster="runner_id")
    gee_table, ml_table = gee.to_frame(scale="log_odds"), ml.to_frame(scale="log_odds")
    np.testing.assert_allclose(ml_table["estimate"], gee_table["estimate"], rtol=1e-6)
    factor = np.sqrt(150 / 149 * 1199 / 1198)
    np.testing.assert_allclose(ml_table["std_error"], gee_table["std_error"] * factor, rtol=1e-6)


def test_fit_gee_ar1_sorts_by_time(runner_weeks):
    shuffled = runner_weeks.sample(frac=1.0, random_state=3)
    fit = fit_gee(shuffled, "new_episode", ["spike"], correlation="ar1", time="week_index")
    ordered = runner_weeks.sort_values(["runner_id", "week_index"])
    direct = sm.GEE(
        ordered["new_episode"].to_numpy(),
        sm.add_constant(ordered[["spike"]].to_numpy(dtype=float)),
        groups=pd.factorize(ordered["runner_id"], sort=True)[0],
        time=ordered["week_index"].to_numpy(dtype=float),
        family=sm.families.Binomial(),
        cov_struct=sm.cov_struct.Autoregressive(grid=False),
    ).fit()
    np.testing.assert_allclose(fit.to_frame(scale="log_odds")["estimate"], direct.params)
    assert fit.glance().loc[0, "working_correlation"] == pytest.approx(
        direct.model.cov_struct.dep_params
    )


def test_fit_gee_poisson_reports_rate_ratios():
    rng = np.random.default_rng(9)
    data = pd.DataFrame(
        {"runner_id": np.repeat(np.arange(100), 4), "trail": rng.integers(0, 2, 400)}
    )
    data["niggles"] = rng.poisson(np.where(data["trail"] == 1, 1.5, 0.5))
    fit = fit_gee(data, "niggles", ["trail"], family="poisson", correlation="independence")
    glm = sm.GLM(
        data["niggles"],
        sm.add_constant(data[["trail"]].astype(float)),
        family=sm.families.Poisson(),
    ).fit()
    assert fit.to_frame().loc[1, "estimate"] == pytest.approx(np.exp(glm.params.iloc[1]))
    assert list(fit.to_frame(scale="log_rate")["estimate"]) == pytest.approx(list(glm.params))
    with pytest.raises(ArgumentError, match="scale must be one of"):
        fit.to_frame(scale="odds_ratio")


def test_fit_gee_coverage_exchangeable():
    """200 seeded replicates: the robust 95 % CI of the marginal log OR covers in [0.90, 0.98]."""
    rng = np.random.default_rng(20261124)
    truth = 0.5
    estimates, covered = [], []
    for _ in range(200):
        row = fit_gee(correlated_binary(rng), "new_episode", ["spike"]).table.iloc[1]
        estimates.append(row["estimate"])
        covered.append(row["ci_low"] < truth < row["ci_high"])
    estimates = np.asarray(estimates)
    assert 0.90 <= np.mean(covered) <= 0.98
    monte_carlo_se = estimates.std(ddof=1) / np.sqrt(len(estimates))
    assert abs(estimates.mean() - truth) < 3 * monte_carlo_se


@pytest.mark.slow
def test_fit_gee_coverage_exchangeable_long():
    rng = np.random.default_rng(77)
    covered = [
        (lambda r: r["ci_low"] < 0.5 < r["ci_high"])(
            fit_gee(correlated_binary(rng, n_runners=40), "new_episode", ["spike"]).table.iloc[1]
        )
        for _ in range(1000)
    ]
    assert 0.92 <= np.mean(covered) <= 0.97


def test_fit_gee_errors(runner_weeks):
    with pytest.raises(ArgumentError, match="Did you mean 'new_episode'"):
        fit_gee(runner_weeks, "new_episod", ["spike"])
    with pytest.raises(ArgumentError, match="must be binary"):
        fit_gee(runner_weeks.assign(new_episode=2), "new_episode", ["spike"])
    with pytest.raises(ArgumentError, match="Did you mean 0.95"):
        fit_gee(runner_weeks, "new_episode", ["spike"], level=95)
    with pytest.raises(ArgumentError, match="time must name a column"):
        fit_gee(runner_weeks, "new_episode", ["spike"], correlation="ar1")
    with pytest.raises(ArgumentError, match="Did you mean 'exchangeable'"):
        fit_gee(runner_weeks, "new_episode", ["spike"], correlation="exchangable")
    with pytest.raises(ArgumentError, match="collinear"):
        fit_gee(runner_weeks.assign(copy=runner_weeks["spike"]), "new_episode", ["spike", "copy"])


def test_gee_result_api(runner_weeks):
    data = runner_weeks.head(100).copy()
    data.loc[0, "spike"] = np.nan
    fit = fit_gee(data, "new_episode", ["spike"], level=0.9)
    assert "1 of 100 rows" in fit.notes[0] and any("Only 13 clusters" in n for n in fit.notes)
    assert any(n.startswith("Converged: GEE Fisher scoring") for n in fit.notes)
    payload = json.loads(fit.to_json())
    assert "model" not in payload and payload["table"][1]["term"] == "spike"
    assert payload["level"] == 0.9
    assert "GEE (binomial, exchangeable" in fit.summary()
    ax = fit.plot()
    assert ax.get_xscale() == "log" and ax.get_yticklabels()[0].get_text() == "spike"


def test_fit_rate_model_matches_statsmodels_formula():
    rng = np.random.default_rng(12)
    n = 400
    data = pd.DataFrame(
        {
            "surface": rng.choice(["asphalt", "trail", "track"], n),
            "age": rng.normal(40, 10, n),
            "person_hours": rng.uniform(10, 300, n),
        }
    )
    data["episodes"] = rng.poisson(data["person_hours"] / 100 * np.exp(0.01 * (data["age"] - 40)))
    fit = fit_rate_model(data, "episodes", "person_hours", ["surface", "age"], per=1000)
    direct = smf.glm(
        "episodes ~ surface + age",
        data=data,
        family=sm.families.Poisson(),
        offset=np.log(data["person_hours"]),
    ).fit()
    table = fit.to_frame(scale="log_rate")
    np.testing.assert_allclose(table["estimate"], direct.params, rtol=1e-7)
    np.testing.assert_allclose(table["std_error"], direct.bse, rtol=1e-6)
    assert list(table["term"]) == ["(Intercept)", "surface[track]", "surface[trail]", "age"]
    lo, hi = np.exp(direct.conf_int().to_numpy()[1])
    assert fit.to_frame().loc[1, ["ci_low", "ci_high"]].tolist() == pytest.approx([lo, hi])
    assert fit.baseline.loc[0, "estimate"] == pytest.approx(1000 * np.exp(direct.params.iloc[0]))
    clustered = fit_rate_model(
        data.assign(club=np.arange(n) % 40),
        "episodes",
        "person_hours",
        ["surface", "age"],
        cluster="club",
    )
    robust = smf.glm(
        "episodes ~ surface + age",
        data=data,
        family=sm.families.Poisson(),
        offset=np.log(data["person_hours"]),
    ).fit(cov_type="cluster", cov_kwds={"groups": np.arange(n) % 40})
    np.testing.assert_allclose(clustered.table["std_error"], robust.bse, rtol=1e-6)


@given(
    e0=st.integers(1, 400),
    e1=st.integers(1, 400),
    t0=st.floats(1.0, 1e5),
    t1=st.floats(1.0, 1e5),
)
@settings(max_examples=30, deadline=None)
@pytest.mark.filterwarnings("ignore:Perfect separation")  # the model is saturated
@pytest.mark.filterwarnings("ignore::lbprun.exceptions.SparseDataWarning")
def test_fit_rate_model_closed_form_single_binary_predictor(e0, e1, t0, t1):
    data = pd.DataFrame(
        {
            "spike": [0, 0, 1, 1],
            "events": [e0 // 2, e0 - e0 // 2, e1 // 2, e1 - e1 // 2],
            "km": [t0 / 2, t0 / 2, t1 / 2, t1 / 2],
        }
    )
    row = fit_rate_model(data, "events", "km", "spike").to_frame().iloc[1]
    assert row["estimate"] == pytest.approx((e1 / t1) / (e0 / t0), rel=1e-7)
    assert row["std_error"] == pytest.approx(np.sqrt(1 / e1 + 1 / e0), rel=1e-6)


def test_fit_rate_model_negbin_matches_statsmodels():
    rng = np.random.default_rng(31)
    n = 600
    data = pd.DataFrame({"spike": rng.integers(0, 2, n), "km": rng.uniform(100, 1500, n)})
    mean = data["km"] / 500 * np.where(data["spike"] == 1, 1.6, 1.0)
    data["episodes"] = rng.poisson(mean * rng.gamma(1 / 0.7, 0.7, n))
    fit = fit_rate_model(data, "episodes", "km", ["spike"], family="negbin")
    direct = sm.NegativeBinomial(
        data["episodes"].to_numpy(),
        sm.add_constant(data[["spike"]].to_numpy(dtype=float)),
        offset=np.log(data["km"].to_numpy()),
    ).fit(method="newton", maxiter=100, tol=1e-14, disp=0)  # statsmodels run to the maximum
    np.testing.assert_allclose(fit.table["estimate"], direct.params[:-1], rtol=1e-8)
    # the table's SEs follow R's glm.nb (conditional on theta); the joint ones are statsmodels'
    np.testing.assert_allclose(np.asarray(fit.model.bse)[:-1], direct.bse[:-1], rtol=1e-6)
    assert fit.alpha == pytest.approx(direct.params[-1], rel=1e-8)
    assert "alpha (dispersion)" in fit.summary() and "Baseline rate" in fit.summary()


def test_fit_rate_model_coverage_poisson():
    """200 seeded replicates: the 95 % Wald CI of the IRR covers in [0.90, 0.98]."""
    rng = np.random.default_rng(4242)
    truth = np.log(1.6)
    covered = []
    for _ in range(200):
        hours = rng.uniform(20, 200, 150)
        spike = rng.integers(0, 2, 150)
        data = pd.DataFrame(
            {
                "spike": spike,
                "hours": hours,
                "events": rng.poisson(hours / 1000 * 8 * np.exp(truth * spike)),
            }
        )
        row = fit_rate_model(data, "events", "hours", ["spike"]).table.iloc[1]
        covered.append(row["ci_low"] < truth < row["ci_high"])
    assert 0.90 <= np.mean(covered) <= 0.98


def test_fit_rate_model_errors():
    data = pd.DataFrame({"events": [1, 2, 0], "hours": [10.0, 20.0, 5.0], "x": [0, 1, 1]})
    with pytest.raises(ArgumentError, match="exposure must be positive.*got -5.0"):
        fit_rate_model(data.assign(hours=[10.0, 20.0, -5.0]), "events", "hours", ["x"])
    with pytest.raises(ArgumentError, match="exposure must be positive.*got 0.0"):
        fit_rate_model(data.assign(hours=[10.0, 0.0, 5.0]), "events", "hours", ["x"])
    with pytest.raises(ArgumentError, match="Did you mean 'hours'"):
        fit_rate_model(data, "events", "hour", ["x"])
    with pytest.raises(ArgumentError, match="Did you mean 0.95"):
        fit_rate_model(data, "events", "hours", ["x"], level=95)
    with pytest.raises(ArgumentError, match="Did you mean 'negbin'"):
        fit_rate_model(data, "events", "hours", ["x"], family="negbinom")
    with pytest.raises(ArgumentError, match="per must be a positive number"):
        fit_rate_model(data, "events", "hours", ["x"], per=0)
    with pytest.raises(ArgumentError, match="at least one event"):
        fit_rate_model(data.assign(events=0), "events", "hours", ["x"])


def test_sparse_events_warn_and_are_noted(runner_weeks):
    data = pd.DataFrame(
        {"events": [1, 0, 1, 2], "hours": [10.0, 20.0, 15.0, 5.0], "x": [0, 0, 1, 1]}
    )
    with pytest.warns(SparseDataWarning, match="Only 4 events for 1 predictor column"):
        fit = fit_rate_model(data, "events", "hours", ["x"])
    assert "fewer than 10 per column" in fit.notes[-1]
    few = runner_weeks.head(40)
    with pytest.warns(SparseDataWarning, match="events for 1 predictor column"):
        gee = fit_gee(few, "new_episode", ["spike"])
    assert any("fewer than 10 per column" in note for note in gee.notes)


def test_rate_model_result_api():
    data = pd.DataFrame(
        {"events": [1, 2, 4, 3], "hours": [10.0, 20.0, 15.0, 5.0], "x": [0, 0, 1, 1]}
    )
    fit = fit_rate_model(data, "events", "hours", ["x"], per=100)
    payload = fit.to_dict()
    assert "model" not in payload and payload["baseline"][0]["per"] == 100
    assert fit.baseline.loc[0, "estimate"] == pytest.approx(100 * 3 / 30)
    assert fit.to_frame(scale="log").equals(fit.to_frame(scale="log_rate"))
    assert fit.plot().get_xscale() == "log"


# runner_week_panel


def test_runner_week_panel_by_hand():
    cohort = pd.DataFrame(
        {
            "runner_id": ["a", "b"],
            "start_date": ["2024-01-10", "2024-01-08"],  # a starts on a Wednesday
            "end_date": ["2024-02-07", "2024-01-28"],
            "lbp_onset_date": [None, "2024-01-16"],
            "bmi": [22.0, 26.0],
        }
    )
    runs = pd.DataFrame(
        {
            "runner_id": ["a", "a", "a", "a", "b", "b", "b"],
            "date": [
                "2023-12-27",
                "2024-01-03",
                "2024-01-11",
                "2024-01-24",
                "2024-01-08",
                "2024-01-15",
                "2024-01-22",
            ],
            "distance_km": [10.0, 12.0, 18.0, 9.0, 20.0, 30.0, 5.0],
        }
    )
    episodes = pd.DataFrame(
        {
            "runner_id": ["a", "a", "b"],
            "onset_date": ["2024-01-17", "2024-02-06", "2024-01-16"],
            "recovery_date": ["2024-01-29", None, "2024-01-20"],
        }
    )
    panel = runner_week_panel(cohort, runs, episodes=episodes)
    a = panel[panel["runner_id"] == "a"].reset_index(drop=True)
    # a: weeks of Jan 8, 15 (onset on 17th), [Jan 22 in episode], Jan 29 recovered on the 29th,
    # Feb 5 (second onset on the 6th, follow-up ends on the 7th)
    assert a["week_start"].dt.strftime("%m-%d").tolist() == ["01-08", "01-15", "01-29", "02-05"]
    assert a["days_followed"].tolist() == [5, 7, 7, 3]
    assert a["new_episode"].tolist() == [0, 1, 0, 1]
    assert a["previous_episodes"].tolist() == [0, 0, 1, 1]
    assert a["distance_km"].tolist() == [18.0, 0.0, 0.0, 0.0]
    assert a["prev_distance_km"].tolist() == [12.0, 18.0, 9.0, 0.0]
    np.testing.assert_allclose(a["prev_change_pct"], [20.0, 50.0, np.nan, -100.0])
    assert a["prev_spike_class"].astype(object).tolist()[:2] == ["10-30%", ">30%"]
    assert np.isnan(a.loc[0, "prev_4wk_mean_km"])  # the week of Dec 18 is before the log
    assert a.loc[2, "prev_4wk_mean_km"] == pytest.approx((9.0 + 0.0 + 18.0 + 12.0) / 4)
    b = panel[panel["runner_id"] == "b"].reset_index(drop=True)
    # b recovers on Jan 20 (a Saturday): the week of Jan 22 starts outside the episode
    assert b["week_index"].tolist() == [0, 1, 2]
    assert b["new_episode"].tolist() == [0, 1, 0]
    assert b["prev_change_pct"].iloc[2] == pytest.approx(50.0)
    assert b["bmi"].tolist() == [26.0] * 3
    first_only = runner_week_panel(cohort, runs)
    assert first_only[first_only["runner_id"] == "b"]["week_index"].tolist() == [0, 1]
    sunday = runner_week_panel(cohort, runs, week_start="Sunday")
    assert (sunday["week_start"].dt.day_of_week == 6).all()


def _panel_by_loops(cohort, activities, episodes):
    """The same at-risk table, row by row with plain Python (Monday weeks)."""
    week = lambda d: d - pd.Timedelta(days=d.day_of_week)  # noqa: E731
    km = activities.assign(week=activities["date"].map(week))
    km = km.groupby(["runner_id", "week"])["distance_km"].sum()
    rows = []
    for runner in cohort.itertuples():
        logged = km.loc[runner.runner_id] if runner.runner_id in km.index else pd.Series()
        span = (logged.index.min(), logged.index.max()) if len(logged) else None

        start = week(runner.start_date)

        def distance(w, start=start, logged=logged, span=span):
            if w in logged.index:
                return float(logged[w])
            if w >= start or (span is not None and span[0] <= w <= span[1]):
                return 0.0
            return np.nan

        eps = episodes[episodes["runner_id"] == runner.runner_id]
        w = week(runner.start_date)
        while w <= runner.end_date:
            at = max(w, runner.start_date)
            ongoing = any(
                e.onset_date < at and (pd.isna(e.recovery_date) or e.recovery_date > at)
                for e in eps.itertuples()
            )
            if not ongoing:
                new = any(
                    at <= e.onset_date < w + pd.Timedelta(days=7)
                    and e.onset_date <= runner.end_date
                    for e in eps.itertuples()
                )
                k1, k2 = distance(w - pd.Timedelta(days=7)), distance(w - pd.Timedelta(days=14))
                rows.append(
                    (
                        runner.runner_id,
                        w,
                        distance(w),
                        k1,
                        100 * (k1 - k2) / k2 if k2 > 0 else np.nan,
                        int(new),
                    )
                )
            w += pd.Timedelta(days=7)
    return pd.DataFrame(
        rows,
        columns=[
            "runner_id",
            "week_start",
            "distance_km",
            "prev_distance_km",
            "prev_change_pct",
            "new_episode",
        ],
    )


def test_runner_week_panel_matches_loops_on_simulated_cohort():
    sim = simulate_cohort(25, 20, seed=3)
    panel = runner_week_panel(sim.cohort, sim.activities, episodes=sim.episodes)
    expected = _panel_by_loops(sim.cohort, sim.activities, sim.episodes)
    got = panel[expected.columns].astype({"runner_id": str})
    expected = expected.astype({"runner_id": str})
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert panel["new_episode"].sum() == len(sim.episodes)


def test_runner_week_panel_errors():
    cohort = pd.DataFrame(
        {
            "runner_id": ["a"],
            "start_date": ["2024-01-01"],
            "end_date": ["2024-01-31"],
            "lbp_onset_date": [None],
        }
    )
    runs = pd.DataFrame({"runner_id": ["a"], "date": ["2024-01-02"], "distance_km": [5.0]})
    with pytest.raises(
        ArgumentError, match="'start_date' not found in cohort. Did you mean 'start_dat'"
    ):
        runner_week_panel(cohort.rename(columns={"start_date": "start_dat"}), runs)
    with pytest.raises(ArgumentError, match="end_date'\\] must not be before"):
        runner_week_panel(cohort.assign(end_date="2023-12-01"), runs)
    with pytest.raises(ArgumentError, match="must be unique"):
        runner_week_panel(pd.concat([cohort, cohort]), runs)
    with pytest.raises(ArgumentError, match="Did you mean 'sunday'"):
        runner_week_panel(cohort, runs, week_start="sundy")
    bad = pd.DataFrame(
        {"runner_id": ["a"], "onset_date": ["2024-01-10"], "recovery_date": ["2024-01-05"]}
    )
    with pytest.raises(ArgumentError, match="recovery_date'\\] must not be before"):
        runner_week_panel(cohort, runs, episodes=bad)
    with pytest.raises(ArgumentError, match="must hold valid dates"):
        runner_week_panel(cohort.assign(start_date="not a date"), runs)


def test_gee_on_simulated_cohort_recovers_spike_hazard_ratio():
    """The example cohort's truth: weekly cloglog hazard with HR 1.6 for a > 30 % spike;
    with weekly risks of about 0.5 % the odds ratio is close to the hazard ratio."""
    panel = runner_week_panel(
        load_example_cohort(), load_example_activities(), episodes=load_example_episodes()
    )
    panel["spike_gt_30pct"] = panel["prev_change_pct"] > 30
    panel["recurrence"] = panel["previous_episodes"] > 0
    fit = fit_gee(
        panel.dropna(subset=["prev_change_pct"]),
        "new_episode",
        ["spike_gt_30pct", "prior_lbp", "recurrence"],
        correlation="independence",
    )
    row = fit.to_frame().set_index("term").loc["spike_gt_30pct"]
    assert row["ci_low"] < 1.6 < row["ci_high"]
    assert row["estimate"] > 1.0


@pytest.mark.slow
def test_gee_recovers_spike_hazard_ratio_of_a_large_simulated_cohort():
    sim = simulate_cohort(3000, 52, seed=1)
    panel = runner_week_panel(sim.cohort, sim.activities, episodes=sim.episodes)
    fit = fit_gee(panel, "new_episode", ["prev_spike_class", "prior_lbp"])
    table = fit.to_frame().set_index("term")
    assert table.loc["prev_spike_class[>30%]", "ci_low"] < 1.6
    assert 1.6 < table.loc["prev_spike_class[>30%]", "ci_high"]
    assert table.loc["prev_spike_class[>30%]", "estimate"] > 1.3


@given(
    offsets=st.lists(st.integers(-30, 90), min_size=1, max_size=25),
    distances=st.lists(st.floats(1.0, 40.0), min_size=25, max_size=25),
    start_day=st.integers(0, 6),
    days=st.integers(0, 70),
)
@settings(max_examples=40, deadline=None)
def test_runner_week_panel_keeps_every_follow_up_kilometre(offsets, distances, start_day, days):
    start = pd.Timestamp("2024-03-04") + pd.Timedelta(days=start_day)
    end = start + pd.Timedelta(days=days)
    cohort = pd.DataFrame(
        {"runner_id": ["r"], "start_date": [start], "end_date": [end], "lbp_onset_date": [pd.NaT]}
    )
    dates = [start + pd.Timedelta(days=o) for o in offsets]
    runs = pd.DataFrame({"runner_id": "r", "date": dates, "distance_km": distances[: len(dates)]})
    panel = runner_week_panel(cohort, runs)
    first = start - pd.Timedelta(days=start.day_of_week)
    last = end - pd.Timedelta(days=end.day_of_week) + pd.Timedelta(days=7)
    inside = (runs["date"] >= first) & (runs["date"] < last)
    assert len(panel) == (last - first).days // 7
    assert panel["distance_km"].sum() == pytest.approx(runs.loc[inside, "distance_km"].sum())
    assert panel["days_followed"].sum() == days + 1
    assert (panel["new_episode"] == 0).all()
