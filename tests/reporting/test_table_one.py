"""Table 1: counts and summaries against pandas and R's survey package; suppression everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lbprun import SurveyDesign
from lbprun._checks import ArgumentError
from lbprun.reporting.table_one import table_one

REFERENCE = Path(__file__).resolve().parents[1] / "reference"


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "runner_survey.csv")
    data["lbp_12m"] = data["lbp_12m"].astype(bool)
    return data


def _cell(t, variable, level, group) -> pd.Series:
    tidy = t.to_frame()
    hit = tidy[(tidy.variable == variable) & (tidy.level == level) & (tidy.group == group)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_counts_percentages_means_and_quantiles_equal_pandas(survey):
    t = table_one(survey, "lbp_12m", columns=["sex", "surface", "age"], nonnormal=["age"])
    for flag, group in ((False, "lbp_12m = no"), (True, "lbp_12m = yes")):
        part = survey[survey.lbp_12m == flag]
        for sex, count in part["sex"].value_counts().items():
            row = _cell(t, "sex", sex, group)
            assert row["count"] == count
            assert row["percent"] == pytest.approx(100 * count / len(part), rel=1e-12)
        age = _cell(t, "age", "", group)
        assert age["mean"] == pytest.approx(part.age.mean(), rel=1e-12)
        assert age["sd"] == pytest.approx(part.age.std(), rel=1e-12)
        assert [age["q1"], age["median"], age["q3"]] == pytest.approx(
            part.age.quantile([0.25, 0.5, 0.75]).tolist(), rel=1e-12
        )
    assert t.display.loc[("n", "")].tolist() == [
        str(len(survey)),
        str(int((~survey.lbp_12m).sum())),
        str(int(survey.lbp_12m.sum())),
    ]
    assert t.display.loc[("age", "median [Q1, Q3]"), "Overall"].startswith(
        f"{survey.age.median():.1f} ["
    )


def test_weighted_percentages_means_and_sds_match_r_survey(survey):
    expected = json.loads((REFERENCE / "expected" / "table_one_survey.json").read_text())
    design = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)
    t = table_one(survey, "lbp_12m", columns=["sex", "surface", "age", "weekly_km"], design=design)
    assert t.weighted and "survey-weighted" in t.summary()
    for key, group in (("Overall", "Overall"), ("no", "lbp_12m = no"), ("yes", "lbp_12m = yes")):
        for variable in ("sex", "surface"):
            for level, percent in expected[key][variable].items():
                row = _cell(t, variable, level, group)
                if row["suppressed"]:
                    continue
                assert row["percent"] == pytest.approx(percent, rel=1e-10), (variable, level)
        for variable in ("age", "weekly_km"):
            row = _cell(t, variable, "", group)
            assert row["mean"] == pytest.approx(expected[key][variable]["mean"], rel=1e-10)
            assert row["sd"] == pytest.approx(expected[key][variable]["sd"], rel=1e-10)


def test_missing_values_are_their_own_row_and_counts_add_up():
    data = pd.DataFrame(
        {
            "lbp": [True] * 40 + [False] * 60,
            "sex": ["F", "M", None, "M"] * 25,
            "age": [30.0, np.nan, 40.0, 50.0] * 25,
        }
    )
    t = table_one(data, "lbp", threshold=None)
    tidy = t.to_frame()
    sex = tidy[(tidy.variable == "sex") & (tidy.group == "Overall")]
    assert sex.set_index("level")["count"].to_dict() == {"F": 25, "M": 50, "missing": 25}
    assert sex["count"].sum() == 100
    age_missing = _cell(t, "age", "missing", "Overall")
    assert age_missing["count"] == 25 and _cell(t, "age", "", "Overall")["count"] == 75


def test_a_group_of_three_shows_no_count_percentage_or_total_anywhere():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        {
            "lbp": [True] * 30 + [False] * 170,
            "sex": rng.choice(["F", "M"], 200),
            "level": ["elite"] * 3 + ["club"] * 117 + ["recreational"] * 80,
        }
    )
    t = table_one(data, "lbp", columns=["sex", "level"])
    cell = t.display.loc[("level", "elite")]
    assert cell["lbp = yes"] == "<11"
    assert cell["Overall"] == "<11"
    # the elite row shows no non-zero number (its zero of non-cases discloses no one), and the
    # number 3 appears nowhere
    assert all(text in ("<11", "suppressed") or text.startswith("0 ") for text in cell)
    shown = " ".join(t.display.to_numpy().ravel())
    assert " 3 " not in f" {shown} " and "(1.5)" not in shown
    tidy = t.to_frame()
    elite = tidy.loc[tidy.level == "elite"]
    assert (elite["count"].isna() | (elite["count"] == 0)).all()
    assert elite.loc[elite["count"].isna(), "percent"].isna().all()
    assert elite["suppressed"].tolist().count("primary") == 2


def test_identifiers_dates_of_birth_and_positions_are_never_shown():
    data = pd.DataFrame(
        {
            "runner_id": [f"R{i}" for i in range(30)],
            "date_of_birth": pd.date_range("1980-01-01", periods=30),
            "start_lat": np.linspace(50, 51, 30),
            "sex": ["F", "M"] * 15,
            "lbp": [True, False, False] * 10,
        }
    )
    t = table_one(data, "lbp")
    assert set(t.to_frame().variable) == {"sex"}
    with pytest.raises(ArgumentError, match="identify runners"):
        table_one(data, "lbp", columns=["sex", "date_of_birth"])
    with pytest.raises(ArgumentError, match="lbq"):
        table_one(data, "lbq")


@settings(max_examples=15, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 30), min_size=2, max_size=4),
    cases=st.lists(st.integers(0, 30), min_size=2, max_size=4),
)
def test_no_displayed_count_is_small_for_any_data(sizes, cases):
    rows = []
    for k, (n, c) in enumerate(zip(sizes, cases, strict=False)):
        c = min(c, n)
        rows += [{"group": f"g{k}", "lbp": i < c} for i in range(n)]
    data = pd.DataFrame(rows or [{"group": "g0", "lbp": True}])
    t = table_one(data, "lbp", columns=["group"])
    for text in t.display.to_numpy().ravel():
        head = text.split(" ")[0]
        if head.isdigit():
            assert int(head) == 0 or int(head) >= 11, t.display
