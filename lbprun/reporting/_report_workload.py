"""Training-load exposures of a report, aggregated over runners (never one runner's line).

From a training log: the distribution of weekly distance over runner-weeks
(:func:`lbprun.workload.weekly.weekly_load`) and of the acute:chronic workload ratio over
runner-days (:func:`lbprun.workload.acwr.acwr`, 7-day / 28-day rolling, uncoupled), with the
median and interquartile range of the ACWR in each calendar week. A calendar week with fewer
than ``threshold`` runners is left out of that figure, and a log of fewer than ``threshold``
runners is summarised by its row counts only.

Examples
--------
>>> import pandas as pd
>>> days = pd.date_range("2025-01-06", periods=60, freq="D")
>>> log = pd.DataFrame({"runner_id": [f"r{i}" for i in range(12) for _ in days],
...                     "date": list(days) * 12, "distance_km": 8.0, "duration_min": 45.0})
>>> part = workload_part(log, threshold=11)
>>> part.tables["training_load"].iloc[0].tolist()
['runners', '12']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lbprun.reporting._report_format import Section, figure_png, new_axes
from lbprun.reporting._report_sections import Part

__all__ = ["workload_part"]


def _quartiles(x: pd.Series) -> str:
    q1, median, q3 = np.nanquantile(x.to_numpy(dtype=float), [0.25, 0.5, 0.75])
    return f"{median:.1f} [{q1:.1f}, {q3:.1f}]"


def workload_part(activities: pd.DataFrame, *, threshold: int) -> Part:
    """The training-load section of a report from a validated training log."""
    from lbprun.workload.acwr import acwr
    from lbprun.workload.weekly import weekly_load

    section = Section(key="training-load", title="Training-load exposures")
    runners = int(activities["runner_id"].nunique())
    if runners < threshold:
        section.paragraphs.append(
            f"The training log holds fewer than {threshold} runners; its load is not summarised, "
            "so that no runner's training can be told apart."
        )
        return Part(section)
    weekly = weekly_load(activities)
    daily = acwr(activities)
    ratio = daily["acwr"].replace([np.inf, -np.inf], np.nan).dropna()
    table = pd.DataFrame(
        [
            ("runners", str(runners)),
            ("runner-weeks", str(len(weekly))),
            ("weekly distance, km: median [Q1, Q3]", _quartiles(weekly["distance_km"])),
            ("runs per week: median [Q1, Q3]", _quartiles(weekly["n_runs"])),
            ("runner-days with an ACWR", str(len(ratio))),
            ("ACWR: median [Q1, Q3]", _quartiles(ratio)),
            ("runner-days with ACWR > 1.5 (%)", f"{100 * float((ratio > 1.5).mean()):.1f}"),
            ("runner-days with ACWR < 0.8 (%)", f"{100 * float((ratio < 0.8).mean()):.1f}"),
        ],
        columns=["measure", "value"],
    )
    section.paragraphs.append(
        "Weekly distance per runner and calendar week (weeks without runs count as 0 km) and the "
        "acute:chronic workload ratio (7-day over 28-day rolling mean distance, uncoupled) per "
        "runner-day; all summaries are over runners, none shows a single runner."
    )
    section.tables.append(("training_load", "Training load, aggregated over runners"))
    ax = new_axes(6.4, 3.2)
    ax.hist(weekly["distance_km"].to_numpy(dtype=float), bins=40, color="tab:blue")
    ax.set_xlabel("Weekly distance (km)")
    ax.set_ylabel("Runner-weeks")
    section.figures.append(
        ("Distribution of weekly distance over runner-weeks", figure_png(ax.figure))
    )
    ax = new_axes(6.4, 3.2)
    ax.hist(ratio.clip(upper=3.0).to_numpy(dtype=float), bins=40, color="tab:orange")
    ax.axvspan(0.8, 1.3, color="grey", alpha=0.15)
    ax.set_xlabel("ACWR (values above 3 shown at 3)")
    ax.set_ylabel("Runner-days")
    section.figures.append(("Distribution of the ACWR over runner-days", figure_png(ax.figure)))
    by_week = (
        daily.dropna(subset=["acwr"])
        .assign(week=lambda d: d["date"].dt.to_period("W-SUN").dt.start_time)
        .groupby("week")
        .agg(
            runners=("runner_id", "nunique"),
            q1=("acwr", lambda x: float(np.quantile(x, 0.25))),
            median=("acwr", "median"),
            q3=("acwr", lambda x: float(np.quantile(x, 0.75))),
        )
    )
    kept = by_week[by_week["runners"] >= threshold]
    if len(kept):
        ax = new_axes(6.4, 3.2)
        ax.fill_between(kept.index, kept["q1"], kept["q3"], color="tab:orange", alpha=0.3)
        ax.plot(kept.index, kept["median"], color="tab:orange")
        ax.axhline(1.0, color="grey", linestyle="--", linewidth=1)
        ax.set_ylabel("ACWR: median and IQR")
        ax.figure.autofmt_xdate()
        section.figures.append(
            (
                f"ACWR by calendar week across runners (weeks with at least {threshold} runners)",
                figure_png(ax.figure),
            )
        )
    return Part(section, {"training_load": table}, [], {"weekly_load": weekly, "acwr": daily})
