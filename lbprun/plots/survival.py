"""Figures of incidence: Kaplan–Meier cumulative incidence with an at-risk table, and estimates.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> from lbprun.measures.survival import kaplan_meier
>>> cohort = pd.DataFrame({"start_date": "2025-01-01", "end_date": "2025-12-31",
...     "lbp_onset_date": ["2025-02-01", "2025-06-01", None, None], "sex": list("FMFM")})
>>> ax = plot_cumulative_incidence(kaplan_meier(cohort, by="sex"))
>>> [line.get_label() for line in ax.get_lines()]
['F', 'M']
>>> ax.risk_table[0]
'F'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["n_at_risk", "plot_cumulative_incidence", "plot_estimates"]


def n_at_risk(curve: pd.DataFrame, times: Any) -> np.ndarray:
    """Runners still at risk at each of ``times`` from one group's step table.

    Parameters
    ----------
    curve : pandas.DataFrame
        One group's rows of :attr:`KaplanMeierResult.curve` (``time_days, n_risk``).
    times : array_like of float
        Days.

    Returns
    -------
    numpy.ndarray
        For each time, ``n_risk`` at the first step at or after it (0 after the last one).

    Examples
    --------
    >>> curve = pd.DataFrame({"time_days": [5, 10], "n_risk": [4, 2]})
    >>> n_at_risk(curve, [0, 5, 6, 11]).tolist()
    [4, 4, 2, 0]
    """
    steps = curve["time_days"].to_numpy(float)
    risk = curve["n_risk"].to_numpy(np.int64)
    pos = np.searchsorted(steps, np.asarray(times, dtype=float), side="left")
    return np.where(pos < steps.size, risk[np.minimum(pos, steps.size - 1)], 0)


def plot_cumulative_incidence(
    result: Any,
    ax: Axes | None = None,
    *,
    ci: bool = True,
    risk_table: bool = True,
    risk_times: Any = None,
    percent: bool = True,
) -> Axes:
    """Draw Kaplan–Meier cumulative-incidence step curves with bands and an at-risk table.

    Parameters
    ----------
    result : KaplanMeierResult
        From :func:`lbprun.measures.survival.kaplan_meier`. With ``by``, one curve per group;
        otherwise the overall curve.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    ci : bool, default=True
        Shade the confidence band (steps, like the estimate).
    risk_table : bool, default=True
        Write the number at risk of each curve under the x axis at ``risk_times``.
    risk_times : array_like of float, optional
        Days of the at-risk table (and x ticks); about six evenly spaced days by default.
    percent : bool, default=True
        Cumulative incidence in percent rather than as a proportion.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes, with ``ax.risk_table``: the row labels followed by the counts, as text.

    Raises
    ------
    lbprun._checks.ArgumentError
        A ``result`` without a ``curve`` table.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from lbprun.measures.survival import kaplan_meier
    >>> cohort = pd.DataFrame({"start_date": "2025-01-01", "end_date": "2025-12-31",
    ...                        "lbp_onset_date": ["2025-02-01", None]})
    >>> plot_cumulative_incidence(kaplan_meier(cohort)).get_ylabel()
    'Cumulative incidence (%)'
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    from matplotlib.transforms import blended_transform_factory

    curve = getattr(result, "curve", None)
    if not isinstance(curve, pd.DataFrame):
        raise ArgumentError(
            f"result must be a KaplanMeierResult; got {type(result).__name__} without a curve."
        )
    created = ax is None
    if ax is None:
        _, ax = plt.subplots(figsize=(7.0, 5.0))
    grouped = bool(getattr(result, "by", ())) and (curve["by"] != "all").any()
    curve = curve[curve["by"] != "all"] if grouped else curve[curve["by"] == "all"]
    scale = 100.0 if percent else 1.0
    end = float(curve["time_days"].max())
    if risk_times is None:
        risk_times = MaxNLocator(nbins=6, integer=True).tick_values(0.0, end)
        risk_times = risk_times[(risk_times >= 0) & (risk_times <= end)]
    risk_times = np.asarray(risk_times, dtype=float)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    rows = []
    for i, (group, part) in enumerate(curve.groupby("group", sort=False)):
        colour = colours[i % len(colours)]
        x = np.concatenate([[0.0], part["time_days"].to_numpy(float)])
        y = np.concatenate([[0.0], part["estimate"].to_numpy(float)]) * scale
        ax.step(x, y, where="post", color=colour, label=str(group))
        if ci:
            low = np.concatenate([[0.0], part["ci_low"].to_numpy(float)]) * scale
            high = np.concatenate([[0.0], part["ci_high"].to_numpy(float)]) * scale
            ax.fill_between(x, low, high, step="post", color=colour, alpha=0.2, linewidth=0)
        rows.append((str(group), colour, n_at_risk(part, risk_times)))
    ax.set_xlim(0.0, end)
    ax.set_ylim(bottom=0.0)
    ax.set_xticks(risk_times)
    ax.set_xlabel("Days of follow-up")
    ax.set_ylabel("Cumulative incidence (%)" if percent else "Cumulative incidence")
    title = getattr(result, "_title", None)
    if callable(title):
        ax.set_title(title())
    if grouped:
        ax.legend(title=", ".join(result.by), frameon=False)
    ax.grid(alpha=0.3)
    texts: list[str] = []
    if risk_table:
        transform = blended_transform_factory(ax.transData, ax.transAxes)
        top = -0.18
        ax.text(-0.07, top, "At risk", transform=ax.transAxes, ha="right", fontweight="bold")
        for j, (label, colour, counts) in enumerate(rows):
            y = top - 0.06 * (j + 1)
            ax.text(-0.07, y, label, transform=ax.transAxes, ha="right", color=colour)
            texts.append(label)
            for t, count in zip(risk_times, counts, strict=True):
                ax.text(t, y, str(int(count)), transform=transform, ha="center", color=colour)
                texts.append(str(int(count)))
        if created:
            ax.figure.subplots_adjust(left=0.18, bottom=min(0.5, 0.16 + 0.05 * (len(rows) + 1)))
    ax.risk_table = texts
    return ax


def plot_estimates(result: Any, ax: Axes | None = None) -> Axes:
    """Plot each row's risk or rate as a point with its confidence interval.

    Parameters
    ----------
    result : IncidenceResult or IncidenceRateResult
        From :func:`~lbprun.measures.incidence.cumulative_incidence` or
        :func:`~lbprun.measures.incidence.incidence_rate`.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.

    Returns
    -------
    matplotlib.axes.Axes
        One row per group (overall row first, in black); the x label names the measure.

    Raises
    ------
    lbprun._checks.ArgumentError
        A result whose table lacks ``by, group, estimate, ci_low, ci_high``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from lbprun.measures.incidence import cumulative_incidence
    >>> cohort = pd.DataFrame({"start_date": "2025-01-01", "end_date": "2025-12-31",
    ...                        "lbp_onset_date": ["2025-02-01", None]})
    >>> plot_estimates(cumulative_incidence(cohort)).get_xlabel()
    'Cumulative incidence (%)'
    """
    import matplotlib.pyplot as plt

    table = result.to_frame() if hasattr(result, "to_frame") else None
    needed = ["by", "group", "estimate", "ci_low", "ci_high"]
    if table is None or any(c not in table.columns for c in needed):
        raise ArgumentError(f"result must be an incidence result with columns {needed}.")
    rate = "per" in table.columns
    scale = 1.0 if rate else 100.0
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.45 * len(table) + 1.2))
    est, low, high = (table[c].to_numpy(float) * scale for c in ("estimate", "ci_low", "ci_high"))
    rows = np.arange(len(table))
    overall = (table["by"] == "all").to_numpy()
    for mask, colour in ((overall, "black"), (~overall, "tab:blue")):
        if mask.any():
            err = np.vstack([est[mask] - low[mask], high[mask] - est[mask]])
            ax.errorbar(est[mask], rows[mask], xerr=err, fmt="o", color=colour, capsize=3)
    labels = [
        "all" if o else f"{b}: {g}"
        for o, b, g in zip(overall, table["by"], table["group"], strict=True)
    ]
    ax.set_yticks(rows)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    if rate:
        ax.set_xlabel(f"Rate per {result.per:g} {result.exposure}")
    else:
        ax.set_xlabel("Cumulative incidence (%)")
    ax.grid(axis="x", alpha=0.3)
    return ax
