"""Scans and trailing windows on the flat daily grid (no subtraction, no loop over days).

Trailing-window sums and maxima combine power-of-two windows (doubling), which never subtract,
so an all-zero window is exactly 0 and rounding error is a few ulp. Recursions (the EWMA) and
cumulative sums are segmented scans: each value only ever combines values of its own segment
(runner), so nothing leaks from one runner into the next.

Examples
--------
>>> import numpy as np
>>> window_sums(np.array([1.0, 2.0, 3.0, 4.0]), (2, 3))[3]
array([1., 3., 6., 9.])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["ewma", "linear_recursion", "segmented_cumsum", "window_max", "window_sums"]


def _doubling(x: np.ndarray, widths: Sequence[int], combine: np.ufunc) -> dict[int, np.ndarray]:
    """Power-of-two window levels ``L_k[t] = combine(x[t - k + 1], ..., x[t])``."""
    levels = {1: x}
    width = 1
    while 2 * width <= max(widths):
        prev = levels[width]
        nxt = prev.copy()
        if width < len(x):
            combine(nxt[width:], prev[:-width], out=nxt[width:])
        levels[2 * width] = nxt
        width *= 2
    return levels


def _combine_window(levels: dict[int, np.ndarray], width: int, combine: np.ufunc) -> np.ndarray:
    bits = sorted((b for b in levels if width & b), reverse=True)
    total = levels[bits[0]].copy()
    shift = bits[0]
    for bit in bits[1:]:
        if shift < len(total):
            combine(total[shift:], levels[bit][:-shift], out=total[shift:])
        shift += bit
    return total


def window_sums(x: np.ndarray, widths: Sequence[int]) -> dict[int, np.ndarray]:
    """Trailing-window sums ``s_w[t] = x[t - w + 1] + ... + x[t]`` (zeros before the start).

    Sums of power-of-two windows are combined, so the result never subtracts: an all-zero
    window gives exactly 0, and rounding error is a few ulp.
    """
    levels = _doubling(x, widths, np.add)
    return {w: _combine_window(levels, w, np.add) for w in widths}


def window_max(x: np.ndarray, width: int) -> np.ndarray:
    """Trailing-window maximum over ``[t - width + 1, t]`` ignoring NaN (start-truncated)."""
    levels = _doubling(x, [width], np.fmax)
    k = 1 << (width.bit_length() - 1)
    out = levels[k].copy()
    if width - k and width - k < len(x):
        np.fmax(out[width - k :], levels[k][: k - width], out=out[width - k :])
    return out


def linear_recursion(u: np.ndarray, a: float, local: np.ndarray | None = None) -> np.ndarray:
    """Solve ``y[t] = u[t] + a * y[t - 1]`` (``y[-1] = 0``, ``0 <= a < 1``) without a loop over t.

    A doubling scan: after the pass with step ``s`` each ``y[t]`` holds
    ``sum(a ** k * u[t - k] for k < 2 * s)``, so ``log2`` passes give the recursion. Passes stop
    once ``a ** s < 2 ** -60``: older terms are below double precision relative to the kept
    ones (for non-negative loads of similar size), so the result equals the sequential
    recursion to rounding. With ``local`` (each position's index within its segment), the
    recursion restarts at every segment: a term is only ever added within its own segment, so
    no value leaks from one runner into the next.

    >>> linear_recursion(np.array([1.0, 1.0, 1.0, 1.0]), 0.5, local=np.array([0, 1, 0, 1]))
    array([1. , 1.5, 1. , 1.5])
    """
    y = np.array(u, dtype=np.float64, copy=True)
    scratch = np.empty_like(y)
    step = 1
    coef = float(a)
    while step < len(y) and coef > 2.0**-60:
        np.multiply(y[:-step], coef, out=scratch[:-step])
        if local is not None:
            scratch[:-step][local[step:] < step] = 0.0
        y[step:] += scratch[:-step]
        step *= 2
        coef *= coef
    return y


def ewma(
    x: np.ndarray, span: int, starts: np.ndarray, local: np.ndarray | None = None
) -> np.ndarray:
    """EWMA (lambda = 2 / (span + 1)) restarted at every runner start, in one pass.

    ``y[s] = x[s]`` at each runner start ``s`` and ``y[t] = lam * x[t] + (1 - lam) * y[t - 1]``
    after it. The recursion runs once over the concatenated grid as a segmented scan
    (:func:`linear_recursion`), so each runner's values depend on its own loads only: an
    all-zero stretch gives exactly 0. ``local`` (optional) is each position's day index within
    its runner.
    """
    lam = 2.0 / (span + 1.0)
    drive = lam * x
    drive[starts] = x[starts]
    if local is None:
        lengths = np.diff(np.append(starts, len(x)))
        local = np.arange(len(x)) - np.repeat(starts, lengths)
    return linear_recursion(drive, 1.0 - lam, local)


def segmented_cumsum(x: np.ndarray, heads: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum of ``x`` restarted wherever ``heads`` is True.

    A Hillis-Steele scan (``log2`` of the longest segment passes), so each sum only adds values
    of its own segment: no subtraction, no carry from earlier segments.

    >>> segmented_cumsum(np.array([1.0, 2.0, 3.0, 4.0]), np.array([True, False, True, False]))
    array([1., 3., 3., 7.])
    """
    n = len(x)
    y = np.array(x, dtype=np.float64, copy=True)
    if n == 0:
        return y
    index = np.arange(n)
    since = index - np.maximum.accumulate(np.where(heads, index, 0))
    step = 1
    longest = int(since.max())
    while step <= longest:
        add = np.where(since[step:] >= step, y[:-step], 0.0)
        y[step:] += add
        step *= 2
    return y
