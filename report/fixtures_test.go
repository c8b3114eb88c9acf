package report

import (
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// The tests render the fake API's sample batch runs (package sigmamindtest):
// realistic data, the same the demo shows. The report knows nothing of the
// API; these fixtures turn the runs into its rows, as the application does
// in internal/action, whose tests hold it to that.

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// trendRows is what the application passes as Result.TrendRows.
const trendRows = 10

func rate(s string) *gate.Rate { r := gate.MustRate(s); return &r }

func count(n int64) *int64 { return &n }

// inputs are the step's inputs as the report records them: every input but
// the key, with its default, then the given ones.
func inputs(agentID string, set ...string) map[string]string {
	m := map[string]string{}
	for _, in := range config.Inputs() {
		if in.Name != "api-key" {
			m[in.Name] = in.Default
		}
	}
	m["agent-id"] = agentID
	for i := 0; i+1 < len(set); i += 2 {
		m[set[i]] = set[i+1]
	}
	return m
}

// judged gates the batch runs and returns the report's result.
func judged(agentID string, gated, baseline []sigmamind.BatchRun, requested int, rules gate.Rules, in map[string]string) Result {
	r := Result{AgentID: agentID, Inputs: in, TrendRows: trendRows}
	r.Rows = append(rows(gated, Gated), rows(baseline, Baseline)...)
	r.TestCases = testCases(gated)
	if len(gated) > 0 && gated[0].Agent != nil {
		r.AgentName = gated[0].Agent.Name
	}
	r.Gate = gate.Evaluate(gate.Input{AgentID: agentID, Gated: batches.ForGate(gated), Baseline: batches.ForGate(baseline),
		Requested: requested, Rules: rules, Now: now})
	return r
}

// withEarlier adds the batch runs listed for the trend only.
func withEarlier(r Result, earlier []sigmamind.BatchRun) Result {
	r.Rows = append(r.Rows, rows(earlier, Earlier)...)
	return r
}

func rows(runs []sigmamind.BatchRun, role Role) []Row {
	var out []Row
	for i, b := range batches.ForGate(runs) {
		out = append(out, Row{Role: role, Batch: b, TestCases: len(runs[i].TestCases)})
	}
	return out
}

// testCases are the distinct test cases of runs.
func testCases(runs []sigmamind.BatchRun) []TestCase {
	var out []TestCase
	seen := map[string]bool{}
	for _, run := range runs {
		for _, tc := range run.TestCases {
			if tc.TestCaseID != "" && seen[tc.TestCaseID] {
				continue
			}
			seen[tc.TestCaseID] = true
			c := TestCase{ID: tc.TestCaseID, Label: tc.Label, Model: tc.LLMModel, Attempts: tc.Attempt, Prompt: tc.UserPrompt, Criteria: tc.SuccessCriteria}
			for _, m := range tc.MockData {
				c.MockData = append(c.MockData, MockData{Name: m.VariableName, Value: m.Value})
			}
			out = append(out, c)
		}
	}
	return out
}
