# Kaplan-Meier quantiles (median, quartiles) with confidence intervals on survival::veteran.
# Writes tests/reference/expected/km_veteran.json and the data to tests/reference/veteran.csv.
# Run from the repository root: Rscript tests/reference/r/km_veteran.R
library(survival)

num <- function(x) {
  ifelse(is.na(x), "null", sprintf("%.17g", x))
}
arr <- function(x) paste0("[", paste(num(as.vector(x)), collapse = ", "), "]")
str_arr <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")

veteran <- survival::veteran
write.csv(veteran[, c("trt", "time", "status")], "tests/reference/veteran.csv",
          row.names = FALSE)

probs <- c(0.25, 0.5, 0.75)
blocks <- character(0)
for (conf_type in c("log", "log-log", "plain")) {
  # overall
  fit <- survfit(Surv(time, status) ~ 1, data = veteran, conf.type = conf_type)
  q <- quantile(fit, probs = probs)
  overall <- sprintf('{"group": "all", "estimate": %s, "lower": %s, "upper": %s}',
                     arr(q$quantile), arr(q$lower), arr(q$upper))
  # by treatment (rows are strata, columns probabilities)
  fit_trt <- survfit(Surv(time, status) ~ trt, data = veteran, conf.type = conf_type)
  qt <- quantile(fit_trt, probs = probs)
  by_trt <- vapply(seq_len(nrow(qt$quantile)), function(i) {
    sprintf('{"group": "%s", "estimate": %s, "lower": %s, "upper": %s}',
            sub("trt=", "", rownames(qt$quantile)[i]),
            arr(qt$quantile[i, ]), arr(qt$lower[i, ]), arr(qt$upper[i, ]))
  }, character(1))
  med <- summary(fit)$table[c("median", "0.95LCL", "0.95UCL")]
  blocks <- c(blocks, sprintf(
    '"%s": {"overall": %s, "by_trt": [%s], "print_median": %s}',
    conf_type, overall, paste(by_trt, collapse = ", "), arr(med)))
}

json <- paste0(
  "{\n",
  '"r_call": "quantile(survfit(Surv(time, status) ~ 1 (and ~ trt), data = veteran, ',
  'conf.type = conf_type), probs = c(0.25, 0.5, 0.75))",\n',
  '"r_version": "', R.version.string, '",\n',
  '"survival_version": "', as.character(packageVersion("survival")), '",\n',
  '"probs": ', arr(probs), ",\n",
  paste(blocks, collapse = ",\n"), "\n}\n")
writeLines(json, "tests/reference/expected/km_veteran.json")
