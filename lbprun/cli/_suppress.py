"""Small-cell suppression of the tables sub-commands print and write (on by default).

``--threshold N`` (default 11) hides counts from 1 to N-1 and whatever could reveal them, in
every output of the command: the printed summary, ``--csv``, ``--json`` and ``--out``.
``--no-suppress`` shows every count, for analysis that stays inside the study team.
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from lbprun._result import render_table

__all__ = ["add_suppression", "publishable", "summary_text", "suppress_rate_ratios"]


def add_suppression(parser: Any) -> None:
    """Add ``--threshold`` and ``--no-suppress`` to a sub-command's parser."""
    parser.add_argument(
        "--threshold",
        type=int,
        default=11,
        metavar="N",
        help="counts from 1 to N-1 are shown as <N, with whatever could reveal them "
        "suppressed (default 11)",
    )
    parser.add_argument(
        "--no-suppress",
        action="store_true",
        help="show every count (analysis inside the study team only; never publish)",
    )


def publishable(table: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """``table`` with small cells suppressed, unless ``--no-suppress``."""
    from lbprun.cli._config import UsageError
    from lbprun.reporting.estimate_suppression import suppress_estimates

    if args.no_suppress:
        return table
    if args.threshold < 2:
        raise UsageError(f"--threshold must be at least 2; got {args.threshold}.")
    return suppress_estimates(table, threshold=args.threshold)


def suppress_rate_ratios(
    ratios: pd.DataFrame, rates: pd.DataFrame, args: argparse.Namespace
) -> pd.DataFrame:
    """Hide each rate ratio whose group or reference has a suppressed event count."""
    if args.no_suppress or ratios.empty:
        return ratios
    shown = rates.set_index(["by", "group"])["events"].astype(str)
    hidden = {key for key, text in shown.items() if not text.isdigit()}
    out = ratios.astype({c: object for c in ratios.columns})
    for i, row in ratios.iterrows():
        if (row["by"], row["group"]) in hidden or (row["by"], row["reference"]) in hidden:
            for column in out.columns:
                if column not in ("by", "group", "reference", "method", "level"):
                    out.loc[i, column] = "suppressed"
    return out


def summary_text(
    result: Any,
    table: pd.DataFrame,
    args: argparse.Namespace,
    *,
    ratios: pd.DataFrame | None = None,
    **kwargs: Any,
) -> str:
    """The result's summary, its tables replaced by the suppressed ones."""
    if args.no_suppress:
        return result.summary(**kwargs)
    lines = [result._title(), render_table(table)]
    if ratios is not None and not ratios.empty:
        lines += [f"Rate ratios ({result.ratio_method}):", render_table(ratios)]
    notes = list(result.notes)
    notes.append(
        f"Counts from 1 to {args.threshold - 1} are shown as <{args.threshold}; entries marked "
        "'suppressed' are hidden so that those counts cannot be worked out (--no-suppress "
        "shows them)."
    )
    lines.append("Notes:")
    lines.extend(f"[{i}] {note}" for i, note in enumerate(notes, start=1))
    return "\n".join(lines)
