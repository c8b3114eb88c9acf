package gate

import (
	"fmt"
	"math"
	"slices"
)

// Sequential is a plan for judging a rate rule on batch runs started one
// after another while the evidence cannot decide: up to Runs runs of
// RunAttempts attempts each, the pooled counts judged after every run (a
// look), stopping at the first look that decides.
//
// # The rule at each look
//
// A look is the rule of a single batch (maxFailureRate, minSuccessRate):
// one-sided exact Clopper–Pearson bounds on the pooled counts, compared with
// the limit as there. Only the confidence differs: each look uses a per-look
// level 1−α′ stricter than the configured confidence 1−α. Judging every look
// at the full level would not do: each look is another chance of a wrong
// verdict, and with 30 attempts a run, 6 runs and a 10% limit at 95%, a true
// failure rate at the limit passes 11% of the time.
//
// # Why a calibrated level
//
// α′ is the largest level at which, computed exactly over the binomial for
// this run size, number of runs and limit, the chance of a wrong verdict
// over all looks together is at most α on each side. Splitting α evenly over
// the looks (Bonferroni, α′ = α/K) is valid too, but it pays for the looks as
// if they were independent, while pooled looks share most of their attempts:
// in the case above the calibrated level is 2.5% a look, not 0.83%, and an
// agent failing 3% of its attempts spends 3.0 runs of 6 on average instead
// of 3.7 (TestSequentialClosingNote compares the designs).
//
// # Why the error stays bounded
//
// The plan passes only if some look's pooled failures are at or below that
// look's pass threshold, and fails only if some look's are at or above its
// fail threshold. So the chance of a wrong pass is at most the chance, at the
// true rate p, that any look crosses the pass threshold, counted as if
// nothing else ever stopped the runs; likewise for fails. Couple the attempts
// over p (attempt i fails when U_i < p, U_i uniform): a higher p adds
// failures at every look, so the chance of crossing the pass threshold falls
// as p rises and the chance of crossing the fail threshold rises. The worst
// wrong pass, over every true rate above the limit, is therefore the
// crossing chance at the limit itself, and so is the worst wrong fail over
// every rate at or below it (TestSequentialCrossingsAreMonotone checks this
// numerically). The calibration keeps both at most α.
//
// Counting each side as if the other and the early stop never ended the runs
// costs almost nothing (a count that crosses one threshold seldom comes back
// to cross the other: in the case above the figures agree to five decimals)
// and buys a bound that holds however the runs end: stopped early, by the
// caller or by the plan, or with runs of other sizes (see Look).
//
// The thresholds change only where α′ passes a tail probability of the
// binomial at the limit (P(Bin(N, q) ≤ x) ≤ α′ is UpperBound(x, N, 1−α′) ≤ q),
// so the search runs over those finitely many plans, each checked with an
// exact computation; the level reported is the shortest decimal among the
// levels that give the chosen thresholds. With one run it is the
// configured confidence: the plan is exactly the rule of a single batch.
//
// # Stopping when no pass is reachable
//
// After a look that does not decide, the plan stops, inconclusive, when no
// outcome of the runs left could reach a pass: the failures so far are above
// every later pass threshold. That takes no pass away, since those counts can
// never pass, and only turns some later fails into inconclusive verdicts, so
// both errors stay within their bounds. Stopping only when neither verdict
// is reachable would almost never stop: a run of n attempts can add n
// failures, so a fail stays reachable from nearly every count. Stopping
// when a pass is out of reach saves the runs an agent near or above its limit
// would spend to reach a fail (in the case above, at a true rate of 9.9% or
// 10.1%, about 4.0 runs instead of 5.8), and an inconclusive verdict blocks
// the merge as a fail does. Only a caller that lets inconclusive verdicts
// pass (on-inconclusive) gives something up; it may go on after such a stop,
// to the budget, and the bounds hold either way (Step.Futile tells this stop
// from the others).
type Sequential struct {
	runAttempts int64
	runs        int
	limit       Rate
	success     bool    // limit is a min-success-rate, not a max-failure-rate
	confidence  float64 // over all looks together
	level       float64 // the confidence of the bounds at each look
	// Per look k, at index k-1, on the pooled failure count of k full runs:
	// pass at most pass[k-1] failures (-1: no count passes), fail at least
	// fail[k-1] (k·runAttempts+1: no count fails); reach[k-1] is the most
	// failures from which a later look can still pass (-1: none can).
	pass, fail, reach []int64
}

// Step is the judgement of one look.
type Step struct {
	Verdict Verdict // Pass, Fail or Inconclusive
	// More is true when the plan wants another run: the look did not
	// decide, the budget has runs left, and a later look can still pass.
	More bool
	// Futile is true when the plan stops undecided with runs left in the
	// budget, because no outcome of them could reach a pass.
	Futile bool
}

// PlanSequential plans the rule max-failure-rate limit judged on up to
// maxRuns runs of runAttempts attempts each, with the chance of a wrong
// decided verdict at most 1−confidence on each side, over all looks.
func PlanSequential(runAttempts int64, maxRuns int, limit Rate, confidence float64) (Sequential, error) {
	return plan(runAttempts, maxRuns, limit, false, confidence)
}

// PlanSequentialSuccess plans the rule min-success-rate limit, as
// PlanSequential does max-failure-rate. Its looks take failures too: every
// attempt that did not succeed, as for max-failure-rate.
func PlanSequentialSuccess(runAttempts int64, maxRuns int, limit Rate, confidence float64) (Sequential, error) {
	return plan(runAttempts, maxRuns, limit, true, confidence)
}

// maxPlanAttempts bounds the attempts of a whole budget: planning one this
// big takes about a tenth of a second, ten times as big most of a second,
// and no simulation budget is so big.
const maxPlanAttempts = 100_000

func plan(n int64, runs int, limit Rate, success bool, conf float64) (Sequential, error) {
	s := Sequential{runAttempts: n, runs: runs, limit: limit, success: success, confidence: conf}
	switch {
	case n <= 0:
		return s, fmt.Errorf("a run of %d attempts cannot be judged: a run needs at least one attempt", n)
	case runs <= 0:
		return s, fmt.Errorf("max-runs %d is not a number of runs: use 1 or more", runs)
	case !(conf > 0 && conf < 1):
		return s, fmt.Errorf("confidence %v is not between 0 and 1: runs judged one after another need a confidence such as 0.95", conf)
	case n > maxPlanAttempts/int64(runs):
		return s, fmt.Errorf("%d runs of %d attempts are more than %d attempts in all: lower max-runs or the attempts a run", runs, n, maxPlanAttempts)
	}
	s.calibrate()
	return s, nil
}

// Look judges the pooled counts of the first k runs of the plan: failures
// (failed and undecided attempts) of attempts executed. Call it once per
// run, when the run has finished; k outside 1 to Runs is inconclusive.
//
// A run may execute more or fewer attempts than planned (cut short, or its
// test cases changed). Then the look counts the missing attempts as
// failures before comparing with the pass threshold, and takes the extra
// ones away as failures before comparing with the fail threshold. Think of
// the attempts in the order they ran, followed, if too few ran, by the
// attempts that did not: the planned look is the first k·RunAttempts of
// them. With too few executed its failures are at most failures+missing,
// with too many at least failures−extra; so a look that passes or fails here
// would have crossed the same threshold at the planned size, and the bounds
// above still hold. This is conservative: a short run needs more evidence to
// pass, and with every attempt executed it is the plain rule.
func (s Sequential) Look(k int, failures, attempts int64) Step {
	if k < 1 || k > s.runs || failures < 0 || failures > attempts {
		return Step{Verdict: Inconclusive}
	}
	planned := int64(k) * s.runAttempts
	missing, extra := max(planned-attempts, 0), max(attempts-planned, 0)
	// Fail first, as gate.go judges a rule.
	switch {
	case failures-extra >= s.fail[k-1]:
		return Step{Verdict: Fail}
	case failures+missing <= s.pass[k-1]:
		return Step{Verdict: Pass}
	case k == s.runs:
		return Step{Verdict: Inconclusive}
	case failures > s.reach[k-1]:
		return Step{Verdict: Inconclusive, Futile: true}
	}
	return Step{Verdict: Inconclusive, More: true}
}

// Runs is the budget: the most runs the plan starts.
func (s Sequential) Runs() int { return s.runs }

// RunAttempts is the attempts a run is planned to execute.
func (s Sequential) RunAttempts() int64 { return s.runAttempts }

// Level is the confidence of the bounds judged at each look, e.g. 0.975.
func (s Sequential) Level() float64 { return s.level }

// Confidence is the confidence over all looks together, as configured.
func (s Sequential) Confidence() float64 { return s.confidence }

// Thresholds are look k's: it passes at most pass failures of k full runs
// (-1: none passes) and fails at least fail (more than k·RunAttempts: none
// fails).
func (s Sequential) Thresholds(k int) (pass, fail int64) { return s.pass[k-1], s.fail[k-1] }

// WorstErrors are the exact bounds on the chance of a wrong pass, at any true
// failure rate above the limit, and of a wrong fail, at any rate at or below
// it; each at most 1−Confidence.
func (s Sequential) WorstErrors() (wrongPass, wrongFail float64) {
	return s.crossings(s.failureLimit())
}

// Characteristics are the exact chances, when every attempt fails
// independently with probability p and every run executes its planned
// attempts, that the plan passes, fails or ends inconclusive, and the
// expected number of runs it starts.
func (s Sequential) Characteristics(p float64) (pass, fail, inconclusive, meanRuns float64) {
	return s.boundaries(true).walk(p)
}

// failureLimit is the limit on the failure rate: the rate itself, or one
// minus the success rate, exactly.
func (s Sequential) failureLimit() float64 {
	if s.success {
		return Rate{num: s.limit.den - s.limit.num, den: s.limit.den}.Float64()
	}
	return s.limit.Float64()
}

// passes and fails are the rule of gate.go at confidence conf, on x
// failures in n attempts.
func (s Sequential) passes(x, n int64, conf float64) bool {
	if s.success {
		return LowerBound(n-x, n, conf) >= s.limit.Float64()
	}
	return UpperBound(x, n, conf) <= s.limit.Float64()
}

func (s Sequential) fails(x, n int64, conf float64) bool {
	if s.success {
		return UpperBound(n-x, n, conf) < s.limit.Float64()
	}
	return LowerBound(x, n, conf) > s.limit.Float64()
}

// setLevel sets the level and the thresholds of the bounds at that level.
// guess, when not nil, is a plan whose thresholds are likely the same; the
// bounds decide, as they do for a single batch.
func (s *Sequential) setLevel(level float64, guess *Sequential) {
	s.level = level
	s.pass, s.fail = make([]int64, s.runs), make([]int64, s.runs)
	for k := range s.runs {
		n := int64(k+1) * s.runAttempts
		guessPass, guessFail := int64(-1), int64(-1)
		if guess != nil {
			guessPass, guessFail = guess.pass[k], guess.fail[k]-1
		}
		// passes holds for counts up to a threshold, fails from one on.
		s.pass[k] = edge(func(x int64) bool { return s.passes(x, n, level) }, -1, n, guessPass)
		s.fail[k] = edge(func(x int64) bool { return !s.fails(x, n, level) }, -1, n, guessFail) + 1
	}
	s.setReach()
}

// edge returns the largest x in [lo, hi] for which the monotone ok holds,
// taking ok(lo) to hold without asking. A guess is tried first: two Beta
// quantiles confirm it, where a bisection takes a dozen.
func edge(ok func(int64) bool, lo, hi, guess int64) int64 {
	if lo < guess && guess <= hi {
		if !ok(guess) {
			hi = guess - 1
		} else if guess == hi || !ok(guess+1) {
			return guess
		} else {
			lo = guess + 1
		}
	}
	for lo < hi {
		mid := lo + (hi-lo+1)/2
		if ok(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func (s *Sequential) setReach() {
	s.reach = make([]int64, s.runs)
	reach := int64(-1)
	for k := s.runs - 1; k >= 0; k-- {
		s.reach[k] = reach
		reach = max(reach, s.pass[k])
	}
}

// boundaries are the plan's thresholds for walk, with the stop when no pass
// is reachable or without.
func (s Sequential) boundaries(stopUnreachable bool) boundaries {
	b := boundaries{n: s.runAttempts, pass: s.pass, fail: s.fail, keepMin: make([]int64, s.runs), keepMax: make([]int64, s.runs)}
	for k := range s.runs {
		b.keepMin[k], b.keepMax[k] = math.MinInt64, math.MaxInt64
		if stopUnreachable {
			b.keepMax[k] = s.reach[k]
		}
	}
	return b
}

// crossings are the chances at failure rate q that some look crosses the
// pass threshold, and that some look crosses the fail threshold, each as if
// nothing else ever stopped the runs: the bounds on the errors (see
// Sequential).
func (s Sequential) crossings(q float64) (pass, fail float64) {
	none := func(v int64) []int64 {
		r := make([]int64, s.runs)
		for k := range r {
			r[k] = v
		}
		return r
	}
	// Counts above every later pass threshold can cross it no more.
	b := s.boundaries(true)
	b.fail = none(math.MaxInt64)
	pass, _, _, _ = b.walk(q)
	b = s.boundaries(false)
	b.pass = none(-1)
	// Counts that even all failures in the runs left cannot bring to a later
	// fail threshold can cross it no more.
	for k := range s.runs {
		b.keepMin[k] = math.MaxInt64
		for m := k + 1; m < s.runs; m++ {
			b.keepMin[k] = min(b.keepMin[k], s.fail[m]-int64(m-k)*s.runAttempts)
		}
	}
	_, fail, _, _ = b.walk(q)
	return pass, fail
}

// calibrate chooses the per-look level and sets the thresholds (see
// Sequential).
func (s *Sequential) calibrate() {
	alpha := 1 - s.confidence
	if s.runs == 1 {
		// One look is the rule of a single batch at the configured
		// confidence; Clopper–Pearson bounds keep its errors within alpha.
		s.setLevel(s.confidence, nil)
		return
	}
	q := s.failureLimit()
	// At per-look level l the look of N attempts passes x failures when
	// P(Bin(N, q) ≤ x) ≤ l and fails them when P(Bin(N, q) ≥ x) < l.
	type look struct {
		lo      int64     // the count of cdf[0] and sf[0]
		cdf, sf []float64 // P(Bin(N, q) ≤ x), P(Bin(N, q) ≥ x)
	}
	looks := make([]look, s.runs)
	tails := []float64{0, alpha}
	for k := range looks {
		lo, pmf := binomial(int64(k+1)*s.runAttempts, q)
		lk := look{lo: lo, cdf: make([]float64, len(pmf)), sf: make([]float64, len(pmf))}
		sum := 0.0
		for i, v := range pmf {
			sum += v
			lk.cdf[i] = sum
		}
		sum = 0
		for i := len(pmf) - 1; i >= 0; i-- {
			sum += pmf[i]
			lk.sf[i] = sum
		}
		for i := range pmf {
			for _, t := range [2]float64{lk.cdf[i], lk.sf[i]} {
				if t < alpha {
					tails = append(tails, t)
				}
			}
		}
		looks[k] = lk
	}
	slices.Sort(tails)
	tails = slices.Compact(tails)
	// planAt is the plan of level l, from the tails alone: cheap enough to
	// try each candidate.
	planAt := func(l float64) *Sequential {
		g := &Sequential{runAttempts: s.runAttempts, runs: s.runs, pass: make([]int64, s.runs), fail: make([]int64, s.runs)}
		for k, lk := range looks {
			// The counts below lo have a cdf below the level too.
			passing, _ := slices.BinarySearchFunc(lk.cdf, l, firstAbove)
			g.pass[k] = lk.lo - 1 + int64(passing)
			g.fail[k] = lk.lo + int64(len(lk.sf))
			for i, t := range lk.sf {
				if t < l {
					g.fail[k] = lk.lo + int64(i)
					break
				}
			}
		}
		g.setReach()
		return g
	}
	ok := func(g *Sequential) bool {
		p, f := g.crossings(q)
		return p <= alpha && f <= alpha
	}
	// Between two neighbouring tails the plan is the same, and a higher
	// level only moves thresholds towards deciding, so the crossings grow
	// with the gap. Bisect for the highest gap whose plan keeps both within
	// alpha; the last candidate is alpha itself, the first (below every
	// tail, where nothing decides) always keeps them.
	top := len(tails) - 1
	level := func(i int) float64 {
		if i == top {
			return alpha
		}
		return shortest(tails[i], tails[i+1])
	}
	best := top
	if !ok(planAt(level(top))) {
		lo, hi := 0, top
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if ok(planAt(level(mid))) {
				lo = mid
			} else {
				hi = mid
			}
		}
		best = lo
	}
	for ; ; best-- {
		conf := 1 - level(best)
		if best == top {
			conf = s.confidence
		}
		s.setLevel(conf, planAt(level(best)))
		// The bounds decide the thresholds. Inside a gap they agree with
		// the tails; the check makes sure.
		if best == 0 || ok(s) {
			return
		}
	}
}

// firstAbove makes a binary search find the first value above the level.
func firstAbove(c, l float64) int {
	if c <= l {
		return -1
	}
	return 1
}

// shortest returns the number with the fewest significant digits strictly
// inside (lo, hi), 0 <= lo < hi < 1, kept off both ends so that rounding in
// the bounds cannot reach them; the midpoint when none is so short. Reports
// then say 2.5%, not 2.4893%: any level in the gap gives the same plan.
func shortest(lo, hi float64) float64 {
	const margin = 1e-9
	for digits := 1; digits <= 12; digits++ {
		// A power of ten that is a whole number, so dividing by it rounds
		// once: 25/1000 is the float nearest 0.025.
		scale := math.Pow(10, float64(digits-1)-math.Floor(math.Log10(hi)))
		v := math.Floor(hi*(1-margin)*scale) / scale
		if v > lo*(1+margin) && v > 0 {
			return v
		}
	}
	return (lo + hi) / 2
}
