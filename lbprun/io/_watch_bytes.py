"""Reading a watch file's bytes, compressed or not, within limits, with errors naming it.

A GPX, TCX or FIT file may come gzip-, bz2-, xz- or zstd-compressed (Strava bulk exports gzip
each activity file). The codec is recognised by the file's leading bytes, whatever its name
says (``run.gpx`` holding zstd data, ``run.fit.gz`` that is not compressed), and the data are
decompressed as a stream by :func:`lbprun.io._limits.decompressed_blocks`: a GPX or TCX document
may not inflate beyond :data:`~lbprun.io._limits.MAX_XML_BYTES`, any other file beyond
:data:`~lbprun.io._limits.MAX_DECOMPRESSED_BYTES` (or 200 times its compressed size past
16 MiB). Corrupt or truncated data raise a :class:`~lbprun.exceptions.DataReadError` naming
the file and the codec.

>>> import gzip
>>> unpack(gzip.compress(b"<gpx/>"), "run.gpx", "GPX")
(b'<gpx/>', 'gzip')
>>> unpack(b"<gpx/>", "run.gpx.gz", "GPX")
(b'<gpx/>', None)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lbprun.exceptions import DataReadError
from lbprun.io import _limits
from lbprun.io._limits import CODEC_SUFFIXES, codec_of_head, decompressed_blocks

__all__ = [
    "WATCH_FILE_SUFFIXES",
    "file_bytes",
    "gunzip",
    "unpack",
    "watch_kind_of_name",
    "with_codec",
]

#: Watch file names, plain or with a codec suffix (compared in lower case).
WATCH_FILE_SUFFIXES = tuple(
    base + codec for base in (".gpx", ".fit", ".tcx") for codec in ("", *CODEC_SUFFIXES)
)


def watch_kind_of_name(name: str) -> str | None:
    """``"gpx"``, ``"fit"`` or ``"tcx"`` from a file name, codec suffixes ignored; or None.

    >>> watch_kind_of_name("Morning.TCX.zst"), watch_kind_of_name("runs.csv.gz")
    ('tcx', None)
    """
    lower = _limits.strip_codec_suffix(str(name)).lower()
    for kind in ("gpx", "fit", "tcx"):
        if lower.endswith("." + kind):
            return kind
    return None


def _limit(kind: str) -> int:
    return _limits.MAX_XML_BYTES if kind in ("GPX", "TCX") else _limits.MAX_DECOMPRESSED_BYTES


def file_bytes(path: Path, label: str, kind: str) -> tuple[bytes, str | None]:
    """Return the decompressed bytes of ``path`` and its codec (None when not compressed).

    The file is decompressed as it is read, never held compressed in memory. Raises
    :class:`DataReadError` naming ``label`` and the ``kind`` of file (``"GPX"``, ``"TCX"``,
    ``"FIT"``) when unreadable, corrupt or larger than lbprun reads.
    """
    limit = _limit(kind)
    try:
        with path.open("rb") as handle:
            size = path.stat().st_size
            codec = codec_of_head(handle.read(8))
            if codec is None:
                if size > limit:
                    raise DataReadError(
                        f"{label}: the {kind} file ({size / 2**20:.0f} MiB) is larger than "
                        f"lbprun reads ({limit / 2**20:.0f} MiB)."
                    )
                handle.seek(0)
                return handle.read(), None
            handle.seek(0)
            blocks = decompressed_blocks(
                handle, codec, label, compressed_size=max(size, 1), limit=limit
            )
            return b"".join(blocks), codec
    except (OSError, ValueError) as error:
        if isinstance(error, DataReadError):
            raise
        raise DataReadError(f"{label}: cannot read the {kind} file ({error}).") from None


def unpack(raw: bytes, label: str, kind: str) -> tuple[bytes, str | None]:
    """Decompress watch-file bytes by their leading bytes, within the limits of ``kind``.

    Returns the bytes (unchanged when they are not compressed) and the codec, or None.
    """
    codec = codec_of_head(raw[:8])
    if codec is None:
        return raw, None
    return _limits.bounded_decompress(raw, label, codec=codec, limit=_limit(kind)), codec


def gunzip(raw: bytes, label: str, *, xml: bool = False) -> bytes:
    """Decompress gzip bytes within the limits; raise :class:`DataReadError` naming ``label``.

    ``xml=True`` applies the XML document limit (``MAX_XML_BYTES``).
    """
    return _limits.bounded_gunzip(raw, label, limit=_limit("GPX" if xml else "FIT"))


def with_codec(records: list[dict[str, Any]], codec: str | None) -> list[dict[str, Any]]:
    """Mark the first record of a compressed file with its codec (``"codec"``)."""
    if codec is not None and records:
        records[0]["codec"] = codec
    return records


def codec_notes(records: list[dict[str, Any]], label: str | None = None) -> list[str]:
    """Take the ``"codec"`` marks off ``records``; one note per codec.

    ``label`` names the file when a single file was read; otherwise files are counted.

    >>> codec_notes([{"codec": "gzip"}, {}, {"codec": "gzip"}, {"codec": "zstd"}])
    ['2 file(s) read through gzip decompression.', '1 file(s) read through zstd decompression.']
    """
    counts: dict[str, int] = {}
    for record in records:
        codec = record.pop("codec", None)
        if codec is not None:
            counts[codec] = counts.get(codec, 0) + 1
    if label is not None:
        return [f"{label}: read through {codec} decompression." for codec in sorted(counts)]
    return [
        f"{n} file(s) read through {codec} decompression." for codec, n in sorted(counts.items())
    ]


def peek(path: Path, head: bytes, size: int = 65536) -> bytes:
    """The first ``size`` bytes of ``path`` once decompressed (``head``: its first bytes).

    Returns ``head`` itself when it is not compressed; damaged data raise DataReadError.
    """
    codec = codec_of_head(head[:8])
    if codec is None:
        return head
    label = str(path)
    out = b""
    try:
        with path.open("rb") as handle:
            total = max(path.stat().st_size, 1)
            blocks = decompressed_blocks(handle, codec, label, compressed_size=total)
            for block in blocks:
                out += block
                if len(out) >= size:
                    break
            blocks.close()
    except DataReadError:
        raise
    except OSError as error:
        raise DataReadError(f"{label}: cannot be read ({error}).") from None
    return out[:size]
