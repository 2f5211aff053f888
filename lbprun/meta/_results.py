"""The result of :func:`lbprun.meta.pool_prevalence`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import pandas as pd

from lbprun._result import Result, render_table

__all__ = ["PrevalenceMetaResult"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class PrevalenceMetaResult(Result):
    """A random-effects meta-analysis of proportions.

    Parameters
    ----------
    table : pandas.DataFrame
        One row for the pooled estimate (``group="overall"``) and one per subgroup: ``group, k,
        estimate, ci_low, ci_high, pi_low, pi_high`` (proportions), ``estimate_link,
        std_error, ci_low_link, ci_high_link`` (link scale), ``tau2, i2, h2, q, q_p, q_wald,
        q_wald_p, q_lrt, q_lrt_p, measure, method, level``.
    studies : pandas.DataFrame
        One row per study: ``study, cases, n, proportion, ci_low, ci_high`` (exact
        Clopper–Pearson, as R's ``binom.test``), ``yi, vi, weight`` (percent of the
        random-effects weight; NaN for the GLMM), ``corrected`` and ``group`` with subgroups.
    measure, method : str
        The transform and the tau² estimator.
    level : float
        Confidence level of every interval.
    knha : bool
        Whether the Knapp–Hartung adjustment was used.
    weighted : bool
        False for the unweighted average (metafor ``weighted = FALSE``).
    k : int
        Number of studies pooled.
    estimate, ci_low, ci_high : float
        Pooled proportion and its confidence interval (back-transformed).
    pi_low, pi_high : float
        Prediction interval for the proportion in a new study (back-transformed).
    estimate_link, std_error, ci_low_link, ci_high_link, pi_low_link, pi_high_link : float
        The same on the scale of the measure (logit, double arcsine or raw).
    tau2 : float
        Between-study variance on the link scale.
    i2, h2 : float
        I² (percent) and H² with metafor's typical within-study variance.
    q, q_p : float
        Cochran's Q (fixed-effect weights) and its chi-squared p-value on k - 1 df (for the
        GLMM: NaN; see ``q_wald`` and ``q_lrt``).
    q_wald, q_wald_p, q_lrt, q_lrt_p : float
        GLMM only (NaN otherwise): the Wald-type and likelihood-ratio tests for heterogeneity
        of ``rma.glmm`` (``QE.Wld``, ``QE.LRT``) and their chi-squared p-values on k - 1 df.
    subgroup_test : dict or None
        With ``subgroup=``: the mixed-effects model with the subgroup as moderator (common
        tau²): ``moderator, reference, qm, qm_df, qm_p, coef, se, tau2_residual``; for the
        GLMM also ``i2_residual, h2_residual, q_wald, q_wald_p, q_lrt, q_lrt_p, q_df``
        (residual heterogeneity, as ``rma.glmm(mods = ...)``).
    notes : tuple of str
        Numbered notes: rows left out, zero-cell corrections, the Freeman-Tukey caveat, a
        failed subgroup test.
    """

    measure: str
    method: str
    level: float
    knha: bool
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    pi_low: float
    pi_high: float
    estimate_link: float
    std_error: float
    ci_low_link: float
    ci_high_link: float
    pi_low_link: float
    pi_high_link: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_p: float
    studies: pd.DataFrame
    q_wald: float = float("nan")
    q_wald_p: float = float("nan")
    q_lrt: float = float("nan")
    q_lrt_p: float = float("nan")
    weighted: bool = True
    subgroup_test: dict[str, Any] | None = None
    _options: dict[str, Any] = field(default_factory=dict, repr=False)
    _private_fields: tuple[str, ...] = field(default=("_options",), repr=False)

    _proportions: ClassVar[bool] = True

    def _title(self) -> str:
        return (
            f"Meta-analysis of proportions: {self.k} studies, measure={self.measure!r}, "
            f"method={self.method!r}{', Knapp-Hartung' if self.knha else ''}"
            f"{', unweighted' if not self.weighted else ''}, "
            f"level={self.level:g}"
        )

    def _sections(self) -> list[str]:
        out = ["Studies:", render_table(self.studies)]
        if self.method == "GLMM" and self.q_wald == self.q_wald:
            out.append(
                f"Tests for heterogeneity (df = {self.k - 1}): Wald Q = {self.q_wald:.4f}, "
                f"p = {self.q_wald_p:.4g}; LRT = {self.q_lrt:.4f}, p = {self.q_lrt_p:.4g}"
            )
        if self.subgroup_test is not None:
            t = self.subgroup_test
            out.append(
                f"Test for subgroup differences ({t['moderator']}): QM = {t['qm']:.4f}, "
                f"df = {t['qm_df']}, p = {t['qm_p']:.4g}"
            )
        return out

    def leave_one_out(self) -> pd.DataFrame:
        """Refit the meta-analysis leaving out each study in turn (metafor ``leave1out``).

        Returns
        -------
        pandas.DataFrame
            One row per omitted study: ``study, k, estimate, ci_low, ci_high`` (proportions),
            ``estimate_link, std_error, tau2, i2, h2, q, q_p``.
        """
        from lbprun.meta.pooling import _leave_one_out

        return _leave_one_out(self)

    def plot(self, ax=None, *, kind: str = "forest"):
        """Draw a forest plot (``kind="forest"``) or a funnel plot (``kind="funnel"``).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.
        kind : {"forest", "funnel"}, default="forest"
            The figure to draw.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from lbprun.meta import _plots

        if kind == "funnel":
            return _plots.funnel_plot(self, ax=ax)
        return _plots.forest_plot(self, ax=ax)
