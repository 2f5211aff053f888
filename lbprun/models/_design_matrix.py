"""Design matrices and data checks for the risk-factor models (internal).

Turns a list of predictor columns (or a patsy formula) into a numeric matrix with an intercept,
R-style treatment coding of categorical predictors, restricted cubic splines and a record of
which columns belong to which predictor (for likelihood-ratio tests of whole factors).

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"sex": ["F", "M", "M"], "age": [30.0, 40.0, 50.0]})
>>> spec = build_spec(data, ["sex", "age"], reference_levels={"sex": "M"})
>>> spec.names
('(Intercept)', 'sex[F]', 'age')
>>> spec.transform(data)[:, 1]
array([1., 0., 0.])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from lbprun._checks import ArgumentError

__all__ = [
    "HARRELL_QUANTILES",
    "DesignSpec",
    "at_most_two_values",
    "collapse_patterns",
    "binary_outcome",
    "build_formula_spec",
    "build_spec",
    "collinear_message",
    "complete_cases",
    "rcs_basis",
    "rcs_knots",
    "separation_terms",
    "split_formula",
]

INTERCEPT = "(Intercept)"

#: Default knot quantiles of ``rms::rcspline.eval`` by number of knots.
HARRELL_QUANTILES: dict[int, tuple[float, ...]] = {
    3: (0.1, 0.5, 0.9),
    4: (0.05, 0.35, 0.65, 0.95),
    5: (0.05, 0.275, 0.5, 0.725, 0.95),
    6: (0.05, 0.23, 0.41, 0.59, 0.77, 0.95),
    7: (0.025, 0.1833, 0.3417, 0.5, 0.6583, 0.8167, 0.975),
}


def rcs_knots(x: np.ndarray, nk: int) -> np.ndarray:
    """Knots at Harrell's default quantiles, as ``rms::rcspline.eval`` (``nk`` in 3..7).

    With fewer than 100 values the outer knots are the 5th smallest and 5th largest values.

    >>> rcs_knots(np.arange(1.0, 201.0), 3)
    array([ 20.9, 100.5, 180.1])
    """
    if nk not in HARRELL_QUANTILES:
        raise ArgumentError(f"number of spline knots must be an integer in 3..7; got {nk!r}.")
    values = np.sort(np.asarray(x, dtype=float))
    knots = np.quantile(values, HARRELL_QUANTILES[nk])
    if values.size < 100:
        knots[0] = values[4]
        knots[-1] = values[-5]
    if np.unique(knots).size < nk:
        raise ArgumentError(
            f"spline knots must be distinct; got {knots.tolist()!r} (too few distinct values "
            "for this many knots)."
        )
    return knots


def rcs_basis(x: np.ndarray, knots: np.ndarray) -> np.ndarray:
    """Restricted cubic spline basis (linear term first), ``rms::rcspline.eval(norm=2)``.

    Notes
    -----
    With knots :math:`t_1 < \\dots < t_k`, for :math:`j = 1..k-2`

    .. math:: b_j(x) = \\frac{(x-t_j)_+^3 - (x-t_{k-1})_+^3 \\frac{t_k-t_j}{t_k-t_{k-1}}
              + (x-t_k)_+^3 \\frac{t_{k-1}-t_j}{t_k-t_{k-1}}}{(t_k-t_1)^2}.

    >>> rcs_basis(np.array([0.0, 5.0]), np.array([1.0, 2.0, 3.0])).round(4)
    array([[0. , 0. ],
           [5. , 4.5]])
    """
    x = np.asarray(x, dtype=float)
    t = np.asarray(knots, dtype=float)
    k = t.size
    scale = (t[-1] - t[0]) ** 2
    cols = [x]
    for j in range(k - 2):
        term = (
            np.clip(x - t[j], 0, None) ** 3
            - np.clip(x - t[k - 2], 0, None) ** 3 * (t[k - 1] - t[j]) / (t[k - 1] - t[k - 2])
            + np.clip(x - t[k - 1], 0, None) ** 3 * (t[k - 2] - t[j]) / (t[k - 1] - t[k - 2])
        )
        cols.append(term / scale)
    return np.column_stack(cols)


@dataclass(frozen=True)
class _Predictor:
    column: str
    kind: str  # "numeric", "categorical" or "spline"
    levels: tuple[Any, ...] = ()
    reference: Any = None
    knots: tuple[float, ...] = ()
    boolean: bool = False  # a True/False column (coded 1/0)

    def names(self) -> list[str]:
        if self.kind == "categorical":
            return [f"{self.column}[{lvl}]" for lvl in self.levels if lvl != self.reference]
        if self.kind == "spline":
            return [self.column + "'" * i for i in range(len(self.knots) - 1)]
        return [self.column]

    def encode(self, values: pd.Series) -> np.ndarray:
        if self.kind == "categorical":
            codes = pd.Index(list(self.levels)).get_indexer(values)
            if (codes < 0).any():
                unknown = (codes < 0) & values.notna().to_numpy()
                if unknown.any():
                    raise ArgumentError(
                        f"{self.column} must take the levels seen in the fit "
                        f"{list(self.levels)!r}; got {values.to_numpy()[unknown][0]!r}."
                    )
            kept = [i for i, lvl in enumerate(self.levels) if lvl != self.reference]
            block = (codes[:, None] == np.asarray(kept)[None, :]).astype(float)
            block[codes < 0] = np.nan
            return block
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        if self.kind == "spline":
            return rcs_basis(x, np.asarray(self.knots))
        return x[:, None]


@dataclass(frozen=True)
class DesignSpec:
    """How to build the design matrix of a fitted model from new data.

    Attributes
    ----------
    names : tuple of str
        Column names, ``"(Intercept)"`` first; categorical columns are ``"column[level]"``,
        spline columns ``"x", "x'", "x''"`` as in rms.
    terms : dict
        Predictor (or formula term) -> indices of its columns.
    columns : tuple of str
        The data columns the design reads.
    """

    names: tuple[str, ...]
    terms: dict[str, tuple[int, ...]]
    columns: tuple[str, ...]
    predictors: tuple[_Predictor, ...] = ()
    formula: str | None = None
    design_info: Any = field(default=None, repr=False)

    def transform(self, data: pd.DataFrame) -> np.ndarray:
        """Return the design matrix of ``data`` (rows with missing values give NaN)."""
        if self.formula is not None:
            import patsy

            rhs = self.design_info
            return np.asarray(
                patsy.dmatrix(rhs, data, NA_action=patsy.NAAction(NA_types=[])), dtype=float
            )
        out = np.empty((len(data), len(self.names)))
        out[:, 0] = 1.0
        start = 1
        for pred in self.predictors:
            block = pred.encode(data[pred.column])
            stop = start + block.shape[1]
            out[:, start:stop] = block
            if pred.kind != "categorical":  # categorical blocks carry their NaN already
                missing = data[pred.column].isna().to_numpy()
                if missing.any():
                    out[missing, start:stop] = np.nan
            start = stop
        return out

    def term_of(self, name: str) -> str:
        """Return the predictor owning design column ``name``."""
        index = self.names.index(name)
        return next(term for term, cols in self.terms.items() if index in cols)


def _is_categorical(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


def build_spec(
    data: pd.DataFrame,
    predictors: Sequence[str],
    *,
    reference_levels: Mapping[str, Any] | None = None,
    splines: Mapping[str, int] | None = None,
) -> DesignSpec:
    """Describe the design of ``predictors`` on complete-case ``data``.

    Raises
    ------
    lbprun._checks.ArgumentError
        A predictor with a single level, an unknown reference level, a spline on a
        non-numeric column.
    """
    reference_levels = dict(reference_levels or {})
    splines = dict(splines or {})
    preds: list[_Predictor] = []
    for column in predictors:
        series = data[column]
        if column in splines:
            if _is_categorical(series):
                raise ArgumentError(
                    f"splines must name numeric columns; got {column!r} of dtype {series.dtype}."
                )
            knots = rcs_knots(series.to_numpy(dtype=float), splines[column])
            preds.append(_Predictor(column, "spline", knots=tuple(knots.tolist())))
            continue
        categorical = _is_categorical(series) or column in reference_levels
        if categorical:
            levels = tuple(sorted(pd.unique(series.dropna()).tolist(), key=str))
        else:
            values = series.dropna().to_numpy(dtype=float)
            distinct = values[values != values[0]] if values.size else values
            levels = tuple(values[:1].tolist()) + tuple(distinct[:1].tolist())
        if len(levels) < 2:
            raise ArgumentError(
                f"predictor {column!r} must have at least two distinct values among the rows "
                f"used; got only {list(levels)!r}."
            )
        if categorical:
            reference = reference_levels.get(column, levels[0])
            if reference not in levels:
                raise ArgumentError(
                    f"reference_levels[{column!r}] must be one of {list(levels)!r}; "
                    f"got {reference!r}."
                )
            preds.append(_Predictor(column, "categorical", levels=levels, reference=reference))
        else:
            boolean = pd.api.types.is_bool_dtype(series.dtype)
            preds.append(_Predictor(column, "numeric", levels=levels, boolean=boolean))
    names = [INTERCEPT]
    terms: dict[str, tuple[int, ...]] = {INTERCEPT: (0,)}
    for pred in preds:
        start = len(names)
        names.extend(pred.names())
        terms[pred.column] = tuple(range(start, len(names)))
    return DesignSpec(
        names=tuple(names), terms=terms, columns=tuple(predictors), predictors=tuple(preds)
    )


def split_formula(formula: str, data: pd.DataFrame) -> tuple[str, str, tuple[str, ...]]:
    """Split ``"outcome ~ terms"`` into the outcome, the right-hand side and the data columns
    it reads."""
    import ast
    import re

    if not isinstance(formula, str) or formula.count("~") != 1:
        raise ArgumentError(f"formula must look like 'outcome ~ x1 + x2'; got {formula!r}.")
    lhs, rhs = (part.strip() for part in formula.split("~"))
    names = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", rhs))
    try:
        names = {
            n.id
            for n in ast.walk(ast.parse(rhs.replace("^", "**"), mode="eval"))
            if isinstance(n, ast.Name)
        }
    except SyntaxError:
        pass
    columns = tuple(sorted(n for n in names if n in data.columns))
    return lhs, rhs, columns


def build_formula_spec(data: pd.DataFrame, rhs: str, columns: Sequence[str]) -> DesignSpec:
    """Describe the design of the right-hand side ``rhs`` of a patsy formula."""
    import patsy

    try:
        info = patsy.dmatrix(rhs, data, return_type="dataframe").design_info
    except patsy.PatsyError as exc:
        raise ArgumentError(f"formula must be a valid patsy formula; got {rhs!r}: {exc}") from None
    names = tuple(INTERCEPT if n == "Intercept" else n for n in info.column_names)
    terms = {}
    for term, sl in info.term_name_slices.items():
        terms[INTERCEPT if term == "Intercept" else term] = tuple(range(sl.start, sl.stop))
    return DesignSpec(
        names=names, terms=terms, columns=tuple(columns), formula=rhs, design_info=info
    )


def binary_outcome(values: pd.Series, name: str) -> np.ndarray:
    """Return a 0/1 float array or raise naming the values found.

    >>> binary_outcome(pd.Series([True, False]), "y")
    array([1., 0.])
    """
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    found = pd.unique(values)
    numeric = pd.to_numeric(pd.Series(found), errors="coerce")
    if numeric.isna().any() or not set(numeric.tolist()) <= {0.0, 1.0}:
        shown = sorted(map(str, found))[:8]
        raise ArgumentError(
            f"outcome {name!r} must be binary (0/1 or True/False); got values {shown}."
        )
    array = pd.to_numeric(values).to_numpy(dtype=float)
    if np.unique(array).size < 2:
        raise ArgumentError(
            f"outcome {name!r} must hold both 0 and 1 among the rows used; got only {array[0]:g}."
        )
    return array


def complete_cases(
    data: pd.DataFrame, columns: Sequence[str]
) -> tuple[np.ndarray, dict[str, int]]:
    """Rows with no missing value in ``columns`` and the count of missing values per column."""
    missing = data[[c for c in columns if c is not None]].isna()
    counts = {c: int(n) for c, n in missing.sum().items() if n > 0}
    return ~missing.any(axis=1).to_numpy(), counts


def collinear_message(x: np.ndarray, names: Sequence[str]) -> str | None:
    """A message naming collinear design columns, or None when ``x`` has full column rank.

    Columns are checked in order; a column in the span of the earlier kept columns is named
    with the columns it combines.

    >>> x = np.column_stack([np.ones(3), [1.0, 2, 3], [2.0, 4, 6]])
    >>> collinear_message(x, ["(Intercept)", "a", "b"])
    "predictors must not be collinear; got 'b' is a linear combination of 'a'. Drop one of the terms."
    """
    gram = x.T @ x
    scale = np.sqrt(np.maximum(np.diag(gram), 1e-300))
    gram = gram / np.outer(scale, scale)
    kept: list[int] = []
    parts = []
    for j in range(x.shape[1]):
        if kept:
            sub = gram[np.ix_(kept, kept)]
            coef = np.linalg.solve(sub, gram[kept, j])
            residual = gram[j, j] - gram[j, kept] @ coef
        else:
            coef, residual = np.zeros(0), gram[j, j]
        if residual > 1e-9:
            kept.append(j)
            continue
        used = [names[k] for k, c in zip(kept, coef, strict=True) if abs(c) > 1e-6]
        parts.append(f"{names[j]!r} is a linear combination of {', '.join(map(repr, used))}")
    if not parts:
        return None
    return "predictors must not be collinear; got " + "; ".join(parts) + ". Drop one of the terms."


def separation_terms(x: np.ndarray, y: np.ndarray, names: Sequence[str]) -> list[str] | None:
    """Linear-programming check for (quasi-)complete separation.

    Returns the names of the columns along which the outcome is separated, or None.

    Notes
    -----
    Separation exists when some direction :math:`d \\ne 0` satisfies
    :math:`(2y_i - 1) x_i^T d \\ge 0` for every row, with at least one strict inequality
    (Albert & Anderson 1984); the linear program maximises :math:`\\sum_i (2y_i-1) x_i^T d`
    subject to those constraints and :math:`|d_j| \\le 1` (as R ``detectseparation``).

    >>> x = np.column_stack([np.ones(4), [0, 0, 1, 1.0]])
    >>> separation_terms(x, np.array([0, 0, 1, 1.0]), ["(Intercept)", "a"])
    ['a']
    """
    rows = np.unique(np.column_stack([x, y]), axis=0)
    xs, ys = rows[:, :-1], rows[:, -1]
    signed = xs * (2.0 * ys - 1.0)[:, None]
    scale = np.maximum(np.abs(xs).max(axis=0), 1e-12)
    signed = signed / scale
    res = optimize.linprog(
        -signed.sum(axis=0),
        A_ub=-signed,
        b_ub=np.zeros(len(signed)),
        bounds=[(-1, 1)] * xs.shape[1],
        method="highs",
    )
    if res.status != 0 or -res.fun < 1e-7:
        return None
    return [names[j] for j in np.flatnonzero(np.abs(res.x) > 1e-7)]


def at_most_two_values(x: np.ndarray) -> np.ndarray:
    """For each column of ``x``, whether it holds at most two distinct values (vectorised)."""
    differs = x != x[0]
    second = x[np.argmax(differs, axis=0), np.arange(x.shape[1])]
    return ~np.any(differs & (x != second), axis=0)


def collapse_patterns(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unique (covariate pattern, outcome) rows with their frequencies."""
    if x.shape[1] > 60:
        rows, counts = np.unique(np.column_stack([x, y]), axis=0, return_counts=True)
        return rows[:, :-1], rows[:, -1], counts.astype(float)
    bits = (x != x[0]).astype(np.int64)  # every column holds at most two values
    code = bits @ (np.int64(2) ** np.arange(x.shape[1], dtype=np.int64))
    code = 2 * code + (y > 0.5)
    _, first, counts = np.unique(code, return_index=True, return_counts=True)
    return x[first], y[first], counts.astype(float)
