"""Scoring from a training log: load predictors before the index date, never after it."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

import lbprun
from lbprun._checks import ArgumentError
from lbprun.clinic import RiskModel
from lbprun.clinic._history import load_values
from lbprun.exceptions import ExtrapolationWarning
from lbprun.models._design_matrix import build_spec

INDEX = pd.Timestamp("2025-06-01")  # a Sunday: the load weeks run Sunday to Saturday
LOAD = ["weekly_km", "max_weekly_increase_pct", "acwr", "shoe_km"]


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(11)
    n = 600
    data = pd.DataFrame(
        {
            "age": rng.uniform(18, 75, n).round(0),
            "weekly_km": rng.gamma(3.0, 12.0, n).round(1),
            "max_weekly_increase_pct": rng.uniform(-50, 300, n).round(0),
            "acwr": rng.uniform(0.0, 3.0, n),
            "shoe_km": rng.uniform(0, 2000, n).round(0),
        }
    )
    lp = -2 + 0.01 * data["weekly_km"] + 0.004 * data["max_weekly_increase_pct"]
    lp = lp + 0.4 * data["acwr"] + 0.0003 * data["shoe_km"]
    data["y"] = (rng.uniform(size=n) < special.expit(lp)).astype(int)
    spec = build_spec(data, ["age", *LOAD])
    fit = sm.Logit(data["y"].to_numpy(float), spec.transform(data)).fit(disp=0)
    return RiskModel.from_design(spec, fit.params, fit.cov_params(), data, outcome="y")


def _log(seed: int, runners=("a", "b", "c")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-03-01", "2025-06-30")
    parts = []
    for i, rid in enumerate(runners):
        ran = rng.uniform(size=len(days)) < 0.55 + 0.1 * i
        dates = days[ran]
        parts.append(
            pd.DataFrame(
                {
                    "runner_id": rid,
                    "date": dates,
                    "distance_km": rng.uniform(3, 25, len(dates)).round(1),
                    "duration_min": 60.0,
                    "shoe_id": rng.choice(["old", "new"], len(dates)),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _by_hand(log: pd.DataFrame, rid: str) -> dict[str, float]:
    """The four load predictors of one runner, from plain pandas sums."""
    runs = log[(log["runner_id"] == rid) & (log["date"] < INDEX)]
    daily = runs.groupby("date")["distance_km"].sum()
    grid = daily.reindex(
        pd.date_range(INDEX - pd.Timedelta(days=35), INDEX - pd.Timedelta(days=1))
    )
    grid = grid.fillna(0.0).to_numpy()
    weeks = grid.reshape(5, 7).sum(axis=1)  # weeks[0] is the baseline week before the window
    changes = [100 * (weeks[k] - weeks[k - 1]) / weeks[k - 1] for k in range(1, 5) if weeks[k - 1]]
    acute, chronic = grid[-7:].mean(), grid[7:28].mean()
    shod = runs.dropna(subset=["shoe_id"]).sort_values("date")
    shoe = shod["shoe_id"].iloc[-1]
    return {
        "weekly_km": weeks[1:].sum() / 4,
        "max_weekly_increase_pct": max(changes) if changes else np.nan,
        "acwr": acute / chronic,
        "shoe_km": shod.loc[shod["shoe_id"] == shoe, "distance_km"].sum(),
    }


def _with_workload_functions(log: pd.DataFrame, rid: str) -> dict[str, float]:
    """The same predictors from lbprun's workload functions, called directly."""
    before = log[(log["runner_id"] == rid) & (log["date"] < INDEX)]
    weeks = lbprun.load_spikes(before, week_start="sunday")
    window = weeks[
        (weeks["week_start"] >= INDEX - pd.Timedelta(days=28)) & (weeks["week_start"] < INDEX)
    ]
    daily = lbprun.acwr(before, acute=7, chronic=28, coupled=False)
    shoes = lbprun.shoe_mileage(before)
    return {
        "weekly_km": window["distance_km"].sum() / 4,
        "max_weekly_increase_pct": window["progression_pct"].max(),
        "acwr": float(daily.loc[daily["date"] == INDEX - pd.Timedelta(days=1), "acwr"].iloc[0]),
        "shoe_km": float(shoes.sort_values("date")["shoe_km"].iloc[-1]),
    }


def _score(model, runner, **kwargs) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return model.score(runner, **kwargs).to_frame()["probability"].to_numpy()


def test_log_predictors_equal_hand_and_workload_computations():
    log = _log(1)
    derived = load_values(log, INDEX).set_index("runner_id")
    for rid in ("a", "b", "c"):
        hand, work = _by_hand(log, rid), _with_workload_functions(log, rid)
        for name in LOAD:
            assert derived.loc[rid, name] == pytest.approx(hand[name], rel=1e-12), (rid, name)
            assert derived.loc[rid, name] == pytest.approx(work[name], rel=1e-12), (rid, name)


def test_score_from_log_equals_score_from_hand_predictors(model):
    log = _log(2)
    runners = pd.DataFrame({"runner_id": ["c", "a", "b"], "age": [30.0, 50.0, 41.0]})
    from_log = _score(model, runners, activities=log, index_date="2025-06-01")
    by_hand = runners.assign(**{n: [_by_hand(log, r)[n] for r in runners["runner_id"]]
                                for n in LOAD})  # fmt: skip
    assert np.allclose(from_log, _score(model, by_hand), rtol=1e-12, atol=0)


def test_one_runner_without_id_takes_a_single_runner_log(model):
    log = _log(3, runners=("solo",))
    one = _score(model, {"age": 35.0}, activities=log, index_date=INDEX)
    hand = _score(model, {"age": 35.0, **_by_hand(log, "solo")})
    assert one[0] == pytest.approx(hand[0], rel=1e-12)


def _after(draw_runs):
    return st.lists(
        st.tuples(
            st.sampled_from(["a", "b"]),
            st.integers(0, 40),
            st.floats(0.0, 60.0, allow_nan=False),
            st.sampled_from(["old", "new", None]),
        ),
        max_size=draw_runs,
    )


@settings(max_examples=20)
@given(
    extra=_after(12),
    drop_after=st.booleans(),
    scale=st.floats(0.0, 5.0, allow_nan=False),
)
def test_runs_on_or_after_the_index_date_never_change_the_score(model, extra, drop_after, scale):
    log = _log(4, runners=("a", "b"))
    runners = pd.DataFrame({"runner_id": ["a", "b"], "age": [33.0, 58.0]})
    base = _score(model, runners, activities=log[log["date"] < INDEX], index_date=INDEX)
    changed = log.copy()
    later = changed["date"] >= INDEX
    changed.loc[later, "distance_km"] = changed.loc[later, "distance_km"] * scale
    changed.loc[later, "shoe_id"] = "brand-new"
    if drop_after:
        changed = changed[~later]
    added = pd.DataFrame(
        {
            "runner_id": [r for r, _, _, _ in extra],
            "date": [INDEX + pd.Timedelta(days=d) for _, d, _, _ in extra],
            "distance_km": [km for _, _, km, _ in extra],
            "duration_min": 30.0,
            "shoe_id": pd.Series([s for *_, s in extra], dtype=object),
        }
    )
    changed = pd.concat([changed, added], ignore_index=True) if len(added) else changed
    after = _score(model, runners, activities=changed, index_date=INDEX)
    assert np.array_equal(base, after)


def test_errors_name_the_problem(model):
    log = _log(5)
    with pytest.raises(ArgumentError, match="index_date must be given"):
        model.score({"runner_id": "a", "age": 30.0}, activities=log)
    with pytest.raises(ArgumentError, match="must not give \\['weekly_km'\\]"):
        model.score({"runner_id": "a", "age": 30.0, "weekly_km": 20.0}, activities=log,
                    index_date=INDEX)  # fmt: skip
    with pytest.raises(ArgumentError, match="got none for \\['zz'\\]"):
        model.score({"runner_id": "zz", "age": 30.0}, activities=log, index_date=INDEX)
    with pytest.raises(ArgumentError, match="must give runner_id"):
        model.score({"age": 30.0}, activities=log, index_date=INDEX)
    with pytest.raises(ArgumentError, match="index_date must be a date"):
        model.score({"runner_id": "a", "age": 30.0}, activities=log, index_date="soon")
