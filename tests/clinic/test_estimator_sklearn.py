"""RiskModelEstimator: scikit-learn's estimator checks, clone / params, pipelines and
cross-validation, and the same fit as develop_risk_model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import KFold, cross_validate
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import check_estimator
from tolerances import ITERATIVE_REL

from lbprun.clinic._estimator import RiskModelEstimator
from lbprun.clinic.develop import develop_risk_model
from lbprun.models.calibration import concordance

PREDICTORS = ["weekly_km", "prior_lbp", "sex", "surface"]


@pytest.fixture(scope="module")
def survey(reference_dir) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "runner_survey.csv")


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_passes_sklearn_estimator_checks():
    # Firth: the checks' toy data are separable, where maximum likelihood has no estimate
    check_estimator(RiskModelEstimator(penalty="firth"))


def test_clone_get_params_set_params():
    est = RiskModelEstimator(predictors=["age"], splines={"age": 3}, penalty="firth")
    params = est.get_params()
    assert params == {
        "predictors": ["age"],
        "splines": {"age": 3},
        "penalty": "firth",
        "reference_levels": None,
    }
    copy = clone(est)
    assert copy is not est and copy.get_params() == params
    copy.set_params(penalty=None, reference_levels={"sex": "M"})
    assert copy.penalty is None and est.penalty == "firth"
    assert copy.get_params()["reference_levels"] == {"sex": "M"}


def test_dataframe_fit_matches_develop_risk_model(survey):
    est = RiskModelEstimator(
        predictors=PREDICTORS, splines={"weekly_km": 3}, reference_levels={"surface": "asphalt"}
    ).fit(survey, survey["lbp_12m"])
    dev = develop_risk_model(
        survey,
        "lbp_12m",
        PREDICTORS,
        splines={"weekly_km": 3},
        reference_levels={"surface": "asphalt"},
        validation="none",
    )
    np.testing.assert_allclose(est.coef_, dev.model.coef, rtol=ITERATIVE_REL)
    assert list(est.spec_.names) == dev.coefficients["term"].tolist()
    proba = est.predict_proba(survey.head(5))
    assert proba.shape == (5, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(
        proba[:, 1], 1 / (1 + np.exp(-est.decision_function(survey.head(5))))
    )
    assert set(est.predict(survey)) <= {0, 1}
    assert list(est.classes_) == [0, 1]
    assert est.n_features_in_ == survey.shape[1]


def test_string_labels_and_threshold(survey):
    labels = np.where(survey["lbp_12m"] == 1, "pain", "no pain")
    est = RiskModelEstimator(predictors=["prior_lbp", "age"]).fit(survey, labels)
    assert list(est.classes_) == ["no pain", "pain"]
    risk = est.predict_proba(survey)[:, 1]
    np.testing.assert_array_equal(est.predict(survey) == "pain", risk >= 0.5)


def test_pipeline_and_cross_validate_roc_auc(survey):
    def derive(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(km10=(frame["weekly_km"] - 30) / 10)

    pipe = Pipeline(
        [
            ("derive", FunctionTransformer(derive)),
            ("model", RiskModelEstimator(predictors=["km10", "prior_lbp", "sex"])),
        ]
    )
    X, y = survey, survey["lbp_12m"].to_numpy()
    cv = KFold(5, shuffle=True, random_state=0)
    scores = cross_validate(pipe, X, y, cv=cv, scoring="roc_auc")
    assert scores["test_score"].shape == (5,)
    # each fold's AUC equals lbprun's concordance of the model fitted on the other folds
    for k, (train, test) in enumerate(cv.split(X)):
        fitted = clone(pipe).fit(X.iloc[train], y[train])
        auc = concordance(fitted.predict_proba(X.iloc[test])[:, 1], y[test])
        assert scores["test_score"][k] == pytest.approx(auc, rel=1e-12)
    assert 0.6 < scores["test_score"].mean() < 0.75


def test_fit_errors_are_clear(survey):
    with pytest.raises(ValueError, match="must not contain NaN; got 55 incomplete rows"):
        RiskModelEstimator(predictors=["bmi"]).fit(survey, survey["lbp_12m"])
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        RiskModelEstimator(predictors=["age"]).fit(
            survey, survey["sex"].map({"F": 0, "M": 1}) + survey["lbp_12m"]
        )
    x = pd.DataFrame({"a": [0.0, 0, 1, 1]})
    with pytest.raises(ValueError, match="the logistic fit failed: separation"):
        RiskModelEstimator().fit(x, [0, 0, 1, 1])
    # Firth's penalty gives finite estimates under separation
    est = RiskModelEstimator(penalty="firth").fit(x, [0, 0, 1, 1])
    assert np.all(np.isfinite(est.coef_))
