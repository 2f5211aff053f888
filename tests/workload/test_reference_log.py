"""tests/reference/runner_activities.csv through every workload function."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbprun.workload.acwr import acwr, compute_workload
from lbprun.workload.exposure import exposure_summary
from lbprun.workload.monotony import training_monotony
from lbprun.workload.shoes import shoe_mileage, surface_share
from lbprun.workload.spikes import load_spikes, single_run_spikes
from lbprun.workload.weekly import weekly_load


@pytest.fixture(scope="module")
def runs(reference_dir) -> pd.DataFrame:
    frame = pd.read_csv(reference_dir / "runner_activities.csv", parse_dates=["date"])
    # the reference log has no shoes or surfaces: derive deterministic ones for the check
    code = frame["runner_id"].str[1:].astype(int)
    month = frame["date"].dt.month
    frame["shoe_id"] = "S" + (month // 4).astype(str)
    frame["surface"] = np.where((code + frame["date"].dt.day) % 3 == 0, "trail", "asphalt")
    return frame


def test_reference_log_through_every_function(runs):
    n_runners = runs["runner_id"].nunique()
    total = runs["distance_km"].sum()
    weekly = weekly_load(runs)
    assert weekly["distance_km"].sum() == pytest.approx(total)
    assert weekly["runner_id"].nunique() == n_runners
    for baseline in ("previous_week", "previous_4_weeks"):
        spikes = load_spikes(runs, baseline=baseline)
        assert spikes["progression_class"].notna().sum() > 0.5 * len(spikes)
    per_run = single_run_spikes(runs)
    assert len(per_run) == len(runs) and per_run["is_spike"].any()
    for method in ("rolling", "ewma"):
        daily = acwr(runs, method=method)
        assert daily["load"].sum() == pytest.approx(total)
        assert (daily["acwr"].dropna() >= 0).all()
    mono = training_monotony(runs)
    assert len(mono) == len(weekly)
    shoes = shoe_mileage(runs)
    assert len(shoes) == len(runs) and shoes["past_limit"].any()
    shares = surface_share(runs)
    np.testing.assert_allclose(shares[["asphalt", "trail"]].sum(axis=1), 1.0)
    index = runs.groupby("runner_id")["date"].max() - pd.Timedelta(days=60)
    summary = exposure_summary(runs, index)
    assert len(summary) == n_runners
    assert summary["max_acwr_8w"].notna().all()
    bundle = compute_workload(runs)
    pd.testing.assert_frame_equal(bundle["weekly"], weekly)


def test_empty_log_gives_empty_tables():
    empty = pd.DataFrame(
        {
            "runner_id": pd.Series([], dtype=object),
            "date": pd.Series([], dtype="datetime64[ns]"),
            "distance_km": pd.Series([], dtype=float),
            "duration_min": pd.Series([], dtype=float),
            "shoe_id": pd.Series([], dtype=object),
            "surface": pd.Series([], dtype=object),
        }
    )
    tables = [
        weekly_load(empty),
        load_spikes(empty, baseline="previous_4_weeks"),
        single_run_spikes(empty),
        acwr(empty, method="ewma"),
        training_monotony(empty),
        shoe_mileage(empty),
        surface_share(empty),
        exposure_summary(empty, pd.Series([], dtype="datetime64[ns]")),
        *compute_workload(empty).values(),
    ]
    assert all(len(table) == 0 for table in tables)
    assert "monotony" in tables[4].columns and "acwr" in tables[3].columns
