"""Small-cell suppression of lbprun's tidy estimate tables before they leave the program.

Prevalence, cumulative-incidence and incidence-rate tables hold counts (``n``, ``cases`` or
``events``, ``n_missing``) per group, with an ``all`` row that is the margin of every block of
groups. :func:`suppress_estimates` hides each count from 1 to ``threshold - 1``, whatever could
recover it (the group's complement, another group of the same block, the ``all`` row), and the
estimate and interval of every row resting on a hidden count. It uses
:func:`lbprun.reporting.suppression.suppress_blocks` on the blocks of each part:

- a proportion table (``cases`` or ``events`` out of ``n``): groups x (count, n - count);
- a rate table (``person_time`` present): groups x (events) and groups x (n), separately;
- ``n_missing``: groups x (n_missing).

Runners in no group of a block (a missing grouping value) form a hidden row of their own, so
they are protected too. The ``all`` row's hidden entries are shared by every block.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_positive_int
from lbprun.reporting.suppression import DEFAULT_THRESHOLD, OUTSIDE, suppress_blocks

__all__ = ["suppress_estimates"]

_DERIVED = ("estimate", "ci_low", "ci_high", "std_error", "statistic", "p_value")


def _count_column(frame: pd.DataFrame) -> str:
    for name in ("cases", "events"):
        if name in frame.columns:
            return name
    raise ArgumentError("the table has no 'cases' or 'events' column to protect.")


def _matrices(frame: pd.DataFrame, count: str) -> dict[str, pd.DataFrame]:
    """The count matrices of the table, interior rows indexed like the frame."""
    rate = "person_time" in frame.columns
    if rate:
        parts = {count: frame[[count]], "n": frame[["n"]]}
    else:
        both = pd.DataFrame({count: frame[count], "complement": frame["n"] - frame[count]})
        parts = {count: both}
    if "n_missing" in frame.columns:
        parts["n_missing"] = frame[["n_missing"]]
    return parts


def suppress_estimates(frame: pd.DataFrame, *, threshold: int = DEFAULT_THRESHOLD) -> pd.DataFrame:
    """Hide small counts of a tidy estimate table, and everything they could be derived from.

    Parameters
    ----------
    frame : pandas.DataFrame
        A tidy table of :func:`lbprun.prevalence`, :func:`lbprun.cumulative_incidence` or
        :func:`lbprun.incidence_rate` (``to_frame()``): columns ``by``, ``group``, ``n`` and
        ``cases`` or ``events``, optionally ``n_missing`` and ``person_time``.
    threshold : int, default=11
        Counts from 1 to ``threshold - 1`` are shown as ``"<11"``; entries hidden to protect
        them as ``"suppressed"``.

    Returns
    -------
    pandas.DataFrame
        A copy with object columns where entries are hidden: counts, and the estimate and
        interval of every row whose count or complement is hidden (also in their percent
        form, ``"estimate (%)"``, ...).

    Raises
    ------
    lbprun._checks.ArgumentError
        A table without the columns above, or whose groups add up to more than its ``all`` row.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame(
    ...     {
    ...         "by": ["all", "sex", "sex"],
    ...         "group": ["all", "F", "M"],
    ...         "n": [300, 40, 260],
    ...         "cases": [60, 3, 57],
    ...         "estimate": [0.2, 0.075, 0.219],
    ...     }
    ... )
    >>> suppress_estimates(table)[["group", "n", "cases", "estimate"]]
      group    n       cases    estimate
    0   all  300          60         0.2
    1     F   40         <11  suppressed
    2     M  260  suppressed  suppressed
    """
    threshold = check_positive_int(threshold, "threshold")
    if not {"by", "group", "n"} <= set(frame.columns):
        raise ArgumentError("the table needs the columns 'by', 'group' and 'n'.")
    count = _count_column(frame)
    frame = frame.reset_index(drop=True)
    is_all = frame["by"].astype(str).eq("all").to_numpy()
    blocks = list(pd.unique(frame.loc[~is_all, "by"])) or [None]
    statuses = {}
    for part, matrix in _matrices(frame, count).items():
        total = matrix[is_all].iloc[0] if is_all.any() else matrix.sum()
        statuses[part] = _suppress_part(frame, matrix, total, blocks, is_all, threshold)
    return _apply(frame.copy(), statuses, count, threshold)


def _suppress_part(frame, matrix, total, blocks, is_all, threshold) -> pd.DataFrame:
    """Statuses (0 shown, 1 primary, 2 complementary) of a part's cells and row totals."""
    result = pd.DataFrame(0, index=frame.index, columns=[*matrix.columns, "Total"])
    interiors = {}
    for by in blocks:
        in_block = ~is_all if by is None else (frame["by"] == by).to_numpy() & ~is_all
        interiors[by] = matrix.loc[frame.index[in_block]]
    for table in suppress_blocks(interiors, threshold=threshold, totals=total).values():
        status = table.status
        rows = [r for r in status.index if r not in ("Total", OUTSIDE)]
        result.loc[rows] = status.loc[rows, result.columns].to_numpy()
        for row in frame.index[is_all]:
            result.loc[row] = np.maximum(result.loc[row], status.loc["Total", result.columns])
    return result


def _apply(out: pd.DataFrame, statuses: dict, count: str, threshold: int) -> pd.DataFrame:
    """Write the hidden entries as text; hide the estimates of every affected row."""
    shown: dict[str, pd.Series] = {}

    def hide(column: str, codes: pd.Series) -> None:
        codes = codes.astype(int)
        current = shown.get(column, pd.Series(0, index=out.index))
        shown[column] = np.maximum(current, codes)

    for part, status in statuses.items():
        if part == count and "complement" in status.columns:
            hide(count, status[count])
            hide("n", status["Total"])
            # the complement n - count hidden while the count is shown: n would give it away
            leak = (status["complement"] > 0) & (status[count] == 0) & (status["Total"] == 0)
            hide("n", leak.astype(int) * 2)
        else:
            hide(part, status[part])
    affected = pd.Series(False, index=out.index)
    for column, codes in shown.items():
        mask = codes > 0
        affected |= mask
        if mask.any():
            out[column] = out[column].astype(object)
            out.loc[mask, column] = [
                f"<{threshold}" if code == 1 else "suppressed" for code in codes[mask]
            ]
    names = (*_DERIVED, "n_weighted", "cases_weighted", "n_effective")
    derived = [c for c in out.columns if str(c).split(" (")[0] in names]
    if affected.any():
        for column in derived:
            out[column] = out[column].astype(object)
            out.loc[affected, column] = "suppressed"
    return out
