"""Nomogram-style points table and figure of a clinic risk model (internal).

Each predictor's values are given points in proportion to their part of the linear predictor:
the predictor whose values (over the development 1st-99th percentiles, every level, or
no/yes) span the widest range of log odds gets ``0..max_points``, the others proportionally
less. Adding a runner's points and reading the risk of the total reproduces the model's
probability (exactly on the values listed; interpolate between them).

Examples
--------
>>> from lbprun.clinic import load_demo_model
>>> table = load_demo_model().points_table()
>>> table[table["predictor"] == "prior_lbp"][["value", "points"]].round(1).to_dict("list")
{'value': [False, True], 'points': [0.0, 100.0]}
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

__all__ = ["TOTAL", "nice_grid", "plot_points", "points_table"]

#: The ``predictor`` label of the total-points rows.
TOTAL = "total points"


def nice_grid(low: float, high: float, n: int = 6) -> np.ndarray:
    """About ``n`` round values from ``low`` to ``high`` (steps of 1, 2, 2.5 or 5 x 10^k).

    >>> nice_grid(9.9, 109.3).tolist()
    [20.0, 40.0, 60.0, 80.0, 100.0]
    """
    if not high > low:
        return np.array([float(low)])
    raw = (high - low) / max(n - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw)
    start = math.ceil(low / step) * step
    grid = np.arange(start, high + step * 1e-9, step)
    return np.round(grid, 10)


def _values(feat: Any) -> list[Any]:
    if feat.kind == "categorical":
        return list(feat.levels)
    if feat.kind == "boolean":
        return [False, True]
    return nice_grid(feat.p01, feat.p99).tolist()


def _log_odds(model: Any, feat: Any, values: list[Any]) -> np.ndarray:
    if feat.kind == "categorical":
        coded = np.array([feat.levels.index(v) for v in values])
    else:
        coded = np.asarray(values, dtype=float)
    block = feat.encode(coded)
    start = 1 + sum(len(f.design_names()) for f in model.features[: model.features.index(feat)])
    return block @ model.coef[start : start + block.shape[1]]


def points_table(model: Any, *, max_points: float = 100.0) -> pd.DataFrame:
    """Points of each predictor's values, and the risk of each total.

    Parameters
    ----------
    model : lbprun.clinic.RiskModel
        The model.
    max_points : float, default=100.0
        Points of the predictor with the widest span of log odds.

    Returns
    -------
    pandas.DataFrame
        ``predictor, value, log_odds, points, risk``: one row per predictor value
        (``risk`` NaN), then rows ``predictor == "total points"`` giving the ``risk`` of
        ``value`` total points (``log_odds`` the linear predictor).
    """
    rows, spans, lows = [], [], []
    for feat in model.features:
        values = _values(feat)
        lo = _log_odds(model, feat, values)
        rows.append((feat.name, values, lo))
        lows.append(float(lo.min()))
        spans.append(float(lo.max() - lo.min()))
    scale = max(max(spans), 1e-12) / max_points  # log odds per point
    out = []
    for (name, values, lo), low in zip(rows, lows, strict=True):
        for v, c in zip(values, lo, strict=True):
            out.append((name, v, float(c), (float(c) - low) / scale, np.nan))
    top = sum(spans) / scale
    base = model.coef[0] + model.intercept_shift + sum(lows)
    for total in nice_grid(0.0, top, n=11):
        lp = base + total * scale
        out.append((TOTAL, float(total), float(lp), float(total), float(special.expit(lp))))
    frame = pd.DataFrame(out, columns=["predictor", "value", "log_odds", "points", "risk"])
    frame["value"] = frame["value"].astype(object)
    return frame


def plot_points(model: Any, *, max_points: float = 100.0) -> Any:
    """Nomogram figure: one scale per predictor, total points and risk (matplotlib Figure)."""
    import matplotlib.pyplot as plt

    table = points_table(model, max_points=max_points)
    names = [f.name for f in model.features] + [TOTAL, "risk"]
    fig, ax = plt.subplots(figsize=(8, 0.6 * len(names) + 1))
    totals = table[table["predictor"] == TOTAL]
    top = float(totals["points"].max())
    for row, name in enumerate(names):
        y = len(names) - row
        part = totals if name in (TOTAL, "risk") else table[table["predictor"] == name]
        x = part["points"].to_numpy(dtype=float)
        if name == TOTAL:
            x = x * max_points / max(top, 1e-12)
            labels = [f"{v:g}" for v in part["value"]]
        elif name == "risk":
            x = x * max_points / max(top, 1e-12)
            labels = [f"{r:.0%}" for r in part["risk"]]
        else:
            labels = [str(v) if not isinstance(v, float) else f"{v:g}" for v in part["value"]]
        ax.hlines(y, x.min(), x.max(), color="black", linewidth=1)
        ax.plot(x, np.full_like(x, y), "|", color="black", markersize=8)
        for xi, lab in zip(x, labels, strict=True):
            ax.text(xi, y + 0.15, lab, ha="center", va="bottom", fontsize=7)
    ax.set_yticks(range(len(names), 0, -1), names)
    ax.set_xticks([])
    ax.set_xlim(-5, max_points + 5)
    ax.set_ylim(0.3, len(names) + 0.8)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    title = f"Points for the risk of {model.outcome}"
    ax.set_title(f"{title}\n{model.label}" if model.label else title, fontsize=9)
    fig.tight_layout()
    return fig
