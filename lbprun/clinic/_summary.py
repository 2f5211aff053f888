"""Development summary, risk bands and the development-data fingerprint (internal).

Examples
--------
>>> check_bands({"low": 0.0, "moderate": 0.2, "high": 0.6})
(('low', 0.0), ('moderate', 0.2), ('high', 0.6))
>>> band_of(np.array([0.1, 0.2, 0.7]), (("low", 0.0), ("moderate", 0.2), ("high", 0.6)))
array(['low', 'moderate', 'high'], dtype=object)
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError

__all__ = [
    "BAND_FACTORS",
    "LP_POINTS",
    "Development",
    "band_of",
    "check_bands",
    "data_sha256",
    "default_bands",
    "lp_distribution",
]

#: Default band limits as multiples of the development event proportion: ``low`` below half
#: the average risk, ``moderate`` up to 1.5 times the average, ``high`` above that.
BAND_FACTORS = (0.5, 1.5)

#: Number of linear-predictor quantiles kept to describe the development distribution.
LP_POINTS = 1000


@dataclass(frozen=True)
class Development:
    """What a clinic risk model was developed on.

    Parameters
    ----------
    n, events : int
        Complete-case development rows and events among them.
    outcome_definition : str
        How the outcome was defined (column dictionary), empty when unknown.
    date_range : tuple of str or None
        First and last date of the development data (ISO dates) when it holds a date column.
    data_sha256 : str
        SHA-256 of the development data (see :func:`data_sha256`).
    lbprun_version : str
        The lbprun version that built the model.
    created : str
        Creation time, ISO 8601 in UTC.
    linear_predictor : tuple of float
        The development linear predictors (sorted) when n <= 1000, else their 1000 mid-point
        quantiles ``(i + 0.5) / 1000``: the covariate distribution used by recalibration.
    """

    n: int
    events: int
    outcome_definition: str
    date_range: tuple[str, str] | None
    data_sha256: str
    lbprun_version: str
    created: str
    linear_predictor: tuple[float, ...]


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return None if math.isnan(value) else repr(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def data_sha256(data: pd.DataFrame, columns: Sequence[str]) -> str:
    """SHA-256 of ``columns`` of ``data``: canonical JSON, independent of dtypes and versions.

    The document hashed is ``{"columns": [...], "values": [[column values], ...]}`` with the
    columns in the given order, numbers written by ``repr`` (so 1 and 1.0 differ only by kind),
    booleans as JSON booleans and missing values as null; sorted keys, no whitespace.

    >>> frame = pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y"]})
    >>> data_sha256(frame, ["a", "b"]) == data_sha256(frame.astype({"b": "category"}), ["a", "b"])
    True
    """
    values = [[_cell(v) for v in data[c].tolist()] for c in columns]
    text = json.dumps(
        {"columns": list(columns), "values": values},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lp_distribution(lp: np.ndarray) -> tuple[float, ...]:
    """The stored description of the development linear predictors (see :class:`Development`).

    >>> lp_distribution(np.array([0.5, -1.0]))
    (-1.0, 0.5)
    """
    lp = np.sort(np.asarray(lp, dtype=float))
    if lp.size > LP_POINTS:
        lp = np.quantile(lp, (np.arange(LP_POINTS) + 0.5) / LP_POINTS)
    return tuple(float(v) for v in lp)


def default_bands(prevalence: float) -> tuple[tuple[str, float], ...]:
    """Bands at half and 1.5 times the development event proportion (:data:`BAND_FACTORS`).

    >>> default_bands(0.2)
    (('low', 0.0), ('moderate', 0.1), ('high', 0.3))
    """
    low, high = (min(f * prevalence, 0.99) for f in BAND_FACTORS)
    return (("low", 0.0), ("moderate", float(low)), ("high", float(max(high, low + 1e-3))))


def check_bands(bands: Mapping[str, float] | Any) -> tuple[tuple[str, float], ...]:
    """Check ``{band name: lower limit}``: first limit 0, strictly increasing, all below 1.

    Raises
    ------
    lbprun._checks.ArgumentError
        A band mapping that breaks these rules.
    """
    if isinstance(bands, Mapping):
        items = list(bands.items())
    else:
        try:
            items = [(name, lower) for name, lower in bands]
        except (TypeError, ValueError):
            raise ArgumentError(
                f"bands must map band names to lower limits, e.g. {{'low': 0, 'moderate': "
                f"0.05, 'high': 0.15}}; got {bands!r}."
            ) from None
    out = []
    for name, lower in items:
        if not isinstance(name, str) or not name:
            raise ArgumentError(f"bands must be named by non-empty strings; got {name!r}.")
        if isinstance(lower, bool) or not isinstance(lower, int | float | np.number):
            raise ArgumentError(f"bands[{name!r}] must be a number in [0, 1); got {lower!r}.")
        out.append((name, float(lower)))
    limits = [lower for _, lower in out]
    if (
        len(out) < 2
        or limits[0] != 0.0
        or any(b <= a for a, b in zip(limits, limits[1:], strict=False))
        or limits[-1] >= 1.0
    ):
        raise ArgumentError(
            "bands must hold at least two bands whose lower limits start at 0 and increase "
            f"strictly below 1; got {dict(out)!r}."
        )
    if len({name for name, _ in out}) != len(out):
        raise ArgumentError(f"bands must have distinct names; got {[n for n, _ in out]!r}.")
    return tuple(out)


def band_of(probability: np.ndarray, bands: Sequence[tuple[str, float]]) -> np.ndarray:
    """The band of each probability: the last band whose lower limit is <= the probability."""
    names = np.array([name for name, _ in bands], dtype=object)
    limits = np.array([lower for _, lower in bands])
    index = np.searchsorted(limits, probability, side="right") - 1
    return names[np.clip(index, 0, len(names) - 1)]
