package action

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// Probes of the start of batch runs against a hostile or buggy API and a
// careless workflow: they pin what holds.

// createBodies are the bodies of the creates the server received.
func createBodies(srv *sigmamindtest.Server) []string {
	out := []string{}
	for _, r := range srv.Requests() {
		if r.Method == "POST" {
			out = append(out, string(r.Body))
		}
	}
	return out
}

// A 429 created nothing: the create is sent again, and one batch run is
// started and judged.
func TestStartRateLimitedThenCreated(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 2, sigmamindtest.Simulation{PerTick: 1000})
	var once sync.Once
	srv.OnRequest(func(r sigmamindtest.Request) {
		if r.Method == "POST" {
			once.Do(func() { srv.Fail(sigmamindtest.Fault{Status: 429, RetryAfter: "1"}) })
		}
	})
	s, _ := runInProcess(t, startInputs(srv, nil))
	s.CheckHygiene(t)
	runs := srv.BatchRunsOf("agent_x")
	if len(runs) != 1 || s.Exit != 0 || s.Outputs["result"] != "pass" {
		t.Fatalf("%d batch runs, exit %d, result %q; want 1, 0, pass\n%s", len(runs), s.Exit, s.Outputs["result"], s.Stdout)
	}
	if got, want := s.Outputs["started-batch-ids"], `["`+runs[0].BatchID+`"]`; got != want {
		t.Errorf("started-batch-ids %s; want %s", got, want)
	}
	if n := len(createBodies(srv)); n != 2 {
		t.Errorf("%d creates; want 2 (the 429, then the one that created)", n)
	}
}

// The create's answer names a batch run listed before the create: it is no
// new run, so it is neither judged nor is the create sent again.
func TestStartCreateAnswerNamesOldRun(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 1, sigmamindtest.Simulation{PerTick: 1000})
	srv.AddBatchRuns("agent_x", steptest.Run5("batch_old", steptest.Now.Add(-3600e9), 5, 0))
	var once sync.Once
	srv.OnRequest(func(r sigmamindtest.Request) {
		if r.Method == "POST" {
			once.Do(func() {
				srv.Fail(sigmamindtest.Fault{Status: 201, Body: `{"batchId":"batch_old","agent":{"agentId":"agent_x"},"createdDate":"2026-11-29T11:00:00Z"}`})
			})
		}
	})
	s, _ := runInProcess(t, startInputs(srv, nil))
	s.CheckHygiene(t)
	if s.Exit != 3 || s.Outputs["result"] != "error" || len(createBodies(srv)) != 1 {
		t.Errorf("exit %d, result %q, %d creates; want 3, error, 1\n%s", s.Exit, s.Outputs["result"], len(createBodies(srv)), s.Stdout)
	}
	for _, out := range []string{"batch-ids", "started-batch-ids"} {
		if got := s.Outputs[out]; got != "[]" {
			t.Errorf("%s %s; want []", out, got)
		}
	}
}

// The API key given as a test case id, or served as part of one: it appears
// nowhere, and the step never passes on it.
func TestStartKeyInTestCaseIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, runTestCases string
		listed             string
	}{
		{"in run-test-cases", "tc_1," + steptest.Key + ",x" + steptest.Key, ""},
		{"in the test case list", "all", "tc_" + steptest.Key},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, 1, sigmamindtest.Simulation{PerTick: 1000})
			if tt.listed != "" {
				srv.AddTestCases("agent_x", sigmamind.TestCase{TestCaseID: tt.listed, Attempt: 5})
			}
			s, _ := runInProcess(t, startInputs(srv, map[string]string{"run-test-cases": tt.runTestCases}))
			s.CheckHygiene(t)
			if s.Outputs["result"] == "pass" || s.Exit == 0 {
				t.Errorf("exit %d, result %q: passed on a test case SigmaMind does not know\n%s", s.Exit, s.Outputs["result"], s.Stdout)
			}
		})
	}
}

// Test case ids and labels that look like workflow commands start none.
func TestStartForgedCommandsThroughTestCases(t *testing.T) {
	t.Parallel()
	for _, runTestCases := range []string{"all", "::error::forged tc_2"} {
		t.Run(runTestCases, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, 0, sigmamindtest.Simulation{PerTick: 1000})
			srv.AddTestCases("agent_x",
				sigmamind.TestCase{TestCaseID: "::error::forged", Label: "x\n::error::forged label\n", Attempt: 5},
				sigmamind.TestCase{TestCaseID: "tc_2", Label: "%0A::warning::forged", Attempt: 5})
			s, _ := runInProcess(t, startInputs(srv, map[string]string{"run-test-cases": runTestCases}))
			s.CheckHygiene(t)
			if s.Exit != 0 || s.Outputs["result"] != "pass" {
				t.Errorf("exit %d, result %q; want 0, pass\n%s", s.Exit, s.Outputs["result"], s.Stdout)
			}
		})
	}
}

// all over a paged test case list that repeats its first page or never
// ends: an error, and nothing is started.
func TestStartAllOverBrokenPagedList(t *testing.T) {
	t.Parallel()
	for _, mode := range []sigmamindtest.PaginationMode{sigmamindtest.RepeatFirstPage, sigmamindtest.EndlessHasNext} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, 3, sigmamindtest.Simulation{PerTick: 1000})
			srv.SetTestCaseListing(sigmamindtest.PagedList)
			srv.SetPagination(mode)
			s, _ := runInProcess(t, startInputs(srv, nil))
			s.CheckHygiene(t)
			if s.Exit != 3 || s.Outputs["result"] != "error" || len(createBodies(srv)) != 0 {
				t.Errorf("exit %d, result %q, %d creates; want 3, error, none\n%s", s.Exit, s.Outputs["result"], len(createBodies(srv)), s.Stdout)
			}
		})
	}
}

// all over a list that names a test case twice runs it once.
func TestStartAllWithRepeatedTestCase(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 2, sigmamindtest.Simulation{PerTick: 1000})
	srv.AddTestCases("agent_x", sigmamind.TestCase{TestCaseID: "tc_1", Attempt: 5})
	s, _ := runInProcess(t, startInputs(srv, nil))
	s.CheckHygiene(t)
	if diff := cmp.Diff([]string{`{"agentId":"agent_x","testCases":["tc_1","tc_2"]}`}, createBodies(srv)); diff != "" {
		t.Errorf("creates (-want +got):\n%s", diff)
	}
	if s.Exit != 0 || s.Outputs["result"] != "pass" {
		t.Errorf("exit %d, result %q; want 0, pass\n%s", s.Exit, s.Outputs["result"], s.Stdout)
	}
}

// Confidence at its edges, with max-runs: a verdict, never an error, and
// never more runs than max-runs.
func TestStartConfidenceEdges(t *testing.T) {
	t.Parallel()
	for _, c := range []string{"0.5", "0.51", "0.9999", "0.999999", "0.99999999"} {
		for _, maxRuns := range []int{2, 20} {
			t.Run(fmt.Sprintf("%s/%d", c, maxRuns), func(t *testing.T) {
				t.Parallel()
				srv := startFake(t, 1, sigmamindtest.Simulation{PerTick: 1000})
				s, _ := runInProcess(t, startInputs(srv, map[string]string{"confidence": c, "max-runs": fmt.Sprint(maxRuns)}))
				s.CheckHygiene(t)
				if r := s.Outputs["result"]; r != "pass" && r != "inconclusive" {
					t.Errorf("exit %d, result %q; want pass or inconclusive\n%s", s.Exit, r, s.Stdout)
				}
				if n := len(srv.BatchRunsOf("agent_x")); n < 1 || n > maxRuns {
					t.Errorf("%d batch runs of up to %d", n, maxRuns)
				}
				if strings.Contains(s.Stdout, "::error::could not") {
					t.Errorf("an error:\n%s", s.Stdout)
				}
			})
		}
	}
}
