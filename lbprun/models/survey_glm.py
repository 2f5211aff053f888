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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from lbprun.exceptions import ConvergenceError
from lbprun.measures.survey import SurveyDesign, design_df, design_frame, linearization_vcov
from lbprun.models._convergence import ConvergenceCheck
from lbprun.models.profile import logistic_newton, verify_logistic

__all__ = ["SurveyLogisticFit", "svyglm_logistic"]


@dataclass(frozen=True)
class SurveyLogisticFit:
    """A survey-weighted logistic fit: coefficients, design-based covariance, residual df,
    notes (the last one says how convergence was verified) and ``convergence``."""

    beta: np.ndarray
    cov: np.ndarray
    df_residual: int
    design_df: int
    weights: np.ndarray
    notes: tuple[str, ...]
    convergence: ConvergenceCheck | None = field(default=None, repr=False)


def svyglm_logistic(
    x: np.ndarray,
    y: np.ndarray,
    design: SurveyDesign,
    data: pd.DataFrame,
    used: np.ndarray | None = None,
    *,
    max_iter: int = 100,
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
    max_iter : int, default=100
        Iteration cap of the Newton-Raphson fit; a fit stopped there is polished by Newton
        steps (see Notes).

    Returns
    -------
    SurveyLogisticFit
        Weighted maximum-likelihood coefficients, sandwich covariance, residual df, notes
        and ``convergence``.

    Raises
    ------
    lbprun.exceptions.ConvergenceError
        The pseudo-score is not zero at the estimate, even after polishing (e.g. separation).

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

    Convergence is verified at the estimate: the pseudo-likelihood score
    :math:`\\sum_i w_i x_i (y_i - \\pi_i)` (design weights scaled to mean 1) must be zero to a
    relative 1e-10 and one more Newton step below 1e-10 relative
    (:func:`lbprun.models.profile.verify_logistic`); a fit stopped short is polished by Newton
    steps and :math:`A` re-derived at the polished estimate. The last note says how.
    """
    prepared = design_frame(design, data)
    mask = np.ones(len(data), dtype=bool) if used is None else np.asarray(used, dtype=bool)
    w_all = prepared.weights
    w = w_all[mask] / w_all[mask].mean()
    fit = logistic_newton(x, y, w, max_iter=max_iter)
    beta, information, check, polished = verify_logistic(
        x, y, w, fit.beta, fit.iterations, method="Newton-Raphson on the design-weighted score"
    )
    if not check.converged:
        raise ConvergenceError(f"the survey-weighted logistic fit did not converge. {check.note}")
    if not polished:
        information = fit.information
    mu = special.expit(x @ beta)
    scores = np.zeros((len(data), x.shape[1]))
    scores[mask] = x * (w * (y - mu))[:, None]
    a_inv = np.linalg.inv(information)
    b = linearization_vcov(scores, prepared)
    cov = a_inv @ b @ a_inv
    ddf = design_df(prepared, mask)
    return SurveyLogisticFit(
        beta=beta,
        cov=cov,
        df_residual=ddf + 1 - x.shape[1],
        design_df=ddf,
        weights=w,
        notes=(*prepared.notes, check.note),
        convergence=check,
    )
