"""Develop a clinic risk model and validate it internally (Harrell's bootstrap, as rms).

Examples
--------
>>> from lbprun.datasets import load_example_survey
>>> dev = develop_risk_model(load_example_survey(), "lbp_12m", ["prior_lbp", "sex", "age"],
...                          n_bootstrap=20, n_jobs=1, progress=False, label="demo")
>>> dev.to_frame()["statistic"].tolist()[:3]
['c_statistic', 'dxy', 'nagelkerke_r2']
>>> row = dev.to_frame().set_index("statistic").loc["c_statistic"]
>>> bool(row["corrected"] <= row["apparent"]), int(row["n"])
(True, 20)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice
from lbprun._result import Result, render_table, to_jsonable
from lbprun.clinic._bootstrap import VALIDATIONS, internal_validation, resolve_jobs
from lbprun.clinic._dev_calibration import CalibrationCurveResult, calibration_curve
from lbprun.clinic._dev_fit import PENALTIES, fit_development, prepare_development
from lbprun.clinic._dev_performance import LABELS, STATISTICS
from lbprun.clinic.decision_curve import DecisionCurveResult, decision_curve
from lbprun.clinic.sample_size import SampleSizeResult, check_sample_size, max_r2_cs

__all__ = ["DevelopedRiskModel", "develop_risk_model"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class DevelopedRiskModel(Result):
    """Result of :func:`develop_risk_model`: the model and its internal validation.

    Attributes
    ----------
    table : pandas.DataFrame
        Performance, one row per statistic (``c_statistic, dxy, nagelkerke_r2, brier,
        calibration_intercept, calibration_slope, emax, eavg, e90``) with the columns
        ``statistic, apparent, training, test, optimism, corrected, n`` (as ``rms::validate``;
        ``n`` counts the successful replicates).
    model : lbprun.clinic.model.RiskModel
        The fitted model, ready to save and score.
    coefficients : pandas.DataFrame
        ``term, estimate, std_error, ci_low, ci_high, odds_ratio`` (log-odds, Wald 95%).
    calibration : CalibrationCurveResult
        Lowess curve and risk groups of the apparent predictions.
    decision : DecisionCurveResult
        Net benefit of the model, treat-all and treat-none.
    sample_size : SampleSizeResult or None
        Riley et al.'s minimum sample size against the rows used.
    rows : dict
        ``rows_in, rows_kept, rows_rejected, rows_excluded`` and missing values per column.
    validation : dict
        Method, replicates requested and successful, failures by reason, seed, workers.
    replicates : pandas.DataFrame
        One row per replicate (and fold): training and test statistics or why it failed.
    notes : tuple of str
        Numbered notes: convergence, failed refits, sample size, separation.
    outcome : str
        The outcome column.
    predictors : tuple of str
        The predictor columns, in design order.
    splines : dict
        ``{column: number_of_knots}`` of the spline predictors.
    reference_levels : dict
        ``{column: level}`` as requested.
    penalty : {None, "firth"}
        The likelihood used.
    design : str or None
        The survey design (its ``repr``), None for an unweighted fit.
    label : str
        The model's label.
    """

    model: Any = None
    coefficients: pd.DataFrame = field(default_factory=pd.DataFrame)
    calibration: CalibrationCurveResult | None = None
    decision: DecisionCurveResult | None = None
    sample_size: SampleSizeResult | None = None
    rows: dict[str, Any] = field(default_factory=dict)
    validation: dict[str, Any] = field(default_factory=dict)
    replicates: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    outcome: str = ""
    predictors: tuple[str, ...] = ()
    splines: dict[str, int] = field(default_factory=dict)
    reference_levels: dict[str, Any] = field(default_factory=dict)
    penalty: str | None = None
    design: str | None = None
    label: str = ""

    def _title(self) -> str:
        title = f"Risk model for {self.outcome}: apparent and optimism-corrected performance"
        return f"{title} [{self.label}]" if self.label else title

    def _sections(self) -> list[str]:
        v = self.validation
        lines = [
            f"{self.rows['rows_kept']} of {self.rows['rows_in']} rows used, "
            f"{self.rows['events']} events; validation: {v['method']} "
            f"({v['successful']} of {v['requested']} refits successful).",
            "Coefficients (log-odds):",
            render_table(self.coefficients),
        ]
        return lines

    def plot(self, ax: Any = None) -> Any:
        """Draw the calibration curve (see :meth:`CalibrationCurveResult.plot`).

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        return self.calibration.plot(ax=ax)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dictionary of the development and its validation.

        Returns
        -------
        dict
            ``type, table, notes, coefficients, calibration, calibration_smooth, decision,
            sample_size, rows, validation`` and the settings (``outcome, predictors, splines,
            reference_levels, penalty, design, label``); the model itself is saved with
            ``model.save``.
        """
        out: dict[str, Any] = {"type": type(self).__name__}
        out["table"] = to_jsonable(self.table)
        out["notes"] = list(self.notes)
        out["coefficients"] = to_jsonable(self.coefficients)
        out["calibration"] = self.calibration.to_dict() if self.calibration else None
        out["calibration_smooth"] = (
            to_jsonable(self.calibration.smooth) if self.calibration else None
        )
        out["decision"] = self.decision.to_dict() if self.decision else None
        out["sample_size"] = self.sample_size.to_dict() if self.sample_size else None
        for name in ("rows", "validation", "outcome", "predictors", "splines"):
            out[name] = to_jsonable(getattr(self, name))
        for name in ("reference_levels", "penalty", "design", "label"):
            out[name] = to_jsonable(getattr(self, name))
        return out

    def report(self, format: str = "markdown") -> str:
        """A TRIPOD-style development report, as Markdown or self-contained HTML.

        Parameters
        ----------
        format : {"markdown", "html"}, default="markdown"
            Markdown text, or one HTML page with its figures inline (base64 PNG) and every
            value escaped.

        Returns
        -------
        str
            The report.
        """
        from lbprun.clinic.tripod import render_report

        return render_report(self, format=format)


def _check_options(n_bootstrap, seed, n_jobs, progress, folds, repeats) -> None:
    for name, value in (("n_bootstrap", n_bootstrap), ("folds", folds), ("repeats", repeats)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise ArgumentError(f"{name} must be a positive integer; got {value!r}.")
    if folds < 2:
        raise ArgumentError(f"folds must be at least 2; got {folds!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise ArgumentError(f"seed must be an integer or None; got {seed!r}.")
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, int | np.integer)
        or (n_jobs < 1 and n_jobs != -1)
    ):
        raise ArgumentError(
            f"n_jobs must be -1 (every core) or a positive integer; got {n_jobs!r}."
        )
    if progress is not None and not isinstance(progress, bool):
        raise ArgumentError(f"progress must be True, False or None; got {progress!r}.")


def develop_risk_model(
    data: pd.DataFrame,
    outcome: str,
    predictors: Sequence[str],
    *,
    splines: Mapping[str, int] | None = None,
    penalty: str | None = None,
    reference_levels: Mapping[str, Any] | None = None,
    design: Any = None,
    validation: str = "bootstrap",
    n_bootstrap: int = 200,
    folds: int = 10,
    repeats: int = 20,
    seed: int | None = 20240601,
    n_jobs: int = -1,
    progress: bool | None = None,
    label: str = "",
) -> DevelopedRiskModel:
    """Fit a logistic risk model and validate it internally (apparent and optimism-corrected).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per runner.
    outcome : str
        0/1 (or boolean) outcome column, e.g. ``"lbp_12m"``.
    predictors : sequence of str
        Predictor columns; coded as in :func:`lbprun.fit_risk_factors` (same design code).
    splines : dict, optional
        ``{column: number_of_knots}``: restricted cubic splines (3 to 7 knots, rms knots).
    penalty : {None, "firth"}, default=None
        Maximum likelihood, or Firth's penalised likelihood (also in every refit).
    reference_levels : dict, optional
        ``{column: level}``: reference level of categorical predictors.
    design : lbprun.SurveyDesign, optional
        A survey design: survey-weighted fit (``survey::svyglm``); the bootstrap resamples
        whole PSUs within strata. Performance statistics are unweighted.
    validation : {"bootstrap", "cv", "none"}, default="bootstrap"
        Harrell's optimism bootstrap, repeated k-fold cross-validation, or apparent only.
    n_bootstrap : int, default=200
        Bootstrap replicates (also the resamples of the decision-curve intervals).
    folds, repeats : int, default=10, 20
        Folds and repeats of ``validation="cv"``.
    seed : int, optional
        Seed of every resample (one child stream per replicate, whatever ``n_jobs``).
    n_jobs : int, default=-1
        Worker processes (-1: every core). Results do not depend on it.
    progress : bool, optional
        Show a progress bar over the bootstrap replicates; default None: only when standard
        error is a terminal and bars are not turned off (``lbprun.set_progress``,
        ``LBPRUN_PROGRESS=0``).
    label : str, default=""
        Label of the model, shown with every score and in the report (e.g. demonstration).

    Returns
    -------
    DevelopedRiskModel
        The model, performance table, calibration and decision curves, sample-size check,
        row accounting (rows in = rows kept + rows rejected + rows excluded) and notes.

    Raises
    ------
    lbprun._checks.ArgumentError
        Unknown columns, a non-binary outcome, a predictor with one level, collinear terms,
        bad options.

    Warns
    -----
    lbprun.exceptions.SparseDataWarning
        Fewer rows than Riley et al.'s minimum sample size.
    lbprun.exceptions.SeparationWarning
        Separation in the ML fit of the development data (use ``penalty="firth"``).

    Notes
    -----
    The statistics are those of ``rms::val.prob`` (C, Dxy, Nagelkerke R2, Brier, calibration
    intercept and slope of the logistic recalibration, Emax, Eavg, E90 of the lowess curve).
    The bootstrap follows ``rms::validate``: each replicate refits the model (same design
    columns, knots and levels) on a resample; optimism is the mean of training minus test
    performance; corrected = apparent - optimism. Refits that fail are counted in
    ``validation["failures"]`` and a note, never silently dropped. The apparent statistics
    are validated against ``rms::val.prob`` on the reference survey.

    References
    ----------
    Harrell FE. Regression Modeling Strategies, 2nd ed. Springer 2015, sec. 5.3.
    Collins GS, Reitsma JB, Altman DG, Moons KGM. TRIPOD. BMJ 2015;350:g7594.

    Examples
    --------
    >>> from lbprun.datasets import load_example_survey
    >>> dev = develop_risk_model(load_example_survey(), "lbp_12m", ["prior_lbp", "sex", "age"],
    ...                          validation="none", n_jobs=1, progress=False)
    >>> dev.rows["rows_kept"], dev.rows["events"], dev.model.predictors
    (2500, 1084, ('prior_lbp', 'sex', 'age'))
    >>> stats = dev.to_frame().set_index("statistic")["apparent"]
    >>> round(float(stats["c_statistic"]), 3), round(float(stats["calibration_slope"]), 3)
    (0.617, 1.0)
    """
    if not isinstance(data, pd.DataFrame):
        raise ArgumentError(f"data must be a pandas DataFrame; got {type(data).__name__}.")
    check_choice("validation", validation, VALIDATIONS)
    check_choice("penalty", penalty, PENALTIES)
    _check_options(n_bootstrap, seed, n_jobs, progress, folds, repeats)
    if design is not None and penalty is not None:
        raise ArgumentError("design must be used with penalty=None; got penalty='firth'.")
    if isinstance(predictors, str):
        predictors = [predictors]
    dev = prepare_development(
        data,
        outcome,
        predictors,
        splines=splines,
        reference_levels=reference_levels,
        design=design,
    )
    fit = fit_development(dev, penalty, design)
    notes = list(fit.notes)
    if dev.rows_excluded:
        why = ", ".join(f"{c}: {k}" for c, k in dev.missing_counts.items())
        notes.insert(
            0,
            f"{dev.rows_excluded} rows excluded with missing values ({why}); "
            "complete-case analysis.",
        )
    eta = dev.x @ fit.beta
    outcome_v = internal_validation(
        dev.x,
        dev.y,
        dev.weights,
        penalty,
        method=validation,
        n_bootstrap=n_bootstrap,
        folds=folds,
        repeats=repeats,
        seed=seed,
        n_jobs=n_jobs,
        progress=progress,
        units=dev.groups,
        eta=eta,
    )
    if outcome_v.failures:
        why = ", ".join(f"{k}: {v}" for k, v in sorted(outcome_v.failures.items()))
        failed = outcome_v.requested - outcome_v.successful
        notes.append(
            f"{failed} of {outcome_v.requested} refits failed ({why}); the optimism is the "
            f"mean over the {outcome_v.successful} successful ones."
        )
    if design is not None:
        notes.append("Performance statistics are unweighted (the fit is survey-weighted).")
    p = 1.0 / (1.0 + np.exp(-eta))
    calibration = calibration_curve(p, dev.y)
    decision = decision_curve(p, dev.y, n_bootstrap=n_bootstrap, seed=seed)
    perf = outcome_v.table.set_index("statistic")
    column = "apparent" if validation == "none" else "corrected"
    r2_nag = float(perf.loc["nagelkerke_r2", column])
    n, events = int(dev.y.size), int(dev.y.sum())
    sample = None
    if r2_nag > 0:
        r2_cs = r2_nag * max_r2_cs(events / n)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sample = check_sample_size(n, events, len(dev.spec.names) - 1, r2_cs)
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=2)
        notes.extend(sample.notes)
    else:
        notes.append(f"The {column} Nagelkerke R2 is not positive: no sample-size check.")
    se = np.sqrt(np.diag(fit.cov))
    coefficients = pd.DataFrame(
        {
            "term": list(dev.spec.names),
            "estimate": fit.beta,
            "std_error": se,
            "ci_low": fit.beta - 1.959963984540054 * se,
            "ci_high": fit.beta + 1.959963984540054 * se,
            "odds_ratio": np.exp(fit.beta),
        }
    )
    rows = {
        "rows_in": dev.rows_in,
        "rows_kept": dev.rows_kept,
        "rows_rejected": 0,
        "rows_excluded": dev.rows_excluded,
        "missing": dict(dev.missing_counts),
        "events": events,
    }
    validation_info = {
        "method": validation,
        "requested": outcome_v.requested,
        "successful": outcome_v.successful,
        "failures": dict(outcome_v.failures),
        "seed": seed,
        "n_jobs": resolve_jobs(n_jobs),
        "folds": folds if validation == "cv" else None,
        "repeats": repeats if validation == "cv" else None,
    }
    stored = {
        **{k: v for k, v in validation_info.items() if k != "n_jobs"},
        **{
            col: {LABELS[s]: float(perf.loc[s, col]) for s in STATISTICS}
            for col in ("apparent", "optimism", "corrected")
        },
    }
    from lbprun.clinic.model import RiskModel

    model = RiskModel.from_design(
        dev.spec, fit.beta, fit.cov, dev.rows, outcome=outcome, validation=stored, label=label
    )
    return DevelopedRiskModel(
        table=outcome_v.table,
        notes=tuple(notes),
        model=model,
        coefficients=coefficients,
        calibration=calibration,
        decision=decision,
        sample_size=sample,
        rows=rows,
        validation=validation_info,
        replicates=outcome_v.replicates,
        outcome=outcome,
        predictors=tuple(predictors),
        splines=dict(splines or {}),
        reference_levels=dict(reference_levels or {}),
        penalty=penalty,
        design=None if design is None else repr(design),
        label=label,
    )
