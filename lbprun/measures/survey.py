"""Survey designs: stratified cluster samples with weights, and Taylor-linearised variances.

A :class:`SurveyDesign` is a value naming the design columns (as R's
``svydesign(ids=, strata=, weights=, nest=)``). :func:`design_frame` checks it against a
DataFrame and returns a :class:`PreparedDesign` of integer-coded arrays; every design-based
estimator in lbprun then calls :func:`linearization_vcov` on its estimating-function scores and
:func:`design_df` for the degrees of freedom. The design-based proportion (R
``survey::svyciprop`` and ``svymean(deff = TRUE)``) is
:func:`lbprun.measures.survey_proportion.design_proportion`.

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
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_columns
from lbprun.exceptions import DataValidationError, DesignWarning

__all__ = [
    "DESIGN_CI_METHODS",
    "LONELY_PSU_OPTIONS",
    "PreparedDesign",
    "SurveyDesign",
    "design_df",
    "design_frame",
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
