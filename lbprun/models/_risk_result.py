"""The result of a logistic risk-factor model: odds-ratio table, fit statistics, likelihood-ratio
and Wald tests of whole predictors, predictions and dose-response curves.

:class:`RiskFactorResult` is returned by :func:`lbprun.models.risk_factors.fit_risk_factors`
(which re-exports it) and by :func:`lbprun.models.gee.fit_repeated`.

Examples
--------
>>> from lbprun.datasets import load_example_survey
>>> from lbprun.models.risk_factors import fit_risk_factors
>>> fit = fit_risk_factors(load_example_survey(), "lbp_12m", ["prior_lbp", "weekly_km"])
>>> isinstance(fit, RiskFactorResult), fit.to_frame("log_odds")["scale"].iloc[0]
(True, 'log_odds')
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from lbprun._checks import ArgumentError, check_choice, check_columns
from lbprun._result import Result
from lbprun.exceptions import SeparationWarning
from lbprun.models import _design_matrix as dm
from lbprun.models._labels import per_factors, term_labels, term_notes
from lbprun.models.firth import firth_fit
from lbprun.models.profile import logistic_newton

__all__ = ["RiskFactorResult", "wald_quantile"]

_INTERVALS = {"wald": "Wald", "profile": "profile-likelihood"}


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class RiskFactorResult(Result):
    """Result of :func:`fit_risk_factors`: one row per model term.

    Attributes
    ----------
    table : pandas.DataFrame
        ``term, estimate, ci_low, ci_high, std_error, statistic, p_value, method, interval`` on
        the log-odds scale per 1 unit of each predictor, as fitted (see :meth:`to_frame` for
        odds ratios, labels and the ``per`` scaling).
    model : object
        The fitted statsmodels ``GLMResults`` (``method="ml"`` and survey designs) or the
        :class:`~lbprun.models.firth.FirthFit`.
    spec : DesignSpec
        How to rebuild the design matrix of new data.
    stats : dict
        Fit statistics (see :meth:`glance`).
    level : float
        Confidence level.
    method : str
        Estimation method (``"ml"``, ``"firth"``, ``"gee"``).
    interval : str
        Interval method (``"wald"``, ``"profile"``).
    outcome : str
        The outcome column.
    cov : numpy.ndarray
        Covariance matrix of the log-odds coefficients (design order).
    complete_case : RiskFactorResult or None
        With ``missing="impute"``: the complete-case fit; None otherwise.
    convergence : ConvergenceCheck or None
        Relative gradient and Newton step at the estimate
        (:class:`~lbprun.models._convergence.ConvergenceCheck`, also in ``notes``); None where
        the fit does not report one.
    per : dict
        ``{column: units}``: the odds ratios of these numeric predictors are per ``units``
        (``exp(units * coefficient)``) in :meth:`to_frame` and :meth:`summary`.
    definitions : dict
        ``{column: how it was derived}`` of predictors the caller derived (defined in the
        notes).
    notes : tuple of str
        Numbered notes: dropped rows, convergence, separation, derived terms, definitions.

    Notes
    -----
    Every term the model derives (spline parts, formula terms, interactions, ``per`` scaling)
    and every caller's definition is defined in ``notes``; they are added when the result is
    built.
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
    convergence: Any = field(default=None, repr=False)
    per: dict[str, float] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    _private_fields: tuple[str, ...] = ("model", "spec", "cov", "complete_case")

    def __post_init__(self) -> None:
        if self.spec is None:
            return
        extra = term_notes(self.spec, per=self.per, definitions=self.definitions)
        new = tuple(note for note in extra if note not in self.notes)
        if new:
            object.__setattr__(self, "notes", (*self.notes, *new))

    def _title(self) -> str:
        variance = self.stats.get("variance")
        kind = {
            "design": "survey-weighted logistic regression (design-based variance)",
            "cluster": "logistic regression (cluster-robust variance)",
            "imputed": "logistic regression, multiple imputation",
        }.get(variance, "logistic regression")
        if self.method == "firth":
            kind = f"Firth-penalised {kind}"
        elif self.method == "gee":
            kind = "logistic GEE (population-averaged)"
        return (
            f"Risk factors of {self.outcome}: odds ratios from {kind}, "
            f"{self.level:.0%} {_INTERVALS.get(self.interval, self.interval)} intervals"
        )

    def to_frame(self, scale: str = "odds_ratio") -> pd.DataFrame:
        """Return the coefficient table on the odds-ratio or the log-odds scale.

        Parameters
        ----------
        scale : {"odds_ratio", "log_odds"}, default="odds_ratio"
            With ``"odds_ratio"`` the estimate and interval are exponentiated; ``std_error``,
            ``statistic`` and ``p_value`` always refer to the log-odds coefficient.

        Returns
        -------
        pandas.DataFrame
            The table with a last column ``label`` saying what each row is: the
            baseline odds of the intercept (and the covariate values it is at), a numeric
            predictor with its unit and ``per`` scaling (``weekly_km (per 10 km/week)``), a level
            against its reference (``sex: M vs F``), a boolean (``prior_lbp: yes vs no``), a
            spline part. Rows of a predictor in ``per`` have ``estimate, ci_low, ci_high`` and
            ``std_error`` multiplied by its units on the log-odds scale (``exp(10 * b)`` for
            ``per={"weekly_km": 10}``). ``scale`` is ``"odds"`` (``"log_odds"``) on the intercept
            row and the asked scale on the others.
        """
        check_choice("scale", scale, ("odds_ratio", "log_odds"))
        table = self.table.copy()
        if self.per and self.spec is not None:
            factors = per_factors(self.spec, self.per)
            for col in ("estimate", "ci_low", "ci_high", "std_error"):
                table[col] = table[col].to_numpy(dtype=float) * factors
        if scale == "odds_ratio":
            for col in ("estimate", "ci_low", "ci_high"):
                table[col] = np.exp(table[col])
        table["scale"] = scale
        if self.spec is not None and len(self.spec.names) == len(table):
            what = "baseline odds" if scale == "odds_ratio" else "baseline log odds"
            labels = term_labels(
                self.spec, per=self.per, definitions=self.definitions, baseline=what
            )
            table["label"] = labels
            intercept = table["term"] == dm.INTERCEPT
            table.loc[intercept, "scale"] = "odds" if scale == "odds_ratio" else "log_odds"
        return table

    def _sections(self) -> list[str]:
        st = self.stats
        if "n_used" not in st:
            return []
        line = f"n used {st['n_used']:,}, events {st.get('events', 0):,}"
        if "n_weighted" in st:
            line += (
                f"; survey-weighted n {st['n_weighted']:,.1f}, events {st['events_weighted']:,.1f}"
                f", Kish effective n {st['n_effective']:,.1f} = (sum w)^2 / sum w^2"
            )
        return [line]

    def _display_frame(self, as_percent: bool = False) -> pd.DataFrame:
        self._percent(as_percent)
        table = self.to_frame()
        if "label" not in table.columns:
            return table
        return table[["label", *(c for c in table.columns if c not in ("term", "label"))]]

    def glance(self) -> pd.DataFrame:
        """Return the one-row model summary (fit statistics, as broom's ``glance``).

        Returns
        -------
        pandas.DataFrame
            ``n_used, n_dropped, dropped, events, events_per_variable, deviance,
            null_deviance, aic, c_statistic, brier, nagelkerke_r2, method, df_residual`` and
            ``collapsed`` (fitted on unique covariate patterns); survey-weighted fits also
            ``n_weighted, events_weighted`` (sums of the sampling weights) and
            ``n_effective`` (Kish's :math:`(\\sum w)^2/\\sum w^2`).
        """
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

        Parameters
        ----------
        term : str
            A predictor (``"surface"``, ``"weekly_km"``) or formula term.

        Returns
        -------
        pandas.DataFrame
            One row: ``term, df, statistic, p_value``. The statistic is
            :math:`W = b^T V^{-1} b` referred to :math:`\\chi^2_{df}`; for survey fits it is
            :math:`W/df` referred to :math:`F(df, \\text{residual df})`, as R
            ``survey::regTermTest(method = "Wald")``. Under separation (a maximum-likelihood
            fit with a separation note or that did not converge) or when :math:`W` is negative
            or not finite, ``statistic`` and ``p_value`` are NaN.

        Warns
        -----
        lbprun.exceptions.SeparationWarning
            The Wald test is not defined (see above): use :meth:`lr_test` or
            ``method="firth"``.
        """
        terms = [t for t in self.spec.terms if t != dm.INTERCEPT]
        check_choice("term", term, terms)
        cols = list(self.spec.terms[term])
        b = self.table["estimate"].to_numpy()[cols]
        k = len(cols)
        df_t = self.stats.get("df_residual_t")
        separated = self.method != "firth" and (
            any("separation" in note for note in self.notes)
            or not getattr(self.convergence, "converged", True)
        )
        try:
            with np.errstate(all="ignore"):
                w = float(b @ np.linalg.solve(self.cov[np.ix_(cols, cols)], b))
        except np.linalg.LinAlgError:
            w = np.nan
        if separated or not np.isfinite(w) or w < 0:
            why = (
                "the fit is separated"
                if separated
                else f"W = {w:g} is not a finite positive number"
            )
            warnings.warn(
                f"The Wald test of {term!r} is not defined: {why} (infinite estimates, "
                "meaningless standard errors); statistic and p_value are NaN. Use "
                f"lr_test({term!r}) or method='firth'.",
                SeparationWarning,
                stacklevel=2,
            )
            statistic = p_value = np.nan
        elif df_t:
            statistic, p_value = w / k, float(stats.f.sf(w / k, k, df_t))
        else:
            statistic, p_value = w, float(stats.chi2.sf(w, k))
        return pd.DataFrame(
            {"term": [term], "df": [k], "statistic": [statistic], "p_value": [p_value]}
        )

    def predict(self, newdata: pd.DataFrame) -> pd.DataFrame:
        """Predicted probabilities with confidence intervals built on the logit scale.

        Parameters
        ----------
        newdata : pandas.DataFrame
            Rows with the model's predictor columns.

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
        q = wald_quantile(self.level, self.stats.get("df_residual_t"))
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
        """Return the odds ratios of a numeric (or spline) predictor relative to ``reference``.

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
        q = wald_quantile(self.level, self.stats.get("df_residual_t"))
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
        """Forest plot of the odds ratios (:func:`lbprun.plots.models.plot_forest`).

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

        return plot_forest(self, ax=ax)


def wald_quantile(level: float, df: float | None) -> float:
    """Two-sided critical value of a Wald interval: normal, or Student's t with ``df``."""
    if df is None:
        return float(stats.norm.ppf(0.5 + level / 2))
    return float(stats.t.ppf(0.5 + level / 2, df))
