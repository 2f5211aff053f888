"""``lbprun model develop|show|schema``: develop a clinic risk model, inspect a model file.

``lbprun model develop FILE --outcome lbp_12m --predictors a,b,c --out model.json`` reads a
runner survey (:func:`lbprun.io.read.read_survey`, with the reader options ``--columns``,
``--units``, ``--sheet``, ``--on-error``, ``--rejected``, ``--config`` and ``--kind``), runs
:func:`lbprun.clinic.develop_risk_model` (``--spline COLUMN:KNOTS``, ``--reference
COLUMN=LEVEL``, ``--penalty firth``, ``--cluster/--strata/--weights``, ``--validation
bootstrap|cv|none``, ``--bootstrap B``, ``--seed N``, ``--jobs N``, ``--label TEXT``),
prints the performance table (apparent, optimism, corrected), saves the model file and, with
``--report FILE``, the development report (``.html`` or ``.md``). ``lbprun model show
MODEL.json`` prints a model file's feature schema, coefficients, development summary,
validation and label (``--json``: the model as JSON); ``lbprun model schema`` prints the JSON
Schema of model files. Exit code 0 on success, 1 on invalid data, a failed fit or a tampered
model file, 2 on bad usage.

Examples
--------
>>> parser = argparse.ArgumentParser()
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["model", "develop", "s.csv", "--predictors", "age,sex",
...                           "--spline", "age:4", "--out", "m.json", "--bootstrap", "20"])
>>> args.predictors, args.spline, args.bootstrap, args.validation
(['age', 'sex'], [('age', 4)], 20, 'bootstrap')
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lbprun.cli._model_options import add_design_options, spline, split_list, survey_design
from lbprun.cli._reading import InputReader, add_reader_options

__all__ = ["register", "run_develop", "run_schema", "run_show"]

#: Report formats by extension.
REPORTS = {".html": "html", ".htm": "html", ".md": "markdown"}


def register(subparsers: Any) -> None:
    """Add the ``model`` sub-command and its ``develop``, ``show`` and ``schema``."""
    parser = subparsers.add_parser(
        "model",
        help="develop a clinic risk model; show a model file",
        description="Develop and validate a clinic risk model (saved as a model file for "
        "'lbprun score'), or show what a model file holds.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    parser.set_defaults(func=lambda args: _help(parser))
    _register_develop(actions)
    show = actions.add_parser("show", help="print a model file's schema, coefficients, summary")
    show.add_argument("model_file", metavar="MODEL.json", help="the model file")
    show.add_argument("--json", action="store_true", help="print the model as JSON")
    show.set_defaults(func=run_show)
    schema = actions.add_parser("schema", help="print the JSON Schema of model files")
    schema.set_defaults(func=run_schema)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _register_develop(actions: Any) -> None:
    parser = actions.add_parser(
        "develop",
        help="fit and internally validate a risk model; save the model file",
        description="Fit a logistic clinic risk model on a runner survey, validate it "
        "internally (bootstrap or cross-validation) and save the model file.",
    )
    parser.add_argument("file", help="the survey file (CSV/TSV, xlsx, parquet, dta, sav)")
    parser.add_argument("--outcome", default="lbp_12m", help="0/1 outcome (default lbp_12m)")
    parser.add_argument(
        "--predictors", required=True, type=split_list, help="comma-separated predictor columns"
    )
    parser.add_argument(
        "--spline",
        action="append",
        default=[],
        type=spline,
        metavar="COLUMN:KNOTS",
        help="restricted cubic spline with 3-7 knots (repeatable)",
    )
    parser.add_argument(
        "--reference",
        action="append",
        default=[],
        metavar="COLUMN=LEVEL",
        help="reference level of a categorical predictor (repeatable)",
    )
    parser.add_argument("--penalty", choices=("firth",), help="Firth penalised likelihood")
    add_design_options(parser)
    parser.add_argument(
        "--validation",
        default="bootstrap",
        choices=("bootstrap", "cv", "none"),
        help="internal validation (default bootstrap)",
    )
    parser.add_argument("--bootstrap", type=int, default=200, help="replicates (200)")
    parser.add_argument("--folds", type=int, default=10, help="folds of --validation cv (10)")
    parser.add_argument("--repeats", type=int, default=20, help="repeats of --validation cv")
    parser.add_argument("--seed", type=int, default=20240601, help="seed of every resample")
    parser.add_argument("--jobs", type=int, default=-1, help="worker processes (-1: all)")
    parser.add_argument("--label", default="", help="label shown with every score")
    parser.add_argument("--out", required=True, metavar="MODEL.json", help="the model file")
    parser.add_argument("--report", metavar="FILE", help="development report: .html or .md")
    parser.add_argument("--progress", action="store_true", help="show a progress bar")
    add_reader_options(parser, kinds=("survey", "cohort"), default_kind="survey")
    parser.set_defaults(func=run_develop)


def _say(text: str) -> None:
    print(f"lbprun model: {text}", file=sys.stderr)


def run_develop(args: argparse.Namespace) -> int:
    """Develop the model, print its performance, save the model file (and report)."""
    from lbprun._checks import ArgumentError
    from lbprun.cli._clinic_show import performance_text
    from lbprun.cli._config import UsageError
    from lbprun.clinic import develop_risk_model

    if Path(args.out).suffix.lower() != ".json":
        raise UsageError(f"--out must end in .json (a model file); got {args.out!r}.")
    if args.report and Path(args.report).suffix.lower() not in REPORTS:
        raise UsageError(f"--report must end in .html or .md; got {args.report!r}.")
    references = {}
    for item in args.reference:
        column, sep, level = item.partition("=")
        if not sep:
            raise UsageError(f"--reference must look like COLUMN=LEVEL; got {item!r}.")
        references[column] = level
    reader = InputReader(args, "model")
    (settings,) = reader.plan([(args.file, args.kind)])
    data = reader.read(args.file, args.kind, settings)
    reader.finish()
    design = survey_design(args)
    try:
        developed = develop_risk_model(
            data,
            args.outcome,
            args.predictors,
            splines=dict(args.spline) or None,
            penalty=args.penalty,
            reference_levels=references or None,
            design=design,
            validation=args.validation,
            n_bootstrap=args.bootstrap,
            folds=args.folds,
            repeats=args.repeats,
            seed=args.seed,
            n_jobs=args.jobs,
            progress=True if args.progress else (False if args.quiet else None),
            label=args.label,
        )
    except ArgumentError as error:
        raise ArgumentError(f"{args.file}: {error}") from None
    print(performance_text(developed))
    written = developed.model.save(args.out)
    print(f"Model file: {written}")
    if args.report:
        text = developed.report(REPORTS[Path(args.report).suffix.lower()])
        Path(args.report).write_text(text, encoding="utf-8")
        print(f"Report: {args.report}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Print what a model file holds (text, or ``--json``)."""
    from lbprun.cli._clinic_show import model_text
    from lbprun.clinic import load_model

    model = load_model(args.model_file)
    if args.json:
        print(json.dumps(model.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(model_text(model))
    return 0


def run_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of model files."""
    path = Path(__file__).resolve().parent.parent / "clinic" / "model_schema.json"
    print(path.read_text(encoding="utf-8").rstrip())
    return 0
