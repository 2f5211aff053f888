"""Tests of lbprun.simulate: reproducibility, schema conformity, invariants, recovery of truth."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from lbprun._checks import ArgumentError
from lbprun.io.schema import PACE_MIN_PER_KM, SCHEMAS
from lbprun.io.validate import validate
from lbprun.simulate import (
    COHORT_EFFECTS,
    SURVEY_EFFECTS,
    SimulatedData,
    SimulationDesign,
    simulate_cohort,
    simulate_survey,
)

SURVEY_COLUMNS = [
    c.name for c in SCHEMAS["survey"] if c.name not in ("stratum", "cluster", "weight")
]


# ----------------------------------------------------------------------------- shared checks
def check_schema(frame: pd.DataFrame, kind: str) -> None:
    """Assert that every known column respects the column dictionary's type, range and labels."""
    schema = SCHEMAS[kind]
    for name in schema.required:
        assert name in frame.columns, f"{kind} lacks required column {name}"
    for column in schema:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        if not column.nullable:
            assert values.notna().all(), f"{column.name} has missing values"
        present = values.dropna()
        if column.dtype == "text":
            assert str(values.dtype) == "string", column.name
        elif column.dtype == "bool":
            assert str(values.dtype) == "boolean", column.name
        elif column.dtype == "category":
            assert isinstance(values.dtype, pd.CategoricalDtype), column.name
            assert set(present.astype(str)) <= set(column.allowed), column.name
        elif column.dtype == "date":
            assert str(values.dtype) == "datetime64[ns]", column.name
        else:
            assert pd.api.types.is_float_dtype(values), column.name
            if column.min is not None:
                assert (present >= column.min).all(), f"{column.name} below {column.min}"
            if column.max is not None:
                assert (present <= column.max).all(), f"{column.name} above {column.max}"
    for earlier, later in schema.date_order:
        both = frame[[earlier, later]].dropna()
        assert (both[earlier] <= both[later]).all(), f"{earlier} after {later}"
    for name, start, end in schema.within:
        rows = frame[name].notna()
        assert (frame.loc[rows, name] >= frame.loc[rows, start]).all()
        assert (frame.loc[rows, name] <= frame.loc[rows, end]).all()
    if schema.unique_key and set(schema.unique_key) <= set(frame.columns):
        assert not frame.duplicated(list(schema.unique_key)).any(), f"{kind} key not unique"
    if kind == "activities":
        pace = frame["duration_min"] / frame["distance_km"]
        assert pace.between(*PACE_MIN_PER_KM).all()
    report = validate(frame, kind)
    assert report.ok, report.summary()


def survey_terms(s: pd.DataFrame) -> pd.DataFrame:
    """The derived terms of the outcome model, computed as an analyst would."""
    return pd.DataFrame(
        {
            "intercept": 1.0,
            "per_10km_week": s["weekly_km"] / 10,
            "spike_gt_30pct": (s["max_weekly_increase_pct"] > 30).astype(float),
            "shoe_km_gt_800": (s["shoe_km"] > 800).astype(float),
            "surface_asphalt_vs_other": (s["surface"] == "asphalt").astype(float),
            "bmi_gt_24": (s["bmi"] > 24).astype(float),
            "years_running_gt_6": (s["years_running"] > 6).astype(float),
            "prior_lbp": s["prior_lbp"].astype(float),
            "strength_training": s["strength_training"].astype(float),
        }
    )


def design_ci(s: pd.DataFrame, outcome: str, level: float = 0.95) -> tuple[float, float, float]:
    """Weighted prevalence with a linearised, with-replacement PSU interval (svymean-like)."""
    w = s["weight"].to_numpy()
    y = s[outcome].to_numpy(dtype=float)
    p = float(np.sum(w * y) / np.sum(w))
    z = pd.Series(w * (y - p) / np.sum(w))
    totals = z.groupby([s["stratum"], s["cluster"]]).sum()
    var = 0.0
    for _, t in totals.groupby(level=0):
        var += len(t) / (len(t) - 1) * float(((t - t.mean()) ** 2).sum())
    df = totals.size - totals.index.get_level_values(0).nunique()
    half = stats.t.ppf(0.5 + level / 2, df) * math.sqrt(var)
    return p, p - half, p + half


def weekly_matrix(data: SimulatedData) -> tuple[np.ndarray, np.ndarray]:
    """Runner x follow-up-week distance (km) and the number of observed weeks per runner."""
    cohort, runs = data.cohort, data.activities
    start = cohort["start_date"].iloc[0]
    ids = pd.Index(cohort["runner_id"])
    weeks = int(((cohort["end_date"].max() - start).days + 1) // 7)
    matrix = np.zeros((len(ids), weeks))
    np.add.at(
        matrix,
        (ids.get_indexer(runs["runner_id"]), ((runs["date"] - start).dt.days // 7).to_numpy()),
        runs["distance_km"].to_numpy(),
    )
    observed = ((cohort["end_date"] - start).dt.days.to_numpy() + 1) // 7
    return matrix, observed


def person_weeks(data: SimulatedData) -> pd.DataFrame:
    """Runner-weeks at risk (week >= 4) with the hazard's terms, rebuilt from the tables."""
    cohort, episodes = data.cohort, data.episodes
    start = cohort["start_date"].iloc[0]
    matrix, observed = weekly_matrix(data)
    ids = pd.Index(cohort["runner_id"])
    weeks = np.arange(4, matrix.shape[1])
    day0 = 7 * weeks
    covered = np.zeros((len(ids), weeks.size), dtype=bool)
    event = np.zeros_like(covered)
    earlier = np.zeros_like(covered)
    rows = ids.get_indexer(episodes["runner_id"])
    onset = (episodes["onset_date"] - start).dt.days.to_numpy()
    recovery = (episodes["recovery_date"] - start).dt.days.fillna(10**6).to_numpy()
    for r, on, rec in zip(rows, onset, recovery, strict=True):
        covered[r] |= (on < day0) & (rec > day0)
        event[r] |= (on >= day0) & (on < day0 + 7)
        earlier[r] |= on < day0
    at_risk = ~covered & (weeks[None, :] < observed[:, None])
    w1, w2 = matrix[:, weeks - 1], matrix[:, weeks - 2]
    chronic = np.mean([matrix[:, weeks - k] for k in (1, 2, 3, 4)], axis=0)

    def runner_level(values):
        return np.broadcast_to(np.asarray(values, dtype=float)[:, None], at_risk.shape)[at_risk]

    return pd.DataFrame(
        {
            "event": event[at_risk].astype(float),
            "intercept": 1.0,
            "spike_gt_30pct": ((w2 > 0) & (w1 > 1.3 * w2))[at_risk].astype(float),
            "acwr_gt_1_5": ((chronic > 0) & (w1 > 1.5 * chronic))[at_risk].astype(float),
            "per_10km_week": (chronic / 10)[at_risk],
            "prior_lbp": runner_level(cohort["prior_lbp"].to_numpy(dtype=bool)),
            "strength_training": runner_level(cohort["strength_training"].to_numpy(dtype=bool)),
            "bmi_gt_24": runner_level(cohort["bmi"] > 24),
            "years_running_gt_6": runner_level(cohort["years_running"] > 6),
            "recurrence": earlier[at_risk].astype(float),
        }
    )


@pytest.fixture(scope="module")
def design_survey() -> SimulatedData:
    return simulate_survey(2500, design=SimulationDesign(), seed=11)


@pytest.fixture(scope="module")
def cohort() -> SimulatedData:
    return simulate_cohort(800, 52, seed=12)


# ----------------------------------------------------------------------------- defaults
def test_survey_effects_equal_reference_truth(reference_dir):
    truth = json.loads((reference_dir / "truth.json").read_text())
    for name, value in SURVEY_EFFECTS.items():
        assert value == pytest.approx(truth[name], rel=1e-12, abs=1e-12), name


# ----------------------------------------------------------------------------- reproducibility
def test_same_seed_gives_identical_frames():
    a = simulate_survey(700, design=SimulationDesign(), seed=5)
    b = simulate_survey(700, design=SimulationDesign(), seed=5)
    pd.testing.assert_frame_equal(a.survey, b.survey)
    assert a.truth == b.truth
    c, d = simulate_cohort(60, 10, seed=5), simulate_cohort(60, 10, seed=5)
    for name in ("activities", "cohort", "episodes", "runners"):
        pd.testing.assert_frame_equal(getattr(c, name), getattr(d, name))
    assert c.truth == d.truth


def test_unseeded_draws_record_their_seed():
    first = simulate_survey(300)
    again = simulate_survey(300, seed=first.truth["seed"])
    pd.testing.assert_frame_equal(first.survey, again.survey)
    cohort = simulate_cohort(10, 3)
    pd.testing.assert_frame_equal(
        cohort.activities, simulate_cohort(10, 3, seed=cohort.truth["seed"]).activities
    )
    assert json.loads(json.dumps(cohort.to_dict()))["truth"]["seed"] == cohort.truth["seed"]


def test_different_seed_gives_different_frames():
    a, b = simulate_survey(500, seed=1), simulate_survey(500, seed=2)
    assert not a.survey.equals(b.survey)
    assert a.truth["prevalence"] != b.truth["prevalence"]
    c, d = simulate_cohort(40, 8, seed=1), simulate_cohort(40, 8, seed=2)
    assert len(c.activities) != len(d.activities) or not c.activities.equals(d.activities)


# ----------------------------------------------------------------------------- survey
def test_survey_conforms_to_schema(design_survey):
    s = design_survey.survey
    assert list(s.columns) == [*SURVEY_COLUMNS, "stratum", "cluster", "weight"]
    check_schema(s, "survey")
    plain = simulate_survey(400, seed=3).survey
    assert list(plain.columns) == SURVEY_COLUMNS
    check_schema(plain, "survey")


def test_survey_outcomes_are_nested(design_survey):
    s = design_survey.survey
    assert (~s["lbp_point"] | s["lbp_12m"]).all()
    assert (~s["lbp_12m"] | s["lbp_lifetime"]).all()
    assert (~s["prior_lbp"] | s["lbp_lifetime"]).all()
    prev = design_survey.truth["prevalence"]
    assert 0 < prev["lbp_point"] < prev["lbp_12m"] < prev["lbp_lifetime"] < 1


def test_survey_design_structure(design_survey):
    s, truth = design_survey.survey, design_survey.truth
    assert s.groupby("cluster")["stratum"].nunique().max() == 1
    assert s.groupby("stratum")["cluster"].nunique().tolist() == [15] * 4
    assert s["stratum"].value_counts().tolist() == [625] * 4
    assert (s["weight"] > 0).all()
    # weights estimate the population size and each stratum's size
    assert s["weight"].sum() == pytest.approx(truth["population_size"], rel=0.1)
    by_stratum = s.groupby("stratum")["weight"].sum()
    for name, size in truth["stratum_population_size"].items():
        assert by_stratum[name] == pytest.approx(size, rel=0.2)
    assert set(truth["prevalence_by_stratum"]) == {"S1", "S2", "S3", "S4"}


def test_informative_weights_bias_the_unweighted_prevalence(design_survey):
    s, truth = design_survey.survey, design_survey.truth["prevalence"]["lbp_12m"]
    p, low, high = design_ci(s, "lbp_12m")
    assert low <= truth <= high
    assert s["lbp_12m"].mean() > high  # case over-sampling inflates the naive estimate


def test_survey_design_ci_covers_true_prevalence():
    # fast version: 60 replicates; a 95 % interval covering in 60 draws falls below 0.85 with
    # probability < 0.5 %.
    covered = {"lbp_point": 0, "lbp_12m": 0, "lbp_lifetime": 0}
    reps = 60
    for rep in range(reps):
        data = simulate_survey(600, design=SimulationDesign(), seed=5000 + rep)
        for outcome in covered:
            _, low, high = design_ci(data.survey, outcome)
            covered[outcome] += low <= data.truth["prevalence"][outcome] <= high
    for outcome, hits in covered.items():
        assert hits / reps >= 0.85, (outcome, hits)


@pytest.mark.slow
def test_survey_design_ci_coverage_band_slow():
    reps, hits = 400, 0
    for rep in range(reps):
        data = simulate_survey(600, design={"case_oversampling": 3.0}, seed=9000 + rep)
        _, low, high = design_ci(data.survey, "lbp_12m")
        hits += low <= data.truth["prevalence"]["lbp_12m"] <= high
    assert 0.92 <= hits / reps <= 0.975


def test_logistic_regression_recovers_survey_coefficients():
    data = simulate_survey(20000, seed=21)
    s = data.survey
    fit = sm.Logit(s["lbp_12m"].astype(float), survey_terms(s)).fit(disp=0)
    truth = data.truth["coefficients"]
    z = (fit.params - pd.Series(truth)) / fit.bse
    assert z.abs().max() < 3.5, z.round(2).to_dict()


def test_survey_effects_override_reaches_data_and_truth():
    data = simulate_survey(20000, effects={"prior_lbp": 0.0, "intercept": -1.0}, seed=22)
    assert data.truth["coefficients"]["prior_lbp"] == 0.0
    s = data.survey
    fit = sm.Logit(s["lbp_12m"].astype(float), survey_terms(s)).fit(disp=0)
    assert abs(fit.params["prior_lbp"]) < 3.5 * fit.bse["prior_lbp"]
    assert abs(fit.params["intercept"] + 1.0) < 3.5 * fit.bse["intercept"]


def test_cluster_sd_zero_and_options():
    a = simulate_survey(600, design=SimulationDesign(cluster_sd=0.0, allocation="proportional"))
    assert a.truth["club_sd"] == 0.0
    counts = a.survey["stratum"].value_counts().sort_index()
    assert counts["S1"] > counts["S4"]  # proportional allocation follows stratum size
    b = simulate_survey(600, design={"stratum_shares": (1, 1, 1, 1), "case_oversampling": 1})
    sizes = b.truth["stratum_population_size"]
    assert len(set(sizes.values())) == 1


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: simulate_survey(0), "n must be a positive integer; got 0."),
        (lambda: simulate_survey(100, effects={"prior": 1.0}), "Did you mean 'prior_lbp'"),
        (lambda: simulate_survey(100, effects={"club_sd": -1}), "must be non-negative"),
        (lambda: simulate_survey(100, effects={"bmi_gt_24": float("nan")}), "finite number"),
        (lambda: simulate_survey(100, effects=[1, 2]), "effects must be a mapping"),
        (lambda: simulate_survey(100, design="yes"), "design must be None"),
        (lambda: simulate_survey(100, design=SimulationDesign()), "n must be at least 120"),
        (lambda: simulate_survey(100, seed=-1), "seed must be None or a non-negative"),
        (lambda: simulate_survey(100, seed=1.5), "seed must be None or a non-negative"),
        (lambda: SimulationDesign(allocation="equl"), "Did you mean 'equal'"),
        (lambda: SimulationDesign(stratum_shares=(1, 2)), "stratum_shares must be 4"),
        (lambda: SimulationDesign(population_clusters=5), "population_clusters must be"),
        (lambda: SimulationDesign(case_oversampling=0), "case_oversampling must be positive"),
        (
            lambda: simulate_survey(
                600, effects={"club_sd": 0.1}, design=SimulationDesign(cluster_sd=0.3)
            ),
            "cluster_sd must equal",
        ),
        (
            lambda: simulate_survey(600, design=SimulationDesign(population_size=700)),
            "design must fit",
        ),
        (lambda: simulate_cohort(10, 0), "weeks must be a positive integer; got 0."),
        (lambda: simulate_cohort(10, 4, effects={"spike": 1}), "Did you mean 'spike_gt_30pct'"),
        (lambda: simulate_cohort(10, 4, start_date="not a date"), "start_date must be a date"),
    ],
)
def test_bad_arguments_raise_argument_error(call, match):
    with pytest.raises(ArgumentError, match=match):
        call()


# ----------------------------------------------------------------------------- cohort
def test_cohort_tables_conform_to_schema(cohort):
    for kind in ("activities", "cohort", "episodes"):
        check_schema(getattr(cohort, kind), kind)
    assert list(cohort.activities.columns) == [
        "runner_id",
        "date",
        "distance_km",
        "duration_min",
        "surface",
        "shoe_id",
    ]
    assert list(cohort.cohort.columns) == [
        "runner_id", "start_date", "end_date", "lbp_onset_date", "sex", "age", "bmi",
        "years_running", "prior_lbp", "strength_training",
    ]  # fmt: skip


def test_cohort_onsets_and_episodes_are_consistent(cohort):
    c, e, runs = cohort.cohort.set_index("runner_id"), cohort.episodes, cohort.activities
    first = e.groupby("runner_id")["onset_date"].min()
    pd.testing.assert_series_equal(
        c["lbp_onset_date"].dropna().sort_index(), first.sort_index(), check_names=False
    )
    assert c["lbp_onset_date"].notna().sum() == e["runner_id"].nunique()
    # onsets lie within follow-up; recoveries after onsets; episodes do not overlap
    end = c.loc[e["runner_id"], "end_date"].to_numpy()
    assert (e["onset_date"].to_numpy() <= end).all()
    assert (e["onset_date"] >= c["start_date"].min()).all()
    nxt = e.groupby("runner_id")["onset_date"].shift(-1)
    assert (e["recovery_date"].isna() & nxt.notna()).sum() == 0
    assert (nxt.dropna() >= e.loc[nxt.notna(), "recovery_date"]).all()
    # runs stay within each runner's follow-up
    assert (runs["date"].to_numpy() <= c.loc[runs["runner_id"], "end_date"].to_numpy()).all()
    assert (runs["date"] >= c["start_date"].min()).all()
    assert cohort.truth["counts"]["runs"] == len(runs)
    assert cohort.truth["counts"]["episodes"] == len(e)


def test_runs_drop_during_episodes(cohort):
    runs, e = cohort.activities, cohort.episodes
    end = cohort.cohort.set_index("runner_id")["end_date"]
    e = e.assign(stop=e["recovery_date"].fillna(e["runner_id"].map(end) + pd.Timedelta(days=1)))
    days_in = int(((e["stop"] - e["onset_date"]).dt.days).sum())
    merged = runs.merge(e, on="runner_id")
    inside = merged["date"].between(merged["onset_date"], merged["stop"], inclusive="left")
    runs_in = int(inside.sum())
    total_days = int(((cohort.cohort["end_date"] - cohort.cohort["start_date"]).dt.days + 1).sum())
    rate_in = runs_in / days_in
    rate_out = (len(runs) - runs_in) / (total_days - days_in)
    assert rate_in < 0.5 * rate_out
    km_in = merged.loc[inside, "distance_km"].mean()
    assert km_in < 0.8 * runs["distance_km"].mean()


def test_weekly_structure(cohort):
    matrix, observed = weekly_matrix(cohort)
    seen = np.arange(matrix.shape[1])[None, :] < observed[:, None]
    zero_share = float((matrix[seen] == 0).mean())
    assert 0.01 <= zero_share <= 0.15
    assert zero_share == pytest.approx(cohort.truth["counts"]["zero_distance_week_share"])
    runs = cohort.activities
    days = runs.groupby(["runner_id", (runs["date"] - runs["date"].min()).dt.days // 7]).size()
    assert days.max() <= 7 and 3.0 <= days.mean() <= 5.5
    # mean weekly km over running weeks is near the runner's base volume
    running = np.where(seen & (matrix > 0), matrix, np.nan)
    ratio = np.nanmean(running, axis=1) / cohort.runners["base_weekly_km"].to_numpy()
    assert 0.85 <= np.nanmedian(ratio) <= 1.1
    # the long run falls on the runner's long-run weekday in most weeks
    longest = runs.loc[
        runs.groupby(["runner_id", runs["date"].dt.isocalendar().week])["distance_km"].idxmax()
    ]
    planned = cohort.runners.set_index("runner_id")["long_run_weekday"]
    share = longest["date"].dt.day_of_week.to_numpy() == planned[longest["runner_id"]].to_numpy()
    assert share.mean() > 0.6


def test_shoes_change_every_500_to_800_km(cohort):
    runs = cohort.activities
    per_shoe = runs.groupby(["runner_id", "shoe_id"], observed=True).agg(
        km=("distance_km", "sum"), first=("date", "min"), last=("date", "max")
    )
    per_shoe = per_shoe.reset_index().sort_values(["runner_id", "first"])
    # shoes follow one another in time, never overlapping
    prev_last = per_shoe.groupby("runner_id")["last"].shift()
    assert (prev_last.isna() | (per_shoe["first"] > prev_last)).all()
    # pairs between a runner's first (partly worn at the start) and last (still in use) pair
    # were retired after their life of 500-800 km plus at most the week in which it ran out
    middle = per_shoe[
        per_shoe.duplicated("runner_id", keep="first")
        & per_shoe.duplicated("runner_id", keep="last")
    ]
    assert len(middle) > 100
    assert middle["km"].min() >= 500
    assert middle["km"].median() <= 1000


def test_hazard_effect_is_recoverable():
    data = simulate_cohort(3000, 104, seed=31)
    pw = person_weeks(data)
    rates = pw.groupby("spike_gt_30pct")["event"].mean()
    assert rates[1.0] / rates[0.0] > 1.2
    fit = sm.GLM(
        pw["event"],
        pw.drop(columns="event"),
        family=sm.families.Binomial(sm.families.links.CLogLog()),
    ).fit()
    truth = pd.Series(data.truth["hazard"]["coefficients"])
    z = (fit.params - truth[fit.params.index]) / fit.bse
    assert z.abs().max() < 3.5, z.round(2).to_dict()


def test_cohort_effects_override_and_start_date():
    data = simulate_cohort(30, 6, effects={"intercept": -20.0}, start_date="2024-03-07", seed=3)
    assert data.episodes.empty and data.cohort["lbp_onset_date"].isna().all()
    assert data.truth["hazard"]["coefficients"]["intercept"] == -20.0
    assert data.activities["date"].min() >= pd.Timestamp("2024-03-07")
    assert (data.cohort["start_date"] == pd.Timestamp("2024-03-07")).all()
    check_schema(data.episodes, "episodes")
    sure = simulate_cohort(30, 6, effects={"intercept": 3.0}, seed=3)
    assert sure.cohort["lbp_onset_date"].notna().all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 25),
    weeks=st.integers(1, 12),
    seed=st.integers(0, 2**32 - 1),
)
def test_cohort_invariants_hold_for_any_size(n, weeks, seed):
    data = simulate_cohort(n, weeks, seed=seed)
    assert len(data.cohort) == n
    end = data.cohort.set_index("runner_id")["end_date"]
    assert (end <= pd.Timestamp("2025-01-06") + pd.Timedelta(days=7 * weeks - 1)).all()
    runs = data.activities
    assert not runs.duplicated(["runner_id", "date"]).any()
    assert runs["distance_km"].between(1.0, 60.0).all()
    if len(data.episodes):
        assert (data.episodes["onset_date"].to_numpy() <= end[data.episodes["runner_id"]]).all()


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 300), seed=st.integers(0, 2**32 - 1))
def test_survey_invariants_hold_for_any_size(n, seed):
    s = simulate_survey(n, seed=seed).survey
    assert len(s) == n and s["runner_id"].is_unique
    assert (~s["lbp_point"] | s["lbp_12m"]).all() and (~s["lbp_12m"] | s["lbp_lifetime"]).all()
    assert s["age"].between(18, 80).all() and s["bmi"].between(16, 40).all()
    assert (s["years_running"] <= s["age"] - 10).all()


@settings(max_examples=20, deadline=None)
@given(
    n_strata=st.integers(1, 5),
    clusters=st.integers(1, 6),
    extra=st.integers(0, 400),
    oversampling=st.floats(0.5, 4.0),
    allocation=st.sampled_from(["equal", "proportional"]),
    seed=st.integers(0, 2**32 - 1),
)
def test_survey_designs_of_any_shape_are_valid(
    n_strata, clusters, extra, oversampling, allocation, seed
):
    design = SimulationDesign(
        n_strata=n_strata,
        clusters_per_stratum=clusters,
        population_clusters=3 * clusters,
        case_oversampling=oversampling,
        allocation="equal" if n_strata == 1 else allocation,
    )
    n = 2 * n_strata * clusters * (3 if allocation == "proportional" else 1) + extra
    try:
        data = simulate_survey(n, design=design, seed=seed)
    except ArgumentError as error:  # proportional allocation can starve a small stratum
        assert "design must fit" in str(error)
        return
    s = data.survey
    assert len(s) == n and s["runner_id"].is_unique
    assert s["stratum"].nunique() == n_strata
    assert s.groupby("stratum")["cluster"].nunique().eq(clusters).all()
    assert s.groupby("cluster")["stratum"].nunique().max() == 1
    assert (s["weight"] > 0).all() and s["weight"].notna().all()
    assert (~s["lbp_point"] | s["lbp_12m"]).all() and (~s["lbp_12m"] | s["lbp_lifetime"]).all()
    assert data.truth["population_size"] == 100 * n


# ----------------------------------------------------------------------------- SimulatedData
def test_simulated_data_is_frozen_and_json_safe(cohort, design_survey):
    with pytest.raises(dataclasses.FrozenInstanceError):
        cohort.truth = {}  # type: ignore[misc]
    for data in (cohort, design_survey):
        summary = json.loads(json.dumps(data.to_dict()))
        assert summary["truth"]["kind"] in ("survey", "cohort")
        for name, frame in data.frames.items():
            assert summary["tables"][name]["rows"] == len(frame)
    assert "SimulatedData(cohort" in repr(cohort)
    hr = cohort.truth["hazard"]["hazard_ratios"]["spike_gt_30pct"]
    assert hr == pytest.approx(math.exp(COHORT_EFFECTS["spike_gt_30pct"]))


def test_save_writes_csvs_and_truth(tmp_path):
    data = simulate_cohort(20, 6, seed=8)
    written = data.save(tmp_path / "out")
    assert sorted(written) == ["activities", "cohort", "episodes", "runners", "truth"]
    back = pd.read_csv(written["activities"])
    assert len(back) == len(data.activities)
    assert back["distance_km"].sum() == pytest.approx(data.activities["distance_km"].sum())
    assert json.loads(written["truth"].read_text())["seed"] == 8
    cohort = pd.read_csv(written["cohort"])
    assert set(cohort["prior_lbp"].unique()) <= {0, 1}
    assert b"\r\n" not in written["cohort"].read_bytes()
