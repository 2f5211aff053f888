"""Stages of a multistage survey design and their variance contributions (internal).

A design ``SurveyDesign(cluster=("district", "school"), fpc=("n_districts", "n_schools"))``
samples districts (stage 1), then schools within each sampled district (stage 2). Every stage
is described by the same arrays: the sampling unit of each row, the group each unit was sampled
within (stratum at stage 1, the unit of the previous stage later on), the number of units
sampled per group, its finite population correction and the product of the sampling fractions
of the earlier stages. :func:`fpc_stages` builds the stages from the fpc columns,
:func:`stage_vcov` is the one-stage (ultimate cluster) estimator of one stage, and
:func:`lbprun.measures.survey.linearization_vcov` adds the stages up as R's
``survey:::multistage``. The design-column checks shared with
:func:`lbprun.measures.survey.design_frame` live here too.

Examples
--------
>>> import numpy as np
>>> stage = Stage(unit=np.array([0, 0, 1, 2]), unit_group=np.array([0, 0, 0]),
...               n_units=np.array([3]), fpc_factor=np.array([1.0]),
...               multiplier=np.array([1.0]))
>>> stage_vcov(np.array([[1.0], [1.0], [0.0], [-2.0]]), stage, "adjust")
array([[12.]])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun.exceptions import DataValidationError

#: A finite population correction below this is a census (R ``survey:::onestrat``).
CENSUS_TOLERANCE = 1e-7


@dataclass(frozen=True, eq=False)
class Stage:
    """One sampling stage as integer-coded arrays.

    Attributes
    ----------
    unit : numpy.ndarray
        Code of each row's sampling unit at this stage (unique across groups).
    unit_group : numpy.ndarray
        Code of the group (stratum, or unit of the previous stage) each unit was sampled in.
    n_units : numpy.ndarray
        Number of units sampled per group.
    fpc_factor : numpy.ndarray
        ``1 - n / N`` per group (1 without a finite population correction, 0 for a census).
    multiplier : numpy.ndarray
        Product of the sampling fractions ``n / N`` of the earlier stages, per group.
    """

    unit: np.ndarray
    unit_group: np.ndarray
    n_units: np.ndarray
    fpc_factor: np.ndarray
    multiplier: np.ndarray


def census_factor(n_units: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Return ``1 - n / N``, set to 0 below :data:`CENSUS_TOLERANCE` as R does."""
    factor = 1.0 - n_units / population
    return np.where(factor < CENSUS_TOLERANCE, 0.0, factor)


def stage_vcov(array: np.ndarray, stage: Stage, lonely_psu: str) -> np.ndarray:
    """Return one stage's contribution to the variance of the column totals of ``array``.

    Parameters
    ----------
    array : numpy.ndarray of shape (n, p)
        Scores, one row per data row.
    stage : Stage
        The stage.
    lonely_psu : str
        ``"adjust"`` centres a lonely unit at zero; any other rule drops it.

    Returns
    -------
    numpy.ndarray of shape (p, p)
        :math:`\\sum_g m_g (1 - n_g/N_g) \\frac{n_g}{n_g - 1} \\sum_i (z_{gi} - \\bar z_g)
        (z_{gi} - \\bar z_g)^T` over the groups :math:`g`, with :math:`z_{gi}` the score total
        of unit :math:`i` and :math:`m_g` the multiplier.
    """
    n_total = stage.unit_group.size
    n_groups = stage.n_units.size
    totals = np.column_stack(
        [np.bincount(stage.unit, weights=col, minlength=n_total) for col in array.T]
    )
    sums = np.column_stack(
        [np.bincount(stage.unit_group, weights=col, minlength=n_groups) for col in totals.T]
    )
    n_h = stage.n_units.astype(float)
    single = n_h == 1
    means = sums / n_h[:, None]
    if lonely_psu == "adjust":
        means[single] = 0.0
    centred = totals - means[stage.unit_group]
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(single, 1.0, n_h / (n_h - 1.0)) * stage.fpc_factor * stage.multiplier
    if lonely_psu != "adjust":
        scale = np.where(single, 0.0, scale)
    return (centred * scale[stage.unit_group][:, None]).T @ centred


def nested_units(parent: np.ndarray, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code the units ``(parent, code)`` of a stage: row unit codes and each unit's parent."""
    order = np.lexsort((codes, parent))
    key = np.column_stack([parent, codes])[order]
    new = np.ones(key.shape[0], dtype=bool)
    new[1:] = np.any(key[1:] != key[:-1], axis=1)
    unit = np.empty(parent.size, dtype=np.int64)
    unit[order] = np.cumsum(new) - 1
    return unit, key[new, 0].astype(np.int64)


def failures(
    data: pd.DataFrame, column: str, mask: np.ndarray, check: str, message: str
) -> DataValidationError:
    """Build the DataValidationError naming ``column`` and the rows of ``mask``."""
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


def codes(data: pd.DataFrame, column: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (sorted labels) of a design column that must not be missing."""
    values = data[column]
    missing = values.isna().to_numpy()
    if missing.any():
        raise failures(data, column, missing, "not_missing", f"have a missing {what}")
    codes, labels = pd.factorize(values, sort=True)
    return codes.astype(np.int64), np.asarray(labels)


#: What each lonely-PSU rule does, for the design notes.
LONELY_EFFECT = {
    "adjust": "its PSU is centred at the grand mean (conservative)",
    "remove": "left out of the variance",
    "certainty": "treated as sampled with certainty (no variance)",
}


def population_sizes(
    data: pd.DataFrame,
    column: str,
    raw: np.ndarray,
    group: np.ndarray,
    n_units: np.ndarray,
    fractions: bool,
    where: str,
) -> np.ndarray:
    """Population size per group of one stage's fpc column (constant within each group)."""
    first = np.full(n_units.size, np.nan)
    first[group[::-1]] = raw[::-1]
    varying = raw != first[group]
    if varying.any():
        raise failures(
            data,
            column,
            varying,
            "constant_in_stratum",
            f"have an fpc that varies within its {where}",
        )
    if fractions:
        return n_units / first
    small = first[group] < n_units[group]
    if small.any():
        raise failures(
            data,
            column,
            small,
            "at_least_sampled",
            f"have an fpc smaller than the number of sampled PSUs of their {where}",
        )
    return first


def fpc_stages(
    data: pd.DataFrame,
    design: Any,
    strata: np.ndarray,
    psu: np.ndarray,
    psu_stratum: np.ndarray,
    n_psu: np.ndarray,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray, list[Stage]]:
    """Stage-1 fpc factors, each row's overall sampling fraction and the later stages."""
    columns = design.fpc_columns
    raw = np.column_stack(
        [pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float) for c in columns]
    )
    for k, column in enumerate(columns):
        bad = ~np.isfinite(raw[:, k]) | (raw[:, k] <= 0)
        if bad.any():
            raise failures(data, column, bad, "positive", "have a missing or non-positive fpc")
    fractions = bool(np.all(raw <= 1.0))  # as R: population sizes as soon as one value is > 1
    population = population_sizes(data, columns[0], raw[:, 0], strata, n_psu, fractions, "stratum")
    fpc_factor = census_factor(n_psu, population)
    clusters = design.cluster_columns
    stages: list[Stage] = []
    parent, parent_group = psu, psu_stratum
    fraction_group = n_psu / population
    multiplier_group = np.ones(n_psu.size)
    fraction = fraction_group[strata]
    for k in range(1, len(columns)):
        stage_codes, _ = codes(data, clusters[k], "cluster")
        unit, unit_group = nested_units(parent, stage_codes)
        n_units = np.bincount(unit_group, minlength=parent_group.size)
        where = f"{clusters[k - 1]!r} cluster"
        population = population_sizes(
            data, columns[k], raw[:, k], parent, n_units, fractions, where
        )
        factor = census_factor(n_units, population)
        multiplier = (multiplier_group * fraction_group)[parent_group]
        stages.append(Stage(unit, unit_group, n_units, factor, multiplier))
        lonely = (n_units == 1) & (factor > 0)
        if lonely.any():
            rows = lonely[parent]
            if design.lonely_psu == "fail":
                raise failures(
                    data,
                    clusters[k],
                    rows,
                    "lonely_psu",
                    f"are the single sampled {clusters[k]!r} unit of their {where} at stage "
                    f"{k + 1}; lonely_psu='fail'. Use lonely_psu='adjust', 'remove' or "
                    "'certainty'",
                )
            notes.append(
                f"{int(lonely.sum())} {where}s have a single sampled {clusters[k]!r} unit at "
                f"stage {k + 1}; lonely_psu={design.lonely_psu!r}: "
                f"{LONELY_EFFECT[design.lonely_psu]}."
            )
        fraction = fraction * (n_units / population)[parent]
        parent, parent_group = unit, unit_group
        fraction_group, multiplier_group = n_units / population, multiplier
    return fpc_factor, fraction, stages
