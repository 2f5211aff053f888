"""The clinic risk model: a fitted logistic model with everything needed to score a runner.

A :class:`RiskModel` holds the feature schema (kinds, units, development ranges, levels, spline
knots), the coefficients and their covariance, a summary of the development data, validation
results, risk bands, an intercept shift for recalibration and a label. It is built by
:meth:`RiskModel.from_design` from a design of :mod:`lbprun.models`, saved as a versioned,
checksummed JSON file (:mod:`lbprun.clinic.model_file`) and scores runners with
:meth:`RiskModel.score`.

Examples
--------
>>> from lbprun.clinic import load_demo_model
>>> model = load_demo_model()
>>> model.outcome, model.label
('lbp_12m', 'demonstration only — not validated for clinical use')
>>> [f.name for f in model.features]
['age', 'sex', 'prior_lbp', 'strength_training', 'weekly_km']
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from lbprun._checks import ArgumentError
from lbprun._result import to_jsonable
from lbprun.clinic._features import Feature, features_from_spec, schema_column
from lbprun.clinic._summary import (
    Development,
    check_bands,
    data_sha256,
    default_bands,
    lp_distribution,
)
from lbprun.models._design_matrix import DesignSpec, binary_outcome

if TYPE_CHECKING:  # pragma: no cover
    from lbprun.clinic.scoring import RiskScore

__all__ = ["DEMO_LABEL", "RiskModel"]

#: The label of models that must not be used in the clinic.
DEMO_LABEL = "demonstration only — not validated for clinical use"


def _readonly(values: Any, shape: tuple[int, ...] | None = None) -> np.ndarray:
    array = np.array(values, dtype=float)
    if shape is not None and array.shape != shape:
        raise ArgumentError(f"array must have shape {shape}; got {array.shape}.")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, kw_only=True, eq=False)
class RiskModel:
    """A logistic clinic risk model that scores runners and saves to a safe JSON file.

    Parameters
    ----------
    outcome : str
        The outcome column the model predicts (e.g. ``"lbp_12m"``).
    features : tuple of Feature
        One entry per predictor, in design order (see :class:`lbprun.clinic.Feature`).
    design_names : tuple of str
        Design column names, ``"(Intercept)"`` first (as ``DesignSpec.names``).
    coef : numpy.ndarray
        Log-odds coefficients, one per design column (read-only).
    cov : numpy.ndarray
        Their covariance matrix (symmetric, read-only).
    development : Development
        Development summary: n, events, outcome definition, date range, data SHA-256, lbprun
        version, creation time and the linear-predictor distribution.
    validation : dict, default={}
        Validation results filled in by the development side (JSON-safe); may be empty.
    bands : tuple of (str, float)
        Risk bands as ``(name, lower limit)``; a probability ``p`` is in the last band whose
        lower limit is ``<= p``.
    intercept_shift : float, default=0.0
        Added to the linear predictor (recalibration-in-the-large, :meth:`recalibrate`).
    recalibrated_to : float or None, default=None
        The prevalence the intercept was recalibrated to, None when not recalibrated.
    label : str, default=""
        A warning shown with every score, e.g. :data:`DEMO_LABEL`.
    """

    outcome: str
    features: tuple[Feature, ...]
    design_names: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    development: Development
    validation: dict[str, Any] = field(default_factory=dict)
    bands: tuple[tuple[str, float], ...] = (("low", 0.0), ("moderate", 0.05), ("high", 0.15))
    intercept_shift: float = 0.0
    recalibrated_to: float | None = None
    label: str = ""

    def __post_init__(self) -> None:
        p = len(self.design_names)
        object.__setattr__(self, "coef", _readonly(self.coef, (p,)))
        object.__setattr__(self, "cov", _readonly(self.cov, (p, p)))
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "design_names", tuple(self.design_names))
        object.__setattr__(self, "bands", check_bands(self.bands))
        object.__setattr__(self, "intercept_shift", float(self.intercept_shift))
        expected = ("(Intercept)",) + tuple(n for f in self.features for n in f.design_names())
        if expected != self.design_names:
            raise ArgumentError(
                f"design_names must match the features {list(expected)!r}; "
                f"got {list(self.design_names)!r}."
            )

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_design(
        cls,
        spec: DesignSpec,
        coef: np.ndarray,
        cov: np.ndarray,
        data: pd.DataFrame,
        *,
        outcome: str,
        validation: dict | None = None,
        label: str = "",
        bands: Mapping[str, float] | None = None,
    ) -> RiskModel:
        """Build a model from a design spec, a fit and its complete-case development rows.

        Parameters
        ----------
        spec : lbprun.models._design_matrix.DesignSpec
            The design (from ``build_spec``; formula specs are not supported).
        coef : numpy.ndarray
            Coefficients, one per ``spec.names``.
        cov : numpy.ndarray
            Their covariance (symmetrised on storage).
        data : pandas.DataFrame
            The complete-case development rows: ranges, medians, n, events, data hash.
        outcome : str
            The 0/1 outcome column of ``data``.
        validation : dict, optional
            Validation results (converted to JSON-safe values).
        label : str, default=""
            Label shown with every score.
        bands : Mapping[str, float], optional
            ``{band name: lower limit}``, first limit 0; default: ``low`` below half the
            development event proportion, ``moderate`` up to 1.5 times it, ``high`` above.

        Returns
        -------
        RiskModel

        Raises
        ------
        lbprun._checks.ArgumentError
            A formula spec, mismatched shapes, non-finite coefficients, missing values among
            the development rows, a non-binary outcome or invalid bands.

        Examples
        --------
        >>> import statsmodels.api as sm
        >>> from lbprun.datasets import load_example_survey
        >>> from lbprun.models._design_matrix import build_spec
        >>> data = load_example_survey()
        >>> spec = build_spec(data, ["age", "prior_lbp"])
        >>> fit = sm.Logit(data["lbp_12m"].to_numpy(float), spec.transform(data)).fit(disp=0)
        >>> model = RiskModel.from_design(spec, fit.params, fit.cov_params(), data,
        ...                               outcome="lbp_12m")
        >>> model.development.n, model.development.events
        (2500, 1084)
        """
        if not isinstance(outcome, str) or outcome not in data.columns:
            raise ArgumentError(f"outcome must be a column of data; got {outcome!r}.")
        if not isinstance(label, str):
            raise ArgumentError(f"label must be a string; got {label!r}.")
        features = features_from_spec(spec, data)
        names = tuple(spec.names)
        coef = np.asarray(coef, dtype=float).ravel()
        cov = np.asarray(cov, dtype=float)
        if coef.shape != (len(names),) or cov.shape != (len(names), len(names)):
            raise ArgumentError(
                f"coef and cov must have {len(names)} entries ({len(names)} x {len(names)}); "
                f"got {coef.shape} and {cov.shape}."
            )
        if not (np.isfinite(coef).all() and np.isfinite(cov).all()):
            raise ArgumentError("coef and cov must be finite; got NaN or infinite values.")
        x = spec.transform(data)
        if np.isnan(x).any():
            raise ArgumentError(
                "data must be the complete-case development rows; got missing predictor values."
            )
        y = binary_outcome(data[outcome], outcome)
        columns = [f.name for f in features] + [outcome]
        entry = schema_column(outcome)
        from lbprun import __version__

        development = Development(
            n=len(data),
            events=int(y.sum()),
            outcome_definition="" if entry is None else entry.description,
            date_range=_date_range(data),
            data_sha256=data_sha256(data, columns),
            lbprun_version=__version__,
            created=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
            linear_predictor=lp_distribution(x @ coef),
        )
        return cls(
            outcome=outcome,
            features=features,
            design_names=names,
            coef=coef,
            cov=(cov + cov.T) / 2.0,
            development=development,
            validation=to_jsonable(dict(validation or {})),
            bands=default_bands(float(y.mean())) if bands is None else check_bands(bands),
            label=label,
        )

    # ------------------------------------------------------------------ design
    def feature(self, name: str) -> Feature:
        """Return the feature ``name``.

        Parameters
        ----------
        name : str
            A predictor of the model.

        Returns
        -------
        Feature
            Its kind, unit, development range, levels and knots.

        Raises
        ------
        KeyError
            ``name`` is not a predictor (the message names the predictors).
        """
        for feat in self.features:
            if feat.name == name:
                return feat
        raise KeyError(f"{name!r} is not a predictor of this model: {self.predictors}")

    @property
    def predictors(self) -> tuple[str, ...]:
        """The predictor names, in design order."""
        return tuple(f.name for f in self.features)

    def design_from_values(self, values: Mapping[str, np.ndarray]) -> np.ndarray:
        """Return the design matrix of checked per-feature arrays.

        Parameters
        ----------
        values : Mapping[str, numpy.ndarray]
            One array per predictor, all of one length: floats, or level codes (positions in
            ``Feature.levels``) for a categorical predictor.

        Returns
        -------
        numpy.ndarray
            ``n x len(design_names)``, the intercept column first.
        """
        n = len(next(iter(values.values()))) if values else 1
        out = np.empty((n, len(self.design_names)))
        out[:, 0] = 1.0
        start = 1
        for feat in self.features:
            block = feat.encode(np.asarray(values[feat.name]))
            out[:, start : start + block.shape[1]] = block
            start += block.shape[1]
        return out

    def design_matrix(self, frame: pd.DataFrame | Mapping[str, Any]) -> np.ndarray:
        """Return the design matrix of ``frame``, rebuilt from the stored feature schema.

        Parameters
        ----------
        frame : pandas.DataFrame, dict or pandas.Series
            Runners with the model's predictors (see :meth:`score`).

        Returns
        -------
        numpy.ndarray
            ``len(frame) x len(design_names)``; identical to ``spec.transform(frame)`` of the
            development spec on valid rows.

        Raises
        ------
        lbprun.exceptions.DataValidationError
            Missing, wrongly typed or unknown values (every failure, with runner and field).
        """
        from lbprun.clinic._inputs import checked_values

        return self.design_from_values(checked_values(self, frame).values)

    def reference_design(self) -> np.ndarray:
        """Return the design row of the reference runner.

        Returns
        -------
        numpy.ndarray
            One value per design column: reference levels, development medians and ``0`` for
            yes/no predictors.
        """
        values = {f.name: np.array([f.reference_value()]) for f in self.features}
        return self.design_from_values(values)[0]

    def linear_predictor(self, x: np.ndarray) -> np.ndarray:
        """Linear predictor ``x @ coef + intercept_shift`` of a design matrix.

        Summed row by row in a fixed order, so a runner's value does not depend on the other
        runners scored with it (a BLAS product may round differently with the batch size).

        Parameters
        ----------
        x : numpy.ndarray
            Design matrix, ``n x len(design_names)``.

        Returns
        -------
        numpy.ndarray
            The ``n`` linear predictors (log odds).
        """
        return (x * self.coef).sum(axis=1) + self.intercept_shift

    def variance(self, x: np.ndarray) -> np.ndarray:
        """Variance ``x' V x`` of the linear predictor of each design row (row-wise order).

        Parameters
        ----------
        x : numpy.ndarray
            Design matrix, ``n x len(design_names)``.

        Returns
        -------
        numpy.ndarray
            The ``n`` variances, from the coefficients' covariance ``cov``.
        """
        xv = np.zeros_like(x)
        for j in range(x.shape[1]):
            xv += x[:, j : j + 1] * self.cov[j]
        return (xv * x).sum(axis=1)

    # ------------------------------------------------------------------ scoring
    def score(
        self,
        runner: Any,
        *,
        activities: pd.DataFrame | None = None,
        index_date: Any = None,
        level: float = 0.95,
    ) -> RiskScore:
        """Predicted risk of one runner or many (see :func:`lbprun.clinic.scoring.score`).

        Parameters
        ----------
        runner : dict, pandas.Series or pandas.DataFrame
            One runner, or one row per runner, with the model's predictors.
        activities : pandas.DataFrame, optional
            The runners' training logs; load predictors are derived from the runs strictly
            before ``index_date``.
        index_date : date-like, optional
            The day of the consultation; required with ``activities``.
        level : float, default=0.95
            Confidence level of ``ci_low, ci_high``.

        Returns
        -------
        lbprun.clinic.scoring.RiskScore
            Probability, interval, band and predictor contributions of each runner.
        """
        from lbprun.clinic.scoring import score

        return score(self, runner, activities=activities, index_date=index_date, level=level)

    def predict_one(
        self, runner: Mapping[str, Any], *, level: float = 0.95
    ) -> tuple[float, float, float]:
        """``(probability, ci_low, ci_high)`` of one runner (dict or Series), without tables.

        The same numbers as :meth:`score`, to the last bit, in a fraction of its time (see
        :func:`lbprun.clinic.scoring.predict_one` for errors and warnings).

        Parameters
        ----------
        runner : dict or pandas.Series
            One runner with the model's predictors.
        level : float, default=0.95
            Confidence level of the interval.

        Returns
        -------
        tuple of float
            ``(probability, ci_low, ci_high)``.

        Examples
        --------
        >>> from lbprun.clinic import load_demo_model
        >>> model = load_demo_model()
        >>> runner = {"age": 45, "sex": "M", "prior_lbp": True, "strength_training": False,
        ...           "weekly_km": 40.0}
        >>> p, low, high = model.predict_one(runner)
        >>> bool(p == model.score(runner).table["probability"].iloc[0]), low < p < high
        (True, True)
        """
        from lbprun.clinic.scoring import predict_one

        return predict_one(self, runner, level=level)

    def recalibrate(self, prevalence: float, *, data: pd.DataFrame | None = None) -> RiskModel:
        """Return a model whose mean predicted risk equals ``prevalence``.

        Parameters
        ----------
        prevalence : float
            The outcome's prevalence in the clinic, in (0, 1).
        data : pandas.DataFrame, optional
            Covariate distribution to average over; default the development distribution
            stored in the model (``development.linear_predictor``).

        Returns
        -------
        RiskModel
            A copy with ``intercept_shift`` solving ``mean(expit(lp + shift)) = prevalence``
            (``lp`` without any earlier shift) and ``recalibrated_to = prevalence``.

        Raises
        ------
        lbprun._checks.ArgumentError
            A prevalence outside (0, 1).

        Examples
        --------
        >>> from lbprun.clinic import load_demo_model
        >>> model = load_demo_model().recalibrate(0.2)
        >>> from scipy.special import expit
        >>> lp = np.array(model.development.linear_predictor) + model.intercept_shift
        >>> round(float(expit(lp).mean()), 12)
        0.2
        """
        if isinstance(prevalence, bool) or not isinstance(prevalence, int | float | np.number):
            raise ArgumentError(f"prevalence must be a number in (0, 1); got {prevalence!r}.")
        if not 0.0 < float(prevalence) < 1.0:
            hint = f" Did you mean {prevalence / 100:g}?" if 1 < prevalence < 100 else ""
            raise ArgumentError(f"prevalence must be in (0, 1); got {prevalence!r}.{hint}")
        if data is None:
            lp = np.asarray(self.development.linear_predictor)
        else:
            lp = self.design_matrix(data) @ self.coef

        def gap(shift: float) -> float:
            return float(special.expit(lp + shift).mean()) - float(prevalence)

        shift = optimize.brentq(gap, -60.0, 60.0, xtol=1e-15, rtol=4 * np.finfo(float).eps)
        return dataclasses.replace(
            self, intercept_shift=float(shift), recalibrated_to=float(prevalence)
        )

    # ------------------------------------------------------------------ files and tables
    def save(self, path: str | Path) -> Path:
        """Write the model file (see :func:`lbprun.clinic.model_file.save_model`).

        Parameters
        ----------
        path : str or pathlib.Path
            Where to write (conventionally ``*.json``).

        Returns
        -------
        pathlib.Path
            The path written.
        """
        from lbprun.clinic.model_file import save_model

        return save_model(self, path)

    def to_dict(self) -> dict[str, Any]:
        """Return the model content as a JSON-safe dictionary (the ``model`` part of the file).

        Returns
        -------
        dict
            Outcome, label, features, design names, coefficients, covariance, intercept
            shift, recalibration, bands, development summary and validation results.
        """
        from lbprun.clinic.model_file import model_to_dict

        return model_to_dict(self)

    def points_table(self, *, max_points: float = 100.0) -> pd.DataFrame:
        """Return the nomogram-style points table of the model.

        Parameters
        ----------
        max_points : float, default=100.0
            Points of the predictor with the widest span of log odds.

        Returns
        -------
        pandas.DataFrame
            ``predictor, value, log_odds, points, risk``: one row per predictor value, then
            rows ``predictor == "total points"`` giving the ``risk`` of ``value`` points.
        """
        from lbprun.clinic._points import points_table

        return points_table(self, max_points=max_points)

    def plot_points(self, *, max_points: float = 100.0) -> Any:
        """Draw the nomogram-style figure of :meth:`points_table`.

        Parameters
        ----------
        max_points : float, default=100.0
            Points of the predictor with the widest span of log odds.

        Returns
        -------
        matplotlib.figure.Figure
            One scale per predictor, then total points and risk.
        """
        from lbprun.clinic._points import plot_points

        return plot_points(self, max_points=max_points)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return (
            f"RiskModel(outcome={self.outcome!r}, predictors={list(self.predictors)!r}, "
            f"n={self.development.n}, events={self.development.events}{label})"
        )


def _date_range(data: pd.DataFrame) -> tuple[str, str] | None:
    for column in data.columns:
        if pd.api.types.is_datetime64_any_dtype(data[column]):
            values = data[column].dropna()
            if len(values):
                return (values.min().date().isoformat(), values.max().date().isoformat())
    return None
