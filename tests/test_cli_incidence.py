"""``lbprun incidence``: text, JSON and CSV output against R's values; groups; exit codes."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from tolerances import COHORT_ABS

from lbprun.cli import main


@pytest.fixture(scope="module")
def files(reference_dir):
    return str(reference_dir / "runner_cohort.csv"), str(reference_dir / "runner_activities.csv")


@pytest.fixture(scope="module")
def expected(expected_dir):
    return json.loads((expected_dir / "cohort_incidence.json").read_text())


def test_cli_incidence_json_matches_poisson_test(files, expected, capsys):
    assert main(["incidence", *files, "--exposure", "hours", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    risk = payload["cumulative_incidence"]["table"][0]
    assert risk["n"] == expected["n"] and risk["events"] == expected["events"]
    assert [risk["ci_low"], risk["ci_high"]] == pytest.approx(expected["ci_exact"], abs=COHORT_ABS)
    rate = payload["incidence_rate"]["table"][0]
    assert rate["person_time"] == pytest.approx(expected["exposure_hours"], abs=COHORT_ABS)
    assert rate["estimate"] == pytest.approx(expected["rate_per_1000h"], abs=COHORT_ABS)
    assert [rate["ci_low"], rate["ci_high"]] == pytest.approx(
        expected["rate_per_1000h_ci"], abs=COHORT_ABS
    )
    assert payload["incidence_rate"]["exposure"] == "hours"


def test_cli_incidence_csv_km_matches_poisson_test(files, expected, capsys):
    assert main(["incidence", *files, "--exposure", "km", "--csv"]) == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table["measure"].tolist() == ["cumulative_incidence", "rate"]
    rate = table.set_index("measure").loc["rate"]
    assert rate["exposure"] == "km" and rate["per"] == 1000
    assert rate["estimate"] == pytest.approx(expected["rate_per_1000km"], abs=COHORT_ABS)
    assert rate["ci_high"] == pytest.approx(expected["rate_per_1000km_ci"][1], abs=COHORT_ABS)


def test_cli_incidence_text_by_group_with_episodes(files, tmp_path, capsys):
    cohort = pd.read_csv(files[0])
    cohort["sex"] = ["F", "M"] * (len(cohort) // 2)
    cohort_file = tmp_path / "cohort.csv"
    cohort.to_csv(cohort_file, index=False)
    cases = cohort.dropna(subset=["lbp_onset_date"])
    episodes = pd.DataFrame(
        {"runner_id": cases["runner_id"], "onset_date": cases["lbp_onset_date"]}
    )
    episodes["recovery_date"] = ""
    episodes_file = tmp_path / "episodes.csv"
    episodes.to_csv(episodes_file, index=False)
    args = ["incidence", str(cohort_file), files[1], "--by", "sex", "--per", "100"]
    assert main([*args, "--episodes", str(episodes_file), "--reference", "M"]) == 0
    out = capsys.readouterr().out
    assert "Cumulative incidence of lbp_onset_date" in out
    assert "Incidence rate of LBP episodes per 100 hours at risk" in out
    assert "Rate ratios (exact):" in out
    # unresolved first episodes: the same exposure and events as first onsets
    assert main([*args, "--csv"]) == 0
    first = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert main([*args, "--csv", "--episodes", str(episodes_file)]) == 0
    recurrent = pd.read_csv(io.StringIO(capsys.readouterr().out))
    pd.testing.assert_frame_equal(first, recurrent)
    assert first["measure"].tolist()[-1] == "rate_ratio"
    assert first.query("measure == 'rate_ratio'")["reference"].tolist() == ["F"]


def test_cli_incidence_exit_codes(files, bad_cohort, capsys):
    assert main(["incidence", bad_cohort, files[1]]) == 1
    assert "end_date" in capsys.readouterr().err
    assert main(["incidence", files[0], files[1], "--by", "sexx"]) == 1
    assert "column 'sexx' not found" in capsys.readouterr().err
    assert main(["incidence", files[0], files[1], "--per", "0"]) == 1
    assert "per must be a positive number" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["incidence", files[0], files[1], "--exposure", "miles"])
    assert info.value.code == 2


@pytest.fixture
def bad_cohort(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("runner_id,start_date,end_date,lbp_onset_date\nC1,2025-06-01,2025-01-31,\n")
    return str(path)
