"""A scikit-learn classifier of lbprun's logistic risk model (for pipelines and model search).

The design is lbprun's (:mod:`lbprun.models._design_matrix`): treatment coding with reference
levels, restricted cubic splines with rms knots, and the same ML or Firth fit as
:func:`lbprun.clinic.develop.develop_risk_model`.

Examples
--------
>>> from lbprun.datasets import load_example_survey
>>> survey = load_example_survey().dropna(subset=["prior_lbp", "sex", "age"])
>>> est = RiskModelEstimator(predictors=["prior_lbp", "sex", "age"])
>>> est = est.fit(survey, survey["lbp_12m"])
>>> est.predict_proba(survey.head(2)).shape, est.classes_.tolist()
((2, 2), [0.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from lbprun._checks import ArgumentError
from lbprun.clinic._dev_fit import PENALTIES, refit
from lbprun.models import _design_matrix as dm

__all__ = ["RiskModelEstimator"]


def _as_frame(X: Any, names: Sequence[str] | None = None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    # arrays: scikit-learn's own checks (2-D, finite, not sparse, not complex, not empty)
    array = check_array(X, dtype=float)
    columns = list(names) if names is not None else [f"x{j}" for j in range(array.shape[1])]
    if len(columns) != array.shape[1]:
        raise ValueError(
            f"X has {array.shape[1]} features, but RiskModelEstimator is expecting "
            f"{len(columns)} features as input."
        )
    return pd.DataFrame(array, columns=columns)


class RiskModelEstimator(ClassifierMixin, BaseEstimator):
    """Logistic risk model as a scikit-learn classifier (DataFrame in, risks out).

    Parameters
    ----------
    predictors : sequence of str, optional
        Columns of ``X`` to use; default every column.
    splines : dict, optional
        ``{column: number_of_knots}``: restricted cubic splines (3 to 7 knots).
    penalty : {None, "firth"}, default=None
        Maximum likelihood or Firth's penalised likelihood.
    reference_levels : dict, optional
        ``{column: level}``: reference level of categorical predictors.

    Attributes
    ----------
    classes_ : numpy.ndarray
        The two outcome classes; the second is the event.
    coef_ : numpy.ndarray
        Log-odds coefficients, intercept first (as ``spec_.names``).
    spec_ : DesignSpec
        The design (knots, levels, column names).
    feature_names_in_ : numpy.ndarray
        Columns of ``X`` seen in :meth:`fit`.
    n_features_in_ : int
        Their number.

    Notes
    -----
    :meth:`fit` needs complete rows (drop or impute missing values first, for example with a
    ``Pipeline``); :meth:`predict` labels the event class when the risk is at least 0.5.
    """

    def __init__(
        self,
        predictors: Sequence[str] | None = None,
        splines: Mapping[str, int] | None = None,
        penalty: str | None = None,
        reference_levels: Mapping[str, Any] | None = None,
    ) -> None:
        self.predictors = predictors
        self.splines = splines
        self.penalty = penalty
        self.reference_levels = reference_levels

    def fit(self, X: Any, y: Any) -> RiskModelEstimator:
        """Fit the model to ``X`` (DataFrame or 2-D array) and outcome ``y`` (two classes).

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Complete rows of predictors (array columns are named ``x0, x1, ...``).
        y : array-like of shape (n_samples,)
            The outcome: exactly two classes, the second (sorted) being the event.

        Returns
        -------
        RiskModelEstimator
            The fitted estimator (``self``).

        Raises
        ------
        ValueError
            Missing values, one outcome class or more than two, a separated or
            non-converging fit, a rank-deficient design.
        """
        if self.penalty not in PENALTIES:
            raise ArgumentError(f"penalty must be None or 'firth'; got {self.penalty!r}.")
        if y is None:
            raise ValueError(
                "RiskModelEstimator requires y to be passed, but the target y is None."
            )
        frame = _as_frame(X)
        check_classification_targets(y)
        y_arr = column_or_1d(y, warn=True)
        if y_arr.size != len(frame):
            raise ValueError(
                f"X and y must have the same number of rows; got {len(frame)} and {y_arr.size}."
            )
        if len(frame) == 0:
            raise ValueError("X must hold at least one row; got 0 samples.")
        predictors = list(self.predictors) if self.predictors is not None else list(frame.columns)
        missing = frame[predictors].isna().to_numpy().any(axis=1) | pd.isna(y_arr)
        if missing.any():
            raise ValueError(
                f"X and y must not contain NaN; got {int(missing.sum())} incomplete rows "
                f"(first at position {int(np.flatnonzero(missing)[0])})."
            )
        classes, codes = np.unique(y_arr, return_inverse=True)
        if classes.size != 2:
            raise ValueError(
                "Only binary classification is supported: "
                f"y must hold exactly two classes; got {classes.size} "
                f"class{'es' if classes.size != 1 else ''}: {classes.tolist()[:5]!r}."
            )
        if not isinstance(X, pd.DataFrame):
            frame = frame.astype(float)
        spec = dm.build_spec(
            frame, predictors, reference_levels=self.reference_levels, splines=self.splines
        )
        x = spec.transform(frame)
        y01 = codes.astype(float)
        beta, reason = refit(x, y01, np.ones(y01.size), self.penalty)
        if beta is None:
            raise ValueError(f"the logistic fit failed: {reason}.")
        self.classes_ = classes
        self.coef_ = beta
        self.spec_ = spec
        self.feature_names_in_ = np.asarray(list(frame.columns), dtype=object)
        self.n_features_in_ = frame.shape[1]
        self._array_input = not isinstance(X, pd.DataFrame)
        return self

    def _frame(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "coef_")
        names = self.feature_names_in_ if self._array_input else None
        frame = _as_frame(X, names)
        if self._array_input:
            frame = frame.astype(float)
        return frame

    def decision_function(self, X: Any) -> np.ndarray:
        """Linear predictor (log-odds of the event class), one per row.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Rows of predictors, with the columns seen in :meth:`fit`.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            The log odds of the event class.
        """
        frame = self._frame(X)
        return self.spec_.transform(frame) @ self.coef_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Return the risk of each class: columns ``classes_``, the second the event.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Rows of predictors, with the columns seen in :meth:`fit`.

        Returns
        -------
        numpy.ndarray of shape (n_samples, 2)
            ``1 - risk`` and ``risk`` of the event; each row sums to 1.
        """
        p = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        """Predict the event class where its risk is at least 0.5, the other class elsewhere.

        Parameters
        ----------
        X : pandas.DataFrame or array-like of shape (n_samples, n_features)
            Rows of predictors, with the columns seen in :meth:`fit`.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)
            One of ``classes_`` per row.
        """
        check_is_fitted(self, "coef_")
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def __sklearn_tags__(self):  # scikit-learn >= 1.6
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.string = True
        tags.classifier_tags.multi_class = False
        return tags

    def _more_tags(self) -> dict[str, Any]:  # scikit-learn < 1.6
        return {"binary_only": True}
