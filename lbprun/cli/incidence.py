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

from lbprun.cli._output import add_out, check_extension, print_csv, write_out
from lbprun.cli._reading import InputReader, add_reader_options

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
    add_reader_options(parser)
    parser.set_defaults(func=run)


def tidy_table(risk: Any, rates: Any) -> pd.DataFrame:
    """Stack the risk, rate and rate-ratio tables into one table with a ``measure`` column.

    Parameters
    ----------
    risk : IncidenceResult
        Cumulative incidence.
    rates : IncidenceRateResult
        Incidence rates and rate ratios.

    Returns
    -------
    pandas.DataFrame
        ``measure`` (``cumulative_incidence``, ``rate``, ``rate_ratio``) followed by the
        union of the three tables' columns (empty where a column does not apply).
    """
    parts = [
        risk.to_frame().assign(measure="cumulative_incidence"),
        rates.to_frame().assign(measure="rate"),
    ]
    if not rates.rate_ratios.empty:
        parts.append(rates.rate_ratios.assign(measure="rate_ratio"))
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
    if args.json:
        out = {"cumulative_incidence": risk.to_dict(), "incidence_rate": rates.to_dict()}
        print(json.dumps(out, indent=2))
    elif args.csv:
        print_csv(tidy_table(risk, rates))
    else:
        print(risk.summary())
        print()
        print(rates.summary())
    if args.out:
        write_out(tidy_table(risk, rates), args.out, "incidence", sheet_name="incidence")
    return 0
