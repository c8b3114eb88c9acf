package batches_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// TestWaitJudgesWhatItChose: the batch runs chosen at the first look are
// the ones judged. A later poll that no longer lists one of them, or lists
// a batch run among them that was not there, is an error; new batch runs
// listed before them are not.
func TestWaitJudgesWhatItChose(t *testing.T) {
	t.Parallel()
	ago := func(m int) time.Time { return fixedNow.Add(-time.Duration(m) * time.Minute) }
	run := func(id string, created time.Time, total, configured int64) sigmamind.BatchRun {
		return sigmamind.BatchRun{BatchID: id, Agent: &sigmamind.Agent{AgentID: agent}, CreatedDate: created,
			SuccessfulAttempts: total, TotalAttempts: total, TestCases: []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: configured}}}
	}
	a, b, d := run("batch_a", ago(1), 5, 5), run("batch_b", ago(10), 2, 10), run("batch_d", ago(20), 5, 5)
	bDone := run("batch_b", ago(10), 10, 10)
	c := run("batch_c", ago(5), 5, 5)       // between a and b
	e := run("batch_e", ago(15), 5, 5)      // between b and d
	newer := run("batch_new", ago(0), 0, 5) // started meanwhile
	tests := []struct {
		name      string
		count     int
		baseline  int
		first     []sigmamind.BatchRun
		later     []sigmamind.BatchRun
		wantGated []string
		wantErr   string // the whole error; "" for none
	}{
		{name: "a gated one no longer listed", count: 2, first: []sigmamind.BatchRun{a, b, d}, later: []sigmamind.BatchRun{a, d},
			wantErr: `batch run "batch_b" has impossible data: it was listed running (2 of 10 attempts executed) when the gate chose the batch runs to judge, then no longer listed while it waited for them: the gate judges the batch runs it chose, and one that is gone cannot be judged`},
		{name: "the newest chosen no longer listed", count: 2, first: []sigmamind.BatchRun{b, d}, later: []sigmamind.BatchRun{d},
			wantErr: `batch run "batch_b" has impossible data: it was listed running (2 of 10 attempts executed) when the gate chose the batch runs to judge, then no longer listed`},
		{name: "a finished gated one no longer listed", count: 2, first: []sigmamind.BatchRun{a, b, d}, later: []sigmamind.BatchRun{b, d},
			wantErr: `batch run "batch_a" has impossible data: it was listed finished (5 of 5 attempts executed) when the gate chose the batch runs to judge, then no longer listed`},
		{name: "a new one among the gated", count: 2, first: []sigmamind.BatchRun{a, b, d}, later: []sigmamind.BatchRun{a, c, b, d},
			wantErr: `batch run "batch_c" has impossible data: it was not listed when the gate chose the batch runs to judge, then listed among the gated ones while it waited for them: a batch run created meanwhile is listed before them, so the listings contradict each other`},
		{name: "a new one between the gated and the baseline", count: 2, baseline: 1, first: []sigmamind.BatchRun{a, b, d}, later: []sigmamind.BatchRun{a, b, e, d},
			wantErr: `batch run "batch_e" has impossible data: it was not listed when the gate chose the batch runs to judge, then listed among the baseline ones`},
		{name: "the baseline no longer listed", count: 2, baseline: 1, first: []sigmamind.BatchRun{a, b, d}, later: []sigmamind.BatchRun{a, bDone},
			wantErr: `batch run "batch_d" has impossible data: it was listed finished (5 of 5 attempts executed) when the gate chose the batch runs to judge, then no longer listed`},
		{name: "a new one after the gated, fewer than asked for at first", count: 3, first: []sigmamind.BatchRun{a, b}, later: []sigmamind.BatchRun{a, b, d},
			wantErr: `batch run "batch_d" has impossible data: it was not listed when the gate chose the batch runs to judge, then listed among the gated ones`},

		{name: "a new one before them", count: 2, first: []sigmamind.BatchRun{a, b, d}, later: []sigmamind.BatchRun{newer, a, bDone, d},
			wantGated: []string{"batch_a", "batch_b"}},
		{name: "a new one after the judged", count: 2, first: []sigmamind.BatchRun{a, b, d}, later: []sigmamind.BatchRun{a, bDone, d, run("batch_f", ago(30), 5, 5)},
			wantGated: []string{"batch_a", "batch_b"}},
		{name: "a trend row no longer listed", count: 2, first: []sigmamind.BatchRun{a, b, d}, later: []sigmamind.BatchRun{a, bDone},
			wantGated: []string{"batch_a", "batch_b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := sigmamindtest.NewHandler()
			t.Cleanup(fake.Close)
			fake.ListAsGiven(agent, tt.first...)
			c := fakeLister(t, fake)
			req := batches.Request{AgentID: agent, Count: tt.count, Baseline: tt.baseline, Trend: 10}
			sel, err := batches.Select(t.Context(), c, req)
			if err != nil {
				t.Fatal(err)
			}
			w := batches.Waiter{
				Sleep:     func(context.Context, time.Duration) error { fake.ListAsGiven(agent, tt.later...); return nil },
				Now:       func() time.Time { return fixedNow },
				FirstPoll: time.Second, MaxPoll: time.Second, StallPolls: 3,
			}
			out, err := w.Wait(t.Context(), c, req, sel, time.Hour)
			if tt.wantErr != "" {
				var de *sigmamind.DataError
				if !errors.As(err, &de) || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want a *DataError %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantGated, ids(out.Gated)); diff != "" {
				t.Errorf("gated mismatch (-want +got):\n%s", diff)
			}
			if batches.Running(out.Gated) {
				t.Errorf("the gated batch runs are still running: %+v", out.Gated)
			}
		})
	}
}
