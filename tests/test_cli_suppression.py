"""The prevalence and incidence commands suppress small cells in every output by default."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import lbprun
from lbprun.cli import main


@pytest.fixture
def survey(tmp_path):
    """A survey with a treadmill group of 3 runners with LBP out of 43."""
    rng = np.random.default_rng(7)
    rows = []
    for surface, n, cases in (("asphalt", 300, 90), ("treadmill", 43, 3), ("trail", 160, 40)):
        for i in range(n):
            rows.append(
                {
                    "runner_id": f"{surface}-{i}",
                    "sex": rng.choice(["F", "M"]),
                    "age": int(rng.integers(20, 60)),
                    "surface": surface,
                    "lbp_12m": int(i < cases),
                }
            )
    path = tmp_path / "survey.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def _treadmill(table: pd.DataFrame) -> pd.Series:
    return table[table["group"].astype(str) == "treadmill"].iloc[0]


def test_every_prevalence_output_hides_the_three_cases(survey, tmp_path, capsys):
    base = ["prevalence", str(survey), "--by", "surface"]
    assert main([*base, "--csv"]) == 0
    shown = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    row = _treadmill(shown)
    assert row["cases"] == "<11" and row["estimate"] == "suppressed"
    assert main([*base, "--json"]) == 0
    table = pd.DataFrame(json.loads(capsys.readouterr().out)["table"])
    assert _treadmill(table)["cases"] == "<11"
    assert main(base) == 0
    text = capsys.readouterr().out
    assert "<11" in text and "--no-suppress" in text
    assert f"{3 / 43:.6f}"[:6] not in text
    for suffix in ("csv", "xlsx"):
        out = tmp_path / f"prevalence.{suffix}"
        assert main([*base, "--out", str(out), "--csv"]) == 0
        capsys.readouterr()
        written = pd.read_csv(out) if suffix == "csv" else pd.read_excel(out)
        assert _treadmill(written)["cases"] == "<11"
        assert "3" not in written["cases"].astype(str).tolist()


def test_no_suppress_shows_the_numbers_of_the_python_api(survey, capsys):
    assert main(["prevalence", str(survey), "--by", "surface", "--csv", "--no-suppress"]) == 0
    shown = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    expected = lbprun.prevalence(lbprun.read_survey(survey), "lbp_12m", by="surface")
    np.testing.assert_allclose(shown["estimate"], expected.to_frame()["estimate"], atol=1e-12)
    assert int(_treadmill(shown)["cases"]) == 3


def test_a_lower_threshold_and_a_bad_one(survey, capsys):
    base = ["prevalence", str(survey), "--by", "surface", "--csv"]
    assert main([*base, "--threshold", "3"]) == 0
    assert (
        int(_treadmill(pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out)))["cases"]) == 3
    )
    assert main([*base, "--threshold", "1"]) == 2
    assert "--threshold" in capsys.readouterr().err


def test_incidence_hides_small_event_counts_their_rates_and_rate_ratios(tmp_path, capsys):
    cohort = lbprun.datasets.load_example_cohort()
    runs = lbprun.datasets.load_example_activities()
    cohort = cohort.assign(sex=np.where(np.arange(len(cohort)) < 15, "F", "M"))
    cohort.to_csv(tmp_path / "cohort.csv", index=False)
    runs.to_csv(tmp_path / "runs.csv", index=False)
    truth = lbprun.cumulative_incidence(cohort, by="sex").to_frame()
    small = int(truth.loc[truth["group"] == "F", "events"].iloc[0])
    argv = ["incidence", str(tmp_path / "cohort.csv"), str(tmp_path / "runs.csv"), "--by", "sex"]
    assert main([*argv, "--csv", "--reference", "F"]) == 0
    shown = pd.read_csv(pd.io.common.StringIO(capsys.readouterr().out))
    assert 0 < small < 11  # 15 women: a small count of onsets
    women = shown[shown["group"].astype(str) == "F"]
    assert len(women) == 2  # cumulative incidence and rate
    assert set(women["events"].astype(str)) == {"<11"}
    assert set(women["estimate"].astype(str)) == {"suppressed"}
    ratio = shown[shown["measure"] == "rate_ratio"].iloc[0]  # men against women
    assert ratio["estimate"] == ratio["reference_events"] == "suppressed"
