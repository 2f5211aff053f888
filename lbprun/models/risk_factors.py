"""Risk factors of LBP: logistic regression with odds-ratio tables that match R.

Examples
--------
>>> from lbprun.datasets import load_example_survey
>>> survey = load_example_survey()
>>> fit = fit_risk_factors(survey, "lbp_12m", ["prior_lbp", "sex"])
>>> fit.to_frame()["term"].tolist()
['(Intercept)', 'prior_lbp', 'sex[M]']
>>> bool(fit.to_frame().loc[1, "estimate"] > 1)
True
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun._result import Result
from lbprun.exceptions import SparseDataWarning
from lbprun.models import _design_matrix as dm
from lbprun.models.calibration import fit_statistics
from lbprun.models.firth import firth_fit, firth_profile_intervals
from lbprun.models.profile import (
    fit_ml,
    logistic_newton,
    profile_intervals,
    statsmodels_factory,
)

__all__ = ["METHODS", "RiskFactorResult", "fit_risk_factors"]

#: Estimation methods of :func:`fit_risk_factors`.
METHODS = ("ml", "firth")
#: Interval methods.
INTERVALS = ("wald", "profile")
#: Missing-data strategies.
MISSING = ("complete", "impute")


@dataclass(frozen=True, kw_only=True, eq=False)
class RiskFactorResult(Result):
    """Result of :func:`fit_risk_factors`: one row per model term.

    Attributes
    ----------
    table : pandas.DataFrame
        ``term, estimate, ci_low, ci_high, std_error, statistic, p_value, method, interval`` on
        the log-odds scale (see :meth:`to_frame` for odds ratios).
    model : object
        The fitted statsmodels ``GLMResults`` (``method="ml"`` and survey designs) or the
        :class:`~lbprun.models.firth.FirthFit`.
    spec : DesignSpec
        How to rebuild the design matrix of new data.
    stats : dict
        Fit statistics (see :meth:`glance`).
    level : float
        Confidence level.
    method, interval : str
        Estimation and interval methods.
    """

    model: Any = field(default=None, repr=False)
    spec: Any = field(default=None, repr=False)
    stats: dict[str, Any] = field(default_factory=dict)
    level: float = 0.95
    method: str = "ml"
    interval: str = "wald"
    outcome: str = ""
    cov: np.ndarray = field(default=None, repr=False)
    _x: np.ndarray = field(default=None, repr=False)
    _y: np.ndarray = field(default=None, repr=False)
    _w: np.ndarray = field(default=None, repr=False)
    complete_case: Any = field(default=None, repr=False)
    _private_fields: tuple[str, ...] = ("model", "spec", "cov", "complete_case")

    def to_frame(self, scale: str = "odds_ratio") -> pd.DataFrame:
        """Return the coefficient table on the odds-ratio or the log-odds scale.

        Parameters
        ----------
        scale : {"odds_ratio", "log_odds"}, default="odds_ratio"
            With ``"odds_ratio"`` the estimate and interval are exponentiated; ``std_error``,
            ``statistic`` and ``p_value`` always refer to the log-odds coefficient.
        """
        check_choice("scale", scale, ("odds_ratio", "log_odds"))
        table = self.table.copy()
        if scale == "odds_ratio":
            for col in ("estimate", "ci_low", "ci_high"):
                table[col] = np.exp(table[col])
        table["scale"] = scale
        return table

    def glance(self) -> pd.DataFrame:
        """One-row model summary: ``n_used, n_dropped, dropped, events, events_per_variable,
        deviance, null_deviance, aic, c_statistic, brier, nagelkerke_r2, method, df_residual``
        and ``collapsed`` (fitted on unique covariate patterns)."""
        hidden = ("ranges", "df_residual_t")
        return pd.DataFrame([{k: v for k, v in self.stats.items() if k not in hidden}])

    def lr_test(self, term: str) -> pd.DataFrame:
        """Likelihood-ratio test of a whole predictor (all its columns, e.g. a factor or a spline).

        Parameters
        ----------
        term : str
            A predictor (``"surface"``, ``"weekly_km"``) or formula term.

        Returns
        -------
        pandas.DataFrame
            One row: ``term, df, statistic`` (the drop in deviance, penalised deviance for
            Firth), ``p_value`` (chi-squared).

        Raises
        ------
        lbprun._checks.ArgumentError
            An unknown term, the intercept, or a survey-weighted / cluster-robust fit (the
            likelihood does not describe their variance).
        """
        if self.stats.get("variance") in ("design", "cluster", "imputed"):
            raise ArgumentError(
                "lr_test needs a likelihood-based fit; got a fit with "
                f"{self.stats['variance']}-based variance. Use wald_test(term)."
            )
        terms = [t for t in self.spec.terms if t != dm.INTERCEPT]
        check_choice("term", term, terms)
        cols = self.spec.terms[term]
        keep = np.delete(np.arange(self._x.shape[1]), cols)
        if self.method == "firth":
            full = -2.0 * self.model.penalized_loglik
            reduced = -2.0 * firth_fit(self._x[:, keep], self._y, self._w).penalized_loglik
        else:
            full = self.stats["deviance"]
            reduced = logistic_newton(self._x[:, keep], self._y, self._w).deviance
        lr = reduced - full
        return pd.DataFrame(
            {
                "term": [term],
                "df": [len(cols)],
                "statistic": [lr],
                "p_value": [float(stats.chi2.sf(lr, len(cols)))],
            }
        )

    def wald_test(self, term: str) -> pd.DataFrame:
        """Wald test that all coefficients of a predictor are zero (any fit, incl. survey).

        Returns
        -------
        pandas.DataFrame
            One row: ``term, df, statistic, p_value``. The statistic is
            :math:`W = b^T V^{-1} b` referred to :math:`\\chi^2_{df}`; for survey fits it is
            :math:`W/df` referred to :math:`F(df, \\text{residual df})`, as R
            ``survey::regTermTest(method = "Wald")``.
        """
        terms = [t for t in self.spec.terms if t != dm.INTERCEPT]
        check_choice("term", term, terms)
        cols = list(self.spec.terms[term])
        b = self.table["estimate"].to_numpy()[cols]
        w = float(b @ np.linalg.solve(self.cov[np.ix_(cols, cols)], b))
        k = len(cols)
        df_t = self.stats.get("df_residual_t")
        if df_t:
            statistic, p_value = w / k, float(stats.f.sf(w / k, k, df_t))
        else:
            statistic, p_value = w, float(stats.chi2.sf(w, k))
        return pd.DataFrame(
            {"term": [term], "df": [k], "statistic": [statistic], "p_value": [p_value]}
        )

    def predict(self, newdata: pd.DataFrame) -> pd.DataFrame:
        """Predicted probabilities with confidence intervals built on the logit scale.

        Returns
        -------
        pandas.DataFrame
            ``estimate, ci_low, ci_high`` (probabilities), ``linear_predictor`` and
            ``std_error`` (of the linear predictor), one row per row of ``newdata``; rows with
            missing predictors give NaN.
        """
        check_columns(newdata, self.spec.columns, name="newdata")
        x = self.spec.transform(newdata)
        beta = self.table["estimate"].to_numpy()
        eta = x @ beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", x, self.cov, x))
        q = _quantile(self.level, self.stats.get("df_residual_t"))
        return pd.DataFrame(
            {
                "estimate": special.expit(eta),
                "ci_low": special.expit(eta - q * se),
                "ci_high": special.expit(eta + q * se),
                "linear_predictor": eta,
                "std_error": se,
            },
            index=newdata.index,
        )

    def dose_response(
        self, variable: str, reference: float | None = None, grid: Any = None
    ) -> pd.DataFrame:
        """Odds ratios of a numeric (or spline) predictor relative to ``reference``.

        Parameters
        ----------
        variable : str
            A numeric predictor of the model.
        reference : float, optional
            The value with odds ratio 1 (default: the median knot, or 0 for a linear term).
        grid : array-like, optional
            Values of ``variable`` (default: 100 points from the smallest to the largest value
            of the rows used).

        Returns
        -------
        pandas.DataFrame
            ``variable, value, estimate, ci_low, ci_high`` (odds ratios), ``reference``.
        """
        pred = next((p for p in self.spec.predictors if p.column == variable), None)
        if pred is None or pred.kind == "categorical":
            numeric = [p.column for p in self.spec.predictors if p.kind != "categorical"]
            raise ArgumentError(f"variable must be one of {numeric!r}; got {variable!r}.")
        if grid is None:
            lo, hi = self.stats["ranges"][variable]
            grid = np.linspace(lo, hi, 100)
        grid = np.asarray(grid, dtype=float)
        if reference is None:
            reference = float(np.median(pred.knots)) if pred.knots else float(np.median(grid))
        cols = list(self.spec.terms[variable])
        basis = pred.encode(pd.Series(grid)) - pred.encode(pd.Series([reference]))
        beta = self.table["estimate"].to_numpy()[cols]
        cov = self.cov[np.ix_(cols, cols)]
        eta = basis @ beta
        se = np.sqrt(np.einsum("ij,jk,ik->i", basis, cov, basis))
        q = _quantile(self.level, self.stats.get("df_residual_t"))
        return pd.DataFrame(
            {
                "variable": variable,
                "value": grid,
                "estimate": np.exp(eta),
                "ci_low": np.exp(eta - q * se),
                "ci_high": np.exp(eta + q * se),
                "reference": reference,
            }
        )

    def plot(self, ax: Any = None) -> Any:
        """Forest plot of the odds ratios (:func:`lbprun.plots.models.plot_forest`)."""
        from lbprun.plots.models import plot_forest

        return plot_forest(self, ax=ax)


def _quantile(level: float, df: float | None) -> float:
    if df is None:
        return float(stats.norm.ppf(0.5 + level / 2))
    return float(stats.t.ppf(0.5 + level / 2, df))


def fit_risk_factors(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str] | None = None,
    *,
    formula: str | None = None,
    design: Any = None,
    method: str = "ml",
    cluster: str | None = None,
    splines: Mapping[str, int] | None = None,
    reference_levels: Mapping[str, Any] | None = None,
    missing: str = "complete",
    level: float = 0.95,
    interval: str = "wald",
    imputations: int = 20,
    seed: int | None = 0,
) -> RiskFactorResult:
    """Fit a logistic regression of a binary LBP outcome and tabulate odds ratios.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per runner.
    outcome : str
        0/1 (or boolean) outcome column, e.g. ``"lbp_12m"``.
    predictors : sequence of str, optional
        Predictor columns. Text/categorical columns get treatment coding against
        ``reference_levels`` (default: the first level in sorted order, as R).
    formula : str, optional
        A patsy formula ``"lbp_12m ~ a + C(b)"`` instead of ``predictors``.
    design : lbprun.measures.survey.SurveyDesign, optional
        A survey design: survey-weighted fit with design-based variance, t intervals.
    method : {"ml", "firth"}, default="ml"
        Maximum likelihood or Firth's penalised likelihood.
    cluster : str, optional
        Column of clusters for cluster-robust (sandwich) standard errors of an ML fit.
    splines : dict, optional
        ``{column: number_of_knots}``: restricted cubic splines (3 to 7 knots).
    reference_levels : dict, optional
        ``{column: level}``: reference level of categorical predictors.
    missing : {"complete", "impute"}, default="complete"
        Complete-case analysis (dropped rows are counted per column in :meth:`glance`), or
        multiple imputation by chained equations (:mod:`lbprun.models.imputation`) pooled by
        Rubin's rules, with the complete-case fit kept as ``result.complete_case``.
    level : float, default=0.95
        Confidence level.
    interval : {"wald", "profile"}, default="wald"
        Wald or profile-likelihood intervals (profile penalised likelihood for Firth).
    imputations : int, default=20
        Number of imputed data sets with ``missing="impute"``.
    seed : int, optional
        Seed of the imputations.

    Returns
    -------
    RiskFactorResult
        Coefficient table, fit statistics, notes and the underlying fit.

    Raises
    ------
    lbprun._checks.ArgumentError
        Unknown columns (with a suggestion), a non-binary outcome (the values are named), a
        predictor with one level, collinear terms (named), bad options.

    Warns
    -----
    lbprun.exceptions.SeparationWarning
        (Quasi-)complete separation in an ML fit: use ``method="firth"``.
    lbprun.exceptions.SparseDataWarning
        Fewer than 10 events per variable.

    Notes
    -----
    The ML fit is statsmodels' ``GLM(Binomial)`` (kept as ``result.model``). Wald intervals
    are :math:`\\hat\\beta \\pm z\\,SE`; profile intervals are the exact roots of the signed
    root deviance (:mod:`lbprun.models.profile`). When every predictor is categorical or binary,
    the model is fitted on the unique covariate patterns with frequency weights (identical
    estimates, much faster). Validated against R ``glm(binomial)``, ``MASS::confint.glm``,
    ``rms::lrm`` (C, Brier, Nagelkerke :math:`R^2`), ``brglm2`` (Firth) and ``survey::svyglm``.

    Examples
    --------
    >>> from lbprun.datasets import load_example_survey
    >>> fit = fit_risk_factors(load_example_survey(), "lbp_12m", ["weekly_km", "surface"],
    ...                        reference_levels={"surface": "asphalt"}, splines={"weekly_km": 3})
    >>> fit.to_frame()["term"].tolist()[:3]
    ['(Intercept)', 'weekly_km', "weekly_km'"]
    >>> int(fit.lr_test("weekly_km")["df"][0])
    2
    """
    level = check_level(level)
    check_choice("method", method, METHODS)
    check_choice("interval", interval, INTERVALS)
    check_choice("missing", missing, MISSING)
    if not isinstance(data, pd.DataFrame):
        raise ArgumentError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    if (predictors is None) == (formula is None):
        raise ArgumentError("predictors or formula must be given (exactly one of them).")
    if formula is not None:
        lhs, rhs, columns = dm.split_formula(formula, data)
        if lhs and lhs != outcome:
            raise ArgumentError(f"formula outcome must be {outcome!r}; got {lhs!r}.")
    else:
        if isinstance(predictors, str):
            predictors = [predictors]
        columns = tuple(predictors)
    extra = [cluster, *(design.columns if design is not None else ())]
    check_columns(data, [outcome, *columns, *extra], name="data")
    for name in splines or {}:
        if name not in columns:
            raise ArgumentError(f"splines keys must be predictors; got {name!r}.")
    if design is not None and (method == "firth" or cluster is not None or interval != "wald"):
        raise ArgumentError(
            "design must be used alone; got it with method='firth', cluster= or "
            "interval='profile' (a survey-weighted fit has Wald t intervals only)."
        )
    if cluster is not None and (method == "firth" or interval != "wald"):
        raise ArgumentError("cluster must be used with method='ml' and interval='wald'.")

    if missing == "impute":
        if design is not None or cluster is not None or interval != "wald":
            raise ArgumentError(
                "missing='impute' must be used without design=, cluster= and with interval='wald'."
            )
        from lbprun.models.imputation import fit_imputed

        return fit_imputed(
            fit_risk_factors,
            data,
            outcome,
            list(columns),
            formula=formula,
            method=method,
            splines=splines,
            reference_levels=reference_levels,
            level=level,
            imputations=imputations,
            seed=seed,
        )
    used, missing_counts = dm.complete_cases(data, [outcome, *columns, cluster])
    sub = data if used.all() else data.loc[used]
    y = dm.binary_outcome(sub[outcome], outcome)
    if formula is not None:
        spec = dm.build_formula_spec(sub, rhs, columns)
    else:
        spec = dm.build_spec(sub, columns, reference_levels=reference_levels, splines=splines)
    x = spec.transform(sub)
    message = dm.collinear_message(x, spec.names)
    if message:
        raise ArgumentError(message)
    notes: list[str] = []
    n_used, n_dropped = int(used.sum()), int((~used).sum())
    if n_dropped:
        why = ", ".join(f"{c}: {k}" for c, k in missing_counts.items())
        notes.append(f"{n_dropped} rows dropped with missing values ({why}).")
    all_discrete = bool(np.all(dm.at_most_two_values(x)))
    collapse = all_discrete and design is None and cluster is None
    if collapse:
        xf, yf, wf = dm.collapse_patterns(x, y)
    else:
        xf, yf, wf = x, y, np.ones(len(y))
    names = list(spec.names)
    p = len(names)
    df_t = None
    variance = "model"
    model: Any = None
    factory = None
    if design is not None:
        from lbprun.models.survey_glm import svyglm_logistic

        sfit = svyglm_logistic(x, y, design, data, used)
        beta, cov, df_t = sfit.beta, sfit.cov, sfit.df_residual
        wf = sfit.weights
        factory = statsmodels_factory(x, y, beta, cov, var=wf)
        notes.extend(sfit.notes)
        variance = "design"
    elif method == "firth":
        model = firth_fit(xf, yf, wf)
        beta, cov = model.beta, model.cov
    else:
        groups = None
        if cluster is not None:
            groups = pd.factorize(sub[cluster])[0]
            variance = "cluster"
        beta, cov, factory, ml_notes = fit_ml(xf, yf, wf, names, groups)
        notes.extend(ml_notes)
    se = np.sqrt(np.diag(cov))
    q = _quantile(level, df_t)
    if interval == "profile":
        if method == "firth":
            ci = firth_profile_intervals(xf, yf, model, level=level, weights=wf)
        else:
            ci = profile_intervals(xf, yf, beta, level=level, weights=wf)
        if np.isnan(ci).any():
            failed = [names[j] for j in np.flatnonzero(np.isnan(ci).any(axis=1))]
            notes.append(
                f"profile intervals could not be computed for {', '.join(failed)} (the "
                "constrained fits diverge); their ends are NaN."
            )
    else:
        ci = np.column_stack([beta - q * se, beta + q * se])
    statistic = beta / se
    pval = 2 * (stats.t.sf(np.abs(statistic), df_t) if df_t else stats.norm.sf(np.abs(statistic)))
    table = pd.DataFrame(
        {
            "term": names,
            "estimate": beta,
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
            "std_error": se,
            "statistic": statistic,
            "p_value": pval,
            "method": "survey" if design is not None else method,
            "interval": interval,
        }
    )
    events = float(np.sum(wf * yf)) if design is None else float(y.sum())
    n_w = float(wf.sum())
    minority = min(events, n_w - events) if design is None else min(y.sum(), len(y) - y.sum())
    epv = float(minority / max(p - 1, 1))
    if epv < 10:
        note = (
            f"{epv:.1f} events per variable (fewer than 10): estimates may be biased and "
            "intervals too narrow; consider fewer predictors or method='firth'."
        )
        warnings.warn(note, SparseDataWarning, stacklevel=2)
        notes.append(note)
    ranges = {
        pr.column: (
            float(sub[pr.column].astype(float).min()),
            float(sub[pr.column].astype(float).max()),
        )
        for pr in spec.predictors
        if pr.kind != "categorical"
    }
    fit_stats = {
        "n_used": n_used,
        "n_dropped": n_dropped,
        "dropped": "; ".join(f"{c}: {k}" for c, k in missing_counts.items()),
        "events": int(y.sum()),
        "events_per_variable": epv,
        **fit_statistics(xf @ beta, yf, wf, p),
        "method": "survey" if design is not None else method,
        "variance": variance,
        "df_residual": df_t if df_t is not None else n_used - p,
        "df_residual_t": df_t,
        "collapsed": bool(collapse),
        "ranges": ranges,
    }
    if design is not None:
        for key in ("deviance", "null_deviance", "aic", "nagelkerke_r2"):
            fit_stats[key] = float("nan")
    return RiskFactorResult(
        table=table,
        notes=tuple(notes),
        model=model if factory is None else factory(),
        spec=spec,
        stats=fit_stats,
        level=level,
        method=method,
        interval=interval,
        outcome=outcome,
        cov=cov,
        _x=xf,
        _y=yf,
        _w=wf,
    )
