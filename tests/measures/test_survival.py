"""Kaplan–Meier cumulative incidence: R's survfit values, closed forms and statsmodels, edge cases,
invariants, interval coverage and the figure."""

from __future__ import annotations

import json

import matplotlib.axes
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight
from tolerances import COHORT_ABS

from lbprun._checks import ArgumentError
from lbprun.measures.survival import CONF_TYPES, KaplanMeierResult, kaplan_meier
from lbprun.plots.survival import n_at_risk, plot_cumulative_incidence

START = pd.Timestamp("2025-01-01")


@pytest.fixture(scope="module")
def expected(expected_dir):
    return json.loads((expected_dir / "cohort_incidence.json").read_text())


@pytest.fixture(scope="module")
def cohort(reference_dir):
    return pd.read_csv(reference_dir / "runner_cohort.csv")


def make_cohort(time, event, groups=None):
    """A cohort whose days at risk are ``time`` (onset after ``time`` days when ``event``)."""
    time = np.asarray(time, dtype=int)
    event = np.asarray(event, dtype=bool)
    # censored: end_date - start_date + 1 = time; with an onset: follow-up goes on after it
    end = pd.to_timedelta(np.where(event, time + 5, time - 1), unit="D")
    frame = pd.DataFrame(
        {
            "runner_id": [f"r{i}" for i in range(time.size)],
            "start_date": START,
            "end_date": START + end,
            "lbp_onset_date": pd.Series(START + pd.to_timedelta(time, unit="D")).where(event),
        }
    )
    if groups is not None:
        frame["group"] = groups
    return frame


@pytest.fixture(scope="module")
def censored():
    rng = np.random.default_rng(11)
    n = 150
    onset = rng.exponential(300, n).astype(int)
    follow = rng.integers(30, 365, n)
    event = onset < follow
    time = np.where(event, onset, follow)
    return make_cohort(time, event, groups=rng.choice(["F", "M"], n)), time, event


def test_kaplan_meier_matches_survfit(cohort, expected):
    result = kaplan_meier(cohort, times=expected["km_times"])
    table = result.table
    assert table["time_days"].tolist() == expected["km_times"]
    np.testing.assert_allclose(table["estimate"], expected["km_cuminc"], atol=COHORT_ABS, rtol=0)
    np.testing.assert_allclose(table["ci_low"], expected["km_cuminc_low"], atol=COHORT_ABS, rtol=0)
    np.testing.assert_allclose(
        table["ci_high"], expected["km_cuminc_high"], atol=COHORT_ABS, rtol=0
    )
    assert table["n_risk"].tolist()[0] == 400 - table["n_event"].tolist()[0]
    assert table["n_event"].sum() == expected["events"]


def km_by_hand(time, event, level=0.95):
    """Product-limit estimate with Greenwood's variance and the log(-log) interval, by loops.

    The textbook formulas (Kalbfleisch & Prentice 2002, sec. 1.4; R ``survfit(conf.type =
    "log-log")``), written out one event time at a time.
    """
    z = stats.norm.ppf(0.5 + level / 2)
    rows, surv, greenwood = [], 1.0, 0.0
    for t in np.unique(time):
        at_risk = int((time >= t).sum())
        events = int(((time == t) & event).sum())
        if events:
            surv *= 1 - events / at_risk
            if at_risk > events:
                greenwood += events / (at_risk * (at_risk - events))
        if 0 < surv < 1:
            se_loglog = np.sqrt(greenwood) / abs(np.log(surv))
            low = surv ** np.exp(z * se_loglog)
            high = surv ** np.exp(-z * se_loglog)
        else:
            low = high = np.nan
        rows.append((t, at_risk, events, surv, low, high))
    return pd.DataFrame(rows, columns=["time", "n_risk", "n_event", "surv", "low", "high"])


def test_kaplan_meier_matches_closed_form_loglog(censored):
    data, time, event = censored
    curve = kaplan_meier(data, conf_type="log-log").curve
    hand = km_by_hand(time, event).set_index("time")
    t = curve["time_days"].to_numpy()
    np.testing.assert_allclose(1 - curve["estimate"], hand.loc[t, "surv"], atol=1e-12)
    has_events = (curve["estimate"] > 0).to_numpy() & (curve["estimate"] < 1).to_numpy()
    assert has_events.sum() > 20
    lower, upper = 1 - curve["ci_high"].to_numpy(), 1 - curve["ci_low"].to_numpy()
    np.testing.assert_allclose(lower[has_events], hand.loc[t, "low"][has_events], atol=1e-9)
    np.testing.assert_allclose(upper[has_events], hand.loc[t, "high"][has_events], atol=1e-9)
    np.testing.assert_array_equal(curve["n_risk"], hand.loc[t, "n_risk"])


def test_kaplan_meier_matches_statsmodels_greenwood(censored):
    data, time, event = censored
    fit = SurvfuncRight(time, event.astype(int))
    table = kaplan_meier(data, conf_type="plain").table  # rows at the event times
    np.testing.assert_array_equal(table["time_days"], fit.surv_times)
    np.testing.assert_allclose(1 - table["estimate"], fit.surv_prob, atol=1e-12)
    np.testing.assert_allclose(table["std_error"], fit.surv_prob_se, atol=1e-12)
    z = 1.959963984540054
    low = np.clip(fit.surv_prob - z * fit.surv_prob_se, 0, 1)
    np.testing.assert_allclose(table["ci_high"], 1 - low, atol=1e-9)


def test_times_table_counts_between_requested_times(censored):
    data, time, event = censored
    result = kaplan_meier(data, times=[200, 50, 100])
    table = result.table
    assert result.times == (50.0, 100.0, 200.0)
    assert table["time_days"].tolist() == [50, 100, 200]
    for t, row in zip([50, 100, 200], table.itertuples(), strict=True):
        assert row.n_risk == (time >= t).sum()
    bounds = [-1, 50, 100, 200]
    for i, row in enumerate(table.itertuples()):
        window = (time > bounds[i]) & (time <= bounds[i + 1])
        assert row.n_event == (window & event).sum()
        assert row.n_censor == (window & ~event).sum()
    curve = result.curve
    last = curve[curve["time_days"] <= 100].iloc[-1]
    assert table.loc[1, "estimate"] == last["estimate"]


def test_groups_have_their_own_curves(censored):
    data, time, event = censored
    result = kaplan_meier(data, by="group", times=[100])
    assert result.table["group"].tolist() == ["all", "F", "M"]
    for group in ("F", "M"):
        member = (data["group"] == group).to_numpy()
        alone = kaplan_meier(data[member], times=[100]).table
        row = result.table[result.table["group"] == group]
        np.testing.assert_allclose(row["estimate"], alone["estimate"])
        np.testing.assert_allclose(row["ci_high"], alone["ci_high"])


def test_onset_on_start_date_is_an_event_at_day_zero():
    data = make_cohort([0, 3, 10, 10], [True, True, False, True])
    curve = kaplan_meier(data).curve
    assert curve["time_days"].tolist() == [0, 3, 10]
    assert curve["estimate"].tolist()[0] == 0.25
    assert curve["n_censor"].tolist() == [0, 0, 1]


def test_edges_times_beyond_follow_up_and_survival_zero():
    data = make_cohort([2, 5], [True, True])
    result = kaplan_meier(data, times=[0, 1, 5, 9])
    table = result.table
    assert table["estimate"].tolist()[:3] == [0.0, 0.0, 1.0]
    assert table[["ci_low", "ci_high"]].iloc[0].tolist() == [0.0, 0.0]
    assert np.isnan(table["ci_low"][2]) and np.isnan(table["estimate"][3])
    assert any("S(t) reaches 0" in note for note in result.notes)
    assert any("after the last follow-up" in note for note in result.notes)


def test_result_serialises(cohort):
    result = kaplan_meier(cohort, times=[90])
    assert isinstance(result, KaplanMeierResult)
    payload = json.loads(result.to_json())
    assert payload["table"][0]["time_days"] == 90 and payload["conf_type"] == "log"
    assert len(payload["curve"]) == len(result.curve)
    assert result.summary().startswith("Kaplan-Meier cumulative incidence")


def test_argument_errors(cohort):
    with pytest.raises(ArgumentError, match="conf_type must be one of .* Did you mean 'log-log'"):
        kaplan_meier(cohort, conf_type="loglog")
    with pytest.raises(ArgumentError, match="level must be in"):
        kaplan_meier(cohort, level=95)
    with pytest.raises(ArgumentError, match="times must be finite non-negative days"):
        kaplan_meier(cohort, times=[-1, 90])
    with pytest.raises(ArgumentError, match="times must be numbers"):
        kaplan_meier(cohort, times=["soon"])
    with pytest.raises(ArgumentError, match="column 'start_date' not found in cohort. Did you"):
        kaplan_meier(cohort.rename(columns={"start_date": "start"}))


# --------------------------------------------------------------------------- properties


@st.composite
def survival_data(draw):
    n = draw(st.integers(1, 40))
    time = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))
    event = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    time = np.array(time)
    return np.where(event, time, np.maximum(time, 1)), event


@settings(max_examples=80, deadline=None)
@given(survival_data(), st.sampled_from(CONF_TYPES), st.floats(0.5, 0.99))
def test_cumulative_incidence_is_monotone_and_bounded(data, conf_type, level):
    time, event = data
    curve = kaplan_meier(make_cohort(time, event), conf_type=conf_type, level=level).curve
    est = curve["estimate"].to_numpy()
    assert ((est >= 0) & (est <= 1)).all()
    assert (np.diff(est) >= -1e-12).all()
    ok = curve["ci_low"].notna()
    assert (curve["ci_low"][ok] <= est[ok] + 1e-12).all()
    assert (est[ok] <= curve["ci_high"][ok] + 1e-12).all()
    assert ((curve["ci_low"][ok] >= 0) & (curve["ci_high"][ok] <= 1 + 1e-12)).all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=40), st.integers(0, 70))
def test_without_censoring_equals_the_empirical_proportion(time, t):
    time = np.array(time)
    table = kaplan_meier(make_cohort(time, np.ones(time.size, bool)), times=[t]).table
    if t > time.max():
        assert np.isnan(table["estimate"][0])
    else:
        assert table["estimate"][0] == pytest.approx((time <= t).mean(), abs=1e-12)


# --------------------------------------------------------------------------- coverage


def km_coverage(reps, seed, n=120, t=150, hazard=1 / 400):
    """Exponential onset days, uniform follow-up; truth P(onset day <= t) = 1 - exp(-h(t+1))."""
    rng = np.random.default_rng(seed)
    truth = 1 - np.exp(-hazard * (t + 1))
    hits = {conf_type: 0 for conf_type in CONF_TYPES}
    for _ in range(reps):
        onset = np.floor(rng.exponential(1 / hazard, n)).astype(int)
        follow = rng.integers(60, 366, n)
        event = onset < follow
        data = make_cohort(np.where(event, onset, follow), event)
        for conf_type in CONF_TYPES:
            row = kaplan_meier(data, times=[t], conf_type=conf_type).table.iloc[0]
            hits[conf_type] += row["ci_low"] <= truth <= row["ci_high"]
    return {k: v / reps for k, v in hits.items()}


def test_kaplan_meier_interval_covers_the_true_risk():
    # 300 cohorts: a binomial(300, 0.95) proportion lies in [0.91, 0.99] with prob. > 0.999.
    coverage = km_coverage(300, seed=2026)
    for conf_type in CONF_TYPES:
        assert 0.91 <= coverage[conf_type] <= 0.99, (conf_type, coverage)


@pytest.mark.slow
def test_kaplan_meier_interval_covers_the_true_risk_slow():
    # 2000 cohorts: standard error 0.005, so 0.93-0.97 allows for the small-sample bias.
    coverage = km_coverage(2000, seed=99)
    for conf_type in CONF_TYPES:
        assert 0.93 <= coverage[conf_type] <= 0.97, (conf_type, coverage)


# --------------------------------------------------------------------------- figure


def test_plot_draws_curves_bands_and_the_at_risk_table(censored):
    data, time, _ = censored
    result = kaplan_meier(data, by="group")
    ax = result.plot(risk_times=[0, 100, 200])
    assert isinstance(ax, matplotlib.axes.Axes)
    assert [line.get_label() for line in ax.get_lines()] == ["F", "M"]
    assert len(ax.collections) == 2  # one band per group
    expected = ["F"] + [str((time[data["group"] == "F"] >= t).sum()) for t in (0, 100, 200)]
    assert ax.risk_table[:4] == expected
    assert ax.get_xticks().tolist() == [0, 100, 200]
    plain = plot_cumulative_incidence(kaplan_meier(data), ci=False, risk_table=False)
    assert len(plain.collections) == 0 and plain.risk_table == []
    assert plain.get_lines()[0].get_ydata()[0] == 0.0
    with pytest.raises(ArgumentError, match="KaplanMeierResult"):
        plot_cumulative_incidence(data)


def test_n_at_risk_reads_the_step_table(censored):
    data, time, _ = censored
    curve = kaplan_meier(data).curve
    days = [0, 17, 100, 364, 400]
    assert n_at_risk(curve, days).tolist() == [(time >= d).sum() for d in days]


# --- Quantiles (median time to onset) ---------------------------------------------------------


@pytest.fixture(scope="module")
def veteran(reference_dir):
    return pd.read_csv(reference_dir / "veteran.csv")


@pytest.mark.parametrize("conf_type", CONF_TYPES)
def test_quantiles_match_survival_quantile_survfit(veteran, expected_dir, conf_type):
    """R ``quantile(survfit(Surv(time, status) ~ 1 and ~ trt, veteran))`` (tests/reference/r)."""
    expected = json.loads((expected_dir / "km_veteran.json").read_text())[conf_type]
    data = make_cohort(veteran["time"], veteran["status"] == 1, groups=veteran["trt"].astype(str))
    q = kaplan_meier(data, by="group", conf_type=conf_type).quantiles([0.25, 0.5, 0.75])
    assert q["group"].unique().tolist() == ["all", "1", "2"]
    for block in [expected["overall"], *expected["by_trt"]]:
        rows = q[q["group"] == block["group"]]
        for ours, theirs in (("estimate", "estimate"), ("ci_low", "lower"), ("ci_high", "upper")):
            want = np.array([np.nan if v is None else v for v in block[theirs]], dtype=float)
            np.testing.assert_allclose(rows[ours], want, atol=1e-10, rtol=0)
    median = q[(q["group"] == "all") & (q["p"] == 0.5)]
    want = np.array([np.nan if v is None else v for v in expected["print_median"]], dtype=float)
    np.testing.assert_allclose(median[["estimate", "ci_low", "ci_high"]].iloc[0], want, atol=1e-10)


def test_quantiles_take_the_midpoint_of_a_flat_segment():
    # F = 1/4, 1/2, 3/4 at days 2, 5, 8: the median is the midpoint of the flat [5, 8)
    q = kaplan_meier(make_cohort([2, 5, 8, 10], [1, 1, 1, 0])).quantiles([0.25, 0.5, 0.6, 0.75])
    assert q["estimate"].tolist() == [3.5, 6.5, 8.0, 8.0 + (10 - 8) / 2]
    # a flat at 0.5 up to the end closes at the last follow-up time; 0.75 is never reached
    q = kaplan_meier(make_cohort([2, 5, 9, 12], [1, 1, 0, 0])).quantiles([0.5, 0.75])
    assert q["estimate"].iloc[0] == (5 + 12) / 2
    assert np.isnan(q["estimate"].iloc[1])


def test_quantiles_match_the_survival_package_test_case():
    # survival/tests/quantile.R: times (9, 1, 1, 6, 6, 8, 10), onsets (1, 1, 0, 1, 1, 0, 0)
    data = make_cohort([9, 1, 1, 6, 6, 8, 10], [1, 1, 0, 1, 1, 0, 0])
    qq = np.array([13 / 14, 6 / 7, 2 / 3, 0.5, 9 / 35, 0.1])
    q = kaplan_meier(data).quantiles(1 - qq)
    np.testing.assert_allclose(q["estimate"], [1, 3.5, 6, 9, 9.5, np.nan])
    np.testing.assert_allclose(q["ci_low"], [1, 1, 1, 6, 6, 9])
    assert q["ci_high"].isna().all()


def test_quantiles_edges_and_summary():
    result = kaplan_meier(make_cohort([2, 5, 8, 10], [1, 1, 1, 0]))
    q = result.quantiles(0)
    assert q["estimate"].tolist() == [0.0]
    assert list(q.columns) == "by group p estimate ci_low ci_high conf_type level".split()
    assert "Median days to onset:" in result.summary()
    assert result.to_dict()["medians"][0]["estimate"] == 6.5
    for bad in (1.5, -0.1, [], "half", float("nan")):
        with pytest.raises(ArgumentError, match="p must be probabilities"):
            result.quantiles(bad)


@settings(max_examples=60, deadline=None)
@given(survival_data(), st.sampled_from(CONF_TYPES))
def test_quantiles_are_ordered_and_inside_their_interval(data, conf_type):
    time, event = data
    q = kaplan_meier(make_cohort(time, event), conf_type=conf_type).quantiles([0.25, 0.5, 0.75])
    est = q["estimate"].to_numpy()
    if not np.isnan(est[[0, 1]]).any():
        assert est[0] <= est[1]
    if not np.isnan(est[[1, 2]]).any():
        assert est[1] <= est[2]
    both = ~np.isnan(est) & ~q["ci_low"].isna().to_numpy()
    assert (q["ci_low"].to_numpy()[both] <= est[both] + 1e-12).all()
    both = ~np.isnan(est) & ~q["ci_high"].isna().to_numpy()
    assert (q["ci_high"].to_numpy()[both] >= est[both] - 1e-12).all()
