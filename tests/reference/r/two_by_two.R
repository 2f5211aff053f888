# 2x2 table analyses on published tables; writes tests/reference/expected/two_by_two.json.
# FLUTD: dry cat food and feline lower urinary tract disease, epiR::epi.2by2 help (Willeberg 1977).
# UCBAdmissions: R datasets (Bickel et al. 1975), exposure male, outcome admitted, strata Dept.
# Run from the repository root: Rscript tests/reference/r/two_by_two.R
library(epiR); library(epitools); library(jsonlite)
flutd <- matrix(c(13, 2163, 5, 3349), 2, byrow = TRUE)  # [[a, b], [c, d]]
ft <- fisher.test(flutd)
# the same equations solved tightly (fisher.test and oddsratio.midp use uniroot's default tol)
midp_tight <- function(x, conf.level = 0.95, tol = 1e-13) {
  midp <- function(or) {
    0.5 * (fisher.test(x, or = or, alternative = "l")$p.value -
           fisher.test(x, or = or, alternative = "g")$p.value + 1)
  }
  a <- 1 - conf.level
  c(uniroot(function(or) midp(or) - 0.5, c(1e-3, 1e3), tol = tol)$root,
    uniroot(function(or) 1 - midp(or) - a / 2, c(1e-3, 1e3), tol = tol)$root,
    uniroot(function(or) midp(or) - a / 2, c(1e-3, 1e3), tol = tol)$root)
}
# epitools layout: rows unexposed / exposed, columns non-case / case
midp <- oddsratio.midp(matrix(c(3349, 5, 2163, 13), 2, byrow = TRUE))$measure[2, ]
e2 <- epi.2by2(as.table(flutd), method = "cohort.count")$massoc.detail
ucb <- aperm(UCBAdmissions, c(2, 1, 3))  # Gender x Admit x Dept: [[a, b], [c, d]]
mh <- mantelhaen.test(ucb); mh0 <- mantelhaen.test(ucb, correct = FALSE)
out <- list(
  r_version = R.version.string,
  packages = list(epiR = as.character(packageVersion("epiR")),
                  epitools = as.character(packageVersion("epitools"))),
  flutd = list(
    fisher = list(call = "fisher.test(matrix(c(13, 2163, 5, 3349), 2, byrow = TRUE))",
                  estimate = unname(ft$estimate), conf_int = as.vector(ft$conf.int),
                  p_value = ft$p.value),
    chisq_yates = unname(chisq.test(flutd)$statistic),
    chisq = unname(chisq.test(flutd, correct = FALSE)$statistic),
    midp = list(call = "epitools::oddsratio.midp", estimate = unname(midp),
                tight = midp_tight(flutd)),
    epi_2by2 = list(call = "epiR::epi.2by2(flutd, method = 'cohort.count')",
                    rr_wald = unlist(e2$RR.strata.wald), or_wald = unlist(e2$OR.strata.wald),
                    rd_wald = unlist(e2$ARisk.strata.wald), afe = unlist(e2$AFRisk.strata.wald),
                    paf = unlist(e2$PAFRisk.strata.wald))),
  ucb = list(call = "mantelhaen.test(aperm(UCBAdmissions, c(2, 1, 3)))",
             statistic_yates = unname(mh$statistic), statistic = unname(mh0$statistic),
             estimate = unname(mh$estimate), conf_int = as.vector(mh$conf.int)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/expected/two_by_two.json")
