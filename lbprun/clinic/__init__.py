"""Clinic risk scoring: a fitted risk model, its safe file format, and scoring runners.

:class:`RiskModel` holds a logistic model with its feature schema and development summary;
:func:`load_model` reads a model file (versioned, checksummed JSON, never executed);
:meth:`RiskModel.score` returns a :class:`RiskScore` with risk, interval, band and factor
contributions, optionally deriving training-load predictors from a runner's log;
:func:`load_demo_model` loads the demonstration model (not for clinical use).
"""

from lbprun.clinic._features import Feature
from lbprun.clinic.demo import build_demo_model, load_demo_model
from lbprun.clinic.model import DEMO_LABEL, RiskModel
from lbprun.clinic.model_file import load_model, save_model
from lbprun.clinic.scoring import RiskScore

__all__ = [
    "DEMO_LABEL",
    "Feature",
    "RiskModel",
    "RiskScore",
    "build_demo_model",
    "load_demo_model",
    "load_model",
    "save_model",
]

# Development and internal validation of a risk model.
from lbprun.clinic._dev_calibration import CalibrationCurveResult
from lbprun.clinic._estimator import RiskModelEstimator
from lbprun.clinic.decision_curve import DecisionCurveResult, decision_curve
from lbprun.clinic.develop import DevelopedRiskModel, develop_risk_model
from lbprun.clinic.sample_size import SampleSizeResult, riley_sample_size

__all__ += [
    "CalibrationCurveResult",
    "DecisionCurveResult",
    "DevelopedRiskModel",
    "RiskModelEstimator",
    "SampleSizeResult",
    "decision_curve",
    "develop_risk_model",
    "riley_sample_size",
]
