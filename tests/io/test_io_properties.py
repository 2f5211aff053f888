"""Hypothesis properties: nothing is dropped silently, and files round-trip without loss."""

from __future__ import annotations

import string
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbprun.exceptions import DataQualityWarning
from lbprun.io._parse import NA_TOKENS
from lbprun.io.read import read_cohort, read_survey
from lbprun.io.schema import SURFACES
from lbprun.io.validate import validate

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROUND_TRIP = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDS = st.text(alphabet=string.ascii_letters + string.digits + "-_#é", min_size=1, max_size=8)


@st.composite
def messy_surveys(draw):
    n = draw(st.integers(1, 25))
    cell = st.one_of
    return pd.DataFrame(
        {
            "runner_id": draw(
                st.lists(st.sampled_from(["a", "b", "c", "d", "e", None]), min_size=n, max_size=n)
            ),
            "age": draw(
                st.lists(
                    cell(st.floats(-50, 300), st.just("thirty"), st.none()),
                    min_size=n,
                    max_size=n,
                )
            ),
            "surface": draw(
                st.lists(st.sampled_from([*SURFACES, "Road", "mud", None]), min_size=n, max_size=n)
            ),
            "lbp_12m": draw(
                st.lists(
                    st.sampled_from(["yes", "no", "maybe", "1", None]), min_size=n, max_size=n
                )
            ),
        }
    )


def _check_partition(report):
    assert report.rows_in == report.rows_kept + report.rows_rejected
    assert len(report.data) == report.rows_kept
    assert len(report.rejected) == report.rows_rejected
    rejected_rows = set(report.rejected["row"].tolist())
    assert rejected_rows == set(report.failure_cases["row"].dropna().tolist())
    return rejected_rows


@SETTINGS
@given(messy_surveys())
def test_rows_in_equals_kept_plus_rejected_for_frames(frame):
    report = validate(frame, "survey", keep_data=True)
    rejected_rows = _check_partition(report)
    kept = set(report.data.index.tolist())
    assert kept.isdisjoint(rejected_rows)
    assert kept | rejected_rows == set(range(len(frame)))


@SETTINGS
@given(messy_surveys())
def test_rows_in_equals_kept_plus_rejected_for_files(frame):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "survey.csv"
        frame.to_csv(path, index=False)
        report = read_survey(path, on_error="drop")
    rejected_rows = _check_partition(report)
    assert rejected_rows <= set(range(2, len(frame) + 2))


def _excel_floats(low: float, high: float) -> st.SearchStrategy[float]:
    """Floats with at most 15 significant digits: what Excel (and openpyxl) store exactly."""
    return st.floats(low, high).map(lambda x: min(max(float(f"{x:.15g}"), low), high))


@st.composite
def surveys(draw):
    n = draw(st.integers(1, 12))
    ids = draw(st.lists(IDS, min_size=n, max_size=n, unique=True))
    ids = [i for i in ids if i.strip().lower() not in NA_TOKENS] or ["r1"]  # read as missing
    n = len(ids)

    def column(strategy):
        return draw(st.lists(st.one_of(strategy, st.none()), min_size=n, max_size=n))

    return pd.DataFrame(
        {
            "runner_id": ids,
            "sex": column(st.sampled_from(["F", "M"])),
            "age": column(_excel_floats(10, 100)),
            "weekly_km": column(_excel_floats(0, 400)),
            "surface": column(st.sampled_from(SURFACES)),
            "lbp_12m": column(st.booleans()),
        }
    )


@st.composite
def cohorts(draw):
    n = draw(st.integers(1, 10))
    starts = draw(st.lists(st.integers(0, 10_000), min_size=n, max_size=n))
    lengths = draw(st.lists(st.integers(0, 800), min_size=n, max_size=n))
    onsets = draw(st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=n, max_size=n))
    base = pd.Timestamp("1998-01-01")
    start = [base + pd.Timedelta(days=s) for s in starts]
    end = [s + pd.Timedelta(days=k) for s, k in zip(start, lengths, strict=True)]
    onset = [
        pd.NaT if o is None else s + pd.Timedelta(days=int(o * k))
        for s, k, o in zip(start, lengths, onsets, strict=True)
    ]
    return pd.DataFrame(
        {
            "runner_id": [f"C{i:03d}" for i in range(n)],
            "start_date": start,
            "end_date": end,
            "lbp_onset_date": onset,
            "prior_lbp": draw(
                st.lists(st.one_of(st.booleans(), st.none()), min_size=n, max_size=n)
            ),
            "bmi": draw(
                st.lists(st.one_of(_excel_floats(12, 60), st.none()), min_size=n, max_size=n)
            ),
        }
    )


def _write(frame: pd.DataFrame, fmt: str, path: Path) -> Path:
    path = path.with_suffix("." + fmt)
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "xlsx":
        frame.to_excel(path, index=False)
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        out = frame.copy()
        for name in out.columns:
            if str(out[name].dtype) == "boolean":
                out[name] = out[name].astype("Float64").astype(float)
            elif isinstance(out[name].dtype, pd.CategoricalDtype | pd.StringDtype):
                out[name] = out[name].astype(object).where(out[name].notna(), "")
        dates = {c: "td" for c in out.columns if str(out[c].dtype).startswith("datetime")}
        out.to_stata(path, write_index=False, convert_dates=dates, version=118)
    return path


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "dta"])
@ROUND_TRIP
@given(frame=surveys())
def test_survey_round_trip(frame, fmt):
    first = read_survey(frame)
    with tempfile.TemporaryDirectory() as folder:
        again = read_survey(_write(first, fmt, Path(folder) / "survey"))
    assert len(again) == len(frame)
    pd.testing.assert_frame_equal(again, first, check_exact=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "dta"])
@ROUND_TRIP
@given(frame=cohorts())
def test_cohort_round_trip(frame, fmt):
    first = read_cohort(frame.assign(start_date=frame["start_date"].dt.strftime("%d/%m/%Y")))
    np.testing.assert_array_equal(first["start_date"].to_numpy(), frame["start_date"].to_numpy())
    with tempfile.TemporaryDirectory() as folder:
        again = read_cohort(_write(first, fmt, Path(folder) / "cohort"))
    pd.testing.assert_frame_equal(again, first, check_exact=True)


@st.composite
def messy_logs(draw):
    n = draw(st.integers(1, 40))

    def column(values):
        return draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))

    return pd.DataFrame(
        {
            "runner_id": column(["a", "b", "c", ""]),
            "date": column(
                ["2025-01-06", "2025-01-07", "06/01/2025", "13/01/2025", "01/13/2025", "x"]
            ),
            "distance_km": column(["5.0", "10", "-1", "7 mi", "=1+1", ""]),
            "duration_min": column(["30", "55.5", "2", "600", ""]),
        }
    )


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=messy_logs(), chunk=st.integers(1, 9))
def test_chunked_validation_equals_whole_file_validation(frame, chunk):
    from unittest import mock

    from lbprun.io import _formats

    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # tiny logs may look like miles
        path = Path(folder) / "log.csv"
        frame.to_csv(path, index=False)
        whole = validate(path, "activities", keep_data=True)
        with mock.patch.object(_formats, "CHUNK_ROWS", chunk):
            chunked = validate(path, "activities", keep_data=True)
    pd.testing.assert_frame_equal(chunked.failure_cases, whole.failure_cases)
    pd.testing.assert_frame_equal(chunked.data, whole.data)
    pd.testing.assert_frame_equal(chunked.rejected, whole.rejected)
    _check_partition(chunked)
