"""Multistage designs and design df after missing values, against R's survey on data(api)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from lbprun._checks import ArgumentError
from lbprun.exceptions import DataValidationError, DesignWarning
from lbprun.measures.survey import SurveyDesign, design_df, design_frame, linearization_vcov
from lbprun.measures.survey_proportion import design_proportion
from lbprun.models.risk_factors import fit_risk_factors
from lbprun.models.survey_glm import svyglm_logistic

#: Closed-form design quantities against R: absolute (totals: relative).
R_EXACT = 1e-8
#: svyglm's own SEs: R's glm keeps the working weights of the iteration before the last.
IRLS_LAG_REL = 1e-6

MULTISTAGE = SurveyDesign(cluster=("dnum", "snum"), fpc=("fpc1", "fpc2"))
ONE_STAGE = SurveyDesign(cluster="dnum", weights="pw", fpc="fpc")


@pytest.fixture(scope="module")
def expected(expected_dir):
    return json.loads((expected_dir / "survey_multistage.json").read_text())


@pytest.fixture(scope="module")
def apiclus2(reference_dir):
    return pd.read_csv(reference_dir / "survey_multistage_apiclus2.csv")


@pytest.fixture(scope="module")
def apiclus1(reference_dir):
    return pd.read_csv(reference_dir / "survey_multistage_apiclus1.csv")


@pytest.fixture(scope="module")
def dclus2(apiclus2):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)  # single-school districts are censuses
        return design_frame(MULTISTAGE, apiclus2)


def test_multistage_weights_and_df_match_svydesign(dclus2, apiclus2, expected):
    ref = expected["apiclus2"]
    np.testing.assert_allclose(dclus2.weights, ref["weights"], rtol=1e-12)
    np.testing.assert_allclose(dclus2.weights, apiclus2["pw"], rtol=1e-12)
    assert design_df(dclus2) == ref["degf"] == 39
    assert len(dclus2.stages) == 1 and dclus2.notes == ()


def test_svymean_svytotal_match_survey(dclus2, apiclus2, expected):
    ref = expected["apiclus2"]
    w = dclus2.weights
    y = apiclus2["api00"].to_numpy(float)
    mean = np.sum(w * y) / w.sum()
    se_mean = np.sqrt(linearization_vcov(w * (y - mean) / w.sum(), dclus2)[0, 0])
    assert mean == pytest.approx(ref["mean_api00"]["estimate"], abs=R_EXACT)
    assert se_mean == pytest.approx(ref["mean_api00"]["se"], abs=R_EXACT)
    for column, key in (("api00", "total_api00"), ("yes", "total_yes")):
        y = apiclus2[column].to_numpy(float)
        se = np.sqrt(linearization_vcov(w * y, dclus2)[0, 0])
        assert np.sum(w * y) == pytest.approx(ref[key]["estimate"], rel=R_EXACT)
        assert se == pytest.approx(ref[key]["se"], rel=R_EXACT)


@pytest.mark.parametrize("method", ["logit", "mean", "beta"])
def test_multistage_design_proportion_matches_svyciprop(dclus2, apiclus2, expected, method):
    ref = expected["apiclus2"]["ciprop"][method]
    out = design_proportion(apiclus2["yes"].to_numpy(float), dclus2, method=method)
    assert out["estimate"] == pytest.approx(ref["estimate"], abs=R_EXACT)
    assert out["std_error"] == pytest.approx(ref["se"], abs=R_EXACT)
    assert out["ci_low"] == pytest.approx(ref["ci"][0], abs=R_EXACT)
    assert out["ci_high"] == pytest.approx(ref["ci"][1], abs=R_EXACT)
    assert out["df"] == ref["df"]


def test_multistage_domains_match_svyby(dclus2, apiclus2, expected):
    ref = expected["apiclus2"]["by_stype"]
    y = apiclus2["yes"].to_numpy(float)
    for i, stype in enumerate(ref["stype"]):
        out = design_proportion(y, dclus2, domain=(apiclus2["stype"] == stype).to_numpy())
        assert out["estimate"] == pytest.approx(ref["estimate"][i], abs=R_EXACT)
        assert out["std_error"] == pytest.approx(ref["se"][i], abs=R_EXACT)
        assert out["ci_low"] == pytest.approx(ref["ci_low"][i], abs=R_EXACT)
        assert out["ci_high"] == pytest.approx(ref["ci_high"][i], abs=R_EXACT)
        assert out["df"] == ref["df"][i]


def _check_svyglm(table, df_residual, ref, converged):
    assert df_residual == ref["df_residual"]
    np.testing.assert_allclose(table["estimate"], ref["coef"], atol=R_EXACT)
    np.testing.assert_allclose(table["std_error"], converged["se"], atol=R_EXACT)
    np.testing.assert_allclose(table["ci_low"], converged["ci_low"], atol=R_EXACT)
    np.testing.assert_allclose(table["ci_high"], converged["ci_high"], atol=R_EXACT)
    np.testing.assert_allclose(table["std_error"], ref["se"], rtol=IRLS_LAG_REL)


def test_multistage_svyglm_counts_only_districts_with_rows(apiclus2, dclus2, expected):
    ref = expected["apiclus2"]
    fit = fit_risk_factors(apiclus2, "yes", ["enroll"], design=MULTISTAGE)
    _check_svyglm(
        fit.to_frame("log_odds"),
        fit.glance()["df_residual"][0],
        ref["svyglm"],
        ref["svyglm_converged"],
    )
    used = apiclus2["enroll"].notna().to_numpy()
    assert ref["svyglm"]["psu_with_rows"] == 38
    assert design_df(dclus2, used) == 38 - 1  # two districts have no enrolment at all
    assert ref["svyglm"]["df_residual"] == 38 - 1 + 1 - 2


def test_one_stage_svyglm_with_clusters_lost_to_missing_outcome(apiclus1, expected):
    ref = expected["apiclus1"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)
        prepared = design_frame(ONE_STAGE, apiclus1)
    assert design_df(prepared) == ref["degf"] == 14
    used = apiclus1["high"].notna().to_numpy()
    x = np.column_stack([np.ones(used.sum()), apiclus1.loc[used, "meals"].to_numpy(float)])
    fit = svyglm_logistic(x, apiclus1.loc[used, "high"].to_numpy(float), ONE_STAGE, apiclus1, used)
    assert fit.df_residual == ref["svyglm"]["df_residual"] == 11
    assert fit.design_df == ref["svyglm"]["psu_with_rows"] - 1
    public = fit_risk_factors(apiclus1, "high", ["meals"], design=ONE_STAGE)
    table = public.to_frame("log_odds")
    np.testing.assert_allclose(table["estimate"], fit.beta, rtol=1e-12)
    _check_svyglm(table, public.glance()["df_residual"][0], ref["svyglm"], ref["svyglm_converged"])


def test_design_proportion_df_counts_observed_clusters(apiclus1, expected):
    ref = expected["apiclus1"]["ciprop_observed"]
    prepared = design_frame(ONE_STAGE, apiclus1)
    out = design_proportion(apiclus1["high"].to_numpy(float), prepared, method="logit")
    assert out["df"] == ref["df"] == 12
    assert out["estimate"] == pytest.approx(ref["estimate"], abs=R_EXACT)
    assert out["std_error"] == pytest.approx(ref["se"], abs=R_EXACT)
    assert out["ci_low"] == pytest.approx(ref["ci"][0], abs=R_EXACT)
    assert out["ci_high"] == pytest.approx(ref["ci"][1], abs=R_EXACT)


def _two_stage():
    # 2 strata; stratum a: PSUs 1, 2 of 10, stratum b: PSUs 3, 4, 5 of 6; 2 to 3 SSUs per PSU
    return pd.DataFrame(
        {
            "s": ["a"] * 5 + ["b"] * 7,
            "c": [1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 5],
            "u": [1, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 3],
            "n1": [10] * 5 + [6] * 7,
            "n2": [4, 4, 4, 5, 5, 2, 2, 3, 3, 8, 8, 8],
        }
    )


def test_two_stage_variance_by_hand():
    data = _two_stage()
    z = np.array([1.0, 2.0, -1.0, 0.5, 3.0, 2.0, -2.0, 1.0, 1.5, -0.5, 0.0, 4.0])
    design = SurveyDesign(cluster=("c", "u"), strata="s", fpc=("n1", "n2"))
    prepared = design_frame(design, data)

    def ss(t):
        t = np.asarray(t, dtype=float)
        return t.size / (t.size - 1) * np.sum((t - t.mean()) ** 2)

    psu = [2.0, 3.5, 0.0, 2.5, 3.5]  # PSU totals: stratum a (1, 2), stratum b (3, 4, 5)
    stage1 = (1 - 2 / 10) * ss(psu[:2]) + (1 - 3 / 6) * ss(psu[2:])
    ssu = {1: [3.0, -1.0], 2: [0.5, 3.0], 3: [2.0, -2.0], 4: [1.0, 1.5], 5: [-0.5, 0.0, 4.0]}
    n2 = {1: 4, 2: 5, 3: 2, 4: 3, 5: 8}
    f1 = {1: 2 / 10, 2: 2 / 10, 3: 3 / 6, 4: 3 / 6, 5: 3 / 6}
    stage2 = sum(f1[c] * (1 - len(t) / n2[c]) * ss(t) for c, t in ssu.items())
    assert linearization_vcov(z, prepared)[0, 0] == pytest.approx(stage1 + stage2, rel=1e-12)
    expected_w = [n2[c] / len(ssu[c]) / f1[c] for c in data["c"]]
    np.testing.assert_allclose(prepared.weights, expected_w, rtol=1e-12)
    fractions = data.assign(
        n1=[f1[c] for c in data["c"]], n2=[len(ssu[c]) / n2[c] for c in data["c"]]
    )
    by_fraction = design_frame(design, fractions)
    assert linearization_vcov(z, by_fraction)[0, 0] == pytest.approx(stage1 + stage2, rel=1e-12)
    without_fpc = design_frame(SurveyDesign(cluster=("c", "u"), strata="s"), data)
    one_stage = design_frame(SurveyDesign(cluster="c", strata="s"), data)
    assert without_fpc.stages == ()  # with replacement: ultimate clusters only, as R
    assert linearization_vcov(z, without_fpc)[0, 0] == linearization_vcov(z, one_stage)[0, 0]


def test_multistage_lonely_units_and_census():
    data = _two_stage()
    data.loc[data["c"] == 3, "u"] = 1  # PSU 3 now has one sampled SSU of 2
    design = SurveyDesign(cluster=("c", "u"), strata="s", fpc=("n1", "n2"))
    with pytest.warns(DesignWarning, match="single sampled 'u' unit at stage 2"):
        prepared = design_frame(design, data)
    assert "lonely_psu='adjust'" in prepared.notes[0]
    with pytest.raises(DataValidationError, match="stage 2; lonely_psu='fail'") as info:
        design_frame(
            SurveyDesign(cluster=("c", "u"), strata="s", fpc=("n1", "n2"), lonely_psu="fail"), data
        )
    assert info.value.failure_cases["row"].tolist() == [5, 6]
    census = data.assign(n2=np.where(data["c"] == 3, 1, data["n2"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DesignWarning)  # one school of one: a census
        strict = SurveyDesign(cluster=("c", "u"), strata="s", fpc=("n1", "n2"), lonely_psu="fail")
        design_frame(strict, census)


def test_multistage_design_errors():
    data = _two_stage()
    with pytest.raises(ArgumentError, match=r"one column per stage of cluster \(2\)"):
        SurveyDesign(cluster=("c", "u"), fpc="n1")
    with pytest.raises(ArgumentError, match="cluster must be a column name"):
        SurveyDesign(cluster=("c", 2))
    assert SurveyDesign(cluster=["c", "u"], fpc=["n1", "n2"]).cluster == ("c", "u")
    assert SurveyDesign(cluster=("c",)).cluster_columns == ("c",)
    varying = data.assign(n2=[4, 4, 5, 5, 5, 2, 2, 3, 3, 8, 8, 8])
    with pytest.raises(DataValidationError, match="varies within its 'c' cluster"):
        design_frame(SurveyDesign(cluster=("c", "u"), strata="s", fpc=("n1", "n2")), varying)
    too_small = data.assign(n2=[1, 1, 1, 5, 5, 2, 2, 3, 3, 8, 8, 8])
    with pytest.raises(DataValidationError, match="smaller than the number of sampled"):
        design_frame(SurveyDesign(cluster=("c", "u"), strata="s", fpc=("n1", "n2")), too_small)
    with pytest.raises(ArgumentError, match="Did you mean 'u'"):
        design_frame(SurveyDesign(cluster=("c", "uu"), fpc=("n1", "n2")), data)


def test_design_df_subset_length_is_checked():
    prepared = design_frame(SurveyDesign(), pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    assert design_df(prepared, np.array([True, True, False])) == 1
    with pytest.raises(ArgumentError, match="subset must have length 3"):
        design_df(prepared, np.array([True]))
