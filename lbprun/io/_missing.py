"""Missing values of a validated table: counted per column, and invalid values set to missing.

Two things the validation report accounts for besides failures:

- **missing values in the source** (a blank cell, ``NA``, ``n/a``, ``.``, NaN): counted per
  column with the rows they affect (:func:`missing_table`). They are not failures (a column
  may allow them), but a row with a blank outcome is not a case and not a non-case, so the
  report says how many there are.
- **invalid values set to missing** (``on_error="missing"``, :func:`split_missing`): a
  failure of one value (wrong type, out of range, unknown category, a unit suffix of another
  dimension, an implausible pace) empties that value and keeps the row. Failures that concern
  the row as a whole (a wrong field count, a duplicate, dates out of order, an onset outside
  follow-up, overlapping episodes, a required value missing) still reject the row, and so does
  any failure in a column that must not be missing (``runner_id``).

Examples
--------
>>> import pandas as pd
>>> typed = pd.DataFrame({"age": [30.0, None, None], "_row": [2, 3, 4]})
>>> cases = pd.DataFrame({"row": [4], "column": ["age"], "check": ["dtype"]})
>>> missing_table(typed, cases, ["age"], "line")["missing"].tolist()
[1]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from lbprun.io.schema import TableSchema

__all__ = [
    "MissingTally",
    "ROW_CHECKS",
    "empty_missing_table",
    "missing_table",
    "set_missing",
    "split_missing",
    "typed_missing_masks",
]

#: Checks that reject the whole row even with ``on_error="missing"``.
ROW_CHECKS = frozenset(
    {
        "field_count",
        "duplicate",
        "duplicate_run",
        "overlap",
        "date_order",
        "within",
        "not_nullable",
        "required_column",
        "one_of_required",
        "duplicate_column",
    }
)

_SHOWN_ROWS = 5


def empty_missing_table() -> pd.DataFrame:
    """The missing-value table with no row (``column, missing, percent, rows``)."""
    return pd.DataFrame(
        {
            "column": pd.Series(dtype=object),
            "missing": pd.Series(dtype=np.int64),
            "percent": pd.Series(dtype=float),
            "rows": pd.Series(dtype=object),
        }
    )


class MissingTally:
    """Missing values counted per column, chunk by chunk, with the first rows they affect.

    >>> tally = MissingTally(["age"])
    >>> tally.add(np.array([True, False, True]), "age", np.array([2, 3, 4]))
    >>> tally.rows_seen(3)
    >>> tally.table()[["column", "missing", "rows"]].to_dict("records")
    [{'column': 'age', 'missing': 2, 'rows': '2, 4'}]
    """

    def __init__(self, columns: Iterable[str]):
        self.columns = list(columns)
        self.counts: Counter[str] = Counter()
        self.shown: dict[str, list[int]] = {}
        self.n = 0
        self.with_missing = 0

    def add(self, missing: np.ndarray, column: str, rows: np.ndarray) -> None:
        """Count the True values of ``missing`` (one per row of ``rows``) for ``column``."""
        count = int(missing.sum())
        if not count:
            return
        self.counts[column] += count
        shown = self.shown.setdefault(column, [])
        if len(shown) <= _SHOWN_ROWS:
            shown.extend(int(r) for r in rows[missing][: _SHOWN_ROWS + 1 - len(shown)])

    def rows_seen(self, n: int, with_missing: int = 0) -> None:
        """Add ``n`` rows validated, ``with_missing`` of them with at least one missing value."""
        self.n += int(n)
        self.with_missing += int(with_missing)

    def add_frame(self, frame: pd.DataFrame, rows: np.ndarray, masks: dict) -> None:
        """Add one chunk given its per-column missing masks ``{column: bool array}``."""
        any_missing = np.zeros(len(frame), dtype=bool)
        for column, mask in masks.items():
            self.add(mask, column, rows)
            any_missing |= mask
        self.rows_seen(len(frame), int(any_missing.sum()))

    def table(self) -> pd.DataFrame:
        """``column, missing, percent, rows``; ``attrs["rows_with_missing"]``."""
        records = []
        for column in self.columns:
            count = self.counts.get(column, 0)
            if not count:
                continue
            shown = self.shown[column]
            text = ", ".join(str(r) for r in shown[:_SHOWN_ROWS])
            records.append(
                {
                    "column": column,
                    "missing": count,
                    "percent": 100.0 * count / max(self.n, 1),
                    "rows": text + (", ..." if count > _SHOWN_ROWS else ""),
                }
            )
        out = (
            pd.DataFrame.from_records(records).astype({"missing": np.int64})
            if records
            else empty_missing_table()
        )
        out.attrs["rows_with_missing"] = self.with_missing
        return out


def typed_missing_masks(
    typed: pd.DataFrame, cases: pd.DataFrame, columns: Iterable[str]
) -> dict[str, np.ndarray]:
    """Per column, True where a typed value is missing and did not fail (was missing as read).

    A value that failed (text in a number column) is typed as missing but was not missing in
    the source, so it is left out.
    """
    rows = typed["_row"].to_numpy()
    masks = {}
    for column in columns:
        if column not in typed.columns:
            continue
        na = typed[column].isna().to_numpy().copy()
        if not na.any():
            continue
        failed = cases.loc[cases["column"] == column, "row"].dropna().to_numpy(dtype=np.int64)
        if len(failed):
            na &= ~np.isin(rows, failed)
        masks[column] = na
    return masks


def missing_table(
    typed: pd.DataFrame, cases: pd.DataFrame, columns: Iterable[str], row_kind: str = "line"
) -> pd.DataFrame:
    """Count the values missing in the source per column, over the typed rows (with ``_row``).

    Returns ``column, missing, percent, rows`` (up to five source rows, then ``...``) for
    columns with at least one missing value; ``attrs["rows_with_missing"]`` counts the rows
    with at least one.
    """
    columns = list(columns)
    tally = MissingTally(columns)
    tally.add_frame(typed, typed["_row"].to_numpy(), typed_missing_masks(typed, cases, columns))
    return tally.table()


def split_missing(
    cases: pd.DataFrame, schema: TableSchema, columns: Iterable[str]
) -> tuple[np.ndarray, pd.DataFrame]:
    """Split failures into rows to reject and values to set to missing.

    Parameters
    ----------
    cases : pandas.DataFrame
        Failure cases (``row, column, check``) of row-level (non table-level) failures.
    schema : TableSchema
        The table kind (columns that must not be missing cannot be emptied).
    columns : iterable of str
        Columns of the typed table (a value can be emptied only there).

    Returns
    -------
    bad_rows : numpy.ndarray
        Source rows rejected whole.
    emptied : pandas.DataFrame
        The failure cases whose value is set to missing, on rows that are kept.
    """
    present = set(columns)
    nullable = {c.name for c in schema if c.nullable and c.name in present}
    cell = ~cases["check"].isin(ROW_CHECKS) & cases["column"].isin(nullable)
    cell &= cases["row"].notna()
    rows = cases["row"].to_numpy(dtype=float)
    whole = np.unique(rows[~cell.to_numpy() & ~np.isnan(rows)]).astype(np.int64)
    emptied = cases[cell & ~cases["row"].isin(whole)]
    return whole, emptied


def set_missing(typed: pd.DataFrame, emptied: pd.DataFrame) -> tuple[pd.DataFrame, Counter]:
    """Return ``typed`` with the values of ``emptied`` set to missing, and counts per column."""
    counts: Counter[str] = Counter()
    if not len(emptied):
        return typed, counts
    typed = typed.copy()
    rows = typed["_row"].to_numpy()
    for column, group in emptied.groupby("column", sort=False):
        mask = np.isin(rows, group["row"].to_numpy(dtype=np.int64))
        if mask.any():
            typed[column] = typed[column].mask(mask)
            counts[str(column)] += int(mask.sum())
    return typed, counts
