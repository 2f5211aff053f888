"""Logistic fits by Newton–Raphson and profile-likelihood confidence intervals.

The profile deviance of coefficient :math:`\\beta_j` is the deviance of the model refitted with
:math:`\\beta_j` held fixed (the column enters as an offset). The interval is the set of values
whose signed root deviance :math:`z(b) = \\mathrm{sign}(b - \\hat\\beta_j)
\\sqrt{D(b) - D(\\hat\\beta)}` lies within :math:`\\pm z_{1-(1-level)/2}`; its ends are found by
Brent's method, so they are the exact roots that R's ``MASS::confint.glm`` approximates by
spline interpolation.

Examples
--------
>>> import numpy as np
>>> x = np.column_stack([np.ones(8), [0, 0, 0, 0, 1, 1, 1, 1.0]])
>>> y = np.array([0, 0, 0, 1, 0, 1, 1, 1.0])
>>> fit = logistic_newton(x, y)
>>> low, high = profile_interval(x, y, fit.beta, 1, level=0.95)
>>> bool(low < fit.beta[1] < high)
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special, stats

from lbprun.exceptions import ConvergenceError, SeparationWarning
from lbprun.models._convergence import ConvergenceCheck, check_convergence, newton_maximize

__all__ = [
    "LogisticFit",
    "cluster_cov",
    "fit_ml",
    "logistic_newton",
    "profile_interval",
    "profile_intervals",
    "statsmodels_factory",
    "verify_logistic",
]


@dataclass(frozen=True)
class LogisticFit:
    """A logistic fit by Newton–Raphson: coefficients, deviance, information and convergence."""

    beta: np.ndarray
    deviance: float
    information: np.ndarray
    iterations: int
    converged: bool


def _deviance(y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> float:
    # -2 log-likelihood of 0/1 data (equal to the deviance, the saturated model has loglik 0)
    # written stably: log(1 + e^eta) - y * eta.
    return float(2.0 * np.sum(w * (np.logaddexp(0.0, eta) - y * eta)))


def logistic_newton(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    start: np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> LogisticFit:
    """Fit a logistic regression by Newton–Raphson with step halving.

    Parameters
    ----------
    x : numpy.ndarray of shape (n, p)
        Design matrix (p may be 0: then only the deviance at the offset is returned).
    y : numpy.ndarray of shape (n,)
        Outcomes in [0, 1].
    weights : numpy.ndarray, optional
        Prior (frequency) weights.
    offset : numpy.ndarray, optional
        Known part of the linear predictor.
    start : numpy.ndarray, optional
        Starting coefficients (zeros by default).
    tol : float, default=1e-12
        Convergence when the largest Newton step is below ``tol`` (relative to 1 + |beta|).
    max_iter : int, default=100
        Iteration cap.

    Returns
    -------
    LogisticFit
        Coefficients, deviance, Fisher information and convergence flag.
    """
    n, p = x.shape
    w = np.ones(n) if weights is None else weights
    off = 0.0 if offset is None else offset
    beta = np.zeros(p) if start is None else np.array(start, dtype=float)
    eta = off + x @ beta
    dev = _deviance(y, eta, w)
    info = np.zeros((p, p))
    if p == 0:
        return LogisticFit(beta, dev, info, 0, True)
    for it in range(1, max_iter + 1):
        mu = special.expit(eta)
        info = weighted_gram(x, w * mu * (1.0 - mu))
        score = x.T @ (w * (y - mu))
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        factor = 1.0
        while True:
            new_beta = beta + factor * step
            new_eta = off + x @ new_beta
            new_dev = _deviance(y, new_eta, w)
            if new_dev <= dev + 1e-9 * (abs(dev) + 1.0) or factor < 1e-10:
                break
            factor /= 2.0
        beta, eta, dev = new_beta, new_eta, new_dev
        if np.max(np.abs(factor * step) / (1.0 + np.abs(beta))) < tol:
            # the information of the last iteration: the final step moved beta by < tol
            return LogisticFit(beta, dev, info, it, True)
    return LogisticFit(beta, dev, info, max_iter, False)


def verify_logistic(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    beta: np.ndarray,
    iterations: int,
    *,
    method: str = "Newton-Raphson",
    polish: bool = True,
) -> tuple[np.ndarray, np.ndarray, ConvergenceCheck, bool]:
    """Check a logistic fit at its estimate and, if needed, polish it by Newton steps.

    The score :math:`X^T w (y - \\pi)` and the hessian :math:`-X^T \\mathrm{diag}(w\\pi(1-\\pi)) X`
    of the (weighted) binomial log-likelihood at ``beta`` go to
    :func:`lbprun.models._convergence.check_convergence`; when they are not within its
    tolerances and ``polish`` is true, :func:`lbprun.models._convergence.newton_maximize`
    continues from ``beta`` and the check is repeated.

    Parameters
    ----------
    x, y, w : numpy.ndarray
        Design matrix, 0/1 outcomes and weights (frequency or design weights).
    beta : numpy.ndarray
        The estimate of the fit.
    iterations : int
        Iterations the fit took (for the note).
    method : str, default="Newton-Raphson"
        Name of the fit, used in the note.
    polish : bool, default=True
        Continue by Newton steps when the check fails.

    Returns
    -------
    tuple
        ``(beta, information, check, polished)``: the (polished) estimate, the Fisher
        information at it, the :class:`~lbprun.models._convergence.ConvergenceCheck` (never
        warns) and whether Newton steps were added.

    Examples
    --------
    >>> x = np.column_stack([np.ones(8), [0, 0, 0, 0, 1, 1, 1, 1.0]])
    >>> y = np.array([0, 0, 0, 1, 0, 1, 1, 1.0])
    >>> fit = logistic_newton(x, y, max_iter=2)
    >>> beta, info, check, polished = verify_logistic(x, y, np.ones(8), fit.beta, 2)
    >>> polished, check.converged, round(float(beta[1]), 10)
    (True, True, 2.1972245773)
    """

    def loglike(b: np.ndarray) -> float:
        return -0.5 * _deviance(y, x @ b, w)

    def score(b: np.ndarray) -> np.ndarray:
        return x.T @ (w * (y - special.expit(x @ b)))

    def hessian(b: np.ndarray) -> np.ndarray:
        mu = special.expit(x @ b)
        return -weighted_gram(x, w * mu * (1.0 - mu))

    beta = np.asarray(beta, dtype=float)
    h = hessian(beta)
    check = check_convergence(
        score(beta),
        h,
        beta,
        loglike(beta),
        method=method,
        iterations=iterations,
        on_failure="ignore",
    )
    if check.converged or not polish:
        return beta, -h, check, False
    beta, steps = newton_maximize(loglike, score, hessian, beta)
    h = hessian(beta)
    check = check_convergence(
        score(beta),
        h,
        beta,
        loglike(beta),
        method=f"{method} ({iterations} iterations), then Newton steps",
        iterations=steps,
        on_failure="ignore",
    )
    return beta, -h, check, True


def weighted_gram(x: np.ndarray, v: np.ndarray, chunk: int = 1 << 15) -> np.ndarray:
    r"""Return :math:`X^T \mathrm{diag}(v) X`, in row chunks to stay in cache."""
    n = x.shape[0]
    if n <= chunk:
        return (x * v[:, None]).T @ x
    out = np.zeros((x.shape[1], x.shape[1]))
    for s in range(0, n, chunk):
        xc = x[s : s + chunk]
        out += (xc * v[s : s + chunk, None]).T @ xc
    return out


def profile_interval(
    x: np.ndarray,
    y: np.ndarray,
    beta: np.ndarray,
    j: int,
    *,
    level: float = 0.95,
    weights: np.ndarray | None = None,
    objective=None,
) -> tuple[float, float]:
    """Return the profile-likelihood interval of coefficient ``j`` (log-odds scale).

    Parameters
    ----------
    x, y, weights
        The data of the fit.
    beta : numpy.ndarray
        The maximum-likelihood estimate.
    j : int
        Index of the coefficient.
    level : float, default=0.95
        Confidence level.
    objective : callable, optional
        ``objective(b, start) -> (minus2loglik, beta_rest)``: the constrained fit to profile
        (penalised for Firth). Default: the logistic deviance with column ``j`` as an offset.

    Returns
    -------
    tuple of float
        ``(low, high)``; an infinite end when the profile never reaches the critical value
        (e.g. under separation).
    """
    q = stats.norm.ppf(0.5 + level / 2.0)
    others = np.delete(np.arange(x.shape[1]), j)
    x_rest = x[:, others]

    def constrained(b: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        fit = logistic_newton(x_rest, y, weights, offset=x[:, j] * b, start=start)
        if not fit.converged:
            raise ConvergenceError(f"profile fit did not converge at coefficient {j} = {b}.")
        return fit.deviance, fit.beta

    fit_at = objective or constrained
    d_hat, _ = fit_at(beta[j], beta[others])
    curvature_se = _local_se(fit_at, beta, others, j, d_hat)

    def signed_root(b: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        d, rest = fit_at(b, start)
        return np.sign(b - beta[j]) * np.sqrt(max(d - d_hat, 0.0)), rest

    ends = []
    for direction in (-1.0, 1.0):
        start = beta[others]
        inner, step = beta[j], curvature_se * q
        z_outer, start_outer, outer = 0.0, start, inner
        expansions = 0
        while direction * z_outer < q and expansions < 40:
            expansions += 1
            try:
                trial = inner + direction * step
                z_trial, start_trial = signed_root(trial, start)
            except (ConvergenceError, np.linalg.LinAlgError):
                step /= 4.0  # the constrained fit broke down this far out: come back
                continue
            outer, z_outer, start_outer = trial, z_trial, start_trial
            if direction * z_outer < q:
                inner, start = outer, start_outer
                step *= 2.0
        if direction * z_outer < q:
            ends.append(direction * np.inf)
            continue
        cache = {"start": start}

        def g(b: float, cache=cache, direction=direction) -> float:
            z, rest = signed_root(b, cache["start"])
            cache["start"] = rest
            return z - direction * q

        ends.append(optimize.brentq(g, inner, outer, xtol=1e-13, rtol=1e-14, maxiter=200))
    return float(ends[0]), float(ends[1])


def _local_se(fit_at, beta: np.ndarray, others: np.ndarray, j: int, d_hat: float) -> float:
    h = 1e-3 * (1.0 + abs(beta[j]))
    d_plus, _ = fit_at(beta[j] + h, beta[others])
    curvature = max((d_plus - d_hat) / h**2, 1e-8)  # D(b) ~ D + (b - b̂)² / se²
    return float(1.0 / np.sqrt(curvature))


def profile_intervals(
    x: np.ndarray,
    y: np.ndarray,
    beta: np.ndarray,
    *,
    level: float = 0.95,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Profile-likelihood intervals of every coefficient, shape (p, 2), log-odds scale.

    A coefficient whose constrained fits break down (separated data) gets NaN ends.
    """
    out = np.full((x.shape[1], 2), np.nan)
    for j in range(x.shape[1]):
        try:
            out[j] = profile_interval(x, y, beta, j, level=level, weights=weights)
        except (ConvergenceError, np.linalg.LinAlgError):
            continue
    return out


def _known_rank_glm() -> type:
    import statsmodels.api as sm

    class KnownRankGLM(sm.GLM):
        """statsmodels GLM of a design already checked to have full column rank: its
        ``initialize`` takes the rank from the column count instead of an SVD of the design."""

        def initialize(self) -> None:
            self.df_model = self.exog.shape[1] - 1
            if self.freq_weights is not None and self.freq_weights.shape[0] == self.endog.shape[0]:
                self.wnobs = self.freq_weights.sum()
            else:
                self.wnobs = self.exog.shape[0]
            self.df_resid = self.wnobs - self.df_model - 1

    return KnownRankGLM


def statsmodels_factory(x, y, beta, cov, *, freq=None, var=None, groups=None, iterations=0):
    """A function building statsmodels' GLMResults at the given estimate (no refit: the
    coefficients come from :func:`lbprun.models.profile.logistic_newton`)."""

    def build() -> Any:
        import statsmodels.api as sm
        from statsmodels.genmod.generalized_linear_model import GLMResults, GLMResultsWrapper

        _KnownRankGLM = _known_rank_glm()

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = _KnownRankGLM(
                y, x, family=sm.families.Binomial(), freq_weights=freq, var_weights=var
            )
            model.scale = 1.0
            kwargs: dict[str, Any] = {}
            if groups is not None:
                kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
            res = GLMResults(model, beta, cov, 1.0, **kwargs)
        res.method = "newton"
        res.converged = True
        res.fit_history = {"iteration": iterations}
        return GLMResultsWrapper(res)

    return build


def cluster_cov(x, y, beta, info, groups) -> np.ndarray:
    """Cluster-robust sandwich with statsmodels' default small-sample factor."""
    resid = y - special.expit(x @ beta)
    n_groups = int(groups.max()) + 1
    totals = np.column_stack(
        [np.bincount(groups, weights=col * resid, minlength=n_groups) for col in x.T]
    )
    bread = np.linalg.inv(info)
    n, k = x.shape
    factor = n_groups / (n_groups - 1) * (n - 1) / (n - k)
    return factor * bread @ (totals.T @ totals) @ bread


def fit_ml(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    names: list[str],
    groups: np.ndarray | None = None,
    *,
    max_iter: int = 100,
) -> tuple[np.ndarray, np.ndarray, Any, list[str], ConvergenceCheck]:
    """Maximum-likelihood logistic fit with a separation check and a convergence check.

    Returns the coefficients, their covariance (model-based, or cluster-robust by ``groups``),
    a factory of the statsmodels ``GLMResults`` at the estimate, notes (the last one says how
    convergence was verified) and the :class:`~lbprun.models._convergence.ConvergenceCheck`.
    ``max_iter`` caps the Newton-Raphson iterations of :func:`logistic_newton`; a fit stopped
    early is polished by :func:`verify_logistic` (and its covariance re-derived there).

    Raises
    ------
    lbprun.exceptions.ConvergenceError
        No convergence without separation, even after polishing.

    Warns
    -----
    lbprun.exceptions.SeparationWarning
        (Quasi-)complete separation, found by :func:`separation_terms` when the fit does not
        converge or fitted probabilities reach 0 or 1. The convergence note then says that the
        fit did not converge.
    """
    from lbprun.models._design_matrix import INTERCEPT, separation_terms

    start = np.zeros(x.shape[1])
    if names[0] == INTERCEPT:
        ybar = float(np.clip(np.sum(w * y) / w.sum(), 1e-6, 1 - 1e-6))
        start[0] = np.log(ybar / (1 - ybar))
    fit = logistic_newton(x, y, w, start=start, max_iter=max_iter)
    beta = fit.beta
    mu = special.expit(x @ beta)
    flagged = not fit.converged or bool(np.any((mu < 1e-8) | (mu > 1 - 1e-8)))
    sep = separation_terms(x, y, names) if flagged else None
    notes = []
    if sep:
        note = (
            "complete or quasi-complete separation along "
            f"{', '.join(t for t in sep if t != INTERCEPT) or 'the intercept'}: "
            "ML estimates are infinite and their SEs meaningless; use method='firth'."
        )
        warnings.warn(note, SeparationWarning, stacklevel=3)
        notes.append(note)
    beta, information, check, polished = verify_logistic(
        x, y, w, beta, fit.iterations, polish=not sep
    )
    if not check.converged and not sep:
        raise ConvergenceError(f"the logistic fit did not converge. {check.note}")
    notes.append(check.note)
    if not polished:
        information = fit.information  # that of the last iteration, as R's glm
    iterations = fit.iterations + (check.iterations or 0) * polished
    with np.errstate(all="ignore"):
        cov = np.linalg.pinv(information) if sep else np.linalg.inv(information)
    unscaled = cov
    if groups is not None:
        cov = cluster_cov(x, y, beta, information, groups)
    factory = statsmodels_factory(
        x,
        y,
        beta,
        unscaled,
        freq=None if groups is not None else w,
        groups=groups,
        iterations=iterations,
    )
    return beta, cov, factory, notes, check
