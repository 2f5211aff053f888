"""Type coercion for raw table values: text, numbers, booleans and categories.

Each ``to_*`` function takes one raw column (strings as read from a file, or typed values from
a binary format or a DataFrame) and returns the typed column plus a table of the values it
could not convert, one row per value, with columns ``pos, check, value, message`` (``pos`` is the
0-based position in the column). Nothing here raises for bad data. Dates are in
:mod:`lbprun.io._dates`.

Examples
--------
>>> import pandas as pd
>>> values, bad = to_bool(pd.Series(["yes", "N", "1.0", "maybe"]), "prior_lbp")
>>> values.tolist()
[True, False, True, <NA>]
>>> bad[["pos", "check", "value"]].to_dict("records")
[{'pos': 3, 'check': 'dtype', 'value': 'maybe'}]
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import closest
from lbprun.io._suffixes import read_suffix
from lbprun.io.schema import UNIT_FACTORS, Column

__all__ = [
    "FAILURE_COLUMNS",
    "all_strings",
    "string_codes",
    "NA_TOKENS",
    "is_formula",
    "missing_mask",
    "to_bool",
    "to_category",
    "to_float",
    "to_text",
]

FAILURE_COLUMNS = ["pos", "check", "value", "message"]

#: Cell contents read as missing (compared after stripping and lower-casing).
NA_TOKENS = frozenset({"", "na", "n/a", "nan", "null", "none", ".", "missing", "#n/a", "<na>"})

_TRUE = frozenset({"yes", "y", "true", "t", "1", "1.0", "si", "sì", "sí", "ja", "j", "oui"})
_FALSE = frozenset({"no", "n", "false", "f", "0", "0.0", "nein", "non"})

#: A clock duration: ``H:MM:SS`` or ``M:SS`` (seconds may have decimals), as watch apps write.
_CLOCK = r"\s*(?:(\d+):)?(\d+):([0-5]?\d(?:[.,]\d+)?)\s*"
#: An ISO 8601 duration such as ``PT1H2M3S``.
_ISO_DURATION = r"\s*P(?:\d+D)?T?(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?\s*"


def _failures(pos: Any, check: str, values: Any, messages: Any) -> pd.DataFrame:
    pos = np.asarray(pos, dtype=np.int64)
    values = pd.Series(values, dtype=object).reset_index(drop=True)
    messages = pd.Series(messages, dtype=object).reset_index(drop=True)
    if len(messages) == 1 and len(pos) != 1:
        messages = pd.Series([messages.iloc[0]] * len(pos), dtype=object)
    return pd.DataFrame({"pos": pos, "check": check, "value": values, "message": messages})


_NO_FAILURES = pd.DataFrame({c: pd.Series(dtype=object) for c in FAILURE_COLUMNS}).astype(
    {"pos": np.int64}
)


def no_failures() -> pd.DataFrame:
    """Return an empty failure table."""
    return _NO_FAILURES.copy()


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else no_failures()


def all_strings(values: pd.Series) -> bool:
    """True when every non-missing value is a ``str`` (checked in C by pandas)."""
    return pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")


def string_codes(raw: pd.Series) -> tuple[np.ndarray, pd.Series] | None:
    """Codes and distinct values of a column whose values are all text, else None.

    Missing values get code -1. Converting the distinct values and taking them by code gives
    what converting every value would, for each value-by-value conversion of this module.

    >>> codes, uniques = string_codes(pd.Series(["a", " a", None, "a"], dtype=object))
    >>> codes.tolist(), uniques.tolist()
    ([0, 1, -1, 0], ['a', ' a'])
    """
    if isinstance(raw.dtype, pd.StringDtype):
        pass
    elif raw.dtype != object or not all_strings(raw):
        return None
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.intp), pd.Series(
        np.asarray(uniques, dtype=object), dtype=object
    )


def _as_text(raw: pd.Series) -> pd.Series:
    """Values as stripped strings (object dtype); missing values stay missing."""
    if raw.dtype == object or isinstance(raw.dtype, pd.StringDtype | pd.CategoricalDtype):
        obj = raw.astype(object)
        if all_strings(obj):
            return obj.str.strip().where(obj.notna(), None)
        isstr = obj.map(lambda v: isinstance(v, str)).astype(bool)
        out = obj.where(~isstr, obj.astype(str).str.strip())
        return out.where(obj.notna(), None)
    return raw.astype(object).where(raw.notna(), None)


def missing_mask(raw: pd.Series) -> np.ndarray:
    """Return True where a raw value is missing (NaN, None or an NA token such as ``"NA"``)."""
    mask = raw.isna().to_numpy(copy=True)
    if raw.dtype == object or isinstance(raw.dtype, pd.StringDtype | pd.CategoricalDtype):
        codes, uniques = pd.factorize(raw.astype(object))
        if len(uniques):
            tok = np.array(
                [isinstance(u, str) and u.strip().lower() in NA_TOKENS for u in uniques]
            )
            mask |= np.where(codes >= 0, tok[np.maximum(codes, 0)], False)
    return mask


def is_formula(value: Any) -> bool:
    """Return True for text that a spreadsheet would treat as a formula (``= + - @``).

    >>> is_formula("=1+1"), is_formula("-5"), is_formula("@SUM(A1)")
    (True, False, True)
    """
    if not isinstance(value, str) or not value:
        return False
    text = value.strip()
    if text[:1] in ("=", "@"):
        return True
    if text[:1] in ("+", "-"):
        try:
            float(text)
        except ValueError:
            return True
    return False


def _id_text(value: Any) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def to_text(raw: pd.Series) -> pd.Series:
    """Return identifiers and free text as pandas ``string`` (integral floats lose ``.0``)."""
    if pd.api.types.is_float_dtype(raw.dtype):
        values = raw.to_numpy()
        with np.errstate(invalid="ignore"):
            integral = np.isfinite(values) & (np.mod(values, 1) == 0)
        text = raw.astype(object)
        text[integral] = values[integral].astype(np.int64).astype(str)
        text[~integral & np.isfinite(values)] = raw[~integral & np.isfinite(values)].astype(str)
        raw = text.where(raw.notna(), None)
    missing = missing_mask(raw)
    out = _as_text(raw).astype(object)
    if not all_strings(out):
        out = out.map(_id_text, na_action="ignore")
    out[missing] = None
    return out.astype("string")


def to_float(
    raw: pd.Series,
    column: str,
    *,
    decimal: str = ".",
    unit: str | None = None,
    converted: list[tuple[int, str]] | None = None,
) -> tuple[pd.Series, pd.DataFrame]:
    """Convert a column to float64, in the column's own unit.

    Parameters
    ----------
    raw : pandas.Series
        Raw values.
    column : str
        lbprun column name (for unit suffixes and messages).
    decimal : {".", ","}, default="."
        The file's decimal mark; with ``","`` the value ``"12,5"`` reads as 12.5.
    unit : str or None, default=None
        The unit the values are given in (``units=`` of the readers); None means the column's
        own unit. Values are multiplied by the factor in :data:`lbprun.io.schema.UNIT_FACTORS`.
        A value written with its own unit (``"20 mi"``) is converted with that unit instead
        (:mod:`lbprun.io._suffixes`); a unit of another dimension or an unknown word is a
        failure with check ``unit``.
    converted : list or None, default=None
        When given, ``(position, text)`` of every value read with its written unit is
        appended to it.

    Returns
    -------
    values : pandas.Series of float64
    failures : pandas.DataFrame
        Columns ``pos, check, value, message``.
    """
    factors = UNIT_FACTORS.get(column, {})
    factor = 1.0 if unit is None else float(factors[unit])
    if pd.api.types.is_bool_dtype(raw.dtype):
        raw = raw.astype(float)
    if pd.api.types.is_numeric_dtype(raw.dtype):
        return raw.astype(np.float64) * factor, no_failures()
    missing = missing_mask(raw)
    obj = raw.astype(object)
    text = obj if all_strings(obj) else _as_text(raw)  # float() ignores surrounding spaces
    if decimal == "," and all_strings(text):
        thousands = text.str.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", na=False)
        if thousands.any():
            text = text.where(~thousands, text.str.replace(".", "", regex=False))
        text = text.str.replace(",", ".", regex=False)
    elif decimal == ",":
        text = text.map(
            lambda v: (
                v.replace(".", "").replace(",", ".")
                if isinstance(v, str) and re.fullmatch(r"[+-]?\d{1,3}(\.\d{3})+(,\d+)?", v)
                else (v.replace(",", ".") if isinstance(v, str) else v)
            ),
            na_action="ignore",
        )
    values = pd.to_numeric(text.where(~missing, None), errors="coerce").astype(np.float64)
    values[missing] = np.nan
    parsed = values.notna().to_numpy()
    if parsed.any():  # pandas' fast parser may be off by one ulp; Python's float() is exact
        exact = text[parsed].to_numpy(dtype=object)
        try:
            values[parsed] = exact.astype(np.float64)
        except (TypeError, ValueError):
            values[parsed] = [float(v) for v in exact]
    if column.endswith("_min"):
        _clock_minutes(text, values, missing, factor)
    bad = np.flatnonzero(values.isna().to_numpy() & ~missing)
    rows: list[tuple[int, str, Any, str]] = []
    written: list[tuple[int, float]] = []
    for pos in bad:
        value = raw.iloc[pos]
        text_value = str(text.iloc[pos]).strip()
        number, message = read_suffix(text_value, column)
        if number is not None:
            written.append((int(pos), number))
            if converted is not None:
                converted.append((int(pos), text_value))
            continue
        if message is not None:
            rows.append((int(pos), "unit", value, message))
            continue
        if is_formula(text_value):
            message = (
                f"{column} value {text_value!r} looks like a spreadsheet formula; lbprun reads "
                "formulas as text and never evaluates them."
            )
            rows.append((int(pos), "formula", value, message))
            continue
        hint = ""
        if decimal == "." and re.fullmatch(r"[+-]?\d+,\d+", text_value):
            hint = " (a decimal comma? use ';' as the delimiter)"
        rows.append(
            (int(pos), "dtype", value, f"{column} must be a number; got {text_value!r}{hint}.")
        )
    values = values * factor
    if written:  # in the unit written with them, not the declared one
        at, numbers = zip(*written, strict=True)
        values.iloc[list(at)] = np.asarray(numbers, dtype=np.float64)
    failures = pd.DataFrame(rows, columns=FAILURE_COLUMNS) if rows else no_failures()
    return values, failures


def _clock_minutes(text: pd.Series, values: pd.Series, missing: np.ndarray, factor: float) -> None:
    """Fill ``values`` (in place) where ``text`` is a clock or ISO 8601 duration, in minutes.

    ``H:MM:SS`` and ``M:SS`` (Garmin Connect, Polar, Runkeeper, Excel exports) and
    ``PT1H2M3S`` are durations whatever ``units=`` says, so they are stored divided by the
    unit's factor (the caller multiplies every value by it).
    """
    todo = values.isna().to_numpy() & ~missing
    if not todo.any():
        return
    sub = text[todo].astype("string")
    parts = sub.str.fullmatch(_CLOCK)
    if parts.fillna(False).any():
        found = sub[parts.fillna(False)].str.extract(r"^" + _CLOCK + r"$")
        hours = pd.to_numeric(found[0], errors="coerce").fillna(0.0)
        minutes = pd.to_numeric(found[1], errors="coerce")
        seconds = pd.to_numeric(found[2].str.replace(",", ".", regex=False), errors="coerce")
        ok = ~(found[0].notna() & (minutes > 59))  # H:MM:SS needs MM < 60
        total = (hours * 60.0 + minutes + seconds / 60.0)[ok]
        values.loc[total.index] = total.to_numpy(dtype=np.float64) / factor
    iso = sub.str.fullmatch(_ISO_DURATION).fillna(False) & sub.str.contains(r"\d", regex=True)
    if iso.any():
        spans = pd.to_timedelta(sub[iso].str.strip().str.replace(",", "."), errors="coerce")
        spans = spans[spans.notna()]
        values.loc[spans.index] = spans.dt.total_seconds().to_numpy() / 60.0 / factor


def to_bool(raw: pd.Series, column: str) -> tuple[pd.Series, pd.DataFrame]:
    """Convert yes/no, true/false, 1/0 (and si, ja, oui) to pandas nullable ``boolean``."""
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), no_failures()
    codes, uniques = pd.factorize(raw.astype(object))
    mapped: list[Any] = []
    for value in uniques:
        key = str(value).strip().lower()
        if isinstance(value, int | float | np.integer | np.floating) and not isinstance(
            value, bool
        ):
            key = {1.0: "1", 0.0: "0"}.get(float(value), key)
        if isinstance(value, bool | np.bool_):
            mapped.append(bool(value))
        elif key in _TRUE:
            mapped.append(True)
        elif key in _FALSE:
            mapped.append(False)
        elif key in NA_TOKENS:
            mapped.append(None)
        else:
            mapped.append("bad")
    lookup = np.array(mapped + [None], dtype=object)
    result = lookup[codes]  # code -1 (missing) picks the trailing None
    bad = np.flatnonzero(result == "bad")
    result[bad] = None
    out = pd.Series(result, index=raw.index, dtype=object).astype("boolean")
    failures = _failures(
        bad,
        "dtype",
        raw.iloc[bad].tolist(),
        [f"{column} must be yes/no, true/false or 1/0; got {raw.iloc[p]!r}." for p in bad],
    )
    return out, failures


def normalise_label(value: Any) -> str:
    """Strip, lower-case and turn runs of spaces or hyphens into ``_``.

    >>> normalise_label("  Off-Road ")
    'off_road'
    """
    return re.sub(r"[\s\-]+", "_", str(value).strip().lower())


def to_category(raw: pd.Series, col: Column) -> tuple[pd.Series, pd.DataFrame]:
    """Normalise labels, apply the schema's synonyms and check them against ``allowed``."""
    allowed = tuple(col.allowed or ())
    lower = {a.lower(): a for a in allowed}
    synonyms = {k.lower(): v for k, v in col.synonyms.items()}
    missing = missing_mask(raw)
    codes, uniques = pd.factorize(raw.astype(object))
    mapped: list[Any] = []
    for value in uniques:
        key = normalise_label(value)
        if isinstance(value, float) and value.is_integer():
            key = str(int(value))
        key = lower.get(key, key)
        key = synonyms.get(key.lower(), key)
        mapped.append(lower.get(str(key).lower(), None))
    lookup = np.array(mapped + [None], dtype=object)
    result = lookup[codes]
    bad = np.flatnonzero(pd.isna(result) & ~missing)
    result[missing] = None
    out = pd.Series(pd.Categorical(result, categories=list(allowed)), index=raw.index)
    messages = []
    choices = list(allowed) + list(col.synonyms)
    for pos in bad:
        value = raw.iloc[pos]
        message = f"{col.name} must be {col.rule}; got {value!r}."
        guess = closest(normalise_label(value), choices) or closest(value, choices)
        if guess is not None:
            guess = col.synonyms.get(guess, guess)
            message += f" Did you mean {guess!r}?"
        messages.append(message)
    return out, _failures(bad, "allowed", raw.iloc[bad].tolist(), messages)
