"""Repeated-measures and rate models for runner cohorts (GEE, Poisson and negative binomial).

:func:`fit_gee` fits a marginal model to repeated runner-week outcomes with generalised
estimating equations and robust (sandwich) standard errors; :func:`runner_week_panel` builds the
runner x week at-risk table it is typically fitted to; :func:`fit_rate_model` fits Poisson or
negative-binomial rate models with a log-exposure offset and reports incidence rate ratios.
:func:`fit_repeated` is the logistic GEE returning a
:class:`~lbprun.models.risk_factors.RiskFactorResult`.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> data = pd.DataFrame({"runner_id": np.repeat(np.arange(60), 5),
...                      "spike": rng.integers(0, 2, 300)})
>>> data["new_episode"] = rng.random(300) < np.where(data["spike"] == 1, 0.3, 0.15)
>>> fit = fit_gee(data, "new_episode", ["spike"])
>>> fit.to_frame()["term"].tolist()
['(Intercept)', 'spike']
>>> int(fit.glance().loc[0, "n_groups"])
60
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun._result import Result
from lbprun.exceptions import LbprunWarning, SparseDataWarning
from lbprun.models import _design_matrix as dm

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from lbprun.models.risk_factors import RiskFactorResult

__all__ = [
    "CORRELATIONS",
    "COV_STRUCTS",
    "SPIKE_CLASSES",
    "GEEResult",
    "RateModelResult",
    "fit_gee",
    "fit_rate_model",
    "fit_repeated",
    "runner_week_panel",
]

#: Working correlation structures of :func:`fit_gee`.
CORRELATIONS = ("exchangeable", "ar1", "independence")
#: Working correlation structures of :func:`fit_repeated`.
COV_STRUCTS = CORRELATIONS
_GEE_FAMILIES = ("binomial", "poisson")
_RATE_FAMILIES = ("poisson", "negbin")
_SCALES = {"binomial": ("odds_ratio", "log_odds"), "poisson": ("rate_ratio", "log_rate")}


def as_list(predictors: str | Sequence[str] | None, name: str = "predictors") -> list[str]:
    """Return predictor names as a list (a single string is one predictor)."""
    if predictors is None:
        return []
    if isinstance(predictors, str):
        return [predictors]
    try:
        out = list(predictors)
    except TypeError:
        raise ArgumentError(
            f"{name} must be a column name or a list of them; got {predictors!r}."
        ) from None
    if not all(isinstance(p, str) for p in out):
        raise ArgumentError(f"{name} must be column names (str); got {out!r}.")
    return out


def prepare_design(
    data: pd.DataFrame, used: Sequence[str], predictors: Sequence[str]
) -> tuple[pd.DataFrame, np.ndarray, tuple[str, ...], list[str]]:
    """Complete cases of ``used`` columns, the design matrix of ``predictors`` and notes.

    Categorical predictors use R's treatment coding; the reference level is the first category
    of a pandas Categorical, else the first level in sorted order.
    """
    used = list(dict.fromkeys(used))
    check_columns(data, used)
    keep, missing = dm.complete_cases(data, used)
    notes = []
    if missing:
        counts = ", ".join(f"{c} ({n})" for c, n in missing.items())
        notes.append(
            f"{int((~keep).sum())} of {len(data)} rows with a missing value were left out "
            f"(missing per column: {counts})."
        )
    rows = data.loc[keep].reset_index(drop=True)
    if rows.empty:
        raise ArgumentError(f"data must have complete rows in {used!r}; got none.")
    references = {}
    for column in predictors:
        series = rows[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            present = [c for c in series.cat.categories if (series == c).any()]
            if present:
                references[column] = present[0]
    spec = dm.build_spec(rows, predictors, reference_levels=references)
    x = spec.transform(rows)
    message = dm.collinear_message(x, spec.names)
    if message is not None:
        raise ArgumentError(message)
    return rows, x, spec.names, notes


def coefficient_table(
    names: Sequence[str],
    params: Any,
    std_error: Any,
    level: float,
    df: Any = None,
) -> pd.DataFrame:
    """Wald table on the linear-predictor scale (normal, or Student's t with ``df``)."""
    params = np.asarray(params, dtype=float)
    std_error = np.asarray(std_error, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = params / std_error
    if df is None:
        crit = stats.norm.ppf(0.5 + level / 2.0)
        p_value = 2.0 * stats.norm.sf(np.abs(statistic))
    else:
        crit = stats.t.ppf(0.5 + level / 2.0, df)
        p_value = 2.0 * stats.t.sf(np.abs(statistic), df)
    return pd.DataFrame(
        {
            "term": list(names),
            "estimate": params,
            "ci_low": params - crit * std_error,
            "ci_high": params + crit * std_error,
            "std_error": std_error,
            "statistic": statistic,
            "p_value": p_value,
            "level": level,
        }
    )


def exponentiate(table: pd.DataFrame, scale: str, scales: tuple[str, str]) -> pd.DataFrame:
    """Return ``table`` on the ratio scale (``scales[0]``) or as it is (``scales[1]``)."""
    check_choice("scale", scale, scales)
    out = table.copy()
    if scale == scales[0]:
        for column in ("estimate", "ci_low", "ci_high"):
            out[column] = np.exp(out[column])
    return out


def forest(table: pd.DataFrame, label: str, ax: Axes | None = None) -> Axes:
    """Draw ratio estimates and intervals (intercept left out) on a log axis."""
    import matplotlib.pyplot as plt

    rows = table[table["term"] != "(Intercept)"].reset_index(drop=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.0, 0.45 * len(rows) + 1.2))
    y = np.arange(len(rows))
    est = rows["estimate"].to_numpy(float)
    err = np.vstack([est - rows["ci_low"].to_numpy(float), rows["ci_high"].to_numpy(float) - est])
    ax.errorbar(est, y, xerr=err, fmt="o", color="tab:blue", capsize=3)
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yticks(y)
    ax.set_yticklabels(rows["term"].tolist())
    ax.invert_yaxis()
    ax.set_xlabel(label)
    return ax


def _codes(values: pd.Series) -> np.ndarray:
    return pd.factorize(values, sort=True)[0].astype(np.int64)


def _warn(notes: list[str], message: str, category: type[Warning] = LbprunWarning) -> None:
    """Record an analysis problem as a note and emit it as a warning."""
    notes.append(message)
    warnings.warn(message, category, stacklevel=3)


def _check_events(notes: list[str], y: np.ndarray | None, events: float, terms: int) -> None:
    """Warn when there are fewer than 10 events (or non-events) per predictor column."""
    if y is not None:
        events = min(events, y.size - events)
    if terms > 0 and events / terms < 10:
        _warn(
            notes,
            f"Only {events:g} events for {terms} predictor column{'s' if terms > 1 else ''} "
            "(fewer than 10 per column): estimates and intervals may be unstable.",
            SparseDataWarning,
        )


def _counts(values: pd.Series, name: str) -> np.ndarray:
    y = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(y) | (y < 0) | (y != np.round(y))
    if bad.any():
        first = values.to_numpy().tolist()[np.flatnonzero(bad)[0]]
        raise ArgumentError(
            f"{name} must be non-negative integer counts; got {first!r} "
            f"({int(bad.sum())} bad value{'s' if bad.sum() > 1 else ''})."
        )
    return y


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class GEEResult(Result):
    """A marginal (population-averaged) model fitted by GEE with robust standard errors.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``term, estimate, ci_low, ci_high, std_error, statistic, p_value, level`` on the
        linear-predictor scale (log odds or log rate); :meth:`to_frame` exponentiates.
    notes : tuple of str
        Rows left out for missing values and other remarks.
    model : statsmodels GEEResults
        The fitted statsmodels results (left out of :meth:`to_dict`).
    outcome : str
        Outcome column.
    predictors : tuple of str
        Predictor columns.
    groups : str
        Cluster (runner) column.
    family : str
        ``"binomial"`` (logit link) or ``"poisson"`` (log link).
    correlation : str
        Working correlation structure.
    level : float
        Confidence level.
    """

    model: Any
    outcome: str
    predictors: tuple[str, ...]
    groups: str
    family: str
    correlation: str
    level: float
    _private_fields: tuple[str, ...] = ("model",)

    def _title(self) -> str:
        return f"GEE ({self.family}, {self.correlation} working correlation) of {self.outcome}"

    def to_frame(self, scale: str | None = None) -> pd.DataFrame:
        """Return the coefficient table.

        Parameters
        ----------
        scale : str, optional
            ``"odds_ratio"`` (default) or ``"log_odds"`` for the binomial family,
            ``"rate_ratio"`` (default) or ``"log_rate"`` for Poisson. ``std_error`` and
            ``statistic`` stay on the linear-predictor scale.

        Returns
        -------
        pandas.DataFrame
            A copy of the table on the asked scale.
        """
        scales = _SCALES[self.family]
        return exponentiate(self.table, scales[0] if scale is None else scale, scales)

    def glance(self) -> pd.DataFrame:
        """Return a one-row summary of the fit.

        Returns
        -------
        pandas.DataFrame
            ``n_obs, n_groups, cluster_size_min, cluster_size_mean, cluster_size_max,
            correlation, working_correlation`` (the estimated exchangeable or AR(1)
            parameter; 0 for independence) and ``scale``.
        """
        sizes = np.array([len(rows) for rows in self.model.model.group_indices.values()])
        dep = self.model.model.cov_struct.dep_params
        dep = 0.0 if dep is None else dep
        return pd.DataFrame(
            {
                "n_obs": [int(self.model.nobs)],
                "n_groups": [int(sizes.size)],
                "cluster_size_min": [int(sizes.min())],
                "cluster_size_mean": [float(sizes.mean())],
                "cluster_size_max": [int(sizes.max())],
                "correlation": [self.correlation],
                "working_correlation": [float(dep) if np.ndim(dep) == 0 else np.nan],
                "scale": [float(self.model.scale)],
            }
        )

    def plot(self, ax: Axes | None = None) -> Axes:
        """Forest plot of the ratios with their robust intervals (log axis)."""
        label = "Odds ratio" if self.family == "binomial" else "Rate ratio"
        return forest(self.to_frame(), f"{label} ({self.level:.0%} CI, robust SE)", ax)


def fit_gee(
    data: pd.DataFrame,
    outcome: str,
    predictors: str | Sequence[str],
    *,
    groups: str = "runner_id",
    time: str | None = None,
    family: str = "binomial",
    correlation: str = "exchangeable",
    level: float = 0.95,
) -> GEEResult:
    """Fit a marginal model to repeated outcomes by GEE with robust (sandwich) standard errors.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation (e.g. runner-week, from :func:`runner_week_panel`).
    outcome : str
        Outcome column: 0/1 or boolean for ``"binomial"``, a non-negative count for
        ``"poisson"``.
    predictors : str or sequence of str
        Predictor columns; text, categorical and boolean columns are treatment-coded against
        their first level (a pandas Categorical's first category).
    groups : str, default="runner_id"
        Cluster column: observations of one runner may be correlated.
    time : str or None, default=None
        Order of the observations within a runner (needed for ``"ar1"``; e.g.
        ``week_index``, whose gaps count as time).
    family : {"binomial", "poisson"}, default="binomial"
        Logit link for a binary outcome, log link for a count.
    correlation : {"exchangeable", "ar1", "independence"}, default="exchangeable"
        Working correlation structure.
    level : float, default=0.95
        Confidence level of the Wald intervals.

    Returns
    -------
    GEEResult
        ``to_frame(scale=...)`` gives ``term, estimate, ci_low, ci_high, std_error, statistic,
        p_value, level``; ``glance()`` the cluster summary; ``model`` the statsmodels results.

    Raises
    ------
    lbprun._checks.ArgumentError
        Unknown columns (with the closest name), a non-binary outcome for ``"binomial"``, a
        negative count for ``"poisson"``, ``"ar1"`` without ``time``, collinear predictors,
        an invalid option or level.

    Notes
    -----
    The estimating equations :math:`\\sum_i D_i^T V_i^{-1}(y_i - \\mu_i) = 0` with
    :math:`V_i = A_i^{1/2} R(\\alpha) A_i^{1/2}` give consistent coefficients whatever the
    working correlation :math:`R`; the robust covariance
    :math:`B^{-1} (\\sum_i D_i^T V_i^{-1} r_i r_i^T V_i^{-1} D_i) B^{-1}` (Liang & Zeger 1986)
    stays valid when :math:`R` is wrong; it has no small-sample correction. With
    ``"independence"`` the coefficients are those of the ordinary logistic (Poisson) fit and
    the covariance is the cluster-robust one: statsmodels
    ``GLM(...).fit(cov_type="cluster", cov_kwds={"groups": g, "use_correction": False})``.
    statsmodels' default ``use_correction=True`` (as Stata) multiplies it by
    :math:`\\frac{G}{G-1}\\frac{N-1}{N-K}`. Coefficients are population-averaged (marginal),
    smaller in size than the subject-specific ones of a random-intercept model. Validated
    against statsmodels ``GEE`` and ``GLM`` directly (R's ``geepack::geeglm`` computes the same
    sandwich estimator) and by seeded coverage simulations.

    Examples
    --------
    >>> from lbprun.datasets import (load_example_activities, load_example_cohort,
    ...                              load_example_episodes)
    >>> panel = runner_week_panel(load_example_cohort(), load_example_activities(),
    ...                           episodes=load_example_episodes())
    >>> fit = fit_gee(panel, "new_episode", ["prev_spike_class", "prior_lbp"])
    >>> fit.to_frame()["term"].tolist()[1:]
    ['prev_spike_class[10-30%]', 'prev_spike_class[>30%]', 'prior_lbp']
    >>> bool(fit.to_frame().loc[3, "estimate"] > 1)
    True
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    level = check_level(level)
    family = check_choice("family", family, _GEE_FAMILIES)
    correlation = check_choice("correlation", correlation, CORRELATIONS)
    predictors = as_list(predictors)
    if correlation == "ar1" and time is None:
        raise ArgumentError("time must name a column when correlation='ar1'; got None.")
    used = [outcome, *predictors, groups] + ([time] if time is not None else [])
    check_columns(data, used)
    rows, x, names, notes = prepare_design(data, used, predictors)
    if family == "binomial":
        y = dm.binary_outcome(rows[outcome], outcome)
    else:
        y = _counts(rows[outcome], f"outcome {outcome!r}")
    kwargs: dict[str, Any] = {}
    if time is not None:
        clock = pd.to_numeric(rows[time], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(clock).all():
            raise ArgumentError(f"time must name a numeric column; got {time!r}.")
        order = np.lexsort((clock, _codes(rows[groups])))
        rows, x, y, clock = rows.iloc[order].reset_index(drop=True), x[order], y[order], clock
        kwargs["time"] = clock[order]
    group_codes = _codes(rows[groups])
    structure = {
        "exchangeable": sm.cov_struct.Exchangeable,
        "ar1": lambda: sm.cov_struct.Autoregressive(grid=False),
        "independence": sm.cov_struct.Independence,
    }[correlation]()
    fam = sm.families.Binomial() if family == "binomial" else sm.families.Poisson()
    model = sm.GEE(y, x, groups=group_codes, family=fam, cov_struct=structure, **kwargs)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        results = model.fit(maxiter=100)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        _warn(notes, "The GEE iterations did not converge in 100 steps; estimates may be off.")
    n_groups = int(np.unique(group_codes).size)
    if n_groups < 30:
        notes.append(
            f"Only {n_groups} clusters: the robust (sandwich) standard errors may be too small; "
            "interpret the intervals with care."
        )
    _check_events(notes, y if family == "binomial" else None, y.sum(), x.shape[1] - 1)
    return GEEResult(
        table=coefficient_table(names, results.params, results.bse, level),
        notes=tuple(notes),
        model=results,
        outcome=outcome,
        predictors=tuple(predictors),
        groups=groups,
        family=family,
        correlation=correlation,
        level=level,
    )


# Rate models


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
        out = exponentiate(self.table, scale, _SCALES["poisson"])
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
        return forest(self.to_frame(), f"Incidence rate ratio ({self.level:.0%} CI)", ax)


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
    _counts(data[events].dropna(), "events")
    rows, x, names, notes = prepare_design(data, used, predictors)
    y = _counts(rows[events], "events")
    offset = np.log(rows[exposure].to_numpy(dtype=float))
    fit_kwargs: dict[str, Any] = {}
    if cluster is not None:
        fit_kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": _codes(rows[cluster])}}
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
            _warn(notes, "The negative-binomial fit did not converge; estimates may be off.")
        params, bse = np.asarray(results.params)[:-1], np.asarray(results.bse)[:-1]
        alpha = float(np.asarray(results.params)[-1])
    _check_events(notes, None, y.sum(), x.shape[1] - 1)
    table = coefficient_table(names, params, bse, level)
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


# The runner x week at-risk table

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
    first = start - pd.to_timedelta((start.dt.dayofweek - weekday) % 7, unit="D")
    last = end - pd.to_timedelta((end.dt.dayofweek - weekday) % 7, unit="D")
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


# Logistic GEE in the layout of the risk-factor tables


def _risk_table(names: Sequence[str], beta: Any, se: Any, level: float) -> pd.DataFrame:
    table = coefficient_table(names, beta, se, level).drop(columns="level")
    table["method"] = "gee"
    table["interval"] = "wald"
    return table


def fit_repeated(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    group: str = "runner_id",
    cov_struct: str = "exchangeable",
    time: str | None = None,
    reference_levels: Mapping[str, Any] | None = None,
    splines: Mapping[str, int] | None = None,
    level: float = 0.95,
) -> RiskFactorResult:
    """Logistic GEE for repeated binary outcomes (e.g. LBP in each runner-week).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per runner and occasion.
    outcome : str
        0/1 outcome column.
    predictors : sequence of str
        Predictor columns (coded as in :func:`~lbprun.models.risk_factors.fit_risk_factors`).
    group : str, default="runner_id"
        Column identifying the runner (the cluster of repeated measures).
    cov_struct : {"exchangeable", "ar1", "independence"}, default="exchangeable"
        Working correlation.
    time : str, optional
        Column ordering the occasions within a runner (needed for ``"ar1"``).
    reference_levels, splines
        As in :func:`~lbprun.models.risk_factors.fit_risk_factors`.
    level : float, default=0.95
        Confidence level.

    Returns
    -------
    RiskFactorResult
        Population-averaged log odds ratios with robust (sandwich) standard errors; ``model``
        is the statsmodels ``GEEResults``.

    Notes
    -----
    statsmodels ``GEE(family=Binomial())`` with the robust covariance (Liang & Zeger 1986), the
    same estimator as R ``geepack::geeglm(..., std.err = "san.se")``.
    """
    import statsmodels.api as sm

    from lbprun.models.risk_factors import RiskFactorResult

    level = check_level(level)
    check_choice("cov_struct", cov_struct, COV_STRUCTS)
    if cov_struct == "ar1" and time is None:
        raise ArgumentError("time must name the occasion column when cov_struct='ar1'.")
    check_columns(data, [outcome, group, time, *predictors], name="data")
    used, counts = dm.complete_cases(data, [outcome, group, time, *predictors])
    sub = data.loc[used]
    if time is not None:
        sub = sub.sort_values([group, time], kind="stable")
    y = dm.binary_outcome(sub[outcome], outcome)
    spec = dm.build_spec(sub, predictors, reference_levels=reference_levels, splines=splines)
    x = spec.transform(sub)
    message = dm.collinear_message(x, spec.names)
    if message:
        raise ArgumentError(message)
    structure = {
        "exchangeable": sm.cov_struct.Exchangeable(),
        "ar1": sm.cov_struct.Autoregressive(grid=True),
        "independence": sm.cov_struct.Independence(),
    }[cov_struct]
    groups = pd.factorize(sub[group])[0]
    kwargs = {}
    if time is not None:
        kwargs["time"] = sub.groupby(group, sort=False).cumcount().to_numpy()
    model = sm.GEE(
        y, x, groups=groups, family=sm.families.Binomial(), cov_struct=structure, **kwargs
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = model.fit(maxiter=100)
    beta, cov = np.asarray(res.params), np.asarray(res.cov_robust)
    table = _risk_table(spec.names, beta, np.sqrt(np.diag(cov)), level)
    notes = []
    if counts:
        why = ", ".join(f"{c}: {k}" for c, k in counts.items())
        notes.append(f"{int((~used).sum())} rows dropped with missing values ({why}).")
    fit_stats = {
        "n_used": int(used.sum()),
        "n_dropped": int((~used).sum()),
        "n_groups": int(groups.max() + 1),
        "events": int(y.sum()),
        "cov_struct": cov_struct,
        "working_correlation": float(np.ravel(structure.dep_params)[0])
        if cov_struct != "independence"
        else 0.0,
        "method": "gee",
        "variance": "cluster",
        "ranges": {},
    }
    return RiskFactorResult(
        table=table,
        notes=tuple(notes),
        model=res,
        spec=spec,
        stats=fit_stats,
        level=level,
        method="gee",
        interval="wald",
        outcome=outcome,
        cov=cov,
        _x=x,
        _y=y,
        _w=np.ones(len(y)),
    )
