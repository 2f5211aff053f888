"""Synthetic runner surveys and cohorts with known truth.

:func:`simulate_survey` draws a finite population of runners, their LBP outcomes from a logistic
model with known coefficients, and a sample from it (simple random or stratified two-stage
cluster design with informative weights); the population's true prevalences come back in
``truth``. :func:`simulate_cohort` draws daily training logs and recurrent LBP episodes from a
weekly hazard with known log-hazard-ratios. Both return a :class:`SimulatedData`.

Examples
--------
>>> from lbprun.simulate import simulate_survey
>>> data = simulate_survey(300, seed=1)
>>> data.survey.shape
(300, 15)
>>> round(data.truth["coefficients"]["prior_lbp"], 4)
1.0986
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError, check_choice, check_positive_int, closest
from lbprun._progress import check_progress
from lbprun._result import to_jsonable
from lbprun._simulate_cohort import COHORT_TERMS, PROCESS, simulate_cohort_frames
from lbprun._simulate_survey import SURVEY_TERMS, simulate_survey_frame

__all__ = [
    "COHORT_EFFECTS",
    "COHORT_TERMS",
    "SURVEY_EFFECTS",
    "SURVEY_TERMS",
    "SimulatedData",
    "SimulationDesign",
    "simulate_cohort",
    "simulate_survey",
]

#: True coefficients of the survey outcome model (log-odds of LBP in the past 12 months).
SURVEY_EFFECTS: Mapping[str, float] = {
    "intercept": -2.05,
    "per_10km_week": math.log(1.08),
    "spike_gt_30pct": math.log(1.6),
    "shoe_km_gt_800": math.log(1.3),
    "surface_asphalt_vs_other": math.log(1.2),
    "bmi_gt_24": math.log(1.4),
    "years_running_gt_6": math.log(1.3),
    "prior_lbp": math.log(3.0),
    "strength_training": math.log(0.8),
    "club_sd": 0.25,
}

#: True coefficients of the cohort's weekly LBP-onset hazard (complementary log-log scale).
COHORT_EFFECTS: Mapping[str, float] = {
    "intercept": math.log(0.0022),
    "spike_gt_30pct": math.log(1.6),
    "acwr_gt_1_5": math.log(1.3),
    "per_10km_week": math.log(1.05),
    "prior_lbp": math.log(2.0),
    "strength_training": math.log(0.8),
    "bmi_gt_24": math.log(1.2),
    "years_running_gt_6": math.log(1.15),
    "recurrence": math.log(2.0),
}


@dataclass(frozen=True)
class SimulationDesign:
    """A stratified two-stage cluster design for :func:`simulate_survey`.

    Parameters
    ----------
    n_strata : int, default=4
        Number of strata (regions), labelled ``S1, S2, ...``.
    clusters_per_stratum : int, default=15
        Clusters (clubs, the primary sampling units) sampled in each stratum by simple random
        sampling without replacement.
    population_clusters : int, default=150
        Clusters per stratum in the population (so 10 % of clubs are sampled by default).
    population_size : int or None, default=None
        Runners in the population; None means ``100 * n``.
    stratum_shares : sequence of float or None, default=None
        Relative population size of each stratum; None means ``n_strata, ..., 2, 1``.
    allocation : {"equal", "proportional"}, default="equal"
        Sample size per stratum: equal (disproportionate, so weights differ between strata) or
        proportional to the stratum's population.
    cluster_sd : float or None, default=None
        SD of the club random effect on the log-odds; None takes ``effects["club_sd"]``.
    case_oversampling : float, default=2.0
        Within a sampled club, runners with LBP in the past 12 months are drawn at this many
        times the rate of the others (response bias); 1 makes the weights non-informative.

    Examples
    --------
    >>> SimulationDesign(n_strata=2).clusters_per_stratum
    15
    """

    n_strata: int = 4
    clusters_per_stratum: int = 15
    population_clusters: int = 150
    population_size: int | None = None
    stratum_shares: tuple[float, ...] | None = None
    allocation: str = "equal"
    cluster_sd: float | None = None
    case_oversampling: float = 2.0

    def __post_init__(self) -> None:
        check_positive_int(self.n_strata, "n_strata")
        check_positive_int(self.clusters_per_stratum, "clusters_per_stratum")
        check_positive_int(self.population_clusters, "population_clusters")
        if self.population_clusters < self.clusters_per_stratum:
            raise ArgumentError(
                "population_clusters must be at least clusters_per_stratum "
                f"({self.clusters_per_stratum}); got {self.population_clusters!r}."
            )
        if self.population_size is not None:
            check_positive_int(self.population_size, "population_size")
        if self.stratum_shares is not None:
            shares = tuple(float(s) for s in self.stratum_shares)
            if len(shares) != self.n_strata or not all(s > 0 for s in shares):
                raise ArgumentError(
                    f"stratum_shares must be {self.n_strata} positive numbers; "
                    f"got {self.stratum_shares!r}."
                )
            object.__setattr__(self, "stratum_shares", shares)
        check_choice("allocation", self.allocation, ("equal", "proportional"))
        if self.cluster_sd is not None:
            _check_finite(self.cluster_sd, "cluster_sd", nonnegative=True)
        _check_finite(self.case_oversampling, "case_oversampling", positive=True)


@dataclass(frozen=True, eq=False)
class SimulatedData:
    """Synthetic tables with the truth they were drawn from.

    Parameters
    ----------
    truth : dict
        The true parameters and population quantities (JSON-safe): coefficients, term
        definitions, seed, design, and for a survey the population's true prevalences.
    survey : pandas.DataFrame or None, default=None
        One row per sampled runner (survey schema columns plus ``stratum, cluster, weight``
        when a design was asked for).
    activities : pandas.DataFrame or None, default=None
        One row per run: ``runner_id, date, distance_km, duration_min, surface, shoe_id``.
    cohort : pandas.DataFrame or None, default=None
        One row per runner: ``runner_id, start_date, end_date, lbp_onset_date, sex, age, bmi,
        years_running, prior_lbp, strength_training``.
    episodes : pandas.DataFrame or None, default=None
        One row per LBP episode: ``runner_id, onset_date, recovery_date`` (NaT if unresolved
        by the end of follow-up).
    runners : pandas.DataFrame or None, default=None
        Latent runner-level parameters of a cohort, not observed in a real study
        (``base_weekly_km, pace_min_per_km, run_days_per_week, long_run_weekday, main_surface,
        competitive, weeks_followed``).

    Examples
    --------
    >>> data = simulate_cohort(5, 4, seed=2)
    >>> sorted(data.frames)
    ['activities', 'cohort', 'episodes', 'runners']
    >>> data.to_dict()["tables"]["cohort"]["rows"]
    5
    """

    truth: dict[str, Any]
    survey: pd.DataFrame | None = None
    activities: pd.DataFrame | None = None
    cohort: pd.DataFrame | None = None
    episodes: pd.DataFrame | None = None
    runners: pd.DataFrame | None = field(default=None)

    @property
    def frames(self) -> dict[str, pd.DataFrame]:
        """The tables that are present, by name."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "truth" and getattr(self, f.name) is not None
        }

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe summary: rows and columns of each table, and the truth.

        Returns
        -------
        dict
            ``{"type": "SimulatedData", "tables": {name: {"rows", "columns"}}, "truth"}``.
        """
        tables = {
            name: {"rows": int(len(frame)), "columns": [str(c) for c in frame.columns]}
            for name, frame in self.frames.items()
        }
        return {"type": "SimulatedData", "tables": tables, "truth": to_jsonable(self.truth)}

    def save(self, folder: str | Path) -> dict[str, Path]:
        """Write each table as ``<name>.csv`` and the truth as ``truth.json`` into ``folder``.

        Parameters
        ----------
        folder : str or pathlib.Path
            Destination folder, created if needed.

        Returns
        -------
        dict of str to pathlib.Path
            The written files by table name (``"truth"`` for the JSON file).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written: dict[str, Path] = {}
        for name, frame in self.frames.items():
            path = folder / f"{name}.csv"
            write_csv(frame, path)
            written[name] = path
        path = folder / "truth.json"
        path.write_text(json.dumps(to_jsonable(self.truth), indent=2, sort_keys=True) + "\n")
        written["truth"] = path
        return written

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}={v.shape[0]}x{v.shape[1]}" for k, v in self.frames.items())
        return f"SimulatedData({self.truth.get('kind', '?')}: {shapes})"


def write_csv(frame: pd.DataFrame, path: str | Path | None = None, **kwargs: Any) -> str | None:
    """Write a frame as CSV with fixed conventions, so equal frames give equal bytes.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table to write.
    path : str, pathlib.Path or None, default=None
        Destination file; None returns the CSV text instead.
    **kwargs
        Passed on to :meth:`pandas.DataFrame.to_csv`.

    Returns
    -------
    str or None
        The CSV text when ``path`` is None.

    Notes
    -----
    No index, ``\\n`` line endings, floats as ``%.10g``, booleans as ``1``/``0``, dates as
    ``YYYY-MM-DD``, missing values as empty cells.

    Examples
    --------
    >>> print(write_csv(pd.DataFrame({"a": [0.1, None], "b": pd.array([True, None])})), end="")
    a,b
    0.1,1
    ,
    """
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_bool_dtype(out[column]):
            out[column] = out[column].astype("Int8")
    return out.to_csv(
        path,
        index=False,
        lineterminator="\n",
        float_format="%.10g",
        date_format="%Y-%m-%d",
        **kwargs,
    )


def _check_finite(value: Any, name: str, *, nonnegative=False, positive=False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"{name} must be a finite number; got {value!r}.") from None
    if isinstance(value, bool) or not math.isfinite(number):
        raise ArgumentError(f"{name} must be a finite number; got {value!r}.")
    if positive and number <= 0:
        raise ArgumentError(f"{name} must be positive; got {value!r}.")
    if nonnegative and number < 0:
        raise ArgumentError(f"{name} must be non-negative; got {value!r}.")
    return number


def _merge_effects(effects: Mapping[str, float] | None, defaults: Mapping[str, float]):
    coef = dict(defaults)
    if effects is None:
        return coef
    if not isinstance(effects, Mapping):
        raise ArgumentError(f"effects must be a mapping of term to coefficient; got {effects!r}.")
    for key, value in effects.items():
        if key not in defaults:
            message = f"effects keys must be among {', '.join(defaults)}; got {key!r}."
            prefixed = [name for name in defaults if name.startswith(str(key))]
            suggestion = prefixed[0] if len(prefixed) == 1 else closest(key, defaults)
            if suggestion is not None:
                message += f" Did you mean {suggestion!r}?"
            raise ArgumentError(message)
        coef[key] = _check_finite(value, f"effects[{key!r}]", nonnegative=key == "club_sd")
    return coef


def _check_seed(seed: Any) -> int:
    """Return the seed, or fresh entropy when None (recorded in the truth for redrawing)."""
    if seed is None:
        return int(np.random.SeedSequence().entropy)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ArgumentError(f"seed must be None or a non-negative integer; got {seed!r}.")
    return int(seed)


def simulate_survey(
    n: int,
    *,
    effects: Mapping[str, float] | None = None,
    design: SimulationDesign | Mapping[str, Any] | None = None,
    seed: int | None = None,
) -> SimulatedData:
    """Simulate a cross-sectional runner survey with known risk factors and prevalence.

    Parameters
    ----------
    n : int
        Runners in the sample (rows of ``survey``).
    effects : mapping of str to float or None, default=None
        Coefficients overriding :data:`SURVEY_EFFECTS` (log-odds scale): ``intercept,
        per_10km_week, spike_gt_30pct, shoe_km_gt_800, surface_asphalt_vs_other, bmi_gt_24,
        years_running_gt_6, prior_lbp, strength_training`` and ``club_sd``.
    design : SimulationDesign, mapping or None, default=None
        None draws a simple random sample from a population of ``20 * n`` runners. A
        :class:`SimulationDesign` (or a mapping of its fields) draws a stratified two-stage
        cluster sample with informative weights and adds ``stratum, cluster, weight``.
    seed : int or None, default=None
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical data. None
        draws fresh entropy, recorded as ``truth["seed"]`` so the data can be drawn again.

    Returns
    -------
    SimulatedData
        ``survey`` (one row per runner: runner_id, sex, age, bmi, years_running, weekly_km,
        max_weekly_increase_pct, shoe_km, surface, strength_training, prior_lbp, competitive,
        lbp_point, lbp_12m, lbp_lifetime[, stratum, cluster, weight]) and ``truth`` with
        ``coefficients``, ``terms``, ``club_sd``, ``prevalence`` (true prevalence of each
        outcome in the finite population), ``population_size``, and with a design also
        ``prevalence_by_stratum`` and stratum population and sample sizes.

    Raises
    ------
    lbprun._checks.ArgumentError
        For a bad ``n``, ``effects``, ``design`` or ``seed``, or a design that cannot place
        between 2 and all members of each sampled cluster.

    Notes
    -----
    LBP in the past 12 months follows
    :math:`\\operatorname{logit} P(Y = 1) = \\beta_0 + \\sum_j \\beta_j x_j + u_c`, with the
    terms of ``truth["terms"]`` (per 10 km/week, largest weekly increase > 30 %, shoe > 800 km,
    asphalt vs other, BMI > 24, running > 6 years, prior LBP, strength training) and a club
    random effect :math:`u_c \\sim N(0, \\sigma^2_{club})` only when clustered. LBP now is a
    random 35 % of the 12-month cases, and lifetime LBP is 12-month LBP or prior LBP, so
    ``lbp_point`` implies ``lbp_12m`` implies ``lbp_lifetime``. Covariates are rounded as a
    questionnaire records them before the outcome is drawn. Design weights are the inverse
    inclusion probabilities, :math:`w = (M_h / m_h)(N_{cg} / n_{cg})` for club :math:`c` of
    stratum :math:`h` and case group :math:`g`, and sum to the population size in expectation.

    Examples
    --------
    >>> data = simulate_survey(600, design=SimulationDesign(), seed=3)
    >>> bool(data.survey[["stratum", "cluster", "weight"]].notna().all().all())
    True
    >>> 0 < data.truth["prevalence"]["lbp_12m"] < 1
    True
    """
    n = check_positive_int(n, "n")
    coef = _merge_effects(effects, SURVEY_EFFECTS)
    seed = _check_seed(seed)
    if isinstance(design, Mapping):
        design = SimulationDesign(**design)
    elif design is not None and not isinstance(design, SimulationDesign):
        raise ArgumentError(
            f"design must be None, a SimulationDesign or a mapping; got {design!r}."
        )
    if design is not None:
        if effects is not None and "club_sd" in effects and design.cluster_sd is not None:
            if float(effects["club_sd"]) != float(design.cluster_sd):
                raise ArgumentError(
                    "design.cluster_sd must equal effects['club_sd'] when both are given; "
                    f"got {design.cluster_sd!r} and {effects['club_sd']!r}."
                )
        minimum = 2 * design.n_strata * design.clusters_per_stratum
        if n < minimum:
            raise ArgumentError(f"n must be at least {minimum} for this design; got {n!r}.")
    try:
        frame, truth = simulate_survey_frame(n, coef, design, seed)
    except ValueError as error:
        if isinstance(error, ArgumentError):
            raise
        raise ArgumentError(f"design must fit the sample size: {error}.") from None
    return SimulatedData(truth=truth, survey=frame)


def simulate_cohort(
    n_runners: int,
    weeks: int,
    *,
    effects: Mapping[str, float] | None = None,
    start_date: str | pd.Timestamp = "2025-01-06",
    seed: int | None = None,
    progress: bool | None = None,
) -> SimulatedData:
    """Simulate daily training logs and recurrent LBP of a cohort with known hazard ratios.

    Parameters
    ----------
    n_runners : int
        Runners followed.
    weeks : int
        Weeks of follow-up (7-day blocks from ``start_date``); runners may drop out earlier.
    effects : mapping of str to float or None, default=None
        Coefficients overriding :data:`COHORT_EFFECTS` (log weekly hazard, cloglog scale):
        ``intercept, spike_gt_30pct, acwr_gt_1_5, per_10km_week, prior_lbp,
        strength_training, bmi_gt_24, years_running_gt_6, recurrence``.
    start_date : str or pandas.Timestamp, default="2025-01-06"
        First day of follow-up (a Monday by default, so weeks are calendar weeks).
    seed : int or None, default=None
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical data. None
        draws fresh entropy, recorded as ``truth["seed"]`` so the data can be drawn again.
    progress : bool or None, default=None
        Show a progress bar over the weeks drawn (tqdm, on standard error); None: only when
        standard error is a terminal and bars are not turned off (``lbprun.set_progress``,
        ``LBPRUN_PROGRESS=0``). The data do not depend on it.

    Returns
    -------
    SimulatedData
        ``activities`` (runner_id, date, distance_km, duration_min, surface, shoe_id),
        ``cohort`` (runner_id, start_date, end_date, lbp_onset_date, sex, age, bmi,
        years_running, prior_lbp, strength_training), ``episodes`` (runner_id, onset_date,
        recovery_date), ``runners`` (latent parameters) and ``truth`` (``hazard``
        coefficients, hazard ratios and term definitions, ``process`` constants, ``counts``).

    Raises
    ------
    lbprun._checks.ArgumentError
        For a bad ``n_runners``, ``weeks``, ``effects``, ``start_date`` or ``seed``.

    Notes
    -----
    Training: each runner has a base weekly distance, a pace, 3-6 preferred weekdays and a
    long-run day (usually Sunday) whose run is about twice an average run. Planned weekly
    distance is base x slow AR(1) level x 4-week block (three build weeks, one rest week) x
    occasional planned spikes (x1.35-1.8) x noise, with breaks of zero weeks (holiday, other
    injury) followed by a gradual return; days are skipped or added at random, surfaces vary
    around a main surface, and a new pair of shoes starts every 500-800 km. About 0.15 % of
    runners drop out each week (``end_date`` is then earlier). All constants are in
    ``truth["process"]``; latent runner parameters are in ``runners``.

    LBP: in follow-up week :math:`t`, a runner not in an episode has onset with probability
    :math:`1 - \\exp(-\\exp(\\eta_t))`, :math:`\\eta_t = \\beta_0 + \\sum_j \\beta_j x_{jt}`
    (discrete-time proportional hazards, so each :math:`\\beta_j` is a log-hazard-ratio). The
    load terms use completed weeks only (weekly distance of week t-1 versus t-2 and versus the
    mean of t-4..t-1); the first four weeks use four unrecorded run-in weeks. Episodes last a
    log-normal number of days (median 12); during one, a runner runs on 25 % of planned days at
    half distance. ``lbp_onset_date`` is the first onset; later onsets are recurrences.

    Examples
    --------
    >>> data = simulate_cohort(50, 8, seed=4)
    >>> list(data.activities.columns)
    ['runner_id', 'date', 'distance_km', 'duration_min', 'surface', 'shoe_id']
    >>> bool(data.activities.groupby("runner_id").size().gt(10).mean() > 0.9)
    True
    """
    n_runners = check_positive_int(n_runners, "n_runners")
    weeks = check_positive_int(weeks, "weeks")
    coef = _merge_effects(effects, COHORT_EFFECTS)
    seed = _check_seed(seed)
    progress = check_progress(progress)
    try:
        start = pd.Timestamp(start_date).normalize()
    except (TypeError, ValueError):
        raise ArgumentError(f"start_date must be a date; got {start_date!r}.") from None
    if start is pd.NaT or pd.isna(start):
        raise ArgumentError(f"start_date must be a date; got {start_date!r}.")
    if start.tzinfo is not None:
        start = start.tz_localize(None)
    out = simulate_cohort_frames(n_runners, weeks, coef, start, seed, progress)
    truth = {
        "kind": "cohort",
        "n_runners": n_runners,
        "weeks": weeks,
        "start_date": start.date().isoformat(),
        "seed": seed,
        "hazard": {
            "time_unit": "week",
            "link": "cloglog",
            "coefficients": coef,
            "hazard_ratios": {k: math.exp(v) for k, v in coef.items() if k != "intercept"},
            "terms": dict(COHORT_TERMS),
            "at_risk": "follow-up weeks that start outside an episode, before dropout",
        },
        "process": to_jsonable(PROCESS),
        "counts": out["counts"],
    }
    return SimulatedData(
        truth=truth,
        activities=out["activities"],
        cohort=out["cohort"],
        episodes=out["episodes"],
        runners=out["runners"],
    )
