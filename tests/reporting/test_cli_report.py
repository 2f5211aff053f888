"""``lbprun report``: a report and its tables from the shell; bad options exit with code 2."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from lbprun.cli import main
from lbprun.cli._config import UsageError
from lbprun.cli.report import parse_design

REFERENCE = Path(__file__).resolve().parents[1] / "reference"
SURVEY = REFERENCE / "runner_survey.csv"


def test_report_and_tables_from_the_shell(tmp_path, capsys):
    out = tmp_path / "report.md"
    code = main(
        [
            "report",
            str(SURVEY),
            "--outcome",
            "lbp_12m",
            "--by",
            "sex",
            "--design",
            "cluster=club,strata=region,weights=weight,nest",
            "-o",
            str(out),
            "--tables",
            str(tmp_path / "tables"),
            "--table-format",
            "xlsx",
        ]
    )
    assert code == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Low back pain in runners: lbp_12m")
    assert hashlib.sha256(SURVEY.read_bytes()).hexdigest() in text
    assert "survey::svyciprop" in text and "nest = TRUE" in text
    prevalence = pd.read_excel(tmp_path / "tables" / "prevalence.xlsx", dtype=str)
    assert prevalence["group"].tolist() == ["Overall", "sex: F", "sex: M"]
    assert prevalence.loc[0, "n"] == "2549"
    assert "wrote" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "report.pdf"], "-o must end in .html or .md"),
        (["--design", "clutser=club"], "--design must look like"),
        (["--design", "weights=weight", "--cluster", "club"], "--design must be given alone"),
        (["--threshold", "0"], "--threshold must be a positive integer"),
    ],
)
def test_bad_options_exit_with_code_2(tmp_path, capsys, extra, message):
    assert main(["report", str(SURVEY), *extra]) == 2
    assert message in capsys.readouterr().err


def test_an_unknown_table_format_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", str(SURVEY), "--table-format", "doc"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'doc'" in capsys.readouterr().err


def test_design_specifications():
    assert parse_design("weights=w") == {"weights": "w", "nest": False}
    assert parse_design("cluster=c, nest=false") == {"cluster": "c", "nest": False}
    with pytest.raises(UsageError, match="names no cluster"):
        parse_design("nest")
