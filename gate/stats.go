package gate

import (
	"math"

	"gonum.org/v1/gonum/integrate/quad"
	"gonum.org/v1/gonum/stat/distuv"
)

// UpperBound is the exact one-sided Clopper–Pearson upper confidence bound on
// the rate of x events in n trials (n > 0): with probability conf, the true
// rate is at or below it. Exact bounds stay honest at the small sample sizes
// of simulation batches, where normal approximations are too optimistic.
func UpperBound(x, n int64, conf float64) float64 {
	switch {
	case x >= n:
		return 1
	case x == 0:
		// Beta(1, n) in closed form, 1 − (1−conf)^(1/n): exact however
		// many attempts, where the quantile's search loses digits past
		// about 10^9 (8% at 10^14).
		return -math.Expm1(math.Log1p(-conf) / float64(n))
	}
	return distuv.Beta{Alpha: float64(x + 1), Beta: float64(n - x)}.Quantile(conf)
}

// LowerBound is the exact one-sided Clopper–Pearson lower confidence bound on
// the rate of x events in n trials (n > 0).
func LowerBound(x, n int64, conf float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= n:
		return math.Exp(math.Log1p(-conf) / float64(n)) // Beta(n, 1): (1−conf)^(1/n)
	}
	return distuv.Beta{Alpha: float64(x), Beta: float64(n - x + 1)}.Quantile(1 - conf)
}

// MaxNeeded bounds the search for how many more attempts would decide a
// rule: ten times what 100 batch runs of the most attempts SigmaMind's data
// may have (10^12 each) hold. Beyond it the answer is NeededTooMany.
const MaxNeeded int64 = 1e15

// NeededTooMany is the answer when more than MaxNeeded further attempts
// would be needed. It saturates, so that it compares as more than any
// budget; it never wraps around into a small or negative number.
const NeededTooMany int64 = math.MaxInt64

// AttemptsToShowAtMost returns the fewest further attempts, all successful,
// after which x failures in n attempts would show a failure rate at or below
// limit at confidence conf; -1 when no number would (a limit of 0), and
// NeededTooMany when more than MaxNeeded would.
func AttemptsToShowAtMost(x, n int64, conf, limit float64) int64 {
	if !(limit > 0) {
		// Every upper bound is above 0, however many attempts: decided
		// here, not by a search that rounding could end.
		return -1
	}
	return fewest(n, func(k int64) bool { return UpperBound(x, n+k, conf) <= limit })
}

// AttemptsToShowAtLeast returns the fewest further attempts, all successful,
// after which s successes in n attempts would show a success rate at or above
// limit at confidence conf; -1 when no number would (a limit of 1), and
// NeededTooMany when more than MaxNeeded would.
func AttemptsToShowAtLeast(s, n int64, conf, limit float64) int64 {
	if !(limit < 1) {
		return -1 // every lower bound is below 1
	}
	return fewest(n, func(k int64) bool { return n+k > 0 && LowerBound(s+k, n+k, conf) >= limit })
}

// fewest returns the smallest k in [0, MaxNeeded] for which ok holds, given
// that ok is monotone (false up to some k, then true), or NeededTooMany. It
// never asks ok about a k that would take n attempts past math.MaxInt64.
func fewest(n int64, ok func(k int64) bool) int64 {
	top := MaxNeeded
	if n > math.MaxInt64-top {
		top = math.MaxInt64 - n
	}
	if ok(0) {
		return 0
	}
	lo, hi := int64(0), min(int64(1), top) // !ok(lo)
	for !ok(hi) {
		if hi >= top {
			return NeededTooMany
		}
		lo, hi = hi, min(hi*2, top)
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// RiseProbability is the posterior probability that the new failure rate
// exceeds the baseline failure rate by more than delta, given x1 failures in
// n1 new attempts and x0 in n0 baseline attempts, with independent uniform
// priors: P(p1 − p0 > delta) for p1 ~ Beta(1+x1, 1+n1−x1), p0 ~ Beta(1+x0, 1+n0−x0).
//
// It is ∫ f0(y)·S1(y+delta) dy. S1 is 1 below the mass of p1 and 0 above it,
// so only where both have mass is a quadrature needed; elsewhere F0 gives the
// integral in closed form. That keeps sharp peaks (thousands of attempts)
// accurate with a fixed number of points.
func RiseProbability(x1, n1, x0, n0 int64, delta float64) float64 {
	p1 := distuv.Beta{Alpha: float64(1 + x1), Beta: float64(1 + n1 - x1)}
	p0 := distuv.Beta{Alpha: float64(1 + x0), Beta: float64(1 + n0 - x0)}
	const tail = 1e-13
	// Where y+delta lies below p1's mass, S1 = 1; above it, S1 = 0.
	a := p1.Quantile(tail) - delta
	b := p1.Quantile(1-tail) - delta
	// Outside p0's own mass f0 contributes nothing worth integrating.
	lo := math.Max(a, p0.Quantile(tail))
	hi := math.Min(b, p0.Quantile(1-tail))
	prob := 0.0
	if a > 0 {
		prob += p0.CDF(math.Min(a, 1))
	}
	if lo < hi {
		f := func(y float64) float64 { return p0.Prob(y) * p1.Survival(y+delta) }
		const panels = 64
		w := (hi - lo) / panels
		for i := range panels {
			prob += quad.Fixed(f, lo+float64(i)*w, lo+float64(i+1)*w, 12, quad.Legendre{}, 0)
		}
	}
	return math.Min(math.Max(prob, 0), 1)
}
