# Reference numbers (v2) from R's survey package (Lumley): pairwise comparisons of domain means, multiplicity
# adjustment, filtered (domain) estimates, svyciprop on degenerate domains, post-stratification, Rao-Scott.
#
# Usage (from the repository root):
#   Rscript tests/analysis/r/reference_v2.R [designs_dir] [out_dir]
# Defaults: designs_dir = tests/analysis/r/designs_v2, out_dir = tests/analysis/r.
# For every design designs_dir/<name>.csv (except poststrat_totals.csv) it writes out_dir/expected_v2_<name>.json.
#
# Same conventions as reference.R: base R + survey only, a hand-written JSON writer, numbers as sprintf("%.17g"),
# options(survey.lonely.psu = "adjust"), des <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N_h).
# Every number is stored next to the R code that produced it.  Warnings R raised are recorded (never muffled
# silently), errors are recorded as a string and the numbers as null; NA / NaN / Inf are written as null.
#
# Order of domains: the sorted labels (LC_COLLATE = "C", which is also svyby's factor order for these labels).
# Pairs: (a, b) with a < b, a in the outer loop: (L1, L2), (L1, L3), ..., (L2, L3), ...; the estimate is a - b.

suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "adjust")
invisible(Sys.setlocale("LC_COLLATE", "C"))

script_dir <- local({
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  if (length(file_arg)) dirname(normalizePath(sub("^--file=", "", file_arg[1]))) else getwd()
})
args <- commandArgs(trailingOnly = TRUE)
designs_dir <- if (length(args) >= 1) args[1] else file.path(script_dir, "designs_v2")
out_dir <- if (length(args) >= 2) args[2] else script_dir

ITEMS <- c("y1", "y2", "y3")

# ---- minimal JSON writer (as in reference.R; character vectors of length != 1 must be passed as lists) -------

json_string <- function(s) {
  s <- gsub("\\\\", "\\\\\\\\", s)
  s <- gsub("\"", "\\\\\"", s)
  s <- gsub("\n", "\\\\n", s)
  s <- gsub("\t", "\\\\t", s)
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
  if (is.character(x)) return(if (is.na(x)) "null" else json_string(x))
  if (is.logical(x)) return(if (is.na(x)) "null" else if (x) "true" else "false")
  if (is.na(x) || is.infinite(x)) return("null")
  if (is.integer(x)) return(as.character(x))
  sprintf("%.17g", x)
}

num <- function(x) if (is.null(x) || !length(x)) NA_real_ else unname(as.numeric(x)[1])

# Evaluate expr; collect its warnings (message strings) and an error message instead of stopping.
capture <- function(expr) {
  warnings <- character(0)
  value <- withCallingHandlers(
    tryCatch(expr, error = function(e) structure(list(message = conditionMessage(e)), class = "captured_error")),
    warning = function(w) {
      warnings <<- c(warnings, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  failed <- inherits(value, "captured_error")
  list(value = if (failed) NULL else value, warnings = as.list(unique(warnings)),
       error = if (failed) value$message else NULL)
}

# ---- blocks -------------------------------------------------------------------------------------------------

# Rows of the design that are in it (a subset drops rows; a calibrated design keeps them with weight 0).
in_design <- function(design) design$variables[weights(design, "sampling") > 0 & is.finite(design$prob), , drop = FALSE]

# Number of respondents with a non-missing `item` per domain of `by` (in the design's rows).
answers_by <- function(design, item, by, labels) {
  v <- in_design(design)
  counts <- tapply(!is.na(v[[item]]), factor(v[[by]], levels = labels), sum)
  as.integer(ifelse(is.na(counts), 0L, counts))
}

# Domain means per `by`: svyby(~item, ~by, design, svymean, na.rm = TRUE) gives estimate and SE; the covariance
# matrix of the domain estimates (for svycontrast) comes from the same call with covmat = TRUE on
# subset(design, !is.na(item)), because survey 4.1.1's svyby fails with na.rm = TRUE and covmat = TRUE together
# ("number of items to replace is not a multiple of replacement length") when rows have a missing item.
# On a post-stratified design svyby(covmat = TRUE) fails with that error even without missing values (a calibrated
# subset keeps its rows with weight 0); there (vcov_via = "svyglm") the covariance matrix comes from
# svyglm(item ~ 0 + by, subset(design, !is.na(item))), whose coefficients are the domain means.  (On the
# uncalibrated designs the svyglm covariance equals svyby's covmat to ~1e-15.)
# The estimates and SEs of the covariance source are checked against the na.rm = TRUE call (1e-12).
by_mean <- function(design, item, by, design_name, formula_text = item, vcov_via = "svyby") {
  formula <- as.formula(paste0("~", formula_text))
  by_formula <- as.formula(paste0("~", by))
  answered_item <- eval(bquote(subset(design, !is.na(.(as.name(item))))))
  code <- sprintf("b_na <- svyby(~%s, ~%s, %s, svymean, na.rm = TRUE); coef(b_na); SE(b_na); confint(b_na)\n",
                  formula_text, by, design_name)
  if (vcov_via == "svyby") {
    code <- paste0(code, sprintf("b <- svyby(~%s, ~%s, subset(%s, !is.na(%s)), svymean, covmat = TRUE); vcov(b)",
                                 formula_text, by, design_name, item))
    cap <- capture(svyby(formula, by_formula, answered_item, svymean, covmat = TRUE))
  } else {
    code <- paste0(code, sprintf("b <- svyglm(%s ~ 0 + %s, subset(%s, !is.na(%s))); vcov(b)",
                                 formula_text, by, design_name, item))
    cap <- capture(svyglm(as.formula(paste(formula_text, "~ 0 +", by)), answered_item))
  }
  cap_na <- capture(svyby(formula, by_formula, design, svymean, na.rm = TRUE))
  if (is.null(cap_na$value)) stop(sprintf("%s on %s failed: %s", code, design_name, cap_na$error))
  if (is.null(cap$value)) stop(sprintf("%s on %s failed: %s", code, design_name, cap$error))
  b_na <- cap_na$value
  b <- cap$value
  stopifnot(isTRUE(all.equal(unname(c(coef(b), SE(b))), unname(c(coef(b_na), SE(b_na))), tolerance = 1e-12)))
  labels <- as.character(b_na[[by]])
  ci <- confint(b_na)
  n <- answers_by(design, item, by, labels)
  rows <- lapply(seq_along(labels), function(i) {
    row <- list(labels[i])
    names(row) <- by
    c(row, list(estimate = num(coef(b)[i]), se = num(SE(b)[i]), ci_low = num(ci[i, 1]), ci_high = num(ci[i, 2]),
                n = n[i]))
  })
  V <- vcov(b)
  list(r_code = code, by = by, vcov_via = vcov_via, labels = as.list(labels), rows = rows,
       vcov = lapply(seq_len(nrow(V)), function(i) as.list(unname(V[i, ]))),
       warnings = as.list(unique(unlist(c(cap_na$warnings, cap$warnings)))), object = b)
}

strip <- function(block) { block$object <- NULL; block }

overall_mean <- function(design, item, design_name, formula_text = item) {
  code <- sprintf("m <- svymean(~%s, %s, na.rm = TRUE); coef(m); SE(m); confint(m)", formula_text, design_name)
  cap <- capture(svymean(as.formula(paste0("~", formula_text)), design, na.rm = TRUE))
  m <- cap$value
  ci <- confint(m)
  list(r_code = code, estimate = num(coef(m)), se = num(SE(m)), ci_low = num(ci[1, 1]), ci_high = num(ci[1, 2]),
       n = sum(!is.na(in_design(design)[[item]])), warnings = cap$warnings)
}

# All pairwise differences a - b (a < b) of the domain estimates of an svyby(covmat = TRUE) result.
pairwise <- function(block, df) {
  b <- block$object
  labels <- unlist(block$labels)
  k <- length(labels)
  est_names <- names(coef(b))
  rows <- list()
  if (k >= 2) for (i in seq_len(k - 1)) for (j in (i + 1):k) {
    cvec <- numeric(k)
    cvec[i] <- 1
    cvec[j] <- -1
    names(cvec) <- est_names
    cap <- capture(svycontrast(b, cvec))
    est <- num(coef(cap$value))
    se <- num(SE(cap$value))
    stat <- est / se
    rows[[length(rows) + 1]] <- list(
      a = labels[i], b = labels[j], estimate = est, se = se, t = stat,
      t_nonfinite = if (is.finite(stat)) NULL else if (is.nan(stat) || is.na(stat)) "NaN" else if (stat > 0) "Inf" else "-Inf",
      p_t = 2 * pt(-abs(stat), df = df), p_normal = 2 * pnorm(-abs(stat)),
      warnings = cap$warnings
    )
  }
  list(
    r_code = paste0(block$r_code, "\n",
                    "cvec <- numeric(length(coef(b))); names(cvec) <- names(coef(b)); cvec[a] <- 1; cvec[b] <- -1\n",
                    "con <- svycontrast(b, cvec); est <- coef(con); se <- SE(con); t <- est / se\n",
                    "p_t <- 2 * pt(-abs(t), df = df); p_normal <- 2 * pnorm(-abs(t))"),
    df = df, rows = rows
  )
}

# svyciprop on one (sub)design; successes = answered respondents with value 1.
ciprop_row <- function(design, formula, method, column, binary = TRUE) {
  cap <- capture(svyciprop(formula, design, method = method))
  p <- cap$value
  v <- in_design(design)
  ci <- if (is.null(p)) c(NA, NA) else attr(p, "ci")
  list(estimate = if (is.null(p)) NA_real_ else num(coef(p)), se = if (is.null(p)) NA_real_ else num(SE(p)),
       ci_low = num(ci[1]), ci_high = num(ci[2]),
       n = sum(!is.na(v[[column]])), successes = if (binary) sum(v[[column]] == 1, na.rm = TRUE) else NULL,
       degf = as.integer(degf(design)), n_rows = nrow(design),
       warnings = cap$warnings, error = cap$error)
}

ciprop_by_region <- function(answered, formula, formula_text, method, column, answered_name, binary = TRUE) {
  regions <- sort(unique(in_design(answered)$region))
  rows <- lapply(regions, function(r) {
    sub <- subset(answered, region == r)
    c(list(region = r), ciprop_row(sub, formula, method, column, binary))
  })
  list(
    r_code = sprintf(paste0('for (r in sort(unique(%s$variables$region))) { s <- subset(%s, region == r); ',
                            'p <- svyciprop(%s, s, method = "%s"); coef(p); SE(p); attr(p, "ci"); degf(s); nrow(s) }'),
                     answered_name, answered_name, formula_text, method),
    rows = rows
  )
}

chisq_block <- function(design, design_name) {
  code <- sprintf('svychisq(~region + top2_1, %s, statistic = "F")', design_name)
  cap <- capture(svychisq(~region + top2_1, design, statistic = "F"))
  t <- cap$value
  if (is.null(t)) {
    return(list(r_code = code, statistic = NA_real_, ndf = NA_real_, ddf = NA_real_, p_value = NA_real_,
                warnings = cap$warnings, error = cap$error))
  }
  list(r_code = code, statistic = num(t$statistic), ndf = num(t$parameter[1]), ddf = num(t$parameter[2]),
       p_value = num(t$p.value), warnings = cap$warnings, error = cap$error)
}

# Domain estimates within a filter: svyby / svymean on subset(des, <filter>), the full design's subset.
domain_block <- function(des, filter_text, by_vars) {
  filtered <- eval(parse(text = sprintf("subset(des, %s)", filter_text)))
  out <- list(
    filter = filter_text,
    r_setup = sprintf("filtered <- subset(des, %s)", filter_text),
    degf_design = as.integer(degf(des)),
    degf_filtered = as.integer(degf(filtered)),
    n_rows = nrow(filtered),
    overall = overall_mean(filtered, "y1", "filtered")
  )
  for (by in by_vars) {
    block <- by_mean(filtered, "y1", by, "filtered")
    out[[paste0("by_", by)]] <- strip(block)
    out[[paste0("pairwise_", by)]] <- pairwise(block, degf(des))
  }
  out
}

# ---- one design ---------------------------------------------------------------------------------------------

reference_for <- function(path) {
  name <- sub("\\.csv$", "", basename(path))
  d <- read.csv(path, stringsAsFactors = FALSE)
  stopifnot(is.numeric(d$y1), is.numeric(d$top2_1))  # empty cells are read as NA
  des <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N_h, data = d)
  answered <- subset(des, !is.na(top2_1))
  df <- degf(des)

  # Sanity: for means, na.rm = TRUE is the same domain estimate as subsetting to the answered rows.
  m_na <- svymean(~y1, des, na.rm = TRUE)
  m_sub <- svymean(~y1, subset(des, !is.na(y1)))
  stopifnot(isTRUE(all.equal(c(coef(m_na), SE(m_na)), c(coef(m_sub), SE(m_sub)), tolerance = 1e-12)))

  out <- list(
    design = name,
    r_version = R.version.string,
    survey_version = as.character(packageVersion("survey")),
    r_setup = paste(
      'options(survey.lonely.psu = "adjust")',
      "d <- read.csv(path, stringsAsFactors = FALSE)",
      "des <- svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N_h, data = d)",
      "answered <- subset(des, !is.na(top2_1))",
      "df <- degf(des)",
      sep = "\n"
    ),
    n_rows = nrow(d),
    degf = as.integer(df)
  )

  # a. domain means
  region_blocks <- lapply(ITEMS, function(item) by_mean(des, item, "region", "des"))
  names(region_blocks) <- ITEMS
  out$mean <- list(
    overall = setNames(lapply(ITEMS, function(item) overall_mean(des, item, "des")), ITEMS),
    by_region = lapply(region_blocks, strip),
    by_ctype = list(y1 = strip(by_mean(des, "y1", "ctype", "des")))
  )
  top2_block <- by_mean(answered, "top2_1", "region", "answered")
  out$top2_by_region <- strip(top2_block)

  # b. pairwise differences of region means (y1, y2, y3) and of top-2 shares
  out$pairwise_region <- c(
    lapply(region_blocks, pairwise, df = df),
    list(top2_1 = pairwise(top2_block, df))
  )

  # c. Holm and BH over the family: items y1, y2, y3 (outer) x region pairs (inner, as in pairwise_region)
  fam <- do.call(rbind, lapply(ITEMS, function(item) {
    rows <- out$pairwise_region[[item]]$rows
    data.frame(item = item, a = vapply(rows, `[[`, "", "a"), b = vapply(rows, `[[`, "", "b"),
               p_t = vapply(rows, function(r) num(r$p_t), 0), p_normal = vapply(rows, function(r) num(r$p_normal), 0),
               stringsAsFactors = FALSE)
  }))
  fam$holm_t <- p.adjust(fam$p_t, "holm")
  fam$bh_t <- p.adjust(fam$p_t, "BH")
  fam$holm_normal <- p.adjust(fam$p_normal, "holm")
  fam$bh_normal <- p.adjust(fam$p_normal, "BH")
  out$p_adjust <- list(
    r_code = paste(
      "p_t <- c(p_t_y1, p_t_y2, p_t_y3)  # p_t_<item>: pairwise_region.<item>.rows[].p_t in row order; same for p_normal",
      'holm_t <- p.adjust(p_t, "holm"); bh_t <- p.adjust(p_t, "BH")',
      'holm_normal <- p.adjust(p_normal, "holm"); bh_normal <- p.adjust(p_normal, "BH")', sep = "\n"),
    order = "item y1, y2, y3 (outer); region pairs (a, b), a < b, a outer (as in pairwise_region.<item>.rows)",
    family_size = nrow(fam),
    n_tests_t = sum(!is.na(fam$p_t)),
    n_tests_normal = sum(!is.na(fam$p_normal)),
    rows = lapply(seq_len(nrow(fam)), function(i) as.list(fam[i, ]))
  )

  # d. domain (filtered) estimates
  ctypes <- sort(unique(d$ctype))
  regions <- sort(unique(d$region))
  if (name %in% c("nested", "crossed")) {
    out$domain <- domain_block(des, sprintf('ctype == "%s"', ctypes[1]), "region")
  } else if (name == "crossed_type") {
    out$domain <- domain_block(des, sprintf('region == "%s"', regions[1]), c("district", "ctype"))
  }

  # e. svyciprop per region, logit and beta
  out$svyciprop <- list(
    overall = list(
      logit = c(list(r_code = 'p <- svyciprop(~top2_1, answered, method = "logit"); coef(p); SE(p); attr(p, "ci")'),
                ciprop_row(answered, ~top2_1, "logit", "top2_1")),
      beta = c(list(r_code = 'p <- svyciprop(~top2_1, answered, method = "beta"); coef(p); SE(p); attr(p, "ci")'),
               ciprop_row(answered, ~top2_1, "beta", "top2_1"))
    ),
    by_region = list(
      logit = ciprop_by_region(answered, ~top2_1, "~top2_1", "logit", "top2_1", "answered"),
      beta = ciprop_by_region(answered, ~top2_1, "~top2_1", "beta", "top2_1", "answered")
    )
  )

  # h. Rao-Scott
  out$chisq <- list(region_top2 = chisq_block(des, "des"))

  # i. a mean on a bounded scale (tiny)
  if (name == "tiny") {
    answered_y1 <- subset(des, !is.na(y1))
    rescaled <- by_mean(des, "y1", "region", "des", formula_text = "I((y1 - 1)/4)")
    out$rescaled <- list(
      r_setup = "answered_y1 <- subset(des, !is.na(y1))",
      mean_overall = overall_mean(des, "y1", "des", formula_text = "I((y1 - 1)/4)"),
      mean_by_region = strip(rescaled),
      svyciprop_logit = list(
        overall = c(list(r_code = 'p <- svyciprop(~I((y1 - 1)/4), answered_y1, method = "logit"); coef(p); SE(p); attr(p, "ci")'),
                    ciprop_row(answered_y1, ~I((y1 - 1)/4), "logit", "y1", binary = FALSE)),
        by_region = ciprop_by_region(answered_y1, ~I((y1 - 1)/4), "~I((y1 - 1)/4)", "logit", "y1", "answered_y1",
                                     binary = FALSE)
      )
    )
  }

  # g. post-stratification
  if (name == "poststrat") {
    totals <- read.csv(file.path(dirname(path), "poststrat_totals.csv"), stringsAsFactors = FALSE)
    cap <- capture(postStratify(des, ~region + ctype, totals))
    ps <- cap$value
    ps_region <- by_mean(ps, "y1", "region", "ps", vcov_via = "svyglm")
    out$poststrat <- list(
      r_setup = paste(
        'totals <- read.csv("designs_v2/poststrat_totals.csv", stringsAsFactors = FALSE)  # region, ctype, Freq',
        "ps <- postStratify(des, ~region + ctype, totals)", sep = "\n"),
      warnings = cap$warnings,
      totals = lapply(seq_len(nrow(totals)), function(i) as.list(totals[i, ])),
      weight_sum = sum(weights(ps)),
      mean_overall = overall_mean(ps, "y1", "ps"),
      mean_by_region = strip(ps_region),
      pairwise_region_y1 = pairwise(ps_region, degf(ps)),
      chisq_region_top2 = chisq_block(ps, "ps"),
      without_poststrat = list(
        mean_overall = overall_mean(des, "y1", "des"),
        mean_by_region = out$mean$by_region$y1
      )
    )
  }
  out
}

dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
paths <- sort(list.files(designs_dir, pattern = "\\.csv$", full.names = TRUE))
paths <- paths[basename(paths) != "poststrat_totals.csv"]
for (path in paths) {
  name <- sub("\\.csv$", "", basename(path))
  out <- file.path(out_dir, paste0("expected_v2_", name, ".json"))
  writeLines(to_json(reference_for(path)), out, useBytes = TRUE)
  cat("wrote", out, "\n")
}
