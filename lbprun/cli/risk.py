"""``lbprun risk FILE --outcome lbp_12m --predictors a,b,c``: odds ratios of risk factors.

Reads a runner survey (validated with :func:`lbprun.io.read.read_survey`), fits
:func:`lbprun.models.risk_factors.fit_risk_factors` and prints the odds-ratio table as text
(default), JSON (``--json``) or CSV (``--csv``). ``--firth`` uses Firth's penalised
likelihood; ``--cluster/--strata/--weights`` describe a survey design (clusters nested in
strata); ``--robust-cluster`` gives cluster-robust SEs without a design. ``--out FILE`` also
writes the table to a ``.csv``, ``.xlsx`` or ``.parquet`` file (formula-like terms escaped, see
:mod:`lbprun.io.write`). The reader options ``--columns``, ``--units`` (a weekly distance in
miles: ``--units weekly_km=mi``, so that the model is fitted in km), ``--sheet``,
``--on-error``, ``--rejected``, ``--config`` and ``--kind survey|cohort`` mean what they mean
in :mod:`lbprun.cli._reading`. Exit code 0 on success, 1 on invalid data or a failed fit, 2 on bad
usage.

Examples
--------
>>> parser = argparse.ArgumentParser()
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["risk", "s.csv", "--predictors", "sex,weekly_km", "--firth"])
>>> args.predictors, args.firth, args.interval
(['sex', 'weekly_km'], True, 'wald')
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from lbprun.cli._model_options import add_design_options, spline, split_list, survey_design
from lbprun.cli._output import add_out, check_extension, print_csv, write_out
from lbprun.cli._reading import InputReader, add_reader_options

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``risk`` sub-command."""
    parser = subparsers.add_parser(
        "risk",
        help="odds ratios of LBP risk factors (logistic regression)",
        description="Fit a logistic regression of an LBP outcome in a runner survey and print "
        "odds ratios with confidence intervals (ML, Firth or survey-weighted).",
    )
    parser.add_argument("file", help="the survey file (CSV/TSV, xlsx, parquet, dta, sav)")
    parser.add_argument(
        "--outcome", default="lbp_12m", help="0/1 outcome column (default lbp_12m)"
    )
    parser.add_argument(
        "--predictors", required=True, type=split_list, help="comma-separated predictor columns"
    )
    parser.add_argument(
        "--reference",
        action="append",
        default=[],
        metavar="COLUMN=LEVEL",
        help="reference level of a categorical predictor (repeatable)",
    )
    parser.add_argument(
        "--per",
        action="append",
        default=[],
        metavar="COLUMN=UNITS",
        help="odds ratio of a numeric predictor per UNITS of it, e.g. weekly_km=10 (repeatable)",
    )
    parser.add_argument(
        "--spline",
        action="append",
        default=[],
        type=spline,
        metavar="COLUMN:KNOTS",
        help="restricted cubic spline with 3-7 knots (repeatable)",
    )
    parser.add_argument("--firth", action="store_true", help="Firth penalised likelihood")
    parser.add_argument(
        "--interval", default="wald", choices=("wald", "profile"), help="interval method"
    )
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    add_design_options(parser)
    parser.add_argument("--robust-cluster", help="cluster-robust SEs by this column (ML fit)")
    parser.add_argument(
        "--log-odds", action="store_true", help="report log odds instead of odds ratios"
    )
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the result as JSON")
    output.add_argument("--csv", action="store_true", help="print the table as CSV")
    add_out(parser, "the odds-ratio table")
    add_reader_options(parser, kinds=("survey", "cohort"), default_kind="survey")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Fit and print the risk-factor model; return the exit code (0 on success)."""
    from lbprun._checks import ArgumentError
    from lbprun._result import to_jsonable
    from lbprun.models.risk_factors import fit_risk_factors

    check_extension(args.out, "--out")
    reader = InputReader(args, "risk")
    (settings,) = reader.plan([(args.file, args.kind)])
    data = reader.read(args.file, args.kind, settings)
    reader.finish()
    references = {}
    for item in args.reference:
        column, sep, level = item.partition("=")
        if not sep:
            raise ArgumentError(f"--reference must look like COLUMN=LEVEL; got {item!r}.")
        references[column] = level
    per = {}
    for item in args.per:
        column, _, units = item.partition("=")
        try:
            per[column] = float(units)
        except ValueError:
            raise ArgumentError(
                f"--per must look like COLUMN=UNITS (a number); got {item!r}."
            ) from None
    design = survey_design(args)
    result = fit_risk_factors(
        data,
        args.outcome,
        args.predictors,
        design=design,
        method="firth" if args.firth else "ml",
        cluster=args.robust_cluster,
        splines=dict(args.spline) or None,
        reference_levels=references or None,
        level=args.level,
        interval=args.interval,
        per=per or None,
    )
    scale = "log_odds" if args.log_odds else "odds_ratio"
    if args.json:
        payload = result.to_dict()
        # full precision (DataFrame.to_json rounds to 10 digits)
        payload["table"] = to_jsonable(result.to_frame(scale))
        payload["glance"] = to_jsonable(result.glance())[0]
        print(json.dumps(payload, indent=2))
    elif args.csv:
        print_csv(result.to_frame(scale))
    else:
        if scale == "odds_ratio":
            lines = [result.summary()]
        else:
            frame = result.to_frame(scale)
            frame = frame[["label", *[c for c in frame.columns if c not in ("label", "term")]]]
            lines = [f"Risk factors of {args.outcome} (log odds)", frame.to_string(index=False)]
            lines.extend(f"[{i}] {note}" for i, note in enumerate(result.notes, start=1))
        lines.append(result.glance().to_string(index=False))
        print("\n".join(lines))
    if args.out:
        write_out(result.to_frame(scale), args.out, "risk", sheet_name="risk factors")
    return 0
