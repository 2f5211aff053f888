"""The clinic web app: ``create_app(model)`` returns a FastAPI application.

Routes
------
``GET /``
    The page: a form built from the model's feature schema.
``POST /``
    The form submitted (``multipart/form-data``, works without JavaScript): the page again
    with the risk, its interval, the band and the contributing factors; ``422`` (or ``400``
    for an unreadable upload) with the errors named by field and the form refilled.
``POST /api/score``
    JSON object of the runner's fields (optionally ``index_date`` and ``activities``) to the
    JSON risk (see :func:`lbprun.web._runner.score_payload`).
``GET /api/model``
    Feature schema, label, bands and development summary.
``GET /openapi.json``, ``GET /docs``
    The OpenAPI document and a plain HTML description of the API (Swagger UI is not
    served: it loads its code from a CDN).

Nothing submitted is stored or logged. Request bodies are limited (``413``), each client
is rate limited (``429``) and every response carries security headers
(:class:`lbprun.web._limits.GuardMiddleware`).

Examples
--------
>>> from lbprun.clinic import load_demo_model
>>> app = create_app(load_demo_model())
>>> sorted(r.path for r in app.routes if r.path.startswith("/api"))
['/api/model', '/api/score']
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.datastructures import UploadFile

from lbprun.web._limits import GuardMiddleware, RateLimit
from lbprun.web._page import CSS_HASH, document, render_page
from lbprun.web._runner import (
    InputError,
    model_payload,
    parse_form,
    parse_json,
    read_log,
    score_payload,
    score_runner,
)

__all__ = ["DEFAULT_RATE_LIMIT", "MAX_BODY_BYTES", "MAX_UPLOAD_BYTES", "create_app"]

#: Largest JSON (or urlencoded) request body, in bytes.
MAX_BODY_BYTES = 64 * 1024
#: Largest form upload (``multipart/form-data``, with a training log), in bytes.
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
#: Default per-client rate: 10 requests per second, bursts of 20.
DEFAULT_RATE_LIMIT = RateLimit(rate=10.0, burst=20)

_CSP = (
    f"default-src 'none'; style-src {CSS_HASH}; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def _runner_schema(model: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for feat in model.features:
        if feat.kind in ("numeric", "spline"):
            prop: dict[str, Any] = {"type": "number"}
        elif feat.kind == "boolean":
            prop = {"type": "boolean"}
        else:
            prop = {"type": "string", "enum": list(feat.levels)}
        unit = f" ({feat.unit})" if feat.unit else ""
        prop["description"] = f"{feat.description or feat.name}{unit}"
        properties[feat.name] = prop
    properties["index_date"] = {
        "type": "string",
        "format": "date",
        "description": "index date of the training log (with activities)",
    }
    properties["activities"] = {
        "type": "array",
        "items": {"type": "object"},
        "description": "the runner's runs (date, distance_km, duration_min, shoe_id)",
    }
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _errors(error: InputError) -> JSONResponse:
    return JSONResponse({"detail": error.errors}, status_code=error.status)


def create_app(
    model: Any,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    rate_limit: RateLimit | None = DEFAULT_RATE_LIMIT,
) -> Any:
    """Build the clinic scoring app for ``model``.

    Parameters
    ----------
    model : lbprun.clinic.RiskModel
        The model served (``lbprun.load_model(path)`` or ``load_demo_model()``).
    max_body_bytes : int, default=65536
        Largest JSON request body; larger ones are answered ``413``.
    max_upload_bytes : int, default=4194304
        Largest form submission with a training log; larger ones are answered ``413``.
    rate_limit : RateLimit or None, default=RateLimit(rate=10.0, burst=20)
        Per-client token bucket; an empty bucket is answered ``429``. None turns it off.

    Returns
    -------
    fastapi.FastAPI
        The application (serve it with uvicorn, or test it with ``TestClient``).
    """
    for name, value in (
        ("max_body_bytes", max_body_bytes),
        ("max_upload_bytes", max_upload_bytes),
    ):
        if int(value) != value or value < 1024:
            raise ValueError(f"{name} must be an integer >= 1024 bytes; got {value!r}.")
    app = FastAPI(
        title=f"lbprun risk of {model.outcome}",
        description=(model.label + ". " if model.label else "")
        + "Scores one runner with an lbprun clinic risk model. Nothing submitted is stored.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.model = model

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page() -> HTMLResponse:
        return HTMLResponse(render_page(model))

    @app.post("/", response_class=HTMLResponse, include_in_schema=False)
    async def submit(request: Request) -> HTMLResponse:
        values: dict[str, str] = {}
        try:
            form = await request.form()
        except Exception:  # malformed multipart: starlette raises several types
            error = [{"field": "form", "message": "the form submission could not be read."}]
            return HTMLResponse(render_page(model, errors=error), status_code=400)
        upload = None
        for key, item in form.multi_items():
            if isinstance(item, UploadFile):
                if key == "training_log":
                    upload = item
            else:
                values[key] = item
        content = await upload.read() if upload is not None else b""
        try:
            log = read_log(content) if content else None
            runner, errors = parse_form(model, values, log_given=log is not None)
            index_date = values.get("index_date", "").strip() or None
            if errors:
                raise InputError(errors)
            result = score_runner(model, runner, activities=log, index_date=index_date)
        except InputError as error:
            page = render_page(model, values, errors=error.errors)
            return HTMLResponse(page, status_code=error.status)
        return HTMLResponse(render_page(model, values, payload=score_payload(model, result)))

    @app.post(
        "/api/score",
        summary="Score one runner",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _runner_schema(model)}},
            }
        },
    )
    async def api_score(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            error = InputError([{"field": "body", "message": "the body must be valid JSON."}], 400)
            return _errors(error)
        try:
            runner, index_date, log = parse_json(model, body)
            result = score_runner(model, runner, activities=log, index_date=index_date)
        except InputError as error:
            return _errors(error)
        return JSONResponse(score_payload(model, result))

    @app.get("/api/model", summary="The model: feature schema, label, development summary")
    async def api_model() -> JSONResponse:
        return JSONResponse(model_payload(model))

    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    async def docs() -> HTMLResponse:
        return HTMLResponse(_docs_page(app))

    app.add_middleware(
        GuardMiddleware,
        max_body_bytes=max_body_bytes,
        max_upload_bytes=max_upload_bytes,
        rate_limit=rate_limit,
        content_security_policy=_CSP,
    )
    return app


def _docs_page(app: Any) -> str:
    spec = app.openapi()
    rows = []
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            rows.append(
                f"<tr><td><code>{method.upper()} {escape(path)}</code></td>"
                f"<td>{escape(op.get('summary', ''))}</td></tr>"
            )
    fields = spec["paths"]["/api/score"]["post"]["requestBody"]["content"]["application/json"]
    items = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(prop.get('type', ''))}</td>"
        f"<td>{escape(prop.get('description', ''))}</td></tr>"
        for name, prop in fields["schema"]["properties"].items()
    )
    body = (
        f"<h1>{escape(spec['info']['title'])}: API</h1>"
        f"<p>{escape(spec['info'].get('description', ''))}</p>"
        f"<table><thead><tr><th>route</th><th>what</th></tr></thead><tbody>{''.join(rows)}"
        "</tbody></table><h2>Fields of POST /api/score</h2>"
        f"<table><thead><tr><th>field</th><th>type</th><th>meaning</th></tr></thead><tbody>"
        f"{items}</tbody></table><p>The answer holds probability, ci_low, ci_high, level, "
        "band, contributions, extrapolated, outside_range, warnings, label and model. Errors "
        'are <code>{"detail": [{"field", "message"}]}</code> (422, 400), 413 for a body over '
        "the limit and 429 when a client sends too fast. The machine-readable description is "
        '<a href="/openapi.json">/openapi.json</a>.</p>'
    )
    return document("lbprun API", body)
