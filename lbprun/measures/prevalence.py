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

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_columns, check_level
from lbprun._result import Result
from lbprun.exceptions import DataQualityWarning, DataValidationError, SparseDataWarning
from lbprun.measures.intervals import PROPORTION_METHODS, proportion_ci_arrays
from lbprun.measures.misclassification import rogan_gladen
from lbprun.measures.standardize import (
    StandardPopulation,
    design_standardize,
    direct_standardize,
    esp2013,
)
from lbprun.measures.standardize import (
    age_bands as cut_age_bands,
)
from lbprun.measures.survey import (
    DESIGN_CI_METHODS,
    PreparedDesign,
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


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class PrevalenceResult(Result):
    """Prevalence estimates: an overall row and one row per group.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``by, group, n, cases, n_missing, estimate, ci_low, ci_high, method, level``;
        with a design also ``std_error, deff, n_effective, df``; when standardised
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
        kind = "standardised " if self.standard_population else ""
        return f"Prevalence of {self.outcome} ({kind}{self.case_definition} prevalence)"

    def plot(self, ax: Axes | None = None) -> Axes:
        """Plot each group's estimate and interval; see :func:`lbprun.plots.measures.plot_prevalence`."""
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


def _standard(standardize: Any, age_bands: Any) -> StandardPopulation:
    if isinstance(standardize, StandardPopulation):
        return standardize
    if isinstance(standardize, pd.DataFrame):
        return StandardPopulation(standardize)
    if isinstance(standardize, str):
        check_choice("standardize", standardize, ("esp2013",))
        return esp2013(age_bands)
    raise ArgumentError(
        "standardize must be 'esp2013', a StandardPopulation or a DataFrame; "
        f"got {type(standardize).__name__}."
    )


def _standardised_rows(
    data: pd.DataFrame,
    y: np.ndarray,
    codes: np.ndarray,
    labels: list[str],
    standard: StandardPopulation,
    strata: tuple[str, ...],
    level: float,
    notes: list[str],
    prepared: PreparedDesign | None = None,
    method: str = "fay_feuer",
) -> list[dict[str, Any]]:
    keys = data[list(strata)].astype("string")
    std_keys = standard.table[list(strata)].astype("string")
    index = pd.MultiIndex.from_frame(std_keys)
    position = index.get_indexer(pd.MultiIndex.from_frame(keys))
    outside = (position < 0) & ~np.isnan(y)
    if outside.any():
        notes.append(
            f"{int(outside.sum())} rows with an outcome fall in no stratum of the standard "
            f"population ({', '.join(strata)} missing or outside it) and were left out."
        )
    weights = standard.weights
    rows = []
    groups = [(_ALL, _ALL, np.ones(y.size, dtype=bool))]
    groups += [(None, label, codes == k) for k, label in enumerate(labels)]
    n_strata = weights.size
    for by_name, label, member in groups:
        use = member & (position >= 0) & ~np.isnan(y)
        n_s = np.bincount(position[use], minlength=n_strata).astype(float)
        x_s = np.bincount(position[use], weights=y[use], minlength=n_strata)
        empty = n_s == 0
        row: dict[str, Any] = {
            "by": by_name,
            "group": label,
            "n": int(n_s.sum()),
            "cases": int(x_s.sum()),
            "n_missing": int((member & np.isnan(y)).sum()),
        }
        if empty.all():
            row.update(
                estimate=np.nan,
                ci_low=np.nan,
                ci_high=np.nan,
                std_error=np.nan,
                crude_estimate=np.nan,
            )
            notes.append(f"group {label!r}: no rows in any stratum; no standardised estimate.")
            rows.append(row)
            continue
        if empty.any() and weights[empty].sum() > 0:
            names = ", ".join(" / ".join(map(str, k)) for k in index[empty][:5])
            note = (
                f"group {label!r}: {int(empty.sum())} standard strata have no rows ({names}"
                f"{' ...' if empty.sum() > 5 else ''}); the standard was renormalised over "
                "the other strata."
            )
            warnings.warn(note, SparseDataWarning, stacklevel=3)
            notes.append(note)
        if prepared is None:
            row.update(direct_standardize(x_s[~empty], n_s[~empty], weights[~empty], level=level))
        else:
            out = design_standardize(
                y, prepared, position, weights, domain=member, method=method, level=level
            )
            row.update({k: out[k] for k in ("estimate", "ci_low", "ci_high", "std_error")})
            row.update(crude_estimate=out["crude_estimate"], df=out["df"])
            if np.isnan(out["ci_low"]):
                notes.append(f"group {label!r}: no design-based interval (zero variance or df).")
        rows.append(row)
    return rows


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
        standard = _standard(standardize, age_bands)
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
        rows = _standardised_rows(
            frame, y, codes, labels, standard, strata, level, notes, prepared, method
        )
        table = pd.DataFrame(rows)
        table["by"] = table["by"].fillna(by_label)
        standard_name = standard.name
    elif design is None:
        method = check_choice("method", method or "wilson", PROPORTION_METHODS)
        table = _crude_table(y, codes, labels, by_label, method, level, notes)
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
        table = _correct(table, sensitivity, specificity, notes)
    first = ["by", "group", "n", "cases", "n_missing", "estimate", "ci_low", "ci_high"]
    table = table[first + [c for c in table.columns if c not in first]]
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


def _crude_table(
    y: np.ndarray,
    codes: np.ndarray,
    labels: list[str],
    by_label: str,
    method: str,
    level: float,
    notes: list[str],
) -> pd.DataFrame:
    observed = ~np.isnan(y)
    k = len(labels)
    in_group = codes >= 0
    use = observed & in_group
    if use.all():  # the common case: no copies of the 10-million-row columns
        group_codes, group_y = codes, y
    else:
        group_codes, group_y = codes[use], y[use]
    n = np.concatenate([[observed.sum()], np.bincount(group_codes, minlength=k)]).astype(float)
    x = np.concatenate(
        [[y[observed].sum()], np.bincount(group_codes, weights=group_y, minlength=k)]
    )
    gone = ~observed & in_group
    n_missing = np.concatenate([[(~observed).sum()], np.bincount(codes[gone], minlength=k)])
    estimate = np.full(k + 1, np.nan)
    low, high = estimate.copy(), estimate.copy()
    ok = n > 0
    if ok.any():
        estimate[ok], low[ok], high[ok] = proportion_ci_arrays(
            x[ok], n[ok], method=method, level=level
        )
    for i in np.flatnonzero(~ok):
        notes.append(f"group {([_ALL, *labels])[i]!r}: no rows with an outcome; no estimate.")
    return pd.DataFrame(
        {
            "by": [_ALL] + [by_label] * k,
            "group": [_ALL, *labels],
            "n": n.astype(np.int64),
            "cases": x.astype(np.int64),
            "n_missing": n_missing.astype(np.int64),
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
        }
    )


def _correct(
    table: pd.DataFrame, sensitivity: float, specificity: float, notes: list[str]
) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        corrected = rogan_gladen(
            table["estimate"].to_numpy(float),
            sensitivity,
            specificity,
            ci_low=table["ci_low"].to_numpy(float),
            ci_high=table["ci_high"].to_numpy(float),
        )
    apparent = table["estimate"].to_numpy(float)
    impossible = (apparent < 1.0 - specificity) | (apparent > sensitivity)
    table = table.copy()
    table["apparent_estimate"] = table["estimate"]
    table[["estimate", "ci_low", "ci_high"]] = corrected[["estimate", "ci_low", "ci_high"]]
    notes.append(
        f"Rogan-Gladen correction for sensitivity {sensitivity:g} and specificity "
        f"{specificity:g} (treated as known); bounds are the corrected apparent bounds."
    )
    if impossible.any():
        groups = ", ".join(map(repr, table.loc[impossible, "group"]))
        note = (
            f"group(s) {groups}: apparent prevalence below 1 - specificity or above "
            "sensitivity, impossible under the stated accuracy; the corrected estimate was "
            "clipped to [0, 1]."
        )
        warnings.warn(note, DataQualityWarning, stacklevel=3)
        notes.append(note)
    return table
