package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestAgentsHungEndByTimeout: timeout bounds all talk with the API, for
// the step, not for each agent: nine agents whose API never answers, read
// four at a time, end the step within one timeout, not three; and an agent
// that hangs beside others that answer lets them be judged.
func TestAgentsHungEndByTimeout(t *testing.T) {
	t.Parallel()
	const timeout = time.Second
	a := newAgentsAPI(t)
	var ids []string
	for i := range 9 {
		id := fmt.Sprintf("agent_%d", i)
		a.AddBatchRuns(id, runOf(id, "Bot", "batch_"+id, 5, 0))
		ids = append(ids, id)
	}
	a.hang = true
	began := time.Now()
	s := runStep(t, agentsWith(a.URL, strings.Join(ids, ","), "timeout", timeout.String(), "retries", "0"), nil)
	took := time.Since(began)
	s.CheckHygiene(t)
	if s.Exit != 3 || s.Outputs["result"] != "error" {
		t.Errorf("exit %d, result %q; want 3, error", s.Exit, s.Outputs["result"])
	}
	if n := len(s.Annotations("error")); n != 9 {
		t.Errorf("%d error annotations; want one an agent, 9:\n%s", n, s.Stdout)
	}
	// One timeout and the time to start and report: far from the three
	// timeouts of three waves of four.
	if took > timeout+timeout/2+500*time.Millisecond {
		t.Errorf("the step took %v with timeout %v; want about one timeout", took, timeout)
	}
}

// TestAgentsSharedBatchRun: a batch run listed for two agents. Served as
// each one's own, each agent is judged on it, and both count it; served for
// agent_b but naming agent_a, agent_b's listing is refused: one agent's
// passing run never passes another.
func TestAgentsSharedBatchRun(t *testing.T) {
	t.Parallel()
	t.Run("each its own", func(t *testing.T) {
		t.Parallel()
		a := newAgentsAPI(t)
		a.AddBatchRuns("agent_a", runOf("agent_a", "Bot A", "batch_same", 5, 0))
		a.AddBatchRuns("agent_b", runOf("agent_b", "Bot B", "batch_same", 5, 0))
		s := runStep(t, agentsWith(a.URL, "agent_a,agent_b"), nil)
		s.CheckHygiene(t)
		if s.Exit != 0 || s.Outputs["batch-ids"] != `["batch_same","batch_same"]` || s.Outputs["total-attempts"] != "10" {
			t.Errorf("exit %d, batch-ids %s, total-attempts %s; want 0, the run once an agent, 10", s.Exit, s.Outputs["batch-ids"], s.Outputs["total-attempts"])
		}
	})
	t.Run("another agent's", func(t *testing.T) {
		t.Parallel()
		a := newAgentsAPI(t)
		a.AddBatchRuns("agent_a", runOf("agent_a", "Bot A", "batch_same", 5, 0))
		a.AddBatchRuns("agent_b", runOf("agent_a", "Bot A", "batch_same", 5, 0))
		s := runStep(t, agentsWith(a.URL, "agent_a,agent_b"), nil)
		s.CheckHygiene(t)
		if s.Exit != 3 || s.Outputs["result"] != "error" || s.Outputs["batch-ids"] != `["batch_same"]` {
			t.Errorf("exit %d, result %q, batch-ids %s; want 3, error, agent_a's run alone\n%s", s.Exit, s.Outputs["result"], s.Outputs["batch-ids"], s.Stdout)
		}
		if errs := s.Annotations("error"); len(errs) != 1 || !strings.HasPrefix(errs[0], "agent_b: ") {
			t.Errorf("errors %q; want one, about agent_b", errs)
		}
	})
}
