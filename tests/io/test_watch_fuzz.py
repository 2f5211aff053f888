"""Mutated watch files (bytes flipped, cut, inserted) end in a result or an LbprunError.

Bounded: a fixed number of examples and no deadline per example, so the test takes a few
seconds in the default suite.
"""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd
import pytest
from _watch_fixtures import fit_activity, gpx_text, meridian_points, tcx_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbprun.exceptions import LbprunError
from lbprun.io._fit import read_fit_bytes
from lbprun.io._gpx import read_gpx_bytes, read_tcx_bytes

START = dt.datetime(2025, 1, 6, 6, 1, 2, tzinfo=dt.UTC)

VALID = {
    "gpx": gpx_text(
        [{"type": "running", "points": meridian_points(START, 8, 0.001, 60)}]
    ).encode(),
    "tcx": tcx_text(START, [(300.0, 1000.0, 150), (300.0, 1000.0, 155)], step_s=120).encode(),
    "fit": fit_activity(START, distance_m=5000, elapsed_s=1800, timer_s=1800),
}
READERS = {"gpx": read_gpx_bytes, "tcx": read_tcx_bytes, "fit": read_fit_bytes}


@st.composite
def mutated(draw):
    kind = draw(st.sampled_from(sorted(VALID)))
    data = bytearray(VALID[kind])
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if action == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif data:
            del data[at : at + draw(st.integers(1, 16))]
    return kind, bytes(data)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(case=mutated())
def test_mutated_watch_files_give_a_result_or_a_named_error(case):
    kind, data = case
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            records = READERS[kind](data, f"mutated.{kind}")
        except LbprunError as error:
            assert f"mutated.{kind}" in str(error)
            return
    assert records
    for record in records:
        start = pd.Timestamp(record["start_time"])
        assert 1990 <= start.year <= 2100
        for name in ("distance_km", "duration_min", "moving_time_min"):
            value = record.get(name)
            assert value is None or value == value  # never NaN


@pytest.mark.parametrize("kind", sorted(VALID))
def test_the_unmutated_files_are_read(kind):
    assert len(READERS[kind](VALID[kind], f"valid.{kind}")) == 1
