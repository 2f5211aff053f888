"""The clinic model file: versioned, checksummed JSON that loads without executing anything.

A model file is one JSON document (UTF-8)::

    {"format": "lbprun-risk-model", "format_version": "1.0", "lbprun_version": "0.1.0",
     "model": {...}, "checksum": {"algorithm": "sha256", "value": "<64 hex digits>"}}

``model`` holds the content of a :class:`~lbprun.clinic.RiskModel` (documented field by field
in ``docs/clinic.md`` and in the JSON Schema ``lbprun/clinic/model_schema.json``); the
checksum is the SHA-256 of the canonical JSON (sorted keys, no whitespace, floats written by
``repr`` so they round-trip exactly) of the document without ``checksum``.

Examples
--------
>>> import tempfile, pathlib
>>> from lbprun.clinic import load_demo_model
>>> model = load_demo_model()
>>> path = pathlib.Path(tempfile.mkdtemp()) / "model.json"
>>> _ = save_model(model, path)
>>> load_model(path).coef.tolist() == model.coef.tolist()
True
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from lbprun._checks import ArgumentError
from lbprun.clinic._features import Feature
from lbprun.clinic._safe_json import MAX_BYTES, checksum, parse_text, read_text, scan
from lbprun.clinic._schema_check import jsonschema_errors, schema_errors
from lbprun.clinic._summary import Development
from lbprun.clinic.model import RiskModel
from lbprun.exceptions import ModelFileError

__all__ = ["FORMAT", "FORMAT_VERSION", "READABLE_VERSIONS", "load_model", "save_model"]

#: Format name written in every model file.
FORMAT = "lbprun-risk-model"
#: Format version this lbprun writes.
FORMAT_VERSION = "1.0"
#: Format versions this lbprun reads, each with the function that brings its ``model``
#: content up to :data:`FORMAT_VERSION` (identity for the current version).
READABLE_VERSIONS: dict[str, Any] = {"1.0": lambda content: content}

_VERSION = re.compile(r"^(\d+)\.(\d+)$")


def _feature_dict(f: Feature) -> dict[str, Any]:
    return {
        "name": f.name,
        "kind": f.kind,
        "unit": f.unit,
        "description": f.description,
        "min": f.min,
        "max": f.max,
        "p01": f.p01,
        "p99": f.p99,
        "reference": f.reference,
        "levels": list(f.levels),
        "knots": list(f.knots),
    }


def model_to_dict(model: RiskModel) -> dict[str, Any]:
    """The ``model`` part of the file: plain JSON values (floats exact)."""
    dev = model.development
    return {
        "outcome": model.outcome,
        "label": model.label,
        "features": [_feature_dict(f) for f in model.features],
        "design_names": list(model.design_names),
        "coefficients": [float(v) for v in model.coef],
        "covariance": [[float(v) for v in row] for row in model.cov],
        "intercept_shift": float(model.intercept_shift),
        "recalibrated_to": model.recalibrated_to,
        "bands": [{"name": name, "lower": lower} for name, lower in model.bands],
        "development": {
            "n": dev.n,
            "events": dev.events,
            "outcome_definition": dev.outcome_definition,
            "date_range": None if dev.date_range is None else list(dev.date_range),
            "data_sha256": dev.data_sha256,
            "lbprun_version": dev.lbprun_version,
            "created": dev.created,
            "linear_predictor": list(dev.linear_predictor),
        },
        "validation": model.validation,
    }


def document_of(model: RiskModel) -> dict[str, Any]:
    """The whole model-file document, checksum included."""
    from lbprun import __version__

    doc: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "lbprun_version": __version__,
        "model": model_to_dict(model),
    }
    doc["checksum"] = {"algorithm": "sha256", "value": checksum(doc)}
    return doc


def save_model(model: RiskModel, path: str | Path) -> Path:
    """Write ``model`` to ``path`` as a model file (atomically: a temporary file, then rename).

    Parameters
    ----------
    model : RiskModel
        The model.
    path : str or pathlib.Path
        Where to write (conventionally ``*.json``).

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    lbprun._checks.ArgumentError
        ``model`` is not a RiskModel, or its validation results are not JSON-safe.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from lbprun.clinic import load_demo_model
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = save_model(load_demo_model(), pathlib.Path(folder.name) / "model.json")
    >>> path.name, load_model(path).predictors[:2]
    ('model.json', ('age', 'sex'))
    >>> folder.cleanup()
    """
    if not isinstance(model, RiskModel):
        raise ArgumentError(f"model must be a RiskModel; got {type(model).__name__}.")
    path = Path(path)
    try:
        text = json.dumps(document_of(model), indent=1, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ArgumentError(f"model must hold JSON-safe values only; got {exc}.") from None
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=".lbprun-model-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text + "\n")
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _check_version(doc: dict[str, Any], name: str) -> None:
    from lbprun import __version__

    if doc.get("format") != FORMAT:
        raise ModelFileError(
            f"model file {name} must be an {FORMAT!r} document; got format "
            f"{doc.get('format')!r:.60}."
        )
    version = doc.get("format_version")
    writer = doc.get("lbprun_version")
    match = _VERSION.match(version) if isinstance(version, str) else None
    if match is None:
        raise ModelFileError(
            f"model file {name} must give a format version 'MAJOR.MINOR'; got {version!r:.60}."
        )
    if version in READABLE_VERSIONS:
        return
    current = int(FORMAT_VERSION.split(".")[0])
    readable = ", ".join(READABLE_VERSIONS)
    if int(match.group(1)) > current:
        raise ModelFileError(
            f"model file {name} was written by lbprun {writer!r:.30} in format {version}, newer "
            f"than this lbprun {__version__} reads (formats {readable}); upgrade lbprun."
        )
    raise ModelFileError(
        f"model file {name} has an unknown format version {version} (written by lbprun "
        f"{writer!r:.30}); this lbprun {__version__} reads formats {readable}."
    )


def _problems(content: dict[str, Any]) -> list[str]:
    """Consistency problems of a schema-valid ``model`` content."""
    out = []
    names, coef, cov = content["design_names"], content["coefficients"], content["covariance"]
    p = len(names)
    if len(coef) != p:
        out.append(f"coefficients must have {p} entries (design_names); got {len(coef)}")
    if len(cov) != p or any(len(row) != p for row in cov):
        out.append(f"covariance must be {p} x {p}")
    else:
        v = np.asarray(cov, dtype=float)
        if not np.allclose(v, v.T, rtol=0.0, atol=1e-12 * max(np.abs(v).max(), 1e-300)):
            out.append("covariance must be symmetric")
        if (np.diag(v) < 0).any():
            out.append("covariance must have non-negative variances")
    seen = set()
    for f in content["features"]:
        where = f"feature {f['name']!r}"
        if f["name"] in seen:
            out.append(f"{where} must appear once")
        seen.add(f["name"])
        knots = f["knots"]
        if f["kind"] == "spline" and (
            len(knots) < 3 or any(b <= a for a, b in zip(knots, knots[1:], strict=False))
        ):
            out.append(f"{where} must have at least 3 strictly increasing knots; got {knots}")
        if f["kind"] == "categorical":
            keys = [(type(v).__name__, v) for v in f["levels"]]
            if len(set(keys)) != len(keys) or len({str(v) for v in f["levels"]}) != len(keys):
                out.append(f"{where} must have unique levels; got {f['levels']}")
            if len(keys) < 2 or f["reference"] not in f["levels"]:
                out.append(f"{where} must have 2+ levels including its reference level")
        else:
            values = [f[k] for k in ("min", "p01", "p99", "max")]
            if any(v is None for v in values) or values != sorted(values):
                out.append(f"{where} must have min <= p01 <= p99 <= max; got {values}")
    dev = content["development"]
    if dev["events"] > dev["n"]:
        out.append(f"development events must not exceed n; got {dev['events']} > {dev['n']}")
    return out


def _model_of(content: dict[str, Any]) -> RiskModel:
    features = tuple(
        Feature(
            name=f["name"],
            kind=f["kind"],
            unit=f["unit"],
            description=f["description"],
            min=None if f["min"] is None else float(f["min"]),
            max=None if f["max"] is None else float(f["max"]),
            p01=None if f["p01"] is None else float(f["p01"]),
            p99=None if f["p99"] is None else float(f["p99"]),
            reference=f["reference"],
            levels=tuple(f["levels"]),
            knots=tuple(float(k) for k in f["knots"]),
        )
        for f in content["features"]
    )
    dev = dict(content["development"])
    dev["date_range"] = None if dev["date_range"] is None else tuple(dev["date_range"])
    dev["linear_predictor"] = tuple(float(v) for v in dev["linear_predictor"])
    dev["n"], dev["events"] = int(dev["n"]), int(dev["events"])
    shift_to = content["recalibrated_to"]
    return RiskModel(
        outcome=content["outcome"],
        features=features,
        design_names=tuple(content["design_names"]),
        coef=np.array(content["coefficients"], dtype=float),
        cov=np.array(content["covariance"], dtype=float),
        development=Development(**dev),
        validation=content["validation"],
        bands=tuple((b["name"], float(b["lower"])) for b in content["bands"]),
        intercept_shift=float(content["intercept_shift"]),
        recalibrated_to=None if shift_to is None else float(shift_to),
        label=content["label"],
    )


def _jsonschema_errors(doc: dict[str, Any], name: str) -> list[str]:
    errors = jsonschema_errors(doc)
    if errors is None:
        raise ArgumentError(
            f"jsonschema=True needs the jsonschema package to check model file {name}; "
            "install it (pip install jsonschema) or pass jsonschema=False."
        )
    return errors


def load_model(
    path: str | Path, *, max_bytes: int = MAX_BYTES, jsonschema: bool = False
) -> RiskModel:
    """Load a model file written by :meth:`RiskModel.save`, checking everything first.

    Parameters
    ----------
    path : str or pathlib.Path
        The model file.
    max_bytes : int, default=5_000_000
        Largest file accepted; a larger file is refused before it is read.
    jsonschema : bool, default=False
        Also validate with the :mod:`jsonschema` package (slow import); lbprun's own schema
        check always runs.

    Returns
    -------
    RiskModel

    Raises
    ------
    lbprun._checks.ArgumentError
        ``max_bytes`` is not a positive integer, ``jsonschema`` is not a bool, or
        ``jsonschema=True`` and the :mod:`jsonschema` package is not installed.
    lbprun.exceptions.ModelFileError
        Naming the file and the problem: too large, not UTF-8 JSON (a pickle, a truncated
        file), NaN or Infinity, nested too deeply, duplicate keys, object-rebuilding keys or
        tags, another format, an unknown or newer format version (naming the lbprun version
        that wrote it), a schema violation, a checksum mismatch (tampering), or inconsistent
        content (coefficient count, covariance shape or symmetry, knots, levels).

    Notes
    -----
    Loading parses JSON only: nothing is unpickled, evaluated or imported by name. Checks run
    in this order: size, UTF-8, nesting depth, JSON parse, plain-data scan, format and
    version, schema (lbprun's own validator of the published JSON Schema; with
    ``jsonschema=True`` also the :mod:`jsonschema` package), checksum, consistency.

    Examples
    --------
    >>> from lbprun.clinic.demo import DEMO_MODEL_FILE
    >>> load_model(DEMO_MODEL_FILE).outcome
    'lbp_12m'
    """
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise ArgumentError(f"max_bytes must be a positive integer; got {max_bytes!r}.")
    if not isinstance(jsonschema, bool):
        raise ArgumentError(f"jsonschema must be True or False; got {jsonschema!r}.")
    path = Path(path)
    doc = parse_text(read_text(path, max_bytes), str(path))
    if not isinstance(doc, dict):
        raise ModelFileError(
            f"model file {path} must hold a JSON object; got {type(doc).__name__}."
        )
    scan(doc, str(path))
    _check_version(doc, str(path))
    errors = schema_errors(doc)
    if not errors and jsonschema:
        errors = _jsonschema_errors(doc, str(path))
    if errors:
        shown = "; ".join(errors[:3])
        raise ModelFileError(f"model file {path} must follow the model-file schema; got {shown}.")
    expected = checksum(doc)
    if doc["checksum"]["value"] != expected:
        raise ModelFileError(
            f"model file {path} fails its checksum (stored {doc['checksum']['value'][:12]}..., "
            f"content {expected[:12]}...): it was changed after it was saved."
        )
    content = READABLE_VERSIONS[doc["format_version"]](doc["model"])
    problems = _problems(content)
    if problems:
        raise ModelFileError(f"model file {path} is inconsistent: {'; '.join(problems)}.")
    try:
        return _model_of(content)
    except (ArgumentError, ValueError, TypeError) as exc:
        raise ModelFileError(f"model file {path} is inconsistent: {exc}") from None
