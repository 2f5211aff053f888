"""Convergence of maximum-likelihood fits: Newton polishing and a check at the solution.

Every iterative fit of lbprun can prove that it reached the maximum: at the estimate the
gradient of the log-likelihood is (numerically) zero and one more Newton step would not move
the estimate. :func:`check_convergence` measures both from the score and the hessian at the
solution and returns a :class:`ConvergenceCheck` whose ``note`` goes into the result's notes;
:func:`newton_maximize` runs safeguarded Newton steps to that tolerance.

Examples
--------
>>> import numpy as np
>>> loglike = lambda b: -float(np.sum((b - 2.0) ** 2))
>>> score = lambda b: -2.0 * (b - 2.0)
>>> hessian = lambda b: -2.0 * np.eye(b.size)
>>> params, iterations = newton_maximize(loglike, score, hessian, np.zeros(2))
>>> params.tolist(), iterations
([2.0, 2.0], 2)
>>> check = check_convergence(score(params), hessian(params), params, loglike(params),
...                           iterations=iterations)
>>> check.converged, check.note
(True, 'Converged: Newton steps to relative gradient 0 (max |step| 0) after 2 iterations.')
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lbprun._checks import check_choice
from lbprun.exceptions import ConvergenceError, LbprunWarning

__all__ = [
    "ConvergenceCheck",
    "check_convergence",
    "newton_maximize",
    "summarize_checks",
    "verify_glm",
]

#: Default tolerance of the relative gradient (see :func:`check_convergence`).
GRADIENT_TOL = 1e-10
#: Default tolerance of the relative size of one more Newton step.
STEP_TOL = 1e-10
#: Newton iterations stop once a step is this small (relative).
NEWTON_STEP_TOL = 1e-12
#: Below this relative step, a step no smaller than the one before is rounding noise.
NOISE_FLOOR = 1e-9


@dataclass(frozen=True, kw_only=True)
class ConvergenceCheck:
    """How close a fit is to a stationary point of its log-likelihood.

    Parameters
    ----------
    converged : bool
        Both measures within their tolerances.
    gradient : float
        Relative gradient :math:`\\max_j |g_j| \\max(|\\theta_j|, 1) / \\max(|\\ell|, 1)`.
    step : float
        Relative size of one more Newton step,
        :math:`\\max_j |(H^{-1}g)_j| / \\max(|\\theta_j|, 1)` (infinite for a singular hessian).
    iterations : int or None
        Iterations the fit took, when known.
    method : str
        How the fit was computed (e.g. ``"Newton steps"``, ``"IRLS"``).
    note : str
        One sentence for the result's notes.
    """

    converged: bool
    gradient: float
    step: float
    iterations: int | None
    method: str
    note: str


def check_convergence(
    gradient: np.ndarray,
    hessian: np.ndarray,
    params: np.ndarray,
    loglike: float,
    *,
    method: str = "Newton steps",
    iterations: int | None = None,
    gradient_tol: float = GRADIENT_TOL,
    step_tol: float = STEP_TOL,
    on_failure: str = "warn",
) -> ConvergenceCheck:
    """Check that ``params`` maximise a log-likelihood from its score and hessian there.

    Parameters
    ----------
    gradient : array_like
        Score (gradient of the log-likelihood) at ``params``.
    hessian : array_like
        Hessian of the log-likelihood at ``params``.
    params : array_like
        The estimate.
    loglike : float
        Log-likelihood at ``params`` (scales the gradient).
    method : str, default="Newton steps"
        Name of the fitting method, used in the note.
    iterations : int or None, default=None
        Iterations the fit took, used in the note.
    gradient_tol, step_tol : float, default=1e-10, 1e-10
        Tolerances of the relative gradient and of the relative Newton step. Newton fits
        usually end near 1e-15; a weakly identified parameter (a negative-binomial
        dispersion close to 0) can stall at the rounding floor of its score, near 1e-12.
    on_failure : {"warn", "raise", "ignore"}, default="warn"
        What to do when either measure is above its tolerance: emit an
        :class:`~lbprun.exceptions.LbprunWarning`, raise
        :class:`~lbprun.exceptions.ConvergenceError`, or only say so in the note.

    Returns
    -------
    ConvergenceCheck
        The flag, both measures and a note such as ``"Converged: Newton steps to relative
        gradient 3e-13 (max |step| 1e-15) after 6 iterations."``

    Raises
    ------
    lbprun.exceptions.ConvergenceError
        Not converged and ``on_failure="raise"``.

    Notes
    -----
    The relative gradient is the scale-free stopping rule of Dennis and Schnabel (1983,
    section 7.2); the Newton step :math:`H^{-1}g` is how far the estimate is from the
    maximum to second order, so a step below ``step_tol`` means the reported digits are
    those of the maximum likelihood estimate.

    References
    ----------
    Dennis JE, Schnabel RB. Numerical Methods for Unconstrained Optimization and Nonlinear
    Equations. Prentice-Hall; 1983.

    Examples
    --------
    >>> import numpy as np
    >>> check = check_convergence(np.array([1e-3]), np.array([[-1.0]]), np.array([0.5]), -10.0,
    ...                           on_failure="ignore")
    >>> check.converged, check.note
    (False, 'Not converged: Newton steps stopped at relative gradient 0.0001 (max |step| 0.001).')
    """
    on_failure = check_choice("on_failure", on_failure, ("warn", "raise", "ignore"))
    g = np.atleast_1d(np.asarray(gradient, dtype=float))
    h = np.atleast_2d(np.asarray(hessian, dtype=float))
    theta = np.atleast_1d(np.asarray(params, dtype=float))
    size = np.maximum(np.abs(theta), 1.0)
    rel_gradient = float(np.max(np.abs(g) * size) / max(abs(float(loglike)), 1.0))
    try:
        step = np.linalg.solve(h, g)
        rel_step = float(np.max(np.abs(step) / size))
    except np.linalg.LinAlgError:
        rel_step = float("inf")
    if not np.isfinite(rel_gradient):
        rel_gradient = float("inf")
    if not np.isfinite(rel_step):
        rel_step = float("inf")
    converged = rel_gradient <= gradient_tol and rel_step <= step_tol
    after = ""
    if iterations is not None:
        after = f" after {iterations} iteration{'s' if iterations != 1 else ''}"
    measures = f"relative gradient {rel_gradient:.2g} (max |step| {rel_step:.2g})"
    if converged:
        note = f"Converged: {method} to {measures}{after}."
    else:
        note = f"Not converged: {method} stopped at {measures}{after}."
        if on_failure == "raise":
            raise ConvergenceError(
                f"{note} Tolerances: relative gradient {gradient_tol:g}, step {step_tol:g}."
            )
        if on_failure == "warn":
            warnings.warn(note, LbprunWarning, stacklevel=2)
    return ConvergenceCheck(
        converged=converged,
        gradient=rel_gradient,
        step=rel_step,
        iterations=iterations,
        method=method,
        note=note,
    )


def summarize_checks(checks: list[ConvergenceCheck], subject: str) -> tuple[bool, str]:
    """One note for the convergence checks of several fits (e.g. one per imputed data set).

    Parameters
    ----------
    checks : list of ConvergenceCheck
        The checks of the fits.
    subject : str
        The fits, as a noun phrase (``"the 20 imputed fits"``).

    Returns
    -------
    tuple
        ``(all_converged, note)``; the note gives the largest relative gradient and step.

    Examples
    --------
    >>> ok = ConvergenceCheck(converged=True, gradient=3e-14, step=1e-15, iterations=5,
    ...                       method="IRLS", note="")
    >>> summarize_checks([ok, ok], "the 2 imputed fits")
    (True, 'Each of the 2 imputed fits converged (score and hessian checked at each estimate): max relative gradient 3e-14 (max |step| 1e-15).')
    """
    gradient = max(c.gradient for c in checks)
    step = max(c.step for c in checks)
    measures = f"max relative gradient {gradient:.2g} (max |step| {step:.2g})"
    failed = sum(not c.converged for c in checks)
    if not failed:
        return True, (
            f"Each of {subject} converged (score and hessian checked at each estimate): {measures}."
        )
    return False, (f"Not converged: {failed} of {subject} stopped above tolerance: {measures}.")


def newton_maximize(
    loglike: Callable[[np.ndarray], float],
    score: Callable[[np.ndarray], np.ndarray],
    hessian: Callable[[np.ndarray], np.ndarray],
    start: np.ndarray,
    *,
    maxiter: int = 100,
    step_tol: float = NEWTON_STEP_TOL,
) -> tuple[np.ndarray, int]:
    """Maximise ``loglike`` by Newton steps with step halving; return the estimate and the
    number of iterations.

    A step that does not increase the log-likelihood is halved (up to 30 times); where the
    hessian is not negative definite, the step uses :math:`-(H - \\lambda I)` with
    :math:`\\lambda` just large enough. Iterations stop once the largest relative step is
    below ``step_tol`` (the step is then taken), once steps below 1e-9 stop shrinking
    (rounding noise), or after ``maxiter`` iterations; the caller checks the result with
    :func:`check_convergence`.
    """
    params = np.asarray(start, dtype=float).copy()
    current = loglike(params)
    previous = np.inf
    for iteration in range(1, maxiter + 1):
        g = score(params)
        h = hessian(params)
        direction = _ascent_direction(g, h)
        size = np.maximum(np.abs(params), 1.0)
        relative = float(np.max(np.abs(direction) / size))
        if relative <= step_tol or (previous < NOISE_FLOOR and relative >= previous):
            candidate = params + direction
            value = loglike(candidate)
            if np.isfinite(value) and value >= current - 1e-12 * max(abs(current), 1.0):
                params = candidate
            return params, iteration
        previous = relative
        factor = 1.0
        for _ in range(30):
            candidate = params + factor * direction
            value = loglike(candidate)
            if np.isfinite(value) and value >= current - 1e-12 * max(abs(current), 1.0):
                break
            factor /= 2.0
        else:
            return params, iteration
        params, current = candidate, value
    return params, maxiter


def _ascent_direction(g: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Newton direction :math:`-H^{-1}g`, shifted to an ascent direction when needed."""
    neg = -np.asarray(h, dtype=float)
    shift = 0.0
    scale = max(float(np.max(np.abs(np.diag(neg)))), 1e-12)
    for _ in range(60):
        try:
            chol = np.linalg.cholesky(neg + shift * np.eye(neg.shape[0]))
        except np.linalg.LinAlgError:
            shift = max(2.0 * shift, 1e-10 * scale)
            continue
        return np.linalg.solve(chol.T, np.linalg.solve(chol, g))
    return g / scale


def verify_glm(
    model: Any, results: Any, *, on_failure: str = "warn"
) -> tuple[np.ndarray, np.ndarray | None, ConvergenceCheck]:
    """Check a statsmodels GLM fitted by IRLS at its estimate; polish by Newton steps if short.

    Parameters
    ----------
    model : statsmodels.genmod.generalized_linear_model.GLM
        The model (its ``score``, ``hessian`` and ``loglike`` are used).
    results : statsmodels GLMResults
        The IRLS fit of ``model``.
    on_failure : {"warn", "raise", "ignore"}, default="warn"
        What to do when the polished estimate still fails the check.

    Returns
    -------
    tuple
        ``(params, hessian, check)``: the estimate, the hessian at a polished estimate (None
        when the IRLS estimate passed, so its covariance stands) and the check.
    """
    params = np.asarray(results.params, dtype=float)
    iterations = int(results.fit_history["iteration"])
    check = check_convergence(
        model.score(params),
        model.hessian(params),
        params,
        float(results.llf),
        method="IRLS",
        iterations=iterations,
        on_failure="ignore",
    )
    if check.converged:
        return params, None, check
    params, steps = newton_maximize(model.loglike, model.score, model.hessian, params)
    hessian = model.hessian(params)
    check = check_convergence(
        model.score(params),
        hessian,
        params,
        float(model.loglike(params)),
        method=f"IRLS ({iterations} iterations), then Newton steps",
        iterations=steps,
        on_failure=on_failure,
    )
    return params, hessian, check
