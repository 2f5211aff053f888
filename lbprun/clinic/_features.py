"""The feature schema of a clinic risk model: one :class:`Feature` per predictor (internal).

A feature records everything needed to rebuild the model's design columns from raw values
without the development data: its kind, unit and description (from the column dictionary when
the name is an lbprun column), the development range, the levels and reference level of a
categorical predictor and the knots of a restricted cubic spline.

Examples
--------
>>> import pandas as pd
>>> from lbprun.models._design_matrix import build_spec
>>> data = pd.DataFrame({"sex": ["F", "M", "M", "F"], "age": [30.0, 40.0, 50.0, 60.0]})
>>> spec = build_spec(data, ["sex", "age"])
>>> feats = features_from_spec(spec, data)
>>> [(f.name, f.kind, f.unit) for f in feats]
[('sex', 'categorical', None), ('age', 'numeric', 'years')]
>>> feats[1].design_names(), feats[0].design_names()
(('age',), ('sex[M]',))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError
from lbprun.io.schema import SCHEMAS
from lbprun.models._design_matrix import DesignSpec, rcs_basis

__all__ = ["KINDS", "Feature", "features_from_spec", "schema_column"]

#: The kinds of predictor a clinic model holds.
KINDS = ("numeric", "boolean", "categorical", "spline")


def schema_column(name: str) -> Any:
    """The column-dictionary entry of ``name`` (survey first, then cohort, activities), or None.

    >>> schema_column("weekly_km").unit
    'km/week'
    >>> schema_column("not_a_column") is None
    True
    """
    for kind in ("survey", "cohort", "activities"):
        if name in SCHEMAS[kind]:
            return SCHEMAS[kind][name]
    return None


@dataclass(frozen=True)
class Feature:
    """One predictor of a :class:`~lbprun.clinic.RiskModel`.

    Parameters
    ----------
    name : str
        The column the predictor reads.
    kind : {"numeric", "boolean", "categorical", "spline"}
        Linear numeric, yes/no (coded 1/0), treatment-coded categorical, or restricted cubic
        spline (``rms::rcs``).
    unit : str or None
        Unit of measurement (column dictionary), None when unknown or not applicable.
    description : str
        What the predictor holds (column dictionary), empty when unknown.
    min, max, p01, p99 : float or None
        Development range and its 1st / 99th percentiles (numeric kinds; None for categorical).
    reference : object
        The reference runner's value: the development median (numeric, spline), ``False``
        (boolean) or the reference level (categorical).
    levels : tuple
        Allowed levels, in design order (categorical only).
    knots : tuple of float
        Spline knots, strictly increasing (spline only).
    """

    name: str
    kind: str
    unit: str | None = None
    description: str = ""
    min: float | None = None
    max: float | None = None
    p01: float | None = None
    p99: float | None = None
    reference: Any = None
    levels: tuple[Any, ...] = ()
    knots: tuple[float, ...] = ()

    def design_names(self) -> tuple[str, ...]:
        """Return the names of the design columns of this feature (as ``DesignSpec.names``).

        Returns
        -------
        tuple of str
            The name itself (numeric, boolean); ``name[level]`` for each non-reference level
            (categorical); ``name``, ``name'``, ... (spline, one fewer than the knots).
        """
        if self.kind == "categorical":
            return tuple(f"{self.name}[{lvl}]" for lvl in self.levels if lvl != self.reference)
        if self.kind == "spline":
            return tuple(self.name + "'" * i for i in range(len(self.knots) - 1))
        return (self.name,)

    def encode(self, values: np.ndarray) -> np.ndarray:
        """Return the design block of checked ``values``.

        Parameters
        ----------
        values : numpy.ndarray
            A float array, or level codes (positions in ``levels``) for a categorical feature.

        Returns
        -------
        numpy.ndarray
            ``len(values) x len(design_names())``.
        """
        if self.kind == "categorical":
            kept = [i for i, lvl in enumerate(self.levels) if lvl != self.reference]
            return (values[:, None] == np.asarray(kept)[None, :]).astype(float)
        if self.kind == "spline":
            return rcs_basis(values, np.asarray(self.knots, dtype=float))
        return values[:, None]

    def reference_value(self) -> Any:
        """Return the value of the reference runner, coded as :meth:`encode` expects it.

        Returns
        -------
        float or int
            The development median (numeric, spline), ``0.0`` (boolean) or the position of the
            reference level (categorical).
        """
        if self.kind == "categorical":
            return self.levels.index(self.reference)
        if self.kind == "boolean":
            return 0.0
        return float(self.reference)


def _range(values: np.ndarray) -> dict[str, float]:
    low, p01, median, p99, high = np.quantile(values, [0.0, 0.01, 0.5, 0.99, 1.0])
    return {
        "min": float(low),
        "max": float(high),
        "p01": float(p01),
        "p99": float(p99),
        "reference": float(median),
    }


def features_from_spec(spec: DesignSpec, data: pd.DataFrame) -> tuple[Feature, ...]:
    """Describe every predictor of ``spec`` with its development range in ``data``.

    Raises
    ------
    lbprun._checks.ArgumentError
        A formula-based spec (patsy), or a predictor column missing from ``data``.
    """
    if spec.formula is not None or not spec.predictors:
        raise ArgumentError(
            "spec must come from build_spec (a list of predictors); got a formula spec "
            f"{spec.formula!r}."
        )
    out = []
    for pred in spec.predictors:
        if pred.column not in data.columns:
            raise ArgumentError(f"data must hold the predictor column {pred.column!r}.")
        entry = schema_column(pred.column)
        info: dict[str, Any] = {
            "unit": None if entry is None else entry.unit,
            "description": "" if entry is None else entry.description,
        }
        if pred.kind == "categorical":
            info.update(levels=tuple(pred.levels), reference=pred.reference)
            out.append(Feature(pred.column, "categorical", **info))
            continue
        values = pd.to_numeric(data[pred.column], errors="coerce").to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        if values.size == 0:
            raise ArgumentError(f"data must hold values of the predictor {pred.column!r}.")
        info.update(_range(values))
        if pred.kind == "spline":
            out.append(Feature(pred.column, "spline", knots=tuple(pred.knots), **info))
        elif pred.boolean:
            info["reference"] = False
            out.append(Feature(pred.column, "boolean", **info))
        else:
            out.append(Feature(pred.column, "numeric", **info))
    return tuple(out)
