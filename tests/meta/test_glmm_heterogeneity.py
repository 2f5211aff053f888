"""Heterogeneity and subgroup analyses of the GLMM against metafor::rma.glmm (nAGQ = 7).

Expected values: ``tests/reference/expected/meta_glmm_heterogeneity.json``, written by
``tests/reference/r/meta_glmm_heterogeneity.R`` (metafor 3.8-1, lme4 1.1-31, bobyqa with
``rhoend = 1e-12``; lme4's own ``glmer`` fit of each model is checked to converge first).

Tolerances. rma.glmm and glmer, fitted to the same model, agree on tau² only to about 1e-5
relative (lme4's optimiser stops there), so the GLMM fits are matched to 2e-5 relative. On the
table with a study of 0 cases and one of n cases the recreational subgroup has tau² ≈ 8.6 and
an almost flat likelihood: R's estimates are up to 4e-4 (relative) from lbprun's, and lbprun's
maximum is the higher one (checked directly). The heterogeneity tests do not involve the GLMM:
QE.LRT is matched to 1e-9 and QE.Wld, which R computes by IRLS stopped at ``epsilon = 1e-8``,
to 1e-7.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special

from lbprun.meta import pool_prevalence
from lbprun.meta._glmm import _loglik

REF = Path(__file__).resolve().parents[1] / "reference"
STUDIES = pd.read_csv(REF / "meta_studies.csv")
EXPECTED = json.loads((REF / "expected" / "meta_glmm_heterogeneity.json").read_text())
GLMM_REL = 2e-5
FLAT_REL = 1e-3
LRT_REL = 1e-9
WALD_REL = 1e-7


def _zero_cells() -> pd.DataFrame:
    d = STUDIES.copy()
    d.loc[d["study"] == "S09", "cases"] = 0
    d.loc[d["study"] == "S17", "cases"] = d.loc[d["study"] == "S17", "n"]
    return d


DATA = {"meta_studies": STUDIES, "zero_cells": _zero_cells()}


@pytest.fixture(scope="module", params=["meta_studies", "zero_cells"])
def fitted(request):
    name = request.param
    return name, pool_prevalence(DATA[name], method="GLMM", subgroup="setting")


def _check_row(row, ref, rel):
    np.testing.assert_allclose(row["estimate_link"], ref["beta"], rtol=rel)
    np.testing.assert_allclose(row["std_error"], ref["se"], rtol=rel)
    np.testing.assert_allclose(row["tau2"], ref["tau2"], rtol=rel)
    np.testing.assert_allclose(row["i2"], ref["i2"], rtol=rel)
    np.testing.assert_allclose(row["h2"], ref["h2"], rtol=rel)
    np.testing.assert_allclose(row["estimate"], ref["pooled_proportion"], rtol=rel)
    np.testing.assert_allclose([row["ci_low"], row["ci_high"]], ref["ci_proportion"], rtol=rel)
    np.testing.assert_allclose([row["pi_low"], row["pi_high"]], ref["pi_proportion"], rtol=rel)
    np.testing.assert_allclose(row["q_lrt"], ref["qe_lrt"], rtol=LRT_REL)
    np.testing.assert_allclose(row["q_lrt_p"], ref["qe_lrt_p"], rtol=1e-6)
    np.testing.assert_allclose(row["q_wald"], ref["qe_wald"], rtol=WALD_REL)
    # the p-value is far in the tail: d log p / d log Q is about Q / 2
    np.testing.assert_allclose(row["q_wald_p"], ref["qe_wald_p"], rtol=WALD_REL * ref["qe_wald"])
    assert row["k"] == ref["k"] and np.isnan(row["q"]) and np.isnan(row["q_p"])


def test_glmm_heterogeneity_matches_rma_glmm(fitted):
    name, r = fitted
    table = r.table.set_index("group")
    _check_row(table.loc["overall"], EXPECTED[name]["overall"], GLMM_REL)
    _check_row(table.loc["competitive"], EXPECTED[name]["competitive"], GLMM_REL)
    flat = name == "zero_cells"
    _check_row(
        table.loc["recreational"], EXPECTED[name]["recreational"], FLAT_REL if flat else GLMM_REL
    )
    # the scalar fields are the overall row
    assert (
        r.q_wald == table.loc["overall", "q_wald"] and r.q_lrt_p == table.loc["overall", "q_lrt_p"]
    )


def test_glmm_subgroup_moderator_matches_rma_glmm(fitted):
    name, r = fitted
    ref = EXPECTED[name]["moderator"]
    t = r.subgroup_test
    rel = FLAT_REL if name == "zero_cells" else GLMM_REL
    assert t["moderator"] == "setting" and t["reference"] == "competitive"
    assert t["qm_df"] == ref["qm_df"] == 1 and t["q_df"] == ref["qe_df"] == 17
    np.testing.assert_allclose(t["coef"], ref["beta"], rtol=rel)
    np.testing.assert_allclose(t["se"], ref["se"], rtol=rel)
    np.testing.assert_allclose(t["tau2_residual"], ref["tau2"], rtol=rel)
    np.testing.assert_allclose(t["qm"], ref["qm"], rtol=rel)
    np.testing.assert_allclose(t["qm_p"], ref["qm_p"], rtol=rel)
    np.testing.assert_allclose(t["i2_residual"], ref["i2"], rtol=rel)
    np.testing.assert_allclose(t["h2_residual"], ref["h2"], rtol=rel)
    np.testing.assert_allclose(t["q_lrt"], ref["qe_lrt"], rtol=LRT_REL)
    np.testing.assert_allclose(t["q_wald"], ref["qe_wald"], rtol=WALD_REL)
    # lme4's glmer on the same model
    np.testing.assert_allclose(t["coef"], ref["glmer_beta"], rtol=rel)
    np.testing.assert_allclose(t["tau2_residual"], ref["glmer_tau2"], rtol=rel)


def test_glmm_flat_likelihood_lbprun_is_at_least_rs_maximum():
    d = DATA["zero_cells"]
    part = d[d["setting"] == "recreational"]
    x = part["cases"].to_numpy(float)
    n = part["n"].to_numpy(float)
    nodes, weights = np.polynomial.hermite.hermgauss(7)
    lchoose = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    ref = EXPECTED["zero_cells"]["recreational"]
    r = pool_prevalence(part, method="GLMM")
    ours = _loglik(
        np.array([r.estimate_link, 0.5 * np.log(r.tau2)]), x, n, nodes, weights, lchoose
    )
    for beta, tau2 in [(ref["beta"], ref["tau2"]), (ref["glmer_beta"], ref["glmer_tau2"])]:
        theirs = _loglik(np.array([beta, 0.5 * np.log(tau2)]), x, n, nodes, weights, lchoose)
        assert ours >= theirs - 1e-10


def test_two_step_methods_have_no_glmm_tests():
    r = pool_prevalence(STUDIES, method="REML")
    assert np.isnan([r.q_wald, r.q_wald_p, r.q_lrt, r.q_lrt_p]).all()
    assert {"q_wald", "q_lrt"} <= set(r.table.columns)


def test_glmm_summary_reports_the_heterogeneity_tests():
    r = pool_prevalence(STUDIES, method="GLMM")
    ref = EXPECTED["meta_studies"]["overall"]
    assert f"Wald Q = {ref['qe_wald']:.4f}" in r.summary()
    assert f"LRT = {ref['qe_lrt']:.4f}" in r.summary()


def test_failed_moderator_glmm_leaves_a_note(monkeypatch):
    from lbprun.exceptions import ConvergenceError
    from lbprun.meta import _glmm, pooling

    def fit(x, n, *, design=None, **kw):
        if design is not None:
            raise ConvergenceError("GLMM: tau went to the boundary")
        return _glmm.fit_glmm(x, n, **kw)

    monkeypatch.setattr(pooling, "fit_glmm", fit)
    r = pool_prevalence(STUDIES, method="GLMM", subgroup="setting")
    assert r.subgroup_test is None
    assert list(r.table["group"]) == ["overall", "competitive", "recreational"]
    assert any("No test for subgroup differences" in note for note in r.notes)
