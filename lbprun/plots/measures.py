"""Figures of measures: prevalence by group as points with interval bars.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> from lbprun.measures.prevalence import prevalence
>>> data = pd.DataFrame({"sex": ["F", "M"] * 20, "lbp_12m": [1, 0, 0, 0] * 10})
>>> ax = plot_prevalence(prevalence(data, by="sex"))
>>> [t.get_text() for t in ax.get_yticklabels()]
['all', 'sex: F', 'sex: M']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["plot_prevalence"]


def plot_prevalence(result: Any, ax: Axes | None = None, *, percent: bool = True) -> Axes:
    """Plot each row's prevalence as a point with its confidence interval.

    Parameters
    ----------
    result : PrevalenceResult or pandas.DataFrame
        A prevalence result (or its table): columns ``by, group, estimate, ci_low, ci_high``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made when None.
    percent : bool, default=True
        Show prevalence in percent rather than as a proportion.

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on: one row per group (overall row first, drawn in black), the estimate
        as a point and the interval as a horizontal bar.

    Raises
    ------
    lbprun._checks.ArgumentError
        A table without the needed columns.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> table = pd.DataFrame({"by": ["all"], "group": ["all"], "estimate": [0.2],
    ...                       "ci_low": [0.1], "ci_high": [0.3]})
    >>> plot_prevalence(table).get_xlabel()
    'Prevalence (%)'
    """
    import matplotlib.pyplot as plt

    from lbprun._checks import ArgumentError

    table = result.to_frame() if hasattr(result, "to_frame") else result
    needed = ["by", "group", "estimate", "ci_low", "ci_high"]
    missing = [c for c in needed if c not in getattr(table, "columns", [])]
    if missing:
        raise ArgumentError(f"result must have columns {needed}; missing {missing}.")
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.45 * len(table) + 1.2))
    scale = 100.0 if percent else 1.0
    est = table["estimate"].to_numpy(float) * scale
    low = table["ci_low"].to_numpy(float) * scale
    high = table["ci_high"].to_numpy(float) * scale
    rows = np.arange(len(table))
    overall = (table["by"] == "all").to_numpy()
    labels = [
        "all" if o else f"{b}: {g}"
        for o, b, g in zip(overall, table["by"], table["group"], strict=True)
    ]
    for mask, colour in ((overall, "black"), (~overall, "tab:blue")):
        if mask.any():
            ax.errorbar(
                est[mask],
                rows[mask],
                xerr=np.vstack([est[mask] - low[mask], high[mask] - est[mask]]),
                fmt="o",
                color=colour,
                capsize=3,
            )
    ax.set_yticks(rows)
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlabel("Prevalence (%)" if percent else "Prevalence")
    title = getattr(result, "_title", None)
    if callable(title):
        ax.set_title(title())
    ax.grid(axis="x", alpha=0.3)
    return ax
