package action

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/report"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// creates counts the creates the server was sent.
func creates(srv *sigmamindtest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

func isListing(r sigmamindtest.Request) bool {
	return r.Method == http.MethodGet && r.Path == "/v1/batch-runs"
}

func isRead(r sigmamindtest.Request) bool {
	return r.Method == http.MethodGet && strings.HasPrefix(r.Path, "/v1/batch-runs/")
}

const emptyPage = `{"data":[],"page":0,"size":50,"totalCount":0,"totalPages":0,"hasNext":false,"hasPrevious":false}`

// A 503 after SigmaMind created the run, and a listing that does not show it
// yet: the listing is looked at again before a resend, so one intended run
// is one batch run.
func TestStartLaggingListingAfter503(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 2, sigmamindtest.Simulation{PerTick: 1000})
	var mu sync.Mutex
	posted, lagged := false, false
	srv.OnRequest(func(r sigmamindtest.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && !posted:
			posted = true
			srv.Fail(sigmamindtest.Fault{Process: true, Status: 503})
		case isListing(r) && posted && !lagged:
			lagged = true
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: emptyPage})
		}
	})
	s, _ := runInProcess(t, startInputs(srv, nil))
	s.CheckHygiene(t)
	runs := srv.BatchRunsOf("agent_x")
	if len(runs) != 1 || creates(srv) != 1 {
		t.Fatalf("%d batch runs, %d creates for one intended run; want 1, 1\n%s", len(runs), creates(srv), s.Stdout)
	}
	want := map[string]string{"result": "pass", "started-batch-ids": fmt.Sprintf("[%q]", runs[0].BatchID)}
	got := map[string]string{"result": s.Outputs["result"], "started-batch-ids": s.Outputs["started-batch-ids"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}

// Someone else starts a batch run of the same test cases while the step's
// create meets a 503 that created nothing. Listings cannot tell it from the
// step's own, so it is adopted (the residual risk the README's concurrency
// hint is for), but never silently: the log and the summary say that it was
// found, not answered, and that it may be another's.
func TestStartAdoptionAfter503IsNamed(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 2, sigmamindtest.Simulation{PerTick: 1000})
	var mu sync.Mutex
	var foreign string
	srv.OnRequest(func(r sigmamindtest.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodPost && foreign == "" {
			b, err := srv.StartBatchRun("agent_x", "tc_1", "tc_2")
			if err != nil {
				t.Error(err)
			}
			foreign = b.BatchID
			srv.Fail(sigmamindtest.Fault{Status: 503})
		}
	})
	s, _ := runInProcess(t, startInputs(srv, nil))
	s.CheckHygiene(t)
	if n := creates(srv); n != 1 {
		t.Errorf("%d creates; want 1: a found batch run is not started again", n)
	}
	if got, want := s.Outputs["started-batch-ids"], fmt.Sprintf("[%q]", foreign); got != want {
		t.Errorf("started-batch-ids %s; want %s", got, want)
	}
	for where, text := range map[string]string{"log": s.Stdout, "summary": s.Summary} {
		if !strings.Contains(text, "someone else started meanwhile with the same test cases cannot be told from it") {
			t.Errorf("the %s does not say that the adopted run may be another's:\n%s", where, text)
		}
	}
}

// readAs answers every read of a batch run with body, its id filled in.
func readAs(srv *sigmamindtest.Server, body string) {
	srv.OnRequest(func(r sigmamindtest.Request) {
		if isRead(r) {
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: fmt.Sprintf(body, strings.TrimPrefix(r.Path, "/v1/batch-runs/"))})
		}
	})
}

// A started run is judged only as the run asked for, at the size planned
// from the test-case list (2 test cases × 5 attempts): a read that lacks or
// shrinks its configured attempts is a run still running, one with more
// attempts than configured or other test cases is an error, and a create
// answered with someone else's batch run judges nothing.
func TestStartedRunMustBeTheOneAskedFor(t *testing.T) {
	t.Parallel()
	const read = `{"batchId":%%q,"agent":{"agentId":"agent_x"},"createdDate":"2026-11-29T12:00:00Z","testCases":[%s],"successfulAttempts":%d,"failedAttempts":0,"totalAttempts":%[2]d}`
	tests := []struct {
		name       string
		body       string // the read, with %q for the batch id; empty: as served
		foreign    bool   // the create is answered with another run of tc_1
		with       map[string]string
		wantExit   int
		wantResult string
		wantStop   string
		wantText   string // in the log
		started    bool   // started-batch-ids names the run
	}{
		{name: "read without configured attempts", body: fmt.Sprintf(read, `{"testCaseId":"tc_1"},{"testCaseId":"tc_2"}`, 1),
			wantExit: 1, wantResult: "inconclusive", wantStop: report.StopStalled, started: true,
			wantText: "lists no configured attempts; it is judged against the 10 planned from the test-case list"},
		{name: "read with fewer configured attempts", body: fmt.Sprintf(read, `{"testCaseId":"tc_1","attempt":1},{"testCaseId":"tc_2","attempt":1}`, 2),
			wantExit: 1, wantResult: "inconclusive", wantStop: report.StopStalled, started: true,
			wantText: "lists 2 configured attempts; it is judged against the 10 planned from the test-case list"},
		{name: "more attempts than configured", body: fmt.Sprintf(read, `{"testCaseId":"tc_1","attempt":5},{"testCaseId":"tc_2","attempt":5}`, 1000),
			with: map[string]string{"confidence": "0.95"}, wantExit: 3, wantResult: "error", wantStop: report.StopError, started: true,
			wantText: "it lists 1000 executed attempts, more than the 10 configured"},
		{name: "read with other test cases", body: fmt.Sprintf(read, `{"testCaseId":"tc_other","attempt":5}`, 5),
			wantExit: 3, wantResult: "error", wantStop: report.StopError,
			wantText: "but reading it shows test cases tc_other, not the 2 requested: it is not judged and not listed in started-batch-ids"},
		{name: "read with another createdDate", body: strings.Replace(fmt.Sprintf(read, `{"testCaseId":"tc_1","attempt":5},{"testCaseId":"tc_2","attempt":5}`, 10), "12:00:00Z", "11:00:00Z", 1),
			wantExit: 3, wantResult: "error", wantStop: report.StopError,
			wantText: "but reading it shows createdDate 2026-11-29T11:00:00Z, not the 2026-11-29T12:00:00Z its start gave"},
		{name: "create answered with another's run", foreign: true, with: map[string]string{"run-test-cases": "tc_1,tc_2"},
			wantExit: 3, wantResult: "error", wantStop: report.StopError,
			wantText: "but reading it shows test cases tc_1, not the 2 requested"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := startFake(t, 2, sigmamindtest.Simulation{PerTick: 1000})
			if tt.body != "" {
				readAs(srv, tt.body)
			}
			var once sync.Once
			var foreign string
			if tt.foreign {
				srv.OnRequest(func(r sigmamindtest.Request) {
					if r.Method == http.MethodPost {
						once.Do(func() {
							b, err := srv.StartBatchRun("agent_x", "tc_1")
							if err != nil {
								t.Error(err)
							}
							foreign = b.BatchID
							srv.Fail(sigmamindtest.Fault{Status: 201, Body: fmt.Sprintf(`{"batchId":%q,"agent":{"agentId":"agent_x"},"createdDate":%q}`,
								b.BatchID, b.CreatedDate.UTC().Format(time.RFC3339))})
						})
					}
				})
			}
			s, _ := runInProcess(t, startInputs(srv, tt.with))
			s.CheckHygiene(t)
			if s.Exit != tt.wantExit || s.Outputs["result"] != tt.wantResult {
				t.Errorf("exit %d, result %q; want %d, %q\n%s", s.Exit, s.Outputs["result"], tt.wantExit, tt.wantResult, s.Stdout)
			}
			if got := stoppedBecause(t, s); got != tt.wantStop {
				t.Errorf("stopped: %q; want %q", got, tt.wantStop)
			}
			if !strings.Contains(s.Everything(), tt.wantText) {
				t.Errorf("the step does not say %q:\n%s", tt.wantText, s.Everything())
			}
			runs := srv.BatchRunsOf("agent_x")
			wantStarted := "[]"
			if tt.started {
				wantStarted = fmt.Sprintf("[%q]", runs[0].BatchID)
			}
			if got := s.Outputs["started-batch-ids"]; got != wantStarted {
				t.Errorf("started-batch-ids %s; want %s", got, wantStarted)
			}
			if tt.foreign && !strings.Contains(s.Everything(), "SigmaMind answered the create with batch run "+foreign) {
				t.Errorf("the run SigmaMind answered with, %s, is not named:\n%s", foreign, s.Everything())
			}
		})
	}
}

// Once a rule has decided fail, the step fails whatever the other rule
// says: no more runs are started, and the reason names the look that
// decided.
func TestStartStopsAtADecidedFail(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 6, sigmamindtest.Simulation{PerTick: 1000, FailureRate: 0.3})
	s, _ := runInProcess(t, startInputs(srv, map[string]string{"confidence": "0.95", "max-runs": "6", "min-success-rate": "68%"}))
	s.CheckHygiene(t)
	if n := len(srv.BatchRunsOf("agent_x")); s.Exit != 1 || s.Outputs["result"] != "fail" || n != 1 {
		t.Errorf("exit %d, result %q after %d runs; want 1, fail after 1\n%s", s.Exit, s.Outputs["result"], n, s.Stdout)
	}
	if got := stoppedBecause(t, s); got != report.StopDecided {
		t.Errorf("stopped: %q; want %q", got, report.StopDecided)
	}
	if !strings.Contains(s.Everything(), "fail after run 1 of up to 6 (") {
		t.Errorf("no reason names the look that decided fail:\n%s", s.Everything())
	}
}

// A rule decides fail on the first run while the other wants more, and the
// second run cannot be read: the step stops at the fail and never reads it.
func TestStartDecidedFailSurvivesLaterOutage(t *testing.T) {
	t.Parallel()
	srv := startFake(t, 6, sigmamindtest.Simulation{PerTick: 1000, FailureRate: 0.3})
	var mu sync.Mutex
	first := ""
	srv.OnRequest(func(r sigmamindtest.Request) {
		mu.Lock()
		defer mu.Unlock()
		if !isRead(r) {
			return
		}
		id := strings.TrimPrefix(r.Path, "/v1/batch-runs/")
		if first == "" {
			first = id
		}
		if id != first {
			srv.Fail(sigmamindtest.Fault{Status: 503})
		}
	})
	s, _ := runInProcess(t, startInputs(srv, map[string]string{"confidence": "0.95", "max-runs": "6", "min-success-rate": "68%", "on-error": "warn"}))
	s.CheckHygiene(t)
	if s.Exit != 1 || s.Outputs["result"] != "fail" || s.Outputs["passed"] != "false" {
		t.Errorf("exit %d, result %q, passed %q; want 1, fail, false: max-failure-rate decided fail on the first run\n%s", s.Exit, s.Outputs["result"], s.Outputs["passed"], s.Stdout)
	}
}

// An error after a decided verdict: a decided fail stands, with the error as
// a note, even where on-error: warn lets outages pass; a decided pass of one
// rule with another undecided stays an error, never a pass.
func TestJudgeStartedErrorAfterADecidedVerdict(t *testing.T) {
	t.Parallel()
	fail, succeed := gate.MustRate("10%"), gate.MustRate("50%")
	run := func(id string, failed int64) sigmamind.BatchRun {
		return sigmamind.BatchRun{BatchID: id, CreatedDate: steptest.Now, TestCases: []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: 30}},
			SuccessfulAttempts: 30 - failed, FailedAttempts: failed, TotalAttempts: 30}
	}
	outage := &sigmamind.APIError{Method: http.MethodGet, Path: "/v1/batch-runs/batch_2", StatusCode: 503, Attempts: 4}
	tests := []struct {
		name       string
		failed     int64
		wantCode   int
		wantResult gate.Verdict // empty: an error
		wantErr    bool
	}{
		// 10 of 30 failed: max-failure-rate 10% decides fail, min-success-rate 50% pass.
		{"fail decided", 10, policy.ExitFail, gate.Fail, false},
		// None failed: max-failure-rate decides pass at once, min-success-rate
		// too; 4 failed: max-failure-rate undecided, so the error stands.
		{"nothing decided fail", 4, policy.ExitPass, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := config.Config{MaxRuns: 6, OnError: "warn", OnInconclusive: "fail",
				Rules: gate.Rules{MaxFailureRate: &fail, MinSuccessRate: &succeed, Confidence: 0.95}}
			st := &starts{testCases: []string{"tc_1"}, runAttempts: 30, planned: 30, maxRuns: 6, decided: map[string]gate.Verdict{}}
			st.runs = []sigmamind.BatchRun{run("batch_1", tt.failed)}
			st.read = 1
			if _, _, err := st.look(cfg, 1); err != nil {
				t.Fatal(err)
			}
			st.runs = append(st.runs, sigmamind.BatchRun{BatchID: "batch_2", CreatedDate: steptest.Now})
			err := fmt.Errorf("could not read batch run batch_2 of agent agent_x: %w", outage)
			j := judgeStarted(cfg, st, batches.Selection{}, err, steptest.Now)
			if (j.err != nil) != tt.wantErr || j.outcome.Err != tt.wantErr {
				t.Fatalf("error %v, outcome %+v; want an error: %v", j.err, j.outcome, tt.wantErr)
			}
			if !tt.wantErr {
				if j.outcome.Verdict != tt.wantResult || j.gate.Verdict != tt.wantResult {
					t.Errorf("verdict %q (gate %q); want %q", j.outcome.Verdict, j.gate.Verdict, tt.wantResult)
				}
				if n := j.gate.Counts.Total; n != 30 {
					t.Errorf("judged %d attempts; want the 30 of the look that decided", n)
				}
				note := "after the fail was decided, the step met an error: " + err.Error()
				if !cmp.Equal(j.gate.Notes, []string{note}) {
					t.Errorf("notes %q; want %q", j.gate.Notes, note)
				}
			}
			d := policy.Decide(j.outcome, policy.Policy{OnError: cfg.OnError, OnInconclusive: cfg.OnInconclusive})
			if d.Code != tt.wantCode || d.Passed {
				t.Errorf("exit %d, passed %v; want %d, false", d.Code, d.Passed, tt.wantCode)
			}
		})
	}
}

// No run is started once the wait is spent, nor one that the time left
// cannot see finish. Runs of 10 attempts cannot pass at the first look, so
// more are wanted; each takes 10s (one pause): with 10s or 15s of wait no
// second run starts, with 25s a second one does, and no third.
func TestStartNoRunThatCannotFinishInTheWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		wait     string
		wantRuns int
	}{
		{"10s", 1},
		{"15s", 1},
		{"25s", 2},
	}
	for _, tt := range tests {
		t.Run(tt.wait, func(t *testing.T) {
			t.Parallel()
			clock := newMovingClock()
			srv := clockedFake(t, clock, 10, 5)
			s, _ := runClocked(t, startInputs(srv, map[string]string{"run-test-cases": "tc_1", "wait": tt.wait, "confidence": "0.95", "max-runs": "6"}), clock.Now, clock.Pass)
			s.CheckHygiene(t)
			if n := len(srv.BatchRunsOf("agent_x")); n != tt.wantRuns {
				t.Errorf("%d batch runs started; want %d\n%s", n, tt.wantRuns, s.Stdout)
			}
			if tt.wantRuns == 1 {
				if got := stoppedBecause(t, s); got != report.StopTimedOut || s.Outputs["result"] == "pass" {
					t.Errorf("stopped: %q, result %q; want timed out, no pass", got, s.Outputs["result"])
				}
				if !strings.Contains(s.Stdout, "so no run 2 of 6 was started") {
					t.Errorf("the log does not say why no run 2 was started:\n%s", s.Stdout)
				}
			}
		})
	}
}
