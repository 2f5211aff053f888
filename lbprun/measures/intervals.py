"""Confidence intervals for proportions and Poisson rates, vectorised over arrays.

:func:`proportion_ci` and :func:`rate_ci` take counts as scalars or arrays (broadcast against
each other) and return one tidy row per count. Their ``*_arrays`` twins return plain numpy
arrays and skip building a DataFrame, for hot loops.

Examples
--------
>>> proportion_ci(609, 2549)[["estimate", "ci_low", "ci_high"]].round(4)
   estimate  ci_low  ci_high
0    0.2389  0.2228   0.2559
>>> rate_ci(5, 1000.5, per=1000)[["estimate", "ci_low", "ci_high"]].round(3)
   estimate  ci_low  ci_high
0     4.998   1.623   11.663
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special, stats

from lbprun._checks import ArgumentError, check_choice, check_level

__all__ = [
    "PROPORTION_METHODS",
    "RATE_METHODS",
    "proportion_ci",
    "proportion_ci_arrays",
    "rate_ci",
    "rate_ci_arrays",
]

#: Interval methods for a binomial proportion (spelled as in statsmodels / R).
PROPORTION_METHODS = ("wilson", "exact", "jeffreys", "agresti_coull", "wald")
#: Interval methods for a Poisson rate.
RATE_METHODS = ("exact", "byar", "wald", "score")


def _z(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2.0))


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask.ravel())[0])


def _as_counts(values: ArrayLike, name: str, *, integer: bool = True) -> np.ndarray:
    """Return ``values`` as a float array of finite, non-negative (integer) counts."""
    if isinstance(values, pd.api.extensions.ExtensionArray | pd.Series | pd.Index) and (
        pd.api.types.is_numeric_dtype(values.dtype)
    ):  # nullable integers: pd.NA becomes NaN, reported below
        values = values.to_numpy(dtype=float, na_value=np.nan)
    raw = np.asarray(values)
    if raw.dtype.kind in "iu":
        # Integer counts are whole and finite: only the sign needs checking, and arithmetic
        # with them promotes to float without an explicit copy.
        if raw.dtype.kind == "i" and raw.size and raw.min() < 0:  # a reduction, no temporary
            i = _first_bad(raw < 0)
            raise ArgumentError(
                f"{name} must be finite and non-negative; got {raw.ravel()[i].item()!r} "
                f"at position {i}."
            )
        return raw
    try:
        array = raw.astype(float)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be numeric counts; got dtype {raw.dtype}.") from None
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        i = _first_bad(bad)
        raise ArgumentError(
            f"{name} must be finite and non-negative; got {array.ravel()[i].item()!r} at position {i}."
        )
    if integer:
        frac = array != np.floor(array)
        if frac.any():
            i = _first_bad(frac)
            raise ArgumentError(
                f"{name} must be whole counts; got {array.ravel()[i].item()!r} at position {i}."
            )
    return array


def _binomial_inputs(x: ArrayLike, n: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    xa = _as_counts(x, "x")
    na = _as_counts(n, "n")
    try:
        xa, na = np.broadcast_arrays(xa, na)
    except ValueError:
        raise ArgumentError(
            f"x and n must have broadcastable shapes; got {np.shape(xa)} and {np.shape(na)}."
        ) from None
    if na.size and na.min() == 0:
        raise ArgumentError(
            f"n must be positive; got 0 at position {_first_bad(na == 0)} "
            "(no trials, no proportion)."
        )
    over = xa > na
    if over.any():
        i = _first_bad(over)
        raise ArgumentError(
            f"x must be <= n; got x={xa.ravel()[i]:g} > n={na.ravel()[i]:g} at position {i}."
        )
    return xa, na


def proportion_ci_arrays(
    x: ArrayLike, n: ArrayLike, *, method: str = "wilson", level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute binomial proportion intervals and return plain numpy arrays.

    The fast path behind :func:`proportion_ci`, with the same checks and formulas.

    Parameters
    ----------
    x : array_like of int
        Number of cases (successes); broadcast against ``n``.
    n : array_like of int
        Number of trials, positive.
    method : {"wilson", "exact", "jeffreys", "agresti_coull", "wald"}, default="wilson"
        Interval method; see :func:`proportion_ci`.
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    estimate, ci_low, ci_high : tuple of numpy.ndarray
        Float arrays of the broadcast shape of ``x`` and ``n``.

    Raises
    ------
    lbprun._checks.ArgumentError
        Counts that are negative, fractional or non-finite; ``x > n``; ``n == 0``; an unknown
        method; a level outside (0, 1).

    Examples
    --------
    >>> est, low, high = proportion_ci_arrays([0, 5], 10, method="exact")
    >>> low.round(4), high.round(4)
    (array([0.    , 0.1871]), array([0.3085, 0.8129]))
    """
    method = check_choice("method", method, PROPORTION_METHODS)
    level = check_level(level)
    xa, na = _binomial_inputs(x, n)
    shape = xa.shape
    estimate, low, high = _proportion_core(xa.ravel(), na.ravel(), method, level)
    return estimate.reshape(shape), low.reshape(shape), high.reshape(shape)


def _proportion_core(
    xa: np.ndarray, na: np.ndarray, method: str, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    alpha = 1.0 - level
    p = xa / na
    if method in ("exact", "jeffreys"):
        shift = 0.0 if method == "exact" else 0.5
        a_low, b_low = xa + shift, na - xa + 1.0 - shift
        a_high, b_high = xa + 1.0 - shift, na - xa + shift
        # scipy.stats.beta's ppf / isf (Boost's inverse incomplete beta) are faster than
        # scipy.special.betaincinv, and isf keeps full precision in the upper tail.
        with np.errstate(invalid="ignore"):
            low = stats.beta.ppf(alpha / 2.0, a_low, b_low)
            high = stats.beta.isf(alpha / 2.0, a_high, b_high)
        low = np.where(xa == 0, 0.0, low)
        high = np.where(xa == na, 1.0, high)
        return p, low, high
    z = _z(level)
    z2 = z * z
    if method == "wilson":
        inv_n = 1.0 / na
        shrink = 1.0 / (1.0 + z2 * inv_n)
        centre = p + (0.5 * z2) * inv_n
        centre *= shrink
        half = p * (1.0 - p)
        half *= inv_n
        half += (0.25 * z2) * (inv_n * inv_n)
        np.sqrt(half, out=half)
        half *= shrink
        half *= z
        low = centre - half
        high = centre + half
        np.maximum(low, 0.0, out=low)
        np.minimum(high, 1.0, out=high)
        low[xa == 0] = 0.0
        high[xa == na] = 1.0
        return p, low, high
    if method == "agresti_coull":
        inv_t = 1.0 / (na + z2)
        centre = (xa + 0.5 * z2) * inv_t
        half = centre * (1.0 - centre)
        half *= inv_t
    else:  # wald
        centre = p
        half = p * (1.0 - p)
        half /= na
    np.sqrt(half, out=half)
    half *= z
    low = centre - half
    high = centre + half
    # centre is in [0, 1], so low <= 1 and high >= 0 already: clip one side each.
    np.maximum(low, 0.0, out=low)
    np.minimum(high, 1.0, out=high)
    return p, low, high


def _frame(columns: dict[str, np.ndarray], method: str, level: float, **extra) -> pd.DataFrame:
    size = next(iter(columns.values())).size
    data = {k: v.ravel() for k, v in columns.items()}
    # A one-category Categorical costs nothing to build, unlike a column of a million strings.
    data["method"] = pd.Categorical.from_codes(np.zeros(size, dtype=np.int8), [method])
    data["level"] = np.full(size, level)
    for key, value in extra.items():
        data[key] = np.full(size, value)
    return pd.DataFrame(data, copy=False)


def proportion_ci(
    x: ArrayLike, n: ArrayLike, *, method: str = "wilson", level: float = 0.95
) -> pd.DataFrame:
    """Estimate binomial proportions with confidence intervals, one row per count.

    Parameters
    ----------
    x : int or array_like of int
        Number of cases (successes); broadcast against ``n``.
    n : int or array_like of int
        Number of trials (people asked), positive.
    method : {"wilson", "exact", "jeffreys", "agresti_coull", "wald"}, default="wilson"
        ``"wilson"`` score interval; ``"exact"`` Clopper–Pearson; ``"jeffreys"`` equal-tailed
        Jeffreys (Beta(1/2, 1/2) prior); ``"agresti_coull"`` add z²/2 successes and failures;
        ``"wald"`` the textbook normal interval (poor at small ``n * p``; kept for comparison).
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Columns ``x, n, estimate, ci_low, ci_high, method, level``; ``estimate = x / n``;
        ``method`` is categorical.

    Raises
    ------
    lbprun._checks.ArgumentError
        Counts that are negative, fractional or non-finite; ``x > n``; ``n == 0``; an unknown
        method (the closest name is suggested); a level outside (0, 1) (``95`` suggests ``0.95``).

    See Also
    --------
    proportion_ci_arrays : the same computation returning numpy arrays (no DataFrame).

    Notes
    -----
    With :math:`\\hat p = x/n`, :math:`z = \\Phi^{-1}(1 - \\alpha/2)` and :math:`\\alpha = 1 -`
    ``level``:

    - Wilson: :math:`\\{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}\\}
      / (1 + z^2/n)`; the lower bound is exactly 0 at ``x = 0`` (R returns ~1e-17 there).
    - Exact (Clopper–Pearson): :math:`B^{-1}(\\alpha/2; x, n-x+1)` and
      :math:`B^{-1}(1-\\alpha/2; x+1, n-x)`, with 0 at ``x = 0`` and 1 at ``x = n``.
    - Jeffreys: :math:`B^{-1}(\\alpha/2; x+1/2, n-x+1/2)` and
      :math:`B^{-1}(1-\\alpha/2; x+1/2, n-x+1/2)`, with 0 at ``x = 0`` and 1 at ``x = n``.
    - Agresti–Coull: :math:`\\tilde n = n + z^2`, :math:`\\tilde p = (x + z^2/2)/\\tilde n`,
      :math:`\\tilde p \\pm z\\sqrt{\\tilde p(1-\\tilde p)/\\tilde n}`, clipped to [0, 1].
    - Wald: :math:`\\hat p \\pm z\\sqrt{\\hat p(1-\\hat p)/n}`, clipped to [0, 1].

    Validated against R ``epitools::binom.exact``, ``binom.wilson``, ``binom.approx``,
    ``qbeta`` (Jeffreys) and the Agresti–Coull formula to 1e-9 (absolute).

    References
    ----------
    Brown LD, Cai TT, DasGupta A (2001). Interval estimation for a binomial proportion.
    Statistical Science 16(2):101–133.

    Examples
    --------
    >>> proportion_ci([0, 36], [30, 800], method="exact").round(4)
        x    n  estimate  ci_low  ci_high method  level
    0   0   30     0.000  0.0000   0.1157  exact   0.95
    1  36  800     0.045  0.0317   0.0618  exact   0.95
    """
    estimate, low, high = proportion_ci_arrays(x, n, method=method, level=level)
    xa, na = np.broadcast_arrays(np.asarray(x), np.asarray(n))
    return _frame(
        {"x": xa, "n": na, "estimate": estimate, "ci_low": low, "ci_high": high},
        method,
        float(level),
    )


def rate_ci_arrays(
    events: ArrayLike,
    person_time: ArrayLike,
    *,
    per: float = 1000,
    method: str = "exact",
    level: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute Poisson rate intervals and return plain numpy arrays.

    The fast path behind :func:`rate_ci`, with the same checks and formulas.

    Parameters
    ----------
    events : array_like of int
        Number of events; broadcast against ``person_time``.
    person_time : array_like of float
        Time at risk, positive (any unit; the rate is per ``per`` of that unit).
    per : float, default=1000
        Multiplier of the rate (1000 gives events per 1000 hours when time is in hours).
    method : {"exact", "byar", "wald", "score"}, default="exact"
        Interval method; see :func:`rate_ci`.
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    estimate, ci_low, ci_high : tuple of numpy.ndarray
        Rates per ``per`` units of person-time.

    Raises
    ------
    lbprun._checks.ArgumentError
        Negative or fractional events, non-positive person-time, a non-positive ``per``, an
        unknown method or a level outside (0, 1).

    Examples
    --------
    >>> est, low, high = rate_ci_arrays(0, 10, per=1)
    >>> float(low[()]), round(float(high[()]), 4)
    (0.0, 0.3689)
    """
    method = check_choice("method", method, RATE_METHODS)
    level = check_level(level)
    try:
        per_value = float(per)
    except (TypeError, ValueError):
        raise ArgumentError(f"per must be a positive number; got {per!r}.") from None
    if not np.isfinite(per_value) or per_value <= 0:
        raise ArgumentError(f"per must be a positive number; got {per!r}.")
    ev = _as_counts(events, "events")
    pt = _as_counts(person_time, "person_time", integer=False)
    try:
        ev, pt = np.broadcast_arrays(ev, pt)
        shape = ev.shape
        ev, pt = ev.ravel(), pt.ravel()
    except ValueError:
        raise ArgumentError(
            "events and person_time must have broadcastable shapes; "
            f"got {np.shape(ev)} and {np.shape(pt)}."
        ) from None
    zero = pt == 0
    if zero.any():
        raise ArgumentError(
            f"person_time must be positive; got 0 at position {_first_bad(zero)} "
            "(no time at risk, no rate)."
        )
    alpha = 1.0 - level
    scale = per_value / pt
    z = _z(level)
    if method == "exact":
        with np.errstate(invalid="ignore"):
            low = np.where(ev == 0, 0.0, special.gammaincinv(ev, alpha / 2.0))
        high = special.gammaincinv(ev + 1.0, 1.0 - alpha / 2.0)
    elif method == "byar":
        with np.errstate(invalid="ignore", divide="ignore"):
            low = ev * (1.0 - 1.0 / (9.0 * ev) - z / (3.0 * np.sqrt(ev))) ** 3
        low = np.where(ev == 0, 0.0, np.maximum(low, 0.0))
        e1 = ev + 1.0
        high = e1 * (1.0 - 1.0 / (9.0 * e1) + z / (3.0 * np.sqrt(e1))) ** 3
    elif method == "wald":
        half = z * np.sqrt(ev)
        low, high = np.maximum(ev - half, 0.0), ev + half
    else:  # score
        centre = ev + z * z / 2.0
        half = z * np.sqrt(ev + z * z / 4.0)
        low, high = np.maximum(centre - half, 0.0), centre + half
    return (
        (ev * scale).reshape(shape),
        (low * scale).reshape(shape),
        (high * scale).reshape(shape),
    )


def rate_ci(
    events: ArrayLike,
    person_time: ArrayLike,
    *,
    per: float = 1000,
    method: str = "exact",
    level: float = 0.95,
) -> pd.DataFrame:
    """Estimate Poisson incidence rates with confidence intervals, one row per count.

    Parameters
    ----------
    events : int or array_like of int
        Number of events (e.g. first LBP onsets); broadcast against ``person_time``.
    person_time : float or array_like of float
        Time at risk, positive (e.g. hours of running before onset).
    per : float, default=1000
        Multiplier: the rate is events per ``per`` units of person-time (per 1000 h).
    method : {"exact", "byar", "wald", "score"}, default="exact"
        ``"exact"`` Garwood (chi-square / gamma) interval; ``"byar"`` Byar's approximation;
        ``"wald"`` normal interval on the count; ``"score"`` the Poisson score interval.
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    pandas.DataFrame
        Columns ``events, person_time, estimate, ci_low, ci_high, method, level, per`` with
        ``estimate = events / person_time * per``; ``method`` is categorical.

    Raises
    ------
    lbprun._checks.ArgumentError
        Negative or fractional events, negative or zero person-time, an unknown method, a level
        outside (0, 1).

    Notes
    -----
    With :math:`x` events in time :math:`T`, :math:`\\alpha = 1 -` ``level`` and
    :math:`z = \\Phi^{-1}(1-\\alpha/2)`, the bounds are ``per / T`` times:

    - exact (Garwood 1936): :math:`G^{-1}(\\alpha/2; x)` (0 when :math:`x = 0`) and
      :math:`G^{-1}(1-\\alpha/2; x+1)`, :math:`G^{-1}(\\cdot; a)` the Gamma(a, 1) quantile;
    - Byar (Breslow & Day 1987): :math:`x(1 - 1/9x - z/3\\sqrt{x})^3` and
      :math:`(x+1)(1 - 1/9(x+1) + z/3\\sqrt{x+1})^3`;
    - Wald: :math:`x \\pm z\\sqrt{x}`, lower bound clipped at 0;
    - score: :math:`x + z^2/2 \\pm z\\sqrt{x + z^2/4}`.

    The exact interval is validated against R ``stats::poisson.test`` to 1e-9 (absolute).

    Examples
    --------
    >>> rate_ci([0, 57], [10, 10], per=1).round(4)
       events  person_time  estimate  ci_low  ci_high method  level  per
    0       0           10       0.0  0.0000   0.3689  exact   0.95    1
    1      57           10       5.7  4.3171   7.3850  exact   0.95    1
    """
    estimate, low, high = rate_ci_arrays(events, person_time, per=per, method=method, level=level)
    ev, pt = np.broadcast_arrays(np.asarray(events), np.asarray(person_time))
    return _frame(
        {"events": ev, "person_time": pt, "estimate": estimate, "ci_low": low, "ci_high": high},
        method,
        float(level),
        per=per,
    )
