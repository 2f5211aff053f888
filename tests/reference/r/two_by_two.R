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
# score intervals: epiR's zRRscore reads the table column-major as (a, c, b, d), so epi.2by2
# reports the score risk ratio of the transposed table; zRRscore(t(flutd)) is Koopman's
# interval of the risk ratio (closed form). zORscore steps the odds ratio by 0.1 % and
# zARscore bisects to about 1e-7: the same statistics solved tightly below.
rr_koopman <- epiR:::zRRscore(t(flutd), 0.95)
or_stat <- function(x1, n1, x2, n2, or) {  # epiR:::zlimit's statistic
  a. <- n2 * (or - 1); b. <- n1 * or + n2 - (x1 + x2) * (or - 1); c. <- -(x1 + x2)
  p2d <- (-b. + sqrt(b.^2 - 4 * a. * c.)) / (2 * a.); p1d <- p2d * or / (1 + p2d * (or - 1))
  (n1 * (x1 / n1 - p1d))^2 * (1 / (n1 * p1d * (1 - p1d)) + 1 / (n2 * p2d * (1 - p2d)))
}
score_tight <- function(x, conf.level = 0.95, tol = 1e-13) {
  a <- x[1, 1]; n1 <- sum(x[1, ]); c <- x[2, 1]; n0 <- sum(x[2, ]); q <- qchisq(conf.level, 1)
  or <- a * x[2, 2] / (x[1, 2] * c); rd <- a / n1 - c / n0
  f <- function(t) or_stat(a, n1, c, n0, exp(t)) - q
  g <- function(delta) epiR:::zz2stat(a / n1, n1, c / n0, n0, delta) - q
  list(or = c(or, exp(uniroot(f, c(log(or) - 5, log(or)), tol = tol)$root),
              exp(uniroot(f, c(log(or), log(or) + 5), tol = tol)$root)),
       rd = c(rd, uniroot(g, c(-1 + 1e-9, rd), tol = tol)$root,
              uniroot(g, c(rd, 1 - 1e-9), tol = tol)$root))
}
tight <- score_tight(flutd)
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
                    paf = unlist(e2$PAFRisk.strata.wald),
                    rr_score_reported = unlist(e2$RR.strata.score),
                    or_score = unlist(e2$OR.strata.score),
                    rd_score = unlist(e2$ARisk.strata.score)),
    score = list(call = "epiR:::zRRscore(t(flutd), 0.95); uniroot on zlimit's and zz2stat's statistics",
                 rr_koopman = rr_koopman, or_tight = tight$or, rd_tight = tight$rd)),
  ucb = list(call = "mantelhaen.test(aperm(UCBAdmissions, c(2, 1, 3)))",
             statistic_yates = unname(mh$statistic), statistic = unname(mh0$statistic),
             estimate = unname(mh$estimate), conf_int = as.vector(mh$conf.int)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/expected/two_by_two.json")
