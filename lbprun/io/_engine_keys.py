"""Duplicate keys of the validation engine: the same runner (or run) twice, across chunks.

Keys are compared through 64-bit hashes of the key columns, so memory grows by about 16 bytes
per distinct key (about 32 bytes) whatever the size of the rows. :class:`KeyStore` keeps the
keys of earlier chunks with their first rows, a bitmap of their leading bits that settles most
lookups at once, and sorted segments (sorted only when a later chunk needs them) to search the
rest. :func:`duplicate_cases` finds
repeats within a chunk from one sort of its hashes (values, not positions: the fast sort), and
factorises only the repeated hashes (codes in order of first appearance give the first row).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from lbprun.io.schema import SURVEY
>>> typed = pd.DataFrame({"runner_id": pd.array(["a", "b", "a"], dtype="string")})
>>> store = KeyStore()
>>> cases = duplicate_cases(typed, np.array([2, 3, 4]), SURVEY, store)
>>> cases[["pos", "check", "message"]].to_dict("records")
[{'pos': 2, 'check': 'duplicate', 'message': "runner_id 'a' is duplicated: already on row 2."}]
>>> later = duplicate_cases(typed.iloc[[1]].reset_index(drop=True), np.array([5]), SURVEY, store)
>>> later["message"].tolist()
["runner_id 'b' is duplicated: already on row 3."]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lbprun.io._engine_checks import empty, frame
from lbprun.io.schema import TableSchema

__all__ = ["KeyStore", "duplicate_cases", "key_hashes"]

_MIX = np.uint64(0x100000001B3)


class KeyStore:
    """Hashes of the keys seen so far with the row of their first occurrence.

    A bitmap on the leading bits of the hashes (about 8 slots per key) answers most lookups
    of new keys at once; only the few hashes whose slot is taken are searched in the sorted
    segments.
    """

    def __init__(self) -> None:
        self.segments: list[np.ndarray] = []  # sorted hashes
        self.pending: list[np.ndarray] = []  # hashes not yet sorted
        self.chunks: list[tuple[np.ndarray, np.ndarray]] = []  # (hash, first row) per chunk
        self.n = 0
        self.shift = np.uint64(64 - 16)
        self.bits = np.zeros(1 << 16, dtype=bool)

    def _settle(self) -> None:
        for hashes in self.pending:
            self.segments.append(np.sort(hashes))
            while len(self.segments) > 1 and len(self.segments[-2]) <= 2 * len(self.segments[-1]):
                merged = np.concatenate(self.segments[-2:])
                self.segments[-2:] = [np.sort(merged, kind="stable")]  # two runs: a merge
        self.pending = []

    def _mark(self, hashes: np.ndarray) -> None:
        self.n += len(hashes)
        if self.n * 8 > len(self.bits):  # grow, then mark every key again
            size = 1 << max(16, int(self.n * 16 - 1).bit_length())
            self.shift = np.uint64(64 - (size.bit_length() - 1))
            self.bits = np.zeros(size, dtype=bool)
            for seen, _ in self.chunks:
                self.bits[seen >> self.shift] = True
        self.bits[hashes >> self.shift] = True

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The first row of each hash seen before, -1 where none."""
        found = np.full(len(hashes), -1, dtype=np.int64)
        if not self.n:
            return found
        maybe = np.flatnonzero(self.bits[hashes >> self.shift])
        if not len(maybe):
            return found
        self._settle()
        maybe = maybe[np.argsort(hashes[maybe])]  # sorted queries: each search starts near
        queries = hashes[maybe]
        hit = np.zeros(len(maybe), dtype=bool)
        for seen in self.segments:
            where = np.minimum(np.searchsorted(seen, queries), len(seen) - 1)
            hit |= seen[where] == queries
        if hit.any():
            wanted = np.unique(queries[hit])
            known = [(h[m], r[m]) for h, r in self.chunks if (m := np.isin(h, wanted)).any()]
            rows = pd.Series(
                np.concatenate([r for _, r in known]),
                index=np.concatenate([h for h, _ in known]),
            )
            found[maybe[hit]] = rows.reindex(queries[hit]).to_numpy(dtype=np.int64)
        return found

    def add(self, hashes: np.ndarray, rows: np.ndarray) -> None:
        """Remember new hashes (not seen before, each once) and their first rows."""
        if len(hashes):
            self.pending.append(hashes)
            self.chunks.append((hashes, rows))
            self._mark(hashes)


def _repeats(hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of repeated hashes and the position of each one's first occurrence."""
    ordered = np.sort(hashes)
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        return np.empty(0, np.int64), np.empty(0, np.int64)
    repeated = np.unique(ordered[1:][same])
    sub = np.flatnonzero(np.isin(hashes, repeated))
    codes, _ = pd.factorize(hashes[sub])
    codes = np.asarray(codes, dtype=np.int64)
    before = np.concatenate(([-1], np.maximum.accumulate(codes)[:-1]))
    first = codes > before  # codes follow first appearance
    owners = sub[np.flatnonzero(first)]  # one per code, in code order
    later = ~first
    return sub[later], owners[codes[later]]


def _column_hash(values: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return pd.util.hash_array(np.asarray(values.array.asi8, dtype=np.int64))
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "fiub":
        return pd.util.hash_array(values.to_numpy())
    return pd.util.hash_pandas_object(values, index=False).to_numpy()


def key_hashes(
    typed: pd.DataFrame, key: list[str], ids: tuple[np.ndarray, pd.Series] | None = None
) -> np.ndarray:
    """64-bit hashes of the key columns of every row.

    ``ids`` are the codes of ``runner_id`` and its typed distinct values, when the column was
    converted through them; otherwise the typed column is factorised here.
    """
    hashes = np.zeros(len(typed), dtype=np.uint64)
    for column in key:
        if column == "runner_id":
            if ids is None:
                codes, uniques = pd.factorize(typed["runner_id"], use_na_sentinel=True)
                uniques = pd.Series(uniques)
            else:
                codes, uniques = ids
            text = uniques.astype(object).where(uniques.notna(), "").to_numpy(dtype=object)
            own = np.append(pd.util.hash_array(text, categorize=False), np.uint64(0))
            part = own[np.asarray(codes)]  # code -1 (missing) picks the trailing 0
        else:
            part = _column_hash(typed[column])
        hashes = (hashes * _MIX) ^ part
    return hashes


def duplicate_cases(
    typed: pd.DataFrame,
    rows: np.ndarray,
    schema: TableSchema,
    store: KeyStore,
    ids: tuple[np.ndarray, pd.Series] | None = None,
) -> pd.DataFrame:
    """Repeated keys within the chunk and against earlier chunks (see the module docstring)."""
    key = [c for c in schema.unique_key if c in typed.columns]
    if "runner_id" not in key or (schema.kind == "activities" and len(key) < 4):
        return empty()
    valid = typed["runner_id"].notna().to_numpy()
    pos = np.flatnonzero(valid)
    if not len(pos):
        return empty()
    hashes = key_hashes(typed, key, ids)[pos]
    kept_rows = np.asarray(rows, dtype=np.int64)[pos]
    original = store.lookup(hashes)
    later, owner = _repeats(hashes)
    new = original < 0
    inside = later[new[later]]  # repeats within the chunk of keys not seen before
    original[inside] = kept_rows[owner[new[later]]]
    first = np.ones(len(hashes), dtype=bool)
    first[later] = False
    store.add(hashes[new & first], kept_rows[new & first])
    dup = original >= 0
    bad = pos[dup]
    label = ", ".join(key)
    ids_bad = typed["runner_id"].iloc[bad].tolist()
    if schema.kind == "activities":
        check = "duplicate_run"
        messages = [
            f"the same run of runner {i!r} (same {label}) is already on row {r}."
            for i, r in zip(ids_bad, original[dup], strict=True)
        ]
    elif len(key) == 1:
        check = "duplicate"
        messages = [
            f"runner_id {i!r} is duplicated: already on row {r}."
            for i, r in zip(ids_bad, original[dup], strict=True)
        ]
    else:
        check = "duplicate"
        messages = [
            f"the same {label} of runner {i!r} is already on row {r}."
            for i, r in zip(ids_bad, original[dup], strict=True)
        ]
    return frame(bad, "runner_id", check, ids_bad, messages)
