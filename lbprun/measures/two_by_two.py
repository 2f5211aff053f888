"""Analysis of a 2×2 table of exposure by outcome, crude and stratified (as R ``epiR::epi.2by2``).

:func:`two_by_two` takes a data frame with 0/1 exposure and outcome columns, or the four counts,
and returns the risk ratio, odds ratio (Wald, conditional MLE with Fisher's exact interval,
mid-p, score), risk difference, attributable fractions, the chi-square and Fisher tests and, with
``strata``, the Mantel–Haenszel summaries with a homogeneity test.

The layout is epiR's::

                 outcome +   outcome -
    exposed +       a           b
    exposed -       c           d

Examples
--------
>>> result = two_by_two(counts=[[13, 2163], [5, 3349]])
>>> result.table.set_index(["measure", "method"]).loc["risk_ratio", "estimate"].round(4)
method
wald     4.0075
score    4.0075
Name: estimate, dtype: float64
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun._result import Result
from lbprun.exceptions import SparseDataWarning
from lbprun.io.provenance import reading_notes
from lbprun.measures._two_by_two_intervals import or_score, paf_interval, rd_score, rr_score

__all__ = ["DESIGNS", "TwoByTwoResult", "two_by_two"]

#: Study designs: a cohort (or cross-sectional) study gives risks; a case-control study odds.
DESIGNS = ("cohort", "case-control")
_COLUMNS = "stratum measure method estimate ci_low ci_high statistic df p_value level".split()


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class TwoByTwoResult(Result):
    """Measures of association from a 2×2 table, crude and stratified.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per measure: ``stratum, measure, method, estimate, ci_low, ci_high,
        statistic, df, p_value, level``. ``stratum`` is ``"crude"``, a stratum label or
        ``"mantel_haenszel"``. Measures: ``risk_ratio``, ``odds_ratio``, ``risk_difference``,
        ``af_exposed``, ``paf`` (estimates; ``method`` such as ``wald`` or ``score``);
        ``chi_square``, ``fisher_exact``, ``homogeneity`` (tests, ``statistic`` and
        ``p_value``).
    counts : pandas.DataFrame
        The cells ``stratum, a, b, c, d`` (crude first).
    notes : tuple of str
        Zero cells and the corrections made for them.
    design : str
        ``"cohort"`` or ``"case-control"``.
    level : float
        Confidence level.
    """

    counts: pd.DataFrame
    design: str
    level: float

    def _title(self) -> str:
        return f"2x2 table analysis ({self.design} design)"

    def to_frame(self, scale: str = "odds_ratio") -> pd.DataFrame:
        """Return a copy of the table; ``scale="log_odds"`` logs the odds-ratio rows.

        Parameters
        ----------
        scale : {"odds_ratio", "log_odds"}, default="odds_ratio"
            The scale of the odds-ratio rows' ``estimate, ci_low, ci_high``; other measures
            are unchanged.

        Returns
        -------
        pandas.DataFrame
            A copy of ``table`` on the asked scale.
        """
        scale = check_choice("scale", scale, ("odds_ratio", "log_odds"))
        out = self.table.copy()
        if scale == "log_odds":
            rows = (out["measure"] == "odds_ratio").to_numpy()
            with np.errstate(divide="ignore"):
                for column in ("estimate", "ci_low", "ci_high"):
                    values = out[column].to_numpy(dtype=float).copy()
                    values[rows] = np.log(values[rows])
                    out[column] = values
        return out


# ---------------------------------------------------------------------------------------------
# Conditional (noncentral hypergeometric) distribution of a, as R fisher.test


def _support(a: float, b: float, c: float, d: float) -> tuple[np.ndarray, np.ndarray]:
    m, n, k = a + c, b + d, a + b
    lo, hi = max(0.0, k - n), min(k, m)
    support = np.arange(lo, hi + 1)
    return support, stats.hypergeom.logpmf(support, m + n, m, k)


def _density(support: np.ndarray, logd: np.ndarray, ncp: float) -> np.ndarray:
    d = logd + np.log(ncp) * support
    d = np.exp(d - d.max())
    return d / d.sum()


def _root(f: Any, lo: float, hi: float) -> float:
    return float(optimize.brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def _conditional_or(a: float, b: float, c: float, d: float, level: float) -> dict[str, float]:
    """Conditional MLE of the OR, Fisher's exact interval and two-sided p-value, mid-p."""
    support, logd = _support(a, b, c, d)
    lo, hi = support[0], support[-1]
    eps = np.finfo(float).eps

    def mean(t: float) -> float:
        return float((support * _density(support, logd, t)).sum())

    def cdf(t: float, upper: bool) -> float:
        dens = _density(support, logd, t)
        return float(dens[support >= a].sum() if upper else dens[support <= a].sum())

    def solve(f: Any) -> float:
        # root of f(t) = 0 for t in (0, 1), else of f(1/t) (R fisher.test's two branches)
        if f(1.0) == 0:
            return 1.0
        if np.sign(f(eps)) != np.sign(f(1.0)):
            return _root(f, eps, 1.0)
        return 1.0 / _root(lambda t: f(1.0 / t), eps, 1.0)

    if a == lo:
        mle = 0.0
    elif a == hi:
        mle = np.inf
    else:
        mle = solve(lambda t: mean(t) - a)
    alpha = (1.0 - level) / 2.0
    low = 0.0 if a == lo else solve(lambda t: cdf(t, True) - alpha)
    high = np.inf if a == hi else solve(lambda t: cdf(t, False) - alpha)
    null = np.exp(logd)
    p_fisher = float(min(1.0, null[null <= null[support == a][0] * (1 + 1e-7)].sum()))

    def mid(t: float) -> float:  # P(X < a) + P(X = a) / 2 under odds ratio t
        dens = _density(support, logd, t)
        return float(dens[support < a].sum() + dens[support == a].sum() / 2.0)

    mid_est = np.nan if a in (lo, hi) else solve(lambda t: mid(t) - 0.5)
    mid_low = 0.0 if a == lo else solve(lambda t: 1.0 - mid(t) - alpha)
    mid_high = np.inf if a == hi else solve(lambda t: mid(t) - alpha)
    return {
        "mle": mle,
        "low": low,
        "high": high,
        "p_fisher": p_fisher,
        "mid": mid_est,
        "mid_low": mid_low,
        "mid_high": mid_high,
    }


# ---------------------------------------------------------------------------------------------
# One table


def _row(stratum: str, measure: str, method: str, **values: float) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(_COLUMNS[3:9], np.nan)
    row.update(stratum=stratum, measure=measure, method=method, **values)
    return row


def _score_row(interval: Any, measure: str, a: float, b: float, c: float, d: float, z: float):
    """A ``method="score"`` row of the crude table from an interval function."""
    estimate, low, high = interval(a, b, c, d, z)
    return _row("crude", measure, "score", estimate=estimate, ci_low=low, ci_high=high)


def _chi_square(cells: np.ndarray, yates: bool) -> tuple[float, float]:
    """Pearson's chi-square of a 2×2 table, with Yates' correction as R ``chisq.test``."""
    expected = cells.sum(1, keepdims=True) * cells.sum(0, keepdims=True) / cells.sum()
    diff = np.abs(cells - expected)
    if yates:
        diff = diff - min(0.5, diff.min())
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = float((diff**2 / expected).sum())
    return statistic, float(stats.chi2.sf(statistic, 1))


def _single(cells: np.ndarray, stratum: str, design: str, level: float, notes: list[str]):
    a, b, c, d = cells.ravel().astype(float)
    z = float(special.ndtri(0.5 + level / 2.0))
    rows = []
    w = np.array([a, b, c, d])
    if (w == 0).any():
        w = w + 0.5
        notes.append(
            f"{stratum}: a zero cell; 0.5 was added to every cell for the Wald risk ratio, "
            "odds ratio and risk difference (Haldane)."
        )
    wa, wb, wc, wd = w
    log_or, se_or = np.log(wa * wd / (wb * wc)), np.sqrt((1 / w).sum())
    if design == "cohort":
        r1, r0 = wa / (wa + wb), wc / (wc + wd)
        log_rr = np.log(r1 / r0)
        se_rr = np.sqrt(1 / wa - 1 / (wa + wb) + 1 / wc - 1 / (wc + wd))
        rr, rr_low, rr_high = np.exp(log_rr + np.array([0.0, -z, z]) * se_rr)
        rows.append(
            _row(stratum, "risk_ratio", "wald", estimate=rr, ci_low=rr_low, ci_high=rr_high)
        )
        if stratum == "crude":
            rows.append(_score_row(rr_score, "risk_ratio", a, b, c, d, z))
    orr, or_low, or_high = np.exp(log_or + np.array([0.0, -z, z]) * se_or)
    rows.append(_row(stratum, "odds_ratio", "wald", estimate=orr, ci_low=or_low, ci_high=or_high))
    exact = _conditional_or(a, b, c, d, level)
    rows.append(
        _row(stratum, "odds_ratio", "conditional_mle", estimate=exact["mle"],
             ci_low=exact["low"], ci_high=exact["high"])
    )  # fmt: skip
    rows.append(
        _row(stratum, "odds_ratio", "midp", estimate=exact["mid"], ci_low=exact["mid_low"],
             ci_high=exact["mid_high"])
    )  # fmt: skip
    if stratum == "crude":
        rows.append(_score_row(or_score, "odds_ratio", a, b, c, d, z))
    if design == "cohort":
        r1, r0 = wa / (wa + wb), wc / (wc + wd)
        rd = r1 - r0
        se_rd = np.sqrt(r1 * (1 - r1) / (wa + wb) + r0 * (1 - r0) / (wc + wd))
        rows.append(
            _row(stratum, "risk_difference", "wald", estimate=rd, ci_low=rd - z * se_rd,
                 ci_high=rd + z * se_rd)
        )  # fmt: skip
        if stratum == "crude":
            rows.append(_score_row(rd_score, "risk_difference", a, b, c, d, z))
        ratio, low, high, method = rr, rr_low, rr_high, "risk_ratio"
        total = (a + c) / (a + b + c + d)
        paf = (total - c / (c + d)) / total if total > 0 else np.nan
        paf_low, paf_high = paf_interval(a, b, c, d, z) if c > 0 else (np.nan, np.nan)
    else:
        ratio, low, high, method = orr, or_low, or_high, "odds_ratio"
        paf = (orr - 1) / orr * a / (a + c) if a + c > 0 else np.nan
        paf_low = paf_high = np.nan
    rows.append(
        _row(stratum, "af_exposed", method, estimate=(ratio - 1) / ratio,
             ci_low=(low - 1) / low, ci_high=(high - 1) / high)
    )  # fmt: skip
    rows.append(_row(stratum, "paf", method, estimate=paf, ci_low=paf_low, ci_high=paf_high))
    for yates, method in ((False, "pearson"), (True, "yates")):
        statistic, p_value = _chi_square(np.array([[a, b], [c, d]]), yates)
        rows.append(
            _row(stratum, "chi_square", method, statistic=statistic, df=1.0, p_value=p_value)
        )
    rows.append(_row(stratum, "fisher_exact", "two_sided", p_value=exact["p_fisher"]))
    return rows


# ---------------------------------------------------------------------------------------------
# Input


def _counts_from(data: Any, exposure: Any, outcome: Any, counts: Any, strata: Any) -> pd.DataFrame:
    if (data is None) == (counts is None):
        raise ArgumentError("give either data (with exposure and outcome) or counts, not both.")
    if counts is not None:
        array = np.asarray(counts, dtype=float)
        if array.shape == (2, 2):
            array = array[None]
        if array.ndim != 3 or array.shape[1:] != (2, 2):
            raise ArgumentError(
                f"counts must be [[a, b], [c, d]] or a list of such tables; got {counts!r}."
            )
        if (~np.isfinite(array) | (array < 0) | (array != np.round(array))).any():
            raise ArgumentError(f"counts must be non-negative whole numbers; got {counts!r}.")
        labels = [str(s) for s in strata] if strata is not None else None
        if labels is None:
            labels = ["crude"] if array.shape[0] == 1 else [str(i + 1) for i in range(len(array))]
        if len(labels) != array.shape[0]:
            raise ArgumentError(
                f"strata must name the {array.shape[0]} tables of counts; got {strata!r}."
            )
        flat = array.reshape(-1, 4)
        return pd.DataFrame({"stratum": labels, **dict(zip("abcd", flat.T, strict=True))})
    if exposure is None or outcome is None:
        raise ArgumentError("exposure and outcome must name columns of data.")
    check_columns(data, [exposure, outcome, strata])
    values = {}
    for name in (exposure, outcome):
        column = data[name]
        numbers = column.astype("Float64") if column.dtype != object else column.astype(float)
        ok = numbers.isin([0.0, 1.0]).to_numpy(dtype=bool)
        if not ok.all():
            bad = column[~ok].iloc[0]
            raise ArgumentError(f"column {name!r} must hold 0/1 or booleans; got {bad!r}.")
        values[name] = numbers.to_numpy(dtype=float)
    e, o = values[exposure], values[outcome]
    groups = ["crude"] * len(data) if strata is None else data[strata].astype(str).to_numpy()
    frame = pd.DataFrame({"stratum": groups, "a": e * o, "b": e * (1 - o),
                          "c": (1 - e) * o, "d": (1 - e) * (1 - o)})  # fmt: skip
    return frame.groupby("stratum", sort=True).sum().reset_index()


# ---------------------------------------------------------------------------------------------
# Mantel–Haenszel


def _breslow_day(cells: np.ndarray, psi: float) -> tuple[float, float, float]:
    """Breslow–Day homogeneity test of the odds ratios (no Tarone correction)."""
    a, b, c, d = cells.T
    n1, n0, m1 = a + b, c + d, a + c
    lo, hi = np.maximum(0.0, m1 - n0), np.minimum(n1, m1)
    quad, lin, const = 1.0 - psi, n0 - m1 + psi * (n1 + m1), -psi * n1 * m1
    if abs(quad) < 1e-15:
        fitted = -const / lin
    else:
        disc = np.sqrt(lin**2 - 4 * quad * const)
        roots = np.stack([(-lin + disc) / (2 * quad), (-lin - disc) / (2 * quad)])
        inside = (roots >= lo - 1e-9) & (roots <= hi + 1e-9)
        fitted = np.where(inside[0], roots[0], roots[1])
    with np.errstate(divide="ignore"):
        var = 1.0 / (1 / fitted + 1 / (n1 - fitted) + 1 / (m1 - fitted) + 1 / (n0 - m1 + fitted))
    statistic = float(((a - fitted) ** 2 / var).sum())
    df = float(len(a) - 1)
    return statistic, df, float(stats.chi2.sf(statistic, df))


def _mantel_haenszel(cells: np.ndarray, design: str, level: float) -> list[dict[str, Any]]:
    a, b, c, d = cells.T
    n = cells.sum(1)
    n1, n0, m1, m0 = a + b, c + d, a + c, b + d
    z = float(special.ndtri(0.5 + level / 2.0))
    label, rows = "mantel_haenszel", []
    if design == "cohort":
        r, s = (a * n0 / n).sum(), (c * n1 / n).sum()
        var = ((n1 * n0 * m1 - a * c * n) / n**2).sum() / (r * s)
        est, low, high = np.exp(np.log(r / s) + np.array([0.0, -z, z]) * np.sqrt(var))
        rows.append(_row(label, "risk_ratio", "mantel_haenszel", estimate=est, ci_low=low,
                         ci_high=high))  # fmt: skip
    p, q, r_i, s_i = (a + d) / n, (b + c) / n, a * d / n, b * c / n
    r, s = r_i.sum(), s_i.sum()
    var = (p * r_i).sum() / (2 * r**2) + (p * s_i + q * r_i).sum() / (2 * r * s)
    var += (q * s_i).sum() / (2 * s**2)
    psi = r / s
    est, low, high = np.exp(np.log(psi) + np.array([0.0, -z, z]) * np.sqrt(var))
    rows.append(_row(label, "odds_ratio", "mantel_haenszel", estimate=est, ci_low=low,
                     ci_high=high))  # fmt: skip
    delta = (a - n1 * m1 / n).sum()
    v = (n1 * n0 * m1 * m0 / (n**2 * (n - 1))).sum()
    for method, yates in (("mantel_haenszel", 0.0), ("mantel_haenszel_yates", 0.5)):
        correction = yates if abs(delta) >= 0.5 else 0.0
        statistic = float((abs(delta) - correction) ** 2 / v)
        rows.append(_row(label, "chi_square", method, statistic=statistic, df=1.0,
                         p_value=float(stats.chi2.sf(statistic, 1))))  # fmt: skip
    statistic, df, p_value = _breslow_day(cells, psi)
    rows.append(_row(label, "homogeneity", "breslow_day", statistic=statistic, df=df,
                     p_value=p_value))  # fmt: skip
    return rows


# ---------------------------------------------------------------------------------------------
# Public function


def two_by_two(
    data: pd.DataFrame | None = None,
    *,
    exposure: str | None = None,
    outcome: str | None = None,
    counts: Any = None,
    strata: Any = None,
    design: str = "cohort",
    level: float = 0.95,
) -> TwoByTwoResult:
    """Analyse a 2×2 table of exposure by outcome: ratios, differences, fractions and tests.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        One row per person with 0/1 (or boolean) ``exposure`` and ``outcome`` columns.
    exposure, outcome : str, optional
        Columns of ``data`` (1 = exposed, 1 = case).
    counts : array-like, optional
        Instead of ``data``: ``[[a, b], [c, d]]`` with a = exposed cases, b = exposed
        non-cases, c = unexposed cases, d = unexposed non-cases (epiR ``epi.2by2`` layout), or
        a list of such tables, one per stratum.
    strata : str or sequence of str, optional
        With ``data``: the stratifying column. With ``counts``: the stratum labels.
    design : {"cohort", "case-control"}, default="cohort"
        A case-control design reports only odds-ratio measures (no risk ratio or difference)
        and the attributable fractions from the odds ratio.
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    TwoByTwoResult
        ``table`` (one row per measure, for the crude table, each stratum and the
        Mantel–Haenszel summaries) and ``counts``; see the class.

    Raises
    ------
    lbprun._checks.ArgumentError
        Both or neither of ``data`` and ``counts``, a missing column, values other than 0/1,
        malformed counts, an unknown design or level.

    Notes
    -----
    With risks :math:`r_1 = a/(a+b)`, :math:`r_0 = c/(c+d)`: the risk ratio has the Wald
    interval on the log scale, :math:`se = \\sqrt{1/a - 1/(a+b) + 1/c - 1/(c+d)}`; the odds
    ratio :math:`ad/(bc)` the Woolf interval, :math:`se = \\sqrt{1/a + 1/b + 1/c + 1/d}`; the
    risk difference the Wald interval. When a cell is zero, 0.5 is added to every cell for
    these three (a note says so). The conditional maximum-likelihood odds ratio, its exact
    interval and the two-sided p-value (sum of the tables no more likely than the observed
    one) are R ``fisher.test``'s; the mid-p estimate (median-unbiased) and interval are
    epitools ``oddsratio.midp``'s, both solved to machine precision (R's ``uniroot`` default
    tolerance gives about four digits). Attributable fraction in the exposed
    :math:`(RR - 1)/RR` (the odds ratio for a case-control design), its interval from that of
    the ratio; population attributable fraction :math:`(r - r_0)/r` with :math:`r` the risk in
    everyone with epiR's (Jewell's) interval,
    :math:`1 - (1 - PAF)\\exp(\\pm z \\sqrt{(b + PAF (a + d)) / (n c)})`, or
    :math:`AF_e \\, a/(a+c)` for a case-control design (point estimate only).
    For the crude table, ``method="score"`` rows give the score intervals of epiR
    ``epi.2by2``: Koopman's for the risk ratio (cohort), the Miettinen–Nurminen interval of
    the odds ratio and Mee's (Miettinen–Nurminen without the :math:`N/(N-1)` factor) of the
    risk difference (cohort), with the sample estimates; each limit is the root of its score
    statistic solved to machine precision, where epiR steps the odds ratio by 0.1 % and
    bisects the risk difference to about :math:`10^{-7}`. epiR 2.0.57 computes its score
    risk ratio on the transposed table (``RR.strata.score`` is :math:`(a/(a+c))/(b/(b+d))`);
    lbprun gives Koopman's interval of the risk ratio itself.
    Chi-square tests with and without Yates' correction as R ``chisq.test``.

    Stratified: Mantel–Haenszel odds ratio with the Robins–Breslow–Greenland variance and
    risk ratio with the Greenland–Robins variance, the Mantel–Haenszel chi-square with and
    without continuity correction (R ``mantelhaen.test``), and the Breslow–Day test of a
    common odds ratio (no Tarone correction). Validated against R ``fisher.test``,
    ``chisq.test``, ``mantelhaen.test``, epitools and epiR (tests/reference/r/two_by_two.R).

    References
    ----------
    Rothman KJ, Greenland S, Lash TL. Modern Epidemiology, 3rd ed., chapters 14-15.

    Examples
    --------
    >>> result = two_by_two(counts=[[13, 2163], [5, 3349]])
    >>> result.table.query("measure == 'odds_ratio'")[["method", "estimate"]].round(3)
                method  estimate
    2             wald     4.026
    3  conditional_mle     4.025
    4             midp     3.948
    5            score     4.026
    """
    design = check_choice("design", design, DESIGNS)
    level = check_level(level)
    frame = _counts_from(data, exposure, outcome, counts, strata)
    cells = frame[list("abcd")].to_numpy(dtype=float).copy()
    notes: list[str] = []
    total = cells.sum(0)
    rows = _single(total.reshape(2, 2), "crude", design, level, notes)
    stratified = len(frame) > 1 or (strata is not None)
    if stratified:
        for label, table in zip(frame["stratum"], cells, strict=True):
            rows += _single(table.reshape(2, 2), str(label), design, level, notes)
        if len(frame) > 1:
            rows += _mantel_haenszel(cells, design, level)
    for note in notes:
        warnings.warn(note, SparseDataWarning, stacklevel=2)
    table = pd.DataFrame(rows, columns=_COLUMNS)
    table["level"] = float(level)
    shown = pd.concat(
        [
            pd.DataFrame(
                {"stratum": ["crude"], **{k: [v] for k, v in zip("abcd", total, strict=True)}}
            ),
            frame,
        ]
        if stratified
        else [frame.assign(stratum="crude")],
        ignore_index=True,
    )
    for column in "abcd":
        shown[column] = shown[column].astype(np.int64)
    return TwoByTwoResult(
        table=table,
        counts=shown,
        notes=(*notes, *reading_notes(data)),
        design=design,
        level=float(level),
    )
