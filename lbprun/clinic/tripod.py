"""TRIPOD-style development report of a clinic risk model, as Markdown or self-contained HTML.

The report follows the development items of the TRIPOD statement (Collins et al. 2015): source
of data, outcome, predictors with units, missing data, sample size against Riley et al.'s
minimum, model specification, the full model, apparent and optimism-corrected performance,
calibration, clinical usefulness (decision curve) and limitations. The HTML page needs nothing
outside itself: figures are inline base64 PNG images and every value is escaped.

Examples
--------
>>> import pandas as pd
>>> _markdown_table(pd.DataFrame({"term": ["a|b"], "estimate": [0.5]}))
'| term | estimate |\\n|---|---|\\n| a\\\\|b | 0.5 |'
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import check_choice
from lbprun._result import render_html
from lbprun.clinic._dev_performance import LABELS

__all__ = ["FORMATS", "render_report"]

#: Report formats.
FORMATS = ("markdown", "html")

#: Thresholds shown in the decision-curve table of the report.
_REPORT_THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return "" if np.isnan(value) else f"{value:.4g}"
    return str(value)


def _markdown_table(frame: pd.DataFrame) -> str:
    def esc(text: str) -> str:
        return html.escape(text, quote=False).replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(esc(str(c)) for c in frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join(esc(_cell(v)) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([head, rule, *body])


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = [_cell(v) for v in out[column]]
    return out


def _predictor_table(result: Any) -> pd.DataFrame:
    rows = []
    for f in result.model.features:
        if f.kind == "categorical":
            values = ", ".join(map(str, f.levels)) + f" (reference {f.reference})"
        elif f.kind == "boolean":
            values = "yes / no"
        else:
            values = f"{_cell(f.min)} to {_cell(f.max)}"
            if f.kind == "spline":
                values += f"; knots {', '.join(_cell(k) for k in f.knots)}"
        rows.append(
            {
                "predictor": f.name,
                "kind": f.kind,
                "unit": f.unit or "",
                "description": f.description,
                "development values": values,
            }
        )
    return pd.DataFrame(rows)


def _performance_table(result: Any) -> pd.DataFrame:
    table = result.table.copy()
    table.insert(1, "rms", table["statistic"].map(LABELS))
    return table


def _decision_table(result: Any) -> pd.DataFrame:
    wide = result.decision.table.pivot(index="threshold", columns="strategy", values="net_benefit")
    low = result.decision.table.pivot(index="threshold", columns="strategy", values="ci_low")
    high = result.decision.table.pivot(index="threshold", columns="strategy", values="ci_high")
    keep = [t for t in wide.index if any(abs(t - r) < 1e-9 for r in _REPORT_THRESHOLDS)]
    return pd.DataFrame(
        {
            "threshold": keep,
            "model": wide.loc[keep, "model"].to_numpy(),
            "model ci_low": low.loc[keep, "model"].to_numpy(),
            "model ci_high": high.loc[keep, "model"].to_numpy(),
            "treat all": wide.loc[keep, "all"].to_numpy(),
            "treat none": wide.loc[keep, "none"].to_numpy(),
        }
    )


def _sections(result: Any) -> list[tuple[str, list[Any]]]:
    """Report sections: (heading, blocks); a block is text, a DataFrame or a figure name."""
    from lbprun.clinic._features import schema_column

    rows, v = result.rows, result.validation
    events, kept = rows["events"], rows["rows_kept"]
    entry = schema_column(result.outcome)
    outcome_text = f"`{result.outcome}` (0/1)"
    if entry is not None and getattr(entry, "description", ""):
        outcome_text += f": {entry.description}"
    missing = rows["missing"]
    missing_text = (
        "Complete-case analysis: "
        + (
            "; ".join(f"{c}: {k} missing" for c, k in missing.items())
            if missing
            else "no missing values among the outcome and predictors"
        )
        + f". {rows['rows_excluded']} rows excluded."
    )
    method = {None: "maximum likelihood", "firth": "Firth's penalised likelihood"}[result.penalty]
    if result.design is not None:
        method = f"survey-weighted likelihood ({result.design})"
    spec = [
        f"Logistic regression by {method}.",
        "Splines: "
        + (
            ", ".join(f"{c} ({k} knots)" for c, k in result.splines.items())
            if result.splines
            else "none (numeric predictors linear)"
        )
        + ".",
        "Reference levels: "
        + (
            ", ".join(f"{c} = {lvl}" for c, lvl in result.reference_levels.items())
            if result.reference_levels
            else "the first level in sorted order"
        )
        + ".",
    ]
    validation_text = (
        f"Internal validation: {v['method']}"
        + (f" ({v['folds']} folds x {v['repeats']} repeats)" if v["method"] == "cv" else "")
        + f", {v['successful']} of {v['requested']} refits successful"
        + (
            f" (failed: {', '.join(f'{k}: {n}' for k, n in v['failures'].items())})"
            if v["failures"]
            else ""
        )
        + f", seed {v['seed']}. Corrected = apparent - optimism (rms::validate)."
    )
    sample = [
        "Riley et al. (2020) minimum sample size, anticipating the optimism-corrected "
        "Cox-Snell R2:",
        result.sample_size.table if result.sample_size is not None else "not computed.",
        f"{kept} participants with {events} events "
        f"({events / max(len(result.model.design_names) - 1, 1):.1f} events per parameter).",
    ]
    useful = result.decision.useful_range()
    decision_text = (
        "The model's net benefit exceeds treat-all and treat-none between thresholds "
        f"{useful[0]:g} and {useful[1]:g}."
        if useful
        else "The model's net benefit never exceeds both treat-all and treat-none."
    )
    limitations = [
        "Internal validation only: performance in other clubs, countries or care settings "
        "needs external validation before clinical use.",
        "Complete-case analysis assumes values are missing completely at random.",
        "Calibration and net benefit are those of the development data (apparent).",
        *(f"Note: {n}" for n in result.notes),
    ]
    return [
        (
            "Source of data",
            [
                f"{rows['rows_in']} rows in; {kept} kept, "
                f"{rows['rows_rejected']} rejected, {rows['rows_excluded']} "
                f"excluded; {events} events ({events / kept:.1%})."
            ],
        ),
        ("Outcome", [outcome_text]),
        ("Predictors", [_predictor_table(result)]),
        ("Missing data", [missing_text]),
        ("Sample size", sample),
        ("Model specification", spec),
        ("Full model (log-odds; intercept first)", [result.coefficients]),
        (
            "Performance: apparent and optimism-corrected",
            [validation_text, _performance_table(result)],
        ),
        ("Calibration", [result.calibration.table, "figure:calibration"]),
        ("Decision curve", [decision_text, _decision_table(result), "figure:decision"]),
        ("Limitations", limitations),
    ]


def render_report(result: Any, format: str = "markdown") -> str:
    """Render a :class:`~lbprun.clinic.develop.DevelopedRiskModel` as a report.

    Parameters
    ----------
    result : DevelopedRiskModel
        From :func:`lbprun.clinic.develop.develop_risk_model`.
    format : {"markdown", "html"}, default="markdown"
        Markdown (figures left out), or a self-contained HTML page.

    Returns
    -------
    str
        The report.
    """
    check_choice("format", format, FORMATS)
    title = f"Development of a risk model for {result.outcome}"
    banner = f"Label: {result.label}" if result.label else ""
    sections = _sections(result)
    if format == "markdown":

        def md(text: str) -> str:  # Markdown passes HTML through: escape it
            return html.escape(text, quote=False)

        parts = [f"# {md(title)}"] + ([f"> **{md(banner)}**"] if banner else [])
        for heading, blocks in sections:
            parts.append(f"## {heading}")
            for block in blocks:
                if isinstance(block, pd.DataFrame):
                    parts.append(_markdown_table(_rounded(block)))
                elif not str(block).startswith("figure:"):
                    parts.append(md(str(block)))
        return "\n\n".join(parts) + "\n"
    from lbprun.clinic._dev_figures import figure_png_base64

    figures = {
        "figure:calibration": figure_png_base64(result.calibration.plot),
        "figure:decision": figure_png_base64(result.decision.plot),
    }
    esc = html.escape
    body = [f"<h1>{esc(title)}</h1>"]
    if banner:
        body.append(f'<p class="label"><strong>{esc(banner)}</strong></p>')
    for heading, blocks in sections:
        body.append(f"<h2>{esc(heading)}</h2>")
        for block in blocks:
            if isinstance(block, pd.DataFrame):
                body.append(render_html(_rounded(block)))
            elif str(block) in figures:
                alt = "Calibration curve" if "calibration" in block else "Decision curve"
                body.append(f'<img alt="{alt}" src="data:image/png;base64,{figures[block]}">')
            else:
                body.append(f"<p>{esc(str(block))}</p>")
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        ".label{background:#fee;padding:0.5em}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{style}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
