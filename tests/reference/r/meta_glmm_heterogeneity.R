# Heterogeneity and subgroup analyses of the random-intercept logistic model
# (metafor::rma.glmm, measure = "PLO", nAGQ = 7) on meta_studies.csv: tau2, I2, H2, the Wald-type
# and likelihood-ratio tests for heterogeneity (QE.Wld, QE.LRT), one fit per setting, and the
# mixed-effects logistic model with setting as moderator (QM). lme4's glmer is fitted to the same
# models first and its convergence checked (no lme4 convergence messages, gradient below 1e-5).
# A second table adds a study with no cases and one with no non-cases.
# Run from tests/reference:  Rscript r/meta_glmm_heterogeneity.R
suppressMessages(library(metafor))
suppressMessages(library(lme4))
library(jsonlite)
ctrl_rma <- list(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhobeg = 0.2, rhoend = 1e-12))
check_glmer <- function(formula, data) {
  g <- glmer(formula, data = data, family = binomial, nAGQ = 7,
             control = glmerControl(optimizer = "bobyqa",
                                    optCtrl = list(maxfun = 1e5, rhobeg = 0.2, rhoend = 1e-12),
                                    check.conv.grad = .makeCC("stop", tol = 1e-5)))
  stopifnot(length(g@optinfo$conv$lme4$messages) == 0)
  list(glmer_beta = unname(fixef(g)), glmer_tau2 = unname(VarCorr(g)$study[1]),
       glmer_se = unname(sqrt(diag(as.matrix(vcov(g))))))
}
tidy <- function(fit) {
  out <- list(k = fit$k, beta = unname(fit$beta[, 1]), se = unname(fit$se),
              ci_lb = unname(fit$ci.lb), ci_ub = unname(fit$ci.ub), tau2 = fit$tau2,
              i2 = fit$I2, h2 = fit$H2, qe_df = fit$k - fit$p,
              qe_wald = fit$QE.Wld, qe_wald_p = fit$QEp.Wld,
              qe_lrt = fit$QE.LRT, qe_lrt_p = fit$QEp.LRT)
  if (fit$p > 1) out <- c(out, list(qm = fit$QM, qm_df = fit$m, qm_p = fit$QMp))
  if (fit$p == 1) {
    pr <- predict(fit, transf = transf.ilogit)
    out <- c(out, list(pooled_proportion = pr$pred, ci_proportion = c(pr$ci.lb, pr$ci.ub),
                       pi_proportion = c(pr$pi.lb, pr$pi.ub)))
  }
  out
}
fits_for <- function(d) {
  d$study <- factor(d$study)
  res <- list()
  res$overall <- c(tidy(rma.glmm(measure = "PLO", xi = cases, ni = n, data = d, nAGQ = 7,
                                 control = ctrl_rma)),
                   check_glmer(cbind(cases, n - cases) ~ 1 + (1 | study), d))
  for (s in sort(unique(d$setting))) {
    part <- d[d$setting == s, ]
    res[[s]] <- c(tidy(rma.glmm(measure = "PLO", xi = cases, ni = n, data = part, nAGQ = 7,
                                control = ctrl_rma)),
                  check_glmer(cbind(cases, n - cases) ~ 1 + (1 | study), part))
  }
  res$moderator <- c(tidy(rma.glmm(measure = "PLO", xi = cases, ni = n, mods = ~ setting,
                                   data = d, nAGQ = 7, control = ctrl_rma)),
                     check_glmer(cbind(cases, n - cases) ~ setting + (1 | study), d))
  res
}
d <- read.csv("meta_studies.csv")
z <- d
z$cases[z$study == "S09"] <- 0
z$cases[z$study == "S17"] <- z$n[z$study == "S17"]
out <- list(
  data = "meta_studies.csv; zero_cells: the same with S09 cases = 0 and S17 cases = n",
  call = "rma.glmm(measure = 'PLO', xi = cases, ni = n, [mods = ~ setting,] nAGQ = 7, control = list(optimizer = 'bobyqa', rhoend = 1e-12)); glmer(cbind(cases, n - cases) ~ [setting +] (1 | study), binomial, nAGQ = 7)",
  r_version = R.version.string, metafor = as.character(packageVersion("metafor")),
  lme4 = as.character(packageVersion("lme4")),
  meta_studies = fits_for(d),
  zero_cells = fits_for(z)
)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "expected/meta_glmm_heterogeneity.json")
