"""Fixtures of the risk-factor model tests: the reference survey with the derived terms of
``logistic_survey.json``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

#: Predictors of the reference model, in R's order (sex has reference level F).
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


def derive_terms(raw: pd.DataFrame) -> pd.DataFrame:
    """Add the derived terms listed under ``derived`` in logistic_survey.json."""
    data = raw.copy()
    data["km10"] = (data["weekly_km"] - 30) / 10
    data["spike30"] = (data["max_weekly_increase_pct"] > 30).astype(int)
    data["shoe800"] = (data["shoe_km"] > 800).astype(int)
    data["asphalt"] = (data["surface"] == "asphalt").astype(int)
    data["bmi24"] = np.where(data["bmi"].isna(), np.nan, data["bmi"] > 24)
    data["yrs6"] = (data["years_running"] > 6).astype(int)
    return data


@pytest.fixture(scope="package")
def survey(reference_dir) -> pd.DataFrame:
    """The reference survey with derived terms."""
    return derive_terms(pd.read_csv(reference_dir / "runner_survey.csv"))


@pytest.fixture(scope="package")
def predictors() -> list[str]:
    """Predictors of the reference model."""
    return list(PREDICTORS)
