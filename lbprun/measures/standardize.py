"""Direct standardisation of prevalences to a standard population (age bands x other strata).

A :class:`StandardPopulation` holds one row per stratum (e.g. age band, or age band x sex) and
its standard population count. :func:`esp2013` gives the bundled European Standard Population
2013 collapsed to the study's age bands; :func:`age_bands` cuts ages into the same bands; and
:func:`direct_standardize` computes the standardised prevalence with the Fay–Feuer gamma
interval.

Examples
--------
>>> std = esp2013([20, 40, 60])
>>> std.table
  age_band  population
0    20-39       25500
1    40-59       27500
2      60+       25500
>>> out = direct_standardize([10, 20, 30], [100, 100, 100], std.weights)
>>> round(out["estimate"], 4)
0.2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special, stats

from lbprun._checks import ArgumentError, check_choice, check_level
from lbprun.measures.survey import PreparedDesign, design_df, linearization_vcov

__all__ = [
    "StandardPopulation",
    "age_bands",
    "design_standardize",
    "direct_standardize",
    "esp2013",
    "esp2013_table",
]


@dataclass(frozen=True, eq=False)
class StandardPopulation:
    """A standard population: one row per stratum with its standard count.

    Parameters
    ----------
    table : pandas.DataFrame
        Stratum columns (e.g. ``age_band``, ``sex``) plus a ``population`` column of
        non-negative counts (or weights); strata must be unique.
    name : str, default="custom"
        Label recorded in results (``"ESP 2013"`` for the bundled standard).
    source : str, default=""
        Where the counts come from.

    Raises
    ------
    lbprun._checks.ArgumentError
        No ``population`` column, no stratum column, duplicated strata, negative or all-zero
        counts.

    Examples
    --------
    >>> import pandas as pd
    >>> std = StandardPopulation(pd.DataFrame({"sex": ["F", "M"], "population": [60, 40]}))
    >>> std.strata_columns, std.weights.tolist()
    (('sex',), [0.6, 0.4])
    """

    table: pd.DataFrame
    name: str = "custom"
    source: str = field(default="")

    def __post_init__(self) -> None:
        if not isinstance(self.table, pd.DataFrame):
            raise ArgumentError(
                f"table must be a pandas DataFrame; got {type(self.table).__name__}."
            )
        if "population" not in self.table.columns:
            raise ArgumentError(
                f"table must have a 'population' column; got columns {list(self.table.columns)!r}."
            )
        if not self.strata_columns:
            raise ArgumentError("table must have at least one stratum column besides population.")
        counts = pd.to_numeric(self.table["population"], errors="coerce").to_numpy(float)
        if not np.all(np.isfinite(counts) & (counts >= 0)) or counts.sum() <= 0:
            raise ArgumentError(
                "population must hold finite non-negative counts with a positive total; "
                f"got {self.table['population'].tolist()!r}."
            )
        duplicated = self.table.duplicated(list(self.strata_columns))
        if duplicated.any():
            row = self.table.loc[duplicated].iloc[0]
            raise ArgumentError(
                f"table must have one row per stratum; got a repeated stratum {row.to_dict()!r}."
            )

    @property
    def strata_columns(self) -> tuple[str, ...]:
        """The stratum columns (every column but ``population``)."""
        return tuple(str(c) for c in self.table.columns if c != "population")

    @property
    def weights(self) -> np.ndarray:
        """Standard weights: population counts divided by their total."""
        counts = self.table["population"].to_numpy(float)
        return counts / counts.sum()


def esp2013_table() -> pd.DataFrame:
    """Return the European Standard Population 2013 in its 19 five-year age bands.

    Returns
    -------
    pandas.DataFrame
        Columns ``age_band, age_min, age_max, population`` (100,000 in total).

    Examples
    --------
    >>> int(esp2013_table()["population"].sum())
    100000
    """
    path = resources.files("lbprun").joinpath("data/standard_population_esp2013.csv")
    with path.open("r", encoding="utf-8") as handle:
        table = pd.read_csv(handle, dtype={"age_band": str})
    table["age_max"] = table["age_max"].astype("Float64")
    return table


def _check_edges(edges: Any) -> list[float]:
    try:
        values = [float(e) for e in edges]
    except (TypeError, ValueError):
        raise ArgumentError(f"age_bands must be a list of ages; got {edges!r}.") from None
    if len(values) < 1 or any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise ArgumentError(f"age_bands must be increasing lower band edges; got {edges!r}.")
    if values[0] < 0 or not all(np.isfinite(values)):
        raise ArgumentError(f"age_bands must be finite non-negative ages; got {edges!r}.")
    return values


def _labels(edges: list[float]) -> list[str]:
    labels = [f"{a:g}-{b - 1:g}" for a, b in zip(edges, edges[1:], strict=False)]
    return [*labels, f"{edges[-1]:g}+"]


def age_bands(ages: ArrayLike, edges: Any) -> pd.Categorical:
    """Cut ages (completed years) into bands starting at ``edges``; the last band is open.

    Parameters
    ----------
    ages : array_like of float
        Ages in years; missing and ages below the first edge give a missing band.
    edges : sequence of float
        Increasing lower edges, e.g. ``[15, 25, 35, 45, 55, 65]`` gives 15-24, ..., 65+.

    Returns
    -------
    pandas.Categorical
        Ordered band labels.

    Raises
    ------
    lbprun._checks.ArgumentError
        Edges that are not increasing, negative or not finite.

    Examples
    --------
    >>> list(age_bands([16, 24.9, 25, 70, 12], [15, 25, 65]))
    ['15-24', '15-24', '25-64', '65+', nan]
    """
    values = _check_edges(edges)
    labels = _labels(values)
    bins = [*values, np.inf]
    return pd.cut(
        np.asarray(ages, dtype=float), bins=bins, right=False, labels=labels, ordered=True
    )


def esp2013(age_bands: Any = None) -> StandardPopulation:
    """Return the European Standard Population 2013, collapsed to the given age bands.

    Parameters
    ----------
    age_bands : sequence of int, optional
        Lower band edges, multiples of 5 (the ESP's own band limits), e.g. ``[15, 30, 45, 60]``
        gives 15-29, 30-44, 45-59 and 60+. ESP bands below the first edge are left out. None
        keeps the 19 five-year bands.

    Returns
    -------
    StandardPopulation
        With columns ``age_band, population`` and ``name="ESP 2013"``.

    Raises
    ------
    lbprun._checks.ArgumentError
        Edges that are not increasing multiples of 5 between 0 and 90.

    Notes
    -----
    Source: Eurostat (2013), *Revision of the European Standard Population*; see
    ``lbprun/data/standard_population_esp2013.md``.

    Examples
    --------
    >>> esp2013([15, 65]).table
      age_band  population
    0    15-64       64500
    1      65+       19500
    """
    table = esp2013_table()
    source = "Eurostat (2013), Revision of the European Standard Population"
    if age_bands is None:
        frame = table[["age_band", "population"]].copy()
        return StandardPopulation(frame, name="ESP 2013", source=source)
    values = _check_edges(age_bands)
    if any(v % 5 or v > 90 for v in values):
        raise ArgumentError(
            "age_bands must be multiples of 5 between 0 and 90 to collapse the ESP 2013 "
            f"five-year bands; got {age_bands!r}."
        )
    labels = _labels(values)
    band = pd.cut(table["age_min"], bins=[*values, np.inf], right=False, labels=labels)
    frame = (
        table.assign(age_band=band)
        .dropna(subset=["age_band"])
        .groupby("age_band", observed=True, sort=True)["population"]
        .sum()
        .reset_index()
    )
    frame["age_band"] = frame["age_band"].astype(str)
    return StandardPopulation(frame, name="ESP 2013", source=source)


def direct_standardize(
    cases: ArrayLike, n: ArrayLike, standard_weights: ArrayLike, *, level: float = 0.95
) -> dict[str, float]:
    """Directly standardised prevalence with the Fay–Feuer gamma interval.

    Parameters
    ----------
    cases : array_like of int
        Cases in each stratum of the study population.
    n : array_like of int
        People in each stratum (positive).
    standard_weights : array_like of float
        Standard population counts or weights of the same strata (normalised here).
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    dict
        ``crude_estimate, estimate, std_error, ci_low, ci_high``.

    Raises
    ------
    lbprun._checks.ArgumentError
        Arrays of different lengths, counts that are negative or exceed ``n``, ``n`` of zero,
        weights that are negative or all zero, a level outside (0, 1).

    Notes
    -----
    With standard weights :math:`W_s` (summing to 1), stratum rates :math:`r_s = x_s/n_s`,
    :math:`y = \\sum W_s r_s`, :math:`v = \\sum W_s^2 x_s/n_s^2` and
    :math:`w_M = \\max_s W_s/n_s`, the bounds are gamma quantiles (Fay & Feuer 1997):
    :math:`G^{-1}(\\alpha/2;\\ y^2/v,\\ v/y)` and
    :math:`G^{-1}(1-\\alpha/2;\\ (y+w_M)^2/(v+w_M^2),\\ (v+w_M^2)/(y+w_M))` (shape, scale);
    the lower bound is 0 when there are no cases. The interval treats counts as Poisson, which
    is conservative for a prevalence; the upper bound is capped at 1. With a single stratum it
    reduces to the exact Garwood interval. As R ``epitools::ageadjust.direct``.

    References
    ----------
    Fay MP, Feuer EJ (1997). Confidence intervals for directly standardized rates: a method
    based on the gamma distribution. Statistics in Medicine 16:791–801.

    Examples
    --------
    >>> out = direct_standardize([5], [100], [1.0])
    >>> round(out["ci_low"], 4), round(out["ci_high"], 4)
    (0.0162, 0.1167)
    """
    level = check_level(level)
    x = np.asarray(cases, dtype=float).ravel()
    size = np.asarray(n, dtype=float).ravel()
    std = np.asarray(standard_weights, dtype=float).ravel()
    if not (x.size == size.size == std.size) or x.size == 0:
        raise ArgumentError(
            "cases, n and standard_weights must have the same positive length; got "
            f"{x.size}, {size.size} and {std.size}."
        )
    if np.any(~np.isfinite(x) | (x < 0) | (x > size)) or np.any(~(size > 0)):
        raise ArgumentError(
            "cases must be between 0 and n, with n > 0, in every stratum; got cases "
            f"{x.tolist()!r} and n {size.tolist()!r}."
        )
    if np.any(~np.isfinite(std) | (std < 0)) or std.sum() <= 0:
        raise ArgumentError(
            f"standard_weights must be non-negative with a positive total; got {std.tolist()!r}."
        )
    weights = std / std.sum()
    alpha = 1.0 - level
    estimate = float(np.sum(weights * x / size))
    var = float(np.sum(weights**2 * x / size**2))
    w_max = float(np.max(weights / size))
    if estimate > 0:
        low = float(special.gammaincinv(estimate**2 / var, alpha / 2.0) * var / estimate)
    else:
        low = 0.0
    shape = (estimate + w_max) ** 2 / (var + w_max**2)
    scale = (var + w_max**2) / (estimate + w_max)
    high = float(special.gammaincinv(shape, 1.0 - alpha / 2.0) * scale)
    return {
        "crude_estimate": float(x.sum() / size.sum()),
        "estimate": estimate,
        "std_error": float(np.sqrt(var)),
        "ci_low": low,
        "ci_high": min(high, 1.0),
    }


def design_standardize(
    y: np.ndarray,
    prepared: PreparedDesign,
    stratum: np.ndarray,
    standard_weights: ArrayLike,
    *,
    domain: np.ndarray | None = None,
    method: str = "logit",
    level: float = 0.95,
) -> dict[str, Any]:
    r"""Directly standardised prevalence under a survey design (Taylor-linearised).

    Parameters
    ----------
    y : numpy.ndarray
        0/1 outcome of every row of the design's data (NaN: left out).
    prepared : PreparedDesign
        From :func:`lbprun.measures.survey.design_frame`.
    stratum : numpy.ndarray of int
        Index of each row's standard stratum (-1: in none; left out).
    standard_weights : array_like of float
        Standard population of each stratum; strata with no rows in the domain are dropped and
        the others renormalised.
    domain : numpy.ndarray of bool, optional
        Rows of a subpopulation; the design is kept whole.
    method : {"logit", "mean"}, default="logit"
        Interval on the logit scale or on the proportion (clipped to [0, 1]), both with a t
        quantile on the domain's design degrees of freedom.
    level : float, default=0.95
        Confidence level in (0, 1).

    Returns
    -------
    dict
        ``n, cases, estimate, std_error, ci_low, ci_high, crude_estimate, df`` and
        ``empty`` (boolean mask of the standard strata with no rows).

    Raises
    ------
    lbprun._checks.ArgumentError
        An unknown method, a level outside (0, 1), arrays of the wrong length.

    Notes
    -----
    :math:`\hat p_{std} = \sum_s W_s \hat p_s` with :math:`\hat p_s` the weighted prevalence
    of stratum :math:`s`; its variance is :func:`~lbprun.measures.survey.linearization_vcov` of
    the scores :math:`W_s w_i (y_i - \hat p_s) / \sum_{j \in s} w_j`, the standard weights
    being fixed (as R ``survey::svystandardize`` followed by ``svymean``).

    Examples
    --------
    >>> import pandas as pd
    >>> from lbprun.measures.survey import SurveyDesign, design_frame
    >>> data = pd.DataFrame({"w": [1.0, 2, 1, 2, 1, 2], "y": [1, 0, 0, 1, 1, 1]})
    >>> prepared = design_frame(SurveyDesign(weights="w"), data)
    >>> out = design_standardize(data["y"].to_numpy(float), prepared,
    ...                          np.array([0, 0, 0, 1, 1, 1]), [1, 1], method="mean")
    >>> round(out["estimate"], 4)
    0.625
    """
    method = check_choice("method", method, ("logit", "mean"))
    level = check_level(level)
    y = np.asarray(y, dtype=float)
    stratum = np.asarray(stratum, dtype=np.int64)
    standard = np.asarray(standard_weights, dtype=float)
    if y.shape != (prepared.n_rows,) or stratum.shape != y.shape:
        raise ArgumentError(
            f"y and stratum must have length {prepared.n_rows}; got {y.shape} and {stratum.shape}."
        )
    mask = ~np.isnan(y) & (stratum >= 0)
    if domain is not None:
        mask &= np.asarray(domain, dtype=bool)
    k = standard.size
    w = prepared.weights
    where = stratum[mask]
    n_s = np.bincount(where, minlength=k)
    total_s = np.bincount(where, weights=w[mask], minlength=k)
    cases_s = np.bincount(where, weights=(w * np.nan_to_num(y))[mask], minlength=k)
    empty = n_s == 0
    out: dict[str, Any] = {"n": int(mask.sum()), "cases": int(np.nansum(y[mask])), "empty": empty}
    nan = float("nan")
    if empty.all():
        out.update(estimate=nan, std_error=nan, ci_low=nan, ci_high=nan, crude_estimate=nan, df=0)
        return out
    share = np.where(empty, 0.0, standard)
    share = share / share.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        p_s = np.where(empty, 0.0, cases_s / total_s)
    estimate = float(np.sum(share * p_s))
    scores = np.zeros(prepared.n_rows)
    scores[mask] = share[where] * w[mask] * (y[mask] - p_s[where]) / total_s[where]
    se = float(np.sqrt(linearization_vcov(scores, prepared)[0, 0]))
    df = design_df(prepared, mask)
    low = high = nan
    if df > 0 and se > 0 and 0.0 < estimate < 1.0:
        t = stats.t.ppf(0.5 + level / 2.0, df)
        if method == "mean":
            low, high = max(estimate - t * se, 0.0), min(estimate + t * se, 1.0)
        else:
            centre, half = special.logit(estimate), t * se / (estimate * (1.0 - estimate))
            low, high = float(special.expit(centre - half)), float(special.expit(centre + half))
    out.update(
        estimate=estimate,
        std_error=se,
        ci_low=float(low),
        ci_high=float(high),
        crude_estimate=float(cases_s.sum() / total_s.sum()),
        df=df,
    )
    return out
