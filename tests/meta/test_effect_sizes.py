"""prevalence_effect_sizes against metafor::escalc (values from R metafor 3.8-1)."""

import numpy as np
import pandas as pd

from lbprun.meta import prevalence_effect_sizes
from lbprun.meta.effect_sizes import back_transform, freeman_tukey, inverse_freeman_tukey

D = pd.DataFrame({"study": ["a", "b", "c"], "cases": [0, 10, 25], "n": [20, 40, 25]})


def test_logit_continuity_correction_only0_matches_escalc():
    es = prevalence_effect_sizes(D, measure="logit")
    # escalc("PLO", xi = c(0, 10, 25), ni = c(20, 40, 25)): add = 1/2 to both cells of a and c
    np.testing.assert_allclose(es["yi"], [np.log(0.5 / 20.5), np.log(10 / 30), np.log(25.5 / 0.5)])
    np.testing.assert_allclose(es["vi"], [1 / 0.5 + 1 / 20.5, 1 / 10 + 1 / 30, 1 / 25.5 + 1 / 0.5])
    assert es["corrected"].tolist() == [True, False, True]


def test_raw_and_freeman_tukey_are_not_corrected():
    raw = prevalence_effect_sizes(D, measure="raw")
    np.testing.assert_allclose(raw["vi"], [0.0, 0.25 * 0.75 / 40, 0.0])
    ft = prevalence_effect_sizes(D, measure="freeman_tukey")
    np.testing.assert_allclose(ft["vi"], 1 / (4 * D["n"] + 2))
    assert not ft["corrected"].any()


def test_inverse_freeman_tukey_round_trip_and_bounds():
    n = np.array([7.0, 50.0, 300.0])
    for x in [0.0, 1.0, 3.0, 7.0]:
        t = freeman_tukey(np.array([x]), np.array([7.0]))
        np.testing.assert_allclose(inverse_freeman_tukey(t, 7.0), [x / 7.0], atol=1e-12)
    assert inverse_freeman_tukey(-0.1, 10.0)[0] == 0.0
    assert inverse_freeman_tukey(2.0, 10.0)[0] == 1.0
    # metafor transf.ipft.hm(0.2, targs = list(ni = n)) uses the harmonic mean of n
    hm = 1 / np.mean(1 / n)
    np.testing.assert_allclose(
        back_transform(0.2, "freeman_tukey", n), inverse_freeman_tukey(0.2, hm)
    )
