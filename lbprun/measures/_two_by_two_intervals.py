"""Score intervals of the risk ratio, odds ratio and risk difference of one 2×2 table.

The statistics are those of R ``epiR`` (``zRRscore``, ``zORscore``, ``zARscore``): Koopman's
score interval of the risk ratio, the Miettinen–Nurminen score interval of the odds ratio and
Mee's score interval of the risk difference (Miettinen–Nurminen without the ``N/(N-1)``
variance factor). epiR finds the limits by closed form (risk ratio), by stepping the odds
ratio by 0.1 % (odds ratio) or by bisection to about ``1e-7`` (risk difference); here every
limit is the root of its statistic solved to machine precision.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import optimize

_TINY = 1e-12
_PI = 3.141592654  # epiR's zz2stat: pi to ten digits (limits move by about 4e-9)


def _bracket(f: Callable[[float], float], start: float, step: float) -> float:
    """Root of ``f`` (negative at ``start``) on a log scale, searching in direction ``step``."""
    lo = start
    hi = start + step
    for _ in range(200):
        if f(hi) >= 0:
            break
        lo, hi = hi, hi + step
        step *= 2.0
    else:  # pragma: no cover - the statistics grow without bound
        return np.nan
    a, b = sorted((lo, hi))
    return float(optimize.brentq(f, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def _koopman(x1: float, n1: float, x0: float, n0: float, rr: float) -> float:
    """Koopman's signed score statistic of the risk ratio ``rr`` (exposed x1/n1)."""
    qa = (n0 + n1) * rr
    qb = -((x0 + n1) * rr + x1 + n0)
    qc = x0 + x1
    p0 = (-qb - np.sqrt(max(qb * qb - 4 * qa * qc, 0.0))) / (2 * qa)
    p1 = p0 * rr
    var = n0 * n1 * p1 / (n1 * (rr - p1) + n0 * (1 - p1))
    return float((x1 - n1 * p1) / (1 - p1) / np.sqrt(var))


def rr_score(a: float, b: float, c: float, d: float, z: float) -> tuple[float, float, float]:
    """Risk ratio and Koopman's score interval (epiR ``zRRscore``)."""
    n1, n0 = a + b, c + d
    if a == 0 and c == 0:
        return np.nan, 0.0, np.inf
    estimate = (a / n1) / (c / n0) if c > 0 else np.inf
    if a == n1 and c == n0:  # epiR's limits when everyone is a case
        return estimate, n1 / (n1 + z * z), (n0 + z * z) / n0
    start = np.log(estimate) if 0 < estimate < np.inf else np.log((a + 0.5) / (c + 0.5) * n0 / n1)

    def stat(t: float) -> float:
        # the statistic is symmetric in the groups; with every exposed person a case the
        # constrained exposed risk reaches 1, so it is written from the unexposed side
        if a < n1:
            return _koopman(a, n1, c, n0, float(np.exp(t)))
        return -_koopman(c, n0, a, n1, float(np.exp(-t)))

    low = 0.0 if a == 0 else float(np.exp(_bracket(lambda t: stat(t) - z, start, -0.5)))
    high = np.inf if c == 0 else float(np.exp(_bracket(lambda t: -stat(t) - z, start, 0.5)))
    return estimate, low, high


def _or_statistic(x1: float, n1: float, x2: float, n2: float, odds_ratio: float) -> float:
    """Chi-square score statistic of the odds ratio (epiR ``zlimit``), exposed x1/n1."""
    if abs(odds_ratio - 1.0) < _TINY:
        p2 = p1 = (x1 + x2) / (n1 + n2)
    else:
        qa = n2 * (odds_ratio - 1)
        qb = n1 * odds_ratio + n2 - (x1 + x2) * (odds_ratio - 1)
        qc = -(x1 + x2)
        p2 = (-qb + np.sqrt(qb * qb - 4 * qa * qc)) / (2 * qa)
        p1 = p2 * odds_ratio / (1 + p2 * (odds_ratio - 1))
    return float(
        (n1 * (x1 / n1 - p1)) ** 2 * (1 / (n1 * p1 * (1 - p1)) + 1 / (n2 * p2 * (1 - p2)))
    )


def or_score(a: float, b: float, c: float, d: float, z: float) -> tuple[float, float, float]:
    """Odds ratio and its score interval (epiR ``zORscore``)."""
    n1, n2 = a + b, c + d
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = float(np.float64(a * d) / np.float64(b * c))
    if (a == 0 and c == 0) or (a == n1 and c == n2):
        return estimate, 0.0, np.inf
    if 0 < estimate < np.inf:
        start = np.log(estimate)
    else:
        start = np.log((a + 0.5) * (d + 0.5) / ((b + 0.5) * (c + 0.5)))

    def stat(t: float) -> float:
        return _or_statistic(a, n1, c, n2, float(np.exp(t))) - z * z

    low = 0.0 if (a == 0 or c == n2) else float(np.exp(_bracket(stat, start, -0.5)))
    high = np.inf if (a == n1 or c == 0) else float(np.exp(_bracket(stat, start, 0.5)))
    return estimate, low, high


def _mee(p1: float, n1: float, p0: float, n0: float, delta: float) -> float:
    """Mee's chi-square score statistic of the risk difference ``delta`` (epiR ``zz2stat``)."""
    diff = p1 - p0 - delta
    if diff == 0:
        return 0.0
    t = n0 / n1
    qa = 1 + t
    qb = -(1 + t + p1 + t * p0 + delta * (t + 2))
    qc = delta * delta + delta * (2 * p1 + t + 1) + p1 + t * p0
    qd = -p1 * delta * (1 + delta)
    v = (qb / qa / 3) ** 3 - qb * qc / (6 * qa * qa) + qd / qa / 2
    s = np.sqrt(max((qb / qa / 3) ** 2 - qc / qa / 3, 0.0))
    u = s if v > 0 else -s
    w = (_PI + np.arccos(np.clip(v / u**3, -1.0, 1.0))) / 3 if u != 0 else np.pi / 3
    r1 = 2 * u * np.cos(w) - qb / qa / 3
    r0 = r1 - delta
    var = r1 * (1 - r1) / n1 + r0 * (1 - r0) / n0
    return float(diff * diff / var) if var > 0 else np.inf


def rd_score(a: float, b: float, c: float, d: float, z: float) -> tuple[float, float, float]:
    """Risk difference and Mee's score interval (epiR ``zARscore``, as a proportion)."""
    n1, n0 = a + b, c + d
    p1, p0 = a / n1, c / n0
    estimate = p1 - p0

    def stat(delta: float) -> float:
        return _mee(p1, n1, p0, n0, delta) - z * z

    eps = 1e-13
    low = -1.0 if stat(-1.0 + eps) <= 0 or estimate <= -1 else _solve(stat, -1.0 + eps, estimate)
    high = 1.0 if stat(1.0 - eps) <= 0 or estimate >= 1 else _solve(stat, estimate, 1.0 - eps)
    return estimate, low, high


def _solve(f: Callable[[float], float], lo: float, hi: float) -> float:
    return float(optimize.brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps))


def paf_interval(a: float, b: float, c: float, d: float, z: float) -> tuple[float, float]:
    """Interval of the population attributable fraction (risk), as epiR (Jewell 2004)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        paf = (a * d - b * c) / ((a + c) * (c + d))
        se = np.sqrt((b + paf * (a + d)) / ((a + b + c + d) * c))
        log_q = np.log1p(-paf)
        return float(1 - np.exp(log_q + z * se)), float(1 - np.exp(log_q - z * se))
