"""``lbprun prevalence``: text, JSON and CSV output against R's survey values; exit codes."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from tolerances import DESIGN_ABS

from lbprun.cli import main


@pytest.fixture(scope="module")
def survey_file(reference_dir):
    return str(reference_dir / "runner_survey.csv")


@pytest.fixture(scope="module")
def expected(expected_dir):
    return json.loads((expected_dir / "survey_prevalence.json").read_text())


DESIGN_ARGS = ["--cluster", "club", "--strata", "region", "--weights", "weight"]


def test_cli_prevalence_json_matches_survey(survey_file, expected, capsys):
    code = main(
        ["prevalence", survey_file, "--outcome", "lbp_12m", "--by", "sex", *DESIGN_ARGS, "--json"]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["case_definition"] == "12-month"
    assert payload["design"]["nest"] is True
    rows = {row["group"]: row for row in payload["table"]}
    assert rows["all"]["estimate"] == pytest.approx(expected["logit"]["est"], abs=DESIGN_ABS)
    assert rows["all"]["ci_low"] == pytest.approx(expected["logit"]["low"], abs=DESIGN_ABS)
    assert rows["all"]["ci_high"] == pytest.approx(expected["logit"]["high"], abs=DESIGN_ABS)
    assert rows["all"]["deff"] == pytest.approx(expected["deff"], abs=DESIGN_ABS)
    ref = expected["by_sex_logit"]
    for i, sex in enumerate(ref["sex"]):
        assert rows[sex]["estimate"] == pytest.approx(ref["est"][i], abs=DESIGN_ABS)
        assert rows[sex]["ci_low"] == pytest.approx(ref["low"][i], abs=DESIGN_ABS)
        assert rows[sex]["ci_high"] == pytest.approx(ref["high"][i], abs=DESIGN_ABS)


def test_cli_prevalence_csv_and_method(survey_file, expected, capsys):
    code = main(["prevalence", survey_file, *DESIGN_ARGS, "--method", "beta", "--csv"])
    assert code == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert table["method"].tolist() == ["beta"]
    assert table["ci_low"].iloc[0] == pytest.approx(expected["beta"]["low"], abs=DESIGN_ABS)
    assert table["ci_high"].iloc[0] == pytest.approx(expected["beta"]["high"], abs=DESIGN_ABS)


def test_cli_prevalence_text_crude(survey_file, expected, capsys):
    code = main(["prevalence", survey_file, "--method", "exact", "--level", "0.9"])
    assert code == 0
    out = capsys.readouterr().out
    assert out.startswith("Prevalence of lbp_12m (crude 12-month prevalence)")
    assert "exact" in out and str(expected["unweighted"]["cases"]) in out


def test_cli_prevalence_errors(survey_file, capsys):
    assert main(["prevalence", survey_file, "--by", "sexx"]) == 1
    assert "Did you mean 'sex'" in capsys.readouterr().err
    assert main(["prevalence", survey_file, "--level", "95"]) == 1
    assert "Did you mean 0.95" in capsys.readouterr().err
    assert main(["prevalence", "no-such-file.csv"]) == 1
    with pytest.raises(SystemExit):
        main(["prevalence", survey_file, "--json", "--csv"])


def test_cli_prevalence_percent(survey_file, capsys):
    assert main(["prevalence", survey_file, "--by", "sex", "--csv"]) == 0
    plain = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert main(["prevalence", survey_file, "--by", "sex", "--csv", "--percent"]) == 0
    percent = pd.read_csv(io.StringIO(capsys.readouterr().out))
    for column in ("estimate", "ci_low", "ci_high"):
        assert percent[f"{column} (%)"].to_numpy() == pytest.approx(
            100 * plain[column].to_numpy(), rel=1e-12
        )
    assert main(["prevalence", survey_file, "--percent"]) == 0
    assert "estimate (%)" in capsys.readouterr().out
