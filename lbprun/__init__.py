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
from lbprun.measures.survival import KaplanMeierResult, kaplan_meier
from lbprun.simulate import SimulatedData, SimulationDesign, simulate_cohort, simulate_survey

__all__ = [
    "SCHEMAS",
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
    "SeparationWarning",
    "SimulatedData",
    "SimulationDesign",
    "SparseDataWarning",
    "__version__",
    "cumulative_incidence",
    "data_dictionary",
    "incidence_rate",
    "kaplan_meier",
    "datasets",
    "simulate_cohort",
    "simulate_survey",
]
