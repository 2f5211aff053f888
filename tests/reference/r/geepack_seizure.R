# Reference values of lbprun.models.gee.fit_gee(family = "poisson", exposure = ...):
# geepack::geeglm on geepack::seizure in long form (baseline 8-week count and four 2-week
# counts per patient; offset log(weeks)), exchangeable, AR(1) and a fixed working correlation.
#
# Run from the repository root:  Rscript tests/reference/r/geepack_seizure.R
# Writes tests/reference/seizure_long.csv and tests/reference/expected/geepack_seizure.json.
#
# geese's default control stops at a coefficient change of 1e-4; every case is refitted with
# geese.control(epsilon = 1e-12, maxit = 100) and the tight fit is the reference.

suppressPackageStartupMessages(library(geepack))

args <- commandArgs(trailingOnly = FALSE)
script <- normalizePath(sub("^--file=", "", args[grep("^--file=", args)]))
ref_dir <- dirname(dirname(script))

data(seizure, package = "geepack")
n <- nrow(seizure)
d <- data.frame(id = rep(seq_len(n), each = 5), period = rep(0:4, n))
d$seizures <- as.vector(t(as.matrix(seizure[, c("base", "y1", "y2", "y3", "y4")])))
d$weeks <- ifelse(d$period == 0, 8, 2)
d$post <- as.integer(d$period > 0)
d$trt <- rep(seizure$trt, each = 5)
d$post_trt <- d$post * d$trt
d$age <- rep(seizure$age, each = 5)
write.csv(d, file.path(ref_dir, "seizure_long.csv"), row.names = FALSE)

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

# -- one case --------------------------------------------------------------------------------
fixed_matrix <- toeplitz(c(1, 0.6, 0.5, 0.4, 0.3))
formula <- seizures ~ post + trt + post_trt + age
tight <- geese.control(epsilon = 1e-12, maxit = 100)

gee_case <- function(corstr, call) {
  extra <- if (corstr == "fixed") {
    list(zcor = fixed2Zcor(fixed_matrix, id = d$id, waves = d$period + 1), waves = d$period + 1)
  } else {
    list()
  }
  fit_with <- function(control) {
    do.call(geeglm, c(list(formula, id = d$id, data = d, family = poisson,
      offset = log(d$weeks), corstr = corstr, control = control), extra))
  }
  fit <- fit_with(tight)
  default <- fit_with(geese.control())
  co <- summary(fit)$coefficients
  drop_null <- function(x) Filter(Negate(is.null), x)
  out <- list(
    call = call,
    terms = as_array(rownames(co)),
    estimate = as_array(co[, "Estimate"]),
    robust_std_error = as_array(co[, "Std.err"]),
    alpha = if (corstr == "fixed") NULL else unname(fit$geese$alpha),
    scale = unname(fit$geese$gamma),
    vbeta = as_array(as.vector(fit$geese$vbeta)),
    convergence = list(
      error = fit$geese$error,
      control = "geese.control(epsilon = 1e-12, maxit = 100)",
      default_control_max_abs_diff_estimate = max(abs(coef(default) - coef(fit))),
      default_control_abs_diff_alpha = if (corstr == "fixed") NULL else
        abs(unname(default$geese$alpha - fit$geese$alpha))
    )
  )
  out$convergence <- drop_null(out$convergence)
  drop_null(out)
}

out <- list(
  description = paste(
    "geepack::geeglm(seizures ~ post + trt + post_trt + age, id = id, family = poisson,",
    "offset = log(weeks)) on geepack::seizure in long form; robust_std_error is the",
    "sandwich (std.err = 'san.se'); alpha and scale are geese's correlation and scale",
    "estimates; vbeta is the robust covariance (column-major). error = 0 means converged."
  ),
  R_version = R.version.string,
  geepack_version = as.character(packageVersion("geepack")),
  fixed_matrix = as_array(as.vector(fixed_matrix)),
  exchangeable = gee_case("exchangeable",
    "geeglm(seizures ~ post + trt + post_trt + age, id = id, data = d, family = poisson, offset = log(weeks), corstr = \"exchangeable\", control = geese.control(epsilon = 1e-12, maxit = 100))"),
  ar1 = gee_case("ar1",
    "geeglm(seizures ~ post + trt + post_trt + age, id = id, data = d, family = poisson, offset = log(weeks), corstr = \"ar1\", control = geese.control(epsilon = 1e-12, maxit = 100))"),
  fixed = gee_case("fixed",
    "geeglm(seizures ~ post + trt + post_trt + age, id = id, data = d, family = poisson, offset = log(weeks), corstr = \"fixed\", zcor = fixed2Zcor(toeplitz(c(1, 0.6, 0.5, 0.4, 0.3)), id = d$id, waves = d$period + 1), waves = d$period + 1, control = geese.control(epsilon = 1e-12, maxit = 100))")
)

writeLines(json_value(out, 0), file.path(ref_dir, "expected", "geepack_seizure.json"))
