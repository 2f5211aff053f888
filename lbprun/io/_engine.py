"""The validation engine: coerce raw chunks to typed columns and collect every failure.

One :class:`Run` validates one source, chunk by chunk, so that memory stays bounded: column
types and per-value rules are checked per chunk, duplicates across chunks through 64-bit hashes
of the key columns (:mod:`lbprun.io._engine_keys`), and overlapping episodes at the end on a
slim copy of three columns. Failures are collected (lazy validation), never raised here.

Every check works on whole columns: text columns are converted through their distinct values
(:mod:`lbprun.io._fast_coerce`), typed columns skip text parsing, ranges and missing values are
checked with NumPy (:mod:`lbprun.io._engine_checks`), and the columns of a chunk are converted
on threads. ``lbprun.io._fast_coerce.ENABLED = False`` runs the general path (value by value,
pandera for ranges) that the fast one is tested against.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, closest
from lbprun.exceptions import DataQualityWarning
from lbprun.io import _dates, _engine_checks, _fast_coerce
from lbprun.io._columns import check_units, resolve_columns
from lbprun.io._engine_checks import empty
from lbprun.io._engine_keys import KeyStore, duplicate_cases
from lbprun.io._formats import TableSource
from lbprun.io._suffixes import suffix_note
from lbprun.io.schema import SCHEMAS

__all__ = ["CASE_COLUMNS", "Run"]

#: Columns of ``failure_cases``.
CASE_COLUMNS = ["source", "row", "runner_id", "column", "check", "value", "message"]
_NO_CASES = pd.DataFrame(columns=CASE_COLUMNS)
_PACE_SAMPLE = 200_000
#: Rows from which the columns of a chunk are converted on several threads.
_THREAD_ROWS = 50_000


class Run:
    """Validate one source of one table kind, chunk by chunk."""

    def __init__(
        self,
        src: TableSource,
        kind: str,
        *,
        columns: Mapping[str, str] | None = None,
        units: Mapping[str, str] | None = None,
        keep_data: bool = True,
        fill: Mapping[str, Any] | None = None,
        activity_types: set[str] | None = None,
    ):
        self.src = src
        self.kind = kind
        self.schema = SCHEMAS[kind]
        self.rename = resolve_columns(src.columns, self.schema, columns)
        self.units = check_units(units, self.schema)
        self.keep_data = keep_data
        self.names = [self.rename.get(c, c) for c in src.columns]
        self.fill = dict(fill or {})
        for name in self.fill:
            if name in self.names:
                raise ArgumentError(
                    f"{name} must be None when the data have a {name!r} column; got "
                    f"{self.fill[name]!r} and a column {name!r} in {src.name}."
                )
        self.names += list(self.fill)
        #: Positions and names of the columns read: duplicated names are a table failure.
        self.use = [i for i, n in enumerate(self.names) if self.names.count(n) == 1]
        self.use_names = [self.names[i] for i in self.use]
        #: Normalised activity types kept (None: every row); rows of other types are excluded.
        self.types = activity_types if self.names.count("activity_type") == 1 else None
        self.excluded: Counter[str] = Counter()
        self.notes: list[str] = list(src.notes)
        self.date_state: dict[str, dict[str, Any]] = {}
        self.keys = KeyStore()
        self.ids: tuple[np.ndarray, pd.Series] | None = None
        self.fast = _fast_coerce.ENABLED
        #: Per column: values read with their written unit, and the distinct texts shown.
        self.suffixed: dict[str, list[Any]] = {}
        #: Sentences on values changed on reading (values read with their written unit).
        self.recoded: list[str] = []
        self.kept: list[pd.DataFrame] = []
        self.rejected_raw: list[pd.DataFrame] = []
        self.slim: list[pd.DataFrame] = []
        self.rows_in = 0
        self.miles = {"n": 0, "race": 0, "paces": []}
        self.derive_date = kind == "activities" and "date" not in self.names
        present = set(self.names) | ({"date"} if self.derive_date else set())
        self.pandera = (
            None if self.fast else _engine_checks.pandera_schema(self.schema, sorted(present))
        )

    def prescan(self) -> None:
        """Decide each date column's format from the whole file before reading it in chunks.

        A chunked file is thus decided exactly as it would be in one piece: the more frequent
        of ISO and d/m/Y, and the day/month order from every value of the file.
        """
        dates = [
            c.name for c in self.schema if c.dtype == "date" and self.names.count(c.name) == 1
        ]
        if not dates or self.src.read_subset is None:
            return
        positions = [self.names.index(name) for name in dates]
        totals = {name: _dates.DateCounts() for name in dates}
        for frame in self.src.columns_only(positions):
            for k, name in enumerate(dates):
                totals[name] = totals[name] + _fast_coerce.date_counts(frame.iloc[:, k])
            if all(pd.api.types.is_datetime64_any_dtype(t) for t in frame.dtypes):
                break  # typed dates (Parquet): every chunk has the type, nothing to count
        found = {counts.evidence for counts in totals.values()} - {None}
        hint = found.pop() if len(found) == 1 else None
        for name in dates:
            form, order, notes = _dates.decide(totals[name], hint, name)
            state: dict[str, Any] = {"whole_file": True}
            if hint is not None:
                state["hint"] = hint
            if form is not None:
                state["form"] = form
            if order is not None:
                state["order"] = order
            self.date_state[name] = state
            self.notes.extend(n for n in notes if n not in self.notes)

    # -- table-level checks -----------------------------------------------------------------

    def table_failures(self) -> pd.DataFrame:
        """Failures of the header: missing or duplicated columns."""
        rows = []
        names = self.names
        shown = ", ".join(self.src.columns[:15])
        if len(self.src.columns) == 1 and self.src.fmt == "csv":
            shown += " (a single column: is the delimiter one of ',', ';', tab or '|'?)"
        for column in self.schema.required:
            if column in names or (column == "date" and self.derive_date):
                continue
            guess = closest(column, self.src.columns)
            hint = (
                f" Did you mean {guess!r}? pass columns={{{guess!r}: {column!r}}}."
                if guess
                else f" Columns are: {shown}."
            )
            rows.append(
                (column, "required_column", f"required column {column!r} is missing.{hint}")
            )
        if self.schema.one_of_required and not set(self.schema.one_of_required) & set(names):
            label = "/".join(self.schema.one_of_required)
            rows.append(
                (
                    label,
                    "one_of_required",
                    f"a {self.kind} needs at least one LBP outcome column "
                    f"({', '.join(self.schema.one_of_required)}); columns are: {shown}.",
                )
            )
        if self.kind == "activities" and "date" not in names and "start_time" not in names:
            rows.append(
                ("date", "required_column", "activities need a date or a start_time column.")
            )
        for name in sorted({n for n in names if names.count(n) > 1}):
            sources = [c for c, n in zip(self.src.columns, names, strict=True) if n == name]
            rows.append((name, "duplicate_column", f"several columns become {name!r}: {sources}."))
        header = self.src.header_row
        return pd.DataFrame(
            {
                "source": self.src.name,
                "row": pd.array([header] * len(rows), dtype="Int64"),
                "runner_id": pd.array([None] * len(rows), dtype="string"),
                "column": [r[0] for r in rows],
                "check": [r[1] for r in rows],
                "value": pd.Series([None] * len(rows), dtype=object),
                "message": [r[2] for r in rows],
            }
        )

    # -- per chunk ---------------------------------------------------------------------------

    def coerce(self, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
        """Return the typed chunk and its per-value failures (with a ``column`` field)."""
        raw = raw.reset_index(drop=True)
        raw.columns = self.use_names
        typed = raw.copy(deep=False) if self.keep_data else raw.loc[:, []].copy()
        failures = []
        local_dates = None
        if not self.date_state:
            self._share_date_order(raw)
        todo = [c for c in self.schema if c.name in raw.columns and self.names.count(c.name) == 1]
        for col in todo:
            if col.dtype == "date":
                self.date_state.setdefault(col.name, {})

        values = {col.name: raw[col.name] for col in todo}  # taken here, not on the threads

        def one(col: Any) -> _fast_coerce.Converted:
            return _fast_coerce.convert(
                col,
                values[col.name],
                decimal=self.src.decimal,
                unit=self.units.get(col.name),
                state=self.date_state.get(col.name),
            )

        if self.fast and len(raw) >= _THREAD_ROWS and len(todo) > 1:
            with ThreadPoolExecutor(max_workers=min(len(todo), _workers())) as pool:
                done = list(pool.map(one, todo))
        else:
            done = [one(col) for col in todo]
        self.ids = None
        for col, result in zip(todo, done, strict=True):
            self.notes.extend(n for n in result.notes if n not in self.notes)
            typed[col.name] = result.values
            if result.local is not None:
                local_dates = result.local
            if col.name == "runner_id" and result.codes is not None:
                self.ids = (result.codes, result.uniques)
            if result.converted:
                self._count_suffixes(col.name, result.converted)
            if len(result.failures):
                failures.append(result.failures.assign(column=col.name))
        if self.kind == "activities" and local_dates is not None:
            if self.derive_date:
                at = list(typed.columns).index("start_time") if "start_time" in typed else 0
                typed.insert(at, "date", local_dates)
            else:
                typed["date"] = typed["date"].fillna(local_dates)
        return typed, failures

    def _count_suffixes(self, column: str, converted: list[tuple[str, int]]) -> None:
        tally = self.suffixed.setdefault(column, [0, []])
        for text, n in converted:
            tally[0] += n
            if text not in tally[1] and len(tally[1]) < 3:
                tally[1].append(text)

    def _share_date_order(self, raw: pd.DataFrame) -> None:
        """Let a column whose d/m/Y dates are all ambiguous follow the file's other columns."""
        dates = [c.name for c in self.schema if c.dtype == "date" and c.name in raw.columns]
        found = {
            e
            for e in (
                _fast_coerce.date_counts(raw[c]).evidence
                for c in dates
                if self.names.count(c) == 1
            )
            if e
        }
        for name in dates:
            self.date_state[name] = {"hint": found.pop()} if len(found) == 1 else {}

    def row_checks(self, typed: pd.DataFrame, failed: pd.DataFrame) -> list[pd.DataFrame]:
        """Ranges and missing values, pace, date order and follow-up windows."""
        if self.pandera is None:
            cases = _engine_checks.range_failures(typed, self.schema)
        else:
            cases = _engine_checks.pandera_failures(typed, self.pandera)
        also_date = "start_time" in typed and self.derive_date
        cases = _engine_checks.not_done(cases, failed, also_date)
        out = []
        if len(cases):
            out.append(_engine_checks.with_messages(cases, typed, self.schema))
        if self.kind == "activities" and {"distance_km", "duration_min"} <= set(typed):
            out.append(_engine_checks.pace_failures(typed, self.schema, self.miles, _PACE_SAMPLE))
        out.extend(_engine_checks.date_failures(typed, self.schema))
        return out

    def duplicates(self, typed: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
        """Repeated keys within the chunk and against earlier chunks (64-bit key hashes)."""
        return duplicate_cases(typed, rows, self.schema, self.keys, self.ids)

    def process(self, raw: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
        """Validate one chunk; return its failure cases (``CASE_COLUMNS``)."""
        rows = np.asarray(rows, dtype=np.int64)
        shape = self._field_counts(raw, rows)
        if len(shape):
            keep = ~np.isin(rows, shape["row"].to_numpy(dtype=np.int64))
            raw, rows = raw[keep], rows[keep]
        if self.types is not None:
            raw, rows = self._keep_types(raw, rows)
        self.rows_in += len(raw)
        if self.fill:  # constant columns, after the source's own (labels cannot collide)
            raw = raw.set_axis(range(raw.shape[1]), axis=1)
            for value in self.fill.values():
                raw[raw.shape[1]] = value
        if len(self.use) != len(self.names):
            raw = raw.iloc[:, self.use]
        typed, failures = self.coerce(raw)
        failed = pd.concat(failures, ignore_index=True) if failures else _empty()
        if self.fast and len(typed) >= _THREAD_ROWS:  # keys on a thread, row checks here
            with ThreadPoolExecutor(max_workers=1) as pool:
                keys = pool.submit(self.duplicates, typed, rows)
                checks = [failed, *self.row_checks(typed, failed), keys.result()]
        else:
            checks = [failed, *self.row_checks(typed, failed), self.duplicates(typed, rows)]
        nonempty = [c for c in checks if len(c)]
        cases = pd.concat(nonempty, ignore_index=True) if nonempty else _empty()
        pos = cases["pos"].to_numpy(dtype=np.int64)
        ids = (
            typed["runner_id"]
            if "runner_id" in typed and self.names.count("runner_id") == 1
            else None
        )
        out = pd.DataFrame(
            {
                "source": self.src.name,
                "row": pd.array(rows[pos], dtype="Int64"),
                "runner_id": pd.array(
                    ids.iloc[pos].to_numpy() if ids is not None else [None] * len(pos),
                    dtype="string",
                ),
                "column": cases["column"].to_numpy(dtype=object),
                "check": cases["check"].to_numpy(dtype=object),
                "value": cases["value"].to_numpy(dtype=object),
                "message": cases["message"].to_numpy(dtype=object),
            }
        )
        bad = np.zeros(len(raw), dtype=bool)
        bad[pos] = True
        if self.kind == "episodes" and {"onset_date", "recovery_date"} <= set(typed):
            self.slim.append(
                typed[["runner_id", "onset_date", "recovery_date"]].assign(row=rows)[~bad]
            )
        if self.keep_data:
            self.kept.append(typed.assign(_row=rows))
        raw = raw.reset_index(drop=True)
        raw.columns = self.use_names
        self.rejected_raw.append(raw.iloc[np.flatnonzero(bad)].assign(_row=rows[bad]))
        return pd.concat([shape, out], ignore_index=True) if len(shape) else out

    def _field_counts(self, raw: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
        """Failure cases of text rows whose field count differs from the header's.

        Such a row is not validated value by value (its values may sit in the wrong
        columns); it is rejected whole, kept as read in ``rejected``.
        """
        from lbprun.io._scan import field_count_cases

        hit, found = field_count_cases(
            rows, self.src.bad_rows, self.src.bad_counts, self.src.expected_fields
        )
        if not found:
            return _NO_CASES.copy()
        self.rows_in += len(found)
        width = len(self.src.columns)
        own = [i for i in self.use if i < width]
        part = raw.iloc[np.flatnonzero(hit), own].reset_index(drop=True)
        part.columns = [self.names[i] for i in own]
        self.rejected_raw.append(part.assign(_row=rows[hit]))
        return pd.DataFrame(
            {
                "source": self.src.name,
                "row": pd.array(rows[hit], dtype="Int64"),
                "runner_id": pd.array([None] * len(found), dtype="string"),
                "column": "(row)",
                "check": "field_count",
                "value": pd.Series([c for _, c, _ in found], dtype=object),
                "message": [m for _, _, m in found],
            }
        )

    # -- whole file ---------------------------------------------------------------------------

    def _keep_types(self, raw: pd.DataFrame, rows: np.ndarray) -> tuple[pd.DataFrame, Any]:
        """Leave out rows whose activity type is not kept (missing or unknown types stay)."""
        from lbprun.io._activity_types import normalise_type

        recorded = raw.iloc[:, self.names.index("activity_type")]
        labels = {v: normalise_type(v) for v in pd.unique(recorded.dropna().astype(str))}
        types = recorded.astype(object).map(
            lambda v: labels.get(str(v), "unknown"), na_action="ignore"
        )
        keep = (types.isna() | types.isin(self.types | {"unknown"})).to_numpy()
        if keep.all():
            return raw, rows
        self.excluded.update(types[~keep].tolist())
        return raw[keep], np.asarray(rows)[keep]

    def finish(self) -> pd.DataFrame:
        """Checks that need every row: overlapping episodes; the miles warning."""
        out = []
        if self.slim:
            out.append(_engine_checks.overlap_cases(pd.concat(self.slim), self.src.name))
        self._miles_warning()
        for column in [c for c in self.schema.names if c in self.suffixed]:
            count, shown = self.suffixed[column]
            sentence = suffix_note(column, count, shown)
            self.recoded.append(sentence)
            self.notes.append(sentence)
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=CASE_COLUMNS)

    def _miles_warning(self) -> None:
        if self.kind != "activities" or "distance_km" in self.units:
            return
        message = _engine_checks.miles_message(self.miles, self.src.name)
        if message is not None:
            warnings.warn(message, DataQualityWarning, stacklevel=_caller_level())
            self.notes.append(message)


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside ``lbprun.io`` (the user's call)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("lbprun.io"):
        frame, level = frame.f_back, level + 1
    return level


def _workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _empty() -> pd.DataFrame:
    return empty()
