"""Multiple imputation by chained equations with Rubin's rules, the complete-case fit beside.

:func:`fit_with_imputation` imputes missing predictor values ``m`` times by chained equations
(:func:`lbprun.models.chained.impute_chained`: predictive mean matching), fits the analysis
model to each completed data set, pools the fits by Rubin's rules
(:func:`lbprun.models.rubin.pool_rubin`) and reports the complete-case fit beside the pooled
one. :func:`fit_imputed` does the same for ``fit_risk_factors(missing="impute")``, with the same
engine and the same pooling.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(3)
>>> x = rng.normal(size=300)
>>> data = pd.DataFrame({"x": np.where(rng.random(300) < 0.2, np.nan, x),
...                      "lbp": (rng.random(300) < 1 / (1 + np.exp(-x))).astype(int)})
>>> res = fit_with_imputation(data, "lbp", "x", m=3, seed=2)
>>> res.to_frame()["analysis"].tolist()
['complete_case', 'complete_case', 'imputed', 'imputed']
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun._result import Result
from lbprun.exceptions import LbprunWarning
from lbprun.io.provenance import reading_notes
from lbprun.models import _design_matrix as dm
from lbprun.models._convergence import ConvergenceCheck, summarize_checks, verify_glm
from lbprun.models._labels import add_labels, log_scale_labels
from lbprun.models._tables import as_list, coefficient_table, exponentiate, prepare_design
from lbprun.models.chained import decode_columns, encode_columns, impute_chained
from lbprun.models.rubin import pool_rubin, pool_rubin_cov

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["ImputationResult", "fit_imputed", "fit_with_imputation"]

_LOGISTIC_SCALES = ("odds_ratio", "log_odds")
_OTHER_SCALES = ("exponentiated", "coefficient")


def fit_imputed(
    fit_function: Any,
    data: pd.DataFrame,
    outcome: str,
    columns: list[str],
    *,
    level: float,
    imputations: int,
    seed: int | None,
    **options: Any,
) -> Any:
    """Fit ``fit_function`` on the complete cases and on ``imputations`` imputed data sets;
    return the pooled result with the complete-case result attached (``complete_case``).

    The engine of ``fit_risk_factors(missing="impute")``: :func:`impute_chained` on the outcome
    and predictor columns, :func:`lbprun.models.rubin.pool_rubin` with
    :math:`\\nu_{com} = n - p` on the full covariance matrices. One note summarises the
    convergence checks of the imputed fits (the complete-case fit keeps its own note); a fit
    that did not converge also warns.
    """
    import dataclasses

    m = imputations
    if isinstance(m, bool) or not isinstance(m, int) or m < 2:
        raise ArgumentError(f"imputations must be an integer >= 2; got {m!r}.")
    completed = impute_chained(data, [outcome, *columns], m=m, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LbprunWarning)
        complete = fit_function(
            data,
            outcome,
            columns if options.get("formula") is None else None,
            level=level,
            **options,
        )
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LbprunWarning)
        for frame in completed:
            fits.append(
                fit_function(
                    frame,
                    outcome,
                    columns if options.get("formula") is None else None,
                    level=level,
                    **options,
                )
            )
    checks = [f.convergence for f in fits]
    converged, convergence_note = summarize_checks(checks, f"the {m} imputed fits")
    if not converged:
        warnings.warn(convergence_note, LbprunWarning, stacklevel=3)
    names = [f.table["term"].tolist() for f in fits]
    if any(n != names[0] for n in names):
        raise ArgumentError("imputed data sets must give the same model terms; got different.")
    estimates = np.array([f.table["estimate"].to_numpy() for f in fits])
    covs = np.array([f.cov for f in fits])
    n_rows = len(data)
    pooled, pooled_cov = pool_rubin_cov(
        estimates, covs, df_complete=n_rows - estimates.shape[1], level=level
    )
    table = fits[0].table.copy()
    for column in ("estimate", "std_error", "ci_low", "ci_high", "statistic", "p_value"):
        table[column] = pooled[column].to_numpy()
    table["df"] = pooled["df"].to_numpy()
    table["fmi"] = pooled["fmi"].to_numpy()
    n_incomplete = int(data[[outcome, *columns]].isna().any(axis=1).sum())
    fit_stats = dict(complete.stats)
    fit_stats.update(
        n_used=n_rows,
        n_dropped=0,
        dropped="",
        n_imputed_rows=n_incomplete,
        imputations=m,
        variance="imputed",
        events=int(np.mean([f.stats["events"] for f in fits]).round()),
    )
    for key in ("deviance", "null_deviance", "aic", "c_statistic", "brier", "nagelkerke_r2"):
        fit_stats[key] = float(np.mean([f.stats[key] for f in fits]))
    note = (
        f"{n_incomplete} rows with missing values imputed {m} times by chained equations "
        "(predictive mean matching), pooled by Rubin's rules; the complete-case fit is in "
        "complete_case."
    )
    return dataclasses.replace(
        complete,
        table=table,
        notes=(note, convergence_note, *reading_notes(data)),
        stats=fit_stats,
        cov=pooled_cov,
        model=[f.model for f in fits],
        complete_case=complete,
    )


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class ImputationResult(Result):
    """A model fitted to multiply imputed data and pooled by Rubin's rules, with the
    complete-case fit beside it.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per analysis and term: ``analysis`` (``"complete_case"`` or ``"imputed"``),
        ``term, estimate, ci_low, ci_high, std_error, statistic, p_value, level, n, df,
        within_variance, between_variance, total_variance, riv, lambda_, fmi, m`` on the
        linear-predictor scale (the pooling columns are missing for the complete cases).
    per_imputation : pandas.DataFrame
        ``imputation, term, estimate, std_error`` of every completed-data fit.
    missing : dict
        Missing values per predictor (and auxiliary) column before imputation.
    notes : tuple of str
        Rows left out (missing outcome) and remarks; the last note summarises the convergence
        checks of the complete-case and imputed fits.
    imputed_data : tuple of pandas.DataFrame
        The ``m`` completed data sets (left out of :meth:`to_dict`).
    outcome : str
        Outcome column.
    predictors, auxiliary : tuple of str
        Analysis predictors and extra columns used only by the imputation models.
    fit : str
        ``"logistic"`` or the name of the fitting callable.
    m : int
        Number of imputations.
    seed : int
        Seed of the imputation chain (drawn and recorded when None was given).
    level : float
        Confidence level.
    """

    per_imputation: pd.DataFrame
    missing: dict[str, int]
    imputed_data: tuple[pd.DataFrame, ...]
    outcome: str
    predictors: tuple[str, ...]
    auxiliary: tuple[str, ...] = ()
    fit: str
    m: int
    seed: int
    level: float
    _private_fields: tuple[str, ...] = ("imputed_data",)

    def _title(self) -> str:
        return f"{self.fit} model of {self.outcome}: {self.m} imputations (MICE), complete cases"

    def to_frame(self, scale: str | None = None) -> pd.DataFrame:
        """Return the table of both analyses.

        Parameters
        ----------
        scale : str, optional
            ``"odds_ratio"`` (default) or ``"log_odds"`` for the logistic fit,
            ``"coefficient"`` (default) or ``"exponentiated"`` for a custom fit.

        Returns
        -------
        pandas.DataFrame
            A copy of the table on the asked scale.
        """
        scales = _LOGISTIC_SCALES if self.fit == "logistic" else _OTHER_SCALES
        if scale is None:
            scale = scales[0] if self.fit == "logistic" else "coefficient"
        out = exponentiate(self.table, scale, scales)
        return log_scale_labels(out) if scale == "log_odds" else out

    def plot(self, ax: Axes | None = None) -> Axes:
        """Plot complete-case and pooled estimates with their intervals, term by term.

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

        table = self.to_frame()
        table = table[table["term"] != "(Intercept)"]
        terms = list(dict.fromkeys(table["term"]))
        if ax is None:
            _, ax = plt.subplots(figsize=(6.0, 0.6 * len(terms) + 1.2))
        styles = (("complete_case", "tab:grey", -0.15), ("imputed", "tab:blue", 0.15))
        for analysis, colour, shift in styles:
            rows = table[table["analysis"] == analysis]
            y = np.array([terms.index(t) for t in rows["term"]]) + shift
            est = rows["estimate"].to_numpy(float)
            err = np.vstack([est - rows["ci_low"], rows["ci_high"] - est])
            ax.errorbar(est, y, xerr=err, fmt="o", color=colour, capsize=3, label=analysis)
        ax.set_yticks(np.arange(len(terms)))
        ax.set_yticklabels(terms)
        ax.invert_yaxis()
        ax.legend(loc="best")
        measure = "Odds ratio" if self.fit == "logistic" else "Estimate"
        ax.set_xlabel(f"{measure} ({self.level:.0%} CI)")
        return ax


@dataclass(frozen=True)
class _Fit:
    params: pd.Series
    bse: pd.Series
    df_resid: float
    convergence: ConvergenceCheck


def _logistic(predictors: Sequence[str], outcome: str) -> Callable[[pd.DataFrame], Any]:
    import statsmodels.api as sm

    def fit(frame: pd.DataFrame) -> _Fit:
        rows, x, spec, _ = prepare_design(frame, [outcome, *predictors], predictors)
        y = dm.binary_outcome(rows[outcome], outcome)
        model = sm.GLM(y, x, family=sm.families.Binomial())
        res = model.fit(tol=1e-12)
        params, hessian, check = verify_glm(model, res, on_failure="ignore")
        bse = np.asarray(res.bse, dtype=float)
        if hessian is not None:
            with np.errstate(all="ignore"):
                bse = np.sqrt(np.diag(np.linalg.inv(-hessian)))
        index = list(spec.names)
        return _Fit(
            pd.Series(params, index=index),
            pd.Series(bse, index=index),
            float(res.df_resid),
            check,
        )

    return fit


def _extract(results: Any) -> tuple[pd.Series, pd.Series, float]:
    if isinstance(results, tuple) and len(results) == 2:
        params, bse, df = results[0], results[1], np.inf
    else:
        params = getattr(results, "params", None)
        bse = getattr(results, "bse", None)
        df = getattr(results, "df_resid", np.inf)
        if params is None or bse is None:
            raise ArgumentError(
                "fit must return an object with params and bse (a statsmodels results) or a "
                f"(estimates, std_errors) pair; got {type(results).__name__}."
            )
    named = isinstance(params, pd.Series) and not isinstance(params.index, pd.RangeIndex)
    index = list(params.index) if named else None
    params = pd.Series(np.asarray(params, dtype=float).ravel())
    bse = pd.Series(np.asarray(bse, dtype=float).ravel())
    if len(params) != len(bse):
        raise ArgumentError(
            f"fit must return as many std_errors as estimates; got {len(bse)} and {len(params)}."
        )
    if index is None:
        index = [f"x{j}" for j in range(len(params))]
    params.index = bse.index = index
    return params, bse, np.inf if df is None else float(df)


def fit_with_imputation(
    data: pd.DataFrame,
    outcome: str,
    predictors: str | Sequence[str],
    *,
    m: int = 20,
    seed: int | None = None,
    level: float = 0.95,
    fit: str | Callable[[pd.DataFrame], Any] = "logistic",
    auxiliary: str | Sequence[str] | None = None,
) -> ImputationResult:
    """Fit a model after multiple imputation of missing predictors, pooled by Rubin's rules.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per runner.
    outcome : str
        Outcome column (0/1 for ``fit="logistic"``); rows with a missing outcome are left out
        (noted), and the outcome is a predictor in every imputation model.
    predictors : str or sequence of str
        Analysis predictors; numeric, boolean and two-level columns may have missing values,
        columns with more levels must be complete.
    m : int, default=20
        Number of imputations (at least 2).
    seed : int or None, default=None
        Seed of the imputation chain; None draws one and records it in ``result.seed``.
    level : float, default=0.95
        Confidence level.
    fit : "logistic" or callable, default="logistic"
        ``"logistic"``: maximum-likelihood logistic regression of ``outcome`` on
        ``predictors`` (treatment coding). A callable receives each completed DataFrame (and
        the complete cases) and returns a statsmodels-like results object (``params``,
        ``bse``, optional ``df_resid``) or an ``(estimates, std_errors)`` pair of Series; a
        ``convergence`` attribute holding a
        :class:`~lbprun.models._convergence.ConvergenceCheck` is summarised in the notes.
    auxiliary : str, sequence of str or None, default=None
        Extra columns used by the imputation models only (they make MAR more plausible).

    Returns
    -------
    ImputationResult
        ``to_frame()`` holds the ``"complete_case"`` and ``"imputed"`` analyses term by term.

    Raises
    ------
    lbprun._checks.ArgumentError
        Unknown columns (with the closest name), a non-binary outcome for ``"logistic"``,
        ``m < 2``, a bad ``level``, ``seed`` or ``fit``.

    Notes
    -----
    Imputation: :func:`lbprun.models.chained.impute_chained` (the engine of
    ``fit_risk_factors(missing="impute")`` too), ``m`` independent chains of 10 cycles. Each
    incomplete column is regressed by least squares on all other columns (outcome and
    auxiliary columns included), the coefficients and residual variance are drawn from their
    posterior, and each missing value is replaced by the observed value of one of the 5 nearest
    predicted means (predictive mean matching, type-1 matching as ``mice``'s default
    ``"pmm"``), so imputed values are values seen in the data (0/1 stay 0/1; boolean and
    two-level columns are imputed as 0/1 and decoded). PMM was preferred to scikit-learn's
    ``IterativeImputer(sample_posterior=True)``, whose Gaussian draws put binary predictors off
    their support. Pooling: :func:`lbprun.models.rubin.pool_rubin` with
    :math:`\\nu_{com} = n - p` (the complete-data residual df, as ``mice::pool``). Imputation
    is valid under MAR given the columns of the imputation models; complete cases are
    unbiased when missingness does not depend on the outcome given the predictors. Validated
    against hand-computed Rubin's rules and a seeded MAR simulation (R analogue:
    ``mice::mice(method = "pmm")`` + ``pool``; the random draws differ, the estimand does not).

    Convergence: each logistic fit (IRLS) is verified at its estimate by the score and hessian
    of its log-likelihood (relative gradient and one more Newton step below 1e-10, see
    :func:`lbprun.models._convergence.check_convergence`) and polished by Newton steps if
    needed; one note summarises the ``m + 1`` fits, and a fit that did not converge also warns.
    The imputation models themselves are closed-form least squares (nothing iterates).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(3)
    >>> x = rng.normal(size=400)
    >>> data = pd.DataFrame({"x": np.where(rng.random(400) < 0.2, np.nan, x),
    ...                      "lbp": rng.random(400) < 1 / (1 + np.exp(-x))})
    >>> res = fit_with_imputation(data, "lbp", ["x"], m=5, seed=1)
    >>> res.to_frame(scale="log_odds")[["analysis", "term"]].values.tolist()
    [['complete_case', '(Intercept)'], ['complete_case', 'x'], ['imputed', '(Intercept)'], ['imputed', 'x']]
    >>> res.notes[-1].startswith("Each of the 6 fits (complete cases and 5 imputations) converged")
    True
    """
    level = check_level(level)
    if isinstance(m, bool) or not isinstance(m, int | np.integer) or m < 2:
        raise ArgumentError(f"m must be an integer >= 2 (number of imputations); got {m!r}.")
    m = int(m)
    predictors = as_list(predictors)
    auxiliary = [a for a in as_list(auxiliary, "auxiliary") if a not in predictors]
    if not predictors:
        raise ArgumentError("predictors must name at least one column; got [].")
    check_columns(data, [outcome, *predictors, *auxiliary])
    if isinstance(fit, str):
        check_choice("fit", fit, ("logistic",))
        fitter, fit_name = _logistic(predictors, outcome), "logistic"
    elif callable(fit):
        fitter, fit_name = fit, getattr(fit, "__name__", type(fit).__name__)
    else:
        raise ArgumentError(f"fit must be 'logistic' or a callable; got {fit!r}.")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**32))
    elif isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ArgumentError(f"seed must be a non-negative integer or None; got {seed!r}.")

    frame = data[list(dict.fromkeys([outcome, *predictors, *auxiliary]))].reset_index(drop=True)
    notes = []
    lost = frame[outcome].isna()
    if lost.any():
        notes.append(f"{int(lost.sum())} rows with a missing outcome were left out.")
        frame = frame[~lost].reset_index(drop=True)
    if fit_name == "logistic":
        dm.binary_outcome(frame[outcome], outcome)
    missing = {c: int(n) for c, n in frame[[*predictors, *auxiliary]].isna().sum().items()}
    if not any(missing.values()):
        notes.append("No predictor is missing: the imputed analysis equals the complete cases.")

    cc = frame[[outcome, *predictors]].dropna().reset_index(drop=True)
    cc_fit = fitter(cc)
    cc_params, cc_bse, _ = _extract(cc_fit)
    checks = [getattr(cc_fit, "convergence", None)]
    complete = coefficient_table(list(cc_params.index), cc_params, cc_bse, level)
    complete.insert(0, "analysis", "complete_case")
    complete["n"] = len(cc)
    if len(cc) < len(frame):
        notes.append(f"Complete cases: {len(cc)} of {len(frame)} rows.")

    empty = [c for c in [*predictors, *auxiliary] if frame[c].isna().all()]
    if empty:
        raise ArgumentError(f"column {empty[0]!r} must have observed values to impute; got none.")
    coded, decoders = encode_columns(frame)
    chains = impute_chained(coded, list(coded.columns), m=m, seed=seed)
    imputed, estimates, variances, per, dfs = [], [], [], [], []
    for i, chain in enumerate(chains):
        completed = decode_columns(frame, chain, decoders)
        result = fitter(completed)
        params, bse, df = _extract(result)
        checks.append(getattr(result, "convergence", None))
        imputed.append(completed)
        estimates.append(params.to_numpy())
        variances.append(bse.to_numpy() ** 2)
        dfs.append(df)
        per.append(
            pd.DataFrame(
                {
                    "imputation": i + 1,
                    "term": params.index,
                    "estimate": params.to_numpy(),
                    "std_error": bse.to_numpy(),
                }
            )
        )
    pooled = pool_rubin(
        estimates, variances, df_complete=float(np.mean(dfs)), level=level, terms=params.index
    )
    if all(isinstance(c, ConvergenceCheck) for c in checks):
        converged, note = summarize_checks(
            checks, f"the {m + 1} fits (complete cases and {m} imputations)"
        )
        if not converged:
            warnings.warn(note, LbprunWarning, stacklevel=2)
    else:
        note = f"The convergence of {fit_name} (a user-supplied fit) was not checked by lbprun."
    notes.append(note)
    pooled.insert(0, "analysis", "imputed")
    pooled["n"] = len(frame)
    table = pd.concat([complete, pooled], ignore_index=True)
    if fit_name == "logistic":
        table = add_labels(table, prepare_design(cc, [outcome, *predictors], predictors)[2])
    return ImputationResult(
        table=table,
        notes=(*notes, *reading_notes(data)),
        per_imputation=pd.concat(per, ignore_index=True),
        missing=missing,
        imputed_data=tuple(imputed),
        outcome=outcome,
        predictors=tuple(predictors),
        auxiliary=tuple(auxiliary),
        fit=fit_name,
        m=m,
        seed=int(seed),
        level=level,
    )
