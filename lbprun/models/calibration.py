"""Discrimination and calibration of predicted probabilities, as ``rms::val.prob``.

Examples
--------
>>> import numpy as np
>>> p = np.array([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
>>> y = np.array([0, 0, 1, 0, 1, 0, 1, 1])
>>> result = val_prob(p, y)
>>> round(result.stats["C (ROC)"], 4), round(result.stats["Brier"], 4)
(0.8125, 0.175)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from lbprun._checks import ArgumentError
from lbprun._result import Result
from lbprun.exceptions import LbprunWarning
from lbprun.models.profile import logistic_newton, verify_logistic

__all__ = [
    "CalibrationResult",
    "concordance",
    "fit_statistics",
    "nagelkerke_r2",
    "val_prob",
]

_ORDER = ("Dxy", "C (ROC)", "R2", "Brier", "Intercept", "Slope", "Emax", "Eavg", "E90")


def concordance(p: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Concordance probability C (area under the ROC curve; ties count one half).

    >>> concordance(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    0.75
    """
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones_like(p) if weights is None else np.asarray(weights, dtype=float)
    uniq, inverse = np.unique(p, return_inverse=True)
    events = np.bincount(inverse, weights=w * y, minlength=uniq.size)
    nonevents = np.bincount(inverse, weights=w * (1.0 - y), minlength=uniq.size)
    below = np.concatenate([[0.0], np.cumsum(nonevents)[:-1]])
    pairs = np.sum(events * (below + 0.5 * nonevents))
    return float(pairs / (events.sum() * nonevents.sum()))


def nagelkerke_r2(deviance: float, null_deviance: float, n: float) -> float:
    """Nagelkerke's :math:`R^2 = (1 - e^{-LR/n}) / (1 - e^{-D_0/n})`, as ``rms::lrm``."""
    lr = null_deviance - deviance
    return float((1.0 - np.exp(-lr / n)) / (1.0 - np.exp(-null_deviance / n)))


def fit_statistics(eta: np.ndarray, y: np.ndarray, w: np.ndarray, p: int) -> dict[str, float]:
    """Deviance, null deviance, AIC, C, Brier and Nagelkerke :math:`R^2` of a logistic fit
    with linear predictor ``eta`` on 0/1 outcomes ``y`` with frequency weights ``w`` and ``p``
    coefficients (as ``rms::lrm`` and R's ``glm``)."""
    mu = special.expit(eta)
    n_w = float(w.sum())
    deviance = 2.0 * float(np.sum(w * (np.logaddexp(0.0, eta) - y * eta)))
    ybar = float(np.sum(w * y) / n_w)
    null_dev = -2.0 * n_w * (ybar * np.log(ybar) + (1 - ybar) * np.log1p(-ybar))
    return {
        "deviance": deviance,
        "null_deviance": float(null_dev),
        "aic": deviance + 2 * p,
        "c_statistic": concordance(mu, y, w),
        "brier": float(np.sum(w * (mu - y) ** 2) / n_w),
        "nagelkerke_r2": nagelkerke_r2(deviance, null_dev, n_w),
    }


def _lowess_calibration(p: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    from statsmodels.nonparametric.smoothers_lowess import lowess

    delta = 0.01 * (p.max() - p.min())
    smooth = lowess(y, p, frac=2.0 / 3.0, it=0, delta=delta, return_sorted=True)
    curve = pd.DataFrame({"predicted": smooth[:, 0], "observed": smooth[:, 1]})
    return curve.groupby("predicted", as_index=False)["observed"].mean()


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class CalibrationResult(Result):
    """Result of :func:`val_prob`.

    Attributes
    ----------
    table : pandas.DataFrame
        Columns ``statistic, estimate``: Dxy, C (ROC), R2, Brier, Intercept, Slope, Emax,
        Eavg, E90.
    stats : dict
        The same statistics keyed by rms's names.
    curve : pandas.DataFrame
        The lowess calibration curve: ``predicted, observed``.
    notes : tuple of str
        How the convergence of the recalibration fit (Intercept, Slope) was verified.
    """

    stats: dict[str, float] = field(default_factory=dict)
    curve: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    def plot(self, ax: Any = None) -> Any:
        """Draw the calibration curve (see :func:`lbprun.plots.models.plot_calibration`).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from lbprun.plots.models import plot_calibration

        return plot_calibration(self, ax=ax)


def val_prob(p: Any, y: Any) -> CalibrationResult:
    """Validate predicted probabilities against observed 0/1 outcomes (``rms::val.prob``).

    Parameters
    ----------
    p : array-like
        Predicted probabilities in (0, 1).
    y : array-like
        Observed outcomes, 0 or 1, same length.

    Returns
    -------
    CalibrationResult
        ``stats`` with Dxy, C (ROC), R2 (Nagelkerke), Brier, Intercept, Slope, Emax, Eavg, E90
        and the lowess ``curve``; ``notes`` says how the recalibration fit converged.

    Raises
    ------
    lbprun._checks.ArgumentError
        Lengths differ, probabilities outside (0, 1), outcomes other than 0/1, one class only.

    Warns
    -----
    lbprun.exceptions.LbprunWarning
        The recalibration fit did not converge (outcomes separated by ``p``: the slope is
        infinite); the note says so too.

    Notes
    -----
    ``C`` is the concordance probability and :math:`D_{xy} = 2(C - 1/2)`. ``R2`` is Nagelkerke's
    index of the fixed model :math:`\\mathrm{logit}\\,P(y=1) = \\mathrm{logit}(p)`; Brier
    :math:`= \\overline{(p - y)^2}`. Intercept and Slope are the logistic recalibration
    :math:`\\mathrm{logit}\\,P(y = 1) = a + b\\,\\mathrm{logit}(p)`. Emax, Eavg and E90 are the
    maximum, mean and 90th percentile of :math:`|p - \\hat s(p)|`, where :math:`\\hat s` is
    ``lowess(p, y, iter = 0)`` (span 2/3, delta 1% of the range) interpolated at ``p`` with tied
    abscissae averaged. Validated against R ``rms::val.prob`` (rms 6.5). The recalibration fit
    (Newton-Raphson) is verified at its estimate by its score and hessian and polished by
    Newton steps if needed (:func:`lbprun.models.profile.verify_logistic`); the note says how.

    Examples
    --------
    >>> result = val_prob([0.1, 0.3, 0.6, 0.8, 0.2, 0.7], [0, 0, 1, 1, 1, 0])
    >>> round(result.stats["C (ROC)"], 4), round(result.stats["Dxy"], 4)
    (0.6667, 0.3333)
    """
    p = np.asarray(p, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if p.size != y.size:
        raise ArgumentError(f"p and y must have the same length; got {p.size} and {y.size}.")
    if not np.all((p > 0) & (p < 1)):
        bad = p[~((p > 0) & (p < 1))][0]
        raise ArgumentError(f"p must be probabilities in (0, 1); got {bad!r}.")
    if not np.all((y == 0) | (y == 1)):
        bad = y[~((y == 0) | (y == 1))][0]
        raise ArgumentError(f"y must be 0 or 1; got {bad!r}.")
    if y.min() == y.max():
        raise ArgumentError(f"y must hold both 0 and 1; got only {y[0]:g}.")
    n = p.size
    logit = special.logit(p)
    c = concordance(p, y)
    deviance = 2.0 * float(np.sum(np.logaddexp(0.0, logit) - y * logit))
    ybar = y.mean()
    null_deviance = -2.0 * float(np.sum(y * np.log(ybar) + (1 - y) * np.log1p(-ybar)))
    design = np.column_stack([np.ones(n), logit])
    fit = logistic_newton(design, y)
    recal, _, check, _ = verify_logistic(
        design, y, np.ones(n), fit.beta, fit.iterations, method="recalibration Newton-Raphson"
    )
    if not check.converged:
        warnings.warn(check.note, LbprunWarning, stacklevel=2)
    curve = _lowess_calibration(p, y)
    smooth = np.interp(p, curve["predicted"].to_numpy(), curve["observed"].to_numpy())
    err = np.abs(p - smooth)
    values = {
        "Dxy": 2.0 * (c - 0.5),
        "C (ROC)": c,
        "R2": nagelkerke_r2(deviance, null_deviance, n),
        "Brier": float(np.mean((p - y) ** 2)),
        "Intercept": float(recal[0]),
        "Slope": float(recal[1]),
        "Emax": float(err.max()),
        "Eavg": float(err.mean()),
        "E90": float(np.quantile(err, 0.9)),
    }
    table = pd.DataFrame({"statistic": list(_ORDER), "estimate": [values[k] for k in _ORDER]})
    return CalibrationResult(table=table, stats=values, curve=curve, notes=(check.note,))
