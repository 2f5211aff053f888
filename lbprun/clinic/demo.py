"""The demonstration clinic model, trained on the bundled example survey.

The model predicts LBP in the past 12 months (``lbp_12m``) from age, sex, previous LBP,
strength training and weekly distance (a restricted cubic spline with 3 knots), fitted by plain
maximum likelihood (statsmodels ``Logit``) on the 2,500 runners of
:func:`lbprun.datasets.load_example_survey`. The survey is simulated and over-samples cases,
so its risks are not those of any real population: the model carries the label
:data:`~lbprun.clinic.model.DEMO_LABEL` and every score made with it shows that label.

``python -m lbprun.clinic.rebuild_demo`` rebuilds ``lbprun/clinic/demo_model.json``; only the creation
time (and hence the checksum) changes between rebuilds.

Examples
--------
>>> model = load_demo_model()
>>> model.design_names
('(Intercept)', 'age', 'sex[M]', 'prior_lbp', 'strength_training', 'weekly_km', "weekly_km'")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lbprun.clinic.model import DEMO_LABEL, RiskModel

__all__ = ["DEMO_MODEL_FILE", "DEMO_PREDICTORS", "build_demo_model", "load_demo_model"]

#: The shipped demonstration model file.
DEMO_MODEL_FILE = Path(__file__).with_name("demo_model.json")
#: Predictors of the demonstration model.
DEMO_PREDICTORS = ("age", "sex", "prior_lbp", "strength_training", "weekly_km")


def build_demo_model() -> RiskModel:
    """Fit the demonstration model on the example survey (deterministic).

    Returns
    -------
    RiskModel
        Outcome ``lbp_12m``; predictors :data:`DEMO_PREDICTORS` (``sex`` against ``F``,
        ``weekly_km`` as a 3-knot restricted cubic spline); default bands; the
        demonstration label.

    Examples
    --------
    >>> model = build_demo_model()
    >>> model.development.n, model.development.events
    (2500, 1084)
    >>> bool(np.allclose(model.coef, load_demo_model().coef, rtol=1e-10, atol=0))
    True
    """
    import statsmodels.api as sm

    from lbprun.datasets import load_example_survey
    from lbprun.models._design_matrix import build_spec

    data = load_example_survey()
    spec = build_spec(
        data, list(DEMO_PREDICTORS), reference_levels={"sex": "F"}, splines={"weekly_km": 3}
    )
    y = data["lbp_12m"].to_numpy(dtype=float)
    fit = sm.Logit(y, spec.transform(data)).fit(method="newton", tol=1e-12, maxiter=100, disp=0)
    return RiskModel.from_design(
        spec,
        np.asarray(fit.params),
        np.asarray(fit.cov_params()),
        data,
        outcome="lbp_12m",
        label=DEMO_LABEL,
    )


def load_demo_model() -> RiskModel:
    """Load the shipped demonstration model (not for clinical use).

    Returns
    -------
    RiskModel
        The model of :func:`build_demo_model`, read from :data:`DEMO_MODEL_FILE` with every
        file check of :func:`lbprun.clinic.load_model`.

    Examples
    --------
    >>> load_demo_model().label
    'demonstration only — not validated for clinical use'
    """
    from lbprun.clinic.model_file import load_model

    return load_model(DEMO_MODEL_FILE)
