"""The statistical sections of a report: Table 1, prevalence, risk factors.

Each builder returns the section, the publishable tables it adds (text only, suppressed entries
as ``"<11"`` or ``"suppressed"``), the notes of the results it used and those results. Hidden
entries come from Table 1's suppression (:mod:`lbprun.reporting._report_masks`).

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"sex": ["F", "M"] * 30, "lbp_12m": [True, False, False] * 20})
>>> built = table_one_part(data, "lbp_12m", ["sex"], design=None, threshold=11)
>>> built.tables["table_one"].columns.tolist()
['variable', 'level', 'Overall', 'lbp_12m = no', 'lbp_12m = yes']
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lbprun.reporting._report_format import (
    Section,
    figure_png,
    interval,
    new_axes,
    p_value,
    ratio,
)
from lbprun.reporting._report_masks import cell_text, level_status, overall_status, text_of

__all__ = ["Part", "prevalence_part", "risk_part", "table_one_part"]


@dataclass
class Part:
    """A built section with its tables, notes and the results behind it."""

    section: Section
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)


def _warned(call, notes: list[str]):
    """Run ``call()``; its warnings become notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = call()
    notes.extend(str(w.message) for w in caught)
    return value


def table_one_part(
    data: pd.DataFrame,
    outcome: str,
    columns: Sequence[str],
    *,
    design: Any,
    threshold: int,
    categorical: Sequence[str] = (),
) -> Part:
    """Table 1 by outcome (weighted with a design), small cells suppressed."""
    from lbprun.reporting.table_one import table_one

    notes: list[str] = []
    t1 = _warned(
        lambda: table_one(
            data,
            outcome,
            columns=list(columns),
            categorical=list(categorical),
            design=design,
            threshold=threshold,
        ),
        notes,
    )
    display = t1.display.reset_index()
    display.columns = [str(c) for c in display.columns]
    kind = (
        "survey-weighted percentages, means and SDs; counts are respondents"
        if design
        else ("n (%), mean (SD)")
    )
    section = Section(
        key="table-one",
        title="Table 1: characteristics by outcome",
        paragraphs=[
            f"Characteristics of the runners overall and by {outcome} ({kind}). Counts from 1 "
            f"to {threshold - 1} are shown as <{threshold}; cells marked 'suppressed' are hidden "
            "so that those counts cannot be worked out from the totals."
        ],
        tables=[("table_one", "Table 1")],
    )
    return Part(
        section, {"table_one": display.astype(str)}, [*t1.notes, *notes], {"table_one": t1}
    )


def _group_rows(result, t1, variable: str, outcome: str, threshold: int) -> list[dict]:
    status = level_status(t1, variable, outcome)
    is_bool = pd.api.types.is_bool_dtype(result.table["group"]) or set(
        result.table["group"].astype(str)
    ) <= {"True", "False"}
    rows = []
    for row in result.table[result.table["by"] == variable].itertuples(index=False):
        level = text_of(row.group) if is_bool else str(row.group)
        s = status.loc[level] if level in status.index else None
        cases_status = int(s["cases"]) if s is not None else 0
        hidden = s is not None and (s["cases"] > 0 or s["non_cases"] > 0)
        rows.append(
            {
                "group": f"{variable}: {level}",
                "n": "suppressed" if hidden else str(int(row.n)),
                "cases": cell_text(cases_status, str(int(row.cases)), threshold),
                "prevalence (95% CI)": "suppressed"
                if hidden
                else interval(row.estimate, row.ci_low, row.ci_high),
                "_shown": not hidden,
                "_row": row,
            }
        )
    return rows


def prevalence_part(
    data: pd.DataFrame,
    outcome: str,
    by: Sequence[str],
    *,
    design: Any,
    t1: Any,
    threshold: int,
) -> Part:
    """Prevalence overall and by each ``by`` column; groups with a hidden count are hidden."""
    from lbprun.measures.prevalence import prevalence

    notes: list[str] = []
    overall = _warned(lambda: prevalence(data, outcome, design=design), notes)
    first = overall.table.iloc[0]
    no_status, yes_status = overall_status(t1, outcome)
    hidden = no_status > 0 or yes_status > 0
    rows = [
        {
            "group": "Overall",
            "n": "suppressed" if hidden else str(int(first.n)),
            "cases": cell_text(yes_status, str(int(first.cases)), threshold),
            "prevalence (95% CI)": "suppressed"
            if hidden
            else interval(first.estimate, first.ci_low, first.ci_high),
            "_shown": not hidden,
            "_row": first,
        }
    ]
    results = {"prevalence": overall}
    for variable in by:
        result = _warned(lambda v=variable: prevalence(data, outcome, by=v, design=design), notes)
        results[f"prevalence_{variable}"] = result
        rows += _group_rows(result, t1, variable, outcome, threshold)
    table = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")} for r in rows])
    method = overall.method
    what = (
        f"design-based {method} intervals (Taylor linearisation)"
        if design is not None
        else f"{method} score intervals"
    )
    paragraphs = [f"Prevalence of {outcome} ({overall.case_definition}) with 95% {what}."]
    if not hidden:
        paragraphs.append(
            f"Overall prevalence: {interval(first.estimate, first.ci_low, first.ci_high)}, "
            f"n = {int(first.n)}, cases = {int(first.cases)}."
        )
    figures = []
    shown = [r["_row"] for r in rows if r["_shown"]]
    if shown:
        from lbprun.plots.measures import plot_prevalence

        plotted = pd.DataFrame(
            [
                {
                    "by": "all" if r["group"] == "Overall" else r["group"].split(": ")[0],
                    "group": r["group"].split(": ", 1)[-1],
                    "estimate": r["_row"].estimate,
                    "ci_low": r["_row"].ci_low,
                    "ci_high": r["_row"].ci_high,
                }
                for r in rows
                if r["_shown"]
            ]
        )
        ax = new_axes(6.4, 0.4 * len(plotted) + 1.4)
        plot_prevalence(plotted, ax=ax)
        figures.append(("Prevalence with 95% confidence intervals (groups shown only)", ax))
    omitted = sum(not r["_shown"] for r in rows)
    if omitted:
        paragraphs.append(
            f"{omitted} group(s) with a suppressed count show no estimate and are left out of "
            "the figure."
        )
    for result in results.values():
        notes.extend(result.notes)
    section = Section(
        key="prevalence",
        title="Prevalence",
        paragraphs=paragraphs,
        tables=[("prevalence", "Prevalence overall and by group")],
        figures=[(caption, figure_png(ax.figure)) for caption, ax in figures],
    )
    return Part(section, {"prevalence": table}, notes, results)


_LABEL = re.compile(r"^(?P<variable>[^:]+): (?P<level>.+) vs (?P<reference>.+)$")


def _or_hidden(label: str, t1: Any, outcome: str) -> bool:
    match = _LABEL.match(label)
    if not match or match["variable"] not in t1.suppression:
        return False
    status = level_status(t1, match["variable"], outcome)
    for level in (match["level"], match["reference"]):
        if level in status.index and (status.loc[level, ["cases", "non_cases"]] > 0).any():
            return True
    return False


def _plain_ticks(ax: Any) -> None:
    """Plain numbers on the log axis (``0.5``, ``1``, ``2``), never mathtext labels."""
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if v in (0.5, 2) else ""))


def risk_part(
    data: pd.DataFrame,
    outcome: str,
    covariates: Sequence[str],
    *,
    design: Any,
    t1: Any,
) -> Part:
    """Logistic odds ratios with intervals and a forest plot; suppressed levels hidden."""
    from lbprun.models.risk_factors import fit_risk_factors

    section = Section(key="risk-factors", title="Risk factors (odds ratios)")
    if not covariates:
        section.paragraphs.append("No covariates were given, so no model was fitted.")
        return Part(section)
    notes: list[str] = []
    fit = _warned(lambda: fit_risk_factors(data, outcome, list(covariates), design=design), notes)
    frame = fit.to_frame("odds_ratio")
    frame = frame[frame["term"] != "(Intercept)"].reset_index(drop=True)
    hidden = [_or_hidden(label, t1, outcome) for label in frame["label"]]
    table = pd.DataFrame(
        {
            "term": frame["label"],
            "odds ratio (95% CI)": [
                "suppressed" if h else ratio(e, lo, hi)
                for h, e, lo, hi in zip(
                    hidden, frame["estimate"], frame["ci_low"], frame["ci_high"], strict=True
                )
            ],
            "p value": [
                "suppressed" if h else p_value(p)
                for h, p in zip(hidden, frame["p_value"], strict=True)
            ],
        }
    )
    model = (
        "survey-weighted logistic regression (design-based SEs, t intervals)"
        if design
        else ("logistic regression (maximum likelihood, Wald intervals)")
    )
    n_used = int(fit.stats.get("n_used", len(data)))
    section.paragraphs.append(
        f"Odds ratios of {outcome} from a {model} on {', '.join(covariates)}, each adjusted for "
        f"the others; n = {n_used}."
    )
    shown = frame[[not h for h in hidden]]
    if sum(hidden):
        section.paragraphs.append(
            f"{sum(hidden)} odds ratio(s) of a level with a suppressed count are hidden and left "
            "out of the forest plot."
        )
    section.tables.append(("odds_ratios", "Adjusted odds ratios"))
    if len(shown):
        from lbprun.plots.models import plot_forest

        ax = new_axes(6.4, 0.4 * len(shown) + 1.4)
        plot_forest(shown.assign(term=shown["label"]), ax=ax)
        _plain_ticks(ax)
        section.figures.append(
            ("Forest plot of the odds ratios (log scale)", figure_png(ax.figure))
        )
    return Part(section, {"odds_ratios": table}, [*notes, *fit.notes], {"risk_factors": fit})
