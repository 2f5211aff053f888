"""Convert one raw column to its lbprun type, through its distinct values where that pays.

Every converter of :mod:`lbprun.io._parse` and :mod:`lbprun.io._dates` reads a value the same
way wherever it stands in the column. A text column of a long table holds few distinct values (a
training log of two million runs has a few thousand runner ids, dates and distances), so
:func:`convert` converts the distinct values once and takes the results by code, failures
included: the typed column, the failure cases and the notes are those of the value-by-value
conversion (the general path), which still serves typed columns and columns of mostly distinct
values. Date columns are decided from counts weighted by how often each value occurs, as the
general path counts them.

Examples
--------
>>> import pandas as pd
>>> from lbprun.io.schema import ACTIVITIES
>>> raw = pd.Series([" R1", "R1", "R2", None, "n/a"] * 3, dtype=object)
>>> out = convert(ACTIVITIES["runner_id"], raw)
>>> out.values.tolist()[:5], out.codes is not None
(['R1', 'R1', 'R2', <NA>, <NA>], True)
>>> out = convert(ACTIVITIES["distance_km"], pd.Series(["5", "5 mi", "x"] * 2, dtype=object))
>>> out.values.tolist(), out.failures["pos"].tolist()
([5.0, 8.04672, nan, 5.0, 8.04672, nan], [2, 5])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lbprun.io import _dates, _parse
from lbprun.io.schema import Column

__all__ = ["ENABLED", "Converted", "convert", "date_counts"]

#: Use the fast paths (False runs the general, value-by-value path everywhere).
ENABLED = True
#: Convert through distinct values when they are at most this share of the values.
_SHARE = 0.5


@dataclass
class Converted:
    """A converted column: typed values, failures, notes, and its codes when factorised."""

    values: pd.Series
    failures: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    local: pd.Series | None = None
    codes: np.ndarray | None = None
    uniques: pd.Series | None = None
    converted: list[tuple[str, int]] = field(default_factory=list)
    positions: list[tuple[int, str]] = field(default_factory=list)


def _codes(raw: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    if not ENABLED or len(raw) < 2:
        return None
    found = _parse.string_codes(raw)
    if found is None or len(found[1]) > _SHARE * len(raw):
        return None
    return found


def _general(col: Column, raw: pd.Series, **options: Any) -> Converted:
    """Convert value by value (the general path)."""
    kind = col.dtype
    if kind == "text":
        return Converted(_parse.to_text(raw), _parse.no_failures())
    if kind in ("float", "int"):
        converted: list[tuple[int, str]] = []
        out, bad = _parse.to_float(
            raw,
            col.name,
            decimal=options.get("decimal", "."),
            unit=options.get("unit"),
            converted=converted,
        )
        if kind == "int":
            out = out.round().astype("Int64")
        return Converted(
            out, bad, converted=[(text, 1) for _, text in converted], positions=converted
        )
    if kind == "bool":
        return Converted(*_parse.to_bool(raw, col.name))
    if kind == "category":
        return Converted(*_parse.to_category(raw, col))
    if kind == "date":
        state = options["state"]
        out, bad, notes = _dates.to_date(raw, col.name, state)
        return Converted(out, bad, notes)
    out, local, bad, notes = _dates.to_datetime(raw, col.name)
    return Converted(out, bad, notes, local=local)


def _take(values: pd.Series, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """``values`` taken by ``codes`` (-1: missing), as a Series on ``index``."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fmM":
        array = values.to_numpy()
        fill = np.array([np.nan if array.dtype.kind == "f" else "NaT"], dtype=array.dtype)
        taken = np.concatenate([array, fill])[codes]  # code -1 picks the fill
    else:
        taken = values.array.take(codes, allow_fill=True)
    return pd.Series(taken, index=index, name=values.name)


def _expand(failures: pd.DataFrame, codes: np.ndarray, n_uniques: int) -> pd.DataFrame:
    """Failures of distinct values as failures of every position holding them."""
    if not len(failures):
        return failures
    upos = failures["pos"].to_numpy(dtype=np.int64)
    lookup = np.full(n_uniques + 1, -1, dtype=np.int64)  # the last entry serves code -1
    lookup[upos] = np.arange(len(upos))
    if len(np.unique(upos)) == len(upos):
        which = lookup[codes]
        pos = np.flatnonzero(which >= 0)
        out = failures.iloc[which[pos]].reset_index(drop=True)
        out["pos"] = pos
        return out
    hits = pd.DataFrame({"pos": np.arange(len(codes)), "code": codes})
    out = hits.merge(failures.rename(columns={"pos": "code"}), on="code").drop(columns="code")
    return out.sort_values("pos", kind="stable").reset_index(drop=True)[failures.columns]


def convert(
    col: Column,
    raw: pd.Series,
    *,
    decimal: str = ".",
    unit: str | None = None,
    state: dict[str, Any] | None = None,
) -> Converted:
    """Convert a raw column to ``col``'s type; see the module docstring.

    Parameters
    ----------
    col : Column
        The column of the schema.
    raw : pandas.Series
        Raw values (text as read, or typed values), with a RangeIndex.
    decimal : {".", ","}, default="."
        The source's decimal mark (numeric columns).
    unit : str or None, default=None
        The declared unit (``units=``) of a numeric column.
    state : dict or None, default=None
        A date column's decisions (form, order, hint), updated in place.

    Returns
    -------
    Converted
        ``values``, ``failures`` (``pos, check, value, message``), ``notes``, ``local`` (the
        local dates of a date-time column), ``codes`` and ``uniques`` (the factorised raw
        column, when it was), ``converted`` (positions and texts of values read with their
        own unit, with how many values hold each, in the column's order).
    """
    state = {} if state is None else state
    found = _codes(raw) if col.dtype != "int" else None
    if found is None:
        return _general(col, raw, decimal=decimal, unit=unit, state=state)
    codes, uniques = found
    notes: list[str] = []
    if col.dtype == "date" and (
        "form" not in state or ("order" not in state and not state.get("whole_file"))
    ):  # not yet decided for the whole file (prescan)
        weights = np.bincount(codes[codes >= 0], minlength=len(uniques))
        counts = _dates.weighted_counts(_dates.scan(uniques), weights)
        if "form" not in state or ("order" not in state and counts.dmy):
            form, order, decided = _dates.decide(counts, state.get("hint"), col.name)
            if "form" not in state and form is not None:
                state["form"] = form
            if "order" not in state and order is not None:
                state["order"] = order
                notes += decided
    part = _general(col, uniques, decimal=decimal, unit=unit, state=state)
    out = Converted(
        _take(part.values, codes, raw.index),
        _expand(part.failures, codes, len(uniques)),
        notes + [n for n in part.notes if n not in notes],
        local=None if part.local is None else _take(part.local, codes, raw.index),
        codes=codes,
        uniques=part.values,
    )
    if part.converted:  # (text, 1) per distinct value: count the values holding each
        weights = np.bincount(codes[codes >= 0], minlength=len(uniques))
        out.converted = [(text, int(weights[p])) for p, text in part.positions]
    return out


def date_counts(raw: pd.Series) -> _dates.DateCounts:
    """:func:`lbprun.io._dates.date_counts`, counted on distinct values when that pays."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return _dates.DateCounts()
    found = _codes(raw)
    if found is None:
        return _dates.date_counts(raw)
    codes, uniques = found
    weights = np.bincount(codes[codes >= 0], minlength=len(uniques))
    return _dates.weighted_counts(_dates.scan(uniques), weights)
