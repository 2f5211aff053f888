"""Rate models: Poisson and negative-binomial regression of LBP episodes with a log-exposure
offset, reported as incidence rate ratios and a baseline rate per 1000 h (or km).

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"episodes": [2, 1, 6, 3], "person_hours": [100.0, 80.0, 120.0, 60.0],
...                      "trail": [0, 0, 1, 1]})
>>> fit = fit_rate_model(data, "episodes", "person_hours", "trail")
>>> fit.to_frame()["term"].tolist()
['(Intercept)', 'trail']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun._result import Result
from lbprun.models._tables import (
    as_list,
    check_events,
    coefficient_table,
    count_values,
    exponentiate,
    group_codes,
    prepare_design,
    warn_note,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["RateModelResult", "fit_rate_model"]

_RATE_FAMILIES = ("poisson", "negbin")
_SCALES = ("rate_ratio", "log_rate")


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class RateModelResult(Result):
    """Incidence rate ratios from a Poisson or negative-binomial model with exposure offset.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``term, estimate, ci_low, ci_high, std_error, statistic, p_value, level`` on
        the log-rate scale. :meth:`to_frame` gives rate ratios, and the ``(Intercept)`` row
        becomes the baseline rate per ``per`` units of exposure.
    baseline : pandas.DataFrame
        One row: ``estimate, ci_low, ci_high`` of the rate per ``per`` units of exposure at the
        reference levels (numeric predictors at 0), with ``per``, ``exposure`` and ``level``.
    notes : tuple of str
        Rows left out and other remarks.
    model : statsmodels results
        The fitted GLM (Poisson) or ``NegativeBinomial`` results (left out of :meth:`to_dict`).
    events, exposure : str
        Event-count and exposure columns.
    predictors : tuple of str
        Predictor columns.
    family : str
        ``"poisson"`` or ``"negbin"``.
    per : float
        Rate multiplier.
    cluster : str or None
        Cluster column of the robust standard errors.
    alpha : float
        Estimated negative-binomial dispersion (variance :math:`\\mu + \\alpha\\mu^2`); 0 for
        Poisson.
    level : float
        Confidence level.
    """

    baseline: pd.DataFrame
    model: Any
    events: str
    exposure: str
    predictors: tuple[str, ...]
    family: str
    per: float
    cluster: str | None = None
    alpha: float = 0.0
    level: float
    _private_fields: tuple[str, ...] = ("model",)

    def _title(self) -> str:
        kind = "Poisson" if self.family == "poisson" else "Negative binomial"
        return f"{kind} rate model of {self.events} per {self.per:g} {self.exposure}"

    def to_frame(self, scale: str = "rate_ratio") -> pd.DataFrame:
        """Return the table as incidence rate ratios or on the log scale.

        Parameters
        ----------
        scale : {"rate_ratio", "log_rate"}, default="rate_ratio"
            ``"rate_ratio"`` exponentiates and reports the ``(Intercept)`` row as the baseline
            rate per ``per`` units of exposure; ``"log_rate"`` (alias ``"log"``) leaves the
            coefficients as fitted.

        Returns
        -------
        pandas.DataFrame
            A copy of the table.
        """
        scale = "log_rate" if scale == "log" else scale
        out = exponentiate(self.table, scale, _SCALES)
        if scale == "rate_ratio":
            first = out["term"] == "(Intercept)"
            out.loc[first, ["estimate", "ci_low", "ci_high"]] *= self.per
        return out

    def summary(self) -> str:
        """Return the rate ratios, the baseline rate and the numbered notes as text."""
        head, sep, notes = super().summary().partition("\nNotes:")
        base = self.baseline.to_string(index=False)
        extra = f"\nalpha (dispersion) = {self.alpha:.4g}" if self.family == "negbin" else ""
        return f"{head}\nBaseline rate:\n{base}{extra}{sep}{notes}"

    def plot(self, ax: Axes | None = None) -> Axes:
        """Forest plot of the incidence rate ratios (log axis)."""
        from lbprun.plots.models import plot_forest

        label = f"Incidence rate ratio ({self.level:.0%} CI)"
        return plot_forest(self.to_frame(), ax=ax, xlabel=label)


def fit_rate_model(
    data: pd.DataFrame,
    events: str,
    exposure: str,
    predictors: str | Sequence[str] | None = None,
    *,
    family: str = "poisson",
    per: float = 1000,
    cluster: str | None = None,
    level: float = 0.95,
) -> RateModelResult:
    """Fit a Poisson or negative-binomial model of event counts with a log-exposure offset.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per runner (or runner-period) with events and exposure.
    events : str
        Count column (LBP episodes).
    exposure : str
        Exposure column, strictly positive (e.g. ``person_hours`` or ``distance_km``).
    predictors : str, sequence of str or None, default=None
        Predictor columns (treatment-coded when categorical); None fits the rate alone.
    family : {"poisson", "negbin"}, default="poisson"
        ``"negbin"`` is NB2 with the dispersion :math:`\\alpha` estimated by maximum
        likelihood (statsmodels ``NegativeBinomial``).
    per : float, default=1000
        Report the baseline rate per this many units of exposure.
    cluster : str or None, default=None
        Cluster column: cluster-robust (sandwich) standard errors, e.g. for repeated periods
        of one runner.
    level : float, default=0.95
        Confidence level of the Wald intervals.

    Returns
    -------
    RateModelResult
        ``to_frame()``: incidence rate ratios ``term, estimate, ci_low, ci_high, std_error,
        statistic, p_value, level`` (the intercept row is the baseline rate per ``per``);
        ``baseline``; ``alpha``; ``model``.

    Raises
    ------
    lbprun._checks.ArgumentError
        Unknown columns, negative or non-integer counts, zero, negative or missing exposure,
        a bad ``per``, ``family`` or ``level``.

    Notes
    -----
    :math:`\\log E[Y_i] = \\log t_i + x_i^T\\beta`: :math:`\\exp(\\beta_j)` is the rate ratio
    and :math:`\\text{per} \\cdot \\exp(\\beta_0)` the rate at the reference levels. For a
    single binary predictor the Poisson MLE is the closed form
    :math:`\\widehat{IRR} = (e_1/t_1)/(e_0/t_0)` with
    :math:`SE(\\log \\widehat{IRR}) = \\sqrt{1/e_1 + 1/e_0}` (tested). Standard errors are
    model-based unless ``cluster`` is given; then statsmodels' cluster-robust covariance with
    its default small-sample factor :math:`\\frac{G}{G-1}\\frac{N-1}{N-K}`. Validated against
    ``statsmodels.formula.api.glm(..., offset=np.log(exposure))`` (R: ``glm(y ~ x +
    offset(log(t)), family = poisson)``; ``MASS::glm.nb`` fits the same NB2 model).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"episodes": [2, 1, 6, 3], "person_hours": [100.0, 80.0, 120.0, 60.0],
    ...                      "trail": [0, 0, 1, 1]})
    >>> fit = fit_rate_model(data, "episodes", "person_hours", ["trail"])
    >>> round(float(fit.to_frame().loc[1, "estimate"]), 6)  # (9 / 180) / (3 / 180)
    3.0
    >>> round(float(fit.baseline.loc[0, "estimate"]), 4)  # 1000 * 3 / 180
    16.6667
    """
    import statsmodels.api as sm

    level = check_level(level)
    family = check_choice("family", family, _RATE_FAMILIES)
    predictors = as_list(predictors)
    try:
        per = float(per)
    except (TypeError, ValueError):
        raise ArgumentError(f"per must be a positive number; got {per!r}.") from None
    if not (np.isfinite(per) and per > 0):
        raise ArgumentError(f"per must be a positive number; got {per!r}.")
    used = [events, exposure, *predictors] + ([cluster] if cluster is not None else [])
    check_columns(data, used)
    t = pd.to_numeric(data[exposure], errors="coerce").to_numpy(dtype=float)
    bad = ~(np.isfinite(t) & (t > 0))
    if bad.any():
        first = data[exposure].to_numpy().tolist()[np.flatnonzero(bad)[0]]
        raise ArgumentError(
            f"exposure must be positive and finite in column {exposure!r}; got {first!r} "
            f"({int(bad.sum())} bad value{'s' if bad.sum() > 1 else ''})."
        )
    count_values(data[events].dropna(), "events")
    rows, x, spec, notes = prepare_design(data, used, predictors)
    y = count_values(rows[events], "events")
    offset = np.log(rows[exposure].to_numpy(dtype=float))
    fit_kwargs: dict[str, Any] = {}
    if cluster is not None:
        fit_kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": group_codes(rows[cluster])}}
    alpha = 0.0
    if y.sum() == 0:
        raise ArgumentError(f"events must include at least one event; got none in {events!r}.")
    if family == "poisson":
        results = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(
            tol=1e-12, **fit_kwargs
        )
        params, bse = np.asarray(results.params), np.asarray(results.bse)
    else:
        model = sm.NegativeBinomial(y, x, offset=offset, loglike_method="nb2")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            results = model.fit(disp=0, maxiter=200, **fit_kwargs)
        if not results.mle_retvals.get("converged", True):
            warn_note(notes, "The negative-binomial fit did not converge; estimates may be off.")
        params, bse = np.asarray(results.params)[:-1], np.asarray(results.bse)[:-1]
        alpha = float(np.asarray(results.params)[-1])
    check_events(notes, None, y.sum(), x.shape[1] - 1)
    table = coefficient_table(spec.names, params, bse, level)
    baseline = pd.DataFrame(
        {
            "estimate": [per * np.exp(table.loc[0, "estimate"])],
            "ci_low": [per * np.exp(table.loc[0, "ci_low"])],
            "ci_high": [per * np.exp(table.loc[0, "ci_high"])],
            "per": [per],
            "exposure": [exposure],
            "level": [level],
        }
    )
    return RateModelResult(
        table=table,
        baseline=baseline,
        notes=tuple(notes),
        model=results,
        events=events,
        exposure=exposure,
        predictors=tuple(predictors),
        family=family,
        per=per,
        cluster=cluster,
        alpha=alpha,
        level=level,
    )
