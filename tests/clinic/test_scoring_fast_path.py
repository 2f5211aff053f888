"""The single-runner fast path: ``predict_one`` and lazily built score tables."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.clinic import load_demo_model
from lbprun.exceptions import DataValidationError, ExtrapolationWarning

RUNNER = {
    "runner_id": "R1",
    "age": 45,
    "sex": "M",
    "prior_lbp": True,
    "strength_training": False,
    "weekly_km": 40.0,
}


@pytest.fixture(scope="module")
def model():
    return load_demo_model()


@settings(max_examples=60, deadline=None)
@given(
    age=st.integers(18, 80),
    km=st.floats(5.0, 120.0),
    sex=st.sampled_from(["F", "M"]),
    prior=st.booleans(),
    level=st.sampled_from([0.8, 0.9, 0.95, 0.99]),
)
def test_predict_one_equals_score_to_0_ulp(model, age, km, sex, prior, level):
    runner = {
        "age": age,
        "sex": sex,
        "prior_lbp": prior,
        "strength_training": "no",
        "weekly_km": km,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        p, low, high = model.predict_one(runner, level=level)
        row = model.score(runner, level=level).table.iloc[0]
    assert (p, low, high) == (row["probability"], row["ci_low"], row["ci_high"])
    assert low <= p <= high


def test_one_runner_equals_its_row_in_a_batch(model):
    frame = pd.DataFrame([RUNNER, {**RUNNER, "runner_id": "R2", "age": 30}])
    batch = model.score(frame).table
    assert model.predict_one(RUNNER) == tuple(batch.iloc[0][["probability", "ci_low", "ci_high"]])


def test_lazy_tables_are_built_once_and_complete(model):
    result = model.score(RUNNER)
    assert "_pending" in result.__dict__  # nothing built yet
    table = result.table
    assert "_pending" not in result.__dict__ and result.table is table
    assert table.columns.tolist()[:7] == [
        "runner_id",
        "probability",
        "ci_low",
        "ci_high",
        "band",
        "extrapolated",
        "outside_range",
    ]
    assert result.contributions["predictor"].tolist() == list(model.predictors)
    assert result.contributions["log_odds"].sum() == pytest.approx(
        table.filter(like="contribution_").sum(axis=1).iloc[0], abs=1e-15
    )
    assert table["band"].iloc[0] == "moderate"


def test_lazy_score_copies_pickles_and_serialises(model):
    result = model.score(RUNNER)
    for other in (pickle.loads(pickle.dumps(result)), copy.copy(result)):
        pd.testing.assert_frame_equal(other.to_frame(), model.score(RUNNER).to_frame())
    assert result.to_dict()["table"][0]["runner_id"] == "R1"
    assert model.label in result.summary()
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        result.nope  # noqa: B018


def test_predict_one_checks_like_score(model):
    with pytest.raises(DataValidationError, match="age must be a number"):
        model.predict_one({**RUNNER, "age": "old"})
    with pytest.raises(ArgumentError, match="Use score"):
        model.predict_one(pd.DataFrame([RUNNER]))
    with pytest.raises(ArgumentError, match="level"):
        model.predict_one(RUNNER, level=95)
    with pytest.warns(ExtrapolationWarning, match="weekly_km"):
        p, _, _ = model.predict_one({**RUNNER, "weekly_km": 250.0})
    assert 0 < p < 1


def test_reference_row_is_cached_read_only(model):
    from lbprun.clinic.scoring import _reference_row

    row = _reference_row(model)
    assert _reference_row(model) is row and not row.flags.writeable
    np.testing.assert_array_equal(row, model.reference_design())
