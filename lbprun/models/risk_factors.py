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
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun.exceptions import SparseDataWarning
from lbprun.io.provenance import reading_notes
from lbprun.models import _design_matrix as dm
from lbprun.models._labels import check_definitions, check_per
from lbprun.models._risk_result import RiskFactorResult, wald_quantile
from lbprun.models.calibration import fit_statistics
from lbprun.models.firth import firth_fit, firth_profile_intervals
from lbprun.models.profile import (
    fit_ml,
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
    per: Mapping[str, float] | None = None,
    definitions: Mapping[str, str] | None = None,
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
    per : dict, optional
        ``{column: units}``: report the odds ratio of a linear numeric predictor per ``units``
        of it, e.g. ``per={"weekly_km": 10}`` gives the odds ratio per 10 km/week,
        ``exp(10 * b)`` with the interval ``exp(10 * ci)`` (the fit itself is unchanged).
    definitions : dict, optional
        ``{column: how it was derived}`` for predictors derived before the fit, e.g.
        ``{"km10": "weekly_km / 10", "spike30": "max_weekly_increase_pct > 30"}``: each is
        written in the notes, and a ratio of a dictionary column gives the unit of the label
        (``km10 (per 1 unit = 10 km/week)``).

    Returns
    -------
    RiskFactorResult
        Coefficient table, fit statistics, notes, the underlying fit and ``convergence``
        (how the fit was verified; its note is among the notes).

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

    Convergence is verified at the estimate rather than taken from the optimiser's flag: the
    score (the Firth-modified score for Firth, the design-weighted pseudo-score for a survey
    design) must be zero to a relative 1e-10 and one more Newton step below 1e-10 relative
    (:func:`lbprun.models._convergence.check_convergence`). A fit that stops short is
    polished by Newton steps and its covariance re-derived; one note says how convergence
    was checked. An ML fit under separation does not converge: the note says so beside the
    separation note. With ``missing="impute"`` one note summarises the imputed fits.

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
            per=per,
            definitions=definitions,
        )
    used, missing_counts = dm.complete_cases(data, [outcome, *columns, cluster])
    sub = data if used.all() else data.loc[used]
    y = dm.binary_outcome(sub[outcome], outcome)
    if formula is not None:
        spec = dm.build_formula_spec(sub, rhs, columns)
    else:
        spec = dm.build_spec(sub, columns, reference_levels=reference_levels, splines=splines)
    per_units = check_per(per, spec)
    definitions = check_definitions(definitions, columns)
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
        check = sfit.convergence
        variance = "design"
    elif method == "firth":
        model = firth_fit(xf, yf, wf)
        beta, cov, check = model.beta, model.cov, model.convergence
        notes.append(check.note)
    else:
        groups = None
        if cluster is not None:
            groups = pd.factorize(sub[cluster])[0]
            variance = "cluster"
        beta, cov, factory, ml_notes, check = fit_ml(xf, yf, wf, names, groups)
        notes.extend(ml_notes)
    se = np.sqrt(np.diag(cov))
    q = wald_quantile(level, df_t)
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
        raw = sub[design.weights].to_numpy(dtype=float) if design.weights else wf
        fit_stats.update(
            n_weighted=float(raw.sum()),
            events_weighted=float(np.sum(raw * y)),
            n_effective=float(wf.sum() ** 2 / np.sum(wf**2)),
        )
    if design is not None:
        for key in ("deviance", "null_deviance", "aic", "nagelkerke_r2"):
            fit_stats[key] = float("nan")
    notes.extend(reading_notes(data))
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
        convergence=check,
        per=per_units,
        definitions=definitions,
    )
