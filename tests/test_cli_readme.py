"""Every shell example of the README runs, and its numbers equal the Python API's."""

from __future__ import annotations

import io
import json
import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lbprun
from lbprun.cli import build_parser, main

ROOT = Path(__file__).parents[1]
DATA = ROOT / "lbprun" / "data"
FIXTURES = Path(__file__).parent / "data" / "cli"

#: The raw survey's maps, written out as a Python user would.
RAW_COLUMNS = {
    "Runner": "runner_id",
    "Age (years)": "age",
    "Miles per week": "weekly_km",
    "Back pain past 12 months": "lbp_12m",
    "Previous back pain": "prior_lbp",
}
#: The files the examples use, and where they come from.
FILES = {
    "raw_survey.csv": FIXTURES / "raw_survey.csv",
    "study.toml": FIXTURES / "study.toml",
    "survey.csv": DATA / "example_survey.csv",
    "cohort.csv": DATA / "example_cohort.csv",
    "episodes.csv": DATA / "example_episodes.csv",
    "runs.csv.gz": DATA / "example_activities.csv.gz",
}
NUMBERS = ["estimate", "ci_low", "ci_high"]


def shell_examples() -> list[tuple[str, int]]:
    """The ``lbprun`` commands of the README's shell section, with their expected exit code."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("<!-- shell-examples -->", 1)[1].split("<!-- /shell-examples -->")[0]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if line.strip().startswith("lbprun "):
                code = re.search(r"#\s*exit code (\d)", line)
                commands.append((line.strip(), int(code.group(1)) if code else 0))
    return commands


EXAMPLES = shell_examples()


def test_readme_has_the_end_to_end_examples():
    text = " ".join(command for command, _ in EXAMPLES)
    for sub in ("validate", "prevalence", "risk", "incidence", "workload"):
        assert f"lbprun {sub} " in text
    assert "--config study.toml" in text and "--columns" in text and "--units" in text
    assert "runs.csv.gz" in text


@pytest.fixture
def folder(tmp_path, monkeypatch):
    for name, source in FILES.items():
        shutil.copyfile(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _read(path: str, kind: str) -> pd.DataFrame:
    """The table as the Python API reads it."""
    if path == "raw_survey.csv":
        report = lbprun.read_survey(
            path, columns=RAW_COLUMNS, units={"weekly_km": "mi"}, on_error="drop"
        )
        return report.data
    return getattr(lbprun, f"read_{kind}")(path)


def _design(args) -> lbprun.SurveyDesign | None:
    if args.cluster or args.strata or args.weights:
        return lbprun.SurveyDesign(
            cluster=args.cluster, strata=args.strata, weights=args.weights, nest=True
        )
    return None


def _expected(args) -> dict[str, pd.DataFrame]:
    """The Python API's tables for a parsed command line."""
    if args.command == "prevalence":
        data = _read(args.file, "survey")
        result = lbprun.prevalence(
            data, args.outcome, by=args.by, design=_design(args), level=args.level
        )
        return {"table": result.to_frame()}
    if args.command == "risk":
        data = _read(args.file, "survey")
        fit = lbprun.fit_risk_factors(
            data, args.outcome, args.predictors, design=_design(args), level=args.level
        )
        return {"table": fit.to_frame("odds_ratio")}
    if args.command == "incidence":
        cohort = _read(args.cohort, "cohort")
        runs = _read(args.activities, "activities")
        episodes = _read(args.episodes, "episodes") if args.episodes else None
        risk = lbprun.cumulative_incidence(cohort, by=args.by)
        rates = lbprun.incidence_rate(
            cohort, runs, exposure=args.exposure, per=args.per, by=args.by, episodes=episodes
        )
        return {"cumulative_incidence": risk.to_frame(), "rate": rates.to_frame()}
    assert args.command == "workload" and args.what == "acwr"
    runs = _read(args.activities, "activities")
    return {"table": lbprun.acwr(runs, method=args.method)}


def _compare(got: pd.DataFrame, expected: dict[str, pd.DataFrame]) -> None:
    if "measure" in got.columns:  # the tidy incidence table
        for measure, table in expected.items():
            part = got[got["measure"] == measure]
            assert len(part) == len(table) > 0
            for column in NUMBERS:
                np.testing.assert_allclose(
                    part[column].to_numpy(float), table[column].to_numpy(float), rtol=0, atol=1e-12
                )
        return
    table = expected["table"]
    columns = [c for c in (*NUMBERS, "acwr", "acute_load") if c in table.columns]
    assert columns and len(got) == len(table) > 0
    for column in columns:
        np.testing.assert_allclose(
            got[column].to_numpy(float), table[column].to_numpy(float), rtol=0, atol=1e-12
        )


def _written(path: str) -> pd.DataFrame:
    if path.endswith(".parquet"):
        return pd.read_parquet(path)
    if path.endswith(".xlsx"):
        return pd.read_excel(path)
    return pd.read_csv(path)


@pytest.mark.parametrize(("command", "code"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_command_runs_and_matches_python(command, code, folder, capsys):
    argv = shlex.split(command, comments=True)[1:]
    assert main(argv) == code, capsys.readouterr().err
    captured = capsys.readouterr()
    args = build_parser().parse_args(argv)
    if args.command == "validate":
        report = lbprun.validate(
            args.file, "survey", columns=RAW_COLUMNS, units={"weekly_km": "mi"}
        )
        assert f"rows in: {report.rows_in}; valid: {report.rows_kept}" in captured.out
        assert (report.rows_in, report.rows_rejected) == (160, 2)
        return
    expected = _expected(args)
    if getattr(args, "out", None):
        _compare(_written(args.out), expected)
    if getattr(args, "csv", False):
        _compare(pd.read_csv(io.StringIO(captured.out)), expected)
    elif getattr(args, "json", False):
        _compare(pd.DataFrame(json.loads(captured.out)["table"]), expected)
    elif args.command != "workload":  # text: the same command with --csv gives the numbers
        assert main([*argv, "--csv"]) == 0
        _compare(pd.read_csv(io.StringIO(capsys.readouterr().out)), expected)
    if getattr(args, "rejected", None):
        rejected = _written(args.rejected)
        assert rejected["row"].tolist() == [13, 48]
        assert rejected["source"].tolist() == ["raw_survey.csv"] * 2
