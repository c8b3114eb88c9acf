package action

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// startInputs are the inputs of a step that starts runs of every test case
// of agent_x, with changes.
func startInputs(srv *sigmamindtest.Server, with map[string]string) map[string]string {
	in := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL, "max-failure-rate": "10%", "run-test-cases": "all"}
	for k, v := range with {
		in[k] = v
	}
	return in
}

func startFake(t *testing.T, n int, sim sigmamindtest.Simulation) *sigmamindtest.Server {
	t.Helper()
	// runInProcess's clock stands still at steptest.Now.
	srv := sigmamindtest.NewServer(sigmamindtest.WithAPIKey(steptest.Key), sigmamindtest.WithClock(func() time.Time { return steptest.Now }))
	t.Cleanup(srv.Close)
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("tc_%d", i)
		srv.AddTestCases("agent_x", sigmamind.TestCase{TestCaseID: id, Label: "Case " + id, Attempt: 5})
	}
	srv.SetSimulation("agent_x", sim)
	return srv
}

func stoppedBecause(t *testing.T, s steptest.Step) string {
	t.Helper()
	var r struct {
		Started *struct {
			Stop string `json:"stopped"`
		} `json:"started"`
	}
	if err := json.Unmarshal(steptest.OnlyAgent(t, s.Outputs["report"]), &r); err != nil || r.Started == nil {
		t.Fatalf("report %q has no started: %v", s.Outputs["report"], err)
	}
	return r.Started.Stop
}

// A batch run that stops making progress ends the wait after five polls,
// with the pauses of wait, and the verdict is inconclusive, never a pass.
func TestStartedRunStalls(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 2, sigmamindtest.Simulation{PerTick: 2, Stall: true, StallAfter: 4})
	s, slept := runInProcess(t, startInputs(srv, nil))
	if s.Outputs["result"] != "inconclusive" || s.Exit != 1 {
		t.Errorf("exit %d, result %q; want 1, inconclusive\n%s", s.Exit, s.Outputs["result"], s.Stdout)
	}
	if got := stoppedBecause(t, s); got != "stalled" {
		t.Errorf("stopped: %q; want stalled", got)
	}
	// 2 then 4 attempts, then five polls without a new one.
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute, time.Minute}
	if diff := cmp.Diff(want, slept); diff != "" {
		t.Errorf("pauses (-want +got):\n%s", diff)
	}
	if !strings.Contains(s.Stdout, "keep running in SigmaMind") {
		t.Errorf("the log does not say the run keeps running:\n%s", s.Stdout)
	}
}

// A run that shows fewer attempts than a poll before contradicts itself:
// an error, as between the polls of wait.
func TestStartedRunCountsNeverGoDown(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 2, sigmamindtest.Simulation{PerTick: 4})
	reads := 0
	var mu sync.Mutex
	srv.OnRequest(func(r sigmamindtest.Request) {
		if r.Method != "GET" || !strings.HasPrefix(r.Path, "/v1/batch-runs/") {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if reads++; reads == 3 { // 8 attempts read, then 4
			b := srv.BatchRunsOf("agent_x")[0]
			b.SuccessfulAttempts, b.TotalAttempts = 0, 0
			srv.SetBatchRun("agent_x", b)
		}
	})
	s, _ := runInProcess(t, startInputs(srv, nil))
	if s.Outputs["result"] != "error" || s.Exit != 3 {
		t.Errorf("exit %d, result %q; want 3, error\n%s", s.Exit, s.Outputs["result"], s.Stdout)
	}
	steptest.CheckAnnotation(t, s.Annotations("error"), "fewer attempts")
}

// A create whose outcome stays unknown is no outage: a batch run may exist
// and cost simulated attempts, so on-error: warn does not excuse it, and the
// hint says to look before re-running.
func TestUncertainCreateIsNoOutage(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 1, sigmamindtest.Simulation{PerTick: 100})
	var once sync.Once
	srv.OnRequest(func(r sigmamindtest.Request) {
		if r.Method == "POST" {
			// Created, then every listing that would find it fails.
			once.Do(func() {
				srv.Fail(sigmamindtest.Fault{Process: true, Status: 503}, sigmamindtest.Fault{Status: 503, Times: 20})
			})
		}
	})
	s, _ := runInProcess(t, startInputs(srv, map[string]string{"on-error": "warn"}))
	if s.Exit != 3 || s.Outputs["result"] != "error" {
		t.Errorf("exit %d, result %q; want 3, error\n%s", s.Exit, s.Outputs["result"], s.Stdout)
	}
	steptest.CheckAnnotation(t, s.Annotations("error"), "SigmaMind may have started a batch run")
	if n := len(srv.BatchRunsOf("agent_x")); n != 1 {
		t.Errorf("%d batch runs; want the 1 created", n)
	}
}

func TestShortSHAAndPullRequest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	event := dir + "/event.json"
	if err := writeFile(event, `{"pull_request":{"number":7}}`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GITHUB_EVENT_PATH": event, "GITHUB_REF": "refs/pull/9/merge"}, "7"},
		{map[string]string{"GITHUB_REF": "refs/pull/9/merge"}, "9"},
		{map[string]string{"GITHUB_REF": "refs/heads/main"}, ""},
		{map[string]string{"GITHUB_REF": "refs/pull/9/merge\n::error::x"}, ""},
	}
	for _, tt := range tests {
		if got := pullRequest(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("pullRequest(%v) = %q; want %q", tt.env, got, tt.want)
		}
	}
	for sha, want := range map[string]string{"0123456789abcdef0123456789abcdef01234567": "0123456", "": "", "main": "", "0123456\n::error::": ""} {
		if got := shortSHA(sha); got != want {
			t.Errorf("shortSHA(%q) = %q; want %q", sha, got, want)
		}
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o644) }

// look keeps each rule's first decided verdict, and tells a stop for want
// of a reachable pass from the budget's end; where inconclusive verdicts do
// not fail, the runs left are still worth spending.
func TestLook(t *testing.T) {
	t.Parallel()
	limit := gate.MustRate("10%")
	run := func(failed int64) sigmamind.BatchRun {
		return sigmamind.BatchRun{TestCases: []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: 30}}, SuccessfulAttempts: 30 - failed, FailedAttempts: failed, TotalAttempts: 30}
	}
	// 30 attempts a run, 6 runs, 10% at 95%: look 2 passes at most 1
	// failure and fails at 12 or more; from 11, no later look can pass.
	tests := []struct {
		name           string
		failed         []int64
		onInconclusive string
		wantMore       bool
		wantFutile     bool
		wantDecided    map[string]gate.Verdict
	}{
		{"pass", []int64{1, 0}, "fail", false, false, map[string]gate.Verdict{"max-failure-rate": gate.Pass}},
		{"fail", []int64{6, 6}, "fail", false, false, map[string]gate.Verdict{"max-failure-rate": gate.Fail}},
		{"undecided", []int64{2, 2}, "fail", true, false, map[string]gate.Verdict{}},
		{"no pass reachable", []int64{5, 6}, "fail", false, true, map[string]gate.Verdict{}},
		{"no pass reachable, but inconclusive warns", []int64{5, 6}, "warn", true, true, map[string]gate.Verdict{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := config.Config{MaxRuns: 6, OnInconclusive: tt.onInconclusive, Rules: gate.Rules{MaxFailureRate: &limit, Confidence: 0.95}}
			st := &starts{runAttempts: 30, maxRuns: 6, decided: map[string]gate.Verdict{}}
			for _, f := range tt.failed {
				st.runs = append(st.runs, run(f))
			}
			more, futile, err := st.look(cfg, len(tt.failed))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]any{tt.wantMore, tt.wantFutile, tt.wantDecided}, []any{more, futile, st.decided}); diff != "" {
				t.Errorf("more, futile, decided (-want +got):\n%s", diff)
			}
		})
	}
}

// wait bounds the waiting for the runs started: the clock moves on by every
// pause, and the step stops once wait has passed, inconclusive.
func TestStartedRunTimesOut(t *testing.T) {
	t.Parallel()
	clock := newMovingClock()
	srv := clockedFake(t, clock, 50, 1)
	s, slept := runClocked(t, startInputs(srv, map[string]string{"run-test-cases": "tc_1", "wait": "2m"}), clock.Now, clock.Pass)
	if s.Exit != 1 || s.Outputs["result"] != "inconclusive" {
		t.Errorf("exit %d, result %q; want 1, inconclusive\n%s", s.Exit, s.Outputs["result"], s.Stdout)
	}
	if got := stoppedBecause(t, s); got != "timed out" {
		t.Errorf("stopped: %q; want timed out", got)
	}
	// 10s, 20s, 40s, then the 50s left of 2m.
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 50 * time.Second}
	if diff := cmp.Diff(want, slept); diff != "" {
		t.Errorf("pauses (-want +got):\n%s", diff)
	}
}
