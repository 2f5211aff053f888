"""Suppression of prevalence and incidence tables: no small count shown or derivable.

The audit is independent of lbprun's: from the published table alone (shown counts, ``<11``
bounds, the ``all`` row), an integer programme finds the smallest and largest value every
hidden small count could take, within each block of groups; a count is protected when the
range holds more than one value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

import lbprun
from lbprun._checks import ArgumentError
from lbprun.reporting.estimate_suppression import suppress_estimates


def _value(text, threshold):
    """(low, high, known) for a published entry."""
    if isinstance(text, str) and text.startswith("<"):
        return 1, threshold - 1, False
    if text == "suppressed":
        return 0, np.inf, False
    return float(text), float(text), True


def _audit(shown: pd.DataFrame, true: pd.DataFrame, count: str, threshold: int) -> None:
    """Every primary-hidden count of every block can take two values given what is shown."""
    overall = shown[shown["by"] == "all"].iloc[0]
    for by in pd.unique(shown.loc[shown["by"] != "all", "by"]):
        rows = shown.index[shown["by"] == by]
        # variables: count and n of every group, plus count and n of runners in no group
        k = len(rows)
        low, high = [], []
        for r in rows:
            for column in (count, "n"):
                lo, hi, _ = _value(shown.loc[r, column], threshold)
                low.append(lo)
                high.append(hi)
        low += [0, 0]
        high += [np.inf, np.inf]
        a, lb, ub = [], [], []
        for j, column in enumerate((count, "n")):
            lo, hi, _ = _value(overall[column], threshold)
            coef = np.zeros(2 * k + 2)
            coef[j::2] = 1
            a.append(coef)
            lb.append(lo)
            ub.append(hi)
        for i in range(k + 1):  # count <= n in every group
            coef = np.zeros(2 * k + 2)
            coef[2 * i], coef[2 * i + 1] = 1, -1
            a.append(coef)
            lb.append(-np.inf)
            ub.append(0)
        constraints = LinearConstraint(np.array(a), lb, ub)
        for i, r in enumerate(rows):
            targets = []
            if shown.loc[r, count] == f"<{threshold}":
                targets.append(("count", {2 * i: 1}))
            complement = true.loc[r, "n"] - true.loc[r, count]
            if 0 < complement < threshold:  # the non-cases are a small count too
                targets.append(("complement", {2 * i + 1: 1, 2 * i: -1}))
            for what, weights in targets:
                cost = np.zeros(2 * k + 2)
                for index, weight in weights.items():
                    cost[index] = weight
                ends = []
                for sign in (1, -1):
                    res = milp(
                        sign * cost,
                        constraints=constraints,
                        integrality=np.ones(2 * k + 2),
                        bounds=Bounds(low, high),
                    )
                    assert res.status in (0, 3)
                    ends.append(sign * res.fun if res.status == 0 else np.inf)
                assert ends[1] > ends[0], f"{by}={shown.loc[r, 'group']}: {what} derivable"


def _survey(sizes, cases):
    rows = []
    for g, (n, c) in enumerate(zip(sizes, cases, strict=True)):
        rows += [
            {"surface": f"s{g}", "sex": "FM"[i % 2], "lbp_12m": i < min(c, n)} for i in range(n)
        ]
    data = pd.DataFrame(rows)
    data["lbp_12m"] = data["lbp_12m"].astype("boolean")
    return data


def test_a_group_with_three_cases_shows_no_count_estimate_or_interval():
    data = _survey([120, 3 + 40, 200], [30, 3, 60])
    table = lbprun.prevalence(data, "lbp_12m", by="surface").to_frame()
    shown = suppress_estimates(table)
    row = shown[shown["group"] == "s1"].iloc[0]
    assert row["cases"] == "<11"
    assert row["estimate"] == row["ci_low"] == row["ci_high"] == "suppressed"
    assert "3" not in shown.astype(str).to_numpy().ravel().tolist()
    _audit(shown, table, "cases", 11)
    # the rows that show their counts show the true numbers
    kept = shown["estimate"] != "suppressed"
    np.testing.assert_allclose(
        shown.loc[kept, "estimate"].astype(float), table.loc[kept, "estimate"], rtol=0, atol=0
    )


def test_a_big_table_is_left_as_it_is_and_blocks_share_the_all_row():
    data = _survey([120, 140, 200], [30, 45, 60])
    table = lbprun.prevalence(data, "lbp_12m", by=["surface", "sex"]).to_frame()
    shown = suppress_estimates(table)
    pd.testing.assert_frame_equal(shown, table)


def test_incidence_rates_hide_small_event_counts_and_their_rates():
    cohort = lbprun.datasets.load_example_cohort()
    runs = lbprun.datasets.load_example_activities()
    cohort = cohort.assign(club=np.where(np.arange(len(cohort)) < 12, "tiny", "big"))
    rates = lbprun.incidence_rate(cohort, runs, exposure="hours", by="club").to_frame()
    shown = suppress_estimates(rates)
    tiny = shown[shown["group"] == "tiny"].iloc[0]
    true_tiny = rates[rates["group"] == "tiny"].iloc[0]
    if 0 < true_tiny["events"] < 11:
        assert tiny["events"] == "<11" and tiny["estimate"] == "suppressed"
    assert shown.loc[shown["by"] == "all", "events"].iloc[0] in ("suppressed", "<11") or (
        int(shown.loc[shown["by"] == "all", "events"].iloc[0]) == int(rates["events"].iloc[0])
    )
    risk = lbprun.cumulative_incidence(cohort, by="club").to_frame()
    shown_risk = suppress_estimates(risk, threshold=5)
    _audit(shown_risk, risk, "events", 5)


def test_tables_without_counts_are_refused():
    with pytest.raises(ArgumentError, match="cases"):
        suppress_estimates(pd.DataFrame({"by": ["all"], "group": ["all"], "n": [3]}))
    with pytest.raises(ArgumentError, match="'by'"):
        suppress_estimates(pd.DataFrame({"cases": [3]}))


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 60), min_size=2, max_size=4),
    share=st.lists(st.floats(0, 1), min_size=4, max_size=4),
    threshold=st.sampled_from([5, 11]),
)
def test_no_small_count_is_shown_or_derivable_in_any_prevalence_table(sizes, share, threshold):
    cases = [int(round(n * s)) for n, s in zip(sizes, share, strict=False)]
    table = lbprun.prevalence(_survey(sizes, cases), "lbp_12m", by="surface").to_frame()
    shown = suppress_estimates(table, threshold=threshold)
    for column in ("n", "cases"):
        for text in shown[column].astype(str):
            if text.isdigit():
                assert int(text) == 0 or int(text) >= threshold
    _audit(shown, table, "cases", threshold)
