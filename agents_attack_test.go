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
