"""The clinic page: an HTML form built from the model's feature schema, and the result.

Everything is rendered on the server into one self-contained document: the style sheet is
inline (allowed by its hash in the content security policy), the contribution chart is
inline SVG, and there is no JavaScript, no external font and no other asset. The form is a
plain ``multipart/form-data`` POST, so the page works with JavaScript turned off.

Examples
--------
>>> from lbprun.clinic import load_demo_model
>>> page = render_page(load_demo_model())
>>> 'name="age"' in page and 'min="10"' in page and "demonstration only" in page
True
>>> "<script" in page
False
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from html import escape
from typing import Any

from lbprun.web._runner import log_fields, plausible_range

__all__ = ["CSS", "CSS_HASH", "contribution_svg", "document", "render_page"]

CSS = """
body{font-family:system-ui,sans-serif;max-width:46rem;margin:1rem auto;padding:0 1rem;
color:#1a1a1a;line-height:1.4}
h1{font-size:1.4rem}
.label{background:#fff3cd;border:2px solid #b45309;padding:.6rem;font-weight:700;
font-size:1.1rem}
.errors{background:#fde2e1;border:2px solid #b91c1c;padding:.5rem}
.warning{background:#fff7e6;border-left:4px solid #b45309;padding:.4rem}
fieldset{border:1px solid #ccc;margin:.6rem 0}
.field{margin:.5rem 0}
.field label{display:block;font-weight:600}
.hint{color:#555;font-size:.85rem}
.invalid{outline:2px solid #b91c1c}
.risk{font-size:2rem;font-weight:700;margin:.2rem 0}
table{border-collapse:collapse}
td,th{padding:.2rem .5rem;border-bottom:1px solid #ddd;text-align:left}
""".strip()
#: The ``style-src`` source of the inline style sheet, for the content security policy.
CSS_HASH = "'sha256-" + base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode() + "'"


def document(title: str, body: str) -> str:
    """A complete HTML document with the inline style sheet."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _field(feat: Any, value: str, message: str | None, optional: bool) -> str:
    name = escape(feat.name)
    unit = f" ({escape(feat.unit)})" if feat.unit else ""
    described = escape(feat.description or feat.name)
    attrs = f'id="f-{name}" name="{name}"'
    if message:
        attrs += f' class="invalid" aria-invalid="true" aria-describedby="e-{name}"'
    if not optional:
        attrs += " required"
    if feat.kind in ("numeric", "spline"):
        low, high = plausible_range(feat)
        limits = (f' min="{_fmt(low)}"' if low is not None else "") + (
            f' max="{_fmt(high)}"' if high is not None else ""
        )
        control = f'<input type="number" step="any" {attrs}{limits} value="{escape(value)}">'
        hint = (
            f"development range {_fmt(feat.min)}–{_fmt(feat.max)}"
            f"{' ' + escape(feat.unit) if feat.unit else ''}"
        )
        if optional:
            hint += "; leave blank to take it from the training log"
    else:
        choices = ("yes", "no") if feat.kind == "boolean" else tuple(feat.levels)
        options = ['<option value="">choose…</option>'] + [
            f'<option value="{escape(c)}"{" selected" if c == value else ""}>{escape(c)}</option>'
            for c in choices
        ]
        control = f"<select {attrs}>{''.join(options)}</select>"
        hint = "yes or no" if feat.kind == "boolean" else f"reference level {feat.reference}"
    error = f'<div class="hint" id="e-{name}"><b>{escape(message)}</b></div>' if message else ""
    return (
        f'<div class="field"><label for="f-{name}">{described} <code>{name}</code>{unit}'
        f'</label>{control}<div class="hint">{escape(hint)}</div>{error}</div>'
    )


def contribution_svg(contributions: list[dict[str, Any]]) -> str:
    """Inline SVG bar chart of the contributions (log odds against the reference runner)."""
    row_h, left, half = 26, 170, 140
    top = 22
    height = top + row_h * len(contributions) + 8
    largest = max([abs(c["log_odds"]) for c in contributions] + [1e-12])
    centre = left + half
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="contribution-chart" role="img" '
        f'width="{left + 2 * half + 90}" height="{height}" '
        f'aria-label="contribution of each factor to the log odds">',
        f'<text x="{centre}" y="14" text-anchor="middle" font-size="12" fill="#333">'
        "log odds vs reference runner (right: higher risk)</text>",
        f'<line x1="{centre}" y1="{top - 4}" x2="{centre}" y2="{height - 4}" stroke="#000"/>',
    ]
    for i, item in enumerate(contributions):
        y = top + i * row_h
        width = abs(item["log_odds"]) / largest * half
        x = centre if item["log_odds"] >= 0 else centre - width
        colour = "#b91c1c" if item["log_odds"] > 0 else "#15803d"
        parts.append(
            f'<text x="{left - 6}" y="{y + 16}" text-anchor="end" font-size="13">'
            f"{escape(str(item['predictor']))} = {escape(_value(item['value']))}</text>"
            f'<rect x="{x:.1f}" y="{y + 4}" width="{width:.1f}" height="{row_h - 8}" '
            f'fill="{colour}"><title>{escape(str(item["predictor"]))}: log odds '
            f"{item['log_odds']:+.3f}</title></rect>"
            f'<text x="{left + 2 * half + 6}" y="{y + 16}" font-size="12">'
            f"OR {item['odds_ratio']:.2f}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _result(payload: Mapping[str, Any]) -> str:
    p, low, high = payload["probability"], payload["ci_low"], payload["ci_high"]
    level = payload["level"]
    warn = ""
    if payload["extrapolated"]:
        names = ", ".join(payload["outside_range"])
        warn = (
            '<p class="warning" id="extrapolation-warning" role="alert"><b>Extrapolation:</b> '
            f"{escape(names)} lies outside the range of the development data; this risk is "
            "extrapolated and less certain than its interval suggests.</p>"
        )
    rows = "".join(
        f"<tr><td>{escape(str(c['predictor']))}</td><td>{escape(_value(c['value']))}</td>"
        f"<td>{escape(_value(c['reference']))}</td><td>{c['odds_ratio']:.2f}</td></tr>"
        for c in payload["contributions"]
    )
    return (
        '<section id="result" aria-live="polite"><h2>Predicted risk</h2>'
        f'<p class="risk"><span id="risk-percent" data-probability="{p!r}">{p:.1%}</span></p>'
        f'<p>{level:.0%} confidence interval <span id="risk-interval" data-ci-low="{low!r}" '
        f'data-ci-high="{high!r}">{low:.1%} to {high:.1%}</span>; risk band '
        f'<b id="risk-band">{escape(payload["band"])}</b>.</p>{warn}'
        "<h3>Contributing factors</h3>"
        f"{contribution_svg(payload['contributions'])}"
        "<table><thead><tr><th>factor</th><th>value</th><th>reference</th>"
        f"<th>odds ratio</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def render_page(
    model: Any,
    values: Mapping[str, str] | None = None,
    *,
    errors: list[dict[str, str]] | None = None,
    payload: Mapping[str, Any] | None = None,
) -> str:
    """The page: label, errors, the form (refilled with ``values``) and the result."""
    values = values or {}
    errors = errors or []
    by_field: dict[str, str] = {}
    for error in errors:
        by_field.setdefault(error["field"], error["message"])
    label = (
        f'<p class="label" id="model-label" role="note">&#9888; {escape(model.label)}</p>'
        if model.label
        else ""
    )
    error_block = ""
    if errors:
        items = "".join(
            f'<li data-field="{escape(e["field"])}"><b>{escape(e["field"])}</b>: '
            f"{escape(e['message'])}</li>"
            for e in errors
        )
        error_block = (
            f'<div class="errors" id="errors" role="alert"><p>The form has {len(errors)} '
            f"problem(s); nothing was scored:</p><ul>{items}</ul></div>"
        )
    from_log = log_fields(model)
    fields = "".join(
        _field(f, str(values.get(f.name, "")), by_field.get(f.name), f.name in from_log)
        for f in model.features
    )
    upload = ""
    if from_log:
        extra = [e for e in ("training_log", "index_date") if e in by_field]
        notes = "".join(f'<div class="hint"><b>{escape(by_field[e])}</b></div>' for e in extra)
        upload = (
            "<fieldset><legend>Training log (optional)</legend>"
            f'<p class="hint">A CSV log of the runner\'s runs (columns date, distance_km, '
            f"duration_min; shoe_id optional) gives {escape(', '.join(from_log))} from the 28 "
            "days before the index date. Leave those fields blank above.</p>"
            '<div class="field"><label for="f-training_log">Training log (CSV)</label>'
            '<input type="file" id="f-training_log" name="training_log" accept=".csv,text/csv">'
            '</div><div class="field"><label for="f-index_date">Index date</label>'
            '<input type="date" id="f-index_date" name="index_date" '
            f'value="{escape(str(values.get("index_date", "")))}"></div>{notes}</fieldset>'
        )
    outcome = model.to_dict()["development"].get("outcome_definition") or model.outcome
    body = (
        f"<h1>Risk of {escape(model.outcome)}</h1>{label}"
        f'<p class="hint">{escape(outcome)} Model on {model.development.n} runners '
        f"({model.development.events} with the outcome).</p>{error_block}"
        '<form method="post" action="/" enctype="multipart/form-data" id="risk-form">'
        f"<fieldset><legend>Runner</legend>{fields}</fieldset>{upload}"
        '<button type="submit" id="submit">Estimate risk</button></form>'
        f"{_result(payload) if payload else ''}"
        '<p class="hint">Nothing entered here is stored or logged. '
        '<a href="/docs">API description</a></p>'
    )
    return document(f"lbprun risk of {model.outcome}", body)
