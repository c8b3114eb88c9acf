package batches_test

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// at is finished(i) created at t.
func at(i int, t time.Time) sigmamind.BatchRun { return createdAt(i, t) }

// TestSelectTies: where the selection ends, or where the gated batch runs
// end and the baseline begins, two batch runs created at the same instant
// leave which are judged unknown, whatever order they are listed in. Ties
// within the gated batch runs, within the baseline, or further down the
// trend change nothing.
func TestSelectTies(t *testing.T) {
	t.Parallel()
	t0, t1, t2 := fixedNow.Add(-time.Hour), fixedNow.Add(-2*time.Hour), fixedNow.Add(-3*time.Hour)
	tests := []struct {
		name        string
		rows        []sigmamind.BatchRun
		req         batches.Request
		maxPage     int
		wantTie     *batches.TieError
		wantErr     string // part of an error that is no *TieError
		wantGated   []string
		wantEarlier []string
		wantNotes   []string
	}{
		{name: "the newest two", rows: []sigmamind.BatchRun{at(0, t0), at(1, t0), at(2, t1)}, req: batches.Request{Count: 1, Trend: 10},
			wantTie: &batches.TieError{Newer: "batch_000", Older: "batch_001", Created: t0, Which: "which of them is gated",
				Fix: "gate both with batches: 2, or name the one to gate with batch-id"}},
		{name: "the newest two, the other way round", rows: []sigmamind.BatchRun{at(1, t0), at(0, t0), at(2, t1)}, req: batches.Request{Count: 1, Trend: 10},
			wantTie: &batches.TieError{Newer: "batch_001", Older: "batch_000", Created: t0, Which: "which of them is gated",
				Fix: "gate both with batches: 2, or name the one to gate with batch-id"}},
		{name: "where three gated end", rows: []sigmamind.BatchRun{at(0, t0), at(1, t1), at(2, t2), at(3, t2)}, req: batches.Request{Count: 3},
			wantTie: &batches.TieError{Newer: "batch_002", Older: "batch_003", Created: t2, Which: "which of them is gated", Fix: "gate both with batches: 4"}},
		{name: "where the gated end and the baseline begins", rows: []sigmamind.BatchRun{at(0, t0), at(1, t0), at(2, t1)}, req: batches.Request{Count: 1, Baseline: 1, Trend: 10},
			wantTie: &batches.TieError{Newer: "batch_000", Older: "batch_001", Created: t0, Which: "which of them is gated and which is the baseline", Fix: "gate both with batches: 2"}},
		{name: "where the baseline ends", rows: []sigmamind.BatchRun{at(0, t0), at(1, t1), at(2, t1)}, req: batches.Request{Count: 1, Baseline: 1, Trend: 10},
			wantTie: &batches.TieError{Newer: "batch_001", Older: "batch_002", Created: t1, Which: "which of them is in the baseline", Fix: "compare with both with baseline-batches: 2"}},
		// The row after the judged ones is read even past the trend, and
		// even on a page of its own.
		{name: "past the trend", rows: append(finishedRuns(11), at(11, finished(10).CreatedDate)), req: batches.Request{Count: 11, Trend: 10},
			wantTie: &batches.TieError{Newer: "batch_010", Older: "batch_011", Created: finished(10).CreatedDate, Which: "which of them is gated", Fix: "gate both with batches: 12"}},
		{name: "on a page of its own", rows: []sigmamind.BatchRun{at(0, t0), at(1, t0)}, req: batches.Request{Count: 1}, maxPage: 1,
			wantTie: &batches.TieError{Newer: "batch_000", Older: "batch_001", Created: t0, Which: "which of them is gated",
				Fix: "gate both with batches: 2, or name the one to gate with batch-id"}},
		{name: "a batch-id, with one after it", rows: []sigmamind.BatchRun{at(0, t0), at(1, t1), at(2, t2), at(3, t2)}, req: batches.Request{Count: 2, BatchID: "batch_001"},
			wantTie: &batches.TieError{Newer: "batch_002", Older: "batch_003", Created: t2, Which: "which of them is gated", Fix: "gate both with batches: 3"}},
		{name: "a batch-id, tied with its baseline", rows: []sigmamind.BatchRun{at(0, t0), at(1, t0)}, req: batches.Request{Count: 1, Baseline: 1, BatchID: "batch_000"},
			wantTie: &batches.TieError{Newer: "batch_000", Older: "batch_001", Created: t0, Which: "which of them is gated and which is the baseline", Fix: "gate both with batches: 2"}},
		{name: "an unusable row tied with the gated one", rows: []sigmamind.BatchRun{at(0, t0), modified(at(1, t0), func(b *sigmamind.BatchRun) { b.FailedAttempts = 99 })},
			req: batches.Request{Count: 1, Trend: 10}, wantErr: `batch run "batch_001" has impossible data`},

		{name: "within the gated", rows: []sigmamind.BatchRun{at(0, t0), at(1, t0), at(2, t1)}, req: batches.Request{Count: 2, Trend: 10},
			wantGated: names(0, 2), wantEarlier: names(2, 3)},
		{name: "within the baseline", rows: []sigmamind.BatchRun{at(0, t0), at(1, t1), at(2, t1), at(3, t2)}, req: batches.Request{Count: 1, Baseline: 2},
			wantGated: names(0, 1)},
		{name: "down the trend", rows: []sigmamind.BatchRun{at(0, t0), at(1, t1), at(2, t1)}, req: batches.Request{Count: 1, Trend: 10},
			wantGated: names(0, 1), wantEarlier: names(1, 3)},
		{name: "a millisecond apart", rows: []sigmamind.BatchRun{at(0, t0), at(1, t0.Add(-time.Millisecond))}, req: batches.Request{Count: 1, Trend: 10},
			wantGated: names(0, 1), wantEarlier: names(1, 2)},
		{name: "the last one", rows: []sigmamind.BatchRun{at(0, t0)}, req: batches.Request{Count: 1, Trend: 10}, wantGated: names(0, 1)},
		// A batch-id that names the one batch run to judge: whatever
		// follows it, it alone is judged.
		{name: "a batch-id alone, one after it", rows: []sigmamind.BatchRun{at(0, t0), at(1, t0)}, req: batches.Request{Count: 1, BatchID: "batch_000", Trend: 10},
			wantGated: names(0, 1), wantEarlier: names(1, 2)},
		{name: "a batch-id alone, one before it", rows: []sigmamind.BatchRun{at(1, t0), at(0, t0), at(2, t1)}, req: batches.Request{Count: 1, BatchID: "batch_000", Trend: 10},
			wantGated: names(0, 1), wantEarlier: names(2, 3)},
		{name: "a batch-id alone, an unusable row after it", rows: []sigmamind.BatchRun{at(0, t0), modified(at(1, t0), func(b *sigmamind.BatchRun) { b.FailedAttempts = 99 })},
			req: batches.Request{Count: 1, BatchID: "batch_000", Trend: 10}, wantGated: names(0, 1),
			wantNotes: []string{`batch run "batch_001" is left out of the trend: successful 4 + failed 99 attempts exceed the total 5`}},
		// Past the trend the row is only read: not shown, no note.
		{name: "a row read past the trend is not shown", rows: finishedRuns(3), req: batches.Request{Count: 2}, wantGated: names(0, 2)},
		{name: "an unusable row past the trend", rows: append(finishedRuns(2), modified(finished(2), func(b *sigmamind.BatchRun) { b.FailedAttempts = 99 })),
			req: batches.Request{Count: 2}, wantGated: names(0, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := sigmamindtest.NewHandler(sigmamindtest.WithMaxPageSize(tt.maxPage))
			t.Cleanup(fake.Close)
			fake.ListAsGiven(agent, tt.rows...)
			req := tt.req
			req.AgentID = agent
			sel, err := batches.Select(t.Context(), fakeLister(t, fake), req)
			var tie *batches.TieError
			switch {
			case tt.wantTie != nil:
				if !errors.As(err, &tie) {
					t.Fatalf("got %v, want a *TieError", err)
				}
				if diff := cmp.Diff(tt.wantTie, tie); diff != "" {
					t.Errorf("error mismatch (-want +got):\n%s", diff)
				}
			case tt.wantErr != "":
				if err == nil || errors.As(err, &tie) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.wantGated, ids(sel.Gated)); diff != "" {
					t.Errorf("gated mismatch (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantEarlier, ids(sel.Earlier)); diff != "" {
					t.Errorf("earlier mismatch (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantNotes, sel.Notes); diff != "" {
					t.Errorf("notes mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestTieError(t *testing.T) {
	t.Parallel()
	err := &batches.TieError{Newer: "batch_a", Older: "batch_b", Created: time.Date(2026, 5, 5, 10, 6, 43, 0, time.FixedZone("", 3600)),
		Which: "which of them is gated", Fix: "gate both with batches: 2, or name the one to gate with batch-id"}
	want := `batch runs "batch_a" and "batch_b" were created at the same instant (2026-05-05T09:06:43Z), so which is newer is unknown, ` +
		`and with it which of them is gated: gate both with batches: 2, or name the one to gate with batch-id`
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("Error() mismatch (-want +got):\n%s", diff)
	}
}

// TestTiesDecideNothing: in random listings, two batch runs created at the
// same instant give the same answer in either order: the same verdict, or
// an error both ways.
func TestTiesDecideNothing(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(19, 23))
	for trial := range 300 {
		w := randomWorld(rng)
		if len(w.rows) < 2 {
			continue
		}
		// Tie a row with the one after it, anywhere, and list the two
		// either way round.
		i := rng.IntN(len(w.rows) - 1)
		rows := slices.Clone(w.rows)
		rows[i+1] = modified(rows[i+1], func(b *sigmamind.BatchRun) { b.CreatedDate = rows[i].CreatedDate })
		swapped := slices.Clone(rows)
		swapped[i], swapped[i+1] = swapped[i+1], swapped[i]
		a := verdict(t, rows, w.req, w.rules, serving{})
		b := verdict(t, swapped, w.req, w.rules, serving{maxPage: 1 + rng.IntN(4)})
		if a != b {
			t.Errorf("trial %d: rows %d and %d tied: verdict %s, swapped %s\n%v", trial, i, i+1, a, b, world{rows: rows, req: w.req, rules: w.rules})
		}
	}
}
