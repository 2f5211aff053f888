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

# %%

# %% [markdown]
# # Published ranges of LBP in runners: what the 2020 review says, and what its studies show
#
# **What is reproduced.** The systematic review by Maselli et al. (2020) summarises 19 studies
# in one sentence of its abstract: prevalence of low back pain (LBP) among runners of
# **0.7–20.2 %** and incidence of **0.3–22 %**. This notebook sets those ranges against the
# studies that can be identified, computes each study's proportion with exact
# (Clopper–Pearson) and Wilson 95 % intervals where counts exist, and then does what the review
# did not: random-effects pooling by case definition, with prediction intervals and
# heterogeneity.
#
# **Sources** (provenance recorded in `data/README.md`, section "Published figures"):
#
# * Maselli F, Storari L, Barbari V, Colombi A, Turolla A, Gianola S, Rossettini G, Testa M.
#   Prevalence and incidence of low back pain among runners: a systematic review.
#   *BMC Musculoskelet Disord* 2020;21:343. doi:10.1186/s12891-020-03357-4 (PMC7271446).
#   The ranges are read from the **abstract** (Results); Table 8 (risk factors) names four of
#   the included studies. The review's own per-study table could not be read.
# * Primary abstracts, each with its URL in `load_published("studies")`: Woolf et al. 2002
#   (J South Orthop Assoc 11:136–143), Malliaropoulos et al. 2015 (Hum Mov 16:52–59, abstract),
#   Ellapen et al. 2013 (S Afr J Sports Med 25:39–43), Wu et al. 2021 (Pain Res Manag
#   2021:6660304), Maselli et al. 2021 (Phys Ther Sport 48:136–145), and an undated University
#   of Colorado survey.
#
# Three kinds of rows are kept apart throughout: **review** (the ranges in the review's
# abstract), **primary** (a study's own abstract) and **missing** (included studies that could
# not be identified). A primary value is never used as the review's value.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import lbprun
from lbprun import datasets
from lbprun.meta import pool_prevalence

ranges = datasets.load_published("review_ranges")
studies = datasets.load_published("studies")
included = datasets.load_published("review_included")
print(ranges.attrs["source"])
ranges[["measure", "n_studies", "low_percent", "high_percent", "source"]]

# %% [markdown]
# ## 1. The review's ranges, as printed
# The abstract of Maselli et al. 2020 (Results) gives: "Nineteen studies were included ...
# prevalence (0.7–20.2%) and incidence (0.3–22%)". The four endpoints and the 19 studies are
# asserted below exactly as printed (one decimal, except "22%").

# %%
r = ranges.set_index("measure")
prev, inc = r.loc["prevalence (all definitions)"], r.loc["incidence (all definitions)"]
assert int(prev["n_studies"]) == int(inc["n_studies"]) == 19  # abstract: "Nineteen studies"
assert (prev["low_percent"], prev["high_percent"]) == (0.7, 20.2)  # printed to 0.1 %
assert (inc["low_percent"], inc["high_percent"]) == (0.3, 22.0)  # printed "0.3-22%"
assert ranges.attrs["doi"] == "10.1186/s12891-020-03357-4"

# %% [markdown]
# ## 2. Which of the 19 studies can be identified, and what is missing
# Four included studies are identified (via the review's Table 8 and its reference list);
# for **none** of them could the value the review tabulated be read. Fifteen included studies
# are not identified here: they are *missing*, which is not the same as absent. Two primary
# studies in lbprun's table were published after the review's search (31 July 2019), and for
# one undated survey it is unknown whether the review included it.

# %%
n_review = int(prev["n_studies"])
figure_ids = set(studies["study_id"])
counted_ids = set(studies.dropna(subset=["cases"])["study_id"])


def in_review(study_id: str) -> str:
    if study_id in set(included["study_id"]):
        return "included (identified)"
    year = study_id.rsplit("_", 1)[-1]
    if year.isdigit() and int(year) > 2019:
        return "not included (published after the search)"
    return "unknown"


def status(study_id: str) -> str:
    if study_id in counted_ids:
        return "primary figure with a count"
    if study_id in figure_ids:
        return "primary figure, no count"
    return "no LBP figure read"


slots = pd.DataFrame(
    {
        "study_id": included["study_id"].tolist()
        + [f"not identified #{i}" for i in range(1, n_review - len(included) + 1)],
        "row_kind": ["primary"] * len(included) + ["missing"] * (n_review - len(included)),
    }
)
slots["what we have"] = [
    status(s) if kind == "primary" else "nothing: study not identified"
    for s, kind in zip(slots["study_id"], slots["row_kind"], strict=True)
]
missing_table = slots.groupby("what we have").size().rename("studies of the 19").to_frame()
print(missing_table.to_string())
assert len(slots) == n_review == 19
assert missing_table["studies of the 19"].sum() == 19
assert missing_table.loc["nothing: study not identified", "studies of the 19"] == 15
assert missing_table.loc["primary figure with a count", "studies of the 19"] == 1
assert (included["review_value_read"] == "no").all()  # no review row can be shown per study
slots.head(6)

# %% [markdown]
# ## 3. Each identifiable study: value, count, and two intervals
# Where a count exists (or is the only whole number that reproduces the printed percentage,
# marked *derived* in the data README), lbprun computes the exact Clopper–Pearson interval
# (R `binom.test`) and the Wilson score interval (R `prop.test` without continuity
# correction). Where no count exists, the printed percentage is shown without an interval:
# an interval needs a denominator, and none can be inferred.
#
# Printed percentages and counts, each from its abstract (see `data/README.md`):
# Malliaropoulos 2015 42.5 % (17/40), Wu 2021 4.50 % (36/800), Maselli 2021 22.6 % and
# "22,57 %" (573/2539, derived), University of Colorado 58 % (57/99, derived).

# %%
table = studies[["study_id", "measure", "n", "cases", "value_percent", "lbp_definition"]].copy()
table["in_review"] = table["study_id"].map(in_review)
counted = table.dropna(subset=["cases"]).reset_index(drop=True)
x = counted["cases"].astype(int).to_numpy()
n = counted["n"].astype(int).to_numpy()
exact = lbprun.proportion_ci(x, n, method="exact")
wilson = lbprun.proportion_ci(x, n, method="wilson")
counted["exact_low"], counted["exact_high"] = exact["ci_low"], exact["ci_high"]
counted["wilson_low"], counted["wilson_high"] = wilson["ci_low"], wilson["ci_high"]
counted["estimate"] = exact["estimate"]
show = counted[["study_id", "measure", "cases", "n", "value_percent", "in_review"]].copy()
for col in ("estimate", "exact_low", "exact_high", "wilson_low", "wilson_high"):
    show[col + " %"] = 100 * counted[col]
show.round(2)

# %%
# Each printed percentage is reproduced from its count, to the decimals printed.
printed = {"Malliaropoulos_2015": 1, "Wu_2021": 2, "Maselli_2021": 2, "UColorado_yearNA": 0}
for row in counted.itertuples():
    assert round(100 * row.estimate, printed[row.study_id]) == row.value_percent, row.study_id
assert round(100 * 573 / 2539, 1) == 22.6  # Maselli 2021, results section
# Independent check of the Wilson bounds: the closed form, computed here with numpy.
z = 1.959963984540054
p_hat = x / n
centre = (p_hat + z**2 / (2 * n)) / (1 + z**2 / n)
half = z * np.sqrt(p_hat * (1 - p_hat) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
np.testing.assert_allclose(counted["wilson_low"], centre - half, rtol=1e-12)
np.testing.assert_allclose(counted["wilson_high"], centre + half, rtol=1e-12)
# The exact interval is the wider one for these four counts.
assert (counted["exact_low"] <= counted["wilson_low"]).all()
assert (counted["exact_high"] >= counted["wilson_high"]).all()

# %%
no_count = table[table["cases"].isna()][["study_id", "measure", "n", "value_percent"]]
print(no_count.to_string(index=False))
# Woolf 2002: no whole number of 539 gives the printed 13.6 % (73 -> 13.54 %, 74 -> 13.73 %),
# so the denominator of 13.6 % is not 539 and no interval is drawn.
k = np.arange(540)
assert not np.any(np.round(100 * k / 539, 1) == 13.6)
assert (round(100 * 73 / 539, 2), round(100 * 74 / 539, 2)) == (13.54, 13.73)

# %% [markdown]
# ## 4. The review's range against what the identified studies show
# Can any of the four endpoints be matched to an identified study? The primary figures of the
# three identified studies with an LBP figure are 13.6 % and 74 % (Woolf), 42.5 % (Malliaropoulos)
# and 16 % (Ellapen, "lower back/hip"): **none equals an endpoint**, and two lie far above the
# prevalence maximum of 20.2 %, so the review must have tabulated something else for them.
#
# Arithmetic can still say which endpoint a study *could* have produced: a percentage printed
# to d decimals can come from a sample of n only if some whole number k gives k/n rounding to
# it (half up). This says what is possible, not what the review did.

# %%
endpoints = {
    "prevalence low 0.7 %": (0.7, 1),
    "prevalence high 20.2 %": (20.2, 1),
    "incidence low 0.3 %": (0.3, 1),
    "incidence high 22 %": (22.0, 0),
}
identified_n = (
    studies[studies["study_id"].isin(included["study_id"])].groupby("study_id")["n"].first()
)


def attainable(value: float, decimals: int, size: int) -> bool:
    k = np.arange(size + 1)
    scale = 10**decimals
    shown = (200 * k * scale + size) // (2 * size)  # 100 k / n, rounded half up
    return bool(np.any(shown == round(value * scale)))


feasible = pd.DataFrame(
    {
        name: [attainable(v, d, int(size)) for size in identified_n]
        for name, (v, d) in endpoints.items()
    },
    index=[f"{s} (n = {int(size)})" for s, size in identified_n.items()],
)
primary_values = set(studies.loc[studies["study_id"].isin(included["study_id"]), "value_percent"])
matched = {name: v in primary_values for name, (v, _) in endpoints.items()}
print("endpoint matched by an identified study's printed value:", matched)
assert not any(matched.values())  # no endpoint can be matched to an identified study
assert feasible.loc["Woolf_2002 (n = 539)"].tolist() == [True, True, False, True]
assert not feasible.loc["Malliaropoulos_2015 (n = 40)"].any()  # 9/40 = 22.5 % prints 23 %
assert feasible.loc["Ellapen_2013 (n = 200)"].tolist() == [False, False, False, True]
feasible.replace({True: "possible", False: "impossible"})

# %% [markdown]
# So the **0.7 %** and **20.2 %** prevalence endpoints could arithmetically come from a sample
# of 539 (4/539 = 0.74 %, 109/539 = 20.22 %) but not from 40 or 200 runners; the **0.3 %**
# incidence endpoint comes from none of the identified samples; **22 %** could come from 539 or
# 200 (44/200). Which studies give the extremes remains unknown.
#
# The figure shows every primary value (circles with exact intervals where a count exists,
# open diamonds where it does not) against the review's two ranges (shaded).

# %%
fig, ax = plt.subplots(figsize=(7, 4))
plotted = table.reset_index(drop=True)
ypos = np.arange(len(plotted))[::-1]
ax.axvspan(0.7, 20.2, color="tab:blue", alpha=0.15, label="review: prevalence 0.7-20.2 %")
ax.axvspan(0.3, 22.0, color="tab:orange", alpha=0.10, label="review: incidence 0.3-22 %")
for y, row in zip(ypos, plotted.itertuples(), strict=True):
    hit = counted[(counted["study_id"] == row.study_id) & (counted["measure"] == row.measure)]
    if len(hit):
        h = hit.iloc[0]
        ax.errorbar(
            100 * h["estimate"],
            y,
            xerr=[
                [100 * (h["estimate"] - h["exact_low"])],
                [100 * (h["exact_high"] - h["estimate"])],
            ],
            fmt="o",
            color="black",
            capsize=3,
        )
    else:
        ax.plot(row.value_percent, y, marker="D", mfc="white", color="black")
ax.set_yticks(
    ypos,
    [
        f"{s} ({m}; {w})"
        for s, m, w in zip(
            plotted["study_id"], plotted["measure"], plotted["in_review"], strict=True
        )
    ],
    fontsize=7,
)
ax.set_xlabel("LBP, % of runners (exact 95 % CI where a count exists)")
ax.legend(fontsize=7, loc="lower right")
fig.tight_layout()

# %% [markdown]
# ## 5. Pooling by case definition (what the review did not do)
# The review reports only a range across definitions. Pooling needs at least two studies with
# counts **and the same definition**. Among the identifiable studies that holds only for
# *lifetime* prevalence (Malliaropoulos 2015, 17/40, an included study whose measure is a
# classification of lbprun's data, and the University of Colorado survey, 57/99, whose
# inclusion is unknown). Twelve-month prevalence (Maselli 2021) and incidence (Wu 2021) have
# one study each and cannot be pooled: lbprun refuses rather than return a pooled value.
#
# Random-effects model on the logit scale with REML (metafor `rma(measure = "PLO")`): the
# prediction interval says where the true prevalence of a *new* comparable study would fall,
# τ² is the between-study variance on the logit scale and I² the share of the variability
# that is between studies. With two studies, τ² is very poorly estimated: read the numbers as
# a demonstration, not as an answer.

# %%
pool_data = counted.rename(columns={"study_id": "study"})[["study", "measure", "cases", "n"]]
lifetime = pool_data[pool_data["measure"] == "lifetime_prevalence"]
life = pool_prevalence(lifetime, method="REML")
print(life.summary())
assert life.k == 2
assert lifetime["cases"].sum() / lifetime["n"].sum() == 74 / 139
# internal consistency: the pooled value lies between the two studies, the PI contains the CI
assert 17 / 40 < life.estimate < 57 / 99
assert life.pi_low <= life.ci_low < life.estimate < life.ci_high <= life.pi_high
assert 0 <= life.i2 < 100 and life.tau2 >= 0
# the per-study exact bounds in the meta-analysis equal those of proportion_ci
np.testing.assert_allclose(
    life.studies["ci_low"], counted.loc[lifetime.index, "exact_low"], rtol=1e-10
)
life.plot()

# %%
for measure in ("period_prevalence_12m", "cumulative_incidence"):
    subset = pool_data[pool_data["measure"] == measure]
    try:
        pool_prevalence(subset)
    except lbprun.LbprunError as error:
        print(f"{measure}: {error}")
    else:
        raise AssertionError(f"{measure} should not pool with {len(subset)} study")

# %% [markdown]
# **Mixing definitions, as the review's ranges do.** Pooling the three prevalence studies with
# counts regardless of definition (lifetime and 12-month) shows why the review was right not
# to pool: heterogeneity is near total, and the prediction interval spans most of the possible
# range. The test for subgroup differences compares lifetime with 12-month prevalence
# (mixed-effects model, metafor `mods = ~ measure`). Leave-one-out shows how much each study
# moves the pooled value.

# %%
prevalence_rows = pool_data[pool_data["measure"] != "cumulative_incidence"]
mixed = pool_prevalence(prevalence_rows, method="REML", subgroup="measure")
print(mixed.summary())
loo = mixed.leave_one_out()
print(loo[["study", "k", "estimate", "ci_low", "ci_high", "tau2", "i2"]].round(4).to_string())
assert mixed.k == 3 and mixed.i2 > 90  # near-total heterogeneity
assert mixed.pi_high - mixed.pi_low > 0.5
assert mixed.subgroup_test["reference"] == "lifetime_prevalence"
assert mixed.subgroup_test["qm_df"] == 1
assert loo["k"].eq(2).all()
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3))
mixed.plot(ax=ax1)
mixed.plot(ax=ax2, kind="funnel")
fig.tight_layout()

# %% [markdown]
# ## 6. What this shows, and what it does not
# * The pooled lifetime prevalence (two studies) is far above the review's prevalence maximum
#   of 20.2 %: the lower confidence bound alone exceeds it. The review's range therefore cannot
#   contain lifetime figures as the primary abstracts print them; it must rest on other
#   definitions or other numbers from these papers.
# * The 12-month prevalence among 2,539 Italian runners (22.6 %, published after the review) also
#   lies above 20.2 %, with an exact interval that excludes it.
# * None of this identifies the studies behind the review's endpoints; 15 of its 19 studies are
#   missing here. The honest summary is the table of section 2, not a pooled number.

# %%
assert life.ci_low > prev["high_percent"] / 100
maselli = counted.set_index("study_id").loc["Maselli_2021"]
assert maselli["exact_low"] > prev["high_percent"] / 100
print(
    f"pooled lifetime prevalence {100 * life.estimate:.1f} % "
    f"(95 % CI {100 * life.ci_low:.1f}-{100 * life.ci_high:.1f} %, "
    f"PI {100 * life.pi_low:.1f}-{100 * life.pi_high:.1f} %) vs the review's 20.2 % maximum"
)
