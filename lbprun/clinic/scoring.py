"""Scoring runners with a clinic risk model: risk, interval, band and factor contributions.

Examples
--------
>>> from lbprun.clinic import load_demo_model
>>> model = load_demo_model()
>>> result = model.score({"runner_id": "R1", "age": 45, "sex": "M", "prior_lbp": True,
...                       "strength_training": False, "weekly_km": 40.0})
>>> result.to_frame()[["runner_id", "band"]].to_dict("records")
[{'runner_id': 'R1', 'band': 'moderate'}]
>>> "demonstration only" in result.summary()
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from lbprun._checks import ArgumentError, check_level
from lbprun._result import Result, render_table
from lbprun.clinic._inputs import checked_values
from lbprun.exceptions import ExtrapolationWarning

__all__ = ["RiskScore", "predict_one", "risk_arrays", "score"]

#: Runners whose contributions :meth:`RiskScore.summary` lists.
SUMMARY_RUNNERS = 5

#: Fields of :class:`RiskScore` built on first use.
_LAZY = ("table", "contributions")


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class RiskScore(Result):
    """Predicted risks of runners from a :class:`~lbprun.clinic.RiskModel`.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per runner: ``runner_id`` (or ``row``, the 0-based position), ``probability``,
        ``ci_low``, ``ci_high``, ``band``, ``extrapolated`` (a predictor outside the
        development range), ``outside_range`` (those predictors, comma-separated) and
        ``contribution_<predictor>`` (log-odds contribution of each predictor, relative to the
        reference runner).
    notes : tuple of str
        The model's label first (when it has one), then data notes.
    contributions : pandas.DataFrame
        Long form: ``runner_id`` / ``row``, ``predictor``, ``value``, ``reference``,
        ``log_odds``, ``odds_ratio`` (``exp(log_odds)``); empty when more than 1000 runners
        are scored at once (the ``contribution_`` columns of ``table`` hold them).
    outcome : str
        The outcome the model predicts.
    label : str
        The model's label (e.g. demonstration only).
    level : float
        Confidence level of ``ci_low, ci_high``.
    bands : tuple of (str, float)
        The risk bands used (name, lower limit).
    """

    contributions: pd.DataFrame = field(default_factory=pd.DataFrame)
    outcome: str = ""
    label: str = ""
    level: float = 0.95
    bands: tuple[tuple[str, float], ...] = ()

    def __getattr__(self, name: str) -> Any:
        # ``table`` and ``contributions`` of a score are built on first use (see
        # :func:`score`): scoring one runner costs no pandas until a table is asked for.
        pending = self.__dict__.get("_pending") if name in _LAZY else None
        if pending is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        table, contributions = pending()
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "contributions", contributions)
        del self.__dict__["_pending"]
        return self.__dict__[name]

    def __getstate__(self) -> dict[str, Any]:
        self.table  # noqa: B018 - build the tables: a copy or pickle holds them
        return dict(self.__dict__)

    def _title(self) -> str:
        title = f"RiskScore: predicted risk of {self.outcome} ({self.level:.0%} CI)"
        return f"{title}\n*** {self.label} ***" if self.label else title

    def _display_frame(self, as_percent: bool = False) -> pd.DataFrame:
        table = self.to_frame()
        keep = [c for c in table.columns if not c.startswith("contribution_")]
        return table[keep]

    def _sections(self) -> list[str]:
        key = "runner_id" if "runner_id" in self.contributions.columns else "row"
        shown = self.contributions[key].drop_duplicates().iloc[:SUMMARY_RUNNERS]
        part = self.contributions[self.contributions[key].isin(shown)]
        limits = ", ".join(f"{name} >= {lower:.1%}" for name, lower in self.bands)
        lines = [
            "Contributions relative to the reference runner (log odds and odds ratio):",
            render_table(part),
            f"Bands (lower limits): {limits}",
        ]
        if len(shown) < self.contributions[key].nunique():
            lines.insert(1, f"(first {len(shown)} runners shown)")
        return lines

    def plot(self, ax: Any = None) -> Any:
        """Bar chart of the first runner's contributions (log odds).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3))
        key = "runner_id" if "runner_id" in self.contributions.columns else "row"
        first = self.contributions[key].iloc[0]
        part = self.contributions[self.contributions[key] == first]
        ax.barh(part["predictor"], part["log_odds"], color="tab:blue")
        ax.axvline(0.0, color="black", linewidth=0.8)
        ax.set_xlabel("contribution to the log odds (vs reference runner)")
        ax.set_title(f"{key} {first}: risk {self.table['probability'].iloc[0]:.1%}")
        return ax


def _display_value(feat: Any, value: Any) -> Any:
    if feat.kind == "categorical":
        return feat.levels[int(value)]
    if feat.kind == "boolean":
        return bool(value)
    return float(value)


def score(
    model: Any,
    runner: Any,
    *,
    activities: pd.DataFrame | None = None,
    index_date: Any = None,
    level: float = 0.95,
) -> RiskScore:
    """Predicted risk of one runner or many, with interval, band and contributions.

    Parameters
    ----------
    model : lbprun.clinic.RiskModel
        The model.
    runner : dict, pandas.Series or pandas.DataFrame
        One runner (dict or Series of field -> value) or one row per runner, holding every
        predictor of the model (``runner_id`` optional, used to name runners). Booleans accept
        True/False, 1/0 and yes/no; categories accept the model's levels and the column
        dictionary's synonyms (``"female"`` for ``"F"``).
    activities : pandas.DataFrame, optional
        The runners' training logs: the load predictors the model uses (``weekly_km``,
        ``max_weekly_increase_pct``, ``acwr``, ``shoe_km``) are derived from the runs strictly
        before ``index_date`` (see :func:`lbprun.clinic._history.load_predictors`).
    index_date : date-like, optional
        The day of the consultation; required with ``activities``.
    level : float, default=0.95
        Confidence level of the interval.

    Returns
    -------
    RiskScore
        ``probability``, ``ci_low``, ``ci_high``, ``band``, ``extrapolated``,
        ``outside_range`` and per-predictor contributions (see :class:`RiskScore`).

    Raises
    ------
    lbprun.exceptions.DataValidationError
        Missing predictors, missing or wrongly typed values, unknown categories (all listed,
        with the runner and the field).
    lbprun._checks.ArgumentError
        An invalid ``level``, or ``activities`` without ``index_date``.

    Warns
    -----
    lbprun.exceptions.ExtrapolationWarning
        A predictor outside the development range [min, max] (also flagged per runner).

    Notes
    -----
    With design row :math:`x`, coefficients :math:`\\beta`, covariance :math:`V` and intercept
    shift :math:`\\delta`: :math:`\\eta = x^T\\beta + \\delta`, :math:`se = \\sqrt{x^T V x}`,
    probability :math:`\\mathrm{expit}(\\eta)` and interval
    :math:`\\mathrm{expit}(\\eta \\pm z_{(1+level)/2}\\, se)` (delta method on the logit scale;
    the shift is treated as known). The contribution of a predictor is its part of
    :math:`\\eta` minus the reference runner's part (reference levels, development medians,
    ``False`` for yes/no predictors); contributions add up to :math:`\\eta` minus the reference
    runner's :math:`\\eta`.
    """
    level = check_level(level)
    if activities is not None:
        from lbprun.clinic._history import with_load_predictors

        runner = with_load_predictors(model, runner, activities, index_date)
    elif index_date is not None:
        raise ArgumentError("index_date must be used with activities; got no activities.")
    checked = checked_values(model, runner)
    x, eta, probability, ci_low, ci_high = risk_arrays(model, checked, level)
    from lbprun.clinic._summary import band_of

    n = len(eta)
    key = "row" if checked.runner_id is None else "runner_id"
    ids = np.arange(n) if checked.runner_id is None else checked.runner_id
    band = band_of(probability, model.bands)
    extrapolated, outside, message = _extrapolation(model, checked, n)
    reference = _reference_row(model)
    start, parts = 1, []
    for feat in model.features:
        width = len(feat.design_names())
        cols = slice(start, start + width)
        part = (x[:, cols] * model.coef[cols]).sum(axis=1) - reference[cols] @ model.coef[cols]
        parts.append((feat, part))
        start += width
    notes = [model.label] if model.label else []
    if message is not None:
        warnings.warn(message, ExtrapolationWarning, stacklevel=3)
        notes.append(message)

    def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
        table: dict[str, Any] = {
            key: ids,
            "probability": probability,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "band": band,
            "extrapolated": extrapolated,
            "outside_range": outside,
        }
        for feat, part in parts:
            table[f"contribution_{feat.name}"] = part
        long = parts if n <= 1000 else []
        return pd.DataFrame(table), _long_contributions(model, checked, key, ids, long)

    result = object.__new__(RiskScore)
    for name, value in (
        ("notes", tuple(notes)),
        ("_private_fields", ()),
        ("outcome", model.outcome),
        ("label", model.label),
        ("level", level),
        ("bands", model.bands),
        ("_pending", tables),
    ):
        object.__setattr__(result, name, value)
    return result


def risk_arrays(model: Any, checked: Any, level: float) -> tuple[np.ndarray, ...]:
    """Design matrix, linear predictor, probability and interval bounds of checked runners.

    The one computation behind :func:`score` and :func:`predict_one` (so both give the same
    numbers to the last bit).
    """
    x = model.design_from_values(checked.values)
    eta = model.linear_predictor(x)
    se = np.sqrt(np.maximum(model.variance(x), 0.0))
    z = float(special.ndtri(0.5 + level / 2.0))
    return x, eta, special.expit(eta), special.expit(eta - z * se), special.expit(eta + z * se)


def _reference_row(model: Any) -> np.ndarray:
    """The model's reference design row, computed once per model object."""
    row = model.__dict__.get("_reference_row")
    if row is None:
        row = model.reference_design()
        row.flags.writeable = False
        object.__setattr__(model, "_reference_row", row)
    return row


def _extrapolation(model: Any, checked: Any, n: int) -> tuple[np.ndarray, np.ndarray, Any]:
    """Per-runner flags, the predictors outside the range and the warning text (or None)."""
    flags = [(name, mask) for name, mask in checked.outside.items() if mask.any()]
    extrapolated = np.zeros(n, dtype=bool)
    outside = np.full(n, "", dtype=object)
    if not flags:
        return extrapolated, outside, None
    for _, mask in flags:
        extrapolated |= mask
    for name, mask in flags:
        outside[mask] = [f"{o},{name}" if o else name for o in outside[mask]]
    detail = ", ".join(
        f"{name} ({int(mask.sum())} runner(s), development range "
        f"[{model.feature(name).min:g}, {model.feature(name).max:g}])"
        for name, mask in flags
    )
    message = (
        f"{int(extrapolated.sum())} of {n} runner(s) have predictors outside the "
        f"development range: {detail}; their risks are extrapolated."
    )
    return extrapolated, outside, message


def predict_one(model: Any, runner: Any, *, level: float = 0.95) -> tuple[float, float, float]:
    """Probability and interval of one runner, without result tables (the fast path).

    Parameters
    ----------
    model : lbprun.clinic.RiskModel
        The model.
    runner : dict or pandas.Series
        One runner's fields (as :func:`score`).
    level : float, default=0.95
        Confidence level of the interval.

    Returns
    -------
    tuple of float
        ``(probability, ci_low, ci_high)``, equal to the ``probability``, ``ci_low`` and
        ``ci_high`` of :func:`score` to the last bit.

    Raises
    ------
    lbprun.exceptions.DataValidationError
        Invalid values, as :func:`score`.
    lbprun._checks.ArgumentError
        A DataFrame (use :func:`score`), or an invalid ``level``.

    Warns
    -----
    lbprun.exceptions.ExtrapolationWarning
        A predictor outside the development range.
    """
    if isinstance(runner, pd.DataFrame):
        raise ArgumentError(
            "runner must be one runner (a dict or Series); got a DataFrame. Use score() for "
            "several runners."
        )
    level = check_level(level)
    checked = checked_values(model, runner)
    _, _, probability, ci_low, ci_high = risk_arrays(model, checked, level)
    message = _extrapolation(model, checked, 1)[2]
    if message is not None:
        warnings.warn(message, ExtrapolationWarning, stacklevel=3)
    return float(probability[0]), float(ci_low[0]), float(ci_high[0])


def _long_contributions(
    model: Any, checked: Any, key: str, ids: np.ndarray, parts: list
) -> pd.DataFrame:
    """Contributions in long form (runners x predictors); empty for more than 1000 runners."""
    columns = [key, "predictor", "value", "reference", "log_odds", "odds_ratio"]
    if not parts:
        return pd.DataFrame(columns=columns)
    n, k = len(ids), len(parts)
    values = np.empty((n, k), dtype=object)
    for j, (feat, _) in enumerate(parts):
        values[:, j] = [_display_value(feat, v) for v in checked.values[feat.name]]
    log_odds = np.column_stack([part for _, part in parts]).ravel()
    references = np.array([feat.reference for feat, _ in parts], dtype=object)
    frame = pd.DataFrame(
        {
            key: np.repeat(np.asarray(ids, dtype=object), k),
            "predictor": np.tile(np.array([f.name for f, _ in parts], dtype=object), n),
            "value": values.ravel(),
            "reference": np.tile(references, n),
            "log_odds": log_odds,
            "odds_ratio": np.exp(log_odds),
        }
    )
    return frame
