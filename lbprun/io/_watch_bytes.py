"""Reading a watch file's bytes, gzip-compressed or not, within limits, with errors naming it.

Decompression goes through :func:`lbprun.io._limits.bounded_gunzip`: a GPX or TCX document may
not inflate beyond :data:`~lbprun.io._limits.MAX_XML_BYTES`, any other file beyond
:data:`~lbprun.io._limits.MAX_DECOMPRESSED_BYTES`.
"""

from __future__ import annotations

from pathlib import Path

from lbprun.exceptions import DataReadError
from lbprun.io._limits import MAX_DECOMPRESSED_BYTES, MAX_XML_BYTES, bounded_gunzip

__all__ = ["file_bytes", "gunzip"]


def file_bytes(path: Path, label: str, kind: str) -> tuple[bytes, bool]:
    """Return the bytes of ``path`` and whether it is gzip-compressed (``.gz``).

    Raises :class:`DataReadError` naming ``label`` and the ``kind`` of file when unreadable
    or larger than lbprun reads.
    """
    limit = MAX_XML_BYTES if kind in ("GPX", "TCX") else MAX_DECOMPRESSED_BYTES
    try:
        size = path.stat().st_size
        if size > limit:
            raise DataReadError(
                f"{label}: the {kind} file ({size / 2**20:.0f} MiB) is larger than lbprun "
                f"reads ({limit / 2**20:.0f} MiB)."
            )
        raw = path.read_bytes()
    except (OSError, ValueError) as error:
        raise DataReadError(f"{label}: cannot read the {kind} file ({error}).") from None
    return raw, path.name.lower().endswith(".gz")


def gunzip(raw: bytes, label: str, *, xml: bool = False) -> bytes:
    """Decompress gzip bytes within the limits; raise :class:`DataReadError` naming ``label``.

    ``xml=True`` applies the XML document limit (``MAX_XML_BYTES``).
    """
    return bounded_gunzip(raw, label, limit=MAX_XML_BYTES if xml else MAX_DECOMPRESSED_BYTES)
