# Mid-p exact rate ratios: epitools::rateratio.midp and rate2by2.test, and the same equations
# solved tightly (epitools' uniroot stops at about 1e-4).
# Data: Rothman (1998), Modern Epidemiology 2nd ed., p. 238 (breast cancer after
# tuberculosis fluoroscopy: 41 cases in 28,010 person-years exposed, 15 in 19,017 unexposed),
# the example of epitools' rateratio help page; plus small and zero counts.
# Run from the repository root: Rscript tests/reference/r/rateratio_midp.R
library(epitools)
cases <- list(
  rothman = c(x1 = 41, t1 = 28010, x0 = 15, t0 = 19017),
  small = c(x1 = 3, t1 = 120.5, x0 = 7, t0 = 210.25),
  zero_exposed = c(x1 = 0, t1 = 150, x0 = 6, t0 = 140),
  zero_reference = c(x1 = 5, t1 = 80, x0 = 0, t0 = 95)
)
tight <- function(x1, t1, x0, t0, level = 0.95) {
  alpha <- 1 - level
  n <- x1 + x0
  mid <- function(p, lower.tail, offset) dbinom(x1, n, p) / 2 +
    pbinom(x1 - lower.tail, n, p, lower.tail = lower.tail) + offset
  solve <- function(offset, lower.tail) {
    if (lower.tail && !(mid(1, lower.tail, offset) < 0)) return(1)
    if (!lower.tail && !(mid(0, lower.tail, offset) < 0)) return(0)
    uniroot(mid, c(0, 1), lower.tail = lower.tail, offset = offset, tol = 1e-15)$root
  }
  to_rr <- function(p) p / (1 - p) * t0 / t1
  c(lower = to_rr(solve(-alpha / 2, FALSE)), upper = to_rr(solve(-alpha / 2, TRUE)))
}
num <- function(v) if (is.finite(v)) sprintf("%.17g", v) else if (v > 0) "\"Infinity\"" else "null"
out <- c()
for (name in names(cases)) {
  v <- cases[[name]]
  tab <- matrix(c(v[["x0"]], v[["x1"]], v[["t0"]], v[["t1"]]), 2, 2)
  r <- rateratio.midp(tab)
  p <- rate2by2.test(tab)$p.value[2, "midp.exact"]
  tt <- tight(v[["x1"]], v[["t1"]], v[["x0"]], v[["t0"]])
  out <- c(out, sprintf(paste0(
    '  "%s": {"x1": %s, "t1": %s, "x0": %s, "t0": %s, "epitools_lower": %s, ',
    '"epitools_upper": %s, "epitools_median_unbiased": %s, "tight_lower": %s, ',
    '"tight_upper": %s, "midp_p_value": %s}'),
    name, num(v[["x1"]]), num(v[["t1"]]), num(v[["x0"]]), num(v[["t0"]]),
    num(r$measure[2, "lower"]), num(r$measure[2, "upper"]), num(r$measure[2, "estimate"]),
    num(tt[["lower"]]), num(tt[["upper"]]), num(p)))
}
header <- sprintf('  "_r": "%s; epitools %s; rateratio.midp(matrix(c(x0, x1, t0, t1), 2, 2)), rate2by2.test()$p.value[2, \\"midp.exact\\"]",',
                  R.version.string, packageVersion("epitools"))
writeLines(c("{", header, paste(out, collapse = ",\n"), "}"),
           "tests/reference/expected/rateratio_midp.json")
