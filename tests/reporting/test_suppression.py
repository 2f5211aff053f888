"""Small-cell suppression: no small count shown, and none derivable from what is shown.

The audit here is independent of the module's own: an integer programme (``scipy.optimize.milp``)
finds, for every hidden entry, the smallest and largest whole number consistent with everything
published, including the ``<11`` bounds. A primary cell is protected when that range holds more
than one value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from lbprun._checks import ArgumentError
from lbprun.reporting.suppression import derived_mask, suppress_counts


def _integer_range(table, target) -> tuple[int, int]:
    values = table.counts.to_numpy()
    status = table.status.to_numpy()
    n_rows, n_cols = values.shape[0] - 1, values.shape[1] - 1
    hidden = [tuple(e) for e in np.argwhere(status > 0)]
    index = {e: k for k, e in enumerate(hidden)}
    rows, rhs = [], []
    relations = [([(i, j) for j in range(n_cols)], (i, n_cols)) for i in range(n_rows + 1)]
    relations += [([(i, j) for i in range(n_rows)], (n_rows, j)) for j in range(n_cols + 1)]
    for members, total in relations:
        coef, known = np.zeros(len(hidden)), 0
        for e in members:
            if e in index:
                coef[index[e]] += 1
            else:
                known -= values[e]
        if total in index:
            coef[index[total]] -= 1
        else:
            known += values[total]
        if coef.any():
            rows.append(coef)
            rhs.append(known)
    low = [1 if status[e] == 1 else 0 for e in hidden]
    high = [table.threshold - 1 if status[e] == 1 else np.inf for e in hidden]
    constraints = [LinearConstraint(np.array(rows), rhs, rhs)] if rows else []
    cost = np.zeros(len(hidden))
    cost[index[target]] = 1
    found = []
    for sign in (1, -1):
        result = milp(
            sign * cost,
            constraints=constraints,
            integrality=np.ones(len(hidden)),
            bounds=Bounds(low, high),
        )
        assert result.status in (0, 3)  # optimal, or unbounded above
        found.append(sign * result.fun if result.status == 0 else np.inf)
    return round(found[0]), found[1]


def _assert_protected(table):
    values, status = table.counts.to_numpy(), table.status.to_numpy()
    shown = values[status == 0]
    assert not ((shown > 0) & (shown < table.threshold)).any(), "a small count is shown"
    for target in map(tuple, np.argwhere(status == 1)):
        low, high = _integer_range(table, target)
        assert high > low, f"hidden cell {target} = {values[target]} is derivable"


def test_a_group_with_three_cases_shows_no_count_percentage_or_total_it_can_be_derived_from():
    counts = pd.DataFrame({"lbp": [3, 40, 55], "no_lbp": [60, 210, 190]}, index=["F", "M", "X"])
    table = suppress_counts(counts)
    shown = table.display()
    assert shown.loc["F", "lbp"] == "<11"
    assert "3" not in shown.to_numpy().ravel().tolist()
    _assert_protected(table)
    # the row percentage 3/63 and the complement 60/63 are hidden with the cells
    assert derived_mask(table).loc["F"]
    assert not derived_mask(table).loc["X"]


def test_zero_counts_and_large_counts_are_shown_and_nothing_is_hidden_when_nothing_is_small():
    counts = pd.DataFrame({"yes": [0, 40], "no": [25, 210]})
    table = suppress_counts(counts)
    assert not table.hidden.to_numpy().any()
    assert table.display().loc["Total", "Total"] == "275"


def test_a_lower_threshold_hides_fewer_cells():
    counts = pd.DataFrame({"yes": [4, 7, 30], "no": [50, 60, 70]})
    at_11 = suppress_counts(counts)
    at_5 = suppress_counts(counts, threshold=5)
    assert at_11.display().loc[1, "yes"] == "<11"
    # 7 is not small at threshold 5, but it is hidden to protect the 4 above it
    assert at_5.display().loc[1, "yes"] == "suppressed"
    assert at_5.display().loc[0, "yes"] == "<5"
    assert (
        int((at_5.status == 1).to_numpy().sum()) == 1 < int((at_11.status == 1).to_numpy().sum())
    )
    _assert_protected(at_5)


def test_a_small_margin_is_itself_hidden_and_cannot_be_recovered_from_the_others():
    counts = pd.DataFrame({"yes": [2, 40, 50], "no": [5, 100, 120]})
    table = suppress_counts(counts)
    assert table.status.loc[0, "Total"] == 1  # the group's n of 7 is a small count too
    _assert_protected(table)


def test_bad_arguments_are_refused():
    with pytest.raises(ArgumentError, match="non-negative"):
        suppress_counts(pd.DataFrame({"a": [-1, 3]}))
    with pytest.raises(ArgumentError, match="threshold"):
        suppress_counts(pd.DataFrame({"a": [1, 3]}), threshold=0)
    with pytest.raises(ArgumentError, match="axis"):
        derived_mask(suppress_counts(pd.DataFrame({"a": [1, 30]})), axis="diagonal")


tables = st.integers(1, 5).flatmap(
    lambda n_rows: st.integers(1, 4).flatmap(
        lambda n_cols: st.lists(
            st.one_of(st.just(0), st.integers(1, 12), st.integers(11, 300)),
            min_size=n_rows * n_cols,
            max_size=n_rows * n_cols,
        ).map(lambda v: pd.DataFrame(np.array(v).reshape(n_rows, n_cols)))
    )
)


@settings(max_examples=40, deadline=None)
@given(counts=tables, threshold=st.sampled_from([5, 11]))
def test_no_small_count_is_shown_or_derivable_in_any_table(counts, threshold):
    table = suppress_counts(counts, threshold=threshold)
    _assert_protected(table)
    np.testing.assert_array_equal(table.counts.iloc[:-1, :-1].to_numpy(), counts.to_numpy())
