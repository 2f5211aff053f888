"""The layout of a delimited text file: records, their field counts and their first lines.

:func:`scan_layout` reads the bytes of a text file (in an ASCII-compatible encoding: UTF-8,
cp1252, latin-1) once, in blocks, with NumPy, and returns a :class:`Layout`: how many fields the
header and every record have, which records span several physical lines, which are blank. The
readers then parse the same file with pandas' C parser and use the layout to name the file line
of every row and to reject, instead of silently padding or shifting, every row whose field count
differs from the header's.

Records follow the C parser's rules: ``\\n``, ``\\r\\n`` and a bare ``\\r`` end a line; a field
that starts with ``"`` is quoted (delimiters and line ends inside it are data, ``""`` is a
quote). When quotes appear anywhere else (``5'10"`` in an unquoted field) the file is counted
again with Python's :mod:`csv` module, whose rules are the C parser's.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_bytes(b'a,b,c\\r1,"x\\ny",3\\r4,5\\r\\r6,7,8,\\r')
>>> layout = scan_layout(path, ",")
>>> layout.width, layout.n_records, layout.max_fields
(3, 5, 4)
>>> layout.lines(np.arange(5)).tolist()
[1, 2, 4, 5, 6]
>>> layout.odd_index.tolist(), layout.odd_count.tolist(), layout.blank_index.tolist()
([2, 4], [2, 4], [3])
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lbprun.exceptions import DataReadError

__all__ = ["Layout", "scan_layout"]

_BLOCK = 1 << 21
_LF, _CR, _QUOTE, _SPACE, _TAB = 10, 13, 34, 32, 9


@dataclass
class Layout:
    """Records of a delimited text file (record 0 is the header).

    Parameters
    ----------
    width : int
        Fields of the header record.
    n_records : int
        Records in the file, the header and blank lines included.
    max_fields : int
        The most fields of any record.
    multi_index, multi_extra : numpy.ndarray
        Records that span more than one line, and how many lines beyond their first.
    blank_index : numpy.ndarray
        Data records whose fields are all empty or blank.
    odd_index, odd_count, odd_last_empty : numpy.ndarray
        Non-blank data records whose field count differs from ``width``, their field counts,
        and whether their last field is empty (the line ends in the delimiter).
    n_data : int
        Non-blank data records.
    """

    width: int = 0
    n_records: int = 0
    max_fields: int = 0
    multi_index: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    multi_extra: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    blank_index: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    odd_index: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    odd_count: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    odd_last_empty: np.ndarray = field(default_factory=lambda: np.empty(0, bool))
    n_data: int = 0

    def lines(self, records: np.ndarray) -> np.ndarray:
        """The 1-based file line on which each record (0-based index) starts."""
        records = np.asarray(records, dtype=np.int64)
        if not len(self.multi_index):
            return records + 1
        before = np.concatenate(([0], np.cumsum(self.multi_extra)))
        k = np.searchsorted(self.multi_index, records, side="left")
        return records + 1 + before[k]

    @property
    def trailing_delimiter(self) -> bool:
        """Every non-blank data row has one field more than the header, and it is empty."""
        return (
            self.n_data > 0
            and len(self.odd_index) == self.n_data
            and bool(np.all(self.odd_count == self.width + 1))
            and bool(np.all(self.odd_last_empty))
        )


class _Untrusted(Exception):
    """Quotes that are not at field boundaries: count with the csv module instead."""


class _Collector:
    def __init__(self) -> None:
        self.width: int | None = None
        self.n = 0
        self.max_fields = 0
        self.n_data = 0
        self.parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("mi", "mx", "bi", "oi", "oc", "ol")
        }

    def add(self, fields: np.ndarray, nonblank: np.ndarray, extra: np.ndarray, last_empty):
        """Add consecutive records (arrays of equal length)."""
        if not len(fields):
            return
        index = np.arange(self.n, self.n + len(fields), dtype=np.int64)
        self.n += len(fields)
        if self.width is None:
            self.width = int(fields[0])
        self.max_fields = max(self.max_fields, int(fields.max()))
        multi = extra > 0
        if multi.any():
            self.parts["mi"].append(index[multi])
            self.parts["mx"].append(extra[multi].astype(np.int64))
        data = index > 0
        blank = (nonblank == 0) & data
        if blank.any():
            self.parts["bi"].append(index[blank])
        full = data & ~blank
        self.n_data += int(full.sum())
        odd = full & (fields != self.width)
        if odd.any():
            self.parts["oi"].append(index[odd])
            self.parts["oc"].append(fields[odd].astype(np.int64))
            self.parts["ol"].append(np.asarray(last_empty)[odd].astype(bool))

    def layout(self) -> Layout:
        def cat(key: str, dtype) -> np.ndarray:
            items = self.parts[key]
            return np.concatenate(items).astype(dtype) if items else np.empty(0, dtype)

        return Layout(
            width=self.width or 0,
            n_records=self.n,
            max_fields=self.max_fields,
            multi_index=cat("mi", np.int64),
            multi_extra=cat("mx", np.int64),
            blank_index=cat("bi", np.int64),
            odd_index=cat("oi", np.int64),
            odd_count=cat("oc", np.int64),
            odd_last_empty=cat("ol", bool),
            n_data=self.n_data,
        )


def scan_layout(
    path: Path, delimiter: str, *, offset: int = 0, encoding: str = "utf-8", name: str = ""
) -> Layout:
    """Count the records and fields of a delimited text file (see the module docstring).

    ``offset`` skips a byte-order mark; ``encoding`` is used only when the file is counted
    with the csv module. Raises DataReadError for a quoted value that is never closed.
    """
    try:
        return _scan_bytes(path, ord(delimiter), offset, name or str(path))
    except _Untrusted:
        return _scan_csv(path, delimiter, encoding, name or str(path))


def _scan_bytes(path: Path, d: int, offset: int, name: str) -> Layout:
    out = _Collector()
    parity = 0
    carry_fields = carry_nonblank = carry_lines = 0
    prev = np.array([_LF, _LF], dtype=np.uint8)  # start of file: as after a line end
    eof_sentinel = np.array([d], dtype=np.uint8)
    blank_table = np.ones(256, dtype=bool)
    blank_table[[d, _SPACE, _TAB, _CR, _LF, _QUOTE]] = False
    with open(path, "rb") as handle:
        handle.seek(offset)
        block = handle.read(_BLOCK)
        while block:
            following = handle.read(_BLOCK)
            a = np.frombuffer(block, dtype=np.uint8)
            look = np.frombuffer(following[:1], dtype=np.uint8) if following else eof_sentinel
            ext = np.concatenate([prev, a, look])
            n = len(a)
            prev_b, prev_2, next_b = ext[1 : n + 1], ext[0:n], ext[3 : n + 3]
            is_q = a == _QUOTE
            quoted = bool(is_q.any())
            if quoted:
                qcum = np.cumsum(is_q, dtype=np.int32)
                outside = ((qcum - is_q + parity) & 1) == 0
            else:  # no quote in the block: everything is outside or inside, as it started
                qcum = np.zeros(1, dtype=np.int32)
                outside = np.full(n, parity == 0)
            if quoted:
                where = np.flatnonzero(is_q)
                opens = outside[where]
                pb, nb = prev_b[where], next_b[where]
                bound = (_LF, _CR, _QUOTE, d)
                ok_open = np.isin(pb, bound)
                ok_close = np.isin(nb, bound)
                if not np.all(np.where(opens, ok_open, ok_close)):
                    raise _Untrusted
            is_lf = a == _LF
            breaks = a == _CR
            if breaks.any():
                breaks &= next_b != _LF
                breaks |= is_lf
            else:
                breaks = is_lf
            everywhere = not quoted and parity == 0  # no quote: every byte is outside
            ends = np.flatnonzero(breaks if everywhere else breaks & outside)
            delim = a == d
            if not everywhere:
                delim &= outside
            nonblank = blank_table[a]
            if len(ends):
                starts = ends + 1  # records end here; sums run over [previous end + 1, end]
                d_rec, d_tail = _segment_sums(delim, starts)
                n_rec, n_tail = _segment_sums(nonblank, starts)
                l_rec, l_tail = _segment_sums(breaks, starts)
                fields = d_rec + 1
                fields[0] += carry_fields
                blank = n_rec
                blank[0] += carry_nonblank
                extra = l_rec - 1
                extra[0] += carry_lines
                before = np.where(is_lf[ends] & (prev_b[ends] == _CR), prev_2[ends], prev_b[ends])
                out.add(fields, blank, extra, before == d)
                carry_fields, carry_nonblank, carry_lines = d_tail, n_tail, l_tail
            else:
                carry_fields += int(np.count_nonzero(delim))
                carry_nonblank += int(np.count_nonzero(nonblank))
                carry_lines += int(np.count_nonzero(breaks))
            parity = int((qcum[-1] + parity) & 1)
            last_end = ends[-1] if len(ends) else -1
            tail = n - 1 - last_end
            prev = ext[n : n + 2].copy()
            block = following
            if block == b"" and (tail > 0 or parity):
                if parity:
                    line = int(out.layout().lines(np.array([out.n]))[0])
                    raise DataReadError(
                        f"{name}: a quoted value starting on line {line} is never closed "
                        "(an unbalanced '\"')."
                    )
                last = int(prev[-1])
                out.add(
                    np.array([carry_fields + 1]),
                    np.array([carry_nonblank]),
                    np.array([carry_lines]),
                    np.array([last == d]),
                )
    return out.layout()


def _segment_sums(flags: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, int]:
    """Counts of True in ``[0, starts[0])``, ``[starts[0], starts[1])``, ... and after the last
    start (the tail), without a cumulative sum over the block (``starts`` increasing)."""
    n = len(flags)
    if starts[-1] >= n:  # the block ends on a record end: an empty tail
        sums = np.add.reduceat(flags, np.concatenate(([0], starts[:-1])), dtype=np.int64)
        return sums, 0
    sums = np.add.reduceat(flags, np.concatenate(([0], starts)), dtype=np.int64)
    return sums[:-1], int(sums[-1])


def _scan_csv(path: Path, delimiter: str, encoding: str, name: str) -> Layout:
    """Count records with the csv module (files with quotes inside unquoted fields)."""
    out = _Collector()
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    fields: list[int] = []
    nonblank: list[int] = []
    extra: list[int] = []
    last_empty: list[bool] = []
    try:
        with open(path, encoding=encoding, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=False)
            line = 0
            for row in reader:
                start, line = line + 1, reader.line_num
                fields.append(max(len(row), 1))
                nonblank.append(int(any(cell.strip() for cell in row)))
                extra.append(line - start)
                last_empty.append(bool(row) and len(row) > 1 and row[-1] == "")
                if len(fields) >= 100_000:
                    out.add(np.array(fields), np.array(nonblank), np.array(extra), last_empty)
                    fields, nonblank, extra, last_empty = [], [], [], []
    except (csv.Error, UnicodeDecodeError) as error:
        raise DataReadError(f"{name}: cannot be read ({type(error).__name__}: {error}).") from None
    finally:
        csv.field_size_limit(limit)
    out.add(np.array(fields, dtype=np.int64), np.array(nonblank), np.array(extra), last_empty)
    return out.layout()


def field_count_cases(
    rows: np.ndarray, bad_rows: np.ndarray, bad_counts: np.ndarray, expected: int
) -> tuple[np.ndarray, list[tuple[int, int, str]]]:
    """Rows (file lines) of a chunk whose field count differs from the header's.

    Returns a mask over ``rows`` and ``(position, count, message)`` for each hit.

    >>> field_count_cases(np.array([2, 3, 4]), np.array([3]), np.array([5]), 4)[1]
    [(1, 5, 'line 3 has 5 fields but the header has 4 (a delimiter inside an unquoted value, a missing field or a trailing delimiter?); the row is not read.')]
    """
    if not len(bad_rows):
        return np.zeros(len(rows), dtype=bool), []
    hit = np.isin(rows, bad_rows)
    out = []
    for pos in np.flatnonzero(hit):
        line = int(rows[pos])
        count = int(bad_counts[np.searchsorted(bad_rows, line)])
        out.append(
            (
                int(pos),
                count,
                f"line {line} has {count} fields but the header has {expected} (a delimiter "
                "inside an unquoted value, a missing field or a trailing delimiter?); the row "
                "is not read.",
            )
        )
    return hit, out
