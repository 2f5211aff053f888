# Multistage designs and design df after missing values; writes
# tests/reference/expected/survey_multistage.json and the two data sets it uses,
# tests/reference/survey_multistage_apiclus2.csv and survey_multistage_apiclus1.csv
# (survey's data(api): California API samples, a two-stage and a one-stage cluster sample).
# Run from the repository root: Rscript tests/reference/r/survey_multistage.R
suppressMessages(library(survey)); library(jsonlite)
options(survey.lonely.psu = "fail")
data(api)
keep2 <- c("dnum", "snum", "fpc1", "fpc2", "pw", "stype", "api00", "enroll", "sch.wide")
clus2 <- apiclus2[, keep2]
names(clus2)[names(clus2) == "sch.wide"] <- "sch_wide"
clus2$sch_wide <- as.character(clus2$sch_wide)
clus2$stype <- as.character(clus2$stype)
clus2$yes <- as.numeric(clus2$sch_wide == "Yes")
write.csv(clus2, "tests/reference/survey_multistage_apiclus2.csv", row.names = FALSE)

# apiclus1 with the outcome missing in every school of districts 61 and 716 and in 5 more rows
clus1 <- apiclus1[, c("dnum", "snum", "fpc", "pw", "meals", "api00")]
clus1$high <- as.numeric(clus1$api00 > 700)
clus1$high[clus1$dnum %in% c(61, 716)] <- NA
clus1$high[c(3, 20, 40, 90, 150)] <- NA
clus1$api00 <- NULL
write.csv(clus1, "tests/reference/survey_multistage_apiclus1.csv", row.names = FALSE)

dclus2 <- svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = clus2)
stat <- function(x) list(estimate = unname(coef(x)), se = as.numeric(SE(x)))
ciprop <- function(method, design) {
  p <- svyciprop(~yes, design, method = method)
  list(estimate = as.numeric(p), se = unname(sqrt(attr(p, "var")[1])),
       ci = unname(as.vector(confint(p))), df = degf(design))
}
glm_out <- function(m) {
  s <- coef(summary(m)); df <- m$df.residual
  q <- qt(0.975, df)
  list(coef = unname(s[, 1]), se = unname(s[, 2]), df_residual = df,
       ci_low = unname(s[, 1] - q * s[, 2]), ci_high = unname(s[, 1] + q * s[, 2]),
       n = nrow(model.frame(m)), psu_with_rows = length(unique(m$survey.design$cluster[, 1])))
}
# glm's IRLS returns the working weights of its last iteration, evaluated before the last
# update: svyglm's SEs are then about 1e-8 relative off those at the returned coefficients. The
# converged SEs are kept beside them: the same svyrecvar on the same (row-dropped) design, with
# the bread evaluated at the fitted means.
converged <- function(m) {
  x <- model.matrix(m); mu <- fitted(m); w <- m$prior.weights
  ainv <- solve(crossprod(x * sqrt(w * mu * (1 - mu))))
  d <- m$survey.design
  v <- svyrecvar((x * w * (m$y - mu)) %*% ainv, d$cluster, d$strata, d$fpc)
  se <- sqrt(diag(v)); q <- qt(0.975, m$df.residual)
  list(se = unname(se), ci_low = unname(coef(m) - q * se), ci_high = unname(coef(m) + q * se))
}
m2 <- svyglm(yes ~ enroll, design = dclus2, family = quasibinomial())
by_type <- svyby(~yes, ~stype, dclus2, svyciprop, method = "logit", vartype = c("se", "ci"))

dclus1 <- svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = clus1)
m1 <- svyglm(high ~ meals, design = dclus1, family = quasibinomial())
observed1 <- subset(dclus1, !is.na(high))
p1 <- svyciprop(~high, observed1, method = "logit")

out <- list(
  r_version = R.version.string,
  packages = list(survey = as.character(packageVersion("survey"))),
  apiclus2 = list(
    design = "svydesign(id = ~dnum + snum, fpc = ~fpc1 + fpc2, data = apiclus2)",
    degf = degf(dclus2),
    weights = unname(weights(dclus2)),
    mean_api00 = stat(svymean(~api00, dclus2)),
    total_api00 = stat(svytotal(~api00, dclus2)),
    total_yes = stat(svytotal(~yes, dclus2)),
    ciprop = list(call = "svyciprop(~yes, dclus2, method = m)",
                  logit = ciprop("logit", dclus2), mean = ciprop("mean", dclus2),
                  beta = ciprop("beta", dclus2)),
    by_stype = list(call = "svyby(~yes, ~stype, dclus2, svyciprop, method = 'logit')",
                    stype = as.character(by_type$stype), estimate = unname(by_type$yes),
                    se = unname(SE(by_type)),
                    ci_low = unname(by_type$ci_l), ci_high = unname(by_type$ci_u),
                    df = unname(sapply(by_type$stype, function(s)
                      degf(subset(dclus2, stype == s))))),
    svyglm = c(list(call = paste("svyglm(yes ~ enroll, dclus2, family = quasibinomial());",
                                 "CI: coef +- qt(0.975, df.residual) * SE")), glm_out(m2)),
    svyglm_converged = converged(m2)
  ),
  apiclus1 = list(
    design = paste("svydesign(id = ~dnum, weights = ~pw, fpc = ~fpc, data = apiclus1);",
                   "high = api00 > 700, NA in districts 61 and 716 and rows 3, 20, 40, 90, 150"),
    degf = degf(dclus1),
    svyglm = c(list(call = "svyglm(high ~ meals, dclus1, family = quasibinomial())"),
               glm_out(m1)),
    svyglm_converged = converged(m1),
    ciprop_observed = list(call = "svyciprop(~high, subset(dclus1, !is.na(high)), method = 'logit')",
                           estimate = as.numeric(p1), se = unname(sqrt(attr(p1, "var")[1])),
                           ci = unname(as.vector(confint(p1))), df = degf(observed1))
  )
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/expected/survey_multistage.json")
