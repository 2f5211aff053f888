"""The row builders of :func:`lbprun.measures.prevalence.prevalence` (internal): crude rows,
directly standardised rows (plain or under a survey design) and the Rogan–Gladen correction.

Examples
--------
>>> import numpy as np
>>> crude_table(np.array([1.0, 0.0, 1.0, np.nan]), np.array([0, 0, 1, 1]), ["F", "M"], "sex",
...             "wilson", 0.95, [])[["group", "n", "cases", "n_missing"]]
  group  n  cases  n_missing
0   all  3      2          1
1     F  2      1          0
2     M  1      1          1
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice
from lbprun.exceptions import DataQualityWarning, SparseDataWarning
from lbprun.measures.intervals import proportion_ci_arrays
from lbprun.measures.misclassification import rogan_gladen
from lbprun.measures.standardize import (
    StandardPopulation,
    design_standardize,
    direct_standardize,
    esp2013,
)
from lbprun.measures.survey import PreparedDesign

__all__ = ["correct_misclassification", "crude_table", "standard_population", "standardised_rows"]

ALL = "all"


def standard_population(standardize: Any, age_bands: Any) -> StandardPopulation:
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


def standardised_rows(
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
    groups = [(ALL, ALL, np.ones(y.size, dtype=bool))]
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
            row.update(
                n_weighted=float(prepared.weights[use].sum()),
                cases_weighted=float(np.sum(prepared.weights[use] * y[use])),
            )
            if np.isnan(out["ci_low"]):
                notes.append(f"group {label!r}: no design-based interval (zero variance or df).")
        rows.append(row)
    return rows


def crude_table(
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
        notes.append(f"group {([ALL, *labels])[i]!r}: no rows with an outcome; no estimate.")
    return pd.DataFrame(
        {
            "by": [ALL] + [by_label] * k,
            "group": [ALL, *labels],
            "n": n.astype(np.int64),
            "cases": x.astype(np.int64),
            "n_missing": n_missing.astype(np.int64),
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
        }
    )


def correct_misclassification(
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
