package batches_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// handlerTransport serves requests with a handler in this process: the
// client's whole path, with no socket.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}

// fakeLister is a client of a fake that runs in memory, as newClient's but
// without retries.
func fakeLister(t testing.TB, fake *sigmamindtest.Server) *sigmamind.Client {
	t.Helper()
	c, err := sigmamind.NewClient(&http.Client{Transport: handlerTransport{fake.Handler()}}, "http://sigmamind.test", sigmamindtest.DefaultAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	c.MaxRetries = 0
	c.Now = func() time.Time { return fixedNow }
	return c
}

func modified(b sigmamind.BatchRun, f func(*sigmamind.BatchRun)) sigmamind.BatchRun {
	b.TestCases = slices.Clone(b.TestCases)
	if b.Agent != nil {
		a := *b.Agent
		b.Agent = &a
	}
	f(&b)
	return b
}

// replaced is finished(i) with other rows in its place.
func replaced(n int, with map[int]sigmamind.BatchRun) []sigmamind.BatchRun {
	rows := finishedRuns(n)
	for i, r := range with {
		rows[i] = r
	}
	return rows
}

func impossible(i int) sigmamind.BatchRun {
	return modified(finished(i), func(b *sigmamind.BatchRun) { b.FailedAttempts = 99 })
}

func createdAt(i int, t time.Time) sigmamind.BatchRun {
	return modified(finished(i), func(b *sigmamind.BatchRun) { b.CreatedDate = t })
}

const unreadable = "older batch runs for the trend could not be read: "

func TestSelectTrendErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		rows        []sigmamind.BatchRun
		req         batches.Request
		maxPage     int // the fake's page size limit; 0 for none
		endless     bool
		faults      []sigmamindtest.Fault
		wantGated   []string
		wantBase    []string
		wantEarlier []string
		wantNotes   []string
		wantErr     string // part of the error; "" for none
	}{
		{name: "a corrupt trend row", rows: replaced(12, map[int]sigmamind.BatchRun{4: impossible(4)}), req: batches.Request{Count: 1, Baseline: 1, Trend: 10},
			wantGated: names(0, 1), wantBase: names(1, 2), wantEarlier: append(names(2, 4), names(5, 10)...),
			wantNotes: []string{`batch run "batch_004" is left out of the trend: successful 4 + failed 99 attempts exceed the total 5`}},
		{name: "a corrupt baseline row", rows: replaced(12, map[int]sigmamind.BatchRun{1: impossible(1)}), req: batches.Request{Count: 1, Baseline: 1, Trend: 10},
			wantErr: `batch run "batch_001" has impossible data`},
		{name: "a corrupt gated row", rows: replaced(12, map[int]sigmamind.BatchRun{0: impossible(0)}), req: batches.Request{Count: 1, Trend: 10},
			wantErr: `batch run "batch_000" has impossible data`},
		{name: "a 500 on the trend's second page", rows: finishedRuns(12), req: batches.Request{Count: 1, Baseline: 1, Trend: 10}, maxPage: 3,
			faults:    []sigmamindtest.Fault{{}, {Status: 500}},
			wantGated: names(0, 1), wantBase: names(1, 2), wantEarlier: names(2, 3),
			wantNotes: []string{unreadable + "GET /v1/batch-runs: 500 Internal Server Error: Unexpected server error"}},
		{name: "a 500 on the baseline's page", rows: finishedRuns(12), req: batches.Request{Count: 1, Baseline: 3, Trend: 10}, maxPage: 3,
			faults: []sigmamindtest.Fault{{}, {Status: 500}}, wantErr: "500 Internal Server Error"},
		{name: "empty pages after hasNext", rows: finishedRuns(3), req: batches.Request{Count: 1, Trend: 10}, endless: true,
			wantGated: names(0, 1), wantEarlier: names(1, 3),
			wantNotes: []string{unreadable + "GET /v1/batch-runs: pages 1 to 3 brought no new batch run though hasNext is true: the listing is not advancing"}},
		{name: "empty pages after hasNext, baseline short", rows: finishedRuns(3), req: batches.Request{Count: 1, Baseline: 5, Trend: 10}, endless: true,
			wantErr: "the listing is not advancing"},
		{name: "a trend row another agent's", rows: replaced(6, map[int]sigmamind.BatchRun{3: modified(finished(3), func(b *sigmamind.BatchRun) { b.Agent.AgentID = "agent_U" })}),
			req: batches.Request{Count: 1, Trend: 10}, wantGated: names(0, 1), wantEarlier: []string{"batch_001", "batch_002", "batch_004", "batch_005"},
			wantNotes: []string{`batch run "batch_003" is left out of the trend: it is a batch run of agent "agent_U", not of agent-id`}},
		{name: "a trend row without createdDate", rows: replaced(6, map[int]sigmamind.BatchRun{3: createdAt(3, time.Time{})}),
			req: batches.Request{Count: 1, Trend: 10}, wantGated: names(0, 1), wantEarlier: []string{"batch_001", "batch_002", "batch_004", "batch_005"},
			wantNotes: []string{`batch run "batch_003" is left out of the trend: createdDate is missing`}},
		// Out of order among the trend only: the judged ones stand.
		{name: "trend rows out of order", rows: []sigmamind.BatchRun{finished(0), finished(1), finished(5), finished(3), finished(6)},
			req: batches.Request{Count: 1, Trend: 10}, wantGated: names(0, 1), wantEarlier: []string{"batch_001", "batch_005", "batch_006"},
			wantNotes: []string{`batch run "batch_003" is left out of the trend: its createdDate 2026-05-05T07:06:43Z is newer than that of batch run "batch_005" (2026-05-05T05:06:43Z), listed before it: the listing is not newest first`}},
		// Rows left out still take their place: the trend reads as far as
		// it would have, no further.
		{name: "rows left out take their places", rows: replaced(8, map[int]sigmamind.BatchRun{1: impossible(1), 2: impossible(2)}), req: batches.Request{Count: 1, Trend: 4},
			wantGated: names(0, 1), wantEarlier: names(3, 4),
			wantNotes: []string{`batch run "batch_001" is left out of the trend: successful 4 + failed 99 attempts exceed the total 5`,
				`batch run "batch_002" is left out of the trend: successful 4 + failed 99 attempts exceed the total 5`}},
		// A row left out does not stop the reading: the next one may show
		// that the gated one is not the newest.
		{name: "a newer row after one left out", rows: []sigmamind.BatchRun{finished(1), impossible(3), finished(0)},
			req: batches.Request{Count: 1, Trend: 10}, wantErr: `batch run "batch_000" has impossible data: its createdDate 2026-05-05T10:06:43Z is newer than that of batch run "batch_001"`},
		// Newer than a judged one: the judged ones may not be the newest.
		{name: "a trend row newer than the baseline", rows: []sigmamind.BatchRun{finished(0), finished(2), finished(3), finished(1)},
			req: batches.Request{Count: 1, Baseline: 1, Trend: 10}, wantErr: `batch run "batch_001" has impossible data: its createdDate 2026-05-05T09:06:43Z is newer than that of batch run "batch_003"`},
		{name: "a newer one listed after the gated", rows: []sigmamind.BatchRun{finished(1), finished(0)},
			req: batches.Request{Count: 1, Trend: 10}, wantErr: `batch run "batch_000" has impossible data: its createdDate 2026-05-05T10:06:43Z is newer than that of batch run "batch_001"`},
		{name: "a trend row in the future", rows: replaced(4, map[int]sigmamind.BatchRun{2: createdAt(2, fixedNow.AddDate(1, 0, 0))}),
			req: batches.Request{Count: 1, Trend: 10}, wantErr: `batch run "batch_002" has impossible data: its createdDate 2027-05-05T10:06:43Z is 8760h0m0s ahead`},
		{name: "a contradicting copy of a trend row", rows: append(finishedRuns(4), modified(finished(2), func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts = 0, 5 })),
			req: batches.Request{Count: 1, Trend: 10}, wantGated: names(0, 1), wantEarlier: []string{"batch_001", "batch_003"},
			wantNotes: []string{`batch run "batch_002" is left out of the trend: it is listed again with fewer attempts (successful 4, failed 1, total 5; then 0, 5, 5): the copies contradict each other`}},
		{name: "a contradicting copy of the gated row", rows: append(finishedRuns(4), modified(finished(0), func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts = 0, 5 })),
			req: batches.Request{Count: 1, Trend: 10}, wantErr: `batch run "batch_000" has impossible data: it is listed again with fewer attempts`},
		{name: "a contradicting copy of the baseline row", rows: append(finishedRuns(4), modified(finished(1), func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts = 0, 5 })),
			req: batches.Request{Count: 1, Baseline: 1, Trend: 10}, wantErr: `batch run "batch_001" has impossible data: it is listed again with fewer attempts`},
		{name: "searching: a bad row before the batch-id", rows: replaced(5, map[int]sigmamind.BatchRun{0: impossible(0)}),
			req: batches.Request{Count: 1, Baseline: 1, BatchID: "batch_001"}, wantGated: names(1, 2), wantBase: names(2, 3)},
		{name: "searching: rows of another agent before the batch-id", rows: replaced(5, map[int]sigmamind.BatchRun{
			0: modified(finished(0), func(b *sigmamind.BatchRun) { b.Agent.AgentID = "agent_U" }), 1: createdAt(1, fixedNow.AddDate(1, 0, 0))}),
			req: batches.Request{Count: 1, BatchID: "batch_002", Trend: 3}, wantGated: names(2, 3), wantEarlier: names(3, 5)},
		{name: "searching: the batch-id is bad", rows: replaced(5, map[int]sigmamind.BatchRun{2: impossible(2)}),
			req: batches.Request{Count: 1, BatchID: "batch_002"}, wantErr: `batch run "batch_002" has impossible data`},
		{name: "searching: not found among bad rows", rows: replaced(3, map[int]sigmamind.BatchRun{0: impossible(0), 2: impossible(2)}),
			req: batches.Request{Count: 1, BatchID: "batch_nope"}, wantErr: "batch run batch_nope was not found among the 3 batch runs of agent agent_T"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := sigmamindtest.NewHandler(sigmamindtest.WithMaxPageSize(tt.maxPage))
			t.Cleanup(fake.Close)
			fake.ListAsGiven(agent, tt.rows...)
			if tt.endless {
				fake.SetPagination(sigmamindtest.EndlessHasNext)
			}
			fake.Fail(tt.faults...)
			req := tt.req
			req.AgentID = agent
			sel, err := batches.Select(t.Context(), fakeLister(t, fake), req)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one with %q", err, tt.wantErr)
				}
				if diff := cmp.Diff(batches.Selection{}, sel); diff != "" {
					t.Errorf("selection with an error (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := []any{ids(sel.Gated), ids(sel.Baseline), ids(sel.Earlier), sel.Notes}
			want := []any{tt.wantGated, tt.wantBase, tt.wantEarlier, tt.wantNotes}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("gated, baseline, earlier, notes mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSelectLaterCopy lists the gated batch again, further on, as a batch
// that moved on between two pages: the later copy counts, in the first
// copy's place.
func TestSelectLaterCopy(t *testing.T) {
	t.Parallel()
	early := modified(finished(0), func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts = 2, 0, 2 })
	later := modified(finished(0), func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts = 2, 3, 5 })
	fake := sigmamindtest.NewHandler()
	t.Cleanup(fake.Close)
	fake.ListAsGiven(agent, early, finished(1), finished(2), later, finished(3))
	sel, err := batches.Select(t.Context(), fakeLister(t, fake), batches.Request{AgentID: agent, Count: 1, Baseline: 1, Trend: 4})
	if err != nil {
		t.Fatal(err)
	}
	want := batches.Selection{Gated: []sigmamind.BatchRun{later}, Baseline: folded(finished(1)), Earlier: folded(finished(2), finished(3))}
	if diff := cmp.Diff(want, sel); diff != "" {
		t.Errorf("selection mismatch (-want +got):\n%s", diff)
	}
}

// runningAt is batch_new, configured for 10 attempts, with total executed.
func runningAt(total int64, cases bool) sigmamind.BatchRun {
	b := sigmamind.BatchRun{BatchID: "batch_new", Agent: &sigmamind.Agent{AgentID: agent}, CreatedDate: fixedNow.Add(-time.Minute),
		SuccessfulAttempts: total, TotalAttempts: total}
	if cases {
		b.TestCases = []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: 10}}
	}
	return b
}

func TestWaitKeepsWhatItSaw(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		polls     []sigmamind.BatchRun // the batch after each pause; the last repeats
		wantTotal int64
		wantExp   int64
		wantLines []string
		wantErr   string
	}{
		{
			// The test cases are no longer listed: the batch has not
			// finished for that, and does not pass on 3 attempts.
			name: "test cases no longer listed", polls: []sigmamind.BatchRun{runningAt(3, false)},
			wantTotal: 3, wantExp: 10,
			wantLines: []string{"batch_new: 2/10 attempts", "batch_new: 3/10 attempts", "batch_new: 3/10 attempts", "stopped waiting: no new attempt was executed in 1 polls"},
		},
		{
			name: "fewer configured attempts", polls: []sigmamind.BatchRun{modified(runningAt(3, true), func(b *sigmamind.BatchRun) { b.TestCases[0].Attempt = 3 })},
			wantTotal: 3, wantExp: 10,
			wantLines: []string{"batch_new: 2/10 attempts", "batch_new: 3/10 attempts", "batch_new: 3/10 attempts", "stopped waiting: no new attempt was executed in 1 polls"},
		},
		{
			name: "more configured attempts", polls: []sigmamind.BatchRun{modified(runningAt(3, true), func(b *sigmamind.BatchRun) { b.TestCases[0].Attempt = 12 }), modified(runningAt(12, true), func(b *sigmamind.BatchRun) { b.TestCases[0].Attempt = 12 })},
			wantTotal: 12, wantExp: 12,
			wantLines: []string{"batch_new: 2/10 attempts", "batch_new: 3/12 attempts", "batch_new: 12/12 attempts"},
		},
		{
			name: "fewer attempts than before", polls: []sigmamind.BatchRun{runningAt(1, true)},
			wantErr: `batch run "batch_new" has impossible data: a later poll lists it with fewer attempts or another createdDate (successful 2, failed 0, total 2`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := sigmamindtest.NewHandler()
			t.Cleanup(fake.Close)
			fake.AddBatchRuns(agent, finishedRuns(3)[1:]...)
			fake.AddBatchRuns(agent, runningAt(2, true))
			c := fakeLister(t, fake)
			req := batches.Request{AgentID: agent, Count: 1}
			sel, err := batches.Select(t.Context(), c, req)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			polls := 0
			w := batches.Waiter{
				Sleep: func(ctx context.Context, d time.Duration) error {
					fake.SetBatchRun(agent, tt.polls[min(polls, len(tt.polls)-1)])
					polls++
					return nil
				},
				Now:       func() time.Time { return fixedNow },
				Progress:  func(line string) { lines = append(lines, line) },
				FirstPoll: time.Second, MaxPoll: time.Second, StallPolls: 1,
			}
			out, err := w.Wait(t.Context(), c, req, sel, time.Hour)
			if tt.wantErr != "" {
				var de *sigmamind.DataError
				if !errors.As(err, &de) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want a *DataError with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantLines, lines); diff != "" {
				t.Errorf("progress lines mismatch (-want +got):\n%s", diff)
			}
			b := out.Gated[0]
			if b.TotalAttempts != tt.wantTotal || b.ExpectedAttempts() != tt.wantExp {
				t.Errorf("batch_new at %d of %d attempts, want %d of %d", b.TotalAttempts, b.ExpectedAttempts(), tt.wantTotal, tt.wantExp)
			}
			res := gate.Evaluate(gate.Input{Gated: batches.ForGate(out.Gated), Requested: 1, Rules: gate.Rules{MaxFailureRate: ptr(gate.MustRate("0"))}, Now: fixedNow})
			if want := map[bool]gate.Verdict{true: gate.Pass, false: gate.Inconclusive}[tt.wantTotal == tt.wantExp]; res.Verdict != want {
				t.Errorf("verdict %s, want %s", res.Verdict, want)
			}
		})
	}
}

func TestWaitProgressUnknown(t *testing.T) {
	t.Parallel()
	fake := sigmamindtest.NewHandler()
	t.Cleanup(fake.Close)
	unknown := modified(finished(1), func(b *sigmamind.BatchRun) { b.TestCases = nil })
	fake.AddBatchRuns(agent, runningAt(2, true), unknown)
	c := fakeLister(t, fake)
	req := batches.Request{AgentID: agent, Count: 2}
	sel, err := batches.Select(t.Context(), c, req)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	w := batches.Waiter{
		Sleep:    func(context.Context, time.Duration) error { fake.SetBatchRun(agent, runningAt(10, true)); return nil },
		Now:      func() time.Time { return fixedNow },
		Progress: func(line string) { lines = append(lines, line) }, FirstPoll: time.Second, MaxPoll: time.Second, StallPolls: 3,
	}
	if _, err := w.Wait(t.Context(), c, req, sel, time.Hour); err != nil {
		t.Fatal(err)
	}
	want := []string{"batch_new: 2/10 attempts", "batch_001: 5 attempts, configured attempts unknown", "batch_new: 10/10 attempts", "batch_001: 5 attempts, configured attempts unknown"}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("progress lines mismatch (-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }
