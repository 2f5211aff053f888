# Reference values of lbprun.pool_imputations: Rubin's rules with the Barnard-Rubin (1999) df,
# mice::pool on mice::nhanes2 imputed by mice(nhanes2, m = 5, seed = 1).
#
# Run from the repository root:  Rscript tests/reference/r/mice_pool_nhanes2.R
# Writes tests/reference/mice_nhanes2_long.csv (complete(imp, "long"), hyp recoded to 0/1) and
# tests/reference/expected/mice_pool_nhanes2.json.
#
# glm's default control stops at a relative deviance change of 1e-8; every imputed data set is
# refitted with glm.control(epsilon = 1e-14, maxit = 100) and that fit is pooled.

suppressPackageStartupMessages(library(mice))

args <- commandArgs(trailingOnly = FALSE)
script <- normalizePath(sub("^--file=", "", args[grep("^--file=", args)]))
ref_dir <- dirname(dirname(script))

imp <- mice(nhanes2, m = 5, seed = 1, printFlag = FALSE)
long <- complete(imp, "long")
long$hyp <- as.integer(long$hyp == "yes")
long$age <- as.character(long$age)
write.csv(long, file.path(ref_dir, "mice_nhanes2_long.csv"), row.names = FALSE)

# -- minimal JSON writer (no jsonlite needed) --------------------------------------------------
json_value <- function(x, indent) {
  pad <- strrep("  ", indent + 1)
  end <- strrep("  ", indent)
  if (is.list(x)) {
    body <- vapply(x, json_value, "", indent = indent + 1)
    if (!is.null(names(x))) {
      keys <- gsub("\"", "\\\\\"", names(x))
      body <- paste0("\"", keys, "\": ", body)
      return(paste0("{\n", paste0(pad, body, collapse = ",\n"), "\n", end, "}"))
    }
    return(paste0("[", paste(body, collapse = ", "), "]"))
  }
  if (is.character(x)) {
    out <- paste0("\"", gsub("\"", "\\\\\"", gsub("\\\\", "\\\\\\\\", x)), "\"")
  } else if (is.logical(x)) {
    out <- ifelse(x, "true", "false")
  } else {
    out <- formatC(as.numeric(x), digits = 17, format = "g")
    out <- gsub(" ", "", out)
  }
  if (length(x) == 1 && is.null(attr(x, "array"))) out else paste0("[", paste(out, collapse = ", "), "]")
}
as_array <- function(x) {
  x <- unname(x)
  attr(x, "array") <- TRUE
  x
}

# -- one pooled analysis ---------------------------------------------------------------------
pool_case <- function(fit_one, call) {
  fits <- lapply(seq_len(imp$m), function(i) fit_one(long[long$.imp == i, ]))
  default_fits <- lapply(seq_len(imp$m), function(i) {
    fit_one(long[long$.imp == i, ], control = glm.control())
  })
  pooled <- pool(as.mira(fits))
  s <- summary(pooled, conf.int = TRUE, conf.level = 0.95)
  p <- pooled$pooled
  default_est <- pool(as.mira(default_fits))$pooled$estimate
  converged <- vapply(fits, function(f) if (is.null(f$converged)) TRUE else f$converged, TRUE)
  iterations <- vapply(fits, function(f) if (is.null(f$iter)) 0L else as.integer(f$iter), 1L)
  list(
    call = call,
    terms = as_array(as.character(p$term)),
    m = p$m[1],
    estimate = as_array(p$estimate),
    ubar = as_array(p$ubar),
    b = as_array(p$b),
    t = as_array(p$t),
    dfcom = p$dfcom[1],
    df = as_array(p$df),
    riv = as_array(p$riv),
    lambda = as_array(p$lambda),
    fmi = as_array(p$fmi),
    std_error = as_array(s$std.error),
    statistic = as_array(s$statistic),
    p_value = as_array(s$p.value),
    ci_low = as_array(s[["2.5 %"]]),
    ci_high = as_array(s[["97.5 %"]]),
    per_imputation_estimate = lapply(fits, function(f) as_array(coef(f))),
    convergence = list(
      converged = as_array(converged),
      iterations = as_array(iterations),
      control = "glm.control(epsilon = 1e-14, maxit = 100) (lm: closed form)",
      default_control_max_abs_diff_estimate = max(abs(default_est - p$estimate))
    )
  )
}

tight <- glm.control(epsilon = 1e-14, maxit = 100)
out <- list(
  description = paste(
    "mice::pool(as.mira(fits)) and summary(pooled, conf.int = TRUE) on the m = 5 completed",
    "data sets of mice(nhanes2, m = 5, seed = 1, printFlag = FALSE); hyp recoded to 0/1",
    "(yes = 1); dfcom = df.residual of each fit (n - p)."
  ),
  R_version = R.version.string,
  mice_version = as.character(packageVersion("mice")),
  imputation_call = "mice(nhanes2, m = 5, seed = 1, printFlag = FALSE); complete(imp, \"long\")",
  logistic = pool_case(
    function(d, control = tight) glm(hyp ~ bmi + chl, family = binomial, data = d, control = control),
    "pool(with(imp, glm(hyp ~ bmi + chl, family = binomial, control = glm.control(epsilon = 1e-14, maxit = 100))))"
  ),
  linear = pool_case(
    function(d, control = NULL) lm(chl ~ age + bmi, data = d),
    "pool(with(imp, lm(chl ~ age + bmi)))"
  )
)

writeLines(json_value(out, 0), file.path(ref_dir, "expected", "mice_pool_nhanes2.json"))
