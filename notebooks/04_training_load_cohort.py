# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Training load and LBP in a cohort of runners: weekly distance, spikes, ACWR, incidence
#
# This notebook follows 300 runners for up to 52 weeks with their day-by-day training log and
# their episodes of low back pain (LBP), and reproduces, step by step, the quantities that
# running-injury studies report:
#
# 1. weekly distance and week-to-week **progression** ("spikes"), in the classes of Nielsen et
#    al. (2014);
# 2. the **acute:chronic workload ratio** (ACWR), rolling and exponentially weighted;
# 3. the **incidence rate** of LBP per 1000 hours and per 1000 km of running, with exact
#    Poisson intervals, and the **Kaplan–Meier** cumulative incidence of a first episode;
# 4. the association **spike → LBP** in a weekly rate model.
#
# **The data are synthetic**, so the truth is known. The cohort, its training log and its
# episodes were drawn by `lbprun.simulate.simulate_cohort(300, 52, start_date="2025-01-06",
# seed=20261125)` (`data/README.md`, sections *example_activities*, *example_cohort*,
# *example_episodes*, *example_truth*; CC0). The simulator's weekly hazard of an LBP onset is a
# complementary log-log model whose coefficients and term definitions are stored with the data
# (`lbprun.datasets.load_example_truth()["cohort"]["hazard"]`). Every estimate below is checked
# against that truth, or against an identity that must hold exactly, with the tolerance written
# next to the check. No real runner is in these data: the numbers illustrate the methods and say
# nothing about real runners.
#
# Sources of the definitions:
#
# * Nielsen RO, Parner ET, Nohr EA, Sørensen H, Lind M, Rasmussen S. Excessive progression in
#   weekly running distance and risk of running-related injuries: an association which varies
#   according to type of injury. *J Orthop Sports Phys Ther* 2014;44(10):739–747.
#   doi:10.2519/jospt.2014.5164 — the progression classes ≤ 10 %, 10–30 %, > 30 % and, for > 30 %
#   versus ≤ 10 %, HR 1.59 (95 % CI 0.96–2.66) for distance-related injuries (as quoted in
#   lbprun's `load_spikes` documentation).
# * Williams S, West S, Cross MJ, Stokes KA. Better way to determine the acute:chronic workload
#   ratio? *Br J Sports Med* 2017;51(3):209–210. doi:10.1136/bjsports-2016-096589 — the EWMA
#   ACWR with λ = 2 / (N + 1).
# * Garwood F. Fiducial limits for the Poisson distribution. *Biometrika* 1936;28:437–442
#   (exact rate interval); Kaplan EL, Meier P. Nonparametric estimation from incomplete
#   observations. *J Am Stat Assoc* 1958;53:457–481 (with Greenwood's variance).

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import lbprun
from lbprun import datasets

cohort = datasets.load_example_cohort()
runs = datasets.load_example_activities()
episodes = datasets.load_example_episodes()
truth = datasets.load_example_truth()["cohort"]
counts = truth["counts"]

print(f"{len(cohort)} runners, {len(runs):,} runs, {len(episodes)} LBP episodes")
print("simulation seed:", truth["seed"], "| follow-up from", truth["start_date"])

# The tables are exactly those the simulation wrote (counts stored with the truth).
assert len(cohort) == truth["n_runners"] == 300
assert len(runs) == counts["runs"] == 59_592
assert len(episodes) == counts["episodes"] == 60
assert int(episodes["recovery_date"].isna().sum()) == counts["unresolved_episodes"] == 4
assert int(cohort["lbp_onset_date"].notna().sum()) == counts["runners_with_onset"] == 49

# %% [markdown]
# ## 1. Weekly distance
#
# `lbprun.weekly_load` sums each runner's runs per calendar week (Monday to Sunday here; the
# follow-up starts on Monday 6 January 2025). Weeks without a run between a runner's first and
# last run are rows of 0 km. The weekly table holds the same kilometres as the log, to rounding.

# %%
weekly = lbprun.weekly_load(runs)
print(weekly.head())
print(weekly["distance_km"].describe().round(1))

assert abs(weekly["distance_km"].sum() - runs["distance_km"].sum()) < 1e-6  # same km
assert int(weekly["n_runs"].sum()) == len(runs)  # every run in exactly one week

# %% [markdown]
# The weekly table spans each runner's first to last **run**; follow-up may go on after the
# last run (an LBP episode or a break at the end). To count weeks of **follow-up** we lay out
# every week from `start_date` to `end_date` (a plain pandas step, shown here because lbprun's
# weekly table does not take the follow-up dates). The simulation stored both the number of
# follow-up weeks and the share of them without any running: both are reproduced exactly.

# %%
n_weeks = ((cohort["end_date"] - cohort["start_date"]).dt.days + 1) // 7
follow_up = pd.DataFrame(
    {
        "runner_id": cohort["runner_id"].repeat(n_weeks).to_numpy(),
        "week_start": np.concatenate(
            [
                start + pd.to_timedelta(7 * np.arange(k), unit="D")
                for start, k in zip(cohort["start_date"], n_weeks, strict=True)
            ]
        ),
    }
).merge(weekly[["runner_id", "week_start", "distance_km"]], how="left")
follow_up["distance_km"] = follow_up["distance_km"].fillna(0.0)
zero_share = float((follow_up["distance_km"] == 0).mean())
print(f"{len(follow_up):,} follow-up weeks, {zero_share:.2%} of them without running")

assert len(follow_up) == counts["weeks_observed"] == 14_930
assert abs(zero_share - counts["zero_distance_week_share"]) < 1e-12  # exact: 578 / 14,930

fig, ax = plt.subplots(figsize=(6, 3))
ax.hist(follow_up["distance_km"], bins=60, color="tab:blue")
ax.set_xlabel("distance in the week (km)")
ax.set_ylabel("runner-weeks")
ax.set_title("Weekly distance over follow-up")

# %% [markdown]
# ## 2. Week-to-week progression ("spikes")
#
# `lbprun.load_spikes` adds the change of each week against the previous one,
# `100 × (km_w − km_{w−1}) / km_{w−1}` (undefined after a 0-km week), and classes it as Nielsen
# et al. (2014) did: **≤ 10 %** (regressions included), **10–30 %**, **> 30 %**. A "spike" of
# > 30 % is common: about one week in five. That is not unusual training behaviour, which is
# why a spike's *relative* effect on risk (section 5) matters more than how often it occurs.

# %%
spikes = lbprun.load_spikes(runs)
classes = spikes["progression_class"].value_counts(dropna=False)
print(classes)
print(f"{(spikes['progression_class'] == '>30%').mean():.1%} of runner-weeks are > 30 % spikes")

defined = spikes["progression_pct"].notna()
assert int(classes.sum()) == len(spikes) == len(weekly)  # every week classed or undefined
assert int(classes.loc[[">30%", "10-30%", "<=10%"]].sum()) == int(defined.sum())
np.testing.assert_array_equal(  # previous-week baseline = the weekly change_pct
    spikes["progression_pct"].to_numpy(), weekly["change_pct"].to_numpy()
)

# %% [markdown]
# ## 3. Acute:chronic workload ratio
#
# Definitions used (lbprun's `acwr`, on the **daily** distance with rest days as 0 km):
#
# * **rolling, uncoupled** (lbprun's default): acute = mean of the last 7 days, chronic = mean
#   of the 21 days before them;
# * **rolling, coupled**: chronic = mean of the last 28 days, the acute week included;
# * **EWMA** (Williams et al. 2017): exponentially weighted means with λ = 2/(7 + 1) = 0.25
#   (acute) and 2/(28 + 1) ≈ 0.069 (chronic).
#
# The ratio is undefined during a runner's first 27 days and when the chronic load is 0. The
# simulator's "ACWR > 1.5" is the coupled rolling ratio read at the end of a week: that week's
# distance over the mean of the last 4 weekly distances. lbprun's daily coupled ratio on each
# Sunday must equal that weekly ratio, which we check below on the runner-week table of
# section 5 (`lbprun.runner_week_panel`). The "sweet spot" 0.8–1.3 drawn by `plot_runner_load`
# is a contested convention from team sports, not a safe zone.

# %%
ratios = {
    "rolling, uncoupled": lbprun.acwr(runs),
    "rolling, coupled": lbprun.acwr(runs, coupled=True),
    "EWMA": lbprun.acwr(runs, method="ewma"),
}
acwr_summary = pd.DataFrame(
    {
        name: {
            "runner-days with a ratio": int(r["acwr"].notna().sum()),
            "median": r["acwr"].median(),
            "share > 1.5": (r["acwr"] > 1.5).sum() / r["acwr"].notna().sum(),
        }
        for name, r in ratios.items()
    }
).T
print(acwr_summary.round(3))

runner = runs["runner_id"].iloc[0]
ax = lbprun.plot_runner_load(runs, runner)

# %% [markdown]
# ## 4. Incidence: rates per 1000 h and per 1000 km, and Kaplan–Meier
#
# A runner is **at risk** before the first LBP onset. The incidence rate divides the number of
# first onsets by the running done while at risk: hours (`duration_min / 60`), kilometres, or
# days of follow-up. The 95 % intervals are Garwood's exact Poisson intervals (as R's
# `poisson.test`). A rate per 1000 h is **not** a probability: it says how many first episodes
# occur per 1000 hours of running in this cohort, under the assumption that the rate is
# constant over follow-up.

# %%
rates = pd.concat(
    [
        lbprun.incidence_rate(cohort, runs, exposure=unit).to_frame()
        for unit in ("hours", "km", "days")
    ]
)
print(rates[["exposure", "events", "person_time", "estimate", "ci_low", "ci_high", "per"]])

by_unit = rates.set_index("exposure")
assert (by_unit["events"] == counts["runners_with_onset"]).all()  # 49 first onsets

# %% [markdown]
# The person-time is an exact sum, which we recompute with pandas from the definitions in
# `docs/incidence.md`: runs dated from `start_date` to the day before onset (or to `end_date`
# without onset) count; days at risk are `onset − start` or `end − start + 1`. The days at risk
# are also the Kaplan–Meier follow-up times.

# %%
merged = runs.merge(cohort[["runner_id", "start_date", "end_date", "lbp_onset_date"]])
last_day = merged["lbp_onset_date"].fillna(merged["end_date"] + pd.Timedelta(days=1))
at_risk = (merged["date"] >= merged["start_date"]) & (merged["date"] < last_day)
days_at_risk = (
    cohort["lbp_onset_date"].fillna(cohort["end_date"] + pd.Timedelta(days=1))
    - cohort["start_date"]
).dt.days
print(
    f"hours {merged.loc[at_risk, 'duration_min'].sum() / 60:,.2f}, "
    f"km {merged.loc[at_risk, 'distance_km'].sum():,.2f}, days {days_at_risk.sum():,}"
)

np.testing.assert_allclose(
    by_unit.loc["hours", "person_time"],
    merged.loc[at_risk, "duration_min"].sum() / 60,
    rtol=1e-12,
)  # exact sum, floating-point order aside
np.testing.assert_allclose(
    by_unit.loc["km", "person_time"], merged.loc[at_risk, "distance_km"].sum(), rtol=1e-12
)
assert by_unit.loc["days", "person_time"] == days_at_risk.sum()  # integer days, exact
for unit in ("hours", "km", "days"):  # rate = events / exposure x 1000
    row = by_unit.loc[unit]
    assert abs(row["estimate"] - 1000 * row["events"] / row["person_time"]) < 1e-12
    assert row["ci_low"] < row["estimate"] < row["ci_high"]

# %% [markdown]
# **Going further: recurrent episodes and groups.** Counting every episode (a runner is back
# at risk from the first pain-free day) adds the 11 recurrences; comparing women and men gives
# an exact conditional rate ratio. The simulation gave sex no effect on the hazard, so the
# interval of the ratio should contain 1.

# %%
recurrent = lbprun.incidence_rate(cohort, runs, exposure="hours", episodes=episodes)
by_sex = lbprun.incidence_rate(cohort, runs, exposure="hours", by="sex")
print(recurrent.summary())
print(by_sex.summary())

assert int(recurrent.to_frame().iloc[0]["events"]) == counts["episodes"] == 60
ratio_row = by_sex.rate_ratios.iloc[-1]
assert ratio_row["ci_low"] < 1 < ratio_row["ci_high"]  # truth: no effect of sex

# %% [markdown]
# Kaplan–Meier cumulative incidence of a first episode by day *t* allows for runners who
# dropped out early; the crude proportion 49/300 = 16.3 % does not. With censoring, the
# Kaplan–Meier estimate at one year is the higher of the two.

# %%
km = lbprun.kaplan_meier(cohort, times=[91, 182, 364])
print(km.summary(as_percent=True))
km.plot()

one_year = km.to_frame().set_index("time_days").loc[364]
assert int(km.curve["n_event"].sum()) == counts["runners_with_onset"]
assert int(km.curve["n_event"].sum() + km.curve["n_censor"].sum()) == len(cohort)
assert one_year["estimate"] > 49 / 300  # censoring: KM above the crude proportion
assert one_year["ci_low"] < one_year["estimate"] < one_year["ci_high"]

# %% [markdown]
# ## 5. Spike → LBP: a weekly rate model
#
# `lbprun.runner_week_panel` turns the cohort, the log and the episodes into one row per runner
# and follow-up week **at risk** (weeks that start inside an episode are left out), with the
# previous weeks' distances: `prev_distance_km` (week t−1), `prev_change_pct` (week t−1 against
# t−2), `prev_4wk_mean_km` (mean of weeks t−4..t−1) and `new_episode` (an onset in week t).
# The exposures are computed from **completed** weeks before week t, so nothing after an onset
# can leak into its predictor.
#
# We build the simulator's terms exactly as the truth file defines them, and check the
# daily ACWR of section 3 against the weekly one on every Sunday where both exist.

# %%
panel = lbprun.runner_week_panel(cohort, runs, episodes=episodes)
terms = truth["hazard"]["terms"]
for name in ("spike_gt_30pct", "acwr_gt_1_5", "per_10km_week", "recurrence"):
    print(f"{name}: {terms[name]}")

sundays = panel.assign(date=panel["week_start"] - pd.Timedelta(days=1)).merge(
    ratios["rolling, coupled"][["runner_id", "date", "acwr"]], how="left"
)
weekly_ratio = sundays["prev_distance_km"] / sundays["prev_4wk_mean_km"]
both = sundays["acwr"].notna() & weekly_ratio.notna()
print(f"ACWR compared on {int(both.sum()):,} runner-weeks")
np.testing.assert_allclose(sundays.loc[both, "acwr"], weekly_ratio[both], rtol=1e-12, atol=0)

# %% [markdown]
# The log starts with follow-up (the simulator's four run-in weeks were not logged), so weeks
# 0–3 lack the 4-week history the terms need. They are excluded, and counted: nothing is lost
# silently.

# %%
analysis = panel[panel["week_index"] >= 4].assign(
    spike_gt_30pct=lambda d: d["prev_change_pct"] > 30,  # undefined after a 0-km week: no
    acwr_gt_1_5=lambda d: (
        (d["prev_4wk_mean_km"] > 0) & (d["prev_distance_km"] > 1.5 * d["prev_4wk_mean_km"])
    ),
    per_10km_week=lambda d: d["prev_4wk_mean_km"] / 10,
    prior_lbp=lambda d: d["prior_lbp"].astype(bool),
    strength_training=lambda d: d["strength_training"].astype(bool),
    bmi_gt_24=lambda d: d["bmi"] > 24,
    years_running_gt_6=lambda d: d["years_running"] > 6,
    recurrence=lambda d: d["previous_episodes"] > 0,
    weeks_at_risk=lambda d: d["days_followed"] / 7,
)
excluded = panel[panel["week_index"] < 4]
print(
    f"runner-weeks at risk: {len(panel):,} = {len(analysis):,} analysed + "
    f"{len(excluded):,} excluded (weeks 0-3); onsets: {int(panel['new_episode'].sum())} = "
    f"{int(analysis['new_episode'].sum())} + {int(excluded['new_episode'].sum())}"
)
print(f"weeks after a > 30 % spike: {analysis['spike_gt_30pct'].mean():.1%}")

assert len(panel) == len(analysis) + len(excluded)
assert int(panel["new_episode"].sum()) == counts["episodes"]  # every episode in the panel
covariates = [t for t in truth["hazard"]["coefficients"] if t != "intercept"]  # 8 terms
assert sorted(covariates) == sorted(terms)
assert not analysis[covariates].isna().any().any()  # complete after the exclusion

# %% [markdown]
# **Observed against expected.** Under the true hazard, the expected number of onsets in the
# analysed weeks is the sum of the weekly probabilities `1 − exp(−exp(η))`. The observed count
# is a Poisson draw around it: we check it lies within 2.6 standard deviations (a 99 % band).

# %%
coef = truth["hazard"]["coefficients"]
eta = coef["intercept"] + sum(coef[t] * analysis[t].astype(float) for t in covariates)
expected = float((-np.expm1(-np.exp(eta))).sum())
observed = int(analysis["new_episode"].sum())
print(f"observed {observed} onsets, expected {expected:.1f} under the true hazard")
assert abs(observed - expected) < 2.6 * np.sqrt(expected)

# %% [markdown]
# **The model.** With a weekly hazard this small (about 0.2 % a week at baseline), a Poisson
# model of the weekly onset with a log(weeks at risk) offset estimates the same log hazard
# ratios as the simulator's complementary log-log model (a piecewise-exponential, Cox-type
# model with one-week intervals). Standard errors are cluster-robust by runner, since one runner
# contributes many weeks. The rate ratios are **hazard ratios per week at risk**.

# %%
fit = lbprun.fit_rate_model(
    analysis, "new_episode", "weeks_at_risk", covariates, cluster="runner_id"
)
table = fit.to_frame(scale="log_rate").set_index("term")
comparison = pd.DataFrame(
    {
        "true HR": [np.exp(coef[t]) for t in covariates],
        "estimate": np.exp(table.loc[covariates, "estimate"]),
        "ci_low": np.exp(table.loc[covariates, "ci_low"]),
        "ci_high": np.exp(table.loc[covariates, "ci_high"]),
    },
    index=covariates,
)
print(comparison.round(2))
fit.plot()

# Every true hazard ratio, and the baseline log hazard, lies inside its 95 % interval.
for t in ["(Intercept)", *covariates]:
    true_value = coef["intercept" if t == "(Intercept)" else t]
    assert table.loc[t, "ci_low"] <= true_value <= table.loc[t, "ci_high"], t
spike = comparison.loc["spike_gt_30pct"]
assert spike["ci_low"] > 1  # the spike effect is detected in these data

# %% [markdown]
# **What this does and does not show.** The > 30 % spike has an estimated hazard ratio of
# about 2.0 (95 % CI 1.2–3.3) against the true 1.6; the interval contains the truth. Nielsen
# et al. (2014) reported HR 1.59 (0.96–2.66) for > 30 % progression and distance-related
# injuries in 874 novice runners; the simulation's value was set close to it, so the agreement
# is by construction and is **not** a replication of Nielsen's study (whose data lbprun does
# not have). With 56 onsets in 13,601 analysed weeks the intervals are wide: ACWR > 1.5,
# which is rarer (about 5 % of weeks), is not distinguishable from no effect here.
#
# **Going further: Nielsen's three classes.** Using the ordered classes of the previous week's
# progression, against ≤ 10 %, with the other terms kept, shows whether the risk rises in
# steps. The 10–30 % class had no effect in the simulation (the true hazard changes only
# above 30 %), so its interval should contain 1.

# %%
three = analysis[analysis["prev_spike_class"].notna()]  # ordered: <=10%, 10-30%, >30%
others = [t for t in covariates if t != "spike_gt_30pct"]
classes_fit = lbprun.fit_rate_model(
    three, "new_episode", "weeks_at_risk", ["prev_spike_class", *others], cluster="runner_id"
)
class_rows = classes_fit.to_frame().set_index("term").filter(like="spike_class", axis=0)
unclassed = analysis[analysis["prev_spike_class"].isna()]
print(
    f"{len(unclassed)} weeks follow a 0-km week and have no class "
    f"({int(unclassed['new_episode'].sum())} onset); they are left out of this model"
)
print(class_rows[["estimate", "ci_low", "ci_high", "p_value"]].round(3))

assert len(three) + len(unclassed) == len(analysis)
assert list(class_rows.index) == ["prev_spike_class[10-30%]", "prev_spike_class[>30%]"]
middle = class_rows.loc["prev_spike_class[10-30%]"]
assert middle["ci_low"] < 1 < middle["ci_high"]  # truth: no step between 10 % and 30 %
top = class_rows.loc["prev_spike_class[>30%]"]
assert top["ci_low"] <= np.exp(coef["spike_gt_30pct"]) <= top["ci_high"]  # true HR 1.6

# %% [markdown]
# With three classes the > 30 % class has HR about 1.8 (95 % CI 0.99–3.2) against ≤ 10 %:
# the same direction as the two-class model, with a wider interval because the reference group
# is smaller and the weeks after a 0-km week (510 weeks, 1 onset) have no class. A 10–30 %
# progression carries no detectable extra risk, as in the simulation. In a real cohort, these
# associations would also need the usual cautions: training is chosen by the runner (pain
# before a diagnosed onset may lower the distance), and one spike definition among many was
# tested.
#
# **Summary of what was checked.** Counts of runs, episodes, onsets and follow-up weeks equal
# those stored by the simulation; weekly sums equal the log; person-time in hours, km and days
# equals an independent pandas computation; lbprun's daily coupled ACWR equals the simulator's
# weekly ratio to 1e-12; the observed number of onsets is within a 99 % Poisson band of the
# number expected under the true hazard; every true hazard ratio lies inside its 95 % interval.
