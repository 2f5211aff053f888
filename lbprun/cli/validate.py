"""``lbprun validate FILE --kind KIND``: check a runner table against the column dictionary.

Prints the rows in / valid / rejected, failures per column and check and up to 20 examples (or
JSON with ``--json``). Exit code 0 when the file is valid, 1 when it is not or cannot be read.

Examples
--------
>>> parse_map("Runner ID=runner_id, km=distance_km")
{'Runner ID': 'runner_id', 'km': 'distance_km'}
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lbprun.io.schema import SCHEMAS

__all__ = ["parse_map", "register", "run"]


def parse_map(text: str) -> dict[str, str]:
    """Parse ``"a=b,c=d"`` into ``{"a": "b", "c": "d"}`` (spaces around names are dropped)."""
    out = {}
    for item in text.split(","):
        if not item.strip():
            continue
        if "=" not in item:
            raise argparse.ArgumentTypeError(
                f"a MAP must be 'name=lbprun_name,...'; got {item.strip()!r} without '='."
            )
        key, value = item.rsplit("=", 1)
        if not key.strip() or not value.strip():
            raise argparse.ArgumentTypeError(f"a MAP entry needs both sides of '='; got {item!r}.")
        out[key.strip()] = value.strip()
    return out


def register(subparsers: Any) -> None:
    """Add the ``validate`` sub-command."""
    parser = subparsers.add_parser(
        "validate",
        help="check a survey, training log, cohort or episodes file",
        description="Validate a runner table (CSV/TSV/TXT, xlsx, parquet, dta, sav) against "
        "lbprun's column dictionary. Exit code 0 when valid, 1 when not.",
    )
    parser.add_argument("file", help="the file to check")
    parser.add_argument("--kind", required=True, choices=list(SCHEMAS), help="table kind")
    parser.add_argument(
        "--columns",
        type=parse_map,
        metavar="MAP",
        help='rename columns: "Runner ID=runner_id,km=distance_km"',
    )
    parser.add_argument(
        "--units",
        type=parse_map,
        metavar="MAP",
        help="units of the file: distance_km=mi,duration_min=h",
    )
    parser.add_argument("--sheet", help="Excel sheet name (default: the first sheet)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--max-examples", type=int, default=20, help="failures shown as examples (default 20)"
    )
    parser.add_argument(
        "--rejected",
        metavar="CSV",
        help="also write the rejected rows with their reasons to this CSV (formulas escaped)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate ``args.file`` and print the report; return 0 when valid, 1 otherwise."""
    from lbprun.io.read import write_rejected
    from lbprun.io.validate import validate

    report = validate(
        args.file, args.kind, columns=args.columns, units=args.units, sheet=args.sheet
    )
    if args.json:
        out = report.to_dict(max_failures=max(args.max_examples, 0))
        out["examples"] = report.examples(args.max_examples)
        print(json.dumps(out, indent=2))
    else:
        print(report.summary(max_examples=args.max_examples))
    if args.rejected:
        path = write_rejected(report, args.rejected)
        print(f"rejected rows written to {path}", file=sys.stderr)
    return 0 if report.ok else 1
