"""Meta-analysis of proportions, matching R's metafor.

* :func:`prevalence_effect_sizes`: study-level logit, Freeman–Tukey or raw proportions
  (metafor ``escalc`` ``"PLO"``, ``"PFT"``, ``"PR"``).
* :func:`pool_prevalence`: random-effects pooling (DL, REML, PM, ML; Knapp–Hartung), the
  equal-effects model (EE), weighted or unweighted, or the random-intercept logistic model
  (GLMM, with rma.glmm's Wald and likelihood-ratio heterogeneity tests and subgroup
  moderator test), with prediction intervals, heterogeneity, subgroups, leave-one-out and
  forest / funnel plots, in a :class:`PrevalenceMetaResult`.

Examples
--------
>>> import pandas as pd
>>> from lbprun.meta import pool_prevalence
>>> d = pd.DataFrame({"study": list("abc"), "cases": [4, 10, 9], "n": [40, 60, 120]})
>>> round(pool_prevalence(d, method="REML").estimate, 4)
0.1098
"""

from lbprun.meta._results import PrevalenceMetaResult
from lbprun.meta.effect_sizes import prevalence_effect_sizes
from lbprun.meta.pooling import FreemanTukeyWarning, pool_prevalence

__all__ = [
    "FreemanTukeyWarning",
    "PrevalenceMetaResult",
    "pool_prevalence",
    "prevalence_effect_sizes",
]
