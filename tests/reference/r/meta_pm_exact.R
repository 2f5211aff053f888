# Paule-Mandel fits on meta_studies.csv with the estimating equation solved to 1e-15.
# metafor's default uniroot tolerance for PM is .Machine$double.eps^0.25 (about 1.2e-4), which
# leaves tau2 off by up to 3e-3 relative in expected/meta_prevalence.json; this file stores
# the same fits with control = list(tol = 1e-15).
# Run from tests/reference:  Rscript r/meta_pm_exact.R
suppressMessages(library(metafor))
library(jsonlite)
d <- read.csv("meta_studies.csv")
fits <- list()
for (m in c("PLO", "PFT", "PR")) {
  es <- escalc(m, xi = cases, ni = n, data = d)
  fit <- rma(yi, vi, data = es, method = "PM", control = list(tol = 1e-15, threshold = 1e-14))
  # the equation is solved: Q(tau2) - (k - 1) is zero to rounding
  w <- 1 / (es$vi + fit$tau2)
  mu <- sum(w * es$yi) / sum(w)
  stopifnot(abs(sum(w * (es$yi - mu)^2) - (fit$k - 1)) < 1e-9)
  fits[[length(fits) + 1]] <- list(
    measure = m, method = "PM", est = fit$beta[1], se = fit$se, ci = c(fit$ci.lb, fit$ci.ub),
    tau2 = fit$tau2, i2 = fit$I2, h2 = fit$H2, q = fit$QE, q_p = fit$QEp
  )
}
out <- list(
  data = "meta_studies.csv",
  call = "escalc(measure, xi = cases, ni = n); rma(yi, vi, method = 'PM', control = list(tol = 1e-15, threshold = 1e-14))",
  r_version = R.version.string, metafor = as.character(packageVersion("metafor")),
  fits = fits
)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "expected/meta_pm_exact.json")
