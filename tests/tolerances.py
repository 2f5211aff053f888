"""One table of tolerances for every comparison against reference values.

Values follow what R itself meets against the reference files (see tests/reference/README.md).
"""

#: Closed-form intervals (proportion and Poisson CIs): absolute.
CLOSED_FORM_ABS = 1e-9
#: Iterative fits (GLM, REML, Firth): relative.
ITERATIVE_REL = 1e-6
#: Survey-design estimates and intervals: absolute.
DESIGN_ABS = 1e-6
#: R's interpolated profile bounds (MASS::confint.glm, svyciprop likelihood): relative.
INTERPOLATED_REL = 1e-5
#: Exact roots of profile equations: relative.
PROFILE_ROOT_REL = 1e-8
#: Cohort incidence and Kaplan-Meier: absolute.
COHORT_ABS = 1e-6
