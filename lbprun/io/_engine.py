"""The validation engine: coerce raw chunks to typed columns and collect every failure.

One :class:`Run` validates one source, chunk by chunk, so that memory stays bounded: column
types and per-value rules are checked per chunk, duplicates across chunks through 64-bit hashes
of the key columns, and overlapping episodes at the end on a slim copy of three columns.
Failures are collected (lazy validation), never raised here.
"""

from __future__ import annotations

import sys
import warnings
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, closest
from lbprun.exceptions import DataQualityWarning
from lbprun.io import _dates, _parse
from lbprun.io._columns import check_units, resolve_columns
from lbprun.io._formats import TableSource
from lbprun.io.schema import PACE_MIN_PER_KM, SCHEMAS, TableSchema

__all__ = ["CASE_COLUMNS", "Run"]

#: Columns of ``failure_cases``.
CASE_COLUMNS = ["source", "row", "runner_id", "column", "check", "value", "message"]
_MILE_RACES = np.array([3.1, 6.2, 13.1, 26.2])
_PACE_SAMPLE = 200_000
#: Sorted hash segments kept before they are merged into one (bounds the search cost).
_MAX_SEGMENTS = 64


def _pandera_schema(schema: TableSchema, present: list[str]) -> Any:
    import pandera.pandas as pa

    spec = {}
    for col in schema:
        if col.name not in present:
            continue
        checks = []
        if col.dtype in ("float", "int") and (col.min is not None or col.max is not None):
            low = -np.inf if col.min is None else col.min
            high = np.inf if col.max is None else col.max
            checks.append(pa.Check.in_range(low, high))
        spec[col.name] = pa.Column(checks=checks, nullable=col.nullable, required=False)
    return pa.DataFrameSchema(spec)


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
        self.seen: list[tuple[np.ndarray, np.ndarray]] = []  # sorted (hash, row) per chunk
        self.kept: list[pd.DataFrame] = []
        self.rejected_raw: list[pd.DataFrame] = []
        self.slim: list[pd.DataFrame] = []
        self.rows_in = 0
        self.miles = {"n": 0, "race": 0, "paces": []}
        self.derive_date = kind == "activities" and "date" not in self.names
        present = set(self.names) | ({"date"} if self.derive_date else set())
        self.pandera = _pandera_schema(self.schema, sorted(present))

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
                totals[name] = totals[name] + _dates.date_counts(frame.iloc[:, k])
        found = {counts.evidence for counts in totals.values()} - {None}
        hint = found.pop() if len(found) == 1 else None
        for name in dates:
            form, order, notes = _dates.decide(totals[name], hint, name)
            state: dict[str, Any] = {} if hint is None else {"hint": hint}
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
        typed = raw.copy() if self.keep_data else raw.loc[:, []].copy()
        failures = []
        local_dates = None
        if not self.date_state:
            self._share_date_order(raw)
        for col in self.schema:
            if col.name not in raw.columns or self.names.count(col.name) > 1:
                continue
            values = raw[col.name]
            notes: list[str] = []
            if col.dtype == "text":
                out, bad = _parse.to_text(values), _parse.no_failures()
            elif col.dtype in ("float", "int"):
                out, bad = _parse.to_float(
                    values, col.name, decimal=self.src.decimal, unit=self.units.get(col.name)
                )
                if col.dtype == "int":
                    out = out.round().astype("Int64")
            elif col.dtype == "bool":
                out, bad = _parse.to_bool(values, col.name)
            elif col.dtype == "category":
                out, bad = _parse.to_category(values, col)
            elif col.dtype == "date":
                state = self.date_state.setdefault(col.name, {})
                out, bad, notes = _dates.to_date(values, col.name, state)
            else:
                out, local_dates, bad, notes = _dates.to_datetime(values, col.name)
            self.notes.extend(n for n in notes if n not in self.notes)
            typed[col.name] = out
            if len(bad):
                failures.append(bad.assign(column=col.name))
        if self.kind == "activities" and local_dates is not None:
            if self.derive_date:
                at = list(typed.columns).index("start_time") if "start_time" in typed else 0
                typed.insert(at, "date", local_dates)
            else:
                typed["date"] = typed["date"].fillna(local_dates)
        return typed, failures

    def _share_date_order(self, raw: pd.DataFrame) -> None:
        """Let a column whose d/m/Y dates are all ambiguous follow the file's other columns."""
        dates = [c.name for c in self.schema if c.dtype == "date" and c.name in raw.columns]
        found = {
            e
            for e in (
                _dates.date_order_evidence(raw[c]) for c in dates if self.names.count(c) == 1
            )
            if e
        }
        for name in dates:
            self.date_state[name] = {"hint": found.pop()} if len(found) == 1 else {}

    def row_checks(self, typed: pd.DataFrame, failed: pd.DataFrame) -> list[pd.DataFrame]:
        """Ranges and missing values (pandera), pace, date order and follow-up windows."""
        import pandera.pandas as pa

        out = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # pandera's own concat
                self.pandera.validate(typed, lazy=True)
        except pa.errors.SchemaErrors as error:
            cases = error.failure_cases
            cases = cases[cases["column"].isin(typed.columns) & cases["index"].notna()]
            pos = cases["index"].astype(np.int64).to_numpy()
            checks = cases["check"].astype(str).str.replace(r"\(.*", "", regex=True)
            frame = pd.DataFrame(
                {"pos": pos, "column": cases["column"].to_numpy(), "check": checks.to_numpy()}
            )
            done = set(zip(failed["pos"], failed["column"], strict=True))
            if "start_time" in typed and self.derive_date:
                done |= {(p, "date") for p, c in done if c == "start_time"}
            keep = [(p, c) not in done for p, c in zip(frame["pos"], frame["column"], strict=True)]
            frame = frame[keep]
            values = [
                _plain(typed[c].iloc[p])
                for p, c in zip(frame["pos"], frame["column"], strict=True)
            ]
            frame["value"] = pd.Series(values, index=frame.index, dtype=object)
            frame["message"] = [
                f"{c} must not be missing."
                if k == "not_nullable"
                else f"{c} must be {self.schema[c].rule}; got {v!r}."
                for c, k, v in zip(frame["column"], frame["check"], values, strict=True)
            ]
            out.append(frame)
        if self.kind == "activities" and {"distance_km", "duration_min"} <= set(typed):
            out.append(self._pace(typed))
        for earlier, later in self.schema.date_order:
            if {earlier, later} <= set(typed):
                bad = np.flatnonzero((typed[earlier] > typed[later]).to_numpy())
                out.append(
                    _frame(
                        bad,
                        later,
                        "date_order",
                        typed[later].iloc[bad],
                        [
                            f"{later} {_day(typed[later].iloc[p])} is before {earlier} "
                            f"{_day(typed[earlier].iloc[p])}."
                            for p in bad
                        ],
                    )
                )
        for column, start, end in self.schema.within:
            if {column, start, end} <= set(typed):
                before = (typed[column] < typed[start]).to_numpy()
                after = (typed[column] > typed[end]).to_numpy()
                bad = np.flatnonzero(before | after)
                out.append(
                    _frame(
                        bad,
                        column,
                        "within",
                        typed[column].iloc[bad],
                        [
                            f"{column} {_day(typed[column].iloc[p])} is "
                            + (
                                f"before {start} {_day(typed[start].iloc[p])}"
                                if before[p]
                                else f"after {end} {_day(typed[end].iloc[p])}"
                            )
                            + " (outside follow-up)."
                            for p in bad
                        ],
                    )
                )
        return out

    def _pace(self, typed: pd.DataFrame) -> pd.DataFrame:
        low, high = PACE_MIN_PER_KM
        distance = typed["distance_km"].to_numpy(dtype=float)
        duration = typed["duration_min"].to_numpy(dtype=float)
        col_d, col_t = self.schema["distance_km"], self.schema["duration_min"]
        usable = (
            np.isfinite(distance)
            & np.isfinite(duration)
            & (distance >= col_d.min)
            & (distance <= col_d.max)
            & (duration >= col_t.min)
            & (duration <= col_t.max)
            & ((distance > 0) | (duration > 0))
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            pace = np.where(distance > 0, duration / np.where(distance > 0, distance, 1), np.inf)
        implausible = usable & ((pace < low) | (pace > high))
        bad = np.flatnonzero(implausible)
        good = usable & (distance > 0) & ~implausible
        self.miles["n"] += int(good.sum())
        near = np.abs(distance[good][:, None] - _MILE_RACES[None, :]).min(axis=1) < 0.051
        self.miles["race"] += int(near.sum())
        taken = sum(len(p) for p in self.miles["paces"])
        if taken < _PACE_SAMPLE:
            self.miles["paces"].append(pace[good][: _PACE_SAMPLE - taken])
        return _frame(
            bad,
            "duration_min",
            "pace",
            typed["duration_min"].iloc[bad],
            [
                f"pace {pace[p]:.3g} min/km (duration_min {duration[p]:g} / distance_km "
                f"{distance[p]:g}) is outside [{low:g}, {high:g}] min/km."
                for p in bad
            ],
        )

    def duplicates(self, typed: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
        """Repeated keys within the chunk and against earlier chunks (64-bit key hashes)."""
        key = [c for c in self.schema.unique_key if c in typed.columns]
        if "runner_id" not in key or (self.kind == "activities" and len(key) < 4):
            return _parse.no_failures().assign(column=pd.Series(dtype=object))
        valid = typed["runner_id"].notna().to_numpy()
        pos = np.flatnonzero(valid)
        hashes = pd.util.hash_pandas_object(typed.loc[valid, key], index=False).to_numpy()
        first_in_chunk = ~pd.Series(hashes).duplicated(keep="first").to_numpy()
        owner = pd.Series(rows[pos][first_in_chunk], index=hashes[first_in_chunk])
        original = np.full(len(hashes), -1, dtype=np.int64)
        for seen_hash, seen_row in self.seen:
            where = np.minimum(np.searchsorted(seen_hash, hashes), len(seen_hash) - 1)
            hit = (seen_hash[where] == hashes) & (original < 0)
            original[hit] = seen_row[where[hit]]
        seen = original >= 0
        later = ~seen & ~first_in_chunk
        original[later] = owner.reindex(hashes[later]).to_numpy(dtype=np.int64)
        dup = original >= 0
        new = ~seen & first_in_chunk
        if new.any():
            order = np.argsort(hashes[new], kind="stable")
            self.seen.append((hashes[new][order], rows[pos][new][order]))
        if len(self.seen) > _MAX_SEGMENTS:
            merged_h = np.concatenate([h for h, _ in self.seen])
            merged_r = np.concatenate([r for _, r in self.seen])
            order = np.argsort(merged_h, kind="stable")
            self.seen = [(merged_h[order], merged_r[order])]
        bad = pos[dup]
        label = ", ".join(key)
        ids = typed["runner_id"].iloc[bad].tolist()
        if self.kind == "activities":
            check = "duplicate_run"
            messages = [
                f"the same run of runner {i!r} (same {label}) is already on row {r}."
                for i, r in zip(ids, original[dup], strict=True)
            ]
        elif len(key) == 1:
            check = "duplicate"
            messages = [
                f"runner_id {i!r} is duplicated: already on row {r}."
                for i, r in zip(ids, original[dup], strict=True)
            ]
        else:
            check = "duplicate"
            messages = [
                f"the same {label} of runner {i!r} is already on row {r}."
                for i, r in zip(ids, original[dup], strict=True)
            ]
        return _frame(bad, "runner_id", check, ids, messages)

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
            return pd.DataFrame(columns=CASE_COLUMNS)
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
            slim = pd.concat(self.slim, ignore_index=True)
            slim = slim[slim["runner_id"].notna() & slim["onset_date"].notna()]
            slim = slim.sort_values(["runner_id", "onset_date", "row"], kind="stable")
            previous = slim.groupby("runner_id", sort=False)
            prev_rec = previous["recovery_date"].shift()
            prev_on = previous["onset_date"].shift()
            prev_row = previous["row"].shift()
            has_prev = prev_on.notna()
            overlap = has_prev & (prev_rec.isna() | (slim["onset_date"] < prev_rec))
            hit = slim[overlap]
            out.append(
                pd.DataFrame(
                    {
                        "source": self.src.name,
                        "row": pd.array(hit["row"].to_numpy(), dtype="Int64"),
                        "runner_id": pd.array(hit["runner_id"].to_numpy(), dtype="string"),
                        "column": "onset_date",
                        "check": "overlap",
                        "value": [_plain(v) for v in hit["onset_date"]],
                        "message": [
                            f"episode starting {_day(o)} overlaps the episode on row "
                            f"{int(r)} (onset {_day(po)}, recovery "
                            f"{_day(pr) if pd.notna(pr) else 'none: unresolved'})."
                            for o, r, po, pr in zip(
                                hit["onset_date"],
                                prev_row[overlap],
                                prev_on[overlap],
                                prev_rec[overlap],
                                strict=True,
                            )
                        ],
                    }
                )
            )
        self._miles_warning()
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=CASE_COLUMNS)

    def _miles_warning(self) -> None:
        if self.kind != "activities" or self.miles["n"] < 5 or "distance_km" in self.units:
            return
        paces = np.concatenate(self.miles["paces"]) if self.miles["paces"] else np.empty(0)
        median = float(np.median(paces)) if len(paces) else np.nan
        share = self.miles["race"] / self.miles["n"]
        reasons = []
        if share >= 0.5:
            reasons.append(
                f"{share:.0%} of distances sit on race distances in miles (3.1, 6.2, 13.1, 26.2)"
            )
        if len(paces) >= 10 and median > 9.0:
            reasons.append(f"the median pace is {median:.1f} min/km, slow for runners")
        if reasons:
            message = (
                f"{self.src.name}: distance_km looks like miles: {'; '.join(reasons)}. If the "
                "distances are in miles, pass units={'distance_km': 'mi'}."
            )
            warnings.warn(message, DataQualityWarning, stacklevel=_caller_level())
            self.notes.append(message)


def _caller_level() -> int:
    """The ``stacklevel`` of the first frame outside ``lbprun.io`` (the user's call)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("lbprun.io"):
        frame, level = frame.f_back, level + 1
    return level


def _day(value: Any) -> str:
    return str(pd.Timestamp(value).date()) if pd.notna(value) else "NA"


def _empty() -> pd.DataFrame:
    return _parse.no_failures().assign(column=pd.Series(dtype=object))


def _plain(value: Any) -> Any:
    """A failing value as plain Python: numbers as float/int, dates as ISO text."""
    if isinstance(value, pd.Timestamp):
        return str(value.date()) if value == value.normalize() else value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def _frame(pos: Any, column: str, check: str, values: Any, messages: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pos": np.asarray(pos, dtype=np.int64),
            "column": column,
            "check": check,
            "value": pd.Series([_plain(v) for v in values], dtype=object),
            "message": pd.Series(messages, dtype=object),
        }
    )
