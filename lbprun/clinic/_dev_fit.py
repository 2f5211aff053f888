"""Design and fits of a clinic risk model under development (internal).

One definition of the design for every fit of a risk model: the complete-case rows, the
design matrix and its coding come from :mod:`lbprun.models._design_matrix`, as in
:func:`lbprun.models.risk_factors.fit_risk_factors`. :func:`fit_development` is the fit that
is reported; :func:`refit` is the fast fit of a resample or a fold, which reports failure
instead of warning.

Examples
--------
>>> import pandas as pd
>>> data = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [1.0, 2, 3, 4, 5, None]})
>>> dev = prepare_development(data, "y", ["x"])
>>> dev.x.shape, dev.rows_excluded
((5, 2), 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_columns
from lbprun.exceptions import ConvergenceError
from lbprun.models import _design_matrix as dm
from lbprun.models.firth import firth_fit
from lbprun.models.profile import fit_ml, logistic_newton

__all__ = [
    "PENALTIES",
    "DevelopmentData",
    "DevelopmentFit",
    "ResamplingUnits",
    "fit_development",
    "full_rank",
    "prepare_development",
    "refit",
]

#: Penalties of a risk-model fit: ``None`` (maximum likelihood) or Firth's.
PENALTIES = (None, "firth")


@dataclass(frozen=True)
class ResamplingUnits:
    """Primary sampling units (row positions of each) and the stratum code of each unit."""

    units: tuple[np.ndarray, ...]
    strata: np.ndarray

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        """Row positions of one resample: in every stratum, as many units as it has, drawn
        with replacement."""
        picked = []
        for code in np.unique(self.strata):
            members = np.flatnonzero(self.strata == code)
            picked.extend(rng.choice(members, size=members.size, replace=True).tolist())
        return np.concatenate([self.units[i] for i in picked])


@dataclass(frozen=True)
class DevelopmentData:
    """The complete-case rows of a development data set, their design and outcome."""

    spec: dm.DesignSpec
    rows: pd.DataFrame
    x: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    used: np.ndarray
    missing_counts: dict[str, int]
    groups: ResamplingUnits | None = None

    @property
    def rows_in(self) -> int:
        """Rows of the data given."""
        return int(self.used.size)

    @property
    def rows_kept(self) -> int:
        """Complete-case rows used in the fit."""
        return int(self.used.sum())

    @property
    def rows_excluded(self) -> int:
        """Rows left out for a missing outcome or predictor value."""
        return int((~self.used).sum())


@dataclass(frozen=True)
class DevelopmentFit:
    """The reported fit: coefficients, covariance and the notes of the fit."""

    beta: np.ndarray
    cov: np.ndarray
    notes: tuple[str, ...]
    method: str


def _check_predictors(predictors: Any) -> list[str]:
    if isinstance(predictors, str):
        return [predictors]
    if predictors is None or len(predictors) == 0:
        raise ArgumentError(f"predictors must name at least one column; got {predictors!r}.")
    return list(predictors)


def prepare_development(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    splines: Mapping[str, int] | None = None,
    reference_levels: Mapping[str, Any] | None = None,
    design: Any = None,
) -> DevelopmentData:
    """Complete cases, outcome and design matrix of a development data set.

    Raises
    ------
    lbprun._checks.ArgumentError
        Unknown columns, a non-binary outcome, a predictor with one level, collinear terms,
        spline keys that are not predictors.
    """
    predictors = _check_predictors(predictors)
    extra = list(design.columns) if design is not None else []
    check_columns(data, [outcome, *predictors, *extra], name="data")
    for name in splines or {}:
        if name not in predictors:
            raise ArgumentError(f"splines keys must be predictors; got {name!r}.")
    used, missing_counts = dm.complete_cases(data, [outcome, *predictors, *extra])
    if not used.any():
        raise ArgumentError(
            f"data must hold at least one complete row of {[outcome, *predictors]!r}; got none "
            f"(missing values: {missing_counts})."
        )
    rows = data.loc[used]
    y = dm.binary_outcome(rows[outcome], outcome)
    spec = dm.build_spec(rows, predictors, reference_levels=reference_levels, splines=splines)
    x = spec.transform(rows)
    message = dm.collinear_message(x, spec.names)
    if message:
        raise ArgumentError(message)
    weights = np.ones(len(y))
    groups = None
    if design is not None:
        if design.weights is not None:
            raw = rows[design.weights].to_numpy(dtype=float)
            weights = raw / raw.mean()
        groups = _resampling_groups(rows, design)
    return DevelopmentData(
        spec=spec,
        rows=rows,
        x=x,
        y=y,
        weights=weights,
        used=np.asarray(used, dtype=bool),
        missing_counts=missing_counts,
        groups=groups,
    )


def _resampling_groups(rows: pd.DataFrame, design: Any) -> ResamplingUnits | None:
    """Row positions of each primary sampling unit and its stratum (for resampling whole
    PSUs within strata, as a bootstrap of a survey design)."""
    cluster = design.cluster[0] if isinstance(design.cluster, tuple) else design.cluster
    if cluster is None and design.strata is None:
        return None
    strata = rows[design.strata].to_numpy() if design.strata else np.zeros(len(rows))
    psu = rows[cluster].to_numpy() if cluster else np.arange(len(rows))
    frame = pd.DataFrame({"stratum": strata, "psu": psu, "row": np.arange(len(rows))})
    grouped = frame.groupby(["stratum", "psu"], sort=True)
    units = tuple(np.asarray(g["row"].to_numpy(), dtype=np.int64) for _, g in grouped)
    codes = pd.factorize(grouped["stratum"].first())[0]
    return ResamplingUnits(units=units, strata=np.asarray(codes, dtype=np.int64))


def fit_development(
    dev: DevelopmentData, penalty: str | None, design: Any = None
) -> DevelopmentFit:
    """The reported fit of the development data (warnings as in ``fit_risk_factors``)."""
    if design is not None:
        from lbprun.models.survey_glm import svyglm_logistic

        sfit = svyglm_logistic(dev.x, dev.y, design, dev.rows)
        return DevelopmentFit(sfit.beta, sfit.cov, tuple(sfit.notes), "survey")
    if penalty == "firth":
        model = firth_fit(dev.x, dev.y)
        return DevelopmentFit(model.beta, model.cov, (model.convergence.note,), "firth")
    beta, cov, _factory, notes, _check = fit_ml(
        dev.x, dev.y, np.ones(len(dev.y)), list(dev.spec.names)
    )
    return DevelopmentFit(beta, cov, tuple(notes), "ml")


def full_rank(x: np.ndarray) -> bool:
    """Whether ``x`` has full column rank (by the scaled cross-product, as
    :func:`lbprun.models._design_matrix.collinear_message`).

    >>> full_rank(np.column_stack([np.ones(3), np.zeros(3)]))
    False
    """
    gram = x.T @ x
    scale = np.sqrt(np.diag(gram))
    if np.any(scale == 0):
        return False
    eig = np.linalg.eigvalsh(gram / np.outer(scale, scale))
    return bool(eig.min() > 1e-10)


def refit(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, penalty: str | None
) -> tuple[np.ndarray | None, str | None]:
    """Fit a resample or a fold; return ``(beta, None)`` or ``(None, reason)`` on failure.

    Failures are a design without full column rank (a level absent from the resample), no
    convergence, or (quasi-)separation in an ML fit (a fitted probability within 1e-8 of 0 or 1
    after a fit that stopped).

    >>> x = np.column_stack([np.ones(4), [0, 0, 1, 1.0]])
    >>> refit(x, np.array([0, 0, 1, 1.0]), np.ones(4), None)
    (None, 'separation')
    """
    if y.min() == y.max():
        return None, "one outcome class"
    if not full_rank(x):
        return None, "rank-deficient design"
    if penalty == "firth":
        try:
            return firth_fit(x, y, w).beta, None
        except (ConvergenceError, np.linalg.LinAlgError):
            return None, "no convergence"
    start = np.zeros(x.shape[1])
    ybar = float(np.clip(np.sum(w * y) / w.sum(), 1e-6, 1 - 1e-6))
    start[0] = np.log(ybar / (1 - ybar))
    fit = logistic_newton(x, y, w, start=start, max_iter=50)
    eta = x @ fit.beta
    if not np.all(np.isfinite(fit.beta)):
        return None, "no convergence"
    if np.any(np.abs(eta) > 18.4) or not fit.converged:
        # probabilities within 1e-8 of 0 or 1: the ML estimate runs off to infinity
        return None, "separation" if np.any(np.abs(eta) > 18.4) else "no convergence"
    return fit.beta, None
