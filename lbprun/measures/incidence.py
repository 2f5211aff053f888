"""Incidence of LBP in a cohort: cumulative incidence (risk), rates per exposure, rate ratios.

:func:`cumulative_incidence` is the proportion of runners with a first onset during follow-up;
:func:`incidence_rate` counts onsets per 1000 hours, per 1000 km or per 1000 days at risk, with
rate ratios between groups. Kaplan–Meier estimates are in :mod:`lbprun.measures.survival`.

Time at risk, in whole days: follow-up covers the dates ``start_date .. end_date`` (both
included); a runner is at risk on the dates *strictly before* onset, so an onset on
``start_date`` leaves no time at risk and a censored runner is at risk for
``end_date - start_date + 1`` days. Running exposure counts the runs on those dates.

Examples
--------
>>> import pandas as pd
>>> cohort = pd.DataFrame({"runner_id": ["a", "b", "c", "d"], "sex": ["F", "F", "M", "M"],
...     "start_date": "2025-01-01", "end_date": "2025-12-31",
...     "lbp_onset_date": ["2025-03-01", None, None, "2025-06-30"]})
>>> cumulative_incidence(cohort).table[["group", "n", "events", "estimate"]]
  group  n  events  estimate
0   all  4       2       0.5
>>> runs = pd.DataFrame({"runner_id": ["a", "a", "b", "c", "d"], "date": ["2025-01-05",
...     "2025-03-01", "2025-02-01", "2025-02-01", "2025-02-01"], "distance_km": 10.0,
...     "duration_min": [60.0, 60.0, 50.0, 55.0, 65.0]})
>>> incidence_rate(cohort, runs, per=1).table[["group", "events", "person_time", "estimate"]]
  group  events  person_time  estimate
0   all       2     3.833333  0.521739
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun.exceptions import DataQualityWarning, SparseDataWarning
from lbprun.io.provenance import reading_notes
from lbprun.measures._cohort import (
    ALL,
    as_text,
    by_columns,
    check_rows,
    day_numbers,
    group_rows,
    member_mask,
    prepare_cohort,
    risk_intervals,
    warn_note,
)
from lbprun.measures._incidence_results import IncidenceRateResult, IncidenceResult
from lbprun.measures.intervals import (
    PROPORTION_METHODS,
    RATE_METHODS,
    proportion_ci_arrays,
    rate_ci_arrays,
)

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = [
    "EXPOSURES",
    "RATIO_METHODS",
    "IncidenceRateResult",
    "IncidenceResult",
    "cumulative_incidence",
    "incidence_rate",
]

#: Units of exposure for :func:`incidence_rate`.
EXPOSURES = ("hours", "km", "days")
#: Interval methods for the rate ratio.
RATIO_METHODS = ("exact", "midp", "wald")


def cumulative_incidence(
    cohort: pd.DataFrame,
    *,
    onset: str = "lbp_onset_date",
    by: str | Sequence[str] | None = None,
    method: str = "exact",
    level: float = 0.95,
) -> IncidenceResult:
    """Estimate the cumulative incidence (risk) of a first LBP onset during follow-up.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per runner with ``start_date, end_date`` and the onset column (dates or date
        strings; a missing onset means no onset during follow-up).
    onset : str, default="lbp_onset_date"
        Column with the date of the first onset.
    by : str or list of str, optional
        Grouping column(s); several columns are crossed.
    method : {"exact", "wilson", "jeffreys", "agresti_coull", "wald"}, default="exact"
        Binomial interval (``"exact"`` is Clopper–Pearson).
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    IncidenceResult
        ``table`` with ``by, group, n, events, estimate, ci_low, ci_high, method, level``.

    Raises
    ------
    lbprun._checks.ArgumentError
        An unknown column (the closest name is suggested), method or level.
    lbprun.exceptions.DataValidationError
        Unreadable or missing follow-up dates, ``end_date`` before ``start_date``, an onset
        outside ``[start_date, end_date]``.

    Notes
    -----
    Risk = runners with an onset in ``[start_date, end_date]`` / runners. It ignores unequal
    follow-up: with censoring, use :func:`lbprun.measures.survival.kaplan_meier`.
    Validated against R ``epitools::binom.exact`` and ``binom.wilson`` (1e-6 absolute).

    Examples
    --------
    >>> import pandas as pd
    >>> cohort = pd.DataFrame({"start_date": "2025-01-01", "end_date": "2025-12-31",
    ...     "lbp_onset_date": ["2025-02-01", None, None, None], "sex": list("FFMM")})
    >>> cumulative_incidence(cohort, by="sex").table[["by", "group", "events", "estimate"]]
        by group  events  estimate
    0  all   all       1      0.25
    1  sex     F       1      0.50
    2  sex     M       0      0.00
    """
    method = check_choice("method", method, PROPORTION_METHODS)
    level = check_level(level)
    by_cols = by_columns(by)
    prep = prepare_cohort(cohort, onset=onset, by=by_cols)
    rows = []
    for by_label, group, code in group_rows(by_cols, prep["labels"]):
        member = member_mask(prep["codes"], code)
        rows.append((by_label, group, int(member.sum()), int(prep["event"][member].sum())))
    table = pd.DataFrame(rows, columns=["by", "group", "n", "events"])
    estimate, low, high = proportion_ci_arrays(
        table["events"].to_numpy(), table["n"].to_numpy(), method=method, level=level
    )
    table = table.assign(
        estimate=estimate, ci_low=low, ci_high=high, method=method, level=float(level)
    )
    return IncidenceResult(
        table=table,
        notes=(*prep["notes"], *reading_notes(cohort)),
        onset=onset,
        by=by_cols,
        method=method,
        level=float(level),
    )


# ---------------------------------------------------------------------------------------------
# Incidence rates


def _running_exposure(
    activities: pd.DataFrame,
    column: str,
    ids: pd.Index,
    prep: dict[str, Any],
    intervals: tuple[np.ndarray, np.ndarray, np.ndarray],
    notes: list[str],
) -> np.ndarray:
    """Sum ``column`` over the runs that fall inside a runner's at-risk intervals."""
    check_columns(activities, ["runner_id", "date", column], name="activities")
    n = len(ids)
    idx = ids.get_indexer(as_text(activities["runner_id"]))
    unknown = idx < 0
    if unknown.any():
        warn_note(
            notes,
            f"{int(unknown.sum())} runs of {activities.loc[unknown, 'runner_id'].nunique()} "
            "runners absent from the cohort were ignored.",
            DataQualityWarning,
        )
    values = pd.to_numeric(activities[column], errors="coerce").to_numpy(dtype=float)
    message = "negative person-time (a run cannot have a negative duration or distance)"
    check_rows(activities, values < 0, column, "non_negative", message, "activities")
    day = day_numbers(activities, "date", "activities")
    check_rows(activities, np.isnan(day), "date", "not_null", "missing date", "activities")
    known = np.flatnonzero(~unknown)
    r, d, x = idx[known], day[known], values[known]
    outside = int(((d < prep["start"][r]) | (d > prep["end"][r])).sum())
    if outside:
        notes.append(f"{outside} runs dated outside follow-up were not counted.")
    runner, lo, hi = intervals
    base = min(np.nanmin(prep["start"]), d.min() if d.size else 0.0)
    span = max(np.nanmax(prep["end"]), d.max() if d.size else 0.0) - base + 2.0
    lo_key = runner * span + (lo - base)
    hi_key = runner * span + (np.maximum(hi, lo) - base)
    order = np.argsort(lo_key, kind="stable")
    lo_key, hi_key = lo_key[order], hi_key[order]
    key = r * span + (d - base)
    pos = np.searchsorted(lo_key, key, side="right") - 1
    inside = (pos >= 0) & (key < hi_key[np.maximum(pos, 0)])
    missing = inside & np.isnan(x)
    if missing.any():
        warn_note(
            notes,
            f"{int(missing.sum())} runs at risk have a missing {column}; they add no exposure.",
            DataQualityWarning,
        )
    use = inside & ~np.isnan(x)
    return np.bincount(r[use], weights=x[use], minlength=n)


def _midp_tail(p: float, x: int, n: int, upper: bool) -> float:
    """Mid-p tail of Binomial(n, p) at x: P(X > x) (or P(X < x)) + P(X = x) / 2."""
    half = 0.5 * stats.binom.pmf(x, n, p)
    return half + (stats.binom.sf(x, n, p) if upper else stats.binom.cdf(x - 1, n, p))


def _midp_rate_ratio_interval(
    x1: float, t1: float, x0: float, t0: float, alpha: float
) -> tuple[float, float, float]:
    """Mid-p exact interval and two-sided mid-p value of a rate ratio (epitools' rule).

    Conditional on the ``n = x1 + x0`` events, ``x1 ~ Binomial(n, p)`` with
    ``p = t1 RR / (t1 RR + t0)``. The lower limit solves ``P(X > x1) + P(X = x1)/2 = alpha/2``,
    the upper ``P(X < x1) + P(X = x1)/2 = alpha/2`` (0 and infinity when the data sit at the
    edge), each ``p`` mapped back to ``RR = p / (1 - p) * t0 / t1``. The p-value is twice the
    smaller mid-p tail at ``RR = 1`` (``epitools::rate2by2.test``).
    """
    x, n = int(x1), int(x1 + x0)
    odds = t0 / t1

    def root(upper: bool) -> float:
        target = lambda p: _midp_tail(p, x, n, upper) - alpha / 2.0  # noqa: E731
        if upper and target(0.0) >= 0.0:
            return 0.0
        if not upper and target(1.0) >= 0.0:
            return 1.0
        return optimize.brentq(target, 0.0, 1.0, xtol=1e-15, rtol=4 * np.finfo(float).eps)

    p_low, p_high = root(upper=True), root(upper=False)
    low = p_low / (1.0 - p_low) * odds
    high = np.inf if p_high >= 1.0 else p_high / (1.0 - p_high) * odds
    p_null = t1 / (t1 + t0)
    lower_tail = _midp_tail(p_null, x, n, upper=False)
    p_value = min(1.0, 2.0 * min(lower_tail, 1.0 - lower_tail))
    return float(low), float(high), float(p_value)


def _rate_ratio(
    x1: float, t1: float, x0: float, t0: float, method: str, level: float
) -> tuple[float, float, float, float]:
    """Rate ratio (x1/t1)/(x0/t0) with its interval and p-value (NaN when undefined)."""
    nan = (np.nan,) * 4
    if t1 <= 0 or t0 <= 0 or x1 + x0 == 0:
        return nan
    estimate = np.inf if x0 == 0 else (x1 / t1) / (x0 / t0)
    alpha = 1.0 - level
    if method == "exact":
        n = x1 + x0
        p_low = 0.0 if x1 == 0 else special.betaincinv(x1, x0 + 1.0, alpha / 2.0)
        p_high = 1.0 if x0 == 0 else special.betaincinv(x1 + 1.0, x0, 1.0 - alpha / 2.0)
        odds = t0 / t1
        low = p_low / (1.0 - p_low) * odds
        high = np.inf if p_high >= 1.0 else p_high / (1.0 - p_high) * odds
        p_value = stats.binomtest(int(x1), int(n), t1 / (t1 + t0)).pvalue
        return float(estimate), float(low), float(high), float(p_value)
    if method == "midp":
        return (float(estimate), *_midp_rate_ratio_interval(x1, t1, x0, t0, alpha))
    if x1 == 0 or x0 == 0:
        return nan
    z = special.ndtri(0.5 + level / 2.0)
    se = np.sqrt(1.0 / x1 + 1.0 / x0)
    log_rr = np.log(estimate)
    p_value = 2.0 * special.ndtr(-abs(log_rr) / se)
    return float(estimate), *np.exp([log_rr - z * se, log_rr + z * se]).tolist(), float(p_value)


def incidence_rate(
    cohort: pd.DataFrame,
    activities: pd.DataFrame | None,
    *,
    exposure: str = "hours",
    per: float = 1000,
    by: str | Sequence[str] | None = None,
    episodes: pd.DataFrame | None = None,
    onset: str = "lbp_onset_date",
    method: str = "exact",
    ratio_method: str = "exact",
    reference: Any = None,
    level: float = 0.95,
) -> IncidenceRateResult:
    """Estimate LBP incidence rates per running exposure, by group, with rate ratios.

    Parameters
    ----------
    cohort : pandas.DataFrame
        One row per runner: ``runner_id, start_date, end_date`` and the onset column.
    activities : pandas.DataFrame or None
        One row per run: ``runner_id, date`` and ``duration_min`` (hours) or ``distance_km``
        (km). May be None when ``exposure="days"``.
    exposure : {"hours", "km", "days"}, default="hours"
        Running time, running distance, or calendar days at risk.
    per : float, default=1000
        Rates are events per ``per`` units of exposure.
    by : str or list of str, optional
        Grouping column(s) of the cohort; several columns are crossed.
    episodes : pandas.DataFrame, optional
        Recurrent LBP: ``runner_id, onset_date, recovery_date`` (NaT when unresolved). Every
        episode onset is an event and exposure counts only outside episodes.
    onset : str, default="lbp_onset_date"
        Cohort column with the date of the first onset.
    method : {"exact", "byar", "wald", "score"}, default="exact"
        Interval of each rate (``"exact"`` is Garwood's).
    ratio_method : {"exact", "midp", "wald"}, default="exact"
        Interval of the rate ratios: exact conditional (binomial, ``poisson.test``), mid-p
        exact (``epitools::rateratio.midp``; its p-value is the two-sided mid-p of
        ``rate2by2.test``) or Wald on the log scale. The estimate is always the ratio of the
        rates (epitools' mid-p method reports a median-unbiased estimate instead).
    reference : str, optional
        Reference group of the rate ratios; the first (sorted) level by default.
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    IncidenceRateResult
        ``table`` (rates), ``rate_ratios`` and ``per_runner`` (events and exposure per runner).

    Raises
    ------
    lbprun._checks.ArgumentError
        An unknown column (the closest name is suggested), exposure, method, reference or level;
        ``per <= 0``; ``activities`` None with running exposure.
    lbprun.exceptions.DataValidationError
        ``end_date`` before ``start_date``, an onset outside follow-up, a negative duration or
        distance (negative person-time), overlapping episodes, a recovery before its onset.

    Notes
    -----
    Without ``episodes`` a runner is at risk on the dates ``start_date <= date < onset``
    (``<= end_date`` without an onset); with ``episodes`` on the dates before the first onset
    and again from each ``recovery_date`` until the next onset. Exposure is the sum of
    ``duration_min / 60`` (hours) or ``distance_km`` (km) over the runs on at-risk dates, or the
    number of at-risk dates (days: ``onset - start_date``, or ``end_date - start_date + 1``
    when censored). Runs outside follow-up or of runners absent from the cohort never count.

    Rate ``= events / exposure * per`` with Garwood's exact interval
    (validated against R ``stats::poisson.test``, 1e-6). The exact rate ratio interval
    conditions on the total ``x1 + x0``: Clopper–Pearson bounds :math:`p_L, p_U` on
    :math:`x_1 / (x_1 + x_0)` give :math:`p/(1 - p) \\cdot t_0 / t_1`, and the p-value is the
    binomial test of :math:`p = t_1 / (t_1 + t_0)` (as R ``poisson.test(c(x1, x0),
    c(t1, t0))``). The Wald interval is :math:`\\exp(\\log RR \\pm z\\sqrt{1/x_1 + 1/x_0})`.

    Examples
    --------
    >>> import pandas as pd
    >>> cohort = pd.DataFrame({"runner_id": ["a", "b"], "start_date": "2025-01-01",
    ...     "end_date": "2025-01-10", "lbp_onset_date": ["2025-01-05", None]})
    >>> incidence_rate(cohort, None, exposure="days", per=1).table[["person_time", "estimate"]]
       person_time  estimate
    0         14.0  0.071429
    """
    exposure = check_choice("exposure", exposure, EXPOSURES)
    method = check_choice("method", method, RATE_METHODS)
    ratio_method = check_choice("ratio_method", ratio_method, RATIO_METHODS)
    level = check_level(level)
    try:
        per_value = float(per)
    except (TypeError, ValueError):
        raise ArgumentError(f"per must be a positive number; got {per!r}.") from None
    if isinstance(per, bool) or not np.isfinite(per_value) or per_value <= 0:
        raise ArgumentError(f"per must be a positive number; got {per!r}.")
    if activities is None and exposure != "days":
        raise ArgumentError(
            f"activities must be a DataFrame of runs for exposure={exposure!r}; got None."
        )
    by_cols = by_columns(by)
    prep = prepare_cohort(cohort, onset=onset, by=by_cols, need_id=True)
    notes: list[str] = list(prep["notes"])
    ids = as_text(cohort["runner_id"])
    runner, lo, hi, events = risk_intervals(prep, ids, episodes, notes)
    if exposure == "days":
        time = np.bincount(runner, weights=np.maximum(hi - lo, 0.0), minlength=len(ids))
    else:
        column = "duration_min" if exposure == "hours" else "distance_km"
        time = _running_exposure(activities, column, ids, prep, (runner, lo, hi), notes)
        if exposure == "hours":
            time = time / 60.0
    codes, labels = prep["codes"], prep["labels"]
    rows = []
    for by_label, group, code in group_rows(by_cols, labels):
        member = member_mask(codes, code)
        rows.append(
            (by_label, group, int(member.sum()), int(events[member].sum()), time[member].sum())
        )
    table = pd.DataFrame(rows, columns=["by", "group", "n", "events", "person_time"])
    table.insert(5, "exposure", exposure)
    x, t = table["events"].to_numpy(float), table["person_time"].to_numpy(float)
    estimate = np.full(len(table), np.nan)
    low, high = estimate.copy(), estimate.copy()
    ok = t > 0
    if ok.any():
        est, lo_ci, hi_ci = rate_ci_arrays(x[ok], t[ok], per=per_value, method=method, level=level)
        estimate[ok], low[ok], high[ok] = est, lo_ci, hi_ci
    for i in np.flatnonzero(~ok):
        warn_note(
            notes,
            f"group {table['group'][i]!r}: {int(x[i])} events and no {exposure} at risk; "
            "the rate is undefined (NaN).",
            SparseDataWarning,
        )
    table = table.assign(
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        method=method,
        level=float(level),
        per=per_value,
    )
    ratios, ref = _ratio_table(table, labels, reference, ratio_method, level, notes)
    per_runner = pd.DataFrame(
        {
            "runner_id": cohort["runner_id"].to_numpy(),
            "group": [labels[c] if c >= 0 else None for c in codes] if by_cols else ALL,
            "events": events,
            "person_time": time,
        }
    )
    return IncidenceRateResult(
        table=table,
        rate_ratios=ratios,
        per_runner=per_runner,
        notes=(
            *notes,
            *(n for t in (cohort, activities, episodes) for n in reading_notes(t)),
        ),
        exposure=exposure,
        per=per_value,
        by=by_cols,
        method=method,
        ratio_method=ratio_method,
        level=float(level),
        recurrent=episodes is not None,
        reference=ref,
    )


_RATIO_COLUMNS = (
    "by group reference events person_time reference_events reference_person_time estimate "
    "ci_low ci_high p_value method level"
).split()


def _ratio_table(
    table: pd.DataFrame,
    labels: list[str],
    reference: Any,
    method: str,
    level: float,
    notes: list[str],
) -> tuple[pd.DataFrame, str | None]:
    if not labels:
        if reference is not None:
            raise ArgumentError(f"reference needs by=; got reference={reference!r} and no by.")
        return pd.DataFrame(columns=_RATIO_COLUMNS), None
    ref = labels[0] if reference is None else check_choice("reference", str(reference), labels)
    groups = table.iloc[1:].set_index("group")
    x0, t0 = groups.loc[ref, "events"], groups.loc[ref, "person_time"]
    rows = []
    for group, row in groups.iterrows():
        if group == ref:
            continue
        est, low, high, p = _rate_ratio(row["events"], row["person_time"], x0, t0, method, level)
        if np.isnan(est):
            notes.append(
                f"rate ratio {group!r} vs {ref!r}: undefined ({row['events']} vs {x0} events, "
                f"{method} interval); NaN."
            )
        by_label = row["by"]
        rows.append(
            (by_label, group, ref, row["events"], row["person_time"], x0, t0, est, low, high, p)
        )
    ratios = pd.DataFrame(rows, columns=_RATIO_COLUMNS[:-2]).assign(
        method=method, level=float(level)
    )
    return ratios, ref
