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
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Result", "to_jsonable"]


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

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of the tidy table."""
        return self.table.copy()

    def _title(self) -> str:
        return type(self).__name__

    def summary(self) -> str:
        """Return a plain-text summary: title, table and numbered notes (never prints)."""
        lines = [self._title(), self.to_frame().to_string(index=False)]
        if self.notes:
            lines.append("Notes:")
            lines.extend(f"[{i}] {note}" for i, note in enumerate(self.notes, start=1))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dictionary of the result (table as records, notes, settings)."""
        out: dict[str, Any] = {"type": type(self).__name__}
        skip = {"_private_fields", *self._private_fields}
        for f in dataclasses.fields(self):
            if f.name in skip or f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            out[f.name] = to_jsonable(self.to_frame() if f.name == "table" else value)
        return out

    def to_json(self, **kwargs: Any) -> str:
        """Return :meth:`to_dict` serialised with :func:`json.dumps` (kwargs pass through)."""
        return json.dumps(self.to_dict(), **kwargs)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{_escape(n)}</li>" for n in self.notes)
        notes_html = f"<p>Notes:</p><ol>{notes}</ol>" if notes else ""
        return (
            f"<div><strong>{_escape(self._title())}</strong>"
            f"{self.to_frame().to_html(index=False, escape=True)}{notes_html}</div>"
        )


def _escape(text: str) -> str:
    import html

    return html.escape(str(text))
