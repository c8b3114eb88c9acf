package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// startFake is a fake API whose agent_x has n test cases of five attempts
// each, tc_1 to tc_n, and runs them as the simulation says.
func startFake(t *testing.T, n int, sim sigmamindtest.Simulation) *sigmamindtest.Server {
	t.Helper()
	srv := steptest.NewFake(t)
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("tc_%d", i)
		srv.AddTestCases("agent_x", sigmamind.TestCase{TestCaseID: id, Label: "Case " + id, LLMModel: "gpt-4o-mini", Attempt: 5})
	}
	srv.SetSimulation("agent_x", sim)
	return srv
}

// finishAtOnce runs a whole batch run on its first read.
var finishAtOnce = sigmamindtest.Simulation{PerTick: 1000}

func startInputs(srv *sigmamindtest.Server, with map[string]string) map[string]string {
	in := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL, "max-failure-rate": "10%"}
	for k, v := range with {
		in[k] = v
	}
	return in
}

// creates are the bodies of the creates the server received.
func creates(srv *sigmamindtest.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			out = append(out, string(r.Body))
		}
	}
	return out
}

func ids(runs []sigmamind.BatchRun) []string {
	out := []string{}
	for _, r := range runs {
		out = append(out, r.BatchID)
	}
	return out
}

func jsonIDs(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal([]byte(s), &out); err != nil {
		t.Fatalf("%q is not a JSON array of strings: %v", s, err)
	}
	return out
}

// started is the report's account of the runs started.
type startedJSON struct {
	BatchIDs  []string `json:"batchIds"`
	TestCases []string `json:"testCases"`
	Runs      int      `json:"runs"`
	MaxRuns   int      `json:"maxRuns"`
	Attempts  int64    `json:"attempts"`
	Stop      string   `json:"stopped"`
}

func reportStarted(t *testing.T, s steptest.Step) startedJSON {
	t.Helper()
	var r struct {
		Started *startedJSON `json:"started"`
	}
	if err := json.Unmarshal(steptest.OnlyAgent(t, s.Outputs["report"]), &r); err != nil || r.Started == nil {
		t.Fatalf("report %q has no started: %v", s.Outputs["report"], err)
	}
	return *r.Started
}

func TestRunTestCasesStartsAndJudgesOneRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value string
		listing     sigmamindtest.TestCaseListing
		wantBody    string
	}{
		{"all", "all", sigmamindtest.BareList, `{"agentId":"agent_x","testCases":["tc_1","tc_2","tc_3"]}`},
		{"all from the paged list", "all", sigmamindtest.PagedList, `{"agentId":"agent_x","testCases":["tc_1","tc_2","tc_3"]}`},
		{"commas", "tc_1,tc_3", sigmamindtest.BareList, `{"agentId":"agent_x","testCases":["tc_1","tc_3"]}`},
		{"newlines", "tc_2\ntc_1\n", sigmamindtest.BareList, `{"agentId":"agent_x","testCases":["tc_2","tc_1"]}`},
		{"spaces and commas", "tc_1, tc_2 tc_3", sigmamindtest.BareList, `{"agentId":"agent_x","testCases":["tc_1","tc_2","tc_3"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, 3, finishAtOnce)
			srv.SetTestCaseListing(tt.listing)
			s := runStep(t, startInputs(srv, map[string]string{"run-test-cases": tt.value}),
				map[string]string{"GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567", "GITHUB_REF": "refs/pull/42/merge"})
			s.CheckHygiene(t)
			if s.Exit != 0 || s.Outputs["result"] != "pass" {
				t.Fatalf("exit %d, result %q; want 0, pass\n%s\n%s", s.Exit, s.Outputs["result"], s.Stdout, s.Stderr)
			}
			if diff := cmp.Diff([]string{tt.wantBody}, creates(srv)); diff != "" {
				t.Errorf("creates (-want +got):\n%s", diff)
			}
			runs := ids(srv.BatchRunsOf("agent_x"))
			if len(runs) != 1 || cmp.Diff(runs, jsonIDs(t, s.Outputs["started-batch-ids"])) != "" || cmp.Diff(runs, jsonIDs(t, s.Outputs["batch-ids"])) != "" {
				t.Errorf("batch runs %v; started-batch-ids %s, batch-ids %s", runs, s.Outputs["started-batch-ids"], s.Outputs["batch-ids"])
			}
			n := strings.Count(tt.wantBody, "tc_")
			if !strings.Contains(s.Stdout, fmt.Sprintf("will run %d test case(s) × 5 attempts = %d attempts a run, up to 1 run(s)", n, 5*n)) {
				t.Errorf("no line says what will run:\n%s", s.Stdout)
			}
			st := reportStarted(t, s)
			if st.Runs != 1 || st.MaxRuns != 1 || st.Stop != "budget spent" || st.Attempts != int64(5*n) {
				t.Errorf("report's started %+v; want 1 run of 1, %d attempts, stopped: budget spent", st, 5*n)
			}
			for _, want := range []string{"Batch runs this step started for commit 0123456 of pull request #42:", runs[0], "1 run of 1 spent"} {
				if !strings.Contains(strings.ReplaceAll(s.Summary, `\_`, "_"), want) {
					t.Errorf("summary lacks %q:\n%s", want, s.Summary)
				}
			}
		})
	}
}

func TestRunTestCasesUnknownID(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 2, finishAtOnce)
	s := runStep(t, startInputs(srv, map[string]string{"run-test-cases": "tc_1,tc_nope"}), nil)
	s.CheckHygiene(t)
	if s.Exit != 3 || s.Outputs["result"] != "error" || s.Outputs["passed"] != "false" {
		t.Errorf("exit %d, result %q, passed %q; want 3, error, false", s.Exit, s.Outputs["result"], s.Outputs["passed"])
	}
	steptest.CheckAnnotation(t, s.Annotations("error"), "Test case not found: tc_nope")
	if n := len(creates(srv)); n != 1 {
		t.Errorf("%d creates; want 1", n)
	}
	if got := s.Outputs["started-batch-ids"]; got != "[]" {
		t.Errorf("started-batch-ids %s; want []", got)
	}
}

func TestRunTestCasesNeverTwoRunsForOne(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		fault       sigmamindtest.Fault
		wantCreates int
	}{
		{"connection lost after creation", sigmamindtest.Fault{Process: true, Reset: true}, 1},
		{"503 after creation", sigmamindtest.Fault{Process: true, Status: 503}, 1},
		{"503 before creation", sigmamindtest.Fault{Status: 503}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, 2, finishAtOnce)
			var once sync.Once
			srv.OnRequest(func(r sigmamindtest.Request) {
				if r.Method == "POST" {
					once.Do(func() { srv.Fail(tt.fault) })
				}
			})
			s := runStep(t, startInputs(srv, map[string]string{"run-test-cases": "all"}), nil)
			s.CheckHygiene(t)
			if s.Exit != 0 || s.Outputs["result"] != "pass" {
				t.Fatalf("exit %d, result %q; want 0, pass\n%s\n%s", s.Exit, s.Outputs["result"], s.Stdout, s.Stderr)
			}
			runs := ids(srv.BatchRunsOf("agent_x"))
			if len(runs) != 1 {
				t.Fatalf("%d batch runs for one intended run: %v", len(runs), runs)
			}
			if n := len(creates(srv)); n != tt.wantCreates {
				t.Errorf("%d creates; want %d", n, tt.wantCreates)
			}
			if diff := cmp.Diff(runs, jsonIDs(t, s.Outputs["started-batch-ids"])); diff != "" {
				t.Errorf("started-batch-ids (-server +output):\n%s", diff)
			}
		})
	}
}

// Another pull request starts a failing batch run for the same agent while
// the gate waits: the gate judges its own run, never the newest, and the
// baseline is what existed before it started.
func TestRunTestCasesJudgesOnlyItsOwnRuns(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 1, finishAtOnce)
	srv.AddBatchRuns("agent_x", steptest.Run5("batch_before", time.Now().Add(-time.Hour), 5, 0))
	var once sync.Once
	srv.OnRequest(func(r sigmamindtest.Request) {
		if r.Method == "GET" && strings.HasPrefix(r.Path, "/v1/batch-runs/") {
			once.Do(func() {
				srv.AddBatchRuns("agent_x", steptest.Run5("batch_other", time.Now().Add(time.Second), 0, 5))
			})
		}
	})
	s := runStep(t, startInputs(srv, map[string]string{"run-test-cases": "tc_1", "baseline-batches": "1"}), nil)
	s.CheckHygiene(t)
	if s.Exit != 0 || s.Outputs["result"] != "pass" {
		t.Fatalf("exit %d, result %q; want 0, pass\n%s\n%s", s.Exit, s.Outputs["result"], s.Stdout, s.Stderr)
	}
	started := jsonIDs(t, s.Outputs["started-batch-ids"])
	if len(started) != 1 || slices.Contains(started, "batch_other") || cmp.Diff(started, jsonIDs(t, s.Outputs["batch-ids"])) != "" {
		t.Errorf("started-batch-ids %v, batch-ids %s; want the one run started", started, s.Outputs["batch-ids"])
	}
	var r struct {
		Baseline []struct {
			ID string `json:"id"`
		} `json:"baselineBatches"`
	}
	if err := json.Unmarshal(steptest.OnlyAgent(t, s.Outputs["report"]), &r); err != nil || len(r.Baseline) != 1 || r.Baseline[0].ID != "batch_before" {
		t.Errorf("baseline %+v (%v); want batch_before", r.Baseline, err)
	}
}

func TestMaxRuns(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		sim        sigmamindtest.Simulation
		with       map[string]string
		wantResult string
		wantRuns   int
		wantStop   string
	}{
		// 0 of 30 cannot pass 10% at 95% over up to 6 looks; 0 of 60 can.
		{"decides early", finishAtOnce, map[string]string{"max-runs": "6"}, "pass", 2, "decided"},
		{"spends the budget", sigmamindtest.Simulation{PerTick: 1000, FailureRate: 0.08},
			map[string]string{"max-runs": "2", "on-inconclusive": "warn"}, "inconclusive", 2, "budget spent"},
		{"fails at once", sigmamindtest.Simulation{PerTick: 1000, FailureRate: 0.6}, map[string]string{"max-runs": "6"}, "fail", 1, "decided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, 6, tt.sim)
			s := runStep(t, startInputs(srv, map[string]string{"run-test-cases": "all", "confidence": "0.95", "max-runs": tt.with["max-runs"], "on-inconclusive": tt.with["on-inconclusive"]}), nil)
			s.CheckHygiene(t)
			if s.Outputs["result"] != tt.wantResult {
				t.Fatalf("result %q; want %s\n%s\n%s", s.Outputs["result"], tt.wantResult, s.Stdout, s.Stderr)
			}
			runs := ids(srv.BatchRunsOf("agent_x"))
			if len(runs) != tt.wantRuns || len(creates(srv)) != tt.wantRuns {
				t.Errorf("%d batch runs, %d creates; want %d", len(runs), len(creates(srv)), tt.wantRuns)
			}
			// Newest first, as the server lists them, and all of them judged.
			if diff := cmp.Diff(runs, jsonIDs(t, s.Outputs["started-batch-ids"])); diff != "" {
				t.Errorf("started-batch-ids (-server +output):\n%s", diff)
			}
			if diff := cmp.Diff(runs, jsonIDs(t, s.Outputs["batch-ids"])); diff != "" {
				t.Errorf("batch-ids (-server +output):\n%s", diff)
			}
			st := reportStarted(t, s)
			if st.Runs != tt.wantRuns || st.Stop != tt.wantStop || st.Attempts != int64(30*tt.wantRuns) {
				t.Errorf("report's started %+v; want %d runs, stopped: %s", st, tt.wantRuns, tt.wantStop)
			}
		})
	}
}

func TestMaxRunsWithoutConfidenceSendsNothing(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 1, finishAtOnce)
	s := runStep(t, startInputs(srv, map[string]string{"run-test-cases": "all", "max-runs": "3"}), nil)
	if s.Exit != 2 {
		t.Errorf("exit %d; want 2", s.Exit)
	}
	steptest.CheckAnnotation(t, s.Annotations("error"), "input max-runs: is 3, which needs confidence")
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests before the inputs were checked", n)
	}
}

// A cancelled workflow stops the step while it waits: it exits at once,
// with outputs and a summary that name the run started, and never passes.
func TestRunTestCasesCancelledMidWait(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 2, sigmamindtest.Simulation{PerTick: 2, Stall: true, StallAfter: 2})
	cmd, wait := startBinary(t, startInputs(srv, map[string]string{"run-test-cases": "all"}))
	// Wait for the first read of the run started: the step then pauses.
	awaitRequest(t, srv, cmd, func(r sigmamindtest.Request) bool {
		return r.Method == "GET" && strings.HasPrefix(r.Path, "/v1/batch-runs/")
	})
	time.Sleep(100 * time.Millisecond)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s, end := wait()
	if took := end.Sub(sent); took > 2*time.Second {
		t.Errorf("exited %v after SIGTERM; want within 2s", took)
	}
	s.CheckHygiene(t)
	runs := ids(srv.BatchRunsOf("agent_x"))
	if len(runs) != 1 {
		t.Fatalf("batch runs %v; want 1", runs)
	}
	if s.Exit == 0 || s.Outputs["result"] == "pass" || s.Outputs["passed"] != "false" {
		t.Errorf("exit %d, result %q, passed %q: a cancelled step must not pass", s.Exit, s.Outputs["result"], s.Outputs["passed"])
	}
	if diff := cmp.Diff(runs, jsonIDs(t, s.Outputs["started-batch-ids"])); diff != "" {
		t.Errorf("started-batch-ids (-server +output):\n%s", diff)
	}
	if st := reportStarted(t, s); st.Stop != "cancelled" {
		t.Errorf("report says stopped: %q; want cancelled", st.Stop)
	}
	summary := strings.ReplaceAll(s.Summary, `\_`, "_")
	for _, want := range []string{runs[0], "keep running in SigmaMind", "the step was cancelled"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, s.Summary)
		}
	}
	if !strings.Contains(s.Stdout, "keep running in SigmaMind: "+runs[0]) {
		t.Errorf("the log does not name the run that keeps running:\n%s", s.Stdout)
	}
}
