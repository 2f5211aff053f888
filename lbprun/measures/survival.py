"""Kaplan–Meier cumulative incidence of LBP, and the follow-up time it rests on.

:func:`kaplan_meier` estimates the cumulative incidence ``1 - S(t)`` of a first LBP onset with
Greenwood intervals, overall and by group, in a table at chosen times and as the full step
curve. This module also holds the cohort checks and the at-risk periods shared with
:mod:`lbprun.measures.incidence`.

Time is counted in whole days at risk: a runner with an onset has ``onset - start_date`` days
(the days strictly before onset, so an onset on ``start_date`` gives time 0), a censored runner
``end_date - start_date + 1`` days (every day of follow-up, both ends included).

Examples
--------
>>> import pandas as pd
>>> cohort = pd.DataFrame({"start_date": "2025-01-01", "end_date": "2025-01-31",
...     "lbp_onset_date": ["2025-01-05", "2025-01-11", None, None]})
>>> kaplan_meier(cohort, times=[5, 31]).table[["time_days", "n_risk", "n_event", "estimate"]]
   time_days  n_risk  n_event  estimate
0          5       3        1      0.25
1         31       2        1      0.50
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun._result import Result
from lbprun.exceptions import DataQualityWarning, DataValidationError

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["CONF_TYPES", "KaplanMeierResult", "kaplan_meier"]

#: Transforms of the Greenwood interval (spelled as R ``survfit(conf.type=)``).
CONF_TYPES = ("log", "log-log", "plain")
_ALL = "all"
_COLUMNS = (
    "by group time_days n_risk n_event n_censor estimate std_error ci_low ci_high conf_type level"
).split()


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class KaplanMeierResult(Result):
    """Kaplan–Meier cumulative incidence of a first onset, overall and by group.

    Parameters
    ----------
    table : pandas.DataFrame
        The estimates at the requested times (at every event time when none were given):
        ``by, group, time_days, n_risk, n_event, n_censor, estimate, std_error, ci_low,
        ci_high, conf_type, level``. ``estimate = 1 - S(t)``; ``n_risk`` counts runners with
        time ``>= t``; ``n_event`` and ``n_censor`` count since the previous requested time
        (as R ``summary(survfit, times=)``); ``std_error`` is Greenwood's standard error of
        ``S(t)`` (equal to that of ``1 - S(t)``).
    curve : pandas.DataFrame
        The full step function, same columns, one row per distinct time of each group.
    notes : tuple of str
        Times beyond follow-up, a survival of zero (no interval).
    onset : str
        The onset column.
    by : tuple of str
        Grouping columns (crossed), empty for none.
    conf_type : str
        ``"log"``, ``"log-log"`` or ``"plain"``.
    level : float
        Confidence level.
    times : tuple of float or None
        The requested times.
    """

    curve: pd.DataFrame
    onset: str
    by: tuple[str, ...] = ()
    conf_type: str
    level: float
    times: tuple[float, ...] | None = None

    def _title(self) -> str:
        return f"Kaplan-Meier cumulative incidence of {self.onset} ({self.conf_type} interval)"

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw the cumulative-incidence curves with an at-risk table below.

        See :func:`lbprun.plots.survival.plot_cumulative_incidence` (``kwargs`` pass through).
        """
        from lbprun.plots.survival import plot_cumulative_incidence

        return plot_cumulative_incidence(self, ax=ax, **kwargs)


# ---------------------------------------------------------------------------------------------
# Cohort checks, follow-up time and at-risk periods (shared with lbprun.measures.incidence)


def by_columns(by: str | Sequence[str] | None) -> tuple[str, ...]:
    """Return ``by`` as a tuple of column names."""
    if by is None:
        return ()
    if isinstance(by, str):
        return (by,)
    return tuple(by)


def day_numbers(frame: pd.DataFrame, column: str, table: str) -> np.ndarray:
    """Return a date column as float day numbers (NaN when missing); raise on unreadable dates."""
    series = frame[column]
    if not pd.api.types.is_datetime64_any_dtype(series.dtype):
        text = series.astype("string").str.strip()
        blank = text.isna() | (text == "")
        parsed = pd.to_datetime(text.mask(blank), errors="coerce", format="ISO8601")
        if (parsed.isna() & ~blank).any():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                parsed = pd.to_datetime(text.mask(blank), errors="coerce")
        message = f"not a date (use ISO dates such as 2025-01-31, or lbprun.io.read.read_{table})"
        check_rows(frame, (parsed.isna() & ~blank).to_numpy(), column, "date", message, table)
        series = parsed
    if getattr(series.dt, "tz", None) is not None:
        series = series.dt.tz_localize(None)
    values = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    days = values.astype(np.int64).astype(float)
    days[np.isnat(values)] = np.nan
    return days


def check_rows(
    frame: pd.DataFrame, bad: np.ndarray, column: str, check: str, message: str, table: str
) -> None:
    """Raise one DataValidationError listing the rows where ``bad`` is True (if any)."""
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    values = frame[column].to_numpy()[rows]
    ids = frame["runner_id"].to_numpy()[rows] if "runner_id" in frame.columns else None
    cases = pd.DataFrame(
        {
            "source": table,
            "row": rows,
            "runner_id": ids,
            "column": column,
            "check": check,
            "value": values,
            "message": message,
        }
    )
    labels = [f"row {r}" for r in rows[:5]]
    if ids is not None:
        labels = [f"{label} (runner {i!r})" for label, i in zip(labels, ids[:5], strict=True)]
    shown = "; ".join(
        f"{label}: {v!r}" for label, v in zip(labels, cases["value"][:5], strict=True)
    )
    raise DataValidationError(
        f"{table}: {len(rows)} row{'s' if len(rows) > 1 else ''} fail {column} ({check}): "
        f"{message}. First: {shown}.",
        cases,
    )


def prepare_cohort(
    cohort: pd.DataFrame, *, onset: str, by: tuple[str, ...], need_id: bool = False
) -> dict[str, Any]:
    """Check a cohort and return day numbers, events, days at risk and group codes.

    Returns a dict with ``start, end, onset`` (float day numbers), ``event`` (bool),
    ``time`` (days at risk: onset - start, or end - start + 1 when censored), ``codes``
    (int group codes, -1 when a ``by`` value is missing), ``labels`` and ``notes``.
    """
    needed = ["start_date", "end_date", onset, *by] + (["runner_id"] if need_id else [])
    check_columns(cohort, needed, name="cohort")
    if len(cohort) == 0:
        raise ArgumentError("cohort must have at least one runner; got an empty table.")
    start = day_numbers(cohort, "start_date", "cohort")
    end = day_numbers(cohort, "end_date", "cohort")
    first = day_numbers(cohort, onset, "cohort")
    event = ~np.isnan(first)
    checks = [
        (np.isnan(start), "start_date", "not_null", "missing date"),
        (np.isnan(end), "end_date", "not_null", "missing date"),
        (end < start, "end_date", "end_after_start", "end_date is before start_date"),
        (
            event & ((first < start) | (first > end)),
            onset,
            "within_follow_up",
            f"{onset} lies outside [start_date, end_date]",
        ),
    ]
    if need_id:
        duplicated = cohort["runner_id"].duplicated().to_numpy()
        checks.append((duplicated, "runner_id", "unique", "runner_id is duplicated"))
    for bad, column, check, message in checks:
        check_rows(cohort, bad, column, check, message, "cohort")
    time = np.where(event, first - start, end - start + 1.0)
    codes, labels = group_codes(cohort, by)
    notes = []
    if by and (codes < 0).any():
        notes.append(
            f"{int((codes < 0).sum())} runners with a missing {', '.join(by)} are in the "
            "overall row only."
        )
    return {
        "start": start,
        "end": end,
        "onset": first,
        "event": event,
        "time": time,
        "codes": codes,
        "labels": labels,
        "notes": notes,
    }


def group_codes(data: pd.DataFrame, by: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Integer group codes (-1 for a missing level) and their labels, levels sorted."""
    if not by:
        return np.zeros(len(data), dtype=np.int64), []
    if len(by) == 1:
        codes, uniques = pd.factorize(data[by[0]], sort=True)
        return codes.astype(np.int64), [str(u) for u in uniques]
    grouped = data.groupby(list(by), sort=True, observed=True, dropna=True)
    codes = grouped.ngroup().to_numpy(dtype=float)
    codes = np.where(np.isnan(codes), -1, codes).astype(np.int64)
    present, first = np.unique(codes, return_index=True)
    first = first[present >= 0]
    labels = [", ".join(str(data[c].iloc[i]) for c in by) for i in first]
    codes = np.searchsorted(present[present >= 0], codes).astype(np.int64)
    codes[np.asarray(grouped.ngroup().isna())] = -1
    return codes, labels


def group_rows(by: tuple[str, ...], labels: list[str]) -> list[tuple[str, str, int]]:
    """``(by, group, code)`` of the overall row (code -2) and of each group."""
    by_label = ", ".join(by)
    return [(_ALL, _ALL, -2)] + [(by_label, label, i) for i, label in enumerate(labels)]


def member_mask(codes: np.ndarray, code: int) -> np.ndarray:
    return np.ones(codes.size, dtype=bool) if code == -2 else codes == code


def warn_note(notes: list[str], message: str, category: type[Warning]) -> None:
    notes.append(message)
    warnings.warn(message, category, stacklevel=3)


def as_text(values: pd.Series) -> pd.Index:
    return pd.Index(values.astype("string").astype(object))


def risk_intervals(
    prep: dict[str, Any], ids: pd.Index, episodes: pd.DataFrame | None, notes: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """At-risk intervals ``[lo, hi)`` in day numbers, their runner and events per runner."""
    n = len(ids)
    start, stop = prep["start"], prep["end"] + 1.0
    if episodes is None:
        runner = np.arange(n)
        hi = np.where(prep["event"], prep["onset"], stop)
        return runner, start, hi, prep["event"].astype(np.int64)
    check_columns(episodes, ["runner_id", "onset_date", "recovery_date"], name="episodes")
    on = day_numbers(episodes, "onset_date", "episodes")
    rec = day_numbers(episodes, "recovery_date", "episodes")
    check_rows(episodes, np.isnan(on), "onset_date", "not_null", "missing date", "episodes")
    idx = ids.get_indexer(as_text(episodes["runner_id"]))
    unknown = idx < 0
    if unknown.any():
        warn_note(
            notes,
            f"{int(unknown.sum())} episodes of {episodes.loc[unknown, 'runner_id'].nunique()} "
            "runners absent from the cohort were ignored.",
            DataQualityWarning,
        )
    keep = np.flatnonzero(~unknown)
    checks = (
        (rec < on, "recovery_date", "recovery_after_onset", "recovery_date is before onset_date"),
        (
            (on < start[np.maximum(idx, 0)]) | (on > prep["end"][np.maximum(idx, 0)]),
            "onset_date",
            "within_follow_up",
            "episode onset lies outside the runner's [start_date, end_date]",
        ),
    )
    for bad, column, check, message in checks:
        check_rows(episodes, bad & ~unknown, column, check, message, "episodes")
    order = keep[np.lexsort((on[keep], idx[keep]))]
    r, o, v = idx[order], on[order], rec[order]
    first = np.ones(r.size, dtype=bool)
    first[1:] = r[1:] != r[:-1]
    prev_rec = np.concatenate([[np.nan], v[:-1]])
    overlap = ~first & (np.isnan(prev_rec) | (o < prev_rec))
    overlapping = np.zeros(len(episodes), dtype=bool)
    overlapping[order[overlap]] = True
    message = "episode starts before the previous episode of the runner has recovered"
    check_rows(episodes, overlapping, "onset_date", "no_overlap", message, "episodes")
    last = np.ones(r.size, dtype=bool)
    last[:-1] = r[1:] != r[:-1]
    lo_ep = np.where(first, start[r], prev_rec)
    resumed = last & ~np.isnan(v)
    none = np.setdiff1d(np.arange(n), r)
    runner = np.concatenate([r, r[resumed], none])
    lo = np.concatenate([lo_ep, v[resumed], start[none]])
    hi = np.concatenate([o, stop[r[resumed]], stop[none]])
    hi = np.minimum(hi, stop[runner])
    lo = np.minimum(lo, hi)  # a recovery after end_date leaves an empty interval
    events = np.bincount(r, minlength=n).astype(np.int64)
    cohort_first = prep["onset"][r[first]]
    mismatch = int((cohort_first != o[first]).sum())
    if mismatch:
        notes.append(
            f"{mismatch} runners have a first episode onset different from the cohort's onset "
            "column; the episodes were used."
        )
    return runner, lo, hi, events


# ---------------------------------------------------------------------------------------------
# Kaplan–Meier


def km_steps(time: np.ndarray, event: np.ndarray) -> dict[str, np.ndarray]:
    """Kaplan–Meier step function at the distinct times: counts, S(t) and Greenwood sums."""
    t, inverse = np.unique(time, return_inverse=True)
    d = np.bincount(inverse, weights=event.astype(float), minlength=t.size)
    total = np.bincount(inverse, minlength=t.size).astype(float)
    n_risk = time.size - np.concatenate([[0.0], np.cumsum(total)[:-1]])
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n_risk)
        term = np.where(d > 0, d / (n_risk * (n_risk - d)), 0.0)
    return {
        "time": t,
        "n_risk": n_risk,
        "n_event": d,
        "n_censor": total - d,
        "surv": surv,
        "greenwood": np.cumsum(term),
    }


def km_bounds(
    surv: np.ndarray, greenwood: np.ndarray, conf_type: str, level: float
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of S(t) (NaN where S(t) = 0)."""
    z = special.ndtri(0.5 + level / 2.0)
    sigma = np.sqrt(greenwood)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log":
            low, high = surv * np.exp(-z * sigma), np.minimum(surv * np.exp(z * sigma), 1.0)
        elif conf_type == "log-log":
            log_s = np.log(surv)
            theta, se = np.log(-log_s), sigma / np.abs(log_s)
            low, high = np.exp(-np.exp(theta + z * se)), np.exp(-np.exp(theta - z * se))
        else:
            half = z * surv * sigma
            low, high = np.maximum(surv - half, 0.0), np.minimum(surv + half, 1.0)
    flat = sigma == 0
    low, high = np.where(flat, surv, low), np.where(flat, surv, high)
    dead = surv <= 0
    return np.where(dead, np.nan, low), np.where(dead, np.nan, high)


def _std_error(surv: np.ndarray, greenwood: np.ndarray) -> np.ndarray:
    """Greenwood standard error of S(t), NaN where S(t) = 0."""
    with np.errstate(invalid="ignore"):
        return np.where(surv > 0, surv * np.sqrt(greenwood), np.nan)


def _km_group(
    time: np.ndarray, event: np.ndarray, times: np.ndarray | None, conf_type: str, level: float
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Curve and table columns of one group."""
    steps = km_steps(time, event)
    low, high = km_bounds(steps["surv"], steps["greenwood"], conf_type, level)
    curve = {
        "time_days": steps["time"],
        "n_risk": steps["n_risk"],
        "n_event": steps["n_event"],
        "n_censor": steps["n_censor"],
        "estimate": 1.0 - steps["surv"],
        "std_error": _std_error(steps["surv"], steps["greenwood"]),
        "ci_low": 1.0 - high,
        "ci_high": 1.0 - low,
    }
    if times is None:
        keep = steps["n_event"] > 0
        return curve, {k: v[keep] for k, v in curve.items()}
    ordered = np.sort(time)
    event_times, censor_times = np.sort(time[event]), np.sort(time[~event])
    cum_d = np.searchsorted(event_times, times, side="right").astype(float)
    cum_c = np.searchsorted(censor_times, times, side="right").astype(float)
    at = np.searchsorted(steps["time"], times, side="right") - 1
    before = at < 0
    pick = np.maximum(at, 0)
    surv = np.where(before, 1.0, steps["surv"][pick])
    greenwood = np.where(before, 0.0, steps["greenwood"][pick])
    low, high = km_bounds(surv, greenwood, conf_type, level)
    beyond = times > ordered[-1]
    table = {
        "time_days": times,
        "n_risk": time.size - np.searchsorted(ordered, times, side="left").astype(float),
        "n_event": np.diff(cum_d, prepend=0.0),
        "n_censor": np.diff(cum_c, prepend=0.0),
        "estimate": np.where(beyond, np.nan, 1.0 - surv),
        "std_error": np.where(beyond, np.nan, _std_error(surv, greenwood)),
        "ci_low": np.where(beyond, np.nan, 1.0 - high),
        "ci_high": np.where(beyond, np.nan, 1.0 - low),
    }
    return curve, table


def _check_times(times: Any) -> np.ndarray | None:
    if times is None:
        return None
    try:
        values = np.atleast_1d(np.asarray(times, dtype=float))
    except (TypeError, ValueError):
        raise ArgumentError(f"times must be numbers of days; got {times!r}.") from None
    if values.ndim != 1 or values.size == 0 or (~np.isfinite(values) | (values < 0)).any():
        raise ArgumentError(f"times must be finite non-negative days; got {times!r}.")
    return np.sort(np.unique(values))


def kaplan_meier(
    cohort: pd.DataFrame,
    *,
    onset: str = "lbp_onset_date",
    by: str | Sequence[str] | None = None,
    times: Sequence[float] | None = None,
    conf_type: str = "log",
    level: float = 0.95,
) -> KaplanMeierResult:
    """Estimate the Kaplan–Meier cumulative incidence of a first LBP onset, with intervals.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per runner with ``start_date, end_date`` and the onset column (dates or date
        strings; a missing onset means censored at ``end_date``).
    onset : str, default="lbp_onset_date"
        Column with the date of the first onset.
    by : str or list of str, optional
        Grouping column(s); one curve per group (several columns are crossed) besides the
        overall curve.
    times : sequence of float, optional
        Days at which to tabulate the estimates; every event time when None.
    conf_type : {"log", "log-log", "plain"}, default="log"
        Transform of S(t) for the Greenwood interval (R ``survfit`` default ``"log"``).
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    KaplanMeierResult
        ``table`` at ``times`` and ``curve`` (the full step function); see the class.

    Raises
    ------
    lbprun._checks.ArgumentError
        An unknown column (the closest name is suggested), conf_type, level or negative times.
    lbprun.exceptions.DataValidationError
        Unreadable or missing follow-up dates, ``end_date`` before ``start_date``, an onset
        outside ``[start_date, end_date]``.

    Notes
    -----
    With :math:`d_j` onsets among :math:`n_j` runners at risk at the distinct times
    :math:`t_j`, :math:`\\hat S(t) = \\prod_{t_j \\le t} (1 - d_j / n_j)` and Greenwood's
    :math:`\\sigma^2(t) = \\sum_{t_j \\le t} d_j / (n_j (n_j - d_j))` (the variance of
    :math:`\\log \\hat S`). Intervals on S, with :math:`z = \\Phi^{-1}((1 + level) / 2)`:
    log :math:`\\hat S e^{\\pm z \\sigma}` (upper bound capped at 1); log-log
    :math:`\\exp(-\\exp(\\log(-\\log \\hat S) \\pm z\\sigma / |\\log \\hat S|))`; plain
    :math:`\\hat S (1 \\pm z\\sigma)` clipped to [0, 1]. The cumulative incidence is
    :math:`1 - \\hat S` with bounds :math:`1 - S_{upper}` and :math:`1 - S_{lower}`. Before
    the first event the interval is the point :math:`[0, 0]` (R gives NA for log-log there);
    where :math:`\\hat S = 0` it is NaN. Times beyond a group's last follow-up give NaN.
    Validated against R ``survival::survfit`` (1e-6) and lifelines ``KaplanMeierFitter``.

    Examples
    --------
    >>> import pandas as pd
    >>> cohort = pd.DataFrame({"start_date": "2025-01-01", "end_date": "2025-12-31",
    ...     "lbp_onset_date": ["2025-02-01", "2025-06-01", None, None, None]})
    >>> km = kaplan_meier(cohort, times=[100, 365])
    >>> km.table[["time_days", "estimate", "ci_low", "ci_high"]].round(4)
       time_days  estimate  ci_low  ci_high
    0        100       0.2     0.0   0.4839
    1        365       0.4     0.0   0.7067
    """
    conf_type = check_choice("conf_type", conf_type, CONF_TYPES)
    level = check_level(level)
    grid = _check_times(times)
    by_cols = by_columns(by)
    prep = prepare_cohort(cohort, onset=onset, by=by_cols)
    notes = list(prep["notes"])
    curves, tables = [], []
    for by_label, group, code in group_rows(by_cols, prep["labels"]):
        member = member_mask(prep["codes"], code)
        curve, table = _km_group(
            prep["time"][member], prep["event"][member], grid, conf_type, level
        )
        size = curve["time_days"].size, table["time_days"].size
        curves.append(({"by": [by_label] * size[0], "group": [group] * size[0]}, curve))
        tables.append(({"by": [by_label] * size[1], "group": [group] * size[1]}, table))
        if grid is not None and (grid > prep["time"][member].max()).any():
            notes.append(
                f"group {group!r}: times after the last follow-up "
                f"({prep['time'][member].max():g} days) have no estimate (NaN)."
            )
        if (1.0 - curve["estimate"] <= 0).any():
            notes.append(f"group {group!r}: S(t) reaches 0; no interval from there on.")

    def finish(parts: list[tuple[dict[str, list[str]], dict[str, np.ndarray]]]) -> pd.DataFrame:
        out: dict[str, Any] = {
            key: np.concatenate([part[i][key] for part in parts])
            for i, keys in enumerate((("by", "group"), _COLUMNS[2:10]))
            for key in keys
        }
        for column in ("n_risk", "n_event", "n_censor"):
            out[column] = out[column].astype(np.int64)
        if (out["time_days"] == np.round(out["time_days"])).all():
            out["time_days"] = out["time_days"].astype(np.int64)
        out["conf_type"] = np.full(out["by"].size, conf_type, dtype=object)
        out["level"] = np.full(out["by"].size, float(level))
        return pd.DataFrame(out, columns=_COLUMNS)

    return KaplanMeierResult(
        table=finish(tables),
        curve=finish(curves),
        notes=tuple(notes),
        onset=onset,
        by=by_cols,
        conf_type=conf_type,
        level=float(level),
        times=None if grid is None else tuple(float(t) for t in grid),
    )
