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
# # A clinic risk model of LBP in runners, end to end
#
# This notebook develops a logistic risk model of low back pain (LBP) in the past 12 months,
# validates it internally, checks its calibration and clinical usefulness, saves it to a model
# file, loads it back safely and scores one runner, in Python and with the `lbprun score`
# command. It follows the TRIPOD items for a development study: predictors and outcome, rows
# used, apparent and optimism-corrected performance, calibration, and the model itself.
#
# **Demonstration only — not validated for clinical use.** The data are lbprun's **synthetic**
# example survey (`lbprun.datasets.load_example_survey()`): 2,500 runners drawn by
# `simulate_survey(2500, design=SimulationDesign(), seed=20261124)` (`data/README.md`, section
# *example_survey*; CC0). The survey samples runners with LBP at twice the rate of the others,
# so 43 % of the sample has 12-month LBP against a true population prevalence of 27.1 %; its
# outcome was drawn from a logistic model whose odds ratios are stored with the data
# (`load_example_truth()["survey"]`). Both facts are used below as known truth. The outcome is
# *LBP in the past 12 months*, recorded at the same time as the predictors: the model ranks
# runners by how likely they are to have had LBP, it does not forecast a future episode.
#
# Methods and their sources:
#
# * Harrell FE. *Regression Modeling Strategies*, 2nd ed. Springer, 2015, section 5.3
#   (optimism bootstrap, `rms::validate`, `rms::val.prob`). doi:10.1007/978-3-319-19425-7
# * Riley RD, Ensor J, Snell KIE, et al. Calculating the sample size required for developing a
#   clinical prediction model. *BMJ* 2020;368:m441. doi:10.1136/bmj.m441
# * Vickers AJ, Elkin EB. Decision curve analysis: a novel method for evaluating prediction
#   models. *Med Decis Making* 2006;26(6):565–574. doi:10.1177/0272989X06295361
# * Collins GS, Reitsma JB, Altman DG, Moons KGM. Transparent reporting of a multivariable
#   prediction model for individual prognosis or diagnosis (TRIPOD). *BMJ* 2015;350:g7594.
#   doi:10.1136/bmj.g7594

# %%
import io
import json
import pickle
import subprocess
import sys
from importlib import resources
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import lbprun
from lbprun import datasets

survey = datasets.load_example_survey()
truth = datasets.load_example_truth()["survey"]
prevalence_sample = float(survey["lbp_12m"].mean())
print(
    f"{len(survey):,} runners, {int(survey['lbp_12m'].sum()):,} with 12-month LBP "
    f"({prevalence_sample:.1%} of the sample; true population prevalence "
    f"{truth['prevalence']['lbp_12m']:.1%})"
)
assert len(survey) == truth["n"] == 2500
assert truth["design"]["case_oversampling"] == 2.0  # cases sampled at twice the rate

# %% [markdown]
# ## 1. Sample size before fitting
#
# Riley et al. (2020) give the smallest development sample that keeps overfitting small
# (expected shrinkage ≥ 0.9), the optimism in Nagelkerke's R² ≤ 0.05 and the overall risk
# within ± 0.05. lbprun's `riley_sample_size` follows R's `pmsampsize` (version 1.1.1 and
# later). On the example that lbprun documents (`docs/clinic_development.md`: 24 parameters,
# prevalence 0.174, anticipated Cox–Snell R² 0.288) `pmsampsize` gives 623, 662 and 221
# participants, minimum 662: reproduced exactly (integers, no tolerance).

# %%
riley = lbprun.riley_sample_size(parameters=24, prevalence=0.174, r2_cs=0.288)
print(riley.summary())
sizes = riley.to_frame().set_index("criterion")["sample_size"]
assert sizes.iloc[:3].tolist() == [623, 662, 221]
assert int(sizes.iloc[3]) == 662

# %% [markdown]
# ## 2. Develop the model
#
# Predictors a clinician can ask about: age, sex, BMI, LBP before, strength training, usual
# weekly distance (a restricted cubic spline with 3 knots, so risk may bend with distance) and
# the largest week-to-week increase in distance over the last weeks. Internal validation is
# Harrell's optimism bootstrap: each replicate refits the whole model on a resample and
# measures how much better it looks on its own resample than on the original data. We use
# **only 20 replicates** so the notebook runs in seconds; a report would use 200 or more
# (`n_bootstrap=200`, the default). The seed makes every number below reproducible.

# %%
predictors = [
    "age",
    "sex",
    "bmi",
    "prior_lbp",
    "strength_training",
    "weekly_km",
    "max_weekly_increase_pct",
]
dev = lbprun.develop_risk_model(
    survey,
    "lbp_12m",
    predictors,
    splines={"weekly_km": 3},
    reference_levels={"sex": "F"},
    n_bootstrap=20,
    seed=20240601,
    n_jobs=1,
    progress=False,
    label="demonstration only — not validated for clinical use",
)
print(dev.summary())

rows = dev.rows
assert rows["rows_in"] == rows["rows_kept"] + rows["rows_rejected"] + rows["rows_excluded"]
assert rows["rows_in"] == len(survey) and rows["events"] == int(survey["lbp_12m"].sum())
assert dev.validation["successful"] == dev.validation["requested"] == 20

# %% [markdown]
# **Apparent and optimism-corrected performance.** *Apparent* is the model judged on the data
# it was fitted to; *corrected* subtracts the bootstrap optimism and estimates how it would
# perform on new runners from the same population. A C statistic of about 0.65 means that,
# for a random runner with LBP and one without, the model ranks the one with LBP higher 65 %
# of the time: modest, as expected from a handful of self-reported predictors.
#
# Two identities must hold exactly for a maximum-likelihood logistic model with an intercept:
# on its own data the calibration intercept is 0 and the slope is 1, and the mean predicted
# risk equals the observed proportion. And `corrected = apparent − optimism` by definition.

# %%
performance = dev.to_frame().set_index("statistic")
print(performance[["apparent", "optimism", "corrected", "n"]].round(4))

model = dev.model
p_dev = 1 / (1 + np.exp(-model.linear_predictor(model.design_matrix(survey))))
assert abs(performance.loc["calibration_slope", "apparent"] - 1) < 1e-8
assert abs(performance.loc["calibration_intercept", "apparent"]) < 1e-8
assert abs(p_dev.mean() - prevalence_sample) < 1e-10  # score equations of ML logistic
np.testing.assert_allclose(
    performance["corrected"], performance["apparent"] - performance["optimism"], atol=1e-12
)
c_corrected = performance.loc["c_statistic", "corrected"]
assert 0.5 < c_corrected < performance.loc["c_statistic", "apparent"]  # optimism is positive

# %% [markdown]
# **Against the truth.** The simulator's outcome model has an odds ratio of 3.0 for LBP before
# and 0.8 for strength training (the other predictors enter the true model through thresholds
# such as "BMI > 24", so their coefficients are not directly comparable). Oversampling cases
# changes the intercept of a logistic model but not its odds ratios, so the 95 % intervals
# should contain the true values.

# %%
coefficients = dev.coefficients.set_index("term")
print(coefficients.round(3))
for term, key in (("prior_lbp", "prior_lbp"), ("strength_training", "strength_training")):
    true_log_or = np.log(truth["odds_ratios"][key])
    assert coefficients.loc[term, "ci_low"] < true_log_or < coefficients.loc[term, "ci_high"]

# %% [markdown]
# ## 3. Calibration
#
# Calibration asks whether a predicted 40 % means 40 of 100 such runners have the outcome.
# The plot shows the observed proportion in tenths of predicted risk (Wilson intervals) and a
# lowess curve against the diagonal. The **calibration slope** after optimism correction
# (below 1) says how much the model's predictions are too extreme for new runners — a
# shrinkage factor; the **calibration intercept** (calibration-in-the-large) says whether the
# average risk is right. Both are internal: they say nothing about another clinic, whose
# prevalence will differ (section 7).

# %%
print(dev.calibration.summary())
print(
    f"calibration slope: apparent {performance.loc['calibration_slope', 'apparent']:.3f}, "
    f"corrected {performance.loc['calibration_slope', 'corrected']:.3f}; "
    f"intercept corrected {performance.loc['calibration_intercept', 'corrected']:.3f}"
)
fig, ax = plt.subplots(figsize=(5, 5))
dev.calibration.plot(ax=ax)

groups = dev.calibration.to_frame()
assert int(groups["n"].sum()) == len(survey)
assert int(groups["events"].sum()) == int(survey["lbp_12m"].sum())
np.testing.assert_allclose(groups["observed"], groups["events"] / groups["n"], rtol=1e-12)
assert ((groups["ci_low"] <= groups["observed"]) & (groups["observed"] <= groups["ci_high"])).all()

# %% [markdown]
# ## 4. Decision curve
#
# A clinic acts (advice, a check-up) for runners whose risk is at least a threshold *pₜ*. The
# net benefit counts true positives and charges false positives at the odds *pₜ/(1 − pₜ)*
# that the threshold implies: NB = TP/n − FP/n × *pₜ*/(1 − *pₜ*). The model is useful at a
# threshold where its net benefit is above both "act for everyone" and "act for no one". The
# curve is computed on the development data, with bootstrap intervals; an external validation
# would be needed before any use.

# %%
decision = dev.decision
curve = decision.to_frame()
useful = decision.useful_range()
print(f"model beats both default strategies for thresholds {useful[0]:.2f} to {useful[1]:.2f}")
fig, ax = plt.subplots(figsize=(6, 4))
decision.plot(ax=ax)

# Recompute three points by hand from the model's predictions (Vickers & Elkin 2006).
y = survey["lbp_12m"].astype(float).to_numpy()
nb = curve.pivot(index="threshold", columns="strategy", values="net_benefit")
for pt in (0.2, 0.4, 0.6):
    treat = p_dev >= pt
    tp, fp = np.sum(treat & (y == 1)), np.sum(treat & (y == 0))
    by_hand = tp / len(y) - fp / len(y) * pt / (1 - pt)
    all_hand = prevalence_sample - (1 - prevalence_sample) * pt / (1 - pt)
    row = nb.loc[np.isclose(nb.index, pt)].iloc[0]
    assert abs(row["model"] - by_hand) < 1e-12 and abs(row["all"] - all_hand) < 1e-12
assert abs(nb.iloc[0]["model"] - prevalence_sample) < 1e-12  # pt = 0: NB = prevalence

# %% [markdown]
# ## 5. Save the model file, and load it back safely
#
# `model.save` writes one UTF-8 JSON document: format and version, the lbprun version, the
# feature schema (units, development ranges, reference values, spline knots), coefficients
# and covariance, risk bands, the development summary and the validation table, and a SHA-256
# checksum of the content. It is written to the working directory.

# %%
path = Path("lbp_clinic_model.json")
model.save(path)
document = json.loads(path.read_text(encoding="utf-8"))
print(f"{path} ({path.stat().st_size:,} bytes):", sorted(document))
print(
    "format",
    document["format"],
    document["format_version"],
    "| checksum",
    document["checksum"]["algorithm"],
    document["checksum"]["value"][:16],
    "...",
)
print("design:", document["model"]["design_names"])
assert document["format"] == "lbprun-risk-model"
assert document["model"]["label"] == dev.label

# %% [markdown]
# **Loading never runs code.** `lbprun.load_model` reads JSON and nothing else — no pickle,
# no `eval`, no import of names found in the file — and checks the document against the JSON
# Schema that lbprun ships (`lbprun/clinic/model_schema.json`, also printed by
# `lbprun model schema`), then the checksum, then the
# internal consistency of the content. Below, three files are refused with a `ModelFileError`:
# a pickle whose loading *would* create a file (the file never appears), a document with one
# coefficient changed (checksum), and one with a field the schema does not allow.

# %%
schema_file = resources.files("lbprun").joinpath("clinic/model_schema.json")
schema = json.loads(schema_file.read_text(encoding="utf-8"))
print("schema:", schema["$schema"], "| required:", schema["required"])


class WouldRunCode:
    """Unpickling this object would call io.open("pwned.txt", "w")."""

    def __reduce__(self):
        return (io.open, ("pwned.txt", "w"))


Path("model.pkl").write_bytes(pickle.dumps(WouldRunCode()))
tampered = json.loads(path.read_text(encoding="utf-8"))
tampered["model"]["coefficients"][1] += 0.5
Path("tampered.json").write_text(json.dumps(tampered), encoding="utf-8")
extra = json.loads(path.read_text(encoding="utf-8"))
extra["model"]["run_on_load"] = "__import__('os').system('echo pwned')"
Path("extra_field.json").write_text(json.dumps(extra), encoding="utf-8")

for bad in ("model.pkl", "tampered.json", "extra_field.json"):
    try:
        lbprun.load_model(bad)
    except lbprun.ModelFileError as error:
        print(f"refused {bad}: {str(error)[:150]}")
    else:
        raise AssertionError(f"{bad} was loaded")
assert not Path("pwned.txt").exists()  # nothing in the pickle was executed
for bad in ("model.pkl", "tampered.json", "extra_field.json"):
    Path(bad).unlink()  # the demonstration files are not needed any more

# %% [markdown]
# The genuine file loads, and the loaded model reproduces the fitted model's predictions for
# all 2,500 runners to 1e-12 (in fact exactly: floats are written with Python's `repr`, which
# round-trips every double).

# %%
loaded = lbprun.load_model(path)
x_fit, x_loaded = model.design_matrix(survey), loaded.design_matrix(survey)
eta_fit, eta_loaded = model.linear_predictor(x_fit), loaded.linear_predictor(x_loaded)
print(f"largest difference in the linear predictor: {np.max(np.abs(eta_fit - eta_loaded)):.1e}")
np.testing.assert_allclose(eta_loaded, eta_fit, rtol=0, atol=1e-12)
np.testing.assert_allclose(loaded.score(survey).table["probability"], p_dev, rtol=0, atol=1e-12)
assert loaded.design_names == model.design_names and loaded.label == model.label

# %% [markdown]
# ## 6. Score one runner
#
# A 45-year-old man, BMI 23, with LBP before, no strength training, 40 km a week and a largest
# recent weekly increase of 35 %. The score gives the probability with its 95 % interval (delta
# method on the log-odds scale), the risk band (relative to the development population's
# average risk: below half of it "low", above 1.5 times "high"), and each factor's
# contribution in log odds against the **reference runner** (reference levels, median values,
# "no" for yes/no factors). The label travels with every score.

# %%
runner = {
    "runner_id": "R1",
    "age": 45,
    "sex": "M",
    "bmi": 23.0,
    "prior_lbp": True,
    "strength_training": False,
    "weekly_km": 40.0,
    "max_weekly_increase_pct": 35.0,
}
scored = loaded.score(runner)
print(scored.summary())
scored.plot()

row = scored.to_frame().iloc[0]
p, low, high = loaded.predict_one(runner)
assert (p, low, high) == (row["probability"], row["ci_low"], row["ci_high"])  # same bits
assert scored.notes[0] == dev.label  # the label heads the notes

# The contributions add up to the runner's log odds minus the reference runner's.
x_runner = loaded.design_matrix(pd.DataFrame([runner]))
eta_runner = loaded.linear_predictor(x_runner)[0]
eta_reference = loaded.linear_predictor(loaded.reference_design()[None, :])[0]
assert abs(scored.contributions["log_odds"].sum() - (eta_runner - eta_reference)) < 1e-12

# The interval, recomputed from the coefficients and covariance stored in the file.
beta = np.array(document["model"]["coefficients"])
cov = np.array(document["model"]["covariance"])
eta = float(x_runner[0] @ beta)
se = float(np.sqrt(x_runner[0] @ cov @ x_runner[0]))
z = 1.959963984540054
expected = 1 / (1 + np.exp(-np.array([eta, eta - z * se, eta + z * se])))
np.testing.assert_allclose([p, low, high], expected, rtol=1e-12)

# %% [markdown]
# ## 7. The same score from the command line
#
# `lbprun score` reads the same model file and prints the same result; `--json` gives the
# `RiskScore` as JSON. The scores must agree with Python's to the last bit.

# %%
Path("runner.json").write_text(json.dumps(runner), encoding="utf-8")
done = subprocess.run(
    [
        sys.executable,
        "-m",
        "lbprun",
        "score",
        "--model",
        str(path),
        "--runner",
        "runner.json",
        "--json",
    ],
    capture_output=True,
    text=True,
)
assert done.returncode == 0, done.stderr
cli = json.loads(done.stdout)["table"][0]
print({k: cli[k] for k in ("runner_id", "probability", "ci_low", "ci_high", "band")})
assert (cli["probability"], cli["ci_low"], cli["ci_high"]) == (p, low, high)
assert cli["band"] == row["band"]
Path("runner.json").unlink()

# %% [markdown]
# ## 8. Going further: from the sample to the population
#
# The survey sampled runners with LBP at twice the rate of the others, so the model's risks
# describe the **sample** (43 % with LBP), not the population (27.1 %). Because sampling
# depended only on the outcome, the odds ratios are unbiased and only the intercept is off, by
# log 2 (the known sampling ratio, from the survey's design). Shifting the intercept by −log 2
# and averaging the risks with the survey weights should give back the true population
# prevalence. We accept a difference of 2 percentage points (the design-based standard error
# of the weighted prevalence, from `lbprun.prevalence` with the survey design, is 0.8 points).
#
# `model.recalibrate(prevalence)` does the clinic's version of this step: it shifts the
# intercept so that the mean predicted risk over the development runners equals a prevalence
# the clinic knows. Only the intercept changes, so every odds ratio and every ranking of
# runners stays the same.

# %%
eta_sample = model.linear_predictor(x_fit)
p_population = 1 / (1 + np.exp(-(eta_sample - np.log(2))))
weights = survey["weight"].to_numpy()
weighted_mean = float(np.sum(weights * p_population) / np.sum(weights))
print(
    f"survey-weighted mean risk after the log 2 shift: {weighted_mean:.1%} "
    f"(true population prevalence {truth['prevalence']['lbp_12m']:.1%})"
)
assert abs(weighted_mean - truth["prevalence"]["lbp_12m"]) < 0.02

clinic_model = loaded.recalibrate(truth["prevalence"]["lbp_12m"])
p_clinic = clinic_model.predict_one(runner)[0]
print(
    f"intercept shift: {clinic_model.intercept_shift:+.3f} by recalibrate(), "
    f"{-np.log(2):+.3f} from the sampling ratio"
)
print(f"runner R1: {p:.1%} in the sample's terms, {p_clinic:.1%} after recalibration")
recal = clinic_model.score(survey).table["probability"].to_numpy()
# recalibrate() averages over 1000 stored quantiles of the development linear predictor,
# not the 2,500 rows themselves: the row mean matches to within 2e-4.
assert abs(recal.mean() - truth["prevalence"]["lbp_12m"]) < 2e-4
np.testing.assert_array_equal(np.argsort(recal, kind="stable"), np.argsort(p_dev, kind="stable"))
assert clinic_model.label == dev.label

# %% [markdown]
# The two shifts differ: `recalibrate()` averages over the **sample's** runners, who are
# enriched in runners with LBP and hence in their risk factors, so it needs a larger shift
# (about −0.78) than the sampling ratio implies (−log 2 ≈ −0.69). When, as here, the sampling
# ratio is known, the log 2 correction is the principled one; when only a clinic's prevalence
# is known, `recalibrate(prevalence, data=clinic_runners)` averages over that clinic's own
# runners instead. Either way, the ranking of runners, the C statistic and the decision curve's
# ordering do not change; the risk bands and any absolute threshold do.
