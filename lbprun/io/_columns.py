"""Column names and units of a source: renaming onto lbprun names, checking ``units=``.

Examples
--------
>>> from lbprun.io.schema import SURVEY
>>> resolve_columns(["Runner ID", "LBP (12m)", "club"], SURVEY, None)
{'Runner ID': 'runner_id', 'LBP (12m)': 'lbp_12m'}
>>> check_units({"weekly_km": "Miles"}, SURVEY)
{'weekly_km': 'miles'}
"""

from __future__ import annotations

import re
import sys
import warnings
from collections.abc import Mapping

from lbprun._checks import ArgumentError, closest
from lbprun.exceptions import DataQualityWarning
from lbprun.io.schema import UNIT_FACTORS, TableSchema

__all__ = ["check_units", "resolve_columns"]

#: lbprun names matched only when a header is written exactly so: a header "Weight" is body
#: weight in many runner tables, and must never become the survey's sampling weight unasked.
_EXACT_ONLY = frozenset({"weight"})


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")


def _caller_level() -> int:
    """Stack level of the first frame outside lbprun (so a warning names the user's line)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("lbprun"):
        frame, level = frame.f_back, level + 1
    return level


def resolve_columns(
    header: list[str], schema: TableSchema, columns: Mapping[str, str] | None
) -> dict[str, str]:
    """Return the renaming ``{name in source: lbprun name}``.

    Explicit ``columns`` come first; other headers that match an lbprun name once lower-cased
    with spaces and punctuation as ``_`` (``"Runner ID"`` -> ``runner_id``) are renamed too.
    The sampling ``weight`` is matched only by a header written exactly ``weight`` (a
    ``"Weight"`` column is often body weight). An explicit target that is not an lbprun column
    of the table kind gives a
    :class:`~lbprun.exceptions.DataQualityWarning` (the column is kept unvalidated).
    """
    if columns is not None and not isinstance(columns, Mapping):
        raise ArgumentError(
            f"columns must be a dict of {{name in file: lbprun name}}; got {columns!r}."
        )
    rename: dict[str, str] = {}
    for user, target in (columns or {}).items():
        if user not in header:
            message = f"columns key {user!r} is not a column of the source."
            guess = closest(user, header)
            message += f" Did you mean {guess!r}?" if guess else f" Columns are: {header[:12]}."
            raise ArgumentError(message)
        if str(target) not in schema.names:
            guess = closest(str(target), list(schema.names))
            warnings.warn(
                f"columns maps {user!r} to {target!r}, which is not an lbprun column of a "
                f"{schema.kind} table: the column is kept as read and not validated."
                + (f" Did you mean {guess!r}?" if guess else ""),
                DataQualityWarning,
                stacklevel=_caller_level(),
            )
        if user != target:
            rename[user] = str(target)
    taken = set(header) | set(rename.values())
    for name in header:
        if name in rename or name in schema.names:
            continue
        key = _norm(name)
        if key in _EXACT_ONLY and name != key:
            continue  # "Weight" is as often body weight (kg) as a sampling weight
        if key in schema.names and key not in taken:
            rename[name] = key
            taken.add(key)
    return rename


def check_units(units: Mapping[str, str] | None, schema: TableSchema) -> dict[str, str]:
    """Check ``units`` (lbprun column -> unit) and return it with lower-case units."""
    if units is None:
        return {}
    if not isinstance(units, Mapping):
        raise ArgumentError(
            f"units must be a dict such as {{'distance_km': 'mi'}}; got {units!r}."
        )
    out = {}
    convertible = [c for c in UNIT_FACTORS if c in schema]
    for column, unit in units.items():
        if column not in convertible:
            message = (
                f"units keys must be columns of the {schema.kind} table with a unit "
                f"({', '.join(convertible)}); got {column!r}."
            )
            guess = closest(column, convertible)
            raise ArgumentError(message + (f" Did you mean {guess!r}?" if guess else ""))
        key = str(unit).strip().lower()
        if key not in UNIT_FACTORS[column]:
            choices = list(UNIT_FACTORS[column])
            message = f"units[{column!r}] must be one of {', '.join(choices)}; got {unit!r}."
            guess = closest(key, choices)
            raise ArgumentError(message + (f" Did you mean {guess!r}?" if guess else ""))
        out[column] = key
    return out
