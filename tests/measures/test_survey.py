"""Survey designs: R's svyciprop / svymean / svyby values, linearisation by hand, design errors."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from tolerances import DESIGN_ABS, INTERPOLATED_REL, PROFILE_ROOT_REL

from lbprun._checks import ArgumentError
from lbprun.exceptions import DataValidationError, DesignWarning
from lbprun.measures.survey import (
    DESIGN_CI_METHODS,
    SurveyDesign,
    design_df,
    design_frame,
    linearization_vcov,
)
from lbprun.measures.survey_proportion import design_proportion

DESIGN = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)


@pytest.fixture(scope="module")
def survey(reference_dir):
    return pd.read_csv(reference_dir / "runner_survey.csv")


@pytest.fixture(scope="module")
def expected(expected_dir):
    return json.loads((expected_dir / "survey_prevalence.json").read_text())


@pytest.fixture(scope="module")
def prepared(survey):
    return design_frame(DESIGN, survey)


@pytest.mark.parametrize("method", DESIGN_CI_METHODS)
def test_design_proportion_matches_survey(survey, prepared, expected, method):
    out = design_proportion(survey["lbp_12m"].to_numpy(float), prepared, method=method)
    ref = expected[method]
    assert out["n"] == expected["unweighted"]["n"]
    assert out["cases"] == expected["unweighted"]["cases"]
    assert out["estimate"] == pytest.approx(ref["est"], abs=DESIGN_ABS)
    assert out["std_error"] == pytest.approx(expected["se"], abs=DESIGN_ABS)
    assert out["deff"] == pytest.approx(expected["deff"], abs=DESIGN_ABS)
    if method == "likelihood":
        # R interpolates the profile (about 1e-5); the exact roots are stored beside it.
        exact = expected["likelihood_exact"]
        assert out["ci_low"] == pytest.approx(exact["low"], rel=PROFILE_ROOT_REL)
        assert out["ci_high"] == pytest.approx(exact["high"], rel=PROFILE_ROOT_REL)
        assert out["ci_low"] == pytest.approx(ref["low"], rel=INTERPOLATED_REL)
        assert out["ci_high"] == pytest.approx(ref["high"], rel=INTERPOLATED_REL)
    else:
        assert out["ci_low"] == pytest.approx(ref["low"], abs=DESIGN_ABS)
        assert out["ci_high"] == pytest.approx(ref["high"], abs=DESIGN_ABS)


def test_design_proportion_domains_match_svyby(survey, prepared, expected):
    ref = expected["by_sex_logit"]
    y = survey["lbp_12m"].to_numpy(float)
    for i, sex in enumerate(ref["sex"]):
        out = design_proportion(y, prepared, domain=(survey["sex"] == sex).to_numpy())
        assert out["estimate"] == pytest.approx(ref["est"][i], abs=DESIGN_ABS)
        assert out["ci_low"] == pytest.approx(ref["low"][i], abs=DESIGN_ABS)
        assert out["ci_high"] == pytest.approx(ref["high"][i], abs=DESIGN_ABS)


def test_domain_keeps_the_whole_design(survey, prepared, expected):
    women = (survey["sex"] == "F").to_numpy()
    y = survey["lbp_12m"].to_numpy(float)
    domain = design_proportion(y, prepared, domain=women)
    subset = survey[women].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)  # every region keeps its clubs
        naive = design_proportion(subset["lbp_12m"].to_numpy(float), design_frame(DESIGN, subset))
    assert domain["estimate"] == pytest.approx(naive["estimate"], abs=1e-12)
    # same PSUs here, so the SEs agree; the domain SE must use the full-design PSU count
    assert domain["std_error"] == pytest.approx(naive["std_error"], rel=1e-9)
    club_north = (survey["club"] == "north-1").to_numpy()
    one_club = design_proportion(y, prepared, domain=club_north, method="mean")
    assert one_club["std_error"] > 0  # a single PSU of a 15-PSU stratum still varies
    assert one_club["df"] == 0
    assert np.isnan(one_club["ci_low"]) and one_club["notes"]


def test_design_df_matches_degf(prepared, survey):
    assert design_df(prepared) == 60 - 4
    south = (survey["region"] == "south").to_numpy()
    assert design_df(prepared, south) == 15 - 1


def test_linearization_vcov_by_hand():
    data = pd.DataFrame({"s": ["a", "a", "a", "b", "b", "b", "b"], "c": [1, 1, 2, 3, 3, 4, 5]})
    prepared = design_frame(SurveyDesign(cluster="c", strata="s"), data)
    z = np.array([1.0, 2.0, 4.0, -1.0, 0.5, 2.0, -3.0])
    # stratum a: PSU totals 3, 4 -> mean 3.5, sum of squares 0.5, x 2/1
    # stratum b: PSU totals -0.5, 2, -3 -> mean -0.5, sum of squares 0 + 6.25 + 6.25, x 3/2
    expected = 0.5 * 2.0 + 12.5 * 1.5
    assert linearization_vcov(z, prepared)[0, 0] == pytest.approx(expected, rel=1e-12)
    two = linearization_vcov(np.column_stack([z, 2 * z]), prepared)
    np.testing.assert_allclose(two, expected * np.array([[1, 2], [2, 4]]), rtol=1e-12)


def test_simple_random_sample_variance():
    y = np.array([1, 0, 0, 1, 1, 0, 0, 0, 1, 0], dtype=float)
    prepared = design_frame(SurveyDesign(), pd.DataFrame({"y": y}))
    out = design_proportion(y, prepared, method="mean")
    p = y.mean()
    assert out["std_error"] ** 2 == pytest.approx(p * (1 - p) / (y.size - 1), rel=1e-12)
    assert out["df"] == y.size - 1


def test_fpc_population_size_and_fraction_agree():
    data = pd.DataFrame(
        {"s": [1] * 4 + [2] * 3, "N": [10] * 4 + [6] * 3, "f": [0.4] * 4 + [0.5] * 3}
    )
    z = np.array([1.0, -2.0, 0.5, 3.0, 1.0, 2.0, -1.0])
    plain = design_frame(SurveyDesign(strata="s"), data)
    by_size = design_frame(SurveyDesign(strata="s", fpc="N"), data)
    by_fraction = design_frame(SurveyDesign(strata="s", fpc="f"), data)
    v_plain = linearization_vcov(z, plain)[0, 0]
    v_size = linearization_vcov(z, by_size)[0, 0]
    assert v_size == pytest.approx(linearization_vcov(z, by_fraction)[0, 0], rel=1e-12)
    first = 4 / 3 * np.sum((z[:4] - z[:4].mean()) ** 2)
    second = 3 / 2 * np.sum((z[4:] - z[4:].mean()) ** 2)
    assert v_plain == pytest.approx(first + second, rel=1e-12)
    assert v_size == pytest.approx(0.6 * first + 0.5 * second, rel=1e-12)
    census = data.assign(N=[4] * 4 + [3] * 3)
    assert (
        linearization_vcov(z, design_frame(SurveyDesign(strata="s", fpc="N"), census))[0, 0] == 0
    )


def test_fpc_errors():
    data = pd.DataFrame({"s": [1, 1, 2, 2], "N": [10, 11, 5, 5]})
    with pytest.raises(DataValidationError, match="varies within its stratum"):
        design_frame(SurveyDesign(strata="s", fpc="N"), data)
    with pytest.raises(DataValidationError, match="smaller than the number of sampled PSUs"):
        design_frame(SurveyDesign(strata="s", fpc="N"), data.assign(N=[10, 10, 1.5, 1.5]))


def _lonely_data():
    return pd.DataFrame(
        {
            "s": ["a", "a", "a", "a", "b", "b"],
            "c": [1, 1, 2, 2, 3, 3],
            "w": [1.0, 2.0, 1.0, 2.0, 1.0, 1.0],
        }
    )


def test_lonely_psu_options():
    data = _lonely_data()
    z = np.array([1.0, 0.0, -1.0, 0.5, 2.0, 1.0])
    variances = {}
    for option in ("adjust", "remove", "certainty"):
        with pytest.warns(DesignWarning, match="single PSU"):
            prepared = design_frame(SurveyDesign(cluster="c", strata="s", lonely_psu=option), data)
        assert prepared.notes and option in prepared.notes[0]
        variances[option] = linearization_vcov(z, prepared)[0, 0]
    stratum_a = 2.0 * ((1.0 - 0.25) ** 2 + (-0.5 - 0.25) ** 2)
    assert variances["remove"] == pytest.approx(stratum_a)
    assert variances["certainty"] == pytest.approx(stratum_a)
    assert variances["adjust"] == pytest.approx(stratum_a + 3.0**2)
    with pytest.raises(DataValidationError, match="single PSU") as info:
        design_frame(SurveyDesign(cluster="c", strata="s", lonely_psu="fail"), data)
    assert info.value.failure_cases["row"].tolist() == [4, 5]


def test_design_errors_name_column_and_rows():
    data = _lonely_data().assign(s=["a", "a", "a", "a", "a", "a"])
    with pytest.raises(ArgumentError, match="Did you mean 'w'"):
        design_frame(SurveyDesign(weights="ww"), data)
    bad = data.assign(w=[1.0, np.nan, 1.0, 0.0, 1.0, 1.0])
    with pytest.raises(DataValidationError, match=r"column 'w'.*missing.*row positions 1") as info:
        design_frame(SurveyDesign(weights="w"), bad)
    assert info.value.failure_cases["column"].tolist() == ["w"]
    with pytest.raises(DataValidationError, match=r"column 'w'.*zero, negative.*3"):
        design_frame(SurveyDesign(weights="w"), bad.assign(w=[1.0, 1, 1, 0, 1, -2]))
    with pytest.raises(DataValidationError, match="missing cluster"):
        design_frame(SurveyDesign(cluster="c"), data.assign(c=[1, 1, None, 2, 2, 3]))
    with pytest.raises(ArgumentError, match="lonely_psu must be one of"):
        SurveyDesign(lonely_psu="average")
    with pytest.raises(ArgumentError, match="cluster must be a column name"):
        SurveyDesign(cluster=3)


def test_clusters_must_nest_in_strata_unless_nest():
    data = pd.DataFrame({"s": ["a", "a", "b", "b"], "c": [1, 2, 1, 2]})
    with pytest.raises(DataValidationError, match="not nested in strata"):
        design_frame(SurveyDesign(cluster="c", strata="s"), data)
    prepared = design_frame(SurveyDesign(cluster="c", strata="s", nest=True), data)
    assert prepared.psu_stratum.size == 4 and design_df(prepared) == 2


def test_design_proportion_degenerate_and_errors(prepared, survey):
    zeros = np.zeros(len(survey))
    beta = design_proportion(zeros, prepared, method="beta")
    assert beta["estimate"] == 0 and beta["ci_low"] == 0 and 0 < beta["ci_high"] < 0.01
    logit = design_proportion(zeros, prepared, method="logit")
    assert np.isnan(logit["ci_low"]) and "method='beta'" in logit["notes"][0]
    with pytest.raises(ArgumentError, match="Did you mean 'logit'"):
        design_proportion(zeros, prepared, method="logt")
    with pytest.raises(ArgumentError, match="0, 1 or NaN"):
        design_proportion(zeros + 2, prepared)
    with pytest.raises(ArgumentError, match="Did you mean 0.95"):
        design_proportion(zeros, prepared, level=95)


def test_rare_outcome_intervals_stay_in_range():
    rng = np.random.default_rng(0)
    data = pd.DataFrame(
        {
            "c": np.repeat(np.arange(20), 5),
            "s": np.repeat(np.arange(4), 25),
            "w": rng.uniform(1, 3, 100),
        }
    )
    y = np.zeros(100)
    y[3] = 1.0
    prepared = design_frame(SurveyDesign(cluster="c", strata="s", weights="w"), data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = {m: design_proportion(y, prepared, method=m) for m in DESIGN_CI_METHODS}
    for method, out in results.items():
        assert 0.0 <= out["ci_low"] < out["estimate"] < out["ci_high"] < 0.05, method
    assert results["mean"]["ci_low"] == 0.0  # p - t * SE < 0 is clipped
    assert results["likelihood"]["ci_low"] > results["beta"]["ci_low"]
