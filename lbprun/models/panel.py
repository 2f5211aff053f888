"""The runner x calendar-week at-risk table that repeated-measures models are fitted to.

:func:`runner_week_panel` turns a cohort, its training log and its LBP episodes into one row per
runner and follow-up week at risk, with the previous weeks' distance and progression; fit it
with :func:`lbprun.models.gee.fit_gee`.

Examples
--------
>>> from lbprun.datasets import (load_example_activities, load_example_cohort,
...                              load_example_episodes)
>>> panel = runner_week_panel(load_example_cohort(), load_example_activities(),
...                           episodes=load_example_episodes())
>>> panel.columns[:4].tolist()
['runner_id', 'week_start', 'week_index', 'days_followed']
>>> panel["prev_spike_class"].cat.categories.tolist()
['<=10%', '10-30%', '>30%']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_columns

__all__ = ["SPIKE_CLASSES", "runner_week_panel"]

#: Classes of the previous week's progression (Nielsen et al. 2014), as in ``load_spikes``.
SPIKE_CLASSES = ("<=10%", "10-30%", ">30%")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_LEAD_WEEKS = 4


def _dates(frame: pd.DataFrame, column: str, name: str, *, required: bool) -> pd.Series:
    values = pd.to_datetime(frame[column], errors="coerce")
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_localize(None)
    values = values.dt.normalize().reset_index(drop=True)
    bad = values.isna() & (frame[column].notna().to_numpy() | required)
    if bad.any():
        first = frame[column].to_numpy()[np.flatnonzero(bad.to_numpy())[0]]
        raise ArgumentError(f"{name}[{column!r}] must hold valid dates; got {first!r}.")
    return values


def _episode_table(
    cohort: pd.DataFrame, keys: pd.Series, episodes: pd.DataFrame | None
) -> pd.DataFrame:
    if episodes is None:
        onset = _dates(cohort, "lbp_onset_date", "cohort", required=False)
        frame = pd.DataFrame({"key": keys, "onset": onset, "recovery": pd.NaT})
        return frame[frame["onset"].notna()]
    check_columns(episodes, ["runner_id", "onset_date", "recovery_date"], name="episodes")
    frame = pd.DataFrame(
        {
            "key": episodes["runner_id"].astype(str).to_numpy(),
            "onset": _dates(episodes, "onset_date", "episodes", required=True),
            "recovery": _dates(episodes, "recovery_date", "episodes", required=False),
        }
    )
    bad = frame["recovery"] < frame["onset"]
    if bad.any():
        row = frame[bad].iloc[0]
        raise ArgumentError(
            "episodes['recovery_date'] must not be before onset_date; got "
            f"{row['recovery'].date()} < {row['onset'].date()} for runner {row['key']!r}."
        )
    return frame


def runner_week_panel(
    cohort: pd.DataFrame,
    activities: pd.DataFrame,
    *,
    episodes: pd.DataFrame | None = None,
    week_start: str = "monday",
) -> pd.DataFrame:
    """Build the runner x calendar-week at-risk table for repeated-measures models.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per runner: ``runner_id, start_date, end_date`` (follow-up), and
        ``lbp_onset_date`` when ``episodes`` is None; other columns (sex, bmi, prior_lbp, ...)
        are copied onto every week of the runner.
    activities : pandas.DataFrame
        One row per run: ``runner_id, date, distance_km`` (``duration_min`` optional); see
        :func:`lbprun.workload.weekly.weekly_load`.
    episodes : pandas.DataFrame or None, default=None
        ``runner_id, onset_date, recovery_date`` (empty when unresolved) of every LBP episode:
        recurrent episodes count, and a runner is back at risk from the first week that starts
        after recovery. None uses ``cohort["lbp_onset_date"]``: a runner leaves the at-risk set
        after the week of the first onset.
    week_start : str, default="monday"
        First day of the calendar week.

    Returns
    -------
    pandas.DataFrame
        One row per runner and follow-up week at risk, sorted by runner and week:
        ``runner_id, week_start, week_index`` (0 = the week holding ``start_date``),
        ``days_followed`` (days of the week inside follow-up, 1-7), ``distance_km`` (this
        week), ``prev_distance_km``, ``prev_change_pct`` (week t-1 versus week t-2, %),
        ``prev_spike_class`` (ordered categorical ``<=10%, 10-30%, >30%``),
        ``prev_4wk_mean_km`` (mean of weeks t-4..t-1), ``previous_episodes`` (onsets during
        follow-up before the week), ``new_episode`` (1 when an episode starts in the week),
        then the other cohort columns.

    Raises
    ------
    lbprun._checks.ArgumentError
        Missing columns (with the closest name), invalid dates, ``end_date`` before
        ``start_date``, duplicated runners, a recovery before its onset, a bad ``week_start``.

    Notes
    -----
    Weekly distance comes from :func:`lbprun.workload.weekly.weekly_load` (rest weeks are
    0 km). Follow-up weeks without runs are 0 km; weeks before follow-up count only when the
    log covers them, else they are missing, so the first weeks may lack a previous change.
    ``prev_change_pct = 100 (km_{t-1} - km_{t-2}) / km_{t-2}`` (missing when
    :math:`km_{t-2} = 0`), classed as :func:`lbprun.workload.spikes.load_spikes` does
    (:math:`\\le 10`, :math:`(10, 30]`, :math:`> 30`). A week is at risk when it starts (or
    follow-up starts within it) outside an episode; weeks that start inside an ongoing episode
    are left out. This is the at-risk definition of :func:`lbprun.simulate.simulate_cohort`.
    ``distance_km`` of the week itself is partly after an onset and should not be used as a
    predictor of that onset; the ``prev_*`` columns describe completed weeks only.

    Examples
    --------
    >>> import pandas as pd
    >>> cohort = pd.DataFrame({"runner_id": ["a"], "start_date": ["2024-01-15"],
    ...                        "end_date": ["2024-02-04"], "lbp_onset_date": ["2024-01-24"]})
    >>> runs = pd.DataFrame({"runner_id": "a", "date": pd.to_datetime(
    ...     ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"]),
    ...     "distance_km": [10.0, 15.0, 20.0, 5.0]})
    >>> panel = runner_week_panel(cohort, runs)
    >>> panel[["week_index", "prev_distance_km", "prev_change_pct", "new_episode"]]
       week_index  prev_distance_km  prev_change_pct  new_episode
    0           0              15.0        50.000000            0
    1           1              20.0        33.333333            1
    """
    from lbprun.workload.weekly import weekly_load

    if not isinstance(week_start, str):
        raise ArgumentError(f"week_start must be a weekday name; got {week_start!r}.")
    weekday = _WEEKDAYS.index(check_choice("week_start", week_start.lower(), _WEEKDAYS))
    check_columns(cohort, ["runner_id", "start_date", "end_date"], name="cohort")
    if episodes is None:
        check_columns(cohort, ["lbp_onset_date"], name="cohort")
    check_columns(activities, ["runner_id", "distance_km"], name="activities")
    cohort = cohort.reset_index(drop=True)
    keys = cohort["runner_id"].astype(str)
    if keys.duplicated().any():
        raise ArgumentError(
            "cohort['runner_id'] must be unique; got duplicates such as "
            f"{keys[keys.duplicated()].iloc[0]!r}."
        )
    start = _dates(cohort, "start_date", "cohort", required=True)
    end = _dates(cohort, "end_date", "cohort", required=True)
    if (end < start).any():
        i = int(np.flatnonzero((end < start).to_numpy())[0])
        raise ArgumentError(
            f"cohort['end_date'] must not be before start_date; got {end[i].date()} < "
            f"{start[i].date()} for runner {keys[i]!r}."
        )
    ep = _episode_table(cohort, keys, episodes)

    runs = activities if "duration_min" in activities else activities.assign(duration_min=0.0)
    weekly = weekly_load(runs, week_start=week_start)
    weekly = pd.DataFrame(
        {
            "key": weekly["runner_id"].astype(str).to_numpy(),
            "ws": weekly["week_start"].to_numpy(),
            "km": weekly["distance_km"].to_numpy(dtype=float),
        }
    )
    first = start - pd.to_timedelta((start.dt.day_of_week - weekday) % 7, unit="D")
    last = end - pd.to_timedelta((end.dt.day_of_week - weekday) % 7, unit="D")
    n_weeks = ((last - first).dt.days // 7 + 1).to_numpy() + _LEAD_WEEKS
    runner = np.repeat(np.arange(len(cohort)), n_weeks)
    local = np.arange(runner.size) - np.repeat(np.cumsum(n_weeks) - n_weeks, n_weeks)
    k = local - _LEAD_WEEKS
    ws = first.to_numpy()[runner] + (7 * k).astype("timedelta64[D]")
    grid = pd.DataFrame({"key": keys.to_numpy()[runner], "ws": ws})
    km = grid.merge(weekly, on=["key", "ws"], how="left")["km"].to_numpy()
    km = np.where((k >= 0) & np.isnan(km), 0.0, km)

    def lag(values: np.ndarray, by: int) -> np.ndarray:
        out = np.full(values.size, np.nan)
        out[by:] = values[:-by]
        out[local < by] = np.nan
        return out

    prev, prev2 = lag(km, 1), lag(km, 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(prev2 > 0, 100.0 * (prev - prev2) / prev2, np.nan)
    codes = np.select([pct <= 10, pct <= 30, pct > 30], [0, 1, 2], default=-1)
    mean4 = sum(lag(km, j) for j in range(1, 5)) / 4.0

    follow = k >= 0
    eff_start = np.maximum(ws, start.to_numpy()[runner])
    week_end = ws + np.timedelta64(7, "D")
    rows = pd.DataFrame({"row": np.flatnonzero(follow), "key": grid["key"].to_numpy()[follow]})
    pairs = rows.merge(ep, on="key", how="inner")
    r = pairs["row"].to_numpy()
    onset, recovery = pairs["onset"].to_numpy(), pairs["recovery"].to_numpy()
    before = onset < eff_start[r]
    ongoing = before & (pd.isna(recovery) | (recovery > eff_start[r]))
    new = (onset >= eff_start[r]) & (onset < week_end[r]) & (onset <= end.to_numpy()[runner[r]])
    earlier = before & (onset >= start.to_numpy()[runner[r]])
    size = runner.size
    in_episode = np.bincount(r, weights=ongoing, minlength=size) > 0
    new_episode = (np.bincount(r, weights=new, minlength=size) > 0).astype(np.int64)
    previous = np.bincount(r, weights=earlier, minlength=size).astype(np.int64)
    followed_end = np.minimum(week_end, end.to_numpy()[runner] + np.timedelta64(1, "D"))
    days = (followed_end - eff_start) // np.timedelta64(1, "D")
    keep = follow & ~in_episode & (days > 0)

    extra = [c for c in cohort.columns if c not in ("start_date", "end_date", "lbp_onset_date")]
    out = cohort[extra].take(runner[keep]).reset_index(drop=True)
    panel = pd.DataFrame(
        {
            "week_start": ws[keep],
            "week_index": k[keep],
            "days_followed": days[keep].astype(np.int64),
            "distance_km": km[keep],
            "prev_distance_km": prev[keep],
            "prev_change_pct": pct[keep],
            "prev_spike_class": pd.Categorical.from_codes(
                codes[keep], categories=list(SPIKE_CLASSES), ordered=True
            ),
            "prev_4wk_mean_km": mean4[keep],
            "previous_episodes": previous[keep],
            "new_episode": new_episode[keep],
        }
    )
    return pd.concat([out[["runner_id"]], panel, out.drop(columns="runner_id")], axis=1)
