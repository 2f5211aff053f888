"""Options shared by the sub-commands that fit or estimate: lists, splines, a survey design.

Examples
--------
>>> split_list("weekly_km, sex,")
['weekly_km', 'sex']
>>> spline("weekly_km:4")
('weekly_km', 4)
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_design_options", "spline", "split_list", "survey_design"]


def split_list(text: str) -> list[str]:
    """Split ``"a,b,c"`` into names (blanks dropped)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def spline(text: str) -> tuple[str, int]:
    """Parse ``COLUMN:KNOTS`` (the ``--spline`` option)."""
    name, _, knots = text.partition(":")
    if not knots.isdigit():
        raise argparse.ArgumentTypeError(f"--spline must look like COLUMN:KNOTS; got {text!r}.")
    return name, int(knots)


def add_design_options(parser: Any) -> None:
    """Add ``--cluster``, ``--strata`` and ``--weights`` (a survey design)."""
    parser.add_argument("--cluster", help="survey design: PSU (cluster) column")
    parser.add_argument("--strata", help="survey design: strata column")
    parser.add_argument("--weights", help="survey design: sampling-weight column")


def survey_design(args: argparse.Namespace) -> Any:
    """The :class:`~lbprun.measures.survey.SurveyDesign` of the options (clusters nested in
    strata), or None when none is given."""
    if not (args.cluster or args.strata or args.weights):
        return None
    from lbprun.measures.survey import SurveyDesign

    return SurveyDesign(cluster=args.cluster, strata=args.strata, weights=args.weights, nest=True)
