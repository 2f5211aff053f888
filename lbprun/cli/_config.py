"""Study configuration files for the ``lbprun`` command (``--config study.toml``).

A study's column and unit maps are written once, in TOML, and given to every sub-command
that reads a file. The layout::

    on_error = "drop"                   # optional: raise (default), drop or missing
    sheet = "Data"                      # optional: Excel sheet (name or 0-based index)

    [columns]                           # every file: "name in the file" = "lbprun name"
    "Runner" = "runner_id"

    [units]                             # every file: lbprun column = unit of the file
    weekly_km = "mi"

    [survey.columns]                    # one kind of file only: survey, activities,
    "Miles per week" = "weekly_km"      # cohort or episodes; each may also hold
                                        # units, on_error and sheet

The top-level ``[columns]`` and ``[units]`` are study-wide: each file takes the entries
that fit it (a ``[columns]`` entry whose name is a column of the file, a ``[units]`` entry
naming a column of the file's kind that has a unit) and ignores the rest. A kind's own table
is for that kind's file only and is taken as it is, exactly like ``columns=`` and ``units=``
in Python. A kind's table overrides the top level, entry by entry; the command line overrides
both. A key the layout does not know, a value of the wrong type or a unit lbprun does not
convert is a :class:`UsageError` naming the file and the key (exit code 2).

Examples
--------
>>> config = parse_config({"units": {"weekly_km": "mi"},
...                        "survey": {"columns": {"Miles per week": "weekly_km"}}}, "s.toml")
>>> config.kinds["survey"].columns, config.shared.units
({'Miles per week': 'weekly_km'}, {'weekly_km': 'mi'})
>>> parse_config({"colums": {}}, "s.toml")
Traceback (most recent call last):
...
lbprun.cli._config.UsageError: s.toml: unknown key 'colums'; allowed: columns, units, on_error, sheet, survey, activities, cohort, episodes. Did you mean 'columns'?
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lbprun._checks import closest
from lbprun.io.schema import SCHEMAS, UNIT_FACTORS

__all__ = [
    "KINDS",
    "ON_ERROR",
    "FileSettings",
    "StudyConfig",
    "UsageError",
    "load_config",
    "parse_config",
    "unit_columns",
]

#: Table kinds a configuration may hold a table for.
KINDS = tuple(SCHEMAS)
#: Values of ``--on-error`` and ``on_error`` (as in the readers' ``on_error=``).
ON_ERROR = ("raise", "drop", "missing")
_SETTINGS = ("columns", "units", "on_error", "sheet")


class UsageError(Exception):
    """Bad usage of the ``lbprun`` command (a wrong option or configuration): exit code 2."""


@dataclass(frozen=True)
class FileSettings:
    """How to read one file: column map, unit map, ``on_error`` and Excel sheet.

    Parameters
    ----------
    columns : dict of str to str
        ``{name in the file: lbprun name}``.
    units : dict of str to str
        ``{lbprun column: unit of the file}``.
    on_error : str or None
        ``"raise"``, ``"drop"``, ``"missing"`` or None (not set here).
    sheet : str, int or None
        Excel sheet, or None (not set here).
    """

    columns: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    on_error: str | None = None
    sheet: str | int | None = None


@dataclass(frozen=True)
class StudyConfig:
    """A study configuration: study-wide settings and one table per kind of file.

    Parameters
    ----------
    path : str or None
        The TOML file, or None for no configuration.
    shared : FileSettings
        The top-level settings (maps apply to every file they fit).
    kinds : dict of str to FileSettings
        The settings of each kind's own table (``[survey]``, ``[activities]``, ...).
    """

    path: str | None = None
    shared: FileSettings = field(default_factory=FileSettings)
    kinds: dict[str, FileSettings] = field(default_factory=dict)


def unit_columns(kind: str) -> tuple[str, ...]:
    """Return the columns of a kind of table that have a unit lbprun converts.

    >>> unit_columns("activities")
    ('distance_km', 'duration_min', 'elevation_gain_m')
    """
    return tuple(c for c in UNIT_FACTORS if c in SCHEMAS[kind])


def _unknown(where: str, key: str, allowed: tuple[str, ...]) -> UsageError:
    message = f"{where}unknown key {key!r}; allowed: {', '.join(allowed)}."
    guess = closest(key, allowed)
    return UsageError(message + (f" Did you mean {guess!r}?" if guess else ""))


def _text_map(value: Any, name: str, key: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise UsageError(
            f'{name}: {key!r} must be a table of "name" = "name"; '
            f"got {type(value).__name__} {value!r}."
        )
    out = {}
    for entry, target in value.items():
        if not isinstance(target, str) or not target.strip():
            raise UsageError(
                f"{name}: '{key}.{entry}' must be a non-empty string; got {target!r}."
            )
        out[str(entry).strip()] = target.strip()
    return out


def _check_units(units: dict[str, str], kinds: tuple[str, ...], name: str, key: str) -> None:
    allowed = tuple(dict.fromkeys(c for k in kinds for c in unit_columns(k)))
    for column, unit in units.items():
        if column not in allowed:
            what = f"{kinds[0]} tables" if len(kinds) == 1 else "lbprun tables"
            message = (
                f"{name}: '{key}.{column}': {what} have no column {column!r} with a unit; "
                f"allowed: {', '.join(allowed)}."
            )
            guess = closest(column, allowed)
            raise UsageError(message + (f" Did you mean {guess!r}?" if guess else ""))
        if unit.lower() not in UNIT_FACTORS[column]:
            choices = list(UNIT_FACTORS[column])
            guess = closest(unit.lower(), choices)
            raise UsageError(
                f"{name}: '{key}.{column}' must be one of {', '.join(choices)}; got {unit!r}."
                + (f" Did you mean {guess!r}?" if guess else "")
            )


def _settings(table: dict[str, Any], name: str, kind: str | None) -> FileSettings:
    prefix = "" if kind is None else f"{kind}."
    for key in table:
        if key not in _SETTINGS and (kind is not None or key not in KINDS):
            allowed = _SETTINGS if kind is not None else (*_SETTINGS, *KINDS)
            where = f"{name}: " if kind is None else f"{name}: [{kind}] "
            raise _unknown(where, key, allowed)
    columns = _text_map(table.get("columns", {}), name, f"{prefix}columns")
    units = _text_map(table.get("units", {}), name, f"{prefix}units")
    _check_units(units, KINDS if kind is None else (kind,), name, f"{prefix}units")
    on_error = table.get("on_error")
    if on_error is not None and on_error not in ON_ERROR:
        raise UsageError(
            f"{name}: '{prefix}on_error' must be one of {', '.join(ON_ERROR)}; got {on_error!r}."
        )
    sheet = table.get("sheet")
    named = isinstance(sheet, str) and bool(sheet.strip())
    indexed = isinstance(sheet, int) and not isinstance(sheet, bool) and sheet >= 0
    if sheet is not None and not (named or indexed):
        raise UsageError(
            f"{name}: '{prefix}sheet' must be a sheet name or a 0-based index; got {sheet!r}."
        )
    return FileSettings(columns=columns, units=units, on_error=on_error, sheet=sheet)


def parse_config(data: dict[str, Any], name: str) -> StudyConfig:
    """Check a parsed TOML document and return its :class:`StudyConfig`.

    Parameters
    ----------
    data : dict
        The document, as :func:`tomllib.load` returns it.
    name : str
        The file, for messages.

    Returns
    -------
    StudyConfig
        The study-wide settings and those of each kind of file.

    Raises
    ------
    UsageError
        An unknown key, a value of the wrong type or an unknown unit (naming file and key).
    """
    shared = _settings(data, name, None)
    kinds = {}
    for kind in KINDS:
        if kind in data:
            if not isinstance(data[kind], dict):
                raise UsageError(
                    f"{name}: {kind!r} must be a table ([{kind}]); got {data[kind]!r}."
                )
            kinds[kind] = _settings(data[kind], name, kind)
    return StudyConfig(path=name, shared=shared, kinds=kinds)


def load_config(path: str | None) -> StudyConfig:
    """Read a study configuration file (TOML); None gives an empty configuration.

    Parameters
    ----------
    path : str or None
        The ``.toml`` file.

    Returns
    -------
    StudyConfig
        Its settings.

    Raises
    ------
    UsageError
        A missing or unreadable file, invalid TOML, or a wrong key or value.
    """
    if path is None:
        return StudyConfig()
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"--config {path}: no such file.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"--config {path}: cannot be read ({error}).") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"{path}: not valid TOML ({error}).") from None
    return parse_config(data, path)
