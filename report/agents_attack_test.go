package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/steptest"
)

// breaker is text from the API built to break what holds it: a table, a
// heading, HTML, a workflow command; and, in JSON, six bytes a rune.
const breaker = "a|b\n\n# x\r\n</details><b>`|` ::error::pwned ]]> & \u2028"

// heavy returns n runes that JSON encodes in six bytes each.
func heavy(n int) string { return strings.Repeat("<", n) }

// bigAgents are n results, every text from the API as long and as costly to
// encode as it could make it (ids are at most 256 bytes, the client's
// bound; links are built of them): agents judged with many batch runs, test
// cases and started runs, and agents that errored. The gate's own texts
// (notes, limits) are long too, though it writes them short.
func bigAgents(n int) []Result {
	inputs := map[string]string{"agent-id": heavy(10_000), "batch-url-template": heavy(10_000)}
	var out []Result
	for i := range n {
		id := fmt.Sprintf("agent_%03d_%s", i, strings.Repeat("x", 118)) // 128, the longest id
		r := Result{AgentID: id, AgentName: breaker + heavy(10_000), Inputs: inputs, Note: strings.Repeat("a note ", 100), TrendRows: 10}
		if i%2 == 1 {
			r.Err, r.Hint = heavy(100_000), heavy(10_000)
			out = append(out, r)
			continue
		}
		r.Gate = gate.Result{Verdict: gate.Fail, Counts: gate.Counts{Batches: 100, Failed: 1, Total: 500, Expected: 500},
			Notes: []string{heavy(10_000), heavy(10_000)}}
		for _, rule := range []string{"finished", "min-attempts", "max-failure-rate", "max-failed-attempts", "min-success-rate", "max-regression", "max-age"} {
			r.Gate.Checks = append(r.Gate.Checks, gate.Check{Rule: rule, Verdict: gate.Fail, Reason: heavy(10_000), LimitText: strings.Repeat("9", 60), ActualText: strings.Repeat("9", 200)})
		}
		r.Notes = []string{heavy(10_000)}
		for j := range 100 {
			r.Rows = append(r.Rows, Row{Role: Gated, TestCases: 1, URL: "https://app.sigmamind.ai/batch/" + strings.Repeat("%3C", 250),
				Batch: gate.Batch{ID: fmt.Sprintf("batch_%03d_%s", j, heavy(246)), Created: time.Unix(int64(j), 0), Total: 5, Expected: 5, Successful: 5}})
		}
		r.Started = &Started{Runs: 20, MaxRuns: 20, Stop: StopBudget}
		for j := range 20 {
			r.Started.BatchIDs = append(r.Started.BatchIDs, heavy(250)+fmt.Sprint(j))
			r.Started.URLs = append(r.Started.URLs, "https://app.sigmamind.ai/batch/"+strings.Repeat("%3C", 250))
		}
		for j := range 200 {
			r.Started.TestCases = append(r.Started.TestCases, heavy(250)+fmt.Sprint(j))
			r.TestCases = append(r.TestCases, TestCase{ID: fmt.Sprint(j), Label: breaker + heavy(1000), Model: heavy(100), Attempts: 5,
				Prompt: heavy(100_000), Criteria: heavy(100_000), MockData: []MockData{{Name: heavy(1000), Value: heavy(1000)}}})
		}
		out = append(out, r)
	}
	return out
}

// TestFiftyAgentsReportFits: the report output of fifty agents, each as
// big as the API can make it, stays within MaxJSONBytes and names every
// agent with its result.
func TestFiftyAgentsReportFits(t *testing.T) {
	t.Parallel()
	results := bigAgents(50)
	js := JSON(results)
	checkJSON(t, js)
	var doc struct {
		Agents []struct {
			Agent  struct{ ID string }
			Result string
		}
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Agents) != 50 {
		t.Fatalf("the report names %d agents; want 50", len(doc.Agents))
	}
	for i, a := range doc.Agents {
		if want := results[i].Outcome(); a.Result != want || a.Agent.ID == "" {
			t.Errorf("agent %d: %q %q; want its id and %s", i, a.Agent.ID, a.Result, want)
		}
	}
	t.Logf("report output: %d bytes", len(js))
}

// TestFiftyAgentsSummaryFits: the job summary of fifty agents, each as big
// as the API can make it, stays within its budget and shows every agent's
// verdict.
func TestFiftyAgentsSummaryFits(t *testing.T) {
	t.Parallel()
	md := Markdown(bigAgents(50))
	if len(md) > summaryBudget {
		t.Errorf("the summary is %d bytes, over its budget %d", len(md), summaryBudget)
	}
	checkMarkdown(t, md)
	steptest.CheckTables(t, md)
	head, _, _ := strings.Cut(md, "\n### ")
	if n := strings.Count(head, "\n| "); n != 51 {
		t.Errorf("the overview has %d rows; want a header and 50 agents", n)
	}
	t.Logf("summary: %d bytes, %d agent sections", len(md), strings.Count(md, "\n### "))
}

// TestOverviewHostile: names and errors from the API neither break the
// overview table nor start markup.
func TestOverviewHostile(t *testing.T) {
	t.Parallel()
	pass := Result{AgentID: "agent_a", AgentName: breaker, Gate: gate.Result{Verdict: gate.Pass, Counts: gate.Counts{Batches: 1, Successful: 5, Total: 5, Expected: 5}},
		Rows: []Row{{Role: Gated, Batch: gate.Batch{ID: "batch_|x|", Total: 5, Successful: 5, Expected: 5}, URL: "https://x/a)|b\n"}}}
	errored := Result{AgentID: "agent_b", AgentName: breaker, Err: breaker, Hint: breaker}
	md := Markdown([]Result{pass, errored})
	checkMarkdown(t, md)
	steptest.CheckTables(t, md)
	head, _, _ := strings.Cut(md, "\n### ")
	if n := strings.Count(head, "\n| "); n != 3 {
		t.Errorf("the overview has %d rows; want a header and 2 agents:\n%s", n, head)
	}
	for _, bad := range []string{"\n# x", "</details>", "<b>", "\n::error::"} {
		if strings.Contains(md, bad) {
			t.Errorf("the summary holds %q:\n%s", bad, md)
		}
	}
}

// TestBigSuitesLeaveRoomForEveryAgent: agents whose suites hold hundreds of
// long prompts fill the job summary with their details, but never crowd out
// another agent's section, whose verdict and reasons a reviewer reads
// first: each of fifty agents has its section, the details what is left.
func TestBigSuitesLeaveRoomForEveryAgent(t *testing.T) {
	t.Parallel()
	var results []Result
	for _, tc := range goldenCases() {
		if tc.name == "failing" {
			for i := range 50 {
				r := tc.r
				r.AgentID = fmt.Sprintf("agent_%02d", i)
				r.TestCases = nil
				for j := range 300 {
					r.TestCases = append(r.TestCases, TestCase{ID: fmt.Sprint("tc_", j), Label: fmt.Sprint("Case ", j), Attempts: 5,
						Prompt: strings.Repeat("Ask for a refund. ", 200), Criteria: strings.Repeat("The agent refunds. ", 200)})
				}
				results = append(results, r)
			}
		}
	}
	md := Markdown(results)
	if len(md) > summaryBudget {
		t.Errorf("the summary is %d bytes, over its budget %d", len(md), summaryBudget)
	}
	checkMarkdown(t, md)
	for _, r := range results {
		head := "### ❌ Failed: SigmaMind simulations of Acme Support (voice) (" + cell(r.AgentID, idLimit) + ")"
		if !strings.Contains(md, head) {
			t.Errorf("no section of %s", r.AgentID)
		}
	}
	if !strings.Contains(md, "left out: the job summary is limited to 1 MB") {
		t.Error("the summary does not say that details were left out")
	}
}
