"""lbprun: epidemiology of low back pain (LBP) in runners.

Load and validate runner surveys, cohorts and training logs; estimate prevalence and incidence
with intervals that match R; derive training-load exposures; model risk factors.

The public API is what ``__all__`` lists; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # the names below are imported on first use (PEP 562), so `import lbprun`
    # and the command line start fast; type checkers and IDEs see them here.
    from lbprun import datasets
    from lbprun._progress import set_progress
    from lbprun.clinic import RiskModel, RiskScore, load_demo_model, load_model
    from lbprun.clinic.decision_curve import DecisionCurveResult, decision_curve
    from lbprun.clinic.develop import DevelopedRiskModel, develop_risk_model
    from lbprun.clinic.sample_size import SampleSizeResult, riley_sample_size
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
    from lbprun.measures.contingency import TableTestsResult, table_tests
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
    from lbprun.meta import (
        FreemanTukeyWarning,
        PrevalenceMetaResult,
        pool_prevalence,
        prevalence_effect_sizes,
    )
    from lbprun.models.calibration import CalibrationResult, val_prob
    from lbprun.models.gee import GEEResult, fit_gee
    from lbprun.models.imputation import ImputationResult, fit_with_imputation
    from lbprun.models.panel import runner_week_panel
    from lbprun.models.pooling import PooledImputationResult, pool_imputations
    from lbprun.models.rates import RateModelResult, fit_rate_model
    from lbprun.models.risk_factors import RiskFactorResult, fit_risk_factors
    from lbprun.plots.models import plot_calibration, plot_dose_response, plot_forest
    from lbprun.plots.workload import plot_runner_load
    from lbprun.reporting.estimate_suppression import suppress_estimates
    from lbprun.reporting.report import Report, report
    from lbprun.reporting.suppression import SuppressedTable, suppress_counts
    from lbprun.reporting.table_one import TableOne, table_one
    from lbprun.simulate import SimulatedData, SimulationDesign, simulate_cohort, simulate_survey
    from lbprun.workload.acwr import acwr, compute_workload
    from lbprun.workload.engines import run_workload
    from lbprun.workload.exposure import exposure_summary
    from lbprun.workload.monotony import training_monotony
    from lbprun.workload.shoes import shoe_mileage, surface_share
    from lbprun.workload.spikes import load_spikes, single_run_spikes
    from lbprun.workload.weekly import weekly_load

#: Public name -> "module:attribute" (or the submodule) it is imported from on first use.
_LAZY: dict[str, str] = {
    "acwr": "lbprun.workload.acwr:acwr",
    "CalibrationResult": "lbprun.models.calibration:CalibrationResult",
    "compute_workload": "lbprun.workload.acwr:compute_workload",
    "cumulative_incidence": "lbprun.measures.incidence:cumulative_incidence",
    "data_dictionary": "lbprun.io.schema:data_dictionary",
    "datasets": "lbprun.datasets",
    "decision_curve": "lbprun.clinic.decision_curve:decision_curve",
    "DecisionCurveResult": "lbprun.clinic.decision_curve:DecisionCurveResult",
    "design_standardize": "lbprun.measures.standardize:design_standardize",
    "develop_risk_model": "lbprun.clinic.develop:develop_risk_model",
    "DevelopedRiskModel": "lbprun.clinic.develop:DevelopedRiskModel",
    "direct_standardize": "lbprun.measures.standardize:direct_standardize",
    "esp2013": "lbprun.measures.standardize:esp2013",
    "exposure_summary": "lbprun.workload.exposure:exposure_summary",
    "fit_gee": "lbprun.models.gee:fit_gee",
    "fit_rate_model": "lbprun.models.rates:fit_rate_model",
    "fit_risk_factors": "lbprun.models.risk_factors:fit_risk_factors",
    "fit_with_imputation": "lbprun.models.imputation:fit_with_imputation",
    "FreemanTukeyWarning": "lbprun.meta:FreemanTukeyWarning",
    "GEEResult": "lbprun.models.gee:GEEResult",
    "ImputationResult": "lbprun.models.imputation:ImputationResult",
    "incidence_rate": "lbprun.measures.incidence:incidence_rate",
    "IncidenceRateResult": "lbprun.measures.incidence:IncidenceRateResult",
    "IncidenceResult": "lbprun.measures.incidence:IncidenceResult",
    "kaplan_meier": "lbprun.measures.survival:kaplan_meier",
    "KaplanMeierResult": "lbprun.measures.survival:KaplanMeierResult",
    "load_demo_model": "lbprun.clinic:load_demo_model",
    "load_model": "lbprun.clinic:load_model",
    "load_spikes": "lbprun.workload.spikes:load_spikes",
    "plot_calibration": "lbprun.plots.models:plot_calibration",
    "plot_dose_response": "lbprun.plots.models:plot_dose_response",
    "plot_forest": "lbprun.plots.models:plot_forest",
    "plot_runner_load": "lbprun.plots.workload:plot_runner_load",
    "pool_imputations": "lbprun.models.pooling:pool_imputations",
    "pool_prevalence": "lbprun.meta:pool_prevalence",
    "PooledImputationResult": "lbprun.models.pooling:PooledImputationResult",
    "prevalence": "lbprun.measures.prevalence:prevalence",
    "prevalence_effect_sizes": "lbprun.meta:prevalence_effect_sizes",
    "PrevalenceMetaResult": "lbprun.meta:PrevalenceMetaResult",
    "PrevalenceResult": "lbprun.measures.prevalence:PrevalenceResult",
    "proportion_ci": "lbprun.measures.intervals:proportion_ci",
    "rate_ci": "lbprun.measures.intervals:rate_ci",
    "RateModelResult": "lbprun.models.rates:RateModelResult",
    "read_activities": "lbprun.io.read:read_activities",
    "read_cohort": "lbprun.io.read:read_cohort",
    "read_episodes": "lbprun.io.read:read_episodes",
    "read_survey": "lbprun.io.read:read_survey",
    "read_watch_export": "lbprun.io.wearables:read_watch_export",
    "riley_sample_size": "lbprun.clinic.sample_size:riley_sample_size",
    "RiskFactorResult": "lbprun.models.risk_factors:RiskFactorResult",
    "RiskModel": "lbprun.clinic:RiskModel",
    "RiskScore": "lbprun.clinic:RiskScore",
    "rogan_gladen": "lbprun.measures.misclassification:rogan_gladen",
    "run_workload": "lbprun.workload.engines:run_workload",
    "runner_week_panel": "lbprun.models.panel:runner_week_panel",
    "SampleSizeResult": "lbprun.clinic.sample_size:SampleSizeResult",
    "SCHEMAS": "lbprun.io.schema:SCHEMAS",
    "shoe_mileage": "lbprun.workload.shoes:shoe_mileage",
    "simulate_cohort": "lbprun.simulate:simulate_cohort",
    "simulate_survey": "lbprun.simulate:simulate_survey",
    "SimulatedData": "lbprun.simulate:SimulatedData",
    "SimulationDesign": "lbprun.simulate:SimulationDesign",
    "single_run_spikes": "lbprun.workload.spikes:single_run_spikes",
    "StandardPopulation": "lbprun.measures.standardize:StandardPopulation",
    "surface_share": "lbprun.workload.shoes:surface_share",
    "SurveyDesign": "lbprun.measures.survey:SurveyDesign",
    "training_monotony": "lbprun.workload.monotony:training_monotony",
    "two_by_two": "lbprun.measures.two_by_two:two_by_two",
    "table_tests": "lbprun.measures.contingency:table_tests",
    "TableTestsResult": "lbprun.measures.contingency:TableTestsResult",
    "table_one": "lbprun.reporting.table_one:table_one",
    "report": "lbprun.reporting.report:report",
    "Report": "lbprun.reporting.report:Report",
    "set_progress": "lbprun._progress:set_progress",
    "TableOne": "lbprun.reporting.table_one:TableOne",
    "suppress_counts": "lbprun.reporting.suppression:suppress_counts",
    "suppress_estimates": "lbprun.reporting.estimate_suppression:suppress_estimates",
    "SuppressedTable": "lbprun.reporting.suppression:SuppressedTable",
    "TwoByTwoResult": "lbprun.measures.two_by_two:TwoByTwoResult",
    "val_prob": "lbprun.models.calibration:val_prob",
    "validate": "lbprun.io.validate:validate",
    "ValidationReport": "lbprun.io.validate:ValidationReport",
    "WatchImportReport": "lbprun.io.wearables:WatchImportReport",
    "weekly_load": "lbprun.workload.weekly:weekly_load",
    "write_rejected": "lbprun.io.read:write_rejected",
    "write_table": "lbprun.io.write:write_table",
}


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562)."""
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'lbprun' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
    "FreemanTukeyWarning",
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
    "pool_prevalence",
    "PooledImputationResult",
    "prevalence",
    "prevalence_effect_sizes",
    "PrevalenceMetaResult",
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
    "table_tests",
    "TableTestsResult",
    "table_one",
    "report",
    "Report",
    "set_progress",
    "TableOne",
    "suppress_counts",
    "suppress_estimates",
    "SuppressedTable",
    "TwoByTwoResult",
    "val_prob",
    "validate",
    "ValidationReport",
    "WatchImportReport",
    "weekly_load",
    "write_rejected",
    "write_table",
]
