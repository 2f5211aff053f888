"""Figures of risk-factor models: forest plot of odds ratios, dose–response curve, calibration.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> table = pd.DataFrame({"term": ["(Intercept)", "prior_lbp"], "estimate": [0.2, 3.1],
...                       "ci_low": [0.1, 2.5], "ci_high": [0.3, 3.9]})
>>> [t.get_text() for t in plot_forest(table).get_yticklabels()]
['prior_lbp']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_calibration", "plot_dose_response", "plot_forest"]


def _axes(ax: Axes | None) -> Axes:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    return ax


def plot_forest(
    result: Any,
    ax: Axes | None = None,
    *,
    intercept: bool = False,
    xlabel: str = "Odds ratio",
) -> Axes:
    """Forest plot: one row per term, the ratio as a point and its interval as a bar.

    Parameters
    ----------
    result : RiskFactorResult or pandas.DataFrame
        A fit (its odds-ratio table is used) or a table with ``term, estimate, ci_low,
        ci_high`` on a ratio scale (odds, rate or hazard ratios, e.g. the ``to_frame()`` of a
        :class:`~lbprun.models.gee.GEEResult` or :class:`~lbprun.models.rates.RateModelResult`).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    intercept : bool, default=False
        Draw the intercept (baseline odds or rate) too.
    xlabel : str, default="Odds ratio"
        Label of the ratio axis.

    Returns
    -------
    matplotlib.axes.Axes
        Log-scaled ratio axis with a dashed line at 1; first term at the top.

    Raises
    ------
    lbprun._checks.ArgumentError
        A table without the needed columns.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from lbprun import fit_risk_factors
    >>> from lbprun.datasets import load_example_survey
    >>> fit = fit_risk_factors(load_example_survey(), "lbp_12m", ["prior_lbp", "sex"])
    >>> ax = plot_forest(fit)
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_yticklabels()]
    ('Odds ratio', ['prior_lbp', 'sex[M]'])
    """
    table = result.to_frame("odds_ratio") if hasattr(result, "spec") else pd.DataFrame(result)
    needed = {"term", "estimate", "ci_low", "ci_high"}
    if not needed <= set(table.columns):
        raise ArgumentError(
            f"result must have columns {sorted(needed)}; got {list(table.columns)!r}."
        )
    if not intercept:
        table = table[table["term"] != "(Intercept)"]
    ax = _axes(ax)
    pos = np.arange(len(table))[::-1]
    est = table["estimate"].to_numpy(float)
    low = table["ci_low"].to_numpy(float)
    high = table["ci_high"].to_numpy(float)
    xerr = np.vstack([est - low, high - est])  # a 2 x n array, not a list of arrays
    ax.errorbar(est, pos, xerr=xerr, fmt="o", color="black", capsize=3)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(pos)
    ax.set_yticklabels(table["term"].tolist())
    ax.set_xlabel(xlabel)
    return ax


def plot_dose_response(
    result: Any,
    variable: str,
    ax: Axes | None = None,
    *,
    reference: float | None = None,
    grid: Any = None,
) -> Axes:
    """Plot the odds ratio of a numeric (or spline) predictor against its value, with a band.

    Parameters
    ----------
    result : RiskFactorResult
        A fit containing ``variable``.
    variable : str
        The exposure, e.g. ``"weekly_km"``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    reference : float, optional
        The value with odds ratio 1 (see :meth:`RiskFactorResult.dose_response`).
    grid : array-like, optional
        Exposure values to draw.

    Returns
    -------
    matplotlib.axes.Axes
        The curve (log-scaled odds ratios), its band, and a dashed line at 1.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from lbprun import fit_risk_factors
    >>> from lbprun.datasets import load_example_survey
    >>> fit = fit_risk_factors(load_example_survey(), "lbp_12m", ["weekly_km"],
    ...                        splines={"weekly_km": 3})
    >>> ax = plot_dose_response(fit, "weekly_km", reference=30)
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('weekly_km', 'Odds ratio (reference 30)')
    """
    curve = result.dose_response(variable, reference=reference, grid=grid)
    ax = _axes(ax)
    ax.fill_between(curve["value"], curve["ci_low"], curve["ci_high"], alpha=0.3, color="C0")
    ax.plot(curve["value"], curve["estimate"], color="C0")
    ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel(variable)
    ax.set_ylabel(f"Odds ratio (reference {curve['reference'].iloc[0]:g})")
    return ax


def plot_calibration(result: Any, ax: Axes | None = None) -> Axes:
    """Calibration curve of a :class:`~lbprun.models.calibration.CalibrationResult`.

    Parameters
    ----------
    result : CalibrationResult
        From :func:`lbprun.models.calibration.val_prob`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.

    Returns
    -------
    matplotlib.axes.Axes
        The lowess curve of observed against predicted probability and the identity line.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from lbprun.models.calibration import val_prob
    >>> ax = plot_calibration(val_prob([0.1, 0.3, 0.6, 0.8, 0.2, 0.7], [0, 0, 1, 1, 1, 0]))
    >>> ax.get_xlabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('Predicted probability', ['Ideal', 'Lowess'])
    """
    ax = _axes(ax)
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="Ideal")
    ax.plot(result.curve["predicted"], result.curve["observed"], color="C0", label="Lowess")
    ax.set_xlabel("Predicted probability")
    ax.set_ylabel("Observed proportion")
    ax.legend(loc="upper left")
    return ax
