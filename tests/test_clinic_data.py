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
    assert frame["lbp_point"].value_counts()[["yes", "no", ""]].tolist() == [96, 1734, 2]
    unknown = frame.loc[frame["lbp_point"] == "", "SpecInjury"].tolist()
    assert sorted(unknown) == ["MVA, not running related", "Non-specific Injury"]
    assert bool(frame.loc[frame["low_back_joint"] != "", "lbp_point"].eq("yes").all())
    low2 = visits["InjJoint2"].isin(datasets.LOW_BACK_JOINTS)
    assert int(low2.sum()) == 33
    counts = first["lbp_point"].value_counts(dropna=False)
    assert int(counts[True]) == 86 and int(counts[False]) == 1316
    assert int(first["lbp_point"].isna().sum()) == 0
    # Every first visit without a recorded region says "No injury" in InjDefn or SpecInjury.
    no_region = first["InjJoint"].isna()
    said = first["InjDefn"].fillna("").str.lower().eq("no injury") | first["SpecInjury"].fillna(
        ""
    ).str.lower().eq("no injury")
    assert int(no_region.sum()) == 175 and bool(said[no_region].all())
    assert not bool(first.loc[no_region, "lbp_point"].any())
    assert first["low_back_joint"].value_counts()[
        ["Lumbar Spine", "Sacroiliac Joint"]
    ].tolist() == [
        34,
        19,
    ]


def test_own_columns_read_missing_text_as_missing_and_numbers_as_float(report):
    data = report.data
    numeric = data[list(_clinic_data.EXTRA_NUMERIC)]
    assert (numeric.dtypes == "float64").all()
    assert data["speed_r"].notna().all() and data["speed_r"].between(1, 5).all()
    assert int(data["height_cm"].isna().sum()) == 2 and data["height_cm"].max() == 999
    for column in ("DominantLeg", "Activities", "Level", "InjJoint", "low_back_joint"):
        text = data[column].dropna()
        assert not text.isin(["", "NaN", "null"]).any(), column
    assert int(data["DominantLeg"].isna().sum()) == 193 + 13
    assert data["DominantLeg"].value_counts().to_dict() == {
        "Right": 885,
        "Left": 310,
        "Ambidextrous": 1,
    }
    assert int(data["Level"].isna().sum()) == 124
    note = next(n for n in report.notes if n.startswith("The file's own columns"))
    assert "DominantLeg 13" in note and "3514 cells" in note
    # The survey columns keep the reader's types; the rejected rows stay as read.
    assert str(data["lbp_point"].dtype) == "boolean" and str(data["runner_id"].dtype) == "string"
    assert "lbprun" in data.attrs
    assert report.rejected["speed_r"].map(type).eq(str).all()


def test_typed_extras_counts_missing_text_per_column():
    raw = pd.DataFrame(
        {
            "runner_id": ["a", "b", "c"],
            "speed_r": ["2.5", "NaN", ""],
            "DominantLeg": ["null", " Left ", ""],
        }
    )
    data, written = _clinic_data._typed_extras(raw)
    assert written == {"speed_r": 1, "DominantLeg": 1}
    assert data["speed_r"].tolist()[0] == 2.5 and data["speed_r"].isna().tolist() == [
        False,
        True,
        True,
    ]
    assert data["DominantLeg"].isna().tolist() == [True, False, True]
    assert data["runner_id"].tolist() == ["a", "b", "c"]


def test_drop_mode_rejects_rows_with_bad_values():
    dropped = datasets.read_clinic_data(on_error="drop")
    assert (dropped.rows_in, dropped.rows_kept, dropped.rows_rejected) == (1832, 1347, 485)
    failing = dropped.failure_cases.drop_duplicates("row")
    assert len(failing) == 485
    assert len(dropped.set_missing) == 424 + 324 + 479  # only the placeholders


def test_unknown_on_error():
    with pytest.raises(ArgumentError, match="on_error must be one of 'missing', 'drop'"):
        datasets.read_clinic_data(on_error="raise")


_JOINTS = ["Lumbar Spine", "Sacroiliac Joint", "Knee", "", "No Injury"]
_SAID = ["No injury", "no injury", "Continuing to train in pain", ""]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(_JOINTS),
    st.sampled_from(_JOINTS),
    st.sampled_from(_SAID),
    st.sampled_from(_SAID),
)
def test_low_back_rule(joint, joint2, defn, spec):
    raw = pd.DataFrame(
        {"InjJoint": [joint], "InjJoint2": [joint2], "InjDefn": [defn], "SpecInjury": [spec]}
    )
    got = _clinic_data._low_back(raw).tolist()
    if joint in datasets.LOW_BACK_JOINTS or joint2 in datasets.LOW_BACK_JOINTS:
        assert got == ["yes"]
    elif joint != "" or "no injury" in (defn.lower(), spec.lower()):
        assert got == ["no"]
    else:
        assert got == [""]


def test_low_back_rule_reads_missing_cells_as_empty():
    raw = pd.DataFrame(
        {
            "InjJoint": [None, None, "Knee"],
            "InjJoint2": [None, "Sacroiliac Joint", None],
            "InjDefn": [None, None, None],
            "SpecInjury": ["No Injury", None, None],
        }
    )
    assert _clinic_data._low_back(raw).tolist() == ["no", "yes", "no"]
