"""Firth's penalised-likelihood logistic regression (bias reduction, Jeffreys prior).

Examples
--------
>>> import numpy as np
>>> x = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1.0]])
>>> y = np.array([0, 0, 0, 1, 1, 1.0])  # complete separation: ML diverges
>>> fit = firth_fit(x, y)
>>> bool(np.all(np.isfinite(fit.beta))), round(float(fit.beta[1]), 4)
(True, 3.8918)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import special

from lbprun.exceptions import ConvergenceError
from lbprun.models._convergence import ConvergenceCheck, check_convergence, newton_maximize
from lbprun.models.profile import profile_interval

__all__ = ["FirthFit", "firth_fit", "firth_profile_intervals"]


@dataclass(frozen=True)
class FirthFit:
    """A Firth fit: coefficients, their covariance, the penalised log-likelihood and how its
    convergence was verified (``convergence``)."""

    beta: np.ndarray
    cov: np.ndarray
    penalized_loglik: float
    loglik: float
    iterations: int
    convergence: ConvergenceCheck | None = field(default=None, repr=False)


def _penalized(x, y, w, beta):
    eta = x @ beta
    mu = special.expit(eta)
    v = w * mu * (1.0 - mu)
    info = (x * v[:, None]).T @ x
    sign, logdet = np.linalg.slogdet(info)
    loglik = float(-np.sum(w * (np.logaddexp(0.0, eta) - y * eta)))
    pen = loglik + 0.5 * logdet if sign > 0 else -np.inf
    return pen, loglik, mu, v, info


def _modified_score(x, y, w, mu, v, info):
    # Firth's modified score U* = X'{w(y - pi) + h(1/2 - pi)}, h the diagonal of the hat matrix
    hat = v * np.einsum("ij,jk,ik->i", x, np.linalg.inv(info), x)
    return x.T @ (w * (y - mu) + hat * (0.5 - mu))


def _firth_newton(x, y, w, beta, free, *, tol, max_iter, ftol=0.0, strict=True):
    pen, loglik, mu, v, info = _penalized(x, y, w, beta)
    for it in range(1, max_iter + 1):
        score = _modified_score(x, y, w, mu, v, info)
        sub = info[np.ix_(free, free)]
        step = np.zeros_like(beta)
        step[free] = np.linalg.solve(sub, score[free])
        factor = 1.0
        while True:
            trial = beta + factor * step
            t_pen, t_loglik, t_mu, t_v, t_info = _penalized(x, y, w, trial)
            if t_pen >= pen - 1e-10 * (abs(pen) + 1.0) or factor < 1e-10:
                break
            factor /= 2.0
        gain = t_pen - pen
        beta, pen, loglik, mu, v, info = trial, t_pen, t_loglik, t_mu, t_v, t_info
        if np.max(np.abs(factor * step)) < tol or abs(gain) < ftol * (1.0 + abs(pen)):
            return beta, pen, loglik, info, it
    if not strict:
        return beta, pen, loglik, info, max_iter
    raise ConvergenceError(
        f"Firth fit did not converge in {max_iter} iterations (last step "
        f"{np.max(np.abs(step)):.3g})."
    )


def firth_fit(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 200,
) -> FirthFit:
    """Fit a logistic regression by Firth's penalised likelihood.

    Parameters
    ----------
    x : numpy.ndarray of shape (n, p)
        Design matrix with an intercept column.
    y : numpy.ndarray of shape (n,)
        0/1 outcomes.
    weights : numpy.ndarray, optional
        Frequency weights.
    tol : float, default=1e-10
        Convergence when the largest Newton step is below ``tol``.
    max_iter : int, default=200
        Iteration cap.

    Returns
    -------
    FirthFit
        Coefficients, covariance (inverse Fisher information at the estimate), penalised and
        ordinary log-likelihoods, iterations and ``convergence``.

    Raises
    ------
    lbprun.exceptions.ConvergenceError
        The modified score is not zero at the estimate, even after polishing Newton steps.

    Notes
    -----
    Maximises :math:`\\ell^*(\\beta) = \\ell(\\beta) + \\tfrac12\\log|I(\\beta)|` by Newton
    iterations on the modified score
    :math:`U^*_r = \\sum_i \\{y_i - \\pi_i + h_i(\\tfrac12 - \\pi_i)\\} x_{ir}`, with
    :math:`h_i` the diagonal of the weighted hat matrix, halving the step while the penalised
    log-likelihood decreases (Firth 1993; Heinze & Schemper 2002). Validated against R
    ``brglm2::brglmFit(type = "AS_mean")``, which solves the same equations.

    Convergence is verified at the estimate, not taken from the iteration count: the modified
    score must be zero to a relative 1e-10 and one more Firth step :math:`I^{-1}U^*` below
    1e-10 relative (:func:`lbprun.models._convergence.check_convergence`, with
    :math:`-I(\\beta)` as the hessian, as the iterations use it). A fit stopped short (e.g. by
    ``max_iter``) is polished by further Newton steps from where it stopped.

    Examples
    --------
    >>> x = np.column_stack([np.ones(6), [0, 0, 0, 1, 1, 1.0]])
    >>> fit = firth_fit(x, np.array([0, 0, 1, 0, 1, 1.0]))
    >>> fit.convergence.converged, fit.convergence.note.startswith("Converged: Firth")
    (True, True)
    """
    n, p = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    beta, pen, loglik, info, it = _firth_newton(
        x, y, w, np.zeros(p), np.arange(p), tol=tol, max_iter=max_iter, strict=False
    )
    method = "Firth's penalised Newton-Raphson"
    check = _check(x, y, w, beta, method, it)
    if not check.converged:

        def penalized(b):
            return _penalized(x, y, w, b)[0]

        def score(b):
            _, _, mu, v, info = _penalized(x, y, w, b)
            return _modified_score(x, y, w, mu, v, info)

        def hessian(b):
            return -_penalized(x, y, w, b)[4]

        beta, steps = newton_maximize(penalized, score, hessian, beta)
        check = _check(x, y, w, beta, f"{method} ({it} iterations), then Newton steps", steps)
        if not check.converged:
            raise ConvergenceError(f"Firth fit did not converge. {check.note}")
        pen, loglik, _, _, info = _penalized(x, y, w, beta)
        it += steps
    return FirthFit(beta, np.linalg.inv(info), pen, loglik, it, convergence=check)


def _check(x, y, w, beta, method, iterations) -> ConvergenceCheck:
    """Modified score and (Fisher) hessian of the penalised log-likelihood at ``beta``."""
    pen, _, mu, v, info = _penalized(x, y, w, beta)
    try:
        score = _modified_score(x, y, w, mu, v, info)
    except np.linalg.LinAlgError:
        score = np.full(beta.shape, np.inf)
    return check_convergence(
        score, -info, beta, pen, method=method, iterations=iterations, on_failure="ignore"
    )


def firth_profile_intervals(
    x: np.ndarray,
    y: np.ndarray,
    fit: FirthFit,
    *,
    level: float = 0.95,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Profile penalised-likelihood intervals of every coefficient, shape (p, 2), as logistf.

    Each end solves :math:`2\\{\\ell^*(\\hat\\beta) - \\max_{\\beta_{-j}}
    \\ell^*(\\beta_j = b, \\beta_{-j})\\} = \\chi^2_{1, level}`.
    """
    n, p = x.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    out = np.empty((p, 2))
    for j in range(p):
        free = np.delete(np.arange(p), j)

        def objective(b, start, j=j, free=free):
            for guess in (start, fit.beta[free]):
                beta = np.empty(p)
                beta[j] = b
                beta[free] = guess
                try:
                    beta, pen, _, _, _ = _firth_newton(
                        x, y, w, beta, free, tol=1e-11, max_iter=2000, ftol=1e-15
                    )
                except (ConvergenceError, np.linalg.LinAlgError):
                    continue
                return -2.0 * pen, beta[free]
            raise ConvergenceError(f"constrained Firth fit failed at coefficient {j} = {b}.")

        out[j] = profile_interval(x, y, fit.beta, j, level=level, objective=objective)
    return out
