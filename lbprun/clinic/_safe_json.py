"""Reading untrusted JSON model files safely, and their canonical form (internal).

Reading never executes anything: the bytes are size-checked before they are read, decoded as
strict UTF-8, depth-checked, parsed by :func:`json.loads` (no NaN, Infinity, overflowing
numbers or duplicate keys) and scanned for keys and values that other serialisers use to
rebuild objects (``__reduce__``, ``py/object``, ``!!python/object``). Every problem raises
:class:`~lbprun.exceptions.ModelFileError` naming the file.

Examples
--------
>>> canonical({"b": 0.1, "a": [1, 2.5]})
'{"a":[1,2.5],"b":0.1}'
>>> parse_text('{"a": NaN}', "m.json")
Traceback (most recent call last):
...
lbprun.exceptions.ModelFileError: model file m.json must be valid JSON without NaN or Infinity; got NaN.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from lbprun.exceptions import ModelFileError

__all__ = [
    "MAX_ARRAY",
    "MAX_BYTES",
    "MAX_DEPTH",
    "canonical",
    "checksum",
    "parse_text",
    "read_text",
    "scan",
]

#: Largest model file read, in bytes (5 MB).
MAX_BYTES = 5_000_000
#: Deepest nesting of arrays and objects allowed.
MAX_DEPTH = 32
#: Longest array or object allowed.
MAX_ARRAY = 100_000

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
#: Keys and string values that object-rebuilding serialisers (pickle-like JSON, jsonpickle,
#: YAML tags, .NET / Java type hints) use; a model file never holds them.
_SMUGGLING = re.compile(r"^(__|py/|!!|@class$|\$type$)", re.IGNORECASE)


def canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 text, floats written by ``repr``."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def checksum(document: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``document`` without its ``checksum`` entry."""
    content = {k: v for k, v in document.items() if k != "checksum"}
    return hashlib.sha256(canonical(content).encode("utf-8")).hexdigest()


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """Read ``path`` as strict UTF-8 text, refusing files over ``max_bytes`` unread."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise ModelFileError(f"model file {path} must exist; got no such file.") from None
    except OSError as exc:
        raise ModelFileError(f"model file {path} must be readable; got {exc}.") from None
    if not path.is_file():
        raise ModelFileError(f"model file {path} must be a regular file; got something else.")
    if size > max_bytes:
        raise ModelFileError(
            f"model file {path} must be at most {max_bytes:,} bytes; got {size:,} bytes "
            "(not read)."
        )
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ModelFileError(f"model file {path} must be at most {max_bytes:,} bytes.")
    if not data.strip():
        raise ModelFileError(f"model file {path} must hold a JSON document; got an empty file.")
    depth = _depth(data)
    if depth > MAX_DEPTH:
        raise ModelFileError(
            f"model file {path} must nest at most {MAX_DEPTH} levels; got {depth}."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        raise ModelFileError(f"model file {path} must be UTF-8 without a byte-order mark.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"model file {path} must be UTF-8 JSON text; got undecodable bytes at byte "
            f"{exc.start} (a pickle or other binary file?)."
        ) from None


def _depth(data: bytes) -> int:
    """Deepest bracket nesting outside JSON strings (vectorised; no parsing)."""
    stripped = _STRING.sub(b'""', data)
    codes = np.frombuffer(stripped, dtype=np.uint8)
    step = (np.isin(codes, (ord("["), ord("{")))).astype(np.int64)
    step -= np.isin(codes, (ord("]"), ord("}"))).astype(np.int64)
    return int(np.cumsum(step).max(initial=0))


def _no_constant(name: str) -> Any:
    raise ValueError(f"JSON must not hold {name}")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text} overflows a double")
    return value


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def parse_text(text: str, name: str) -> Any:
    """Parse ``text`` with :func:`json.loads`, refusing NaN, Infinity and duplicate keys."""
    try:
        return json.loads(
            text,
            parse_constant=_no_constant,
            parse_float=_finite_float,
            object_pairs_hook=_pairs,
        )
    except ValueError as exc:  # JSONDecodeError is a ValueError
        message = str(exc)
        if "must not hold" in message:
            raise ModelFileError(
                f"model file {name} must be valid JSON without NaN or Infinity; "
                f"got {message.rsplit(' ', 1)[-1]}."
            ) from None
        raise ModelFileError(f"model file {name} must be valid JSON; got {message}.") from None
    except RecursionError:
        raise ModelFileError(f"model file {name} must not nest so deeply.") from None


def scan(obj: Any, name: str, where: str = "$") -> None:
    """Refuse oversized arrays and object-rebuilding keys or tags anywhere in ``obj``."""
    if isinstance(obj, dict):
        if len(obj) > MAX_ARRAY:
            raise ModelFileError(f"model file {name}: {where} must have at most {MAX_ARRAY} keys.")
        for key, value in obj.items():
            if _SMUGGLING.match(key):
                raise ModelFileError(
                    f"model file {name} must hold plain data; got the key {key!r} at {where} "
                    "(used to rebuild objects or run code; never loaded)."
                )
            scan(value, name, f"{where}.{key}")
    elif isinstance(obj, list):
        if len(obj) > MAX_ARRAY:
            raise ModelFileError(
                f"model file {name}: {where} must have at most {MAX_ARRAY} items; got {len(obj)}."
            )
        for i, value in enumerate(obj):
            scan(value, name, f"{where}[{i}]")
    elif isinstance(obj, str) and (obj.startswith(("!!python", "py/")) or "__reduce" in obj):
        raise ModelFileError(
            f"model file {name} must hold plain data; got the value {obj[:60]!r} at {where} "
            "(an object-rebuilding tag; never loaded)."
        )
