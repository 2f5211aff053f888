"""Cheap, complete fingerprints of the columns the training-load grid is built from.

A fingerprint says whether a column still holds exactly the values it held when it was taken,
without keeping its frame alive and much faster than preparing the grid again:

- numpy columns of numbers, dates and flags: the dtype, the length and a SHA-1 digest of the
  raw bytes (about 1 GB/s, and :mod:`hashlib` releases the GIL);
- numpy ``object`` columns (text ids, text dates): a shallow copy of the column. The copy keeps
  every original value alive, so a value can only sit at the same address if it is the same
  (immutable) object; comparing addresses then compares values, a few milliseconds for
  millions of rows where hashing the text would take longer than the grid itself;
- Arrow-backed columns (pandas 3 ``str``, ``string[pyarrow]``, ``ArrowDtype``): the Arrow
  array itself, held. Arrow arrays are immutable and pandas replaces the array of a column it
  edits, so the same array means the same text; fixed-width Arrow arrays (numbers, dates),
  which may wrap a writable numpy buffer, are also digested;
- time-zone aware dates, categoricals and nullable numbers: their dtype (time zone and unit,
  categories and their order) plus the fingerprint of the arrays underneath.

Any other column (sparse, interval, period...) has no fingerprint (``None``), and a caller
then simply does not cache.

Examples
--------
>>> import pandas as pd
>>> runs = pd.DataFrame({"runner_id": ["a", "b"], "day": pd.to_datetime(["2024-01-01"] * 2)})
>>> before = fingerprint(runs["runner_id"])
>>> before.matches(runs["runner_id"])
True
>>> runs.loc[1, "runner_id"] = "c"
>>> before.matches(runs["runner_id"])
False
"""

from __future__ import annotations

import ctypes
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["Fingerprint", "fingerprint"]


def _digest_numpy(values: np.ndarray, digest: Any) -> None:
    values = np.ascontiguousarray(values)
    digest.update(f"{values.dtype.str}:{values.shape}".encode())
    if values.size:
        digest.update(values.reshape(-1).view(np.uint8))


def _digest_arrow(chunked: Any, digest: Any) -> None:
    chunks = getattr(chunked, "chunks", [chunked])
    digest.update(f"{chunked.type}:{len(chunked)}:{len(chunks)}".encode())
    for chunk in chunks:
        digest.update(f"|{chunk.offset}:{len(chunk)}:{chunk.null_count}".encode())
        for buffer in chunk.buffers():
            if buffer is None:
                digest.update(b"-")
            else:
                digest.update(f"{buffer.size}:".encode())
                digest.update(buffer)
        dictionary = getattr(chunk, "dictionary", None)
        if dictionary is not None:
            _digest_arrow(dictionary, digest)


def _addresses(values: np.ndarray, *, copy: bool = True) -> np.ndarray:
    """The object addresses held by a contiguous object array, as integers.

    With ``copy=False`` the result is a view of ``values``' memory: use it only while
    ``values`` is alive and unchanged.
    """
    if not values.size:
        return np.empty(0, dtype=np.intp)
    raw = (ctypes.c_char * values.nbytes).from_address(values.__array_interface__["data"][0])
    view = np.frombuffer(raw, dtype=np.intp)
    return view.copy() if copy else view


@dataclass(frozen=True, eq=False)
class _Objects:
    """A shallow copy of an object column (keeps its values alive) and their addresses."""

    values: np.ndarray
    addresses: np.ndarray

    @classmethod
    def take(cls, values: np.ndarray) -> _Objects:
        kept = np.array(values, dtype=object, copy=True, order="C")
        return cls(kept, _addresses(kept))

    def matches(self, values: np.ndarray) -> bool:
        if values.shape != self.values.shape:
            return False
        values = np.ascontiguousarray(values)
        return bool(np.array_equal(_addresses(values, copy=False), self.addresses))


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """What a column held: its dtype and length, digests and (object columns) kept values."""

    dtype: Any
    length: int
    categories: pd.Index | None
    digest: bytes
    objects: tuple[_Objects, ...]
    arrow: Any = None

    def matches(self, series: pd.Series) -> bool:
        """Whether ``series`` holds exactly the values this fingerprint was taken from."""
        if len(series) != self.length or series.dtype != self.dtype:
            return False
        if self.categories is not None:
            categories = series.dtype.categories
            if not (
                categories.dtype == self.categories.dtype and categories.equals(self.categories)
            ):
                return False
        parts = _parts(series)
        if parts is None:
            return False
        arrays, objects = parts
        if self.arrow is not None:
            if not (len(arrays) == 1 and arrays[0] is self.arrow):
                return False
            arrays = _mutable(arrays)
        if len(objects) != len(self.objects):
            return False
        if not all(kept.matches(now) for kept, now in zip(self.objects, objects, strict=True)):
            return False
        return _digest(arrays) == self.digest


def _parts(series: pd.Series) -> tuple[list[Any], list[np.ndarray]] | None:
    """Split a column into digestible arrays and object arrays (None when unsupported)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype):
        values = series.to_numpy()
        return ([], [values]) if dtype.kind == "O" else ([values], [])
    array = series.array
    chunked = getattr(array, "_pa_array", None)
    if chunked is not None:
        return [chunked], []
    if isinstance(dtype, pd.CategoricalDtype):
        return [np.asarray(array.codes)], []
    if isinstance(dtype, pd.DatetimeTZDtype):
        return [array._ndarray], []
    data, mask = getattr(array, "_data", None), getattr(array, "_mask", None)
    if isinstance(data, np.ndarray) and isinstance(mask, np.ndarray):
        return [data, mask], []
    return None


def _mutable(arrays: list[Any]) -> list[Any]:
    """Drop Arrow arrays of text and other variable-width types: immutable, held by identity."""
    import pyarrow as pa

    kept = []
    for values in arrays:
        kind = getattr(values, "type", None)
        if kind is None or not (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind)
        ):
            kept.append(values)
    return kept


def _digest(arrays: list[Any]) -> bytes:
    digest = hashlib.sha1(usedforsecurity=False)
    for values in arrays:
        if isinstance(values, np.ndarray):
            _digest_numpy(values, digest)
        else:
            _digest_arrow(values, digest)
    return digest.digest()


def fingerprint(series: pd.Series) -> Fingerprint | None:
    """Take the fingerprint of a column, or None when its storage has no fingerprint."""
    parts = _parts(series)
    if parts is None:
        return None
    arrays, objects = parts
    categories = None
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.dtype.categories
    arrow = None
    if len(arrays) == 1 and not isinstance(arrays[0], np.ndarray):
        arrow = arrays[0]
        arrays = _mutable(arrays)
    return Fingerprint(
        dtype=series.dtype,
        length=len(series),
        categories=categories,
        digest=_digest(arrays),
        objects=tuple(_Objects.take(values) for values in objects),
        arrow=arrow,
    )
