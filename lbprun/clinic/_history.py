"""Training-load predictors derived from a runner's own log, before an index date (internal).

Only runs strictly before the index date are used (no look-ahead): a run on or after the
index date never changes a score. With ``d`` the index date, the 28-day window is the days
``d - 28 .. d - 1``, split into four 7-day weeks ending the day before ``d`` (the workload
functions are called with ``week_start`` the weekday of ``d``). Days without a logged run in
the window are rest days (the log is taken as complete).

``weekly_km``
    Mean distance of the four weeks of the window (``weekly_load``): total km / 4.
``max_weekly_increase_pct``
    Largest week-to-week change in distance (``load_spikes``, ``baseline="previous_week"``)
    over the four weeks of the window, each compared with the week before it (so the week
    ``d - 35 .. d - 29`` serves as the first baseline); weeks after a 0-km week have no
    change and are skipped.
``acwr``
    Rolling, uncoupled 7:28-day acute:chronic ratio of distance (``acwr``) on day ``d - 1``.
``shoe_km``
    Distance on the shoes of the runner's last run with a ``shoe_id`` before ``d``, up to and
    including that run (``shoe_mileage``, every logged run before ``d``).

Examples
--------
>>> import pandas as pd
>>> log = pd.DataFrame({"runner_id": "a", "date": pd.date_range("2025-05-04", periods=28),
...                     "distance_km": 5.0, "duration_min": 30.0})
>>> load_values(log, "2025-06-01", ["weekly_km", "acwr"]).round(3).to_dict("records")
[{'runner_id': 'a', 'weekly_km': 35.0, 'acwr': 1.0}]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_columns

__all__ = ["LOAD_PREDICTORS", "WINDOW_DAYS", "load_values", "with_load_predictors"]

#: The predictors a log can supply.
LOAD_PREDICTORS = ("weekly_km", "max_weekly_increase_pct", "acwr", "shoe_km")
#: Length of the load window before the index date, in days.
WINDOW_DAYS = 28

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def index_day(index_date: Any) -> pd.Timestamp:
    """The index date as a midnight Timestamp (tz-naive)."""
    try:
        day = pd.Timestamp(index_date)
    except (TypeError, ValueError):
        raise ArgumentError(f"index_date must be a date; got {index_date!r}.") from None
    if pd.isna(day):
        raise ArgumentError(f"index_date must be a date; got {index_date!r}.")
    if day.tzinfo is not None:
        day = day.tz_localize(None)
    return day.normalize()


def _runs_before(log: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    check_columns(log, ["runner_id", "date", "distance_km"], name="activities")
    dates = pd.to_datetime(log["date"], errors="coerce")
    if dates.isna().any():
        row = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise ArgumentError(
            f"activities date must be a date in every row; got {log['date'].iloc[row]!r} "
            f"in row {row}."
        )
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    keep = (dates < day).to_numpy()
    runs = pd.DataFrame(
        {
            "runner_id": log["runner_id"].astype(str).to_numpy()[keep],
            "date": dates.dt.normalize().to_numpy()[keep],
            "distance_km": pd.to_numeric(log["distance_km"]).to_numpy(dtype=float)[keep],
        }
    )
    duration = log["duration_min"] if "duration_min" in log.columns else 0.0
    runs["duration_min"] = pd.Series(duration, index=log.index).to_numpy(dtype=float)[keep]
    if "shoe_id" in log.columns:
        runs["shoe_id"] = log["shoe_id"].to_numpy(dtype=object)[keep]
    return runs


def _anchored(runs: pd.DataFrame, ids: Sequence[str], first: pd.Timestamp, last: pd.Timestamp):
    """Runs from ``first`` on, plus 0-km runs on ``first`` and ``last`` for every runner."""
    window = runs[(runs["date"] >= first)][["runner_id", "date", "distance_km", "duration_min"]]
    anchors = pd.DataFrame(
        {
            "runner_id": np.repeat(np.asarray(ids, dtype=object), 2),
            "date": np.tile(np.array([first, last], dtype="datetime64[ns]"), len(ids)),
            "distance_km": 0.0,
            "duration_min": 0.0,
        }
    )
    return pd.concat([window, anchors], ignore_index=True)


def load_values(
    activities: pd.DataFrame,
    index_date: Any,
    predictors: Sequence[str] = LOAD_PREDICTORS,
    runner_ids: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The load ``predictors`` of every runner of ``activities`` before ``index_date``.

    Returns one row per runner (``runner_id`` and the predictors; NaN where a value cannot be
    derived: no shoe ids, no week-to-week change, a 0-km chronic window).
    """
    from lbprun.workload.acwr import acwr
    from lbprun.workload.shoes import shoe_mileage
    from lbprun.workload.spikes import load_spikes

    day = index_day(index_date)
    runs = _runs_before(activities, day)
    ids = sorted(set(runs["runner_id"])) if runner_ids is None else list(runner_ids)
    out = pd.DataFrame({"runner_id": pd.Series(ids, dtype=object)})
    if not ids:
        return out
    week_start = _WEEKDAYS[day.weekday()]
    last = day - pd.Timedelta(days=1)
    if "weekly_km" in predictors or "max_weekly_increase_pct" in predictors:
        grid = _anchored(runs, ids, day - pd.Timedelta(days=WINDOW_DAYS + 7), last)
        weeks = load_spikes(grid, week_start=week_start)
        weeks = weeks[weeks["week_start"] >= day - pd.Timedelta(days=WINDOW_DAYS)]
        by = weeks.groupby("runner_id", sort=False)
        if "weekly_km" in predictors:
            out["weekly_km"] = out["runner_id"].map(by["distance_km"].sum() / 4.0).astype(float)
        if "max_weekly_increase_pct" in predictors:
            peak = by["progression_pct"].max()
            out["max_weekly_increase_pct"] = out["runner_id"].map(peak).astype(float)
    if "acwr" in predictors:
        grid = _anchored(runs, ids, day - pd.Timedelta(days=WINDOW_DAYS), last)
        daily = acwr(
            grid, acute=7, chronic=WINDOW_DAYS, method="rolling", coupled=False, progress=False
        )
        final = daily[daily["date"] == last].set_index("runner_id")["acwr"]
        out["acwr"] = out["runner_id"].map(final).astype(float)
    if "shoe_km" in predictors:
        values = pd.Series(np.nan, index=out.index)
        if "shoe_id" in runs.columns:
            shod = runs[runs["shoe_id"].notna() & runs["runner_id"].isin(ids)]
            if len(shod):
                miles = shoe_mileage(shod.reset_index(drop=True), limit_km=800)
                order = miles.sort_values("date", kind="stable")
                final = order.groupby("runner_id", sort=False)["shoe_km"].last()
                values = out["runner_id"].map(final)
        out["shoe_km"] = values.astype(float)
    return out


def with_load_predictors(
    model: Any, runner: Any, activities: pd.DataFrame, index_date: Any
) -> pd.DataFrame:
    """``runner`` (as a DataFrame) with the model's load predictors derived from the log.

    A runner without ``runner_id`` takes every run of a log that holds a single runner.

    Raises
    ------
    lbprun._checks.ArgumentError
        No ``index_date``; a runner giving a load predictor that the log also supplies; a
        runner without runs in the log; a log of several runners for a runner without
        ``runner_id``.
    """
    from lbprun.clinic._inputs import as_frame

    if index_date is None:
        raise ArgumentError("index_date must be given with activities; got None.")
    if not isinstance(activities, pd.DataFrame):
        raise ArgumentError(
            f"activities must be a pandas DataFrame; got {type(activities).__name__}."
        )
    frame = as_frame(runner).copy()
    wanted = [p for p in LOAD_PREDICTORS if p in model.predictors]
    given = [p for p in wanted if p in frame.columns and frame[p].notna().any()]
    if given:
        raise ArgumentError(
            f"runner must not give {given!r} when activities are scored: they are derived "
            "from the log."
        )
    if not wanted:
        return frame
    check_columns(activities, ["runner_id"], name="activities")
    if "runner_id" in frame.columns:
        ids = frame["runner_id"].astype(str).tolist()
    else:
        logged = pd.unique(activities["runner_id"].astype(str))
        if len(logged) != 1 or len(frame) != 1:
            raise ArgumentError(
                "runner must give runner_id when activities hold several runners; got "
                f"{len(logged)} runners in the log."
            )
        ids = [str(logged[0])]
    known = set(_runs_before(activities, index_day(index_date))["runner_id"])
    missing = [i for i in ids if i not in known]
    if missing:
        raise ArgumentError(
            "activities must hold runs before the index date of every runner scored; got none "
            f"for {missing!r}."
        )
    values = load_values(activities, index_date, wanted, runner_ids=sorted(set(ids)))
    values = values.set_index("runner_id")
    for p in wanted:
        frame[p] = values.loc[ids, p].to_numpy(dtype=float)
    return frame
