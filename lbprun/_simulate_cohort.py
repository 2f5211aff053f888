"""Daily training logs and recurrent LBP of a cohort of runners, vectorised over runners.

The only Python loop runs over weeks (follow-up plus a run-in); every step inside works on whole
arrays of runners (and runners x 7 days). See :func:`lbprun.simulate.simulate_cohort` for the
model in words.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lbprun._progress import track
from lbprun._simulate_runners import draw_runners, draw_surface
from lbprun.io.schema import SURFACES

__all__ = ["COHORT_TERMS", "PROCESS", "simulate_cohort_frames"]

#: Derived terms of the weekly hazard: name -> definition (week t is the week at risk).
COHORT_TERMS = {
    "spike_gt_30pct": "distance of week t-1 > 1.3 x distance of week t-2, with week t-2 > 0",
    "acwr_gt_1_5": (
        "coupled rolling ACWR at the end of week t-1 > 1.5: distance of week t-1 > 1.5 x mean "
        "weekly distance of weeks t-4..t-1 (7-day sum over 28-day mean of weekly sums)"
    ),
    "per_10km_week": "mean weekly distance of weeks t-4..t-1 / 10",
    "prior_lbp": "prior_lbp",
    "strength_training": "strength_training",
    "bmi_gt_24": "bmi > 24",
    "years_running_gt_6": "years_running > 6",
    "recurrence": "an earlier LBP episode during follow-up",
}

#: Fixed constants of the training and episode processes (reported in ``truth['process']``).
PROCESS = {
    "run_in_weeks": 4,
    "block_multipliers": (0.97, 1.08, 1.18, 0.77),
    "level_ar1": 0.97,
    "level_innovation_sd": 0.04,
    "week_noise_sd": 0.12,
    "planned_spike_probability": 0.05,
    "planned_spike_range": (1.35, 1.8),
    "break_probability": 0.02,
    "break_weeks_geometric_p": 0.5,
    "return_multipliers": (0.6, 0.8),
    "skip_day_probability": 0.10,
    "extra_day_probability": 0.03,
    "long_run_ratio": (1.6, 2.4),
    "min_run_km": 1.0,
    "max_run_km": 60.0,
    "episode_median_days": 12.0,
    "episode_log_sd": 0.8,
    "run_probability_in_episode": 0.25,
    "distance_factor_in_episode": 0.5,
    "dropout_weekly": 0.0015,
    "shoe_life_km": (500.0, 800.0),
}

_SURFACE_PACE = np.ones(len(SURFACES))
for _name, _factor in {"trail": 1.12, "sand": 1.2, "grass": 1.05, "track": 0.97}.items():
    _SURFACE_PACE[SURFACES.index(_name)] = _factor


def _weekday_preferences(rng, n, long_day, n_days):
    """Boolean (n, 7) preferred weekdays (Monday = 0) including the long-run day."""
    popularity = np.array([1.2, 1.4, 1.0, 1.4, 0.8, 0.9, 1.0])
    key = rng.random((n, 7)) ** (1.0 / popularity)
    key[np.arange(n), long_day] = 2.0
    rank = np.argsort(np.argsort(-key, axis=1), axis=1)
    return rank < n_days[:, None]


def simulate_cohort_frames(
    n: int,
    weeks: int,
    coef: dict[str, float],
    start: pd.Timestamp,
    seed: int | None,
    progress: bool | None = False,
) -> dict[str, Any]:
    """Simulate the cohort and return a dict of frames and the truth.

    ``progress`` shows a bar over the weeks drawn (run-in weeks included).
    """
    p = PROCESS
    rng = np.random.default_rng(seed)
    x = draw_runners(rng, n)
    rows = np.arange(n)
    base = x["weekly_km"]
    pace = np.exp(
        math.log(6.0)
        - 0.06 * x["male"]
        - 0.10 * x["competitive"]
        - 0.004 * (base - 30.0)
        + rng.normal(0.0, 0.10, n)
    )
    pace = np.clip(pace, 3.4, 10.0)
    n_days = np.clip(np.rint(2.2 + base / 15.0 + rng.normal(0.0, 0.7, n)), 3, 6).astype(int)
    long_abs = np.where(rng.random(n) < 0.62, 6, np.where(rng.random(n) < 0.9, 5, 2))
    pref_abs = _weekday_preferences(rng, n, long_abs, n_days)
    wd0 = start.weekday()
    rel = (wd0 + np.arange(7)) % 7
    pref = pref_abs[:, rel]
    long_day = (long_abs - wd0) % 7
    long_ratio = rng.uniform(*p["long_run_ratio"], n)  # long run versus an average other run
    long_share = long_ratio / (long_ratio + n_days - 1)
    main_surface = x["surface"]
    p_main = rng.uniform(0.6, 0.95, n)
    followed = np.minimum(weeks, rng.geometric(p["dropout_weekly"], n))
    end_day = 7 * followed - 1

    run_in = p["run_in_weeks"]
    blocks = np.asarray(p["block_multipliers"])
    level_var = p["level_innovation_sd"] ** 2 / (1.0 - p["level_ar1"] ** 2)
    low, high = p["planned_spike_range"]
    spike_mean = 1.0 + p["planned_spike_probability"] * ((low + high) / 2.0 - 1.0)
    noise_sd = p["week_noise_sd"]
    ell = rng.normal(0.0, math.sqrt(level_var), n)
    phase = rng.integers(0, 4, n)
    break_left = np.zeros(n, dtype=np.int64)
    since_break = np.full(n, 99)
    shoe_k = np.zeros(n, dtype=np.int64)
    shoe_km = rng.uniform(0.0, 400.0, n)
    shoe_life = rng.uniform(*p["shoe_life_km"], n)
    ep_on = np.full(n, -(10**9))
    ep_rec = np.full(n, -(10**9))
    had_episode = np.zeros(n, dtype=bool)
    base_lp = (
        coef["intercept"]
        + coef["prior_lbp"] * x["prior_lbp"]
        + coef["strength_training"] * x["strength_training"]
        + coef["bmi_gt_24"] * (x["bmi"] > 24)
        + coef["years_running_gt_6"] * (x["years_running"] > 6)
    )
    history = np.zeros((run_in + weeks, n))
    runs: list[tuple[np.ndarray, ...]] = []
    episodes: list[tuple[np.ndarray, ...]] = []
    day_offsets = np.arange(7)

    weeks_drawn = track(
        range(run_in + weeks), desc=f"simulate {n} runners", unit="week", enabled=progress
    )
    for w in weeks_drawn:
        t = w - run_in
        day0 = 7 * t
        if t == 0:
            shoe_k[:] = 0
        if t >= 0:
            w1, w2 = history[w - 1], history[w - 2]
            chronic = history[w - 4 : w].mean(axis=0)
            spike = (w2 > 0) & (w1 > 1.3 * w2)
            acwr = (chronic > 0) & (w1 > 1.5 * chronic)
            eta = (
                base_lp
                + coef["spike_gt_30pct"] * spike
                + coef["acwr_gt_1_5"] * acwr
                + coef["per_10km_week"] * chronic / 10.0
                + coef["recurrence"] * had_episode
            )
            hazard = -np.expm1(-np.exp(eta))
            onset = (t < followed) & (ep_rec <= day0) & (rng.random(n) < hazard)
            onset_day = rng.integers(0, 7, n)
            duration = rng.lognormal(math.log(p["episode_median_days"]), p["episode_log_sd"], n)
            idx = np.flatnonzero(onset)
            ep_on[idx] = day0 + onset_day[idx]
            ep_rec[idx] = ep_on[idx] + np.maximum(2, np.rint(duration[idx])).astype(np.int64)
            had_episode |= onset
            episodes.append((idx, ep_on[idx].copy(), ep_rec[idx].copy()))

        # planned weekly volume: level, block, spikes, breaks and returns
        start_break = (break_left == 0) & (rng.random(n) < p["break_probability"])
        break_left = np.where(
            start_break, rng.geometric(p["break_weeks_geometric_p"], n), break_left
        )
        in_break = break_left > 0
        since_break = np.where(in_break, 0, since_break + 1)
        break_left = np.maximum(break_left - 1, 0)
        ell = p["level_ar1"] * ell + rng.normal(0.0, p["level_innovation_sd"], n)
        spike_mult = np.where(
            rng.random(n) < p["planned_spike_probability"], rng.uniform(low, high, n), 1.0
        )
        noise = np.exp(rng.normal(0.0, noise_sd, n) - noise_sd**2 / 2.0)
        back = np.select([since_break == 1, since_break == 2], list(p["return_multipliers"]), 1.0)
        volume = (
            (base * np.exp(ell - level_var / 2.0) * blocks[(phase + w) % 4] * spike_mult * noise)
            * back
            / spike_mean
        )
        volume[in_break] = 0.0

        # spread the week over run days: a long run plus noisy shares
        skip = rng.random((n, 7)) < p["skip_day_probability"]
        extra = rng.random((n, 7)) < p["extra_day_probability"]
        run = (pref & ~skip) | (~pref & extra)
        has_long = run[rows, long_day]
        other = run.copy()
        other[rows, long_day] = False
        shares = np.where(other, rng.lognormal(0.0, 0.25, (n, 7)), 0.0)
        total = shares.sum(axis=1)
        rest = volume * np.where(has_long, 1.0 - long_share, 1.0) / np.where(total > 0, total, 1.0)
        dist = shares * rest[:, None]
        dist[rows, long_day] = np.where(has_long, volume * np.where(total > 0, long_share, 1.0), 0)

        # LBP episodes cut runs; dropout ends follow-up
        days = day0 + day_offsets
        in_ep = (days >= ep_on[:, None]) & (days < ep_rec[:, None])
        keep = ~in_ep | (rng.random((n, 7)) < p["run_probability_in_episode"])
        alive = days <= end_day[:, None]
        dist = np.where(in_ep, dist * p["distance_factor_in_episode"], dist)
        mask = run & keep & alive & (dist > 0)
        dist = np.clip(np.round(dist, 2), p["min_run_km"], p["max_run_km"])
        dist = np.where(mask, dist, 0.0)
        history[w] = dist.sum(axis=1)

        new_shoe = shoe_km >= shoe_life
        shoe_k += new_shoe
        shoe_km[new_shoe] = 0.0
        shoe_life[new_shoe] = rng.uniform(*p["shoe_life_km"], int(new_shoe.sum()))
        shoe_km += history[w]
        if t < 0:
            continue
        r, d = np.nonzero(mask)
        km = dist[r, d]
        surface = np.where(
            rng.random(r.size) < p_main[r],
            main_surface[r],
            draw_surface(rng, np.full(r.size, 0.5)),
        )
        run_pace = (
            pace[r]
            * np.exp(rng.normal(0.0, 0.06, r.size))
            * np.where(d == long_day[r], 1.06, 1.0)
            * _SURFACE_PACE[surface]
            * np.where(in_ep[r, d], 1.1, 1.0)
        )
        run_pace = np.clip(run_pace, 3.0, 15.0)
        runs.append(
            (
                r.astype(np.int32),
                (day0 + d).astype(np.int32),
                km,
                np.round(km * run_pace, 1),
                surface.astype(np.int8),
                shoe_k[r].astype(np.int32),
            )
        )
    return _frames(
        n,
        weeks,
        start,
        x,
        runs,
        episodes,
        end_day,
        history[run_in:],
        {
            "base_weekly_km": base,
            "pace_min_per_km": pace,
            "run_days_per_week": n_days,
            "long_run_weekday": long_abs,
            "main_surface": main_surface,
            "competitive": x["competitive"],
            "weeks_followed": followed,
        },
    )


def _frames(n, weeks, start, x, runs, episodes, end_day, weekly, latent):
    """Assemble the activities, cohort, episodes and latent-runner frames."""
    width = max(5, len(str(n)))
    ids = np.array([f"C{i:0{width}d}" for i in range(n)], dtype=object)
    origin = np.datetime64(start.date(), "D")
    parts = [np.concatenate(col) for col in zip(*runs, strict=True)]
    runs.clear()
    order = np.argsort(parts[0], kind="stable")
    for i in range(len(parts)):
        parts[i] = parts[i][order]
    del order
    r, day, km, minutes, surface, shoe = parts
    n_shoes = np.zeros(n, dtype=np.int64)
    np.maximum.at(n_shoes, r, shoe + 1)
    offsets = np.r_[0, np.cumsum(n_shoes)[:-1]]
    shoe_names = np.array(
        [f"{ids[i]}-S{k + 1}" for i in range(n) for k in range(n_shoes[i])], dtype=object
    )
    activities = pd.DataFrame(
        {
            "runner_id": pd.array(ids[r], dtype="string"),
            "date": (origin + day.astype("timedelta64[D]")).astype("datetime64[ns]"),
            "distance_km": km,
            "duration_min": minutes,
            "surface": pd.Categorical.from_codes(surface, categories=list(SURFACES)),
            "shoe_id": pd.array(shoe_names[offsets[r] + shoe], dtype="string"),
        }
    )
    ep_r, ep_on, ep_rec = (np.concatenate(col) for col in zip(*episodes, strict=True))
    order = np.lexsort((ep_on, ep_r))
    ep_r, ep_on, ep_rec = ep_r[order], ep_on[order], ep_rec[order]

    def to_date(days: np.ndarray) -> np.ndarray:
        return (origin + days.astype("timedelta64[D]")).astype("datetime64[ns]")

    recovery = pd.Series(to_date(ep_rec)).where(ep_rec <= end_day[ep_r])
    episodes_frame = pd.DataFrame(
        {
            "runner_id": pd.array(ids[ep_r], dtype="string"),
            "onset_date": to_date(ep_on),
            "recovery_date": recovery.to_numpy(),
        }
    )
    first = np.full(n, -1, dtype=np.int64)
    is_first = np.r_[True, ep_r[1:] != ep_r[:-1]] if ep_r.size else np.zeros(0, dtype=bool)
    first[ep_r[is_first]] = ep_on[is_first]
    onset = pd.Series(to_date(np.maximum(first, 0))).where(first >= 0)
    cohort = pd.DataFrame(
        {
            "runner_id": pd.array(ids, dtype="string"),
            "start_date": np.repeat(origin, n).astype("datetime64[ns]"),
            "end_date": to_date(end_day),
            "lbp_onset_date": onset.to_numpy(),
            "sex": pd.Categorical(np.where(x["male"], "M", "F"), categories=["F", "M"]),
            "age": x["age"],
            "bmi": x["bmi"],
            "years_running": x["years_running"],
            "prior_lbp": pd.array(x["prior_lbp"], dtype="boolean"),
            "strength_training": pd.array(x["strength_training"], dtype="boolean"),
        }
    )
    runners = pd.DataFrame({"runner_id": pd.array(ids, dtype="string"), **latent})
    runners["main_surface"] = pd.Categorical.from_codes(
        latent["main_surface"], categories=list(SURFACES)
    )
    observed = np.arange(weekly.shape[0])[:, None] < (end_day[None, :] + 1) // 7
    counts = {
        "runs": int(r.size),
        "runners_with_onset": int((first >= 0).sum()),
        "episodes": int(ep_r.size),
        "unresolved_episodes": int(recovery.isna().sum()),
        "weeks_observed": int(observed.sum()),
        "zero_distance_week_share": float((weekly[observed] == 0).mean()),
    }
    return {
        "activities": activities,
        "cohort": cohort,
        "episodes": episodes_frame,
        "runners": runners,
        "counts": counts,
    }
