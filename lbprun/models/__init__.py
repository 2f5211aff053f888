"""Risk-factor models: logistic regression with odds-ratio tables, Firth, survey-weighted fits,
profile-likelihood intervals, restricted cubic splines, calibration, repeated measures, rate
models and multiple imputation.

Modules: ``risk_factors`` (:func:`fit_risk_factors`; its result class lives in
``_risk_result``), ``calibration`` (``val_prob``), ``panel`` (the runner x week at-risk table),
``gee`` (``fit_gee`` and its risk-factor layout ``fit_repeated``), ``rates`` (Poisson and
negative-binomial rate models), ``chained`` (the chained-equations imputation engine),
``rubin`` (Rubin's rules) and ``imputation`` (``fit_with_imputation``); ``_tables`` holds the
coefficient-table functions they share.
"""
