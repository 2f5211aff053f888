"""Apply a Table 1's suppression to its tidy numbers and render the printed table."""

from __future__ import annotations

import numpy as np
import pandas as pd

OVERALL = "Overall"
_VALUES = ("count", "percent", "mean", "sd", "median", "q1", "q3")


def _status(table, level: str, group: str, group_order: list) -> int:
    row = level or "present"
    column = "Total" if group == OVERALL and group_order else group
    return int(table.status.loc[row, column])


def suppress_tidy(tidy: pd.DataFrame, groups: pd.Series, group_order: list, suppression: dict):
    """Blank every suppressed value in the tidy table; return it with the group sizes shown.

    Returns the tidy table (``suppressed`` column: "", "primary" or "complementary") and a
    dict ``group -> (n, status)`` for the table's first row.
    """
    tidy = tidy.copy()
    tidy["suppressed"] = ""
    columns = [OVERALL, *group_order]
    sizes = {g: (int((groups == g).sum()) if g != OVERALL else len(groups), 0) for g in columns}
    if not suppression:
        return tidy, sizes
    first = next(iter(suppression.values()))
    for g in columns:
        column = "Total" if g == OVERALL and group_order else g
        sizes[g] = (sizes[g][0], int(first.status.loc["Total", column]))
    for i, row in tidy.iterrows():
        table = suppression[row["variable"]]
        status = _status(table, row["level"], row["group"], group_order)
        total_hidden = sizes[row["group"]][1] > 0
        if status:
            tidy.loc[i, list(_VALUES)] = np.nan
            tidy.loc[i, "suppressed"] = "primary" if status == 1 else "complementary"
        elif total_hidden:
            tidy.loc[i, "percent"] = np.nan  # with a shown count it would give the total away
        if total_hidden:
            tidy.loc[i, "n"] = np.nan
    return tidy, sizes


def _cell(row, nonnormal: bool, threshold) -> str:
    if row["suppressed"] == "primary":
        return f"<{threshold}"
    if row["suppressed"] == "complementary":
        return "suppressed"
    if row["level"] == "":
        if pd.isna(row["mean"]):
            return ""
        if nonnormal:
            return f"{row['median']:.1f} [{row['q1']:.1f}, {row['q3']:.1f}]"
        return f"{row['mean']:.1f} ({row['sd']:.1f})"
    count = f"{int(row['count'])}"
    return count if pd.isna(row["percent"]) else f"{count} ({row['percent']:.1f})"


def render(tidy: pd.DataFrame, sizes: dict, group_order: list, nonnormal: set, threshold):
    """The printed Table 1: rows (variable, level), columns Overall and the groups."""
    columns = [OVERALL, *group_order]

    def size(g):
        n, status = sizes[g]
        return str(n) if status == 0 else (f"<{threshold}" if status == 1 else "suppressed")

    records = {("n", ""): [size(g) for g in columns]}
    for (variable, level), block in tidy.groupby(["variable", "level"], sort=False):
        label = level
        if level == "":
            label = "median [Q1, Q3]" if variable in nonnormal else "mean (SD)"
        cells = block.set_index("group")
        records[(variable, label)] = [
            _cell(cells.loc[g], variable in nonnormal, threshold) for g in columns
        ]
    display = pd.DataFrame.from_dict(records, orient="index", columns=columns)
    display.index = pd.MultiIndex.from_tuples(display.index, names=["variable", "level"])
    return display
