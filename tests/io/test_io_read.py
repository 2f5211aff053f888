"""Readers: reference files, column and unit mapping, types, provenance, watch formats, writers."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lbprun.io
from lbprun._checks import ArgumentError
from lbprun.exceptions import DataQualityWarning, DataReadError, DataValidationError
from lbprun.io import _formats, read
from lbprun.io.read import (
    escape_formula,
    read_activities,
    read_cohort,
    read_episodes,
    read_survey,
    write_rejected,
)
from lbprun.io.schema import SURFACES
from lbprun.io.validate import ValidationReport, validate

REFERENCE = Path(__file__).parents[1] / "reference"


@pytest.mark.parametrize(
    ("reader", "name", "rows"),
    [
        (read_survey, "runner_survey.csv", 2549),
        (read_activities, "runner_activities.csv", 81288),
        (read_cohort, "runner_cohort.csv", 400),
    ],
)
def test_reference_files_validate_without_mapping(reader, name, rows):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        data = reader(REFERENCE / name)
    assert len(data) == rows
    assert data.attrs["lbprun"]["renamed"] == {}
    assert data["runner_id"].dtype == "string"
    raw = pd.read_csv(REFERENCE / name)
    for column in raw.columns:
        if pd.api.types.is_float_dtype(raw[column]) and column in data:
            np.testing.assert_allclose(data[column].astype(float), raw[column])


def test_reference_survey_types():
    survey = read_survey(REFERENCE / "runner_survey.csv")
    assert str(survey["lbp_12m"].dtype) == "boolean"
    assert list(survey["surface"].cat.categories) == list(SURFACES)
    assert list(survey["sex"].cat.categories) == ["F", "M"]
    assert survey["region"].tolist()[:2] == ["north", "centre"]  # passes through untouched
    assert survey["bmi"].isna().sum() == 55


def test_reference_cohort_dates():
    cohort = read_cohort(REFERENCE / "runner_cohort.csv")
    assert cohort["start_date"].dtype == "datetime64[ns]"
    assert cohort["lbp_onset_date"].notna().sum() == 57


def test_explicit_column_map_and_units():
    raw = pd.DataFrame(
        {
            "Athlete": ["a", "a"],
            "Day": ["2025-01-06", "2025-01-08"],
            "Miles": [6.2, 3.1],
            "Hours": [1.0, 0.5],
            "Climb": [328.084, 0.0],
        }
    )
    runs = read_activities(
        raw,
        columns={
            "Athlete": "runner_id",
            "Day": "date",
            "Miles": "distance_km",
            "Hours": "duration_min",
            "Climb": "elevation_gain_m",
        },
        units={"distance_km": "mi", "duration_min": "h", "elevation_gain_m": "ft"},
    )
    np.testing.assert_allclose(runs["distance_km"], [6.2 * 1.609344, 3.1 * 1.609344])
    np.testing.assert_allclose(runs["duration_min"], [60.0, 30.0])
    np.testing.assert_allclose(runs["elevation_gain_m"], [100.0, 0.0], atol=1e-9)
    assert runs.attrs["lbprun"]["units"] == {
        "distance_km": "mi",
        "duration_min": "h",
        "elevation_gain_m": "ft",
    }


def test_seconds_and_unit_suffix_matching_declared_unit():
    raw = pd.DataFrame(
        {
            "runner_id": ["a", "b"],
            "date": ["2025-01-06", "2025-01-06"],
            "distance_km": ["5 mi", "3 miles"],
            "duration_min": [2700, 1800],
        }
    )
    runs = read_activities(raw, units={"distance_km": "mi", "duration_min": "s"})
    np.testing.assert_allclose(runs["distance_km"], [5 * 1.609344, 3 * 1.609344])
    np.testing.assert_allclose(runs["duration_min"], [45.0, 30.0])
    ok = read_activities(raw.assign(distance_km=["10 km", "8km"], duration_min=[50, 40]))
    assert ok["distance_km"].tolist() == [10.0, 8.0]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"units": {"distance_km": "furlong"}}, r"units\['distance_km'\] must be one of"),
        ({"units": {"distanse_km": "mi"}}, "Did you mean 'distance_km'"),
        ({"units": {"distance_km": "mlies"}}, "Did you mean 'miles'"),
        ({"columns": {"Runner": "runner_id"}}, "Did you mean 'runner_id'"),
        ({"on_error": "ignore"}, "on_error must be one of"),
    ],
)
def test_bad_arguments(kwargs, match):
    raw = pd.DataFrame(
        {"runner_id": ["a"], "date": ["2025-01-06"], "distance_km": [5.0], "duration_min": [30.0]}
    )
    with pytest.raises(ArgumentError, match=match):
        read_activities(raw, **kwargs)


def test_unknown_kind_and_source_type():
    with pytest.raises(ArgumentError, match="kind must be one of"):
        validate(pd.DataFrame({"a": [1]}), "surveys")
    with pytest.raises(ArgumentError, match="data must be a path or a pandas DataFrame"):
        validate([1, 2], "survey")


def test_dataframe_rows_are_positions_and_index_is_kept():
    raw = pd.DataFrame(
        {"runner_id": ["a", "b", "c"], "lbp_12m": [1, 0, 7], "extra": [object(), None, 3]},
        index=[10, 20, 30],
    )
    with pytest.raises(DataValidationError) as caught:
        read_survey(raw)
    assert caught.value.failure_cases["row"].tolist() == [2]
    assert "0-based positions" in str(caught.value)
    data, rejected = read_survey(raw, on_error="drop")
    assert data.index.tolist() == [10, 20]
    assert data["extra"].iloc[0] is raw["extra"].iloc[0]  # passes through untouched
    assert rejected["row"].tolist() == [2]
    assert "lbp_12m" in rejected["reasons"].iloc[0]


def test_error_message_counts_and_shows_five_examples():
    raw = pd.DataFrame({"runner_id": list("abcdefg"), "lbp_12m": ["x"] * 7, "age": [200] * 7})
    with pytest.raises(DataValidationError) as caught:
        read_survey(raw)
    message = str(caught.value)
    assert "lbp_12m / dtype: 7" in message and "age / in_range: 7" in message
    assert message.count("<DataFrame>, row") == 5
    assert "14 failure(s) in 7 of 7 rows" in message
    assert len(caught.value.failure_cases) == 14


def test_validate_never_raises_for_data_and_reports():
    raw = pd.DataFrame({"runner_id": ["a", "a"], "sex": ["female", "robot"], "lbp_12m": [1, 0]})
    report = validate(raw, "survey")
    assert isinstance(report, ValidationReport) and not report.ok
    assert report.rows_in == 2 and report.rows_kept == 1 and report.rows_rejected == 1
    assert repr(report) == report.summary()
    assert set(report.failure_cases["check"]) == {"allowed", "duplicate"}
    assert report.data is None
    text = report.summary()
    assert "rows in: 2; valid: 1; rejected: 1" in text and "sex / allowed: 1" in text
    payload = json.loads(report.to_json())
    assert payload["ok"] is False and payload["n_failures"] == 2
    assert payload["failure_cases"][0]["runner_id"] == "a"
    assert report.to_error().failure_cases.shape[0] == 2
    import matplotlib

    matplotlib.use("Agg")
    ax = report.plot()
    assert len(ax.patches) == 2


def test_validate_ok_report():
    report = validate(REFERENCE / "runner_cohort.csv", "cohort", keep_data=True)
    assert report.ok and report.rows_kept == 400 and len(report.data) == 400
    assert len(report.rejected) == 0 and "is valid" in report.summary()


def test_missing_column_rejects_every_row_and_drop_still_raises():
    raw = pd.DataFrame(
        {"runner_id": ["a", "b"], "date": ["2025-01-06", "2025-01-07"], "distance_km": [5.0, 6.0]}
    )
    report = validate(raw, "activities")
    assert report.rows_rejected == 2 and report.rows_kept == 0
    with pytest.raises(DataValidationError, match="required column 'duration_min' is missing"):
        read_activities(raw, on_error="drop")


def test_miles_warning_on_race_distances_and_slow_pace():
    raw = pd.DataFrame(
        {
            "runner_id": ["a"] * 10,
            "date": pd.date_range("2025-01-01", periods=10).strftime("%Y-%m-%d"),
            "distance_km": [3.1, 6.2, 13.1, 3.1, 6.2, 26.2, 3.1, 6.2, 3.1, 13.1],
            "duration_min": [28, 56, 120, 27, 55, 250, 28, 57, 27, 118],
        }
    )
    with pytest.warns(DataQualityWarning, match=r"looks like miles.*units=\{'distance_km'") as rec:
        data = read_activities(raw)
    assert rec[0].filename == __file__  # attributed to the caller, not to lbprun
    assert any("miles" in n for n in data.attrs["lbprun"]["notes"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        read_activities(raw, units={"distance_km": "mi"})
    slow = raw.assign(distance_km=[4.0, 5.5, 8.0, 10.0, 5.0, 7.5, 4.5, 9.0, 6.0, 12.0])
    slow["duration_min"] = slow["distance_km"] * 9.5
    with pytest.warns(DataQualityWarning, match="median pace is 9.5 min/km"):
        read_activities(slow)


def test_watch_sources_need_the_wearables_module(tmp_path, monkeypatch):
    import sys

    gpx = tmp_path / "run.gpx"
    gpx.write_text("<gpx/>")
    monkeypatch.setitem(sys.modules, "lbprun.io.wearables", None)
    monkeypatch.delattr(lbprun.io, "wearables", raising=False)
    for source in (gpx, tmp_path):
        with pytest.raises(DataReadError, match=r"\[watch\] extra") as caught:
            read_activities(source)
        assert str(source) in str(caught.value)


def test_watch_sources_are_validated_like_any_frame(tmp_path, monkeypatch):
    import sys
    import types

    calls = []

    def read_watch_export(source, **kwargs):
        calls.append(source)
        return pd.DataFrame(
            {
                "runner_id": ["me", "me"],
                "start_time": ["2025-03-01T07:00:00+01:00", "2025-03-02T07:00:00+01:00"],
                "distance_km": [10.0, 500.0],
                "duration_min": [50.0, 60.0],
            }
        )

    module = types.ModuleType("lbprun.io.wearables")
    module.read_watch_export = read_watch_export
    monkeypatch.setitem(sys.modules, "lbprun.io.wearables", module)
    monkeypatch.setattr(lbprun.io, "wearables", module, raising=False)
    fit = tmp_path / "ride.fit"
    fit.write_bytes(b"\x0e")
    report = read_activities(fit, on_error="drop")
    assert calls == [fit]
    assert report.source == str(fit) and report.rows_kept == 1
    assert report.failure_cases["column"].tolist() == ["distance_km"]


def test_write_rejected_escapes_formulas(tmp_path):
    raw = pd.DataFrame(
        {
            "runner_id": ['=HYPERLINK("http://evil")', "@SUM(A1)", "ok"],
            "lbp_12m": ["maybe", "+cmd|' /C calc'!A0", "yes"],
            "age": ["-2+3", "-5", "30"],
        }
    )
    report = validate(raw, "survey")
    out = write_rejected(report, tmp_path / "rejected.csv")
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    for column in back.columns:
        assert not back[column].str.match(r"^[=+@]").any(), column
    assert back["runner_id"].tolist() == ['\'=HYPERLINK("http://evil")', "'@SUM(A1)"]
    assert back["age"].tolist() == ["'-2+3", "-5"]
    cases = pd.read_csv(
        write_rejected(report, tmp_path / "cases.csv", what="failure_cases"), dtype=str
    )
    assert not cases["value"].fillna("").str.match(r"^[=+@]").any()
    assert escape_formula(3) == 3 and escape_formula("\tx") == "'\tx"


def test_cross_chunk_duplicates_and_dates(tmp_path, monkeypatch):
    monkeypatch.setattr(_formats, "CHUNK_ROWS", 3)
    lines = ["runner_id,date,distance_km,duration_min"]
    lines += [f"a,2025-01-{d:02d},10.0,50.0" for d in range(1, 9)]
    lines += ["a,2025-01-02,10.0,50.0", "b,02/01/2025,5,30"]
    path = tmp_path / "runs.csv"
    path.write_text("\n".join(lines) + "\n")
    report = validate(path, "activities", keep_data=True)
    cases = report.failure_cases
    assert cases["row"].tolist() == [10, 11]
    assert cases["check"].tolist() == ["duplicate_run", "mixed_date_formats"]
    assert "already on row 3" in cases["message"].iloc[0]
    assert report.rows_in == 10 and len(report.data) == 8


def test_parquet_in_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(_formats, "CHUNK_ROWS", 2)
    frame = pd.DataFrame(
        {
            "runner_id": ["a", "a", "b", "a", "c"],
            "date": pd.to_datetime(
                ["2025-01-01", "2025-01-02", "2025-01-01", "2025-01-01", "2025-01-03"]
            ),
            "distance_km": [5.0, 6.0, 7.0, 5.0, 8.0],
            "duration_min": [30.0, 36.0, 42.0, 30.0, 2.0],
        }
    )
    frame.to_parquet(tmp_path / "runs.parquet")
    report = read_activities(tmp_path / "runs.parquet", on_error="drop")
    assert report.failure_cases["row"].tolist() == [4, 5]
    assert report.failure_cases["check"].tolist() == ["duplicate_run", "pace"]
    assert report.rows_kept == 3


def test_excel_rows_follow_the_sheet(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([])
    sheet.append(["Runner ID", "LBP 12m", "Age"])
    sheet.append(["r1", "yes", 30])
    sheet.append([])
    sheet.append(["r2", "no", 300])
    book.save(tmp_path / "s.xlsx")
    with pytest.raises(DataValidationError, match=r"s\.xlsx, row 5, age, 300") as caught:
        read_survey(tmp_path / "s.xlsx")
    assert "spreadsheet rows" in str(caught.value)
    with pytest.raises(DataReadError, match="no sheet 'nope'"):
        read_survey(tmp_path / "s.xlsx", sheet="nope")


def test_missing_and_folder_paths(tmp_path):
    with pytest.raises(DataReadError, match="no such file"):
        read_survey(tmp_path / "absent.csv")
    with pytest.raises(DataReadError, match="old .xls"):
        (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
        read_survey(tmp_path / "old.xls")


def test_episodes_rules():
    episodes = pd.DataFrame(
        {
            "runner_id": ["a", "a", "a", "b", "b"],
            "onset_date": ["2025-01-01", "2025-02-01", "2025-03-01", "2025-01-01", "2025-01-05"],
            "recovery_date": ["2025-01-10", "", "2025-03-05", "2025-01-04", "2025-01-09"],
        }
    )
    report = read_episodes(episodes, on_error="drop")
    assert report.failure_cases["row"].tolist() == [2]
    assert "unresolved" in report.failure_cases["message"].iloc[0]
    assert report.rows_kept == 4


def test_read_module_exports():
    assert set(read.__all__) >= {
        "read_survey",
        "read_activities",
        "read_cohort",
        "read_episodes",
        "write_rejected",
    }


def test_encoding_fallbacks(tmp_path):
    cp1252 = tmp_path / "cp1252.csv"
    cp1252.write_bytes("runner_id,lbp_12m,club\nR1,yes,Atl\u00e9tico \u20ac\n".encode("cp1252"))
    data = read_survey(cp1252)
    assert data.loc[0, "club"] == "Atlético €"
    assert "read as cp1252" in data.attrs["lbprun"]["notes"][0]
    latin1 = tmp_path / "latin1.csv"  # byte 0x81 is undefined in cp1252
    latin1.write_bytes(b"runner_id,lbp_12m,club\nR1,yes,x\x81y\n")
    data = read_survey(latin1)
    assert data.loc[0, "club"] == "x\x81y"
    assert "read as latin-1" in data.attrs["lbprun"]["notes"][0]


def test_source_name_and_gzipped_watch_files(tmp_path, monkeypatch):
    import sys

    report = validate(pd.DataFrame({"runner_id": ["a"], "lbp_12m": ["?"]}), "survey",
                      source="clinic survey")  # fmt: skip
    assert report.failure_cases["source"].tolist() == ["clinic survey"]
    assert "clinic survey, row 0, lbp_12m" in str(report.to_error())
    monkeypatch.setitem(sys.modules, "lbprun.io.wearables", None)
    monkeypatch.delattr(lbprun.io, "wearables", raising=False)
    gz = tmp_path / "run.fit.gz"
    gz.write_bytes(b"\x1f\x8b")
    with pytest.raises(DataReadError, match="watch formats"):
        read_activities(gz)


def test_gpx_file_goes_through_the_watch_reader(tmp_path):
    pytest.importorskip("gpxpy")
    points = "".join(
        f'<trkpt lat="{45 + i * 0.0009:.4f}" lon="9.0"><ele>100</ele>'
        f"<time>2025-03-01T07:{i:02d}:00Z</time></trkpt>"
        for i in range(31)
    )
    gpx = tmp_path / "morning.gpx"
    gpx.write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="x" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Morning run</name>'
        f"<type>running</type><trkseg>{points}</trkseg></trk></gpx>"
    )
    runs = read_activities(gpx)
    assert len(runs) == 1 and runs.attrs["lbprun"]["format"] == "watch"
    assert runs.attrs["lbprun"]["source"] == str(gpx)
    assert runs["date"].iloc[0] == pd.Timestamp("2025-03-01")
    np.testing.assert_allclose(runs["duration_min"].iloc[0], 30.0)
    assert 2.9 < runs["distance_km"].iloc[0] < 3.1
