package report

import (
	"fmt"
	"strings"

	"github.com/sigmagate/sigmagate/gate"
)

// Started says which batch runs the gate started in this step, for which
// change, and why it started no more. Its texts are untrusted, as every
// text of a Result.
type Started struct {
	// BatchIDs are the batch runs started, newest first.
	BatchIDs []string `json:"batchIds"`
	// URLs link BatchIDs, one each, when batch-url-template is set; nil
	// otherwise.
	URLs []string `json:"urls,omitempty"`
	// TestCases are the ids of the test cases each run was started with.
	TestCases []string `json:"testCases"`
	// Commit is the short commit, PullRequest the pull request's number;
	// either is empty when unknown.
	Commit      string `json:"commit,omitempty"`
	PullRequest string `json:"pullRequest,omitempty"`
	// Runs is how many batch runs were started, of MaxRuns.
	Runs    int `json:"runs"`
	MaxRuns int `json:"maxRuns"`
	// Attempts is how many attempts the runs executed; RunAttempts is how
	// many one run is configured to execute (0: unknown).
	Attempts    int64 `json:"attempts"`
	RunAttempts int64 `json:"runAttemptsPlanned"`
	// Stop is why the gate started no more runs: one of the Stop* values.
	Stop string `json:"stopped"`
	// Level is the confidence of each look when runs are judged one after
	// another (max-runs above 1); 0 otherwise.
	Level float64 `json:"confidencePerLook,omitempty"`
}

// Why the gate started no more batch runs.
const (
	StopDecided   = "decided"
	StopBudget    = "budget spent"
	StopFutile    = "no pass reachable"
	StopStalled   = "stalled"
	StopTimedOut  = "timed out"
	StopCancelled = "cancelled"
	StopError     = "error"
)

var stopText = map[string]string{
	StopDecided:   "the verdict was decided",
	StopBudget:    "the budget of runs was spent",
	StopFutile:    "no outcome of the runs left in the budget could reach a pass",
	StopStalled:   "a batch run stopped making progress",
	StopTimedOut:  "the time of input wait ran out while a batch run was running",
	StopCancelled: "the step was cancelled",
	StopError:     "the API failed",
}

// renderStarted renders what the gate started; "" when it started nothing.
func renderStarted(s *Started) string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	change := ""
	if s.Commit != "" {
		change += " for commit " + cell(s.Commit, 40)
	}
	if s.PullRequest != "" {
		change += " of pull request #" + cell(s.PullRequest, 20)
	}
	ids := make([]string, len(s.BatchIDs))
	for i, id := range s.BatchIDs {
		ids[i] = link(id, s.url(i), idLimit)
	}
	started := "none"
	if len(ids) > 0 {
		started = strings.Join(ids, ", ")
	}
	fmt.Fprintf(&b, "**Batch runs this step started%s:** %s.\n\n", change, started)
	budget := ""
	if s.RunAttempts > 0 {
		budget = fmt.Sprintf(" of %s", num(s.RunAttempts*int64(s.MaxRuns)))
	}
	fmt.Fprintf(&b, "%s of %d spent, %s attempts%s; stopped because %s.", plural(s.Runs, "run", "runs"), s.MaxRuns, num(s.Attempts), budget, stopText[s.Stop])
	if s.Level > 0 {
		fmt.Fprintf(&b, " Each look judged the pooled runs at %s, so that over all looks a wrong verdict stays as rare as the confidence says.", gate.Confidence(s.Level))
	}
	b.WriteString("\n\n")
	if s.Stop == StopCancelled || s.Stop == StopTimedOut || s.Stop == StopStalled || s.Stop == StopError {
		if len(ids) > 0 {
			b.WriteString("The batch runs started keep running in SigmaMind; SigmaMind has no way to cancel them.\n\n")
		}
	}
	tcs := make([]string, 0, len(s.TestCases))
	for i, id := range s.TestCases {
		if i == 50 {
			tcs = append(tcs, fmt.Sprintf("and %d more", len(s.TestCases)-50))
			break
		}
		tcs = append(tcs, cell(id, idLimit))
	}
	if len(tcs) > 0 {
		fmt.Fprintf(&b, "Test cases of each run: %s.\n\n", strings.Join(tcs, ", "))
	}
	return b.String()
}

// url is the link of the i-th batch run started; "" when there is none.
func (s *Started) url(i int) string {
	if i < len(s.URLs) {
		return s.URLs[i]
	}
	return ""
}
