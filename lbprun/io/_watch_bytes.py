"""Reading a watch file's bytes, gzip-compressed or not, with errors that name the file."""

from __future__ import annotations

import gzip
from pathlib import Path

from lbprun.exceptions import DataReadError

__all__ = ["file_bytes", "gunzip"]


def file_bytes(path: Path, label: str, kind: str) -> tuple[bytes, bool]:
    """Return the bytes of ``path`` and whether it is gzip-compressed (``.gz``).

    Raises :class:`DataReadError` naming ``label`` and the ``kind`` of file when unreadable.
    """
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise DataReadError(f"{label}: cannot read the {kind} file ({error}).") from None
    return raw, path.name.lower().endswith(".gz")


def gunzip(raw: bytes, label: str) -> bytes:
    """Decompress gzip bytes; raise :class:`DataReadError` naming ``label`` when corrupt."""
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as error:
        raise DataReadError(f"{label}: not a readable gzip file ({error}).") from None
