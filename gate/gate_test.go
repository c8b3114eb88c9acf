package gate

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func rate(s string) *Rate { r := MustRate(s); return &r }

func count(n int64) *int64 { return &n }

// batch makes a finished batch with f failed of t attempts, all decided.
func batch(id string, f, t int64) Batch {
	return Batch{ID: id, Created: now.Add(-time.Hour), Successful: t - f, Failed: f, Total: t, Expected: t}
}

// verdicts returns the verdict of each rule, for compact expectations.
func verdicts(r Result) map[string]Verdict {
	m := map[string]Verdict{"": r.Verdict}
	for _, c := range r.Checks {
		m[c.Rule] = c.Verdict
	}
	return m
}

func TestEvaluateRulesAtTheirLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Input
		rule string
		want Verdict
	}{
		// max-failure-rate: 1 of 10 is exactly 10%.
		{"failure rate under", Input{Gated: []Batch{batch("b", 1, 11)}, Rules: Rules{MaxFailureRate: rate("10%")}}, "max-failure-rate", Pass},
		{"failure rate at", Input{Gated: []Batch{batch("b", 1, 10)}, Rules: Rules{MaxFailureRate: rate("10%")}}, "max-failure-rate", Pass},
		{"failure rate at, as a fraction", Input{Gated: []Batch{batch("b", 3, 10)}, Rules: Rules{MaxFailureRate: rate("0.3")}}, "max-failure-rate", Pass},
		{"failure rate over", Input{Gated: []Batch{batch("b", 1, 9)}, Rules: Rules{MaxFailureRate: rate("10%")}}, "max-failure-rate", Fail},
		{"failure rate zero limit, none failed", Input{Gated: []Batch{batch("b", 0, 30)}, Rules: Rules{MaxFailureRate: rate("0")}}, "max-failure-rate", Pass},
		{"failure rate zero limit, one failed", Input{Gated: []Batch{batch("b", 1, 30)}, Rules: Rules{MaxFailureRate: rate("0")}}, "max-failure-rate", Fail},
		// 1/3 against the decimal nearest to it: exact comparison decides.
		{"failure rate just over a decimal", Input{Gated: []Batch{batch("b", 1, 3)}, Rules: Rules{MaxFailureRate: rate("0.333333333333")}}, "max-failure-rate", Fail},
		{"failure rate just under a decimal", Input{Gated: []Batch{batch("b", 1, 3)}, Rules: Rules{MaxFailureRate: rate("0.333333333334")}}, "max-failure-rate", Pass},
		// min-success-rate: 9 of 10 is exactly 90%.
		{"success rate over", Input{Gated: []Batch{batch("b", 1, 11)}, Rules: Rules{MinSuccessRate: rate("90%")}}, "min-success-rate", Pass},
		{"success rate at", Input{Gated: []Batch{batch("b", 1, 10)}, Rules: Rules{MinSuccessRate: rate("90%")}}, "min-success-rate", Pass},
		{"success rate under", Input{Gated: []Batch{batch("b", 1, 9)}, Rules: Rules{MinSuccessRate: rate("90%")}}, "min-success-rate", Fail},
		// max-failed-attempts
		{"failed attempts under", Input{Gated: []Batch{batch("b", 1, 10)}, Rules: Rules{MaxFailedAttempts: count(2)}}, "max-failed-attempts", Pass},
		{"failed attempts at", Input{Gated: []Batch{batch("b", 2, 10)}, Rules: Rules{MaxFailedAttempts: count(2)}}, "max-failed-attempts", Pass},
		{"failed attempts over", Input{Gated: []Batch{batch("b", 3, 10)}, Rules: Rules{MaxFailedAttempts: count(2)}}, "max-failed-attempts", Fail},
		// min-attempts
		{"attempts over", Input{Gated: []Batch{batch("b", 0, 11)}, Rules: Rules{MinAttempts: 10}}, "min-attempts", Pass},
		{"attempts at", Input{Gated: []Batch{batch("b", 0, 10)}, Rules: Rules{MinAttempts: 10}}, "min-attempts", Pass},
		{"attempts under", Input{Gated: []Batch{batch("b", 0, 9)}, Rules: Rules{MinAttempts: 10}}, "min-attempts", Fail},
		// max-age, on the newest gated batch.
		{"age under", Input{Gated: []Batch{{ID: "b", Created: now.Add(-89 * time.Minute)}}, Rules: Rules{MaxAge: 90 * time.Minute}}, "max-age", Pass},
		{"age at", Input{Gated: []Batch{{ID: "b", Created: now.Add(-90 * time.Minute)}}, Rules: Rules{MaxAge: 90 * time.Minute}}, "max-age", Pass},
		{"age over", Input{Gated: []Batch{{ID: "b", Created: now.Add(-90*time.Minute - time.Second)}}, Rules: Rules{MaxAge: 90 * time.Minute}}, "max-age", Fail},
		{"age unknown", Input{Gated: []Batch{{ID: "b"}}, Rules: Rules{MaxAge: time.Hour}}, "max-age", Fail},
		{"age from a clock behind the server", Input{Gated: []Batch{{ID: "b", Created: now.Add(time.Hour)}}, Rules: Rules{MaxAge: time.Minute}}, "max-age", Pass},
		// max-regression: from 10% to 15% is a rise of exactly 5 points,
		// which floating point computes as 0.04999…
		{"regression under", Input{Gated: []Batch{batch("new", 14, 100)}, Baseline: []Batch{batch("old", 10, 100)}, Rules: Rules{MaxRegression: rate("5%")}}, "max-regression", Pass},
		{"regression at", Input{Gated: []Batch{batch("new", 15, 100)}, Baseline: []Batch{batch("old", 10, 100)}, Rules: Rules{MaxRegression: rate("5%")}}, "max-regression", Pass},
		{"regression over", Input{Gated: []Batch{batch("new", 16, 100)}, Baseline: []Batch{batch("old", 10, 100)}, Rules: Rules{MaxRegression: rate("5%")}}, "max-regression", Fail},
		{"regression with no baseline", Input{Gated: []Batch{batch("new", 16, 100)}, Rules: Rules{MaxRegression: rate("5%")}}, "max-regression", Skipped},
		// Undecided attempts count as failures in every rule.
		{"undecided fail the rate", Input{Gated: []Batch{{ID: "b", Successful: 9, Total: 10, Expected: 10}}, Rules: Rules{MaxFailureRate: rate("0")}}, "max-failure-rate", Fail},
		{"undecided count as failed attempts", Input{Gated: []Batch{{ID: "b", Successful: 7, Failed: 1, Total: 10, Expected: 10}}, Rules: Rules{MaxFailedAttempts: count(2)}}, "max-failed-attempts", Fail},
		{"undecided do not succeed", Input{Gated: []Batch{{ID: "b", Successful: 8, Total: 10, Expected: 10}}, Rules: Rules{MinSuccessRate: rate("90%")}}, "min-success-rate", Fail},
		// Completeness.
		{"still running", Input{Gated: []Batch{{ID: "b", Successful: 12, Total: 12, Expected: 50}}}, "finished", Inconclusive},
		{"finished", Input{Gated: []Batch{batch("b", 0, 50)}}, "finished", Pass},
		{"test cases unknown", Input{Gated: []Batch{{ID: "b", Successful: 5, Total: 5}}}, "finished", Skipped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now = now
			got := verdicts(Evaluate(tt.in))[tt.rule]
			if got != tt.want {
				t.Errorf("%s = %q, want %q; result %+v", tt.rule, got, tt.want, Evaluate(tt.in))
			}
		})
	}
}

func TestEvaluatePoolsBatches(t *testing.T) {
	t.Parallel()
	in := Input{
		Gated: []Batch{batch("b1", 1, 5), batch("b2", 0, 5), {ID: "b3", Successful: 3, Failed: 1, Total: 5, Expected: 5}},
		Rules: Rules{MaxFailureRate: rate("0.2"), MinAttempts: 1},
		Now:   now,
	}
	got := Evaluate(in)
	want := Counts{Batches: 3, Successful: 12, Failed: 2, Undecided: 1, Total: 15, Expected: 15}
	if diff := cmp.Diff(want, got.Counts); diff != "" {
		t.Errorf("counts mismatch (-want +got):\n%s", diff)
	}
	wantV := map[string]Verdict{"": Pass, "finished": Pass, "min-attempts": Pass, "max-failure-rate": Pass}
	if diff := cmp.Diff(wantV, verdicts(got)); diff != "" {
		t.Errorf("verdicts mismatch (-want +got):\n%s", diff)
	}
	reason := got.Checks[2].Reason
	if want := "failure rate 20.0% is within the limit 20.0% (2 failed and 1 undecided of 15 attempts in 3 batch runs)"; reason != want {
		t.Errorf("reason = %q, want %q", reason, want)
	}
}

func TestEvaluateRunningBatches(t *testing.T) {
	t.Parallel()
	running := func(s, f, total, expected int64) Batch {
		return Batch{ID: "batch_r", Created: now.Add(-time.Hour), Successful: s, Failed: f, Total: total, Expected: expected}
	}
	tests := []struct {
		name       string
		in         Input
		want       map[string]Verdict
		wantReason string // of the third check
		wantCounts Counts
	}{{
		name:       "passing so far",
		in:         Input{Gated: []Batch{running(12, 0, 12, 50)}, Rules: Rules{MaxFailureRate: rate("10%"), MinAttempts: 1}},
		want:       map[string]Verdict{"": Inconclusive, "finished": Inconclusive, "min-attempts": Inconclusive, "max-failure-rate": Inconclusive},
		wantReason: "provisionally pass: failure rate 0.0% is within the limit 10.0% (0 of 12 attempts failed in batch_r), but the batch runs are still running",
		wantCounts: Counts{Batches: 1, Successful: 12, Total: 12, Expected: 50, Pending: 38},
	}, {
		// The rule: a batch still running makes the verdict
		// inconclusive, however it looks so far.
		name:       "failing so far",
		in:         Input{Gated: []Batch{running(2, 10, 12, 50)}, Rules: Rules{MaxFailureRate: rate("10%"), MinAttempts: 1}},
		want:       map[string]Verdict{"": Inconclusive, "finished": Inconclusive, "min-attempts": Inconclusive, "max-failure-rate": Inconclusive},
		wantReason: "provisionally fail: failure rate 83.3% is above the limit 10.0% (10 of 12 attempts failed in batch_r), but the batch runs are still running",
		wantCounts: Counts{Batches: 1, Successful: 2, Failed: 10, Total: 12, Expected: 50, Pending: 38},
	}, {
		// Undecided is executed less judged, running or not, as the issue
		// defines it.
		name:       "undecided so far",
		in:         Input{Gated: []Batch{running(8, 1, 12, 20)}, Rules: Rules{MaxFailedAttempts: count(12), MinAttempts: 10}},
		want:       map[string]Verdict{"": Inconclusive, "finished": Inconclusive, "min-attempts": Inconclusive, "max-failed-attempts": Inconclusive},
		wantReason: "provisionally pass: 4 attempts did not succeed, within the limit 12 (1 failed and 3 undecided of 12 attempts in batch_r), but the batch runs are still running",
		wantCounts: Counts{Batches: 1, Successful: 8, Failed: 1, Undecided: 3, Total: 12, Expected: 20, Pending: 8},
	}, {
		// Waiting cannot make a batch younger.
		name:       "too old while running",
		in:         Input{Gated: []Batch{running(12, 0, 12, 50)}, Rules: Rules{MaxAge: time.Minute, MinAttempts: 1}},
		want:       map[string]Verdict{"": Fail, "finished": Inconclusive, "min-attempts": Inconclusive, "max-age": Fail},
		wantReason: "the newest gated batch run batch_r was created 1h ago, longer ago than max-age 1m: run a fresh simulation batch",
		wantCounts: Counts{Batches: 1, Successful: 12, Total: 12, Expected: 50, Pending: 38},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Now = now
			got := Evaluate(tt.in)
			if diff := cmp.Diff(tt.want, verdicts(got)); diff != "" {
				t.Errorf("verdicts mismatch (-want +got):\n%s", diff)
			}
			if got.Checks[2].Reason != tt.wantReason {
				t.Errorf("reason:\n got %q\nwant %q", got.Checks[2].Reason, tt.wantReason)
			}
			if diff := cmp.Diff(tt.wantCounts, got.Counts); diff != "" {
				t.Errorf("counts mismatch (-want +got):\n%s", diff)
			}
			if !got.Running() {
				t.Error("Running() = false")
			}
		})
	}
	// A running baseline batch counts its judged attempts only: 0 of 50, not
	// 10 of 60 with the unjudged ten as failures; the caller's batch stays.
	baseline := []Batch{running(50, 0, 60, 100)}
	r := Evaluate(Input{Gated: []Batch{batch("new", 3, 50)}, Baseline: baseline, Rules: Rules{MaxRegression: rate("5%")}, Now: now})
	if r.Baseline == nil || r.Baseline.Failures() != 0 || r.Baseline.Total != 50 || verdicts(r)["max-regression"] != Fail {
		t.Errorf("baseline %+v, regression %s; want 0 of 50 and a failed regression (0%% to 6%%)", r.Baseline, verdicts(r)["max-regression"])
	}
	if baseline[0].Total != 60 {
		t.Errorf("Evaluate changed the caller's baseline: %+v", baseline[0])
	}
}

func TestEvaluateZeroAttempts(t *testing.T) {
	t.Parallel()
	in := Input{Gated: []Batch{{ID: "b", Expected: 0}}, Rules: Rules{MaxFailureRate: rate("0.1"), MinSuccessRate: rate("0.9"), MinAttempts: 0}, Now: now}
	got := verdicts(Evaluate(in))
	want := map[string]Verdict{"": Fail, "finished": Skipped, "min-attempts": Pass, "max-failure-rate": Fail, "min-success-rate": Fail}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	in.Rules.MinAttempts = 1
	if v := verdicts(Evaluate(in))["min-attempts"]; v != Fail {
		t.Errorf("min-attempts with zero attempts = %q, want fail", v)
	}
}

func TestEvaluateNoBatches(t *testing.T) {
	t.Parallel()
	got := Evaluate(Input{AgentID: "agent_x", Requested: 1, Rules: Rules{MaxFailureRate: rate("0")}, Now: now})
	if got.Verdict != Fail || len(got.Checks) != 1 || got.Checks[0].Rule != "batches" {
		t.Fatalf("got %+v, want one failed batches check", got)
	}
	if want := "no batch runs were found for agent_x: run a simulation batch of the agent in SigmaMind, then re-run the gate"; got.Checks[0].Reason != want {
		t.Errorf("reason = %q, want %q", got.Checks[0].Reason, want)
	}
}

func TestEvaluateFailureMessage(t *testing.T) {
	t.Parallel()
	got := Evaluate(Input{Gated: []Batch{batch("batch_x", 1, 5)}, Rules: Rules{MaxFailureRate: rate("10%")}, Now: now})
	broken := got.Broken()
	if len(broken) != 1 {
		t.Fatalf("broken = %+v, want one", broken)
	}
	if want := "failure rate 20.0% is above the limit 10.0% (1 of 5 attempts failed in batch_x)"; broken[0].Reason != want {
		t.Errorf("reason = %q, want %q", broken[0].Reason, want)
	}
}

func TestEvaluateWithConfidence(t *testing.T) {
	t.Parallel()
	conf := Rules{MaxFailureRate: rate("5%"), Confidence: 0.95}
	tests := []struct {
		name   string
		b      Batch
		want   Verdict
		needed int64
	}{
		// Upper bound of 0/59 is 4.95%, of 0/58 5.03%.
		{"59 clean attempts pass", batch("b", 0, 59), Pass, 0},
		{"58 clean attempts are not enough", batch("b", 0, 58), Inconclusive, 1},
		{"5 clean attempts say little", batch("b", 0, 5), Inconclusive, 54},
		// Lower bound of 8/40 at 95% is 10.4%.
		{"clearly above", batch("b", 8, 40), Fail, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(Input{Gated: []Batch{tt.b}, Rules: conf, Now: now})
			c := r.Checks[2]
			if c.Rule != "max-failure-rate" || c.Verdict != tt.want || c.Bound == nil || c.Bound.Needed != tt.needed {
				t.Errorf("got %+v (bound %+v), want %s with %d needed", c, c.Bound, tt.want, tt.needed)
			}
		})
	}
	r := Evaluate(Input{Gated: []Batch{batch("b", 0, 5)}, Rules: conf, Now: now})
	want := "failure rate 0.0% cannot be shown to be at most 5.0% at 95% confidence: its bounds are 0.0% to 45.1% (0 of 5 attempts failed in b); 54 more attempts with no failures would show a failure rate ≤ 5.0% at 95% confidence"
	if got := r.Checks[2].Reason; got != want {
		t.Errorf("reason:\n got %q\nwant %q", got, want)
	}
}

func TestEvaluateRegressionWithConfidence(t *testing.T) {
	t.Parallel()
	// Reference (testdata/regression.csv): P(rise > 0.1) for 30/100 after
	// 10/100 is 0.9609…; P(rise > 0.2) is 0.4705….
	in := Input{Gated: []Batch{batch("new", 30, 100)}, Baseline: []Batch{batch("old", 10, 100)}, Rules: Rules{Confidence: 0.95, MaxRegression: rate("0.1")}, Now: now}
	if v := verdicts(Evaluate(in))["max-regression"]; v != Fail {
		t.Errorf("rise of 20 points over a limit of 10: %q, want fail", v)
	}
	in.Rules.MaxRegression = rate("0.2")
	if v := verdicts(Evaluate(in))["max-regression"]; v != Pass {
		t.Errorf("rise of 20 points at a limit of 20: %q, want pass (not significant)", v)
	}
}

func TestDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"}, {-time.Hour, "0s"}, {59 * time.Second, "59s"}, {90 * time.Minute, "1h30m"},
		{24*time.Hour + 40*time.Minute, "1d40m"}, {24*time.Hour + 29*time.Second + time.Millisecond, "1d29s"}, {7 * 24 * time.Hour, "7d"},
	}
	for _, tt := range tests {
		if got := Duration(tt.in); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRegressionAtTheConfidenceLevel(t *testing.T) {
	t.Parallel()
	// 0/30 after 0/30 with no rise allowed: the probability of a rise is
	// exactly 1/2, which quadrature puts a hair below. At confidence 0.5 the
	// gate must fail, as exact arithmetic would.
	r := Evaluate(Input{Gated: []Batch{batch("new", 0, 30)}, Baseline: []Batch{batch("old", 0, 30)},
		Rules: Rules{MaxRegression: rate("0"), Confidence: 0.5}, Now: now})
	if v := verdicts(r)["max-regression"]; v != Fail {
		t.Errorf("max-regression = %s, want fail at P = 0.5", v)
	}
}
