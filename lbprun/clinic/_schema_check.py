"""Checking a model file against its published JSON Schema without third-party packages.

lbprun ships ``lbprun/clinic/model_schema.json`` (JSON Schema Draft 2020-12). Loading a model
always checks the document against it with :func:`schema_errors`, a small validator of the
keywords the schema uses (``type, enum, const, properties, required, additionalProperties,
items, minItems, maxItems, minLength, maxLength, pattern, minimum, maximum,
exclusiveMinimum, exclusiveMaximum, $ref``), so that loading never depends on an optional
package. ``load_model(path, jsonschema=True)`` also runs :func:`jsonschema_errors`, which
imports :mod:`jsonschema` on that call only (its import takes seconds where
``rfc3987-syntax`` is installed); no lbprun module imports it otherwise.

Examples
--------
>>> schema = {"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}
>>> schema_errors({"a": 1.5}, schema)
['$.a must be of type integer; got 1.5']
>>> schema_errors({"a": 2}, schema)
[]
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["SCHEMA_FILE", "jsonschema_errors", "model_schema", "schema_errors"]

#: The published schema, inside the package.
SCHEMA_FILE = "model_schema.json"

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
}


@cache
def model_schema() -> dict[str, Any]:
    """The published JSON Schema of the model file (a fresh parse is cached)."""
    text = resources.files("lbprun.clinic").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    return json.loads(text)


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _check(value: Any, schema: dict[str, Any], root: dict, where: str, out: list[str]) -> None:
    if "$ref" in schema:
        _check(value, _resolve(schema["$ref"], root), root, where, out)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_TYPES[t](value) for t in types):
            out.append(f"{where} must be of type {' or '.join(types)}; got {value!r:.60}")
            return
    if "const" in schema and value != schema["const"]:
        out.append(f"{where} must be {schema['const']!r}; got {value!r:.60}")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{where} must be one of {schema['enum']!r}; got {value!r:.60}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                out.append(f"{where} must have the key {key!r}")
        for key, item in value.items():
            if key in props:
                _check(item, props[key], root, f"{where}.{key}", out)
            elif schema.get("additionalProperties", True) is False:
                out.append(f"{where} must not have the key {key!r}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            out.append(f"{where} must have at least {schema['minItems']} items; got {len(value)}")
        if len(value) > schema.get("maxItems", len(value)):
            out.append(f"{where} must have at most {schema['maxItems']} items; got {len(value)}")
        if "items" in schema:
            for i, item in enumerate(value):
                _check(item, schema["items"], root, f"{where}[{i}]", out)
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            out.append(f"{where} must have at least {schema['minLength']} characters")
        if len(value) > schema.get("maxLength", len(value)):
            out.append(f"{where} must have at most {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{where} must match {schema['pattern']!r}; got {value!r:.60}")
    if _TYPES["number"](value):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(f"{where} must be >= {schema['minimum']}; got {value!r}")
        if "maximum" in schema and value > schema["maximum"]:
            out.append(f"{where} must be <= {schema['maximum']}; got {value!r}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            out.append(f"{where} must be > {schema['exclusiveMinimum']}; got {value!r}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            out.append(f"{where} must be < {schema['exclusiveMaximum']}; got {value!r}")


def schema_errors(document: Any, schema: dict[str, Any] | None = None) -> list[str]:
    """Every way ``document`` breaks ``schema`` (default: the model-file schema)."""
    schema = model_schema() if schema is None else schema
    out: list[str] = []
    _check(document, schema, schema, "$", out)
    return out


def jsonschema_errors(document: Any) -> list[str] | None:
    """Errors found by :mod:`jsonschema` (Draft 2020-12), or None when it is not installed.

    The package is imported here, on the first call, never when lbprun is imported.
    """
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is in the [dev] extra
        return None
    validator = jsonschema.Draft202012Validator(model_schema())
    return [
        f"$.{'.'.join(map(str, e.absolute_path))} {e.message}"
        for e in validator.iter_errors(document)
    ]
