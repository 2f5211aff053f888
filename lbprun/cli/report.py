"""``lbprun report FILE --outcome lbp_12m -o report.html``: a study report, small cells hidden.

Reads a runner survey (and, with ``--activities LOG``, a training log) with the shared reader
options (``--columns``, ``--units``, ``--sheet``, ``--on-error``, ``--rejected``,
``--config``, as in :mod:`lbprun.cli._reading`), builds :func:`lbprun.reporting.report.report`
and writes it to ``-o`` (``.html`` or ``.md`` by the extension). ``--tables DIR`` also writes
every table (``--table-format csv|xlsx|tex``). The survey design is
``--design cluster=club,strata=region,weights=weight,nest`` or the ``--cluster``, ``--strata``
and ``--weights`` options of ``lbprun prevalence`` (clusters nested in strata). Exit code 0 on
success, 1 on invalid data, 2 on bad usage.

Examples
--------
>>> parser = argparse.ArgumentParser()
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["report", "s.csv", "--by", "sex", "--design",
...                           "cluster=club,strata=region,weights=weight,nest", "-o", "r.md"])
>>> args.by, args.output, parse_design(args.design)
(['sex'], 'r.md', {'cluster': 'club', 'strata': 'region', 'weights': 'weight', 'nest': True})
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lbprun.cli._config import UsageError
from lbprun.cli._model_options import add_design_options, split_list
from lbprun.cli._reading import InputReader, add_reader_options

__all__ = ["parse_design", "register", "run"]

_DESIGN_KEYS = ("cluster", "strata", "weights")
_REPORTS = (".html", ".htm", ".md")


def parse_design(text: str) -> dict[str, Any]:
    """Parse ``cluster=C,strata=S,weights=W[,nest]`` (``nest`` or ``nest=true|false``)."""
    out: dict[str, Any] = {}
    nest = False
    for item in split_list(text):
        key, sep, value = (part.strip() for part in item.partition("="))
        if key == "nest":
            if sep and value.lower() not in ("true", "false", "yes", "no", "1", "0"):
                raise UsageError(f"--design nest must be true or false; got {value!r}.")
            nest = not sep or value.lower() in ("true", "yes", "1")
        elif key in _DESIGN_KEYS and sep and value:
            out[key] = value
        else:
            raise UsageError(
                "--design must look like cluster=COLUMN,strata=COLUMN,weights=COLUMN[,nest]; "
                f"got {item!r}."
            )
    if not any(k in out for k in _DESIGN_KEYS):
        raise UsageError(f"--design names no cluster, strata or weights; got {text!r}.")
    return {**out, "nest": nest}


def register(subparsers: Any) -> None:
    """Add the ``report`` sub-command."""
    parser = subparsers.add_parser(
        "report",
        help="a self-contained HTML or Markdown study report, small cells suppressed",
        description="Make a STROBE-shaped report of a runner survey: data and validation, "
        "Table 1, prevalence, odds ratios, training load; counts below --threshold hidden.",
    )
    parser.add_argument("file", help="the survey file")
    parser.add_argument(
        "--outcome", default="lbp_12m", help="0/1 outcome column (default lbp_12m)"
    )
    parser.add_argument(
        "--by", action="append", default=[], metavar="COLUMN", help="prevalence by this column"
    )
    parser.add_argument(
        "--covariates",
        type=split_list,
        metavar="A,B",
        help="predictors of the logistic model (default: the --by columns)",
    )
    parser.add_argument(
        "--design",
        metavar="SPEC",
        help="survey design: cluster=COLUMN,strata=COLUMN,weights=COLUMN[,nest]",
    )
    add_design_options(parser)
    parser.add_argument("--activities", metavar="LOG", help="a training log (training load)")
    parser.add_argument(
        "--threshold", type=int, default=11, help="counts from 1 to THRESHOLD-1 hidden (11)"
    )
    parser.add_argument("--title", help="title of the report")
    parser.add_argument(
        "-o", "--output", default="report.html", metavar="FILE", help="report.html or report.md"
    )
    parser.add_argument("--tables", metavar="DIR", help="also write every table to DIR")
    parser.add_argument(
        "--table-format",
        choices=("csv", "xlsx", "tex"),
        default="csv",
        help="format of --tables (default csv)",
    )
    add_reader_options(parser)
    parser.set_defaults(func=run)


def _design(args: argparse.Namespace) -> Any:
    from lbprun.measures.survey import SurveyDesign

    given = [f"--{k}" for k in _DESIGN_KEYS if getattr(args, k)]
    if args.design is None:
        if not given:
            return None
        return SurveyDesign(
            cluster=args.cluster, strata=args.strata, weights=args.weights, nest=True
        )
    if given:
        raise UsageError(f"--design must be given alone; got it with {', '.join(given)}.")
    return SurveyDesign(**parse_design(args.design))


def run(args: argparse.Namespace) -> int:
    """Build and write the report; return the exit code (0 on success)."""
    from lbprun.reporting.report import report

    if Path(args.output).suffix.lower() not in _REPORTS:
        raise UsageError(f"-o must end in .html or .md; got {args.output!r}.")
    if args.threshold < 1:
        raise UsageError(f"--threshold must be a positive integer; got {args.threshold}.")
    design = _design(args)
    reader = InputReader(args, "report", fit=args.activities is not None)
    files = [(args.file, "survey")]
    if args.activities:
        files.append((args.activities, "activities"))
    settings = reader.plan(files)
    reader.read(args.file, "survey", settings[0])
    survey = reader.last
    log = None
    if args.activities:
        reader.read(args.activities, "activities", settings[1])
        log = reader.last
    reader.finish()
    result = report(
        survey,
        outcome=args.outcome,
        by=args.by,
        design=design,
        activities=log,
        covariates=args.covariates,
        threshold=args.threshold,
        title=args.title,
    )
    written = result.save(args.output)
    print(f"lbprun report: wrote {written}", file=sys.stderr)
    if args.tables:
        paths = result.export_tables(args.tables, args.table_format)
        print(f"lbprun report: wrote {len(paths)} tables to {args.tables}", file=sys.stderr)
    return 0
