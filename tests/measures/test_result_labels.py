"""Printed results say what they are: survey-weighted or crude, weighted counts and effective
sample size, percentages on request, whole tables whatever the pandas display options, and the
reading record of the input tables in the notes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.io.read import read_survey
from lbprun.measures.incidence import cumulative_incidence, incidence_rate
from lbprun.measures.prevalence import prevalence
from lbprun.measures.survey import SurveyDesign
from lbprun.measures.survival import kaplan_meier

DESIGN = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)
#: pandas display options that truncate every default rendering.
NARROW = ("display.max_columns", 3, "display.width", 40, "display.max_colwidth", 10)


@pytest.fixture(scope="module")
def survey(reference_dir):
    return pd.read_csv(reference_dir / "runner_survey.csv")


@pytest.fixture(scope="module")
def weighted(survey):
    return prevalence(survey, by="sex", design=DESIGN)


@pytest.fixture(scope="module")
def cohort():
    return pd.DataFrame(
        {
            "runner_id": ["a", "b", "c", "d", "e"],
            "start_date": pd.to_datetime(["2025-01-01"] * 5),
            "end_date": pd.to_datetime(["2025-03-31"] * 5),
            "lbp_onset_date": pd.to_datetime([None, "2025-02-01", None, "2025-03-01", None]),
        }
    )


# --- 1. survey-weighted estimates say so, with weighted counts and effective n ---------------


def test_weighted_prevalence_title_and_counts(survey, weighted):
    assert weighted._title() == "Prevalence of lbp_12m (survey-weighted 12-month prevalence)"
    frame = weighted.to_frame()
    overall = frame.iloc[0]
    w = survey["weight"].to_numpy(float)
    y = survey["lbp_12m"].to_numpy(float)
    assert overall["n_weighted"] == pytest.approx(w.sum(), rel=1e-12)
    assert overall["cases_weighted"] == pytest.approx(np.sum(w * y), rel=1e-12)
    assert overall["estimate"] == pytest.approx(overall["cases_weighted"] / overall["n_weighted"])
    assert overall["n"] == len(survey) and overall["cases"] == int(y.sum())
    assert overall["n_effective"] == pytest.approx(overall["n"] / overall["deff"], rel=1e-12)
    women = frame[frame["group"] == "F"].iloc[0]
    is_f = (survey["sex"] == "F").to_numpy()
    assert women["n_weighted"] == pytest.approx(w[is_f].sum(), rel=1e-12)
    assert women["cases_weighted"] == pytest.approx(np.sum(w[is_f] * y[is_f]), rel=1e-12)
    columns = list(frame.columns[:7])
    assert columns == ["by", "group", "n", "cases", "n_weighted", "cases_weighted", "n_effective"]


def test_weighted_prevalence_summary_shows_counts(weighted):
    text = weighted.summary()
    first, header = text.splitlines()[:2]
    assert first == "Prevalence of lbp_12m (survey-weighted 12-month prevalence)"
    for column in ("n_weighted", "cases_weighted", "n_effective", "deff"):
        assert column in header
    assert f"{weighted.table['n_weighted'].iloc[0]:.3f}" in text  # 471000.434
    assert "n_effective = n / deff is the design-based effective sample size" in text


def test_crude_prevalence_says_crude(survey):
    result = prevalence(survey, by="sex")
    assert result.summary().splitlines()[0] == "Prevalence of lbp_12m (crude 12-month prevalence)"
    assert "survey-weighted" not in result.summary()
    assert "n_weighted" not in result.to_frame().columns


def test_standardised_and_corrected_titles(survey):
    standardised = prevalence(survey, standardize="esp2013", age_bands=[15, 30, 45, 60])
    assert standardised._title() == (
        "Prevalence of lbp_12m (directly standardised (ESP 2013) 12-month prevalence)"
        if standardised.standard_population == "ESP 2013"
        else f"Prevalence of lbp_12m (directly standardised ({standardised.standard_population})"
        " 12-month prevalence)"
    )
    corrected = prevalence(survey, design=DESIGN, sensitivity=0.9, specificity=0.95)
    assert corrected._title() == (
        "Prevalence of lbp_12m (survey-weighted misclassification-corrected 12-month prevalence)"
    )


def test_weighted_standardised_prevalence_has_weighted_counts(survey):
    result = prevalence(survey, design=DESIGN, standardize="esp2013", age_bands=[15, 30, 45, 60])
    assert result._title().startswith("Prevalence of lbp_12m (survey-weighted standardised")
    row = result.to_frame().iloc[0]
    used = survey["age"].ge(15).to_numpy() & survey["lbp_12m"].notna().to_numpy()
    w = survey["weight"].to_numpy(float)
    assert row["n_weighted"] == pytest.approx(w[used].sum(), rel=1e-12)
    assert "not cases_weighted / n_weighted" in " ".join(result.notes)


# --- 4. whole tables whatever the display options ----------------------------------------------


def test_summary_and_html_never_truncate(survey):
    data = survey.assign(group_label=np.where(survey["sex"] == "F", "women " * 8, "men " * 8))
    result = prevalence(data, by="group_label", design=DESIGN)
    with pd.option_context(*NARROW):
        text = result.summary()
        html = result._repr_html_()
    for column in result.to_frame().columns:
        assert column in text and column in html
    assert ("women " * 8).strip() in text and ("women " * 8).strip() in html
    assert "..." not in text and "..." not in html
    assert len(text.splitlines()) == 2 + len(result.table) + 1 + len(result.notes)


# --- 5. percentages on request ---------------------------------------------------------------


def test_as_percent_prevalence(weighted):
    plain = weighted.to_frame()
    percent = weighted.to_frame(as_percent=True)
    for column in ("estimate", "ci_low", "ci_high", "std_error"):
        assert column not in percent.columns
        np.testing.assert_allclose(percent[f"{column} (%)"], 100 * plain[column], rtol=1e-12)
    np.testing.assert_array_equal(percent["n"], plain["n"])
    text = weighted.summary(as_percent=True)
    assert "estimate (%)" in text and "ci_low (%)" in text and "ci_high (%)" in text
    assert f"{100 * plain['estimate'].iloc[0]:.6f}" in text
    assert "estimate (%)" not in weighted.summary()
    assert list(weighted.to_frame().columns) == list(weighted.table.columns)


def test_as_percent_incidence(cohort):
    risk = cumulative_incidence(cohort)
    assert risk.to_frame(as_percent=True)["estimate (%)"].iloc[0] == pytest.approx(40.0)
    km = kaplan_meier(cohort)
    assert "estimate (%)" in km.summary(as_percent=True)
    activities = pd.DataFrame(
        {
            "runner_id": ["a", "b"],
            "date": pd.to_datetime(["2025-01-05"] * 2),
            "distance_km": [10.0, 8.0],
            "duration_min": [60.0, 50.0],
        }
    )
    rate = incidence_rate(cohort, activities)
    with pytest.raises(ArgumentError, match="as_percent must be False"):
        rate.to_frame(as_percent=True)
    with pytest.raises(ArgumentError, match="as_percent must be False"):
        rate.summary(as_percent=True)
    with pytest.raises(ArgumentError, match="as_percent must be True or False"):
        risk.to_frame(as_percent="yes")


@given(
    cases=st.lists(st.booleans(), min_size=2, max_size=40),
    level=st.floats(min_value=0.5, max_value=0.99),
)
def test_as_percent_is_one_hundred_times(cases, level):
    data = pd.DataFrame({"lbp_12m": cases})
    result = prevalence(data, level=level)
    plain, percent = result.to_frame(), result.to_frame(as_percent=True)
    for column in ("estimate", "ci_low", "ci_high"):
        np.testing.assert_allclose(percent[f"{column} (%)"], 100 * plain[column], rtol=1e-12)
        assert (percent[f"{column} (%)"].between(0, 100)).all()


# --- 6. the reading record in the notes ------------------------------------------------------


def test_prevalence_notes_rows_rejected_on_reading(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text(
        "runner_id,sex,age,weekly_km,lbp_12m\n"
        "r1,F,30,20,1\nr2,M,250,30,0\nr3,F,40,25,0\nr4,M,35,40,1\n"
    )
    data = read_survey(path, on_error="drop").data
    result = prevalence(data)
    assert result.table["n"].iloc[0] == 3
    text = " ".join(result.notes)
    assert "4 rows read" in text and "1 rejected on reading" in text
    assert "1 rejected on reading" in result.summary()


def _recorded(frame: pd.DataFrame, source: str, rejected: int) -> pd.DataFrame:
    frame = frame.copy()
    frame.attrs["lbprun"] = {
        "source": source,
        "rows_in": len(frame) + rejected,
        "rows_rejected": rejected,
        "rows_excluded": 0,
    }
    return frame


def test_incidence_notes_repeat_both_tables(cohort):
    activities = pd.DataFrame(
        {
            "runner_id": ["a", "b", "c"],
            "date": pd.to_datetime(["2025-01-05"] * 3),
            "distance_km": [10.0, 8.0, 5.0],
            "duration_min": [60.0, 50.0, 30.0],
        }
    )
    cohort_r = _recorded(cohort, "cohort.csv", 2)
    activities_r = _recorded(activities, "runs.csv", 3)
    rate = incidence_rate(cohort_r, activities_r)
    assert any(n.startswith("cohort.csv: 7 rows read and 2 rejected") for n in rate.notes)
    assert any(n.startswith("runs.csv: 6 rows read and 3 rejected") for n in rate.notes)
    risk = cumulative_incidence(cohort_r)
    assert any(n.startswith("cohort.csv: 7 rows read and 2 rejected") for n in risk.notes)
    km = kaplan_meier(cohort_r)
    assert any(n.startswith("cohort.csv: 7 rows read and 2 rejected") for n in km.notes)
