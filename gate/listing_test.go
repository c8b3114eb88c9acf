package gate

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFinishedPerBatch(t *testing.T) {
	t.Parallel()
	done := Batch{ID: "b_done", Successful: 30, Total: 30, Expected: 30}
	surplus := Batch{ID: "b_surplus", Successful: 40, Total: 40, Expected: 30}
	unknown := Batch{ID: "b_unknown", Successful: 30, Total: 30}
	running := Batch{ID: "b_running", Successful: 10, Total: 10, Expected: 30}
	tests := []struct {
		name       string
		gated      []Batch
		want       Verdict
		wantActual string
		wantReason string
	}{
		{name: "finished", gated: []Batch{done, surplus}, want: Pass, wantActual: "60 of 60", wantReason: "all 60 configured attempts were executed"},
		{name: "unknown alone", gated: []Batch{unknown}, want: Skipped, wantActual: "configured attempts unknown",
			wantReason: "configured attempts unknown for b_unknown: its test cases do not say how many attempts each runs, so whether it finished is unknown"},
		// Pooled, 60 of 30 would read as finished.
		{name: "unknown beside a finished one", gated: []Batch{done, unknown}, want: Skipped, wantActual: "configured attempts unknown",
			wantReason: "configured attempts unknown for b_unknown: its test cases do not say how many attempts each runs, so whether it finished is unknown"},
		// Pooled, 50 of 60 would hide that one batch is running.
		{name: "a surplus does not hide a running one", gated: []Batch{surplus, running}, want: Inconclusive, wantActual: "50 of 60",
			wantReason: "still running: b_running has executed 10 of 30 attempts; wait for it to finish (input wait) and re-run"},
		{name: "running beside an unknown one", gated: []Batch{running, unknown}, want: Inconclusive, wantActual: "configured attempts unknown",
			wantReason: "still running: b_running has executed 10 of 30 attempts; wait for it to finish (input wait) and re-run; configured attempts unknown for b_unknown: its test cases do not say how many attempts each runs, so whether it finished is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(Input{Gated: tt.gated, Rules: Rules{MinAttempts: 1}, Now: now})
			ch := r.Checks[0]
			got := []any{ch.Rule, ch.Verdict, ch.ActualText, ch.Reason}
			if diff := cmp.Diff([]any{RuleFinished, tt.want, tt.wantActual, tt.wantReason}, got); diff != "" {
				t.Errorf("finished check mismatch (-want +got):\n%s", diff)
			}
			for _, c := range r.Checks {
				if tt.want != Pass && strings.Contains(c.Reason, "were executed") && c.Rule == RuleFinished {
					t.Errorf("the check calls the batches finished: %q", c.Reason)
				}
			}
		})
	}
}

func TestPoolUnknownExpected(t *testing.T) {
	t.Parallel()
	got := Pool([]Batch{{ID: "a", Total: 5, Expected: 5}, {ID: "b", Total: 5}})
	want := Counts{Batches: 2, Total: 10, Undecided: 10, Expected: 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Pool mismatch (-want +got):\n%s", diff)
	}
}

// TestMaxAgeNewestByDate: max-age measures the newest gated batch by its
// date, whatever the order it was given in.
func TestMaxAgeNewestByDate(t *testing.T) {
	t.Parallel()
	older := Batch{ID: "b_older", Created: now.Add(-3 * time.Hour), Successful: 5, Total: 5, Expected: 5}
	newer := Batch{ID: "b_newer", Created: now.Add(-time.Hour), Successful: 5, Total: 5, Expected: 5}
	undated := Batch{ID: "b_undated", Successful: 5, Total: 5, Expected: 5}
	tests := []struct {
		name       string
		gated      []Batch
		want       Verdict
		wantReason string
	}{
		{name: "newest first", gated: []Batch{newer, older}, want: Pass, wantReason: "the newest gated batch run b_newer was created 1h ago"},
		{name: "newest second", gated: []Batch{older, newer}, want: Pass, wantReason: "the newest gated batch run b_newer was created 1h ago"},
		{name: "all old", gated: []Batch{older, older}, want: Fail,
			wantReason: "the newest gated batch run b_older was created 3h ago, longer ago than max-age 2h: run a fresh simulation batch"},
		{name: "one undated", gated: []Batch{newer, undated}, want: Fail,
			wantReason: "batch run b_undated has no creation date, so its age cannot be checked against max-age 2h"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Evaluate(Input{Gated: tt.gated, Rules: Rules{MaxAge: 2 * time.Hour}, Now: now})
			var ch Check
			for _, c := range r.Checks {
				if c.Rule == "max-age" {
					ch = c
				}
			}
			if diff := cmp.Diff([]any{tt.want, tt.wantReason}, []any{ch.Verdict, ch.Reason}); diff != "" {
				t.Errorf("max-age mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
