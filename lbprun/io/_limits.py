"""Resource limits for files from outside: decompressed sizes, ratios, XML depth; codecs.

Every decompression lbprun does (gzip, bz2, xz and zstd files, zip archive members, xlsx parts)
goes through these functions, so a small file that inflates to gigabytes ends in a
:class:`~lbprun.exceptions.DataReadError` naming the file instead of exhausting memory.

The four stream codecs are recognised by their leading bytes (:func:`codec_of_head`), whatever
the file name says; a name ending in ``.gz``, ``.gzip``, ``.bz2``, ``.xz``, ``.zst`` or
``.zstd`` (any case) only names the format inside (:func:`strip_codec_suffix`). Decompression
is a stream (:func:`decompressed_blocks`, blocks of at most 1 MiB) that reads every gzip
member, bz2 and xz stream and zstd frame (frames without a content size too), counts the bytes
as they come and stops at the size limit, or at :data:`MAX_RATIO` times the compressed size
once past 16 MiB. A corrupt or truncated file raises a DataReadError naming the file and the
codec; zstd files are checked frame by frame and block by block before decompression, because
the zstd decoder ends silently at a cut.

>>> import gzip
>>> bounded_gunzip(gzip.compress(b"abc"), "a.gz")
b'abc'
>>> bounded_decompress(gzip.compress(b"ab") + gzip.compress(b"c"), "two-members.csv")
b'abc'
>>> bounded_gunzip(b"\\x00" * 8, "bad.gz")
Traceback (most recent call last):
...
lbprun.exceptions.DataReadError: bad.gz: not a readable gzip file (no gzip magic bytes).
>>> codec_of_head(b"\\x28\\xb5\\x2f\\xfd..."), strip_codec_suffix("Run.GPX.ZST")
('zstd', 'Run.GPX')
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO, Any

from lbprun.exceptions import DataReadError

__all__ = [
    "CODEC_MAGIC",
    "CODEC_SUFFIXES",
    "MAX_DECOMPRESSED_BYTES",
    "MAX_RATIO",
    "MAX_XML_BYTES",
    "MAX_XML_DEPTH",
    "bounded_decompress",
    "bounded_gunzip",
    "bounded_read",
    "check_zip_member",
    "codec_of_head",
    "codec_of_name",
    "decompressed_blocks",
    "read_zip_member",
    "strip_codec_suffix",
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

#: Leading bytes of the stream codecs lbprun decompresses.
CODEC_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bz2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}
#: File-name endings of the stream codecs (compared in lower case).
CODEC_SUFFIXES = {
    ".gz": "gzip",
    ".gzip": "gzip",
    ".bz2": "bz2",
    ".xz": "xz",
    ".zst": "zstd",
    ".zstd": "zstd",
}

_CHUNK = 1 << 20
#: What the standard-library decompressors raise on damaged input.
_CODEC_ERRORS = (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError, MemoryError)


def codec_of_head(head: bytes) -> str | None:
    """The codec of data starting with ``head`` (its first 6 bytes or more), or None.

    A zstd file may open with a skippable frame (magic ``0x184D2A5?``); it counts as zstd.

    >>> codec_of_head(b"BZh91AY"), codec_of_head(b"runner_id,")
    ('bz2', None)
    """
    for magic, kind in CODEC_MAGIC.items():
        if head.startswith(magic):
            return kind
    if len(head) >= 4 and head[1:4] == b"\x2a\x4d\x18" and head[0] & 0xF0 == 0x50:
        return "zstd"
    return None


def codec_of_name(name: str) -> str | None:
    """The codec a file name's last suffix names (``.gz``, ``.zst``...), or None.

    >>> codec_of_name("runs.CSV.GZ"), codec_of_name("runs.csv")
    ('gzip', None)
    """
    lower = str(name).lower()
    for suffix, kind in CODEC_SUFFIXES.items():
        if lower.endswith(suffix):
            return kind
    return None


def strip_codec_suffix(name: str) -> str:
    """``name`` without a codec suffix (``track.gpx.zst`` -> ``track.gpx``)."""
    text = str(name)
    lower = text.lower()
    for suffix in CODEC_SUFFIXES:
        if lower.endswith(suffix):
            return text[: -len(suffix)]
    return text


def _too_big(
    label: str, produced: int, compressed: int | None, limit: int, codec: str | None = None
) -> DataReadError:
    ratio = f", {produced / compressed:.0f} times its compressed size" if compressed else ""
    what = f"{codec} data " if codec else ""
    return DataReadError(
        f"{label}: {what}decompresses to more than {produced / 2**20:.0f} MiB{ratio}; lbprun "
        f"refuses compressed data above {limit / 2**20:.0f} MiB or {MAX_RATIO:.0f}:1 "
        "(a decompression bomb?)."
    )


def _zstd_damage(stream: IO[bytes], size: int) -> str | None:
    """Walk the frames and blocks of a zstd stream (headers only); describe a cut or a bad
    header, or return None when every frame is complete."""
    pos, frames = 0, 0

    def read(n: int) -> bytes:
        stream.seek(pos)
        return stream.read(n)

    while pos < size:
        head = read(4)
        if len(head) < 4:
            return f"{size - pos} stray byte(s) after frame {frames}"
        number = int.from_bytes(head, "little")
        if 0x184D2A50 <= number <= 0x184D2A5F:  # a skippable frame
            length = read(8)[4:]
            pos += 8 + int.from_bytes(length.ljust(4, b"\xff"), "little")
            if len(length) < 4 or pos > size:
                return f"skippable frame {frames + 1} is cut short"
            frames += 1
            continue
        if number != 0xFD2FB528:
            return f"bytes after frame {frames} are not a zstd frame"
        descriptor = read(5)[4:]
        if not descriptor:
            return f"frame {frames + 1} is cut short"
        flags = descriptor[0]
        single = flags >> 5 & 1
        header = 1 + (1 - single) + (0, 1, 2, 4)[flags & 3]
        header += ((1 if single else 0), 2, 4, 8)[flags >> 6]
        pos += 4 + header
        while True:
            block = read(3)
            if len(block) < 3:
                return f"frame {frames + 1} is cut short"
            value = int.from_bytes(block, "little")
            if value >> 1 & 3 == 3:
                return f"frame {frames + 1} has a block of reserved type"
            pos += 3 + (1 if value >> 1 & 3 == 1 else value >> 3)
            if pos > size:
                return f"frame {frames + 1} is cut short"
            if value & 1:
                break
        pos += 4 * (flags >> 2 & 1)  # content checksum
        if pos > size:
            return f"frame {frames + 1} is cut short"
        frames += 1
    return None


def _open_codec(stream: IO[bytes], codec: str, label: str, size: int) -> Any:
    """A decompressing reader over ``stream`` (seekable, at its start) for ``codec``."""
    if codec == "gzip":
        return gzip.GzipFile(fileobj=stream, mode="rb")
    if codec == "bz2":
        return bz2.BZ2File(stream, "rb")
    if codec == "xz":
        return lzma.LZMAFile(stream, "rb")
    try:
        import zstandard
    except ImportError:  # pragma: no cover - zstandard is a core dependency
        raise DataReadError(
            f"{label}: is zstd-compressed; reading it needs the zstandard module "
            "(or decompress it first)."
        ) from None
    damage = _zstd_damage(stream, size)
    if damage is not None:
        raise DataReadError(f"{label}: corrupt or truncated zstd data ({damage}).")
    stream.seek(0)
    return zstandard.ZstdDecompressor().stream_reader(
        stream, read_across_frames=True, closefd=False
    )


def decompressed_blocks(
    stream: IO[bytes],
    codec: str,
    label: str,
    *,
    compressed_size: int,
    limit: int | None = None,
) -> Iterator[bytes]:
    """Yield the decompressed bytes of a seekable ``stream`` in blocks of at most 1 MiB.

    Every gzip member, bz2 / xz stream and zstd frame is read. More than ``limit`` bytes
    (default :data:`MAX_DECOMPRESSED_BYTES`), or more than :data:`MAX_RATIO` times
    ``compressed_size`` once past 16 MiB, raises a DataReadError naming ``label``, the codec
    and the limit; so do corrupt and truncated data.
    """
    limit = MAX_DECOMPRESSED_BYTES if limit is None else limit
    errors: tuple[type[BaseException], ...] = _CODEC_ERRORS
    if codec == "zstd":
        import zstandard

        errors = (*_CODEC_ERRORS, zstandard.ZstdError)
    try:
        reader = _open_codec(stream, codec, label, compressed_size)
    except DataReadError:
        raise
    except errors as error:
        raise DataReadError(
            f"{label}: corrupt or truncated {codec} data ({_what(error)})."
        ) from None
    produced = 0
    with reader:
        while True:
            try:
                block = reader.read(_CHUNK)
            except errors as error:
                raise DataReadError(
                    f"{label}: corrupt or truncated {codec} data ({_what(error)})."
                ) from None
            if not block:
                return
            produced += len(block)
            if produced > limit or (
                produced > _RATIO_FLOOR and produced > MAX_RATIO * max(compressed_size, 1)
            ):
                raise _too_big(label, produced, compressed_size, limit, codec)
            yield block


def _what(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def bounded_decompress(
    raw: bytes, label: str, *, codec: str | None = None, limit: int | None = None
) -> bytes:
    """Decompress ``raw`` (codec from its leading bytes unless given) within the limits.

    Bytes without a codec's magic come back unchanged when ``codec`` is None.
    """
    codec = codec or codec_of_head(raw[:8])
    if codec is None:
        return raw
    blocks = decompressed_blocks(
        io.BytesIO(raw), codec, label, compressed_size=len(raw), limit=limit
    )
    return b"".join(blocks)


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


def bounded_gunzip(raw: bytes, label: str, *, limit: int | None = None) -> bytes:
    """Decompress gzip bytes within the size and ratio limits; errors name ``label``."""
    if codec_of_head(raw[:2]) != "gzip":
        raise DataReadError(f"{label}: not a readable gzip file (no gzip magic bytes).")
    try:
        return bounded_decompress(raw, label, codec="gzip", limit=limit)
    except DataReadError as error:
        text = str(error)
        if "corrupt or truncated gzip data" in text:
            cause = text.split("(", 1)[-1].rstrip(").")
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
