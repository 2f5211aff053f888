"""Tests of independence in r×c tables: R's chisq.test / fisher.test, input checks, invariants."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lbprun._checks import ArgumentError
from lbprun.datasets import load_published
from lbprun.exceptions import SparseDataWarning
from lbprun.measures.contingency import fisher_two_by_c, table_tests

EXPECTED = Path(__file__).parents[1] / "reference" / "expected"

REF_TOL = 1e-10
CASES = json.loads((EXPECTED / "contingency_tests.json").read_text())["tables"]


def _quiet(counts, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SparseDataWarning)
        return table_tests(counts, **kwargs)


@pytest.mark.parametrize("name", list(CASES))
def test_table_tests_matches_r_chisq_test_and_fisher_test(name):
    case = CASES[name]
    result = _quiet(
        np.array(case["counts"]), scores=(case["row_scores"], case["col_scores"])
    ).table.set_index("test")
    for test in ("pearson", "yates", "likelihood_ratio", "linear_by_linear"):
        if test not in case:
            continue
        statistic, df, p_value = case[test]
        assert result.loc[test, "statistic"] == pytest.approx(statistic, rel=REF_TOL, abs=REF_TOL)
        assert result.loc[test, "df"] == df
        assert result.loc[test, "p_value"] == pytest.approx(p_value, rel=REF_TOL, abs=REF_TOL)
    if "fisher" in case:
        assert result.loc["fisher", "p_value"] == pytest.approx(
            case["fisher"][2], rel=REF_TOL, abs=REF_TOL
        )
    else:
        assert "fisher" not in result.index
    assert ("yates" in result.index) == ("yates" in case)


def test_every_wu2021_factor_is_among_the_reference_tables():
    wu = load_published("wu2021_table2")
    for factor, group in wu.groupby("factor", sort=False):
        case = CASES[f"wu2021: {factor}"]
        assert case["counts"] == group[["lbp_n", "no_lbp_n"]].to_numpy().tolist()
    foot = _quiet(CASES["wu2021: Foot strike pattern"]["counts"]).table.set_index("test")
    # the values the notebook quotes for the foot-strike factor (printed p-value 0.139)
    np.testing.assert_allclose(
        foot.loc[["pearson", "likelihood_ratio", "linear_by_linear", "fisher"], "p_value"],
        [0.578375011517088, 0.306268111135221, 0.174787297808081, 0.601388753788568],
        rtol=1e-10,
    )


def test_sparse_tables_warn_and_note_like_r():
    with pytest.warns(SparseDataWarning, match="chi-squared approximation may be incorrect"):
        result = table_tests([[3, 1], [1, 3]])
    assert result.notes[0].startswith("4 of 4 expected counts are below 5 (smallest 2)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert table_tests([[13, 2163], [5, 3349]]).notes == ()


def test_fisher_is_left_out_of_larger_tables_with_a_note():
    result = _quiet(CASES["three_by_four"]["counts"])
    assert list(result.table["test"]) == ["pearson", "likelihood_ratio", "linear_by_linear"]
    assert any("Fisher's exact test left out" in n and "3x4" in n for n in result.notes)
    assert fisher_two_by_c(np.array([[20, 20, 20, 20], [20, 20, 20, 20]]), max_tables=10) is None


def test_r_by_two_and_two_by_c_give_the_same_fisher_p():
    x = np.array(CASES["wu2021: Shoe type"]["counts"])
    a = _quiet(x).table.set_index("test")
    b = _quiet(x.T).table.set_index("test")
    assert a.loc["fisher", "p_value"] == pytest.approx(b.loc["fisher", "p_value"], rel=1e-12)
    assert a.loc["fisher", "p_value"] == pytest.approx(0.708750986552182, rel=1e-10)


def test_dataframe_labels_are_kept_and_result_is_json_safe():
    frame = pd.DataFrame({"lbp": [21, 15], "no_lbp": [314, 450]}, index=["full", "half"])
    result = table_tests(frame)
    assert list(result.counts.index) == ["full", "half"]
    assert result.expected.loc["full", "lbp"] == pytest.approx(335 * 36 / 800)
    records = {r["test"]: r for r in result.to_dict()["table"]}
    assert records["fisher"]["statistic"] is None  # Fisher: no statistic
    assert "Tests of independence in a 2x2 table (N = 800)" in result.summary()


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([[1, -2], [3, 4]], r"non-negative integers; got -2 at row 0, column 1"),
        ([[1, 2.5], [3, 4]], r"non-negative integers; got 2\.5 at row 0, column 1"),
        ([[1, np.nan], [3, 4]], "non-negative integers; got nan"),
        ([[1, 2, 3]], "at least 2 rows and 2 columns; got 1x3"),
        ([1, 2, 3], "2-D table"),
        ([[0, 0], [3, 4]], "no all-zero row; got row 0"),
        (pd.DataFrame({"a": [1, 2], "b": [0, 0]}), "no all-zero column; got column 'b'"),
    ],
)
def test_bad_tables_are_refused_with_the_cell_named(counts, message):
    with pytest.raises(ArgumentError, match=message):
        table_tests(counts)


def test_bad_scores_are_refused():
    with pytest.raises(ArgumentError, match="row_scores must be 2 finite numbers"):
        table_tests([[5, 6], [7, 8]], scores=([1, 2, 3], None))
    with pytest.raises(ArgumentError, match="col_scores must be 2 finite numbers, not all equal"):
        table_tests([[5, 6], [7, 8]], scores=(None, [1, 1]))
    with pytest.raises(ArgumentError, match="scores must be None or a pair"):
        table_tests([[5, 6], [7, 8]], scores=[1, 2, 3])


tables = arrays(
    np.int64,
    st.tuples(st.integers(2, 4), st.integers(2, 4)),
    elements=st.integers(1, 40),
)


@given(tables, st.randoms(use_true_random=False))
def test_pearson_and_g_do_not_depend_on_order_or_transposition(x, rnd):
    base = _quiet(x).table.set_index("test")
    rows = list(range(x.shape[0]))
    rnd.shuffle(rows)
    for other in (x.T, x[rows]):
        got = _quiet(other).table.set_index("test")
        for test in ("pearson", "likelihood_ratio"):
            assert got.loc[test, "statistic"] == pytest.approx(
                base.loc[test, "statistic"], rel=1e-9, abs=1e-12
            )
            assert got.loc[test, "p_value"] == pytest.approx(
                base.loc[test, "p_value"], rel=1e-9, abs=1e-12
            )
    assert ((base["p_value"] >= 0) & (base["p_value"] <= 1)).all()
    assert (base["statistic"].dropna() >= -1e-12).all()
    if x.shape == (2, 2):  # M^2 = (N - 1) / N x Pearson in a 2x2 table
        n = x.sum()
        assert base.loc["linear_by_linear", "statistic"] == pytest.approx(
            (n - 1) / n * base.loc["pearson", "statistic"], rel=1e-9, abs=1e-12
        )
        assert base.loc["yates", "statistic"] <= base.loc["pearson", "statistic"] + 1e-12
