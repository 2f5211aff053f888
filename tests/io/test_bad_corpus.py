"""Every file of the malformed-file corpus fails with the right error, column and row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lbprun.exceptions import DataReadError, DataValidationError
from lbprun.io import read

BAD = Path(__file__).parents[1] / "data" / "bad"

DVE, DRE = DataValidationError, DataReadError

#: file -> (table kind, error class, column named, row named; None when there is none)
EXPECTED = {
    "empty.csv": ("survey", DRE, None, None),
    "header_only.csv": ("survey", DRE, None, None),
    "whitespace_only.csv": ("survey", DRE, None, None),
    "wrong_delimiter.csv": ("activities", DVE, "distance_km", 1),
    "ragged_rows.csv": ("activities", DVE, "(row)", 4),
    "binary_as_csv.csv": ("survey", DRE, None, None),
    "mixed_date_formats.csv": ("cohort", DVE, "start_date", 4),
    "invalid_date.csv": ("cohort", DVE, "start_date", 3),
    "negative_distance.csv": ("activities", DVE, "distance_km", 3),
    "miles_suffix.csv": ("activities", DVE, "distance_km", 2),
    "text_in_numeric.csv": ("survey", DVE, "age", 3),
    "duplicate_ids.csv": ("survey", DVE, "runner_id", 4),
    "duplicate_runs.csv": ("activities", DVE, "runner_id", 5),
    "onset_before_start.csv": ("cohort", DVE, "lbp_onset_date", 3),
    "onset_after_end.csv": ("cohort", DVE, "lbp_onset_date", 2),
    "end_before_start.csv": ("cohort", DVE, "end_date", 3),
    "missing_required_column.csv": ("activities", DVE, "duration_min", 1),
    "missing_date_column.csv": ("activities", DVE, "date", 1),
    "no_lbp_outcome.csv": ("survey", DVE, "lbp_12m", 1),
    "unknown_surface.csv": ("survey", DVE, "surface", 3),
    "unknown_sex.csv": ("survey", DVE, "sex", 2),
    "age_out_of_range.csv": ("survey", DVE, "age", 4),
    "bmi_out_of_range.csv": ("survey", DVE, "bmi", 3),
    "bmi_decimal_comma.csv": ("survey", DVE, "bmi", 2),
    "impossible_pace.csv": ("activities", DVE, "duration_min", 3),
    "bad_boolean.csv": ("survey", DVE, "lbp_12m", 2),
    "missing_runner_id.csv": ("activities", DVE, "runner_id", 3),
    "formula_numeric.csv": ("activities", DVE, "distance_km", 2),
    "non_utf8.csv": ("survey", DVE, "surface", 3),
    "recovery_before_onset.csv": ("episodes", DVE, "recovery_date", 3),
    "overlapping_episodes.csv": ("episodes", DVE, "onset_date", 3),
    "corrupt.xlsx": ("survey", DRE, None, None),
    "truncated.parquet": ("activities", DRE, None, None),
    "formula_numeric.xlsx": ("activities", DVE, "distance_km", 3),
    "end_before_start.xlsx": ("cohort", DVE, "end_date", 4),
    "bad_values.dta": ("survey", DVE, "age", 3),
    "bad_values.sav": ("survey", DVE, "sex", 2),
    "distance_out_of_range.parquet": ("activities", DVE, "distance_km", 2),
}


def test_corpus_is_complete_and_documented():
    files = {p.name for p in BAD.iterdir() if p.name != "README.md"}
    assert files == set(EXPECTED)
    assert len(files) >= 25
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE))
    assert listed == files


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_raises_naming_file_column_and_row(name):
    kind, error, column, row = EXPECTED[name]
    path = BAD / name
    reader = getattr(read, f"read_{kind}")
    with pytest.raises(error) as caught:
        reader(path)
    message = str(caught.value)
    assert str(path) in message
    if column is not None:
        assert column in message
    if error is DataValidationError:
        assert f"row {row}," in message
        cases = caught.value.failure_cases
        hit = cases[(cases["column"].str.contains(column, regex=False)) & (cases["row"] == row)]
        assert len(hit) >= 1, cases
        assert set(cases.columns) == {
            "source",
            "row",
            "runner_id",
            "column",
            "check",
            "value",
            "message",
        }
    elif row is not None:
        assert f"line {row}" in message


@pytest.mark.parametrize("name", sorted(n for n, e in EXPECTED.items() if e[1] is DVE))
def test_bad_file_rows_are_dropped_with_reasons(name):
    kind, _, column, row = EXPECTED[name]
    reader = getattr(read, f"read_{kind}")
    if row == 1:
        with pytest.raises(DataValidationError, match="missing|needs at least one|date or"):
            reader(BAD / name, on_error="drop")
        return
    report = reader(BAD / name, on_error="drop")
    data, rejected = report
    assert report.rows_in == report.rows_kept + report.rows_rejected
    assert len(data) == report.rows_kept
    assert row in rejected["row"].tolist()
    reasons = rejected.loc[rejected["row"] == row, "reasons"].iloc[0]
    assert column in reasons


def test_corpus_messages_are_specific():
    with pytest.raises(DataValidationError, match=r"Did you mean 'asphalt'\?"):
        read.read_survey(BAD / "unknown_surface.csv")
    with pytest.raises(DataValidationError, match=r"unknown unit 'laps'"):
        read.read_activities(BAD / "miles_suffix.csv")
    with pytest.raises(DataValidationError, match="mixed date formats"):
        read.read_cohort(BAD / "mixed_date_formats.csv")
    with pytest.raises(DataValidationError, match="never evaluates"):
        read.read_activities(BAD / "formula_numeric.xlsx")
    with pytest.raises(DataReadError, match="truncated"):
        read.read_activities(BAD / "truncated.parquet")
    with pytest.raises(DataValidationError, match="overlaps the episode on row 2"):
        read.read_episodes(BAD / "overlapping_episodes.csv")
    with pytest.raises(DataValidationError, match="already on row 3"):
        read.read_activities(BAD / "duplicate_runs.csv")


def test_non_utf8_file_is_read_with_a_note():
    report = read.read_survey(BAD / "non_utf8.csv", on_error="drop")
    assert any("not valid UTF-8" in note and "cp1252" in note for note in report.notes)
    assert report.rejected.loc[0, "surface"] == "césped"


def test_formula_in_xlsx_is_never_computed():
    report = read.read_activities(BAD / "formula_numeric.xlsx", on_error="drop")
    assert report.failure_cases.loc[0, "value"] == "=C2*2"
    assert report.data["distance_km"].tolist() == [10.0]
