"""Survey designs: stratified cluster samples with weights, and Taylor-linearised variances.

A :class:`SurveyDesign` is a value naming the design columns (as R's
``svydesign(ids=, strata=, weights=, nest=)``). :func:`design_frame` checks it against a
DataFrame and returns a :class:`PreparedDesign` of integer-coded arrays; every design-based
estimator in lbprun then calls :func:`linearization_vcov` on its estimating-function scores and
:func:`design_df` for the degrees of freedom. :func:`design_proportion` is the design-based
proportion (R ``survey::svyciprop`` and ``svymean(deff = TRUE)``).

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"club": ["a", "a", "b", "b", "c", "c", "d", "d"],
...                      "region": ["n", "n", "n", "n", "s", "s", "s", "s"],
...                      "weight": [10.0, 10, 20, 20, 15, 15, 5, 5],
...                      "lbp": [1, 0, 0, 0, 1, 1, 0, 1]})
>>> design = SurveyDesign(cluster="club", strata="region", weights="weight", nest=True)
>>> prepared = design_frame(design, data)
>>> design_df(prepared)
2
>>> out = design_proportion(data["lbp"].to_numpy(), prepared, method="mean")
>>> round(out["estimate"], 4), round(out["std_error"], 4)
(0.45, 0.2484)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun.exceptions import DataValidationError, DesignWarning

__all__ = [
    "DESIGN_CI_METHODS",
    "LONELY_PSU_OPTIONS",
    "PreparedDesign",
    "SurveyDesign",
    "design_df",
    "design_frame",
    "design_proportion",
    "linearization_vcov",
]

#: What to do with a stratum holding a single PSU (as R's ``options(survey.lonely.psu)``).
LONELY_PSU_OPTIONS = ("adjust", "fail", "remove", "certainty")
#: Confidence-interval methods of a design-based proportion (as R ``svyciprop``).
DESIGN_CI_METHODS = ("logit", "beta", "likelihood", "mean")


@dataclass(frozen=True)
class SurveyDesign:
    """A one-stage stratified cluster sample with sampling weights.

    Parameters
    ----------
    cluster : str, optional
        Column of primary sampling units (PSUs), e.g. ``"club"``. None: each row is its own PSU.
    strata : str, optional
        Column of strata, e.g. ``"region"``. None: a single stratum.
    weights : str, optional
        Column of sampling weights (inverse inclusion probabilities), positive. None: equal
        weights.
    nest : bool, default=False
        True when PSU labels are reused across strata (club "1" of the north is not club "1" of
        the south): PSUs are then identified by (stratum, cluster). With False, a PSU label found
        in two strata is an error, as in R.
    fpc : str, optional
        Column giving the finite population correction per stratum: the number of PSUs in the
        population (values > 1) or the sampling fraction (all values <= 1). None: sampling with
        replacement (no correction).
    lonely_psu : {"adjust", "fail", "remove", "certainty"}, default="adjust"
        A stratum with a single PSU has no within-stratum variance. ``"adjust"`` (lbprun's
        default) centres that PSU at zero, i.e. at the sample grand mean of the estimating
        function, which is conservative; ``"remove"`` and ``"certainty"`` let it contribute
        nothing (identical in a one-stage design); ``"fail"`` raises (R's default). Whatever the
        choice, a lonely PSU triggers a :class:`~lbprun.exceptions.DesignWarning` and a note.

    Raises
    ------
    lbprun._checks.ArgumentError
        A column name that is not a string, or an unknown ``lonely_psu``.

    Notes
    -----
    lbprun defaults to ``lonely_psu="adjust"`` rather than R's ``"fail"`` so that an analysis of
    a sparse design still runs, with a conservative variance, a warning and a note; set
    ``"fail"`` to reproduce R's default.

    Examples
    --------
    >>> SurveyDesign(cluster="club", strata="region", weights="weight", nest=True).columns
    ('club', 'region', 'weight')
    """

    cluster: str | None = None
    strata: str | None = None
    weights: str | None = None
    nest: bool = False
    fpc: str | None = None
    lonely_psu: str = "adjust"

    def __post_init__(self) -> None:
        for name in ("cluster", "strata", "weights", "fpc"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ArgumentError(f"{name} must be a column name (str) or None; got {value!r}.")
        if not isinstance(self.nest, bool):
            raise ArgumentError(f"nest must be True or False; got {self.nest!r}.")
        check_choice("lonely_psu", self.lonely_psu, LONELY_PSU_OPTIONS)

    @property
    def columns(self) -> tuple[str, ...]:
        """The design columns that are set, in the order cluster, strata, weights, fpc."""
        names = (self.cluster, self.strata, self.weights, self.fpc)
        return tuple(c for c in names if c is not None)


@dataclass(frozen=True, eq=False)
class PreparedDesign:
    """A survey design checked against data, as integer-coded numpy arrays (internal).

    Attributes
    ----------
    weights : numpy.ndarray
        Sampling weight of each row (1 when the design has none).
    strata, psu : numpy.ndarray
        Integer codes of each row's stratum and PSU (PSU codes are unique across strata).
    psu_stratum : numpy.ndarray
        Stratum code of each PSU.
    n_psu : numpy.ndarray
        Number of sampled PSUs of each stratum.
    fpc_factor : numpy.ndarray
        ``1 - n_h / N_h`` per stratum (1 without a finite population correction).
    stratum_labels : tuple
        Label of each stratum code.
    lonely_psu : str
        The design's lonely-PSU rule.
    notes : tuple of str
        Design notes (lonely PSUs), for the result that uses the design.
    """

    weights: np.ndarray
    strata: np.ndarray
    psu: np.ndarray
    psu_stratum: np.ndarray
    n_psu: np.ndarray
    fpc_factor: np.ndarray
    stratum_labels: tuple[Any, ...]
    lonely_psu: str
    notes: tuple[str, ...] = field(default=())

    @property
    def n_rows(self) -> int:
        """Number of rows of the data."""
        return int(self.weights.size)


def _failures(
    data: pd.DataFrame, column: str, mask: np.ndarray, check: str, message: str
) -> DataValidationError:
    rows = np.flatnonzero(mask)
    runner = (
        data["runner_id"].to_numpy()[rows] if "runner_id" in data.columns else [None] * len(rows)
    )
    cases = pd.DataFrame(
        {
            "source": "data",
            "row": rows,
            "runner_id": runner,
            "column": column,
            "check": check,
            "value": data[column].to_numpy()[rows],
            "message": message,
        }
    )
    shown = ", ".join(str(r) for r in rows[:5]) + (" ..." if rows.size > 5 else "")
    text = (
        f"column {column!r}: {rows.size} row{'s' if rows.size > 1 else ''} {message} "
        f"(row positions {shown})."
    )
    return DataValidationError(text, failure_cases=cases)


def _codes(data: pd.DataFrame, column: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    values = data[column]
    missing = values.isna().to_numpy()
    if missing.any():
        raise _failures(data, column, missing, "not_missing", f"have a missing {what}")
    codes, labels = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(labels)


def design_frame(design: SurveyDesign, data: pd.DataFrame) -> PreparedDesign:
    """Check a survey design against data and return its integer-coded arrays.

    Parameters
    ----------
    design : SurveyDesign
        The design (column names).
    data : pandas.DataFrame
        One row per respondent.

    Returns
    -------
    PreparedDesign
        Weights, stratum and PSU codes, PSU counts per stratum, finite population corrections
        and notes.

    Raises
    ------
    lbprun._checks.ArgumentError
        A design column that is not in ``data`` (the closest name is suggested).
    lbprun.exceptions.DataValidationError
        Missing, zero, negative or infinite weights; missing strata or clusters; PSUs found in
        two strata without ``nest=True``; an invalid or non-constant ``fpc``; a lonely PSU with
        ``lonely_psu="fail"``. The message names the column and the rows.

    Warns
    -----
    lbprun.exceptions.DesignWarning
        A stratum with a single PSU (also recorded in ``notes``).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"club": ["a", "b", "c"], "weight": [1.0, 2.0, 3.0]})
    >>> prepared = design_frame(SurveyDesign(cluster="club", weights="weight"), data)
    >>> prepared.n_psu
    array([3])
    """
    if not isinstance(design, SurveyDesign):
        raise ArgumentError(f"design must be a SurveyDesign; got {type(design).__name__}.")
    check_columns(data, design.columns, name="data")
    n = len(data)
    if n == 0:
        raise ArgumentError("data must have at least one row; got an empty DataFrame.")
    if design.weights is None:
        weights = np.ones(n)
    else:
        column = design.weights
        raw = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
        missing = np.isnan(raw)
        if missing.any():
            raise _failures(
                data, column, missing, "not_missing", "have a missing or non-numeric weight"
            )
        bad = ~np.isfinite(raw) | (raw <= 0)
        if bad.any():
            raise _failures(
                data, column, bad, "positive", "have a zero, negative or infinite weight"
            )
        weights = raw
    if design.strata is None:
        strata = np.zeros(n, dtype=np.int64)
        stratum_labels: tuple[Any, ...] = (None,)
    else:
        strata, labels = _codes(data, design.strata, "stratum")
        stratum_labels = tuple(labels.tolist())
    n_strata = len(stratum_labels)
    if design.cluster is None:
        psu = np.arange(n, dtype=np.int64)
        psu_stratum = strata.copy()
    else:
        cluster, _ = _codes(data, design.cluster, "cluster")
        pairs = pd.MultiIndex.from_arrays([strata, cluster])
        psu, uniques = pd.factorize(pairs, sort=True)
        psu = psu.astype(np.int64)
        psu_stratum = np.asarray(uniques.get_level_values(0), dtype=np.int64)
        cluster_of_psu = np.asarray(uniques.get_level_values(1), dtype=np.int64)
        if not design.nest and np.unique(cluster_of_psu).size < cluster_of_psu.size:
            counts = np.bincount(cluster_of_psu)
            shared = np.isin(cluster, np.flatnonzero(counts > 1))
            raise _failures(
                data,
                design.cluster,
                shared,
                "nested",
                "belong to clusters found in more than one stratum; clusters are not nested in "
                "strata (set nest=True if cluster labels are reused across strata)",
            )
    n_psu = np.bincount(psu_stratum, minlength=n_strata)
    fpc_factor = np.ones(n_strata)
    if design.fpc is not None:
        fpc_factor = _fpc_factor(data, design.fpc, strata, n_psu, n_strata)
    notes: list[str] = []
    lonely = np.flatnonzero(n_psu == 1)
    if lonely.size:
        names = ", ".join(repr(stratum_labels[i]) for i in lonely[:5])
        if design.lonely_psu == "fail":
            message = (
                f"in a stratum with a single PSU ({names}); lonely_psu='fail'. Use "
                "lonely_psu='adjust', 'remove' or 'certainty'"
            )
            column = design.strata or design.cluster
            if column is None:
                raise ArgumentError(f"data must have at least two rows; got one row {message}.")
            raise _failures(data, column, np.isin(strata, lonely), "lonely_psu", "are " + message)
        effect = {
            "adjust": "its PSU is centred at the grand mean (conservative)",
            "remove": "left out of the variance",
            "certainty": "treated as sampled with certainty (no variance)",
        }[design.lonely_psu]
        note = (
            f"{lonely.size} {'strata' if lonely.size > 1 else 'stratum'} ({names}) "
            f"{'have' if lonely.size > 1 else 'has'} a single PSU; lonely_psu="
            f"{design.lonely_psu!r}: {effect}."
        )
        warnings.warn(note, DesignWarning, stacklevel=2)
        notes.append(note)
    return PreparedDesign(
        weights=weights,
        strata=strata,
        psu=psu,
        psu_stratum=psu_stratum,
        n_psu=n_psu,
        fpc_factor=fpc_factor,
        stratum_labels=stratum_labels,
        lonely_psu=design.lonely_psu,
        notes=tuple(notes),
    )


def _fpc_factor(
    data: pd.DataFrame, column: str, strata: np.ndarray, n_psu: np.ndarray, n_strata: int
) -> np.ndarray:
    raw = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(raw) | (raw <= 0)
    if bad.any():
        raise _failures(data, column, bad, "positive", "have a missing or non-positive fpc")
    first = np.full(n_strata, np.nan)
    first[strata[::-1]] = raw[::-1]
    varying = raw != first[strata]
    if varying.any():
        raise _failures(
            data,
            column,
            varying,
            "constant_in_stratum",
            "have an fpc that varies within its stratum",
        )
    if np.all(first <= 1.0):
        population = n_psu / first
    else:
        population = first
        small = population[strata] < n_psu[strata]
        if small.any():
            raise _failures(
                data,
                column,
                small,
                "at_least_sampled",
                "have an fpc smaller than the number of sampled PSUs of their stratum",
            )
    return 1.0 - n_psu / population


def linearization_vcov(scores: np.ndarray, prepared: PreparedDesign) -> np.ndarray:
    """Return the Taylor-linearised (p, p) variance of totals of estimating-function scores.

    Parameters
    ----------
    scores : numpy.ndarray of shape (n,) or (n, p)
        One row per data row: the influence (estimating-function) values whose weighted total
        defines the estimator. Rows outside a domain must hold zeros (the design is kept whole).
    prepared : PreparedDesign
        From :func:`design_frame`.

    Returns
    -------
    numpy.ndarray of shape (p, p)
        The design-based variance–covariance matrix.

    Raises
    ------
    lbprun._checks.ArgumentError
        Scores with the wrong number of rows or non-finite values.

    Notes
    -----
    With :math:`z_{hi}` the total of the scores in PSU :math:`i` of stratum :math:`h`
    (:math:`n_h` PSUs sampled, :math:`N_h` in the population),

    .. math:: V = \\sum_h (1 - n_h/N_h) \\frac{n_h}{n_h - 1}
              \\sum_i (z_{hi} - \\bar z_h)(z_{hi} - \\bar z_h)^T,

    the one-stage (ultimate cluster) estimator. A stratum with one PSU contributes
    :math:`(1 - n_h/N_h) z_{h1} z_{h1}^T` under ``lonely_psu="adjust"`` and nothing otherwise.
    Validated against R ``survey::svyrecvar`` (through ``svymean`` and ``svyciprop``).

    Examples
    --------
    >>> import pandas as pd
    >>> prepared = design_frame(SurveyDesign(), pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
    >>> linearization_vcov(np.array([1.0, 2.0, 3.0]), prepared)
    array([[3.]])
    """
    array = np.asarray(scores, dtype=float)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] != prepared.n_rows:
        raise ArgumentError(
            f"scores must have shape (n, p) with n = {prepared.n_rows}; got {array.shape}."
        )
    if not np.isfinite(array).all():
        raise ArgumentError("scores must be finite; got NaN or infinite values.")
    n_psu_total = prepared.psu_stratum.size
    n_strata = prepared.n_psu.size
    totals = np.column_stack(
        [np.bincount(prepared.psu, weights=col, minlength=n_psu_total) for col in array.T]
    )
    sums = np.column_stack(
        [np.bincount(prepared.psu_stratum, weights=col, minlength=n_strata) for col in totals.T]
    )
    n_h = prepared.n_psu.astype(float)
    lonely = n_h == 1
    means = sums / n_h[:, None]
    if prepared.lonely_psu == "adjust":
        means[lonely] = 0.0
    centred = totals - means[prepared.psu_stratum]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(lonely, 1.0, n_h / (n_h - 1.0)) * prepared.fpc_factor
    if prepared.lonely_psu != "adjust":
        scale = np.where(lonely, 0.0, scale)
    return (centred * scale[prepared.psu_stratum][:, None]).T @ centred


def design_df(prepared: PreparedDesign, subset: np.ndarray | None = None) -> int:
    """Return the design degrees of freedom: number of PSUs minus number of strata.

    Parameters
    ----------
    prepared : PreparedDesign
        From :func:`design_frame`.
    subset : numpy.ndarray of bool, optional
        A domain: count only the PSUs and strata holding at least one of its rows (as R's
        ``degf`` on a subset design).

    Returns
    -------
    int
        The degrees of freedom (as R ``survey::degf``).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"s": [1, 1, 2, 2, 2]})
    >>> design_df(design_frame(SurveyDesign(strata="s"), data))
    3
    """
    if subset is None:
        return int(prepared.psu_stratum.size - prepared.n_psu.size)
    mask = np.asarray(subset, dtype=bool)
    return int(np.unique(prepared.psu[mask]).size - np.unique(prepared.strata[mask]).size)


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
        ``n, cases, estimate, std_error, ci_low, ci_high, deff, n_effective, df`` and ``notes``
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
    n/(n-1)`, as ``svymean(deff = TRUE)``; ``n_effective = n / deff``. For ``"beta"`` the
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
    out: dict[str, Any] = {"n": n, "cases": int(yd.sum()) if n else 0}
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
