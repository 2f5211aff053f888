"""Text of ``lbprun model``: a model file's content and a development's performance.

Examples
--------
>>> from lbprun.clinic import load_demo_model
>>> text = model_text(load_demo_model())
>>> text.splitlines()[0]
'Clinic risk model for lbp_12m'
>>> "demonstration only" in text
True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lbprun._result import render_table

__all__ = ["PERFORMANCE_COLUMNS", "model_text", "performance_text", "validation_frame"]

#: Columns of the performance table printed by ``lbprun model develop``.
PERFORMANCE_COLUMNS = ["statistic", "apparent", "optimism", "corrected", "n"]


def performance_text(developed: Any) -> str:
    """The performance table (apparent, optimism, corrected), rows used and notes."""
    rows = developed.rows
    v = developed.validation
    lines = [
        f"Risk model for {developed.outcome}: apparent and optimism-corrected performance",
        f"*** {developed.label} ***" if developed.label else "",
        render_table(developed.table[PERFORMANCE_COLUMNS]),
        f"{rows['rows_kept']} of {rows['rows_in']} rows used ({rows['rows_excluded']} "
        f"excluded with missing values), {rows['events']} events; validation: "
        f"{v['method']} ({v['successful']} of {v['requested']} refits successful, "
        f"seed {v['seed']}).",
    ]
    lines.extend(f"[{i}] {note}" for i, note in enumerate(developed.notes, start=1))
    return "\n".join(line for line in lines if line)


def validation_frame(validation: dict[str, Any]) -> pd.DataFrame:
    """The stored validation as a table: statistic, apparent, optimism, corrected."""
    columns = [c for c in ("apparent", "optimism", "corrected") if c in validation]
    if not columns:
        return pd.DataFrame(columns=["statistic", "apparent", "optimism", "corrected"])
    names = list(validation[columns[0]])
    frame = pd.DataFrame({"statistic": names})
    for column in columns:
        frame[column] = [validation[column].get(name) for name in names]
    return frame


def _features(model: Any) -> pd.DataFrame:
    records = []
    for f in model.features:
        records.append(
            {
                "predictor": f.name,
                "kind": f.kind,
                "unit": f.unit or "",
                "min": f.min,
                "max": f.max,
                "reference": f.reference,
                "levels": ", ".join(map(str, f.levels)),
                "knots": ", ".join(f"{k:g}" for k in f.knots),
            }
        )
    return pd.DataFrame(records)


def model_text(model: Any) -> str:
    """Feature schema, coefficients, development summary, validation, bands and label."""
    se = np.sqrt(np.clip(np.diag(model.cov), 0.0, None))
    coefficients = pd.DataFrame(
        {
            "term": list(model.design_names),
            "estimate": model.coef,
            "std_error": se,
            "odds_ratio": np.exp(model.coef),
        }
    )
    dev = model.development
    dates = "" if not dev.date_range else f", data from {dev.date_range[0]} to {dev.date_range[1]}"
    lines = [
        f"Clinic risk model for {model.outcome}",
        f"Label: {model.label}" if model.label else "Label: (none)",
        "Features:",
        render_table(_features(model)),
        "Coefficients (log odds):",
        render_table(coefficients),
        f"Development: {dev.n} runners, {dev.events} events{dates}; "
        f"lbprun {dev.lbprun_version}; created {dev.created}; data SHA-256 {dev.data_sha256}",
    ]
    if dev.outcome_definition:
        lines.append(f"Outcome: {dev.outcome_definition}")
    v = model.validation
    if v:
        lines.append(
            f"Validation: {v.get('method')} ({v.get('successful')} of {v.get('requested')} "
            f"refits successful, seed {v.get('seed')})"
        )
        lines.append(render_table(validation_frame(v)))
    else:
        lines.append("Validation: none stored")
    bands = ", ".join(f"{name} >= {lower:.1%}" for name, lower in model.bands)
    lines.append(f"Bands (lower limits): {bands}")
    if model.recalibrated_to is not None:
        lines.append(
            f"Recalibrated to a prevalence of {model.recalibrated_to:g} "
            f"(intercept shift {model.intercept_shift:g})"
        )
    return "\n".join(lines)
