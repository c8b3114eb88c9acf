package action

import (
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/report"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// rows are the batch runs of a selection as the report lists them, newest
// first: the gated ones, the baseline, then those listed for the trend only.
// Their counts are what the gate judges of each (batches.ForGate).
func rows(sel batches.Selection) []report.Row {
	var out []report.Row
	for _, part := range []struct {
		role report.Role
		runs []sigmamind.BatchRun
	}{{report.Gated, sel.Gated}, {report.Baseline, sel.Baseline}, {report.Earlier, sel.Earlier}} {
		for i, b := range batches.ForGate(part.runs) {
			out = append(out, report.Row{Role: part.role, Batch: b, TestCases: int(part.runs[i].TestCaseCount())})
		}
	}
	return out
}

// testCases are the distinct test cases of the gated batch runs, in the
// order they are first listed, and at least how many more they list than
// were kept for display. Test cases without an id are all kept: there is
// nothing to tell them apart by.
func testCases(gated []sigmamind.BatchRun) (out []report.TestCase, notKept int) {
	seen := map[string]bool{}
	listed := int64(0) // the most that one gated run lists: a lower bound of the distinct ones
	for _, run := range gated {
		listed = max(listed, run.TestCaseCount())
		for _, tc := range run.TestCases {
			if tc.TestCaseID != "" && seen[tc.TestCaseID] {
				continue
			}
			seen[tc.TestCaseID] = true
			c := report.TestCase{ID: tc.TestCaseID, Label: tc.Label, Model: tc.LLMModel, Attempts: tc.Attempt,
				Prompt: tc.UserPrompt, Criteria: tc.SuccessCriteria}
			for _, m := range tc.MockData {
				c.MockData = append(c.MockData, report.MockData{Name: m.VariableName, Value: m.Value})
			}
			out = append(out, c)
		}
	}
	return out, int(max(listed-int64(len(out)), 0))
}
