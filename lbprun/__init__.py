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
    NotAnActivityError,
    SeparationWarning,
    SparseDataWarning,
)
from lbprun.io.read import (
    read_activities,
    read_cohort,
    read_episodes,
    read_survey,
    write_rejected,
)
from lbprun.io.schema import SCHEMAS, data_dictionary
from lbprun.io.validate import ValidationReport, validate
from lbprun.io.wearables import WatchImportReport, read_watch_export
from lbprun.io.write import write_table
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
from lbprun.measures.two_by_two import TwoByTwoResult, two_by_two
from lbprun.models.calibration import CalibrationResult, val_prob
from lbprun.models.gee import GEEResult, fit_gee
from lbprun.models.imputation import ImputationResult, fit_with_imputation
from lbprun.models.panel import runner_week_panel
from lbprun.models.pooling import PooledImputationResult, pool_imputations
from lbprun.models.rates import RateModelResult, fit_rate_model
from lbprun.models.risk_factors import RiskFactorResult, fit_risk_factors
from lbprun.plots.models import plot_calibration, plot_dose_response, plot_forest
from lbprun.plots.workload import plot_runner_load
from lbprun.simulate import SimulatedData, SimulationDesign, simulate_cohort, simulate_survey
from lbprun.workload.acwr import acwr, compute_workload
from lbprun.workload.engines import run_workload
from lbprun.workload.exposure import exposure_summary
from lbprun.workload.monotony import training_monotony
from lbprun.workload.shoes import shoe_mileage, surface_share
from lbprun.workload.spikes import load_spikes, single_run_spikes
from lbprun.workload.weekly import weekly_load

__all__ = [
    "CalibrationResult",
    "ConvergenceError",
    "DataQualityWarning",
    "DataReadError",
    "DataValidationError",
    "DesignWarning",
    "ExtrapolationWarning",
    "GEEResult",
    "ImputationResult",
    "IncidenceRateResult",
    "IncidenceResult",
    "KaplanMeierResult",
    "TwoByTwoResult",
    "LbprunError",
    "LbprunWarning",
    "ModelFileError",
    "NotAnActivityError",
    "PooledImputationResult",
    "PrevalenceResult",
    "RateModelResult",
    "RiskFactorResult",
    "SCHEMAS",
    "SeparationWarning",
    "SimulatedData",
    "SimulationDesign",
    "SparseDataWarning",
    "StandardPopulation",
    "SurveyDesign",
    "ValidationReport",
    "WatchImportReport",
    "__version__",
    "acwr",
    "compute_workload",
    "cumulative_incidence",
    "data_dictionary",
    "datasets",
    "design_standardize",
    "direct_standardize",
    "esp2013",
    "exposure_summary",
    "fit_gee",
    "fit_rate_model",
    "fit_risk_factors",
    "fit_with_imputation",
    "incidence_rate",
    "kaplan_meier",
    "two_by_two",
    "load_spikes",
    "plot_calibration",
    "plot_dose_response",
    "plot_forest",
    "plot_runner_load",
    "pool_imputations",
    "prevalence",
    "proportion_ci",
    "rate_ci",
    "read_activities",
    "read_cohort",
    "read_episodes",
    "read_survey",
    "read_watch_export",
    "rogan_gladen",
    "run_workload",
    "runner_week_panel",
    "shoe_mileage",
    "simulate_cohort",
    "simulate_survey",
    "single_run_spikes",
    "surface_share",
    "training_monotony",
    "val_prob",
    "validate",
    "weekly_load",
    "write_rejected",
    "write_table",
]
