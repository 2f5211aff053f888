"""``lbprun incidence COHORT ACTIVITIES``: cumulative incidence and incidence rates of LBP.

Reads a cohort and its training log (validated with :mod:`lbprun.io.read` when available),
computes :func:`lbprun.measures.incidence.cumulative_incidence` and
:func:`lbprun.measures.incidence.incidence_rate` and prints both as text (default), JSON
(``--json``: ``{"cumulative_incidence": ..., "incidence_rate": ...}``) or one tidy CSV
(``--csv``: a ``measure`` column says ``cumulative_incidence``, ``rate`` or ``rate_ratio``).
``--out FILE`` also writes that tidy table to a ``.csv``, ``.xlsx`` or ``.parquet`` file
(formula-like group labels escaped, see :mod:`lbprun.io.write`). Exit code 0 on success, 1 on
invalid data, 2 on bad usage.

Reader options (:mod:`lbprun.cli._reading`): the files are read as ``cohort``, ``activities``
and ``episodes``. ``--columns`` and ``--units`` apply to every file they fit: a ``--columns``
entry to each file that has a column of that name, a ``--units`` entry to each file whose kind
has that column (``distance_km=mi`` goes to the training log only); an entry that fits no file
is a usage error. A map for one file only goes in the ``--config`` table of its kind
(``[cohort.columns]``, ``[activities.units]``, ...), which is given to that file as it is.
``--on-error`` and ``--sheet`` apply to every file; ``--rejected`` collects the rejected rows
of every file in one table whose ``source`` and ``kind`` columns say where each came from.

Examples
--------
>>> parser = argparse.ArgumentParser()
>>> register(parser.add_subparsers())
>>> args = parser.parse_args(["incidence", "cohort.csv", "runs.csv", "--by", "sex", "--csv",
...                           "--units", "distance_km=mi"])
>>> args.exposure, args.by, args.per, args.csv, args.units
('hours', ['sex'], 1000.0, True, {'distance_km': 'mi'})
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import pandas as pd

from lbprun._result import to_jsonable
from lbprun.cli._output import add_out, check_extension, print_csv, write_out
from lbprun.cli._reading import InputReader, add_reader_options
from lbprun.cli._suppress import (
    add_suppression,
    publishable,
    summary_text,
    suppress_rate_ratios,
)

__all__ = ["register", "run", "tidy_table"]


def register(subparsers: Any) -> None:
    """Add the ``incidence`` sub-command."""
    parser = subparsers.add_parser(
        "incidence",
        help="cumulative incidence and rates of LBP per 1000 h / 1000 km",
        description="Estimate the cumulative incidence of a first LBP onset in a cohort and the "
        "incidence rate per running exposure (runs on dates before onset), overall and by "
        "group, with rate ratios between groups.",
    )
    parser.add_argument("cohort", help="the cohort file (one row per runner)")
    parser.add_argument("activities", help="the training log (one row per run)")
    parser.add_argument(
        "--exposure",
        choices=("hours", "km", "days"),
        default="hours",
        help="exposure unit of the rate (default hours)",
    )
    parser.add_argument(
        "--by", action="append", metavar="COLUMN", help="group by this column (repeat to cross)"
    )
    parser.add_argument(
        "--per", type=float, default=1000.0, help="rate per this much exposure (1000)"
    )
    parser.add_argument("--episodes", help="LBP episodes file: count every episode (recurrent)")
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    parser.add_argument(
        "--ratio-method",
        choices=("exact", "midp", "wald"),
        default="exact",
        help="rate-ratio interval: exact conditional (default), mid-p exact, or Wald on the "
        "log scale",
    )
    parser.add_argument("--reference", help="reference group of the rate ratios")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the results as JSON")
    output.add_argument("--csv", action="store_true", help="print one tidy CSV table")
    add_out(parser, "the tidy table of --csv")
    add_suppression(parser)
    add_reader_options(parser)
    parser.set_defaults(func=run)


def tidy_table(risk: pd.DataFrame, rates: pd.DataFrame, ratios: pd.DataFrame) -> pd.DataFrame:
    """Stack the risk, rate and rate-ratio tables into one table with a ``measure`` column.

    Parameters
    ----------
    risk : pandas.DataFrame
        Cumulative incidence (``IncidenceResult.to_frame()``, suppressed or not).
    rates : pandas.DataFrame
        Incidence rates (``IncidenceRateResult.to_frame()``).
    ratios : pandas.DataFrame
        Rate ratios (``IncidenceRateResult.rate_ratios``); may be empty.

    Returns
    -------
    pandas.DataFrame
        ``measure`` (``cumulative_incidence``, ``rate``, ``rate_ratio``) followed by the
        union of the three tables' columns (empty where a column does not apply).
    """
    parts = [risk.assign(measure="cumulative_incidence"), rates.assign(measure="rate")]
    if not ratios.empty:
        parts.append(ratios.assign(measure="rate_ratio"))
    table = pd.concat(parts, ignore_index=True)
    return table[["measure", *[c for c in table.columns if c != "measure"]]]


def run(args: argparse.Namespace) -> int:
    """Estimate and print cumulative incidence and rates; return the exit code."""
    from lbprun.measures.incidence import cumulative_incidence, incidence_rate

    check_extension(args.out, "--out")
    reader = InputReader(args, "incidence", fit=True)
    files = [(args.cohort, "cohort"), (args.activities, "activities")]
    if args.episodes:
        files.append((args.episodes, "episodes"))
    tables = [
        reader.read(path, kind, s)
        for (path, kind), s in zip(files, reader.plan(files), strict=True)
    ]
    reader.finish()
    cohort, activities = tables[:2]
    episodes = tables[2] if args.episodes else None
    risk = cumulative_incidence(cohort, by=args.by, level=args.level)
    rates = incidence_rate(
        cohort,
        activities,
        exposure=args.exposure,
        per=args.per,
        by=args.by,
        episodes=episodes,
        ratio_method=args.ratio_method,
        reference=args.reference,
        level=args.level,
    )
    risk_table = publishable(risk.to_frame(), args)
    rate_table = publishable(rates.to_frame(), args)
    ratios = suppress_rate_ratios(rates.rate_ratios, rate_table, args)
    if args.json:
        risk_out, rate_out = risk.to_dict(), rates.to_dict()
        risk_out["table"], rate_out["table"] = to_jsonable(risk_table), to_jsonable(rate_table)
        rate_out["rate_ratios"] = to_jsonable(ratios)
        out = {"cumulative_incidence": risk_out, "incidence_rate": rate_out}
        print(json.dumps(out, indent=2))
    elif args.csv:
        print_csv(tidy_table(risk_table, rate_table, ratios))
    else:
        print(summary_text(risk, risk_table, args))
        print()
        print(summary_text(rates, rate_table, args, ratios=ratios))
    if args.out:
        table = tidy_table(risk_table, rate_table, ratios)
        write_out(table, args.out, "incidence", sheet_name="incidence")
    return 0
