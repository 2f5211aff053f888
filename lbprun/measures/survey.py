"""Survey designs: stratified (multistage) cluster samples, and Taylor-linearised variances.

A :class:`SurveyDesign` is a value naming the design columns (as R's
``svydesign(ids=, strata=, weights=, nest=, fpc=)``, with one cluster and fpc column per stage
of a multistage sample). :func:`design_frame` checks it against a
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
from lbprun.exceptions import DesignWarning
from lbprun.measures._survey_stages import (
    LONELY_EFFECT,
    Stage,
    codes,
    failures,
    fpc_stages,
    stage_vcov,
)

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
    """A stratified cluster sample, in one or several stages, with sampling weights.

    Parameters
    ----------
    cluster : str or tuple of str, optional
        Column of primary sampling units (PSUs), e.g. ``"club"``; for a multistage sample one
        column per stage, e.g. ``("district", "school")`` (schools sampled within sampled
        districts; labels of a later stage need only be unique within the unit above). None:
        each row is its own PSU.
    strata : str, optional
        Column of strata, e.g. ``"region"``. None: a single stratum.
    weights : str, optional
        Column of sampling weights (inverse inclusion probabilities), positive. None: equal
        weights, or with ``fpc`` the inverse of the product of the sampling fractions of every
        stage (as R).
    nest : bool, default=False
        True when PSU labels are reused across strata (club "1" of the north is not club "1" of
        the south): PSUs are then identified by (stratum, cluster). With False, a PSU label found
        in two strata is an error, as in R.
    fpc : str or tuple of str, optional
        Finite population correction, one column per stage of ``cluster``: at stage 1 the
        number of PSUs in the population of the stratum, at a later stage the number of units in
        the population of the unit sampled above (values >= 1), or in every column the sampling
        fraction (all values <= 1). None: sampling with replacement (no correction; a multistage
        design then reduces to its first stage, the ultimate clusters).
    lonely_psu : {"adjust", "fail", "remove", "certainty"}, default="adjust"
        A stratum with a single PSU (at a later stage: a unit with a single sampled subunit)
        has no within-stratum variance. ``"adjust"`` (lbprun's default) centres that PSU at
        zero, i.e. at the sample grand mean of the estimating function, which is conservative;
        ``"remove"`` and ``"certainty"`` let it contribute nothing (identical here); ``"fail"``
        raises (R's default). Whatever the choice, a lonely PSU triggers a
        :class:`~lbprun.exceptions.DesignWarning` and a note. A stratum sampled in full (fpc
        equal to the sample size) is a census, not a lonely PSU.

    Raises
    ------
    lbprun._checks.ArgumentError
        A column name that is not a string, ``fpc`` with a number of columns other than the
        number of stages of ``cluster``, or an unknown ``lonely_psu``.

    Notes
    -----
    lbprun defaults to ``lonely_psu="adjust"`` rather than R's ``"fail"`` so that an analysis of
    a sparse design still runs, with a conservative variance, a warning and a note; set
    ``"fail"`` to reproduce R's default. ``SurveyDesign(cluster=("dnum", "snum"),
    fpc=("fpc1", "fpc2"))`` is R's ``svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2)``.

    Examples
    --------
    >>> SurveyDesign(cluster="club", strata="region", weights="weight", nest=True).columns
    ('club', 'region', 'weight')
    >>> SurveyDesign(cluster=("dnum", "snum"), fpc=("fpc1", "fpc2")).columns
    ('dnum', 'snum', 'fpc1', 'fpc2')
    """

    cluster: str | tuple[str, ...] | None = None
    strata: str | None = None
    weights: str | None = None
    nest: bool = False
    fpc: str | tuple[str, ...] | None = None
    lonely_psu: str = "adjust"

    def __post_init__(self) -> None:
        for name in ("cluster", "fpc"):
            value = getattr(self, name)
            if isinstance(value, list):
                value = tuple(value)
                object.__setattr__(self, name, value)
            if isinstance(value, tuple) and value and all(isinstance(v, str) for v in value):
                continue
            if value is not None and not isinstance(value, str):
                raise ArgumentError(
                    f"{name} must be a column name (str), a tuple of column names (one per "
                    f"stage) or None; got {value!r}."
                )
        for name in ("strata", "weights"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ArgumentError(f"{name} must be a column name (str) or None; got {value!r}.")
        if not isinstance(self.nest, bool):
            raise ArgumentError(f"nest must be True or False; got {self.nest!r}.")
        stages = max(len(self.cluster_columns), 1)
        if self.fpc_columns and len(self.fpc_columns) != stages:
            raise ArgumentError(
                f"fpc must name one column per stage of cluster ({stages}); got {self.fpc!r}."
            )
        check_choice("lonely_psu", self.lonely_psu, LONELY_PSU_OPTIONS)

    @property
    def cluster_columns(self) -> tuple[str, ...]:
        """The cluster columns, one per stage (empty when each row is its own PSU)."""
        return (self.cluster,) if isinstance(self.cluster, str) else tuple(self.cluster or ())

    @property
    def fpc_columns(self) -> tuple[str, ...]:
        """The finite population correction columns, one per stage (empty without one)."""
        return (self.fpc,) if isinstance(self.fpc, str) else tuple(self.fpc or ())

    @property
    def columns(self) -> tuple[str, ...]:
        """The design columns that are set, in the order cluster, strata, weights, fpc."""
        single = tuple(c for c in (self.strata, self.weights) if c is not None)
        return self.cluster_columns + single + self.fpc_columns


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
    stages : tuple of lbprun.measures._survey_stages.Stage
        The stages after the first of a multistage design with a finite population correction
        (empty otherwise).
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
    stages: tuple[Stage, ...] = field(default=())

    @property
    def n_rows(self) -> int:
        """Number of rows of the data."""
        return int(self.weights.size)


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
        two strata without ``nest=True``; an invalid or non-constant ``fpc`` (at a later stage:
        varying within a unit of the stage above); a lonely PSU with ``lonely_psu="fail"``. The
        message names the column and the rows.

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
            raise failures(
                data, column, missing, "not_missing", "have a missing or non-numeric weight"
            )
        bad = ~np.isfinite(raw) | (raw <= 0)
        if bad.any():
            raise failures(
                data, column, bad, "positive", "have a zero, negative or infinite weight"
            )
        weights = raw
    if design.strata is None:
        strata = np.zeros(n, dtype=np.int64)
        stratum_labels: tuple[Any, ...] = (None,)
    else:
        strata, labels = codes(data, design.strata, "stratum")
        stratum_labels = tuple(labels.tolist())
    n_strata = len(stratum_labels)
    clusters = design.cluster_columns
    if not clusters:
        psu = np.arange(n, dtype=np.int64)
        psu_stratum = strata.copy()
    else:
        cluster, _ = codes(data, clusters[0], "cluster")
        pairs = pd.MultiIndex.from_arrays([strata, cluster])
        psu, uniques = pd.factorize(pairs, sort=True)
        psu = psu.astype(np.int64)
        psu_stratum = np.asarray(uniques.get_level_values(0), dtype=np.int64)
        cluster_of_psu = np.asarray(uniques.get_level_values(1), dtype=np.int64)
        if not design.nest and np.unique(cluster_of_psu).size < cluster_of_psu.size:
            counts = np.bincount(cluster_of_psu)
            shared = np.isin(cluster, np.flatnonzero(counts > 1))
            raise failures(
                data,
                clusters[0],
                shared,
                "nested",
                "belong to clusters found in more than one stratum; clusters are not nested in "
                "strata (set nest=True if cluster labels are reused across strata)",
            )
    n_psu = np.bincount(psu_stratum, minlength=n_strata)
    fpc_factor = np.ones(n_strata)
    stages: list[Stage] = []
    notes: list[str] = []
    if design.fpc_columns:
        fpc_factor, fraction, stages = fpc_stages(
            data, design, strata, psu, psu_stratum, n_psu, notes
        )
        if design.weights is None:
            weights = 1.0 / fraction
    lonely = np.flatnonzero((n_psu == 1) & (fpc_factor > 0))
    if lonely.size:
        names = ", ".join(repr(stratum_labels[i]) for i in lonely[:5])
        if design.lonely_psu == "fail":
            message = (
                f"in a stratum with a single PSU ({names}); lonely_psu='fail'. Use "
                "lonely_psu='adjust', 'remove' or 'certainty'"
            )
            column = design.strata or (clusters[0] if clusters else None)
            if column is None:
                raise ArgumentError(f"data must have at least two rows; got one row {message}.")
            raise failures(data, column, np.isin(strata, lonely), "lonely_psu", "are " + message)
        note = (
            f"{lonely.size} {'strata' if lonely.size > 1 else 'stratum'} ({names}) "
            f"{'have' if lonely.size > 1 else 'has'} a single PSU; lonely_psu="
            f"{design.lonely_psu!r}: {LONELY_EFFECT[design.lonely_psu]}."
        )
        notes.insert(0, note)
    for note in notes:
        warnings.warn(note, DesignWarning, stacklevel=2)
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
        stages=tuple(stages),
    )


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
    A multistage design with an fpc at every stage adds, for each later stage, the same
    estimator applied within every unit sampled at the stage above (the groups of that stage),
    multiplied by the product of the sampling fractions :math:`n/N` of the earlier stages along
    the unit's path: for two stages, :math:`V = V_1 + \\sum_h \\frac{n_h}{N_h} \\sum_{i \\in h}
    V_{2,hi}`, R's recursive ``survey:::multistage`` (``options(survey.ultimate.cluster =
    FALSE)``, the default). Validated against R ``survey::svyrecvar`` (through ``svymean``,
    ``svytotal``, ``svyciprop``, ``svyby`` and ``svyglm``) on one-stage and two-stage designs.

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
    first = Stage(
        prepared.psu,
        prepared.psu_stratum,
        prepared.n_psu,
        prepared.fpc_factor,
        np.ones(prepared.n_psu.size),
    )
    vcov = stage_vcov(array, first, prepared.lonely_psu)
    for stage in prepared.stages:
        vcov += stage_vcov(array, stage, prepared.lonely_psu)
    return vcov


def design_df(prepared: PreparedDesign, subset: np.ndarray | None = None) -> int:
    """Return the design degrees of freedom: PSUs with rows minus strata with rows.

    Parameters
    ----------
    prepared : PreparedDesign
        From :func:`design_frame`.
    subset : numpy.ndarray of bool, optional
        The rows an estimate uses (a domain, the complete cases of a model): count only the
        PSUs and strata holding at least one of them. None: every row.

    Returns
    -------
    int
        The degrees of freedom, as R ``survey::degf`` of the design restricted to the rows
        used.

    Notes
    -----
    Every design-based degrees of freedom in lbprun comes from here. R's ``svyglm`` drops the
    rows with missing values from the design (``design[-nas, ]``) before ``degf``, so a
    cluster whose every row is missing does not count; ``svyby`` likewise counts the PSUs of
    each domain. Only first-stage PSUs count in a multistage design. The variance, in
    contrast, keeps the whole design (rows not used hold zero scores), as R does.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"s": [1, 1, 2, 2, 2]})
    >>> design_df(design_frame(SurveyDesign(strata="s"), data))
    3
    >>> design_df(design_frame(SurveyDesign(strata="s"), data), data["s"].to_numpy() == 2)
    2
    """
    if subset is None:
        return int(prepared.psu_stratum.size - prepared.n_psu.size)
    mask = np.asarray(subset, dtype=bool)
    if mask.shape != (prepared.n_rows,):
        raise ArgumentError(f"subset must have length {prepared.n_rows}; got shape {mask.shape}.")
    return int(np.unique(prepared.psu[mask]).size - np.unique(prepared.strata[mask]).size)
