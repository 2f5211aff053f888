"""Performance of a risk model's linear predictor on 0/1 outcomes (internal).

The statistics of ``rms::val.prob`` (:func:`lbprun.models.calibration.val_prob`), computed from
the linear predictor so that bootstrap and cross-validation replicates need no checks,
warnings or tables.

Examples
--------
>>> import numpy as np
>>> eta = np.log(np.array([0.1, 0.3, 0.6, 0.8, 0.2, 0.7]) / (1 - np.array([0.1, 0.3, 0.6, 0.8,
...     0.2, 0.7])))
>>> perf = dict(zip(STATISTICS, performance(eta, np.array([0, 0, 1, 1, 1, 0.0]))))
>>> round(float(perf["c_statistic"]), 4), round(float(perf["dxy"]), 4)
(0.6667, 0.3333)
"""

from __future__ import annotations

import numpy as np
from scipy import special

from lbprun.models.calibration import concordance, nagelkerke_r2
from lbprun.models.profile import logistic_newton

__all__ = ["LABELS", "STATISTICS", "lowess_at", "lowess_curve", "performance"]

#: Performance statistics, in the order of :func:`performance`.
STATISTICS = (
    "c_statistic",
    "dxy",
    "nagelkerke_r2",
    "brier",
    "calibration_intercept",
    "calibration_slope",
    "emax",
    "eavg",
    "e90",
)

#: The names of ``rms::val.prob`` for each statistic.
LABELS = {
    "c_statistic": "C (ROC)",
    "dxy": "Dxy",
    "nagelkerke_r2": "R2",
    "brier": "Brier",
    "calibration_intercept": "Intercept",
    "calibration_slope": "Slope",
    "emax": "Emax",
    "eavg": "Eavg",
    "e90": "E90",
}


def lowess_curve(p: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The calibration curve of ``val.prob``: ``lowess(p, y, iter = 0)``, span 2/3, delta 1% of
    the range of ``p``, with the smoothed values of tied abscissae averaged.

    The same curve as ``lbprun.models.calibration.val_prob``'s, with numpy in place of a
    pandas group-by (replicates call it hundreds of times).
    """
    from statsmodels.nonparametric.smoothers_lowess import lowess

    delta = 0.01 * (p.max() - p.min())
    smooth = lowess(y, p, frac=2.0 / 3.0, it=0, delta=delta, return_sorted=True)
    xs, inverse = np.unique(smooth[:, 0], return_inverse=True)
    sums = np.bincount(inverse, weights=smooth[:, 1], minlength=xs.size)
    return xs, sums / np.bincount(inverse, minlength=xs.size)


def lowess_at(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The lowess calibration curve of :func:`lowess_curve` interpolated at ``p``."""
    xs, ys = lowess_curve(p, y)
    return np.interp(p, xs, ys)


def performance(eta: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Statistics of :data:`STATISTICS` for the linear predictor ``eta`` on outcomes ``y``.

    C is the concordance probability, Dxy :math:`= 2(C - 1/2)`, R2 Nagelkerke's index of the
    fixed model :math:`\\mathrm{logit}\\,P(y = 1) = \\eta`, Brier the mean squared error of
    :math:`p = \\mathrm{expit}(\\eta)`, Intercept and Slope the logistic recalibration
    :math:`\\mathrm{logit}\\,P(y = 1) = a + b\\eta`, and Emax, Eavg, E90 the maximum, mean and 90th
    percentile of :math:`|p - \\hat s(p)|` with :math:`\\hat s` the lowess curve of ``val.prob``.
    A recalibration fit that does not converge (outcomes separated by ``eta``) gives NaN
    intercept and slope.
    """
    eta = np.asarray(eta, dtype=float)
    y = np.asarray(y, dtype=float)
    p = special.expit(eta)
    n = y.size
    c = concordance(p, y)
    deviance = 2.0 * float(np.sum(np.logaddexp(0.0, eta) - y * eta))
    ybar = float(y.mean())
    null_deviance = -2.0 * n * (ybar * np.log(ybar) + (1 - ybar) * np.log1p(-ybar))
    recal = logistic_newton(np.column_stack([np.ones(n), eta]), y, max_iter=50)
    intercept, slope = recal.beta if recal.converged else (np.nan, np.nan)
    smooth = lowess_at(p, y)
    err = np.abs(p - smooth)
    return np.array(
        [
            c,
            2.0 * (c - 0.5),
            nagelkerke_r2(deviance, null_deviance, n),
            float(np.mean((p - y) ** 2)),
            float(intercept),
            float(slope),
            float(err.max()),
            float(err.mean()),
            float(np.quantile(err, 0.9)),
        ]
    )
