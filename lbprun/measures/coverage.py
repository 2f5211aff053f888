"""Exact coverage of lbprun's proportion and rate intervals, by enumeration.

Coverage at a true value is the probability, under the binomial or Poisson distribution, that
the interval contains it: a sum over every possible count, so it is exact and deterministic
(no simulation error), as in Brown, Cai & DasGupta (2001). Used by the test suite and by
``analyses/coverage_table.py`` (``docs/coverage.md``).

Examples
--------
>>> import numpy as np
>>> float(binomial_coverage("exact", 20, np.array([0.1]))[0]) >= 0.95
True
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from lbprun.measures.intervals import proportion_ci_arrays, rate_ci_arrays

__all__ = ["binomial_coverage", "poisson_coverage"]


def binomial_coverage(method: str, n: int, p: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Return the exact coverage of a proportion interval at each true proportion.

    Parameters
    ----------
    method : str
        A method of :func:`~lbprun.measures.intervals.proportion_ci`.
    n : int
        Number of trials.
    p : array_like of float
        True proportions in [0, 1].
    level : float, default=0.95
        Nominal confidence level.

    Returns
    -------
    numpy.ndarray
        Coverage probability at each ``p``.
    """
    x = np.arange(n + 1)
    _, low, high = proportion_ci_arrays(x, n, method=method, level=level)
    p = np.atleast_1d(p)
    pmf = stats.binom.pmf(x[None, :], n, p[:, None])
    covers = (low[None, :] <= p[:, None]) & (p[:, None] <= high[None, :])
    return (pmf * covers).sum(axis=1)


def poisson_coverage(method: str, mu: np.ndarray, level: float = 0.95) -> np.ndarray:
    """Return the exact coverage of a rate interval at each true mean count.

    Parameters
    ----------
    method : str
        A method of :func:`~lbprun.measures.intervals.rate_ci`.
    mu : array_like of float
        True expected counts (person-time 1); the tail beyond probability 1e-12 is ignored.
    level : float, default=0.95
        Nominal confidence level.

    Returns
    -------
    numpy.ndarray
        Coverage probability at each ``mu``.
    """
    mu = np.atleast_1d(mu)
    x = np.arange(int(stats.poisson.ppf(1 - 1e-12, mu.max())) + 1)
    _, low, high = rate_ci_arrays(x, 1.0, per=1, method=method, level=level)
    pmf = stats.poisson.pmf(x[None, :], mu[:, None])
    covers = (low[None, :] <= mu[:, None]) & (mu[:, None] <= high[None, :])
    return (pmf * covers).sum(axis=1)
