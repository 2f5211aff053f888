"""A STROBE-shaped study report from one data file, small cells suppressed everywhere.

:func:`report` reads a runner survey through lbprun's reader (rows read, kept and rejected by
reason), then builds: Table 1 by outcome (weighted under a survey design), the prevalence
overall and by group with intervals and a figure, adjusted odds ratios with a forest plot,
training-load exposures from an optional training log (aggregated over runners), every note and
warning of the results, a methods paragraph with the equivalent R calls, and the lbprun version
with the SHA-256 of each input file. The :class:`Report` renders as one self-contained HTML
page (prints to PDF) or Markdown, and exports its tables as CSV, Excel or LaTeX.

Counts from 1 to ``threshold - 1`` (10 by default) are never shown, nor anything they could be
derived from: Table 1 suppresses each characteristic's levels × (non-cases, cases) matrix once
(:func:`lbprun.reporting.suppression.suppress_counts`), and the prevalence and odds-ratio
tables hide what that suppression hides (see ``docs/report.md``). No runner identifier, date of
birth or position is shown.

Examples
--------
>>> from lbprun.datasets import load_example_survey
>>> r = report(load_example_survey(), outcome="lbp_12m", by=["sex"])
>>> list(r.tables)
['data_summary', 'table_one', 'prevalence', 'odds_ratios']
>>> r.tables["prevalence"]["group"].tolist()
['Overall', 'sex: F', 'sex: M']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lbprun._checks import ArgumentError, check_columns, check_positive_int
from lbprun.reporting._report_export import export_tables
from lbprun.reporting._report_format import Section
from lbprun.reporting._report_inputs import InputRecord, read_input
from lbprun.reporting._report_masks import redact_notes
from lbprun.reporting._report_methods import data_section, methods_section
from lbprun.reporting._report_render import to_html, to_markdown
from lbprun.reporting._report_sections import prevalence_part, risk_part, table_one_part
from lbprun.reporting.suppression import DEFAULT_THRESHOLD

__all__ = ["Report", "report"]

_SAVERS = {".html": "to_html", ".htm": "to_html", ".md": "to_markdown"}


@dataclass(frozen=True, kw_only=True, eq=False)
class Report:
    """A study report: sections, publishable tables (text only), notes and inputs.

    Attributes
    ----------
    title : str
        The report's title.
    sections : tuple of Section
        In order: data, Table 1, prevalence, risk factors, training load (with a log), notes,
        methods, provenance.
    tables : dict of str to pandas.DataFrame
        Name -> the table as published: strings, suppressed entries ``"<11"`` or
        ``"suppressed"``.
    notes : tuple of str
        Every note and warning of the results (small counts of rows and runner ids removed).
    inputs : tuple of InputRecord
        Each input's name, SHA-256 and row counts.
    threshold : int
        Counts from 1 to ``threshold - 1`` are suppressed.
    results : dict
        The lbprun results behind the tables (``table_one``, ``prevalence``,
        ``prevalence_<by>``, ``risk_factors``, ...), for checking; they are not suppressed.
    """

    title: str
    sections: tuple[Section, ...]
    tables: dict[str, pd.DataFrame]
    notes: tuple[str, ...] = ()
    inputs: tuple[InputRecord, ...] = ()
    threshold: int = DEFAULT_THRESHOLD
    results: dict[str, Any] = field(default_factory=dict, repr=False)

    def _captions(self) -> dict[str, str]:
        return {name: caption for s in self.sections for name, caption in s.tables}

    def to_html(self) -> str:
        """Return the report as one self-contained HTML page (no external resource).

        Returns
        -------
        str
            The page: inline CSS, figures as base64 PNG, no script, a print stylesheet.
        """
        return to_html(self.title, self.sections, self.tables)

    def to_markdown(self) -> str:
        """Return the report as Markdown (figures embedded as ``data:`` images).

        Returns
        -------
        str
            The report as Markdown text, tables as pipe tables.
        """
        return to_markdown(self.title, self.sections, self.tables)

    def _repr_html_(self) -> str:
        return self.to_html()

    def save(self, path: str | Path) -> Path:
        """Write the report to ``path``: HTML (``.html``) or Markdown (``.md``) by extension.

        Parameters
        ----------
        path : str or pathlib.Path
            The file to write; its extension chooses the format.

        Returns
        -------
        pathlib.Path
            The file written.

        Raises
        ------
        lbprun._checks.ArgumentError
            Another extension.
        """
        path = Path(path)
        method = _SAVERS.get(path.suffix.lower())
        if method is None:
            raise ArgumentError(f"path must end in .html or .md; got {str(path)!r}.")
        path.write_text(getattr(self, method)(), encoding="utf-8")
        return path

    def export_tables(self, folder: str | Path, format: str = "csv") -> list[Path]:
        """Write every table to ``folder/<name>.<format>`` (``"csv"``, ``"xlsx"`` or ``"tex"``).

        The files hold the suppressed text, never the hidden numbers.

        Parameters
        ----------
        folder : str or pathlib.Path
            Folder to write into (created if missing).
        format : {"csv", "xlsx", "tex"}, default="csv"
            File format of every table.

        Returns
        -------
        list of pathlib.Path
            The files written, one per table.
        """
        return export_tables(self.tables, self._captions(), folder, format)


def _names(value: str | Sequence[str] | None, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not all(isinstance(v, str) for v in value):
        raise ArgumentError(f"{name} must be column names; got {value!r}.")
    return list(value)


def _characteristics(data: pd.DataFrame, outcome: str, design: Any, extra: list[str]) -> list[str]:
    from lbprun.reporting.table_one import default_characteristics

    columns = default_characteristics(data, outcome, design)
    return columns + [c for c in extra if c not in columns]


def report(
    data: Any,
    *,
    outcome: str = "lbp_12m",
    by: str | Sequence[str] = (),
    design: Any = None,
    activities: Any = None,
    covariates: Sequence[str] | None = None,
    threshold: int = DEFAULT_THRESHOLD,
    title: str | None = None,
    columns: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
) -> Report:
    """Build a STROBE-shaped report of a runner survey, small cells suppressed.

    Parameters
    ----------
    data : str, pathlib.Path, pandas.DataFrame or ValidationReport
        The survey: a file or a table, read and validated by
        :func:`lbprun.io.read.read_survey` with ``on_error="drop"`` (rejected rows are
        counted by reason and left out), or a reader's report.
    outcome : str, default="lbp_12m"
        The 0/1 LBP outcome.
    by : str or sequence of str, default=()
        Columns whose groups get their own prevalence (one table row per level).
    design : SurveyDesign, optional
        Survey design: Table 1 weighted, design-based prevalence intervals, survey-weighted
        logistic regression.
    activities : str, pathlib.Path, pandas.DataFrame or ValidationReport, optional
        A training log (:func:`lbprun.io.read.read_activities`) for the training-load section.
    covariates : sequence of str, optional
        Predictors of the logistic model; default the ``by`` columns.
    threshold : int, default=11
        Counts from 1 to ``threshold - 1`` are suppressed with everything they could be
        derived from.
    title : str, optional
        Default ``"Low back pain in runners: <outcome>"``.
    columns, units : dict, optional
        The survey reader's ``columns=`` and ``units=``.

    Returns
    -------
    Report
        ``to_html()``, ``to_markdown()``, ``save(path)``, ``tables``, ``export_tables()``.

    Raises
    ------
    lbprun._checks.ArgumentError
        A missing column, a column identifying runners among ``by`` or ``covariates``, a bad
        threshold.
    lbprun.exceptions.DataValidationError
        A required column missing from the file.

    Notes
    -----
    Prevalence intervals are Wilson score intervals (R ``binom::binom.confint(method =
    "wilson")``), or with a design logit intervals (R ``survey::svyciprop(method =
    "logit")``); odds ratios come from ``glm(family = binomial)`` or ``survey::svyglm``.

    Examples
    --------
    >>> from lbprun.datasets import load_example_survey
    >>> survey = load_example_survey().head(400)
    >>> r = report(survey, outcome="lbp_12m", by="sex")
    >>> r.tables["prevalence"].columns.tolist()[:2]
    ['group', 'n']
    >>> r.to_html().startswith("<!DOCTYPE html>")
    True
    """
    threshold = check_positive_int(threshold, "threshold")
    by = _names(by, "by")
    covariates = list(by) if covariates is None else _names(covariates, "covariates")
    record = read_input(data, "survey", columns=columns, units=units)
    frame = record.data
    check_columns(frame, [outcome, *by, *covariates], name="data")
    if design is not None:
        check_columns(frame, list(design.columns), name="data")
    characteristics = _characteristics(
        frame, outcome, design, list(dict.fromkeys([*by, *covariates]))
    )
    parts = [
        table_one_part(
            frame,
            outcome,
            characteristics,
            design=design,
            threshold=threshold,
            categorical=[c for c in by if pd.api.types.is_numeric_dtype(frame[c])],
        )
    ]
    t1 = parts[0].results["table_one"]
    parts.append(prevalence_part(frame, outcome, by, design=design, t1=t1, threshold=threshold))
    parts.append(risk_part(frame, outcome, covariates, design=design, t1=t1))
    records = [record]
    if activities is not None:
        from lbprun.reporting._report_workload import workload_part

        log = read_input(activities, "activities")
        records.append(log)
        parts.append(workload_part(log.data, threshold=threshold))
    identifiers = set(frame["runner_id"].astype(str)) if "runner_id" in frame else set()
    if activities is not None and "runner_id" in records[-1].data:
        identifiers |= set(records[-1].data["runner_id"].astype(str))
    notes = redact_notes([n for p in parts for n in p.notes], threshold, identifiers)
    summary, summary_section = data_section(records)
    tables = {"data_summary": summary}
    for part in parts:
        tables.update(part.tables)
    sections = [summary_section, *(p.section for p in parts)]
    sections.append(
        Section(
            key="notes",
            title="Notes and warnings",
            paragraphs=[] if notes else ["No result raised a note or a warning."],
            items=notes,
        )
    )
    sections += methods_section(records, design=design, covariates=covariates, threshold=threshold)
    results = {k: v for p in parts for k, v in p.results.items()}
    return Report(
        title=title or f"Low back pain in runners: {outcome}",
        sections=tuple(sections),
        tables=tables,
        notes=tuple(notes),
        inputs=tuple(records),
        threshold=threshold,
        results=results,
    )
