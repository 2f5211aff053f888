# Miller (1978), The American Statistician 32(4):138: four proportions (3/11, 6/17, 10/21, 1/6)
# on the Freeman-Tukey double arcsine scale, aggregated by the unweighted and the inverse-variance
# weighted mean and back-transformed with the harmonic mean of the study sizes
# (metafor's analysis page analyses:miller1978). Also equal-effects (method = "EE") fits on
# meta_studies.csv (PLO, PFT, PR), an EE moderator test and an unweighted REML fit.
# Run from tests/reference:  Rscript r/meta_miller1978.R
suppressMessages(library(metafor))
library(jsonlite)
tidy <- function(fit, transf, targs = NULL) {
  pr <- if (is.null(targs)) predict(fit, transf = transf) else predict(fit, transf = transf, targs = targs)
  list(est = unname(fit$beta[1]), se = fit$se[1], ci = c(fit$ci.lb[1], fit$ci.ub[1]),
       tau2 = fit$tau2, q = fit$QE, q_p = fit$QEp, i2 = fit$I2, h2 = fit$H2,
       pooled_proportion = unname(pr$pred), ci_proportion = c(pr$ci.lb, pr$ci.ub),
       pi_proportion = c(pr$pi.lb, pr$pi.ub), weights = unname(weights(fit)))
}
dat <- data.frame(xi = c(3, 6, 10, 1), ni = c(11, 17, 21, 6))
dat <- escalc(measure = "PFT", xi = xi, ni = ni, data = dat)
miller <- list(
  xi = dat$xi, ni = dat$ni, yi = as.numeric(dat$yi), vi = as.numeric(dat$vi),
  harmonic_mean_n = 1 / mean(1 / dat$ni),
  unweighted = tidy(rma(yi, vi, method = "EE", data = dat, weighted = FALSE), transf.ipft.hm,
                    list(ni = dat$ni)),
  weighted = tidy(rma(yi, vi, method = "EE", data = dat), transf.ipft.hm, list(ni = dat$ni)),
  fe_alias = tidy(rma(yi, vi, method = "FE", data = dat), transf.ipft.hm, list(ni = dat$ni))
)
d <- read.csv("meta_studies.csv")
ee <- list()
for (m in c("PLO", "PFT", "PR")) {
  es <- escalc(m, xi = cases, ni = n, data = d)
  tr <- switch(m, PLO = transf.ilogit, PFT = transf.ipft.hm, PR = function(x) x)
  ta <- if (m == "PFT") list(ni = d$n) else NULL
  ee[[m]] <- c(list(measure = m), tidy(rma(yi, vi, method = "EE", data = es), tr, ta))
}
es <- escalc("PLO", xi = cases, ni = n, data = d)
mod <- rma(yi, vi, mods = ~ setting, method = "EE", data = es)
ee_subgroup <- list(coef = unname(mod$beta[, 1]), se = unname(mod$se), qm = mod$QM, qm_p = mod$QMp,
                    qe = mod$QE, qe_p = mod$QEp)
unw <- rma(yi, vi, method = "REML", data = es, weighted = FALSE, control = list(threshold = 1e-14))
out <- list(
  source = "Miller JJ (1978). The inverse of the Freeman-Tukey double arcsine transformation. The American Statistician 32(4):138. doi:10.1080/00031305.1978.10479283",
  published = list(
    note = "Miller's values on page 138, as reproduced by metafor (analyses:miller1978 and tests/testthat/test_analysis_example_miller1978.r); Miller's transform is twice escalc's PFT",
    ft_times_2 = c(1.1391, 1.2888, 1.5253, 0.9515), var_times_4 = c(0.0870, 0.0571, 0.0465, 0.1538),
    unweighted_mean_times_2 = 1.2262, unweighted_proportion = 0.3164,
    weighted_mean_times_2 = 1.3093, weighted_proportion = 0.3595
  ),
  call = "escalc('PFT'); rma(yi, vi, method = 'EE', weighted = FALSE / TRUE); predict(transf = transf.ipft.hm, targs = list(ni))",
  r_version = R.version.string, metafor = as.character(packageVersion("metafor")),
  miller = miller, ee_meta_studies = ee, ee_subgroup_plo = ee_subgroup,
  reml_unweighted_plo = tidy(unw, transf.ilogit)
)
write(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "expected/meta_miller1978.json")
