package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// Tests, through the compiled binary, that what the listing says cannot
// fool the gate: only the judged batch runs decide, and they must be the
// agent's newest, of the agent asked for, and consistent.

// trendRuns are the newest batch run, failing (4 of 5 attempts succeeded, so
// max-failure-rate 0 fails), and n clean older ones.
func trendRuns(now time.Time, n int) []sigmamind.BatchRun {
	runs := []sigmamind.BatchRun{steptest.Run5("batch_x", now.Add(-time.Hour), 4, 1)}
	for i := range n {
		runs = append(runs, steptest.Run5("batch_old"+string(rune('a'+i)), now.Add(-time.Duration(i+2)*time.Hour), 5, 0))
	}
	return runs
}

// rawPage is the JSON of a last page of batch runs, as they are: the fake
// would name the agent of a run that names none.
func rawPage(t *testing.T, runs ...sigmamind.BatchRun) string {
	t.Helper()
	b, err := json.Marshal(sigmamind.Page[sigmamind.BatchRun]{Data: runs, Size: 10, TotalCount: int64(len(runs)), TotalPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func with(srv *sigmamindtest.Server, kv ...string) map[string]string {
	m := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestTrendNeverDecides: rows read only for the trend that cannot be used,
// or cannot be read, leave a failing verdict failing, with on-error: warn
// too, and with summary: false.
func TestTrendNeverDecides(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		serve    func(t *testing.T) *sigmamindtest.Server
		wantNote string // in the summary, when there is one
	}{
		{name: "a corrupt trend row", serve: func(t *testing.T) *sigmamindtest.Server {
			runs := trendRuns(time.Now(), 5)
			runs[3].FailedAttempts = 9
			return steptest.NewFake(t, runs...)
		}, wantNote: `batch run &quot;batch\_oldc&quot; is left out of the trend: successful 5 + failed 9 attempts exceed the total 5`},
		{name: "a 500 on the trend's second page", serve: func(t *testing.T) *sigmamindtest.Server {
			srv := sigmamindtest.NewServer(sigmamindtest.WithAPIKey(steptest.Key), sigmamindtest.WithMaxPageSize(3))
			t.Cleanup(srv.Close)
			srv.AddBatchRuns("agent_x", trendRuns(time.Now(), 8)...)
			srv.Fail(sigmamindtest.Fault{}, sigmamindtest.Fault{Status: 500, Times: 10})
			return srv
		}, wantNote: "older batch runs for the trend could not be read: GET /v1/batch-runs: 500 Internal Server Error: Unexpected server error"},
		{name: "empty pages after hasNext", serve: func(t *testing.T) *sigmamindtest.Server {
			srv := steptest.NewFake(t, trendRuns(time.Now(), 2)...)
			srv.SetPagination(sigmamindtest.EndlessHasNext)
			return srv
		}, wantNote: "older batch runs for the trend could not be read: GET /v1/batch-runs: pages 1 to 3 brought no new batch run though hasNext is true"},
		{name: "a trend row of another agent", serve: func(t *testing.T) *sigmamindtest.Server {
			runs := trendRuns(time.Now(), 5)
			runs[2].Agent.AgentID = "agent_y"
			return steptest.NewFake(t, runs...)
		}, wantNote: `batch run &quot;batch\_oldb&quot; is left out of the trend: it is a batch run of agent &quot;agent\_y&quot;, not of agent-id`},
	}
	for _, tt := range tests {
		for _, opts := range [][]string{{}, {"on-error", "warn"}, {"summary", "false"}, {"summary", "false", "on-error", "warn"}} {
			t.Run(tt.name+" "+strings.Join(opts, " "), func(t *testing.T) {
				t.Parallel()
				srv := tt.serve(t)
				s := runStep(t, with(srv, append([]string{"retries", "0"}, opts...)...), nil)
				s.CheckHygiene(t)
				if s.Exit != 1 || s.Outputs["result"] != "fail" || s.Outputs["batch-ids"] != `["batch_x"]` {
					t.Errorf("exit %d, result %q, batch-ids %s; want 1, fail, [batch_x]\nstdout:\n%s", s.Exit, s.Outputs["result"], s.Outputs["batch-ids"], s.Stdout)
				}
				if len(opts) == 0 && !strings.Contains(s.Summary, tt.wantNote) {
					t.Errorf("the summary does not say %q:\n%s", tt.wantNote, s.Summary)
				}
			})
		}
	}
}

// TestListingIsEvidence: batch runs that are not this agent's newest, or
// that contradict themselves, are an error, never a pass.
func TestListingIsEvidence(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Millisecond)
	clean := func(id string, created time.Time) sigmamind.BatchRun { return steptest.Run5(id, created, 5, 0) }
	noCases := func(id string, created time.Time, successful, failed int64) sigmamind.BatchRun {
		b := steptest.Run5(id, created, successful, failed)
		b.TestCases, b.TotalAttempts = nil, 10
		return b
	}
	tests := []struct {
		name      string
		runs      []sigmamind.BatchRun // listed as given
		raw       bool                 // served as a raw page
		with      []string
		wantExit  int
		wantError string // part of the ::error annotation
	}{
		{name: "another agent's batch", runs: []sigmamind.BatchRun{func() sigmamind.BatchRun {
			b := clean("batch_y", now.Add(-time.Hour))
			b.Agent.AgentID = "agent_y"
			return b
		}()}, wantExit: 3, wantError: `batch run "batch_y" has impossible data: it is a batch run of agent "agent_y", not of agent-id`},
		{name: "a batch that names no agent", raw: true, runs: []sigmamind.BatchRun{func() sigmamind.BatchRun {
			b := clean("batch_y", now.Add(-time.Hour))
			b.Agent = nil
			return b
		}()}, wantExit: 3, wantError: `batch run "batch_y" has impossible data: it names no agent`},
		{name: "a test case of another agent", runs: []sigmamind.BatchRun{func() sigmamind.BatchRun {
			b := clean("batch_y", now.Add(-time.Hour))
			b.TestCases[0].Agent = &sigmamind.Agent{AgentID: "agent_y"}
			return b
		}()}, wantExit: 3, wantError: `its test case "tc_1" is of agent "agent_y", not of agent-id`},
		{name: "the bare spelling of the agent id", runs: []sigmamind.BatchRun{func() sigmamind.BatchRun {
			b := clean("batch_y", now.Add(-time.Hour))
			b.Agent.AgentID = "x"
			return b
		}()}, wantExit: 0},
		{name: "an old clean batch listed before a newer failing one", runs: []sigmamind.BatchRun{
			clean("batch_old", now.Add(-2*time.Hour)), steptest.Run5("batch_new", now.Add(-time.Hour), 0, 5)},
			wantExit: 3, wantError: `batch run "batch_new" has impossible data: its createdDate ` + now.Add(-time.Hour).Format(time.RFC3339Nano) + ` is newer than that of batch run "batch_old"`},
		{name: "an old clean batch listed before a newer failing one, no summary", runs: []sigmamind.BatchRun{
			clean("batch_old", now.Add(-2*time.Hour)), steptest.Run5("batch_new", now.Add(-time.Hour), 0, 5)}, with: []string{"summary", "false"},
			wantExit: 3, wantError: `is newer than that of batch run "batch_old"`},
		{name: "a year ahead with max-age", runs: []sigmamind.BatchRun{clean("batch_future", now.AddDate(1, 0, 0))}, with: []string{"max-age", "24h"},
			wantExit: 3, wantError: `batch run "batch_future" has impossible data: its createdDate ` + now.AddDate(1, 0, 0).Format(time.RFC3339Nano) + ` is 87`},
		{name: "no createdDate", raw: true, runs: []sigmamind.BatchRun{clean("batch_undated", time.Time{})},
			wantExit: 3, wantError: `batch run "batch_undated" has impossible data: createdDate is missing`},
		{name: "copies 10/0 and 0/10", runs: []sigmamind.BatchRun{noCases("batch_x", now.Add(-time.Hour), 10, 0), clean("batch_w", now.Add(-2*time.Hour)), noCases("batch_x", now.Add(-time.Hour), 0, 10)},
			wantExit: 3, wantError: `batch run "batch_x" has impossible data: it is listed again with fewer attempts (successful 10, failed 0, total 10; then 0, 10, 10)`},
		{name: "copies 10/0 and 0/10, a batch searched for", runs: []sigmamind.BatchRun{noCases("batch_x", now.Add(-time.Hour), 10, 0), clean("batch_w", now.Add(-2*time.Hour)), noCases("batch_x", now.Add(-time.Hour), 0, 10)},
			with: []string{"batch-id", "batch_x", "summary", "false"}, wantExit: 3, wantError: `it is listed again with fewer attempts`},
		{name: "copies that progressed", runs: []sigmamind.BatchRun{noCases("batch_x", now.Add(-time.Hour), 3, 0), clean("batch_w", now.Add(-2*time.Hour)), noCases("batch_x", now.Add(-time.Hour), 3, 1)},
			wantExit: 1, wantError: "failure rate 70.0% is above the limit 0.0% (1 failed and 6 undecided of 10 attempts in batch_x)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := steptest.NewFake(t)
			srv.ListAsGiven("agent_x", tt.runs...)
			if tt.raw {
				srv.Fail(sigmamindtest.Fault{Status: 200, Body: rawPage(t, tt.runs...), Times: 10})
			}
			s := runStep(t, with(srv, tt.with...), nil)
			s.CheckHygiene(t)
			want := map[int]string{0: "pass", 1: "fail", 3: "error"}[tt.wantExit]
			if s.Exit != tt.wantExit || s.Outputs["result"] != want {
				t.Errorf("exit %d, result %q; want %d, %s\nstdout:\n%s", s.Exit, s.Outputs["result"], tt.wantExit, want, s.Stdout)
			}
			if tt.wantError != "" {
				if got := s.Annotations("error"); len(got) != 1 || !strings.Contains(got[0], tt.wantError) {
					t.Errorf("error annotations %q, want one with %q", got, tt.wantError)
				}
			}
		})
	}
}

// TestWaitKeepsConfiguredAttempts: a batch seen at 2 of 10 configured
// attempts does not pass on 3 once a later poll lists it without test cases.
// The first pause is 10s of real time.
func TestWaitKeepsConfiguredAttempts(t *testing.T) {
	t.Parallel()
	created := time.Now().Add(-time.Minute)
	at := func(total int64, cases bool) sigmamind.BatchRun {
		b := steptest.Run5("batch_r", created, total, 0)
		b.TotalAttempts, b.TestCases[0].Attempt = total, 10
		if !cases {
			b.TestCases = nil
		}
		return b
	}
	srv := steptest.NewFake(t, at(2, true))
	srv.Fail(sigmamindtest.Fault{}, sigmamindtest.Fault{Status: 200, Body: rawPage(t, at(3, false)), Times: 10})
	s := runStep(t, with(srv, "wait", "10s"), nil)
	s.CheckHygiene(t)
	if s.Exit != 1 || s.Outputs["result"] != "inconclusive" {
		t.Errorf("exit %d, result %q; want 1, inconclusive\nstdout:\n%s", s.Exit, s.Outputs["result"], s.Stdout)
	}
	for _, want := range []string{"batch_r: 2/10 attempts", "batch_r: 3/10 attempts", "stopped waiting after 10s"} {
		if !strings.Contains(s.Stdout, want) {
			t.Errorf("the log does not say %q:\n%s", want, s.Stdout)
		}
	}
	if !strings.Contains(s.Summary, "3 of 10 ⏳") {
		t.Errorf("the summary does not show 3 of 10 attempts:\n%s", s.Summary)
	}
}

// TestUnknownConfiguredAttempts: a batch that does not say how many attempts
// it was configured for is never called finished.
func TestUnknownConfiguredAttempts(t *testing.T) {
	t.Parallel()
	b := steptest.Run5("batch_u", time.Now().Add(-time.Hour), 5, 0)
	b.TestCases = nil
	srv := steptest.NewFake(t, b)
	s := runStep(t, with(srv), nil)
	s.CheckHygiene(t)
	if s.Exit != 0 || s.Outputs["result"] != "pass" {
		t.Errorf("exit %d, result %q; want 0, pass", s.Exit, s.Outputs["result"])
	}
	for _, want := range []string{"| `finished` | all attempts | configured attempts unknown | ➖ skipped |", "| 5 (configured attempts unknown) |"} {
		if !strings.Contains(s.Summary, want) {
			t.Errorf("the summary does not say %q:\n%s", want, s.Summary)
		}
	}
	var report struct {
		Rules []struct{ Rule, Reason string }
	}
	if err := json.Unmarshal(steptest.OnlyAgent(t, s.Outputs["report"]), &report); err != nil {
		t.Fatal(err)
	}
	if len(report.Rules) == 0 || report.Rules[0].Rule != "finished" || !strings.HasPrefix(report.Rules[0].Reason, "configured attempts unknown for batch_u") {
		t.Errorf("report rules %+v, want finished first, with configured attempts unknown", report.Rules)
	}
}
