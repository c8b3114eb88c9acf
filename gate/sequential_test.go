package gate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// plainBinomial is the binomial's probabilities term by term from
// logarithms of factorials, with no tails cut: a computation independent of
// the one the plan uses.
func plainBinomial(n int64, p float64) []float64 {
	pmf := make([]float64, n+1)
	switch {
	case p <= 0:
		pmf[0] = 1
	case p >= 1:
		pmf[n] = 1
	default:
		lgn, _ := math.Lgamma(float64(n + 1))
		for x := range n + 1 {
			a, _ := math.Lgamma(float64(x + 1))
			b, _ := math.Lgamma(float64(n - x + 1))
			pmf[x] = math.Exp(lgn - a - b + float64(x)*math.Log(p) + float64(n-x)*math.Log1p(-p))
		}
	}
	return pmf
}

// lookWalk computes exactly the chances that the plan passes and fails, and
// the runs it starts, when run k executes attempts[k-1] attempts, each
// failing independently with probability p, with Look deciding every count.
// It shares nothing with the plan's own computation but Look. With
// ignoreStop the runs go on after a look that finds no pass reachable, as a
// caller that does not honour that stop would.
func lookWalk(s Sequential, attempts []int64, p float64, ignoreStop bool) (pass, fail, runs float64) {
	dist := []float64{1} // dist[x]: P(still going with x failures)
	total := int64(0)
	for k, n := range attempts {
		for _, v := range dist {
			runs += v
		}
		pmf := plainBinomial(n, p)
		next := make([]float64, len(dist)+len(pmf)-1)
		for i, d := range dist {
			for j, q := range pmf {
				next[i+j] += d * q
			}
		}
		total += n
		for x, v := range next {
			switch st := s.Look(k+1, int64(x), total); {
			case st.Verdict == Pass:
				pass += v
			case st.Verdict == Fail:
				fail += v
			case st.More || ignoreStop && st.Futile:
				continue
			}
			next[x] = 0
		}
		dist = next
	}
	return pass, fail, runs
}

func full(s Sequential) []int64 {
	a := make([]int64, s.Runs())
	for k := range a {
		a[k] = s.RunAttempts()
	}
	return a
}

type design struct {
	n       int64
	runs    int
	limit   string
	conf    float64
	success bool
}

func (d design) plan(t testing.TB) Sequential {
	t.Helper()
	planner := PlanSequential
	if d.success {
		planner = PlanSequentialSuccess
	}
	s, err := planner(d.n, d.runs, MustRate(d.limit), d.conf)
	if err != nil {
		t.Fatalf("%+v: %v", d, err)
	}
	return s
}

// failureLimit is the design's limit on the failure rate.
func (d design) failureLimit() float64 {
	if d.success {
		return 1 - MustRate(d.limit).Float64()
	}
	return MustRate(d.limit).Float64()
}

// ratesAround are true failure rates at and around q, on both sides, with
// some just beside it, where the worst errors are.
func ratesAround(q float64) []float64 {
	var ps []float64
	for _, f := range []float64{0, 0.2, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1} {
		ps = append(ps, q*f)
	}
	for _, f := range []float64{1e-9, 1e-6, 0.001, 0.01, 0.03, 0.1, 0.2, 0.5, 1} {
		ps = append(ps, q+(1-q)*f)
	}
	return ps
}

// checkBound asserts the plan's promise at true failure rate p: no more than
// alpha wrong passes above the limit and wrong fails at or below it.
func checkBound(t *testing.T, what string, p, q, alpha, pass, fail float64) {
	t.Helper()
	const rounding = 1e-12
	if p > q && pass > alpha+rounding {
		t.Errorf("%s: at a true failure rate of %v, above the limit %v, it passes %.6f > %v", what, p, q, pass, alpha)
	}
	if p <= q && fail > alpha+rounding {
		t.Errorf("%s: at a true failure rate of %v, within the limit %v, it fails %.6f > %v", what, p, q, fail, alpha)
	}
}

// TestSequentialErrorBound checks, exactly over the binomial, that no plan
// on a grid of run sizes, budgets, limits and confidences decides wrongly
// more often than 1−confidence, at true rates on both sides of the limit.
func TestSequentialErrorBound(t *testing.T) {
	t.Parallel()
	for _, n := range []int64{1, 4, 30, 120} {
		for _, runs := range []int{1, 2, 3, 6, 10} {
			for _, limit := range []string{"1%", "5%", "10%", "25%", "50%", "90%"} {
				for _, conf := range []float64{0.8, 0.95, 0.99} {
					for _, success := range []bool{false, true} {
						d := design{n, runs, limit, conf, success}
						s := d.plan(t)
						alpha, q := 1-conf, d.failureLimit()
						what := fmt.Sprintf("%+v (level %v)", d, s.Level())
						wp, wf := s.WorstErrors()
						if wp > alpha || wf > alpha {
							t.Errorf("%s: worst errors %v, %v above %v", what, wp, wf, alpha)
						}
						for _, p := range ratesAround(q) {
							pass, fail, inc, _ := s.Characteristics(p)
							checkBound(t, what, p, q, alpha, pass, fail)
							if sum := pass + fail + inc; math.Abs(sum-1) > 1e-12 {
								t.Errorf("%s at %v: chances add up to %v", what, p, sum)
							}
						}
					}
				}
			}
		}
	}
}

// TestSequentialBoundWithOtherRunSizes checks the bound when runs execute
// other numbers of attempts than planned, and when the caller does not
// honour the early stop, exactly over the binomial with Look deciding.
func TestSequentialBoundWithOtherRunSizes(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 2026))
	for _, d := range []design{
		{30, 6, "10%", 0.95, false},
		{30, 6, "90%", 0.95, true},
		{10, 4, "20%", 0.9, false},
		{50, 3, "5%", 0.99, false},
		{7, 8, "30%", 0.8, true},
	} {
		s := d.plan(t)
		alpha, q := 1-d.conf, d.failureLimit()
		schedules := map[string][]int64{}
		for _, cut := range []int64{-3, -1, 1, 5} { // every run short or long
			a := full(s)
			for k := range a {
				a[k] = max(a[k]+cut, 1)
			}
			schedules[fmt.Sprintf("every run %+d", cut)] = a
		}
		for i := range 4 {
			a := full(s)
			for k := range a {
				a[k] = max(a[k]+rng.Int64N(d.n+1)-d.n/2, 1)
			}
			schedules[fmt.Sprintf("random sizes %d %v", i, a)] = a
		}
		for name, a := range schedules {
			for _, ignoreStop := range []bool{false, true} {
				what := fmt.Sprintf("%+v, %s, stop ignored %v", d, name, ignoreStop)
				for _, p := range ratesAround(q) {
					pass, fail, _ := lookWalk(s, a, p, ignoreStop)
					checkBound(t, what, p, q, alpha, pass, fail)
				}
			}
		}
	}
}

// TestSequentialCharacteristicsAgreeWithLook cross-checks the plan's own
// computation with lookWalk, which shares only Look with it.
func TestSequentialCharacteristicsAgreeWithLook(t *testing.T) {
	t.Parallel()
	for _, d := range []design{
		{30, 6, "10%", 0.95, false},
		{30, 6, "95%", 0.9, true},
		{1, 10, "50%", 0.8, false},
		{200, 3, "2%", 0.99, false},
	} {
		s := d.plan(t)
		for _, p := range []float64{0, 0.01, 0.03, 0.1, 0.2, 0.5, 0.9, 1} {
			pass, fail, inc, runs := s.Characteristics(p)
			want := []float64{0, 0, 0}
			want[0], want[1], want[2] = lookWalk(s, full(s), p, false)
			if diff := cmp.Diff(want, []float64{pass, fail, runs}, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-12 })); diff != "" {
				t.Errorf("%+v at %v: pass, fail, runs (-lookWalk +Characteristics):\n%s", d, p, diff)
			}
			if inc < -1e-15 {
				t.Errorf("%+v at %v: inconclusive %v", d, p, inc)
			}
		}
	}
}

// TestSequentialCrossingsAreMonotone checks numerically what the bound
// rests on: the chance of crossing the pass thresholds falls as the true
// failure rate rises, and that of crossing the fail thresholds rises; and
// the plan decides no more often than its crossings.
func TestSequentialCrossingsAreMonotone(t *testing.T) {
	t.Parallel()
	for _, d := range []design{
		{30, 6, "10%", 0.95, false},
		{5, 10, "40%", 0.8, false},
		{100, 4, "80%", 0.99, true},
	} {
		s := d.plan(t)
		lastPass, lastFail := math.Inf(1), math.Inf(-1)
		for i := range 1001 {
			p := float64(i) / 1000
			cp, cf := s.crossings(p)
			if cp > lastPass+1e-13 || cf < lastFail-1e-13 {
				t.Errorf("%+v at %v: crossings %v, %v after %v, %v", d, p, cp, cf, lastPass, lastFail)
			}
			lastPass, lastFail = cp, cf
			pass, fail, _, _ := s.Characteristics(p)
			if pass > cp+1e-13 || fail > cf+1e-13 {
				t.Errorf("%+v at %v: decides (%v, %v) more often than it crosses (%v, %v)", d, p, pass, fail, cp, cf)
			}
		}
	}
}

// TestSequentialMonteCarlo plays the plan attempt by attempt with a seeded
// generator and Look deciding, and checks the exact figures are within 4.5
// standard errors of what it sees.
func TestSequentialMonteCarlo(t *testing.T) {
	t.Parallel()
	const trials = 40000
	for _, tc := range []struct {
		d design
		p float64
	}{
		{design{30, 6, "10%", 0.95, false}, 0.1},
		{design{30, 6, "10%", 0.95, false}, 0.03},
		{design{12, 5, "80%", 0.9, true}, 0.25},
	} {
		s := tc.d.plan(t)
		rng := rand.New(rand.NewPCG(uint64(tc.p*1e6), 42))
		var passes, fails, runs, runs2 float64
		for range trials {
			var failures, attempts int64
			for k := 1; k <= s.Runs(); k++ {
				for range s.RunAttempts() {
					if rng.Float64() < tc.p {
						failures++
					}
				}
				attempts += s.RunAttempts()
				st := s.Look(k, failures, attempts)
				if !st.More {
					runs, runs2 = runs+float64(k), runs2+float64(k*k)
					passes += b2f(st.Verdict == Pass)
					fails += b2f(st.Verdict == Fail)
					break
				}
			}
		}
		pass, fail, _, meanRuns := s.Characteristics(tc.p)
		within := func(what string, seen, exact, se float64) {
			if math.Abs(seen-exact) > 4.5*se+1e-12 {
				t.Errorf("%+v at %v: %s seen %v, exact %v (standard error %v)", tc.d, tc.p, what, seen, exact, se)
			}
		}
		within("passes", passes/trials, pass, math.Sqrt(pass*(1-pass)/trials))
		within("fails", fails/trials, fail, math.Sqrt(fail*(1-fail)/trials))
		m := runs / trials
		within("mean runs", m, meanRuns, math.Sqrt((runs2/trials-m*m)/trials))
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestSequentialOneRunIsTheSingleBatchRule checks that a budget of one run
// is the rule of gate.go at the configured confidence, count by count.
func TestSequentialOneRunIsTheSingleBatchRule(t *testing.T) {
	t.Parallel()
	// Every count of small runs, and of the sizes the gate meets.
	sizes := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 29, 30, 31, 60, 97, 180}
	for _, n := range sizes {
		for _, limit := range []string{"0", "1%", "10%", "1/3", "50%", "90%", "99%", "1"} {
			if limit == "1/3" {
				limit = "0.333333333333"
			}
			for _, conf := range []float64{0.5, 0.8, 0.95, 0.99} {
				for _, success := range []bool{false, true} {
					s := design{n, 1, limit, conf, success}.plan(t)
					if s.Level() != conf {
						t.Errorf("n %d limit %s conf %v: level %v", n, limit, conf, s.Level())
					}
					for x := range n + 1 {
						rules := Rules{MaxFailureRate: rate(limit), Confidence: conf}
						rule := "max-failure-rate"
						if success {
							rules = Rules{MinSuccessRate: rate(limit), Confidence: conf}
							rule = "min-success-rate"
						}
						want := verdicts(Evaluate(Input{Gated: []Batch{batch("b", x, n)}, Rules: rules}))[rule]
						if got := s.Look(1, x, n); got != (Step{Verdict: want}) {
							t.Errorf("%s %s, conf %v: %d failures of %d: %+v, the single-batch rule says %s", rule, limit, conf, x, n, got, want)
						}
					}
				}
			}
		}
	}
}

// TestSequentialSuccessMirrorsFailure checks that min-success-rate s plans
// the same thresholds as max-failure-rate 1−s: the two rules say the same.
func TestSequentialSuccessMirrorsFailure(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ fail, succ string }{{"10%", "90%"}, {"2.5%", "97.5%"}, {"40%", "60%"}} {
		for _, runs := range []int{1, 3, 6} {
			f := design{30, runs, c.fail, 0.95, false}.plan(t)
			s := design{30, runs, c.succ, 0.95, true}.plan(t)
			if diff := cmp.Diff([][]int64{f.pass, f.fail, f.reach}, [][]int64{s.pass, s.fail, s.reach}); diff != "" {
				t.Errorf("max-failure-rate %s and min-success-rate %s, %d runs (-failure +success):\n%s", c.fail, c.succ, runs, diff)
			}
		}
	}
}

// TestSequentialReference checks the figures quoted for 30 attempts a run,
// 6 runs, a 10% limit at 95%: the calibrated level, its errors and the runs
// it spends, beside a Bonferroni split and full-level looks.
func TestSequentialReference(t *testing.T) {
	t.Parallel()
	s := design{30, 6, "10%", 0.95, false}.plan(t)
	wp, wf := s.WorstErrors()
	noStop := func(s Sequential, p float64) float64 { _, _, _, r := s.boundaries(false).walk(p); return r }
	_, _, _, r3 := s.Characteristics(0.03)
	_, _, _, r30 := s.Characteristics(0.3)
	bonferroni := atLevel(30, 6, "10%", 1-0.05/6)
	naive := atLevel(30, 6, "10%", 0.95)
	naivePass, _, _, _ := naive.Characteristics(0.101)
	got := map[string]string{
		"level a look":          Percent(1 - s.Level()),
		"worst wrong pass":      Percent(wp),
		"worst wrong fail":      Percent(wf),
		"runs at 3%, no stop":   fmt.Sprintf("%.2f", noStop(s, 0.03)),
		"runs at 30%, no stop":  fmt.Sprintf("%.2f", noStop(s, 0.3)),
		"Bonferroni runs at 3%": fmt.Sprintf("%.2f", noStop(bonferroni, 0.03)),
		"Bonferroni runs at 30": fmt.Sprintf("%.2f", noStop(bonferroni, 0.3)),
		"full level, 10.1%":     Percent(naivePass),
	}
	want := map[string]string{
		"level a look": "2.5%",
		// 4.75% and 4.67%: the 4.7% and 4.6% cut them to a decimal.
		"worst wrong pass":      "4.8%",
		"worst wrong fail":      "4.7%",
		"runs at 3%, no stop":   "3.00",
		"runs at 30%, no stop":  "1.31",
		"Bonferroni runs at 3%": "3.76",
		"Bonferroni runs at 30": "1.34",
		"full level, 10.1%":     "10.8%",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("reference figures (-want +got):\n%s", diff)
	}
	// The aim, with the stop when no pass is reachable.
	if r3 > 3.4 || r30 > 1.6 {
		t.Errorf("runs spent at 3%% and 30%%: %.2f and %.2f, above the aim of 3.4 and 1.6", r3, r30)
	}
	if want := [][]int64{{-1, 1, 3, 5, 7, 10}, {8, 12, 16, 20, 24, 27}}; !cmp.Equal(want, [][]int64{s.pass, s.fail}) {
		t.Errorf("thresholds %v, %v; want %v", s.pass, s.fail, want)
	}
}

// atLevel is a plan whose looks are at the given level, not calibrated: the
// designs the calibrated one is compared with.
func atLevel(n int64, runs int, limit string, level float64) Sequential {
	s := Sequential{runAttempts: n, runs: runs, limit: MustRate(limit), confidence: 0.95}
	s.setLevel(level, nil)
	return s
}

// TestSequentialClosingNote writes the comparison of designs at 30 attempts
// a run, 6 runs, a 10% limit at 95% (go test -run ClosingNote -v).
func TestSequentialClosingNote(t *testing.T) {
	t.Parallel()
	const n, runs, alpha = 30, 6, 0.05
	calibrated := design{n, runs, "10%", 1 - alpha, false}.plan(t)
	fixed := design{n * runs, 1, "10%", 1 - alpha, false}.plan(t)
	rows := []struct {
		name    string
		s       Sequential
		stop    bool    // stop when no pass is reachable
		perLook float64 // runs a look stands for
	}{
		{"(a) calibrated, stop when no pass is reachable", calibrated, true, 1},
		{"(a′) calibrated, no early stop", calibrated, false, 1},
		{"(b) Bonferroni α/6, stop when no pass is reachable", atLevel(n, runs, "10%", 1-alpha/runs), true, 1},
		{"(b′) Bonferroni α/6, no early stop", atLevel(n, runs, "10%", 1-alpha/runs), false, 1},
		{"(c) fixed: one look after 6 runs", fixed, false, runs},
		{"(d) every look at the full 95%", atLevel(n, runs, "10%", 1-alpha), false, 1},
	}
	rates := []float64{0.03, 0.099, 0.101, 0.3}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%d attempts a run, up to %d runs, max-failure-rate 10%%, confidence 95%%.\n", n, runs)
	b.WriteString("Wrong decided verdicts (fails at 3% and 9.9%, passes at 10.1% and 30%) and mean runs spent; worst over all true rates.\n\n")
	b.WriteString("| design | level a look | worst wrong pass | worst wrong fail |")
	for _, p := range rates {
		fmt.Fprintf(&b, " %s: wrong | runs |", Percent(p))
	}
	b.WriteString("\n|---|---|---|---|" + strings.Repeat("---|---|", len(rates)) + "\n")
	for _, r := range rows {
		bd := r.s.boundaries(r.stop)
		wp, wf := r.s.crossings(0.1)
		fmt.Fprintf(&b, "| %s | %s | %s | %s |", r.name, Percent(1-r.s.Level()), Percent(wp), Percent(wf))
		for _, p := range rates {
			pass, fail, _, spent := bd.walk(p)
			wrong := pass
			if p <= 0.1 {
				wrong = fail
			}
			fmt.Fprintf(&b, " %s | %.2f |", Percent(wrong), spent*r.perLook)
		}
		b.WriteString("\n")
	}
	b.WriteString("\nDesign (a) in full: pass / fail / inconclusive, mean runs\n")
	for _, p := range rates {
		pass, fail, inc, spent := calibrated.Characteristics(p)
		fmt.Fprintf(&b, "  at %-5s %6s / %6s / %6s, %.2f runs\n", Percent(p), Percent(pass), Percent(fail), Percent(inc), spent)
	}
	t.Log(b.String())
}

func TestLook(t *testing.T) {
	t.Parallel()
	// 30 attempts a run, 6 runs, 10% at 95%: pass at most -1, 1, 3, 5, 7, 10
	// failures after 1 to 6 runs, fail at least 8, 12, 16, 20, 24, 27.
	s := design{30, 6, "10%", 0.95, false}.plan(t)
	more := Step{Verdict: Inconclusive, More: true}
	tests := []struct {
		name               string
		k                  int
		failures, attempts int64
		want               Step
	}{
		{"first run, none failed: cannot pass yet", 1, 0, 30, more},
		{"first run fails", 1, 8, 30, Step{Verdict: Fail}},
		{"just below the fail threshold", 1, 7, 30, more},
		{"second run passes", 2, 1, 60, Step{Verdict: Pass}},
		{"just above the pass threshold", 2, 2, 60, more},
		{"a short run counts its missing attempts as failures", 2, 1, 59, more},
		{"a long run passes on its own failures", 2, 1, 61, Step{Verdict: Pass}},
		{"a long run takes its extra attempts away as failures", 1, 8, 31, more},
		{"a long run fails on enough failures", 1, 9, 31, Step{Verdict: Fail}},
		{"a short run fails on its own failures", 2, 12, 31, Step{Verdict: Fail}},
		{"no pass reachable: stop early", 3, 11, 90, Step{Verdict: Inconclusive, Futile: true}},
		{"a pass still reachable", 3, 10, 90, more},
		{"last run passes", 6, 10, 180, Step{Verdict: Pass}},
		{"last run undecided: budget spent", 6, 11, 180, Step{Verdict: Inconclusive}},
		{"last run fails", 6, 27, 180, Step{Verdict: Fail}},
		{"beyond the budget", 7, 0, 210, Step{Verdict: Inconclusive}},
		{"no run", 0, 0, 0, Step{Verdict: Inconclusive}},
		{"nothing executed", 2, 0, 0, more},
		{"more failures than attempts", 2, 31, 30, Step{Verdict: Inconclusive}},
		{"negative failures", 2, -1, 60, Step{Verdict: Inconclusive}},
	}
	for _, tt := range tests {
		if got := s.Look(tt.k, tt.failures, tt.attempts); got != tt.want {
			t.Errorf("%s: Look(%d, %d, %d) = %+v, want %+v", tt.name, tt.k, tt.failures, tt.attempts, got, tt.want)
		}
	}
}

// TestLookIsMonotone checks that one more failure never improves a look's
// verdict, and one more attempt with no more failures never worsens it,
// however many attempts the runs executed.
func TestLookIsMonotone(t *testing.T) {
	t.Parallel()
	for _, d := range []design{{30, 6, "10%", 0.95, false}, {30, 6, "80%", 0.9, true}, {4, 5, "30%", 0.8, false}} {
		s := d.plan(t)
		for k := 1; k <= s.Runs(); k++ {
			planned := int64(k) * s.RunAttempts()
			for n := max(planned-5, 1); n <= planned+5; n++ {
				for x := range n {
					v, worse, more := s.Look(k, x, n).Verdict, s.Look(k, x+1, n).Verdict, s.Look(k, x, n+1).Verdict
					if rank(worse) < rank(v) || rank(more) > rank(v) {
						t.Errorf("%+v look %d: %d of %d %s, %d of %d %s, %d of %d %s", d, k, x, n, v, x+1, n, worse, x, n+1, more)
					}
				}
			}
		}
	}
}

func TestPlanSequentialLimitsThatCannotDecide(t *testing.T) {
	t.Parallel()
	// A limit of 0 can never be shown with confidence: the first run that
	// does not fail stops, since no pass is reachable.
	zero := design{30, 6, "0", 0.95, false}.plan(t)
	if got, want := zero.Look(1, 0, 30), (Step{Verdict: Inconclusive, Futile: true}); got != want {
		t.Errorf("limit 0, no failure: %+v, want %+v", got, want)
	}
	if got := zero.Look(1, 1, 30); got.Verdict != Fail {
		t.Errorf("limit 0, one failure: %+v, want a fail", got)
	}
	// A limit of 100% passes anything at once.
	all := design{30, 6, "100%", 0.95, false}.plan(t)
	if got := all.Look(1, 30, 30); got.Verdict != Pass {
		t.Errorf("limit 100%%, all failed: %+v, want a pass", got)
	}
}

func TestPlanSequentialRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int64
		runs int
		conf float64
		want string
	}{
		{0, 6, 0.95, "a run of 0 attempts"},
		{-5, 6, 0.95, "a run of -5 attempts"},
		{30, 0, 0.95, "max-runs 0"},
		{30, 6, 0, "confidence 0 is not between 0 and 1"},
		{30, 6, 1, "confidence 1 is not between 0 and 1"},
		{30, 6, math.NaN(), "confidence NaN"},
		{50_001, 2, 0.95, "more than 100000 attempts"},
		{math.MaxInt64, 2, 0.95, "more than 100000 attempts"},
	}
	for _, tt := range tests {
		_, err := PlanSequential(tt.n, tt.runs, MustRate("10%"), tt.conf)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("PlanSequential(%d, %d, 10%%, %v) = %v, want an error with %q", tt.n, tt.runs, tt.conf, err, tt.want)
		}
	}
	if _, err := PlanSequential(50_000, 2, MustRate("10%"), 0.95); err != nil {
		t.Errorf("100000 attempts in all: %v", err)
	}
}

func BenchmarkPlanSequential(b *testing.B) {
	for _, d := range []design{{30, 6, "10%", 0.95, false}, {500, 6, "10%", 0.95, false}, {1000, 10, "5%", 0.99, false}} {
		b.Run(fmt.Sprintf("%dx%d", d.n, d.runs), func(b *testing.B) {
			for b.Loop() {
				d.plan(b)
			}
		})
	}
}

func BenchmarkLook(b *testing.B) {
	s := design{30, 6, "10%", 0.95, false}.plan(b)
	for b.Loop() {
		s.Look(3, 6, 90)
	}
}

func BenchmarkCharacteristics(b *testing.B) {
	s := design{500, 6, "10%", 0.95, false}.plan(b)
	for b.Loop() {
		s.Characteristics(0.1)
	}
}

// TestSequentialLevelIsTheHighest checks that the calibrated level cannot
// be raised: the first higher level that changes a threshold breaks the
// bound on one side.
func TestSequentialLevelIsTheHighest(t *testing.T) {
	t.Parallel()
	for _, d := range []design{
		{30, 6, "10%", 0.95, false},
		{30, 6, "90%", 0.95, true},
		{10, 3, "20%", 0.9, false},
		{100, 4, "5%", 0.99, false},
		{3, 10, "50%", 0.8, false},
	} {
		s := d.plan(t)
		alpha := 1 - d.conf
		same := func(l float64) bool {
			g := Sequential{runAttempts: s.runAttempts, runs: s.runs, limit: s.limit, success: s.success}
			g.setLevel(1-l, nil)
			return cmp.Equal([][]int64{s.pass, s.fail}, [][]int64{g.pass, g.fail})
		}
		lo, hi := 1-s.Level(), alpha
		if same(hi) {
			continue // no higher level within alpha changes the plan
		}
		for range 60 {
			if mid := (lo + hi) / 2; same(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		g := Sequential{runAttempts: s.runAttempts, runs: s.runs, limit: s.limit, success: s.success}
		g.setLevel(1-hi, nil)
		if wp, wf := g.crossings(d.failureLimit()); wp <= alpha && wf <= alpha {
			t.Errorf("%+v: level %v a look keeps the errors %v, %v within %v, above the calibrated %v", d, 1-hi, wp, wf, alpha, s.Level())
		}
	}
}
