"""Missing values accounted where they happen: counted per column, invalid values set to missing
with ``on_error="missing"``, unknown ``columns=`` targets warned about, and the reading record
repeated by :func:`lbprun.io.provenance.reading_notes`."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbprun.exceptions import DataQualityWarning, DataValidationError
from lbprun.io import _formats
from lbprun.io.provenance import reading_notes
from lbprun.io.read import read_cohort, read_survey
from lbprun.io.validate import validate

SURVEY_CSV = """runner_id,age,sex,lbp_12m,weekly_km
r1,34,F,yes,20
r2,,M,no,
r3,41,F,n/a,35
r4,NA,M,yes,.
r5,29,F,no,25
"""


@pytest.fixture
def survey_csv(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(SURVEY_CSV, encoding="utf-8")
    return path


def test_report_counts_missing_values_per_column_with_their_lines(survey_csv):
    report = validate(survey_csv, "survey")
    assert report.ok  # blank cells are allowed here, but counted
    table = report.missing.set_index("column")
    assert table["missing"].to_dict() == {"age": 2, "lbp_12m": 1, "weekly_km": 2}
    assert table.loc["age", "rows"] == "3, 5"  # file lines (the header is line 1)
    assert table.loc["lbp_12m", "rows"] == "4"
    assert table.loc["age", "percent"] == pytest.approx(40.0)
    assert report.rows_with_missing == 3
    text = report.summary()
    assert "missing values (blank or NA in the source): 3 row(s)" in text
    assert "  age: 2 (40.0%), rows 3, 5" in text


def test_missing_counts_are_the_same_when_reading_and_when_chunked(survey_csv, monkeypatch):
    whole = validate(survey_csv, "survey").missing
    read = read_survey(survey_csv, on_error="drop").missing
    monkeypatch.setattr(_formats, "CHUNK_ROWS", 2)
    chunked = validate(survey_csv, "survey").missing
    pd.testing.assert_frame_equal(whole, read)
    pd.testing.assert_frame_equal(whole, chunked)


def test_a_clean_table_says_it_has_no_missing_value():
    frame = pd.DataFrame({"runner_id": ["a", "b"], "lbp_12m": ["yes", "no"]})
    report = validate(frame, "survey")
    assert len(report.missing) == 0 and report.rows_with_missing == 0
    assert "missing values: none" in report.summary()


def test_a_failed_value_is_not_counted_as_missing():
    frame = pd.DataFrame({"runner_id": ["a", "b"], "lbp_12m": ["yes", "no"], "age": ["x", None]})
    report = validate(frame, "survey")
    assert report.missing.set_index("column")["missing"].to_dict() == {"age": 1}
    assert report.missing["rows"].tolist() == ["1"]


def test_on_error_missing_keeps_the_runner_and_empties_the_invalid_value():
    frame = pd.DataFrame(
        {
            "runner_id": ["a", "b", "c", "d"],
            "age": [30, 150, 41, 29],  # 150 is impossible
            "lbp_12m": ["yes", "no", "maybe", "yes"],  # 'maybe' is not a value
        }
    )
    dropped = read_survey(frame, on_error="drop")
    kept = read_survey(frame, on_error="missing")
    assert dropped.rows_kept == 2 and dropped.rows_rejected == 2
    assert kept.rows_kept == 4 and kept.rows_rejected == 0
    data = kept.data
    assert data["runner_id"].tolist() == ["a", "b", "c", "d"]
    assert data["age"].isna().tolist() == [False, True, False, False]
    assert data.loc[1, "lbp_12m"] is np.False_ or data.loc[1, "lbp_12m"] == False  # noqa: E712
    assert pd.isna(data.loc[2, "lbp_12m"])
    assert kept.values_set_missing == {"age": 1, "lbp_12m": 1}
    assert kept.set_missing[["row", "column", "check"]].to_dict("records") == [
        {"row": 1, "column": "age", "check": "in_range"},
        {"row": 2, "column": "lbp_12m", "check": "dtype"},
    ]
    # every failure is still reported
    assert len(kept.failure_cases) == 2 and not kept.ok
    assert "2 with invalid values set to missing" in kept.summary()
    assert any("set to missing" in note for note in kept.notes)
    assert data.attrs["lbprun"]["values_set_missing"] == {"age": 1, "lbp_12m": 1}


def test_on_error_missing_still_rejects_failures_of_the_whole_row():
    frame = pd.DataFrame(
        {
            "runner_id": ["a", "a", "c", None],  # a duplicate id, a missing id
            "age": [30, 31, 500, 40],
            "lbp_12m": ["yes", "no", "no", "yes"],
        }
    )
    report = read_survey(frame, on_error="missing")
    assert report.rejected["row"].tolist() == [1, 3]
    assert report.data["runner_id"].tolist() == ["a", "c"]
    assert report.data["age"].isna().tolist() == [False, True]
    cohort = pd.DataFrame(
        {
            "runner_id": ["a", "b"],
            "start_date": ["2025-01-01", "2025-06-01"],
            "end_date": ["2025-12-31", "2025-01-01"],  # b ends before it starts
            "lbp_onset_date": ["", ""],
        }
    )
    report = read_cohort(cohort, on_error="missing")
    assert report.rejected["row"].tolist() == [1]
    assert report.data["runner_id"].tolist() == ["a"]


def test_on_error_raise_is_unchanged_and_unknown_modes_are_refused():
    frame = pd.DataFrame({"runner_id": ["a"], "lbp_12m": ["yes"], "age": [500]})
    with pytest.raises(DataValidationError):
        read_survey(frame)
    with pytest.raises(ValueError, match="on_error"):
        read_survey(frame, on_error="ignore")


@st.composite
def messy_surveys(draw):
    n = draw(st.integers(1, 20))
    ids = draw(
        st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", None]), min_size=n, max_size=n)
    )
    ages = draw(
        st.lists(
            st.one_of(st.floats(-50, 300), st.just("thirty"), st.just("n/a"), st.none()),
            min_size=n,
            max_size=n,
        )
    )
    lbp = draw(st.lists(st.sampled_from(["yes", "no", "maybe", "", None]), min_size=n, max_size=n))
    return pd.DataFrame({"runner_id": ids, "age": ages, "lbp_12m": lbp})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messy_surveys())
def test_on_error_missing_accounts_for_every_row_and_value(frame):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        report = read_survey(frame, on_error="missing")
        dropped = read_survey(frame, on_error="drop")
    assert report.rows_in == len(frame) == report.rows_kept + report.rows_rejected
    assert len(report.data) == report.rows_kept and len(report.rejected) == report.rows_rejected
    # rows rejected with on_error="missing" are a subset of those dropped
    assert set(report.rejected["row"]) <= set(dropped.rejected["row"])
    # every row kept by "drop" is kept, unchanged, by "missing"
    same = report.data.loc[dropped.data.index]
    pd.testing.assert_frame_equal(same, dropped.data, check_like=True)
    # each missing value of the kept data was missing in the source or set to missing
    emptied = report.set_missing
    for column in ("age", "lbp_12m"):
        na = report.data[column].isna()
        set_here = set(emptied.loc[emptied["column"] == column, "row"])
        source_missing = report.missing.set_index("column")["missing"].get(column, 0)
        assert set_here <= set(report.data.index[na])
        assert na.sum() <= source_missing + len(set_here)
        assert report.values_set_missing.get(column, 0) == len(set_here)


def test_unknown_columns_target_warns_and_is_noted():
    frame = pd.DataFrame({"Runner": ["a"], "LBP": ["yes"], "Agee": [30]})
    columns = {"Runner": "runner_id", "LBP": "lbp_12m", "Agee": "agee"}
    with pytest.warns(DataQualityWarning, match=r"'agee'.*not an lbprun column.*'age'"):
        report = read_survey(frame, columns=columns, on_error="drop")
    assert any("'agee'" in note and "not validated" in note for note in report.notes)
    assert report.data["agee"].tolist() == [30]


def test_reading_record_becomes_notes_of_later_estimates(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("runner_id,age,lbp_12m,weekly_km\na,30,yes,20\nb,250,no,30\nc,40,no,40\n")
    data = read_survey(path, on_error="drop", units={"weekly_km": "mi"}).data
    record = data.attrs["lbprun"]
    assert record["rejected_checks"] == {"age / in_range": 1}
    assert record["recoded"] == ["weekly_km: values in mi converted to km/week."]
    notes = reading_notes(data)
    assert notes[0] == (
        f"{path}: 3 rows read and 1 rejected on reading (age / in_range: 1); those rows are "
        "not used here."
    )
    assert notes[1] == f"{path}: weekly_km: values in mi converted to km/week."
    kept = read_survey(path, on_error="missing").data
    assert reading_notes(kept) == [f"{path}: invalid values set to missing on reading (age: 1)."]
    assert reading_notes(pd.DataFrame({"a": [1]})) == []
    assert reading_notes(None) == []


def test_a_weight_header_in_other_case_is_not_taken_for_the_sampling_weight():
    frame = pd.DataFrame(
        {"runner_id": ["a", "b"], "lbp_12m": ["yes", "no"], "Weight": [71.5, -1.0]}
    )
    data = read_survey(frame)
    assert "weight" not in data.columns and data["Weight"].tolist() == [71.5, -1.0]
    exact = read_survey(frame.rename(columns={"Weight": "weight"}), on_error="drop")
    assert exact.rows_rejected == 1  # a negative sampling weight is a failure
    mapped = read_survey(frame, columns={"Weight": "weight"}, on_error="drop")
    assert mapped.rows_rejected == 1
