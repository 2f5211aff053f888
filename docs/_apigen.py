"""Write the generated pages of the lbprun site: the API reference and the data dictionary.

Called by ``docs/conf.py`` at the start of every build. Every name of ``lbprun.__all__`` and of
the public submodules must sit in exactly one group of :data:`GROUPS`; a name that does not
stops the build, so the reference cannot fall behind the package.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import lbprun
from lbprun.io.schema import data_dictionary_markdown

#: Section title -> (one-line description, public names of ``lbprun``).
GROUPS: dict[str, tuple[str, list[str]]] = {
    "Reading and validating data": (
        "Read surveys, cohorts, LBP episodes, training logs and watch exports; validate "
        "them against the schema; write tables and rejected rows.",
        [
            "read_survey",
            "read_cohort",
            "read_episodes",
            "read_activities",
            "read_watch_export",
            "validate",
            "ValidationReport",
            "WatchImportReport",
            "write_rejected",
            "write_table",
            "data_dictionary",
            "SCHEMAS",
        ],
    ),
    "Prevalence, incidence and intervals": (
        "Proportion and rate intervals, crude, stratified and survey-design prevalence, "
        "standardisation, incidence, Kaplan-Meier and 2x2 tables.",
        [
            "proportion_ci",
            "rate_ci",
            "prevalence",
            "PrevalenceResult",
            "SurveyDesign",
            "direct_standardize",
            "design_standardize",
            "esp2013",
            "StandardPopulation",
            "rogan_gladen",
            "cumulative_incidence",
            "IncidenceResult",
            "incidence_rate",
            "IncidenceRateResult",
            "kaplan_meier",
            "KaplanMeierResult",
            "two_by_two",
            "TwoByTwoResult",
            "table_tests",
            "TableTestsResult",
        ],
    ),
    "Training load": (
        "Weekly distance, progression and single-run spikes, the acute:chronic workload "
        "ratio, monotony, shoes and surfaces, and model-ready exposures.",
        [
            "weekly_load",
            "load_spikes",
            "single_run_spikes",
            "acwr",
            "compute_workload",
            "run_workload",
            "training_monotony",
            "shoe_mileage",
            "surface_share",
            "exposure_summary",
        ],
    ),
    "Risk factors and regression models": (
        "Logistic (Wald, profile, Firth, survey-weighted, splines), rate models, GEE, "
        "multiple imputation and calibration.",
        [
            "fit_risk_factors",
            "RiskFactorResult",
            "fit_rate_model",
            "RateModelResult",
            "fit_gee",
            "GEEResult",
            "runner_week_panel",
            "fit_with_imputation",
            "ImputationResult",
            "pool_imputations",
            "PooledImputationResult",
            "val_prob",
            "CalibrationResult",
        ],
    ),
    "Clinic risk models": (
        "Develop and validate a risk model, save and load it, score runners, decision "
        "curves and minimum sample size.",
        [
            "develop_risk_model",
            "DevelopedRiskModel",
            "load_model",
            "load_demo_model",
            "RiskModel",
            "RiskScore",
            "decision_curve",
            "DecisionCurveResult",
            "riley_sample_size",
            "SampleSizeResult",
        ],
    ),
    "Meta-analysis of prevalence": (
        "Study-level effect sizes and pooled prevalence, as in metafor.",
        [
            "prevalence_effect_sizes",
            "pool_prevalence",
            "PrevalenceMetaResult",
            "FreemanTukeyWarning",
        ],
    ),
    "Reporting": (
        "Table 1, small-cell suppression and the study report.",
        [
            "table_one",
            "TableOne",
            "suppress_counts",
            "SuppressedTable",
            "suppress_estimates",
            "report",
            "Report",
        ],
    ),
    "Settings": (
        "Settings that apply to every call.",
        ["set_progress"],
    ),
    "Figures": (
        "Figures drawn with matplotlib and seaborn: each takes ``ax=None`` and returns the Axes.",
        ["plot_forest", "plot_dose_response", "plot_calibration", "plot_runner_load"],
    ),
    "Simulation": (
        "Synthetic surveys and cohorts with a known truth.",
        ["simulate_survey", "simulate_cohort", "SimulationDesign", "SimulatedData"],
    ),
    "Errors and warnings": (
        "Every error lbprun raises derives from ``LbprunError``; every warning from "
        "``LbprunWarning``.",
        [
            "LbprunError",
            "DataValidationError",
            "DataReadError",
            "NotAnActivityError",
            "ModelFileError",
            "ConvergenceError",
            "LbprunWarning",
            "DataQualityWarning",
            "SparseDataWarning",
            "SeparationWarning",
            "DesignWarning",
            "ExtrapolationWarning",
        ],
    ),
}

#: Public submodules documented on their own page, with the names only they export.
SUBMODULES = ["lbprun.datasets", "lbprun.meta", "lbprun.workload", "lbprun.clinic"]

_NOT_IN_GROUPS = {"__version__", "datasets"}


def public_names() -> list[str]:
    """Return every documented name of ``lbprun.__all__``, in the order of :data:`GROUPS`."""
    grouped = [name for _, names in GROUPS.values() for name in names]
    duplicates = sorted({name for name in grouped if grouped.count(name) > 1})
    missing = sorted(set(lbprun.__all__) - set(grouped) - _NOT_IN_GROUPS)
    unknown = sorted(set(grouped) - set(lbprun.__all__))
    if duplicates or missing or unknown:
        raise RuntimeError(
            "docs/_apigen.py GROUPS is out of step with lbprun.__all__: "
            f"missing {missing}, unknown {unknown}, listed twice {duplicates}."
        )
    return grouped


def submodule_names(module_name: str) -> list[tuple[str, str]]:
    """Return ``(name, documented target)`` for each name of a submodule's ``__all__``.

    A name that ``lbprun`` also exports (the same object) points to its ``lbprun.`` page.
    """
    module = importlib.import_module(module_name)
    out = []
    for name in module.__all__:
        obj = getattr(module, name)
        if name in lbprun.__all__ and getattr(lbprun, name) is obj:
            out.append((name, f"lbprun.{name}"))
        else:
            out.append((name, f"{module_name}.{name}"))
    return out


def _directive(qualified: str, obj: object) -> str:
    module, _, name = qualified.rpartition(".")
    head = f".. currentmodule:: {module}\n\n"
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return head + f".. autoexception:: {name}\n   :members:\n   :show-inheritance:\n"
        # Members inherited from lbprun's own bases (``to_frame``, ``summary``, ...) are
        # shown; those of third-party bases (scikit-learn's estimator API) are not.
        own = all(base.__module__.startswith("lbprun") for base in obj.__mro__[1:-1])
        inherited = "   :inherited-members:\n" if own else ""
        routing = sorted(name for name in dir(obj) if name.endswith("_request"))
        if routing:  # scikit-learn's metadata-routing setters
            inherited += f"   :exclude-members: {', '.join(routing)}\n"
        return head + (f".. autoclass:: {name}\n   :members:\n{inherited}   :show-inheritance:\n")
    if callable(obj):
        return head + f".. autofunction:: {name}\n"
    return head + f".. autodata:: {name}\n   :annotation:\n"


def _object_page(qualified: str, obj: object) -> str:
    return f"# {qualified}\n\n```{{eval-rst}}\n{_directive(qualified, obj)}```\n"


def _autosummary(targets: list[str]) -> list[str]:
    lines = ["```{eval-rst}", ".. autosummary::", "   :nosignatures:", ""]
    lines += [f"   ~{target}" for target in targets]
    return [*lines, "```", ""]


def _toctree(pages: list[str]) -> list[str]:
    return ["```{toctree}", ":hidden:", "", *pages, "```", ""]


def write_api_pages(folder: Path) -> list[Path]:
    """Write the API index, one page per public name and one per public submodule."""
    folder.mkdir(parents=True)
    written: list[Path] = []
    index = [
        "# API reference",
        "",
        "Everything below is imported from the top-level package (`import lbprun`), except "
        "the names of the submodules listed at the end. Anything not listed here is internal "
        "and may change without notice.",
        "",
    ]
    for title, (description, names) in GROUPS.items():
        index += [f"## {title}", "", description, ""]
        index += _autosummary([f"lbprun.{name}" for name in names])
    index += ["## Submodules", ""]
    index += [f"- [`{name}`]({name}.rst)" for name in SUBMODULES]
    index.append("")
    pages = [f"lbprun.{name}" for name in public_names()]
    for name in public_names():
        path = folder / f"lbprun.{name}.md"
        path.write_text(_object_page(f"lbprun.{name}", getattr(lbprun, name)), encoding="utf-8")
        written.append(path)
    for module_name in SUBMODULES:
        module = importlib.import_module(module_name)
        entries = submodule_names(module_name)
        own = [target for _, target in entries if target.startswith(f"{module_name}.")]
        for target in own:
            path = folder / f"{target}.md"
            obj = getattr(module, target.rpartition(".")[2])
            path.write_text(_object_page(target, obj), encoding="utf-8")
            written.append(path)
        # reStructuredText, so that the sections of the module docstring (Examples) stay
        # local to this page
        rule = "=" * len(module_name)
        body = [
            rule,
            module_name,
            rule,
            "",
            f".. automodule:: {module_name}",
            "   :no-members:",
            "",
            "Contents",
            "--------",
            "",
            ".. autosummary::",
            "   :nosignatures:",
            "",
            # names of this module relative to it; the others point to their lbprun. page
            *[
                f"   {target.rpartition('.')[2]}"
                if target.startswith(f"{module_name}.")
                else f"   ~{target}"
                for _, target in entries
            ],
            "",
            ".. toctree::",
            "   :hidden:",
            "",
            *[f"   {target}" for target in own],
            "",
        ]
        path = folder / f"{module_name}.rst"
        path.write_text("\n".join(body), encoding="utf-8")
        written.append(path)
    index += _toctree([*pages, *SUBMODULES])
    path = folder / "index.md"
    path.write_text("\n".join(index), encoding="utf-8")
    written.append(path)
    return written


def write_data_dictionary(path: Path) -> Path:
    """Write the data dictionary page from the schema (``lbprun.io.schema``)."""
    lines = data_dictionary_markdown().splitlines()
    body = [line for line in lines[1:] if not line.startswith("Generated from ")]
    intro = [
        "# Data dictionary",
        "",
        "The columns lbprun validates, for each kind of table, taken from the schema in "
        "`lbprun/io/schema.py` when this page was built. Column names are the defaults of "
        "every function's column arguments, so validated data need no further arguments.",
    ]
    path.write_text("\n".join([*intro, *body]) + "\n", encoding="utf-8")
    return path


#: Where links to files of the repository point from the site.
REPOSITORY = "https://github.com/lbprun/lbprun/blob/main/"


def write_benchmark_table(readme: Path, path: Path) -> Path:
    """Write the benchmark table of ``README.md`` (from ``benchmarks/results``) as a page part.

    Links to files of the repository become links to the repository's web pages.
    """
    text = readme.read_text(encoding="utf-8")
    start, end = "<!-- benchmark-figures -->", "<!-- /benchmark-figures -->"
    if start not in text or end not in text:
        raise RuntimeError(f"{readme} lacks the {start} ... {end} block.")
    block = text.split(start, 1)[1].split(end, 1)[0].strip()
    block = re.sub(r"\]\((?!https?:)([^)]+)\)", lambda m: f"]({REPOSITORY}{m.group(1)})", block)
    path.write_text(block + "\n", encoding="utf-8")
    return path
