"""``lbprun prevalence FILE --outcome lbp_12m``: prevalence overall and by group.

Reads a runner survey (validated with :func:`lbprun.io.read.read_survey`), estimates the
prevalence with :func:`lbprun.measures.prevalence.prevalence` and prints the table as text
(default), JSON (``--json``) or CSV (``--csv``). ``--cluster/--strata/--weights`` describe a
survey design (clusters nested in strata). ``--out FILE`` also writes the table to a
``.csv``, ``.xlsx`` or ``.parquet`` file (formula-like group labels escaped, see
:mod:`lbprun.io.write`). The reader options ``--columns``, ``--units``, ``--sheet``,
``--on-error``, ``--rejected``, ``--config`` and ``--kind survey|cohort`` (a cohort's
baseline table) mean what they mean in :mod:`lbprun.cli._reading`. Exit code 0 on success,
1 on invalid data, 2 on bad usage.

Examples
--------
>>> parser = argparse.ArgumentParser()
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["prevalence", "survey.csv", "--by", "sex", "--weights", "weight",
...                           "--units", "weekly_km=mi", "--on-error", "drop"])
>>> args.by, args.weights, args.method, args.kind, args.units, args.on_error
(['sex'], 'weight', None, 'survey', {'weekly_km': 'mi'}, 'drop')
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from lbprun._result import to_jsonable
from lbprun.cli._model_options import add_design_options, survey_design
from lbprun.cli._output import add_out, check_extension, print_csv, write_out
from lbprun.cli._reading import InputReader, add_reader_options
from lbprun.cli._suppress import add_suppression, publishable, summary_text

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``prevalence`` sub-command."""
    parser = subparsers.add_parser(
        "prevalence",
        help="prevalence of LBP overall and by group, with confidence intervals",
        description="Estimate the prevalence of an LBP outcome in a runner survey (CSV/TSV, "
        "xlsx, parquet, dta, sav), overall and by group; crude or under a survey design.",
    )
    parser.add_argument("file", help="the survey file")
    parser.add_argument(
        "--outcome", default="lbp_12m", help="0/1 outcome column (default lbp_12m)"
    )
    parser.add_argument(
        "--by", action="append", metavar="COLUMN", help="group by this column (repeat to cross)"
    )
    parser.add_argument(
        "--method",
        help="interval method: wilson (default), exact, jeffreys, agresti_coull, wald; "
        "with a design logit (default), beta, likelihood, mean",
    )
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    add_design_options(parser)
    parser.add_argument(
        "--case-definition", help="text describing the case definition of the outcome"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the result as JSON")
    output.add_argument("--csv", action="store_true", help="print the table as CSV")
    parser.add_argument(
        "--percent", action="store_true", help="estimates and bounds in %% (text, CSV, --out)"
    )
    add_out(parser, "the prevalence table")
    add_suppression(parser)
    add_reader_options(parser, kinds=("survey", "cohort"), default_kind="survey")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Estimate and print the prevalence; return the exit code (0 on success)."""
    from lbprun.measures.prevalence import prevalence

    check_extension(args.out, "--out")
    reader = InputReader(args, "prevalence")
    (settings,) = reader.plan([(args.file, args.kind)])
    data = reader.read(args.file, args.kind, settings)
    reader.finish()
    design = survey_design(args)
    result = prevalence(
        data,
        args.outcome,
        by=args.by,
        design=design,
        method=args.method,
        level=args.level,
        case_definition=args.case_definition,
    )
    table = publishable(result.to_frame(as_percent=args.percent), args)
    if args.json:
        out = result.to_dict()
        out["table"] = to_jsonable(table)
        print(json.dumps(out, indent=2))
    elif args.csv:
        print_csv(table)
    else:
        print(summary_text(result, table, args, as_percent=args.percent))
    if args.out:
        write_out(table, args.out, "prevalence", sheet_name="prevalence")
    return 0
