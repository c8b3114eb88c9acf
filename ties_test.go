package main

import (
	"fmt"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/sigmamind"
)

// TestEqualCreatedDates: the API writes whole seconds, so two batch runs can
// share a createdDate, and the listing's order between them means nothing.
// Where that decides which batch runs are judged, the answer is an error that
// says what to do, in either order; where it does not, the verdict is the
// same in either order.
func TestEqualCreatedDates(t *testing.T) {
	t.Parallel()
	at := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	clean, failing := steptest.Run5("batch_a", at, 5, 0), steptest.Run5("batch_b", at, 0, 5)
	older := steptest.Run5("batch_c", at.Add(-time.Hour), 5, 0)
	const tie = `batch runs %q and %q were created at the same instant (` + "%s" + `), so which is newer is unknown, and with it `
	tests := []struct {
		name       string
		with       []string
		wantExit   int
		wantResult string
		wantError  string // after the two ids, which the order decides
	}{
		{name: "one gated", wantExit: 3, wantResult: "error",
			wantError: "which of them is gated: gate both with batches: 2, or name the one to gate with batch-id"},
		{name: "one gated, on-error warn", with: []string{"on-error", "warn"}, wantExit: 3, wantResult: "error",
			wantError: "which of them is gated: gate both with batches: 2, or name the one to gate with batch-id"},
		{name: "one gated, one baseline", with: []string{"baseline-batches", "1"}, wantExit: 3, wantResult: "error",
			wantError: "which of them is gated and which is the baseline: gate both with batches: 2"},
		{name: "both gated", with: []string{"batches", "2"}, wantExit: 1, wantResult: "fail"},
		{name: "one named", with: []string{"batch-id", "batch_a"}, wantExit: 0, wantResult: "pass"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, order := range [][]sigmamind.BatchRun{{clean, failing, older}, {failing, clean, older}} {
				srv := steptest.NewFake(t)
				srv.ListAsGiven("agent_x", order...)
				s := runStep(t, with(srv, tt.with...), nil)
				s.CheckHygiene(t)
				if s.Exit != tt.wantExit || s.Outputs["result"] != tt.wantResult {
					t.Errorf("listed %s first: exit %d, result %q; want %d, %s\n%s", order[0].BatchID, s.Exit, s.Outputs["result"], tt.wantExit, tt.wantResult, s.Stdout)
				}
				if tt.wantError != "" {
					want := fmt.Sprintf(tie, order[0].BatchID, order[1].BatchID, at.Format(time.RFC3339)) + tt.wantError
					steptest.CheckAnnotation(t, s.Annotations("error"), want)
				}
			}
		})
	}
}
