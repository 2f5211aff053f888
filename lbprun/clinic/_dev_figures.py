"""Figures of a developed risk model: calibration and decision curves (internal).

Examples
--------
>>> import numpy as np
>>> from lbprun.clinic.decision_curve import decision_curve
>>> ax = plot_decision_curve(decision_curve([0.1, 0.4, 0.7], [0, 1, 1], n_bootstrap=0))
>>> ax.get_xlabel()
'Threshold probability'
"""

from __future__ import annotations

import base64
import io
from typing import Any

__all__ = ["figure_png_base64", "plot_calibration_curve", "plot_decision_curve"]


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=(5.5, 4.5))
    return ax


def plot_calibration_curve(result: Any, ax: Any = None) -> Any:
    """Lowess curve, grouped observed proportions with intervals and the identity line."""
    ax = _axes(ax)
    table = result.table
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="Ideal")
    ax.plot(result.smooth["predicted"], result.smooth["observed"], color="C0", label="Lowess")
    ax.errorbar(
        table["mean_predicted"],
        table["observed"],
        yerr=[table["observed"] - table["ci_low"], table["ci_high"] - table["observed"]],
        fmt="o",
        color="C1",
        markersize=4,
        capsize=2,
        label="Risk groups",
    )
    top = float(max(table["ci_high"].max(), table["mean_predicted"].max(), 0.05)) * 1.05
    ax.set_xlim(0, min(top, 1))
    ax.set_ylim(0, min(top, 1))
    ax.set_xlabel("Predicted probability")
    ax.set_ylabel("Observed proportion")
    ax.legend(loc="upper left")
    return ax


def plot_decision_curve(result: Any, ax: Any = None) -> Any:
    """Net benefit of the model, treat-all and treat-none against the threshold."""
    ax = _axes(ax)
    table = result.table
    names = {"model": "Model", "all": "Treat all", "none": "Treat none"}
    for i, (strategy, label) in enumerate(names.items()):
        part = table[table["strategy"] == strategy]
        ax.plot(part["threshold"], part["net_benefit"], color=f"C{i}", label=label)
        if part["ci_low"].notna().any() and strategy != "none":
            ax.fill_between(
                part["threshold"], part["ci_low"], part["ci_high"], color=f"C{i}", alpha=0.15
            )
    model = table[table["strategy"] == "model"]["net_benefit"]
    ax.set_ylim(-0.05, max(float(model.max()), 0.05) * 1.1)
    ax.set_xlabel("Threshold probability")
    ax.set_ylabel("Net benefit")
    ax.legend(loc="upper right")
    return ax


def figure_png_base64(draw: Any) -> str:
    """Render ``draw(ax)`` to a PNG and return it base64-encoded (for inline HTML)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4.5), dpi=90)
    ax = fig.add_subplot()
    draw(ax)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")
