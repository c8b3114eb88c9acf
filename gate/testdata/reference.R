# Independent R cross-check of the CSVs written by reference.py.
# Usage: Rscript reference.R [clopper_pearson.csv] [regression.csv]
#   (reference.py runs it automatically on its freshly generated temp copies;
#    it can also be run by hand on the committed CSVs from this directory.)
# Exits with status 1 if any value disagrees beyond tolerance.
#
# clopper_pearson.csv: lower/upper must equal
#   binom.test(x, n, alternative="greater", conf.level=c)$conf.int[1]  (lower)
#   binom.test(x, n, alternative="less",    conf.level=c)$conf.int[2]  (upper)
#   within 1e-9.
# regression.csv:
#   prob_rise_gt_delta = P(p_new - p_base > delta), p_new ~ Beta(1+nf, 1+nt-nf),
#   p_base ~ Beta(1+bf, 1+bt-bf), recomputed here by integrating over p_new
#   (the Python side integrates over p_base):
#     integral dbeta(x; new) * pbeta(x - delta; base) dx, x in [delta, 1],
#   with stats::integrate (rel.tol 1e-11, abs.tol 1e-13), within 1e-6.
#   fisher_p_greater must equal
#     fisher.test(matrix(c(nf, bf, nt-nf, bt-bf), nrow=2),
#                 alternative="greater")$p.value
#   (rows = new/base, columns = failed/passed, as in scipy) within 1e-9.
# Tested with R 4.2.2 Patched (Debian 12 r-base-core).

args <- commandArgs(trailingOnly = TRUE)
cp_file  <- if (length(args) >= 1) args[1] else "clopper_pearson.csv"
reg_file <- if (length(args) >= 2) args[2] else "regression.csv"
cat(R.version.string, "\n")
ok <- TRUE

cp <- read.csv(cp_file)
worst_cp <- 0; worst_cp_row <- NA
for (i in seq_len(nrow(cp))) {
  x <- cp$x[i]; n <- cp$n[i]; cl <- cp$confidence[i]
  up <- binom.test(x, n, alternative = "less", conf.level = cl)$conf.int[2]
  lo <- binom.test(x, n, alternative = "greater", conf.level = cl)$conf.int[1]
  d <- max(abs(up - cp$upper[i]), abs(lo - cp$lower[i]))
  if (d > worst_cp) { worst_cp <- d; worst_cp_row <- i }
  if (d > 1e-9) {
    cat(sprintf("MISMATCH clopper_pearson x=%d n=%d c=%g: R lower=%.15g upper=%.15g, csv %.15g %.15g\n",
                x, n, cl, lo, up, cp$lower[i], cp$upper[i]))
    ok <- FALSE
  }
}
cat(sprintf("clopper_pearson: %d rows, max |R - scipy| = %.3g (row %s)\n",
            nrow(cp), worst_cp, paste(cp[worst_cp_row, 1:3], collapse = ",")))

beta_mode <- function(a, b) if (a > 1 && b > 1) (a - 1) / (a + b - 2) else if (a <= 1) 0 else 1

prob_rise_r <- function(nf, nt, bf, bt, delta) {
  an <- 1 + nf; bn <- 1 + nt - nf; ab <- 1 + bf; bb <- 1 + bt - bf
  lo <- max(qbeta(1e-17, an, bn), delta)
  hi <- qbeta(1e-17, an, bn, lower.tail = FALSE)
  if (hi <= lo) return(0)
  f <- function(x) dbeta(x, an, bn) * pbeta(x - delta, ab, bb)
  pts <- c(beta_mode(an, bn), beta_mode(ab, bb) + delta, an / (an + bn), ab / (ab + bb) + delta)
  pts <- sort(unique(pts[pts > lo & pts < hi]))
  e <- c(lo, pts, hi)
  s <- 0
  for (k in seq_len(length(e) - 1)) {
    s <- s + integrate(f, e[k], e[k + 1], rel.tol = 1e-11, abs.tol = 1e-13,
                       subdivisions = 2000L)$value
  }
  min(max(s, 0), 1)
}

reg <- read.csv(reg_file)
worst_p <- 0; worst_p_row <- NA; worst_f <- 0; worst_f_row <- NA
for (i in seq_len(nrow(reg))) {
  nf <- reg$new_failed[i]; nt <- reg$new_total[i]
  bf <- reg$base_failed[i]; bt <- reg$base_total[i]; d <- reg$delta[i]
  p <- prob_rise_r(nf, nt, bf, bt, d)
  fp <- fisher.test(matrix(c(nf, bf, nt - nf, bt - bf), nrow = 2),
                    alternative = "greater")$p.value
  dp <- abs(p - reg$prob_rise_gt_delta[i]); df <- abs(fp - reg$fisher_p_greater[i])
  if (dp > worst_p) { worst_p <- dp; worst_p_row <- i }
  if (df > worst_f) { worst_f <- df; worst_f_row <- i }
  if (dp > 1e-6 || df > 1e-9) {
    cat(sprintf("MISMATCH regression row %d: R prob=%.15g fisher=%.15g, csv %.15g %.15g\n",
                i, p, fp, reg$prob_rise_gt_delta[i], reg$fisher_p_greater[i]))
    ok <- FALSE
  }
}
rowstr <- function(r) if (is.na(r)) "-" else paste(reg[r, 1:5], collapse = ",")
cat(sprintf("regression: %d rows, max |R - scipy| prob = %.3g (%s), fisher = %.3g (%s)\n",
            nrow(reg), worst_p, rowstr(worst_p_row), worst_f, rowstr(worst_f_row)))
if (!ok) { cat("R CROSS-CHECK FAILED\n"); quit(status = 1) }
cat("R cross-check OK\n")
