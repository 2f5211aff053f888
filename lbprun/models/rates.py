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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun._result import Result, render_table
from lbprun.io.provenance import reading_notes
from lbprun.models._convergence import ConvergenceCheck, verify_glm
from lbprun.models._labels import term_labels
from lbprun.models._negbin import THETA_MAX, fit_negbin
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
        Rows left out, how convergence was verified, and other remarks.
    model : statsmodels results
        The fitted GLM (Poisson) or ``NegativeBinomial`` results at lbprun's estimate (left
        out of :meth:`to_dict`); for NB2 its ``bse`` are the joint (full-hessian) SEs.
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
    alpha_std_error : float or None
        SE of ``alpha`` by the delta method, ``theta_std_error / theta**2``; None for Poisson.
    theta : float or None
        :math:`\\theta = 1/\\alpha`, R's ``glm.nb()$theta``; None for Poisson.
    theta_std_error : float or None
        SE of ``theta`` with :math:`\\beta` fixed (observed information), R's
        ``glm.nb()$SE.theta``; None for Poisson.
    joint_covariance : pandas.DataFrame or None
        NB2 only: inverse observed information of the coefficients and ``alpha`` jointly
        (statsmodels' ``NegativeBinomial`` covariance), indexed by term and ``"alpha"``; left
        out of :meth:`to_dict`.
    convergence : ConvergenceCheck or None
        Relative gradient and Newton step at the estimate (also in ``notes``).
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
    alpha_std_error: float | None = None
    theta: float | None = None
    theta_std_error: float | None = None
    joint_covariance: pd.DataFrame | None = None
    convergence: ConvergenceCheck | None = None
    level: float
    _private_fields: tuple[str, ...] = ("model", "joint_covariance")

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
            A copy of the table, with a last column ``label`` saying what each row is (the
            intercept's baseline rate and the covariate values it is at, a predictor's unit, a
            level against its reference).
        """
        scale = "log_rate" if scale == "log" else scale
        out = exponentiate(self.table, scale, _SCALES)
        if scale == "rate_ratio":
            first = out["term"] == "(Intercept)"
            out.loc[first, ["estimate", "ci_low", "ci_high"]] *= self.per
        elif "label" in out.columns:
            ratio = f"baseline rate per {self.per:g} {self.exposure}"
            linear = f"baseline log rate per 1 {self.exposure}"
            out["label"] = out["label"].str.replace(ratio, linear, n=1, regex=False)
        return out

    def _sections(self) -> list[str]:
        lines = ["Baseline rate:", render_table(self.baseline)]
        if self.family == "negbin":
            lines.append(
                f"alpha (dispersion) = {self.alpha:.4g} (SE {self.alpha_std_error:.3g}); "
                f"theta = 1/alpha = {self.theta:.4g} (SE {self.theta_std_error:.3g})"
            )
        return lines

    def plot(self, ax: Axes | None = None) -> Axes:
        """Forest plot of the incidence rate ratios (log axis).

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
        likelihood (full Newton steps on :math:`(\\beta, \\log\\theta)`, as
        ``MASS::glm.nb``).
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
        ``baseline``; ``alpha``, ``alpha_std_error``, ``theta``, ``theta_std_error`` and
        ``joint_covariance`` (NB2); ``convergence``; ``model``. The last note says how
        convergence was verified.

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
    offset(log(t)), family = poisson)``).

    NB2 (:math:`Var(Y) = \\mu + \\alpha\\mu^2`, :math:`\\theta = 1/\\alpha`) starts from the
    Poisson fit and R's moment estimate of :math:`\\theta` and takes full Newton steps with
    the analytic score and hessian in :math:`(\\beta, \\log\\theta)`. As in
    ``summary(MASS::glm.nb(...))``, the coefficient SEs are conditional on :math:`\\theta`
    (expected information :math:`X^T W X`, :math:`W = \\mu/(1 + \\alpha\\mu)`) and
    ``theta_std_error`` is ``SE.theta``, conditional on :math:`\\beta`; the joint
    (full observed information) covariance of :math:`(\\beta, \\alpha)`, statsmodels'
    definition, is ``joint_covariance`` and ``model.bse``. With ``cluster`` the NB2 SEs are
    statsmodels' sandwich on the joint hessian. Validated against ``MASS::glm.nb(...,
    control = glm.control(epsilon = 1e-14))`` on ``MASS::quine`` (with and without an
    offset) and ``survival::cgd0``: coefficients, SEs, :math:`\\theta` and log-likelihood to
    1e-8.

    Convergence is verified at the estimate, for both families, from the score :math:`g` and
    hessian :math:`H`: relative gradient below 1e-10 and one more Newton step
    :math:`H^{-1}g` below 1e-10 relative (typically about 1e-15); the note says which
    (:func:`lbprun.models._convergence.check_convergence`). A fit that does not converge warns.

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
    >>> fit.convergence.converged, fit.notes[-1].startswith("Converged: IRLS")
    (True, True)
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
    if y.sum() == 0:
        raise ArgumentError(f"events must include at least one event; got none in {events!r}.")
    dispersion: dict[str, Any] = {}
    if family == "poisson":
        results, params, bse, check = _fit_poisson(y, x, offset, fit_kwargs)
    else:
        nb = fit_negbin(y, x, offset)
        model = sm.NegativeBinomial(y, x, offset=offset, loglike_method="nb2")
        results = model.fit(
            start_params=np.append(nb.params, nb.alpha),
            method="newton",
            maxiter=0,
            disp=0,
            warn_convergence=False,
            **fit_kwargs,
        )
        params, check = nb.params, nb.convergence
        bse = nb.std_error if cluster is None else np.asarray(results.bse)[:-1]
        labels = [*spec.names, "alpha"]
        dispersion = {
            "alpha": nb.alpha,
            "alpha_std_error": nb.alpha_std_error,
            "theta": nb.theta,
            "theta_std_error": nb.theta_std_error,
            "joint_covariance": pd.DataFrame(nb.joint_covariance, index=labels, columns=labels),
        }
        if nb.boundary:
            warn_note(
                notes,
                f"alpha is at its boundary 0 (theta > {THETA_MAX:g}): the counts show no "
                "overdispersion and the negative-binomial fit equals the Poisson fit.",
            )
    notes.append(check.note)
    check_events(notes, None, y.sum(), x.shape[1] - 1)
    table = coefficient_table(spec.names, params, bse, level)
    table["label"] = term_labels(spec, baseline=f"baseline rate per {per:g} {exposure}")
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
        notes=(*notes, *reading_notes(data)),
        model=results,
        events=events,
        exposure=exposure,
        predictors=tuple(predictors),
        family=family,
        per=per,
        cluster=cluster,
        convergence=check,
        level=level,
        **dispersion,
    )


def _fit_poisson(
    y: np.ndarray, x: np.ndarray, offset: np.ndarray, fit_kwargs: dict[str, Any]
) -> tuple[Any, np.ndarray, np.ndarray, ConvergenceCheck]:
    """Poisson GLM by IRLS, verified (and if needed polished by Newton steps) with the
    GLM's score and hessian."""
    import statsmodels.api as sm

    model = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
    results = model.fit(tol=1e-12, **fit_kwargs)
    params, hessian, check = verify_glm(model, results)
    bse = np.asarray(results.bse)
    if hessian is not None and not fit_kwargs:
        bse = np.sqrt(np.diag(np.linalg.inv(-hessian)))
    return results, params, bse, check
