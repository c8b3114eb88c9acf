package batches_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// withCases is finished(i) with test cases of those ids, each configured
// for attempt attempts, with texts of size bytes: its prompt, and as many
// mock variables as the decoder keeps when size is the most it keeps of a
// text. Every text is distinct, so that nothing is shared.
func withCases(i int, attempt int64, size int, ids ...string) sigmamind.BatchRun {
	return modified(finished(i), func(b *sigmamind.BatchRun) {
		b.TestCases = nil
		text := func(what string) string {
			s := fmt.Sprintf("%s %s ", b.BatchID, what)
			return s + strings.Repeat("p", max(0, size-len(s)))
		}
		for _, id := range ids {
			tc := sigmamind.TestCase{TestCaseID: id, Attempt: attempt, UserPrompt: text(id)}
			for k := range 64 * (size / sigmamind.MaxTextRunes) {
				tc.MockData = append(tc.MockData, sigmamind.MockData{VariableName: text(fmt.Sprint(id, "name", k)), Value: text(fmt.Sprint(id, "value", k))})
			}
			b.TestCases = append(b.TestCases, tc)
		}
	})
}

func caseIDs(runs []sigmamind.BatchRun) [][]string {
	var out [][]string
	for _, r := range runs {
		var ids []string
		for _, tc := range r.TestCases {
			ids = append(ids, tc.TestCaseID)
		}
		out = append(out, ids)
	}
	return out
}

// TestSelectKeepsTestCases: only the gated batch runs keep test cases, each
// id once, as the summary shows them; every batch run keeps its counts, so
// that what the gate judges (configured attempts, "unknown" included) is
// what was listed.
func TestSelectKeepsTestCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rows      []sigmamind.BatchRun
		req       batches.Request
		wantGated [][]string // the test case ids each gated batch run keeps
	}{
		{name: "the gated keep each id once, the others none",
			rows: []sigmamind.BatchRun{withCases(0, 5, 10, "tc_1", "tc_2"), withCases(1, 5, 10, "tc_2", "tc_3", "tc_3"), withCases(2, 5, 10, "tc_1"),
				withCases(3, 5, 10, "tc_4"), withCases(4, 5, 10, "tc_5")},
			req:       batches.Request{Count: 3, Baseline: 1, Trend: 10},
			wantGated: [][]string{{"tc_1", "tc_2"}, {"tc_3"}, nil}},
		{name: "test cases without an id are each shown",
			rows:      []sigmamind.BatchRun{withCases(0, 5, 10, "", ""), withCases(1, 5, 10, "")},
			req:       batches.Request{Count: 2},
			wantGated: [][]string{{"", ""}, {""}}},
		{name: "configured attempts unknown stay unknown",
			rows:      []sigmamind.BatchRun{withCases(0, 0, 10, "tc_1"), withCases(1, 5, 10, "tc_1"), withCases(2, 0, 10, "tc_2")},
			req:       batches.Request{Count: 2, Baseline: 1},
			wantGated: [][]string{{"tc_1"}, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := sigmamindtest.NewHandler()
			t.Cleanup(fake.Close)
			fake.ListAsGiven(agent, tt.rows...)
			req := tt.req
			req.AgentID = agent
			sel, err := batches.Select(t.Context(), fakeLister(t, fake), req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantGated, caseIDs(sel.Gated)); diff != "" {
				t.Errorf("gated test cases mismatch (-want +got):\n%s", diff)
			}
			var kept int64
			listed := map[string]sigmamind.BatchRun{}
			for _, r := range tt.rows {
				listed[r.BatchID] = r
			}
			for part, runs := range [][]sigmamind.BatchRun{sel.Gated, sel.Baseline, sel.Earlier} {
				for _, r := range runs {
					if part > 0 && len(r.TestCases) > 0 {
						t.Errorf("%s, neither gated, keeps %d test cases", r.BatchID, len(r.TestCases))
					}
					was := listed[r.BatchID]
					if r.ExpectedAttempts() != was.ExpectedAttempts() || r.TestCaseCount() != was.TestCaseCount() {
						t.Errorf("%s: %d configured attempts in %d test cases, listed %d in %d", r.BatchID,
							r.ExpectedAttempts(), r.TestCaseCount(), was.ExpectedAttempts(), was.TestCaseCount())
					}
					for i := range r.TestCases {
						kept += r.TestCases[i].Bytes()
					}
				}
			}
			if kept > batches.MaxKeptBytes {
				t.Errorf("the selection keeps %d bytes of test cases, more than %d", kept, batches.MaxKeptBytes)
			}
		})
	}
}

// TestSelectLaterCopyKeepsItsTestCases: a later copy of a gated batch run
// takes its place with its test cases, which are no duplicates of its own
// earlier copy's.
func TestSelectLaterCopyKeepsItsTestCases(t *testing.T) {
	t.Parallel()
	early := modified(withCases(0, 5, 10, "tc_1", "tc_2"), func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts = 2, 0, 2 })
	later := modified(withCases(0, 5, 10, "tc_1", "tc_2"), func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts = 6, 4, 10 })
	fake := sigmamindtest.NewHandler()
	t.Cleanup(fake.Close)
	fake.ListAsGiven(agent, early, withCases(1, 5, 10, "tc_2", "tc_3"), later, finished(2))
	sel, err := batches.Select(t.Context(), fakeLister(t, fake), batches.Request{AgentID: agent, Count: 2, Trend: 10})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{"tc_1", "tc_2"}, {"tc_3"}}, caseIDs(sel.Gated)); diff != "" {
		t.Errorf("gated test cases mismatch (-want +got):\n%s", diff)
	}
	if got := sel.Gated[0].TotalAttempts; got != 10 {
		t.Errorf("batch_000 has %d attempts, want the later copy's 10", got)
	}
}

// TestSelectKeepBudget: the gated batch runs keep test cases within one
// budget for the whole selection, whatever each page kept: four batch runs
// of 8 MiB of test cases each, one per page, keep 16 MiB in all.
func TestSelectKeepBudget(t *testing.T) {
	t.Parallel()
	var rows []sigmamind.BatchRun
	for i := range 4 {
		var ids []string
		for k := range 16 {
			ids = append(ids, fmt.Sprintf("tc_%d_%d", i, k))
		}
		rows = append(rows, withCases(i, 5, sigmamind.MaxTextRunes, ids...))
	}
	fake := sigmamindtest.NewHandler(sigmamindtest.WithMaxPageSize(1))
	t.Cleanup(fake.Close)
	fake.ListAsGiven(agent, rows...)
	sel, err := batches.Select(t.Context(), fakeLister(t, fake), batches.Request{AgentID: agent, Count: 4})
	if err != nil {
		t.Fatal(err)
	}
	var kept int64
	for i, r := range sel.Gated {
		for k := range r.TestCases {
			kept += r.TestCases[k].Bytes()
		}
		if r.ExpectedAttempts() != rows[i].ExpectedAttempts() || r.TestCaseCount() != 16 {
			t.Errorf("%s: %d configured attempts in %d test cases, listed %d in 16", r.BatchID, r.ExpectedAttempts(), r.TestCaseCount(), rows[i].ExpectedAttempts())
		}
	}
	if kept > batches.MaxKeptBytes || kept < batches.MaxKeptBytes*3/4 {
		t.Errorf("the selection keeps %d bytes of test cases, want nearly %d and no more", kept, batches.MaxKeptBytes)
	}
	if n := len(sel.Gated[0].TestCases); n != 16 {
		t.Errorf("the newest batch run keeps %d test cases, want all 16", n)
	}
	if n := len(sel.Gated[3].TestCases); n != 0 {
		t.Errorf("the oldest batch run keeps %d test cases, want none: the budget is spent", n)
	}
}

// TestSelectAgentsShareTheBudget: several agents in one step each keep
// their share of MaxKeptBytes, so that fifty hostile agents cannot make the
// step keep fifty times as much.
func TestSelectAgentsShareTheBudget(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		agents int
		want   int64
	}{{1, batches.MaxKeptBytes}, {2, batches.MaxKeptBytes / 2}, {4, batches.MaxKeptBytes / 4}, {50, batches.MinKeptBytes}, {0, batches.MaxKeptBytes}} {
		if got := batches.KeepBytes(tt.agents); got != tt.want {
			t.Errorf("KeepBytes(%d) = %d, want %d", tt.agents, got, tt.want)
		}
	}
	var ids []string
	for k := range 16 {
		ids = append(ids, fmt.Sprintf("tc_%d", k))
	}
	fake := sigmamindtest.NewHandler()
	t.Cleanup(fake.Close)
	fake.ListAsGiven(agent, withCases(0, 5, sigmamind.MaxTextRunes, ids...))
	budget := batches.KeepBytes(8)
	sel, err := batches.Select(t.Context(), fakeLister(t, fake), batches.Request{AgentID: agent, Count: 1, KeepBytes: budget})
	if err != nil {
		t.Fatal(err)
	}
	var kept int64
	for k := range sel.Gated[0].TestCases {
		kept += sel.Gated[0].TestCases[k].Bytes()
	}
	if kept > budget || kept == 0 || sel.Gated[0].TestCaseCount() != 16 {
		t.Errorf("kept %d bytes of %d test cases, want some and at most %d, all 16 counted", kept, sel.Gated[0].TestCaseCount(), budget)
	}
}
