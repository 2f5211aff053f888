"""``lbprun score --model model.json --runner runner.json``: a runner's risk from a model file.

One runner (``--runner FILE``, a JSON object of fields by name; ``--runner -`` reads it from
standard input) prints the probability, its interval, the band and each factor's contribution
(text, or ``--json``). Many runners (``--input TABLE``, any table format lbprun reads) are
scored into ``--out FILE`` (``.csv``, ``.xlsx`` or ``.parquet``; CSV on standard output
without it): every input row is accounted for, rows in = rows scored + rows refused, and the
refused rows go with their reasons to ``--rejected FILE``. ``--activities LOG --index-date
DATE`` derives the model's load predictors (weekly km, progression, ACWR, shoe km) from the
runners' training log; the reader options (``--columns``, ``--units``, ``--sheet``,
``--on-error``, ``--config``) apply to that log, ``--input-columns`` renames the columns of
the runner table. ``--demo`` uses the bundled demonstration model, whose label is always
printed. Exit code 0 on success, 1 on a tampered model file or invalid data, 2 on bad usage.

Examples
--------
>>> parser = argparse.ArgumentParser()
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["score", "--demo", "--runner", "-", "--json"])
>>> args.demo, args.runner, args.json, args.level
(True, '-', True, 0.95)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lbprun.cli._output import add_out, check_extension, print_csv, write_out
from lbprun.cli._reading import InputReader, add_reader_options, parse_map

__all__ = ["register", "run"]


def register(subparsers: Any) -> None:
    """Add the ``score`` sub-command."""
    parser = subparsers.add_parser(
        "score",
        help="score runners with a clinic risk model (risk, interval, band, contributions)",
        description="Predict runners' risk of LBP with a clinic risk model file: one runner "
        "from JSON, or a table of runners (every row scored or refused with its reasons).",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", metavar="MODEL.json", help="the model file")
    which.add_argument(
        "--demo", action="store_true", help="the demonstration model (not for clinical use)"
    )
    runners = parser.add_mutually_exclusive_group(required=True)
    runners.add_argument(
        "--runner", metavar="FILE", help="one runner: a JSON object of fields ('-': stdin)"
    )
    runners.add_argument("--input", metavar="TABLE", help="a table of runners, one per row")
    parser.add_argument(
        "--input-columns",
        type=parse_map,
        metavar="MAP",
        help='rename columns of --input: "Age=age,km=weekly_km"',
    )
    parser.add_argument("--activities", metavar="LOG", help="the runners' training log")
    parser.add_argument(
        "--index-date", metavar="DATE", help="day of the consultation (with --activities)"
    )
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    parser.add_argument("--json", action="store_true", help="print one runner's score as JSON")
    add_out(parser, "the scored runners (with --input)")
    add_reader_options(parser)
    parser.set_defaults(func=run)


def _say(text: str) -> None:
    print(f"lbprun score: {text}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Score the runner(s) and print or write the result; return the exit code."""
    from lbprun.cli._config import UsageError

    check_extension(args.out, "--out")
    if args.out and not args.input:
        raise UsageError("--out must be used with --input; got --runner.")
    if args.json and args.input:
        raise UsageError("--json must be used with --runner; --input writes a table.")
    if (args.activities is None) != (args.index_date is None):
        raise UsageError("--activities and --index-date must be given together.")
    if args.demo:
        from lbprun.clinic import load_demo_model

        model = load_demo_model()
    else:
        from lbprun.clinic import load_model

        model = load_model(args.model)
    reader = InputReader(args, "score")
    activities = None
    if args.activities:
        (settings,) = reader.plan([(args.activities, "activities")])
        activities = reader.read(args.activities, "activities", settings)
    if model.label:
        _say(f"model label: {model.label}")
    if args.runner:
        reader.finish()
        return _one(model, args, activities)
    return _many(model, args, activities, reader)


def _one(model: Any, args: argparse.Namespace, activities: Any) -> int:
    import warnings

    from lbprun.cli._clinic_input import read_runner_json

    runner = read_runner_json(args.runner)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        result = model.score(
            runner, activities=activities, index_date=args.index_date, level=args.level
        )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.summary())
    return 0


def _many(model: Any, args: argparse.Namespace, activities: Any, reader: Any) -> int:
    import pandas as pd

    from lbprun.cli._clinic_input import parsed, read_runners, score_table

    frame, rows = read_runners(args.input, columns=args.input_columns, sheet=args.sheet)
    batch = score_table(
        model,
        parsed(model, frame),
        rows,
        activities=activities,
        index_date=args.index_date,
        level=args.level,
    )
    if len(batch.refused):
        refused = batch.refused.assign(source=str(args.input), kind="runners")
        reader._rejected.append(refused)
    for note in batch.notes:
        _say(note)
    where = (
        f"; refused rows with their reasons go to {reader.rejected_path}"
        if reader.rejected_path
        else "; --rejected FILE writes them with their reasons"
    )
    _say(
        f"{args.input}: {len(frame)} rows in, {len(batch.table)} scored, "
        f"{len(batch.refused)} refused{where if len(batch.refused) else ''}"
    )
    if len(batch.refused):
        for _, row in batch.refused.head(5).iterrows():
            _say(f"row {row['row']}: {row['reasons']}")
    reader.finish()
    if not len(batch.table):
        _say("no runner could be scored.")
        return 1
    table = pd.DataFrame(batch.table)
    if args.out:
        write_out(table, args.out, "score", sheet_name="scores")
    else:
        print_csv(table)
    return 0
