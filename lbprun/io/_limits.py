"""Resource limits for files from outside: decompressed sizes, ratios, XML depth.

Every decompression lbprun does (gzip files, zip archive members, xlsx parts) goes through
these helpers, so a small file that inflates to gigabytes ends in a
:class:`~lbprun.exceptions.DataReadError` naming the file instead of exhausting memory.

>>> import gzip
>>> bounded_gunzip(gzip.compress(b"abc"), "a.gz")
b'abc'
>>> bounded_gunzip(b"\\x00" * 8, "bad.gz")
Traceback (most recent call last):
...
lbprun.exceptions.DataReadError: bad.gz: not a readable gzip file (Not a gzipped file (b'\\x00\\x00')).
"""

from __future__ import annotations

import zipfile
import zlib
from typing import IO

from lbprun.exceptions import DataReadError

__all__ = [
    "MAX_DECOMPRESSED_BYTES",
    "MAX_RATIO",
    "MAX_XML_BYTES",
    "MAX_XML_DEPTH",
    "bounded_gunzip",
    "bounded_read",
    "check_zip_member",
    "read_zip_member",
]

#: Largest size one decompressed file or archive member may have (2 GiB).
MAX_DECOMPRESSED_BYTES = 2 * 2**30
#: Largest compression ratio accepted for members above :data:`_RATIO_FLOOR` bytes.
MAX_RATIO = 200.0
#: Members smaller than this are never refused for their ratio (a column of zeros compresses well).
_RATIO_FLOOR = 16 * 2**20
#: Largest GPX / TCX document, after decompression (256 MiB).
MAX_XML_BYTES = 256 * 2**20
#: Deepest element nesting accepted in a GPX / TCX document.
MAX_XML_DEPTH = 64

_CHUNK = 1 << 20


def _too_big(label: str, produced: int, compressed: int | None, limit: int) -> DataReadError:
    ratio = f", {produced / compressed:.0f} times its compressed size" if compressed else ""
    return DataReadError(
        f"{label}: decompresses to more than {produced / 2**20:.0f} MiB{ratio}; lbprun refuses "
        f"compressed data above {limit / 2**20:.0f} MiB or {MAX_RATIO:.0f}:1 (a decompression bomb?)."
    )


def bounded_read(
    stream: IO[bytes],
    label: str,
    *,
    compressed_size: int | None = None,
    limit: int = MAX_DECOMPRESSED_BYTES,
) -> bytes:
    """Read a decompressing ``stream`` to its end, refusing more than ``limit`` bytes.

    The ratio to ``compressed_size`` (when given) is checked as the bytes arrive, so a bomb
    stops after at most ``_RATIO_FLOOR`` bytes beyond the allowed ratio.
    """
    parts: list[bytes] = []
    produced = 0
    while True:
        try:
            chunk = stream.read(_CHUNK)
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile, ValueError) as error:
            raise DataReadError(f"{label}: corrupt compressed data ({error}).") from None
        if not chunk:
            return b"".join(parts)
        produced += len(chunk)
        over_ratio = (
            compressed_size is not None
            and produced > _RATIO_FLOOR
            and produced > MAX_RATIO * max(compressed_size, 1)
        )
        if produced > limit or over_ratio:
            raise _too_big(label, produced, compressed_size, limit)
        parts.append(chunk)


def bounded_gunzip(raw: bytes, label: str, *, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Decompress gzip bytes within the size and ratio limits; errors name ``label``."""
    import gzip
    import io

    try:
        stream = gzip.GzipFile(fileobj=io.BytesIO(raw))
        first = stream.peek(1) if hasattr(stream, "peek") else b""
    except (OSError, EOFError, zlib.error) as error:
        raise DataReadError(f"{label}: not a readable gzip file ({error}).") from None
    del first
    try:
        return bounded_read(stream, label, compressed_size=len(raw), limit=limit)
    except DataReadError as error:
        if "corrupt compressed data" in str(error):
            cause = str(error).split("(", 1)[-1].rstrip(").")
            raise DataReadError(f"{label}: not a readable gzip file ({cause}).") from None
        raise


def check_zip_member(
    info: zipfile.ZipInfo, label: str, *, limit: int = MAX_DECOMPRESSED_BYTES
) -> None:
    """Refuse a zip member whose declared size or ratio is beyond the limits."""
    if info.file_size > limit or (
        info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1)
    ):
        raise _too_big(
            f"{label} (member {info.filename})", info.file_size, info.compress_size, limit
        )


def read_zip_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    label: str,
    *,
    limit: int = MAX_DECOMPRESSED_BYTES,
) -> bytes:
    """Read one member of an open archive within the limits (declared and actual sizes)."""
    check_zip_member(info, label, limit=limit)
    where = f"{label} (member {info.filename})"
    try:
        with archive.open(info) as stream:
            return bounded_read(stream, where, compressed_size=info.compress_size, limit=limit)
    except (
        OSError,
        EOFError,
        zlib.error,
        zipfile.BadZipFile,
        ValueError,
        RuntimeError,
        NotImplementedError,
        KeyError,
    ) as error:
        raise DataReadError(
            f"{where}: cannot be read ({type(error).__name__}: {error})."
        ) from None
