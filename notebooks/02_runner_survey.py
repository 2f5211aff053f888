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
# # A runner survey end to end, and the Italian survey's 22.6 %
#
# **What this notebook does.** Part A runs a complete survey analysis on lbprun's bundled
# example survey: the validation record, a Table 1 by LBP status, the 12-month prevalence of LBP
# (overall, by sex, by weekly-distance band; crude and survey-weighted, with intervals) and the
# risk factors as odds ratios from a survey-weighted logistic regression. The example survey is
# **synthetic**, drawn by `lbprun.simulate` from documented parameters, so every estimate can be
# checked against the truth it was drawn from. Part B reproduces a published figure from its
# counts: the 12-month prevalence of LBP among Italian runners.
#
# **Sources.**
#
# * Example survey: `lbprun/data/example_survey.csv` and its truth
#   `lbprun/data/example_truth.json`, documented in `data/README.md` ("The example data
#   (synthetic)": `simulate_survey(2500, design=SimulationDesign(), seed=20261124)`, CC0).
#   Design: 4 strata of unequal size, 15 clubs sampled per stratum, 625 runners per stratum,
#   runners with LBP in the past 12 months sampled at twice the rate of the others within a
#   club; `weight` is the inverse inclusion probability. True population 12-month prevalence:
#   27.1272 %.
# * Maselli F, Esculier JF, Storari L, et al. Low back pain among Italian runners: a
#   cross-sectional survey. *Phys Ther Sport* 2021;48:136–145. doi:10.1016/j.ptsp.2020.12.023
#   (PMID 33434869). Read from the **abstract**: 2,539 valid questionnaires, "22.6 %" with LBP
#   in the past year (results) and "22,57 %" (conclusion). The count of cases is not printed;
#   it is derived below. Bundled as `lbprun/data/published/italian_survey.csv`
#   (`lbprun.datasets.load_published("italian_survey")`; provenance in `data/README.md`,
#   "Published figures").

# %%
import warnings
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import lbprun

survey = lbprun.datasets.load_example_survey()
truth = lbprun.datasets.load_example_truth()["survey"]
design = lbprun.SurveyDesign(cluster="cluster", strata="stratum", weights="weight", nest=True)
true_prevalence = truth["prevalence"]["lbp_12m"]
print(f"{len(survey):,} runners; true population 12-month prevalence {true_prevalence:.4%}")
survey.head()

# %% [markdown]
# # Part A — the example survey
#
# ## A1. Validation record
#
# Before any estimate, the data are checked against lbprun's column dictionary (types, ranges,
# labels, design columns). The record says how many rows came in, how many were kept, rejected
# (and why) or excluded: nothing is dropped silently.

# %%
report = lbprun.validate(survey, "survey")
print(report.summary())
assert report.ok
assert report.rows_in == report.rows_kept + report.rows_rejected + report.rows_excluded == 2500

# %% [markdown]
# The same check on a damaged copy (one impossible age, one impossible weekly distance), read
# back from a CSV file the way a real survey arrives. With `on_error="drop"` the reader keeps the
# good rows, returns the rejected ones with their file line, column, value and reason, and every
# estimate computed from the kept rows repeats that reading record in its notes.

# %%
damaged = survey.copy()
damaged.loc[3, "age"] = -4.0
damaged.loc[10, "weekly_km"] = 900.0
damaged.to_csv("example_survey_damaged.csv", index=False)  # written in the working directory
read = lbprun.read_survey("example_survey_damaged.csv", on_error="drop")
print(read.summary())
print(read.rejected[["row", "runner_id", "reasons"]].to_string(index=False))
assert (read.rows_in, read.rows_kept, read.rows_rejected, read.rows_excluded) == (2500, 2498, 2, 0)
assert list(read.rejected["row"]) == [5, 12]  # file lines: the header is line 1
check = lbprun.prevalence(read.data, "lbp_12m")
print(check.notes[-1])
assert "2 rejected on reading" in check.notes[-1]

# %% [markdown]
# ## A2. Table 1: runners with and without LBP in the past 12 months
#
# `lbprun.table_one` describes the sample: counts and percentages of each category, and
# medians with interquartile ranges of the skewed measures (means and SDs of the others). It is
# unweighted here, describing the *sample*, in which runners with LBP were over-sampled; pass
# `design=design` for the population picture. Counts from 1 to 10, and any cell from which one
# could be worked out, are suppressed (`threshold=11`, the default).

# %%
characteristics = [
    "sex",
    "age",
    "bmi",
    "years_running",
    "weekly_km",
    "max_weekly_increase_pct",
    "shoe_km",
    "surface",
    "strength_training",
    "prior_lbp",
    "competitive",
]
skewed = ["years_running", "weekly_km", "max_weekly_increase_pct", "shoe_km"]
table1 = lbprun.table_one(survey, "lbp_12m", columns=characteristics, nonnormal=skewed)
tidy = table1.to_frame()
with_lbp = survey[survey["lbp_12m"]]
# checks against a direct pandas count, exact
assert table1.display.loc[("n", ""), "lbp_12m = yes"] == "1084"
assert table1.display.loc[("n", ""), "lbp_12m = no"] == "1416"
women = tidy.query("variable == 'sex' and level == 'F' and group == 'lbp_12m = yes'").iloc[0]
assert women["count"] == (with_lbp["sex"] == "F").sum()
weekly = tidy.query("variable == 'weekly_km' and group == 'lbp_12m = yes'").iloc[0]
assert weekly["median"] == with_lbp["weekly_km"].median()
table1.display

# %% [markdown]
# ## A3. Prevalence: crude and survey-weighted
#
# The **crude** prevalence treats the 2,500 runners as a simple random sample (Wilson
# intervals). The **survey-weighted** one uses the design — strata, clubs as clusters, sampling
# weights — with a Taylor-linearised standard error and a logit interval on the design degrees
# of freedom (as R's `svyciprop`). Weekly distance is cut into bands of < 20, 20–39, 40–59 and
# ≥ 60 km/week. Groups are domains of the whole design.

# %%
data = survey.assign(
    km_band=pd.cut(
        survey["weekly_km"],
        [0, 20, 40, 60, np.inf],
        right=False,
        labels=["<20 km/wk", "20-39 km/wk", "40-59 km/wk", "60+ km/wk"],
    )
)
crude = lbprun.prevalence(data, "lbp_12m", by=["sex"], method="wilson")
crude_km = lbprun.prevalence(data, "lbp_12m", by="km_band", method="wilson")
weighted = lbprun.prevalence(data, "lbp_12m", by="sex", design=design)
weighted_km = lbprun.prevalence(data, "lbp_12m", by="km_band", design=design)
print(weighted.summary(as_percent=True))
print(weighted_km.summary(as_percent=True))

columns = ["by", "group", "n", "cases", "estimate", "ci_low", "ci_high"]
both = pd.concat(
    [
        pd.concat([crude.to_frame(), crude_km.to_frame().iloc[1:]])[columns].assign(kind="crude"),
        pd.concat([weighted.to_frame(), weighted_km.to_frame().iloc[1:]])[columns].assign(
            kind="survey-weighted"
        ),
    ],
    ignore_index=True,
)
both.round(4)

# %% [markdown]
# **Checks against the truth.** The survey-weighted overall estimate should be close to the
# true population prevalence (27.13 %) and its 95 % interval should cover it; so should each
# stratum's interval cover the stratum's true prevalence (each interval covers the truth with
# probability about 0.95; with this fixed seed all five do). The crude estimate is biased: when
# cases are sampled at twice the rate of non-cases, the sample share of cases is about
# 2p / (1 + p) = 42.7 % for p = 27.13 %, and the crude estimate (43.4 %) is within sampling
# error of that (tolerance 3 percentage points, about three standard errors). The sum of the
# weights estimates the population size (250,000; the estimate is within 5 %).

# %%
overall = weighted.to_frame().iloc[0]
assert overall["ci_low"] <= true_prevalence <= overall["ci_high"]
assert abs(overall["estimate"] - true_prevalence) < 0.02  # within 2 percentage points
by_stratum = lbprun.prevalence(data, "lbp_12m", by="stratum", design=design).to_frame()
by_stratum = by_stratum[by_stratum["by"] == "stratum"].set_index("group")
by_stratum["truth"] = [truth["prevalence_by_stratum"][s]["lbp_12m"] for s in by_stratum.index]
print(by_stratum[["n", "estimate", "ci_low", "ci_high", "truth"]].round(4))
assert (
    (by_stratum["ci_low"] <= by_stratum["truth"]) & (by_stratum["truth"] <= by_stratum["ci_high"])
).all()

crude_overall = crude.to_frame().iloc[0]["estimate"]
expected_crude = 2 * true_prevalence / (1 + true_prevalence)  # cases over-sampled 2:1
print(f"crude {crude_overall:.4f}; expected under 2:1 over-sampling {expected_crude:.4f}")
assert abs(crude_overall - expected_crude) < 0.03
assert crude_overall > overall["ci_high"]  # the crude estimate is far above the weighted one
assert abs(overall["n_weighted"] / truth["population_size"] - 1) < 0.05

# %% [markdown]
# The model that drew the outcome contains no sex term, so the sexes should differ only by
# chance: their weighted intervals overlap. Weekly distance is in the model (odds ratio 1.08
# per 10 km/week), so runners in the highest band have a higher prevalence than those in the
# lowest; the bands in between differ by less than the sampling error.

# %%
sex = weighted.to_frame().set_index("group")
assert (
    sex.loc["F", "ci_high"] > sex.loc["M", "ci_low"]
    and sex.loc["M", "ci_high"] > sex.loc["F", "ci_low"]
)
km = weighted_km.to_frame().set_index("group")
assert km.loc["60+ km/wk", "estimate"] > km.loc["<20 km/wk", "estimate"]
assert km["n"].iloc[1:].sum() == 2500  # every runner is in one band

fig, ax = plt.subplots(figsize=(7, 3.5))
labels = list(both.loc[both["kind"] == "crude", "group"])
for shift, (kind, part) in zip((-0.15, 0.15), both.groupby("kind", sort=False), strict=True):
    y = np.arange(len(part)) + shift
    ax.errorbar(
        100 * part["estimate"],
        y,
        xerr=100
        * np.vstack([part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]]),
        fmt="o",
        capsize=3,
        label=kind,
    )
ax.axvline(100 * true_prevalence, color="grey", linestyle="--", label="true prevalence")
ax.set_yticks(np.arange(len(labels)), labels)
ax.invert_yaxis()
ax.set_xlabel("12-month prevalence of LBP, % (95% CI)")
ax.set_xlim(15, 65)
ax.legend(loc="upper right", fontsize=8)
ax.set_title("Example survey: crude vs survey-weighted prevalence")
fig.tight_layout()

# %% [markdown]
# lbprun's own figure of the weighted result (overall row first):

# %%
ax = weighted_km.plot()

# %% [markdown]
# ## A4. Risk factors: odds ratios from a survey-weighted logistic regression
#
# The outcome was drawn from a logistic model with known odds ratios (`example_truth.json`,
# `survey.odds_ratios`). The same terms are built here, named as in the truth and defined in
# `definitions=` so that each row of the table says what it is; weekly distance is reported
# **per 10 km/week** with `per=`. The weights and design give design-based (sandwich) standard
# errors and Wald intervals on the design degrees of freedom, as R's `svyglm`.
#
# What an odds ratio here means: the odds of LBP in the past year for runners with the factor
# relative to runners without it, *holding the other terms fixed*; it is an association in a
# cross-sectional survey, not an effect. The truth's odds ratios are conditional on the club (the
# outcome model has a club random effect with SD 0.25); the population-averaged odds ratios that
# a marginal model estimates are smaller by about 1 % on the log scale, far below the sampling
# error.

# %%
derived = {
    "bmi_gt_24": "bmi > 24",
    "shoe_km_gt_800": "shoe_km > 800",
    "spike_gt_30pct": "max_weekly_increase_pct > 30",
    "surface_asphalt_vs_other": "surface == 'asphalt'",
    "years_running_gt_6": "years_running > 6",
}
assert all(truth["terms"][name] == rule for name, rule in derived.items())
model_data = survey.assign(
    bmi_gt_24=survey["bmi"] > 24,
    shoe_km_gt_800=survey["shoe_km"] > 800,
    spike_gt_30pct=survey["max_weekly_increase_pct"] > 30,
    surface_asphalt_vs_other=survey["surface"] == "asphalt",
    years_running_gt_6=survey["years_running"] > 6,
)
predictors = ["weekly_km", "prior_lbp", "strength_training", *derived]
fit = lbprun.fit_risk_factors(
    model_data,
    "lbp_12m",
    predictors,
    design=design,
    per={"weekly_km": 10},
    definitions=derived,
)
print(fit.summary())
fig, ax = plt.subplots(figsize=(7, 4))
fit.plot(ax=ax)
ax.set_title("Example survey: survey-weighted odds ratios (95% CI)")
fig.tight_layout()

# %% [markdown]
# **Checks against the truth.** Each true odds ratio should lie inside its 95 % interval (each
# interval covers its truth with probability about 0.95, so on average 7.6 of 8 would; with this
# seed all 8 do). The intercept is the baseline odds (all factors absent, 0 km/week): the
# weighted fit recovers the population's exp(−2.05) = 0.129. An **unweighted** fit shows why the
# weights matter for the intercept and not much for the odds ratios: sampling cases at twice the
# rate doubles every runner's odds, so the unweighted baseline odds estimate 2 × 0.129 = 0.257,
# while the odds ratios are unchanged in expectation (the case-control sampling principle).

# %%
ors = fit.to_frame(scale="odds_ratio").set_index("term")
truth_or = {
    ("weekly_km" if k == "per_10km_week" else k): v for k, v in truth["odds_ratios"].items()
}
comparison = ors.loc[list(truth_or), ["estimate", "ci_low", "ci_high"]].assign(
    truth=pd.Series(truth_or)
)
comparison["covered"] = (comparison["ci_low"] <= comparison["truth"]) & (
    comparison["truth"] <= comparison["ci_high"]
)
print(comparison.round(3))
assert comparison["covered"].all()  # 8 of 8 true odds ratios inside their 95 % intervals

baseline_odds = np.exp(truth["coefficients"]["intercept"])
with warnings.catch_warnings():
    warnings.simplefilter("error")  # the unweighted fit must not warn either
    unweighted = lbprun.fit_risk_factors(model_data, "lbp_12m", predictors, per={"weekly_km": 10})
u = unweighted.to_frame(scale="odds_ratio").set_index("term")
w = ors.loc["(Intercept)"]
print(
    f"baseline odds: weighted {w['estimate']:.3f} ({w['ci_low']:.3f}-{w['ci_high']:.3f}), "
    f"unweighted {u.loc['(Intercept)', 'estimate']:.3f}; truth {baseline_odds:.3f}"
)
assert w["ci_low"] <= baseline_odds <= w["ci_high"]
assert u.loc["(Intercept)", "ci_low"] <= 2 * baseline_odds <= u.loc["(Intercept)", "ci_high"]
# slopes agree between the two fits within 0.1 on the log scale
np.testing.assert_allclose(
    np.log(u.loc[list(truth_or), "estimate"]),
    np.log(ors.loc[list(truth_or), "estimate"]),
    atol=0.1,
)

# %% [markdown]
# # Part B — the Italian survey (Maselli et al. 2021)
#
# The abstract gives the 12-month prevalence of LBP as **22.6 %** (results) and **"22,57 %"**
# (conclusion) of **2,539** runners, but not the number of runners with LBP. Which whole numbers
# of cases k out of 2,539 give those printed percentages? A count reproduces a printed value
# when 100·k/2539 lies within half a unit of its last printed digit (exact fractions, no
# floating point).

# %%
italian = lbprun.datasets.load_published("italian_survey")
print(italian.attrs["source"], "doi:", italian.attrs["doi"])
for caveat in italian.attrs["caveats"]:
    print("-", caveat)
row = italian.iloc[0]
n = int(row["n"])


def counts_giving(printed, decimals):
    """Every count k in 0..n whose percentage 100 k / n rounds to `printed`."""
    half = Fraction(1, 2 * 10**decimals)
    return [k for k in range(n + 1) if abs(Fraction(100 * k, n) - Fraction(str(printed))) <= half]


results_counts = counts_giving(row["percent_results"], 1)  # "22.6 %"
conclusion_counts = counts_giving(row["percent_conclusion"], 2)  # "22,57 %"
for k in range(571, 577):
    print(k, f"{100 * k / n:.3f} %")
print("22.6 % <-", results_counts, "; 22.57 % <-", conclusion_counts)
assert n == 2539
assert results_counts == [573, 574, 575]  # the results' 22.6 % allows three counts
assert conclusion_counts == [573]  # the conclusion's 22.57 % allows only one
assert int(row["cases"]) == 573 and row["cases_status"] == "derived"

# %% [markdown]
# So 573 runners had LBP in the past year: the only count consistent with both printed
# percentages. The paper gives no interval; from the derived count, lbprun gives the Wilson
# and exact (Clopper–Pearson) 95 % intervals (and Jeffreys for comparison). They are nearly
# identical at this sample size: about 21.0 % to 24.2 %. Even if the count were 574 or 575 (the
# other values the rounded 22.6 % allows), the interval would move by less than 0.1 percentage
# point.

# %%
intervals = pd.concat(
    [lbprun.proportion_ci(573, n, method=m) for m in ("wilson", "exact", "jeffreys")],
    ignore_index=True,
)
print(intervals)
assert round(100 * intervals.loc[0, "estimate"], 1) == 22.6  # results, printed to 0.1 %
assert round(100 * intervals.loc[0, "estimate"], 2) == 22.57  # conclusion, printed to 0.01 %
np.testing.assert_allclose(  # Wilson limits as lbprun's guide prints them (6 decimals)
    intervals.loc[0, ["ci_low", "ci_high"]].astype(float), [0.209841, 0.242347], atol=5e-7
)
assert (intervals["ci_high"] - intervals["ci_low"] < 0.034).all()
alternatives = lbprun.proportion_ci(results_counts, [n] * 3, method="wilson")
print(alternatives)
assert (alternatives["ci_low"].max() - alternatives["ci_low"].min()) < 0.001

# %% [markdown]
# **Going further: against the 2020 review.** The same group's systematic review (Maselli et al.
# 2020, *BMC Musculoskelet Disord* 21:343, doi:10.1186/s12891-020-03357-4, abstract) reported a
# prevalence range of 0.7–20.2 % across 19 studies of runners. The Italian 12-month prevalence
# lies above that range, and so does its whole 95 % interval. This does not mean the studies
# disagree: the review's range mixes point, period and lifetime prevalences and different case
# definitions (`load_published("review_ranges").attrs["caveats"]`), so a 12-month period
# prevalence from a self-selected online sample need not fall inside it.

# %%
review = lbprun.datasets.load_published("review_ranges")
prev = review[review["measure"].str.startswith("prevalence")].iloc[0]
print(review[["review", "n_studies", "measure", "low_percent", "high_percent"]])
assert (prev["low_percent"], prev["high_percent"]) == (0.7, 20.2)  # review abstract
assert 100 * intervals["ci_low"].min() > prev["high_percent"]

fig, ax = plt.subplots(figsize=(6, 2))
ax.axvspan(
    prev["low_percent"],
    prev["high_percent"],
    color="lightgrey",
    label="2020 review: range of 19 studies",
)
ax.errorbar(
    100 * intervals.loc[0, "estimate"],
    0,
    xerr=[
        [100 * (intervals.loc[0, "estimate"] - intervals.loc[0, "ci_low"])],
        [100 * (intervals.loc[0, "ci_high"] - intervals.loc[0, "estimate"])],
    ],
    fmt="o",
    capsize=4,
    label="Maselli 2021: 573 / 2,539 (Wilson 95% CI)",
)
ax.set_yticks([])
ax.set_xlim(0, 30)
ax.set_xlabel("prevalence of LBP in runners, %")
ax.legend(loc="upper left", fontsize=8)
fig.tight_layout()
