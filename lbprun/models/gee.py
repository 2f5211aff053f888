"""Marginal (population-averaged) models of repeated runner-week outcomes by generalised
estimating equations (GEE) with robust (sandwich) standard errors.

:func:`fit_gee` is the one GEE fit of lbprun (logit or log link; exchangeable, AR(1) or
independence working correlation). :func:`fit_repeated` gives the same logistic fit in the
layout of :func:`~lbprun.models.risk_factors.fit_risk_factors` (a
:class:`~lbprun.models.risk_factors.RiskFactorResult` with ``wald_test``, ``predict`` and
``dose_response`` for spline terms).

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

from lbprun._checks import ArgumentError, check_choice, check_level
from lbprun._result import Result
from lbprun.exceptions import ConvergenceError
from lbprun.io.provenance import reading_notes
from lbprun.models import _design_matrix as dm
from lbprun.models._labels import term_labels
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

    from lbprun.models.risk_factors import RiskFactorResult

__all__ = ["CORRELATIONS", "CORRELATION_ESTIMATORS", "GEEResult", "fit_gee", "fit_repeated"]

#: Working correlation structures of :func:`fit_gee`.
CORRELATIONS = ("exchangeable", "ar1", "independence", "fixed")
#: Estimators of the exchangeable and AR(1) parameters (see :func:`fit_gee`).
CORRELATION_ESTIMATORS = ("statsmodels", "geepack")
_GEE_FAMILIES = ("binomial", "poisson")
_SCALES = {"binomial": ("odds_ratio", "log_odds"), "poisson": ("rate_ratio", "log_rate")}
_BASELINE = {
    "binomial": ("baseline odds", "baseline log odds"),
    "poisson": ("baseline rate per unit of exposure", "baseline log rate per unit of exposure"),
}


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
    exposure : str or None, default=None
        Exposure column whose logarithm is the offset (Poisson rates), if any.
    correlation_estimator : str, default="statsmodels"
        Estimator of the exchangeable or AR(1) parameter (``"statsmodels"`` or ``"geepack"``).
    """

    model: Any
    outcome: str
    predictors: tuple[str, ...]
    groups: str
    family: str
    correlation: str
    level: float
    exposure: str | None = None
    correlation_estimator: str = "statsmodels"
    _private_fields: tuple[str, ...] = ("model",)

    def _title(self) -> str:
        return f"GEE ({self.family}, {self.correlation} working correlation) of {self.outcome}"

    def to_frame(self, scale: str | None = None) -> pd.DataFrame:
        """Return the coefficient table.

        Parameters
        ----------
        scale : str, optional
            ``"odds_ratio"`` (default) or ``"log_odds"`` for the binomial family,
            ``"rate_ratio"`` (default) or ``"log_rate"`` for Poisson; ``"log"`` is an alias
            of the family's log scale (``"log_odds"`` or ``"log_rate"``), as in
            :meth:`lbprun.models.rates.RateModelResult.to_frame`. ``std_error`` and
            ``statistic`` stay on the linear-predictor scale.

        Returns
        -------
        pandas.DataFrame
            A copy of the table on the asked scale, with a last column ``label`` saying what
            each row is (the intercept's baseline odds or rate and the covariate values it is
            at, a unit, a level against its reference).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> rng = np.random.default_rng(1)
        >>> data = pd.DataFrame({"runner_id": np.repeat(np.arange(60), 5),
        ...                      "spike": rng.integers(0, 2, 300)})
        >>> data["new_episode"] = rng.random(300) < np.where(data["spike"] == 1, 0.3, 0.15)
        >>> fit = fit_gee(data, "new_episode", ["spike"])
        >>> fit.to_frame(scale="log").equals(fit.to_frame(scale="log_odds"))
        True
        """
        scales = _SCALES[self.family]
        scale = scales[0] if scale is None else scale
        scale = scales[1] if scale == "log" else scale
        out = exponentiate(self.table, scale, scales)
        if scale == scales[1] and "label" in out.columns:
            ratio, linear = _BASELINE[self.family]
            out["label"] = out["label"].str.replace(ratio, linear, n=1, regex=False)
        return out

    def glance(self) -> pd.DataFrame:
        """Return a one-row summary of the fit.

        Returns
        -------
        pandas.DataFrame
            ``n_obs, n_groups, cluster_size_min, cluster_size_mean, cluster_size_max,
            correlation, working_correlation`` (the estimated exchangeable or AR(1)
            parameter; 0 for independence, NaN for a fixed matrix) and ``scale``.
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
        """Forest plot of the ratios with their robust intervals (log axis).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from lbprun.plots.models import plot_forest

        label = "Odds ratio" if self.family == "binomial" else "Rate ratio"
        xlabel = f"{label} ({self.level:.0%} CI, robust SE)"
        return plot_forest(self.to_frame(), ax=ax, xlabel=xlabel)


def fit_gee(
    data: pd.DataFrame,
    outcome: str,
    predictors: str | Sequence[str],
    *,
    groups: str = "runner_id",
    time: str | None = None,
    family: str = "binomial",
    correlation: str = "exchangeable",
    exposure: str | None = None,
    working_correlation: Any = None,
    correlation_estimator: str = "statsmodels",
    level: float = 0.95,
) -> GEEResult:
    """Fit a marginal model to repeated outcomes by GEE with robust (sandwich) standard errors.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation (e.g. runner-week, from
        :func:`lbprun.models.panel.runner_week_panel`).
    outcome : str
        Outcome column: 0/1 or boolean for ``"binomial"``, a non-negative count for
        ``"poisson"``.
    predictors : str or sequence of str
        Predictor columns; text, categorical and boolean columns are treatment-coded against
        their first level (a pandas Categorical's first category).
    groups : str, default="runner_id"
        Cluster column: observations of one runner may be correlated.
    time : str or None, default=None
        Numeric column ordering the observations within a runner (needed for ``"ar1"`` and
        ``"fixed"``; e.g. ``week_index``).
    family : {"binomial", "poisson"}, default="binomial"
        Logit link for a binary outcome, log link for a count.
    correlation : {"exchangeable", "ar1", "independence", "fixed"}, default="exchangeable"
        Working correlation structure; ``"fixed"`` uses ``working_correlation`` as it is.
    exposure : str or None, default=None
        Strictly positive exposure column (e.g. ``person_hours``) for ``"poisson"``: its
        logarithm is an offset, so coefficients are log rate ratios per unit of exposure
        (R ``offset = log(exposure)``).
    working_correlation : array-like or None, default=None
        With ``correlation="fixed"``: a symmetric positive-definite correlation matrix, row
        and column ``t`` for the ``t``-th of the sorted distinct values of ``time`` (R
        ``geeglm(corstr = "fixed", zcor = fixed2Zcor(matrix, id, waves))``).
    correlation_estimator : {"statsmodels", "geepack"}, default="statsmodels"
        Moment estimator of the exchangeable or AR(1) parameter, see Notes.
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
        negative count for ``"poisson"``, ``"ar1"`` or ``"fixed"`` without ``time``, an
        exposure with the binomial family or with values <= 0, a ``working_correlation`` that
        is not a correlation matrix of one row per time value, collinear predictors, an
        invalid option or level.

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

    Correlation parameters. Both estimators use Pearson residuals :math:`r_{ij}`.
    ``"statsmodels"`` (statsmodels ``Exchangeable`` and ``Autoregressive(grid=False)``):
    :math:`\\phi = \\sum r^2/(N - p)`, the exchangeable
    :math:`\\alpha = \\sum_i\\sum_{j<k} r_{ij}r_{ik} / (\\phi(\\sum_i n_i(n_i-1)/2 - p))`, and
    the AR(1) parameter fitted by weighted least squares to the lag-wise moment estimates
    (neither geepack's nor gee's estimator). ``"geepack"`` (R ``geepack::geeglm``):
    :math:`\\phi = \\sum r^2/N`, the same exchangeable formula without :math:`p`, and the AR(1)
    parameter the root of :math:`\\sum_i\\sum_{j<k} d_{jk}\\alpha^{d_{jk}-1}
    (r_{ij}r_{ik}/\\phi - \\alpha^{d_{jk}}) = 0` over all pairs (:math:`d_{jk}` their distance
    in observation order). The AR(1) matrix has :math:`\\alpha^{|j-k|}` by observation order
    within the runner (as geeglm without ``waves``): gaps in ``time`` do not widen it.
    Iterations stop at a coefficient change below 1e-10 (at most 100). With
    ``correlation_estimator="geepack"``, ``exposure`` and ``"fixed"``, coefficients, robust
    standard errors and the correlation parameter match ``geepack::geeglm(..., family =
    poisson, offset = log(time), corstr = "exchangeable" | "ar1" | "fixed")`` on
    ``geepack::seizure`` to 1e-6 (tests/reference/r/geepack_seizure.R).

    Examples
    --------
    >>> from lbprun.datasets import (load_example_activities, load_example_cohort,
    ...                              load_example_episodes)
    >>> from lbprun.models.panel import runner_week_panel
    >>> panel = runner_week_panel(load_example_cohort(), load_example_activities(),
    ...                           episodes=load_example_episodes())
    >>> fit = fit_gee(panel, "new_episode", ["prev_spike_class", "prior_lbp"])
    >>> fit.to_frame()["term"].tolist()[1:]
    ['prev_spike_class[10-30%]', 'prev_spike_class[>30%]', 'prior_lbp']
    >>> bool(fit.to_frame().loc[3, "estimate"] > 1)
    True
    """
    level = check_level(level)
    family = check_choice("family", family, _GEE_FAMILIES)
    correlation = check_choice("correlation", correlation, CORRELATIONS)
    correlation_estimator = check_choice(
        "correlation_estimator", correlation_estimator, CORRELATION_ESTIMATORS
    )
    predictors = as_list(predictors)
    if correlation in ("ar1", "fixed") and time is None:
        raise ArgumentError(f"time must name a column when correlation={correlation!r}; got None.")
    if exposure is not None and family != "poisson":
        raise ArgumentError(f"exposure must be used with family='poisson'; got {family!r}.")
    if (working_correlation is None) != (correlation != "fixed"):
        raise ArgumentError(
            "working_correlation must be given exactly when correlation='fixed'; got "
            f"{'None' if working_correlation is None else 'a matrix'} with {correlation!r}."
        )
    fit = _fit(
        data,
        outcome,
        predictors,
        groups,
        time,
        family,
        correlation,
        exposure=exposure,
        fixed=working_correlation,
        estimator=correlation_estimator,
    )
    return GEEResult(
        table=coefficient_table(fit.spec.names, fit.results.params, fit.results.bse, level).assign(
            label=term_labels(fit.spec, baseline=_BASELINE[family][0])
        ),
        notes=(*fit.notes, *reading_notes(data)),
        model=fit.results,
        outcome=outcome,
        predictors=tuple(predictors),
        groups=groups,
        family=family,
        correlation=correlation,
        level=level,
        exposure=exposure,
        correlation_estimator=correlation_estimator,
    )


@dataclass(frozen=True)
class _GEEFit:
    results: Any
    spec: dm.DesignSpec
    x: np.ndarray
    y: np.ndarray
    n_rows: int
    notes: list[str]


def _fit(
    data: pd.DataFrame,
    outcome: str,
    predictors: list[str],
    groups: str,
    time: str | None,
    family: str,
    correlation: str,
    reference_levels: Mapping[str, Any] | None = None,
    splines: Mapping[str, int] | None = None,
    category_order: bool = True,
    exposure: str | None = None,
    fixed: Any = None,
    estimator: str = "statsmodels",
) -> _GEEFit:
    """The GEE fit behind :func:`fit_gee` and :func:`fit_repeated` (arguments checked)."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    from lbprun.models import _gee_structures as gs

    used = [outcome, *predictors, groups] + [c for c in (time, exposure) if c is not None]
    rows, x, spec, notes = prepare_design(
        data,
        used,
        predictors,
        reference_levels=reference_levels,
        splines=splines,
        category_order=category_order,
    )
    if family == "binomial":
        y = dm.binary_outcome(rows[outcome], outcome)
    else:
        y = count_values(rows[outcome], f"outcome {outcome!r}")
    kwargs: dict[str, Any] = {}
    if time is not None:
        clock = pd.to_numeric(rows[time], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(clock).all():
            raise ArgumentError(f"time must name a numeric column; got {time!r}.")
        order = np.lexsort((clock, group_codes(rows[groups])))
        rows, x, y = rows.iloc[order].reset_index(drop=True), x[order], y[order]
        kwargs["time"] = clock[order]
    if exposure is not None:
        amount = pd.to_numeric(rows[exposure], errors="coerce").to_numpy(dtype=float)
        if not (np.isfinite(amount) & (amount > 0)).all():
            raise ArgumentError(f"exposure {exposure!r} must be finite and > 0 in every row.")
        kwargs["offset"] = np.log(amount)
    codes = group_codes(rows[groups])
    structure = {
        "exchangeable": sm.cov_struct.Exchangeable,
        "ar1": lambda: (
            gs.GeepackAutoregressive()
            if estimator == "geepack"
            else sm.cov_struct.Autoregressive(grid=False)
        ),
        "independence": sm.cov_struct.Independence,
        "fixed": lambda: gs.FixedCorrelation(gs.check_fixed_matrix(fixed, kwargs["time"])),
    }[correlation]()
    fam = sm.families.Binomial() if family == "binomial" else sm.families.Poisson()
    model = sm.GEE(y, x, groups=codes, family=fam, cov_struct=structure, **kwargs)
    if correlation == "fixed":
        occasion = np.searchsorted(np.unique(kwargs["time"]), kwargs["time"])
        structure.positions = [occasion[model.group_indices[g]] for g in model.group_labels]
    ddof = 0 if estimator == "geepack" else None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        try:
            results = model.fit(maxiter=100, ctol=1e-10, ddof_scale=ddof)
        except ValueError as err:  # statsmodels' AR(1) search may fail to bracket its root
            raise ConvergenceError(
                f"The GEE working correlation could not be estimated ({err}); try "
                "correlation_estimator='geepack' or another correlation."
            ) from err
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        warn_note(notes, "The GEE iterations did not converge in 100 steps; estimates may be off.")
    check = _check_gee(model, results, len(y))
    if not check.converged:  # polish from where the iterations stopped
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            results = model.fit(
                maxiter=100, ctol=1e-13, ddof_scale=ddof, start_params=results.params
            )
        check = _check_gee(model, results, len(y))
    if check.converged:
        notes.append(check.note)
    else:
        warn_note(notes, check.note)
    n_groups = int(np.unique(codes).size)
    if n_groups < 30:
        notes.append(
            f"Only {n_groups} clusters: the robust (sandwich) standard errors may be too small; "
            "interpret the intervals with care."
        )
    check_events(notes, y if family == "binomial" else None, y.sum(), x.shape[1] - 1)
    return _GEEFit(results, spec, x, y, len(rows), notes)


def _check_gee(model: Any, results: Any, n_obs: int) -> Any:
    """Check the estimating equations at the GEE estimate with its final working correlation.

    The score is :math:`U = \\sum_i D_i' V_i^{-1} (y_i - \\mu_i)` and the information
    :math:`\\sum_i D_i' V_i^{-1} D_i` (statsmodels' own Fisher-scoring quantities); with no
    likelihood, the number of observations scales the gradient.
    """
    from lbprun.models._convergence import check_convergence

    params = np.asarray(results.params, dtype=float)
    model.update_cached_means(params)
    information, score = 0.0, 0.0
    for i in range(model.num_group):
        mean, linear = model.cached_means[i]
        deriv = model.mean_deriv(model.exog_li[i], linear)
        sdev = np.sqrt(model.family.variance(mean))
        solved = model.cov_struct.covariance_matrix_solve(
            mean, i, sdev, (deriv, model.endog_li[i] - mean)
        )
        if solved is None:
            information = np.full((params.size, params.size), np.nan)
            break
        information = information + deriv.T @ solved[0]
        score = score + deriv.T @ solved[1]
    history = getattr(results, "fit_history", None) or {}
    iterations = max(len(history.get("params", [])) - 1, 0) or None
    return check_convergence(
        np.asarray(score, dtype=float) * np.ones(params.size),
        -np.asarray(information, dtype=float),
        params,
        float(n_obs),
        method="GEE Fisher scoring",
        iterations=iterations,
        on_failure="ignore",
    )


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
    """Logistic GEE in the layout of the risk-factor tables (a :class:`RiskFactorResult`).

    The same fit as ``fit_gee(data, outcome, predictors, groups=group, time=time,
    correlation=cov_struct, family="binomial")``, returned as a
    :class:`~lbprun.models.risk_factors.RiskFactorResult` so that reference levels, spline terms,
    ``wald_test``, ``predict`` and ``dose_response`` work as for
    :func:`~lbprun.models.risk_factors.fit_risk_factors`.

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
        Numeric column ordering the occasions within a runner (needed for ``"ar1"``; gaps
        count as time).
    reference_levels, splines
        As in :func:`~lbprun.models.risk_factors.fit_risk_factors`.
    level : float, default=0.95
        Confidence level.

    Returns
    -------
    RiskFactorResult
        Population-averaged log odds ratios with robust (sandwich) standard errors (``method``
        ``"gee"``, ``interval`` ``"wald"``); ``model`` is the statsmodels ``GEEResults``;
        ``glance()`` adds ``n_groups, cov_struct, working_correlation``.

    Raises
    ------
    lbprun._checks.ArgumentError
        As :func:`fit_gee`; ``"ar1"`` without ``time``.

    Notes
    -----
    statsmodels ``GEE(family=Binomial())`` with the robust covariance (Liang & Zeger 1986), the
    same estimator as R ``geepack::geeglm(..., std.err = "san.se")``; see :func:`fit_gee`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(2)
    >>> data = pd.DataFrame({"runner_id": np.repeat(np.arange(50), 4),
    ...                      "spike": rng.integers(0, 2, 200)})
    >>> data["lbp_week"] = rng.random(200) < np.where(data["spike"] == 1, 0.35, 0.2)
    >>> fit = fit_repeated(data, "lbp_week", ["spike"], cov_struct="independence")
    >>> fit.to_frame()[["term", "method"]].values.tolist()
    [['(Intercept)', 'gee'], ['spike', 'gee']]
    """
    from lbprun.models.risk_factors import RiskFactorResult

    level = check_level(level)
    check_choice("cov_struct", cov_struct, CORRELATIONS)
    if cov_struct == "ar1" and time is None:
        raise ArgumentError("time must name the occasion column when cov_struct='ar1'.")
    predictors = as_list(predictors)
    fit = _fit(
        data,
        outcome,
        predictors,
        group,
        time,
        "binomial",
        cov_struct,
        reference_levels=reference_levels,
        splines=splines,
        category_order=False,
    )
    res = fit.results
    cov = np.asarray(res.cov_robust)
    table = coefficient_table(fit.spec.names, res.params, np.sqrt(np.diag(cov)), level)
    table = table.drop(columns="level").assign(method="gee", interval="wald")
    dep = res.model.cov_struct.dep_params
    fit_stats = {
        "n_used": fit.n_rows,
        "n_dropped": len(data) - fit.n_rows,
        "n_groups": len(res.model.group_indices),
        "events": int(fit.y.sum()),
        "cov_struct": cov_struct,
        "working_correlation": 0.0 if dep is None else float(np.ravel(dep)[0]),
        "method": "gee",
        "variance": "cluster",
        "ranges": {},
    }
    return RiskFactorResult(
        table=table,
        notes=(*fit.notes, *reading_notes(data)),
        model=res,
        spec=fit.spec,
        stats=fit_stats,
        level=level,
        method="gee",
        interval="wald",
        outcome=outcome,
        cov=cov,
        _x=fit.x,
        _y=fit.y,
        _w=np.ones(len(fit.y)),
    )
