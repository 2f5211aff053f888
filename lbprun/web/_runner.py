"""From submitted fields to a score: parsing, checks, the training log and JSON payloads.

The web layer holds no statistics: it turns form fields or a JSON object into the runner
dictionary that :meth:`lbprun.clinic.RiskModel.score` takes, maps lbprun's validation errors
to field errors, and turns a :class:`~lbprun.clinic.RiskScore` into the JSON answer.

Examples
--------
>>> from lbprun.clinic import load_demo_model
>>> model = load_demo_model()
>>> runner, errors = parse_form(model, {"age": "45", "sex": "M", "prior_lbp": "yes",
...                                     "strength_training": "no", "weekly_km": "40"})
>>> runner, errors
({'age': 45.0, 'sex': 'M', 'prior_lbp': True, 'strength_training': False, 'weekly_km': 40.0}, [])
>>> parse_form(model, {"age": "ten", "sex": "M", "prior_lbp": "yes",
...                    "strength_training": "no", "weekly_km": "40"})[1]
[{'field': 'age', 'message': "age must be a number (years); got 'ten'."}]
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Mapping
from typing import Any

import pandas as pd

from lbprun._checks import ArgumentError
from lbprun._result import to_jsonable
from lbprun.clinic._features import schema_column
from lbprun.clinic._history import LOAD_PREDICTORS
from lbprun.clinic.model_file import FORMAT, FORMAT_VERSION
from lbprun.exceptions import DataValidationError, ExtrapolationWarning

__all__ = [
    "InputError",
    "log_fields",
    "model_info",
    "model_payload",
    "parse_form",
    "parse_json",
    "plausible_range",
    "read_log",
    "score_payload",
    "score_runner",
]

#: Field errors listed at most in one answer.
MAX_ERRORS = 20


class InputError(Exception):
    """Bad input: ``errors`` is a list of ``{"field", "message"}``; ``status`` the HTTP code."""

    def __init__(self, errors: list[dict[str, str]], status: int = 422) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))
        self.errors = errors[:MAX_ERRORS]
        self.status = status


def plausible_range(feat: Any) -> tuple[float | None, float | None]:
    """The column dictionary's plausible range of a numeric predictor (None where open)."""
    entry = schema_column(feat.name)
    if entry is None:
        return None, None
    low = None if entry.min is None else float(entry.min)
    high = None if entry.max is None else float(entry.max)
    return low, high


def log_fields(model: Any) -> list[str]:
    """The model's predictors that a training log can supply."""
    return [f.name for f in model.features if f.name in LOAD_PREDICTORS]


def _unit(feat: Any) -> str:
    return f" ({feat.unit})" if feat.unit else ""


def _number(feat: Any, text: str) -> tuple[float | None, str | None]:
    try:
        value = float(text)
    except ValueError:
        return None, f"{feat.name} must be a number{_unit(feat)}; got {text!r}."
    if not math.isfinite(value):
        return None, f"{feat.name} must be a finite number; got {text!r}."
    low, high = plausible_range(feat)
    if (low is not None and value < low) or (high is not None and value > high):
        unit = f" {feat.unit}" if feat.unit else ""
        return None, (
            f"{feat.name} must lie between {low:g} and {high:g}{unit}; got {text}."
            if low is not None and high is not None
            else f"{feat.name} must lie in its plausible range; got {text}."
        )
    return value, None


def parse_form(
    model: Any, fields: Mapping[str, Any], *, log_given: bool = False
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Runner values and field errors from the page's form fields (text values).

    Numbers are parsed and checked against the plausible range; yes/no and categories
    against their choices. With ``log_given``, the load predictors must be left blank (the
    log supplies them) and are left out of the runner.
    """
    runner: dict[str, Any] = {}
    errors: list[dict[str, str]] = []
    from_log = set(log_fields(model)) if log_given else set()
    for feat in model.features:
        raw = fields.get(feat.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if feat.name in from_log:
            if text:
                errors.append(
                    {
                        "field": feat.name,
                        "message": f"{feat.name} must be left blank when a training log is "
                        f"uploaded (the log gives it); got {text!r}.",
                    }
                )
            continue
        if not text:
            hint = " or upload a training log" if feat.name in log_fields(model) else ""
            errors.append({"field": feat.name, "message": f"{feat.name} is required{hint}."})
            continue
        if feat.kind in ("numeric", "spline"):
            value, message = _number(feat, text)
        elif feat.kind == "boolean":
            value = {"yes": True, "no": False}.get(text.lower())
            message = (
                None if value is not None else f"{feat.name} must be yes or no; got {text!r}."
            )
        else:
            value = text if text in feat.levels else None
            message = (
                None
                if value is not None
                else f"{feat.name} must be one of {list(feat.levels)}; got {text!r}."
            )
        if message is not None:
            errors.append({"field": feat.name, "message": message})
        else:
            runner[feat.name] = value
    return runner, errors


def parse_json(model: Any, body: Any) -> tuple[dict[str, Any], Any, Any]:
    """Split a JSON request body into the runner, the index date and the activities.

    Raises
    ------
    InputError
        The body is not an object, names an unknown field, or gives ``activities`` that are
        not a list of objects.
    """
    if not isinstance(body, dict):
        raise InputError(
            [{"field": "body", "message": "the request body must be a JSON object of fields."}]
        )
    known = {f.name for f in model.features} | {"runner_id", "index_date", "activities"}
    unknown = [name for name in body if name not in known]
    if unknown:
        raise InputError(
            [
                {
                    "field": name,
                    "message": f"unknown field {name!r}; the model uses "
                    f"{[f.name for f in model.features]}.",
                }
                for name in unknown
            ]
        )
    runner = {k: v for k, v in body.items() if k not in ("index_date", "activities")}
    activities = body.get("activities")
    log = None
    if activities is not None:
        if not isinstance(activities, list) or not all(isinstance(a, dict) for a in activities):
            raise InputError(
                [
                    {
                        "field": "activities",
                        "message": "activities must be a list of runs "
                        "(objects with date, distance_km, duration_min).",
                    }
                ]
            )
        log = _validated_log(pd.DataFrame(activities), "activities")
    return runner, body.get("index_date"), log


def read_log(content: bytes, *, field: str = "training_log") -> pd.DataFrame:
    """Read an uploaded CSV training log (one runner) and validate it with lbprun's reader."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            [{"field": field, "message": "the training log must be a UTF-8 CSV file."}], 400
        ) from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (ValueError, pd.errors.ParserError) as error:
        raise InputError(
            [
                {
                    "field": field,
                    "message": f"the training log is not a readable CSV file: "
                    f"{str(error).splitlines()[0]}",
                }
            ],
            400,
        ) from None
    frame = frame.replace("", pd.NA)
    return _validated_log(frame, field)


def _validated_log(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    from lbprun.io.read import read_activities

    try:
        if "runner_id" in frame.columns:
            return read_activities(frame)
        return read_activities(frame, runner_id="runner")
    except DataValidationError as error:
        cases = error.failure_cases
        messages = [str(m) for m in cases["message"].head(5)] if "message" in cases else []
        detail = "; ".join(messages) or str(error)
        raise InputError(
            [
                {
                    "field": field,
                    "message": f"the training log has {len(cases)} problem(s): {detail}",
                }
            ]
        ) from None
    except ArgumentError as error:
        raise InputError([{"field": field, "message": str(error)}]) from None


def score_runner(
    model: Any, runner: Mapping[str, Any], *, activities: Any = None, index_date: Any = None
) -> Any:
    """``model.score`` of one runner, with lbprun's errors turned into :class:`InputError`."""
    if index_date is not None and activities is None:
        raise InputError(
            [
                {
                    "field": "index_date",
                    "message": "index_date is used only with a training log; "
                    "give the log or leave the index date out.",
                }
            ]
        )
    if activities is not None and index_date in (None, ""):
        raise InputError(
            [
                {
                    "field": "index_date",
                    "message": "index_date is required with a training log "
                    "(the load is taken from the 28 days before it).",
                }
            ]
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExtrapolationWarning)
            return model.score(dict(runner), activities=activities, index_date=index_date)
    except DataValidationError as error:
        errors = []
        for case in error.failure_cases.to_dict("records"):
            message = str(case.get("message", ""))
            message = message.split(": ", 1)[1] if message.startswith("row ") else message
            errors.append({"field": str(case.get("column") or "body"), "message": message})
        raise InputError(errors or [{"field": "body", "message": str(error)}]) from None
    except ArgumentError as error:
        text = str(error)
        field = "index_date" if "index_date" in text else "training_log"
        raise InputError([{"field": field, "message": text}]) from None


def model_info(model: Any) -> dict[str, Any]:
    """Version information of a model: format, writer, creation, development data."""
    import lbprun

    dev = model.to_dict()["development"]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "outcome": model.outcome,
        "lbprun_version": dev.get("lbprun_version"),
        "created": dev.get("created"),
        "data_sha256": dev.get("data_sha256"),
        "intercept_shift": model.intercept_shift,
        "recalibrated_to": model.recalibrated_to,
        "served_by": f"lbprun {lbprun.__version__}",
    }


def score_payload(model: Any, result: Any) -> dict[str, Any]:
    """The JSON answer of ``POST /api/score`` for one scored runner."""
    data = result.to_dict()
    row = data["table"][0]
    contributions = [
        {k: v for k, v in item.items() if k not in ("row", "runner_id")}
        for item in data["contributions"]
    ]
    outside = [name for name in str(row.get("outside_range") or "").split(",") if name]
    return {
        "probability": row["probability"],
        "ci_low": row["ci_low"],
        "ci_high": row["ci_high"],
        "level": result.level,
        "band": row["band"],
        "contributions": contributions,
        "extrapolated": bool(row["extrapolated"]),
        "outside_range": outside,
        "warnings": [note for note in result.notes if note != model.label],
        "label": model.label,
        "model": model_info(model),
    }


def model_payload(model: Any) -> dict[str, Any]:
    """The JSON answer of ``GET /api/model``: schema, label, bands, development summary."""
    content = model.to_dict()
    features = []
    for item in content["features"]:
        feat = model.feature(item["name"])
        low, high = plausible_range(feat) if feat.kind in ("numeric", "spline") else (None, None)
        features.append(
            {
                **{k: v for k, v in item.items() if k != "knots"},
                "plausible_min": low,
                "plausible_max": high,
                "from_training_log": item["name"] in LOAD_PREDICTORS,
            }
        )
    development = {k: v for k, v in content["development"].items() if k != "linear_predictor"}
    return to_jsonable(
        {
            "label": model.label,
            "outcome": model.outcome,
            "features": features,
            "bands": [{"name": name, "lower": lower} for name, lower in model.bands],
            "development": development,
            "model": model_info(model),
        }
    )
