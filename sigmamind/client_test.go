package sigmamind_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

const (
	agent    = "agent_T"
	listPath = "/v1/batch-runs"
	secret   = "sk-SECRET-123"
)

// fixedNow is the client's clock. It is deliberately months away from the
// real time, so a client that mixes its clock with a context's (real)
// deadline shows up.
var fixedNow = time.Date(2026, 5, 5, 10, 6, 43, 0, time.UTC)

// sleeper records the client's backoff instead of waiting.
type sleeper struct {
	mu sync.Mutex
	ds []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ds = append(s.ds, d)
	return ctx.Err()
}

func (s *sleeper) Durations() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.ds...)
}

func newServer(t *testing.T, opts ...sigmamindtest.Option) *sigmamindtest.Server {
	t.Helper()
	opts = append([]sigmamindtest.Option{sigmamindtest.WithClock(func() time.Time { return fixedNow })}, opts...)
	s := sigmamindtest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// newClient returns a client with its own transport (so connection reuse
// cannot leak between tests), a recording Sleep, a constant Jitter and a
// fixed clock. With Jitter 0.5 and the default backoff of 500ms doubling,
// the waits before retries are 375ms, 750ms, 1.5s, ...
func newClient(t *testing.T, baseURL, apiKey string) (*sigmamind.Client, *sleeper) {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := sigmamind.NewClient(&http.Client{Transport: tr}, baseURL, apiKey)
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeper{}
	c.Sleep = s.Sleep
	c.Jitter = func() float64 { return 0.5 }
	c.Now = func() time.Time { return fixedNow }
	// Generous, so that a test that would hang fails instead.
	c.RequestTimeout = 5 * time.Second
	return c, s
}

func backoffs(n int) []time.Duration {
	all := []time.Duration{375 * time.Millisecond, 750 * time.Millisecond, 1500 * time.Millisecond, 3 * time.Second, 6 * time.Second}
	return all[:n]
}

// run is a finished batch run; run(0) is the newest.
func run(i int) sigmamind.BatchRun {
	return sigmamind.BatchRun{
		BatchID:            fmt.Sprintf("batch_%03d", i),
		WorkspaceID:        "org_W",
		Agent:              &sigmamind.Agent{Name: "Support", AgentID: agent, Status: "Live"},
		CreatedDate:        fixedNow.Add(-time.Duration(i) * time.Hour),
		TestCases:          []sigmamind.TestCase{{TestCaseID: "tc_1", Label: "refund", Attempt: 5}},
		SuccessfulAttempts: 3,
		FailedAttempts:     1,
		TotalAttempts:      5,
	}
}

func runs(from, to int) []sigmamind.BatchRun {
	var out []sigmamind.BatchRun
	for i := from; i < to; i++ {
		out = append(out, run(i))
	}
	return out
}

func ids(from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, run(i).BatchID)
	}
	return out
}

func collect(seq iter.Seq2[*sigmamind.BatchRun, error]) ([]string, error) {
	var got []string
	for b, err := range seq {
		if err != nil {
			return got, err
		}
		got = append(got, b.BatchID)
	}
	return got, nil
}

func queries(srv *sigmamindtest.Server, name string) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, r.Query.Get(name))
	}
	return out
}

func TestListBatchRunsRequestShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		agentID   string
		opts      sigmamind.ListOptions
		userAgent string // "" keeps the default
		wantQuery url.Values
		wantUA    string
	}{
		{
			name:      "first page",
			agentID:   agent,
			opts:      sigmamind.ListOptions{Page: 0, Size: 10},
			wantQuery: url.Values{"agentId": {agent}, "page": {"0"}, "size": {"10"}},
			wantUA:    "sigmagate",
		},
		{
			name:      "later page and custom user agent",
			agentID:   agent,
			opts:      sigmamind.ListOptions{Page: 3, Size: 7},
			userAgent: "sigmagate/1.2.3 (+https://github.com/sigmagate/sigmagate)",
			wantQuery: url.Values{"agentId": {agent}, "page": {"3"}, "size": {"7"}},
			wantUA:    "sigmagate/1.2.3 (+https://github.com/sigmagate/sigmagate)",
		},
		{
			// An agent id that would inject parameters if not encoded.
			name:      "agent id is encoded",
			agentID:   "agent T&page=9#x",
			opts:      sigmamind.ListOptions{Page: 1, Size: 2},
			wantQuery: url.Values{"agentId": {"agent T&page=9#x"}, "page": {"1"}, "size": {"2"}},
			wantUA:    "sigmagate",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			rs := runs(0, 20)
			for i := range rs {
				rs[i].Agent.AgentID = tt.agentID
			}
			srv.AddBatchRuns(tt.agentID, rs...)
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			if tt.userAgent != "" {
				c.UserAgent = tt.userAgent
			}
			if _, err := c.ListBatchRuns(t.Context(), tt.agentID, tt.opts); err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			type shape struct {
				Method, Path              string
				Query                     url.Values
				APIKey, UserAgent, Accept string
			}
			want := shape{http.MethodGet, listPath, tt.wantQuery, sigmamindtest.DefaultAPIKey, tt.wantUA, "application/json"}
			got := shape{r.Method, r.Path, r.Query, r.Header.Get("X-API-Key"), r.Header.Get("User-Agent"), r.Header.Get("Accept")}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListBatchRunsPage(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddBatchRuns(agent, runs(0, 5)...)
	c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
	got, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Page: 1, Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := &sigmamind.Page[sigmamind.BatchRun]{
		Data: runs(2, 4), Page: 1, Size: 2, TotalCount: 5, TotalPages: 3, HasNext: true, HasPrevious: true,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("page mismatch (-want +got):\n%s", diff)
	}
}

func TestBatchRunsPagination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		batches     int
		pageSize    int
		maxPageSize int // server clamp; 0 means none
		wantPages   int
	}{
		{name: "no batch runs", batches: 0, pageSize: 10, wantPages: 1},
		{name: "one short page", batches: 3, pageSize: 10, wantPages: 1},
		{name: "exact multiple", batches: 10, pageSize: 5, wantPages: 2},
		{name: "partial last page", batches: 12, pageSize: 5, wantPages: 3},
		{name: "page size one", batches: 4, pageSize: 1, wantPages: 4},
		{name: "server clamps pages", batches: 12, pageSize: 10, maxPageSize: 3, wantPages: 4},
		{name: "server clamps to one", batches: 5, pageSize: 100, maxPageSize: 1, wantPages: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, sigmamindtest.WithMaxPageSize(tt.maxPageSize))
			srv.AddAgent(agent)
			srv.AddBatchRuns(agent, runs(0, tt.batches)...)
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)

			got, err := collect(c.BatchRuns(t.Context(), agent, tt.pageSize))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ids(0, tt.batches), got); diff != "" {
				t.Errorf("batch ids mismatch (-want +got):\n%s", diff)
			}
			var wantPages, wantSizes []string
			for i := range tt.wantPages {
				wantPages = append(wantPages, fmt.Sprint(i))
				wantSizes = append(wantSizes, fmt.Sprint(tt.pageSize))
			}
			if diff := cmp.Diff(wantPages, queries(srv, "page")); diff != "" {
				t.Errorf("page parameters mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantSizes, queries(srv, "size")); diff != "" {
				t.Errorf("size parameters mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBatchRunsStopEarly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		take         int
		wantRequests int
	}{
		{take: 1, wantRequests: 1},
		{take: 5, wantRequests: 1},
		{take: 6, wantRequests: 2},
		{take: 12, wantRequests: 3},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.take), func(t *testing.T) {
			srv := newServer(t)
			srv.AddBatchRuns(agent, runs(0, 50)...)
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			var got []string
			for b, err := range c.BatchRuns(t.Context(), agent, 5) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, b.BatchID)
				if len(got) == tt.take {
					break
				}
			}
			if diff := cmp.Diff(ids(0, tt.take), got); diff != "" {
				t.Errorf("batch ids mismatch (-want +got):\n%s", diff)
			}
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("got %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

// TestBatchRunsPageDrift adds newer batch runs after the first page was
// served, so that the next page starts with runs already seen.
func TestBatchRunsPageDrift(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		added        int // newer runs added after page 0
		wantRequests int
	}{
		{name: "one new run", added: 1, wantRequests: 3},
		{name: "two new runs", added: 2, wantRequests: 3},
		// Page 1 then repeats page 0 entirely: one stale page is not yet
		// a listing that does not advance.
		{name: "a whole page of new runs", added: 3, wantRequests: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := sigmamindtest.NewHandler()
			t.Cleanup(srv.Close)
			srv.AddBatchRuns(agent, runs(0, 6)...)
			var once sync.Once
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				srv.Handler().ServeHTTP(w, r)
				if r.URL.Query().Get("page") == "0" {
					once.Do(func() {
						for i := 1; i <= tt.added; i++ {
							b := run(100 + i)
							b.CreatedDate = fixedNow.Add(time.Duration(i) * time.Minute)
							srv.AddBatchRuns(agent, b)
						}
					})
				}
			}))
			t.Cleanup(ts.Close)
			c, _ := newClient(t, ts.URL, sigmamindtest.DefaultAPIKey)

			got, err := collect(c.BatchRuns(t.Context(), agent, 3))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(ids(0, 6), got); diff != "" {
				t.Errorf("batch ids mismatch (-want +got):\n%s", diff)
			}
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("got %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

// listed iterates over a listing to its end as a consumer that passes over
// the batch runs that cannot be used: each yield as the batch id, a bad
// one as "!id: problem". Only an error that ends the iteration is returned.
func listed(seq iter.Seq2[*sigmamind.BatchRun, error]) ([]string, error) {
	var got []string
	for b, err := range seq {
		var de *sigmamind.DataError
		switch {
		case errors.As(err, &de):
			got = append(got, fmt.Sprintf("!%s: %s", de.BatchID, de.Problem))
		case err != nil:
			return got, err
		default:
			got = append(got, b.BatchID)
		}
	}
	return got, nil
}

func TestBatchRunsDuplicateIDs(t *testing.T) {
	t.Parallel()
	// batch_001 is listed again after batch_002, as when a newer batch run
	// shifts the pages while they are read: counted once, whatever the
	// page size.
	for _, size := range []int{1, 2, 3, 5} {
		srv := newServer(t)
		srv.ListAsGiven(agent, run(0), run(1), run(2), run(1), run(3))
		c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
		got, err := listed(c.BatchRuns(t.Context(), agent, size))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(ids(0, 4), got); diff != "" {
			t.Errorf("size %d: batch ids mismatch (-want +got):\n%s", size, diff)
		}
	}
}

func TestBatchRunsCopies(t *testing.T) {
	t.Parallel()
	mod := func(b sigmamind.BatchRun, f func(*sigmamind.BatchRun)) sigmamind.BatchRun {
		b.TestCases = slices.Clone(b.TestCases)
		f(&b)
		return b
	}
	noCases := func(s, f, total int64) sigmamind.BatchRun {
		return mod(run(1), func(b *sigmamind.BatchRun) {
			b.TestCases, b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts = nil, s, f, total
		})
	}
	const again = "it is listed again with "
	tests := []struct {
		name          string
		first, second sigmamind.BatchRun // the copies of batch_001
		want          []string           // what follows batch_000 and batch_002
		wantTotal     int64              // of the batch_001 last yielded
	}{
		{name: "identical", first: run(1), second: run(1), want: []string{"batch_003"}, wantTotal: 5},
		{name: "progressed", first: mod(run(1), func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.TotalAttempts = 1, 3 }), second: run(1),
			want: []string{"batch_001", "batch_003"}, wantTotal: 5},
		{name: "more test cases listed", first: run(1), second: mod(run(1), func(b *sigmamind.BatchRun) {
			b.TestCases = append(b.TestCases, sigmamind.TestCase{TestCaseID: "tc_more", Attempt: 100})
			b.SuccessfulAttempts++
			b.TotalAttempts++
		}), want: []string{"batch_001", "batch_003"}, wantTotal: 6},
		{name: "progressed, no test cases", first: noCases(4, 0, 4), second: noCases(5, 1, 6),
			want: []string{"batch_001", "batch_003"}, wantTotal: 6},
		{name: "finished copies disagree", first: run(1), second: mod(run(1), func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts = 0, 5 }),
			want: []string{"!batch_001: " + again + "fewer attempts (successful 3, failed 1, total 5; then 0, 5, 5): the copies contradict each other", "batch_003"}},
		// Without test cases nobody knows whether it finished: 10 successes
		// then 10 failures is still no progress.
		{name: "10/0 then 0/10, no test cases", first: noCases(10, 0, 10), second: noCases(0, 10, 10),
			want: []string{"!batch_001: " + again + "fewer attempts (successful 10, failed 0, total 10; then 0, 10, 10): the copies contradict each other", "batch_003"}},
		{name: "fewer executed", first: noCases(0, 0, 10), second: noCases(0, 0, 9),
			want: []string{"!batch_001: " + again + "fewer attempts (successful 0, failed 0, total 10; then 0, 0, 9): the copies contradict each other", "batch_003"}},
		{name: "fewer configured", first: run(1), second: mod(run(1), func(b *sigmamind.BatchRun) { b.TestCases[0].Attempt = 4 }),
			want: []string{"!batch_001: " + again + "fewer configured attempts (5, then 4): the copies contradict each other", "batch_003"}},
		{name: "configured attempts no longer listed", first: run(1), second: mod(run(1), func(b *sigmamind.BatchRun) { b.TestCases = nil }),
			want: []string{"!batch_001: " + again + "fewer configured attempts (5, then unknown): the copies contradict each other", "batch_003"}},
		{name: "another createdDate", first: run(1), second: mod(run(1), func(b *sigmamind.BatchRun) { b.CreatedDate = b.CreatedDate.Add(-time.Second) }),
			want: []string{"!batch_001: " + again + "another createdDate (2026-05-05T09:06:43Z, then 2026-05-05T09:06:42Z)", "batch_003"}},
		{name: "after a copy that could not be used", first: mod(run(1), func(b *sigmamind.BatchRun) { b.FailedAttempts = 9 }), second: run(1),
			want: []string{"!batch_001: it is listed again after a copy that could not be used", "batch_003"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Whatever the page size, so that the verdict never depends on it.
			for _, size := range []int{1, 2, 4, 5} {
				srv := newServer(t)
				srv.ListAsGiven(agent, run(0), tt.first, run(2), tt.second, run(3))
				c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
				var got []string
				var total int64
				for b, err := range c.BatchRuns(t.Context(), agent, size) {
					var de *sigmamind.DataError
					switch {
					case errors.As(err, &de):
						got = append(got, fmt.Sprintf("!%s: %s", de.BatchID, de.Problem))
					case err != nil:
						t.Fatal(err)
					default:
						got = append(got, b.BatchID)
						if b.BatchID == "batch_001" {
							total = b.TotalAttempts
						}
					}
				}
				first := "batch_001"
				if err := sigmamind.Validate(&tt.first); err != nil {
					first = "!batch_001: " + err.(*sigmamind.DataError).Problem
				}
				want := append([]string{"batch_000", first, "batch_002"}, tt.want...)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("size %d: yields mismatch (-want +got):\n%s", size, diff)
				}
				if tt.wantTotal != 0 && total != tt.wantTotal {
					t.Errorf("size %d: batch_001 last yielded with %d attempts, want %d", size, total, tt.wantTotal)
				}
			}
		})
	}
}

func TestBatchRunsAgent(t *testing.T) {
	t.Parallel()
	with := func(f func(*sigmamind.BatchRun)) sigmamind.BatchRun {
		b := run(1)
		b.Agent = &sigmamind.Agent{Name: "Support", AgentID: agent}
		b.TestCases = slices.Clone(b.TestCases)
		f(&b)
		return b
	}
	agentID := func(id string) func(*sigmamind.BatchRun) { return func(b *sigmamind.BatchRun) { b.Agent.AgentID = id } }
	const other = "!batch_001: it is a batch run of agent %q, not of agent-id"
	tests := []struct {
		name    string
		request string
		row     sigmamind.BatchRun
		want    string // what batch_001 yields
	}{
		{name: "same id", request: "agent_T", row: with(agentID("agent_T")), want: "batch_001"},
		{name: "bare id listed", request: "agent_T", row: with(agentID("T")), want: "batch_001"},
		{name: "bare id asked for", request: "T", row: with(agentID("agent_T")), want: "batch_001"},
		{name: "another agent", request: "agent_T", row: with(agentID("agent_U")), want: fmt.Sprintf(other, "agent_U")},
		{name: "another case", request: "agent_T", row: with(agentID("agent_t")), want: fmt.Sprintf(other, "agent_t")},
		{name: "prefix twice", request: "agent_T", row: with(agentID("agent_agent_T")), want: fmt.Sprintf(other, "agent_agent_T")},
		{name: "prefix twice asked for", request: "agent_agent_T", row: with(agentID("T")), want: fmt.Sprintf(other, "T")},
		{name: "prefix alone", request: "agent_T", row: with(agentID("agent_")), want: fmt.Sprintf(other, "agent_")},
		{name: "another prefix", request: "agent_T", row: with(agentID("agentT")), want: fmt.Sprintf(other, "agentT")},
		{name: "padded", request: "agent_T", row: with(agentID(" agent_T")), want: fmt.Sprintf(other, " agent_T")},
		{name: "no agent", request: "agent_T", row: with(func(b *sigmamind.BatchRun) { b.Agent = nil }),
			want: "!batch_001: it names no agent, so it cannot be shown to be a batch run of agent-id"},
		{name: "no agent id", request: "agent_T", row: with(agentID("")),
			want: "!batch_001: its agent.agentId is empty, so it cannot be shown to be a batch run of agent-id"},
		{name: "a test case of another agent", request: "agent_T", row: with(func(b *sigmamind.BatchRun) {
			b.TestCases = append(b.TestCases, sigmamind.TestCase{TestCaseID: "tc_2", Agent: &sigmamind.Agent{AgentID: "agent_U"}, Attempt: 1})
		}), want: `!batch_001: its test case "tc_2" is of agent "agent_U", not of agent-id`},
		{name: "a test case of the bare id", request: "agent_T", row: with(func(b *sigmamind.BatchRun) {
			b.TestCases[0].Agent = &sigmamind.Agent{AgentID: "T"}
		}), want: "batch_001"},
		{name: "a test case naming no agent id", request: "agent_T", row: with(func(b *sigmamind.BatchRun) {
			b.TestCases[0].Agent = &sigmamind.Agent{Name: "Support"}
		}), want: "batch_001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			rows := []sigmamind.BatchRun{run(0), tt.row, run(2)}
			rows[0].Agent.AgentID, rows[2].Agent.AgentID = tt.request, tt.request
			srv.ListAsGiven(tt.request, rows...)
			if tt.row.Agent == nil {
				// The fake names the agent of a run that names none: a raw
				// page lists it as the API would.
				srv.Fail(sigmamindtest.Fault{Status: 200, Body: rawPage(t, rows...)})
			}
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			got, err := listed(c.BatchRuns(t.Context(), tt.request, 10))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]string{"batch_000", tt.want, "batch_002"}, got); diff != "" {
				t.Errorf("yields mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// rawPage is the JSON of a last page with rows, as they are.
func rawPage(t *testing.T, rows ...sigmamind.BatchRun) string {
	t.Helper()
	b, err := json.Marshal(sigmamind.Page[sigmamind.BatchRun]{Data: rows, Size: len(rows), TotalCount: int64(len(rows)), TotalPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBatchRunsOrder(t *testing.T) {
	t.Parallel()
	at := func(i int, created time.Time) sigmamind.BatchRun {
		b := run(i)
		b.CreatedDate = created
		return b
	}
	newer := func(i, than int) string {
		return fmt.Sprintf("!batch_%03d: its createdDate %s is newer than that of batch run %q (%s), listed before it: the listing is not newest first",
			i, run(i).CreatedDate.Format(time.RFC3339), run(than).BatchID, run(than).CreatedDate.Format(time.RFC3339))
	}
	tests := []struct {
		name string
		rows []sigmamind.BatchRun
		want []string
	}{
		{name: "newest first", rows: runs(0, 4), want: ids(0, 4)},
		{name: "ties", rows: []sigmamind.BatchRun{run(0), at(1, run(0).CreatedDate), run(2)}, want: ids(0, 3)},
		{name: "an old batch listed first", rows: []sigmamind.BatchRun{run(1), run(0), run(2)},
			want: []string{"batch_001", newer(0, 1), "batch_002"}},
		// Compared with the oldest accepted so far, so that one row out of
		// place does not make every later one wrong.
		{name: "one row out of place", rows: []sigmamind.BatchRun{run(0), run(5), run(1), run(6), run(7)},
			want: []string{"batch_000", "batch_005", newer(1, 5), "batch_006", "batch_007"}},
		{name: "a row far in the past", rows: []sigmamind.BatchRun{run(0), at(1, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)), run(2)},
			want: []string{"batch_000", "batch_001", `!batch_002: its createdDate 2026-05-05T08:06:43Z is newer than that of batch run "batch_001" (1970-01-01T00:00:00Z), listed before it: the listing is not newest first`}},
		{name: "no createdDate", rows: []sigmamind.BatchRun{run(0), at(1, time.Time{}), run(2)},
			want: []string{"batch_000", "!batch_001: createdDate is missing", "batch_002"}},
		{name: "within the clock skew", rows: []sigmamind.BatchRun{at(0, fixedNow.Add(sigmamind.MaxClockSkew)), run(1)}, want: ids(0, 2)},
		{name: "beyond the clock skew", rows: []sigmamind.BatchRun{at(0, fixedNow.Add(sigmamind.MaxClockSkew+time.Second)), run(1)},
			want: []string{"!batch_000: its createdDate 2026-05-05T10:11:44Z is 5m1s ahead of this machine's clock, more than the 5m0s a clock may be off: a batch run cannot be created in the future", "batch_001"}},
		{name: "a year ahead, after the others", rows: []sigmamind.BatchRun{run(0), at(1, fixedNow.AddDate(1, 0, 0))},
			want: []string{"batch_000", "!batch_001: its createdDate 2027-05-05T10:06:43Z is 8760h0m0s ahead of this machine's clock, more than the 5m0s a clock may be off: a batch run cannot be created in the future"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, size := range []int{1, 2, 10} {
				srv := newServer(t)
				srv.ListAsGiven(agent, tt.rows...)
				c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
				got, err := listed(c.BatchRuns(t.Context(), agent, size))
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("size %d: yields mismatch (-want +got):\n%s", size, diff)
				}
			}
		})
	}
}

func TestBatchRunsBrokenPagination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		mode         sigmamindtest.PaginationMode
		batches      int
		wantIDs      []string
		wantRequests int
		wantProblem  string
	}{
		{
			name: "repeat first page", mode: sigmamindtest.RepeatFirstPage, batches: 8,
			wantIDs: ids(0, 3), wantRequests: 4,
			wantProblem: "pages 1 to 3 brought no new batch run though hasNext is true: the listing is not advancing",
		},
		{
			name: "endless hasNext", mode: sigmamindtest.EndlessHasNext, batches: 5,
			wantIDs: ids(0, 5), wantRequests: 5,
			wantProblem: "pages 2 to 4 brought no new batch run though hasNext is true: the listing is not advancing",
		},
		{
			name: "endless hasNext and no runs", mode: sigmamindtest.EndlessHasNext, batches: 0,
			wantRequests: 3,
			wantProblem:  "pages 0 to 2 brought no new batch run though hasNext is true: the listing is not advancing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.AddAgent(agent)
			srv.AddBatchRuns(agent, runs(0, tt.batches)...)
			srv.SetPagination(tt.mode)
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)

			got, err := collect(c.BatchRuns(t.Context(), agent, 3))
			var re *sigmamind.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("got error %v (%T), want a *ResponseError", err, err)
			}
			want := &sigmamind.ResponseError{Method: http.MethodGet, Path: listPath, Problem: tt.wantProblem}
			if diff := cmp.Diff(want, re); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIDs, got); diff != "" {
				t.Errorf("batch ids mismatch (-want +got):\n%s", diff)
			}
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("got %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	springBody := func(status int, msg string) sigmamind.ErrorBody {
		return sigmamind.ErrorBody{Error: http.StatusText(status), Message: msg, Path: listPath}
	}
	tests := []struct {
		name         string
		key          string // "" means the right key
		agentID      string // "" means agent
		size         int    // 0 means 10
		faults       []sigmamindtest.Fault
		want         *sigmamind.APIError
		wantErr      string
		wantRequests int
		wantSleeps   []time.Duration
	}{
		{
			name: "400 with validation errors",
			size: -1,
			want: &sigmamind.APIError{Method: "GET", Path: listPath, StatusCode: 400, Attempts: 1,
				Body: sigmamind.ErrorBody{Error: "Bad Request", Message: "Invalid request parameters", Path: listPath,
					ValidationErrors: map[string]any{"size": "must be greater than or equal to 1"}}},
			wantErr:      "GET /v1/batch-runs: 400 Bad Request: Invalid request parameters (size: must be greater than or equal to 1)",
			wantRequests: 1,
		},
		{
			name: "401 wrong key",
			key:  "wrong",
			want: &sigmamind.APIError{Method: "GET", Path: listPath, StatusCode: 401, Attempts: 1,
				Body: springBody(401, "X-API-Key is missing or invalid")},
			wantErr:      "GET /v1/batch-runs: 401 Unauthorized: X-API-Key is missing or invalid",
			wantRequests: 1,
		},
		{
			name:   "403",
			faults: []sigmamindtest.Fault{{Status: 403, Times: 5}},
			want: &sigmamind.APIError{Method: "GET", Path: listPath, StatusCode: 403, Attempts: 1,
				Body: springBody(403, "Access denied for this resource")},
			wantErr:      "GET /v1/batch-runs: 403 Forbidden: Access denied for this resource",
			wantRequests: 1,
		},
		{
			name:    "404 unknown agent",
			agentID: "agent_nobody",
			want: &sigmamind.APIError{Method: "GET", Path: listPath, StatusCode: 404, Attempts: 1,
				Body: springBody(404, "Agent not found: agent_nobody")},
			wantErr:      "GET /v1/batch-runs: 404 Not Found: Agent not found: agent_nobody",
			wantRequests: 1,
		},
		{
			name:   "500 is retried, then reported",
			faults: []sigmamindtest.Fault{{Status: 500, Times: 4}},
			want: &sigmamind.APIError{Method: "GET", Path: listPath, StatusCode: 500, Attempts: 4,
				Body: springBody(500, "Unexpected server error")},
			wantErr:      "GET /v1/batch-runs: 500 Internal Server Error: Unexpected server error after 4 attempts",
			wantRequests: 4,
			wantSleeps:   backoffs(3),
		},
		{
			name: "500 with the API reference's body",
			faults: []sigmamindtest.Fault{{Status: 500, Times: 4,
				Body: `{"error":"Internal Server Error","message":"Unexpected server error","path":"/v1/batch-runs","status":500,"timestamp":"2026-05-05T10:06:43.880Z"}`}},
			want: &sigmamind.APIError{Method: "GET", Path: listPath, StatusCode: 500, Attempts: 4,
				Body: springBody(500, "Unexpected server error")},
			wantErr:      "GET /v1/batch-runs: 500 Internal Server Error: Unexpected server error after 4 attempts",
			wantRequests: 4,
			wantSleeps:   backoffs(3),
		},
		{
			name:   "400 with a plain text body",
			faults: []sigmamindtest.Fault{{Status: 400, Body: "bad\nrequest\n", ContentType: "text/plain"}},
			want: &sigmamind.APIError{Method: "GET", Path: listPath, StatusCode: 400, Attempts: 1,
				Excerpt: "bad request"},
			wantErr:      `GET /v1/batch-runs: 400 Bad Request (body: "bad request")`,
			wantRequests: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.AddBatchRuns(agent, runs(0, 3)...)
			srv.Fail(tt.faults...)
			key := tt.key
			if key == "" {
				key = sigmamindtest.DefaultAPIKey
			}
			agentID := tt.agentID
			if agentID == "" {
				agentID = agent
			}
			size := tt.size
			if size == 0 {
				size = 10
			} else if size < 0 {
				size = 0
			}
			c, sl := newClient(t, srv.URL, key)
			page, err := c.ListBatchRuns(t.Context(), agentID, sigmamind.ListOptions{Size: size})
			if page != nil {
				t.Errorf("got a page %+v with error %v", page, err)
			}
			var got *sigmamind.APIError
			if !errors.As(err, &got) {
				t.Fatalf("got error %v (%T), want an *APIError", err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
				t.Errorf("error text mismatch (-want +got):\n%s", diff)
			}
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("got %d requests, want %d", n, tt.wantRequests)
			}
			if diff := cmp.Diff(tt.wantSleeps, sl.Durations()); diff != "" {
				t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		maxRetries   int
		faults       []sigmamindtest.Fault
		wantStatus   int // 0: success
		wantErr      string
		wantRequests int
		wantSleeps   []time.Duration
	}{
		{name: "429 until out of retries", maxRetries: 3, faults: []sigmamindtest.Fault{{Status: 429, Times: 4}},
			wantStatus: 429, wantErr: "GET /v1/batch-runs: 429 Too Many Requests after 4 attempts", wantRequests: 4, wantSleeps: backoffs(3)},
		{name: "502 until out of retries", maxRetries: 3, faults: []sigmamindtest.Fault{{Status: 502, Times: 4}},
			wantStatus: 502, wantErr: "GET /v1/batch-runs: 502 Bad Gateway after 4 attempts", wantRequests: 4, wantSleeps: backoffs(3)},
		{name: "503 until out of retries", maxRetries: 2, faults: []sigmamindtest.Fault{{Status: 503, Times: 3}},
			wantStatus: 503, wantErr: "GET /v1/batch-runs: 503 Service Unavailable after 3 attempts", wantRequests: 3, wantSleeps: backoffs(2)},
		{name: "504 until out of retries", maxRetries: 1, faults: []sigmamindtest.Fault{{Status: 504, Times: 2}},
			wantStatus: 504, wantErr: "GET /v1/batch-runs: 504 Gateway Timeout after 2 attempts", wantRequests: 2, wantSleeps: backoffs(1)},
		{name: "no retries", maxRetries: 0, faults: []sigmamindtest.Fault{{Status: 503}},
			wantStatus: 503, wantErr: "GET /v1/batch-runs: 503 Service Unavailable", wantRequests: 1},
		{name: "503 then 200", maxRetries: 3, faults: []sigmamindtest.Fault{{Status: 503}},
			wantRequests: 2, wantSleeps: backoffs(1)},
		{name: "429, 502, 500 then 200", maxRetries: 3,
			faults:       []sigmamindtest.Fault{{Status: 429}, {Status: 502}, {Status: 500}},
			wantRequests: 4, wantSleeps: backoffs(3)},
		{name: "501 is not retried", maxRetries: 3, faults: []sigmamindtest.Fault{{Status: 501, Times: 4}},
			wantStatus: 501, wantErr: "GET /v1/batch-runs: 501 Not Implemented", wantRequests: 1},
		{name: "backoff is capped", maxRetries: 5, faults: []sigmamindtest.Fault{{Status: 503, Times: 6}},
			wantStatus: 503, wantErr: "GET /v1/batch-runs: 503 Service Unavailable after 6 attempts", wantRequests: 6,
			// MaxBackoff is set to 2s below: 375ms, 750ms, 1.5s, then [1s, 2s) for the rest.
			wantSleeps: []time.Duration{375 * time.Millisecond, 750 * time.Millisecond, 1500 * time.Millisecond, 1500 * time.Millisecond, 1500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.AddBatchRuns(agent, runs(0, 3)...)
			srv.Fail(tt.faults...)
			c, sl := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			c.MaxRetries = tt.maxRetries
			c.MaxBackoff = 2 * time.Second
			page, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(runs(0, 3), page.Data); diff != "" {
					t.Errorf("data mismatch (-want +got):\n%s", diff)
				}
			} else {
				var ae *sigmamind.APIError
				if !errors.As(err, &ae) || ae.StatusCode != tt.wantStatus {
					t.Fatalf("got error %v, want an *APIError with status %d", err, tt.wantStatus)
				}
				if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
					t.Errorf("error text mismatch (-want +got):\n%s", diff)
				}
			}
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("got %d requests, want %d", n, tt.wantRequests)
			}
			if diff := cmp.Diff(tt.wantSleeps, sl.Durations()); diff != "" {
				t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantSleep  time.Duration
	}{
		{name: "seconds", status: 429, retryAfter: "7", wantSleep: 7 * time.Second},
		{name: "seconds with spaces", status: 503, retryAfter: " 2 ", wantSleep: 2 * time.Second},
		{name: "longer than MaxBackoff", status: 429, retryAfter: "120", wantSleep: 120 * time.Second},
		{name: "http date", status: 503, retryAfter: fixedNow.Add(9 * time.Second).Format(http.TimeFormat), wantSleep: 9 * time.Second},
		{name: "http date in the past", status: 503, retryAfter: fixedNow.Add(-time.Hour).Format(http.TimeFormat), wantSleep: 375 * time.Millisecond},
		{name: "shorter than backoff", status: 429, retryAfter: "0", wantSleep: 375 * time.Millisecond},
		{name: "negative", status: 429, retryAfter: "-5", wantSleep: 375 * time.Millisecond},
		{name: "unparsable", status: 429, retryAfter: "soon", wantSleep: 375 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.AddBatchRuns(agent, runs(0, 1)...)
			srv.Fail(sigmamindtest.Fault{Status: tt.status, RetryAfter: tt.retryAfter})
			c, sl := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			if _, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 1}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]time.Duration{tt.wantSleep}, sl.Durations()); diff != "" {
				t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRetryAfterBeyondDeadline: a wait the caller's context cannot afford is
// not started; the client reports the answer at once. The client's clock is
// fake (see fixedNow): the remaining time must come from the real clock the
// context's deadline is on.
func TestRetryAfterBeyondDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		retryAfter   string
		now          time.Time
		wantErr      bool
		wantRetry    time.Duration
		wantSleeps   []time.Duration
		wantRequests int
	}{
		{name: "seconds", retryAfter: "60", now: fixedNow, wantErr: true, wantRetry: time.Minute, wantRequests: 1},
		{name: "client clock ahead", retryAfter: "60", now: time.Now().Add(365 * 24 * time.Hour), wantErr: true, wantRetry: time.Minute, wantRequests: 1},
		{name: "http date", retryAfter: fixedNow.Add(time.Hour).Format(http.TimeFormat), now: fixedNow, wantErr: true, wantRetry: time.Hour, wantRequests: 1},
		{name: "huge", retryAfter: "99999999999999", now: fixedNow, wantErr: true, wantRetry: time.Duration(1<<63 - 1), wantRequests: 1},
		// A clock a year ahead must not make a short wait look too long.
		{name: "short wait, client clock ahead", retryAfter: "1", now: time.Now().Add(365 * 24 * time.Hour),
			wantSleeps: []time.Duration{time.Second}, wantRequests: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.AddBatchRuns(agent, runs(0, 1)...)
			srv.Fail(sigmamindtest.Fault{Status: 429, RetryAfter: tt.retryAfter})
			c, sl := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			c.Now = func() time.Time { return tt.now }
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			start := time.Now()
			_, err := c.ListBatchRuns(ctx, agent, sigmamind.ListOptions{Size: 1})
			if time.Since(start) > 2*time.Second {
				t.Errorf("took %v", time.Since(start))
			}
			if tt.wantErr {
				var ae *sigmamind.APIError
				if !errors.As(err, &ae) {
					t.Fatalf("got error %v, want an *APIError", err)
				}
				if ae.StatusCode != 429 || ae.Attempts != 1 || ae.RetryAfter != tt.wantRetry {
					t.Errorf("got status %d, attempts %d, retry after %v; want 429, 1, %v", ae.StatusCode, ae.Attempts, ae.RetryAfter, tt.wantRetry)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantSleeps, sl.Durations()); diff != "" {
				t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
			}
			if n := len(srv.Requests()); n != tt.wantRequests {
				t.Errorf("got %d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestTransportFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		faults         []sigmamindtest.Fault
		maxRetries     int
		requestTimeout time.Duration
		ctxTimeout     time.Duration // 0: none
		wantErr        []string      // substrings; nil: success
		wantNotErr     []string
		wantDeadline   bool // errors.Is(err, context.DeadlineExceeded)
		wantSleeps     []time.Duration
	}{
		{name: "reset, then success", faults: []sigmamindtest.Fault{{Reset: true, Times: 2}},
			maxRetries: 3, wantSleeps: backoffs(2)},
		{name: "reset until out of retries", faults: []sigmamindtest.Fault{{Reset: true, Times: 10}},
			maxRetries: 2, wantErr: []string{"GET /v1/batch-runs: ", "after 3 attempts"}, wantSleeps: backoffs(2)},
		{name: "hang cut by the request timeout, then success", faults: []sigmamindtest.Fault{{Hang: true}},
			maxRetries: 3, requestTimeout: 50 * time.Millisecond, wantSleeps: backoffs(1)},
		{name: "hang until out of retries", faults: []sigmamindtest.Fault{{Hang: true, Times: 10}},
			maxRetries: 1, requestTimeout: 50 * time.Millisecond,
			wantErr:      []string{"GET /v1/batch-runs: no answer within 50ms: context deadline exceeded after 2 attempts"},
			wantDeadline: true, wantSleeps: backoffs(1)},
		{name: "slow answer within the request timeout", faults: []sigmamindtest.Fault{{Delay: 20 * time.Millisecond}},
			maxRetries: 3, requestTimeout: time.Second},
		{name: "overall deadline ends everything", faults: []sigmamindtest.Fault{{Hang: true, Times: 10}},
			maxRetries: 3, requestTimeout: 30 * time.Second, ctxTimeout: 100 * time.Millisecond,
			// It is the caller's deadline, not the 30s request timeout.
			wantErr: []string{"GET /v1/batch-runs: context deadline exceeded"}, wantNotErr: []string{"30s", "attempts"},
			wantDeadline: true},
		{name: "overall deadline without request timeout", faults: []sigmamindtest.Fault{{Hang: true, Times: 10}},
			maxRetries: 3, requestTimeout: 0, ctxTimeout: 100 * time.Millisecond,
			wantErr: []string{"GET /v1/batch-runs: context deadline exceeded"}, wantNotErr: []string{"attempts"},
			wantDeadline: true},
		{name: "truncated body, then success", faults: []sigmamindtest.Fault{{Truncate: true}},
			maxRetries: 3, wantSleeps: backoffs(1)},
		{name: "truncated body until out of retries", faults: []sigmamindtest.Fault{{Truncate: true, Times: 10}},
			maxRetries: 1, wantErr: []string{"GET /v1/batch-runs: the 200 OK answer broke off before its end: unexpected EOF after 2 attempts"}, wantSleeps: backoffs(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, sigmamindtest.WithAPIKey(secret))
			srv.AddBatchRuns(agent, runs(0, 3)...)
			srv.Fail(tt.faults...)
			c, sl := newClient(t, srv.URL, secret)
			c.MaxRetries = tt.maxRetries
			c.RequestTimeout = tt.requestTimeout
			ctx := t.Context()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			page, err := c.ListBatchRuns(ctx, agent, sigmamind.ListOptions{Size: 10})
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(runs(0, 3), page.Data); diff != "" {
					t.Errorf("data mismatch (-want +got):\n%s", diff)
				}
			} else {
				var te *sigmamind.TransportError
				if !errors.As(err, &te) {
					t.Fatalf("got error %v (%T), want a *TransportError", err, err)
				}
				msg := err.Error()
				for _, s := range tt.wantErr {
					if !strings.Contains(msg, s) {
						t.Errorf("error %q does not contain %q", msg, s)
					}
				}
				for _, s := range append(tt.wantNotErr, secret, "X-API-Key", "127.0.0.1") {
					if strings.Contains(msg, s) {
						t.Errorf("error %q contains %q", msg, s)
					}
				}
				if got := errors.Is(err, context.DeadlineExceeded); got != tt.wantDeadline {
					t.Errorf("errors.Is(err, context.DeadlineExceeded) = %v, want %v", got, tt.wantDeadline)
				}
			}
			if diff := cmp.Diff(tt.wantSleeps, sl.Durations()); diff != "" {
				t.Errorf("sleeps mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCanceledContextIsNotRetried(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddBatchRuns(agent, runs(0, 1)...)
	srv.Fail(sigmamindtest.Fault{Hang: true, Times: 10})
	c, sl := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.ListBatchRuns(ctx, agent, sigmamind.ListOptions{Size: 1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got error %v, want context.Canceled", err)
	}
	if n := len(sl.Durations()); n != 0 {
		t.Errorf("slept %d times, want 0", n)
	}
}

func TestUnusableBodies(t *testing.T) {
	t.Parallel()
	longHTML := "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n" +
		strings.Repeat("<p>The upstream server is temporarily unavailable.</p>\n", 20) + "</body>\n</html>\n"
	page := `{"data":[{"batchId":"batch_1","agent":{"agentId":"agent_T"},"createdDate":"2026-05-05T10:00:00Z","successfulAttempts":1,"failedAttempts":0,"totalAttempts":1}],"page":0,"size":10,"totalCount":1,"totalPages":1,"hasNext":false}`
	tests := []struct {
		name        string
		body        string
		contentType string
		wantProblem string // "" means the page is usable
		wantExcerpt string // "-" means do not compare
	}{
		{name: "html page", body: longHTML, contentType: "text/html; charset=utf-8",
			wantProblem: "the response is text/html; charset=utf-8, not JSON", wantExcerpt: "-"},
		{name: "short html page", body: "<html>\n<body>Sign in</body>\n</html>", contentType: "text/html",
			wantProblem: "the response is text/html, not JSON", wantExcerpt: "<html> <body>Sign in</body> </html>"},
		{name: "json labelled as text", body: page, contentType: "text/plain",
			wantProblem: "the response is text/plain, not JSON", wantExcerpt: "-"},
		{name: "empty body", body: "", wantProblem: "the response is not a JSON object"},
		{name: "blank body", body: " \n\t ", wantProblem: "the response is not a JSON object"},
		{name: "null", body: "null", wantProblem: "the response is not a JSON object", wantExcerpt: "null"},
		{name: "json array", body: `[{"batchId":"batch_1"}]`, wantProblem: "the response is not a JSON object", wantExcerpt: `[{"batchId":"batch_1"}]`},
		{name: "json string", body: `"ok"`, wantProblem: "the response is not a JSON object", wantExcerpt: `"ok"`},
		{name: "truncated json", body: page[:len(page)/2],
			wantProblem: "the response is not valid JSON: the body ends inside a string at byte 112", wantExcerpt: page[:len(page)/2]},
		{name: "trailing garbage", body: page + "<html>",
			wantProblem: "the response is not valid JSON: '<' after the JSON value at byte 224", wantExcerpt: "-"},
		{name: "wrong type", body: `{"data":{"batchId":"batch_1"}}`,
			wantProblem: "the response is not a batch run page: data is an object, want a list", wantExcerpt: `{"data":{"batchId":"batch_1"}}`},
		{name: "empty object", body: `{}`, wantProblem: "the response has no data list: it is not a batch run page", wantExcerpt: "{}"},
		{name: "another api's object", body: `{"status":"ok","message":"rate limited, try later"}`,
			wantProblem: "the response has no data list: it is not a batch run page", wantExcerpt: "-"},
		{name: "data null", body: `{"data":null,"hasNext":false}`,
			wantProblem: "the response has no data list: it is not a batch run page", wantExcerpt: "-"},
		{name: "usable page", body: page},
		{name: "usable page, json with charset", body: page, contentType: "application/json; charset=utf-8"},
		{name: "usable page, problem+json", body: page, contentType: "application/vnd.sigmamind+json"},
		{name: "usable empty page", body: `{"data":[],"hasNext":false}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: tt.body, ContentType: tt.contentType, Times: 5})
			// A Fault with neither Status nor Body passes through; the
			// empty body needs a handler of its own.
			base := srv.URL
			if tt.body == "" {
				ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Content-Type", "application/json")
				}))
				t.Cleanup(ts.Close)
				base = ts.URL
			}
			c, sl := newClient(t, base, sigmamindtest.DefaultAPIKey)
			got, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
			if tt.wantProblem == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got == nil || got.Data == nil {
					t.Fatalf("got page %+v, want data", got)
				}
				return
			}
			if got != nil {
				t.Errorf("got a page %+v with error %v", got, err)
			}
			var re *sigmamind.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("got error %v (%T), want a *ResponseError", err, err)
			}
			if diff := cmp.Diff(tt.wantProblem, re.Problem); diff != "" {
				t.Errorf("problem mismatch (-want +got):\n%s", diff)
			}
			if tt.wantExcerpt != "-" {
				if diff := cmp.Diff(tt.wantExcerpt, re.Excerpt); diff != "" {
					t.Errorf("excerpt mismatch (-want +got):\n%s", diff)
				}
			}
			checkExcerpt(t, re.Excerpt)
			if n := len(sl.Durations()); n != 0 {
				t.Errorf("a 2xx answer was retried %d times", n)
			}
			if n := len(srv.Requests()); tt.body != "" && n != 1 {
				t.Errorf("got %d requests, want 1", n)
			}
		})
	}
}

// checkExcerpt checks that an excerpt is short and on one line.
func checkExcerpt(t *testing.T, s string) {
	t.Helper()
	if strings.ContainsAny(s, "\r\n\t\x00") {
		t.Errorf("excerpt %q has control characters", s)
	}
	if n := utf8.RuneCountInString(s); n > 161 {
		t.Errorf("excerpt has %d runes, want at most 161: %q", n, s)
	}
	if n := utf8.RuneCountInString(s); n == 161 && !strings.HasSuffix(s, "…") {
		t.Errorf("a cut excerpt does not end with …: %q", s)
	}
}

func TestLongHTMLExcerpt(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	html := "<html>\n<body>\n" + strings.Repeat("<p>Bad gateway</p>\n", 50) + "</body>\n</html>"
	srv.Fail(sigmamindtest.Fault{Status: 200, Body: html, ContentType: "text/html"})
	c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
	_, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
	var re *sigmamind.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got error %v, want a *ResponseError", err)
	}
	want := strings.TrimSpace(strings.Repeat("<p>Bad gateway</p> ", 10))
	want = ("<html> <body> " + want + " <p>Bad gateway</p>")[:160] + "…"
	if diff := cmp.Diff(want, re.Excerpt); diff != "" {
		t.Errorf("excerpt mismatch (-want +got):\n%s", diff)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error %q spans lines", err)
	}
}

func TestBodyLargerThanMaxBodyBytes(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("sends 32 MiB")
	}
	tests := []struct {
		name    string
		size    int
		wantErr bool
	}{
		{name: "at the limit", size: sigmamind.MaxBodyBytes},
		{name: "one byte over", size: sigmamind.MaxBodyBytes + 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A valid page padded with spaces: only its size is wrong.
			page := `{"data":[],"hasNext":false}`
			body := page + strings.Repeat(" ", tt.size-len(page))
			srv := newServer(t)
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: body})
			c, sl := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			got, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != nil {
				t.Errorf("got a page with error %v", err)
			}
			var re *sigmamind.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("got error %v, want a *ResponseError", err)
			}
			want := &sigmamind.ResponseError{Method: "GET", Path: listPath, Problem: "the response is larger than 32 MiB; the gate does not read it"}
			if diff := cmp.Diff(want, re); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if n := len(sl.Durations()); n != 0 {
				t.Errorf("retried %d times", n)
			}
		})
	}
}

func TestImpossibleData(t *testing.T) {
	t.Parallel()
	mod := func(f func(*sigmamind.BatchRun)) sigmamind.BatchRun {
		b := run(1)
		f(&b)
		return b
	}
	tests := []struct {
		name string
		bad  sigmamind.BatchRun
		want *sigmamind.DataError
	}{
		{name: "negative successful", bad: mod(func(b *sigmamind.BatchRun) { b.SuccessfulAttempts = -1 }),
			want: &sigmamind.DataError{BatchID: "batch_001", Created: run(1).CreatedDate, Problem: "negative attempt count (successful -1, failed 1, total 5)"}},
		{name: "negative failed", bad: mod(func(b *sigmamind.BatchRun) { b.FailedAttempts = -3 }),
			want: &sigmamind.DataError{BatchID: "batch_001", Created: run(1).CreatedDate, Problem: "negative attempt count (successful 3, failed -3, total 5)"}},
		{name: "negative total", bad: mod(func(b *sigmamind.BatchRun) { b.TotalAttempts = -5; b.SuccessfulAttempts, b.FailedAttempts = 0, 0 }),
			want: &sigmamind.DataError{BatchID: "batch_001", Created: run(1).CreatedDate, Problem: "negative attempt count (successful 0, failed 0, total -5)"}},
		{name: "judged more than executed", bad: mod(func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts = 4, 2 }),
			want: &sigmamind.DataError{BatchID: "batch_001", Created: run(1).CreatedDate, Problem: "successful 4 + failed 2 attempts exceed the total 5"}},
		{name: "empty batch id", bad: mod(func(b *sigmamind.BatchRun) { b.BatchID = "" }),
			want: &sigmamind.DataError{BatchID: "", Created: run(1).CreatedDate, Problem: "batchId is empty"}},
		{name: "negative test case attempt", bad: mod(func(b *sigmamind.BatchRun) { b.TestCases[0].Attempt = -2 }),
			want: &sigmamind.DataError{BatchID: "batch_001", Created: run(1).CreatedDate, Problem: `test case "tc_1" has a negative attempt count -2`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.AddBatchRuns(agent, run(0), tt.bad, run(2))
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)

			// The page comes whole, with the bad row named.
			page, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
			var rows sigmamind.RowErrors
			if !errors.As(err, &rows) {
				t.Fatalf("got error %v (%T), want RowErrors", err, err)
			}
			if page == nil || len(page.Data) != 3 {
				t.Fatalf("got page %+v, want the 3 batch runs", page)
			}
			want := *tt.want
			want.Page, want.Row = 0, 2
			if diff := cmp.Diff(sigmamind.RowErrors{&want}, rows); diff != "" {
				t.Errorf("row errors mismatch (-want +got):\n%s", diff)
			}
			var de *sigmamind.DataError
			if !errors.As(err, &de) || de != rows[0] {
				t.Errorf("errors.As(%v, *DataError) does not find the row's error", err)
			}

			// Iterating yields the bad one as an error, and goes on.
			var got []string
			var errs []*sigmamind.DataError
			for b, err := range c.BatchRuns(t.Context(), agent, 1) {
				switch {
				case errors.As(err, &de):
					errs = append(errs, de)
				case err != nil:
					t.Fatal(err)
				default:
					got = append(got, b.BatchID)
				}
			}
			want.Page, want.Row = 1, 1
			if diff := cmp.Diff([]*sigmamind.DataError{&want}, errs); diff != "" {
				t.Errorf("iterating: errors mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"batch_000", "batch_002"}, got); diff != "" {
				t.Errorf("batch ids mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	ok := func(f func(*sigmamind.BatchRun)) *sigmamind.BatchRun {
		b := run(0)
		if f != nil {
			f(&b)
		}
		return &b
	}
	tests := []struct {
		name string
		b    *sigmamind.BatchRun
		want error // nil or *DataError
	}{
		{name: "ordinary", b: ok(nil)},
		{name: "zero counts", b: ok(func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts = 0, 0, 0 })},
		{name: "undecided attempts", b: ok(func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts = 1, 1, 5 })},
		{name: "all successful", b: ok(func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts = 5, 0 })},
		{name: "all failed", b: ok(func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts = 0, 5 })},
		{name: "no test cases", b: ok(func(b *sigmamind.BatchRun) { b.TestCases = nil })},
		{name: "test case attempt zero", b: ok(func(b *sigmamind.BatchRun) { b.TestCases[0].Attempt = 0 })},
		{name: "counts at the bound", b: ok(func(b *sigmamind.BatchRun) {
			b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts = 1e12-1, 1, 1e12
		})},
		{name: "counts over the bound", b: ok(func(b *sigmamind.BatchRun) {
			b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts = 1<<62, 1<<62, 1<<63-1
		}), want: &sigmamind.DataError{BatchID: "batch_000", Created: fixedNow, Problem: "totalAttempts 9223372036854775807 is more than a batch run can have (1000000000000)"}},
		{name: "id too long", b: ok(func(b *sigmamind.BatchRun) { b.BatchID = strings.Repeat("b", 257) }),
			want: &sigmamind.DataError{BatchID: strings.Repeat("b", 32) + "…", Created: fixedNow, Problem: "batchId is 257 bytes long, more than any id (256)"}},
		{name: "successful exceed total", b: ok(func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts = 6, 0 }),
			want: &sigmamind.DataError{BatchID: "batch_000", Created: fixedNow, Problem: "successful 6 + failed 0 attempts exceed the total 5"}},
		{name: "failed exceed total", b: ok(func(b *sigmamind.BatchRun) { b.SuccessfulAttempts, b.FailedAttempts = 0, 6 }),
			want: &sigmamind.DataError{BatchID: "batch_000", Created: fixedNow, Problem: "successful 0 + failed 6 attempts exceed the total 5"}},
		{name: "min int64", b: ok(func(b *sigmamind.BatchRun) { b.FailedAttempts = -1 << 63 }),
			want: &sigmamind.DataError{BatchID: "batch_000", Created: fixedNow, Problem: "negative attempt count (successful 3, failed -9223372036854775808, total 5)"}},
		{name: "empty id", b: ok(func(b *sigmamind.BatchRun) { b.BatchID = "" }),
			want: &sigmamind.DataError{Created: fixedNow, Problem: "batchId is empty"}},
		{name: "no createdDate", b: ok(func(b *sigmamind.BatchRun) { b.CreatedDate = time.Time{} }),
			want: &sigmamind.DataError{BatchID: "batch_000", Problem: "createdDate is missing"}},
		{name: "second test case negative", b: ok(func(b *sigmamind.BatchRun) {
			b.TestCases = append(b.TestCases, sigmamind.TestCase{TestCaseID: "tc_2", Attempt: -1})
		}), want: &sigmamind.DataError{BatchID: "batch_000", Created: fixedNow, Problem: `test case "tc_2" has a negative attempt count -1`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sigmamind.Validate(tt.b)
			if tt.want == nil {
				if got != nil {
					t.Fatalf("Validate = %v, want nil", got)
				}
				return
			}
			var de *sigmamind.DataError
			if !errors.As(got, &de) {
				t.Fatalf("Validate = %v (%T), want a *DataError", got, got)
			}
			if diff := cmp.Diff(tt.want, de); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		baseURL string
		wantErr bool
		want    string // the URL of a request
	}{
		{baseURL: "https://api.sigmamind.ai", want: "https://api.sigmamind.ai/v1/batch-runs"},
		{baseURL: "https://api.sigmamind.ai/", want: "https://api.sigmamind.ai/v1/batch-runs"},
		{baseURL: "http://127.0.0.1:8080/proxy/", want: "http://127.0.0.1:8080/proxy/v1/batch-runs"},
		{baseURL: "", wantErr: true},
		{baseURL: "api.sigmamind.ai", wantErr: true},
		{baseURL: "ftp://api.sigmamind.ai", wantErr: true},
		{baseURL: "https://", wantErr: true},
		{baseURL: "https://api.sigmamind.ai/%zz", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.baseURL, func(t *testing.T) {
			var got string
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				u := *r.URL
				u.RawQuery = ""
				got = u.String()
				return nil, errors.New("offline")
			})}
			c, err := sigmamind.NewClient(hc, tt.baseURL, "k")
			if tt.wantErr {
				if err == nil {
					t.Fatalf("NewClient(%q) succeeded", tt.baseURL)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.MaxRetries = 0
			_, _ = c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 1})
			if got != tt.want {
				t.Errorf("request URL %q, want %q", got, tt.want)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSecrets has a server echo the API key everywhere it can; the key must
// reach neither an error nor a returned batch run.
func TestSecrets(t *testing.T) {
	t.Parallel()
	echo := func(s string) string { return strings.ReplaceAll(s, "KEY", secret) }
	leaky := run(0)
	leaky.BatchID = echo("batch_KEY")
	leaky.WorkspaceID = echo("org_KEY")
	leaky.Agent = &sigmamind.Agent{Name: echo("agent KEY"), AgentID: agent, Status: echo("KEY")}
	leaky.TestCases = []sigmamind.TestCase{{
		TestCaseID: echo("tc_KEY"), Label: echo("label KEY"), Agent: &sigmamind.Agent{Name: echo("KEY")},
		WorkspaceID: echo("KEY"), LLMModel: echo("KEY"), UserPrompt: echo("You are KEY, KEY!"),
		SuccessCriteria: echo("never say KEY"), Attempt: 5,
		MockData: []sigmamind.MockData{{VariableName: echo("KEY"), Value: echo("value KEY")}},
	}}
	badLeaky := leaky
	badLeaky.FailedAttempts = 10
	// Redacted, the agent id is no longer the agent's: an error that must
	// not name the key either.
	otherLeaky := leaky
	otherLeaky.Agent = &sigmamind.Agent{AgentID: echo("agent_KEY")}
	otherLeaky.TestCases = []sigmamind.TestCase{{TestCaseID: echo("tc_KEY"), Agent: &sigmamind.Agent{AgentID: echo("KEY")}}}

	tests := []struct {
		name       string
		agentID    string
		runs       []sigmamind.BatchRun
		faults     []sigmamindtest.Fault
		maxRetries int
		timeout    time.Duration
		wantErr    bool
	}{
		{name: "message", wantErr: true, faults: []sigmamindtest.Fault{{Status: 400,
			Body: echo(`{"status":400,"error":"Bad Request","message":"key KEY is not valid for agent agent_T","path":"/v1/batch-runs?key=KEY"}`)}}},
		{name: "error field", wantErr: true, faults: []sigmamindtest.Fault{{Status: 403,
			Body: echo(`{"status":403,"error":"Forbidden for KEY"}`)}}},
		{name: "validation errors", wantErr: true, faults: []sigmamindtest.Fault{{Status: 400,
			Body: echo(`{"status":400,"error":"Bad Request","validationErrors":{"X-API-Key":"KEY is revoked","KEY":"unknown","nested":{"k":["KEY"]}}}`)}}},
		{name: "json-escaped in message", wantErr: true, faults: []sigmamindtest.Fault{{Status: 401,
			Body: `{"status":401,"message":"bad key \u0073k-SECRET-123"}`}}},
		{name: "non-json error body", wantErr: true, faults: []sigmamindtest.Fault{{Status: 401,
			Body: echo("Unauthorized: X-API-Key: KEY\n"), ContentType: "text/plain"}}},
		{name: "html error page", wantErr: true, faults: []sigmamindtest.Fault{{Status: 502,
			Body: echo("<html><body>upstream rejected KEY</body></html>"), ContentType: "text/html"}}},
		{name: "key at the excerpt's end", wantErr: true, faults: []sigmamindtest.Fault{{Status: 500,
			Body: strings.Repeat("x", 155) + secret, ContentType: "text/plain"}}},
		{name: "retried error", wantErr: true, maxRetries: 2, faults: []sigmamindtest.Fault{{Status: 503, Times: 3,
			Body: echo(`{"message":"KEY over quota"}`)}}},
		{name: "html on 200", wantErr: true, faults: []sigmamindtest.Fault{{Status: 200,
			Body: echo("<html>KEY</html>"), ContentType: "text/html"}}},
		{name: "content type", wantErr: true, faults: []sigmamindtest.Fault{{Status: 200,
			Body: "{}", ContentType: echo("text/KEY")}}},
		{name: "invalid json on 200", wantErr: true, faults: []sigmamindtest.Fault{{Status: 200,
			Body: echo(`{"data":[{"batchId":"KEY","totalAttempts":"KEY"}]`)}}},
		{name: "bad date on 200", wantErr: true, faults: []sigmamindtest.Fault{{Status: 200,
			Body: echo(`{"data":[{"batchId":"b","createdDate":"KEY"}]}`)}}},
		{name: "not an object on 200", wantErr: true, faults: []sigmamindtest.Fault{{Status: 200,
			Body: echo(`["KEY"]`)}}},
		{name: "key as agent id", agentID: secret, wantErr: true},
		{name: "reset", wantErr: true, faults: []sigmamindtest.Fault{{Reset: true, Times: 5}}},
		{name: "hang", wantErr: true, timeout: 50 * time.Millisecond, faults: []sigmamindtest.Fault{{Hang: true, Times: 5}}},
		{name: "batch fields", runs: []sigmamind.BatchRun{leaky, run(1)}},
		{name: "impossible batch with the key", wantErr: true, runs: []sigmamind.BatchRun{badLeaky}},
		{name: "the key as the agent's id", wantErr: true, runs: []sigmamind.BatchRun{otherLeaky}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, sigmamindtest.WithAPIKey(secret))
			srv.AddBatchRuns(agent, tt.runs...)
			srv.Fail(tt.faults...)
			c, _ := newClient(t, srv.URL, secret)
			c.MaxRetries = tt.maxRetries
			if tt.timeout > 0 {
				c.RequestTimeout = tt.timeout
			}
			agentID := agent
			if tt.agentID != "" {
				agentID = tt.agentID
			}
			page, err := c.ListBatchRuns(t.Context(), agentID, sigmamind.ListOptions{Size: 10})
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("error %v, want error: %v", err, tt.wantErr)
			}
			for _, r := range srv.Requests() {
				if r.Header.Get("X-API-Key") != secret {
					t.Fatalf("the key was not sent")
				}
			}
			if err != nil {
				noSecret(t, "error", err.Error())
				noSecret(t, "error fields", errorFields(err))
				return
			}
			b, jerr := json.Marshal(page)
			if jerr != nil {
				t.Fatal(jerr)
			}
			noSecret(t, "page", string(b))
			noSecret(t, "page", fmt.Sprintf("%+v", page))
			for _, r := range page.Data {
				noSecret(t, "batch", fmt.Sprintf("%+v %+v", r, r.Agent))
				for _, tc := range r.TestCases {
					noSecret(t, "test case", fmt.Sprintf("%+v %+v", tc, tc.Agent))
				}
			}
			if diff := cmp.Diff("batch_***", page.Data[0].BatchID); diff != "" {
				t.Errorf("batch id mismatch (-want +got):\n%s", diff)
			}

			// And through the iterator.
			for r, err := range c.BatchRuns(t.Context(), agentID, 1) {
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(r)
				noSecret(t, "iterated batch", string(b))
			}
		})
	}
}

// errorFields prints the fields of the typed errors, not only their Error.
func errorFields(err error) string {
	var (
		ae *sigmamind.APIError
		re *sigmamind.ResponseError
		te *sigmamind.TransportError
		de *sigmamind.DataError
		b  strings.Builder
	)
	if errors.As(err, &ae) {
		fmt.Fprintf(&b, "%+v %+v\n", *ae, ae.Body.ValidationErrors)
	}
	if errors.As(err, &re) {
		fmt.Fprintf(&b, "%+v\n", *re)
	}
	if errors.As(err, &te) {
		// Not %+v: that would print the cause, which is kept unredacted
		// only for errors.Is and errors.As, and which nothing prints.
		fmt.Fprintf(&b, "%s %s %d %s\n", te.Method, te.Path, te.Attempts, te.Problem)
	}
	if errors.As(err, &de) {
		fmt.Fprintf(&b, "%+v\n", *de)
	}
	var rows sigmamind.RowErrors
	if errors.As(err, &rows) {
		for _, de := range rows {
			fmt.Fprintf(&b, "%+v\n", *de)
		}
	}
	if b.Len() == 0 {
		return "unexpected error type " + fmt.Sprintf("%T", err)
	}
	return b.String()
}

func noSecret(t *testing.T, what, s string) {
	t.Helper()
	if strings.Contains(s, secret) {
		t.Errorf("%s contains the API key: %s", what, s)
	}
}

// TestRedirectKeepsKey: a redirect to another host must not carry the
// X-API-Key there. net/http only strips Authorization and cookies.
func TestRedirectKeepsKey(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var leaked []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		leaked = append(leaked, r.Header.Get("X-API-Key"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[]}`))
	}))
	t.Cleanup(other.Close)
	// Same address, other host name: a different origin to net/http.
	otherURL := strings.Replace(other.URL, "127.0.0.1", "localhost", 1)

	srv := newServer(t, sigmamindtest.WithAPIKey(secret))
	srv.AddBatchRuns(agent, runs(0, 2)...)
	tests := []struct {
		name       string
		location   func(base string) string
		wantStatus int // 0: success
		wantLeaked []string
	}{
		{name: "other host", location: func(string) string { return otherURL + "/steal" }, wantStatus: http.StatusFound},
		{name: "same host", location: func(base string) string { return base + listPath + "?agentId=" + agent + "&page=0&size=10" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var redirector *httptest.Server
			redirector = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/old"+listPath {
					http.Redirect(w, r, tt.location(redirector.URL), http.StatusFound)
					return
				}
				srv.Handler().ServeHTTP(w, r)
			}))
			t.Cleanup(redirector.Close)
			mu.Lock()
			leaked = nil
			mu.Unlock()
			c, _ := newClient(t, redirector.URL+"/old", secret)
			page, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if len(page.Data) != 2 {
					t.Errorf("got %d batch runs, want 2", len(page.Data))
				}
			} else {
				var ae *sigmamind.APIError
				if !errors.As(err, &ae) || ae.StatusCode != tt.wantStatus {
					t.Fatalf("got error %v, want an *APIError with status %d", err, tt.wantStatus)
				}
				noSecret(t, "error", err.Error())
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tt.wantLeaked, leaked); diff != "" {
				t.Errorf("requests to the other host mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorsNameThePathAsRequested(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddBatchRuns(agent, runs(0, 1)...)
	// A base URL that already ends in /v1: the 404 must show the doubled
	// path, not read as an unknown agent.
	c, _ := newClient(t, srv.URL+"/v1", sigmamindtest.DefaultAPIKey)
	_, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 1})
	var apiErr *sigmamind.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Path != "/v1/v1/batch-runs" {
		t.Errorf("error = %v, want a 404 naming /v1/v1/batch-runs", err)
	}
}

func TestBatchRunsAgentIDIsCut(t *testing.T) {
	t.Parallel()
	b := run(0)
	b.Agent.AgentID = strings.Repeat("é", 100) + "\n::error::x"
	srv := newServer(t)
	srv.ListAsGiven(agent, b)
	c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
	got, err := listed(c.BatchRuns(t.Context(), agent, 10))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`!batch_000: it is a batch run of agent "` + strings.Repeat("é", 63) + `…", not of agent-id`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("yields mismatch (-want +got):\n%s", diff)
	}
}
