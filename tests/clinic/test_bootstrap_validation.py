"""Internal validation: apparent performance as rms::val.prob, Harrell's bootstrap and
cross-validation (seeded, independent of the number of workers, failures counted)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tolerances import ITERATIVE_REL

from lbprun.clinic._bootstrap import internal_validation
from lbprun.clinic._dev_fit import refit
from lbprun.clinic._dev_performance import LABELS
from lbprun.clinic.develop import develop_risk_model
from lbprun.exceptions import SparseDataWarning
from lbprun.measures.survey import SurveyDesign
from lbprun.models.calibration import concordance

#: Predictors of the reference model (logistic_survey.json), sex with reference level F.
PREDICTORS = [
    "km10",
    "spike30",
    "shoe800",
    "asphalt",
    "bmi24",
    "yrs6",
    "prior_lbp",
    "strength_training",
    "sex",
    "age",
]


@pytest.fixture(scope="module")
def survey(reference_dir) -> pd.DataFrame:
    """The reference survey with the derived terms of logistic_survey.json."""
    data = pd.read_csv(reference_dir / "runner_survey.csv")
    data["km10"] = (data["weekly_km"] - 30) / 10
    data["spike30"] = (data["max_weekly_increase_pct"] > 30).astype(int)
    data["shoe800"] = (data["shoe_km"] > 800).astype(int)
    data["asphalt"] = (data["surface"] == "asphalt").astype(int)
    data["bmi24"] = np.where(data["bmi"].isna(), np.nan, data["bmi"] > 24)
    data["yrs6"] = (data["years_running"] > 6).astype(int)
    return data


def _develop(survey, **kwargs):
    options = {"n_bootstrap": 30, "n_jobs": 1, "progress": False, "seed": 7}
    options.update(kwargs)
    return develop_risk_model(
        survey, "lbp_12m", PREDICTORS, reference_levels={"sex": "F"}, **options
    )


def test_apparent_performance_matches_rms_val_prob(survey, expected_dir):
    expected = json.loads((expected_dir / "calibration_survey.json").read_text())
    dev = _develop(survey, validation="none")
    apparent = dev.to_frame().set_index("statistic")["apparent"]
    values = {LABELS[k]: v for k, v in apparent.items()}
    for key in ("R2", "Brier", "Emax", "Eavg", "E90"):
        np.testing.assert_allclose(values[key], expected[key], rtol=ITERATIVE_REL)
    for key in ("Intercept", "Slope"):
        np.testing.assert_allclose(values[key], expected[key], atol=1e-9)
    # C and Dxy: half a near-tied pair (as test_val_prob_matches_rms)
    for key in ("C (ROC)", "Dxy"):
        np.testing.assert_allclose(values[key], expected[key], atol=2e-6)
    assert dev.validation["method"] == "none"


def test_bootstrap_is_seeded_and_independent_of_workers(survey):
    one = _develop(survey, n_jobs=1)
    two = _develop(survey, n_jobs=2)
    again = _develop(survey, n_jobs=1)
    other = _develop(survey, n_jobs=1, seed=8)
    columns = ["apparent", "optimism", "corrected", "n"]
    pd.testing.assert_frame_equal(one.to_frame()[columns], two.to_frame()[columns])
    pd.testing.assert_frame_equal(one.to_frame()[columns], again.to_frame()[columns])
    assert not np.allclose(one.to_frame()["optimism"], other.to_frame()["optimism"])
    table = one.to_frame().set_index("statistic")
    assert table.loc["c_statistic", "corrected"] < table.loc["c_statistic", "apparent"]
    assert table.loc["calibration_slope", "corrected"] < table.loc["calibration_slope", "apparent"]
    assert table.loc["nagelkerke_r2", "corrected"] < table.loc["nagelkerke_r2", "apparent"]
    # optimism = training - test, corrected = apparent - optimism
    np.testing.assert_allclose(table["optimism"], table["training"] - table["test"], atol=1e-12)
    np.testing.assert_allclose(table["corrected"], table["apparent"] - table["optimism"])
    assert (table["n"] == 30).all()
    assert one.validation["successful"] == one.validation["requested"] == 30
    assert len(one.replicates) == 30 and one.replicates["failed"].isna().all()
    # the bootstrap slope is a shrinkage factor: about 0.96 for 10 parameters, 598 events
    assert 0.9 < table.loc["calibration_slope", "corrected"] < 1.0


def test_cross_validation_is_seeded(survey):
    first = _develop(survey, validation="cv", folds=5, repeats=2)
    again = _develop(survey, validation="cv", folds=5, repeats=2, n_jobs=2)
    pd.testing.assert_frame_equal(first.to_frame(), again.to_frame())
    table = first.to_frame().set_index("statistic")
    assert (table["n"] == 10).all()
    assert first.validation["folds"] == 5 and first.validation["repeats"] == 2
    assert table.loc["c_statistic", "corrected"] < table.loc["c_statistic", "apparent"]
    assert set(first.replicates["fold"]) == set(range(5))


def test_failed_refits_are_counted_not_dropped():
    # a level seen in only 3 of 200 rows: many resamples lack it (rank-deficient design)
    rng = np.random.default_rng(4)
    n = 200
    data = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "group": np.where(np.arange(n) < 3, "rare", "common"),
        }
    )
    data["y"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-data["x"]))).astype(int)
    with pytest.warns(SparseDataWarning):  # 200 rows, Riley's minimum is higher
        dev = develop_risk_model(
            data, "y", ["x", "group"], n_bootstrap=40, n_jobs=1, progress=False
        )
    v = dev.validation
    failed = v["requested"] - v["successful"]
    # P(a resample lacks all 3 rare rows) = (197/200)^200 = 0.048 ... each replicate
    # also fails when the rare rows are all events or all non-events (separation)
    assert failed >= 1
    assert sum(v["failures"].values()) == failed
    assert set(v["failures"]) <= {"rank-deficient design", "separation", "no convergence"}
    assert (dev.to_frame()["n"] <= v["successful"]).all()
    assert dev.replicates["failed"].notna().sum() == failed
    assert any(f"{failed} of 40 refits failed" in note for note in dev.notes)


@pytest.mark.slow
def test_corrected_c_is_closer_than_apparent_to_new_data_c():
    """Seeded simulation: 20 small development samples (250 runners, 2 true and 8 noise
    predictors); each model's C on 50,000 new runners is its true performance."""
    rng = np.random.default_rng(2024)
    beta = np.r_[-1.0, 0.8, -0.6, np.zeros(8)]

    def sample(n):
        x = np.column_stack([np.ones(n), rng.normal(size=(n, 10))])
        y = (rng.uniform(size=n) < 1 / (1 + np.exp(-x @ beta))).astype(float)
        return x, y

    x_new, y_new = sample(50_000)
    apparent_error, corrected_error = [], []
    for rep in range(20):
        x, y = sample(250)
        out = internal_validation(
            x, y, np.ones(y.size), None, n_bootstrap=40, seed=rep, n_jobs=1, progress=False
        )
        b, _ = refit(x, y, np.ones(y.size), None)
        c_new = concordance(x_new @ b, y_new)
        table = out.table.set_index("statistic")
        apparent_error.append(table.loc["c_statistic", "apparent"] - c_new)
        corrected_error.append(table.loc["c_statistic", "corrected"] - c_new)
    # the apparent C is optimistic on average; the corrected C is nearly unbiased
    print(
        f"mean error of C: apparent {np.mean(apparent_error):.4f}, corrected "
        f"{np.mean(corrected_error):.4f}"
    )
    assert np.mean(apparent_error) > 0.02
    assert abs(np.mean(corrected_error)) < 0.5 * np.mean(apparent_error)
    assert np.mean(np.abs(corrected_error)) < np.mean(np.abs(apparent_error))


def test_survey_design_resamples_clusters(survey):
    design = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)
    dev = develop_risk_model(
        survey,
        "lbp_12m",
        ["km10", "prior_lbp", "sex"],
        design=design,
        n_bootstrap=10,
        n_jobs=1,
        progress=False,
    )
    assert dev.validation["successful"] == 10
    assert any("unweighted" in note for note in dev.notes)
    assert dev.design is not None


def test_progress_bar_goes_to_stderr(survey, capsys):
    _develop(survey, n_bootstrap=5, progress=True)
    assert "bootstrap" in capsys.readouterr().err
    _develop(survey, n_bootstrap=5, progress=False)
    assert capsys.readouterr().err == ""
