"""Random-effects pooling of proportions (metafor ``rma.uni`` / ``rma.glmm``)."""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun.exceptions import ConvergenceError, DataQualityWarning
from lbprun.meta._glmm import fit_glmm
from lbprun.meta._glmm_tests import heterogeneity_tests
from lbprun.meta._results import PrevalenceMetaResult
from lbprun.meta._tau2 import EE_METHODS, TAU2_METHODS, fit_uni
from lbprun.meta.effect_sizes import MEASURES, back_transform, prevalence_effect_sizes

__all__ = ["FreemanTukeyWarning", "pool_prevalence"]

METHODS = (*TAU2_METHODS, *EE_METHODS, "GLMM")
_NO_GLMM_TESTS = {"q_wald": np.nan, "q_wald_p": np.nan, "q_lrt": np.nan, "q_lrt_p": np.nan}


class FreemanTukeyWarning(DataQualityWarning):
    """The Freeman–Tukey back-transform with the harmonic-mean n can mislead.

    Schwarzer et al. (2019) show that the pooled proportion back-transformed with the harmonic
    mean of the study sizes can fall outside the range of the study proportions or follow
    the sizes rather than the data.
    """


def _exact(x: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Clopper–Pearson bounds, as R's ``binom.test``."""
    a = 1.0 - level
    with np.errstate(invalid="ignore"):
        low = np.where(x == 0, 0.0, stats.beta.ppf(a / 2.0, x, n - x + 1.0))
        high = np.where(x == n, 1.0, stats.beta.ppf(1.0 - a / 2.0, x + 1.0, n - x))
    return low, high


def _typical_variance(vi: np.ndarray, design: np.ndarray) -> float:
    """metafor's typical within-study variance (k - p) / tr(P) with fixed-effect weights."""
    w = 1.0 / vi
    wx = design * w[:, None]
    p_mat = np.diag(w) - wx @ np.linalg.solve(design.T @ wx, wx.T)
    return (len(vi) - design.shape[1]) / float(np.trace(p_mat))


def _pool(
    es: pd.DataFrame, measure: str, method: str, level: float, knha: bool, weighted: bool = True
) -> dict:
    """Pool one set of studies; returns the fields of one table row."""
    k = len(es)
    n = es["n"].to_numpy(dtype=float)
    tests = _NO_GLMM_TESTS
    if method == "GLMM":
        cases = es["cases"].to_numpy(dtype=float)
        g = fit_glmm(cases, n)
        # I2 and H2 as metafor: typical within-study variance of the escalc PLO variances
        vt = _typical_variance(es["vi"].to_numpy(), np.ones((k, 1)))
        mu, se, tau2 = g.mu, g.se, g.tau2
        crit = float(stats.norm.ppf(0.5 + level / 2.0))
        i2, h2, q, q_p = 100 * tau2 / (vt + tau2), 1 + tau2 / vt, np.nan, np.nan
        tests = heterogeneity_tests(cases, n)
        tests = {key: tests[key] for key in _NO_GLMM_TESTS}
    else:
        f = fit_uni(
            es["yi"].to_numpy(),
            es["vi"].to_numpy(),
            method=method,
            knha=knha,
            level=level,
            weighted=weighted,
        )
        mu, se, tau2, crit = float(f.beta[0]), float(f.se[0]), f.tau2, f.crit
        i2, h2, q, q_p = f.i2, f.h2, f.qe, f.qe_p
    half_pi = crit * np.sqrt(tau2 + se * se)
    link = {
        "estimate_link": mu,
        "std_error": se,
        "ci_low_link": mu - crit * se,
        "ci_high_link": mu + crit * se,
        "pi_low_link": mu - half_pi,
        "pi_high_link": mu + half_pi,
    }
    back = back_transform(
        np.array([mu, mu - crit * se, mu + crit * se, mu - half_pi, mu + half_pi]), measure, n
    )
    return {
        "k": k,
        "estimate": back[0],
        "ci_low": back[1],
        "ci_high": back[2],
        "pi_low": back[3],
        "pi_high": back[4],
        **link,
        "tau2": tau2,
        "i2": i2,
        "h2": h2,
        "q": q,
        "q_p": q_p,
        **tests,
    }


def pool_prevalence(
    data: pd.DataFrame,
    *,
    cases: str = "cases",
    n: str = "n",
    study: str = "study",
    measure: Literal["logit", "freeman_tukey", "raw"] = "logit",
    method: Literal["REML", "DL", "PM", "ML", "EE", "FE", "GLMM"] = "REML",
    level: float = 0.95,
    subgroup: str | None = None,
    knha: bool = False,
    weighted: bool = True,
) -> PrevalenceMetaResult:
    """Pool study prevalences in a random-effects (or equal-effects) meta-analysis.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per study.
    cases, n, study : str, default="cases", "n", "study"
        Columns with the number of cases, the study size and the study label.
    measure : {"logit", "freeman_tukey", "raw"}, default="logit"
        metafor's ``"PLO"``, ``"PFT"``, ``"PR"`` (see :func:`prevalence_effect_sizes`).
    method : {"REML", "DL", "PM", "ML", "EE", "FE", "GLMM"}, default="REML"
        tau² estimator of the two-step model; ``"EE"`` (alias ``"FE"``) for the
        equal-effects (common-effect, inverse-variance) model with tau² = 0 (metafor
        ``method = "EE"``: Q is reported, with I² = max(0, 100 (Q - (k - 1))/Q) and
        H² = Q/(k - 1)); or ``"GLMM"`` for the random-intercept logistic model (logit only)
        fitted by maximum likelihood with 7-node adaptive Gauss–Hermite quadrature (metafor
        ``rma.glmm`` default ``nAGQ = 7``).
    level : float, default=0.95
        Confidence level of every interval.
    subgroup : str, optional
        Column defining subgroups: each is pooled on its own (own tau²) and the subgroups are
        compared by a mixed-effects model with the subgroup as moderator and a common tau²
        (metafor ``rma(yi, vi, mods = ~ subgroup)``, the omnibus Wald test ``QM``; with
        ``method="GLMM"``, ``rma.glmm(mods = ~ subgroup)``, which also reports the residual
        heterogeneity tests ``q_wald`` and ``q_lrt`` on k - levels df).
    knha : bool, default=False
        Knapp–Hartung adjustment (metafor ``test = "knha"``): t quantiles on k - 1 df for the
        confidence and prediction intervals.
    weighted : bool, default=True
        ``False`` averages the effect sizes without weights (metafor ``weighted = FALSE``),
        as Miller (1978) did; tau² and the heterogeneity statistics are unchanged. Not with
        the GLMM or Knapp–Hartung.

    Returns
    -------
    PrevalenceMetaResult
        Pooled proportion, confidence and prediction intervals, tau², I², H², Q (for the
        GLMM the Wald-type and likelihood-ratio heterogeneity tests ``q_wald``, ``q_lrt``),
        per-study exact intervals, subgroup rows and test;
        :meth:`~PrevalenceMetaResult.leave_one_out`.

    Raises
    ------
    lbprun._checks.ArgumentError
        Unknown measure or method, ``method="GLMM"`` with a measure other than logit,
        ``knha=True`` or ``weighted=False`` with the GLMM, ``weighted=False`` with
        ``knha=True``, fewer than 2 studies, a bad level, a missing column.
    lbprun.exceptions.DataValidationError
        Invalid counts (see :func:`prevalence_effect_sizes`).

    Warns
    -----
    FreemanTukeyWarning
        ``measure="freeman_tukey"``: the harmonic-mean back-transform is questionable.

    Notes
    -----
    Validated against R metafor 3.8-1 ``escalc`` + ``rma`` + ``predict`` (to 1e-12 for DL and
    REML, 1e-12 for PM against the equation solved to 1e-15; EE and ``weighted=False`` to
    1e-9) and ``rma.glmm`` (1e-5: lme4's optimiser stops there; its QE.LRT and QE.Wld
    tests to 1e-9 and 1e-7). Miller's (1978) published pooled proportions are reproduced in
    ``tests/meta/test_published_miller1978.py``. The prediction interval is
    :math:`\\hat\\mu \\pm c\\sqrt{\\hat\\tau^2 + \\mathrm{SE}^2}` with c the normal quantile, or
    the t quantile on k - 1 df with ``knha=True``. See ``docs/meta_analysis.md``.

    References
    ----------
    Viechtbauer W (2010). Conducting meta-analyses in R with the metafor package. J Stat Softw
    36(3). Schwarzer G, Chemaitelly H, Abu-Raddad LJ, Rücker G (2019). Seriously misleading
    results using inverse of Freeman-Tukey double arcsine transformation in meta-analysis of
    single proportions. Res Synth Methods 10(3):476-483.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"study": list("abcd"), "cases": [5, 12, 30, 8], "n": [50, 80, 150, 90]})
    >>> r = pool_prevalence(d, method="DL")
    >>> round(r.estimate, 4), round(r.tau2, 4)
    (0.1398, 0.1132)
    """
    check_choice("measure", measure, tuple(MEASURES))
    check_choice("method", method, METHODS)
    level = check_level(level)
    if not isinstance(knha, bool | np.bool_):
        raise ArgumentError(f"knha must be True or False; got {knha!r}.")
    if method == "GLMM" and measure != "logit":
        raise ArgumentError(f"measure must be 'logit' with method='GLMM'; got {measure!r}.")
    if method == "GLMM" and knha:
        raise ArgumentError("knha must be False with method='GLMM'; got True.")
    if not isinstance(weighted, bool | np.bool_):
        raise ArgumentError(f"weighted must be True or False; got {weighted!r}.")
    if not weighted and (method == "GLMM" or knha):
        raise ArgumentError("weighted must be True with method='GLMM' or knha=True; got False.")
    check_columns(data, [cases, n, study, subgroup])
    es = prevalence_effect_sizes(data, cases=cases, n=n, study=study, measure=measure)
    notes: list[str] = []
    excluded = es.attrs["excluded"]
    if excluded:
        notes.append(
            f"{len(excluded)} row(s) with a missing {cases!r} or {n!r} were left out "
            f"(positions {excluded[:10]}); {len(data)} rows in = {len(es)} pooled + "
            f"{len(excluded)} excluded."
        )
    if len(es) < 2:
        raise ArgumentError(f"data must hold at least 2 studies with counts; got {len(es)}.")
    if es["corrected"].any():
        notes.append(
            f"{int(es['corrected'].sum())} study(ies) with 0 or n cases: 1/2 added to cases and "
            "non-cases for the logit (metafor add = 1/2, to = 'only0')."
        )
    if measure == "freeman_tukey":
        message = (
            "The Freeman-Tukey back-transform uses the harmonic mean of the study sizes "
            "(metafor transf.ipft.hm); it can mislead (Schwarzer et al. 2019). Prefer "
            "measure='logit' or method='GLMM'."
        )
        warnings.warn(message, FreemanTukeyWarning, stacklevel=2)
        notes.append(message)
    keep = np.ones(len(data), dtype=bool)
    keep[excluded] = False
    if subgroup is not None:
        es["group"] = data.loc[keep, subgroup].astype(str).to_numpy()
    row = _pool(es, measure, method, level, knha, weighted)
    rows = [{"group": "overall", **row}]
    subgroup_test = None
    if subgroup is not None:
        levels = sorted(es["group"].unique())
        for g in levels:
            part = es[es["group"] == g]
            if len(part) >= 2:
                rows.append({"group": g, **_pool(part, measure, method, level, knha, weighted)})
        if method == "GLMM" and len(levels) > 1:
            try:
                subgroup_test = _glmm_subgroup_test(es, levels, subgroup)
            except ConvergenceError as err:
                notes.append(
                    f"No test for subgroup differences: the moderator GLMM failed ({err})"
                )
        elif len(levels) > 1:
            x = np.column_stack(
                [np.ones(len(es))] + [(es["group"] == g).to_numpy(float) for g in levels[1:]]
            )
            f = fit_uni(
                es["yi"].to_numpy(),
                es["vi"].to_numpy(),
                x,
                method=method,
                knha=knha,
                weighted=weighted,
            )
            subgroup_test = {
                "moderator": subgroup,
                "reference": levels[0],
                "qm": f.qm,
                "qm_df": f.qm_df,
                "qm_p": f.qm_p,
                "coef": [float(b) for b in f.beta],
                "se": [float(s) for s in f.se],
                "tau2_residual": f.tau2,
            }
    table = pd.DataFrame(rows)
    table["measure"], table["method"], table["level"] = measure, method, level
    low, high = _exact(es["cases"].to_numpy(float), es["n"].to_numpy(float), level)
    studies = es.drop(columns=["measure"]).copy()
    studies.insert(4, "ci_low", low)
    studies.insert(5, "ci_high", high)
    if method == "GLMM":
        studies["weight"] = np.nan
    elif not weighted:
        studies["weight"] = 100.0 / len(es)
    else:
        w = 1.0 / (es["vi"].to_numpy() + row["tau2"])
        studies["weight"] = 100.0 * w / w.sum()
    fields = {k: v for k, v in row.items() if k != "k"}
    return PrevalenceMetaResult(
        table=table,
        notes=tuple(notes),
        measure=measure,
        method=method,
        level=level,
        knha=bool(knha),
        weighted=bool(weighted),
        k=int(row["k"]),
        studies=studies.reset_index(drop=True),
        subgroup_test=subgroup_test,
        _options={"effect_sizes": es},
        **{k: float(v) for k, v in fields.items()},
    )


def _glmm_subgroup_test(es: pd.DataFrame, levels: list, subgroup: str) -> dict:
    """Mixed-effects logistic model with the subgroup as moderator (``rma.glmm(mods=)``)."""
    design = np.column_stack(
        [np.ones(len(es))] + [(es["group"] == g).to_numpy(float) for g in levels[1:]]
    )
    cases = es["cases"].to_numpy(dtype=float)
    n = es["n"].to_numpy(dtype=float)
    g = fit_glmm(cases, n, design=design)
    b2, v2 = g.beta[1:], g.vb[1:, 1:]
    qm = float(b2 @ np.linalg.solve(v2, b2))
    vt = _typical_variance(es["vi"].to_numpy(), design)
    return {
        "moderator": subgroup,
        "reference": levels[0],
        "qm": qm,
        "qm_df": len(levels) - 1,
        "qm_p": float(stats.chi2.sf(qm, len(levels) - 1)),
        "coef": [float(b) for b in g.beta],
        "se": [float(s) for s in np.sqrt(np.diag(g.vb))],
        "tau2_residual": g.tau2,
        "i2_residual": 100.0 * g.tau2 / (vt + g.tau2),
        "h2_residual": 1.0 + g.tau2 / vt,
        **heterogeneity_tests(cases, n, design),
    }


def _leave_one_out(result: PrevalenceMetaResult) -> pd.DataFrame:
    es = result._options["effect_sizes"]
    rows = []
    for i in range(len(es)):
        part = es.drop(index=es.index[i])
        r = _pool(part, result.measure, result.method, result.level, result.knha, result.weighted)
        rows.append({"study": es["study"].iloc[i], **r})
    cols = ["study", "k", "estimate", "ci_low", "ci_high", "estimate_link", "std_error"]
    cols += ["tau2", "i2", "h2", "q", "q_p"]
    return pd.DataFrame(rows)[cols]
