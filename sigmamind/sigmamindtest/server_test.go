package sigmamindtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

var fixedNow = time.Date(2026, 5, 5, 10, 6, 43, 879_000_000, time.UTC)

const agent = "agent_T"

func newServer(t *testing.T, opts ...sigmamindtest.Option) *sigmamindtest.Server {
	t.Helper()
	opts = append([]sigmamindtest.Option{sigmamindtest.WithClock(func() time.Time { return fixedNow })}, opts...)
	s := sigmamindtest.NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// newClient returns a client with its own transport, so connection reuse in
// one test cannot leak into another.
func newClient(t *testing.T, timeout time.Duration) *http.Client {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: timeout}
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, c *http.Client, method, u, key string) (reply, error) {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: body}, err
}

func mustGet(t *testing.T, c *http.Client, u string) reply {
	t.Helper()
	r, err := do(t, c, http.MethodGet, u, sigmamindtest.DefaultAPIKey)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return r
}

func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

// runs returns n runs named b00, b01, ... newest first.
func runs(n int) []sigmamind.BatchRun {
	out := make([]sigmamind.BatchRun, n)
	for i := range out {
		out[i] = sigmamind.BatchRun{
			BatchID:       fmt.Sprintf("b%02d", i),
			CreatedDate:   fixedNow.Add(-time.Duration(i) * time.Hour),
			TotalAttempts: 30,
		}
	}
	return out
}

type pageMeta struct {
	Page, Size, TotalPages int
	TotalCount             int64
	HasNext, HasPrevious   bool
	IDs                    []string
}

func meta(p sigmamind.Page[sigmamind.BatchRun]) pageMeta {
	m := pageMeta{Page: p.Page, Size: p.Size, TotalPages: p.TotalPages, TotalCount: p.TotalCount,
		HasNext: p.HasNext, HasPrevious: p.HasPrevious, IDs: []string{}}
	for _, r := range p.Data {
		m.IDs = append(m.IDs, r.BatchID)
	}
	return m
}

func ids(from, to int) []string {
	out := []string{}
	for i := from; i < to; i++ {
		out = append(out, fmt.Sprintf("b%02d", i))
	}
	return out
}

func listURL(s *sigmamindtest.Server, agentID, extra string) string {
	u := s.URL + "/v1/batch-runs?agentId=" + url.QueryEscape(agentID)
	if extra != "" {
		u += "&" + extra
	}
	return u
}

func TestListPagination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		total   int
		maxSize int
		query   string
		want    pageMeta
	}{
		{"defaults", 25, 0, "", pageMeta{0, 10, 3, 25, true, false, ids(0, 10)}},
		{"middle page", 25, 0, "page=1&size=10", pageMeta{1, 10, 3, 25, true, true, ids(10, 20)}},
		{"last partial page", 25, 0, "page=2&size=10", pageMeta{2, 10, 3, 25, false, true, ids(20, 25)}},
		{"past the end", 25, 0, "page=3&size=10", pageMeta{3, 10, 3, 25, false, true, ids(0, 0)}},
		{"exact fit", 10, 0, "size=10", pageMeta{0, 10, 1, 10, false, false, ids(0, 10)}},
		{"one over", 11, 0, "size=10", pageMeta{0, 10, 2, 11, true, false, ids(0, 10)}},
		{"size one last", 25, 0, "page=24&size=1", pageMeta{24, 1, 25, 25, false, true, ids(24, 25)}},
		{"no runs", 0, 0, "", pageMeta{0, 10, 0, 0, false, false, ids(0, 0)}},
		{"clamped size", 10, 4, "page=1&size=10", pageMeta{1, 4, 3, 10, true, true, ids(4, 8)}},
		{"under the clamp", 10, 4, "page=1&size=2", pageMeta{1, 2, 5, 10, true, true, ids(2, 4)}},
		{"no overflow", 3, 0, "page=2147483647&size=2147483647", pageMeta{2147483647, 2147483647, 1, 3, false, true, ids(0, 0)}},
		{"empty params mean defaults", 12, 0, "page=&size=", pageMeta{0, 10, 2, 12, true, false, ids(0, 10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, sigmamindtest.WithMaxPageSize(tt.maxSize))
			s.AddAgent(agent)
			s.AddBatchRuns(agent, runs(tt.total)...)
			r := mustGet(t, newClient(t, 0), listURL(s, agent, tt.query))
			if r.status != http.StatusOK {
				t.Fatalf("status = %d, body %s", r.status, r.body)
			}
			if !strings.Contains(string(r.body), `"data":[`) {
				t.Errorf("data is not a JSON array: %s", r.body)
			}
			got := meta(decode[sigmamind.Page[sigmamind.BatchRun]](t, r.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("page mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListOrder(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	at := func(id string, h int) sigmamind.BatchRun {
		return sigmamind.BatchRun{BatchID: id, CreatedDate: fixedNow.Add(time.Duration(h) * time.Hour)}
	}
	s.AddBatchRuns(agent, at("old", -5), at("tie-first", -1), at("new", 0))
	s.AddBatchRuns(agent, at("tie-second", -1), at("older", -9))
	got := meta(decode[sigmamind.Page[sigmamind.BatchRun]](t, mustGet(t, newClient(t, 0), listURL(s, agent, "")).body)).IDs
	want := []string{"new", "tie-second", "tie-first", "old", "older"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order mismatch (-want +got):\n%s", diff)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []sigmamindtest.Option
		key    string
		status int
	}{
		{"missing", nil, "", http.StatusUnauthorized},
		{"wrong", nil, "nope", http.StatusUnauthorized},
		{"default", nil, sigmamindtest.DefaultAPIKey, http.StatusOK},
		{"custom accepted", []sigmamindtest.Option{sigmamindtest.WithAPIKey("s3cret")}, "s3cret", http.StatusOK},
		{"default no longer accepted", []sigmamindtest.Option{sigmamindtest.WithAPIKey("s3cret")}, sigmamindtest.DefaultAPIKey, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, tt.opts...)
			s.AddAgent(agent)
			r, err := do(t, newClient(t, 0), http.MethodGet, listURL(s, agent, ""), tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d; body %s", r.status, tt.status, r.body)
			}
			if tt.status != http.StatusUnauthorized {
				return
			}
			want := sigmamind.ErrorBody{
				Timestamp: "2026-05-05T10:06:43.879Z",
				Status:    401,
				Error:     "Unauthorized",
				Message:   "X-API-Key is missing or invalid",
				Path:      "/v1/batch-runs",
			}
			if diff := cmp.Diff(want, decode[sigmamind.ErrorBody](t, r.body)); diff != "" {
				t.Errorf("error body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Spring Security answers before routing, so an unknown path or agent
// without a key is still 401.
func TestAuthBeforeRouting(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := newClient(t, 0)
	var got []int
	for _, p := range []string{"/v1/agents", "/v1/batch-runs?agentId=agent_nope", "/v1/batch-runs"} {
		r, err := do(t, c, http.MethodPost, s.URL+p, "")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.status)
	}
	if diff := cmp.Diff([]int{401, 401, 401}, got); diff != "" {
		t.Errorf("statuses mismatch (-want +got):\n%s", diff)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		path  string
		query string
		want  map[string]any
	}{
		{"missing agentId", "/v1/batch-runs", "", map[string]any{"agentId": "must not be blank"}},
		{"blank agentId", "/v1/batch-runs", "agentId=%20%20", map[string]any{"agentId": "must not be blank"}},
		{"negative page", "/v1/batch-runs", "agentId=a&page=-1", map[string]any{"page": "must be greater than or equal to 0"}},
		{"page not a number", "/v1/batch-runs", "agentId=a&page=abc", map[string]any{"page": "must be a valid integer"}},
		{"page fraction", "/v1/batch-runs", "agentId=a&page=1.5", map[string]any{"page": "must be a valid integer"}},
		{"page beyond int32", "/v1/batch-runs", "agentId=a&page=2147483648", map[string]any{"page": "must be a valid integer"}},
		{"zero size", "/v1/batch-runs", "agentId=a&size=0", map[string]any{"size": "must be greater than or equal to 1"}},
		{"size not a number", "/v1/batch-runs", "agentId=a&size=ten", map[string]any{"size": "must be a valid integer"}},
		{"all at once", "/v1/batch-runs", "page=-3&size=-1", map[string]any{
			"agentId": "must not be blank",
			"page":    "must be greater than or equal to 0",
			"size":    "must be greater than or equal to 1",
		}},
		{"single batch without agentId", "/v1/batch-runs/b00", "", map[string]any{"agentId": "must not be blank"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			s.AddBatchRuns("a", runs(1)...)
			r := mustGet(t, newClient(t, 0), s.URL+tt.path+"?"+tt.query)
			want := sigmamind.ErrorBody{
				Timestamp:        "2026-05-05T10:06:43.879Z",
				Status:           400,
				Error:            "Bad Request",
				Message:          "Invalid request parameters",
				Path:             tt.path,
				ValidationErrors: tt.want,
			}
			if r.status != http.StatusBadRequest {
				t.Errorf("status = %d, want 400", r.status)
			}
			if diff := cmp.Diff(want, decode[sigmamind.ErrorBody](t, r.body)); diff != "" {
				t.Errorf("error body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNotFoundAndMethods(t *testing.T) {
	t.Parallel()
	hostile := "agent_\"}\n<x>\\"
	tests := []struct {
		name    string
		method  string
		path    string
		status  int
		message string
	}{
		{"unknown agent", "GET", "/v1/batch-runs?agentId=agent_nope", 404, "Agent not found: agent_nope"},
		{"hostile agent id stays JSON", "GET", "/v1/batch-runs?agentId=" + url.QueryEscape(hostile), 404, "Agent not found: " + hostile},
		{"unknown agent single batch", "GET", "/v1/batch-runs/b00?agentId=agent_nope", 404, "Agent not found: agent_nope"},
		{"unknown batch", "GET", "/v1/batch-runs/b99?agentId=" + agent, 404, "Batch run not found: b99"},
		{"unknown path", "GET", "/v1/agents", 404, "The requested resource was not found"},
		{"trailing slash", "GET", "/v1/batch-runs/?agentId=" + agent, 404, "The requested resource was not found"},
		{"nested path", "GET", "/v1/batch-runs/b00/runs?agentId=" + agent, 404, "The requested resource was not found"},
		// POST is the create (see create_test.go); PUT is no method of the list.
		{"put", "PUT", "/v1/batch-runs?agentId=" + agent, 405, "Request method 'PUT' is not supported"},
		{"post a batch", "POST", "/v1/batch-runs/b00?agentId=" + agent, 405, "Request method 'POST' is not supported"},
		{"post test cases", "POST", "/v1/test-cases?agentId=" + agent, 405, "Request method 'POST' is not supported"},
		{"delete batch", "DELETE", "/v1/batch-runs/b00?agentId=" + agent, 405, "Request method 'DELETE' is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			s.AddBatchRuns(agent, runs(1)...)
			r, err := do(t, newClient(t, 0), tt.method, s.URL+tt.path, sigmamindtest.DefaultAPIKey)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != tt.status {
				t.Errorf("status = %d, want %d", r.status, tt.status)
			}
			wantAllow := "GET"
			if tt.path == "/v1/batch-runs?agentId="+agent {
				wantAllow = "GET, POST"
			}
			if tt.status == 405 && r.header.Get("Allow") != wantAllow {
				t.Errorf("Allow = %q, want %q", r.header.Get("Allow"), wantAllow)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			got := decode[sigmamind.ErrorBody](t, r.body)
			want := sigmamind.ErrorBody{
				Timestamp: "2026-05-05T10:06:43.879Z",
				Status:    tt.status,
				Error:     http.StatusText(tt.status),
				Message:   tt.message,
				Path:      strings.SplitN(tt.path, "?", 2)[0],
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("error body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGetBatch(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	all := sigmamindtest.SampleRuns(fixedNow, agent, sigmamindtest.ScenarioFailing)
	s.AddBatchRuns(agent, all...)
	want := all[3]
	r := mustGet(t, newClient(t, 0), s.URL+"/v1/batch-runs/"+want.BatchID+"?agentId="+agent)
	if r.status != http.StatusOK {
		t.Fatalf("status = %d, body %s", r.status, r.body)
	}
	if diff := cmp.Diff(want, decode[sigmamind.BatchRun](t, r.body)); diff != "" {
		t.Errorf("batch mismatch (-want +got):\n%s", diff)
	}
}

func TestAddedRunsAreCopied(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rs := sigmamindtest.SampleRuns(fixedNow, agent, sigmamindtest.ScenarioPassing)[:1]
	s.AddBatchRuns(agent, rs...)
	rs[0].TestCases[0].Label = "changed"
	rs[0].Agent.Name = "changed"
	got := decode[sigmamind.BatchRun](t, mustGet(t, newClient(t, 0), s.URL+"/v1/batch-runs/"+rs[0].BatchID+"?agentId="+agent).body)
	if got.TestCases[0].Label == "changed" || got.Agent.Name == "changed" {
		t.Errorf("server shares memory with the caller: %+v", got)
	}
}

func TestFaultResponses(t *testing.T) {
	t.Parallel()
	httpDate := "Tue, 05 May 2026 10:07:00 GMT"
	tests := []struct {
		name       string
		fault      sigmamindtest.Fault
		key        string
		status     int
		retryAfter string
		ctype      string
		body       string // exact when set
		message    string // Spring message when body is empty
	}{
		{"503 with seconds", sigmamindtest.Fault{Status: 503, RetryAfter: "2"}, "k", 503, "2", "application/json", "", "Service Unavailable"},
		{"429 with date", sigmamindtest.Fault{Status: 429, RetryAfter: httpDate}, "k", 429, httpDate, "application/json", "", "Too Many Requests"},
		{"500 documented message", sigmamindtest.Fault{Status: 500}, "k", 500, "", "application/json", "", "Unexpected server error"},
		{"overrides 401", sigmamindtest.Fault{Status: 502}, "", 502, "", "application/json", "", "Bad Gateway"},
		{"raw body", sigmamindtest.Fault{Status: 502, Body: "<html>bad gateway</html>", ContentType: "text/html"}, "k", 502, "", "text/html", "<html>bad gateway</html>", ""},
		{"200 with garbage", sigmamindtest.Fault{Body: "{not json"}, "k", 200, "", "application/json", "{not json", ""},
		{"invalid status", sigmamindtest.Fault{Status: 42}, "k", 500, "", "application/json", "", "sigmamindtest: invalid fault status 42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, sigmamindtest.WithAPIKey("k"))
			s.AddAgent(agent)
			s.Fail(tt.fault)
			r, err := do(t, newClient(t, 0), http.MethodGet, listURL(s, agent, ""), tt.key)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{strconv.Itoa(r.status), r.header.Get("Retry-After"), r.header.Get("Content-Type")}
			want := []string{strconv.Itoa(tt.status), tt.retryAfter, tt.ctype}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("status, Retry-After, Content-Type mismatch (-want +got):\n%s", diff)
			}
			if tt.body != "" {
				if diff := cmp.Diff(tt.body, string(r.body)); diff != "" {
					t.Errorf("body mismatch (-want +got):\n%s", diff)
				}
				return
			}
			wantBody := sigmamind.ErrorBody{
				Timestamp: "2026-05-05T10:06:43.879Z",
				Status:    tt.status,
				Error:     http.StatusText(tt.status),
				Message:   tt.message,
				Path:      "/v1/batch-runs",
			}
			if diff := cmp.Diff(wantBody, decode[sigmamind.ErrorBody](t, r.body)); diff != "" {
				t.Errorf("error body mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFaultTimesFIFO(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddAgent(agent)
	s.Fail(
		sigmamindtest.Fault{Status: 503, Times: 2},
		sigmamindtest.Fault{Status: 429},
		sigmamindtest.Fault{}, // lets one request through
	)
	s.Fail(sigmamindtest.Fault{Status: 500, Times: -1})
	c := newClient(t, 0)
	var got []int
	for range 6 {
		got = append(got, mustGet(t, c, listURL(s, agent, "")).status)
	}
	want := []int{503, 503, 429, 200, 500, 200}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("statuses mismatch (-want +got):\n%s", diff)
	}
}

func TestFaultReset(t *testing.T) {
	t.Parallel()
	for _, warm := range []bool{false, true} {
		t.Run("warm="+strconv.FormatBool(warm), func(t *testing.T) {
			s := newServer(t)
			s.AddAgent(agent)
			c := newClient(t, 0)
			before := 0
			if warm {
				// A kept-alive connection would let Go's transport hide the
				// reset behind a silent retry.
				mustGet(t, c, listURL(s, agent, ""))
				before = 1
			}
			s.Fail(sigmamindtest.Fault{Reset: true})
			if r, err := do(t, c, http.MethodGet, listURL(s, agent, ""), sigmamindtest.DefaultAPIKey); err == nil {
				t.Fatalf("got status %d, want a transport error", r.status)
			}
			if r := mustGet(t, c, listURL(s, agent, "")); r.status != http.StatusOK {
				t.Errorf("after the reset: status = %d, want 200", r.status)
			}
			// Warm: the reset on the reused connection is not counted, the
			// transport's retry on a fresh one is, then the next request.
			want := 2 + before
			if got := len(s.Requests()) - before; got != want {
				t.Errorf("server saw %d requests after the fault, want %d", got, want)
			}
		})
	}
}

func TestFaultHang(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddAgent(agent)
	s.Fail(sigmamindtest.Fault{Hang: true, Status: 200})
	start := time.Now()
	_, err := do(t, newClient(t, 50*time.Millisecond), http.MethodGet, listURL(s, agent, ""), sigmamindtest.DefaultAPIKey)
	if err == nil {
		t.Fatal("hung request succeeded")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("client gave up after %v", d)
	}
	if r := mustGet(t, newClient(t, 0), listURL(s, agent, "")); r.status != http.StatusOK {
		t.Errorf("after the hang: status = %d", r.status)
	}
}

func TestFaultHangReleasedByClose(t *testing.T) {
	t.Parallel()
	s := sigmamindtest.NewServer()
	s.AddAgent(agent)
	s.Fail(sigmamindtest.Fault{Hang: true})
	errc := make(chan error, 1)
	go func() {
		_, err := do(t, newClient(t, 0), http.MethodGet, listURL(s, agent, ""), sigmamindtest.DefaultAPIKey)
		errc <- err
	}()
	waitRequests(t, s, 1)
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("hung request succeeded")
		}
	case <-time.After(time.Second):
		t.Fatal("Close did not release the hung request")
	}
	select {
	case <-closed:
	case <-time.After(time.Second):
		t.Fatal("Close blocked")
	}
}

func waitRequests(t *testing.T, s *sigmamindtest.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for len(s.Requests()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("server never saw %d requests", n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddAgent(agent)
	s.Fail(sigmamindtest.Fault{Delay: 20 * time.Millisecond})
	start := time.Now()
	if r := mustGet(t, newClient(t, 0), listURL(s, agent, "")); r.status != http.StatusOK {
		t.Errorf("status = %d, want the normal 200", r.status)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("answered after %v, want at least 20ms", d)
	}

	s.Fail(sigmamindtest.Fault{Delay: time.Minute, Status: 200})
	start = time.Now()
	if _, err := do(t, newClient(t, 50*time.Millisecond), http.MethodGet, listURL(s, agent, ""), sigmamindtest.DefaultAPIKey); err == nil {
		t.Error("delayed request beat a 50ms client timeout")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("delay did not stop with the client: %v", d)
	}
}

func TestFaultTruncate(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddBatchRuns(agent, sigmamindtest.SampleRuns(fixedNow, agent, sigmamindtest.ScenarioPassing)...)
	full := mustGet(t, newClient(t, 0), listURL(s, agent, "")).body
	s.Fail(sigmamindtest.Fault{Truncate: true, RetryAfter: "1"})
	r, err := do(t, newClient(t, 0), http.MethodGet, listURL(s, agent, ""), sigmamindtest.DefaultAPIKey)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error = %v, want unexpected EOF", err)
	}
	got := []string{strconv.Itoa(r.status), r.header.Get("Content-Length"), strconv.Itoa(len(r.body))}
	want := []string{"200", strconv.Itoa(len(full)), strconv.Itoa(len(full) / 2)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status, Content-Length, body length mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(string(full), string(r.body)) {
		t.Error("truncated body is not a prefix of the normal body")
	}
}

func TestPaginationModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		mode  sigmamindtest.PaginationMode
		query string
		want  pageMeta
	}{
		{"repeat ignores page", sigmamindtest.RepeatFirstPage, "page=1&size=2", pageMeta{0, 2, 3, 5, true, false, ids(0, 2)}},
		{"repeat past the end", sigmamindtest.RepeatFirstPage, "page=9&size=2", pageMeta{0, 2, 3, 5, true, false, ids(0, 2)}},
		{"endless last page", sigmamindtest.EndlessHasNext, "page=2&size=2", pageMeta{2, 2, 3, 5, true, true, ids(4, 5)}},
		{"endless past the end", sigmamindtest.EndlessHasNext, "page=7&size=2", pageMeta{7, 2, 3, 5, true, true, ids(0, 0)}},
		{"back to normal", sigmamindtest.Normal, "page=2&size=2", pageMeta{2, 2, 3, 5, false, true, ids(4, 5)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			s.AddBatchRuns(agent, runs(5)...)
			s.SetPagination(sigmamindtest.EndlessHasNext)
			s.SetPagination(tt.mode)
			got := meta(decode[sigmamind.Page[sigmamind.BatchRun]](t, mustGet(t, newClient(t, 0), listURL(s, agent, tt.query)).body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("page mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetBatchRun(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rs := runs(3)
	rs[0].TotalAttempts = 12
	s.AddBatchRuns(agent, rs...)
	c := newClient(t, 0)
	list := func() []sigmamind.BatchRun {
		return decode[sigmamind.Page[sigmamind.BatchRun]](t, mustGet(t, c, listURL(s, agent, "")).body).Data
	}
	if got := list()[0].TotalAttempts; got != 12 {
		t.Fatalf("before: totalAttempts = %d", got)
	}

	done := rs[0]
	done.TotalAttempts, done.SuccessfulAttempts = 30, 29
	s.SetBatchRun(agent, done)
	fresh := sigmamind.BatchRun{BatchID: "fresh", CreatedDate: fixedNow.Add(time.Minute)}
	s.SetBatchRun(agent, fresh)
	s.SetBatchRun("agent_new", fresh)

	got := list()
	want := []sigmamind.BatchRun{fresh, done, rs[1], rs[2]}
	for i := range want {
		// A run that names no agent is listed as the agent's.
		want[i].Agent = &sigmamind.Agent{AgentID: agent}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("runs mismatch (-want +got):\n%s", diff)
	}
	if r := mustGet(t, c, listURL(s, "agent_new", "")); r.status != http.StatusOK {
		t.Errorf("SetBatchRun did not register a new agent: %d", r.status)
	}
}

func TestListAsGiven(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddBatchRuns(agent, runs(2)...)
	rs := runs(4)
	rs[3].Agent = &sigmamind.Agent{Name: "other", AgentID: "agent_other"}
	s.ListAsGiven(agent, rs[2], rs[0], rs[3], rs[0])
	c := newClient(t, 0)
	list := func() []string {
		var out []string
		for _, r := range decode[sigmamind.Page[sigmamind.BatchRun]](t, mustGet(t, c, listURL(s, agent, "")).body).Data {
			out = append(out, r.BatchID+" "+r.Agent.AgentID)
		}
		return out
	}
	// As given, duplicates and another agent's run included.
	if diff := cmp.Diff([]string{"b02 " + agent, "b00 " + agent, "b03 agent_other", "b00 " + agent}, list()); diff != "" {
		t.Errorf("runs mismatch (-want +got):\n%s", diff)
	}
	s.AddBatchRuns(agent, runs(2)[1])
	if diff := cmp.Diff([]string{"b00 " + agent, "b00 " + agent, "b01 " + agent, "b02 " + agent, "b03 agent_other"}, list()); diff != "" {
		t.Errorf("after AddBatchRuns: runs mismatch (-want +got):\n%s", diff)
	}
}

func TestRequests(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddAgent(agent)
	c := newClient(t, 0)
	mustGet(t, c, listURL(s, agent, "page=1&size=5"))
	s.Fail(sigmamindtest.Fault{Status: 503})
	if _, err := do(t, c, http.MethodPost, s.URL+"/v1/batch-runs/x?agentId=a&agentId=b", ""); err != nil {
		t.Fatal(err)
	}

	type rec struct {
		Method, Path string
		Query        url.Values
		Key          string
	}
	var got []rec
	for _, r := range s.Requests() {
		got = append(got, rec{r.Method, r.Path, r.Query, r.Header.Get("X-API-Key")})
	}
	want := []rec{
		{"GET", "/v1/batch-runs", url.Values{"agentId": {agent}, "page": {"1"}, "size": {"5"}}, "test-key"},
		{"POST", "/v1/batch-runs/x", url.Values{"agentId": {"a", "b"}}, ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("requests mismatch (-want +got):\n%s", diff)
	}

	first := s.Requests()
	first[0].Query.Set("page", "changed")
	first[0].Header.Set("X-API-Key", "changed")
	again := s.Requests()
	if again[0].Query.Get("page") != "1" || again[0].Header.Get("X-API-Key") != "test-key" {
		t.Error("Requests returned shared maps")
	}
}

func TestNewHandler(t *testing.T) {
	t.Parallel()
	s := sigmamindtest.NewHandler()
	if s.URL != "" {
		t.Errorf("URL = %q, want empty", s.URL)
	}
	s.AddBatchRuns(agent, runs(2)...)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer s.Close()
	r := mustGet(t, newClient(t, 0), ts.URL+"/v1/batch-runs?agentId="+agent)
	if got := meta(decode[sigmamind.Page[sigmamind.BatchRun]](t, r.body)).IDs; !cmp.Equal(ids(0, 2), got) {
		t.Errorf("ids = %v", got)
	}
	s.Close() // twice is fine
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	s := newServer(t, sigmamindtest.WithMaxPageSize(3))
	s.AddBatchRuns(agent, sigmamindtest.SampleRuns(fixedNow, agent, sigmamindtest.ScenarioRunning)...)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c := newClient(t, 0)
	errc := make(chan error, 8)
	for i := range 8 {
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", listURL(s, agent, "page="+strconv.Itoa(i%4)), nil)
			req.Header.Set("X-API-Key", sigmamindtest.DefaultAPIKey)
			resp, err := c.Do(req)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			errc <- err
		}()
		run := sigmamindtest.SampleRuns(fixedNow, agent, sigmamindtest.ScenarioRunning)[0]
		run.TotalAttempts = int64(20 + i)
		s.SetBatchRun(agent, run)
		s.Fail(sigmamindtest.Fault{})
		_ = s.Requests()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
}
