"""The Wald test of a separated logistic fit is not defined: NaN with a SeparationWarning."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lbprun.exceptions import SeparationWarning, SparseDataWarning
from lbprun.models.risk_factors import fit_risk_factors


def _runners(counts: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """One row per runner from {level: (with LBP, without LBP)}."""
    rows = [
        (level, outcome)
        for level, (cases, non_cases) in counts.items()
        for outcome in [True] * cases + [False] * non_cases
    ]
    return pd.DataFrame(rows, columns=["group", "lbp"])


# Wu et al. 2021 Table 2, foot strike pattern: no runner with a full-foot strike had LBP.
ZERO_CELL = {
    "Forefoot (main)": (21, 396),
    "Rear heel (main)": (13, 268),
    "Forefoot (only)": (1, 15),
    "Full foot": (0, 41),
    "Not clear": (1, 44),
}


def _fit(counts, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SeparationWarning)
        warnings.simplefilter("ignore", SparseDataWarning)
        return fit_risk_factors(
            _runners(counts),
            "lbp",
            ["group"],
            reference_levels={"group": "Forefoot (main)"},
            **kwargs,
        )


def test_wald_test_of_a_zero_cell_table_is_nan_with_a_separation_warning():
    fit = _fit(ZERO_CELL)
    assert any("separation" in note for note in fit.notes)
    with pytest.warns(SeparationWarning, match=r"Wald test of 'group' is not defined") as caught:
        wald = fit.wald_test("group").iloc[0]
    assert "lr_test('group')" in str(caught[0].message)
    assert "method='firth'" in str(caught[0].message)
    assert wald["term"] == "group" and wald["df"] == 4
    assert np.isnan(wald["statistic"]) and np.isnan(wald["p_value"])
    # the likelihood-ratio test stays defined: it is the table's G statistic, as computed in R
    # (tests/reference/expected/contingency_tests.json, 4.820 on 4 df)
    lr = fit.lr_test("group").iloc[0]
    assert lr["statistic"] == pytest.approx(4.82001888025788, rel=1e-6)
    assert lr["p_value"] == pytest.approx(0.306268111135221, rel=1e-6)


def test_wald_test_without_separation_is_unchanged_and_silent():
    counts = dict(ZERO_CELL, **{"Full foot": (1, 40)})
    fit = _fit(counts)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        wald = fit.wald_test("group").iloc[0]
    b = fit.table["estimate"].to_numpy()[1:]
    w = float(b @ np.linalg.solve(fit.cov[1:, 1:], b))
    assert wald["statistic"] == pytest.approx(w, rel=1e-12)
    assert 0 < wald["p_value"] < 1


def test_firth_fit_of_the_zero_cell_table_keeps_its_wald_test():
    fit = _fit(ZERO_CELL, method="firth")
    with warnings.catch_warnings():
        warnings.simplefilter("error", SeparationWarning)
        wald = fit.wald_test("group").iloc[0]
    assert np.isfinite(wald["statistic"]) and 0 < wald["p_value"] < 1
