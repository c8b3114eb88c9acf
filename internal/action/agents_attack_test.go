package action

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// runAgents runs the gate in this process with the clock c, which every
// pause moves on: runClocked's record of pauses is no place for several
// agents pausing at once.
func runAgents(t *testing.T, with map[string]string, c *movingClock) steptest.Step {
	t.Helper()
	vars, outPath, sumPath := steptest.Env(t, with)
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), nil, Env{
		Getenv: func(k string) string { return vars[k] },
		Stdout: &stdout, Stderr: &stderr,
		Now:  c.Now,
		HTTP: &http.Client{},
		Sleep: func(ctx context.Context, d time.Duration) error {
			c.Pass(d)
			return ctx.Err()
		},
		Version: "test",
	})
	s := steptest.Step{Exit: code, Stdout: stdout.String(), Stderr: stderr.String()}
	s.Read(t, outPath, sumPath)
	return s
}

// panicky panics on the requests for one agent, as a bug would in the
// goroutine that reads it, and sends the others on.
type panicky struct {
	agent string
	next  http.RoundTripper
}

func (p panicky) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Query().Get("agentId") == p.agent {
		panic("a bug while reading " + p.agent)
	}
	return p.next.RoundTrip(r)
}

// TestAgentPanics: a panic while one agent is read ends as that agent's
// error: the others are judged, the outputs and summary are written, and the
// step errs; no stack trace, no crash.
func TestAgentPanics(t *testing.T) {
	t.Parallel()
	srv := steptest.NewFake(t, steptest.Run5("batch_x", steptest.Now.Add(-time.Hour), 5, 0))
	boom := steptest.Run5("batch_boom", steptest.Now.Add(-time.Hour), 5, 0)
	boom.Agent = &sigmamind.Agent{AgentID: "agent_boom"}
	srv.AddBatchRuns("agent_boom", boom)
	vars, outPath, sumPath := steptest.Env(t, map[string]string{"api-key": steptest.Key, "agent-id": "agent_x,agent_boom", "api-url": srv.URL})
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), nil, Env{
		Getenv: func(k string) string { return vars[k] },
		Stdout: &stdout, Stderr: &stderr,
		Now:     func() time.Time { return steptest.Now },
		HTTP:    &http.Client{Transport: panicky{agent: "agent_boom", next: http.DefaultTransport}},
		Version: "test",
	})
	s := steptest.Step{Exit: code, Stdout: stdout.String(), Stderr: stderr.String()}
	s.Read(t, outPath, sumPath)
	s.CheckHygiene(t)
	if s.Exit != 3 || s.Outputs["result"] != "error" || s.Outputs["batch-ids"] != `["batch_x"]` {
		t.Errorf("exit %d, result %q, batch-ids %s; want 3, error, agent_x's batch_x\n%s%s", s.Exit, s.Outputs["result"], s.Outputs["batch-ids"], s.Stdout, s.Stderr)
	}
	steptest.CheckAnnotation(t, s.Annotations("error"), "agent_boom: could not list the batch runs of agent agent_boom: internal error: a bug while reading agent_boom; please report it")
	if !strings.Contains(s.Summary, "Support bot (agent\\_x) | ✅ pass") {
		t.Errorf("the summary does not show agent_x judged:\n%s", s.Summary)
	}
}

// TestAgentsInProcess runs several agents in this process, so that the race
// detector sees them: started runs polled, running runs waited for, and the
// log, the annotations and the clock shared.
func TestAgentsInProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		with       map[string]string
		wantExit   int
		wantResult string
	}{
		{"started", map[string]string{"run-test-cases": "all", "max-runs": "3", "confidence": "0.9"}, 0, "pass"},
		// The fake moves a run on when it is read alone, not listed: the
		// waits stall, each agent's its own.
		{"waited for", map[string]string{"wait": "10m"}, 1, "inconclusive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newMovingClock()
			srv := clockedFake(t, c, 5, 1)
			with := map[string]string{"api-key": steptest.Key, "api-url": srv.URL, "max-failure-rate": "50%"}
			var ids []string
			for _, id := range []string{"agent_a", "agent_b", "agent_c", "agent_d", "agent_e", "agent_f"} {
				srv.AddTestCases(id, sigmamind.TestCase{TestCaseID: "tc_" + id, Attempt: 5})
				srv.SetSimulation(id, sigmamindtest.Simulation{PerTick: 1})
				if tt.with["wait"] != "" {
					srv.StartBatchRun(id, "tc_"+id)
				}
				ids = append(ids, id)
			}
			with["agent-id"] = strings.Join(ids, ",")
			for k, v := range tt.with {
				with[k] = v
			}
			s := runAgents(t, with, c)
			s.CheckHygiene(t)
			if s.Exit != tt.wantExit || s.Outputs["result"] != tt.wantResult || s.Outputs["total-attempts"] == "" {
				t.Errorf("exit %d, result %q, total-attempts %q; want %d, %s\n%s%s", s.Exit, s.Outputs["result"], s.Outputs["total-attempts"], tt.wantExit, tt.wantResult, s.Stdout, s.Stderr)
			}
			for _, id := range ids {
				if !strings.Contains(s.Stdout, "\n"+id+": ") {
					t.Errorf("no log line starts with %s:\n%s", id, s.Stdout)
				}
			}
		})
	}
}
