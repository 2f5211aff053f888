"""Risk-factor models: logistic regression with odds-ratio tables, Firth, survey-weighted fits,
profile-likelihood intervals, restricted cubic splines, calibration, repeated measures and
multiple imputation."""
