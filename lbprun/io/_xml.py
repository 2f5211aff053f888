"""Parse the XML of watch files (GPX, TCX) in one linear pass, within limits.

:func:`parse_xml` builds an :mod:`xml.etree.ElementTree` tree with the Expat parser, in a single
call over the whole document (linear in its size: no re-parsing of long tokens), and refuses,
with a :class:`~lbprun.exceptions.DataReadError` naming the file:

- documents larger than :data:`~lbprun.io._limits.MAX_XML_BYTES`;
- elements nested deeper than :data:`~lbprun.io._limits.MAX_XML_DEPTH` (checked as each element
  opens, so a deeply nested file never builds a deep tree);
- more than :data:`MAX_NAMESPACES` distinct namespace URIs (real files use a handful; Expat's
  cost grows faster than the file with each new one);
- any entity declaration (``<!ENTITY ...>``): no GPX or TCX file needs one, and refusing them
  stops external entities (local files, URLs) and entity expansion ("billion laughs") before
  anything is expanded. External DTDs are never fetched.

The declared encoding is honoured (UTF-8, UTF-16, ISO-8859-1, US-ASCII natively, and the
single-byte codecs Python knows, such as windows-1252).

>>> root = parse_xml(b'<?xml version="1.0" encoding="ISO-8859-1"?><a n="\\xe9"/>', "x.gpx")
>>> root.tag, root.get("n")
('a', 'é')
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from xml.parsers import expat

from lbprun.exceptions import DataReadError
from lbprun.io._limits import MAX_XML_BYTES, MAX_XML_DEPTH

__all__ = ["MAX_NAMESPACES", "local_name", "parse_xml"]

#: Most distinct namespace URIs accepted in one document.
MAX_NAMESPACES = 256


class _Refused(Exception):
    """Raised inside an Expat handler to stop parsing."""


def local_name(element: Any) -> str:
    """The tag of ``element`` without its namespace (``{uri}trkpt`` -> ``trkpt``)."""
    return str(element.tag).rsplit("}", 1)[-1]


def _name(raw: str) -> str:
    return "{" + raw if "}" in raw else raw


def parse_xml(raw: bytes, label: str, kind: str = "XML") -> ET.Element:
    """Parse ``raw`` into an element tree; errors are DataReadError naming ``label``.

    Parameters
    ----------
    raw : bytes
        The document (already decompressed).
    label : str
        Names the file in error messages.
    kind : str, default="XML"
        The format, for messages (``"GPX"``, ``"TCX"``).

    Returns
    -------
    xml.etree.ElementTree.Element
        The root element; namespaced tags read ``{uri}local``.

    Raises
    ------
    DataReadError
        A malformed or truncated document, one over the size or depth limits, or one that
        declares entities.
    """
    if len(raw) > MAX_XML_BYTES:
        raise DataReadError(
            f"{label}: {kind} file of {len(raw) / 2**20:.0f} MiB is larger than lbprun reads "
            f"({MAX_XML_BYTES / 2**20:.0f} MiB)."
        )
    if raw[:1] in (b" ", b"\t", b"\r", b"\n"):
        raw = raw.lstrip(b" \t\r\n")  # blank lines before the XML declaration
    builder = ET.TreeBuilder()
    depth = 0

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise _Refused(f"elements nested deeper than {MAX_XML_DEPTH} levels")
        builder.start(_name(tag), {_name(k): v for k, v in attrs.items()})

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(_name(tag))

    uris: set[str] = set()

    def namespace(prefix: str | None, uri: str | None) -> None:
        uris.add(uri or "")
        if len(uris) > MAX_NAMESPACES:
            raise _Refused(f"more than {MAX_NAMESPACES} distinct XML namespaces")

    def entity(*_: Any) -> None:
        raise _Refused("the document declares entities (<!ENTITY>), which lbprun never expands")

    try:
        parser = expat.ParserCreate(namespace_separator="}")
    except (ValueError, TypeError) as error:  # pragma: no cover - Expat is always there
        raise DataReadError(f"{label}: cannot parse {kind} ({error}).") from None
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.StartNamespaceDeclHandler = namespace
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        parser.Parse(raw, True)
        root = builder.close()
    except _Refused as error:
        raise DataReadError(f"{label}: refused {kind} file: {error}.") from None
    except (
        expat.ExpatError,
        ValueError,
        LookupError,
        TypeError,
        AssertionError,
        RecursionError,
        UnicodeError,
    ) as error:
        raise DataReadError(f"{label}: malformed or truncated {kind} file ({error}).") from None
    if not isinstance(root, ET.Element):  # pragma: no cover - Expat refuses empty documents
        raise DataReadError(f"{label}: empty {kind} file.")
    return root
