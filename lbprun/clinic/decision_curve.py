"""Decision curves: the net benefit of a risk model against treating all and treating none.

Examples
--------
>>> import numpy as np
>>> p = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
>>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
>>> result = decision_curve(p, y, thresholds=[0.25, 0.5], n_bootstrap=0)
>>> result.to_frame().query("strategy == 'model'")["net_benefit"].round(4).tolist()
[0.4167, 0.25]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_level
from lbprun._result import Result

__all__ = ["DecisionCurveResult", "decision_curve", "net_benefit"]

#: Strategies of a decision curve.
STRATEGIES = ("model", "all", "none")


def _rates(p: np.ndarray, y: np.ndarray, thresholds: np.ndarray) -> tuple[np.ndarray, ...]:
    """True- and false-positive rates (per participant) of ``p >= threshold``."""
    n = y.size
    events = np.sort(p[y == 1])
    nonevents = np.sort(p[y == 0])
    tp = events.size - np.searchsorted(events, thresholds, side="left")
    fp = nonevents.size - np.searchsorted(nonevents, thresholds, side="left")
    return tp / n, fp / n


def net_benefit(p: Any, y: Any, thresholds: Any) -> np.ndarray:
    """Net benefit of treating when ``p >= threshold``, at each threshold.

    :math:`NB(p_t) = TP/n - FP/n \\cdot p_t / (1 - p_t)` (Vickers & Elkin 2006), with a
    participant counted positive when the predicted risk is at least the threshold, as R
    ``dcurves::dca``.

    >>> net_benefit([0.2, 0.6, 0.7, 0.9], [0, 0, 1, 1], [0.5]).round(4).tolist()
    [0.25]
    """
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    t = np.asarray(thresholds, dtype=float)
    tp, fp = _rates(p, y, t)
    return tp - fp * t / (1.0 - t)


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class DecisionCurveResult(Result):
    """Result of :func:`decision_curve`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per threshold and strategy (``model``, ``all``, ``none``) with the columns
        ``threshold, strategy, net_benefit, ci_low, ci_high, tp_rate, fp_rate`` (rates per
        participant; intervals are bootstrap percentile intervals, NaN without a bootstrap).
    level : float
        Confidence level of the intervals.
    n_bootstrap : int
        Bootstrap resamples behind the intervals.
    notes : tuple of str
        Numbered notes (none from :func:`decision_curve` itself).
    """

    level: float = 0.95
    n_bootstrap: int = 0

    def _title(self) -> str:
        return "Decision curve (net benefit)"

    def useful_range(self) -> tuple[float, float] | None:
        """Return the thresholds at which the model beats both treat-all and treat-none.

        Returns
        -------
        tuple of (float, float) or None
            The lowest and highest such threshold, None when the model never does.

        Examples
        --------
        >>> p = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
        >>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
        >>> decision_curve(p, y, thresholds=[0.25, 0.5], n_bootstrap=0).useful_range()
        (0.25, 0.5)
        """
        wide = self.table.pivot(index="threshold", columns="strategy", values="net_benefit")
        better = (wide["model"] > wide["all"]) & (wide["model"] > wide["none"])
        if not better.any():
            return None
        return float(better[better].index.min()), float(better[better].index.max())

    def plot(self, ax: Any = None) -> Any:
        """Draw the net benefit of each strategy against the threshold.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from lbprun.clinic._dev_figures import plot_decision_curve

        return plot_decision_curve(self, ax=ax)


def decision_curve(
    p: Any,
    y: Any,
    *,
    thresholds: Sequence[float] | None = None,
    n_bootstrap: int = 200,
    level: float = 0.95,
    seed: int | None = 20240601,
) -> DecisionCurveResult:
    """Net benefit of a risk model, of treating all and of treating none, over thresholds.

    Parameters
    ----------
    p : array-like
        Predicted risks in [0, 1].
    y : array-like
        Observed 0/1 outcomes.
    thresholds : sequence of float, optional
        Threshold probabilities in [0, 1); default 0, 0.01, ..., 0.99 (as ``dcurves``).
    n_bootstrap : int, default=200
        Bootstrap resamples of the rows for percentile intervals (0: no intervals). The
        predicted risks are held fixed (the model is not refitted).
    level : float, default=0.95
        Confidence level.
    seed : int, optional
        Seed of the resamples.

    Returns
    -------
    DecisionCurveResult
        The net-benefit table.

    Raises
    ------
    lbprun._checks.ArgumentError
        Lengths differ, risks outside [0, 1], outcomes other than 0/1, thresholds outside
        [0, 1).

    Notes
    -----
    Net benefit :math:`NB = TP/n - FP/n \\cdot p_t/(1-p_t)`, a participant being positive when
    :math:`p \\ge p_t`; treat-all has :math:`NB = \\pi - (1-\\pi) p_t/(1-p_t)` with
    :math:`\\pi` the outcome proportion, treat-none :math:`NB = 0` (Vickers & Elkin 2006).
    The definitions of R ``dcurves::dca`` (which adds and removes ``.Machine$double.eps`` at
    the ends so that treat-all counts every participant positive).

    References
    ----------
    Vickers AJ, Elkin EB. Decision curve analysis: a novel method for evaluating prediction
    models. Med Decis Making 2006;26:565-74.

    Examples
    --------
    >>> result = decision_curve([0.1, 0.3, 0.6, 0.8], [0, 1, 0, 1], thresholds=[0.5],
    ...                         n_bootstrap=0)
    >>> result.to_frame()[["strategy", "net_benefit"]].values.tolist()
    [['model', 0.0], ['all', 0.0], ['none', 0.0]]
    """
    level = check_level(level)
    p = np.asarray(p, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if p.size != y.size:
        raise ArgumentError(f"p and y must have the same length; got {p.size} and {y.size}.")
    if p.size == 0 or not np.all((p >= 0) & (p <= 1)):
        bad = p[~((p >= 0) & (p <= 1))][:1].tolist() or "no values"
        raise ArgumentError(f"p must be risks in [0, 1]; got {bad!r}.")
    if not np.all((y == 0) | (y == 1)):
        raise ArgumentError(f"y must be 0 or 1; got {y[(y != 0) & (y != 1)][0]!r}.")
    t = np.round(np.arange(100) / 100, 2) if thresholds is None else np.asarray(thresholds, float)
    if t.ndim != 1 or t.size == 0 or np.any((t < 0) | (t >= 1)):
        raise ArgumentError(f"thresholds must lie in [0, 1); got {np.asarray(thresholds)!r}.")
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int) or n_bootstrap < 0:
        raise ArgumentError(f"n_bootstrap must be a non-negative integer; got {n_bootstrap!r}.")
    odds = t / (1.0 - t)
    tp, fp = _rates(p, y, t)
    prevalence = float(y.mean())
    estimates = {
        "model": (tp - fp * odds, tp, fp),
        "all": (
            prevalence - (1 - prevalence) * odds,
            np.full(t.size, prevalence),
            np.full(t.size, 1 - prevalence),
        ),
        "none": (np.zeros(t.size), np.zeros(t.size), np.zeros(t.size)),
    }
    bounds = {s: (np.full(t.size, np.nan), np.full(t.size, np.nan)) for s in STRATEGIES}
    if n_bootstrap:
        rng = np.random.default_rng(seed)
        draws = np.empty((2, n_bootstrap, t.size))
        for b in range(n_bootstrap):
            rows = rng.integers(0, y.size, y.size)
            pb, yb = p[rows], y[rows]
            tpb, fpb = _rates(pb, yb, t)
            draws[0, b] = tpb - fpb * odds
            prev_b = yb.mean()
            draws[1, b] = prev_b - (1 - prev_b) * odds
        alpha = (1 - level) / 2
        for i, strategy in enumerate(("model", "all")):
            low, high = np.quantile(draws[i], [alpha, 1 - alpha], axis=0)
            bounds[strategy] = (low, high)
        bounds["none"] = (np.zeros(t.size), np.zeros(t.size))
    frames = [
        pd.DataFrame(
            {
                "threshold": t,
                "strategy": strategy,
                "net_benefit": estimates[strategy][0],
                "ci_low": bounds[strategy][0],
                "ci_high": bounds[strategy][1],
                "tp_rate": estimates[strategy][1],
                "fp_rate": estimates[strategy][2],
            }
        )
        for strategy in STRATEGIES
    ]
    table = pd.concat(frames, ignore_index=True)
    order = np.lexsort((table["strategy"].map(STRATEGIES.index).to_numpy(), table["threshold"]))
    table = table.iloc[order].reset_index(drop=True)
    return DecisionCurveResult(table=table, level=level, n_bootstrap=int(n_bootstrap))
