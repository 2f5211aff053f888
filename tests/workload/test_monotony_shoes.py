"""training_monotony, shoe_mileage and surface_share on hand-computed logs."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from workload_logs import log

from lbprun._checks import ArgumentError
from lbprun.exceptions import DataQualityWarning
from lbprun.workload.monotony import training_monotony
from lbprun.workload.shoes import shoe_mileage, surface_share


def test_monotony_population_and_sample_sd():
    runs = log(
        [("a", f"2024-01-0{d + 1}", k) for d, k in enumerate([10.0, 0, 10, 0, 10, 0, 5]) if k]
    )
    row = training_monotony(runs).iloc[0]
    # daily loads 10, 0, 10, 0, 10, 0, 5: mean 5, squared deviations sum to 150
    assert row["weekly_load"] == 35.0
    assert row["mean_daily_load"] == 5.0
    assert row["sd_daily_load"] == pytest.approx(math.sqrt(150 / 7))
    assert row["monotony"] == pytest.approx(5 / math.sqrt(150 / 7))
    assert row["strain"] == pytest.approx(35 * 5 / math.sqrt(150 / 7))
    sample = training_monotony(runs, ddof=1).iloc[0]
    assert sample["sd_daily_load"] == pytest.approx(5.0)
    assert sample["monotony"] == pytest.approx(1.0)
    assert sample["strain"] == pytest.approx(35.0)


def test_monotony_sums_runs_of_a_day_and_counts_rest_days_of_partial_weeks():
    runs = log([("a", "2024-01-03", 4.0), ("a", "2024-01-03", 2.0), ("a", "2024-01-04", 6.0)])
    row = training_monotony(runs).iloc[0]
    # the week Mon 1 - Sun 7 January: 0, 0, 6, 6, 0, 0, 0
    mean = 12 / 7
    sd = math.sqrt((2 * (6 - mean) ** 2 + 5 * mean**2) / 7)
    assert row["sd_daily_load"] == pytest.approx(sd)
    assert row["monotony"] == pytest.approx(mean / sd)


def test_monotony_missing_when_sd_is_zero():
    every_day = log([("a", d, 5.0) for d in pd.date_range("2024-01-01", periods=14)])
    gap = log([("b", "2024-01-01", 5.0), ("b", "2024-01-15", 5.0)])
    out = training_monotony(pd.concat([every_day, gap]))
    a = out[out["runner_id"] == "a"]
    assert a["monotony"].isna().all() and a["strain"].isna().all()
    assert (a["sd_daily_load"] == 0).all()
    b = out[out["runner_id"] == "b"]
    assert len(b) == 3
    assert np.isnan(b["monotony"].iloc[1]) and b["weekly_load"].iloc[1] == 0.0
    with pytest.raises(ArgumentError, match="ddof must be 0 or 1"):
        training_monotony(gap, ddof=2)


def shoe_log() -> pd.DataFrame:
    runs = log(
        [
            ("a", "2024-01-01", 300.0),
            ("a", "2024-01-02", 100.0),
            ("a", "2024-01-03", 300.0),
            ("a", "2024-01-04", 250.0),
            ("b", "2024-01-01", 50.0),
            ("a", "2024-01-05", 9.0),
        ]
    )
    runs["shoe_id"] = ["s1", "s2", "s1", "s1", "s1", None]
    return runs


def test_shoe_mileage_by_hand():
    with pytest.warns(DataQualityWarning, match="1 run"):
        out = shoe_mileage(shoe_log())
    assert out[["runner_id", "shoe_id"]].values.tolist() == [
        ["a", "s1"],
        ["a", "s1"],
        ["a", "s1"],
        ["a", "s2"],
        ["b", "s1"],  # same label, other runner: another pair
    ]
    assert out["shoe_km"].tolist() == [300.0, 600.0, 850.0, 100.0, 50.0]
    assert out["past_limit"].tolist() == [False, False, True, False, False]
    assert out.attrs["notes"] == ("1 run(s) without a shoe_id were excluded.",)
    exact = shoe_mileage(shoe_log().dropna(subset=["shoe_id"]), limit_km=600)
    assert exact["past_limit"].tolist() == [False, False, True, False, False]  # 600 is not past
    with pytest.raises(ArgumentError, match="limit_km must be a positive number"):
        shoe_mileage(shoe_log(), limit_km=0)


def test_surface_share_by_runner_and_week():
    runs = log(
        [
            ("a", "2024-01-01", 6.0),
            ("a", "2024-01-02", 2.0),
            ("a", "2024-01-10", 4.0),
            ("b", "2024-01-01", 5.0),
            ("b", "2024-01-02", 5.0),
        ]
    )
    runs["surface"] = ["trail", "asphalt", "trail", "grass", None]
    with pytest.warns(DataQualityWarning, match="without a surface"):
        out = surface_share(runs)
    assert list(out.columns) == ["runner_id", "asphalt", "trail", "grass"]
    # runner a: asphalt 2 km, trail 6 + 4 km
    assert out.loc[0, ["asphalt", "trail", "grass"]].tolist() == pytest.approx(
        [2 / 12, 10 / 12, 0]
    )
    assert out.loc[1, ["asphalt", "trail", "grass"]].tolist() == [0.0, 0.0, 1.0]
    np.testing.assert_allclose(out[["asphalt", "trail", "grass"]].sum(axis=1), 1.0)
    with pytest.warns(DataQualityWarning):
        weekly = surface_share(runs, by="week")
    assert weekly["week_start"].tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-08"),
        pd.Timestamp("2024-01-01"),
    ]
    assert weekly.loc[0, ["asphalt", "trail"]].tolist() == [0.25, 0.75]
    assert weekly.loc[1, "trail"] == 1.0
    with pytest.raises(ArgumentError, match="by must be one of"):
        surface_share(runs, by="month")
