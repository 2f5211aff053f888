"""Numbers written with a unit inside the value: ``"20 mi"``, ``"5km"``, ``"1.5 h"``.

A value of a column with a unit in :data:`lbprun.io.schema.UNIT_FACTORS` (distances, durations,
elevation) may carry its own unit. :func:`read_suffix` splits such a value into its number and
unit and converts it to the column's unit with the *written* unit, whatever ``units=`` declares
for the column; a unit of another dimension (``"20 kg"`` in a distance) or an unknown word
(``"20 laps"``) is a failure with check ``unit``. Values without a unit are left to the caller
(they are in the declared unit). :func:`suffix_note` writes the reading note that counts the
values read this way.

Examples
--------
>>> read_suffix("20 mi", "weekly_km")
(32.18688, None)
>>> read_suffix("1.5 h", "duration_min")
(90.0, None)
>>> number, message = read_suffix("20 laps", "distance_km")
>>> number is None, message
(True, "distance_km value '20 laps' has an unknown unit 'laps'; write a number, or a number with a unit of distance (km, m, mi, ...).")
>>> read_suffix("twenty", "distance_km")
(None, None)
>>> suffix_note("weekly_km", 3, ["20 mi", "5 km"])
"weekly_km: 3 values written with a unit ('20 mi', '5 km', ...) converted to km."
"""

from __future__ import annotations

import re

from lbprun.io.schema import UNIT_FACTORS

__all__ = ["NUMBER_UNIT", "column_unit", "read_suffix", "suffix_note"]

#: A number followed by a unit word (an optional space between, an optional final dot).
NUMBER_UNIT = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)\s*([A-Za-z]+)\.?$")

_DIMENSION = {
    "distance_km": "distance",
    "weekly_km": "distance",
    "shoe_km": "distance",
    "duration_min": "time",
    "elevation_gain_m": "distance",
}
#: Unit words of dimensions that no column of lbprun converts (to name them in messages).
_OTHER_UNITS = {
    "mass": ("kg", "kgs", "g", "lb", "lbs", "pound", "pounds", "kilo", "kilos", "st"),
    "heart rate": ("bpm",),
    "energy": ("kcal", "cal", "kj"),
    "speed": ("kmh", "kph", "mph"),
    "pace": ("minkm", "minmi"),
    "age": ("y", "yr", "yrs", "year", "years"),
}


def column_unit(column: str) -> str:
    """Return lbprun's unit of a column with a unit (``km``, ``min`` or ``m``).

    >>> column_unit("shoe_km"), column_unit("duration_min"), column_unit("elevation_gain_m")
    ('km', 'min', 'm')
    """
    return "km" if column.endswith("_km") else "min" if column.endswith("_min") else "m"


def _dimension_of(word: str) -> str | None:
    for column, factors in UNIT_FACTORS.items():
        if word in factors:
            return _DIMENSION.get(column, "distance")
    for dimension, words in _OTHER_UNITS.items():
        if word in words:
            return dimension
    return None


def read_suffix(text: str, column: str) -> tuple[float | None, str | None]:
    """Read a value written with a unit; return ``(number in the column's unit, failure)``.

    Parameters
    ----------
    text : str
        The value, stripped (``"20 mi"``).
    column : str
        An lbprun column with a unit (a key of ``UNIT_FACTORS``).

    Returns
    -------
    number : float or None
        The value converted with its written unit, or None.
    failure : str or None
        The message of a ``unit`` failure (a unit of another dimension or an unknown word), or
        None. Both are None when ``text`` is not a number followed by a word.
    """
    factors = UNIT_FACTORS.get(column)
    match = NUMBER_UNIT.match(text)
    if not factors or match is None:
        return None, None
    word = match.group(2).lower()
    if word in factors:
        return float(match.group(1).replace(",", ".")) * float(factors[word]), None
    own = _DIMENSION.get(column, "distance")
    examples = ", ".join(list(dict.fromkeys(w for w in factors if len(w) <= 3))[:3])
    dimension = _dimension_of(word)
    if dimension == own:
        return None, (
            f"{column} value {text!r} is in {word!r}, a unit that {column} does not take "
            f"({examples}, ...)."
        )
    if dimension is not None:
        return None, (
            f"{column} value {text!r} is in {word!r}, a unit of {dimension}, not of {own} "
            f"({examples}, ...)."
        )
    return None, (
        f"{column} value {text!r} has an unknown unit {word!r}; write a number, or a number "
        f"with a unit of {own} ({examples}, ...)."
    )


def suffix_note(column: str, count: int, examples: list[str]) -> str:
    """The reading note for ``count`` values of ``column`` read with their written unit."""
    shown = ", ".join(repr(e) for e in examples[:3])
    more = ", ..." if count > len(examples[:3]) else ""
    what = "value" if count == 1 else "values"
    return (
        f"{column}: {count} {what} written with a unit ({shown}{more}) converted to "
        f"{column_unit(column)}."
    )
