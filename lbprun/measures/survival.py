"""Kaplan–Meier cumulative incidence of LBP, and the follow-up time it rests on.

:func:`kaplan_meier` estimates the cumulative incidence ``1 - S(t)`` of a first LBP onset with
Greenwood intervals, overall and by group, in a table at chosen times and as the full step
curve. The cohort checks and at-risk periods it rests on are in
:mod:`lbprun.measures._cohort`.

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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from lbprun._checks import ArgumentError, check_choice, check_level
from lbprun._result import Result, render_table, to_jsonable
from lbprun.io.provenance import reading_notes
from lbprun.measures._cohort import by_columns, group_rows, member_mask, prepare_cohort

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["CONF_TYPES", "KaplanMeierResult", "kaplan_meier"]

#: Transforms of the Greenwood interval (spelled as R ``survfit(conf.type=)``).
CONF_TYPES = ("log", "log-log", "plain")
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

    _proportions: ClassVar[bool] = True

    curve: pd.DataFrame
    onset: str
    by: tuple[str, ...] = ()
    conf_type: str
    level: float
    times: tuple[float, ...] | None = None

    def _title(self) -> str:
        return f"Kaplan-Meier cumulative incidence of {self.onset} ({self.conf_type} interval)"

    def quantiles(self, p: float | Sequence[float] = (0.25, 0.5, 0.75)) -> pd.DataFrame:
        """Return the times by which a proportion ``p`` has had an onset, with intervals.

        The quantile of the time to onset is where the cumulative incidence first reaches
        ``p`` (R ``quantile.survfit(probs=p)``, whose survival is ``1 - p``).

        Parameters
        ----------
        p : float or sequence of float, default=(0.25, 0.5, 0.75)
            Probabilities in [0, 1]; ``0.5`` gives the median time to onset.

        Returns
        -------
        pandas.DataFrame
            One row per group and probability: ``by, group, p, estimate, ci_low, ci_high,
            conf_type, level`` (days; NaN where the curve or an interval limit never reaches
            ``p``).

        Raises
        ------
        lbprun._checks.ArgumentError
            A probability outside [0, 1].

        Notes
        -----
        R's rule (``survival::quantile.survfit``): the quantile is the first time at which the
        cumulative incidence ``F(t) = 1 - S(t)`` reaches ``p``; where ``F`` is flat at exactly
        ``p`` (within ``sqrt(machine epsilon)``), it is the midpoint of that flat segment (the
        last follow-up time closes a flat at the end of the curve). The interval is the same
        rule applied to the interval limits of ``F``: the upper limit of ``F`` gives
        ``ci_low``, the lower limit gives ``ci_high``; NaN where a limit never reaches ``p``.
        ``p = 0`` gives day 0. Validated against R ``survival::quantile.survfit`` on
        ``survival::veteran`` for the three ``conf_type`` (1e-10).

        Examples
        --------
        >>> import pandas as pd
        >>> cohort = pd.DataFrame({"start_date": "2025-01-01", "end_date": "2025-01-31",
        ...     "lbp_onset_date": ["2025-01-05", "2025-01-11", "2025-01-21", None]})
        >>> kaplan_meier(cohort).quantiles(0.5)[["group", "p", "estimate", "ci_low"]]
          group    p  estimate  ci_low
        0   all  0.5      15.0     4.0
        """
        probs = _check_probs(p)
        rows = []
        for (by_label, group), part in self.curve.groupby(["by", "group"], sort=False):
            x = np.concatenate([[0.0], part["time_days"].to_numpy(dtype=float)])
            columns = ("estimate", "ci_high", "ci_low")
            found = [
                _find_quantile(x, np.concatenate([[0.0], part[c].to_numpy(dtype=float)]), probs)
                for c in columns
            ]
            for i, prob in enumerate(probs):
                rows.append((by_label, group, prob, found[0][i], found[1][i], found[2][i]))
        out = pd.DataFrame(rows, columns=["by", "group", "p", "estimate", "ci_low", "ci_high"])
        out["conf_type"] = self.conf_type
        out["level"] = self.level
        return out

    def _sections(self) -> list[str]:
        medians = self.quantiles(0.5).drop(columns=["p", "conf_type", "level"])
        return ["Median days to onset:", render_table(medians)]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dictionary of the result.

        Returns
        -------
        dict
            The fields of :meth:`Result.to_dict` (table, notes, settings) and ``medians``, the
            median days to onset of each group (:meth:`quantiles` at 0.5).
        """
        out = super().to_dict()
        out["medians"] = to_jsonable(self.quantiles(0.5))
        return out

    def plot(self, ax: Axes | None = None, **kwargs: Any) -> Axes:
        """Draw the cumulative-incidence curves with an at-risk table below.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.
        **kwargs
            Passed to :func:`lbprun.plots.survival.plot_cumulative_incidence`.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes of the curves, with ``ax.risk_table`` (the at-risk counts as text).
        """
        from lbprun.plots.survival import plot_cumulative_incidence

        return plot_cumulative_incidence(self, ax=ax, **kwargs)


# ---------------------------------------------------------------------------------------------
# Quantiles (R survival:::findq)

_QUANTILE_TOL = float(np.sqrt(np.finfo(float).eps))


def _check_probs(p: Any) -> np.ndarray:
    try:
        probs = np.atleast_1d(np.asarray(p, dtype=float))
    except (TypeError, ValueError):
        raise ArgumentError(f"p must be probabilities in [0, 1]; got {p!r}.") from None
    if probs.ndim != 1 or probs.size == 0 or ~((probs >= 0) & (probs <= 1)).all():
        raise ArgumentError(f"p must be probabilities in [0, 1]; got {p!r}.")
    return probs


def _constant_right(x: np.ndarray, index: np.ndarray, v: np.ndarray) -> np.ndarray:
    """R ``approx(x, index, v, method="constant", f=1)``: index of the first ``x >= v``."""
    order = np.argsort(x, kind="stable")
    xs, idx = x[order], index[order]
    k = np.searchsorted(xs, v, side="left")
    inside = (v >= xs[0]) & (v <= xs[-1])
    return np.where(inside, idx[np.minimum(k, xs.size - 1)], -1)


def _find_quantile(x: np.ndarray, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Times where the non-decreasing step curve ``y`` (at times ``x``) reaches each ``p``.

    ``x[0]`` is the origin with ``y[0] = 0``; NaN values of ``y`` (no interval) are skipped.
    """
    if np.all(np.isnan(y)) or np.nanmax(y) < p.min():
        return np.full(p.size, np.nan)
    xmax = x[-1]
    # keep the first occurrence of each value (NaN counts as one value), as R duplicated()
    key = np.where(np.isnan(y), np.inf, y)
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    n = y.size
    ok = ~np.isnan(y)
    index = np.arange(n)[ok]
    i1 = _constant_right(y[ok] + _QUANTILE_TOL, index, p)
    i2 = _constant_right(y[ok] - _QUANTILE_TOL, index, p)
    x1 = np.where(i1 >= 0, x[np.maximum(i1, 0)], np.nan)
    x2 = np.where(i2 >= 0, x[np.maximum(i2, 0)], np.nan)
    quant = (x1 + x2) / 2.0
    quant = np.where(p == 0, x[0], quant)
    if not np.isnan(y[-1]):
        last = np.abs(p - y[-1]) < _QUANTILE_TOL
        quant = np.where(last, (x1 + xmax) / 2.0, quant)
    return quant


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
        notes=(*notes, *reading_notes(cohort)),
        onset=onset,
        by=by_cols,
        conf_type=conf_type,
        level=float(level),
        times=None if grid is None else tuple(float(t) for t in grid),
    )
