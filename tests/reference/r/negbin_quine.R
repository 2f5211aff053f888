# Reference values of lbprun.models.rates.fit_rate_model(family = "negbin"):
# MASS::glm.nb on MASS::quine (no offset), on quine with a made-up exposure column
# (offset(log(weeks))) and on counts of infections in survival::cgd0 (offset(log(futime))).
#
# Run from the repository root:  Rscript tests/reference/r/negbin_quine.R
# Writes tests/reference/quine.csv, tests/reference/cgd0_counts.csv and
# tests/reference/expected/negbin_quine.json.
#
# glm.nb's default control stops at a relative change of about 1e-8; every case is refitted
# with glm.control(epsilon = 1e-14, maxit = 100) and the tight fit is the reference. The
# default fit is stored beside it for comparison.

suppressPackageStartupMessages({
  library(MASS)
  library(survival)
})

args <- commandArgs(trailingOnly = FALSE)
script <- normalizePath(sub("^--file=", "", args[grep("^--file=", args)]))
ref_dir <- dirname(dirname(script))

# -- data ----------------------------------------------------------------------------------
quine_data <- MASS::quine
# A deterministic, made-up exposure (weeks enrolled) for the offset case.
quine_data$weeks <- 20 + (seq_len(nrow(quine_data)) %% 7) * 3
write.csv(quine_data, file.path(ref_dir, "quine.csv"), row.names = FALSE)

cgd <- survival::cgd0
cgd_counts <- data.frame(
  id = cgd$id,
  infections = rowSums(!is.na(cgd[paste0("etime", 1:7)])),
  futime = cgd$futime,
  treat = cgd$treat,
  sex = cgd$sex,
  age = cgd$age,
  inherit = cgd$inherit,
  steroids = cgd$steroids,
  propylac = cgd$propylac
)
write.csv(cgd_counts, file.path(ref_dir, "cgd0_counts.csv"), row.names = FALSE)

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
nb_case <- function(formula, data, call) {
  default <- glm.nb(formula, data = data)
  fit <- glm.nb(formula, data = data, control = glm.control(epsilon = 1e-14, maxit = 100))
  co <- coef(summary(fit))
  y <- fit$y
  mu <- fitted(fit)
  th <- fit$theta
  x <- model.matrix(fit)
  # MASS::theta.ml's score and observed information of theta (beta fixed), at the final fit.
  score_theta <- sum(digamma(th + y) - digamma(th) + log(th) + 1 - log(th + mu) -
    (y + th) / (mu + th))
  info_theta <- sum(-trigamma(th + y) + trigamma(th) - 1 / th + 2 / (mu + th) -
    (y + th) / (mu + th)^2)
  score_beta <- colSums(x * (y - mu) / (1 + mu / th))
  loglik <- sum(dnbinom(y, size = th, mu = mu, log = TRUE))
  list(
    call = call,
    n = nrow(x),
    terms = as_array(rownames(co)),
    estimate = as_array(co[, "Estimate"]),
    std_error = as_array(co[, "Std. Error"]),
    theta = th,
    SE_theta = fit$SE.theta,
    SE_theta_at_estimate = 1 / sqrt(info_theta),
    loglik = as.numeric(logLik(fit)),
    loglik_dnbinom = loglik,
    twologlik = fit$twologlik,
    convergence = list(
      converged = fit$converged,
      final_irls_iterations = fit$iter,
      control = "glm.control(epsilon = 1e-14, maxit = 100)",
      max_abs_score_beta = max(abs(score_beta)),
      abs_score_theta = abs(score_theta),
      default_control_max_abs_diff_estimate = max(abs(coef(default) - coef(fit))),
      default_control_abs_diff_theta = abs(default$theta - th)
    ),
    default_control = list(
      estimate = as_array(coef(default)),
      theta = default$theta,
      SE_theta = default$SE.theta,
      final_irls_iterations = default$iter
    )
  )
}

out <- list(
  description = paste(
    "MASS::glm.nb (NB2, log link) with tight control; std_error are summary.negbin's",
    "(expected information of beta with theta fixed), SE_theta is glm.nb's $SE.theta",
    "(observed information of theta with beta fixed, from theta.ml's last Newton step);",
    "SE_theta_at_estimate is the same formula evaluated at the final theta."
  ),
  R_version = R.version.string,
  MASS_version = as.character(packageVersion("MASS")),
  survival_version = as.character(packageVersion("survival")),
  quine = nb_case(Days ~ Eth + Sex + Age + Lrn, quine_data,
    "glm.nb(Days ~ Eth + Sex + Age + Lrn, data = quine, control = glm.control(epsilon = 1e-14, maxit = 100))"),
  quine_offset = nb_case(Days ~ Eth + Sex + Age + Lrn + offset(log(weeks)), quine_data,
    "glm.nb(Days ~ Eth + Sex + Age + Lrn + offset(log(weeks)), data = quine, control = glm.control(epsilon = 1e-14, maxit = 100)); weeks = 20 + (row %% 7) * 3"),
  cgd0 = nb_case(infections ~ treat + age + steroids + offset(log(futime)), cgd_counts,
    "glm.nb(infections ~ treat + age + steroids + offset(log(futime)), data = cgd0_counts, control = glm.control(epsilon = 1e-14, maxit = 100)); infections = number of non-missing etime1..etime7")
)

writeLines(json_value(out, 0), file.path(ref_dir, "expected", "negbin_quine.json"))
