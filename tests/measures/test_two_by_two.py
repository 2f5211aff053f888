"""2×2 table analysis: scipy and statsmodels on published tables, data equal to counts, invariants.

Tables: the dry-cat-food and feline urinary tract disease table of epiR's ``epi.2by2`` help
(Willeberg 1977: 13, 2163, 5, 3349) and R's ``UCBAdmissions`` (Bickel et al. 1975), the
``mantelhaen.test`` help example.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats.contingency import odds_ratio
from statsmodels.stats.contingency_tables import StratifiedTable, Table2x2

from lbprun._checks import ArgumentError
from lbprun.exceptions import SparseDataWarning
from lbprun.measures.two_by_two import TwoByTwoResult, two_by_two

FLUTD = [[13, 2163], [5, 3349]]
# UCBAdmissions: exposed = male, case = admitted; departments A-F
UCB = {
    "A": [[512, 313], [89, 19]],
    "B": [[353, 207], [17, 8]],
    "C": [[120, 205], [202, 391]],
    "D": [[138, 279], [131, 244]],
    "E": [[53, 138], [94, 299]],
    "F": [[22, 351], [24, 317]],
}


def rows(result, stratum="crude"):
    table = result.table
    return table[table["stratum"] == stratum].set_index(["measure", "method"])


def as_data(tables, labels=None):
    """One row per person from 2×2 tables (booleans for the exposure, 0/1 for the outcome)."""
    parts = []
    for k, t in enumerate(tables):
        (a, b), (c, d) = t
        e = np.repeat([True, True, False, False], [a, b, c, d])
        o = np.repeat([1, 0, 1, 0], [a, b, c, d])
        parts.append(pd.DataFrame({"exposed": e, "case": o, "dept": labels[k] if labels else "x"}))
    return pd.concat(parts, ignore_index=True)


def test_two_by_two_matches_scipy_and_statsmodels():
    r = rows(two_by_two(counts=FLUTD))
    ref = Table2x2(np.array(FLUTD))
    np.testing.assert_allclose(
        r.loc[("risk_ratio", "wald"), "estimate"], ref.riskratio, rtol=1e-12
    )
    np.testing.assert_allclose(
        r.loc[("risk_ratio", "wald"), ["ci_low", "ci_high"]].to_numpy(float),
        ref.riskratio_confint(),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        r.loc[("odds_ratio", "wald"), ["ci_low", "ci_high"]].to_numpy(float),
        ref.oddsratio_confint(),
        rtol=1e-12,
    )
    exact = odds_ratio(FLUTD)  # conditional MLE and exact interval, as R fisher.test
    np.testing.assert_allclose(
        r.loc[("odds_ratio", "conditional_mle"), ["estimate", "ci_low", "ci_high"]].to_numpy(
            float
        ),
        [exact.statistic, *exact.confidence_interval()],
        rtol=1e-8,
    )
    assert r.loc[("fisher_exact", "two_sided"), "p_value"] == pytest.approx(
        stats.fisher_exact(FLUTD).pvalue, rel=1e-12
    )
    for method, yates in (("pearson", False), ("yates", True)):
        chi2, p, *_ = stats.chi2_contingency(FLUTD, correction=yates)
        assert r.loc[("chi_square", method), "statistic"] == pytest.approx(chi2, rel=1e-12)
        assert r.loc[("chi_square", method), "p_value"] == pytest.approx(p, rel=1e-10)
    p1, p0 = 13 / 2176, 5 / 3354
    rd = r.loc[("risk_difference", "wald")]
    half = stats.norm.ppf(0.975) * np.sqrt(p1 * (1 - p1) / 2176 + p0 * (1 - p0) / 3354)
    np.testing.assert_allclose(rd[["estimate", "ci_low", "ci_high"]].to_numpy(float), [p1 - p0, p1 - p0 - half,
                               p1 - p0 + half], rtol=1e-12)  # fmt: skip
    rr = ref.riskratio
    assert r.loc[("af_exposed", "risk_ratio"), "estimate"] == pytest.approx((rr - 1) / rr)
    total = 18 / 5530
    assert r.loc[("paf", "risk_ratio"), "estimate"] == pytest.approx((total - p0) / total)


def test_mid_p_solves_its_defining_equations():
    r = rows(two_by_two(counts=FLUTD, level=0.9)).loc[("odds_ratio", "midp")]
    m, n, k = 18, 5512, 2176
    support = np.arange(0, 19)
    base = stats.hypergeom.pmf(support, m + n, m, k)

    def mid(t):  # P(X < 13) + P(X = 13) / 2 under odds ratio t
        d = base * t**support
        d /= d.sum()
        return d[support < 13].sum() + d[13] / 2

    assert mid(r["estimate"]) == pytest.approx(0.5, abs=1e-12)
    assert 1 - mid(r["ci_low"]) == pytest.approx(0.05, abs=1e-12)
    assert mid(r["ci_high"]) == pytest.approx(0.05, abs=1e-12)


def test_mantel_haenszel_matches_statsmodels_and_mantelhaen_test():
    result = two_by_two(counts=list(UCB.values()), strata=list(UCB))
    mh = rows(result, "mantel_haenszel")
    ref = StratifiedTable([np.array(t) for t in UCB.values()])
    np.testing.assert_allclose(
        mh.loc[("odds_ratio", "mantel_haenszel"), ["estimate", "ci_low", "ci_high"]].to_numpy(
            float
        ),
        [ref.oddsratio_pooled, *ref.oddsratio_pooled_confint()],
        rtol=1e-12,
    )
    rr = mh.loc[("risk_ratio", "mantel_haenszel")]
    assert rr["estimate"] == pytest.approx(ref.riskratio_pooled, rel=1e-12)
    for method, correction in (("mantel_haenszel", False), ("mantel_haenszel_yates", True)):
        test = ref.test_null_odds(correction=correction)
        assert mh.loc[("chi_square", method), "statistic"] == pytest.approx(test.statistic)
        assert mh.loc[("chi_square", method), "p_value"] == pytest.approx(test.pvalue)
    bd = ref.test_equal_odds(adjust=False)
    homog = mh.loc[("homogeneity", "breslow_day")]
    assert homog["statistic"] == pytest.approx(bd.statistic, rel=1e-10)
    assert homog["p_value"] == pytest.approx(bd.pvalue, rel=1e-8)
    assert homog["df"] == 5
    # R: mantelhaen.test(UCBAdmissions) prints X-squared = 1.4269, OR 0.9046968 (0.7719074, 1.0603298)
    assert mh.loc[("chi_square", "mantel_haenszel_yates"), "statistic"] == pytest.approx(
        1.4269, abs=5e-5
    )
    np.testing.assert_allclose(
        mh.loc[("odds_ratio", "mantel_haenszel"), ["estimate", "ci_low", "ci_high"]].to_numpy(
            float
        ),
        [0.9046968, 0.7719074, 1.0603298],
        atol=5e-8,
    )
    assert result.counts["stratum"].tolist() == ["crude", *UCB]


def test_greenland_robins_risk_ratio_interval_by_hand():
    cells = np.array([np.ravel(t) for t in UCB.values()], dtype=float)
    a, b, c, d = cells.T
    n, n1, n0 = cells.sum(1), a + b, c + d
    r, s = (a * n0 / n).sum(), (c * n1 / n).sum()
    var = ((n1 * n0 * (a + c) - a * c * n) / n**2).sum() / (r * s)
    want = np.exp(np.log(r / s) + np.array([0, -1, 1]) * stats.norm.ppf(0.975) * np.sqrt(var))
    mh = rows(two_by_two(counts=list(UCB.values())), "mantel_haenszel")
    np.testing.assert_allclose(
        mh.loc[("risk_ratio", "mantel_haenszel"), ["estimate", "ci_low", "ci_high"]].to_numpy(
            float
        ),
        want,
    )


def test_data_and_counts_give_identical_results():
    from_counts = two_by_two(counts=list(UCB.values()), strata=list(UCB))
    from_data = two_by_two(as_data(UCB.values(), list(UCB)), exposure="exposed", outcome="case",
                           strata="dept")  # fmt: skip
    pd.testing.assert_frame_equal(from_counts.table, from_data.table)
    pd.testing.assert_frame_equal(from_counts.counts, from_data.counts)
    crude = two_by_two(as_data([FLUTD]), exposure="exposed", outcome="case")
    pd.testing.assert_frame_equal(crude.table, two_by_two(counts=FLUTD).table)


def test_case_control_reports_odds_ratio_measures_only():
    result = two_by_two(counts=FLUTD, design="case-control")
    measures = set(result.table["measure"])
    assert not measures & {"risk_ratio", "risk_difference"}
    r = rows(result)
    orr = r.loc[("odds_ratio", "wald"), "estimate"]
    assert r.loc[("af_exposed", "odds_ratio"), "estimate"] == pytest.approx((orr - 1) / orr)
    assert r.loc[("paf", "odds_ratio"), "estimate"] == pytest.approx((orr - 1) / orr * 13 / 18)
    assert isinstance(result, TwoByTwoResult)
    assert "case-control" in result.summary()
    assert result.to_dict()["design"] == "case-control"
    log = result.to_frame(scale="log_odds")
    assert log.loc[0, "estimate"] == pytest.approx(np.log(orr))


def test_zero_cell_gives_a_note_and_finite_wald_estimates():
    with pytest.warns(SparseDataWarning, match="zero cell"):
        result = two_by_two(counts=[[0, 10], [5, 12]])
    assert any("0.5 was added" in note for note in result.notes)
    r = rows(result)
    assert np.isfinite(
        r.loc[("odds_ratio", "wald"), ["estimate", "ci_low", "ci_high"]].to_numpy(float)
    ).all()
    assert np.isfinite(
        r.loc[("risk_ratio", "wald"), ["estimate", "ci_low", "ci_high"]].to_numpy(float)
    ).all()
    exact = r.loc[("odds_ratio", "conditional_mle")]
    assert exact["estimate"] == 0 and exact["ci_low"] == 0 and np.isfinite(exact["ci_high"])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=4, max_size=4))
def test_swapping_exposure_levels_inverts_the_ratios(cells):
    a, b, c, d = cells
    one = rows(two_by_two(counts=[[a, b], [c, d]]))
    two = rows(two_by_two(counts=[[c, d], [a, b]]))
    for key in [("risk_ratio", "wald"), ("odds_ratio", "wald"), ("odds_ratio", "conditional_mle"),
                ("odds_ratio", "midp")]:  # fmt: skip
        assert one.loc[key, "estimate"] * two.loc[key, "estimate"] == pytest.approx(1, rel=1e-8)
        assert one.loc[key, "ci_low"] * two.loc[key, "ci_high"] == pytest.approx(1, rel=1e-8)
    assert one.loc[("risk_difference", "wald"), "estimate"] == pytest.approx(
        -two.loc[("risk_difference", "wald"), "estimate"]
    )
    for key in [("chi_square", "pearson"), ("fisher_exact", "two_sided")]:
        assert one.loc[key, "p_value"] == pytest.approx(two.loc[key, "p_value"], rel=1e-9)


def test_argument_errors():
    with pytest.raises(ArgumentError, match="either data"):
        two_by_two()
    with pytest.raises(ArgumentError, match="counts must be"):
        two_by_two(counts=[1, 2, 3])
    with pytest.raises(ArgumentError, match="non-negative whole"):
        two_by_two(counts=[[1, -2], [3, 4]])
    with pytest.raises(ArgumentError, match="0/1"):
        two_by_two(pd.DataFrame({"e": [0, 2], "o": [1, 0]}), exposure="e", outcome="o")
    with pytest.raises(ArgumentError, match="design"):
        two_by_two(counts=FLUTD, design="cross")
    with pytest.raises(ArgumentError, match="strata must name"):
        two_by_two(counts=FLUTD, strata=["a", "b"])


def test_two_by_two_matches_epir_epitools_and_stats(expected_dir):
    """R epiR::epi.2by2, epitools::oddsratio.midp, fisher.test, chisq.test, mantelhaen.test."""
    ref = json.loads((expected_dir / "two_by_two.json").read_text())
    flutd, epi = ref["flutd"], ref["flutd"]["epi_2by2"]
    r = rows(two_by_two(counts=FLUTD))
    cols = ["estimate", "ci_low", "ci_high"]
    for key, want, scale in [
        (("risk_ratio", "wald"), epi["rr_wald"], 1),
        (("odds_ratio", "wald"), epi["or_wald"], 1),
        (("risk_difference", "wald"), epi["rd_wald"], 100),  # epiR reports per 100
        (("af_exposed", "risk_ratio"), epi["afe"], 1),
        (("odds_ratio", "midp"), flutd["midp"]["tight"], 1),
    ]:
        np.testing.assert_allclose(r.loc[key, cols].to_numpy(float) * scale, want, rtol=1e-8)
    np.testing.assert_allclose(r.loc[("paf", "risk_ratio"), cols].to_numpy(float), epi["paf"],
                               rtol=1e-10)  # fmt: skip
    # fisher.test and oddsratio.midp stop uniroot at about 1e-4 relative
    exact = r.loc[("odds_ratio", "conditional_mle"), cols].to_numpy(float)
    fisher = flutd["fisher"]
    np.testing.assert_allclose(exact, [fisher["estimate"], *fisher["conf_int"]], rtol=1e-4)
    np.testing.assert_allclose(r.loc[("odds_ratio", "midp"), cols].to_numpy(float),
                               flutd["midp"]["estimate"], rtol=1e-4)  # fmt: skip
    assert r.loc[("fisher_exact", "two_sided"), "p_value"] == pytest.approx(fisher["p_value"])
    assert r.loc[("chi_square", "yates"), "statistic"] == pytest.approx(flutd["chisq_yates"])
    assert r.loc[("chi_square", "pearson"), "statistic"] == pytest.approx(flutd["chisq"])
    mh = rows(two_by_two(counts=list(UCB.values())), "mantel_haenszel")
    ucb = ref["ucb"]
    np.testing.assert_allclose(mh.loc[("odds_ratio", "mantel_haenszel"), cols].to_numpy(float),
                               [ucb["estimate"], *ucb["conf_int"]], rtol=1e-10)  # fmt: skip
    for method, key in (("mantel_haenszel", "statistic"), ("mantel_haenszel_yates",
                                                            "statistic_yates")):  # fmt: skip
        assert mh.loc[("chi_square", method), "statistic"] == pytest.approx(ucb[key], rel=1e-10)


def test_two_by_two_score_intervals_match_epir(expected_dir):
    """Score intervals of epiR::epi.2by2 (zRRscore, zORscore, zARscore) on the FLUTD table."""
    ref = json.loads((expected_dir / "two_by_two.json").read_text())["flutd"]
    epi, tight = ref["epi_2by2"], ref["score"]
    cols = ["estimate", "ci_low", "ci_high"]
    r = rows(two_by_two(counts=FLUTD))
    rr = r.loc[("risk_ratio", "score"), cols].to_numpy(float)
    odds = r.loc[("odds_ratio", "score"), cols].to_numpy(float)
    rd = r.loc[("risk_difference", "score"), cols].to_numpy(float)
    # Koopman's interval in closed form (zRRscore on the table in the order it expects)
    np.testing.assert_allclose(rr, tight["rr_koopman"], rtol=1e-9)
    # epi.2by2 itself reports the score risk ratio of the transposed table
    transposed = rows(two_by_two(counts=np.transpose(FLUTD)))
    np.testing.assert_allclose(transposed.loc[("risk_ratio", "score"), cols].to_numpy(float),
                               epi["rr_score_reported"], rtol=1e-9)  # fmt: skip
    # the same score statistics solved tightly in R
    np.testing.assert_allclose(odds, tight["or_tight"], rtol=1e-9)
    np.testing.assert_allclose(rd, tight["rd_tight"], rtol=1e-9)
    # epiR steps the odds ratio outwards by 0.1 % and bisects the risk difference to ~1e-7
    assert odds[0] == pytest.approx(epi["or_score"][0], rel=1e-12)
    assert odds[1] / 1.001 <= epi["or_score"][1] <= odds[1]
    assert odds[2] <= epi["or_score"][2] <= odds[2] * 1.001
    np.testing.assert_allclose(rd * 100, epi["rd_score"], rtol=0, atol=1e-5)  # per 100


@pytest.mark.parametrize(
    "counts", [[[0, 10], [5, 20]], [[5, 10], [0, 20]], [[10, 0], [3, 20]], [[4, 6], [3, 0]]]
)
def test_two_by_two_score_intervals_with_zero_cells(counts):
    with pytest.warns(SparseDataWarning):
        r = rows(two_by_two(counts=counts))
    (a, b), (c, d) = counts
    for measure in ("risk_ratio", "odds_ratio", "risk_difference"):
        est, low, high = r.loc[(measure, "score"), ["estimate", "ci_low", "ci_high"]]
        assert low <= est <= high
    rr_low, rr_high = r.loc[("risk_ratio", "score"), ["ci_low", "ci_high"]]
    assert (rr_low == 0) == (a == 0) and np.isinf(rr_high) == (c == 0)
    or_low, or_high = r.loc[("odds_ratio", "score"), ["ci_low", "ci_high"]]
    assert (or_low == 0) == (a == 0 or d == 0) and np.isinf(or_high) == (b == 0 or c == 0)
    rd_low, rd_high = r.loc[("risk_difference", "score"), ["ci_low", "ci_high"]]
    assert -1 <= rd_low < rd_high <= 1


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=4, max_size=4), st.sampled_from([0.8, 0.95, 0.99]))
def test_two_by_two_score_limits_solve_their_statistics(cells, level):
    from lbprun.measures import _two_by_two_intervals as iv

    a, b, c, d = map(float, cells)
    z = stats.norm.ppf(0.5 + level / 2)
    r = rows(two_by_two(counts=[[a, b], [c, d]], level=level))
    low, high = r.loc[("odds_ratio", "score"), ["ci_low", "ci_high"]]
    for limit in (low, high):
        assert iv._or_statistic(a, a + b, c, c + d, limit) == pytest.approx(z * z, rel=1e-7)
    low, high = r.loc[("risk_ratio", "score"), ["ci_low", "ci_high"]]
    assert iv._koopman(a, a + b, c, c + d, low) == pytest.approx(z, rel=1e-7)
    assert iv._koopman(a, a + b, c, c + d, high) == pytest.approx(-z, rel=1e-7)
    low, high = r.loc[("risk_difference", "score"), ["ci_low", "ci_high"]]
    for limit in (low, high):
        stat = iv._mee(a / (a + b), a + b, c / (c + d), c + d, limit)
        assert stat == pytest.approx(z * z, rel=1e-7)
