"""Reports and exported tables: small-cell suppression first, so nothing small leaves lbprun.

:func:`~lbprun.reporting.suppression.suppress_counts` hides counts below a threshold (11 by
default) and every entry from which one could be derived, checked exactly by linear programming.
"""

from lbprun.reporting.suppression import SuppressedTable, derived_mask, suppress_counts

__all__ = ["SuppressedTable", "derived_mask", "suppress_counts"]
