"""Numbers written with a unit inside the value ("20 mi", "5km", "1.5 h")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbprun.io import _fast_coerce
from lbprun.io._engine import Run
from lbprun.io._formats import open_source
from lbprun.io._suffixes import read_suffix, suffix_note
from lbprun.io.read import read_activities, read_survey
from lbprun.io.validate import validate

MI = 1.609344


@pytest.fixture(params=[True, False], ids=["fast", "general"])
def paths(request, monkeypatch):
    """Run every test through the fast paths and through the general path."""
    monkeypatch.setattr(_fast_coerce, "ENABLED", request.param)
    return request.param


def _survey(weekly):
    n = len(weekly)
    return pd.DataFrame(
        {"runner_id": [f"r{i}" for i in range(n)], "lbp_12m": ["no"] * n, "weekly_km": weekly}
    )


def _run(source, kind, **options):
    """Validate through the engine and return the Run (to read ``recoded``)."""
    run = Run(open_source(source), kind, **options)
    run.prescan()
    for raw, rows in run.src.chunks():
        run.process(raw, rows)
    run.finish()
    return run


def test_survey_values_use_the_written_unit_not_the_declared_one(paths):
    frame = _survey(["20 mi", "30", "5km", "12.5 miles", "8000 m", "7 Mi."])
    survey = read_survey(frame, units={"weekly_km": "mi"})
    assert survey["weekly_km"].tolist() == [
        20 * MI,  # written in miles
        30 * MI,  # no unit: the declared one
        5.0,  # written in km although miles are declared
        12.5 * MI,
        8000 * 0.001,
        7 * MI,
    ]
    assert survey["weekly_km"].round(5).tolist() == [
        32.18688,
        48.28032,
        5.0,
        20.1168,
        8.0,
        11.26541,
    ]


def test_values_without_a_unit_keep_the_declared_unit(paths):
    survey = read_survey(_survey(["20", 25.0, " 30 "]), units={"weekly_km": "mi"})
    assert survey["weekly_km"].tolist() == [20 * MI, 25 * MI, 30 * MI]
    plain = read_survey(_survey(["20", "21.5"]))
    assert plain["weekly_km"].tolist() == [20.0, 21.5]


def test_a_note_counts_the_values_read_from_their_unit(paths):
    frame = _survey(["20 mi", "20 mi", "5 km", "30", "12 miles", "3 mi"])
    run = _run(frame, "survey", units={"weekly_km": "km"})
    expected = (
        "weekly_km: 5 values written with a unit ('20 mi', '5 km', '12 miles', ...) converted "
        "to km."
    )
    assert run.recoded == [expected]
    assert expected in run.notes
    report = validate(frame, "survey")
    assert expected in report.notes
    one = _run(_survey(["20 mi", "30"]), "survey")
    assert one.recoded == ["weekly_km: 1 value written with a unit ('20 mi') converted to km."]
    none = _run(_survey(["20", "30"]), "survey")
    assert none.recoded == []


def test_training_log_csv_distances_and_durations(tmp_path, paths):
    path = tmp_path / "log.csv"
    path.write_text(
        "runner_id,date,distance_km,duration_min,elevation_gain_m\n"
        "A1,2025-01-06,5 mi,45 min,100 ft\n"
        "A1,2025-01-07,10 km,1.5 h,30\n"
        "A1,2025-01-08,8000 m,2400 s,12 m\n"
        "A1,2025-01-09,6.2,0:31:00,\n",
        encoding="utf-8",
    )
    log = read_activities(path)
    assert log["distance_km"].tolist() == [5 * MI, 10.0, 8.0, 6.2]
    assert log["duration_min"].tolist() == [45.0, 90.0, 2400 / 60, 31.0]
    assert log["elevation_gain_m"].tolist()[:3] == [100 * 0.3048, 30.0, 12.0]
    assert round(log["distance_km"].iloc[0], 6) == 8.04672
    notes = log.attrs["lbprun"]["notes"]
    assert (
        "distance_km: 3 values written with a unit ('5 mi', '10 km', '8000 m') converted to km."
        in notes
    )
    assert (
        "duration_min: 3 values written with a unit ('45 min', '1.5 h', '2400 s') converted to min."
        in notes
    )
    assert (
        "elevation_gain_m: 2 values written with a unit ('100 ft', '12 m') converted to m."
        in notes
    )


def test_declared_miles_with_suffixes_in_a_csv_log(tmp_path, paths):
    path = tmp_path / "miles.csv"
    path.write_text(
        "runner_id;date;distance_km;duration_min\n"
        "B2;06/01/2025;3,1;25\n"
        "B2;07/01/2025;5 km;30\n"
        "B2;08/01/2025;2,5 mi;22\n",
        encoding="utf-8",
    )
    log = read_activities(path, units={"distance_km": "mi"})
    assert log["distance_km"].tolist() == [3.1 * MI, 5.0, 2.5 * MI]
    assert log["distance_km"].round(6).tolist() == [4.988966, 5.0, 4.02336]


@pytest.mark.parametrize(
    ("value", "words"),
    [("20 kg", "'kg', a unit of mass, not of distance"), ("20 laps", "unknown unit 'laps'")],
)
def test_a_unit_of_another_dimension_or_an_unknown_word_is_a_failure(
    tmp_path, paths, value, words
):
    path = tmp_path / "log.csv"
    path.write_text(
        f"runner_id,date,distance_km,duration_min\nA1,2025-01-06,8,45\nA1,2025-01-07,{value},44\n",
        encoding="utf-8",
    )
    report = read_activities(path, on_error="drop")
    cases = report.failure_cases
    assert cases[["row", "column", "check", "value"]].to_dict("records") == [
        {"row": 3, "column": "distance_km", "check": "unit", "value": value}
    ]
    assert words in cases["message"].iloc[0] and repr(value) in cases["message"].iloc[0]
    assert report.rows_in == 2 and report.rows_kept == 1 and report.rows_rejected == 1
    assert report.rejected["row"].tolist() == [3]
    assert "distance_km" in report.rejected["reasons"].iloc[0]


def test_unit_failures_in_a_survey_frame_name_row_column_and_value(paths):
    report = validate(_survey(["20 mi", "20 bpm", "20 s"]), "survey")
    cases = report.failure_cases
    assert cases[["row", "column", "check", "value"]].to_dict("records") == [
        {"row": 1, "column": "weekly_km", "check": "unit", "value": "20 bpm"},
        {"row": 2, "column": "weekly_km", "check": "unit", "value": "20 s"},
    ]
    assert "a unit of heart rate, not of distance" in cases["message"].iloc[0]
    assert "'s', a unit of time, not of distance" in cases["message"].iloc[1]
    assert report.rows_kept == 1


def test_suffix_helpers():
    assert read_suffix("5km", "distance_km") == (5.0, None)
    assert read_suffix("45 min", "duration_min") == (45.0, None)
    assert read_suffix("3", "distance_km") == (None, None)
    number, message = read_suffix("10 km", "elevation_gain_m")
    assert number is None and "a unit that elevation_gain_m does not take" in message
    assert suffix_note("shoe_km", 1, ["400 mi"]) == (
        "shoe_km: 1 value written with a unit ('400 mi') converted to km."
    )
    assert np.isclose(read_suffix("400 mi", "shoe_km")[0], 643.7376)
