"""lbprun: epidemiology of low back pain (LBP) in runners.

Load and validate runner surveys, cohorts and training logs; estimate prevalence and incidence
with intervals that match R; derive training-load exposures; model risk factors.

The public API is what ``__all__`` lists; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

from lbprun import datasets
from lbprun.clinic import RiskModel, RiskScore, load_demo_model, load_model
from lbprun.clinic.decision_curve import DecisionCurveResult, decision_curve
from lbprun.clinic.develop import DevelopedRiskModel, develop_risk_model
from lbprun.clinic.sample_size import SampleSizeResult, riley_sample_size
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
    "__version__",
    "acwr",
    "CalibrationResult",
    "compute_workload",
    "ConvergenceError",
    "cumulative_incidence",
    "data_dictionary",
    "DataQualityWarning",
    "DataReadError",
    "datasets",
    "DataValidationError",
    "decision_curve",
    "DecisionCurveResult",
    "design_standardize",
    "DesignWarning",
    "develop_risk_model",
    "DevelopedRiskModel",
    "direct_standardize",
    "esp2013",
    "exposure_summary",
    "ExtrapolationWarning",
    "fit_gee",
    "fit_rate_model",
    "fit_risk_factors",
    "fit_with_imputation",
    "GEEResult",
    "ImputationResult",
    "incidence_rate",
    "IncidenceRateResult",
    "IncidenceResult",
    "kaplan_meier",
    "KaplanMeierResult",
    "LbprunError",
    "LbprunWarning",
    "load_demo_model",
    "load_model",
    "load_spikes",
    "ModelFileError",
    "NotAnActivityError",
    "plot_calibration",
    "plot_dose_response",
    "plot_forest",
    "plot_runner_load",
    "pool_imputations",
    "PooledImputationResult",
    "prevalence",
    "PrevalenceResult",
    "proportion_ci",
    "rate_ci",
    "RateModelResult",
    "read_activities",
    "read_cohort",
    "read_episodes",
    "read_survey",
    "read_watch_export",
    "riley_sample_size",
    "RiskFactorResult",
    "RiskModel",
    "RiskScore",
    "rogan_gladen",
    "run_workload",
    "runner_week_panel",
    "SampleSizeResult",
    "SCHEMAS",
    "SeparationWarning",
    "shoe_mileage",
    "simulate_cohort",
    "simulate_survey",
    "SimulatedData",
    "SimulationDesign",
    "single_run_spikes",
    "SparseDataWarning",
    "StandardPopulation",
    "surface_share",
    "SurveyDesign",
    "training_monotony",
    "two_by_two",
    "TwoByTwoResult",
    "val_prob",
    "validate",
    "ValidationReport",
    "WatchImportReport",
    "weekly_load",
    "write_rejected",
    "write_table",
]
