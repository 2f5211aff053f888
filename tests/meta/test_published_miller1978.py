"""A published meta-analysis of proportions reproduced: Miller (1978).

Source
------
Miller JJ (1978). The inverse of the Freeman-Tukey double arcsine transformation. The American
Statistician 32(4):138. doi:10.1080/00031305.1978.10479283.

Miller illustrates the double arcsine transform and its inverse on four studies with
x = 3, 6, 10, 1 cases out of n = 11, 17, 21, 6. He aggregates the transformed values by their
unweighted mean and by their inverse-variance weighted mean and back-transforms each with the
harmonic mean of the study sizes (n = 10.988). The values printed on page 138, as reproduced
by metafor's analysis page "Miller (1978)" (https://metafor-project.org/doku.php/analyses:miller1978)
and by metafor's own test of that page (tests/testthat/test_analysis_example_miller1978.r,
"compare with results on page 138"), are:

======================================  =====================================
transformed values t_i                  1.1391, 1.2888, 1.5253, 0.9515
their variances                         0.0870, 0.0571, 0.0465, 0.1538
unweighted mean of t_i                  1.2262, back-transformed 0.3164
inverse-variance weighted mean of t_i   1.3093, back-transformed 0.3595
======================================  =====================================

Miller's transform is twice metafor's and lbprun's (the page notes that escalc includes the
factor 1/2 that Miller leaves out), so his t_i are 2 * yi and his variances 4 * vi; the
back-transformed proportions do not depend on the convention. Miller's weighted mean is the
equal-effects (common-effect) model, ``pool_prevalence(method="EE")``; his unweighted mean is
the same with ``weighted=False`` (metafor ``rma(method = "EE", weighted = FALSE)``). The
published values are given to 4 decimals and are matched to half a unit in the last place.

The same fits, Q, I², H², the confidence intervals and the equal-effects fits of
meta_studies.csv are checked against metafor 3.8-1 to 1e-9 in
``tests/reference/expected/meta_miller1978.json`` (``tests/reference/r/meta_miller1978.R``).
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lbprun.meta import FreemanTukeyWarning, pool_prevalence, prevalence_effect_sizes

REF = Path(__file__).resolve().parents[1] / "reference"
EXPECTED = json.loads((REF / "expected" / "meta_miller1978.json").read_text())
STUDIES = pd.read_csv(REF / "meta_studies.csv")
MILLER = pd.DataFrame(
    {"study": ["1", "2", "3", "4"], "cases": [3, 6, 10, 1], "n": [11, 17, 21, 6]}
)
#: Miller (1978), page 138 (4 decimals).
PUBLISHED = {
    "t": [1.1391, 1.2888, 1.5253, 0.9515],
    "var_t": [0.0870, 0.0571, 0.0465, 0.1538],
    "unweighted": {"t": 1.2262, "proportion": 0.3164},
    "weighted": {"t": 1.3093, "proportion": 0.3595},
}
HALF_LAST_DIGIT = 5e-5
TIGHT = 1e-9
MEASURE = {"PLO": "logit", "PFT": "freeman_tukey", "PR": "raw"}


def _miller(weighted: bool):
    with pytest.warns(FreemanTukeyWarning):
        return pool_prevalence(MILLER, measure="freeman_tukey", method="EE", weighted=weighted)


def test_miller1978_transformed_values_match_published():
    es = prevalence_effect_sizes(MILLER, measure="freeman_tukey")
    np.testing.assert_allclose(2 * es["yi"], PUBLISHED["t"], atol=HALF_LAST_DIGIT)
    np.testing.assert_allclose(4 * es["vi"], PUBLISHED["var_t"], atol=HALF_LAST_DIGIT)


@pytest.mark.parametrize("kind", ["unweighted", "weighted"])
def test_miller1978_pooled_proportion_matches_published(kind):
    r = _miller(weighted=kind == "weighted")
    assert r.k == 4 and r.tau2 == 0.0
    assert abs(2 * r.estimate_link - PUBLISHED[kind]["t"]) <= HALF_LAST_DIGIT
    assert abs(r.estimate - PUBLISHED[kind]["proportion"]) <= HALF_LAST_DIGIT


@pytest.mark.parametrize("kind", ["unweighted", "weighted"])
def test_pool_prevalence_ee_miller1978_matches_metafor(kind):
    ref = EXPECTED["miller"][kind]
    r = _miller(weighted=kind == "weighted")
    np.testing.assert_allclose(r.estimate_link, ref["est"], rtol=TIGHT)
    np.testing.assert_allclose(r.std_error, ref["se"], rtol=TIGHT)
    np.testing.assert_allclose([r.ci_low_link, r.ci_high_link], ref["ci"], rtol=TIGHT)
    np.testing.assert_allclose(r.estimate, ref["pooled_proportion"], rtol=TIGHT)
    np.testing.assert_allclose([r.ci_low, r.ci_high], ref["ci_proportion"], rtol=TIGHT)
    # metafor's EE heterogeneity: Q on 3 df, I2 = max(0, (Q - 3)/Q), H2 = Q/3
    np.testing.assert_allclose([r.q, r.q_p, r.h2], [ref["q"], ref["q_p"], ref["h2"]], rtol=TIGHT)
    assert r.i2 == ref["i2"] == 0.0
    np.testing.assert_allclose(r.studies["weight"], ref["weights"], rtol=TIGHT)


def test_fe_is_an_alias_of_ee():
    ref = EXPECTED["miller"]["fe_alias"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        r = pool_prevalence(MILLER, measure="freeman_tukey", method="FE")
    assert r.method == "FE"
    np.testing.assert_allclose(r.estimate, ref["pooled_proportion"], rtol=TIGHT)


@pytest.mark.parametrize("measure", ["PLO", "PFT", "PR"])
def test_pool_prevalence_ee_matches_metafor(measure):
    ref = EXPECTED["ee_meta_studies"][measure]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FreemanTukeyWarning)
        r = pool_prevalence(STUDIES, measure=MEASURE[measure], method="EE")
    for got, want in [
        (r.estimate_link, ref["est"]),
        (r.std_error, ref["se"]),
        (r.q, ref["q"]),
        (r.i2, ref["i2"]),
        (r.h2, ref["h2"]),
        (r.estimate, ref["pooled_proportion"]),
    ]:
        np.testing.assert_allclose(got, want, rtol=TIGHT)
    np.testing.assert_allclose([r.ci_low, r.ci_high], ref["ci_proportion"], rtol=TIGHT)
    # no between-study variance: the prediction interval is the confidence interval
    assert (r.pi_low, r.pi_high) == (r.ci_low, r.ci_high)


def test_ee_subgroup_test_matches_metafor():
    ref = EXPECTED["ee_subgroup_plo"]
    t = pool_prevalence(STUDIES, method="EE", subgroup="setting").subgroup_test
    np.testing.assert_allclose(t["coef"], ref["coef"], rtol=TIGHT)
    np.testing.assert_allclose(t["se"], ref["se"], rtol=TIGHT)
    np.testing.assert_allclose(t["qm"], ref["qm"], rtol=TIGHT)
    assert t["tau2_residual"] == 0.0 and t["qm_df"] == 1


def test_unweighted_reml_matches_metafor():
    ref = EXPECTED["reml_unweighted_plo"]
    r = pool_prevalence(STUDIES, method="REML", weighted=False)
    np.testing.assert_allclose(r.estimate_link, ref["est"], rtol=TIGHT)
    np.testing.assert_allclose(r.std_error, ref["se"], rtol=TIGHT)
    np.testing.assert_allclose(r.tau2, ref["tau2"], rtol=TIGHT)
    np.testing.assert_allclose([r.pi_low, r.pi_high], ref["pi_proportion"], rtol=TIGHT)
    np.testing.assert_allclose(r.studies["weight"], 100 / 19, rtol=TIGHT)
    assert "unweighted" in r.summary()
    loo = r.leave_one_out()
    # leaving a study out of an unweighted mean of 19 logits: (19 * mean - y_i) / 18
    y = r.studies["yi"].to_numpy()
    np.testing.assert_allclose(loo["estimate_link"], (y.sum() - y) / 18, rtol=TIGHT)


def test_weighted_argument_errors():
    with pytest.raises(ValueError, match="weighted must be True with method='GLMM'"):
        pool_prevalence(STUDIES, method="GLMM", weighted=False)
    with pytest.raises(ValueError, match="weighted must be True with method='GLMM' or knha"):
        pool_prevalence(STUDIES, knha=True, weighted=False)
    with pytest.raises(ValueError, match="weighted must be True or False; got 'no'"):
        pool_prevalence(STUDIES, weighted="no")
