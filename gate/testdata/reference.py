#!/usr/bin/python3
"""Independent reference values for sigmagate's statistics (consumed by Go tests).

Regenerate (from this directory):   /usr/bin/python3 reference.py
  Needs Debian's python3-scipy/python3-numpy and r-base-core (Rscript) for the
  cross-check in reference.R (run automatically at the end). The CSVs are
  written to a temporary directory outside the tree first and only copied
  into this directory if every check passes.

Generated with: Python 3.11.2, scipy 1.10.1, numpy 1.24.2, R 4.2.2 Patched
(Debian 12 packages); the script prints the versions it actually ran with.

clopper_pearson.csv  x,n,confidence,lower,upper
  Exact ONE-SIDED Clopper-Pearson bounds for x events in n trials:
    upper = Beta.ppf(confidence, x+1, n-x)     (1 when x == n)
    lower = Beta.ppf(1-confidence, x, n-x+1)   (0 when x == 0)
  R check: upper == binom.test(x,n,alternative="less",   conf.level=c)$conf.int[2]
           lower == binom.test(x,n,alternative="greater",conf.level=c)$conf.int[1]
  Abort if |scipy - R| > 1e-9.

regression.csv  new_failed,new_total,base_failed,base_total,delta,
                prob_rise_gt_delta,fisher_p_greater
  prob_rise_gt_delta = P(p_new - p_base > delta), independent
      p_new  ~ Beta(1+new_failed,  1+new_total-new_failed)
      p_base ~ Beta(1+base_failed, 1+base_total-base_failed)   (uniform priors)
    = integral_0^1 pdf_base(y) * (1 - cdf_new(y+delta)) dy, cdf_new(t)=1 for t>=1,
    by scipy.integrate.quad (epsabs=1e-12, epsrel=1e-10, limit=500), over the
    base posterior's [1e-17, 1-1e-17] quantile range, split at the modes.
    Checked against Monte Carlo (2,000,000 draws, numpy seed 20240601), abort if
    |diff| > 0.003, and against R (integrate() of dnew * pbase(x-delta), i.e. the
    same probability integrated over p_new instead), abort if |diff| > 1e-6.
  fisher_p_greater = scipy.stats.fisher_exact(
      [[new_failed, new_total-new_failed], [base_failed, base_total-base_failed]],
      alternative='greater')[1]
    R check: fisher.test(matrix(c(nf, bf, nt-nf, bt-bf), nrow=2),
                         alternative="greater")$p.value  (same 2x2 orientation),
    abort if |diff| > 1e-9.
All values printed with "%.15g".
"""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import scipy
from scipy import integrate, stats

HERE = os.path.dirname(os.path.abspath(__file__))
FMT = "%.15g"

CONFIDENCES = [0.8, 0.9, 0.95, 0.99]
CP_PAIRS = [(0, 1), (1, 1), (0, 5), (1, 5), (5, 5), (0, 10), (1, 10), (2, 10),
            (0, 20), (3, 20), (0, 59), (0, 58), (1, 100), (5, 100), (50, 100),
            (100, 100), (0, 300), (7, 300), (150, 1000), (2, 2000),
            (0, 100000), (123, 100000)]

# (new_failed, new_total, base_failed, base_total, delta)
REG_CASES = [
    (0, 10, 0, 10, 0), (5, 10, 0, 10, 0), (1, 5, 0, 50, 0.05),
    (10, 50, 5, 50, 0.05), (10, 50, 5, 50, 0), (2, 100, 2, 100, 0),
    (30, 100, 10, 100, 0.1), (30, 100, 10, 100, 0.2), (0, 20, 10, 20, 0),
    (50, 200, 20, 200, 0.05), (3, 5, 1, 5, 0.1), (100, 1000, 80, 1000, 0.01),
    (0, 1, 0, 1, 0), (1, 1, 0, 1, 0),
    (0, 10, 0, 10, 0.05), (5, 10, 0, 10, 0.2), (10, 50, 5, 50, 0.1),
    (2, 100, 2, 100, 0.01), (0, 50, 0, 50, 0), (1, 50, 0, 50, 0.01),
    (20, 100, 20, 100, 0.05), (100, 1000, 80, 1000, 0),
    (100, 1000, 80, 1000, 0.05), (3, 1000, 1, 20, 0.01),
    (0, 100, 3, 3000, 0), (5, 5000, 0, 5000, 0), (0, 5000, 5, 5000, 0),
    (250, 5000, 200, 5000, 0), (250, 5000, 200, 5000, 0.01),
    (1000, 5000, 900, 5000, 0.01), (2500, 5000, 2400, 5000, 0.05),
    (10, 20, 2, 20, 0.2),
]

MC_DRAWS = 2_000_000
MC_SEED = 20240601


def cp_bounds(x, n, c):
    upper = 1.0 if x == n else float(stats.beta.ppf(c, x + 1, n - x))
    lower = 0.0 if x == 0 else float(stats.beta.ppf(1 - c, x, n - x + 1))
    return lower, upper


def beta_mode(a, b):
    if a > 1 and b > 1:
        return (a - 1) / (a + b - 2)
    return 0.0 if a <= 1 else 1.0


def prob_rise(nf, nt, bf, bt, delta):
    an, bn = 1 + nf, 1 + nt - nf
    ab, bb = 1 + bf, 1 + bt - bf
    base, new = stats.beta(ab, bb), stats.beta(an, bn)
    # Base posterior mass outside [lo, hi] is < 2e-17: negligible.
    lo = float(base.ppf(1e-17))
    hi = min(float(base.isf(1e-17)), 1.0 - delta)
    if hi <= lo:
        return 0.0

    def f(y):
        t = y + delta
        return base.pdf(y) * (0.0 if t >= 1.0 else new.sf(t))

    pts = sorted({p for p in (beta_mode(ab, bb), beta_mode(an, bn) - delta,
                              float(base.mean()), float(new.mean()) - delta)
                  if lo < p < hi})
    edges = [lo] + pts + [hi]
    total = 0.0
    for a, b in zip(edges[:-1], edges[1:]):
        v, err = integrate.quad(f, a, b, epsabs=1e-12, epsrel=1e-10, limit=500)
        if err > 1e-10:
            sys.exit(f"quad error estimate too large {err} for {(nf, nt, bf, bt, delta)}")
        total += v
    return min(max(total, 0.0), 1.0)


def prob_rise_mc(rng, nf, nt, bf, bt, delta):
    pn = rng.beta(1 + nf, 1 + nt - nf, MC_DRAWS)
    pb = rng.beta(1 + bf, 1 + bt - bf, MC_DRAWS)
    return float(np.mean(pn - pb > delta))


def main():
    print(f"python {sys.version.split()[0]}, scipy {scipy.__version__}, numpy {np.__version__}")
    tmpdir = tempfile.mkdtemp(prefix="sigmagate-ref-")
    cp_tmp = os.path.join(tmpdir, "clopper_pearson.csv")
    reg_tmp = os.path.join(tmpdir, "regression.csv")

    with open(cp_tmp, "w") as fh:
        fh.write("x,n,confidence,lower,upper\n")
        for c in CONFIDENCES:
            for x, n in CP_PAIRS:
                lo, up = cp_bounds(x, n, c)
                fh.write(",".join([str(x), str(n), FMT % c, FMT % lo, FMT % up]) + "\n")

    rng = np.random.default_rng(MC_SEED)
    worst = (0.0, None)
    with open(reg_tmp, "w") as fh:
        fh.write("new_failed,new_total,base_failed,base_total,delta,"
                 "prob_rise_gt_delta,fisher_p_greater\n")
        for nf, nt, bf, bt, d in REG_CASES:
            p = prob_rise(nf, nt, bf, bt, d)
            mc = prob_rise_mc(rng, nf, nt, bf, bt, d)
            diff = abs(p - mc)
            se = max((p * (1 - p) / MC_DRAWS) ** 0.5, 1e-12)
            print(f"  {(nf, nt, bf, bt, d)}: quad={p:.10f} mc={mc:.6f} "
                  f"|diff|={diff:.2e} ({diff / se:.2f} MC s.e.)")
            if diff > 0.003:
                sys.exit(f"ABORT: Monte Carlo mismatch for {(nf, nt, bf, bt, d)}")
            if diff > worst[0]:
                worst = (diff, (nf, nt, bf, bt, d))
            fp = float(stats.fisher_exact([[nf, nt - nf], [bf, bt - bf]],
                                          alternative="greater")[1])
            fh.write(",".join([str(nf), str(nt), str(bf), str(bt), FMT % d,
                               FMT % p, FMT % fp]) + "\n")
    print(f"max |quad - MC| = {worst[0]:.2e} at {worst[1]}")

    r = subprocess.run(["Rscript", os.path.join(HERE, "reference.R"), cp_tmp, reg_tmp])
    if r.returncode != 0:
        sys.exit("ABORT: R cross-check failed; CSVs not updated")
    shutil.copyfile(cp_tmp, os.path.join(HERE, "clopper_pearson.csv"))
    shutil.copyfile(reg_tmp, os.path.join(HERE, "regression.csv"))
    shutil.rmtree(tmpdir)
    print("wrote clopper_pearson.csv, regression.csv")


if __name__ == "__main__":
    main()
