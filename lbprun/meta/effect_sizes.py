"""Study-level effect sizes for a meta-analysis of proportions (metafor's ``escalc``).

Three measures, spelled as in lbprun and mapped to metafor's names:

========================  ==========  ===============================================  ==================
``measure=``              metafor     ``yi``                                           ``vi``
========================  ==========  ===============================================  ==================
``"raw"``                 ``"PR"``    :math:`x/n`                                      :math:`p(1-p)/n`
``"logit"``               ``"PLO"``   :math:`\\log\\{x/(n-x)\\}`                          :math:`1/x + 1/(n-x)`
``"freeman_tukey"``       ``"PFT"``   :math:`\\tfrac12\\{\\arcsin\\sqrt{x/(n+1)}`           :math:`1/(4n+2)`
                                      :math:`+\\arcsin\\sqrt{(x+1)/(n+1)}\\}`
========================  ==========  ===============================================  ==================

For the logit, a study with no cases or no non-cases gets metafor's default continuity
correction (``add=1/2, to="only0"``): 1/2 is added to the cases and to the non-cases of that
study only (so ``n`` grows by 1). The raw and Freeman–Tukey measures are defined at 0 and ``n``
and are never corrected (metafor sets ``add=0`` for ``"PR"`` and ``"PFT"``).

Examples
--------
>>> import pandas as pd
>>> d = pd.DataFrame({"study": ["a", "b"], "cases": [0, 10], "n": [20, 40]})
>>> prevalence_effect_sizes(d, measure="logit")[["study", "yi", "vi", "corrected"]].round(6)
  study        yi        vi  corrected
0     a -3.713572  2.048780       True
1     b -1.098612  0.133333      False
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from lbprun._checks import check_choice, check_columns
from lbprun.exceptions import DataValidationError

__all__ = [
    "MEASURES",
    "back_transform",
    "freeman_tukey",
    "inverse_freeman_tukey",
    "prevalence_effect_sizes",
]

#: lbprun's measure names and metafor's.
MEASURES = {"logit": "PLO", "freeman_tukey": "PFT", "raw": "PR"}

Measure = Literal["logit", "freeman_tukey", "raw"]


def freeman_tukey(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Freeman–Tukey double arcsine of ``x`` cases out of ``n`` (metafor ``transf.pft`` on x/n).

    >>> round(float(freeman_tukey(np.array([3.0]), np.array([10.0]))[0]), 10)
    0.5983760464
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    return 0.5 * (np.arcsin(np.sqrt(x / (n + 1.0))) + np.arcsin(np.sqrt((x + 1.0) / (n + 1.0))))


def inverse_freeman_tukey(t: np.ndarray | float, n: float) -> np.ndarray:
    """Back-transform a double arcsine ``t`` to a proportion with sample size ``n``.

    Miller's (1978) inversion as in metafor's ``transf.ipft``: values below the transform of 0
    map to 0 and values above the transform of 1 map to 1.

    >>> t = freeman_tukey(np.array([3.0]), np.array([10.0]))
    >>> np.round(inverse_freeman_tukey(t, 10.0), 10)
    array([0.3])
    """
    t = np.atleast_1d(np.asarray(t, dtype=float))
    s = np.sin(2.0 * t)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = 1.0 - (s + (s - 1.0 / s) / n) ** 2
        z = 0.5 * (1.0 - np.sign(np.cos(2.0 * t)) * np.sqrt(inner))
    lo = freeman_tukey(np.array([0.0]), np.array([n]))[0]
    hi = freeman_tukey(np.array([n]), np.array([n]))[0]
    z = np.where(t > hi, 1.0, z)
    z = np.where(t < lo, 0.0, z)
    return z


def back_transform(values: np.ndarray | float, measure: str, n: np.ndarray) -> np.ndarray:
    """Return link-scale ``values`` as proportions.

    The logit uses the inverse logit, the raw proportion stays as it is (bounds may leave
    [0, 1], as in metafor), and the Freeman–Tukey uses :func:`inverse_freeman_tukey` with the
    harmonic mean of the study sizes ``n`` (metafor's ``transf.ipft.hm``).

    >>> back_transform(np.array([0.0]), "logit", np.array([10]))
    array([0.5])
    """
    values = np.atleast_1d(np.asarray(values, dtype=float))
    if measure == "logit":
        return 1.0 / (1.0 + np.exp(-values))
    if measure == "freeman_tukey":
        n_hm = 1.0 / np.mean(1.0 / np.asarray(n, dtype=float))
        return inverse_freeman_tukey(values, n_hm)
    return values


def _validate(data: pd.DataFrame, cases: str, n: str, study: str) -> pd.DataFrame:
    """Check counts: integers with 0 <= cases <= n and n > 0; every failure is reported."""
    x = pd.to_numeric(data[cases], errors="coerce")
    m = pd.to_numeric(data[n], errors="coerce")
    rules = [
        (cases, "numeric", x.isna() & data[cases].notna()),
        (n, "numeric", m.isna() & data[n].notna()),
        (cases, "non-negative integer", x.notna() & ((x < 0) | (x % 1 != 0))),
        (n, "positive integer", m.notna() & ((m <= 0) | (m % 1 != 0))),
        (cases, f"at most {n}", x.notna() & m.notna() & (x > m)),
    ]
    rows = []
    for column, check, mask in rules:
        for pos in np.flatnonzero(mask.to_numpy()):
            rows.append(
                {
                    "column": column,
                    "check": check,
                    "row": int(pos),
                    "study": data[study].iloc[pos],
                    "value": data[column].iloc[pos],
                }
            )
    if rows:
        failures = pd.DataFrame(rows)
        counts = failures.groupby(["column", "check"]).size()
        lines = [f"  {c} ({k}): {v} row(s)" for (c, k), v in counts.items()]
        examples = failures.head(5).to_string(index=False)
        raise DataValidationError(
            f"{len(rows)} invalid count(s) in the study table:\n"
            + "\n".join(lines)
            + f"\nFirst rows (0-based position):\n{examples}",
            failure_cases=failures,
        )
    return pd.DataFrame({"x": x, "n": m})


def prevalence_effect_sizes(
    data: pd.DataFrame,
    *,
    cases: str = "cases",
    n: str = "n",
    study: str = "study",
    measure: Measure = "logit",
) -> pd.DataFrame:
    """Return each study's transformed proportion and its sampling variance.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per study.
    cases, n, study : str, default="cases", "n", "study"
        Columns holding the number of cases, the study size and the study label.
    measure : {"logit", "freeman_tukey", "raw"}, default="logit"
        metafor's ``"PLO"``, ``"PFT"`` and ``"PR"``.

    Returns
    -------
    pandas.DataFrame
        One row per study with a complete count, in input order: ``study, cases, n,
        proportion`` (x/n, uncorrected), ``yi`` (effect size), ``vi`` (sampling variance),
        ``corrected`` (True where 1/2 was added to both cells), ``measure``. Rows whose cases or
        n is missing are left out and listed in ``frame.attrs["excluded"]`` (their row
        positions), so ``len(data) == len(frame) + len(frame.attrs["excluded"])``.

    Raises
    ------
    lbprun._checks.ArgumentError
        An unknown measure or a missing column.
    lbprun.exceptions.DataValidationError
        Non-numeric, negative or non-integer counts, ``n <= 0`` or ``cases > n``; every
        failing row is listed in ``failure_cases``.

    Notes
    -----
    Validated against R ``metafor::escalc(measure, xi = cases, ni = n)`` (metafor 3.8-1) to
    1e-12: see :mod:`lbprun.meta.effect_sizes` for the formulas and the continuity correction.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"study": ["a"], "cases": [5], "n": [50]})
    >>> prevalence_effect_sizes(d, measure="raw")[["yi", "vi"]]
        yi      vi
    0  0.1  0.0018
    """
    check_choice("measure", measure, tuple(MEASURES))
    check_columns(data, [cases, n, study])
    counts = _validate(data, cases, n, study)
    complete = counts["x"].notna() & counts["n"].notna()
    excluded = list(np.flatnonzero(~complete.to_numpy()))
    x = counts.loc[complete, "x"].to_numpy(dtype=float)
    m = counts.loc[complete, "n"].to_numpy(dtype=float)
    corrected = np.zeros(len(x), dtype=bool)
    if measure == "logit":
        corrected = (x == 0) | (x == m)
        xa = np.where(corrected, x + 0.5, x)
        na = np.where(corrected, m + 1.0, m)
        yi = np.log(xa / (na - xa))
        vi = 1.0 / xa + 1.0 / (na - xa)
    elif measure == "freeman_tukey":
        yi = freeman_tukey(x, m)
        vi = 1.0 / (4.0 * m + 2.0)
    else:
        yi = x / m
        vi = yi * (1.0 - yi) / m
    out = pd.DataFrame(
        {
            "study": data.loc[complete.to_numpy(), study].to_numpy(),
            "cases": x.astype(np.int64),
            "n": m.astype(np.int64),
            "proportion": x / m,
            "yi": yi,
            "vi": vi,
            "corrected": corrected,
            "measure": measure,
        }
    )
    out.attrs["excluded"] = [int(i) for i in excluded]
    return out
