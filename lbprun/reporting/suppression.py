"""Small-cell suppression of count tables, with complementary suppression and an exact audit.

A count from 1 to ``threshold - 1`` (1–10 by default, the CMS cell-size rule) is never shown:
it is printed as ``"<11"`` (*primary* suppression). Because a table's margins are published, one
hidden cell in a row could be recovered by subtraction, so further cells are hidden
(*complementary* suppression) until no hidden cell can be worked out from what is shown. The
final check is exact: for every hidden cell a linear programme finds the smallest and largest
value consistent with everything published (shown cells, shown margins, the ``<11`` bounds and
non-negativity); a cell whose range is a single value would be disclosed, so another cell on one
of its lines is hidden and the audit repeats.

Zeros are shown: a structural or sampling zero discloses no person. Percentages and intervals
computed from a hidden cell are hidden with it (:func:`derived_mask`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from lbprun._checks import ArgumentError, check_positive_int

__all__ = ["SuppressedTable", "derived_mask", "suppress_blocks", "suppress_counts"]

#: The default threshold: counts 1–10 are hidden (CMS cell-size suppression policy).
DEFAULT_THRESHOLD = 11

#: Row of a block holding the units in none of its groups (never displayed).
OUTSIDE = "(in no group)"

_PRIMARY, _COMPLEMENTARY = 1, 2


@dataclass(frozen=True, kw_only=True, eq=False)
class SuppressedTable:
    """A count table with its margins and which entries are hidden.

    Attributes
    ----------
    counts : pandas.DataFrame
        The full table with margins: interior cells, a ``"Total"`` column (row totals) and a
        ``"Total"`` row (column totals, grand total in the corner).
    status : pandas.DataFrame
        Same shape: 0 shown, 1 hidden because it is a small count (primary), 2 hidden so that a
        small count cannot be derived (complementary).
    threshold : int
        Non-zero counts below this are hidden.
    """

    counts: pd.DataFrame
    status: pd.DataFrame
    threshold: int

    @property
    def hidden(self) -> pd.DataFrame:
        """Boolean mask of the hidden entries (primary or complementary)."""
        return self.status > 0

    def display(self, *, complementary: str = "suppressed") -> pd.DataFrame:
        """The table as it may be published: hidden counts replaced by text.

        Parameters
        ----------
        complementary : str
            Text shown for a cell hidden only to protect another.

        Returns
        -------
        pandas.DataFrame
            Strings: counts, ``"<11"`` (or ``"<threshold"``) and ``complementary``.
        """
        shown = self.counts.astype("int64").astype(str)
        shown = shown.mask(self.status == _PRIMARY, f"<{self.threshold}")
        return shown.mask(self.status == _COMPLEMENTARY, complementary)


def _with_margins(interior: pd.DataFrame) -> pd.DataFrame:
    full = interior.copy()
    full["Total"] = interior.sum(axis=1)
    full.loc["Total"] = full.sum(axis=0)
    return full


def _lines(n_rows: int, n_cols: int) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """Every additive relation of the full table: (members, total)."""
    lines = []
    for i in range(n_rows + 1):
        lines.append(([(i, j) for j in range(n_cols)], (i, n_cols)))
    for j in range(n_cols + 1):
        lines.append(([(i, j) for i in range(n_rows)], (n_rows, j)))
    return lines


def _complement_one(values: np.ndarray, status: np.ndarray, line) -> bool:
    """Hide one more entry of ``line`` if exactly one of its entries is hidden."""
    members, total = line
    entries = [*members, total]
    if sum(status[e] > 0 for e in entries) != 1:
        return False
    candidates = [e for e in members if status[e] == 0 and values[e] > 0]
    if not candidates:
        candidates = [e for e in entries if status[e] == 0]
    if not candidates:
        return False
    status[min(candidates, key=lambda e: (values[e], e))] = _COMPLEMENTARY
    return True


def _feasible_range(values, status, lines, threshold, target) -> tuple[float, float]:
    """Smallest and largest value of hidden entry ``target`` given all that is published."""
    hidden = list(zip(*np.nonzero(status > 0), strict=True))
    index = {e: k for k, e in enumerate(hidden)}
    a_eq, b_eq = [], []
    for members, total in lines:
        row = np.zeros(len(hidden))
        rhs = 0.0
        for e in members:
            if e in index:
                row[index[e]] += 1.0
            else:
                rhs -= values[e]
        if total in index:
            row[index[total]] -= 1.0
        else:
            rhs += values[total]
        if row.any():
            a_eq.append(row)
            b_eq.append(rhs)
    bounds = [(1, threshold - 1) if status[e] == _PRIMARY else (0, None) for e in hidden]
    cost = np.zeros(len(hidden))
    cost[index[target]] = 1.0
    low = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    high = linprog(-cost, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    return float(low.fun), float(-high.fun) if high.status == 0 else np.inf


def _disclosed(values, status, lines, threshold) -> tuple[int, int] | None:
    """A small (primary) count that the published entries pin to one value, if any."""
    for target in zip(*np.nonzero(status == _PRIMARY), strict=True):
        low, high = _feasible_range(values, status, lines, threshold, target)
        if high - low < 1.0 - 1e-9:
            return target
    return None


def suppress_counts(
    counts: pd.DataFrame,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    hide: pd.DataFrame | None = None,
) -> SuppressedTable:
    """Hide small counts of a two-way table and every entry from which one could be derived.

    Parameters
    ----------
    counts : pandas.DataFrame
        Interior counts (non-negative integers), rows and columns labelled; margins are added.
    threshold : int
        Non-zero counts below it are hidden (11: counts 1–10 hidden, as the CMS cell-size rule;
        5 hides 1–4).
    hide : pandas.DataFrame of bool, optional
        Entries of the table with margins (labels as in :attr:`SuppressedTable.counts`) to hide
        whatever their size, e.g. the group totals that another table of the same report hides,
        so that the tables cannot be combined to recover them.

    Returns
    -------
    SuppressedTable
        The table with margins and the status of each entry.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {"lbp": [3, 40, 55], "no_lbp": [60, 210, 190]}, index=["F", "M", "X"]
    ... )
    >>> suppress_counts(table).display()
                  lbp      no_lbp Total
    F             <11  suppressed    63
    M      suppressed  suppressed   250
    X              55         190   245
    Total          98         460   558

    Row F's total and the column totals are shown, yet F's 3 cases cannot be worked out: the
    four hidden cells move together (F's cases up by one, F's non-cases down by one, and M's
    the other way round).
    """
    threshold = check_positive_int(threshold, "threshold")
    interior = counts.astype("int64")
    if (interior.to_numpy() < 0).any():
        raise ArgumentError("counts must be non-negative integers.")
    full = _with_margins(interior)
    values = full.to_numpy(dtype="int64")
    status = np.where((values > 0) & (values < threshold), _PRIMARY, 0)
    if hide is not None:
        forced = hide.reindex(index=full.index, columns=full.columns, fill_value=False)
        status[(status == 0) & forced.to_numpy(dtype=bool)] = _COMPLEMENTARY
    n_rows, n_cols = interior.shape
    lines = _lines(n_rows, n_cols)
    while True:
        while any(_complement_one(values, status, line) for line in lines):
            pass
        target = _disclosed(values, status, lines, threshold)
        if target is None:
            break
        _hide_next_to(values, status, lines, target)
    return SuppressedTable(
        counts=full,
        status=pd.DataFrame(status, index=full.index, columns=full.columns),
        threshold=threshold,
    )


def _hide_next_to(values, status, lines, target) -> None:
    """Hide one more entry: on a line through the disclosed count if one is left, else anywhere.

    Non-zero interior cells come first (smallest first), then non-zero margins, then zeros.
    Hiding every entry protects every count, so the repeated audit always ends.
    """
    last_row, last_col = values.shape[0] - 1, values.shape[1] - 1

    def rank(e):
        margin = e[0] == last_row or e[1] == last_col
        return (values[e] == 0, margin, values[e], e)

    near = [
        e for members, total in lines if target in [*members, total] for e in [*members, total]
    ]
    shown_near = [e for e in near if status[e] == 0]
    shown_anywhere = [tuple(e) for e in np.argwhere(status == 0)]
    pool = shown_near or shown_anywhere
    if not pool:  # pragma: no cover - a fully hidden table discloses nothing
        raise RuntimeError("no entry left to hide")
    status[min(pool, key=rank)] = _COMPLEMENTARY


def suppress_blocks(
    blocks: dict,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    totals: pd.Series | None = None,
) -> dict:
    """Suppress several tables that share one total row, hiding its entries in all of them.

    Tables of the same people split different ways (Table 1's characteristics, a prevalence
    table's blocks of groups) publish the same totals; a total hidden in one table but shown
    in another would give it away, so any total hidden in one is hidden in every table, and the
    tables are suppressed again until no new total is hidden.

    Parameters
    ----------
    blocks : dict
        ``{key: interior counts}``, every table with the same columns.
    threshold : int, default=11
        As :func:`suppress_counts`.
    totals : pandas.Series, optional
        The published column totals, when a block's rows may leave some units out: those form a
        row :data:`OUTSIDE` of the block, protected like the others (never displayed).

    Returns
    -------
    dict
        ``{key: SuppressedTable}``.

    Raises
    ------
    lbprun._checks.ArgumentError
        A block whose rows add up to more than ``totals``.

    Examples
    --------
    >>> import pandas as pd
    >>> by_sex = pd.DataFrame({"yes": [30, 40], "no": [120, 110]}, index=["F", "M"])
    >>> by_level = pd.DataFrame({"yes": [3, 67], "no": [40, 190]}, index=["elite", "club"])
    >>> tables = suppress_blocks({"sex": by_sex, "level": by_level})
    >>> tables["sex"].display().loc["Total"].tolist() == tables["level"].display().loc[
    ...     "Total"
    ... ].tolist()
    True
    """
    prepared = {}
    for key, interior in blocks.items():
        interior = interior.astype("int64")
        if totals is not None:
            outside = totals - interior.sum()
            if (outside < 0).any():
                raise ArgumentError("the groups of a block add up to more than its totals.")
            if (outside > 0).any():
                interior = pd.concat([interior, outside.to_frame(OUTSIDE).T.astype("int64")])
        prepared[key] = interior
    forced: set = set()
    while True:
        tables = {}
        for key, interior in prepared.items():
            hide = pd.DataFrame(
                False, index=[*interior.index, "Total"], columns=[*interior.columns, "Total"]
            )
            for column in forced:
                hide.loc["Total", column] = True
            tables[key] = suppress_counts(interior, threshold=threshold, hide=hide)
        hidden = {
            c for t in tables.values() for c in t.status.columns if t.status.loc["Total", c] > 0
        }
        if hidden <= forced:
            return tables
        forced |= hidden


def derived_mask(table: SuppressedTable, *, axis: str = "rows") -> pd.Series:
    """Which row (or column) percentages must be hidden because they rest on a hidden count.

    A row percentage ``cell / row total`` discloses the cell when the total is shown, and the
    total when the cell is shown; it is hidden whenever any entry of that row is hidden.

    Parameters
    ----------
    table : SuppressedTable
        The result of :func:`suppress_counts`.
    axis : {"rows", "columns"}
        Percentages within rows or within columns.

    Returns
    -------
    pandas.Series
        Boolean, indexed by row (or column) label, margins included.

    Examples
    --------
    >>> import pandas as pd
    >>> t = suppress_counts(pd.DataFrame({"yes": [3, 40, 55], "no": [60, 210, 190]}))
    >>> derived_mask(t).tolist()
    [True, True, False, False]
    """
    hidden = table.hidden
    if axis == "rows":
        return hidden.any(axis=1)
    if axis == "columns":
        return hidden.any(axis=0)
    raise ArgumentError(f"axis must be 'rows' or 'columns', got {axis!r}")
