# Weighted Table 1 quantities for tests/reference/runner_survey.csv, with R's survey package:
# within each lbp_12m group (and overall), the design-weighted share of each sex and surface
# category (svymean of the factor) and the weighted mean and SD of age and weekly_km
# (svymean, svyvar), as tableone::svyCreateTableOne reports them.
# Run from the repository root: Rscript tests/reference/r/table_one_survey.R
suppressPackageStartupMessages({library(survey); library(jsonlite)})
d <- read.csv("tests/reference/runner_survey.csv", stringsAsFactors = FALSE)
d$sex <- factor(d$sex)
d$surface <- factor(d$surface)
des <- svydesign(ids = ~club, strata = ~region, weights = ~weight, data = d, nest = TRUE)
describe <- function(design) {
  out <- list()
  for (v in c("sex", "surface")) {
    m <- svymean(as.formula(paste0("~", v)), design)
    out[[v]] <- as.list(setNames(100 * as.numeric(coef(m)), sub(v, "", names(coef(m)))))
  }
  for (v in c("age", "weekly_km")) {
    f <- as.formula(paste0("~", v))
    out[[v]] <- list(mean = as.numeric(coef(svymean(f, design))),
                     sd = sqrt(as.numeric(coef(svyvar(f, design)))))
  }
  out
}
res <- list(
  source = "survey::svymean / svyvar on runner_survey.csv, design ids=~club, strata=~region, weights=~weight, nest=TRUE",
  r_version = R.version.string, survey_version = as.character(packageVersion("survey")),
  Overall = describe(des),
  no = describe(subset(des, lbp_12m == 0)),
  yes = describe(subset(des, lbp_12m == 1))
)
write_json(res, "tests/reference/expected/table_one_survey.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
