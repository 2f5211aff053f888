"""Minimum sample size to develop a risk model of a binary outcome (Riley et al. 2020).

Examples
--------
>>> result = riley_sample_size(parameters=24, prevalence=0.174, r2_cs=0.288)
>>> result.to_frame()["sample_size"].tolist()
[623, 662, 221, 662]
>>> result.minimum
662
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lbprun._checks import ArgumentError
from lbprun._result import Result
from lbprun.exceptions import SparseDataWarning

__all__ = ["SampleSizeResult", "check_sample_size", "max_r2_cs", "riley_sample_size"]

_CRITERIA = (
    "1: shrinkage",
    "2: optimism in Nagelkerke R2",
    "3: precise overall risk",
    "final",
)


def max_r2_cs(prevalence: float) -> float:
    """Largest Cox–Snell :math:`R^2` of a binary outcome with this prevalence.

    :math:`\\max R^2_{CS} = 1 - \\{\\phi^\\phi (1-\\phi)^{1-\\phi}\\}^2` (Riley et al. 2020, eq. 4).

    >>> round(max_r2_cs(0.174), 4)
    0.6032
    """
    phi = float(prevalence)
    ln_null = phi * math.log(phi) + (1.0 - phi) * math.log1p(-phi)
    return 1.0 - math.exp(2.0 * ln_null)


def _shrinkage_n(parameters: int, r2_cs: float, shrinkage: float) -> int:
    return math.ceil(parameters / ((shrinkage - 1.0) * math.log(1.0 - r2_cs / shrinkage)))


def _number(value: Any, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"{name} must be a number in ({low:g}, {high:g}); got {value!r}."
        ) from None
    if isinstance(value, bool) or not (low < number < high):
        raise ArgumentError(f"{name} must be in ({low:g}, {high:g}); got {value!r}.")
    return number


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class SampleSizeResult(Result):
    """Result of :func:`riley_sample_size` (and of :func:`check_sample_size`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per criterion and a ``final`` row, with columns ``criterion, sample_size,
        shrinkage, parameters, r2_cs, max_r2_cs, events, events_per_parameter`` (as the
        ``results_table`` of R ``pmsampsize``; events are not rounded).
    minimum : int
        The minimum sample size, the largest of the three criteria.
    prevalence : float
        The anticipated outcome proportion.
    parameters : int
        Candidate predictor parameters of the model.
    r2_cs : float
        The anticipated Cox-Snell R2.
    n_available : int or None
        The development data's size (from :func:`check_sample_size`).
    events_available : int or None
        The development data's events (from :func:`check_sample_size`).
    sufficient : bool or None
        Whether ``n_available`` reaches ``minimum``.
    notes : tuple of str
        A note when ``n_available`` falls short of ``minimum`` (also warned).
    """

    minimum: int = 0
    prevalence: float = float("nan")
    parameters: int = 0
    r2_cs: float = float("nan")
    n_available: int | None = None
    events_available: int | None = None
    sufficient: bool | None = field(default=None)

    def _title(self) -> str:
        return "Minimum sample size for a binary-outcome risk model (Riley et al. 2020)"

    def _sections(self) -> list[str]:
        lines = [
            f"Minimum: {self.minimum} participants, {self.minimum * self.prevalence:.1f} "
            f"events (prevalence {self.prevalence:.3g})."
        ]
        if self.n_available is not None:
            verdict = "meets" if self.sufficient else "falls short of"
            lines.append(
                f"Available: {self.n_available} participants with {self.events_available} "
                f"events, which {verdict} the minimum."
            )
        return lines


def riley_sample_size(
    *,
    parameters: int,
    prevalence: float,
    r2_cs: float,
    shrinkage: float = 0.9,
    delta: float = 0.05,
    margin: float = 0.05,
) -> SampleSizeResult:
    """Minimum sample size to develop a logistic risk model, by Riley et al.'s criteria.

    Parameters
    ----------
    parameters : int
        Number of candidate predictor parameters (design columns, intercept excluded).
    prevalence : float
        Anticipated outcome proportion, in (0, 1).
    r2_cs : float
        Anticipated Cox–Snell :math:`R^2` of the model (an adjusted value, not an apparent one).
    shrinkage : float, default=0.9
        Target expected uniform shrinkage factor (criterion 1).
    delta : float, default=0.05
        Largest accepted optimism in Nagelkerke's :math:`R^2` (criterion 2).
    margin : float, default=0.05
        Largest accepted margin of error of the overall risk at 95% (criterion 3).

    Returns
    -------
    SampleSizeResult
        The criteria table and the ``minimum``.

    Raises
    ------
    lbprun._checks.ArgumentError
        Values out of range, or ``r2_cs`` above the largest Cox–Snell :math:`R^2` possible at
        this prevalence.

    Notes
    -----
    With :math:`p` parameters, :math:`S` the shrinkage and :math:`\\phi` the prevalence:

    1. :math:`n_1 = p / \\{(S - 1) \\ln(1 - R^2_{CS}/S)\\}`;
    2. the same with :math:`S_2 = R^2_{CS} / (R^2_{CS} + \\delta \\max R^2_{CS})`;
    3. :math:`n_3 = (1.96 / \\text{margin})^2 \\phi (1 - \\phi)`;

    each rounded up; the minimum is the largest. Computed as R ``pmsampsize`` (version 1.1.1
    and later, which no longer rounds :math:`\\max R^2_{CS}` and :math:`S_2`); validated against
    its binary-outcome example (24 parameters, prevalence 0.174, :math:`R^2_{CS}` 0.288: 623,
    662 and 221 participants).

    References
    ----------
    Riley RD, Ensor J, Snell KIE, et al. Calculating the sample size required for developing a
    clinical prediction model. BMJ 2020;368:m441.

    Examples
    --------
    >>> riley_sample_size(parameters=24, prevalence=0.25, r2_cs=0.288).minimum
    623
    """
    if isinstance(parameters, bool) or not isinstance(parameters, int | np.integer):
        raise ArgumentError(f"parameters must be a positive integer; got {parameters!r}.")
    if parameters < 1:
        raise ArgumentError(f"parameters must be a positive integer; got {parameters!r}.")
    prevalence = _number(prevalence, "prevalence", 0.0, 1.0)
    r2_cs = _number(r2_cs, "r2_cs", 0.0, 1.0)
    shrinkage = _number(shrinkage, "shrinkage", 0.0, 1.0)
    delta = _number(delta, "delta", 0.0, 1.0)
    margin = _number(margin, "margin", 0.0, 1.0)
    largest = max_r2_cs(prevalence)
    if r2_cs >= largest:
        raise ArgumentError(
            f"r2_cs must be below the largest Cox-Snell R2 at prevalence {prevalence:g} "
            f"({largest:.4f}); got {r2_cs!r}."
        )
    if r2_cs >= shrinkage:
        raise ArgumentError(f"r2_cs must be below shrinkage ({shrinkage:g}); got {r2_cs!r}.")
    n1 = _shrinkage_n(int(parameters), r2_cs, shrinkage)
    s2 = r2_cs / (r2_cs + delta * largest)
    n2 = _shrinkage_n(int(parameters), r2_cs, s2)
    n3 = math.ceil((1.96 / margin) ** 2 * prevalence * (1.0 - prevalence))
    final = max(n1, n2, n3)
    s_final = max(s2, shrinkage)
    sizes = [n1, n2, n3, final]
    table = pd.DataFrame(
        {
            "criterion": list(_CRITERIA),
            "sample_size": sizes,
            "shrinkage": [shrinkage, s2, s_final, s_final],
            "parameters": int(parameters),
            "r2_cs": r2_cs,
            "max_r2_cs": largest,
            "events": [n * prevalence for n in sizes],
            "events_per_parameter": [n * prevalence / parameters for n in sizes],
        }
    )
    return SampleSizeResult(
        table=table,
        minimum=int(final),
        prevalence=prevalence,
        parameters=int(parameters),
        r2_cs=r2_cs,
    )


def check_sample_size(
    n: int, events: int, parameters: int, r2_cs: float, *, shrinkage: float = 0.9
) -> SampleSizeResult:
    """Compare development data with Riley et al.'s minimum sample size, and warn if short.

    The anticipated prevalence is the observed ``events / n``.

    Parameters
    ----------
    n, events : int
        Participants and events used in the fit.
    parameters : int
        Number of predictor parameters (intercept excluded).
    r2_cs : float
        Anticipated Cox–Snell :math:`R^2`.
    shrinkage : float, default=0.9
        Target shrinkage (criterion 1).

    Returns
    -------
    SampleSizeResult
        As :func:`riley_sample_size`, with ``n_available``, ``events_available``,
        ``sufficient`` and a note when the data fall short.

    Warns
    -----
    lbprun.exceptions.SparseDataWarning
        ``n`` is below the minimum sample size.

    Examples
    --------
    >>> check_sample_size(2494, 600, 10, 0.08).sufficient
    True
    """
    result = riley_sample_size(
        parameters=parameters, prevalence=events / n, r2_cs=r2_cs, shrinkage=shrinkage
    )
    sufficient = n >= result.minimum
    notes: tuple[str, ...] = ()
    if not sufficient:
        note = (
            f"{n} participants ({events} events) are fewer than the {result.minimum} that "
            f"Riley et al.'s criteria ask for {parameters} parameters at Cox-Snell R2 "
            f"{r2_cs:.3f}: expect overfitting; consider fewer parameters or penalty='firth'."
        )
        warnings.warn(note, SparseDataWarning, stacklevel=2)
        notes = (note,)
    return SampleSizeResult(
        table=result.table,
        notes=notes,
        minimum=result.minimum,
        prevalence=result.prevalence,
        parameters=result.parameters,
        r2_cs=result.r2_cs,
        n_available=int(n),
        events_available=int(events),
        sufficient=bool(sufficient),
    )
