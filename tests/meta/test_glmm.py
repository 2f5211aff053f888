"""The random-intercept logistic model against metafor::rma.glmm / lme4::glmer (nAGQ = 7)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd

from lbprun.meta import pool_prevalence

REF = Path(__file__).resolve().parents[1] / "reference"
STUDIES = pd.read_csv(REF / "meta_studies.csv")
GLMM = json.loads((REF / "expected" / "meta_glmm.json").read_text())
#: lme4's bobyqa stops about 1e-6 (estimate) to 1e-5 (tau2) away from the maximum:
#: rma.glmm and glmer on the same model differ by that much in meta_glmm.json.
GLMM_REL = 2e-5


def test_pool_prevalence_glmm_matches_metafor():
    ref = next(f for f in GLMM["fits"] if f["nAGQ"] == 7)
    r = pool_prevalence(STUDIES, method="GLMM")
    np.testing.assert_allclose(r.estimate_link, ref["est"], rtol=GLMM_REL)
    np.testing.assert_allclose(r.estimate_link, ref["glmer_est"], rtol=GLMM_REL)
    np.testing.assert_allclose(r.std_error, ref["se"], rtol=GLMM_REL)
    np.testing.assert_allclose(r.tau2, ref["tau2"], rtol=GLMM_REL)
    np.testing.assert_allclose(r.tau2, ref["glmer_tau2"], rtol=GLMM_REL)
    np.testing.assert_allclose([r.ci_low_link, r.ci_high_link], ref["ci"], rtol=GLMM_REL)
    np.testing.assert_allclose(r.i2, ref["i2"], rtol=GLMM_REL)
    np.testing.assert_allclose(r.h2, ref["h2"], rtol=GLMM_REL)
    np.testing.assert_allclose(r.estimate, ref["pooled_proportion"], rtol=GLMM_REL)
    np.testing.assert_allclose([r.ci_low, r.ci_high], ref["ci_proportion"], rtol=GLMM_REL)
    np.testing.assert_allclose([r.pi_low, r.pi_high], ref["pi_proportion"], rtol=GLMM_REL)
    assert np.isnan(r.studies["weight"]).all()
