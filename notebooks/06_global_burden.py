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
# # The global burden of low back pain, 2020 and 2050: the published figures and where the growth comes from
#
# **What is reproduced.** The GBD 2021 Low Back Pain Collaborators estimate that **619 million**
# people (95 % uncertainty interval, UI, 554–694 million) had low back pain in 2020 and project
# **843 million** (759–933 million) for 2050, a **36.4 %** increase, driven, says the WHO fact
# sheet, by population growth and ageing. This notebook reproduces those figures, shows why
# 843/619 − 1 gives 36.2 % rather than 36.4 %, and then goes further than the abstract: a
# transparent decomposition of the growth into population size, age structure and
# age-standardised prevalence.
#
# **Sources** (provenance in `data/README.md`, section "Published figures"):
#
# * GBD 2021 Low Back Pain Collaborators. Global, regional, and national burden of low back
#   pain, 1990–2020, its attributable risk factors, and projections to 2050: a systematic
#   analysis of the Global Burden of Disease Study 2021. *Lancet Rheumatol*
#   2023;5(6):e316–e329. doi:10.1016/S2665-9913(23)00098-X. Figures read from the **abstract**
#   (Findings) as reproduced on chiro.org and in secondary summaries; the 36.4 % from secondary
#   summaries of the paper.
# * World Health Organization. WHO guideline for non-surgical management of chronic primary low
#   back pain in adults, 2023 (NCBI Bookshelf NBK599218): age-standardised prevalence 7.5 %.
# * United Nations, DESA, Population Division. *World Population Prospects 2022: Summary of
#   Results* (UN DESA/POP/2022/TR/NO. 3), medium variant: 9.7 billion in 2050; the share aged
#   65 or over 10 % (2022) and 16 % (2050). The 2020 world population, 7.84 billion, is
#   marked **unverified** in the data.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from lbprun import datasets

gbd = datasets.load_published("gbd2021")
population = datasets.load_published("world_population")
print(gbd.attrs["source"])
gbd[["quantity", "year", "value", "ui_low", "ui_high", "unit"]]

# %% [markdown]
# ## 1. The published figures
# Abstract, Findings: "In 2020, low back pain affected 619 million (95% uncertainty interval
# 554–694) people globally, with a projection of 843 million (759–933) prevalent cases by
# 2050. In 2020, the global age-standardised rate of YLDs was 832 per 100 000 (578–1070).
# Between 1990 and 2020, age-standardised rates of prevalence ... decreased by 10.4%
# (10.9–10.0)". The 36.4 % increase is quoted by secondary summaries of the paper. A UI is a
# range of the model's draws, not a confidence interval from sampling; it is shown as printed.

# %%
g = gbd.set_index(["quantity", "year"])
cases_2020 = g.loc[("prevalent cases of LBP, world", 2020)]
cases_2050 = g.loc[("prevalent cases of LBP, world (projection)", 2050)]
published_growth = g.loc[("increase in prevalent cases 2020-2050", 2050), "value"]
yld = g.loc[("age-standardised YLD rate", 2020)]
asp_2020 = g.loc[("age-standardised prevalence", 2020), "value"]
change = g.loc[("change in age-standardised prevalence 1990-2020", 2020)]
assert tuple(cases_2020[["value", "ui_low", "ui_high"]] / 1e6) == (619, 554, 694)  # millions
assert tuple(cases_2050[["value", "ui_low", "ui_high"]] / 1e6) == (843, 759, 933)
assert published_growth == 36.4  # percent, printed to 0.1
assert tuple(yld[["value", "ui_low", "ui_high"]]) == (832, 578, 1070)  # per 100,000
assert asp_2020 == 7.5  # percent (WHO guideline)
assert tuple(change[["value", "ui_low", "ui_high"]]) == (-10.4, -10.9, -10.0)

fig, ax = plt.subplots(figsize=(4.5, 3.5))
values = np.array([cases_2020["value"], cases_2050["value"]]) / 1e6
lows = values - np.array([cases_2020["ui_low"], cases_2050["ui_low"]]) / 1e6
highs = np.array([cases_2020["ui_high"], cases_2050["ui_high"]]) / 1e6 - values
ax.bar(["2020", "2050 (projected)"], values, color=["tab:blue", "tab:orange"])
ax.errorbar([0, 1], values, yerr=[lows, highs], fmt="none", color="black", capsize=6)
for i, v in enumerate(values):
    ax.text(i, 20, f"{v:.0f} M", ha="center", color="white")
ax.set_ylabel("people with LBP, millions (95 % UI as published)")
fig.tight_layout()

# %% [markdown]
# ## 2. 36.4 % or 36.2 %? The rounding edge
# From the rounded figures, 843/619 − 1 = 36.19 %, which prints as 36.2 %, not the published
# 36.4 %. GBD computed the increase from unrounded counts. Every pair of unrounded counts that
# prints as 619 and 843 million lies in the box [618.5, 619.5) × [842.5, 843.5) million; the
# increase prints as 36.4 % only where the ratio reaches 1.3635. That happens only in a small
# corner of the box: the 2020 count must be below 618.63 million **and** the 2050 count above
# 843.32 million. The published figures are consistent, but only just.

# %%
naive = 100 * (843 / 619 - 1)
assert round(naive, 1) == 36.2  # from the rounded inputs
need = 1 + 36.35 / 100  # lowest ratio that prints 36.4 %
edge_2020 = 843.5 / need  # largest 2020 count (millions) that can still give 36.4 %
edge_2050 = 618.5 * need  # smallest 2050 count that can still give 36.4 %
assert round(edge_2020, 2) == 618.63 and round(edge_2050, 2) == 843.32
assert round(100 * (843.5 / 618.5 - 1), 2) == 36.38  # the highest ratio in the box
c20, c50 = np.meshgrid(np.linspace(618.5, 619.5, 401), np.linspace(842.5, 843.5, 401))
share = float(np.mean(c50 / c20 >= need))
print(f"naive {naive:.2f} %; 36.4 % needs 2020 < {edge_2020:.4f} M and 2050 > {edge_2050:.4f} M")
print(f"share of the rounding box that prints 36.4 %: {100 * share:.2f} %")
assert 0 < share < 0.02

fig, ax = plt.subplots(figsize=(4.5, 3.5))
ax.contourf(c20, c50, np.round(100 * (c50 / c20 - 1), 1), levels=12, cmap="Greys")
ax.plot([618.5, edge_2020], [edge_2050, 843.5], color="tab:red", label="ratio = 1.3635")
ax.plot(619, 843, "o", color="tab:blue", label="rounded inputs (36.2 %)")
ax.set_xlabel("2020 cases, millions")
ax.set_ylabel("2050 cases, millions")
ax.legend(fontsize=7, loc="lower right")
fig.tight_layout()

# %% [markdown]
# ## 3. Where does the growth come from? A transparent decomposition
# The count of people with LBP is a product of three factors:
#
# cases = population × A × R,
#
# where **R** is the age-standardised prevalence and **A** = crude prevalence / R measures how
# much the age structure of the population raises (A > 1) or lowers (A < 1) the crude
# prevalence relative to the standard population. A change in cases between 2020 and 2050 is
# split into three additive parts with Das Gupta's (1993) symmetric formula for a product of
# three factors (each factor's change weighted by averages of the other two), so the parts sum
# exactly to the change and do not depend on the order of the factors.
#
# **What is published and what is lbprun's arithmetic.** Published: the cases (GBD 2021), the
# age-standardised prevalence in 2020 (7.5 %, WHO guideline), the UN populations. lbprun's own:
# the crude prevalences, A, the decomposition and its shares. **Assumptions:** (1) the UN WPP
# 2022 populations stand in for the population forecast GBD used (the abstract does not say
# which; it projected rates by regression on the Socio-demographic Index, then multiplied by
# projected populations); (2) the age-standardised prevalence stays at 7.5 % from 2020 to 2050,
# so the rate part is zero and ageing takes what population size does not explain. The
# abstract does not give a 2050 age-standardised prevalence, so this assumption cannot be
# checked here; the sensitivity table below shows what a change in R would do. No uncertainty
# interval is attached to the shares: the published UIs belong to GBD's draws, which are not
# available. What is shown instead is the spread from the rounding of the inputs.
#
# lbprun has no decomposition function yet, so the formula is written out below with numpy
# (a labelled stand-in, not package API).

# %%
pop = population.set_index(["quantity", "year"])["value"]
pop_2020 = pop[("world population (1 July)", 2020)]
pop_2050 = pop[("world population, medium variant (projection)", 2050)]
assert (pop_2020, pop_2050) == (7.84e9, 9.7e9)  # WPP 2022 (2020 value unverified)
old_65 = pop[("share of world population aged 65 or over", 2022)]
new_65 = pop[("share of world population aged 65 or over (projection)", 2050)]
assert (old_65, new_65) == (10, 16)  # percent, WPP 2022 Summary of Results


def das_gupta(first: tuple[float, float, float], second: tuple[float, float, float]) -> dict:
    """Das Gupta's additive effects of three multiplied factors (a, b, c), time 1 to time 2."""
    (a1, b1, c1), (a2, b2, c2) = first, second

    def effect(x1, x2, y1, y2, z1, z2):
        return (x2 - x1) * ((y1 * z1 + y2 * z2) / 3 + (y1 * z2 + y2 * z1) / 6)

    return {
        "population size": effect(a1, a2, b1, b2, c1, c2),
        "age structure": effect(b1, b2, a1, a2, c1, c2),
        "age-standardised prevalence": effect(c1, c2, a1, a2, b1, b2),
    }


def decompose(c1, c2, p1, p2, r1, r2):
    a1, a2 = c1 / (p1 * r1), c2 / (p2 * r2)
    return das_gupta((p1, a1, r1), (p2, a2, r2)), (a1, a2)


r = asp_2020 / 100
c1, c2 = cases_2020["value"], cases_2050["value"]
parts, (a_2020, a_2050) = decompose(c1, c2, pop_2020, pop_2050, r, r)
table = pd.DataFrame(
    {
        "millions": {k: v / 1e6 for k, v in parts.items()},
        "share of growth %": {k: 100 * v / (c2 - c1) for k, v in parts.items()},
    }
)
print(f"crude prevalence 2020 {100 * c1 / pop_2020:.2f} %, 2050 {100 * c2 / pop_2050:.2f} %")
print(f"age-structure factor A: 2020 {a_2020:.4f}, 2050 {a_2050:.4f}")
# internal consistency: the parts add up to the published change, 224 million
np.testing.assert_allclose(sum(parts.values()), c2 - c1, rtol=1e-12)
assert parts["age-standardised prevalence"] == 0  # by assumption (2)
# independent fact: the share aged 65+ rises from 10 % to 16 % (WPP 2022), so the age
# structure must push the crude prevalence up: A grows
assert a_2050 > a_2020
pop_share = table.loc["population size", "share of growth %"]
assert 60 < pop_share < 80 and round(pop_share) == 69
table.round(1)

# %% [markdown]
# Under these assumptions, **about 69 %** of the 224 million extra people with LBP come from
# a larger world population and **about 31 %** from its ageing. This is lbprun's arithmetic on
# published aggregates, not a GBD result; it says nothing about the cause of LBP in a person.
#
# **Sensitivity.** The rounding of every input (619 and 843 million to the million, 7.84 and
# 9.7 billion to the printed digits) moves the population share by a few points; a change of
# the age-standardised prevalence between 2020 and 2050 would take its own share of the
# growth (GBD reports −10.4 % for 1990–2020, i.e. about −3.5 % per decade if it went on).
# Because A is computed as what is left once population and R are fixed, an assumed change in
# R moves the age-structure part one for one: with aggregates alone, ageing is identified only
# as this residual. Only age-specific prevalence and populations can separate the two.

# %%
rows = []
for c1_, c2_, p1_, p2_ in [
    (c1, c2, pop_2020, pop_2050),
    (618.5e6, 843.5e6, 7.845e9, 9.65e9),  # inputs pushed to favour ageing
    (619.5e6, 842.5e6, 7.835e9, 9.75e9),  # ... and to favour population size
]:
    p, _ = decompose(c1_, c2_, p1_, p2_, r, r)
    rows.append(100 * p["population size"] / (c2_ - c1_))
low, high = min(rows), max(rows)
print(f"population share over the rounding of the inputs: {low:.1f}-{high:.1f} %")
assert 65 < low < rows[0] < high < 76

trend = []
for r_change in (-0.10, -0.05, 0.0, 0.05):
    p, _ = decompose(c1, c2, pop_2020, pop_2050, r, r * (1 + r_change))
    trend.append({"R change 2020-2050": f"{100 * r_change:+.0f} %"})
    trend[-1].update({k: round(100 * v / (c2 - c1), 1) for k, v in p.items()})
sensitivity = pd.DataFrame(trend).set_index("R change 2020-2050")
for row in sensitivity.itertuples():
    assert abs(sum(row[1:]) - 100) < 0.2  # each row adds up to 100 % (rounded parts)
assert sensitivity.loc["+0 %", "age-standardised prevalence"] == 0
sensitivity.round(1)

# %% [markdown]
# ## 4. The decomposition as a waterfall
# From 619 million in 2020, add the part due to population size, then the part due to age
# structure, then the (assumed zero) part due to age-standardised prevalence, to reach 843
# million in 2050. The two end bars carry the published UIs; the steps carry none.

# %%
steps = [parts[k] / 1e6 for k in parts]
labels = ["2020", *parts, "2050"]
bottoms = [0, c1 / 1e6, c1 / 1e6 + steps[0], c1 / 1e6 + steps[0] + steps[1], 0]
heights = [c1 / 1e6, *steps, c2 / 1e6]
colors = ["tab:blue", "tab:green", "tab:purple", "tab:grey", "tab:orange"]
fig, ax = plt.subplots(figsize=(7, 4))
ax.bar(range(5), heights, bottom=bottoms, color=colors)
ax.errorbar([0, 4], values, yerr=[lows, highs], fmt="none", color="black", capsize=6)
for i, (b, h) in enumerate(zip(bottoms, heights, strict=True)):
    ax.text(i, b + h + 12, f"{h:+.0f}" if 0 < i < 4 else f"{h:.0f}", ha="center", fontsize=8)
ax.set_xticks(range(5), [label.replace(" ", "\n", 1) for label in labels], fontsize=8)
ax.set_ylabel("people with LBP, millions")
ax.set_title("Growth 2020-2050: lbprun's decomposition of GBD 2021 figures", fontsize=9)
fig.tight_layout()
assert abs(bottoms[3] + heights[3] - c2 / 1e6) < 1e-6  # the steps land on 843 million

# %% [markdown]
# ## 5. What this shows, and what it does not
# * The published 619 → 843 million and 36.4 % are reproduced; 36.4 % needs unrounded counts
#   near the corner of their rounding box.
# * Under a constant age-standardised prevalence, population size explains about 69 % of the
#   growth and ageing about 31 %; these shares are lbprun's arithmetic with stated assumptions
#   and carry no uncertainty interval.
# * A proper age-specific decomposition needs age-specific prevalence (GBD results tool) and
#   age-specific populations for both years; with those, the same three-factor formula applies
#   band by band.
