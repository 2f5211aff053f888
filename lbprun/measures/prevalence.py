"""Prevalence of LBP: crude, by group, under a survey design, standardised, corrected.

:func:`prevalence` is the one entry point; it returns a :class:`PrevalenceResult` whose table
has an overall row and one row per group, each with its interval, and which records the case
definition (point, 12-month or lifetime prevalence, or the user's own).

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"sex": ["F", "F", "M", "M", "M"], "lbp_12m": [1, 0, 1, 1, None]})
>>> result = prevalence(data, by="sex")
>>> result.table[["by", "group", "n", "cases", "n_missing", "estimate"]]
    by group  n  cases  n_missing  estimate
0  all   all  4      3          1  0.750000
1  sex     F  2      1          0  0.500000
2  sex     M  2      2          1  1.000000
>>> result.case_definition
'12-month'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun._result import Result
from lbprun.exceptions import DataValidationError
from lbprun.io.provenance import reading_notes
from lbprun.measures._prevalence_rows import (
    correct_misclassification,
    crude_table,
    standard_population,
    standardised_rows,
)
from lbprun.measures.intervals import PROPORTION_METHODS
from lbprun.measures.standardize import (
    StandardPopulation,
)
from lbprun.measures.standardize import (
    age_bands as cut_age_bands,
)
from lbprun.measures.survey import (
    DESIGN_CI_METHODS,
    SurveyDesign,
    design_frame,
)
from lbprun.measures.survey_proportion import design_proportion

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["CASE_DEFINITIONS", "PrevalenceResult", "prevalence"]

#: Default case definition of each LBP outcome column of the survey schema.
CASE_DEFINITIONS = {"lbp_point": "point", "lbp_12m": "12-month", "lbp_lifetime": "lifetime"}
_ALL = "all"
_WEIGHTED_NOTE = (
    "Survey-weighted: n and cases count the sampled rows; n_weighted and cases_weighted are the "
    "sums of their sampling weights (estimated population and cases)"
)
_DESIGN_N_NOTE = (
    "; n_effective = n / deff is the design-based effective sample size (R svymean(deff = "
    "TRUE)): the size of a simple random sample giving the same variance."
)
_STANDARDISED_NOTE = "; the estimate is standardised, not cases_weighted / n_weighted."


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class PrevalenceResult(Result):
    """Prevalence estimates: an overall row and one row per group.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``by, group, n, cases, n_missing, estimate, ci_low, ci_high, method, level``;
        with a design also ``n_weighted, cases_weighted`` (sums of the weights of the rows and
        of the cases; ``estimate = cases_weighted / n_weighted`` unless standardised),
        ``std_error, deff, n_effective, df`` (``n_effective = n / deff``, the design-based
        effective sample size of R ``svymean(deff = TRUE)``; not for standardised rows); when standardised
        ``std_error, crude_estimate``; when corrected for misclassification
        ``apparent_estimate``. The overall row has ``by == group == "all"``.
    notes : tuple of str
        Excluded rows, lonely PSUs, empty strata, clipped corrections.
    outcome : str
        The outcome column.
    case_definition : str
        ``"point"``, ``"12-month"``, ``"lifetime"`` or the user's text.
    by : tuple of str
        Grouping columns (crossed), empty for none.
    method : str
        Interval method.
    level : float
        Confidence level.
    design : SurveyDesign or None
        The survey design, if any.
    standard_population : str or None
        Name of the standard population when standardised.
    strata_columns : tuple of str
        Standardisation strata.
    sensitivity, specificity : float or None
        Accuracy of the case definition used for the Rogan–Gladen correction.
    """

    _proportions: ClassVar[bool] = True

    outcome: str
    case_definition: str
    by: tuple[str, ...] = ()
    method: str
    level: float
    design: SurveyDesign | None = None
    standard_population: str | None = None
    strata_columns: tuple[str, ...] = ()
    sensitivity: float | None = None
    specificity: float | None = None

    def _title(self) -> str:
        kind = ["survey-weighted" if self.design is not None else "crude"]
        if self.standard_population:
            kind[0] = "survey-weighted" if self.design is not None else "directly"
            kind.append(f"standardised ({self.standard_population})")
        if self.sensitivity is not None:
            kind.append("misclassification-corrected")
        text = " ".join(kind)
        return f"Prevalence of {self.outcome} ({text} {self.case_definition} prevalence)"

    def plot(self, ax: Axes | None = None) -> Axes:
        """Plot each group's estimate and interval; see :func:`lbprun.plots.measures.plot_prevalence`.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from lbprun.plots.measures import plot_prevalence

        return plot_prevalence(self, ax=ax)


def _outcome_values(data: pd.DataFrame, column: str) -> np.ndarray:
    """Return a 0/1 outcome as float with NaN for missing, or raise naming the bad value."""
    series = data[column]
    missing = series.isna().to_numpy()
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("float64").to_numpy(dtype=float, na_value=np.nan)
    values = pd.to_numeric(series, errors="coerce")
    numeric = values.to_numpy(dtype=float, na_value=np.nan, copy=True)
    bad = ~missing & ~np.isin(numeric, (0.0, 1.0))
    if bad.any():
        rows = np.flatnonzero(bad)
        first = series.iloc[rows[0]]
        first = first.item() if isinstance(first, np.generic) else first
        cases = pd.DataFrame(
            {
                "source": "data",
                "row": rows,
                "runner_id": (
                    data["runner_id"].to_numpy()[rows] if "runner_id" in data.columns else None
                ),
                "column": column,
                "check": "binary",
                "value": series.to_numpy()[rows],
                "message": "outcome must be 0/1 or True/False",
            }
        )
        raise DataValidationError(
            f"outcome column {column!r} must hold 0/1 or True/False (missing allowed); got "
            f"{first!r} at row position {rows[0]} ({rows.size} bad value"
            f"{'s' if rows.size > 1 else ''}).",
            failure_cases=cases,
        )
    numeric[missing] = np.nan
    return numeric


def _groups(data: pd.DataFrame, by: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """Integer group codes (-1 for a missing level) and their labels."""
    if len(by) == 1:
        codes, uniques = pd.factorize(data[by[0]], sort=True)
        return codes.astype(np.int64), [str(u) for u in uniques]
    grouped = data.groupby(list(by), sort=True, observed=True, dropna=True)
    codes = grouped.ngroup().to_numpy()
    codes = np.where(np.isnan(codes.astype(float)), -1, codes).astype(np.int64)
    labels = [", ".join(map(str, key)) for key in grouped.size().index]
    return codes, labels


def prevalence(
    data: pd.DataFrame,
    outcome: str = "lbp_12m",
    *,
    by: str | Sequence[str] | None = None,
    design: SurveyDesign | None = None,
    method: str | None = None,
    level: float = 0.95,
    standardize: StandardPopulation | pd.DataFrame | str | None = None,
    age_bands: Sequence[float] | None = None,
    strata_columns: Sequence[str] | None = None,
    age_column: str = "age",
    sensitivity: float | None = None,
    specificity: float | None = None,
    case_definition: str | None = None,
) -> PrevalenceResult:
    """Estimate the prevalence of LBP overall and by group, with confidence intervals.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per runner.
    outcome : str, default="lbp_12m"
        0/1, bool or nullable-boolean column; missing values are left out and counted.
    by : str or list of str, optional
        Grouping column(s); several columns are crossed (as R ``svyby(~a + b)``).
    design : SurveyDesign, optional
        Survey design: estimates are weighted and intervals design-based; groups are domains
        of the whole design.
    method : str, optional
        Without a design one of ``"wilson"`` (default), ``"exact"``, ``"jeffreys"``,
        ``"agresti_coull"``, ``"wald"`` (see :func:`~lbprun.measures.intervals.proportion_ci`);
        with a design one of ``"logit"`` (default), ``"beta"``, ``"likelihood"``, ``"mean"``
        (see :func:`~lbprun.measures.survey_proportion.design_proportion`). Standardised prevalences use
        the Fay–Feuer interval (``"fay_feuer"``), or under a design ``"logit"`` (default) or
        ``"mean"`` (see :func:`~lbprun.measures.standardize.design_standardize`).
    level : float, default=0.95
        Confidence level in (0, 1).
    standardize : "esp2013", StandardPopulation or DataFrame, optional
        Directly standardise to this population: the bundled European Standard Population 2013
        collapsed to ``age_bands``, or a table of strata columns and a ``population`` column.
    age_bands : list of float, optional
        Lower age-band edges (e.g. ``[15, 30, 45, 60]``); an ``age_band`` stratum column is then
        cut from ``age_column`` when ``data`` has none.
    strata_columns : list of str, optional
        Standardisation strata; default the standard population's own columns (e.g.
        ``age_band`` or ``age_band, sex``). Must not overlap ``by``.
    age_column : str, default="age"
        Age in years, used to derive ``age_band``.
    sensitivity, specificity : float, optional
        Accuracy of the case definition; given both, estimates and bounds are corrected with
        :func:`~lbprun.measures.misclassification.rogan_gladen`.
    case_definition : str, optional
        Defaults to ``"point"``, ``"12-month"`` or ``"lifetime"`` for ``lbp_point``,
        ``lbp_12m`` and ``lbp_lifetime``; give your own text for other outcome columns.

    Returns
    -------
    PrevalenceResult
        See :class:`PrevalenceResult` for the table's columns.

    Raises
    ------
    lbprun._checks.ArgumentError
        Unknown columns (the closest is suggested), an unknown method, a level outside (0, 1),
        ``by`` overlapping the strata, only one of sensitivity/specificity.
    lbprun.exceptions.DataValidationError
        An outcome that is not 0/1; missing, zero or negative weights.

    Notes
    -----
    Crude prevalence is cases / n among rows with an outcome. Under a design the estimate is the
    weighted mean with a Taylor-linearised variance (R ``survey::svyciprop``, ``svyby``). The
    standardised prevalence is :math:`\\sum_s W_s x_s/n_s` over the standard's strata with the
    Fay–Feuer (1997) gamma interval (R ``epitools::ageadjust.direct``); under a design the
    stratum prevalences are weighted and the variance linearised with the standard weights
    fixed. Validated against R ``epitools`` and ``survey`` (see the test suite).

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"lbp_12m": [True, False, False, True] * 5})
    >>> prevalence(data, method="exact").table[["estimate", "ci_low", "ci_high"]].round(3)
       estimate  ci_low  ci_high
    0       0.5   0.272    0.728
    """
    check_columns(data, [outcome], name="data")
    by_cols: tuple[str, ...] = () if by is None else (by,) if isinstance(by, str) else tuple(by)
    check_columns(data, by_cols, name="data")
    if outcome in by_cols:
        raise ArgumentError(f"by must not include the outcome column; got {by!r}.")
    level = check_level(level)
    if (sensitivity is None) != (specificity is None):
        raise ArgumentError(
            "sensitivity and specificity must be given together; got "
            f"sensitivity={sensitivity!r}, specificity={specificity!r}."
        )
    if case_definition is None:
        case_definition = CASE_DEFINITIONS.get(outcome, outcome)
    elif not isinstance(case_definition, str) or not case_definition.strip():
        raise ArgumentError(
            f"case_definition must be a non-empty string; got {case_definition!r}."
        )
    notes: list[str] = []
    if outcome not in CASE_DEFINITIONS and case_definition == outcome:
        notes.append(f"case definition not stated; the outcome column {outcome!r} is used as is.")
    y = _outcome_values(data, outcome)
    missing = np.isnan(y)
    if missing.any():
        notes.append(f"{int(missing.sum())} rows with a missing {outcome!r} were left out.")
    codes, labels = _groups(data, by_cols) if by_cols else (np.full(y.size, -1), [])
    if by_cols and (codes < 0).any():
        notes.append(
            f"{int((codes < 0).sum())} rows with a missing {', '.join(by_cols)} are in the "
            "overall row only."
        )
    by_label = ", ".join(by_cols)
    standard_name = None
    strata: tuple[str, ...] = ()
    if standardize is not None:
        if design is None:
            method = check_choice("method", method or "fay_feuer", ("fay_feuer",))
        else:
            method = check_choice("method", method or "logit", ("logit", "mean"))
        standard = standard_population(standardize, age_bands)
        strata = tuple(strata_columns) if strata_columns is not None else standard.strata_columns
        overlap = set(strata) & set(by_cols)
        if overlap:
            raise ArgumentError(f"by must not overlap strata_columns; got {sorted(overlap)!r}.")
        frame = data
        if "age_band" in strata and "age_band" not in data.columns:
            check_columns(data, [age_column], name="data")
            edges = age_bands if age_bands is not None else list(range(0, 95, 5))
            frame = data.assign(age_band=cut_age_bands(data[age_column], edges))
        check_columns(frame, strata, name="data")
        prepared = None
        if design is not None:
            prepared = design_frame(design, data)
            notes.extend(prepared.notes)
        rows = standardised_rows(
            frame, y, codes, labels, standard, strata, level, notes, prepared, method
        )
        table = pd.DataFrame(rows)
        table["by"] = table["by"].fillna(by_label)
        standard_name = standard.name
    elif design is None:
        method = check_choice("method", method or "wilson", PROPORTION_METHODS)
        table = crude_table(y, codes, labels, by_label, method, level, notes)
    else:
        method = check_choice("method", method or "logit", DESIGN_CI_METHODS)
        prepared = design_frame(design, data)
        notes.extend(prepared.notes)
        rows = []
        for by_name, label, member in [(_ALL, _ALL, None)] + [
            (by_label, lab, codes == k) for k, lab in enumerate(labels)
        ]:
            out = design_proportion(y, prepared, domain=member, method=method, level=level)
            notes.extend(f"group {label!r}: {note}" for note in out.pop("notes"))
            n_missing = int(missing.sum() if member is None else (missing & member).sum())
            rows.append({"by": by_name, "group": label, "n_missing": n_missing, **out})
        table = pd.DataFrame(rows)
    table["method"] = method
    table["level"] = level
    if sensitivity is not None:
        table = correct_misclassification(table, sensitivity, specificity, notes)
    first = ["by", "group", "n", "cases", "n_weighted", "cases_weighted", "n_effective"]
    first = [c for c in first if c in table.columns]
    first += ["n_missing", "estimate", "ci_low", "ci_high"]
    table = table[first + [c for c in table.columns if c not in first]]
    if design is not None:
        notes.append(
            _WEIGHTED_NOTE + (_DESIGN_N_NOTE if standardize is None else _STANDARDISED_NOTE)
        )
    notes.extend(reading_notes(data))
    return PrevalenceResult(
        table=table.reset_index(drop=True),
        notes=tuple(notes),
        outcome=outcome,
        case_definition=case_definition,
        by=by_cols,
        method=method,
        level=level,
        design=design,
        standard_population=standard_name,
        strata_columns=strata,
        sensitivity=None if sensitivity is None else float(sensitivity),
        specificity=None if specificity is None else float(specificity),
    )
