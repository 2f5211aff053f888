"""Training-load figure of one runner: weekly distance, spikes and ACWR.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=60,
...                      freq="2D"), "distance_km": 8.0, "duration_min": 48.0})
>>> ax = plot_runner_load(runs, "a")
>>> ax.get_ylabel()
'Weekly distance (km)'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_columns

__all__ = ["plot_runner_load"]


def plot_runner_load(
    activities: pd.DataFrame,
    runner_id: Any,
    ax: Any = None,
    *,
    method: str = "rolling",
    band: Sequence[float] | None = (0.8, 1.3),
    week_start: str = "monday",
    thresholds: Sequence[float] = (10, 30),
) -> Any:
    """Plot one runner's weekly distance (bars), spike weeks (marked) and daily ACWR (line).

    Parameters
    ----------
    activities : pandas.DataFrame
        Runs with ``runner_id, date, distance_km, duration_min``.
    runner_id : str
        The runner to plot.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure when None.
    method : {"rolling", "ewma"}, default="rolling"
        ACWR method (uncoupled rolling or EWMA; see :func:`lbprun.workload.acwr.acwr`).
    band : (float, float) or None, default=(0.8, 1.3)
        ACWR band to shade, labelled as a contested convention; None for no band.
    week_start : str, default="monday"
        First day of the calendar week.
    thresholds : sequence of float, default=(10, 30)
        Progression classes; weeks above the last threshold are marked as spikes.

    Returns
    -------
    matplotlib.axes.Axes
        The weekly-distance axes; the ACWR axes is its twin (``ax.acwr_axes``).

    Raises
    ------
    lbprun._checks.ArgumentError
        When the runner has no runs or an option is invalid.

    Notes
    -----
    The 0.8-1.3 "sweet spot" comes from team sports (Gabbett 2016) and is contested (Lolli et
    al. 2019; Impellizzeri et al. 2020): it is drawn as a convention, not as a safe zone.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2024-01-01", periods=60,
    ...                      freq="2D"), "distance_km": 8.0, "duration_min": 48.0})
    >>> ax = plot_runner_load(runs, "a", method="ewma")
    >>> ax.get_ylabel(), ax.acwr_axes.get_ylabel()
    ('Weekly distance (km)', 'ACWR')
    """
    import matplotlib.pyplot as plt

    from lbprun.workload.acwr import acwr
    from lbprun.workload.spikes import load_spikes

    check_columns(activities, ["runner_id"], name="activities")
    runs = activities[activities["runner_id"] == runner_id]
    if runs.empty:
        raise ArgumentError(f"runner_id must be a runner of activities; got {runner_id!r}.")
    if band is not None and (len(band) != 2 or not band[0] < band[1]):
        raise ArgumentError(f"band must be (low, high) with low < high; got {band!r}.")
    weekly = load_spikes(runs, thresholds=thresholds, week_start=week_start)
    daily = acwr(runs, method=method, progress=False)
    if ax is None:
        _, ax = plt.subplots(figsize=(10, 4))
    centre = weekly["week_start"] + pd.Timedelta(days=3.5)
    ax.bar(centre, weekly["distance_km"], width=6, color="#8fb3d9", label="weekly distance")
    spike = (weekly["progression_pct"] > thresholds[-1]).to_numpy()
    if spike.any():
        ax.scatter(
            centre[spike],
            weekly["distance_km"][spike],
            marker="v",
            color="#c0392b",
            zorder=3,
            label=f"> {thresholds[-1]:g} % increase",
        )
    ax.set_ylabel("Weekly distance (km)")
    ax.set_xlabel("Week")
    ax.set_title(f"Training load of runner {runner_id}")
    twin = ax.twinx()
    if band is not None:
        twin.axhspan(
            band[0],
            band[1],
            color="#2e8b57",
            alpha=0.12,
            label=f"ACWR {band[0]:g}-{band[1]:g} (contested convention)",
        )
    twin.plot(daily["date"], daily["acwr"], color="#333333", lw=1.2, label=f"ACWR ({method})")
    finite = daily["acwr"].to_numpy(dtype=float)
    top = np.nanmax(finite) if np.isfinite(finite).any() else 2.0
    twin.set_ylim(0, max(top, band[1] if band is not None else 0) * 1.1)
    twin.set_ylabel("ACWR")
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = twin.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, loc="upper left", fontsize="small")
    ax.acwr_axes = twin
    return ax
