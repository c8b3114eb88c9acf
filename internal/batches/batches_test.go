package batches_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

const agent = "agent_T"

var fixedNow = time.Date(2026, 5, 5, 10, 6, 43, 0, time.UTC)

func newServer(t *testing.T) *sigmamindtest.Server {
	t.Helper()
	s := sigmamindtest.NewServer(sigmamindtest.WithClock(func() time.Time { return fixedNow }))
	t.Cleanup(s.Close)
	return s
}

func newClient(t *testing.T, srv *sigmamindtest.Server) *sigmamind.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := sigmamind.NewClient(&http.Client{Transport: tr}, srv.URL, sigmamindtest.DefaultAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	c.Sleep = func(context.Context, time.Duration) error { return errors.New("the client must not retry here") }
	c.Jitter = func() float64 { return 0.5 }
	c.Now = func() time.Time { return fixedNow }
	return c
}

// finished is a finished batch run; finished(0) is the newest.
func finished(i int) sigmamind.BatchRun {
	return sigmamind.BatchRun{
		BatchID:            fmt.Sprintf("batch_%03d", i),
		Agent:              &sigmamind.Agent{AgentID: agent},
		CreatedDate:        fixedNow.Add(-time.Duration(i) * time.Hour),
		TestCases:          []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: 5}},
		SuccessfulAttempts: 4,
		FailedAttempts:     1,
		TotalAttempts:      5,
	}
}

// folded is runs as a selection keeps them when they need no test case:
// counted, not kept.
func folded(runs ...sigmamind.BatchRun) []sigmamind.BatchRun {
	var out []sigmamind.BatchRun
	for _, r := range runs {
		r.FoldTestCases(func(*sigmamind.TestCase) bool { return false })
		out = append(out, r)
	}
	return out
}

func finishedRuns(n int) []sigmamind.BatchRun {
	var out []sigmamind.BatchRun
	for i := range n {
		out = append(out, finished(i))
	}
	return out
}

func ids(runs []sigmamind.BatchRun) []string {
	var out []string
	for _, r := range runs {
		out = append(out, r.BatchID)
	}
	return out
}

func names(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, finished(i).BatchID)
	}
	return out
}

func TestSelect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		batches      int
		req          batches.Request
		wantGated    []string
		wantBaseline []string
		wantEarlier  []string
		wantNotFound *batches.NotFoundError
		wantSizes    []string // the size parameter of each request
	}{
		// One row more than judged is read: it tells whether the judged
		// ones are the newest (see TestSelectTies).
		{name: "newest", batches: 12, req: batches.Request{Count: 1},
			wantGated: names(0, 1), wantSizes: []string{"2"}},
		{name: "newest three", batches: 12, req: batches.Request{Count: 3},
			wantGated: names(0, 3), wantSizes: []string{"4"}},
		{name: "baseline after the gated", batches: 12, req: batches.Request{Count: 3, Baseline: 2},
			wantGated: names(0, 3), wantBaseline: names(3, 5), wantSizes: []string{"6"}},
		{name: "more than a page can hold", batches: 160, req: batches.Request{Count: 100, Baseline: 50},
			wantGated: names(0, 100), wantBaseline: names(100, 150), wantSizes: []string{"100", "100"}},
		{name: "fewer batch runs than asked", batches: 3, req: batches.Request{Count: 2, Baseline: 5},
			wantGated: names(0, 2), wantBaseline: names(2, 3), wantSizes: []string{"8"}},
		{name: "fewer than the gated count", batches: 2, req: batches.Request{Count: 5},
			wantGated: names(0, 2), wantSizes: []string{"6"}},
		{name: "no batch runs", batches: 0, req: batches.Request{Count: 1, Baseline: 3},
			wantSizes: []string{"5"}},
		{name: "batch id on the first page", batches: 40, req: batches.Request{Count: 1, BatchID: "batch_003"},
			wantGated: names(3, 4), wantSizes: []string{"25"}},
		{name: "batch id on a later page", batches: 40, req: batches.Request{Count: 2, Baseline: 1, BatchID: "batch_030"},
			wantGated: names(30, 32), wantBaseline: names(32, 33), wantSizes: []string{"25", "25"}},
		{name: "batch id, selection across pages", batches: 40, req: batches.Request{Count: 2, Baseline: 2, BatchID: "batch_023"},
			wantGated: names(23, 25), wantBaseline: names(25, 27), wantSizes: []string{"25", "25"}},
		{name: "batch id, large request", batches: 40, req: batches.Request{Count: 30, BatchID: "batch_000"},
			wantGated: names(0, 30), wantSizes: []string{"31"}},
		{name: "batch id, capped page", batches: 150, req: batches.Request{Count: 100, Baseline: 30, BatchID: "batch_010"},
			wantGated: names(10, 110), wantBaseline: names(110, 140), wantSizes: []string{"100", "100"}},
		{name: "batch id is the oldest", batches: 30, req: batches.Request{Count: 2, Baseline: 2, BatchID: "batch_029"},
			wantGated: names(29, 30), wantSizes: []string{"25", "25"}},
		{name: "a trend of ten", batches: 12, req: batches.Request{Count: 1, Trend: 10},
			wantGated: names(0, 1), wantEarlier: names(1, 10), wantSizes: []string{"10"}},
		{name: "a trend shorter than the selection", batches: 12, req: batches.Request{Count: 3, Baseline: 8, Trend: 10},
			wantGated: names(0, 3), wantBaseline: names(3, 11), wantSizes: []string{"12"}},
		{name: "a trend from a batch id", batches: 40, req: batches.Request{Count: 1, Baseline: 1, BatchID: "batch_035", Trend: 10},
			wantGated: names(35, 36), wantBaseline: names(36, 37), wantEarlier: names(37, 40), wantSizes: []string{"25", "25"}},
		{name: "batch id not found", batches: 30, req: batches.Request{Count: 1, BatchID: "batch_999"},
			wantNotFound: &batches.NotFoundError{AgentID: agent, BatchID: "batch_999", Scanned: 30},
			wantSizes:    []string{"25", "25"}},
		{name: "batch id of an agent without runs", batches: 0, req: batches.Request{Count: 1, BatchID: "batch_000"},
			wantNotFound: &batches.NotFoundError{AgentID: agent, BatchID: "batch_000", Scanned: 0},
			wantSizes:    []string{"25"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.AddAgent(agent)
			srv.AddBatchRuns(agent, finishedRuns(tt.batches)...)
			c := newClient(t, srv)
			req := tt.req
			req.AgentID = agent

			sel, err := batches.Select(t.Context(), c, req)
			if tt.wantNotFound != nil {
				var nf *batches.NotFoundError
				if !errors.As(err, &nf) {
					t.Fatalf("got error %v (%T), want a *NotFoundError", err, err)
				}
				if diff := cmp.Diff(tt.wantNotFound, nf); diff != "" {
					t.Errorf("error mismatch (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(batches.Selection{}, sel); diff != "" {
					t.Errorf("selection mismatch (-want +got):\n%s", diff)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.wantGated, ids(sel.Gated)); diff != "" {
					t.Errorf("gated mismatch (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantBaseline, ids(sel.Baseline)); diff != "" {
					t.Errorf("baseline mismatch (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.wantEarlier, ids(sel.Earlier)); diff != "" {
					t.Errorf("earlier mismatch (-want +got):\n%s", diff)
				}
			}
			var sizes, pages []string
			var wantPages []string
			for i, r := range srv.Requests() {
				sizes = append(sizes, r.Query.Get("size"))
				pages = append(pages, r.Query.Get("page"))
				wantPages = append(wantPages, fmt.Sprint(i))
			}
			if diff := cmp.Diff(tt.wantSizes, sizes); diff != "" {
				t.Errorf("requests' sizes mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantPages, pages); diff != "" {
				t.Errorf("requests' pages mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelectCopiesRuns(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddBatchRuns(agent, finishedRuns(3)...)
	sel, err := batches.Select(t.Context(), newClient(t, srv), batches.Request{AgentID: agent, Count: 2, Baseline: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Only the gated keep test cases, each id once: the second's tc_1 and
	// the baseline's are counted, not kept.
	want := batches.Selection{Gated: append(finishedRuns(1), folded(finished(1))...), Baseline: folded(finished(2))}
	if diff := cmp.Diff(want, sel); diff != "" {
		t.Errorf("selection mismatch (-want +got):\n%s", diff)
	}
}

func TestSelectErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault sigmamindtest.Fault
		check func(error) bool
	}{
		{name: "api error", fault: sigmamindtest.Fault{Status: 403},
			check: func(err error) bool { var e *sigmamind.APIError; return errors.As(err, &e) && e.StatusCode == 403 }},
		{name: "not json", fault: sigmamindtest.Fault{Status: 200, Body: "<html>", ContentType: "text/html"},
			check: func(err error) bool { var e *sigmamind.ResponseError; return errors.As(err, &e) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.AddBatchRuns(agent, finishedRuns(3)...)
			srv.Fail(tt.fault)
			c := newClient(t, srv)
			c.MaxRetries = 0
			sel, err := batches.Select(t.Context(), c, batches.Request{AgentID: agent, Count: 1})
			if !tt.check(err) {
				t.Fatalf("unexpected error %v (%T)", err, err)
			}
			if diff := cmp.Diff(batches.Selection{}, sel); diff != "" {
				t.Errorf("selection mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("error on a later page", func(t *testing.T) {
		srv := newServer(t)
		bad := finished(27)
		bad.FailedAttempts = 99
		srv.AddBatchRuns(agent, finishedRuns(27)...)
		srv.AddBatchRuns(agent, bad)
		_, err := batches.Select(t.Context(), newClient(t, srv), batches.Request{AgentID: agent, Count: 1, BatchID: "batch_027"})
		var de *sigmamind.DataError
		if !errors.As(err, &de) || de.BatchID != "batch_027" {
			t.Fatalf("got error %v, want a *DataError for batch_027", err)
		}
	})
}

func TestNotFoundError(t *testing.T) {
	t.Parallel()
	err := &batches.NotFoundError{AgentID: agent, BatchID: "batch_x", Scanned: 30}
	want := "batch run batch_x was not found among the 30 batch runs of agent agent_T: check batch-id, and that it belongs to agent-id"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("Error() mismatch (-want +got):\n%s", diff)
	}
}

func TestRunning(t *testing.T) {
	t.Parallel()
	withTotal := func(total int64) sigmamind.BatchRun {
		b := finished(0)
		b.TotalAttempts, b.SuccessfulAttempts, b.FailedAttempts = total, 0, 0
		return b
	}
	noCases := finished(0)
	noCases.TestCases = nil
	tests := []struct {
		name string
		runs []sigmamind.BatchRun
		want bool
	}{
		{name: "none", want: false},
		{name: "finished", runs: finishedRuns(3), want: false},
		{name: "one running", runs: []sigmamind.BatchRun{finished(0), withTotal(2)}, want: true},
		{name: "nothing executed yet", runs: []sigmamind.BatchRun{withTotal(0)}, want: true},
		{name: "more executed than configured", runs: []sigmamind.BatchRun{withTotal(9)}, want: false},
		{name: "unknown configuration", runs: []sigmamind.BatchRun{noCases}, want: false},
	}
	for _, tt := range tests {
		if got := batches.Running(tt.runs); got != tt.want {
			t.Errorf("%s: Running = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// clock is a fake clock that Sleep advances.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// running is the newest batch run, configured for 6×5 = 30 attempts, of
// which total were executed.
func running(id string, created time.Time, total int64) sigmamind.BatchRun {
	b := sigmamind.BatchRun{BatchID: id, CreatedDate: created, TotalAttempts: total, SuccessfulAttempts: total}
	for i := range 6 {
		b.TestCases = append(b.TestCases, sigmamind.TestCase{TestCaseID: fmt.Sprintf("tc_%d", i), Attempt: 5})
	}
	return b
}

func lines(id string, totals ...int64) []string {
	var out []string
	for _, n := range totals {
		out = append(out, fmt.Sprintf("%s: %d/30 attempts", id, n))
	}
	return out
}

func seconds(ss ...int) []time.Duration {
	var out []time.Duration
	for _, s := range ss {
		out = append(out, time.Duration(s)*time.Second)
	}
	return out
}

func TestWait(t *testing.T) {
	t.Parallel()
	const newest = "batch_new"
	stop := func(limit string) string {
		return "stopped waiting after " + limit + " (input wait): batch runs are still running"
	}
	tests := []struct {
		name       string
		count      int
		limit      time.Duration
		first, max time.Duration
		stallPolls int
		start      int64   // executed attempts of the newest batch when selected
		polls      []int64 // its executed attempts after each pause; the last repeats
		addNewer   bool    // a newer batch run starts during the first pause
		wantSleeps []time.Duration
		wantLines  []string
		wantTotal  int64
	}{
		{
			name: "progresses to the end", count: 1, limit: 10 * time.Minute, first: 10 * time.Second, max: time.Minute, stallPolls: 3,
			start: 12, polls: []int64{20, 30},
			wantSleeps: seconds(10, 20), wantLines: lines(newest, 12, 20, 30), wantTotal: 30,
		},
		{
			name: "pauses double up to MaxPoll", count: 1, limit: time.Hour, first: 10 * time.Second, max: 45 * time.Second, stallPolls: 3,
			start: 0, polls: []int64{1, 2, 3, 4, 5, 6, 30},
			wantSleeps: seconds(10, 20, 40, 45, 45, 45, 45), wantLines: lines(newest, 0, 1, 2, 3, 4, 5, 6, 30), wantTotal: 30,
		},
		{
			name: "stalls", count: 1, limit: time.Hour, first: 10 * time.Second, max: time.Minute, stallPolls: 3,
			start: 12, polls: []int64{12},
			wantSleeps: seconds(10, 20, 40),
			wantLines:  append(lines(newest, 12, 12, 12, 12), "stopped waiting: no new attempt was executed in 3 polls"),
			wantTotal:  12,
		},
		{
			name: "progress resets the stall count", count: 1, limit: time.Hour, first: 10 * time.Second, max: time.Minute, stallPolls: 2,
			start: 12, polls: []int64{12, 13, 13},
			wantSleeps: seconds(10, 20, 40, 60),
			wantLines:  append(lines(newest, 12, 12, 13, 13, 13), "stopped waiting: no new attempt was executed in 2 polls"),
			wantTotal:  13,
		},
		{
			// 10s + 20s, then the last pause is cut to the 15s left.
			name: "limit runs out", count: 1, limit: 45 * time.Second, first: 10 * time.Second, max: time.Minute, stallPolls: 5,
			start: 12, polls: []int64{13, 14, 15},
			wantSleeps: seconds(10, 20, 15),
			wantLines:  append(lines(newest, 12, 13, 14, 15), stop("45s")),
			wantTotal:  15,
		},
		{
			name: "limit shorter than the first pause", count: 1, limit: 5 * time.Second, first: 10 * time.Second, max: time.Minute, stallPolls: 5,
			start: 12, polls: []int64{14},
			wantSleeps: seconds(5),
			wantLines:  append(lines(newest, 12, 14), stop("5s")),
			wantTotal:  14,
		},
		{
			name: "finishes in the last pause", count: 1, limit: 45 * time.Second, first: 10 * time.Second, max: time.Minute, stallPolls: 5,
			start: 12, polls: []int64{13, 14, 30},
			wantSleeps: seconds(10, 20, 15), wantLines: lines(newest, 12, 13, 14, 30), wantTotal: 30,
		},
		{
			name: "keeps the chosen batch", count: 1, limit: time.Hour, first: 10 * time.Second, max: time.Minute, stallPolls: 3,
			start: 12, polls: []int64{20, 30}, addNewer: true,
			wantSleeps: seconds(10, 20), wantLines: lines(newest, 12, 20, 30), wantTotal: 30,
		},
		{
			// Lines are for every gated batch run whose configured attempts
			// are known, finished ones included.
			name: "two gated", count: 2, limit: time.Hour, first: 10 * time.Second, max: time.Minute, stallPolls: 3,
			start: 12, polls: []int64{30},
			wantSleeps: seconds(10),
			wantLines:  []string{"batch_new: 12/30 attempts", "batch_001: 5/5 attempts", "batch_new: 30/30 attempts", "batch_001: 5/5 attempts"},
			wantTotal:  30,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.AddBatchRuns(agent, finishedRuns(6)[1:]...)
			srv.AddBatchRuns(agent, running(newest, fixedNow.Add(time.Minute), tt.start))
			c := newClient(t, srv)
			req := batches.Request{AgentID: agent, Count: tt.count, Baseline: 1}
			sel, err := batches.Select(t.Context(), c, req)
			if err != nil {
				t.Fatal(err)
			}

			clk := &clock{t: fixedNow}
			var sleeps []time.Duration
			var got []string
			w := batches.Waiter{
				Sleep: func(ctx context.Context, d time.Duration) error {
					sleeps = append(sleeps, d)
					clk.Advance(d)
					i := min(len(sleeps), len(tt.polls)) - 1
					srv.SetBatchRun(agent, running(newest, fixedNow.Add(time.Minute), tt.polls[i]))
					if tt.addNewer && len(sleeps) == 1 {
						srv.AddBatchRuns(agent, running("batch_newer", fixedNow.Add(2*time.Minute), 0))
					}
					return ctx.Err()
				},
				Now:        clk.Now,
				Progress:   func(line string) { got = append(got, line) },
				FirstPoll:  tt.first,
				MaxPoll:    tt.max,
				StallPolls: tt.stallPolls,
			}
			out, err := w.Wait(t.Context(), c, req, sel, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantSleeps, sleeps); diff != "" {
				t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLines, got); diff != "" {
				t.Errorf("progress lines mismatch (-want +got):\n%s", diff)
			}
			if len(out.Gated) != tt.count || out.Gated[0].BatchID != newest {
				t.Fatalf("gated %v, want %d starting with %s", ids(out.Gated), tt.count, newest)
			}
			if out.Gated[0].TotalAttempts != tt.wantTotal {
				t.Errorf("newest batch has %d executed attempts, want %d", out.Gated[0].TotalAttempts, tt.wantTotal)
			}
			if diff := cmp.Diff([]string{finished(tt.count).BatchID}, ids(out.Baseline)); diff != "" {
				t.Errorf("baseline mismatch (-want +got):\n%s", diff)
			}
			// Every poll re-lists once, looking for the chosen batch.
			reqs := srv.Requests()
			if n := len(reqs); n != 1+len(tt.wantSleeps) {
				t.Errorf("got %d requests, want %d", n, 1+len(tt.wantSleeps))
			}
			for _, r := range reqs[1:] {
				if r.Query.Get("page") != "0" || r.Query.Get("size") != "25" {
					t.Errorf("poll asked for page %s of size %s, want page 0 of size 25", r.Query.Get("page"), r.Query.Get("size"))
				}
			}
		})
	}
}

func TestWaitReturnsAtOnce(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddBatchRuns(agent, finishedRuns(3)...)
	c := newClient(t, srv)
	w := batches.Waiter{
		Sleep:    func(context.Context, time.Duration) error { t.Error("slept"); return nil },
		Now:      func() time.Time { return fixedNow },
		Progress: func(line string) { t.Errorf("progress %q", line) },
	}
	tests := []struct {
		name string
		sel  batches.Selection
	}{
		{name: "nothing selected"},
		{name: "finished", sel: batches.Selection{Gated: finishedRuns(2)}},
		{name: "only the baseline runs", sel: batches.Selection{Gated: finishedRuns(1), Baseline: []sigmamind.BatchRun{running("b", fixedNow, 1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := w.Wait(t.Context(), c, batches.Request{AgentID: agent, Count: 1}, tt.sel, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.sel, got); diff != "" {
				t.Errorf("selection mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("got %d requests, want 0", n)
	}
}

func TestWaitErrors(t *testing.T) {
	t.Parallel()
	setup := func(t *testing.T) (*sigmamind.Client, batches.Request, batches.Selection) {
		srv := newServer(t)
		srv.AddBatchRuns(agent, running("batch_new", fixedNow, 3))
		c := newClient(t, srv)
		req := batches.Request{AgentID: agent, Count: 1}
		sel, err := batches.Select(t.Context(), c, req)
		if err != nil {
			t.Fatal(err)
		}
		return c, req, sel
	}
	t.Run("canceled while sleeping", func(t *testing.T) {
		c, req, sel := setup(t)
		ctx, cancel := context.WithCancel(t.Context())
		w := batches.Waiter{
			Sleep:     func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() },
			Now:       func() time.Time { return fixedNow },
			FirstPoll: time.Second, MaxPoll: time.Minute, StallPolls: 3,
			// Progress left nil: lines are discarded.
		}
		got, err := w.Wait(ctx, c, req, sel, time.Hour)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got error %v, want context.Canceled", err)
		}
		if diff := cmp.Diff(sel, got); diff != "" {
			t.Errorf("selection mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("the batch is not found any more", func(t *testing.T) {
		srv := newServer(t)
		srv.AddBatchRuns(agent, running("batch_new", fixedNow, 3))
		moved := finishedRuns(2)
		for i := range moved {
			moved[i].Agent.AgentID = "agent_moved"
		}
		srv.AddBatchRuns("agent_moved", moved...)
		c := newClient(t, srv)
		sel, err := batches.Select(t.Context(), c, batches.Request{AgentID: agent, Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		w := batches.Waiter{
			Sleep:     func(context.Context, time.Duration) error { return nil },
			Now:       func() time.Time { return fixedNow },
			FirstPoll: time.Second, MaxPoll: time.Minute, StallPolls: 3,
		}
		_, err = w.Wait(t.Context(), c, batches.Request{AgentID: "agent_moved", Count: 1}, sel, time.Hour)
		// Not a batch-id the user gave: the batch run the gate chose is gone.
		var de *sigmamind.DataError
		if !errors.As(err, &de) || de.BatchID != "batch_new" || !strings.Contains(de.Problem, "it was listed running (3 of 30 attempts executed) when the gate chose the batch runs to judge, then no longer listed") {
			t.Fatalf("got error %v, want a *DataError saying batch_new is gone", err)
		}
	})
}
