# Reference numbers from R's survey package (Lumley) for tests/analysis/test_vs_r_*.py.
#
# Usage (from the repository root):
#   Rscript tests/analysis/r/reference.R [designs_dir] [out_dir]
# Defaults: designs_dir = tests/analysis/r/designs, out_dir = tests/analysis/r.
# For every designs_dir/<name>.csv it writes out_dir/expected_<name>.json.
#
# Only base R + survey: the JSON is written by hand (jsonlite is not installed on Debian's r-base-core),
# with every number printed by sprintf("%.17g") so that it round-trips to the same double in Python.
#
# Missing values are treated as domain estimation: svymean(na.rm = TRUE) for means, and
# subset(design, !is.na(top2)) for proportions.  Subsetting a survey.design2 keeps the stratum sample sizes n_h
# of the full design for the variance (fpc and centring), so the subset is a domain, and degf() / nrow() used by
# svyciprop's t- and Korn-Graubard intervals count the respondents who answered.
# Chi-square tests are the plain call svychisq(~row + col, des, statistic = "F") on the full design (issue 5):
# svychisq drops rows with a missing value from the table but takes its denominator degrees of freedom from
# the full design (#PSUs - #strata, rows with a missing answer included).

suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")

script_dir <- local({
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg[1]))) else getwd()
})
args <- commandArgs(trailingOnly = TRUE)
designs_dir <- if (length(args) >= 1) args[1] else file.path(script_dir, "designs")
out_dir <- if (length(args) >= 2) args[2] else script_dir

# ---- minimal JSON writer ------------------------------------------------------------------------------------

json_string <- function(s) {
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("\"", "\\\\\"", s)
  s <- gsub("\n", "\\\\n", s)
  paste0("\"", s, "\"")
}

to_json <- function(x, indent = 0) {
  pad <- strrep("  ", indent)
  pad_in <- strrep("  ", indent + 1)
  if (is.null(x)) return("null")
  if (is.list(x)) {
    if (!length(x)) return(if (is.null(names(x))) "[]" else "{}")
    items <- vapply(x, to_json, character(1), indent = indent + 1)
    if (is.null(names(x))) {
      return(paste0("[\n", paste0(pad_in, items, collapse = ",\n"), "\n", pad, "]"))
    }
    keys <- vapply(names(x), json_string, character(1))
    return(paste0("{\n", paste0(pad_in, keys, ": ", items, collapse = ",\n"), "\n", pad, "}"))
  }
  stopifnot(length(x) == 1)
  if (is.factor(x)) x <- as.character(x)
  if (is.character(x)) return(json_string(x))
  if (is.logical(x)) return(if (is.na(x)) "null" else if (x) "true" else "false")
  if (is.na(x) || is.infinite(x)) return("null")
  if (is.integer(x)) return(as.character(x))
  sprintf("%.17g", x)
}

# ---- helpers ------------------------------------------------------------------------------------------------

# One row per domain: by-values, estimate, se, ci_low, ci_high, n (respondents with a non-missing answer).
rows_from_svyby <- function(b, by_vars, ci, n) {
  lapply(seq_len(nrow(b)), function(i) {
    keys <- lapply(by_vars, function(v) as.character(b[[v]][i]))
    names(keys) <- by_vars
    c(keys, list(
      estimate = unname(coef(b)[i]),
      se = unname(SE(b)[i]),
      ci_low = unname(ci[i, 1]),
      ci_high = unname(ci[i, 2]),
      n = unname(n[i])
    ))
  })
}

count_answers <- function(d, column, by_vars, b) {
  key <- do.call(paste, c(lapply(by_vars, function(v) d[[v]]), sep = "\r"))
  counts <- tapply(!is.na(d[[column]]), key, sum)
  wanted <- do.call(paste, c(lapply(by_vars, function(v) as.character(b[[v]])), sep = "\r"))
  as.integer(counts[wanted])
}

mean_block <- function(design, d, ci_level, code) {
  m <- svymean(~y, design, na.rm = TRUE)
  ci <- confint(m, level = ci_level)
  list(r_code = code, rows = list(list(
    estimate = unname(coef(m)[1]), se = unname(SE(m)[1]),
    ci_low = ci[1, 1], ci_high = ci[1, 2], n = sum(!is.na(d$y))
  )))
}

mean_by_block <- function(design, d, by_vars, code) {
  b <- svyby(make.formula("y") , make.formula(by_vars), design, svymean, na.rm = TRUE)
  list(r_code = code, rows = rows_from_svyby(b, by_vars, confint(b), count_answers(d, "y", by_vars, b)))
}

prop_block <- function(design_answered, d, method, level, code, formula = ~I(top2 == 1)) {
  p <- svyciprop(formula, design_answered, method = method, level = level)
  ci <- attr(p, "ci")
  list(r_code = code, rows = list(list(
    estimate = unname(coef(p)[1]), se = unname(SE(p)[1]),
    ci_low = unname(ci[1]), ci_high = unname(ci[2]), n = sum(!is.na(d$top2))
  )))
}

prop_by_block <- function(design_answered, d, method, code) {
  b <- svyby(~I(top2 == 1), ~region, design_answered, svyciprop, vartype = c("se", "ci"), method = method)
  ci <- cbind(b$ci_l, b$ci_u)
  list(r_code = code, rows = rows_from_svyby(b, "region", ci, count_answers(d, "top2", "region", b)))
}

chisq_block <- function(test, code) {
  list(
    r_code = code,
    statistic = unname(test$statistic),
    ndf = unname(test$parameter[1]),
    ddf = unname(test$parameter[2]),
    p_value = unname(test$p.value)
  )
}

# ---- one design ---------------------------------------------------------------------------------------------

reference_for <- function(path) {
  d <- read.csv(path, stringsAsFactors = FALSE)
  des <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N_h, data = d)
  des_nofpc <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = d)
  answered <- subset(des, !is.na(top2))
  answered_nofpc <- subset(des_nofpc, !is.na(top2))

  # Sanity: for means, na.rm = TRUE is the same domain estimate as subsetting to the answered rows.
  m_na <- svymean(~y, des, na.rm = TRUE)
  m_sub <- svymean(~y, subset(des, !is.na(y)))
  stopifnot(isTRUE(all.equal(c(coef(m_na), SE(m_na)), c(coef(m_sub), SE(m_sub)), tolerance = 1e-12)))

  list(
    design = sub("\\.csv$", "", basename(path)),
    r_version = R.version.string,
    survey_version = as.character(packageVersion("survey")),
    r_setup = paste(
      'options(survey.lonely.psu = "adjust")',
      "d <- read.csv(path, stringsAsFactors = FALSE)",
      "des <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N_h, data = d)",
      "des_nofpc <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = d)",
      "answered <- subset(des, !is.na(top2))",
      "answered_nofpc <- subset(des_nofpc, !is.na(top2))",
      sep = "\n"
    ),
    mean = list(
      overall = mean_block(des, d, 0.95,
        "m <- svymean(~y, des, na.rm = TRUE); coef(m); SE(m); confint(m)"),
      overall_90 = mean_block(des, d, 0.90,
        "m <- svymean(~y, des, na.rm = TRUE); confint(m, level = 0.90)"),
      overall_nofpc = mean_block(des_nofpc, d, 0.95,
        "m <- svymean(~y, des_nofpc, na.rm = TRUE); coef(m); SE(m); confint(m)"),
      by_region = mean_by_block(des, d, "region",
        "b <- svyby(~y, ~region, des, svymean, na.rm = TRUE); coef(b); SE(b); confint(b)"),
      by_region_nofpc = mean_by_block(des_nofpc, d, "region",
        "b <- svyby(~y, ~region, des_nofpc, svymean, na.rm = TRUE); coef(b); SE(b); confint(b)"),
      by_region_ctype = mean_by_block(des, d, c("region", "ctype"),
        "b <- svyby(~y, ~region + ctype, des, svymean, na.rm = TRUE); coef(b); SE(b); confint(b)")
    ),
    proportion = list(
      logit = prop_block(answered, d, "logit", 0.95,
        'p <- svyciprop(~I(top2 == 1), answered, method = "logit"); coef(p); SE(p); attr(p, "ci")'),
      beta = prop_block(answered, d, "beta", 0.95,
        'p <- svyciprop(~I(top2 == 1), answered, method = "beta"); coef(p); SE(p); attr(p, "ci")'),
      logit_90 = prop_block(answered, d, "logit", 0.90,
        'p <- svyciprop(~I(top2 == 1), answered, method = "logit", level = 0.90); attr(p, "ci")'),
      beta_90 = prop_block(answered, d, "beta", 0.90,
        'p <- svyciprop(~I(top2 == 1), answered, method = "beta", level = 0.90); attr(p, "ci")'),
      logit_level0 = prop_block(answered, d, "logit", 0.95,
        'p <- svyciprop(~I(top2 == 0), answered, method = "logit"); coef(p); SE(p); attr(p, "ci")',
        formula = ~I(top2 == 0)),
      logit_nofpc = prop_block(answered_nofpc, d, "logit", 0.95,
        'p <- svyciprop(~I(top2 == 1), answered_nofpc, method = "logit"); coef(p); SE(p); attr(p, "ci")'),
      logit_by_region = prop_by_block(answered, d, "logit", paste0(
        "b <- svyby(~I(top2 == 1), ~region, answered, svyciprop, vartype = c(\"se\", \"ci\"), ",
        "method = \"logit\"); coef(b); SE(b); b$ci_l; b$ci_u")),
      beta_by_region = prop_by_block(answered, d, "beta", paste0(
        "b <- svyby(~I(top2 == 1), ~region, answered, svyciprop, vartype = c(\"se\", \"ci\"), ",
        "method = \"beta\"); coef(b); SE(b); b$ci_l; b$ci_u"))
    ),
    chisq = list(
      region_channel = chisq_block(svychisq(~region + channel, des, statistic = "F"),
        'svychisq(~region + channel, des, statistic = "F")'),
      region_channel_nofpc = chisq_block(svychisq(~region + channel, des_nofpc, statistic = "F"),
        'svychisq(~region + channel, des_nofpc, statistic = "F")'),
      region_top2 = chisq_block(svychisq(~region + top2, des, statistic = "F"),
        'svychisq(~region + top2, des, statistic = "F")'),
      ctype_top2 = chisq_block(svychisq(~ctype + top2, des, statistic = "F"),
        'svychisq(~ctype + top2, des, statistic = "F")')
    )
  )
}

dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
for (path in sort(list.files(designs_dir, pattern = "\\.csv$", full.names = TRUE))) {
  name <- sub("\\.csv$", "", basename(path))
  out <- file.path(out_dir, paste0("expected_", name, ".json"))
  writeLines(to_json(reference_for(path)), out, useBytes = TRUE)
  cat("wrote", out, "\n")
}
