"""What happened to a table on reading, repeated in the notes of every estimate made from it.

The readers of :mod:`lbprun.io.read` record in ``data.attrs["lbprun"]`` where the table came
from and what was done to it: rows read, rows rejected (and by which check), values set to
missing, values recoded (units converted, unit suffixes read), missing values per column.
:func:`reading_notes` turns that record into sentences; the estimators (prevalence, incidence,
risk factors, training load) add them to their own notes so that a result never hides that
rows were left out before it was computed.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"runner_id": ["a"]})
>>> frame.attrs["lbprun"] = {"source": "survey.csv", "rows_in": 3, "rows_rejected": 1,
...                          "rows_excluded": 0, "rejected_checks": {"age / in_range": 1}}
>>> reading_notes(frame)
['survey.csv: 3 rows read and 1 rejected on reading (age / in_range: 1); those rows are not used here.']
>>> reading_notes(pd.DataFrame())
[]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["reading_notes"]


def _counts(mapping: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}: {int(value):,}" for key, value in mapping.items())


def reading_notes(data: pd.DataFrame | None) -> list[str]:
    """Return the reading record of ``data`` as notes for an estimate made from it.

    Parameters
    ----------
    data : pandas.DataFrame or None
        A table returned by an lbprun reader (``attrs["lbprun"]`` holds its record). Any other
        table gives no notes.

    Returns
    -------
    list of str
        Empty when nothing was rejected, set to missing or recoded on reading.
    """
    record = getattr(data, "attrs", {}).get("lbprun") if data is not None else None
    if not isinstance(record, Mapping) or "rows_in" not in record:
        return []
    source = record.get("source", "<data>")
    notes = []
    rejected = int(record.get("rows_rejected", 0) or 0)
    excluded = int(record.get("rows_excluded", 0) or 0)
    if rejected or excluded:
        parts = [f"{int(record['rows_in']):,} rows read"]
        if rejected:
            checks = record.get("rejected_checks") or {}
            detail = f" ({_counts(checks)})" if checks else ""
            parts.append(f"{rejected:,} rejected on reading{detail}")
        if excluded:
            parts.append(f"{excluded:,} left out as other activity types")
        head, tail = ", ".join(parts[:-1]), parts[-1]
        notes.append(f"{source}: {head} and {tail}; those rows are not used here.")
    set_missing = record.get("values_set_missing") or {}
    if set_missing:
        notes.append(
            f"{source}: invalid values set to missing on reading ({_counts(set_missing)})."
        )
    for text in record.get("recoded") or ():
        notes.append(f"{source}: {text}")
    return notes
