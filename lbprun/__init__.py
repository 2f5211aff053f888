"""lbprun: epidemiology of low back pain (LBP) in runners.

Load and validate runner surveys, cohorts and training logs; estimate prevalence and incidence
with intervals that match R; derive training-load exposures; model risk factors.

The public API is what ``__all__`` lists; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from lbprun import datasets
from lbprun.exceptions import (
    ConvergenceError,
    DataQualityWarning,
    DataReadError,
    DataValidationError,
    DesignWarning,
    ExtrapolationWarning,
    LbprunError,
    LbprunWarning,
    ModelFileError,
    SeparationWarning,
    SparseDataWarning,
)
from lbprun.io.schema import SCHEMAS, data_dictionary
from lbprun.measures.incidence import (
    IncidenceRateResult,
    IncidenceResult,
    cumulative_incidence,
    incidence_rate,
)
from lbprun.measures.intervals import proportion_ci, rate_ci
from lbprun.measures.misclassification import rogan_gladen
from lbprun.measures.prevalence import PrevalenceResult, prevalence
from lbprun.measures.standardize import (
    StandardPopulation,
    design_standardize,
    direct_standardize,
    esp2013,
)
from lbprun.measures.survey import SurveyDesign
from lbprun.measures.survival import KaplanMeierResult, kaplan_meier
from lbprun.models.calibration import CalibrationResult, val_prob
from lbprun.models.risk_factors import RiskFactorResult, fit_risk_factors
from lbprun.simulate import SimulatedData, SimulationDesign, simulate_cohort, simulate_survey

__all__ = [
    "CalibrationResult",
    "ConvergenceError",
    "DataQualityWarning",
    "DataReadError",
    "DataValidationError",
    "DesignWarning",
    "ExtrapolationWarning",
    "IncidenceRateResult",
    "IncidenceResult",
    "KaplanMeierResult",
    "LbprunError",
    "LbprunWarning",
    "ModelFileError",
    "PrevalenceResult",
    "RiskFactorResult",
    "SCHEMAS",
    "SeparationWarning",
    "SimulatedData",
    "SimulationDesign",
    "SparseDataWarning",
    "StandardPopulation",
    "SurveyDesign",
    "__version__",
    "cumulative_incidence",
    "data_dictionary",
    "datasets",
    "design_standardize",
    "direct_standardize",
    "esp2013",
    "fit_risk_factors",
    "incidence_rate",
    "kaplan_meier",
    "prevalence",
    "proportion_ci",
    "rate_ci",
    "rogan_gladen",
    "simulate_cohort",
    "simulate_survey",
    "val_prob",
]
