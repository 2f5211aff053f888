"""Table 1: who was studied, overall and by outcome, with small cells suppressed.

The descriptive table of a STROBE report: for each characteristic, counts and percentages of
each category (missing values as their own row) or the mean (SD) / median [Q1, Q3] of a
measurement, overall and in each outcome group. With a survey design, percentages, means and
SDs are weighted by the sampling weights (as R ``tableone::svyCreateTableOne``), while the
counts stay the numbers of respondents. No significance tests: STROBE (item 14, explanation)
advises against them in a descriptive table.

Counts from 1 to ``threshold - 1`` and everything from which they could be derived (the row's
percentages, complementary cells, group sizes) are suppressed, consistently across the
characteristics, through :func:`lbprun.reporting.suppression.suppress_blocks`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_columns
from lbprun._result import Result
from lbprun.measures.survey import SurveyDesign
from lbprun.reporting.suppression import DEFAULT_THRESHOLD, SuppressedTable, suppress_blocks

__all__ = ["TableOne", "table_one"]

MISSING = "missing"
OVERALL = "Overall"


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class TableOne(Result):
    """Table 1 of a study: characteristics overall and by outcome group.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy: ``variable, level, group, count, n, percent, mean, sd, median, q1, q3,
        suppressed`` (one row per variable, level and group, ``group = "Overall"`` included).
    display : pandas.DataFrame
        The printed table: rows ``(variable, level)``, columns ``Overall`` and each group, cells
        ``"n (%)"`` or ``"mean (SD)"`` / ``"median [Q1, Q3]"``, suppressed entries as ``"<11"``
        or ``"suppressed"``.
    by : str or None
        The outcome column the groups come from.
    weighted : bool
        Whether percentages, means and SDs are survey-weighted.
    threshold : int or None
        Counts below it are suppressed (None: no suppression).
    suppression : dict of str to SuppressedTable
        Per variable, the count table (levels by group, with margins) and which
        counts are hidden (:class:`lbprun.reporting.suppression.SuppressedTable`); empty
        without suppression.
    notes : tuple of str
        Numbered notes: how small counts are shown, and weighting.
    """

    display: pd.DataFrame
    by: str | None = None
    weighted: bool = False
    threshold: int | None = DEFAULT_THRESHOLD
    suppression: dict[str, SuppressedTable] = field(default_factory=dict, repr=False)
    _private_fields: tuple[str, ...] = field(default=("display", "suppression"), repr=False)

    def _title(self) -> str:
        kind = "survey-weighted " if self.weighted else ""
        by = f" by {self.by}" if self.by else ""
        return f"Table 1: characteristics{by} ({kind}n (%), mean (SD), median [Q1, Q3])"

    def _display_frame(self, as_percent: bool = False) -> pd.DataFrame:
        self._percent(as_percent)
        return self.display.reset_index()


def _groups(data: pd.DataFrame, by: str | None) -> tuple[pd.Series, list]:
    if by is None:
        return pd.Series(OVERALL, index=data.index), []
    labels = data[by].astype("object").where(data[by].notna(), MISSING)
    order = [v for v in pd.unique(data[by].dropna())]
    try:
        order = sorted(order)
    except TypeError:
        pass
    if (labels == MISSING).any():
        order.append(MISSING)
    return labels.map(lambda v: f"{by} = {_text(v)}"), [f"{by} = {_text(v)}" for v in order]


def _text(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    return str(value)


def _weighted_share(weights: pd.Series, mask: pd.Series) -> float:
    total = float(weights.sum())
    return float(weights[mask].sum()) / total if total > 0 else np.nan


def _categorical_rows(name, values, groups, group_order, weights) -> list[dict]:
    levels = values.astype("object").where(values.notna(), MISSING).map(_text)
    order = [_text(v) for v in _level_order(values)]
    if (levels == MISSING).any():
        order.append(MISSING)
    rows = []
    for group in [OVERALL, *group_order]:
        inside = groups.index if group == OVERALL else groups.index[groups == group]
        for level in order:
            hit = levels.loc[inside] == level
            w = weights.loc[inside]
            rows.append(
                {
                    "variable": name,
                    "level": level,
                    "group": group,
                    "count": int(hit.sum()),
                    "n": len(inside),
                    "percent": 100 * _weighted_share(w, hit),
                }
            )
    return rows


def _level_order(values: pd.Series) -> list:
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [c for c in values.cat.categories if (values == c).any()]
    seen = list(pd.unique(values.dropna()))
    try:
        return sorted(seen)
    except TypeError:
        return seen


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    x, w = x[order], w[order]
    cum = np.cumsum(w) / w.sum()
    return float(x[np.searchsorted(cum, q)])


def _continuous_rows(name, values, groups, group_order, weights) -> list[dict]:
    rows = []
    numbers = pd.to_numeric(values, errors="raise").astype("float64")
    has_missing = bool(numbers.isna().any())
    for group in [OVERALL, *group_order]:
        inside = groups.index if group == OVERALL else groups.index[groups == group]
        x = numbers.loc[inside]
        w = weights.loc[inside][x.notna()].to_numpy(dtype=float)
        v = x.dropna().to_numpy()
        row = {"variable": name, "level": "", "group": group, "count": len(v), "n": len(x)}
        if len(v) and w.sum() > 0:
            mean = float(np.average(v, weights=w))
            spread = np.average((v - mean) ** 2, weights=w) * len(v) / max(len(v) - 1, 1)
            if np.allclose(w, w[0]):  # R quantile(type = 7), as tableone
                q1, median, q3 = np.quantile(v, [0.25, 0.5, 0.75])
            else:
                q1, median, q3 = (_weighted_quantile(v, w, q) for q in (0.25, 0.5, 0.75))
            row |= {
                "mean": mean,
                "sd": float(np.sqrt(spread)),
                "median": float(median),
                "q1": float(q1),
                "q3": float(q3),
            }
        rows.append(row)
        if has_missing:
            rows.append(
                {
                    "variable": name,
                    "level": MISSING,
                    "group": group,
                    "count": int(x.isna().sum()),
                    "n": len(x),
                    "percent": 100 * _weighted_share(weights.loc[inside], x.isna()),
                }
            )
    return rows


def _count_matrix(rows: pd.DataFrame, group_order: list) -> pd.DataFrame:
    inner = rows[rows["group"] != OVERALL] if group_order != [OVERALL] else rows
    if (inner["level"] == "").any():  # a measurement: values present and missing
        inner = inner.assign(level=inner["level"].replace("", "present"))
    matrix = inner.pivot_table(index="level", columns="group", values="count", sort=False)
    return matrix.reindex(columns=group_order).fillna(0).astype("int64")


def _suppress_all(rows: pd.DataFrame, variables, group_order, threshold) -> dict:
    """Suppress every variable's matrix, sharing hidden group sizes.

    Every matrix has the group sizes as its column totals (missing values are a row), so a
    group size hidden in one must be hidden in all, or the tables together would give it away.
    """
    matrices = {
        name: _count_matrix(rows[rows["variable"] == name], group_order) for name in variables
    }
    return suppress_blocks(matrices, threshold=threshold)


def default_characteristics(
    data: pd.DataFrame, outcome: str | None, design: SurveyDesign | None
) -> list[str]:
    """Every column but the outcome, the design's columns and those that identify runners."""
    protected = set(design.columns) if design is not None else set()
    return [
        c for c in data.columns if c != outcome and c not in protected and not _is_private(data, c)
    ]


_PRIVATE = ("runner_id", "id", "name", "dob", "birth", "latitude", "longitude", "lat", "lon")


def _is_private(data: pd.DataFrame, column: str) -> bool:
    lowered = column.lower()
    words = lowered.replace("-", "_").split("_")
    return (
        pd.api.types.is_datetime64_any_dtype(data[column])
        or lowered.endswith("_id")
        or any(word in _PRIVATE for word in words)
        or "birth" in lowered
        or "gps" in lowered
        or "position" in lowered
    )


def table_one(
    data: pd.DataFrame,
    by: str | None = None,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    nonnormal: Sequence[str] = (),
    design: SurveyDesign | None = None,
    threshold: int | None = DEFAULT_THRESHOLD,
) -> TableOne:
    """Describe the study population overall and by outcome (Table 1), small cells suppressed.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per participant.
    by : str, optional
        Outcome (or exposure) column whose groups are the table's columns, e.g. ``"lbp_12m"``.
    columns : sequence of str, optional
        Characteristics to describe. Default: every column except ``by``, the design's columns
        and anything that identifies a runner (identifiers, dates, birth dates, positions).
    categorical : sequence of str, default=()
        Numeric columns to describe as categories (booleans, strings and categoricals always
        are).
    nonnormal : sequence of str, default=()
        Measurements shown as median [Q1, Q3] instead of mean (SD).
    design : SurveyDesign, optional
        Survey design whose weights weight the percentages, means, SDs and quantiles.
    threshold : int or None, default=11
        Counts from 1 to ``threshold - 1`` are suppressed with everything they could be derived
        from; None shows every count (for internal use only).

    Returns
    -------
    TableOne
        ``display`` is the printed table, ``table`` the tidy numbers (suppressed rows flagged
        and their values removed).

    Raises
    ------
    lbprun._checks.ArgumentError
        A missing column, or a column that identifies a runner (identifier, date of birth,
        position), which no lbprun table shows.

    Examples
    --------
    >>> from lbprun.datasets import load_example_survey
    >>> survey = load_example_survey()
    >>> t1 = table_one(survey, "lbp_12m", columns=["sex", "age"])
    >>> t1.display.loc[("n", "")].tolist()
    ['2500', '1416', '1084']
    >>> t1.display.columns.tolist()
    ['Overall', 'lbp_12m = no', 'lbp_12m = yes']
    """
    check_columns(data, [by])
    if columns is None:
        columns = default_characteristics(data, by, design)
    columns = list(columns)
    check_columns(data, columns)
    private = [c for c in columns if _is_private(data, c)]
    if private:
        raise ArgumentError(
            f"columns {private} identify runners (identifiers, dates, birth dates or positions) "
            "and are never shown in a table; leave them out."
        )
    weights = (
        data[design.weights].astype("float64")
        if design is not None and design.weights is not None
        else pd.Series(1.0, index=data.index)
    )
    groups, group_order = _groups(data, by)
    rows: list[dict] = []
    for name in columns:
        values = data[name]
        discrete = (
            name in categorical
            or not pd.api.types.is_numeric_dtype(values)
            or pd.api.types.is_bool_dtype(values)
        )
        builder = _categorical_rows if discrete else _continuous_rows
        rows += builder(name, values, groups, group_order, weights)
    tidy = pd.DataFrame(rows)
    for column in ("percent", "mean", "sd", "median", "q1", "q3"):
        if column not in tidy:
            tidy[column] = np.nan
    from lbprun.reporting._table_one_display import render, suppress_tidy

    matrix_groups = group_order or [OVERALL]
    suppression = (
        {} if threshold is None else _suppress_all(tidy, columns, matrix_groups, threshold)
    )
    tidy, sizes = suppress_tidy(tidy, groups, group_order, suppression)
    display = render(tidy, sizes, group_order, set(nonnormal), threshold)
    notes = []
    if suppression and any(t.hidden.to_numpy().any() for t in suppression.values()):
        notes.append(
            f"Counts from 1 to {threshold - 1} are shown as <{threshold}; other cells marked "
            "'suppressed' are hidden so that those counts cannot be derived from the totals."
        )
    if design is not None:
        notes.append("Percentages, means, SDs and quantiles are weighted; counts are respondents.")
    return TableOne(
        table=tidy,
        display=display,
        by=by,
        weighted=design is not None,
        threshold=threshold,
        suppression=suppression,
        notes=tuple(notes),
    )
