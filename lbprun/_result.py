"""The base of every result object lbprun returns.

A result is a frozen dataclass holding a tidy table and numbered notes. Subclasses add fields
(the statsmodels results, the design, the case definition) and a ``plot`` method that delegates
to :mod:`lbprun.plots`.

Examples
--------
>>> import pandas as pd
>>> r = Result(table=pd.DataFrame({"estimate": [0.25]}), notes=("2 rows had a missing outcome.",))
>>> r.to_dict()["table"]
[{'estimate': 0.25}]
>>> print(r.summary())
Result
 estimate
     0.25
Notes:
[1] 2 rows had a missing outcome.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError

__all__ = [
    "PERCENT_COLUMNS",
    "Result",
    "percent_frame",
    "render_html",
    "render_table",
    "to_jsonable",
]

#: Columns of a proportion result that ``as_percent=True`` multiplies by 100 (and renames
#: ``"<column> (%)"``) when present.
PERCENT_COLUMNS = (
    "estimate",
    "ci_low",
    "ci_high",
    "std_error",
    "crude_estimate",
    "apparent_estimate",
)

#: Display options under which lbprun renders its own tables: nothing is truncated, whatever the
#: caller's pandas display options.
_FULL_DISPLAY = (
    "display.max_rows",
    None,
    "display.max_columns",
    None,
    "display.max_colwidth",
    None,
    "display.width",
    None,
    "display.precision",
    6,
)


def render_table(frame: pd.DataFrame) -> str:
    """Return ``frame`` as plain text with every row, column and character of every cell.

    The caller's pandas display options (``display.max_columns``, ``display.width``,
    ``display.max_colwidth``, ``display.max_rows``, ``display.precision``) do not apply.

    >>> wide = pd.DataFrame({"term": ["a very long label that stays whole"], "x": [1.5]})
    >>> with pd.option_context("display.max_colwidth", 10, "display.max_columns", 1):
    ...     print(render_table(wide))
                                  term   x
    a very long label that stays whole 1.5
    """
    with pd.option_context(*_FULL_DISPLAY):
        return frame.to_string(
            index=False, max_rows=None, max_cols=None, max_colwidth=None, line_width=None
        )


def render_html(frame: pd.DataFrame) -> str:
    """Return ``frame`` as an HTML table, never truncated (see :func:`render_table`)."""
    with pd.option_context(*_FULL_DISPLAY):
        return frame.to_html(index=False, escape=True, max_rows=None, max_cols=None)


def percent_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` with its proportion columns multiplied by 100 and renamed ``"... (%)"``.

    >>> percent_frame(pd.DataFrame({"n": [4], "estimate": [0.25], "ci_low": [0.05]}))
       n  estimate (%)  ci_low (%)
    0  4          25.0         5.0
    """
    out = table.copy()
    present = [c for c in PERCENT_COLUMNS if c in out.columns]
    for column in present:
        out[column] = out[column].astype(float) * 100.0
    return out.rename(columns={c: f"{c} (%)" for c in present})


def to_jsonable(value: Any) -> Any:
    """Convert numpy, pandas and datetime values to plain JSON-safe Python (NaN becomes None).

    >>> to_jsonable({"a": np.float64(0.5), "b": float("nan"), "c": np.array([1, 2])})
    {'a': 0.5, 'b': None, 'c': [1, 2]}
    """
    if isinstance(value, pd.DataFrame):
        return [to_jsonable(rec) for rec in value.to_dict(orient="records")]
    if isinstance(value, pd.Series):
        return to_jsonable(value.tolist())
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if value is pd.NA or value is pd.NaT or value is None:
        return None
    if isinstance(value, pd.Timestamp | _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, pd.Timedelta | _dt.timedelta):
        return pd.Timedelta(value).total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    if isinstance(value, str | int):
        return value
    return str(value)


@dataclass(frozen=True, kw_only=True, eq=False)
class Result:
    """Base result: a tidy table plus numbered notes.

    Parameters
    ----------
    table : pandas.DataFrame
        The tidy estimates, one row per estimate, with lbprun's fixed column names.
    notes : tuple of str, default=()
        Data warnings (sparse cells, separation, a lonely PSU, excluded rows), numbered in
        :meth:`summary`.
    """

    table: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    #: Fields left out of :meth:`to_dict` (live objects such as statsmodels results).
    _private_fields: tuple[str, ...] = field(default=(), repr=False)

    #: Whether the estimates are proportions (then ``as_percent=True`` is allowed).
    _proportions: ClassVar[bool] = False

    def to_frame(self, *, as_percent: bool = False) -> pd.DataFrame:
        """Return a copy of the tidy table.

        Parameters
        ----------
        as_percent : bool, default=False
            Proportion results only (prevalence, risk): estimates, interval bounds and standard
            errors multiplied by 100, their columns named ``"estimate (%)"`` and so on.

        Returns
        -------
        pandas.DataFrame
            A copy of :attr:`table`; changing it leaves the result untouched.

        Raises
        ------
        lbprun._checks.ArgumentError
            ``as_percent=True`` for a result whose estimates are not proportions.
        """
        table = self.table.copy()
        return percent_frame(table) if self._percent(as_percent) else table

    def _percent(self, as_percent: bool) -> bool:
        if not isinstance(as_percent, bool | np.bool_):
            raise ArgumentError(f"as_percent must be True or False; got {as_percent!r}.")
        if as_percent and not self._proportions:
            raise ArgumentError(
                f"as_percent must be False for {type(self).__name__}: its estimates are not "
                "proportions; got True."
            )
        return bool(as_percent)

    def _title(self) -> str:
        return type(self).__name__

    def _display_frame(self, as_percent: bool = False) -> pd.DataFrame:
        """The table shown by :meth:`summary` and :meth:`_repr_html_`."""
        return self.to_frame(as_percent=True) if self._percent(as_percent) else self.to_frame()

    def _sections(self) -> list[str]:
        """Further text blocks printed between the table and the notes."""
        return []

    def summary(self, *, as_percent: bool = False) -> str:
        """Return a plain-text summary: title, table and numbered notes (never prints).

        The table is printed whole (every row, column and character), whatever the pandas
        display options.

        Parameters
        ----------
        as_percent : bool, default=False
            Proportion results only: estimates and bounds in percent (see :meth:`to_frame`).

        Returns
        -------
        str
            The title, the table and the numbered notes, one per line.
        """
        lines = [self._title(), render_table(self._display_frame(as_percent)), *self._sections()]
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"[{i}] {note}" for i, note in enumerate(self.notes, start=1))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dictionary of the result (table as records, notes, settings).

        Returns
        -------
        dict
            ``{"type": class name, field: value, ...}`` with the table as a list of records;
            numpy, pandas and date values become plain Python (NaN becomes None).
        """
        out: dict[str, Any] = {"type": type(self).__name__}
        skip = {"_private_fields", *self._private_fields}
        for f in dataclasses.fields(self):
            if f.name in skip or f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            out[f.name] = to_jsonable(self.to_frame() if f.name == "table" else value)
        return out

    def to_json(self, **kwargs: Any) -> str:
        """Return :meth:`to_dict` serialised with :func:`json.dumps`.

        Parameters
        ----------
        **kwargs
            Passed to :func:`json.dumps` (``indent=2``, for example).

        Returns
        -------
        str
            The JSON text.
        """
        return json.dumps(self.to_dict(), **kwargs)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{_escape(n)}</li>" for n in self.notes)
        notes_html = f"<p>Notes:</p><ol>{notes}</ol>" if notes else ""
        return (
            f"<div><strong>{_escape(self._title())}</strong>"
            f"{render_html(self._display_frame())}{notes_html}</div>"
        )


def _escape(text: str) -> str:
    import html

    return html.escape(str(text))
