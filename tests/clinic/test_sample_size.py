"""Riley et al.'s minimum sample size (R pmsampsize) and the warning when data fall short."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lbprun._checks import ArgumentError
from lbprun.clinic.develop import develop_risk_model
from lbprun.clinic.sample_size import check_sample_size, max_r2_cs, riley_sample_size
from lbprun.exceptions import SparseDataWarning


def _cases(expected_dir):
    return json.loads((expected_dir / "pmsampsize_binary.json").read_text())["cases"]


def test_riley_sample_size_matches_pmsampsize(expected_dir):
    for case in _cases(expected_dir):
        result = riley_sample_size(
            parameters=case["parameters"], prevalence=case["prevalence"], r2_cs=case["r2_cs"]
        )
        table = result.to_frame()
        assert table["sample_size"].tolist() == case["sample_size"]
        assert result.minimum == case["sample_size"][-1]
        if "events_per_parameter" in case:
            np.testing.assert_allclose(
                table["events_per_parameter"].round(2), case["events_per_parameter"]
            )


def test_riley_worked_example_details():
    # Riley et al. (2020): 24 parameters, prevalence 0.174, Cox-Snell R2 0.288
    result = riley_sample_size(parameters=24, prevalence=0.174, r2_cs=0.288)
    table = result.to_frame().set_index("criterion")
    assert table.loc["1: shrinkage", "shrinkage"] == 0.9
    # max R2_CS = 1 - (phi^phi (1 - phi)^(1 - phi))^2
    expected_max = 1 - (0.174**0.174 * 0.826**0.826) ** 2
    assert table["max_r2_cs"].iloc[0] == pytest.approx(expected_max, rel=1e-12)
    s2 = 0.288 / (0.288 + 0.05 * expected_max)
    assert table.loc["2: optimism in Nagelkerke R2", "shrinkage"] == pytest.approx(s2, rel=1e-12)
    assert table.loc["final", "events"] == pytest.approx(662 * 0.174)
    assert "662 participants" in result.summary()


def test_criterion_3_is_the_precision_of_the_overall_risk():
    result = riley_sample_size(parameters=5, prevalence=0.25, r2_cs=0.288)
    # (1.96 / 0.05)^2 * 0.25 * 0.75 = 288.12 -> 289 (pmsampsize test 4.4)
    assert result.to_frame()["sample_size"][2] == 289
    # criterion 1: 5 / (-0.1 * ln(1 - 0.288 / 0.9)) = 5 / 0.038566 = 129.6 -> 130
    assert result.to_frame()["sample_size"][0] == 130


def test_riley_sample_size_rejects_bad_arguments():
    with pytest.raises(ArgumentError, match="largest Cox-Snell R2"):
        riley_sample_size(parameters=10, prevalence=0.05, r2_cs=0.4)
    with pytest.raises(ArgumentError, match=r"prevalence must be in \(0, 1\); got 17.4"):
        riley_sample_size(parameters=10, prevalence=17.4, r2_cs=0.1)
    with pytest.raises(ArgumentError, match="parameters must be a positive integer"):
        riley_sample_size(parameters=2.5, prevalence=0.2, r2_cs=0.1)


@given(
    prevalence=st.floats(0.05, 0.5),
    fraction=st.floats(0.05, 0.9),
    parameters=st.integers(1, 60),
)
def test_minimum_is_the_largest_criterion_and_grows_with_parameters(
    prevalence, fraction, parameters
):
    r2 = fraction * max_r2_cs(prevalence)
    result = riley_sample_size(parameters=parameters, prevalence=prevalence, r2_cs=r2)
    sizes = result.to_frame()["sample_size"].tolist()
    assert sizes[3] == max(sizes[:3]) == result.minimum
    bigger = riley_sample_size(parameters=parameters + 1, prevalence=prevalence, r2_cs=r2)
    assert bigger.minimum >= result.minimum


def test_check_sample_size_warns_when_short():
    with pytest.warns(SparseDataWarning, match="fewer than the 1[0-9]{3} that"):
        result = check_sample_size(300, 60, 10, 0.05)
    assert result.sufficient is False
    assert result.n_available == 300 and result.events_available == 60
    assert "falls short" in result.summary()


def test_develop_risk_model_warns_when_data_fall_short():
    rng = np.random.default_rng(3)
    n = 120
    data = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{j}" for j in range(6)])
    data["y"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-(data["x0"] - 0.5)))).astype(int)
    with pytest.warns(SparseDataWarning, match="Riley"):
        dev = develop_risk_model(
            data, "y", [f"x{j}" for j in range(6)], n_bootstrap=10, n_jobs=1, progress=False
        )
    assert dev.sample_size is not None and dev.sample_size.sufficient is False
    assert any("Riley" in note for note in dev.notes)
