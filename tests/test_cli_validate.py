"""``lbprun validate``: exit codes, report text, JSON, column and unit maps."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from lbprun.cli import main

HERE = Path(__file__).parent
REFERENCE = HERE / "reference"
BAD = HERE / "data" / "bad"


def _corpus_table() -> dict:
    """The expected error, column and row of each bad file, as recorded in its test."""
    spec = importlib.util.spec_from_file_location(
        "_bad_corpus", HERE / "io" / "test_bad_corpus.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.EXPECTED


EXPECTED = _corpus_table()


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("runner_survey.csv", "survey"),
        ("runner_activities.csv", "activities"),
        ("runner_cohort.csv", "cohort"),
    ],
)
def test_reference_files_exit_0(name, kind, capsys):
    assert main(["validate", str(REFERENCE / name), "--kind", kind]) == 0
    out = capsys.readouterr().out
    assert "is valid" in out and "rejected: 0" in out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_files_exit_1(name, capsys):
    kind, error, column, row = EXPECTED[name]
    assert main(["validate", str(BAD / name), "--kind", kind]) == 1
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert str(BAD / name) in text
    if column is not None:
        assert column in text
    if error.__name__ == "DataValidationError":
        assert f"row {row}," in captured.out and "INVALID" in captured.out
    else:
        assert captured.err.startswith("lbprun validate: error:")


def test_json_report(capsys):
    code = main(["validate", str(BAD / "age_out_of_range.csv"), "--kind", "survey", "--json"])
    assert code == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and payload["rows_in"] == 3 and payload["rows_rejected"] == 1
    assert payload["failure_cases"][0]["row"] == 4
    assert payload["failure_cases"][0]["column"] == "age"
    assert payload["examples"][0].endswith("age must be float in [10, 100]; got 150.0.")


def test_column_and_unit_maps(tmp_path, capsys):
    path = tmp_path / "log.csv"
    pd.DataFrame(
        {
            "Athlete": ["a", "a"],
            "Day": ["2025-01-06", "2025-01-07"],
            "mi": [3.0, 5.0],
            "hours": [0.5, 0.75],
        }
    ).to_csv(path, index=False)
    assert main(["validate", str(path), "--kind", "activities"]) == 1
    capsys.readouterr()
    args = [
        "validate",
        str(path),
        "--kind",
        "activities",
        "--columns",
        "Athlete=runner_id, Day=date,mi=distance_km,hours=duration_min",
        "--units",
        "distance_km=mi,duration_min=h",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "'Athlete' -> 'runner_id'" in out and "distance_km from mi" in out


def test_bad_map_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["validate", "x.csv", "--kind", "survey", "--columns", "Runner ID"])
    assert caught.value.code == 2
    assert "without '='" in capsys.readouterr().err


def test_unknown_unit_exits_1(capsys):
    args = ["validate", str(REFERENCE / "runner_activities.csv"), "--kind", "activities"]
    assert main([*args, "--units", "distance_km=furlongs"]) == 1
    assert "units['distance_km'] must be one of" in capsys.readouterr().err


def test_rejected_rows_are_written_escaped(tmp_path, capsys):
    out = tmp_path / "rejected.csv"
    args = ["validate", str(BAD / "formula_numeric.csv"), "--kind", "activities"]
    assert main([*args, "--rejected", str(out)]) == 1
    rejected = pd.read_csv(out, dtype=str)
    assert rejected["distance_km"].tolist() == ["'=10+5"]
    assert "rejected rows written" in capsys.readouterr().err


def test_real_subprocess():
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "lbprun",
            "validate",
            str(REFERENCE / "runner_cohort.csv"),
            "--kind",
            "cohort",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "rows in: 400; valid: 400; rejected: 0" in ok.stdout
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "lbprun",
            "validate",
            str(BAD / "truncated.parquet"),
            "--kind",
            "activities",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "truncated.parquet: cannot be read as Parquet" in bad.stderr
    assert "Traceback" not in bad.stderr
