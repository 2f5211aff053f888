"""Epidemiological measures: confidence intervals, prevalence, survey designs, standardisation."""
