"""Open a delimited text file (CSV, TSV, TXT), plain or compressed, as a table source.

The encoding (UTF-8, UTF-8/UTF-16/UTF-32 with a byte-order mark, UTF-16 without one recognised
by its NUL bytes, else cp1252/latin-1 with a note), the delimiter (``,`` ``;`` tab ``|``) and a
decimal comma are detected. gzip, bz2, xz and zstd files, recognised by their leading bytes
whatever their name says, are decompressed as a stream into a temporary file, within the limits
of :mod:`lbprun.io._limits`, so a small file that inflates to gigabytes is refused; a file whose
name ends in a codec suffix but that is not compressed is read as it is, with a note. A
compressed workbook, Parquet, Stata or SPSS file (``runs.parquet.gz``, or decompressed content
starting with ``PK`` or ``PAR1``) is read through the codec by the reader of its format. The layout of
the file (:mod:`lbprun.io._scan`) is counted before pandas parses it, so every row whose field
count differs from the header's is rejected and named by its line.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_bytes(b"runner_id;bmi\\r\\nR1;22,5\\r\\nR2;23,1;x\\r\\n")
>>> src = open_text(path, str(path), 1000)
>>> src.columns, src.decimal, src.bad_rows.tolist(), src.bad_counts.tolist()
(['runner_id', 'bmi'], ',', [3], [3])
>>> [(frame.values.tolist(), rows.tolist()) for frame, rows in src.chunks()]
[([['R1', '22,5'], ['R2', '23,1']], [2, 3])]
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import tempfile
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from lbprun.exceptions import DataReadError
from lbprun.io._formats import Chunk, TableSource, describe
from lbprun.io._limits import (
    CODEC_MAGIC,
    codec_of_head,
    codec_of_name,
    decompressed_blocks,
    strip_codec_suffix,
)
from lbprun.io._scan import scan_layout

__all__ = ["COMPRESSION_MAGIC", "compression_of", "open_text"]

_DELIMITERS = (",", ";", "\t", "|")
_BLOCK = 1 << 22
_SAMPLE = 1 << 16
_MAX_SAMPLE = 1 << 22

#: Leading bytes of the compressed formats read as text (see :mod:`lbprun.io._limits`).
COMPRESSION_MAGIC = CODEC_MAGIC
#: Binary formats read through a codec: name suffix -> format.
_BINARY_SUFFIXES = {
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "parquet", ".pq": "parquet", ".dta": "dta",
    ".sav": "sav", ".zsav": "sav",
}  # fmt: skip


class _Spill:
    """A temporary file holding decompressed or re-encoded text; removed when unused."""

    def __init__(self) -> None:
        handle, name = tempfile.mkstemp(prefix="lbprun-", suffix=".txt")
        os.close(handle)
        self.path = Path(name)
        self._finalizer = weakref.finalize(self, _unlink, name)

    def rename(self, suffix: str) -> None:
        """Give the file another suffix (readers such as openpyxl look at it)."""
        target = self.path.with_suffix(suffix)
        os.replace(self.path, target)
        self._finalizer.detach()
        self.path = target
        self._finalizer = weakref.finalize(self, _unlink, str(target))


def _unlink(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:  # pragma: no cover - already gone
        pass


def compression_of(path: Path) -> str | None:
    """The compressed format of a file from its leading bytes, or None."""
    with path.open("rb") as handle:
        return codec_of_head(handle.read(8))


def _decompress(path: Path, name: str, kind: str) -> _Spill:
    """Decompress ``path`` into a temporary file within the size and ratio limits."""
    spill = _Spill()
    produced = 0
    with path.open("rb") as source, spill.path.open("wb") as out:
        size = max(os.fstat(source.fileno()).st_size, 1)
        for block in decompressed_blocks(source, kind, name, compressed_size=size):
            produced += len(block)
            out.write(block)
    if produced == 0:
        raise DataReadError(f"{name}: the file is empty once decompressed ({kind}).")
    return spill


def _binary_format(path: Path, name: str) -> str | None:
    """The binary table format of decompressed content (by its bytes, else by its name)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    inner = Path(strip_codec_suffix(name)).suffix.lower()
    if inner == ".xls":
        raise DataReadError(f"{name}: old .xls workbooks are not supported; save it as .xlsx.")
    return _BINARY_SUFFIXES.get(inner)


def _open_binary(
    path: Path,
    name: str,
    fmt: str,
    sheet: str | int | None,
    chunk_rows: int,
    spills: list[_Spill],
    note: str,
) -> TableSource:
    """Open decompressed binary content with its format's reader; the spill lives as long."""
    from lbprun.io import _formats

    if fmt == "xlsx":
        from lbprun.io._excel import open_excel

        source = open_excel(path, name, sheet)
    elif fmt == "parquet":
        source = _formats._open_parquet(path, name, chunk_rows)
    else:
        reader = _formats._read_dta if fmt == "dta" else _formats._read_sav
        source = _formats._open_whole(path, name, fmt, reader)
    source.notes.insert(0, note)
    chunks, subset = source.read_chunks, source.read_subset

    def read_chunks() -> Iterator[Chunk]:
        keep_alive = spills  # the temporary file lives while the file is read
        yield from chunks()
        del keep_alive

    def read_subset(positions: list[int]) -> Iterator[pd.DataFrame]:
        keep_alive = spills
        yield from subset(positions)  # type: ignore[misc]
        del keep_alive

    source.read_chunks = read_chunks
    source.read_subset = None if subset is None else read_subset
    return source


def _utf16_without_bom(path: Path) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` when the NUL bytes say so (ASCII-heavy UTF-16 text)."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    head = head[: len(head) // 2 * 2]
    if len(head) < 4:
        return None
    sample = np.frombuffer(head, dtype=np.uint8)
    zero_even = float(np.mean(sample[0::2] == 0))
    zero_odd = float(np.mean(sample[1::2] == 0))
    if zero_odd > 0.6 and zero_even < 0.1:
        return "utf-16-le"
    if zero_even > 0.6 and zero_odd < 0.1:
        return "utf-16-be"
    return None


def _transcode(path: Path, name: str, encoding: str) -> _Spill:
    """Re-encode a UTF-16/32 file as UTF-8 into a temporary file (streamed)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    spill = _Spill()
    with path.open("rb") as source, spill.path.open("wb") as out:
        try:
            while block := source.read(_BLOCK):
                out.write(decoder.decode(block).encode("utf-8"))
            out.write(decoder.decode(b"", final=True).encode("utf-8"))
        except UnicodeDecodeError as error:
            raise DataReadError(
                f"{name}: is not valid {encoding.upper()} text ({error.reason} near byte "
                f"{error.start})."
            ) from None
    return spill


def _detect_encoding(path: Path, name: str) -> tuple[str, list[str]]:
    with path.open("rb") as handle:
        head = handle.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", []
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32", []
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", []
    utf16 = _utf16_without_bom(path)
    if utf16 is not None:
        return utf16, [f"{name}: read as {utf16.upper()} text without a byte-order mark."]
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            if b"\x00" in block:
                raise DataReadError(
                    f"{name}: binary content (NUL bytes), not a text table; is the file "
                    "extension right?"
                )
            try:
                decoder.decode(block)
            except UnicodeDecodeError as error:
                where = offset + error.start
                bad = block[error.start : error.start + 1].hex()
                for encoding in ("cp1252", "latin-1"):
                    if not _decodes(path, encoding):
                        continue
                    return encoding, [
                        f"{name} is not valid UTF-8 (byte 0x{bad} at offset {where}); "
                        f"read as {encoding}: check accented text."
                    ]
            offset += len(block)
    return "utf-8", []


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as handle:
        try:
            for block in iter(lambda: handle.read(_BLOCK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _split(lines: list[str], delimiter: str) -> list[list[str]]:
    """Lines split into fields (csv rules; a plain split where the csv module gives up)."""
    try:
        return list(csv.reader(lines, delimiter=delimiter, strict=False))
    except csv.Error:
        return [line.split(delimiter) for line in lines]


def sniff(sample: str) -> tuple[str, str]:
    """Return the delimiter and decimal mark of a text sample.

    >>> sniff("a;b\\n1,5;2\\n")
    (';', ',')
    """
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may be cut by the sample
    best, best_score = ",", (-1, -1)
    for delimiter in _DELIMITERS:
        counts = [len(row) - 1 for row in _split(lines, delimiter)]
        if not counts or counts[0] == 0:
            continue
        consistent = sum(c == counts[0] for c in counts)
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    decimal = "."
    if best != ",":
        cells = [c.strip() for row in _split(lines[1:], best) for c in row]
        comma = sum(re.fullmatch(r"[+-]?\d+,\d+", c) is not None for c in cells)
        dot = sum(re.fullmatch(r"[+-]?\d+\.\d+", c) is not None for c in cells)
        if comma and comma >= dot:
            decimal = ","
    return best, decimal


def _sample(path: Path, encoding: str) -> str:
    """The first 64 KB of text, extended (up to 4 MB) until it holds three lines."""
    with path.open("r", encoding=encoding, newline="") as handle:
        sample = handle.read(_SAMPLE)
        while len(sample) < _MAX_SAMPLE and len(re.findall(r"\r\n?|\n", sample)) < 3:
            more = handle.read(_SAMPLE)
            if not more:
                break
            sample += more
    return sample


def open_text(
    path: Path, name: str, chunk_rows: int, *, sheet: str | int | None = None
) -> TableSource:
    """Open a plain or compressed delimited text file (see the module docstring).

    ``sheet`` selects the sheet of a compressed workbook.
    """
    spills: list[_Spill] = []
    kind = compression_of(path)
    notes: list[str] = []
    if kind is not None:
        spill = _decompress(path, name, kind)
        spills.append(spill)
        path = spill.path
        notes.append(f"{name}: read through {kind} decompression.")
        if codec_of_name(name) not in (None, kind):
            notes.append(f"{name}: named as {codec_of_name(name)} but holds {kind} data.")
        fmt = _binary_format(path, name)
        if fmt is not None:
            spill.rename(".xlsx" if fmt == "xlsx" else ".bin")
            return _open_binary(spill.path, name, fmt, sheet, chunk_rows, spills, notes[0])
    elif codec_of_name(name) is not None:
        notes.append(
            f"{name}: named as {codec_of_name(name)}-compressed but it is not compressed; "
            "read as it is."
        )
    encoding, found = _detect_encoding(path, name)
    notes += found
    if encoding.startswith(("utf-16", "utf-32")):
        spill = _transcode(path, name, encoding)
        spills.append(spill)
        path, encoding = spill.path, "utf-8"
    try:
        sample = _sample(path, encoding)
    except UnicodeDecodeError as error:  # pragma: no cover - checked above
        raise DataReadError(f"{name}: cannot be decoded ({error.reason}).") from None
    if not sample.strip():
        raise DataReadError(f"{name}: the file is empty (no header, no rows).")
    delimiter, decimal = sniff(sample)
    if delimiter != ",":
        label = {"\t": "tab", ";": "';'", "|": "'|'"}[delimiter]
        decimal_note = " and decimal comma" if decimal == "," else ""
        notes.append(f"{name}: read with {label} as the delimiter{decimal_note}.")
    offset = 3 if encoding == "utf-8-sig" else 0
    layout = scan_layout(path, delimiter, offset=offset, encoding=encoding, name=name)
    width = layout.width
    options = dict(
        sep=delimiter,
        encoding=encoding,
        header=None,
        names=list(range(width)),
        usecols=list(range(width)),
        index_col=False,
        dtype=str,
        na_filter=False,
        keep_default_na=False,
        skip_blank_lines=False,
        engine="c",
        compression=None,  # decompressed above, by content; a ".gz" name alone means nothing
    )
    try:
        head = pd.read_csv(path, nrows=1, **options)
    except Exception as error:
        raise DataReadError(f"{name}: cannot be read ({describe(error)}).") from None
    columns = [str(c).strip() for c in head.iloc[0].tolist()] if len(head) else []
    if not any(columns):
        raise DataReadError(f"{name}: the header line is empty.")
    if layout.n_data == 0:
        raise DataReadError(f"{name}: the file has a header but no data rows.")
    bad = np.ones(len(layout.odd_index), dtype=bool)
    if layout.trailing_delimiter:
        bad[:] = False
        notes.append(
            f"{name}: every data row ends in a delimiter that the header does not have; "
            "the empty last field is ignored."
        )
    blank = layout.blank_index

    def read_chunks() -> Iterator[Chunk]:
        keep_alive = spills  # the temporary files live while the file is read
        record = 0
        with pd.read_csv(path, chunksize=chunk_rows, **options) as reader:
            for chunk in reader:
                records = np.arange(record, record + len(chunk), dtype=np.int64)
                record += len(chunk)
                keep = records > 0
                if len(blank):
                    keep &= ~np.isin(records, blank)
                if not keep.all():
                    chunk, records = chunk.loc[keep], records[keep]
                chunk.columns = columns
                yield chunk.reset_index(drop=True), layout.lines(records)
        del keep_alive
        if record != layout.n_records:
            raise DataReadError(
                f"{name}: cannot be read consistently ({record} records parsed, "
                f"{layout.n_records} counted); are its quotes balanced?"
            )

    def read_subset(positions: list[int]) -> Iterator[pd.DataFrame]:
        keep_alive = spills
        first = True
        subset = {**options, "usecols": positions}
        with pd.read_csv(path, chunksize=chunk_rows, **subset) as reader:
            for chunk in reader:
                yield chunk.iloc[1:] if first else chunk
                first = False
        del keep_alive

    source = TableSource(
        name, "csv", "line", columns, read_chunks, decimal, notes, read_subset=read_subset
    )
    source.bad_rows = layout.lines(layout.odd_index[bad])
    source.bad_counts = layout.odd_count[bad]
    source.expected_fields = width
    source.total_rows = layout.n_data
    return source
