"""The fixed parts of a report: the data summary, the methods with R calls, the provenance.

Examples
--------
>>> import pandas as pd
>>> from lbprun.reporting._report_inputs import InputRecord
>>> record = InputRecord(name="s.csv", sha256="ab" * 32, kind="survey", rows_in=10,
...                      rows_kept=8, rows_rejected=2, reasons={"age / in_range": 2},
...                      data=pd.DataFrame())
>>> table, _ = data_section([record])
>>> table.to_dict("records")[0]
{'file': 's.csv', 'kind': 'survey', 'rows read': '10', 'kept': '8', 'rejected': '2', 'excluded': '0'}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from lbprun.reporting._report_format import Section
from lbprun.reporting._report_inputs import InputRecord

__all__ = ["data_section", "methods_section"]

_REFERENCES = [
    "von Elm E, Altman DG, Egger M, et al. The Strengthening the Reporting of Observational "
    "Studies in Epidemiology (STROBE) statement. Lancet 2007;370:1453-7.",
    "Wilson EB. Probable inference, the law of succession, and statistical inference. J Am Stat "
    "Assoc 1927;22:209-12.",
    "Lumley T. Analysis of complex survey samples. J Stat Softw 2004;9(8):1-19.",
    "Gabbett TJ. The training-injury prevention paradox. Br J Sports Med 2016;50:273-80.",
    "Centers for Medicare & Medicaid Services. Cell size suppression policy (counts 1-10).",
]


def data_section(records: Sequence[InputRecord]) -> tuple[pd.DataFrame, Section]:
    """Rows read, kept, rejected and excluded per input, and rejected rows by reason."""
    table = pd.DataFrame(
        [
            {
                "file": r.name,
                "kind": r.kind,
                "rows read": str(r.rows_in),
                "kept": str(r.rows_kept),
                "rejected": str(r.rows_rejected),
                "excluded": str(r.rows_excluded),
            }
            for r in records
        ]
    )
    items = [
        f"{r.name}: {reason}: {n} row(s) rejected"
        for r in records
        for reason, n in r.reasons.items()
    ]
    paragraphs = [
        "Each file was read and validated by lbprun's reader; a row failing any check was "
        "rejected and left out (rows read = kept + rejected + excluded). Rejected rows are "
        "counted by reason below; they are never listed."
    ]
    if not items:
        paragraphs.append("No row was rejected.")
    section = Section(
        key="data",
        title="Data and validation",
        paragraphs=paragraphs,
        tables=[("data_summary", "Rows read, kept and rejected")],
        items=items,
    )
    return table, section


def methods_section(
    records: Sequence[InputRecord],
    *,
    design: Any,
    covariates: Sequence[str],
    threshold: int,
) -> list[Section]:
    """The methods paragraph (with R-equivalent calls and references) and the provenance."""
    import lbprun

    if design is None:
        prevalence = (
            "Prevalences are crude proportions with Wilson score intervals (R: "
            'binom::binom.confint(x, n, method = "wilson")).'
        )
        model = "glm(outcome ~ covariates, family = binomial) with Wald intervals"
    else:
        ids = design.cluster or "1"
        strata = f", strata = ~{design.strata}" if design.strata else ""
        weights = f", weights = ~{design.weights}" if design.weights else ""
        prevalence = (
            "Prevalences are survey-weighted proportions with logit intervals from a "
            "Taylor-linearised variance (R: des <- survey::svydesign(ids = ~"
            f"{ids}{strata}{weights}, nest = {str(bool(design.nest)).upper()}, data = d); "
            'survey::svyciprop(~outcome, des, method = "logit"); by group with '
            "survey::svyby). Table 1 is weighted as tableone::svyCreateTableOne."
        )
        model = "survey::svyglm(outcome ~ covariates, des, family = quasibinomial())"
    text = [
        "Table 1 describes the runners overall and by outcome (tableone::CreateTableOne), "
        "without significance tests (STROBE item 14). " + prevalence,
        f"Odds ratios come from a logistic regression (R: {model}) on "
        f"{', '.join(covariates) or 'no covariates'}; each odds ratio is adjusted for the other "
        "covariates.",
        f"Counts from 1 to {threshold - 1} are suppressed, and so is every count, total, "
        "percentage, estimate or interval from which one could be derived (complementary "
        "suppression checked exactly by linear programming); the same suppression is used by "
        "Table 1, the prevalence table and the odds ratios.",
    ]
    if any(r.kind == "activities" for r in records):
        text.append(
            "Training load: weekly distance per runner and calendar week, and the acute:chronic "
            "workload ratio as 7-day over 28-day rolling means (uncoupled), summarised over "
            "runners only."
        )
    methods = Section(key="methods", title="Methods", paragraphs=text, items=list(_REFERENCES))
    provenance = Section(
        key="provenance",
        title="Software and inputs",
        paragraphs=[f"Made with lbprun {lbprun.__version__}."],
        items=[f"{r.name} ({r.kind}): SHA-256 {r.sha256}" for r in records],
    )
    return [methods, provenance]
