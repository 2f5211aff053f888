"""Type coercion: numbers, booleans, categories, dates and date-times."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from lbprun.io import _dates as dates
from lbprun.io import _parse
from lbprun.io.schema import SURVEY


def test_missing_tokens():
    raw = pd.Series(["", " NA ", "n/a", "null", ".", "x", None, np.nan, "None", "0"])
    assert _parse.missing_mask(raw).tolist() == [True] * 5 + [False] + [True] * 3 + [False]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("yes", True), ("Y", True), ("TRUE", True), ("t", True), ("1", True), ("1.0", True),
        ("si", True), ("Sì", True), ("ja", True), ("oui", True), (1, True), (1.0, True),
        ("no", False), ("N", False), ("false", False), ("F", False), ("0", False),
        ("0.0", False), ("nein", False), ("non", False), (0, False), (0.0, False),
    ],
)  # fmt: skip
def test_booleans(value, expected):
    values, bad = _parse.to_bool(pd.Series([value, None], dtype=object), "lbp_12m")
    assert values.tolist() == [expected, pd.NA]
    assert str(values.dtype) == "boolean" and len(bad) == 0


def test_boolean_failures_name_the_value():
    values, bad = _parse.to_bool(pd.Series(["yes", "2", "maybe"]), "prior_lbp")
    assert values.isna().tolist() == [False, True, True]
    assert bad["pos"].tolist() == [1, 2]
    assert "got 'maybe'" in bad["message"].iloc[1]
    typed, none = _parse.to_bool(pd.Series([True, False]), "prior_lbp")
    assert typed.tolist() == [True, False] and len(none) == 0


def test_categories_normalise_and_suggest():
    col = SURVEY["surface"]
    values, bad = _parse.to_category(
        pd.Series(["Asphalt ", "off road", "Off-Road", "TARMAC", "asfalt", "", None]), col
    )
    assert values.tolist()[:4] == ["asphalt", "trail", "trail", "asphalt"]
    assert values.isna().tolist()[4:] == [True, True, True]
    assert list(values.cat.categories) == list(col.allowed)
    assert bad["pos"].tolist() == [4]
    assert "Did you mean 'asphalt'?" in bad["message"].iloc[0]
    sex, bad = _parse.to_category(pd.Series(["female", "M", "Femmina", "homme", "x"]),
                                  SURVEY["sex"])  # fmt: skip
    assert sex.tolist()[:4] == ["F", "M", "F", "M"] and bad["pos"].tolist() == [4]


def test_numbers_decimal_comma_units_and_formulas():
    raw = pd.Series(["12,5", "1.234,5", "7", "", "5 mi", "=A1*2", "abc", "3 km", "-2"])
    values, bad = _parse.to_float(raw, "distance_km", decimal=",")
    assert values.tolist()[:3] == [12.5, 1234.5, 7.0]
    assert np.isnan(values.iloc[3]) and values.iloc[7] == 3.0 and values.iloc[8] == -2.0
    assert values.iloc[4] == 5 * 1.609344  # "5 mi" read with its own unit
    assert bad.set_index("pos")["check"].to_dict() == {5: "formula", 6: "dtype"}
    dot, bad = _parse.to_float(pd.Series(["12,5"]), "age")
    assert np.isnan(dot.iloc[0]) and "decimal comma" in bad["message"].iloc[0]


def test_numbers_are_exact_and_converted():
    raw = pd.Series(["0.1", "9.233870987459397", "1e-3"])
    values, _ = _parse.to_float(raw, "age")
    assert values.tolist() == [0.1, 9.233870987459397, 0.001]
    miles, _ = _parse.to_float(pd.Series([1.0, np.nan]), "weekly_km", unit="mi")
    assert miles.iloc[0] == 1.609344 and np.isnan(miles.iloc[1])
    hours, bad = _parse.to_float(pd.Series(["2 h", "1.5"]), "duration_min", unit="h")
    assert hours.tolist() == [120.0, 90.0] and len(bad) == 0


def test_text_ids():
    out = _parse.to_text(pd.Series([1001.0, 7.5, np.nan]))
    assert out.tolist() == ["1001", "7.5", pd.NA] and str(out.dtype) == "string"
    out = _parse.to_text(pd.Series([" a ", 12, "NA", 3.0], dtype=object))
    assert out.tolist() == ["a", "12", pd.NA, "3"]


def _dates(values, state=None):
    state = {} if state is None else state
    return dates.to_date(pd.Series(values, dtype=object), "start_date", state)


def test_dates_iso_and_day_first():
    values, bad, notes = _dates(["2025-01-06", "2025-01-07T00:00:00", "", "2025-03-01 08:15"])
    assert values.dt.strftime("%Y-%m-%d").fillna("").tolist() == [
        "2025-01-06", "2025-01-07", "", "2025-03-01"
    ]  # fmt: skip
    assert len(bad) == 0 and notes == []
    values, bad, notes = _dates(["13/01/2025", "01/02/2025", "5.3.2025"])
    assert values.dt.strftime("%Y-%m-%d").tolist() == ["2025-01-13", "2025-02-01", "2025-03-05"]


def test_dates_month_first_ambiguous_and_failures():
    values, _, _ = _dates(["01/13/2025", "02/01/2025"])
    assert values.dt.strftime("%Y-%m-%d").tolist() == ["2025-01-13", "2025-02-01"]
    values, _, notes = _dates(["01/02/2025"])
    assert values.iloc[0] == pd.Timestamp("2025-02-01") and "day/month/year" in notes[0]
    _, bad, _ = _dates(["2025-01-06", "2025-01-07", "06/01/2025", "yesterday", "2025-02-30"])
    assert bad.set_index("pos")["check"].to_dict() == {
        2: "mixed_date_formats", 3: "date_format", 4: "date_format"
    }  # fmt: skip
    state = {}
    _dates(["13/01/2025"], state)
    _, bad, _ = _dates(["01/13/2025"], state)  # a later chunk must keep the column's order
    assert bad["check"].tolist() == ["date_format"] and "day/month/year" in bad["message"][0]


def test_dates_from_objects_and_typed_columns():
    values, bad, _ = _dates([dt.date(2025, 1, 6), dt.datetime(2025, 1, 7, 8, 30), None])
    assert values.tolist()[:2] == [pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-07")]
    assert len(bad) == 0
    aware = pd.Series(pd.to_datetime(["2025-01-06 23:30"]).tz_localize("Europe/Rome"))
    values, _, _ = dates.to_date(aware, "date", {})
    assert values.iloc[0] == pd.Timestamp("2025-01-06")


def test_datetimes():
    raw = pd.Series(["2025-03-01T07:30:00+01:00", "2025-03-01T23:30:00-05:00", "bad", ""])
    values, local, bad, notes = dates.to_datetime(raw, "start_time")
    assert str(values.dt.tz) == "UTC"
    assert values.iloc[0] == pd.Timestamp("2025-03-01T06:30:00Z")
    assert local.dt.strftime("%Y-%m-%d").fillna("").tolist() == ["2025-03-01"] * 2 + ["", ""]
    assert bad["pos"].tolist() == [2] and notes == []
    naive, local, _, _ = dates.to_datetime(pd.Series(["2025-03-01 07:30"]), "start_time")
    assert naive.dt.tz is None and local.iloc[0] == pd.Timestamp("2025-03-01")
    mixed = pd.Series(["2025-03-01T07:30:00Z", "2025-03-01T07:30:00"])
    _, _, _, notes = dates.to_datetime(mixed, "start_time")
    assert "taken as UTC" in notes[0]
    aware = pd.Series(pd.to_datetime(["2025-01-06 23:30"]).tz_localize("America/New_York"))
    values, local, _, _ = dates.to_datetime(aware, "start_time")
    assert str(values.dt.tz) == "UTC" and local.iloc[0] == pd.Timestamp("2025-01-06")


def test_formula_detection():
    assert _parse.is_formula("=SUM(A1:A3)") and _parse.is_formula("+1+1")
    assert _parse.is_formula("@cmd") and _parse.is_formula("-A1")
    assert not _parse.is_formula("-5.5") and not _parse.is_formula("+3")
    assert not _parse.is_formula(5) and not _parse.is_formula("")


def test_date_counts_add_up_and_decide():
    a = dates.date_counts(pd.Series(["01/02/2025", "2025-01-06", "x"]))
    b = dates.date_counts(pd.Series(["13/02/2025", ""]))
    assert a + b == dates.DateCounts(iso=1, dmy=2, day_first=1, month_first=0)
    assert dates.decide(a, "mdy", "d")[:2] == ("iso", "mdy")
    assert "like the other date columns" in dates.decide(a, "mdy", "d")[2][0]
    both = dates.DateCounts(dmy=3, day_first=2, month_first=1)
    assert dates.decide(both, None, "d") == ("dmy", "dmy", [])
    assert dates.decide(dates.DateCounts(), None, "d") == (None, None, [])
