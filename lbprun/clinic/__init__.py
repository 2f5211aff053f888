"""Clinic risk scoring: a fitted risk model, its safe file format, and scoring runners.

:class:`RiskModel` holds a logistic model with its feature schema and development summary;
:func:`load_model` reads a model file (versioned, checksummed JSON, never executed);
:meth:`RiskModel.score` returns a :class:`RiskScore` with risk, interval, band and factor
contributions, optionally deriving training-load predictors from a runner's log;
:func:`load_demo_model` loads the demonstration model (not for clinical use).

Every public name is imported on first use (PEP 562), so that loading a model file and
scoring a runner import neither the model-development modules nor scikit-learn.

Examples
--------
>>> import lbprun.clinic as clinic
>>> clinic.load_demo_model().outcome
'lbp_12m'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported on first use below; type checkers and IDEs see them here.
    from lbprun.clinic._dev_calibration import CalibrationCurveResult
    from lbprun.clinic._estimator import RiskModelEstimator
    from lbprun.clinic._features import Feature
    from lbprun.clinic.demo import build_demo_model, load_demo_model
    from lbprun.clinic.develop import DevelopedRiskModel, develop_risk_model
    from lbprun.clinic.model import DEMO_LABEL, RiskModel
    from lbprun.clinic.model_file import load_model, save_model
    from lbprun.clinic.sample_size import SampleSizeResult, riley_sample_size
    from lbprun.clinic.scoring import RiskScore

# ``decision_curve`` is both a submodule and a function: importing the submodule (as
# ``develop`` does) would bind the module to this name, so the function is bound here, once.
# The module is light (NumPy, pandas), and scoring imports those anyway.
from lbprun.clinic.decision_curve import DecisionCurveResult, decision_curve

#: Public name -> "module:attribute" it is imported from on first use.
_LAZY: dict[str, str] = {
    "DEMO_LABEL": "lbprun.clinic.model:DEMO_LABEL",
    "Feature": "lbprun.clinic._features:Feature",
    "RiskModel": "lbprun.clinic.model:RiskModel",
    "RiskScore": "lbprun.clinic.scoring:RiskScore",
    "build_demo_model": "lbprun.clinic.demo:build_demo_model",
    "load_demo_model": "lbprun.clinic.demo:load_demo_model",
    "load_model": "lbprun.clinic.model_file:load_model",
    "save_model": "lbprun.clinic.model_file:save_model",
    # Development and internal validation of a risk model.
    "CalibrationCurveResult": "lbprun.clinic._dev_calibration:CalibrationCurveResult",
    "DevelopedRiskModel": "lbprun.clinic.develop:DevelopedRiskModel",
    "RiskModelEstimator": "lbprun.clinic._estimator:RiskModelEstimator",
    "SampleSizeResult": "lbprun.clinic.sample_size:SampleSizeResult",
    "develop_risk_model": "lbprun.clinic.develop:develop_risk_model",
    "riley_sample_size": "lbprun.clinic.sample_size:riley_sample_size",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'lbprun.clinic' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    value = getattr(importlib.import_module(module_name), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
