"""Readable labels of model terms: units, per-unit scaling, reference levels (internal).

An odds ratio means nothing without its unit and its reference. :func:`term_labels` turns the
design of a fitted model (:class:`~lbprun.models._design_matrix.DesignSpec`) into one label per
coefficient: numeric predictors carry their unit from the column dictionary
(:mod:`lbprun.io.schema`) and the ``per`` scaling (``weekly_km (per 10 km/week)``), factors
their level and reference (``sex: M vs F``), booleans ``prior_lbp: yes vs no``, and the
intercept the covariate values of its baseline odds. :func:`term_notes` writes one note per term
the package derives itself (splines, per-unit scaling, formula terms and interactions) or the
caller declares in ``definitions``.

Examples
--------
>>> import pandas as pd
>>> from lbprun.models._design_matrix import build_spec
>>> data = pd.DataFrame({"sex": ["F", "M", "M"], "weekly_km": [20.0, 35.0, 50.0],
...                      "prior_lbp": [True, False, True]})
>>> spec = build_spec(data, ["sex", "weekly_km", "prior_lbp"])
>>> term_labels(spec, per={"weekly_km": 10})
['baseline odds (intercept: sex F, weekly_km 0, prior_lbp no)', 'sex: M vs F', 'weekly_km (per 10 km/week)', 'prior_lbp: yes vs no']
>>> term_notes(spec, per={"weekly_km": 10})
['weekly_km (per 10 km/week): odds ratio for a 10 km/week increase, exp(10 x coefficient per km/week); its interval is scaled alike.']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError
from lbprun.models import _design_matrix as dm

__all__ = [
    "check_definitions",
    "check_per",
    "column_unit",
    "per_factors",
    "term_labels",
    "term_notes",
]

_CATEGORY = re.compile(r"^(?P<factor>.+)\[(?:T\.)?(?P<level>[^\[\]]*)\]$")
_RATIO = re.compile(r"^\s*(?P<column>[A-Za-z_][A-Za-z0-9_]*)\s*/\s*(?P<number>[0-9.eE+-]+)\s*$")


def column_unit(column: str) -> str | None:
    """Return the unit of ``column`` in lbprun's column dictionary (None when it has none).

    >>> column_unit("weekly_km"), column_unit("age"), column_unit("km10")
    ('km/week', 'years', None)
    """
    from lbprun.io.schema import SCHEMAS

    for schema in SCHEMAS.values():
        for entry in schema.columns:
            if entry.name == column and entry.unit:
                return entry.unit
    return None


def _is_boolean(column: str, levels: tuple[Any, ...], boolean: bool) -> bool:
    from lbprun.io.schema import SCHEMAS

    if boolean:
        return True
    declared = any(
        entry.name == column and entry.dtype == "bool"
        for schema in SCHEMAS.values()
        for entry in schema.columns
    )
    return declared and set(levels) <= {0.0, 1.0}


def _number(value: float) -> str:
    return f"{value:g}"


def _per_text(column: str, per: float, definitions: Mapping[str, str]) -> str:
    unit = column_unit(column)
    if unit is not None:
        return f"per {_number(per)} {unit}"
    match = _RATIO.match(definitions.get(column, ""))
    base_unit = column_unit(match["column"]) if match else None
    if match and base_unit is not None:
        scaled = per * float(match["number"])
        return f"per {_number(per)} unit = {_number(scaled)} {base_unit}"
    return f"per {_number(per)} unit"


def check_per(per: Mapping[str, Any] | None, spec: dm.DesignSpec) -> dict[str, float]:
    """Check ``per`` against the linear numeric predictors of ``spec``; return it as floats."""
    if per is None:
        return {}
    if not isinstance(per, Mapping):
        raise ArgumentError(
            f"per must be a mapping {{column: units}}, e.g. {{'weekly_km': 10}}; got {per!r}."
        )
    linear = _linear_columns(spec)
    out = {}
    for column, value in per.items():
        if column not in linear:
            raise ArgumentError(
                f"per keys must be linear numeric predictors of the model {sorted(linear)!r} "
                f"(not splines, factors or booleans); got {column!r}."
            )
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise ArgumentError(f"per[{column!r}] must be a positive number; got {value!r}.")
        if not np.isfinite(value) or value <= 0:
            raise ArgumentError(f"per[{column!r}] must be a positive number; got {value!r}.")
        out[str(column)] = float(value)
    return out


def _linear_columns(spec: dm.DesignSpec) -> set[str]:
    if spec.formula is not None:
        info = spec.design_info
        numeric = {
            factor.code
            for factor, fi in info.factor_infos.items()
            if fi.type == "numerical" and factor.code in spec.columns
        }
        return {name for name in spec.names if name in numeric}
    return {
        p.column
        for p in spec.predictors
        if p.kind == "numeric" and not _is_boolean(p.column, p.levels, p.boolean)
    }


def per_factors(spec: dm.DesignSpec, per: Mapping[str, float]) -> np.ndarray:
    """Multiplier of each coefficient: ``per[column]`` for a scaled predictor, else 1."""
    factors = np.ones(len(spec.names))
    for column, value in per.items():
        factors[spec.names.index(column)] = value
    return factors


def _baseline(spec: dm.DesignSpec, what: str) -> str:
    parts = []
    if spec.formula is None:
        for p in spec.predictors:
            if p.kind == "categorical":
                parts.append(f"{p.column} {p.reference}")
            elif p.kind == "numeric" and _is_boolean(p.column, p.levels, p.boolean):
                parts.append(f"{p.column} no")
            else:
                parts.append(f"{p.column} 0")
    else:
        for factor, reference in _formula_references(spec).items():
            parts.append(f"{_data_column(factor, spec)} {reference}")
        numeric = [
            f.code for f, fi in spec.design_info.factor_infos.items() if fi.type == "numerical"
        ]
        parts.extend(f"{code} 0" for code in numeric)
    return f"{what} (intercept: {', '.join(parts)})" if parts else f"{what} (intercept)"


def _data_column(factor: str, spec: dm.DesignSpec) -> str:
    """The data column a patsy factor reads (the factor itself when it is a column)."""
    if factor in spec.columns:
        return factor
    found = [c for c in spec.columns if re.search(rf"\b{re.escape(c)}\b", factor)]
    return found[0] if len(found) == 1 else factor


def _formula_references(spec: dm.DesignSpec) -> dict[str, Any]:
    """Reference level of each treatment-coded factor of a formula (first category without a
    column of its own)."""
    seen: dict[str, set[str]] = {}
    for name in spec.names:
        for part in name.split(":"):
            match = _CATEGORY.match(part)
            if match and f"[T.{match['level']}]" in part:
                seen.setdefault(match["factor"], set()).add(match["level"])
    out = {}
    for factor, fi in spec.design_info.factor_infos.items():
        if fi.type == "categorical" and factor.code in seen:
            rest = [c for c in fi.categories if str(c) not in seen[factor.code]]
            if rest:
                out[factor.code] = rest[0]
    return out


def _formula_label(name: str, spec: dm.DesignSpec, per: Mapping[str, float], defs: Any) -> str:
    references = _formula_references(spec)
    pieces = []
    for part in name.split(":"):
        match = _CATEGORY.match(part)
        if match:
            column = _data_column(match["factor"], spec)
            if f"[T.{match['level']}]" in part and match["factor"] in references:
                pieces.append(f"{column}: {match['level']} vs {references[match['factor']]}")
            else:
                pieces.append(f"{column} {match['level']}")
        elif ":" in name:
            unit = column_unit(part)
            pieces.append(f"{part} ({unit})" if unit else part)
        else:
            pieces.append(f"{part} ({_per_text(part, per.get(part, 1.0), defs)})")
    return " x ".join(pieces)


def term_labels(
    spec: dm.DesignSpec,
    *,
    per: Mapping[str, float] | None = None,
    definitions: Mapping[str, str] | None = None,
    baseline: str = "baseline odds",
) -> list[str]:
    """Return one readable label per coefficient of ``spec`` (see the module docstring).

    ``baseline`` names what the intercept row is on the scale shown (``"baseline odds"``,
    ``"baseline log odds"``, ``"baseline rate per 1000 hours"``); the covariate values it
    refers to follow in brackets.
    """
    per = dict(per or {})
    defs = dict(definitions or {})
    labels = [_baseline(spec, baseline)]
    if spec.formula is not None:
        labels.extend(_formula_label(name, spec, per, defs) for name in spec.names[1:])
        return labels
    for p in spec.predictors:
        if p.kind == "categorical":
            labels.extend(
                f"{p.column}: {lvl} vs {p.reference}" for lvl in p.levels if lvl != p.reference
            )
        elif p.kind == "spline":
            unit = column_unit(p.column)
            unit_text = f" per {unit}" if unit else ""
            labels.append(f"{p.column} (spline, linear part{unit_text})")
            labels.extend(
                f"{p.column}{chr(39) * i} (spline term {i})" for i in range(1, len(p.knots) - 1)
            )
        elif _is_boolean(p.column, p.levels, p.boolean):
            labels.append(f"{p.column}: yes vs no")
        else:
            labels.append(f"{p.column} ({_per_text(p.column, per.get(p.column, 1.0), defs)})")
    return labels


def term_notes(
    spec: dm.DesignSpec,
    *,
    per: Mapping[str, float] | None = None,
    definitions: Mapping[str, str] | None = None,
) -> list[str]:
    """Return notes defining each term the model derives or the caller declares."""
    per = dict(per or {})
    defs = dict(definitions or {})
    notes = [f"{column} = {text} (as given in definitions)." for column, text in defs.items()]
    if spec.formula is None:
        for p in spec.predictors:
            if p.kind != "spline":
                continue
            unit = column_unit(p.column)
            knots = ", ".join(_number(round(k, 6)) for k in p.knots)
            names = ", ".join(p.names())
            notes.append(
                f"{names}: restricted cubic spline of {p.column} with {len(p.knots)} knots at "
                f"{knots}{' ' + unit if unit else ''} (rms::rcs); {p.column} is the linear "
                f"part and {p.column}' ... the cubic parts, so their odds ratios are not "
                f"per-unit effects: use dose_response({p.column!r}) for odds ratios between "
                "two values."
            )
    else:
        for name in spec.names[1:]:
            if ":" in name:
                notes.append(f"{name} = product of {' and '.join(name.split(':'))} (interaction).")
            elif not _CATEGORY.match(name) and name not in spec.columns:
                notes.append(f"{name} is computed by the formula from the data.")
    for column, value in per.items():
        text = _per_text(column, value, defs)
        unit = column_unit(column)
        one = f"per {unit}" if unit else "per unit"
        notes.append(
            f"{column} ({text}): odds ratio for a {text.removeprefix('per ')} increase, "
            f"exp({_number(value)} x coefficient {one}); its interval is scaled alike."
        )
    return notes


def check_definitions(definitions: Mapping[str, str] | None, columns: Any) -> dict[str, str]:
    """Check ``definitions``: ``{predictor: non-empty text}`` for predictors of the model."""
    if definitions is None:
        return {}
    if not isinstance(definitions, Mapping):
        raise ArgumentError(
            "definitions must be a mapping {column: how it was derived}, e.g. "
            f"{{'km10': 'weekly_km / 10'}}; got {definitions!r}."
        )
    out = {}
    for column, text in definitions.items():
        if column not in columns:
            raise ArgumentError(
                f"definitions keys must be predictors of the model {list(columns)!r}; "
                f"got {column!r}."
            )
        if not isinstance(text, str) or not text.strip():
            raise ArgumentError(f"definitions[{column!r}] must be non-empty text; got {text!r}.")
        out[str(column)] = text.strip()
    return out


def add_labels(table: pd.DataFrame, spec: dm.DesignSpec | None) -> pd.DataFrame:
    """Return ``table`` with a last column ``label`` (by its ``term``), odds-ratio wording."""
    if spec is None or "term" not in table.columns:
        return table
    labels = dict(zip(spec.names, term_labels(spec), strict=True))
    return table.assign(label=[labels.get(str(t), str(t)) for t in table["term"]])


def log_scale_labels(table: pd.DataFrame) -> pd.DataFrame:
    """Reword the intercept's ``label`` for the log-odds scale (``baseline log odds``)."""
    if "label" not in table.columns:
        return table
    out = table.copy()
    out["label"] = out["label"].str.replace("baseline odds", "baseline log odds", regex=False)
    return out
