"""Rubin's rules over data sets the researcher imputed elsewhere (R ``mice``, Stata ``mi``, ...).

:func:`pool_imputations` fits the same model to each completed data set, given as a list of
DataFrames or as one long frame with an imputation-number column (R's
``mice::complete(imp, "long")``, Stata's ``mi extract``), and pools the fits by Rubin's rules
with the Barnard–Rubin (1999) small-sample degrees of freedom
(:func:`lbprun.models.rubin.pool_rubin_cov`), as R ``mice::pool`` does.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(4)
>>> sets = []
>>> for i in range(3):
...     x = rng.normal(size=200)
...     sets.append(pd.DataFrame({"x": x, "lbp": (rng.random(200) < 1 / (1 + np.exp(-x))) * 1}))
>>> pooled = pool_imputations(sets, "lbp", ["x"])
>>> pooled.to_frame(scale="log_odds")["term"].tolist(), pooled.m
(['(Intercept)', 'x'], 3)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_columns, check_level
from lbprun._result import Result
from lbprun.exceptions import LbprunWarning
from lbprun.io.provenance import reading_notes
from lbprun.models._labels import add_labels, log_scale_labels
from lbprun.models._tables import as_list, exponentiate, prepare_design
from lbprun.models.rubin import pool_rubin_cov

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["FITS", "PooledImputationResult", "pool_imputations"]

#: Built-in analysis models of :func:`pool_imputations`.
FITS = ("logistic", "linear")
_SCALES = {"logistic": ("odds_ratio", "log_odds")}
_OTHER_SCALES = ("exponentiated", "coefficient")


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class PooledImputationResult(Result):
    """One model fitted to each of ``m`` completed data sets and pooled by Rubin's rules.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per term: ``term, estimate, ci_low, ci_high, std_error, statistic, p_value,
        level, df, within_variance, between_variance, total_variance, riv, lambda_, fmi, m, n``
        on the linear-predictor scale (``mice::pool``'s ``ubar, b, t, riv, lambda, fmi, df``).
    notes : tuple of str
        Remarks (rows of the original data left out, per-imputation warnings).
    per_imputation : pandas.DataFrame
        ``imputation, term, estimate, std_error`` of every completed-data fit.
    cov : numpy.ndarray
        Pooled covariance matrix :math:`T = \\bar U + (1 + 1/m) B` (left out of
        :meth:`to_dict`).
    fits : tuple
        The completed-data fits (left out of :meth:`to_dict`).
    outcome : str or None
        Outcome column (None for a custom fit).
    predictors : tuple of str
        Predictor columns (empty for a custom fit).
    fit : str
        ``"logistic"``, ``"linear"`` or the name of the fitting callable.
    m : int
        Number of imputations.
    df_complete : float
        Complete-data degrees of freedom :math:`\\nu_{com}` used for the Barnard–Rubin df.
    level : float
        Confidence level.
    """

    per_imputation: pd.DataFrame
    cov: np.ndarray = field(repr=False)
    fits: tuple[Any, ...] = field(repr=False)
    outcome: str | None
    predictors: tuple[str, ...]
    fit: str
    m: int
    df_complete: float
    level: float
    _private_fields: tuple[str, ...] = ("cov", "fits")

    def _title(self) -> str:
        return f"{self.fit} model pooled over {self.m} imputations (Rubin's rules)"

    def to_frame(self, scale: str | None = None) -> pd.DataFrame:
        """Return the pooled table.

        Parameters
        ----------
        scale : str, optional
            ``"odds_ratio"`` (default) or ``"log_odds"`` for the logistic fit,
            ``"coefficient"`` (default) or ``"exponentiated"`` otherwise. ``std_error``,
            ``statistic`` and the variance columns stay on the linear-predictor scale.

        Returns
        -------
        pandas.DataFrame
            A copy of the table on the asked scale.
        """
        scales = _SCALES.get(self.fit, _OTHER_SCALES)
        if scale is None:
            scale = scales[0] if self.fit == "logistic" else "coefficient"
        out = exponentiate(self.table, scale, scales)
        return log_scale_labels(out) if scale == "log_odds" else out

    def plot(self, ax: Axes | None = None) -> Axes:
        """Draw a forest plot of the pooled estimates with their intervals.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on (odds ratios on a log axis for the logistic fit).
        """
        from lbprun.plots.models import plot_forest

        if self.fit == "logistic":
            xlabel = f"Odds ratio ({self.level:.0%} CI, pooled)"
            return plot_forest(self.to_frame(), ax=ax, xlabel=xlabel)
        import matplotlib.pyplot as plt

        table = self.to_frame()
        table = table[table["term"] != "(Intercept)"].reset_index(drop=True)
        if ax is None:
            _, ax = plt.subplots(figsize=(6.0, 0.5 * len(table) + 1.2))
        est = table["estimate"].to_numpy(float)
        err = np.vstack([est - table["ci_low"], table["ci_high"] - est])
        ax.errorbar(est, np.arange(len(table)), xerr=err, fmt="o", capsize=3)
        ax.axvline(0.0, color="grey", linewidth=0.8)
        ax.set_yticks(np.arange(len(table)))
        ax.set_yticklabels(table["term"])
        ax.invert_yaxis()
        ax.set_xlabel(f"Estimate ({self.level:.0%} CI, pooled)")
        return ax


def pool_imputations(
    data: pd.DataFrame | Sequence[pd.DataFrame],
    outcome: str | None = None,
    predictors: str | Sequence[str] | None = None,
    *,
    fit: str | Callable[[pd.DataFrame], Any] = "logistic",
    imputation: str = ".imp",
    df_complete: float | None = None,
    level: float = 0.95,
) -> PooledImputationResult:
    """Fit one model to each already-completed data set and pool the fits by Rubin's rules.

    Parameters
    ----------
    data : pandas.DataFrame or sequence of pandas.DataFrame
        The ``m >= 2`` completed data sets (imputed in R ``mice``, Stata ``mi`` or elsewhere),
        or one long frame of them stacked with an ``imputation`` column, as R's
        ``complete(imp, "long")`` (rows with imputation number 0, the original data of
        ``complete(imp, "long", include = TRUE)``, are left out and noted).
    outcome : str or None, default=None
        Outcome column: 0/1 or boolean for ``fit="logistic"``, numeric for ``"linear"``;
        needed by the built-in fits, unused by a callable.
    predictors : str, sequence of str or None, default=None
        Predictor columns, coded as in :func:`~lbprun.models.risk_factors.fit_risk_factors`
        (text columns against their first level in sorted order, as R's factors).
    fit : {"logistic", "linear"} or callable, default="logistic"
        ``"logistic"``: :func:`~lbprun.models.risk_factors.fit_risk_factors` (R
        ``glm(family = binomial)``); ``"linear"``: ordinary least squares (R ``lm``). A
        callable receives each completed DataFrame and returns any lbprun result with a
        coefficient table and ``cov`` (e.g. ``lambda d: fit_rate_model(d, ...)``), a
        statsmodels results object (``params`` and ``cov_params()``), or an
        ``(estimates, covariance)`` pair.
    imputation : str, default=".imp"
        Imputation-number column of a long frame (``"_mi_m"`` for Stata's ``mi extract``).
    df_complete : float or None, default=None
        Complete-data degrees of freedom :math:`\\nu_{com}`; None takes the fits' residual df
        (``n - p``, ``df.residual`` as ``mice::pool``), or infinity when a fit has none.
    level : float, default=0.95
        Confidence level.

    Returns
    -------
    PooledImputationResult
        ``to_frame(scale=...)`` gives the pooled table with ``df, riv, lambda_, fmi``;
        ``per_imputation`` the completed-data estimates; ``cov`` the pooled covariance.

    Raises
    ------
    lbprun._checks.ArgumentError
        Fewer than two data sets, a long frame without ``imputation``, unknown columns (with
        the closest name), missing values left in a completed data set, fits whose terms
        differ, an invalid ``fit`` or ``level``.

    Notes
    -----
    With :math:`m` fits :math:`(\\hat Q_i, U_i)`, :math:`\\bar Q` is their mean,
    :math:`\\bar U` the mean covariance, :math:`B` the between-imputation covariance and
    :math:`T = \\bar U + (1 + 1/m) B`; the df are Barnard & Rubin's (1999)
    :math:`\\nu = \\nu_{old}\\nu_{obs}/(\\nu_{old}+\\nu_{obs})` with
    :math:`\\nu_{obs} = \\frac{\\nu_{com}+1}{\\nu_{com}+3}\\nu_{com}(1-\\lambda)`, and intervals
    use Student's t (see :func:`lbprun.models.rubin.pool_rubin`). Validated against R
    ``mice::pool`` and ``summary(pool(...), conf.int = TRUE)`` on
    ``mice(nhanes2, m = 5, seed = 1)`` (``glm(hyp ~ bmi + chl, family = binomial)`` and
    ``lm(chl ~ age + bmi)``): estimates, total variance, df, riv, lambda, fmi and intervals
    agree to 1e-8. Imputation itself is the researcher's: the pooled result is valid when the
    imputation model included the outcome and the predictors of the analysis model.

    References
    ----------
    Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
    Barnard J, Rubin DB (1999). Small-sample degrees of freedom with multiple imputation.
    Biometrika 86:948-955.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(5)
    >>> long = pd.DataFrame({".imp": np.repeat([1, 2, 3], 100),
    ...                      "km": rng.normal(30, 8, 300)})
    >>> long["pain"] = 2 + 0.1 * long["km"] + rng.normal(size=300)
    >>> pooled = pool_imputations(long, "pain", ["km"], fit="linear")
    >>> pooled.to_frame()[["term", "m", "n"]].values.tolist()
    [['(Intercept)', 3, 100], ['km', 3, 100]]
    """
    level = check_level(level)
    frames, notes = _split(data, imputation)
    predictors = as_list(predictors) if predictors is not None else []
    if isinstance(fit, str):
        if fit not in FITS:
            raise ArgumentError(f"fit must be one of {FITS} or a callable; got {fit!r}.")
        if outcome is None or not predictors:
            raise ArgumentError(f"outcome and predictors must be given with fit={fit!r}.")
        fitter, name = _builtin(fit, outcome, predictors, level), fit
        for i, frame in enumerate(frames, start=1):
            check_columns(frame, [outcome, *predictors], name="data")
            holes = frame[[outcome, *predictors]].isna().sum()
            if holes.any():
                column = str(holes.index[holes.to_numpy() > 0][0])
                raise ArgumentError(
                    f"completed data set {i} must have no missing values; got "
                    f"{int(holes[column])} in column {column!r}."
                )
    elif callable(fit):
        fitter, name = fit, getattr(fit, "__name__", type(fit).__name__)
    else:
        raise ArgumentError(f"fit must be one of {FITS} or a callable; got {fit!r}.")
    if df_complete is not None and not (isinstance(df_complete, int | float) and df_complete > 0):
        raise ArgumentError(f"df_complete must be a positive number or None; got {df_complete!r}.")

    fits, estimates, covs, dfs, terms, per = [], [], [], [], None, []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LbprunWarning)
        for i, frame in enumerate(frames, start=1):
            result = fitter(frame)
            names, params, cov, df = _coefficients(result)
            if terms is None:
                terms = names
            elif names != terms:
                raise ArgumentError(
                    f"every completed data set must give the same terms; got {names} in data "
                    f"set {i} and {terms} in data set 1."
                )
            fits.append(result)
            estimates.append(params)
            covs.append(cov)
            dfs.append(df)
            per.append(
                pd.DataFrame(
                    {
                        "imputation": i,
                        "term": names,
                        "estimate": params,
                        "std_error": np.sqrt(np.diag(cov)),
                    }
                )
            )
    for message in dict.fromkeys(str(w.message) for w in caught):
        notes.append(f"In at least one completed data set: {message}")
    checks = [getattr(result, "convergence", None) for result in fits]
    if checks and all(check is not None for check in checks):
        from lbprun.models._convergence import summarize_checks

        notes.append(summarize_checks(checks, f"the {len(fits)} completed-data fits")[1])
    elif fit != "linear":  # least squares has a closed form; anything else is the caller's
        notes.append(
            "lbprun did not check the convergence of the completed-data fits (a fit function "
            "of the caller's own that reports none)."
        )
    if df_complete is None:
        df_complete = float(np.mean(dfs))
    table, pooled_cov = pool_rubin_cov(
        np.array(estimates), np.array(covs), df_complete=df_complete, level=level, terms=terms
    )
    table["n"] = int(round(np.mean([len(f) for f in frames])))
    if name == "logistic":
        table = add_labels(table, fits[0].spec)
    return PooledImputationResult(
        table=table,
        notes=(*notes, *reading_notes(data if isinstance(data, pd.DataFrame) else frames[0])),
        per_imputation=pd.concat(per, ignore_index=True),
        cov=pooled_cov,
        fits=tuple(fits),
        outcome=outcome,
        predictors=tuple(predictors),
        fit=name,
        m=len(frames),
        df_complete=float(df_complete),
        level=level,
    )


def _split(data: Any, imputation: str) -> tuple[list[pd.DataFrame], list[str]]:
    """The completed data sets of ``data`` (a list, or a long frame) and notes."""
    notes: list[str] = []
    if isinstance(data, pd.DataFrame):
        check_columns(data, [imputation], name="data")
        number = pd.to_numeric(data[imputation], errors="coerce")
        if number.isna().any():
            raise ArgumentError(f"column {imputation!r} must hold imputation numbers; got gaps.")
        original = number == 0
        if original.any():
            notes.append(
                f"{int(original.sum())} rows of the original data (imputation 0) left out."
            )
        frames = [
            data.loc[number == k].drop(columns=imputation).reset_index(drop=True)
            for k in np.sort(number[~original].unique())
        ]
    elif isinstance(data, Sequence) and all(isinstance(d, pd.DataFrame) for d in data):
        frames = [d.reset_index(drop=True) for d in data]
    else:
        raise ArgumentError(
            "data must be a list of completed DataFrames or one long DataFrame with an "
            f"imputation column; got {type(data).__name__}."
        )
    if len(frames) < 2:
        raise ArgumentError(f"data must hold at least 2 completed data sets; got {len(frames)}.")
    return frames, notes


@dataclass(frozen=True)
class _LinearFit:
    names: list[str]
    params: np.ndarray
    cov: np.ndarray
    df_resid: float


def _builtin(fit: str, outcome: str, predictors: list[str], level: float) -> Callable:
    if fit == "logistic":
        from lbprun.models.risk_factors import fit_risk_factors

        return lambda frame: fit_risk_factors(frame, outcome, predictors, level=level)

    def linear(frame: pd.DataFrame) -> _LinearFit:
        rows, x, spec, _ = prepare_design(frame, [outcome, *predictors], predictors)
        y = pd.to_numeric(rows[outcome], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(y).all():
            raise ArgumentError(f"outcome {outcome!r} must be numeric for fit='linear'.")
        q, r = np.linalg.qr(x)
        params = np.linalg.solve(r, q.T @ y)
        df = x.shape[0] - x.shape[1]
        sigma2 = float(np.sum((y - x @ params) ** 2)) / df
        r_inv = np.linalg.inv(r)
        return _LinearFit(list(spec.names), params, sigma2 * r_inv @ r_inv.T, float(df))

    return linear


def _coefficients(result: Any) -> tuple[list[str], np.ndarray, np.ndarray, float]:
    """Term names, estimates, covariance and residual df of one completed-data fit."""
    if isinstance(result, _LinearFit):
        return result.names, result.params, result.cov, result.df_resid
    model = getattr(result, "model", None)
    if isinstance(result, tuple) and len(result) == 2:
        params, cov = result
        names = list(params.index) if isinstance(params, pd.Series) else None
    elif isinstance(getattr(result, "table", None), pd.DataFrame) and hasattr(result, "cov"):
        names = [str(t) for t in result.table["term"]]
        params, cov = result.table["estimate"], result.cov
        if cov is None and model is not None and hasattr(model, "cov_params"):
            cov = model.cov_params()
    elif hasattr(result, "params") and hasattr(result, "cov_params"):
        params, cov = result.params, result.cov_params()
        names = list(params.index) if isinstance(params, pd.Series) else None
        model = result
    else:
        raise ArgumentError(
            "fit must return an lbprun result (table and cov), a statsmodels results object "
            f"(params, cov_params()) or an (estimates, covariance) pair; got "
            f"{type(result).__name__}."
        )
    params = np.asarray(params, dtype=float).ravel()
    cov = np.asarray(cov, dtype=float)
    if cov.shape != (params.size, params.size):
        raise ArgumentError(
            f"fit must return a {params.size} x {params.size} covariance; got {cov.shape}."
        )
    if names is None or len(names) != params.size:
        names = [f"x{j}" for j in range(params.size)]
    df = getattr(result, "df_resid", None)
    if df is None and model is not None:
        df = getattr(model, "df_resid", None)
    return [str(n) for n in names], params, cov, np.inf if df is None else float(df)
