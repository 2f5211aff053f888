"""Correcting an apparent prevalence for an imperfect case definition (Rogan–Gladen).

Self-reported LBP is an imperfect test of the case definition: with known sensitivity and
specificity, :func:`rogan_gladen` turns the apparent prevalence (and its interval) into an
estimate of the true prevalence.

Examples
--------
>>> rogan_gladen(0.25, sensitivity=0.9, specificity=0.95)[["estimate"]].round(4)
   estimate
0    0.2353
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lbprun._checks import ArgumentError
from lbprun.exceptions import DataQualityWarning

__all__ = ["rogan_gladen", "rogan_gladen_arrays"]


def _probability(value: ArrayLike, name: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a number in [0, 1]; got {value!r}.") from None
    bad = ~((array >= 0) & (array <= 1))
    if bad.any():
        first = array.ravel()[np.flatnonzero(bad.ravel())[0]].item()
        hint = f" Did you mean {first / 100:g}?" if 1 < first <= 100 else ""
        raise ArgumentError(f"{name} must be in [0, 1]; got {first!r}.{hint}")
    return array


def rogan_gladen_arrays(
    apparent: ArrayLike, sensitivity: ArrayLike, specificity: ArrayLike
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Rogan–Gladen corrected prevalence (clipped to [0, 1]) and a clipping flag.

    Parameters
    ----------
    apparent : array_like of float
        Apparent (observed) prevalence, in [0, 1].
    sensitivity, specificity : array_like of float
        Of the case definition against the true condition, with
        ``sensitivity + specificity > 1``.

    Returns
    -------
    corrected, clipped : tuple of numpy.ndarray
        The corrected prevalence clipped to [0, 1], and True where clipping happened (the
        apparent prevalence is below ``1 - specificity`` or above ``sensitivity``).

    Raises
    ------
    lbprun._checks.ArgumentError
        Values outside [0, 1], or ``sensitivity + specificity <= 1`` (an uninformative test).

    Examples
    --------
    >>> rogan_gladen_arrays([0.02, 0.3], 0.9, 0.95)
    (array([0.        , 0.29411765]), array([ True, False]))
    """
    p = _probability(apparent, "apparent prevalence")
    se = _probability(sensitivity, "sensitivity")
    sp = _probability(specificity, "specificity")
    youden = se + sp - 1.0
    if np.any(youden <= 0):
        raise ArgumentError(
            "sensitivity + specificity must be > 1 (an informative case definition); "
            f"got {float(np.min(se + sp))!r}."
        )
    corrected = (p + sp - 1.0) / youden
    clipped = (corrected < 0) | (corrected > 1)
    return np.clip(corrected, 0.0, 1.0), clipped


def rogan_gladen(
    estimate: ArrayLike,
    sensitivity: ArrayLike,
    specificity: ArrayLike,
    *,
    ci_low: ArrayLike | None = None,
    ci_high: ArrayLike | None = None,
) -> pd.DataFrame:
    """Correct apparent prevalences for misclassification (Rogan–Gladen estimator).

    Parameters
    ----------
    estimate : float or array_like of float
        Apparent prevalence(s), in [0, 1].
    sensitivity : float or array_like of float
        Sensitivity of the case definition (probability a true case reports LBP).
    specificity : float or array_like of float
        Specificity (probability a non-case does not report LBP); ``sensitivity +
        specificity`` must exceed 1.
    ci_low, ci_high : array_like of float, optional
        Bounds of the apparent prevalence's interval, corrected the same way.

    Returns
    -------
    pandas.DataFrame
        Columns ``apparent_estimate, estimate, ci_low, ci_high, clipped`` (bounds NaN when
        not given); ``clipped`` is True where a value was moved into [0, 1].

    Raises
    ------
    lbprun._checks.ArgumentError
        Values outside [0, 1] or ``sensitivity + specificity <= 1``.

    Warns
    -----
    lbprun.exceptions.DataQualityWarning
        An apparent prevalence below ``1 - specificity`` or above ``sensitivity``: impossible
        under the stated accuracy, so the corrected value is clipped to 0 or 1.

    Notes
    -----
    :math:`\\pi = (p + Sp - 1)/(Se + Sp - 1)` (Rogan & Gladen 1978). The map is increasing in
    :math:`p`, so the interval is the map of the apparent interval's bounds; it treats the
    sensitivity and specificity as known and so is too narrow when they are themselves
    estimated (Lang & Reiczigel 2014 give wider intervals).

    References
    ----------
    Rogan WJ, Gladen B (1978). Estimating prevalence from the results of a screening test.
    American Journal of Epidemiology 107(1):71–76.

    Examples
    --------
    >>> rogan_gladen(0.3, 0.9, 0.95, ci_low=0.25, ci_high=0.35).round(4)
       apparent_estimate  estimate  ci_low  ci_high  clipped
    0                0.3    0.2941  0.2353    0.353    False
    """
    corrected, clipped = rogan_gladen_arrays(estimate, sensitivity, specificity)
    p = np.asarray(estimate, dtype=float)
    shape = np.broadcast_shapes(p.shape, corrected.shape)
    out = {"apparent_estimate": np.broadcast_to(p, shape).ravel()}
    out["estimate"] = np.broadcast_to(corrected, shape).ravel()
    any_clipped = np.broadcast_to(clipped, shape).ravel().copy()
    for name, bound in (("ci_low", ci_low), ("ci_high", ci_high)):
        if bound is None:
            out[name] = np.full(out["estimate"].size, np.nan)
            continue
        value, flag = rogan_gladen_arrays(bound, sensitivity, specificity)
        out[name] = np.broadcast_to(value, shape).ravel()
        any_clipped |= np.broadcast_to(flag, shape).ravel()
    out["clipped"] = any_clipped
    if np.any(clipped):
        warnings.warn(
            "apparent prevalence below 1 - specificity or above sensitivity: impossible under "
            "the stated accuracy; the corrected prevalence was clipped to [0, 1].",
            DataQualityWarning,
            stacklevel=2,
        )
    return pd.DataFrame(out)
