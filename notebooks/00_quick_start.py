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
# # lbprun quick start: from runner data to prevalence, incidence, training load and risk factors
#
# Every number here comes from lbprun's bundled **synthetic** example data (drawn by
# `lbprun.simulate` from documented, seeded parameters; see `data/README.md`), so the truth is
# known and each estimate can be checked against it. Two published figures are reproduced from
# their counts at the end.

# %%
import json
from importlib import resources

import matplotlib.pyplot as plt

import lbprun
from lbprun.datasets import (
    load_example_activities,
    load_example_cohort,
    load_example_survey,
)

survey = load_example_survey()
cohort = load_example_cohort()
activities = load_example_activities()
truth = json.loads(resources.files("lbprun").joinpath("data/example_truth.json").read_text())
print(len(survey), "runners surveyed;", len(cohort), "followed;", len(activities), "runs logged")

# %% [markdown]
# ## 1. Validate
# The same checks `lbprun validate FILE --kind survey` prints: nothing is dropped silently.

# %%
report = lbprun.validate(survey, "survey")
print(report.summary())
assert report.ok

# %% [markdown]
# ## 2. Twelve-month prevalence, crude and survey-weighted
# The example survey is a stratified two-stage cluster sample that over-samples runners with LBP
# (informative weights), so the crude estimate is biased upwards and the design-based one is not.

# %%
crude = lbprun.prevalence(survey, "lbp_12m", by="sex")
design = lbprun.SurveyDesign(cluster="cluster", strata="stratum", weights="weight", nest=True)
weighted = lbprun.prevalence(survey, "lbp_12m", by="sex", design=design)
print(crude.summary())
print(weighted.summary())

true_prevalence = truth["survey"]["prevalence"]["lbp_12m"]
overall = weighted.to_frame().iloc[0]
assert overall["ci_low"] <= true_prevalence <= overall["ci_high"]
assert crude.to_frame().iloc[0]["estimate"] > overall["estimate"]  # over-sampled cases

fig, ax = plt.subplots(figsize=(5, 3))
weighted.plot(ax=ax)

# %% [markdown]
# ## 3. Incidence: risk, rate per 1000 hours of running, Kaplan–Meier

# %%
risk = lbprun.cumulative_incidence(cohort)
rate = lbprun.incidence_rate(cohort, activities, exposure="hours")
km = lbprun.kaplan_meier(cohort, times=[90, 180, 364])
print(risk.summary())
print(rate.summary())
print(km.summary())
assert int(risk.to_frame().iloc[0]["events"]) == truth["cohort"]["counts"]["runners_with_onset"]
km.plot()

# %% [markdown]
# ## 4. Training load: weekly distance, spikes and ACWR

# %%
weekly = lbprun.weekly_load(activities)
ratio = lbprun.acwr(activities, method="ewma")
print(weekly.head())
assert abs(weekly["distance_km"].sum() - activities["distance_km"].sum()) < 1e-6
first_runner = activities["runner_id"].iloc[0]
lbprun.plot_runner_load(activities, first_runner)

# %% [markdown]
# ## 5. Risk factors: odds ratios with confidence intervals
# The simulator drew `lbp_12m` from a logistic model with known odds ratios; a survey-weighted
# fit recovers them.

# %%
data = survey.assign(
    km10=survey["weekly_km"] / 10,
    spike30=survey["max_weekly_increase_pct"] > 30,
    prior=survey["prior_lbp"].astype(float),
)
fit = lbprun.fit_risk_factors(
    data,
    "lbp_12m",
    ["km10", "spike30", "prior"],
    design=design,
    definitions={
        "km10": "weekly_km / 10",
        "spike30": "max_weekly_increase_pct > 30",
        "prior": "prior_lbp as 0/1",
    },
)
print(fit.summary())
table = fit.to_frame(scale="odds_ratio").set_index("term")
print(table[["estimate", "ci_low", "ci_high", "p_value"]])
true_or = truth["survey"]["odds_ratios"]["prior_lbp"]
assert table.loc["prior", "ci_low"] < true_or < table.loc["prior", "ci_high"]

# %% [markdown]
# ## 6. Two published figures from their counts
# * Maselli et al. 2021 (Phys Ther Sport 48:136–145): 22.6 % ("22,57 %") 12-month prevalence among
#   2,539 Italian runners; 573 is the only count that gives 22.57 %.
# * Wu et al. 2021 (Pain Res Manag 2021:6660304, Table 2): 36 of 800 marathon and half-marathon
#   runners with LBP (4.5 %).

# %%
published = lbprun.proportion_ci([573, 36], [2539, 800], method="wilson")
print(published)
assert round(100 * published.loc[0, "estimate"], 2) == 22.57
assert round(100 * published.loc[1, "estimate"], 1) == 4.5
