# Random-intercept logistic meta-analysis of proportions (metafor::rma.glmm, measure = "PLO")
# on meta_studies.csv: adaptive Gauss-Hermite quadrature with nAGQ = 7 (the rma.glmm default)
# and the Laplace approximation (nAGQ = 1), with lme4's convergence checked first and the
# optimiser tightened.
# Run from tests/reference:  Rscript r/meta_glmm.R
suppressMessages(library(metafor))
suppressMessages(library(lme4))
library(jsonlite)
d <- read.csv("meta_studies.csv")
d$study <- factor(d$study)
fits <- list()
for (q in c(7L, 1L)) {
  ctrl <- glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhobeg = 0.2, rhoend = 1e-12),
                       check.conv.grad = .makeCC("stop", tol = 1e-5))
  g <- glmer(cbind(cases, n - cases) ~ 1 + (1 | study), data = d, family = binomial, nAGQ = q,
             control = ctrl)
  conv <- g@optinfo$conv$lme4
  stopifnot(length(conv$messages) == 0)
  fit <- rma.glmm(measure = "PLO", xi = cases, ni = n, data = d, nAGQ = q,
                  control = list(optimizer = "bobyqa",
                                 optCtrl = list(maxfun = 1e5, rhobeg = 0.2, rhoend = 1e-12)))
  pr <- predict(fit, transf = transf.ilogit)
  fits[[length(fits) + 1]] <- list(
    nAGQ = q, est = fit$beta[1], se = fit$se, ci = c(fit$ci.lb, fit$ci.ub),
    tau2 = fit$tau2, i2 = fit$I2, h2 = fit$H2, loglik = as.numeric(logLik(g)),
    glmer_est = unname(fixef(g)[1]), glmer_tau2 = unname(VarCorr(g)$study[1]),
    glmer_se = sqrt(vcov(g)[1, 1]),
    pooled_proportion = pr$pred, ci_proportion = c(pr$ci.lb, pr$ci.ub),
    pi_proportion = c(pr$pi.lb, pr$pi.ub),
    qe_wald = fit$QE.Wld, qe_lrt = fit$QE.LRT
  )
}
out <- list(
  data = "meta_studies.csv",
  call = "rma.glmm(measure = 'PLO', xi = cases, ni = n, nAGQ, control = list(optimizer = 'bobyqa', rhoend = 1e-12)); glmer(cbind(cases, n - cases) ~ 1 + (1 | study), binomial, nAGQ)",
  r_version = R.version.string, metafor = as.character(packageVersion("metafor")),
  lme4 = as.character(packageVersion("lme4")),
  fits = fits
)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "expected/meta_glmm.json")
