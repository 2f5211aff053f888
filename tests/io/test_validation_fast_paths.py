"""The fast validation paths give exactly what the general (value-by-value) path gives."""

from __future__ import annotations

import warnings
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbprun.exceptions import DataQualityWarning
from lbprun.io import _engine, _fast_coerce, _formats
from lbprun.io._engine_keys import KeyStore, duplicate_cases
from lbprun.io.schema import ACTIVITIES
from lbprun.io.validate import validate

IDS = ["R1", " R1", "R1 ", "r2", "Łódź-7", "ランナー", "n/a", "NA", "", "  ", "=1+1", "R\u00a03"]
DATES = [
    "2025-01-06", "2025-01-07", " 2025-01-08 ", "2025-02-30", "06/01/2025", "13/01/2025",
    "01/13/2025", "2025-01-06T07:30:00", "n/a", "", "yesterday",
]  # fmt: skip
DISTANCES = [
    "5", "5.0", " 10 ", "12,5", "7 mi", "5km", "8000 m", "20 kg", "20 laps", "=1+1", "n/a",
    "", "-1", "300", "0", "1e1", "nan",
]  # fmt: skip
DURATIONS = ["30", "45.5", "0:45:00", "1:02:03", "1.5 h", "45 min", "PT1H", "", "NA", "2", "x"]
SURFACES = ["road", "Trail", "off-road", "asfalt", "", "n/a", "TRACK"]
BOOLS = ["yes", "no", "Y", "0", "1.0", "maybe", "", "n/a", "si"]
MISSING = [None, np.nan]


def _column(draw, n, values, *, typed=()):
    pool = values + MISSING + list(typed)
    return draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))


@st.composite
def logs(draw):
    """Training logs with mixed types, blanks, whitespace, NA tokens and repeated runs."""
    n = draw(st.integers(2, 30))
    frame = pd.DataFrame(
        {
            "runner_id": pd.Series(_column(draw, n, IDS, typed=[7, 7.0]), dtype=object),
            "date": pd.Series(_column(draw, n, DATES), dtype=object),
            "distance_km": pd.Series(_column(draw, n, DISTANCES, typed=[6.5, 6]), dtype=object),
            "duration_min": pd.Series(_column(draw, n, DURATIONS, typed=[40.0]), dtype=object),
            "surface": pd.Series(_column(draw, n, SURFACES), dtype=object),
        }
    )
    repeat = draw(st.lists(st.integers(0, n - 1), max_size=4))
    frame = pd.concat([frame, frame.iloc[repeat]], ignore_index=True)  # the same run twice
    if draw(st.booleans()):  # all-text columns as pandas string dtype
        for column in ("runner_id", "date", "surface"):
            values = frame[column]
            if values.map(lambda v: v is None or isinstance(v, str) or v != v).all():
                frame[column] = values.astype("string")
    return frame


@st.composite
def surveys(draw):
    n = draw(st.integers(2, 30))
    return pd.DataFrame(
        {
            "runner_id": pd.Series(_column(draw, n, IDS), dtype=object),
            "lbp_12m": pd.Series(_column(draw, n, BOOLS, typed=[True]), dtype=object),
            "weekly_km": pd.Series(_column(draw, n, DISTANCES), dtype=object),
            "age": pd.Series(_column(draw, n, ["30", " 41", "x", "150", "n/a"]), dtype=object),
        }
    )


def _both(source, kind, **options):
    """Validate with the fast paths and with the general path."""
    reports = []
    for enabled in (True, False):
        with (
            mock.patch.object(_fast_coerce, "ENABLED", enabled),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore", DataQualityWarning)
            reports.append(validate(source, kind, keep_data=True, **options))
    return reports


def _same(fast, general):
    pd.testing.assert_frame_equal(fast.failure_cases, general.failure_cases)
    pd.testing.assert_frame_equal(fast.data, general.data)
    pd.testing.assert_frame_equal(fast.rejected, general.rejected)
    assert fast.notes == general.notes
    assert (fast.rows_in, fast.rows_kept, fast.rows_rejected) == (
        general.rows_in,
        general.rows_kept,
        general.rows_rejected,
    )
    assert fast.rows_in == fast.rows_kept + fast.rows_rejected + fast.rows_excluded


_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(frame=logs())
def test_fast_paths_equal_the_general_path_on_frames(frame):
    _same(*_both(frame, "activities"))


@_SETTINGS
@given(frame=surveys(), miles=st.booleans())
def test_fast_paths_equal_the_general_path_on_surveys(frame, miles):
    units = {"weekly_km": "mi"} if miles else None
    _same(*_both(frame, "survey", units=units))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=logs(), chunk=st.integers(1, 9))
def test_fast_paths_equal_the_general_path_on_csv_in_chunks(frame, chunk, tmp_path_factory):
    path = Path(tmp_path_factory.mktemp("fast")) / "log.csv"
    frame.to_csv(path, index=False)
    whole_fast, whole_general = _both(path, "activities")
    _same(whole_fast, whole_general)
    with mock.patch.object(_formats, "CHUNK_ROWS", chunk):
        chunked_fast, chunked_general = _both(path, "activities")
    _same(chunked_fast, whole_fast)
    _same(chunked_general, whole_general)


def test_typed_columns_skip_text_parsing():
    frame = pd.DataFrame(
        {
            "runner_id": pd.array(["a", "b", "a"], dtype="string"),
            "date": pd.to_datetime(["2025-01-06", "2025-01-06", "2025-01-06"]),
            "distance_km": [5.0, 6.0, 5.0],
            "duration_min": [30.0, 36.0, 30.0],
        }
    )
    with (
        mock.patch.object(_fast_coerce._parse.pd, "to_numeric", side_effect=AssertionError),
        mock.patch.object(_fast_coerce._dates, "scan", side_effect=AssertionError),
    ):  # a float64 column needs no number parsing, a datetime64 column no date parsing
        fast, general = _both(frame, "activities")
    _same(fast, general)
    assert fast.failure_cases["check"].tolist() == ["duplicate_run"]
    assert "already on row 0" in fast.failure_cases["message"].iloc[0]
    assert fast.data["distance_km"].tolist() == [5.0, 6.0]


def test_repeated_text_is_converted_once_per_distinct_value():
    raw = pd.Series(["5", " 5", "7 mi", "x", None] * 1000, dtype=object)
    calls = []
    real = _fast_coerce._parse.to_float

    def spy(values, *args, **kwargs):
        calls.append(len(values))
        return real(values, *args, **kwargs)

    with mock.patch.object(_fast_coerce._parse, "to_float", spy):
        out = _fast_coerce.convert(ACTIVITIES["distance_km"], raw)
    assert calls == [4]  # the four distinct texts, not 5,000 values
    assert out.values.iloc[:5].tolist()[:3] == [5.0, 5.0, 7 * 1.609344]
    assert out.failures["pos"].tolist() == list(range(3, 5000, 5))
    assert out.converted == [("7 mi", 1000)]


def test_keys_across_many_chunks_match_a_plain_dictionary():
    rng = np.random.default_rng(7)
    ids = [str(i) for i in rng.integers(0, 300, 3000)]
    typed = pd.DataFrame({"runner_id": pd.array(ids, dtype="string")})
    store = KeyStore()
    found = []
    for start in range(0, 3000, 250):
        part = typed.iloc[start : start + 250].reset_index(drop=True)
        cases = duplicate_cases(part, np.arange(start, start + 250), _survey_schema(), store)
        found += list(zip(cases["pos"] + start, cases["message"], strict=True))
    first = {}
    expected = []
    for row, key in enumerate(ids):
        if key in first:
            expected.append(
                (row, f"runner_id {key!r} is duplicated: already on row {first[key]}.")
            )
        else:
            first[key] = row
    assert found == expected


def _survey_schema():
    from lbprun.io.schema import SURVEY

    return SURVEY


def test_the_engine_uses_threads_only_for_large_chunks():
    assert _engine._THREAD_ROWS >= 10_000


@pytest.mark.parametrize("enabled", [True, False])
def test_both_paths_read_the_bundled_style_log(enabled, tmp_path):
    path = tmp_path / "log.csv"
    path.write_text(
        "runner_id,date,distance_km,duration_min\n"
        "A1,2025-01-06,8,45\nA1,2025-01-07,5 mi,44\nA1,2025-01-07,5 mi,44\nA2,x,3,20\n",
        encoding="utf-8",
    )
    with mock.patch.object(_fast_coerce, "ENABLED", enabled):
        report = validate(path, "activities", keep_data=True)
    assert report.failure_cases[["row", "check"]].to_dict("records") == [
        {"row": 4, "check": "duplicate_run"},
        {"row": 5, "check": "date_format"},
    ]
    assert report.data["distance_km"].tolist() == [8.0, 5 * 1.609344]
