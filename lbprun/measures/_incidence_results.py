"""Result objects of :mod:`lbprun.measures.incidence` (risks, rates and rate ratios).

Examples
--------
>>> import pandas as pd
>>> from lbprun.measures.incidence import cumulative_incidence
>>> cohort = pd.DataFrame({"start_date": "2025-01-01", "end_date": "2025-03-31",
...                        "lbp_onset_date": ["2025-02-01", None]})
>>> isinstance(cumulative_incidence(cohort), IncidenceResult)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pandas as pd

from lbprun._result import Result, render_table

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["IncidenceRateResult", "IncidenceResult"]


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class IncidenceResult(Result):
    """Cumulative incidence (risk) of a first LBP onset: an overall row and one per group.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``by, group, n, events, estimate, ci_low, ci_high, method, level``; the overall
        row has ``by == group == "all"``; ``estimate = events / n``.
    notes : tuple of str
        Runners left out of the group rows (missing group) and other remarks.
    onset : str
        The onset column.
    by : tuple of str
        Grouping columns (crossed), empty for none.
    method : str
        Binomial interval method (see :func:`lbprun.measures.intervals.proportion_ci`).
    level : float
        Confidence level.
    """

    _proportions: ClassVar[bool] = True

    onset: str
    by: tuple[str, ...] = ()
    method: str
    level: float

    def _title(self) -> str:
        return f"Cumulative incidence of {self.onset} during follow-up"

    def plot(self, ax: Axes | None = None) -> Axes:
        """Plot each group's risk and interval; see :func:`lbprun.plots.survival.plot_estimates`.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from lbprun.plots.survival import plot_estimates

        return plot_estimates(self, ax=ax)


@dataclass(frozen=True, kw_only=True, eq=False, repr=False)
class IncidenceRateResult(Result):
    """Incidence rates per exposure and rate ratios between groups.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``by, group, n, events, person_time, exposure, estimate, ci_low, ci_high,
        method, level, per``: ``person_time`` is in the unit named by ``exposure`` ("hours",
        "km" or "days") and ``estimate`` is events per ``per`` units (NaN when there is no
        exposure).
    rate_ratios : pandas.DataFrame
        One row per non-reference group: ``by, group, reference, events, person_time,
        reference_events, reference_person_time, estimate, ci_low, ci_high, p_value, method,
        level`` with ``estimate = rate(group) / rate(reference)``. Empty without ``by``.
    per_runner : pandas.DataFrame
        ``runner_id, group, events, person_time`` for every cohort runner (left out of
        :meth:`to_dict`).
    notes : tuple of str
        Ignored runs, zero exposure, undefined ratios.
    exposure : str
        ``"hours"``, ``"km"`` or ``"days"``.
    per : float
        Rate multiplier.
    by : tuple of str
        Grouping columns (crossed), empty for none.
    method, ratio_method : str
        Interval methods of the rates and of the rate ratios.
    level : float
        Confidence level.
    recurrent : bool
        Whether every episode counted (``episodes=``) or only the first onset.
    reference : str or None
        Reference group of the rate ratios.
    """

    rate_ratios: pd.DataFrame
    per_runner: pd.DataFrame
    exposure: str
    per: float
    by: tuple[str, ...] = ()
    method: str
    ratio_method: str
    level: float
    recurrent: bool = False
    reference: str | None = None
    _private_fields: tuple[str, ...] = ("per_runner",)

    def _title(self) -> str:
        events = "LBP episodes" if self.recurrent else "first LBP onsets"
        return f"Incidence rate of {events} per {self.per:g} {self.exposure} at risk"

    def _sections(self) -> list[str]:
        if self.rate_ratios.empty:
            return []
        return [f"Rate ratios ({self.ratio_method}):", render_table(self.rate_ratios)]

    def plot(self, ax: Axes | None = None) -> Axes:
        """Plot each group's rate and interval; see :func:`lbprun.plots.survival.plot_estimates`.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            The Axes to draw on; a new figure's Axes when None.

        Returns
        -------
        matplotlib.axes.Axes
            The Axes drawn on.
        """
        from lbprun.plots.survival import plot_estimates

        return plot_estimates(self, ax=ax)


# Cumulative incidence
