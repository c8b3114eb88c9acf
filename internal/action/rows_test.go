package action

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/report"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// TestRows: the report gets every batch run of the selection in order, by
// role, with the counts the gate judges, and the distinct test cases of the
// gated ones only.
func TestRows(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	refund := sigmamind.TestCase{TestCaseID: "tc_refund", Label: "Refund", LLMModel: "gpt-4o-mini", Attempt: 5,
		MockData:   []sigmamind.MockData{{VariableName: "customer", Value: "Dana"}},
		UserPrompt: "You want a refund.", SuccessCriteria: "The agent refunds once."}
	cancel := sigmamind.TestCase{TestCaseID: "tc_cancel", Label: "Cancel", Attempt: 3}
	unnamed := sigmamind.TestCase{Label: "no id", Attempt: 2}
	sel := batches.Selection{
		Gated: []sigmamind.BatchRun{
			{BatchID: "b3", CreatedDate: at, TestCases: []sigmamind.TestCase{refund, unnamed}, SuccessfulAttempts: 6, FailedAttempts: 1, TotalAttempts: 7},
			{BatchID: "b2", CreatedDate: at.Add(-time.Hour), TestCases: []sigmamind.TestCase{refund, cancel, unnamed}, SuccessfulAttempts: 8, TotalAttempts: 9},
		},
		Baseline: []sigmamind.BatchRun{{BatchID: "b1", CreatedDate: at.Add(-2 * time.Hour), TestCases: []sigmamind.TestCase{{TestCaseID: "tc_old", Attempt: 4}},
			SuccessfulAttempts: 2, TotalAttempts: 2}},
		Earlier: []sigmamind.BatchRun{{BatchID: "b0", CreatedDate: at.Add(-3 * time.Hour), SuccessfulAttempts: 1, TotalAttempts: 1}},
	}
	wantRows := []report.Row{
		{Role: report.Gated, Batch: gate.Batch{ID: "b3", Created: at, Successful: 6, Failed: 1, Total: 7, Expected: 7}, TestCases: 2},
		{Role: report.Gated, Batch: gate.Batch{ID: "b2", Created: at.Add(-time.Hour), Successful: 8, Total: 9, Expected: 10}, TestCases: 3},
		{Role: report.Baseline, Batch: gate.Batch{ID: "b1", Created: at.Add(-2 * time.Hour), Successful: 2, Total: 2, Expected: 4}, TestCases: 1},
		{Role: report.Earlier, Batch: gate.Batch{ID: "b0", Created: at.Add(-3 * time.Hour), Successful: 1, Total: 1}},
	}
	if diff := cmp.Diff(wantRows, rows(sel)); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	wantCases := []report.TestCase{
		{ID: "tc_refund", Label: "Refund", Model: "gpt-4o-mini", Attempts: 5, MockData: []report.MockData{{Name: "customer", Value: "Dana"}},
			Prompt: "You want a refund.", Criteria: "The agent refunds once."},
		{Label: "no id", Attempts: 2},
		{ID: "tc_cancel", Label: "Cancel", Attempts: 3},
		{Label: "no id", Attempts: 2},
	}
	cases, notKept := testCases(sel.Gated)
	if diff := cmp.Diff(wantCases, cases); diff != "" {
		t.Errorf("test cases mismatch (-want +got):\n%s", diff)
	}
	if notKept != 0 {
		t.Errorf("test cases not kept = %d, want 0", notKept)
	}
}

// TestTestCasesNotKept: a gated run that lists more test cases than were
// kept for display is never shown as the whole suite.
func TestTestCasesNotKept(t *testing.T) {
	t.Parallel()
	run := sigmamind.BatchRun{BatchID: "b", TestCases: []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: 5}, {TestCaseID: "tc_2", Attempt: 5}},
		LeftOutTestCases: 1500, LeftOutAttempts: 7500}
	again := run // a second gated run of the same suite adds nothing new
	cases, notKept := testCases([]sigmamind.BatchRun{run, again})
	if len(cases) != 2 || notKept != 1500 {
		t.Errorf("kept %d, not kept %d; want 2 and 1500", len(cases), notKept)
	}
	r := report.Result{AgentID: "agent_x", TestCases: cases, TestCasesNotKept: notKept,
		Gate: gate.Result{Verdict: gate.Pass, Counts: gate.Counts{Batches: 1, Successful: 5, Total: 5}}}
	if md := report.Markdown([]report.Result{r}); !strings.Contains(md, "2 test cases of the gated batch runs (at least 1500 more not shown") {
		t.Errorf("the summary does not say test cases were left out:\n%s", md)
	}
}
