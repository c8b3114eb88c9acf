// Package gate judges an agent's simulation batch runs against the rules of a
// merge gate. It is pure: counts and rules in, a verdict with its reasons out.
package gate

import (
	"fmt"
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// Verdict is the outcome of one rule or of the whole gate.
type Verdict string

const (
	Pass Verdict = "pass"
	Fail Verdict = "fail"
	// Inconclusive means the evidence cannot decide: too few attempts for
	// the confidence asked for, or batches still running.
	Inconclusive Verdict = "inconclusive"
	// Skipped is a rule with nothing to judge; it never decides the gate.
	Skipped Verdict = "skipped"
)

// severity orders verdicts for combining: the worst one wins.
func (v Verdict) severity() int {
	switch v {
	case Fail:
		return 3
	case Inconclusive:
		return 2
	case Pass:
		return 1
	}
	return 0
}

// Batch is what the gate needs of one batch run.
type Batch struct {
	ID         string    `json:"id"`
	Created    time.Time `json:"created"`
	Successful int64     `json:"successful"`
	Failed     int64     `json:"failed"`
	Total      int64     `json:"total"`    // executed attempts
	Expected   int64     `json:"expected"` // configured attempts; 0 when unknown
}

// Undecided is the number of attempts executed but judged neither way: they
// errored, or a running batch has not judged them yet. The gate counts them
// as failures: an attempt that errored is no evidence of success.
func (b Batch) Undecided() int64 { return max(b.Total-b.Successful-b.Failed, 0) }

// Pending is the number of configured attempts not executed yet.
func (b Batch) Pending() int64 { return max(b.Expected-b.Total, 0) }

// Counts are attempts pooled over batches.
type Counts struct {
	Batches    int   `json:"batches"`
	Successful int64 `json:"successful"`
	Failed     int64 `json:"failed"`
	Undecided  int64 `json:"undecided"`
	Total      int64 `json:"total"`
	Expected   int64 `json:"expected"` // 0 when a batch's is unknown
	Pending    int64 `json:"pending"`
}

// Failures counts failed and undecided attempts: every attempt that did not
// succeed.
func (c Counts) Failures() int64 { return c.Failed + c.Undecided }

// FailureRate is Failures/Total, NaN when nothing was executed.
func (c Counts) FailureRate() float64 { return ratio(c.Failures(), c.Total) }

// SuccessRate is Successful/Total, NaN when nothing was executed.
func (c Counts) SuccessRate() float64 { return ratio(c.Successful, c.Total) }

func ratio(x, n int64) float64 {
	if n <= 0 {
		return math.NaN()
	}
	return float64(x) / float64(n)
}

// Pool adds up the attempts of batches. Sums saturate rather than wrap, so
// absurd input cannot turn into small numbers. The configured attempts of
// batches one of which has unknown ones are unknown too: a partial sum would
// read as the whole.
func Pool(batches []Batch) Counts {
	c := Counts{Batches: len(batches)}
	unknown := false
	for _, b := range batches {
		c.Successful = add(c.Successful, b.Successful)
		c.Failed = add(c.Failed, b.Failed)
		c.Undecided = add(c.Undecided, b.Undecided())
		c.Total = add(c.Total, b.Total)
		c.Expected = add(c.Expected, b.Expected)
		c.Pending = add(c.Pending, b.Pending())
		unknown = unknown || b.Expected == 0
	}
	if unknown {
		c.Expected = 0
	}
	return c
}

func add(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// Rules are the limits a gate enforces. A nil limit is off.
type Rules struct {
	MaxFailureRate    *Rate
	MinSuccessRate    *Rate
	MaxFailedAttempts *int64
	MinAttempts       int64
	// Confidence, when in (0, 1), judges rate rules on exact confidence
	// bounds instead of the observed rates, and regressions on their
	// probability. 0 is off.
	Confidence float64
	// MaxAge fails a gate whose newest batch is older; 0 is off.
	MaxAge time.Duration
	// MaxRegression fails a gate whose failure rate rose by more than this
	// over the baseline batches; nil is off.
	MaxRegression *Rate
}

// Input is everything the gate judges.
type Input struct {
	AgentID  string
	Gated    []Batch // newest first
	Baseline []Batch // the batches just older than the gated ones, newest first
	// Requested is how many batches were asked for; fewer in Gated is noted.
	Requested int
	Rules     Rules
	Now       time.Time
}

// Check is one rule's judgement.
type Check struct {
	Rule    string  `json:"rule"` // the input that sets it, e.g. max-failure-rate
	Verdict Verdict `json:"verdict"`
	// Limit and Actual as numbers, in Unit; Actual is nil when unknown.
	Limit  float64  `json:"limit"`
	Actual *float64 `json:"actual"`
	Unit   string   `json:"unit"` // rate, attempts, seconds
	// LimitText and ActualText are Limit and Actual for people.
	LimitText  string `json:"-"`
	ActualText string `json:"-"`
	Reason     string `json:"reason"` // one sentence
	// Provisional is the verdict the rule has on the attempts so far, while
	// batch runs are still running and Verdict is inconclusive.
	Provisional Verdict     `json:"provisional,omitempty"`
	Bound       *Bound      `json:"bound,omitempty"`
	Regression  *Regression `json:"regression,omitempty"`
}

// Bound is the confidence interval a rate rule was judged on.
type Bound struct {
	Confidence float64 `json:"confidence"`
	Lower      float64 `json:"lower"`
	Upper      float64 `json:"upper"`
	// LowerText and UpperText are Lower and Upper for people, with the
	// digits it takes to read on the right side of the limit.
	LowerText string `json:"-"`
	UpperText string `json:"-"`
	// Needed is how many more attempts, none failing, would decide the rule
	// when it is inconclusive; -1 when no number would, NeededTooMany
	// (math.MaxInt64) when more than MaxNeeded would; 0 otherwise.
	Needed int64 `json:"attemptsNeeded"`
}

// Regression compares the gated batches with the baseline.
type Regression struct {
	BaselineRate float64 `json:"baselineRate"`
	NewRate      float64 `json:"newRate"`
	Rise         float64 `json:"rise"`
	// Probability that the rise exceeds the limit, when judged with
	// confidence.
	Probability *float64 `json:"probability,omitempty"`
	// ProbabilityText is Probability for people, on the right side of the
	// confidence.
	ProbabilityText string `json:"-"`
}

// Result is the gate's judgement.
type Result struct {
	Verdict  Verdict  `json:"verdict"`
	Counts   Counts   `json:"counts"`
	Baseline *Counts  `json:"baseline,omitempty"`
	Checks   []Check  `json:"rules"`
	Notes    []string `json:"notes,omitempty"`
}

// Broken returns the checks that failed, then those that were inconclusive:
// the reasons the gate did not pass. While batch runs are still running, the
// rules that are only provisional are left out: the one reason is that the
// batches are running, unless something already failed.
func (r Result) Broken() []Check {
	running := r.Running()
	var fails, open []Check
	for _, c := range r.Checks {
		switch {
		case c.Verdict == Fail:
			fails = append(fails, c)
		case c.Verdict == Inconclusive && (!running || c.Rule == RuleFinished):
			open = append(open, c)
		}
	}
	// Waiting for running batches cannot mend a failure: do not advise it.
	if running && len(fails) > 0 {
		return fails
	}
	return append(fails, open...)
}

// Rule names of checks that are not limits set by an input.
const (
	RuleBatches  = "batches"  // the agent has batch runs to judge
	RuleFinished = "finished" // the gated batch runs executed all their attempts
)

// Evaluate judges the input. The verdict is the worst of the rules' verdicts.
//
// While a gated batch run is still running, the verdict is inconclusive: the
// rules are judged on the attempts so far and shown, but only as provisional.
// The age of a batch is the one thing waiting cannot change, so max-age still
// decides.
func Evaluate(in Input) Result {
	if len(in.Gated) == 0 {
		return Result{Verdict: Fail, Checks: []Check{{
			Rule: RuleBatches, Verdict: Fail, Limit: 1, Actual: ptr(0.0), Unit: "batches",
			LimitText: "≥ 1", ActualText: "0",
			Reason: fmt.Sprintf("no batch runs were found for %s: run a simulation batch of the agent in SigmaMind, then re-run the gate", short(in.AgentID)),
		}}}
	}
	in.Baseline = slices.Clone(in.Baseline)
	for i, b := range in.Baseline {
		in.Baseline[i] = AsBaseline(b)
	}
	r := evaluate(in)
	if !r.Running() {
		return r
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		switch {
		case c.Rule == RuleFinished || c.Rule == "max-age" || c.Verdict == Skipped:
		case c.Verdict == Inconclusive:
			c.Reason += "; and the batch runs are still running"
		default:
			c.Provisional = c.Verdict
			c.Reason = fmt.Sprintf("provisionally %s: %s, but the batch runs are still running", c.Verdict, c.Reason)
			c.Verdict = Inconclusive
		}
	}
	r.Verdict = worstVerdict(r.Checks)
	return r
}

// AsBaseline is a batch as the baseline counts it: a running one by its
// judged attempts only. An attempt not judged yet is no failure of the
// baseline, and counting it as one would hide a regression.
func AsBaseline(b Batch) Batch {
	if b.Pending() > 0 {
		b.Total = b.Successful + b.Failed
	}
	return b
}

// Running reports whether a gated batch run is still running.
func (r Result) Running() bool {
	for _, c := range r.Checks {
		if c.Rule == RuleFinished && c.Verdict == Inconclusive {
			return true
		}
	}
	return false
}

func evaluate(in Input) Result {
	r := Result{Counts: Pool(in.Gated)}
	if in.Requested > len(in.Gated) {
		r.Notes = append(r.Notes, fmt.Sprintf("%d batch runs were asked for; the agent has only %d.", in.Requested, len(in.Gated)))
	}
	j := judge{in: in, c: r.Counts, where: where(in.Gated)}
	r.Checks = append(r.Checks, j.finished(), j.minAttempts())
	if rule := in.Rules.MaxFailureRate; rule != nil {
		r.Checks = append(r.Checks, j.maxFailureRate(*rule))
	}
	if rule := in.Rules.MinSuccessRate; rule != nil {
		r.Checks = append(r.Checks, j.minSuccessRate(*rule))
	}
	if rule := in.Rules.MaxFailedAttempts; rule != nil {
		r.Checks = append(r.Checks, j.maxFailedAttempts(*rule))
	}
	if in.Rules.MaxAge > 0 {
		r.Checks = append(r.Checks, j.maxAge())
	}
	if rule := in.Rules.MaxRegression; rule != nil {
		base := Pool(in.Baseline)
		r.Baseline = &base
		r.Checks = append(r.Checks, j.maxRegression(*rule, base))
	}
	r.Verdict = worstVerdict(r.Checks)
	return r
}

func worstVerdict(checks []Check) Verdict {
	v := Skipped
	for _, c := range checks {
		if c.Verdict.severity() > v.severity() {
			v = c.Verdict
		}
	}
	if v == Skipped {
		return Pass
	}
	return v
}

type judge struct {
	in    Input
	c     Counts
	where string // "in batch_x" or "in 3 batch runs"
}

func (j judge) conf() (float64, bool) {
	c := j.in.Rules.Confidence
	return c, c > 0 && c < 1
}

func (j judge) finished() Check {
	ch := Check{Rule: RuleFinished, Unit: "attempts", Limit: float64(j.c.Expected), Actual: ptr(float64(j.c.Total)),
		LimitText: "all attempts", ActualText: fmt.Sprintf("%d of %d", j.c.Total, j.c.Expected)}
	// Per batch: pooled counts would let one batch's surplus hide another's
	// pending attempts or unknown size.
	var running, unknown []string
	for _, b := range j.in.Gated {
		switch {
		case b.Expected == 0:
			unknown = append(unknown, short(b.ID))
		case b.Pending() > 0:
			running = append(running, fmt.Sprintf("%s has executed %d of %d attempts", short(b.ID), b.Total, b.Expected))
		}
	}
	unknownPhrase := "configured attempts unknown for " + list(unknown, 3) + ": its test cases do not say how many attempts each runs, so whether it finished is unknown"
	if len(unknown) > 0 {
		// One batch of unknown size makes the pooled count meaningless:
		// "30 of 30" would call it finished.
		ch.ActualText = "configured attempts unknown"
	}
	switch {
	case len(running) > 0:
		ch.Verdict = Inconclusive
		ch.Reason = "still running: " + list(running, 3) + "; wait for it to finish (input wait) and re-run"
		if len(unknown) > 0 {
			ch.Reason += "; " + unknownPhrase
		}
		return ch
	case len(unknown) > 0:
		ch.Verdict, ch.Reason = Skipped, unknownPhrase
		return ch
	}
	ch.Verdict = Pass
	ch.ActualText = fmt.Sprintf("%d of %d", min(j.c.Total, j.c.Expected), j.c.Expected)
	ch.Reason = fmt.Sprintf("all %d configured attempts were executed", j.c.Expected)
	return ch
}

func (j judge) minAttempts() Check {
	limit := j.in.Rules.MinAttempts
	ch := Check{Rule: "min-attempts", Unit: "attempts", Limit: float64(limit), Actual: ptr(float64(j.c.Total)),
		LimitText: fmt.Sprintf("≥ %d", limit), ActualText: fmt.Sprint(j.c.Total), Verdict: Pass}
	if j.c.Total < limit {
		ch.Verdict = Fail
		ch.Reason = fmt.Sprintf("only %d attempts were executed %s, fewer than min-attempts %d: too little evidence to judge", j.c.Total, j.where, limit)
	} else {
		ch.Reason = fmt.Sprintf("%d attempts were executed %s", j.c.Total, j.where)
	}
	return ch
}

func (j judge) failedPhrase() string {
	if j.c.Undecided > 0 {
		return fmt.Sprintf("%d failed and %d undecided of %d attempts %s", j.c.Failed, j.c.Undecided, j.c.Total, j.where)
	}
	return fmt.Sprintf("%d of %d attempts failed %s", j.c.Failed, j.c.Total, j.where)
}

func (j judge) noAttempts(ch Check, what string) Check {
	ch.Verdict = Fail
	ch.ActualText = "n/a"
	ch.Reason = fmt.Sprintf("no attempts were executed %s, so there is no %s to judge", j.where, what)
	return ch
}

func (j judge) maxFailureRate(limit Rate) Check {
	lim := limit.limitString()
	ch := Check{Rule: "max-failure-rate", Unit: "rate", Limit: limit.Float64(), LimitText: "≤ " + lim}
	if j.c.Total == 0 {
		return j.noAttempts(ch, "failure rate")
	}
	x, n := j.c.Failures(), j.c.Total
	rate := RateOf(x, n).Float64()
	conf, ok := j.conf()
	var b *Bound
	shown := percentsAgainst(limit, rate)
	if ok {
		b = &Bound{Confidence: conf, Lower: LowerBound(x, n, conf), Upper: UpperBound(x, n, conf)}
		shown = percentsAgainst(limit, rate, b.Lower, b.Upper)
		b.LowerText, b.UpperText = shown[1], shown[2]
	}
	ch.Actual, ch.ActualText = ptr(rate), fmt.Sprintf("%s (%d/%d)", shown[0], x, n)
	if !ok {
		if limit.Cmp(x, n) < 0 {
			ch.Verdict = Fail
			ch.Reason = fmt.Sprintf("failure rate %s is above the limit %s (%s)", shown[0], lim, j.failedPhrase())
		} else {
			ch.Verdict = Pass
			ch.Reason = fmt.Sprintf("failure rate %s is within the limit %s (%s)", shown[0], lim, j.failedPhrase())
		}
		return ch
	}
	ch.Bound = b
	at := "at " + Confidence(conf) + " confidence"
	switch {
	case b.Lower > limit.Float64():
		ch.Verdict = Fail
		ch.Reason = fmt.Sprintf("failure rate is above the limit %s %s: its lower bound is %s (observed %s; %s)", lim, at, b.LowerText, shown[0], j.failedPhrase())
	case b.Upper <= limit.Float64():
		ch.Verdict = Pass
		ch.Reason = fmt.Sprintf("failure rate is within the limit %s %s: its upper bound is %s (observed %s; %s)", lim, at, b.UpperText, shown[0], j.failedPhrase())
	default:
		ch.Verdict = Inconclusive
		b.Needed = AttemptsToShowAtMost(x, n, conf, limit.Float64())
		ch.Reason = fmt.Sprintf("failure rate %s cannot be shown to be at most %s %s: its bounds are %s to %s (%s); %s",
			shown[0], lim, at, b.LowerText, b.UpperText, j.failedPhrase(), neededPhrase(b.Needed, "failures", "a failure rate", "≤ "+lim, at))
	}
	return ch
}

func (j judge) minSuccessRate(limit Rate) Check {
	lim := limit.limitString()
	ch := Check{Rule: "min-success-rate", Unit: "rate", Limit: limit.Float64(), LimitText: "≥ " + lim}
	if j.c.Total == 0 {
		return j.noAttempts(ch, "success rate")
	}
	s, n := j.c.Successful, j.c.Total
	rate := RateOf(s, n).Float64()
	phrase := fmt.Sprintf("%d of %d attempts succeeded %s", s, n, j.where)
	conf, ok := j.conf()
	var b *Bound
	shown := percentsAgainst(limit, rate)
	if ok {
		b = &Bound{Confidence: conf, Lower: LowerBound(s, n, conf), Upper: UpperBound(s, n, conf)}
		shown = percentsAgainst(limit, rate, b.Lower, b.Upper)
		b.LowerText, b.UpperText = shown[1], shown[2]
	}
	ch.Actual, ch.ActualText = ptr(rate), fmt.Sprintf("%s (%d/%d)", shown[0], s, n)
	if !ok {
		if limit.Cmp(s, n) > 0 {
			ch.Verdict = Fail
			ch.Reason = fmt.Sprintf("success rate %s is below the limit %s (%s)", shown[0], lim, phrase)
		} else {
			ch.Verdict = Pass
			ch.Reason = fmt.Sprintf("success rate %s meets the limit %s (%s)", shown[0], lim, phrase)
		}
		return ch
	}
	ch.Bound = b
	at := "at " + Confidence(conf) + " confidence"
	switch {
	case b.Upper < limit.Float64():
		ch.Verdict = Fail
		ch.Reason = fmt.Sprintf("success rate is below the limit %s %s: its upper bound is %s (observed %s; %s)", lim, at, b.UpperText, shown[0], phrase)
	case b.Lower >= limit.Float64():
		ch.Verdict = Pass
		ch.Reason = fmt.Sprintf("success rate meets the limit %s %s: its lower bound is %s (observed %s; %s)", lim, at, b.LowerText, shown[0], phrase)
	default:
		ch.Verdict = Inconclusive
		b.Needed = AttemptsToShowAtLeast(s, n, conf, limit.Float64())
		ch.Reason = fmt.Sprintf("success rate %s cannot be shown to be at least %s %s: its bounds are %s to %s (%s); %s",
			shown[0], lim, at, b.LowerText, b.UpperText, phrase, neededPhrase(b.Needed, "failures", "a success rate", "≥ "+lim, at))
	}
	return ch
}

// neededPhrase tells how much more evidence would decide a rule.
func neededPhrase(k int64, what, rate, limit, at string) string {
	switch {
	case k < 0:
		return fmt.Sprintf("no number of attempts can show %s %s %s: loosen the limit", rate, limit, at)
	case k > MaxNeeded:
		return fmt.Sprintf("more than %d more attempts with no %s would be needed to show %s %s %s", MaxNeeded, what, rate, limit, at)
	case k == 1:
		return fmt.Sprintf("1 more attempt with no %s would show %s %s %s", what, rate, limit, at)
	}
	return fmt.Sprintf("%d more attempts with no %s would show %s %s %s", k, what, rate, limit, at)
}

func (j judge) maxFailedAttempts(limit int64) Check {
	x := j.c.Failures()
	ch := Check{Rule: "max-failed-attempts", Unit: "attempts", Limit: float64(limit), Actual: ptr(float64(x)),
		LimitText: fmt.Sprintf("≤ %d", limit), ActualText: fmt.Sprint(x), Verdict: Pass}
	if x > limit {
		ch.Verdict = Fail
		ch.Reason = fmt.Sprintf("%d attempts did not succeed, more than the limit %d (%s)", x, limit, j.failedPhrase())
	} else {
		ch.Reason = fmt.Sprintf("%d attempts did not succeed, within the limit %d (%s)", x, limit, j.failedPhrase())
	}
	return ch
}

func (j judge) maxAge() Check {
	limit := j.in.Rules.MaxAge
	ch := Check{Rule: "max-age", Unit: "seconds", Limit: limit.Seconds(), LimitText: "≤ " + Duration(limit)}
	// The newest by date, not the first: the order of the input is not
	// evidence of age.
	newest := j.in.Gated[0]
	for _, b := range j.in.Gated {
		if b.Created.IsZero() {
			ch.Verdict, ch.ActualText = Fail, "unknown"
			ch.Reason = fmt.Sprintf("batch run %s has no creation date, so its age cannot be checked against max-age %s", short(b.ID), Duration(limit))
			return ch
		}
		if b.Created.After(newest.Created) {
			newest = b
		}
	}
	age := max(j.in.Now.Sub(newest.Created), 0) // a clock behind the server's is not staleness
	ch.Actual, ch.ActualText = ptr(age.Seconds()), Duration(age)
	if age > limit {
		ch.Verdict = Fail
		ch.Reason = fmt.Sprintf("the newest gated batch run %s was created %s ago, longer ago than max-age %s: run a fresh simulation batch", short(newest.ID), Duration(age), Duration(limit))
	} else {
		ch.Verdict = Pass
		ch.Reason = fmt.Sprintf("the newest gated batch run %s was created %s ago", short(newest.ID), Duration(age))
	}
	return ch
}

func (j judge) maxRegression(limit Rate, base Counts) Check {
	lim := points(limit.limitString(), limit.Float64())
	ch := Check{Rule: "max-regression", Unit: "rate", Limit: limit.Float64(), LimitText: "≤ " + lim}
	if base.Total == 0 || j.c.Total == 0 {
		ch.Verdict, ch.ActualText = Skipped, "n/a"
		ch.Reason = "no older batch runs with attempts to compare with"
		if j.c.Total == 0 {
			ch.Reason = "no attempts in the gated batch runs to compare"
		}
		return ch
	}
	x1, n1, x0, n0 := j.c.Failures(), j.c.Total, base.Failures(), base.Total
	reg := &Regression{BaselineRate: RateOf(x0, n0).Float64(), NewRate: RateOf(x1, n1).Float64()}
	reg.Rise = reg.NewRate - reg.BaselineRate
	ch.Regression = reg
	ch.Actual = ptr(reg.Rise)
	// The side of the limit is the exact one: the floats' difference may
	// be a hair off (0.15 − 0.1 is not 0.05).
	rise := riseCmp(x1, n1, x0, n0, limit)
	ch.ActualText = points(percentsBeside(limit.limitString(), []int{rise}, reg.Rise)[0], reg.Rise)
	runs := "baseline batch runs"
	if base.Batches == 1 {
		runs = "baseline batch run"
	}
	from := fmt.Sprintf("from %s (%d/%d in %d %s) to %s (%d/%d)",
		Percent(reg.BaselineRate), x0, n0, base.Batches, runs, Percent(reg.NewRate), x1, n1)
	if conf, ok := j.conf(); ok {
		p := RiseProbability(x1, n1, x0, n0, limit.Float64())
		reg.Probability = &p
		// Quadrature is good to about 1e-10; at the boundary the gate errs
		// on the side of failing.
		if p >= conf-1e-9 {
			ch.Verdict = Fail
			reg.ProbabilityText = Percent(p)
			ch.Reason = fmt.Sprintf("failure rate rose %s, by more than %s with probability %s (at least the confidence %s)", from, lim, reg.ProbabilityText, Confidence(conf))
		} else {
			ch.Verdict = Pass
			reg.ProbabilityText = percentsBeside(Confidence(conf), []int{-1}, p)[0]
			ch.Reason = fmt.Sprintf("failure rate went %s; the probability that it rose by more than %s is %s, below the confidence %s", from, lim, reg.ProbabilityText, Confidence(conf))
		}
		return ch
	}
	if rise > 0 {
		ch.Verdict = Fail
		ch.Reason = fmt.Sprintf("failure rate rose %s, by more than max-regression %s", from, lim)
	} else {
		ch.Verdict = Pass
		ch.Reason = fmt.Sprintf("failure rate went %s, within max-regression %s", from, lim)
	}
	return ch
}

// riseCmp compares x1/n1 − x0/n0 with limit exactly: -1, 0 or +1.
func riseCmp(x1, n1, x0, n0 int64, limit Rate) int {
	rise := new(big.Rat).Sub(big.NewRat(x1, n1), big.NewRat(x0, n0))
	return rise.Cmp(limit.rat())
}

// Confidence writes a confidence level as people say it: 95%, 99.9%. It
// moves the decimal point of the level's shortest decimal form, so that
// neither the binary noise of c*100 shows (0.57 is 57%, not
// 56.99999999999999%) nor rounding (0.999999999999 is not 100%).
func Confidence(c float64) string {
	if math.IsNaN(c) || math.IsInf(c, 0) {
		return "n/a"
	}
	s := strconv.FormatFloat(c, 'f', -1, 64) // never an exponent
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	whole, frac, _ := strings.Cut(s, ".")
	frac += "00"
	whole, frac = strings.TrimLeft(whole+frac[:2], "0"), strings.TrimRight(frac[2:], "0")
	if whole == "" {
		whole = "0"
	}
	if frac != "" {
		whole += "." + frac
	}
	return sign + whole + "%"
}

// points writes a difference of rates f, written as a percentage s, in
// percentage points with its sign: +5.0 points, −2.5 points.
func points(s string, f float64) string {
	p := strings.TrimPrefix(strings.TrimSuffix(s, "%"), "-") + " points"
	switch {
	case f > 0:
		return "+" + p
	case f < 0:
		return "−" + p
	}
	return p
}

// Duration formats a duration for people, to the second, dropping zero
// parts: 1d40m, 2h, 1d29s. Rounding would hide why an age 29 seconds over
// its limit fails.
func Duration(d time.Duration) string {
	d = d.Truncate(time.Second)
	if d <= 0 {
		return "0s"
	}
	parts := []struct {
		unit time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	var b strings.Builder
	for _, p := range parts {
		if n := d / p.unit; n > 0 {
			fmt.Fprintf(&b, "%d%s", n, p.name)
			d -= n * p.unit
		}
	}
	return b.String()
}

func where(batches []Batch) string {
	if len(batches) == 1 {
		return "in " + short(batches[0].ID)
	}
	return fmt.Sprintf("in %d batch runs", len(batches))
}

// short cuts an untrusted id for a sentence; the full id is in the tables.
func short(id string) string {
	return untrusted.Cut(id, 48)
}

func list(items []string, most int) string {
	if len(items) <= most {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:most], ", ") + fmt.Sprintf(" and %d more", len(items)-most)
}

func ptr[T any](v T) *T { return &v }

// Sum adds up counts judged apart, such as several agents' gated runs, for
// totals across them; like Pool, it saturates rather than overflow, and
// Expected is unknown (0) when any part's is.
func Sum(parts []Counts) Counts {
	var c Counts
	unknown := false
	for _, p := range parts {
		c.Batches += p.Batches
		c.Successful = add(c.Successful, p.Successful)
		c.Failed = add(c.Failed, p.Failed)
		c.Undecided = add(c.Undecided, p.Undecided)
		c.Total = add(c.Total, p.Total)
		c.Expected = add(c.Expected, p.Expected)
		c.Pending = add(c.Pending, p.Pending)
		unknown = unknown || (p.Batches > 0 && p.Expected == 0)
	}
	if unknown {
		c.Expected = 0
	}
	return c
}
