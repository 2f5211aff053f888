"""Survey-weighted logistic regression with design-based (linearisation) variance.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from lbprun.measures.survey import SurveyDesign
>>> rng = np.random.default_rng(1)
>>> data = pd.DataFrame({"club": np.repeat(np.arange(20), 10), "w": rng.uniform(1, 3, 200),
...                      "x": rng.normal(size=200)})
>>> data["y"] = (rng.uniform(size=200) < 1 / (1 + np.exp(-data["x"]))).astype(float)
>>> x = np.column_stack([np.ones(200), data["x"]])
>>> fit = svyglm_logistic(x, data["y"].to_numpy(), SurveyDesign(cluster="club", weights="w"),
...                       data)
>>> fit.df_residual
18
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from lbprun.exceptions import ConvergenceError
from lbprun.measures.survey import SurveyDesign, design_df, design_frame, linearization_vcov
from lbprun.models.profile import logistic_newton

__all__ = ["SurveyLogisticFit", "svyglm_logistic"]


@dataclass(frozen=True)
class SurveyLogisticFit:
    """A survey-weighted logistic fit: coefficients, design-based covariance, residual df."""

    beta: np.ndarray
    cov: np.ndarray
    df_residual: int
    design_df: int
    weights: np.ndarray
    notes: tuple[str, ...]


def svyglm_logistic(
    x: np.ndarray,
    y: np.ndarray,
    design: SurveyDesign,
    data: pd.DataFrame,
    used: np.ndarray | None = None,
) -> SurveyLogisticFit:
    """Fit a logistic regression under a survey design, as ``survey::svyglm(quasibinomial)``.

    Parameters
    ----------
    x : numpy.ndarray of shape (m, p)
        Design matrix of the rows used.
    y : numpy.ndarray of shape (m,)
        0/1 outcomes of the rows used.
    design : SurveyDesign
        Clusters (one column per stage), strata, weights, fpc.
    data : pandas.DataFrame
        The whole data set (the design is prepared on every row, as R keeps the full design
        when ``na.omit`` drops incomplete rows).
    used : numpy.ndarray of bool, optional
        Rows of ``data`` that ``x`` and ``y`` hold (all rows by default).

    Returns
    -------
    SurveyLogisticFit
        Weighted maximum-likelihood coefficients, sandwich covariance, residual df.

    Notes
    -----
    The coefficients solve :math:`\\sum_i w_i x_i (y_i - \\pi_i) = 0`. With
    :math:`A = \\sum_i w_i \\pi_i(1-\\pi_i) x_i x_i^T` and :math:`B` the linearisation
    variance (:func:`lbprun.measures.survey.linearization_vcov`) of the score totals
    :math:`u_i = w_i x_i (y_i - \\pi_i)` (zero for rows not used), the covariance is
    :math:`A^{-1} B A^{-1}`. The residual df are the design df + 1 - p, where the design df
    (:func:`lbprun.measures.survey.design_df`) count only the PSUs and strata that keep at
    least one row used: R's ``svyglm`` drops incomplete rows from the design before ``degf``,
    so a cluster whose rows are all missing does not count. Multistage designs use the
    multistage variance. Validated against R ``survey::svyglm(family = quasibinomial())`` and
    ``confint``, on one-stage designs and on the two-stage ``svydesign(id = ~dnum + snum,
    fpc = ~fpc1 + fpc2, data = apiclus2)``.
    """
    prepared = design_frame(design, data)
    mask = np.ones(len(data), dtype=bool) if used is None else np.asarray(used, dtype=bool)
    w_all = prepared.weights
    w = w_all[mask] / w_all[mask].mean()
    fit = logistic_newton(x, y, w)
    if not fit.converged:
        raise ConvergenceError("the survey-weighted logistic fit did not converge.")
    mu = special.expit(x @ fit.beta)
    scores = np.zeros((len(data), x.shape[1]))
    scores[mask] = x * (w * (y - mu))[:, None]
    a_inv = np.linalg.inv(fit.information)
    b = linearization_vcov(scores, prepared)
    cov = a_inv @ b @ a_inv
    ddf = design_df(prepared, mask)
    return SurveyLogisticFit(
        beta=fit.beta,
        cov=cov,
        df_residual=ddf + 1 - x.shape[1],
        design_df=ddf,
        weights=w,
        notes=prepared.notes,
    )
