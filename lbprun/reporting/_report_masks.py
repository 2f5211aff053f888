"""One suppression per characteristic, shared by every table of a report.

Table 1 by outcome suppresses, for each characteristic, the matrix levels × (non-cases, cases)
with its margins (:func:`lbprun.reporting.table_one.table_one`). The prevalence of each level
and the odds ratio of each level are made from the same counts, so they take their hidden
entries from that one suppression instead of suppressing again: a level whose cases or
non-cases are hidden in Table 1 shows no n, estimate or interval in the prevalence table and no
odds ratio, and the overall row follows Table 1's column totals. Two tables of one report can
then never be combined to recover a hidden count.

Examples
--------
>>> import pandas as pd
>>> from lbprun.reporting.table_one import table_one
>>> data = pd.DataFrame({"surface": ["trail"] * 3 + ["asphalt"] * 97 + ["track"] * 40,
...                      "lbp_12m": [True] * 3 + [True] * 40 + [False] * 57 + [False] * 40})
>>> t1 = table_one(data, "lbp_12m", columns=["surface"])
>>> level_status(t1, "surface", "lbp_12m").loc["trail"].tolist()  # non-cases, cases, total
[0, 1, 1]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = ["cell_text", "level_status", "overall_status", "redact_notes", "text_of"]

_NO, _YES = "no", "yes"


def text_of(value) -> str:
    """The label Table 1 gives a level (booleans as yes / no)."""
    if isinstance(value, bool | np.bool_):
        return _YES if value else _NO
    if isinstance(value, str) and value in ("True", "False"):
        return _YES if value == "True" else _NO
    return str(value)


def _columns(outcome: str) -> tuple[str, str]:
    return f"{outcome} = {_NO}", f"{outcome} = {_YES}"


def level_status(table_one, variable: str, outcome: str) -> pd.DataFrame:
    """Status of each level's non-cases and cases: 0 shown, 1 small, 2 complementary.

    Returns
    -------
    pandas.DataFrame
        Indexed by level (Table 1's labels, ``"missing"`` included), columns ``non_cases``,
        ``cases`` and ``total`` (the level's count in the Overall column).
    """
    table = table_one.suppression[variable]
    no, yes = _columns(outcome)
    status = table.status.drop(index="Total")
    if "present" in status.index:  # a measurement: present / missing rows
        return pd.DataFrame(columns=["non_cases", "cases", "total"], dtype="int64")
    return pd.DataFrame(
        {
            "non_cases": status[no] if no in status else 0,
            "cases": status[yes] if yes in status else 0,
            "total": status["Total"],
        }
    ).astype("int64")


def overall_status(table_one, outcome: str) -> tuple[int, int]:
    """Status of the overall non-cases and cases (Table 1's group sizes)."""
    first = next(iter(table_one.suppression.values()))
    no, yes = _columns(outcome)
    row = first.status.loc["Total"]
    return int(row.get(no, 0)), int(row.get(yes, 0))


def cell_text(status: int, value: str, threshold: int) -> str:
    """``value`` when shown, else ``"<threshold"`` (small) or ``"suppressed"``."""
    if status == 0:
        return value
    return f"<{threshold}" if status == 1 else "suppressed"


_ROWS = re.compile(r"\b(\d[\d,]*)(\s+(?:rows?|runners?|values?|respondents?|cases?)\b)")
_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:[.:-][A-Za-z0-9_]+)*")


def redact_notes(notes: list[str], threshold: int, identifiers: set[str]) -> list[str]:
    """Notes without small counts of rows or runners and without any runner identifier.

    Examples
    --------
    >>> redact_notes(["3 rows with a missing 'sex' were left out; see R007."], 11, {"R007"})
    ["<11 rows with a missing 'sex' were left out; see [runner id removed]."]
    """

    def small(match: re.Match) -> str:
        number = int(match.group(1).replace(",", ""))
        return f"<{threshold}{match.group(2)}" if 0 < number < threshold else match.group(0)

    out = []
    for note in notes:
        text = _ROWS.sub(small, note)
        if identifiers:
            text = _TOKEN.sub(
                lambda m: "[runner id removed]" if m.group(0) in identifiers else m.group(0),
                text,
            )
        out.append(text)
    return list(dict.fromkeys(out))
