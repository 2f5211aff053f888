"""Forest and funnel plots of a meta-analysis of proportions (matplotlib; ax in, Axes out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lbprun._checks import ArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from lbprun.meta._results import PrevalenceMetaResult

__all__ = ["forest_plot", "funnel_plot"]


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(6, 0.3 * 20 + 1))
    return ax


def forest_plot(result: PrevalenceMetaResult, ax=None):
    """Study proportions with exact intervals, the pooled diamond and the prediction interval.

    Returns the matplotlib Axes (never shows the figure).
    """
    ax = _axes(ax)
    s = result.studies
    k = len(s)
    ypos = np.arange(k, 0, -1) + 1.0
    ax.errorbar(
        s["proportion"],
        ypos,
        xerr=[s["proportion"] - s["ci_low"], s["ci_high"] - s["proportion"]],
        fmt="s",
        color="black",
        markersize=4,
        capsize=2,
    )
    est, lo, hi = result.estimate, result.ci_low, result.ci_high
    ax.fill([lo, est, hi, est], [0.5, 0.8, 0.5, 0.2], color="tab:blue")
    ax.hlines(0.5, result.pi_low, result.pi_high, color="tab:blue", linestyle=":")
    ax.axvline(est, color="grey", linewidth=0.5)
    ax.set_yticks([*ypos, 0.5], [*map(str, s["study"]), f"RE model ({result.method})"])
    ax.set_xlabel("proportion")
    ax.set_ylim(-0.2, k + 2)
    return ax


def funnel_plot(result: PrevalenceMetaResult, ax=None):
    """Effect sizes against their standard errors with the pseudo-confidence funnel.

    Returns the matplotlib Axes. The GLMM has no two-step effect sizes: an error is raised.
    """
    s = result.studies
    if result.method == "GLMM":
        raise ArgumentError("kind must be 'forest' for a GLMM fit; got 'funnel'.")
    ax = _axes(ax)
    se = np.sqrt(s["vi"].to_numpy())
    ax.scatter(s["yi"], se, color="black", s=12)
    top = float(se.max()) * 1.05
    grid = np.linspace(0.0, top, 50)
    mu = result.estimate_link
    ax.plot(mu - 1.959964 * grid, grid, color="grey", linestyle="--")
    ax.plot(mu + 1.959964 * grid, grid, color="grey", linestyle="--")
    ax.axvline(mu, color="grey")
    ax.set_ylim(top, 0.0)
    ax.set_xlabel(f"effect size ({result.measure})")
    ax.set_ylabel("standard error")
    return ax
