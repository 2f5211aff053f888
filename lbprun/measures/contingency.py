"""Tests of independence in an r×c table of counts (as R ``chisq.test`` and ``fisher.test``).

:func:`table_tests` returns, for one table of counts, Pearson's χ², Yates' corrected χ² (2×2),
the likelihood-ratio G test, the linear-by-linear association (trend) test and Fisher's exact
test (2×2, and 2×c or r×2 tables by full enumeration).

Examples
--------
>>> result = table_tests([[13, 2163], [5, 3349]])
>>> result.table.set_index("test")["p_value"].round(6)
test
pearson             0.004242
yates               0.008846
likelihood_ratio    0.004660
linear_by_linear    0.004246
fisher              0.006351
Name: p_value, dtype: float64
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from lbprun._checks import ArgumentError
from lbprun._result import Result
from lbprun.exceptions import SparseDataWarning

__all__ = ["TESTS", "TableTestsResult", "table_tests"]

#: The tests, in the order of the result's rows.
TESTS = ("pearson", "yates", "likelihood_ratio", "linear_by_linear", "fisher")
#: Most tables Fisher's exact test enumerates; beyond it the test is left out (with a note).
MAX_FISHER_TABLES = 5_000_000
#: Tables as probable as the observed one, up to this relative error, count as extreme (R).
_REL_ERR = 1 + 1e-7


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class TableTestsResult(Result):
    """Tests of independence of the rows and columns of a table of counts.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per test: ``test, statistic, df, p_value``. ``test`` is one of
        ``"pearson"``, ``"yates"`` (2×2 only), ``"likelihood_ratio"``, ``"linear_by_linear"``,
        ``"fisher"`` (two-sided; ``statistic`` and ``df`` are NaN). A test that is not defined
        for the table is left out and the notes say why.
    counts : pandas.DataFrame
        The table as given (integers).
    expected : pandas.DataFrame
        Expected counts under independence, row total × column total / N.
    row_scores, col_scores : tuple of float
        The scores of the linear-by-linear test.
    notes : tuple of str
        Expected counts below 5, tests left out.
    """

    counts: pd.DataFrame
    expected: pd.DataFrame
    row_scores: tuple[float, ...]
    col_scores: tuple[float, ...]

    def _title(self) -> str:
        r, c = self.counts.shape
        return (
            f"Tests of independence in a {r}x{c} table (N = {int(self.counts.to_numpy().sum())})"
        )


def _as_counts(counts: Any) -> pd.DataFrame:
    frame = counts.copy() if isinstance(counts, pd.DataFrame) else None
    if frame is None:
        try:
            values = np.asarray(counts, dtype=float)
        except (TypeError, ValueError):
            raise ArgumentError(
                f"counts must be a 2-D table of non-negative integers; got {counts!r}."
            ) from None
        if values.ndim != 2:
            raise ArgumentError(
                f"counts must be a 2-D table (rows x columns); got {values.ndim} dimension(s)."
            )
        frame = pd.DataFrame(values)
    if frame.shape[0] < 2 or frame.shape[1] < 2:
        raise ArgumentError(
            f"counts must have at least 2 rows and 2 columns; got {frame.shape[0]}x{frame.shape[1]}."
        )
    try:
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError("counts must hold numbers only; got non-numeric cells.") from None
    bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ArgumentError(
            "counts must be non-negative integers; got "
            f"{values[i, j]:g} at row {frame.index[i]!r}, column {frame.columns[j]!r} "
            f"({int(bad.sum())} such cell(s))."
        )
    for axis, labels, what in ((1, frame.index, "row"), (0, frame.columns, "column")):
        empty = labels[values.sum(axis=axis) == 0]
        if len(empty):
            raise ArgumentError(
                f"counts must have no all-zero {what}; got {what} {empty[0]!r} with all counts "
                "0. Drop it: it carries no information."
            )
    return pd.DataFrame(values.astype(np.int64), index=frame.index, columns=frame.columns)


def _scores(scores: Any, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    if scores is None:
        scores = (None, None)
    if not isinstance(scores, tuple | list) or len(scores) != 2:
        raise ArgumentError(
            f"scores must be None or a pair (row_scores, col_scores); got {scores!r}."
        )
    out = []
    for given, k, what in zip(scores, shape, ("row_scores", "col_scores"), strict=True):
        s = np.arange(1.0, k + 1) if given is None else np.asarray(given, dtype=float)
        if s.shape != (k,) or not np.isfinite(s).all() or np.ptp(s) == 0:
            raise ArgumentError(
                f"{what} must be {k} finite numbers, not all equal; got {given!r}."
            )
        out.append(s)
    return out[0], out[1]


def _log_choose(n: Any, k: Any) -> Any:
    return special.gammaln(n + 1) - special.gammaln(k + 1) - special.gammaln(n - k + 1)


def fisher_two_by_c(x: np.ndarray, max_tables: int = MAX_FISHER_TABLES) -> float | None:
    """Two-sided Fisher exact p-value of a 2×c table by enumerating every table with its margins.

    Tables whose probability is at most that of ``x`` (up to a relative ``1e-7``, as R) are
    summed. Returns None when more than ``max_tables`` partial tables would be enumerated.

    >>> round(fisher_two_by_c(np.array([[5, 0, 3], [1, 6, 2]])), 10)
    0.0111065405
    """
    x = np.asarray(x, dtype=np.int64)
    row = 0 if x[0].sum() <= x[1].sum() else 1
    m, cols = int(x[row].sum()), x.sum(axis=0)
    n = int(cols.sum())
    remaining = np.cumsum(cols[::-1])[::-1]  # column totals from column j on
    s, lp = np.zeros(1, dtype=np.int64), np.zeros(1)
    for j in range(len(cols) - 1):
        if s.size * (min(cols[j], m) + 1) > max_tables:
            return None
        xj = np.arange(min(cols[j], m) + 1)
        new_s = (s[:, None] + xj[None, :]).ravel()
        new_lp = (lp[:, None] + _log_choose(cols[j], xj)[None, :]).ravel()
        keep = (new_s <= m) & (m - new_s <= remaining[j + 1])
        s, lp = new_s[keep], new_lp[keep]
    lp = lp + _log_choose(cols[-1], m - s) - _log_choose(n, m)
    observed = float(_log_choose(cols, x[row]).sum() - _log_choose(n, m))
    p = float(np.exp(lp[lp <= observed + np.log(_REL_ERR)]).sum())
    return min(1.0, p)


def table_tests(counts: Any, *, scores: Any = None) -> TableTestsResult:
    """Pearson, Yates, likelihood-ratio, linear-by-linear and Fisher tests of an r×c table.

    Parameters
    ----------
    counts : pandas.DataFrame or array-like
        An r×c table of counts (r, c ≥ 2): non-negative integers, no row or column all zero.
        Row and column labels of a DataFrame are kept in the result.
    scores : tuple of (array-like or None), optional
        ``(row_scores, col_scores)`` of the linear-by-linear test; None (the default, or either
        element) means 1, 2, … in the order of the table.

    Returns
    -------
    TableTestsResult
        ``table`` with one row per test (``test, statistic, df, p_value``), ``counts``,
        ``expected``, ``row_scores``, ``col_scores`` and ``notes``.

    Raises
    ------
    lbprun._checks.ArgumentError
        A table that is not 2-D, smaller than 2×2, holds negative, non-integer or missing
        counts, or has an all-zero row or column (named in the message); scores of the wrong
        length or all equal.

    Warns
    -----
    lbprun.exceptions.SparseDataWarning
        Expected counts below 5 (also in ``notes``): the χ² approximations may be poor.

    Notes
    -----
    With observed counts :math:`O_{ij}`, expected :math:`E_{ij} = O_{i+}O_{+j}/N` and
    :math:`df = (r-1)(c-1)`:

    * Pearson :math:`X^2 = \\sum (O-E)^2/E`;
    * Yates (2×2) :math:`\\sum (|O-E| - \\min(0.5, |O-E|))^2/E`, as R
      ``chisq.test(correct = TRUE)``;
    * likelihood ratio :math:`G = 2\\sum O \\log(O/E)` (empty cells add 0);
    * linear-by-linear :math:`M^2 = (N-1)\\,r^2`, 1 df, with :math:`r` the Pearson correlation
      of the row and column scores over the N observations, as R ``DescTools::MHChisqTest``
      and ``coin::lbl_test``;
    * Fisher's exact test: the hypergeometric 2×2 test (:func:`scipy.stats.fisher_exact`), and
      for 2×c and r×2 tables (Freeman–Halton) the sum of the probabilities of every table with
      the observed margins that is no more probable than the observed one. It is left out of
      larger tables and when more than ``MAX_FISHER_TABLES`` tables would be enumerated.

    Validated against R ``stats::chisq.test`` and ``stats::fisher.test`` and the formulas of G
    and M² evaluated in R, to 1e-10.

    References
    ----------
    Agresti A. *Categorical Data Analysis*, 3rd ed. Wiley; 2013, sections 3.2, 3.4 and 3.5.

    Examples
    --------
    >>> import warnings
    >>> from lbprun.datasets import load_published
    >>> wu = load_published("wu2021_table2")
    >>> foot = wu[wu["factor"] == "Foot strike pattern"].set_index("level")
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     result = table_tests(foot[["lbp_n", "no_lbp_n"]])
    >>> result.table.round(4)
                   test  statistic   df  p_value
    0           pearson     2.8784  4.0   0.5784
    1  likelihood_ratio     4.8200  4.0   0.3063
    2  linear_by_linear     1.8414  1.0   0.1748
    3            fisher        NaN  NaN   0.6014
    >>> result.notes[0][:40]
    '3 of 10 expected counts are below 5 (sma'
    """
    frame = _as_counts(counts)
    u, v = _scores(scores, frame.shape)
    x = frame.to_numpy(dtype=float)
    n = x.sum()
    rows, cols = x.sum(axis=1), x.sum(axis=0)
    e = np.outer(rows, cols) / n
    df = (x.shape[0] - 1) * (x.shape[1] - 1)
    out: list[tuple[str, float, float, float]] = []
    notes: list[str] = []

    pearson = float(((x - e) ** 2 / e).sum())
    out.append(("pearson", pearson, df, float(stats.chi2.sf(pearson, df))))
    if x.shape == (2, 2):
        dev = np.abs(x - e)
        yates = float(((dev - np.minimum(0.5, dev)) ** 2 / e).sum())
        out.append(("yates", yates, 1, float(stats.chi2.sf(yates, 1))))
    g = 2.0 * float(special.xlogy(x, x / e).sum())
    out.append(("likelihood_ratio", g, df, float(stats.chi2.sf(g, df))))
    du, dv = u - (rows @ u) / n, v - (cols @ v) / n
    r = (du @ x @ dv) / np.sqrt((rows @ du**2) * (cols @ dv**2))
    m2 = float((n - 1) * r**2)
    out.append(("linear_by_linear", m2, 1, float(stats.chi2.sf(m2, 1))))

    if x.shape == (2, 2):
        p_fisher: float | None = float(stats.fisher_exact(frame.to_numpy())[1])
    elif min(x.shape) == 2:
        table = frame.to_numpy() if x.shape[0] == 2 else frame.to_numpy().T
        p_fisher = fisher_two_by_c(table)
        if p_fisher is None:
            notes.append(
                f"Fisher's exact test left out: more than {MAX_FISHER_TABLES:,} tables would "
                "be enumerated."
            )
    else:
        p_fisher = None
        notes.append(
            f"Fisher's exact test left out: lbprun computes it for 2xc and rx2 tables only; "
            f"got {x.shape[0]}x{x.shape[1]}."
        )
    if p_fisher is not None:
        out.append(("fisher", np.nan, np.nan, p_fisher))

    small = int((e < 5).sum())
    if small:
        note = (
            f"{small} of {e.size} expected counts are below 5 (smallest {e.min():.3g}): the "
            "chi-squared approximation may be incorrect; prefer Fisher's exact test."
        )
        warnings.warn(note, SparseDataWarning, stacklevel=2)
        notes.insert(0, note)
    result = pd.DataFrame(out, columns=["test", "statistic", "df", "p_value"])
    result["df"] = result["df"].astype(float)
    return TableTestsResult(
        table=result,
        counts=frame,
        expected=pd.DataFrame(e, index=frame.index, columns=frame.columns),
        row_scores=tuple(float(s) for s in u),
        col_scores=tuple(float(s) for s in v),
        notes=tuple(notes),
    )
