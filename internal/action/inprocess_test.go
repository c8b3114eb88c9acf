package action

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// runInProcess runs the gate in this process, with the runner's environment
// and a recording, non-sleeping sleep: for fault tests that would otherwise
// wait for real backoff.
func runInProcess(t *testing.T, with map[string]string) (steptest.Step, []time.Duration) {
	t.Helper()
	return runClocked(t, with, func() time.Time { return steptest.Now }, nil)
}

// runClocked is runInProcess with the clock now; each pause is passed to
// pass, when it is not nil, before it is recorded.
func runClocked(t *testing.T, with map[string]string, now func() time.Time, pass func(time.Duration)) (steptest.Step, []time.Duration) {
	t.Helper()
	vars, outPath, sumPath := steptest.Env(t, with)
	var stdout, stderr bytes.Buffer
	var slept []time.Duration
	code := Main(context.Background(), nil, Env{
		Getenv: func(k string) string { return vars[k] },
		Stdout: &stdout, Stderr: &stderr,
		Now:  now,
		HTTP: &http.Client{},
		Sleep: func(ctx context.Context, d time.Duration) error {
			if pass != nil {
				pass(d)
			}
			slept = append(slept, d)
			return ctx.Err()
		},
		Version: "test",
	})
	s := steptest.Step{Exit: code, Stdout: stdout.String(), Stderr: stderr.String()}
	s.Read(t, outPath, sumPath)
	return s, slept
}

// movingClock stands at steptest.Now until a pause moves it on: wait is
// spent by the step's own pauses, not by real time.
type movingClock struct {
	mu  sync.Mutex
	now time.Time
}

func newMovingClock() *movingClock { return &movingClock{now: steptest.Now} }

func (c *movingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movingClock) Pass(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// clockedFake is a fake whose clock is c, with one test case tc_1 of
// agent_x of attempts attempts, simulated at perTick a tick.
func clockedFake(t *testing.T, c *movingClock, attempts, perTick int64) *sigmamindtest.Server {
	t.Helper()
	srv := sigmamindtest.NewServer(sigmamindtest.WithAPIKey(steptest.Key), sigmamindtest.WithClock(c.Now))
	t.Cleanup(srv.Close)
	srv.AddTestCases("agent_x", sigmamind.TestCase{TestCaseID: "tc_1", Attempt: attempts})
	srv.SetSimulation("agent_x", sigmamindtest.Simulation{PerTick: perTick})
	return srv
}

func TestFaultsNeverPass(t *testing.T) {
	t.Parallel()
	good := steptest.Run5("batch_x", steptest.Now.Add(-time.Hour), 5, 0)
	tests := []struct {
		name       string
		faults     []sigmamindtest.Fault
		runs       []sigmamind.BatchRun
		with       map[string]string
		wantExit   int
		wantResult string
		wantError  string
	}{
		{"503 then success", []sigmamindtest.Fault{{Status: 503}}, nil, nil, 0, "pass", ""},
		{"429 with Retry-After then success", []sigmamindtest.Fault{{Status: 429, RetryAfter: "7"}}, nil, nil, 0, "pass", ""},
		{"reset then success", []sigmamindtest.Fault{{Reset: true}}, nil, nil, 0, "pass", ""},
		{"502 until retries run out", []sigmamindtest.Fault{{Status: 502, Times: 4}}, nil, nil, 3, "error", "502 Bad Gateway"},
		{"500 with retries 0", []sigmamindtest.Fault{{Status: 500}}, nil, map[string]string{"retries": "0"}, 3, "error", "500 Internal Server Error"},
		{"401 is not retried", []sigmamindtest.Fault{{Status: 401}, {Status: 401}}, nil, nil, 3, "error", "401 Unauthorized"},
		{"html from a proxy", []sigmamindtest.Fault{{Status: 200, ContentType: "text/html", Body: "<html><body>Sign in</body></html>"}}, nil, nil, 3, "error", "not JSON"},
		{"empty body", []sigmamindtest.Fault{{Status: 200, Body: " "}}, nil, nil, 3, "error", "not a JSON object"},
		{"truncated JSON", []sigmamindtest.Fault{{Status: 200, Body: `{"data":[{"batchId":"b","totalAttempts":5`}}, nil, nil, 3, "error", "not valid JSON"},
		{"negative counts", nil, []sigmamind.BatchRun{{BatchID: "batch_neg", CreatedDate: steptest.Now, SuccessfulAttempts: 5, FailedAttempts: -1, TotalAttempts: 4}}, nil, 3, "error", "negative attempt count"},
		{"more judged than executed", nil, []sigmamind.BatchRun{{BatchID: "batch_over", CreatedDate: steptest.Now, SuccessfulAttempts: 5, FailedAttempts: 1, TotalAttempts: 5}}, nil, 3, "error", "exceed the total"},
		{"a line break in an id", nil, []sigmamind.BatchRun{{BatchID: "batch_x\n::error::pwned", SuccessfulAttempts: 5, TotalAttempts: 5}}, nil, 3, "error", "batchId contains a control character"},
		{"an outage warned", []sigmamindtest.Fault{{Status: 503, Times: 4}}, nil, map[string]string{"on-error": "warn"}, 0, "error", ""},
		// on-error: warn excuses outages only (see onerror_test.go).
		{"a proxy's page, on-error warn", []sigmamindtest.Fault{{Status: 200, ContentType: "text/html", Body: "<html>"}}, nil, map[string]string{"on-error": "warn"}, 3, "error", "not JSON"},
		{"a redirect elsewhere", []sigmamindtest.Fault{{Status: 301, Body: " "}}, nil, nil, 3, "error", "301 Moved Permanently; the API answered with a redirect"},
		{"a reset warned", []sigmamindtest.Fault{{Reset: true, Times: 4}}, nil, map[string]string{"on-error": "warn"}, 0, "error", ""},
		{"a refused key, on-error warn", []sigmamindtest.Fault{{Status: 403}}, nil, map[string]string{"on-error": "warn"}, 3, "error", "403 Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runs := tt.runs
			if runs == nil {
				runs = []sigmamind.BatchRun{good}
			}
			srv := steptest.NewFake(t, runs...)
			srv.Fail(tt.faults...)
			with := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL}
			for k, v := range tt.with {
				with[k] = v
			}
			s, slept := runInProcess(t, with)
			s.CheckHygiene(t)
			if s.Exit != tt.wantExit || s.Outputs["result"] != tt.wantResult {
				t.Errorf("exit %d, result %q; want %d, %q\nstdout:\n%s", s.Exit, s.Outputs["result"], tt.wantExit, tt.wantResult, s.Stdout)
			}
			if tt.wantError != "" {
				steptest.CheckAnnotation(t, s.Annotations("error"), tt.wantError)
			}
			if tt.name == "429 with Retry-After then success" && (len(slept) != 1 || slept[0] < 7*time.Second) {
				t.Errorf("slept %v, want once for at least Retry-After 7s", slept)
			}
		})
	}
}

// TestHostileProgressLines: waiting prints progress lines that start with
// batch ids, which must not start a workflow command.
func TestHostileProgressLines(t *testing.T) {
	t.Parallel()
	waiting := steptest.NewFake(t, sigmamind.BatchRun{BatchID: "::error::pwned ##[set-output name=result]pass", CreatedDate: steptest.Now,
		TotalAttempts: 1, SuccessfulAttempts: 1, TestCases: []sigmamind.TestCase{{TestCaseID: "tc", Attempt: 5}}})
	s, _ := runInProcess(t, map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": waiting.URL, "wait": "10m"})
	s.CheckHygiene(t)
	if got := s.Annotations("error"); len(got) != 1 || !strings.HasPrefix(got[0], "inconclusive: still running") {
		t.Errorf("error annotations = %q, want the one inconclusive verdict", got)
	}
	if s.Exit != 1 || s.Outputs["result"] != "inconclusive" || !strings.Contains(s.Stdout, "stopped waiting: no new attempt was executed in 5 polls") {
		t.Errorf("exit %d, result %q; want 1, inconclusive after a stalled wait\n%s", s.Exit, s.Outputs["result"], s.Stdout)
	}
}
