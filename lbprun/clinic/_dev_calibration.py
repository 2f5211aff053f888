"""Calibration curve of a risk model: lowess as ``rms::val.prob`` and grouped risks (internal).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(0.05, 0.6, 500)
>>> y = (rng.uniform(size=500) < p).astype(float)
>>> curve = calibration_curve(p, y, groups=5)
>>> curve.to_frame()["n"].tolist()
[100, 100, 100, 100, 100]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_level
from lbprun._result import Result
from lbprun.clinic._dev_performance import lowess_curve
from lbprun.measures.intervals import proportion_ci_arrays

__all__ = ["CalibrationCurveResult", "calibration_curve"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class CalibrationCurveResult(Result):
    """Result of :func:`calibration_curve`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per risk group: ``group, n, events, mean_predicted, observed, ci_low,
        ci_high`` (Wilson intervals of the observed proportion).
    smooth : pandas.DataFrame
        The lowess curve ``predicted, observed`` (``lowess(p, y, iter = 0)`` as ``val.prob``).
    level : float
        Confidence level of the group intervals.
    notes : tuple of str
        Numbered notes (none from :func:`calibration_curve` itself).
    """

    smooth: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    level: float = 0.95

    def _title(self) -> str:
        return "Calibration by risk group"

    def plot(self, ax: Any = None) -> Any:
        """Draw the lowess curve, the grouped proportions with intervals and the identity.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from lbprun.clinic._dev_figures import plot_calibration_curve

        return plot_calibration_curve(self, ax=ax)


def calibration_curve(
    p: Any, y: Any, *, groups: int = 10, level: float = 0.95
) -> CalibrationCurveResult:
    """Observed against predicted risk: lowess curve and groups of equal size (deciles).

    Groups are formed from the ranks of ``p`` (ties broken by position) into ``groups`` groups
    whose sizes differ by at most one.
    """
    level = check_level(level)
    p = np.asarray(p, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ArgumentError(f"groups must be a positive integer; got {groups!r}.")
    if groups > p.size:
        raise ArgumentError(f"groups must be at most the number of rows ({p.size}); got {groups}.")
    order = np.argsort(p, kind="stable")
    group = np.empty(p.size, dtype=np.int64)
    for g, rows in enumerate(np.array_split(order, groups)):
        group[rows] = g + 1
    n = np.bincount(group, minlength=groups + 1)[1:]
    events = np.bincount(group, weights=y, minlength=groups + 1)[1:]
    mean_p = np.bincount(group, weights=p, minlength=groups + 1)[1:] / n
    est, low, high = proportion_ci_arrays(events.round().astype(int), n, level=level)
    table = pd.DataFrame(
        {
            "group": np.arange(1, groups + 1),
            "n": n.astype(int),
            "events": events.round().astype(int),
            "mean_predicted": mean_p,
            "observed": est,
            "ci_low": low,
            "ci_high": high,
        }
    )
    xs, ys = lowess_curve(p, y)
    smooth = pd.DataFrame({"predicted": xs, "observed": ys})
    return CalibrationCurveResult(table=table, smooth=smooth, level=level)
