package sigmamind_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/rawserver"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// requested are the test cases the tests start, out of order: a batch run
// is matched to them as a set.
var requested = []string{"tc_003", "tc_001"}

// createServer serves the agent's test cases tc_000 to tc_005 and, when old
// is set, three batch runs of the requested test cases started before:
// what a pull request's earlier gates leave behind, and what must never be
// adopted.
func createServer(t *testing.T, old bool, opts ...sigmamindtest.Option) *sigmamindtest.Server {
	t.Helper()
	srv := newServer(t, opts...)
	srv.AddTestCases(agent, testCases(0, 6)...)
	if old {
		for range 3 {
			if _, err := srv.StartBatchRun(agent, requested...); err != nil {
				t.Fatal(err)
			}
		}
	}
	return srv
}

// dialer refuses the connections whose number (from 1) is in refuse, as a
// port nobody listens on does, and makes the others.
type dialer struct {
	mu     sync.Mutex
	n      int
	refuse map[int]bool
	closed string // an address nobody listens on
}

func newDialer(t *testing.T, refuse ...int) *dialer {
	d := &dialer{refuse: make(map[int]bool), closed: rawserver.FreeAddr(t)}
	for _, n := range refuse {
		d.refuse[n] = true
	}
	return d
}

func (d *dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.n++
	if d.refuse[d.n] {
		addr = d.closed
	}
	d.mu.Unlock()
	var nd net.Dialer
	return nd.DialContext(ctx, network, addr)
}

// newCreateClient is newClient with one connection a request (so that the
// dialer's numbers are requests) and the given connections refused.
func newCreateClient(t *testing.T, baseURL, key string, refuse ...int) (*sigmamind.Client, *sleeper) {
	t.Helper()
	tr := &http.Transport{DialContext: newDialer(t, refuse...).DialContext, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	c, err := sigmamind.NewClient(&http.Client{Transport: tr}, baseURL, key)
	if err != nil {
		t.Fatal(err)
	}
	s := &sleeper{}
	c.Sleep = s.Sleep
	c.Jitter = func() float64 { return 0.5 }
	c.Now = func() time.Time { return fixedNow }
	c.RequestTimeout = 5 * time.Second
	return c, s
}

func posts(srv *sigmamindtest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}

// caseIDs are the test case ids of a batch run, sorted.
func caseIDs(b sigmamind.BatchRun) []string {
	var out []string
	for _, tc := range b.TestCases {
		out = append(out, tc.TestCaseID)
	}
	slices.Sort(out)
	return out
}

func TestCreateBatchRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status int
	}{
		{"201, as newer documentation says", 201},
		{"200, as older documentation says", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := createServer(t, false, sigmamindtest.WithCreatedStatus(tt.status))
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			got, err := c.CreateBatchRun(t.Context(), agent, requested)
			if err != nil {
				t.Fatal(err)
			}
			runs := srv.BatchRunsOf(agent)
			if len(runs) != 1 {
				t.Fatalf("the fake has %d batch runs, want 1", len(runs))
			}
			want := &sigmamind.Created{BatchID: runs[0].BatchID, WorkspaceID: "org_W", CreatedDate: fixedNow.Truncate(time.Millisecond),
				Agent: &sigmamind.Agent{Name: "Support", AgentID: agent, Status: "Live"}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("created mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"tc_001", "tc_003"}, caseIDs(runs[0])); diff != "" {
				t.Errorf("test cases started mismatch (-want +got):\n%s", diff)
			}
			r := srv.Requests()[0]
			type shape struct{ Method, Path, Query, ContentType, Key, Body string }
			wantShape := shape{"POST", "/v1/batch-runs", "", "application/json", sigmamindtest.DefaultAPIKey,
				`{"agentId":"agent_T","testCases":["tc_003","tc_001"]}`}
			gotShape := shape{r.Method, r.Path, r.Query.Encode(), r.Header.Get("Content-Type"), r.Header.Get("X-API-Key"), string(r.Body)}
			if diff := cmp.Diff(wantShape, gotShape); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreateBatchRunRefusesArguments: what cannot be sent as meant is not
// sent at all.
func TestCreateBatchRunRefusesArguments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		agentID string
		ids     []string
		wantErr string
	}{
		{agent, nil, "a batch run needs at least one test case id"},
		{agent, []string{}, "a batch run needs at least one test case id"},
		{"", requested, "the agent id is empty"},
		{agent, []string{"tc_001", "tc_001"}, `test case id "tc_001" is given twice`},
		{agent, []string{"tc_001", ""}, "the test case id is empty"},
		{agent, []string{"tc\n1"}, `the test case id "tc\n1" contains a control character`},
		{agent, []string{"tc\xff"}, "the test case id is not valid UTF-8"},
		{agent, make([]string, sigmamind.MaxAgentTestCases+1), "10001 test case ids are more than a batch run is started with (10000)"},
	}
	for _, tt := range tests {
		t.Run(tt.wantErr, func(t *testing.T) {
			t.Parallel()
			srv := createServer(t, false)
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			_, err := c.CreateBatchRun(t.Context(), tt.agentID, tt.ids)
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("CreateBatchRun: error %v, want %q", err, tt.wantErr)
			}
			_, err = c.CreateBatchRunOnce(t.Context(), tt.agentID, tt.ids, sigmamind.CreateOptions{Retries: 3})
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("CreateBatchRunOnce: error %v, want %q", err, tt.wantErr)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("sent %d requests", n)
			}
		})
	}
}

// TestCreateBatchRunOutcomes: one CreateBatchRun sends the create again
// only after a failure that certainly created nothing; every other failure
// says whether a batch run may exist.
func TestCreateBatchRunOutcomes(t *testing.T) {
	t.Parallel()
	const (
		ok        = "ok"
		uncertain = "uncertain" // may have been created
		created   = "created"   // created, answer unusable
		refused   = "refused"   // an *APIError or *TransportError: created nothing
	)
	tests := []struct {
		name           string
		faults         []sigmamindtest.Fault
		refuse         []int // connections refused, counted from 1
		requestTimeout time.Duration
		ids            []string // nil: requested
		want           string
		wantRetryable  bool // of an uncertain create
		wantErr        string
		wantPosts      int // seen by the server
		wantRuns       int
		wantSleeps     int
	}{
		{name: "201", want: ok, wantPosts: 1, wantRuns: 1},
		{name: "429, then 201", faults: []sigmamindtest.Fault{{Status: 429}}, want: ok, wantPosts: 2, wantRuns: 1, wantSleeps: 1},
		{name: "refused twice, then 201", refuse: []int{1, 2}, want: ok, wantPosts: 1, wantRuns: 1, wantSleeps: 2},
		{name: "refused until out of retries", refuse: []int{1, 2, 3, 4}, want: refused, wantPosts: 0, wantSleeps: 3,
			wantErr: "POST /v1/batch-runs: dial tcp"},
		{name: "503 before creation", faults: []sigmamindtest.Fault{{Status: 503}}, want: uncertain, wantRetryable: true, wantPosts: 1,
			wantErr: "POST /v1/batch-runs: 503 Service Unavailable: the batch run may have been created"},
		{name: "503 after creation", faults: []sigmamindtest.Fault{{Status: 503, Process: true}}, want: uncertain, wantRetryable: true, wantPosts: 1, wantRuns: 1,
			wantErr: "POST /v1/batch-runs: 503 Service Unavailable: the batch run may have been created"},
		{name: "500 after creation", faults: []sigmamindtest.Fault{{Status: 500, Process: true}}, want: uncertain, wantRetryable: true, wantPosts: 1, wantRuns: 1,
			wantErr: "POST /v1/batch-runs: 500 Internal Server Error: Unexpected server error: the batch run may have been created"},
		{name: "501", faults: []sigmamindtest.Fault{{Status: 501}}, want: uncertain, wantPosts: 1,
			wantErr: "POST /v1/batch-runs: 501 Not Implemented: the batch run may have been created"},
		{name: "connection lost after creation", faults: []sigmamindtest.Fault{{Reset: true, Process: true}}, want: uncertain, wantRetryable: true, wantPosts: 1, wantRuns: 1,
			wantErr: "POST /v1/batch-runs: "},
		{name: "connection lost before creation", faults: []sigmamindtest.Fault{{Reset: true}}, want: uncertain, wantRetryable: true, wantPosts: 1,
			wantErr: "POST /v1/batch-runs: "},
		{name: "no answer in time after creation", faults: []sigmamindtest.Fault{{Hang: true, Process: true}}, requestTimeout: 100 * time.Millisecond,
			want: uncertain, wantRetryable: true, wantPosts: 1, wantRuns: 1,
			wantErr: "POST /v1/batch-runs: no answer within 100ms: context deadline exceeded: the batch run may have been created"},
		{name: "a 201 that broke off", faults: []sigmamindtest.Fault{{Truncate: true, Process: true}}, want: created, wantPosts: 1, wantRuns: 1,
			wantErr: "POST /v1/batch-runs: the 201 Created answer broke off before its end: unexpected EOF: SigmaMind answered that it created the batch run, but the answer cannot be used"},
		{name: "an unknown test case", ids: []string{"tc_001", "tc_nope"}, want: refused, wantPosts: 1,
			wantErr: "POST /v1/batch-runs: 400 Bad Request: Test case not found: tc_nope (testCases[1]: no test case tc_nope for agent agent_T)"},
		{name: "401", faults: []sigmamindtest.Fault{{Status: 401, Times: 4}}, want: refused, wantPosts: 1,
			wantErr: "POST /v1/batch-runs: 401 Unauthorized: X-API-Key is missing or invalid"},
		{name: "a redirect elsewhere", faults: []sigmamindtest.Fault{{Status: 307, Body: " "}}, want: refused, wantPosts: 1,
			wantErr: "POST /v1/batch-runs: 307 Temporary Redirect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := createServer(t, false)
			srv.Fail(tt.faults...)
			c, sl := newCreateClient(t, srv.URL, sigmamindtest.DefaultAPIKey, tt.refuse...)
			if tt.requestTimeout > 0 {
				c.RequestTimeout = tt.requestTimeout
			}
			ids := tt.ids
			if ids == nil {
				ids = requested
			}
			got, err := c.CreateBatchRun(t.Context(), agent, ids)
			var u *sigmamind.UncertainCreateError
			switch tt.want {
			case ok:
				if err != nil || got == nil {
					t.Fatalf("got %v, %v; want a batch run", got, err)
				}
			case uncertain, created:
				if !errors.As(err, &u) {
					t.Fatalf("got %v (%T), want an *UncertainCreateError", err, err)
				}
				if u.Created != (tt.want == created) || u.Retryable() != tt.wantRetryable {
					t.Errorf("created %v, retryable %v; want %v, %v", u.Created, u.Retryable(), tt.want == created, tt.wantRetryable)
				}
			case refused:
				var ae *sigmamind.APIError
				var te *sigmamind.TransportError
				if errors.As(err, &u) || !errors.As(err, &ae) && !(errors.As(err, &te) && !te.Sent) {
					t.Fatalf("got %v (%T), want an *APIError or an unsent *TransportError", err, err)
				}
			}
			if err != nil && !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not start with %q", err, tt.wantErr)
			}
			if tt.want != ok && got != nil {
				t.Errorf("got %+v with the error", got)
			}
			if n := posts(srv); n != tt.wantPosts {
				t.Errorf("the server saw %d creates, want %d", n, tt.wantPosts)
			}
			if n := len(srv.BatchRunsOf(agent)); n != tt.wantRuns {
				t.Errorf("the fake has %d batch runs, want %d", n, tt.wantRuns)
			}
			if n := len(sl.Durations()); n != tt.wantSleeps {
				t.Errorf("slept %d times, want %d", n, tt.wantSleeps)
			}
		})
	}
}

// TestCreateBatchRunHostileAnswers: a 2xx says a batch run was created; an
// answer that cannot be used is never taken, and never a reason to create
// another.
func TestCreateBatchRunHostileAnswers(t *testing.T) {
	t.Parallel()
	const date = `"createdDate":"2026-05-05T10:06:43.000Z"`
	const own = `"agent":{"agentId":"agent_T"}`
	tests := []struct {
		name    string
		body    string
		ctype   string
		wantErr string
	}{
		{name: "a case variant of batchId", body: `{"batchId":"batch_1","BatchId":"batch_2",` + date + `,` + own + `}`,
			wantErr: `batch run "batch_1" has impossible data: the answer has the key "BatchId", which is batchId in another case: refused, so that it cannot stand for batchId`},
		{name: "batchId twice", body: `{"batchId":"batch_1","batchId":"batch_2",` + date + `,` + own + `}`,
			wantErr: `batch run "batch_1" has impossible data: the answer has the key batchId twice`},
		{name: "no batchId", body: `{` + date + `,` + own + `}`,
			wantErr: `batch run "" has impossible data: batchId is missing`},
		{name: "a null batchId", body: `{"batchId":null,` + date + `,` + own + `}`,
			wantErr: `batch run "" has impossible data: batchId is null, want a string`},
		{name: "a batchId with a line break", body: `{"batchId":"batch_1\n::error::x",` + date + `,` + own + `}`,
			wantErr: `batch run "batch_1\n::error::x" has impossible data: batchId contains a control character`},
		{name: "another agent", body: `{"batchId":"batch_1",` + date + `,"agent":{"agentId":"agent_U"}}`,
			wantErr: `batch run "batch_1" has impossible data: it is a batch run of agent "agent_U", not of agent-id`},
		{name: "no agent", body: `{"batchId":"batch_1",` + date + `}`,
			wantErr: `batch run "batch_1" has impossible data: it names no agent, so it cannot be shown to be a batch run of agent-id`},
		{name: "created in the future", body: `{"batchId":"batch_1","createdDate":"2026-05-06T10:06:43Z",` + own + `}`,
			wantErr: `batch run "batch_1" has impossible data: its createdDate 2026-05-06T10:06:43Z is 24h0m0s ahead of this machine's clock`},
		{name: "no createdDate", body: `{"batchId":"batch_1",` + own + `}`,
			wantErr: `batch run "batch_1" has impossible data: createdDate is missing`},
		{name: "a login page", body: `<html>sign in</html>`, ctype: "text/html",
			wantErr: `POST /v1/batch-runs: the response is text/html, not JSON (body: "<html>sign in</html>")`},
		{name: "a list", body: `[]`, wantErr: `POST /v1/batch-runs: the response is not a JSON object`},
		{name: "larger than the client reads", body: `{"batchId":"batch_1",` + date + `,` + own + `}` + strings.Repeat(" ", sigmamind.MaxBodyBytes),
			wantErr: `POST /v1/batch-runs: the response is larger than 32 MiB; the gate does not read it`},
		{name: "the key echoed", body: `{"batchId":"batch_` + secret + `","createdDate":"` + secret + `",` + own + `}`,
			wantErr: `batch run "batch_***" has impossible data: the answer has createdDate "sk-SECRET-123"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := createServer(t, false, sigmamindtest.WithAPIKey(secret))
			srv.Fail(sigmamindtest.Fault{Status: 201, Body: tt.body, ContentType: tt.ctype})
			c, _ := newClient(t, srv.URL, secret)
			got, err := c.CreateBatchRun(t.Context(), agent, requested)
			if got != nil {
				t.Errorf("got %+v with error %v", got, err)
			}
			var u *sigmamind.UncertainCreateError
			if !errors.As(err, &u) || !u.Created || u.Retryable() {
				t.Fatalf("got %v (%T), want an *UncertainCreateError that says a batch run was created", err, err)
			}
			if tt.name == "the key echoed" {
				noSecret(t, "error", err.Error())
				noSecret(t, "error fields", errorFields(err))
				return // the decoder quotes the value it refuses: redacted
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not start with %q", err, tt.wantErr)
			}
			if n := posts(srv); n != 1 {
				t.Errorf("the server saw %d creates, want 1", n)
			}
		})
	}
}

// TestCreateBatchRunOnce: never two batch runs for one intended run. The
// agent already has batch runs of the same test cases (earlier gates of the
// pull request); none of them is ever adopted.
func TestCreateBatchRunOnce(t *testing.T) {
	t.Parallel()
	other := []string{"tc_000", "tc_002"}
	tests := []struct {
		name           string
		faults         []sigmamindtest.Fault
		refuse         []int         // connections refused, counted from 1 (the first is the listing's)
		requestTimeout time.Duration // 0: 5s
		ids            []string      // nil: requested
		retries        int
		lookback       int
		exclude        bool // exclude the batch run ours started before
		earlier        bool // one started before that the first listing does not show (a lagging listing)
		meanwhile      []string
		meanwhileMany  int  // batch runs of other test cases started meanwhile
		meanwhileBad   bool // a batch run that cannot be read started meanwhile
		wantAdopted    bool
		wantSends      int
		wantErr        string // of an error; "" for a batch run
		wantUncertain  bool
		wantCandidates int
		wantPosts      int
		wantNew        int  // batch runs added to the fake
		wantTheirs     bool // the batch run returned is the one started meanwhile
	}{
		{name: "201", wantSends: 1, wantPosts: 1, wantNew: 1},
		{name: "connection lost after creation: adopted", faults: []sigmamindtest.Fault{{}, {Reset: true, Process: true}},
			retries: 3, wantAdopted: true, wantSends: 1, wantPosts: 1, wantNew: 1},
		{name: "503 after creation: adopted", faults: []sigmamindtest.Fault{{}, {Status: 503, Process: true}},
			retries: 3, wantAdopted: true, wantSends: 1, wantPosts: 1, wantNew: 1},
		{name: "no answer in time after creation: adopted", faults: []sigmamindtest.Fault{{}, {Hang: true, Process: true}}, requestTimeout: 100 * time.Millisecond,
			retries: 3, wantAdopted: true, wantSends: 1, wantPosts: 1, wantNew: 1},
		{name: "a 201 that broke off: adopted", faults: []sigmamindtest.Fault{{}, {Truncate: true, Process: true}},
			retries: 3, wantAdopted: true, wantSends: 1, wantPosts: 1, wantNew: 1},
		{name: "503 before creation: sent again", faults: []sigmamindtest.Fault{{}, {Status: 503}},
			retries: 3, wantSends: 2, wantPosts: 2, wantNew: 1},
		{name: "connection lost before creation: sent again", faults: []sigmamindtest.Fault{{}, {Reset: true}},
			retries: 3, wantSends: 2, wantPosts: 2, wantNew: 1},
		{name: "refused connection: retried", refuse: []int{2}, retries: 3, wantSends: 1, wantPosts: 1, wantNew: 1},
		{name: "429: retried", faults: []sigmamindtest.Fault{{}, {Status: 429}}, retries: 3, wantSends: 1, wantPosts: 2, wantNew: 1},
		// A listing that lags once is looked at again before a resend.
		{name: "503 after creation, listed late: adopted, not sent again", faults: []sigmamindtest.Fault{{}, {Status: 503, Process: true},
			{Status: 200, Body: `{"data":[],"page":0,"size":50,"totalCount":0,"totalPages":0,"hasNext":false,"hasPrevious":false}`}},
			retries: 3, wantAdopted: true, wantSends: 1, wantPosts: 1, wantNew: 1},
		{name: "503 before creation, then after: adopted", faults: []sigmamindtest.Fault{{}, {Status: 503}, {}, {}, {Status: 503, Process: true}},
			retries: 3, wantAdopted: true, wantSends: 2, wantPosts: 2, wantNew: 1},
		{name: "503 before creation until the retries are spent", faults: []sigmamindtest.Fault{{}, {Status: 503}, {}, {}, {Status: 503}},
			retries: 1, wantUncertain: true, wantSends: 2, wantPosts: 2,
			wantErr: "POST /v1/batch-runs: 503 Service Unavailable: the batch run may have been created; the agent's newest batch runs do not show it, and the retries are spent (1) (2 creates sent)"},
		{name: "no retries", faults: []sigmamindtest.Fault{{}, {Status: 503}}, wantUncertain: true, wantSends: 1, wantPosts: 1,
			wantErr: "POST /v1/batch-runs: 503 Service Unavailable: the batch run may have been created; the agent's newest batch runs do not show it, and the retries are spent (0)"},
		{name: "501 before creation: not sent again", faults: []sigmamindtest.Fault{{}, {Status: 501}}, retries: 3, wantUncertain: true, wantSends: 1, wantPosts: 1,
			wantErr: "POST /v1/batch-runs: 501 Not Implemented: the batch run may have been created; the agent's newest batch runs do not show it, and the failure is not one that passes: no other create was sent"},
		{name: "a 201 that cannot be read and is not listed: not sent again", faults: []sigmamindtest.Fault{{}, {Status: 201, Body: "<html>", ContentType: "text/html"}},
			retries: 3, wantUncertain: true, wantSends: 1, wantPosts: 1,
			wantErr: `POST /v1/batch-runs: the response is text/html, not JSON (body: "<html>"): SigmaMind answered that it created the batch run, but the answer cannot be used; the agent's 3 newest batch runs do not show it`},
		{name: "another batch run of other test cases meanwhile: not adopted", faults: []sigmamindtest.Fault{{}, {Status: 503}}, meanwhile: other,
			retries: 3, wantSends: 2, wantPosts: 2, wantNew: 2},
		{name: "another batch run of other test cases meanwhile, ours lost after creation: ours adopted", faults: []sigmamindtest.Fault{{}, {Reset: true, Process: true}},
			meanwhile: other, retries: 3, wantAdopted: true, wantSends: 1, wantPosts: 1, wantNew: 2},
		{name: "another batch run of some of the test cases meanwhile: not adopted", faults: []sigmamindtest.Fault{{}, {Status: 503}}, meanwhile: requested[:1],
			retries: 3, wantSends: 2, wantPosts: 2, wantNew: 2},
		{name: "another batch run of more test cases meanwhile: not adopted", faults: []sigmamindtest.Fault{{}, {Status: 503}}, meanwhile: append([]string{"tc_005"}, requested...),
			retries: 3, wantSends: 2, wantPosts: 2, wantNew: 2},
		// Listings cannot tell a batch run started by someone else from
		// ours: with ours refused, theirs is the one new batch run.
		{name: "the same test cases meanwhile, ours refused: theirs adopted", faults: []sigmamindtest.Fault{{}, {Status: 503}}, meanwhile: requested,
			retries: 3, wantAdopted: true, wantSends: 1, wantPosts: 1, wantNew: 1, wantTheirs: true},
		{name: "the same test cases meanwhile, ours created: neither adopted, none sent", faults: []sigmamindtest.Fault{{}, {Status: 503, Process: true}}, meanwhile: requested,
			retries: 3, wantUncertain: true, wantCandidates: 2, wantSends: 1, wantPosts: 1, wantNew: 2,
			wantErr: "POST /v1/batch-runs: 503 Service Unavailable: the batch run may have been created; 2 new batch runs with exactly these test cases are listed ("},
		{name: "a new batch run that cannot be read: none sent", faults: []sigmamindtest.Fault{{}, {Status: 503}}, meanwhileBad: true,
			retries: 3, wantUncertain: true, wantCandidates: 1, wantSends: 1, wantPosts: 1, wantNew: 1,
			wantErr: `POST /v1/batch-runs: 503 Service Unavailable: the batch run may have been created; new batch runs are listed whose test cases cannot be read ("batch_bad"): one may be this create's`},
		{name: "more new batch runs than the lookback: none sent", faults: []sigmamindtest.Fault{{}, {Status: 503}}, meanwhileMany: 4, lookback: 3,
			retries: 3, wantUncertain: true, wantSends: 1, wantPosts: 1, wantNew: 4,
			wantErr: "POST /v1/batch-runs: 503 Service Unavailable: the batch run may have been created; more than 3 batch runs are listed above those listed before the create: whether one is this create's cannot be told"},
		{name: "the listing fails after an uncertain create", faults: []sigmamindtest.Fault{{}, {Status: 503}, {Status: 500, Times: 4}},
			retries: 3, wantUncertain: true, wantSends: 1, wantPosts: 1,
			wantErr: "POST /v1/batch-runs: 503 Service Unavailable: the batch run may have been created; listing the agent's batch runs to look for it failed: GET /v1/batch-runs: 500 Internal Server Error: Unexpected server error after 4 attempts"},
		{name: "the first listing fails: nothing sent", faults: []sigmamindtest.Fault{{Status: 500, Times: 4}},
			retries: 3, wantPosts: 0, wantErr: "GET /v1/batch-runs: 500 Internal Server Error: Unexpected server error after 4 attempts"},
		{name: "an unknown test case: not sent again", ids: []string{"tc_001", "tc_nope"}, retries: 3, wantPosts: 1,
			wantErr: "POST /v1/batch-runs: 400 Bad Request: Test case not found: tc_nope (testCases[1]: no test case tc_nope for agent agent_T)"},
		{name: "a 201 naming a batch run listed before", faults: []sigmamindtest.Fault{{}, {Status: 201, Body: "OLD"}}, retries: 3, wantPosts: 1,
			wantErr: "has impossible data: SigmaMind answered the create with it, but it was listed before the create was sent: it is no new batch run"},
		// A batch run this caller started before, which the first listing
		// did not show yet, would otherwise look new.
		{name: "an earlier one of ours listed late, excluded: not adopted", faults: []sigmamindtest.Fault{{Status: 200, Body: "LAGGING"}, {Status: 503}},
			earlier: true, exclude: true, retries: 3, wantSends: 2, wantPosts: 2, wantNew: 1},
		{name: "an earlier one of ours listed late, not excluded: adopted", faults: []sigmamindtest.Fault{{Status: 200, Body: "LAGGING"}, {Status: 503}},
			earlier: true, retries: 3, wantAdopted: true, wantSends: 1, wantPosts: 1, wantTheirs: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := createServer(t, true)
			var earlier string
			if tt.earlier {
				b, err := srv.StartBatchRun(agent, requested...)
				if err != nil {
					t.Fatal(err)
				}
				earlier = b.BatchID
			}
			before := srv.BatchRunsOf(agent)
			faults := slices.Clone(tt.faults)
			for i, f := range faults {
				switch f.Body {
				case "OLD":
					faults[i].Body = `{"batchId":"` + before[0].BatchID + `","createdDate":"2026-05-05T10:06:43Z","agent":{"agentId":"agent_T"}}`
				case "LAGGING": // the listing without the earlier one
					b, err := json.Marshal(sigmamind.Page[sigmamind.BatchRun]{Data: before[1:]})
					if err != nil {
						t.Fatal(err)
					}
					faults[i].Body = string(b)
				}
			}
			srv.Fail(faults...)
			var theirs string
			var once sync.Once
			srv.OnRequest(func(r sigmamindtest.Request) {
				if r.Method != http.MethodPost {
					return
				}
				once.Do(func() {
					if tt.meanwhile != nil {
						b, err := srv.StartBatchRun(agent, tt.meanwhile...)
						if err != nil {
							t.Error(err)
						}
						theirs = b.BatchID
					}
					for range tt.meanwhileMany {
						if _, err := srv.StartBatchRun(agent, other...); err != nil {
							t.Error(err)
						}
					}
					if tt.meanwhileBad {
						bad := run(0)
						bad.BatchID, bad.CreatedDate, bad.SuccessfulAttempts = "batch_bad", fixedNow, -1
						srv.AddBatchRuns(agent, bad)
					}
				})
			})
			c, _ := newCreateClient(t, srv.URL, sigmamindtest.DefaultAPIKey, tt.refuse...)
			if tt.requestTimeout > 0 {
				c.RequestTimeout = tt.requestTimeout
			}
			ids := tt.ids
			if ids == nil {
				ids = requested
			}
			opts := sigmamind.CreateOptions{Retries: tt.retries, Lookback: tt.lookback}
			if tt.exclude {
				opts.Exclude = []string{earlier}
			}
			got, err := c.CreateBatchRunOnce(t.Context(), agent, ids, opts)

			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got.Adopted != tt.wantAdopted || got.Sends != tt.wantSends {
					t.Errorf("adopted %v after %d sends, want %v after %d", got.Adopted, got.Sends, tt.wantAdopted, tt.wantSends)
				}
				var b *sigmamind.BatchRun
				for _, r := range srv.BatchRunsOf(agent) {
					if r.BatchID == got.BatchID {
						b = &r
					}
				}
				switch {
				case b == nil:
					t.Fatalf("batch run %q is not on the fake", got.BatchID)
				case slices.ContainsFunc(before, func(r sigmamind.BatchRun) bool { return r.BatchID == got.BatchID }) && got.BatchID != earlier:
					t.Errorf("batch run %q existed before", got.BatchID)
				case (got.BatchID == theirs || got.BatchID == earlier && earlier != "") != tt.wantTheirs:
					t.Errorf("batch run %q is the one started meanwhile (%q) or before (%q): %v, want %v", got.BatchID, theirs, earlier, !tt.wantTheirs, tt.wantTheirs)
				}
				if diff := cmp.Diff([]string{"tc_001", "tc_003"}, caseIDs(*b)); diff != "" {
					t.Errorf("test cases mismatch (-want +got):\n%s", diff)
				}
				if got.CreatedDate.IsZero() || got.Agent == nil || got.Agent.AgentID != agent {
					t.Errorf("started %+v", got)
				}
			} else {
				if got != nil {
					t.Errorf("got %+v with error %v", got, err)
				}
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v does not hold %q", err, tt.wantErr)
				}
				var u *sigmamind.UncertainCreateError
				if errors.As(err, &u) != tt.wantUncertain {
					t.Fatalf("got %v (%T); an *UncertainCreateError: %v", err, err, tt.wantUncertain)
				}
				if u != nil && (u.Sends != tt.wantSends || len(u.Candidates) != tt.wantCandidates) {
					t.Errorf("sends %d, candidates %q; want %d, %d", u.Sends, u.Candidates, tt.wantSends, tt.wantCandidates)
				}
			}
			if n := posts(srv); n != tt.wantPosts {
				t.Errorf("the server saw %d creates, want %d", n, tt.wantPosts)
			}
			if n := len(srv.BatchRunsOf(agent)) - len(before); n != tt.wantNew {
				t.Errorf("%d batch runs were added, want %d", n, tt.wantNew)
			}
		})
	}
}

// TestCreateBatchRunOnceCanceled: a create cut short by the caller says
// that a batch run may exist, and nothing more is sent.
func TestCreateBatchRunOnceCanceled(t *testing.T) {
	t.Parallel()
	srv := createServer(t, true)
	ctx, cancel := context.WithCancel(t.Context())
	srv.OnRequest(func(r sigmamindtest.Request) {
		if r.Method == http.MethodPost {
			cancel()
		}
	})
	srv.Fail(sigmamindtest.Fault{}, sigmamindtest.Fault{Hang: true, Process: true})
	c, _ := newCreateClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
	_, err := c.CreateBatchRunOnce(ctx, agent, requested, sigmamind.CreateOptions{Retries: 3})
	var u *sigmamind.UncertainCreateError
	if !errors.As(err, &u) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v (%T), want an *UncertainCreateError from the cancellation", err, err)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("got %d requests, want 2: the listing and the create", n)
	}
	// Canceled before anything is sent: nothing may exist.
	_, err = c.CreateBatchRun(ctx, agent, requested)
	if !errors.Is(err, context.Canceled) || errors.As(err, &u) {
		t.Errorf("got %v (%T), want the cancellation alone", err, err)
	}
}
