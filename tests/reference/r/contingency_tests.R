# Tests of independence in r x c tables; writes tests/reference/expected/contingency_tests.json.
# Pearson and Yates: stats::chisq.test (correct = FALSE / TRUE). Fisher: stats::fisher.test
# (two-sided; r x c by the network algorithm). Likelihood-ratio G = 2 sum O log(O / E) and the
# linear-by-linear M^2 = (N - 1) r^2 (as DescTools::MHChisqTest, coin::lbl_test) by formula.
# Tables: FLUTD (epiR::epi.2by2 help), two small 2 x 2 tables, a 3 x 4 table with and without
# scores, and every factor of Wu et al. 2021 Table 2 (levels x [LBP, no LBP], printed order).
# Run from the repository root: Rscript tests/reference/r/contingency_tests.R
library(jsonlite)
wu <- read.csv("lbprun/data/published/wu2021_table2.csv", check.names = FALSE)
lr_g <- function(x) {
  e <- outer(rowSums(x), colSums(x)) / sum(x)
  2 * sum(ifelse(x > 0, x * log(x / e), 0))
}
lbl <- function(x, u = seq_len(nrow(x)), v = seq_len(ncol(x))) {
  n <- sum(x); rs <- rowSums(x); cs <- colSums(x)
  du <- u - sum(rs * u) / n; dv <- v - sum(cs * v) / n
  r <- sum(x * outer(du, dv)) / sqrt(sum(rs * du^2) * sum(cs * dv^2))
  (n - 1) * r^2
}
one <- function(x, u = seq_len(nrow(x)), v = seq_len(ncol(x))) {
  df <- (nrow(x) - 1) * (ncol(x) - 1)
  pe <- suppressWarnings(chisq.test(x, correct = FALSE))
  out <- list(counts = unname(split(x, row(x))), row_scores = u, col_scores = v,
              pearson = c(unname(pe$statistic), df, pe$p.value),
              likelihood_ratio = c(lr_g(x), df, pchisq(lr_g(x), df, lower.tail = FALSE)),
              linear_by_linear = c(lbl(x, u, v), 1,
                                   pchisq(lbl(x, u, v), 1, lower.tail = FALSE)),
              min_expected = min(pe$expected))
  if (all(dim(x) == 2)) {
    ya <- suppressWarnings(chisq.test(x, correct = TRUE))
    out$yates <- c(unname(ya$statistic), 1, ya$p.value)
  }
  if (min(dim(x)) == 2) out$fisher <- c(NA, NA, fisher.test(x, workspace = 2e8)$p.value)
  out
}
tables <- list(
  flutd = one(matrix(c(13, 2163, 5, 3349), 2, byrow = TRUE)),
  small_2x2 = one(matrix(c(3, 1, 1, 3), 2, byrow = TRUE)),
  sparse_2x2 = one(matrix(c(2, 7, 8, 2), 2, byrow = TRUE)),
  three_by_four = one(matrix(c(10, 8, 4, 7, 12, 6, 3, 9, 14, 5, 2, 11), 3, byrow = TRUE)),
  three_by_four_scored = one(matrix(c(10, 8, 4, 7, 12, 6, 3, 9, 14, 5, 2, 11), 3, byrow = TRUE),
                             u = c(0, 1, 3), v = c(1, 2, 4, 8)),
  two_by_three = one(matrix(c(5, 0, 3, 1, 6, 2), 2, byrow = TRUE))
)
for (f in unique(wu$factor)) {
  g <- wu[wu$factor == f, ]
  tables[[paste0("wu2021: ", f)]] <- one(as.matrix(g[, c("lbp_n", "no_lbp_n")]))
}
out <- list(r_version = R.version.string,
            call = "chisq.test(x, correct = FALSE/TRUE); fisher.test(x, workspace = 2e8)",
            rows = "test: [statistic, df, p_value]", tables = tables)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/expected/contingency_tests.json")
