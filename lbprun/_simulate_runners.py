"""Runner-level baseline characteristics shared by the survey and cohort simulators.

Every draw is vectorised: one call returns arrays of length ``n``. Values are rounded the way a
questionnaire records them *before* any outcome is drawn, so the thresholds an analyst applies
(BMI > 24, years running > 6, ...) are exactly the ones the outcome model used.
"""

from __future__ import annotations

import math

import numpy as np

from lbprun.io.schema import SURFACES

__all__ = [
    "OTHER_SURFACE_P",
    "SURFACE_CODES",
    "draw_runners",
    "draw_surface",
    "expit",
]

#: Integer codes of the schema's surfaces (position in :data:`lbprun.io.schema.SURFACES`).
SURFACE_CODES = {name: code for code, name in enumerate(SURFACES)}

#: Share of each non-asphalt main surface among runners whose main surface is not asphalt.
OTHER_SURFACE_P = {
    "trail": 0.36,
    "mixed": 0.26,
    "treadmill": 0.15,
    "track": 0.12,
    "concrete": 0.05,
    "grass": 0.04,
    "sand": 0.02,
}


def expit(x: np.ndarray) -> np.ndarray:
    """Inverse logit, numerically safe."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def draw_surface(rng: np.random.Generator, p_asphalt: np.ndarray) -> np.ndarray:
    """Draw a main-surface code per runner: asphalt with ``p_asphalt``, else the other mix."""
    p_asphalt = np.asarray(p_asphalt, dtype=float)
    others = list(OTHER_SURFACE_P)
    probs = np.array([OTHER_SURFACE_P[s] for s in others])
    other_codes = np.array([SURFACE_CODES[s] for s in others], dtype=np.int8)
    other = other_codes[
        np.searchsorted(np.cumsum(probs / probs.sum()), rng.random(p_asphalt.size))
    ]
    asphalt = rng.random(p_asphalt.size) < p_asphalt
    return np.where(asphalt, np.int8(SURFACE_CODES["asphalt"]), other).astype(np.int8)


def draw_runners(
    rng: np.random.Generator,
    n: int,
    *,
    log_km_shift: np.ndarray | float = 0.0,
    strength_logit_shift: np.ndarray | float = 0.0,
    asphalt_logit_shift: np.ndarray | float = 0.0,
) -> dict[str, np.ndarray]:
    """Draw the baseline characteristics of ``n`` runners.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of randomness.
    n : int
        Number of runners.
    log_km_shift, strength_logit_shift, asphalt_logit_shift : float or array of length n
        Group-level shifts (stratum, club) on log weekly distance, on the log-odds of strength
        training and on the log-odds of running mainly on asphalt.

    Returns
    -------
    dict of str to numpy.ndarray
        ``male, age, bmi, years_running, competitive, weekly_km, strength_training, prior_lbp,
        max_weekly_increase_pct, shoe_km, surface`` (surface as int8 codes into ``SURFACES``).

    Notes
    -----
    Marginals follow large runner surveys: about 62 % men, mean age 42 (SD 11), mean BMI 24 in
    men and 22 in women, median 5.5 years of running, mean weekly distance about 35 km, about
    29 % competitive, 40 % doing strength training, 27 % with LBP before the recall period, half
    running mainly on asphalt.
    """
    male = rng.random(n) < 0.62
    age = np.clip(np.round(rng.normal(42.0, 11.0, n)), 18.0, 80.0)
    bmi = np.round(np.clip(rng.normal(np.where(male, 24.0, 22.0), 2.6, n), 16.0, 40.0), 1)
    years = rng.lognormal(math.log(5.5), 0.75, n)
    years = np.round(np.clip(years, 0.2, np.maximum(age - 12.0, 0.5)), 1)
    competitive = rng.random(n) < expit(-0.55 - 0.03 * (age - 42.0))
    log_km = math.log(28.0) + 0.35 * competitive + 0.08 * male + log_km_shift
    weekly_km = np.round(np.clip(rng.lognormal(log_km, 0.45, n), 3.0, 200.0), 1)
    strength = rng.random(n) < expit(-0.6 + 0.5 * competitive + strength_logit_shift)
    prior = rng.random(n) < expit(-1.0 + 0.015 * (age - 42.0))
    increase = np.round(rng.gamma(1.4, 13.0, n) * np.where(competitive, 1.1, 1.0))
    increase = np.clip(increase, 0.0, 300.0)
    shoe_km = np.clip(np.round(rng.gamma(1.6, 350.0, n)), 0.0, 4000.0)
    surface = draw_surface(rng, expit(asphalt_logit_shift + np.zeros(n)))
    return {
        "male": male,
        "age": age,
        "bmi": bmi,
        "years_running": years,
        "competitive": competitive,
        "weekly_km": weekly_km,
        "strength_training": strength,
        "prior_lbp": prior,
        "max_weekly_increase_pct": increase,
        "shoe_km": shoe_km,
        "surface": surface,
    }
