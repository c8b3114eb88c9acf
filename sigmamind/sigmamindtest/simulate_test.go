package sigmamindtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

func tc(i int, attempts int64) sigmamind.TestCase {
	return sigmamind.TestCase{TestCaseID: fmt.Sprintf("tc_%d", i), Label: fmt.Sprintf("case %d", i), WorkspaceID: "org_W", Attempt: attempts}
}

// post sends a create with body, as JSON unless contentType says otherwise.
func post(t *testing.T, s *sigmamindtest.Server, body, contentType, key string) (reply, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/batch-runs", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType == "" {
		contentType = "application/json"
	}
	req.Header.Set("Content-Type", contentType)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	resp, err := newClient(t, 0).Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b.Bytes()}, err
}

func mustPost(t *testing.T, s *sigmamindtest.Server, body string) reply {
	t.Helper()
	r, err := post(t, s, body, "", sigmamindtest.DefaultAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func batchURL(s *sigmamindtest.Server, id string) string {
	return s.URL + "/v1/batch-runs/" + url.PathEscape(id) + "?agentId=" + agent
}

type created struct {
	BatchID     string           `json:"batchId"`
	WorkspaceID string           `json:"workspaceId"`
	Agent       *sigmamind.Agent `json:"agent"`
	CreatedDate time.Time        `json:"createdDate"`
}

func TestCreate(t *testing.T) {
	t.Parallel()
	for _, status := range []int{201, 200} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			s := newServer(t, sigmamindtest.WithCreatedStatus(status))
			s.AddBatchRuns(agent, runs(2)...)
			s.AddTestCases(agent, tc(1, 5), tc(2, 3), tc(3, 1))
			r := mustPost(t, s, `{"agentId":"agent_T","testCases":["tc_3","tc_1"]}`)
			if r.status != status {
				t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
			}
			got := decode[created](t, r.body)
			if !strings.HasPrefix(got.BatchID, "batch_") {
				t.Errorf("batchId %q", got.BatchID)
			}
			want := created{BatchID: got.BatchID, WorkspaceID: "org_W", Agent: &sigmamind.Agent{AgentID: agent}, CreatedDate: fixedNow.Truncate(time.Millisecond)}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("answer mismatch (-want +got):\n%s", diff)
			}
			// Newest first, with the test cases asked for, nothing run yet.
			page := decode[sigmamind.Page[sigmamind.BatchRun]](t, mustGet(t, newClient(t, 0), listURL(s, agent, "")).body)
			if diff := cmp.Diff([]string{got.BatchID, "b00", "b01"}, meta(page).IDs); diff != "" {
				t.Errorf("listing mismatch (-want +got):\n%s", diff)
			}
			b := page.Data[0]
			wantRun := sigmamind.BatchRun{BatchID: got.BatchID, WorkspaceID: "org_W", Agent: &sigmamind.Agent{AgentID: agent}, CreatedDate: want.CreatedDate,
				TestCases: []sigmamind.TestCase{tc(3, 1), tc(1, 5)}}
			wantRun.TestCases[0].Agent, wantRun.TestCases[1].Agent = &sigmamind.Agent{AgentID: agent}, &sigmamind.Agent{AgentID: agent}
			if diff := cmp.Diff(wantRun, b); diff != "" {
				t.Errorf("batch run mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		body        string
		contentType string
		key         string // "": the right one
		status      int
		message     string
		invalid     map[string]any
	}{
		{name: "unknown test case", body: `{"agentId":"agent_T","testCases":["tc_1","tc_9"]}`, status: 400,
			message: "Test case not found: tc_9", invalid: map[string]any{"testCases[1]": "no test case tc_9 for agent agent_T"}},
		{name: "another agent's test case", body: `{"agentId":"agent_T","testCases":["tc_7"]}`, status: 400,
			message: "Test case not found: tc_7", invalid: map[string]any{"testCases[0]": "no test case tc_7 for agent agent_T"}},
		{name: "no test cases", body: `{"agentId":"agent_T","testCases":[]}`, status: 400,
			message: "Invalid request parameters", invalid: map[string]any{"testCases": "must not be empty"}},
		{name: "blank agent", body: `{"agentId":" ","testCases":["tc_1"]}`, status: 400,
			message: "Invalid request parameters", invalid: map[string]any{"agentId": "must not be blank"}},
		{name: "nothing", body: `{}`, status: 400,
			message: "Invalid request parameters", invalid: map[string]any{"agentId": "must not be blank", "testCases": "must not be empty"}},
		{name: "malformed", body: `{"agentId":`, status: 400, message: "Malformed JSON request"},
		{name: "unknown agent", body: `{"agentId":"agent_nope","testCases":["tc_1"]}`, status: 404, message: "Agent not found: agent_nope"},
		{name: "not JSON", body: `agentId=agent_T`, contentType: "application/x-www-form-urlencoded", status: 415,
			message: "Content-Type 'application/x-www-form-urlencoded' is not supported"},
		{name: "wrong key", body: `{"agentId":"agent_T","testCases":["tc_1"]}`, key: "nope", status: 401, message: "X-API-Key is missing or invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.AddTestCases(agent, tc(1, 5))
			s.AddTestCases("agent_U", tc(7, 5))
			key := tt.key
			if key == "" {
				key = sigmamindtest.DefaultAPIKey
			}
			r, err := post(t, s, tt.body, tt.contentType, key)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != tt.status {
				t.Errorf("status %d, want %d", r.status, tt.status)
			}
			want := sigmamind.ErrorBody{Timestamp: "2026-05-05T10:06:43.879Z", Status: tt.status, Error: http.StatusText(tt.status),
				Message: tt.message, Path: "/v1/batch-runs", ValidationErrors: tt.invalid}
			if diff := cmp.Diff(want, decode[sigmamind.ErrorBody](t, r.body)); diff != "" {
				t.Errorf("error body mismatch (-want +got):\n%s", diff)
			}
			if n := len(s.BatchRunsOf(agent)); n != 0 {
				t.Errorf("%d batch runs were created", n)
			}
		})
	}
}

// TestFaultProcess: a fault answers instead of the server, so that nothing
// happens; with Process it answers after the request took effect.
func TestFaultProcess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		fault   sigmamindtest.Fault
		wantErr bool // a transport error rather than an answer
		status  int
		runs    int
	}{
		{name: "503 before creation", fault: sigmamindtest.Fault{Status: 503}, status: 503},
		{name: "503 after creation", fault: sigmamindtest.Fault{Status: 503, Process: true}, status: 503, runs: 1},
		{name: "reset before creation", fault: sigmamindtest.Fault{Reset: true}, wantErr: true},
		{name: "reset after creation", fault: sigmamindtest.Fault{Reset: true, Process: true}, wantErr: true, runs: 1},
		{name: "truncated after creation", fault: sigmamindtest.Fault{Truncate: true, Process: true}, wantErr: true, runs: 1},
		{name: "delayed after creation", fault: sigmamindtest.Fault{Delay: time.Millisecond, Process: true}, status: 201, runs: 1},
		{name: "a spacer", fault: sigmamindtest.Fault{}, status: 201, runs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.AddTestCases(agent, tc(1, 5))
			s.Fail(tt.fault)
			r, err := post(t, s, `{"agentId":"agent_T","testCases":["tc_1"]}`, "", sigmamindtest.DefaultAPIKey)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want one: %v", err, tt.wantErr)
			}
			if !tt.wantErr && r.status != tt.status {
				t.Errorf("status %d, want %d", r.status, tt.status)
			}
			if n := len(s.BatchRunsOf(agent)); n != tt.runs {
				t.Errorf("%d batch runs, want %d", n, tt.runs)
			}
			if n := len(s.Requests()); n != 1 {
				t.Errorf("%d requests, want 1: a POST is not sent again by net/http", n)
			}
		})
	}
}

// counts reads a batch run through the API, which moves it on a tick.
func counts(t *testing.T, s *sigmamindtest.Server, c *http.Client, id string) [3]int64 {
	t.Helper()
	r := mustGet(t, c, batchURL(s, id))
	if r.status != 200 {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	b := decode[sigmamind.BatchRun](t, r.body)
	return [3]int64{b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts}
}

func start(t *testing.T, s *sigmamindtest.Server, ids ...string) string {
	t.Helper()
	b, err := s.StartBatchRun(agent, ids...)
	if err != nil {
		t.Fatal(err)
	}
	return b.BatchID
}

func TestSimulation(t *testing.T) {
	t.Parallel()
	// 12 attempts: 3 test cases of 4.
	tests := []struct {
		name string
		sim  sigmamindtest.Simulation
		want [][3]int64 // successful, failed, total after each read
	}{
		{name: "all succeed, 10 a tick", want: [][3]int64{{10, 0, 10}, {12, 0, 12}, {12, 0, 12}}},
		{name: "all fail, 5 a tick", sim: sigmamindtest.Simulation{FailureRate: 1, PerTick: 5}, want: [][3]int64{{0, 5, 5}, {0, 10, 10}, {0, 12, 12}, {0, 12, 12}}},
		{name: "none judged", sim: sigmamindtest.Simulation{UndecidedRate: 1, PerTick: 12}, want: [][3]int64{{0, 0, 12}, {0, 0, 12}}},
		{name: "finished at once", sim: sigmamindtest.Simulation{PerTick: 100}, want: [][3]int64{{12, 0, 12}}},
		{name: "stalls after 7", sim: sigmamindtest.Simulation{PerTick: 5, Stall: true, StallAfter: 7}, want: [][3]int64{{5, 0, 5}, {7, 0, 7}, {7, 0, 7}, {7, 0, 7}}},
		{name: "stalls at once", sim: sigmamindtest.Simulation{Stall: true}, want: [][3]int64{{0, 0, 0}, {0, 0, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t)
			s.AddTestCases(agent, tc(1, 4), tc(2, 4), tc(3, 4))
			s.SetSimulation(agent, tt.sim)
			id := start(t, s, "tc_1", "tc_2", "tc_3")
			c := newClient(t, 0)
			var got [][3]int64
			for range tt.want {
				got = append(got, counts(t, s, c, id))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("progress mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSimulationIsSeeded: the same seed and requests give the same batch
// ids and outcomes; another seed others. The rate is what was asked.
func TestSimulationIsSeeded(t *testing.T) {
	t.Parallel()
	outcome := func(seed uint64) (string, [3]int64) {
		s := newServer(t, sigmamindtest.WithSeed(seed))
		s.AddTestCases(agent, tc(1, 10000))
		s.SetSimulation(agent, sigmamindtest.Simulation{FailureRate: 0.3, UndecidedRate: 0.1, PerTick: 10000})
		id := start(t, s, "tc_1")
		return id, counts(t, s, newClient(t, 0), id)
	}
	id1, c1 := outcome(1)
	id1again, c1again := outcome(1)
	id2, c2 := outcome(2)
	if id1 != id1again || c1 != c1again {
		t.Errorf("seed 1 gave %s %v, then %s %v", id1, c1, id1again, c1again)
	}
	if id1 == id2 || c1 == c2 {
		t.Errorf("seeds 1 and 2 both gave %s %v", id1, c1)
	}
	for _, c := range [][3]int64{c1, c2} {
		failed, undecided := float64(c[1])/1e4, float64(c[2]-c[0]-c[1])/1e4
		if c[2] != 10000 || failed < 0.28 || failed > 0.32 || undecided < 0.08 || undecided > 0.12 {
			t.Errorf("counts %v: failed %.3f, undecided %.3f of 10000; want about 0.3 and 0.1", c, failed, undecided)
		}
	}
}

// TestTick: Tick moves every simulated batch run on, as a read does; the
// listing does not, so that listings compare what was started.
func TestTick(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddTestCases(agent, tc(1, 10))
	s.SetSimulation(agent, sigmamindtest.Simulation{PerTick: 4})
	a, b := start(t, s, "tc_1"), start(t, s, "tc_1")
	total := func() map[string]int64 {
		out := map[string]int64{}
		page := decode[sigmamind.Page[sigmamind.BatchRun]](t, mustGet(t, newClient(t, 0), listURL(s, agent, "")).body)
		for _, r := range page.Data {
			out[r.BatchID] = r.TotalAttempts
		}
		return out
	}
	if diff := cmp.Diff(map[string]int64{a: 0, b: 0}, total()); diff != "" {
		t.Errorf("listing moved batch runs on (-want +got):\n%s", diff)
	}
	s.Tick()
	s.Tick()
	if diff := cmp.Diff(map[string]int64{a: 8, b: 8}, total()); diff != "" {
		t.Errorf("after two ticks (-want +got):\n%s", diff)
	}
}

func TestStartBatchRunRefuses(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddTestCases(agent, tc(1, 5))
	for _, tt := range []struct {
		agentID string
		ids     []string
		wantErr string
	}{
		{"agent_nope", []string{"tc_1"}, `agent "agent_nope" is not known`},
		{agent, nil, "no test case ids"},
		{agent, []string{"tc_1", "tc_2"}, `agent "agent_T" has no test case "tc_2"`},
	} {
		if _, err := s.StartBatchRun(tt.agentID, tt.ids...); err == nil || err.Error() != tt.wantErr {
			t.Errorf("StartBatchRun(%q, %q): %v, want %q", tt.agentID, tt.ids, err, tt.wantErr)
		}
	}
	if n := len(s.BatchRunsOf(agent)); n != 0 {
		t.Errorf("%d batch runs", n)
	}
}

func TestTestCaseListing(t *testing.T) {
	t.Parallel()
	own := func(tcs ...sigmamind.TestCase) []sigmamind.TestCase {
		for i := range tcs {
			tcs[i].Agent = &sigmamind.Agent{AgentID: agent}
		}
		return tcs
	}
	tests := []struct {
		name    string
		listing sigmamindtest.TestCaseListing
		maxSize int
		query   string
		status  int
		body    string
	}{
		{name: "bare", query: "agentId=agent_T&page=1&size=1", status: 200, body: mustJSON(t, own(tc(1, 5), tc(2, 3), tc(3, 1)))},
		{name: "bare, none", query: "agentId=agent_E", status: 200, body: `[]`},
		{name: "paged", listing: sigmamindtest.PagedList, query: "agentId=agent_T&page=1&size=2", status: 200,
			body: mustJSON(t, sigmamind.Page[sigmamind.TestCase]{Data: own(tc(3, 1)), Page: 1, Size: 2, TotalCount: 3, TotalPages: 2, HasPrevious: true})},
		{name: "paged, clamped", listing: sigmamindtest.PagedList, maxSize: 2, query: "agentId=agent_T&size=100", status: 200,
			body: mustJSON(t, sigmamind.Page[sigmamind.TestCase]{Data: own(tc(1, 5), tc(2, 3)), Size: 2, TotalCount: 3, TotalPages: 2, HasNext: true})},
		{name: "paged, none", listing: sigmamindtest.PagedList, query: "agentId=agent_E", status: 200,
			body: mustJSON(t, sigmamind.Page[sigmamind.TestCase]{Data: []sigmamind.TestCase{}, Size: 10})},
		{name: "paged, bad size", listing: sigmamindtest.PagedList, query: "agentId=agent_T&size=0", status: 400},
		{name: "unknown agent", query: "agentId=agent_nope", status: 404},
		{name: "no agent", query: "", status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newServer(t, sigmamindtest.WithMaxPageSize(tt.maxSize))
			s.AddTestCases(agent, tc(1, 5), tc(2, 3), tc(3, 1))
			s.AddTestCases("agent_E")
			s.SetTestCaseListing(tt.listing)
			r := mustGet(t, newClient(t, 0), s.URL+"/v1/test-cases?"+tt.query)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if tt.body != "" {
				if diff := cmp.Diff(tt.body, string(r.body)); diff != "" {
					t.Errorf("body mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOnRequest: the hook sees each request, body included, before it
// takes effect, so that a test can act "meanwhile".
func TestOnRequest(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddTestCases(agent, tc(1, 5))
	var mu sync.Mutex
	var seen []string
	s.OnRequest(func(r sigmamindtest.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s %s %s runs=%d", r.Method, r.Path, r.Body, len(s.BatchRunsOf(agent))))
	})
	mustPost(t, s, `{"agentId":"agent_T","testCases":["tc_1"]}`)
	mustGet(t, newClient(t, 0), listURL(s, agent, ""))
	want := []string{`POST /v1/batch-runs {"agentId":"agent_T","testCases":["tc_1"]} runs=0`, `GET /v1/batch-runs  runs=1`}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("hook calls mismatch (-want +got):\n%s", diff)
	}
	if got := s.Requests()[0].Body; string(got) != `{"agentId":"agent_T","testCases":["tc_1"]}` {
		t.Errorf("recorded body %q", got)
	}
}

// TestSampleTestCases: the sample agents' test cases are those of their
// sample batch runs, so that starting "all" of them reads like the history.
func TestSampleTestCases(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.SeedSamples(fixedNow)
	for _, id := range []string{"agent_demo_pass", "agent_demo_fail", "agent_demo_running", sigmamindtest.SampleAgentID} {
		r := mustGet(t, newClient(t, 0), s.URL+"/v1/test-cases?agentId="+id)
		got := decode[[]sigmamind.TestCase](t, r.body)
		if diff := cmp.Diff(sigmamindtest.SampleRuns(fixedNow, id, sigmamindtest.ScenarioPassing)[0].TestCases, got); diff != "" {
			t.Errorf("%s: test cases mismatch (-runs +list):\n%s", id, diff)
		}
		var ids []string
		for _, tc := range got {
			ids = append(ids, tc.TestCaseID)
		}
		b, err := s.StartBatchRun(id, ids...)
		if err != nil {
			t.Fatal(err)
		}
		if b.ExpectedAttempts() != 30 || !slices.Equal(ids, func() []string {
			var out []string
			for _, tc := range b.TestCases {
				out = append(out, tc.TestCaseID)
			}
			return out
		}()) {
			t.Errorf("%s: started %+v", id, b)
		}
	}
}
