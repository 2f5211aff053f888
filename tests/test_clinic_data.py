"""Tests of the bundled Running Injury Clinic subject table and its validated reading."""

from __future__ import annotations

import hashlib
from importlib import resources

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun import _clinic_data, datasets
from lbprun._checks import ArgumentError


@pytest.fixture(scope="module")
def report():
    return datasets.read_clinic_data()


def test_bundled_file_is_byte_for_byte_the_published_copy():
    raw = resources.files("lbprun").joinpath("data", datasets.CLINIC_FILE).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == datasets.CLINIC_SHA256
    assert datasets.CLINIC_SHA256 == (
        "c6cabfdf1c728c2a035d8f491bbf6781159d3e13d4bb7c271c4952fed48142c7"
    )
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF line ends kept


def test_attribution_in_attrs_and_readme():
    visits = datasets.load_clinic_data()
    assert "Running Injury Clinic" in visits.attrs["source"]
    assert "CC BY 4.0" in visits.attrs["source"]
    assert visits.attrs["sha256"] == datasets.CLINIC_SHA256
    readme = resources.files("lbprun").joinpath("data", "clinic", "README.md").read_text("utf-8")
    assert "CC BY 4.0" in readme and "24255795" in readme and datasets.CLINIC_SHA256 in readme


def test_load_clinic_data_all_visits():
    visits = datasets.load_clinic_data()
    assert visits.shape == (1832, 26)
    assert visits["sub_id"].nunique() == 1402
    assert visits["InjJoint"].value_counts()[["Lumbar Spine", "Sacroiliac Joint"]].tolist() == [
        41,
        22,
    ]
    assert int((visits["age"] == 255).sum()) == 1
    assert int((visits["YrsRunning"] == 999).sum()) == 51


def test_first_visits_are_earliest_with_filename_tiebreak():
    visits = datasets.load_clinic_data()
    first = datasets.load_clinic_data(first_visits=True)
    assert len(first) == 1402 and first["sub_id"].is_unique
    # Compare as times, not strings: one- and two-digit hours.

    parsed = pd.to_datetime(visits["datestring"], format="%Y-%m-%d %H:%M")
    earliest = parsed.groupby(visits["sub_id"]).min()
    got = pd.to_datetime(first["datestring"], format="%Y-%m-%d %H:%M")
    assert (got.to_numpy() == earliest.loc[first["sub_id"]].to_numpy()).all()
    # Runner 101354 has four trials in one minute: the first by filename is kept.
    row = first.loc[first["sub_id"] == "101354"].iloc[0]
    assert row["filename"] == "20141124T132020.json"


def test_read_clinic_data_accounts_for_every_row(report):
    assert report.rows_in == 1832
    assert report.rows_in == report.rows_kept + report.rows_rejected + report.rows_excluded
    assert (report.rows_kept, report.rows_rejected, report.rows_excluded) == (1402, 430, 0)
    assert len(report.data) == 1402 and report.data["runner_id"].nunique() == 1402
    assert len(report.rejected) == 430
    rejected_checks = report.failure_cases.loc[
        report.failure_cases["column"] == "runner_id", "check"
    ]
    assert rejected_checks.tolist() == ["duplicate"] * 430
    assert set(report.data["file_line"]).isdisjoint(report.rejected["file_line"])
    lines = set(report.data["file_line"]) | set(report.rejected["file_line"])
    assert len(lines) == 1832


def test_read_clinic_data_lists_values_set_missing(report):
    assert report.values_set_missing == {
        "years_running": 51,
        "bmi": 3,
        "sex": 1,
        "age": 1,
        "RaceTimeHrs": 424,
        "RaceTimeMins": 324,
        "RaceTimeSecs": 479,
    }
    cases = report.set_missing
    age = cases.loc[cases["column"] == "age"].iloc[0]
    assert (age["value"], age["file_line"], age["runner_id"]) == (255.0, 4, "100537")
    years = cases.loc[cases["column"] == "years_running", "value"]
    assert set(years) == {999.0}
    assert cases.loc[cases["column"] == "sex", "value"].tolist() == ["Unknown"]
    hh = cases.loc[cases["column"] == "RaceTimeHrs"]
    assert set(hh["value"]) == {"HH"} and set(hh["check"]) == {"placeholder"}
    assert cases["message"].str.len().gt(0).all()
    assert report.data["age"].max() < 100
    assert any("CC BY 4.0" in note for note in report.notes)


def test_low_back_presentations(report):
    visits = datasets.load_clinic_data()
    first = report.data
    # The 41 + 22 low-back rows of InjJoint are all found and derived as lbp_point.
    frame, _ = _clinic_data._clinic_frame()
    assert frame["low_back_joint"].value_counts()[
        ["Lumbar Spine", "Sacroiliac Joint"]
    ].tolist() == [
        41,
        22,
    ]
    assert frame["lbp_point"].value_counts()[["yes", "no", ""]].tolist() == [96, 1502, 234]
    assert bool(frame.loc[frame["low_back_joint"] != "", "lbp_point"].eq("yes").all())
    low2 = visits["InjJoint2"].isin(datasets.LOW_BACK_JOINTS)
    assert int(low2.sum()) == 33
    counts = first["lbp_point"].value_counts(dropna=False)
    assert int(counts[True]) == 86 and int(counts[False]) == 1141
    assert int(first["lbp_point"].isna().sum()) == 175
    assert first["low_back_joint"].value_counts()[
        ["Lumbar Spine", "Sacroiliac Joint"]
    ].tolist() == [
        34,
        19,
    ]


def test_drop_mode_rejects_rows_with_bad_values():
    dropped = datasets.read_clinic_data(on_error="drop")
    assert (dropped.rows_in, dropped.rows_kept, dropped.rows_rejected) == (1832, 1347, 485)
    failing = dropped.failure_cases.drop_duplicates("row")
    assert len(failing) == 485
    assert len(dropped.set_missing) == 424 + 324 + 479  # only the placeholders


def test_unknown_on_error():
    with pytest.raises(ArgumentError, match="on_error must be one of 'missing', 'drop'"):
        datasets.read_clinic_data(on_error="raise")


@settings(max_examples=5, deadline=None)
@given(st.sampled_from(["Lumbar Spine", "Sacroiliac Joint", "Knee", "", "No Injury"]))
def test_low_back_rule(joint2):
    raw = pd.DataFrame({"InjJoint": ["Knee", "", "Lumbar Spine"], "InjJoint2": [joint2] * 3})
    got = _clinic_data._low_back(raw).tolist()
    low = joint2 in datasets.LOW_BACK_JOINTS
    assert got == ["yes" if low else "no", "yes" if low else "", "yes"]
