"""Finite runner populations and the survey designs that sample them.

A population is drawn first (covariates, club random effects, outcomes); its prevalences are the
*true* values a survey estimator targets. The sample is then drawn by the design:

- no design: simple random sampling without replacement from a population of ``20 n``;
- a design: strata of unequal size, clusters (clubs) drawn by simple random sampling within each
  stratum, members drawn within each sampled club with case over-sampling (informative
  selection), so ``weight = (clubs in stratum / clubs sampled) * (members / sampled members)``
  within the club's case or non-case group.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd

from lbprun._simulate_runners import draw_runners, expit
from lbprun.io.schema import SURFACES

__all__ = ["SURVEY_TERMS", "linear_predictor", "simulate_survey_frame"]

#: Derived terms of the outcome model: name -> (definition, function of the covariate arrays).
SURVEY_TERMS = {
    "per_10km_week": "weekly_km / 10",
    "spike_gt_30pct": "max_weekly_increase_pct > 30",
    "shoe_km_gt_800": "shoe_km > 800",
    "surface_asphalt_vs_other": "surface == 'asphalt'",
    "bmi_gt_24": "bmi > 24",
    "years_running_gt_6": "years_running > 6",
    "prior_lbp": "prior_lbp",
    "strength_training": "strength_training",
}

#: Probability of LBP now among runners with LBP in the past 12 months.
POINT_GIVEN_12M = 0.35


def term_matrix(x: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Evaluate :data:`SURVEY_TERMS` on covariate arrays."""
    return {
        "per_10km_week": x["weekly_km"] / 10.0,
        "spike_gt_30pct": (x["max_weekly_increase_pct"] > 30).astype(float),
        "shoe_km_gt_800": (x["shoe_km"] > 800).astype(float),
        "surface_asphalt_vs_other": (x["surface"] == SURFACES.index("asphalt")).astype(float),
        "bmi_gt_24": (x["bmi"] > 24).astype(float),
        "years_running_gt_6": (x["years_running"] > 6).astype(float),
        "prior_lbp": x["prior_lbp"].astype(float),
        "strength_training": x["strength_training"].astype(float),
    }


def linear_predictor(x: dict[str, np.ndarray], coef: dict[str, float]) -> np.ndarray:
    """Log-odds of LBP in the past 12 months without the club effect."""
    terms = term_matrix(x)
    eta = np.full(x["age"].shape, float(coef["intercept"]))
    for name in SURVEY_TERMS:
        eta = eta + float(coef[name]) * terms[name]
    return eta


def _largest_remainder(total: int, shares: np.ndarray) -> np.ndarray:
    """Split an integer total in proportion to ``shares`` (Hamilton's method)."""
    shares = np.asarray(shares, dtype=float) / np.sum(shares)
    raw = total * shares
    out = np.floor(raw).astype(np.int64)
    left = total - int(out.sum())
    if left > 0:
        order = np.argsort(-(raw - out), kind="stable")[:left]
        out[order] += 1
    return out


def _outcomes(rng: np.random.Generator, x: dict[str, np.ndarray], eta: np.ndarray) -> None:
    """Add nested outcomes to ``x`` in place: point within 12-month within lifetime."""
    lbp_12m = rng.random(eta.size) < expit(eta)
    x["lbp_12m"] = lbp_12m
    x["lbp_point"] = lbp_12m & (rng.random(eta.size) < POINT_GIVEN_12M)
    x["lbp_lifetime"] = lbp_12m | x["prior_lbp"]


def _prevalence(x: dict[str, np.ndarray], index: np.ndarray | None = None) -> dict[str, float]:
    names = ("lbp_point", "lbp_12m", "lbp_lifetime")
    if index is None:
        return {name: float(np.mean(x[name])) for name in names}
    return {name: float(np.mean(x[name][index])) for name in names}


def _design_population(rng, n, coef, design):
    """Draw a stratified, clustered population and sample it; return (x, sample, info)."""
    h_count, k, m_count = design.n_strata, design.clusters_per_stratum, design.population_clusters
    pop_size = design.population_size or 100 * n
    shares = (
        np.arange(h_count, 0, -1, dtype=float)
        if design.stratum_shares is None
        else np.asarray(design.stratum_shares, dtype=float)
    )
    stratum_n = _largest_remainder(pop_size, shares)
    club_sizes = np.concatenate(
        [_largest_remainder(int(nh), rng.lognormal(0.0, 0.5, m_count)) for nh in stratum_n]
    )
    if club_sizes.min() < 2:
        raise ValueError("population too small for the design: a club has fewer than 2 members")
    club_of = np.repeat(np.arange(h_count * m_count), club_sizes)
    stratum_of = club_of // m_count
    # group effects: stratum and club shifts of training volume, strength training, surface
    s_km, s_asph = rng.normal(0.0, 0.10, h_count), rng.normal(0.0, 0.40, h_count)
    c_km, c_str = rng.normal(0.0, 0.12, club_sizes.size), rng.normal(0.0, 0.40, club_sizes.size)
    club_u = rng.normal(0.0, design_sd(design, coef), club_sizes.size)
    x = draw_runners(
        rng,
        club_of.size,
        log_km_shift=s_km[stratum_of] + c_km[club_of],
        strength_logit_shift=c_str[club_of],
        asphalt_logit_shift=s_asph[stratum_of],
    )
    _outcomes(rng, x, linear_predictor(x, coef) + club_u[club_of])
    # stage 1: simple random sample of k clubs per stratum
    order = np.argsort(rng.random((h_count, m_count)), axis=1)[:, :k]
    sampled = np.sort((order + m_count * np.arange(h_count)[:, None]).ravel())
    if design.allocation == "equal":
        n_h = _largest_remainder(n, np.ones(h_count))
    else:
        n_h = _largest_remainder(n, stratum_n)
    if np.any(n_h < 2 * k):
        raise ValueError(f"a stratum's sample is smaller than 2 per sampled club ({2 * k})")
    # every sampled club gets 2 members, the rest in proportion to club size
    m_club = 2 + np.concatenate(
        [
            _largest_remainder(int(n_h[h]) - 2 * k, club_sizes[sampled[h * k : (h + 1) * k]])
            for h in range(h_count)
        ]
    )
    if np.any(m_club < 2) or np.any(m_club > club_sizes[sampled]):
        raise ValueError("the design cannot place at least 2 and at most all members per club")
    # stage 2: within each sampled club, cases drawn at `case_oversampling` times the rate
    cases = np.bincount(club_of, weights=x["lbp_12m"], minlength=club_sizes.size).astype(int)
    n1, n0 = cases[sampled], club_sizes[sampled] - cases[sampled]
    ratio = float(design.case_oversampling)
    m1 = np.rint(m_club * ratio * n1 / (ratio * n1 + n0)).astype(np.int64)
    m1 = np.where((n1 > 0) & (n0 > 0), np.clip(m1, 1, m_club - 1), m1)
    m1 = np.minimum(m1, n1)
    m0 = m_club - m1
    over = np.maximum(m0 - n0, 0)
    m0, m1 = m0 - over, m1 + over
    take = np.zeros((club_sizes.size, 2), dtype=np.int64)
    take[sampled, 0], take[sampled, 1] = m0, m1
    group = x["lbp_12m"].astype(np.int64)
    key = rng.random(club_of.size)
    perm = np.lexsort((key, group, club_of))
    cell = club_of[perm] * 2 + group[perm]
    starts = np.r_[0, np.flatnonzero(np.diff(cell)) + 1]
    rank = np.arange(perm.size) - np.repeat(starts, np.diff(np.r_[starts, perm.size]))
    chosen = perm[rank < take.ravel()[cell]]
    counts = np.zeros((club_sizes.size, 2))
    np.add.at(counts, (club_of, group), 1)
    weight = (m_count / k) * counts[club_of[chosen], group[chosen]]
    weight = weight / take[club_of[chosen], group[chosen]]
    by_stratum = {
        f"S{h + 1}": _prevalence(x, np.flatnonzero(stratum_of == h)) for h in range(h_count)
    }
    info = {
        "population_size": int(club_of.size),
        "stratum_population_size": {f"S{h + 1}": int(v) for h, v in enumerate(stratum_n)},
        "stratum_sample_size": {f"S{h + 1}": int(v) for h, v in enumerate(n_h)},
        "prevalence_by_stratum": by_stratum,
    }
    labels = {
        "stratum": np.array([f"S{h + 1}" for h in range(h_count)], dtype=object)[
            stratum_of[chosen]
        ],
        "cluster": np.array(
            [f"S{c // m_count + 1}-C{c % m_count + 1:03d}" for c in range(club_sizes.size)],
            dtype=object,
        )[club_of[chosen]],
        "weight": weight,
    }
    return x, chosen, info, labels


def design_sd(design, coef) -> float:
    """The club random-effect SD: the design's ``cluster_sd`` or else ``coef['club_sd']``."""
    return float(coef["club_sd"] if design.cluster_sd is None else design.cluster_sd)


def simulate_survey_frame(
    n: int, coef: dict[str, float], design: Any, seed: int | None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Draw a population, sample ``n`` runners and return (frame, truth)."""
    rng = np.random.default_rng(seed)
    if design is None:
        pop_size = 20 * n
        x = draw_runners(rng, pop_size)
        _outcomes(rng, x, linear_predictor(x, coef))
        chosen = np.sort(rng.choice(pop_size, size=n, replace=False))
        info = {"population_size": pop_size}
        labels = {}
        club_sd = 0.0
    else:
        x, chosen, info, labels = _design_population(rng, n, coef, design)
        club_sd = design_sd(design, coef)
    prevalence = _prevalence(x)
    shuffle = rng.permutation(chosen.size)
    chosen = chosen[shuffle]
    width = max(5, len(str(n)))
    frame = pd.DataFrame({"runner_id": [f"R{i + 1:0{width}d}" for i in range(n)]})
    frame["runner_id"] = frame["runner_id"].astype("string")
    frame["sex"] = pd.Categorical(np.where(x["male"][chosen], "M", "F"), categories=["F", "M"])
    for name in ("age", "bmi", "years_running", "weekly_km", "max_weekly_increase_pct", "shoe_km"):
        frame[name] = x[name][chosen].astype(float)
    frame["surface"] = pd.Categorical.from_codes(x["surface"][chosen], categories=list(SURFACES))
    for name in (
        "strength_training",
        "prior_lbp",
        "competitive",
        "lbp_point",
        "lbp_12m",
        "lbp_lifetime",
    ):
        frame[name] = pd.array(x[name][chosen], dtype="boolean")
    for name in ("stratum", "cluster"):
        if name in labels:
            frame[name] = pd.array(labels[name][shuffle], dtype="string")
    if "weight" in labels:
        frame["weight"] = labels["weight"][shuffle]
    truth: dict[str, Any] = {
        "kind": "survey",
        "n": int(n),
        "seed": seed,
        "outcome": "lbp_12m",
        "link": "logit",
        "coefficients": {k: float(v) for k, v in coef.items() if k != "club_sd"},
        "club_sd": club_sd,
        "terms": dict(SURVEY_TERMS),
        "point_given_12m": POINT_GIVEN_12M,
        "lifetime_rule": "lbp_lifetime = lbp_12m or prior_lbp",
        "prevalence": prevalence,
        "design": None if design is None else asdict(design),
        **info,
    }
    truth["odds_ratios"] = {
        k: math.exp(v) for k, v in truth["coefficients"].items() if k != "intercept"
    }
    return frame, truth
