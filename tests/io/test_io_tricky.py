"""Valid-but-tricky files read correctly: encodings, delimiters, dates, labels, formats."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from lbprun.io import read

TRICKY = Path(__file__).parents[1] / "data" / "tricky"

#: file -> (kind, rows read)
EXPECTED = {
    "bom_utf8.csv": ("survey", 2),
    "utf16_bom.csv": ("activities", 2),
    "tab_delimited.tsv": ("cohort", 1),
    "pipe_delimited.txt": ("episodes", 2),
    "cp1252_text.csv": ("survey", 1),
    "day_first_dates.csv": ("cohort", 2),
    "month_first_dates.csv": ("cohort", 2),
    "ambiguous_dates.csv": ("cohort", 2),
    "messy_headers.csv": ("survey", 2),
    "multilingual_booleans.csv": ("survey", 3),
    "surface_synonyms.csv": ("survey", 3),
    "start_time_only.csv": ("activities", 2),
    "blank_lines_quoted.csv": ("survey", 2),
    "formula_text.xlsx": ("survey", 2),
    "valid.parquet": ("activities", 4),
    "valid.dta": ("cohort", 2),
    "value_labels.sav": ("survey", 2),
}


def test_tricky_folder_is_documented():
    files = {p.name for p in TRICKY.iterdir() if p.name != "README.md"}
    assert files == set(EXPECTED) | {"semicolon_decimal_comma.csv"}
    readme = (TRICKY / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `([^`]+)` \|", readme, flags=re.MULTILINE)) == files


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_tricky_file_reads(name):
    kind, rows = EXPECTED[name]
    data = getattr(read, f"read_{kind}")(TRICKY / name)
    assert len(data) == rows
    assert data["runner_id"].dtype == "string"
    meta = data.attrs["lbprun"]
    assert meta["kind"] == kind and meta["source"] == str(TRICKY / name)
    assert meta["rows_in"] == rows


def test_bom_and_utf16_headers_are_clean():
    survey = read.read_survey(TRICKY / "bom_utf8.csv")
    assert list(survey.columns)[0] == "runner_id"
    runs = read.read_activities(TRICKY / "utf16_bom.csv")
    assert runs["distance_km"].tolist() == [10.0, 8.0]


def test_decimal_comma_and_thousands():
    report = read.read_survey(TRICKY / "semicolon_decimal_comma.csv", on_error="drop")
    assert report.data["bmi"].tolist() == [22.1]
    assert report.data["weekly_km"].tolist() == [30.5]
    assert report.failure_cases["value"].tolist() == [1250.0]
    assert report.rejected["row"].tolist() == [3]
    assert any("decimal comma" in n for n in report.notes)


def test_cp1252_is_read_with_a_note():
    data = read.read_survey(TRICKY / "cp1252_text.csv")
    assert data.loc[0, "club"] == "Società Podistica"
    assert any("cp1252" in note for note in data.attrs["lbprun"]["notes"])


@pytest.mark.parametrize(
    "name", ["day_first_dates.csv", "month_first_dates.csv", "ambiguous_dates.csv"]
)
def test_date_order_is_inferred_per_file(name):
    data = read.read_cohort(TRICKY / name)
    assert data["start_date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-06"] * 2
    assert data["start_date"].dtype == "datetime64[ns]"
    notes = data.attrs["lbprun"]["notes"]
    if name == "ambiguous_dates.csv":
        assert data["lbp_onset_date"].iloc[1] == pd.Timestamp("2025-02-03")
        assert any("day/month/year" in n for n in notes)
    else:
        assert data["lbp_onset_date"].iloc[1] == pd.Timestamp("2025-03-15")


def test_messy_headers_are_renamed_and_reported():
    data = read.read_survey(TRICKY / "messy_headers.csv")
    assert list(data.columns) == ["runner_id", "sex", "age", "weekly_km", "lbp_12m"]
    assert data.attrs["lbprun"]["renamed"] == {
        "Runner ID": "runner_id",
        "SEX": "sex",
        "Age": "age",
        "Weekly-KM": "weekly_km",
        "LBP 12m": "lbp_12m",
    }
    assert data["sex"].tolist() == ["F", "M"]


def test_booleans_and_synonyms():
    data = read.read_survey(TRICKY / "multilingual_booleans.csv")
    assert data["lbp_12m"].tolist() == [True, False, True]
    assert data["lbp_point"].tolist() == [True, False, True]
    assert data["prior_lbp"].tolist() == [True, False, False]
    assert str(data["lbp_12m"].dtype) == "boolean"
    surfaces = read.read_survey(TRICKY / "surface_synonyms.csv")["surface"]
    assert surfaces.tolist() == ["asphalt", "trail", "treadmill"]
    assert list(surfaces.cat.categories)[:2] == ["asphalt", "concrete"]


def test_start_time_gives_the_local_date():
    data = read.read_activities(TRICKY / "start_time_only.csv")
    assert data["date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-03-01", "2025-03-01"]
    assert str(data["start_time"].dt.tz) == "UTC"
    assert data["start_time"].iloc[1] == pd.Timestamp("2025-03-02T04:30:00Z")


def test_quoted_newlines_and_blank_lines_keep_line_numbers(tmp_path):
    data = read.read_survey(TRICKY / "blank_lines_quoted.csv")
    assert data["comment"].tolist() == ["two\nlines", "plain"]
    bad = tmp_path / "bad.csv"
    text = (TRICKY / "blank_lines_quoted.csv").read_text().replace("R2,no", "R2,maybe")
    bad.write_text(text)
    report = read.read_survey(bad, on_error="drop")
    assert report.failure_cases["row"].tolist() == [5]


def test_excel_formula_text_stays_text_and_sheets_can_be_chosen():
    data = read.read_survey(TRICKY / "formula_text.xlsx")
    assert data.loc[0, "runner_id"] == '=HYPERLINK("http://example.org","R1")'
    other = read.read_survey(TRICKY / "formula_text.xlsx", sheet="other")
    assert other["runner_id"].tolist() == ["S1"] and other["lbp_12m"].tolist() == [True]
    assert read.read_survey(TRICKY / "formula_text.xlsx", sheet=1)["runner_id"].tolist() == ["S1"]


def test_binary_formats_keep_types_and_labels():
    runs = read.read_activities(TRICKY / "valid.parquet")
    assert runs["date"].dtype == "datetime64[ns]" and runs["distance_km"].sum() == 36.5
    cohort = read.read_cohort(TRICKY / "valid.dta")
    assert cohort["lbp_onset_date"].isna().tolist() == [True, False]
    survey = read.read_survey(TRICKY / "value_labels.sav")
    assert survey["sex"].tolist() == ["F", "M"]
    assert survey["lbp_12m"].tolist() == [True, False]
