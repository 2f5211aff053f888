"""``lbprun risk``: text, JSON and CSV output, Firth and survey options, exit codes."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from lbprun.cli import main
from lbprun.io.read import read_survey
from lbprun.measures.survey import SurveyDesign
from lbprun.models.risk_factors import fit_risk_factors

SURVEY = Path(__file__).parent / "reference" / "runner_survey.csv"


def test_risk_json_matches_library(capsys):
    code = main(
        [
            "risk",
            str(SURVEY),
            "--predictors",
            "prior_lbp,sex,surface",
            "--json",
            "--reference",
            "surface=asphalt",
        ]
    )
    assert code == 0
    payload = json.loads(capsys.readouterr().out)
    expected = fit_risk_factors(
        read_survey(SURVEY),
        "lbp_12m",
        ["prior_lbp", "sex", "surface"],
        reference_levels={"surface": "asphalt"},
    ).to_frame()
    got = pd.DataFrame(payload["table"])
    assert got["term"].tolist() == expected["term"].tolist()
    pd.testing.assert_series_equal(got["estimate"], expected["estimate"], rtol=1e-12)
    assert payload["glance"]["n_used"] == 2549


def test_risk_csv_survey_design(capsys):
    code = main(
        [
            "risk",
            str(SURVEY),
            "--predictors",
            "prior_lbp,weekly_km",
            "--cluster",
            "club",
            "--strata",
            "region",
            "--weights",
            "weight",
            "--csv",
            "--log-odds",
        ]
    )
    assert code == 0
    table = pd.read_csv(io.StringIO(capsys.readouterr().out))
    expected = fit_risk_factors(
        read_survey(SURVEY),
        "lbp_12m",
        ["prior_lbp", "weekly_km"],
        design=SurveyDesign(cluster="club", strata="region", weights="weight", nest=True),
    ).table
    assert (table["method"] == "survey").all()
    assert table["std_error"].tolist() == pytest.approx(expected["std_error"].tolist())


def test_risk_text_firth_and_spline(capsys):
    code = main(
        [
            "risk",
            str(SURVEY),
            "--outcome",
            "lbp_point",
            "--predictors",
            "weekly_km,prior_lbp",
            "--firth",
            "--spline",
            "weekly_km:3",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("Risk factors of lbp_point: odds ratios from")
    assert "weekly_km' (spline term 1)" in out and "firth" in out
    assert "baseline odds (intercept:" in out and "prior_lbp: yes vs no" in out


def test_risk_per_option_rescales_and_labels_the_odds_ratio(capsys):
    base = ["risk", str(SURVEY), "--predictors", "weekly_km,prior_lbp", "--csv"]
    assert main(base) == 0
    per1 = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("term")
    assert main([*base, "--per", "weekly_km=10"]) == 0
    per10 = pd.read_csv(io.StringIO(capsys.readouterr().out)).set_index("term")
    assert per10.loc["weekly_km", "estimate"] == pytest.approx(
        per1.loc["weekly_km", "estimate"] ** 10, rel=1e-12
    )
    assert per10.loc["weekly_km", "label"] == "weekly_km (per 10 km/week)"
    assert main([*base[:-1], "--per", "weekly_km=ten"]) == 1
    assert "--per must look like COLUMN=UNITS" in capsys.readouterr().err


def test_risk_bad_column_exits_1(capsys):
    code = main(["risk", str(SURVEY), "--predictors", "weekly_kms"])
    assert code == 1
    assert "Did you mean 'weekly_km'" in capsys.readouterr().err


def test_risk_bad_spline_is_usage_error():
    with pytest.raises(SystemExit) as exc:
        main(["risk", str(SURVEY), "--predictors", "age", "--spline", "age"])
    assert exc.value.code == 2
