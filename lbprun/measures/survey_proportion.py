"""Design-based proportion under a survey design (R ``survey::svyciprop``, ``svymean``).

:func:`design_proportion` estimates a proportion (optionally within a domain) with a
Taylor-linearised standard error, its confidence interval by one of the ``svyciprop`` methods,
the design effect and the effective sample size. The design itself comes from
:func:`lbprun.measures.survey.design_frame`.

Examples
--------
>>> import pandas as pd
>>> from lbprun.measures.survey import SurveyDesign, design_frame
>>> data = pd.DataFrame({"club": ["a", "a", "b", "b", "c", "c", "d", "d"],
...                      "region": ["n", "n", "n", "n", "s", "s", "s", "s"],
...                      "weight": [10.0, 10, 20, 20, 15, 15, 5, 5],
...                      "lbp": [1, 0, 0, 0, 1, 1, 0, 1]})
>>> prepared = design_frame(SurveyDesign(cluster="club", strata="region", weights="weight"), data)
>>> out = design_proportion(data["lbp"].to_numpy(), prepared, method="mean")
>>> round(out["estimate"], 4), round(out["std_error"], 4)
(0.45, 0.2484)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize, special, stats

from lbprun._checks import ArgumentError, check_choice, check_level
from lbprun.measures.survey import (
    DESIGN_CI_METHODS,
    PreparedDesign,
    design_df,
    linearization_vcov,
)

__all__ = ["design_proportion"]


def _glm_intercept_fit(y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Intercept-only binomial IRLS exactly as R ``glm.fit``: final and previous fitted mean."""
    s1, s0 = float(np.sum(w * y)), float(np.sum(w * (1.0 - y)))

    def deviance(mu: np.ndarray | float) -> float:
        return float(np.sum(-2.0 * w * (y * np.log(mu) + (1.0 - y) * np.log1p(-mu))))

    mu = (w * y + 0.5) / (w + 1.0)
    eta = special.logit(mu)
    dev_old = deviance(mu)
    previous = mu
    for _ in range(25):
        ww = w * mu * (1.0 - mu)
        beta = float(np.sum(ww * (eta + (y - mu) / (mu * (1.0 - mu)))) / np.sum(ww))
        previous, eta, mu = mu, beta, float(special.expit(beta))
        dev = -2.0 * (s1 * np.log(mu) + s0 * np.log1p(-mu))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < 1e-8:
            break
        dev_old = dev
    prev = float(np.mean(previous)) if np.ndim(previous) else float(previous)
    return mu, prev


def _likelihood_ci(
    y: np.ndarray,
    w: np.ndarray,
    prepared: PreparedDesign,
    domain: np.ndarray,
    df: int,
    level: float,
) -> tuple[float, float]:
    """Rao–Scott scaled profile-likelihood interval of ``svyciprop(method="likelihood")``."""
    yd, wd = y[domain], w[domain]
    n = yd.size
    wn = wd / wd.mean()
    mu, mu_prev = _glm_intercept_fit(yd, wn)
    scores = np.zeros(prepared.n_rows)
    scores[domain] = wd * (yd - mu) / wd.sum()
    var_mean = float(linearization_vcov(scores, prepared)[0, 0])
    var_logit = var_mean / (mu * (1.0 - mu)) ** 2
    lam = var_logit * np.sum(wn) * mu_prev * (1.0 - mu_prev)
    resid = (yd - mu) / np.sqrt(mu * (1.0 - mu))
    centre = np.sum(wd * resid) / wd.sum()
    phi = np.sum(wd * (resid - centre) ** 2) / wd.sum() * n / (n - 1.0)
    s1, s0 = float(np.sum(wn * yd)), float(np.sum(wn * (1.0 - yd)))
    dev0 = -2.0 * (s1 * np.log(mu) + s0 * np.log1p(-mu))
    cut = lam * stats.t.ppf((1.0 - level) / 2.0, df) ** 2

    def excess(beta: float) -> float:
        m = special.expit(beta)
        with np.errstate(divide="ignore"):  # far out the deviance is infinite: a valid bracket
            return (-2.0 * (s1 * np.log(m) + s0 * np.log1p(-m)) - dev0) / phi - cut

    beta0 = float(special.logit(mu))
    step = max(np.sqrt(var_logit), 1e-3)
    bounds = []
    for sign in (-1.0, 1.0):
        far = beta0 + sign * step
        while excess(far) < 0:
            far = beta0 + 2.0 * (far - beta0)
        lo, hi = sorted((beta0, far))
        bounds.append(
            float(special.expit(optimize.brentq(excess, lo, hi, xtol=1e-14, rtol=1e-15)))
        )
    return bounds[0], bounds[1]


def design_proportion(
    y: np.ndarray,
    prepared: PreparedDesign,
    *,
    domain: np.ndarray | None = None,
    method: str = "logit",
    level: float = 0.95,
) -> dict[str, Any]:
    """Estimate a proportion under a survey design, with its CI, design effect and effective n.

    Parameters
    ----------
    y : numpy.ndarray
        0/1 outcome of every row of the design's data; NaN rows are left out of the domain.
    prepared : PreparedDesign
        From :func:`design_frame`.
    domain : numpy.ndarray of bool, optional
        Rows of the subpopulation (e.g. women). The design is kept whole: rows outside the
        domain contribute zero scores, so PSU counts are those of the full design (as R
        ``svyby``).
    method : {"logit", "beta", "likelihood", "mean"}, default="logit"
        CI method, as R ``svyciprop``: ``"logit"`` Wald interval on the logit scale with a t
        quantile on the design df; ``"beta"`` Korn–Graubard (Clopper–Pearson on an effective
        sample size); ``"likelihood"`` Rao–Scott scaled profile likelihood; ``"mean"`` Wald
        interval on the proportion with a t quantile, clipped to [0, 1] (R does not clip).
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    dict
        ``n, cases`` (rows and cases in the domain), ``n_weighted, cases_weighted`` (sums of
        the weights of those rows and of the cases: the estimated population and number of
        cases), ``estimate, std_error, ci_low, ci_high, deff, n_effective, df`` and ``notes``
        (a tuple of str).

    Raises
    ------
    lbprun._checks.ArgumentError
        An unknown method, a level outside (0, 1), ``y`` of the wrong length or not 0/1.

    Notes
    -----
    :math:`\\hat p = \\sum w_i y_i / \\sum w_i` over the domain; its variance is
    :func:`linearization_vcov` of :math:`w_i (y_i - \\hat p) / \\sum w_i`. ``deff`` is the
    design variance over the variance of simple random sampling without replacement of the
    same size, :math:`s^2 (\\hat N - n)/(\\hat N n)` with :math:`s^2 = \\hat p(1-\\hat p)\\,
    n/(n-1)`, as ``svymean(deff = TRUE)``; ``n_effective = n / deff``, the design-based
    effective sample size that R ``survey`` users read from ``deff`` (it equals
    :math:`\\hat p(1-\\hat p)/\\hat V` up to the factors :math:`n/(n-1)` and :math:`1 - n/\\hat N`
    and, unlike Kish's :math:`(\\sum w)^2/\\sum w^2`, accounts for clustering and strata as well as
    unequal weights). For ``"beta"`` the
    effective size :math:`\\hat p(1-\\hat p)/\\hat V` is scaled by
    :math:`(t_{n-1}/t_{df})^2`, set to ``n`` when :math:`\\hat p \\in \\{0, 1\\}`. For
    ``"likelihood"`` the bounds solve
    :math:`\\{D(\\beta) - D(\\hat\\beta)\\}/\\phi = \\lambda\\, t_{df}^2` for the weighted
    binomial deviance :math:`D` with weights scaled to mean 1, :math:`\\phi` the design
    variance of the Pearson residuals and :math:`\\lambda` the design over the model variance of
    the logit, evaluated at the weights of the last iteration of R's ``glm.fit`` as R does.
    Validated against R ``survey::svyciprop`` (all four methods), ``svymean(deff = TRUE)`` and
    ``svyby``.

    Examples
    --------
    >>> import pandas as pd
    >>> from lbprun.measures.survey import SurveyDesign, design_frame
    >>> data = pd.DataFrame({"lbp": [1, 0, 0, 1, 0, 1, 0, 0], "w": [1.0, 2, 1, 2, 1, 2, 1, 2]})
    >>> prepared = design_frame(SurveyDesign(weights="w"), data)
    >>> out = design_proportion(data["lbp"].to_numpy(float), prepared, method="beta")
    >>> round(out["estimate"], 4), round(out["ci_low"], 4), round(out["ci_high"], 4)
    (0.4167, 0.0795, 0.8289)
    """
    method = check_choice("method", method, DESIGN_CI_METHODS)
    level = check_level(level)
    y = np.asarray(y, dtype=float)
    if y.shape != (prepared.n_rows,):
        raise ArgumentError(f"y must have length {prepared.n_rows}; got shape {y.shape}.")
    observed = ~np.isnan(y)
    if np.any((y[observed] != 0) & (y[observed] != 1)):
        raise ArgumentError("y must hold 0, 1 or NaN; got other values.")
    mask = observed if domain is None else observed & np.asarray(domain, dtype=bool)
    w = prepared.weights
    yd, wd = y[mask], w[mask]
    n = int(mask.sum())
    out: dict[str, Any] = {
        "n": n,
        "cases": int(yd.sum()) if n else 0,
        "n_weighted": float(wd.sum()),
        "cases_weighted": float(np.sum(wd * yd)),
    }
    nan = float("nan")
    if n == 0:
        out.update(
            estimate=nan,
            std_error=nan,
            ci_low=nan,
            ci_high=nan,
            deff=nan,
            n_effective=nan,
            df=0,
            notes=("empty domain: no rows with an outcome.",),
        )
        return out
    notes: list[str] = []
    total = wd.sum()
    p = float(np.sum(wd * yd) / total)
    scores = np.zeros(prepared.n_rows)
    scores[mask] = wd * (yd - p) / total
    var = float(linearization_vcov(scores, prepared)[0, 0])
    se = float(np.sqrt(var))
    df = design_df(prepared, mask)
    s2 = p * (1.0 - p) * n / (n - 1.0) if n > 1 else nan
    vsrs = s2 * (total - n) / (total * n)
    deff = var / vsrs if vsrs > 0 else nan
    out.update(
        estimate=p,
        std_error=se,
        deff=float(deff),
        n_effective=float(n / deff) if deff > 0 else nan,
        df=df,
    )
    alpha = 1.0 - level
    low = high = nan
    degenerate = p in (0.0, 1.0) or var == 0.0
    if df <= 0:
        notes.append(f"design df = {df}: too few PSUs for a design-based interval.")
    elif method == "beta":
        n_eff = p * (1.0 - p) / var if var > 0 else float(n)
        if n > 1:
            n_eff *= (stats.t.ppf(alpha / 2.0, n - 1) / stats.t.ppf(alpha / 2.0, df)) ** 2
        low = (
            0.0 if p == 0 else float(special.betaincinv(n_eff * p, n_eff * (1 - p) + 1, alpha / 2))
        )
        high = (
            1.0
            if p == 1
            else float(special.betaincinv(n_eff * p + 1, n_eff * (1 - p), 1 - alpha / 2))
        )
    elif degenerate:
        notes.append(
            f"estimate {p:g} with zero design variance: no {method!r} interval; use method='beta'."
        )
    elif method == "mean":
        half = stats.t.ppf(1 - alpha / 2, df) * se
        low, high = max(p - half, 0.0), min(p + half, 1.0)
    elif method == "logit":
        half = stats.t.ppf(1 - alpha / 2, df) * se / (p * (1.0 - p))
        centre = special.logit(p)
        low, high = float(special.expit(centre - half)), float(special.expit(centre + half))
    else:
        low, high = _likelihood_ci(y, w, prepared, mask, df, level)
    out.update(ci_low=float(low), ci_high=float(high), notes=tuple(notes))
    return out
