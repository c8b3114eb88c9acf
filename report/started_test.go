package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// What the gate started is shown from text the API sent: it must not break
// a line, start a workflow command or escape into markdown.
func TestStartedHostileText(t *testing.T) {
	t.Parallel()
	hostile := "tc_1\n::error::pwned | <b>x</b> [link](http://x)"
	r := Result{AgentID: "agent_x", Started: &Started{BatchIDs: []string{"batch_1\n::warning::x"}, TestCases: []string{hostile},
		Commit: "0123456", PullRequest: "42", Runs: 1, MaxRuns: 3, Attempts: 30, RunAttempts: 30, Stop: StopCancelled}}
	for _, md := range []string{Markdown([]Result{r}), Markdown([]Result{{AgentID: "agent_x", Err: "boom", Started: r.Started}})} {
		for _, line := range strings.Split(md, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "::") {
				t.Errorf("a line starts a workflow command: %q", line)
			}
		}
		for _, want := range []string{"for commit 0123456 of pull request #42", "1 run of 3 spent, 30 attempts of 90; stopped because the step was cancelled", "keep running in SigmaMind"} {
			if !strings.Contains(md, want) {
				t.Errorf("summary lacks %q:\n%s", want, md)
			}
		}
		if strings.Contains(md, "<b>") || strings.Contains(md, "[link](") {
			t.Errorf("markup from the API reached the summary:\n%s", md)
		}
	}
	var j struct {
		Agents []struct {
			Started *Started `json:"started"`
		} `json:"agents"`
	}
	if err := json.Unmarshal([]byte(JSON([]Result{r})), &j); err != nil || len(j.Agents) != 1 {
		t.Fatalf("JSON: %v, %d agents; want one", err, len(j.Agents))
	}
	if diff := cmp.Diff(r.Started, j.Agents[0].Started); diff != "" {
		t.Errorf("JSON started (-want +got):\n%s", diff)
	}
}
