package sigmamind_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// testCase is test case i of the agent, as the fake serves it.
func testCase(i int) sigmamind.TestCase {
	return sigmamind.TestCase{
		TestCaseID:      fmt.Sprintf("tc_%03d", i),
		Label:           fmt.Sprintf("scenario %d", i),
		Agent:           &sigmamind.Agent{Name: "Support", AgentID: agent, Status: "Live"},
		WorkspaceID:     "org_W",
		LLMModel:        "gpt-4o-mini",
		MockData:        []sigmamind.MockData{{VariableName: "customer_name", Value: "Ann"}},
		UserPrompt:      "You want a refund.",
		Attempt:         int64(1 + i%5),
		SuccessCriteria: "The agent refunds.",
	}
}

func testCases(from, to int) []sigmamind.TestCase {
	out := []sigmamind.TestCase{}
	for i := from; i < to; i++ {
		out = append(out, testCase(i))
	}
	return out
}

func TestTestCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		n         int
		listing   sigmamindtest.TestCaseListing
		maxPage   int
		wantPages []string // the page parameter of each request
	}{
		{name: "bare list", n: 6, listing: sigmamindtest.BareList, wantPages: []string{"0"}},
		{name: "bare empty list", n: 0, listing: sigmamindtest.BareList, wantPages: []string{"0"}},
		{name: "paginated, one page", n: 6, listing: sigmamindtest.PagedList, wantPages: []string{"0"}},
		{name: "paginated, pages of 10", n: 25, listing: sigmamindtest.PagedList, maxPage: 10, wantPages: []string{"0", "1", "2"}},
		{name: "paginated, empty", n: 0, listing: sigmamindtest.PagedList, wantPages: []string{"0"}},
		{name: "bare list longer than a page", n: 250, listing: sigmamindtest.BareList, wantPages: []string{"0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, sigmamindtest.WithMaxPageSize(tt.maxPage))
			srv.AddAgent(agent)
			srv.AddTestCases(agent, testCases(0, tt.n)...)
			srv.AddTestCases("agent_other", testCase(99))
			srv.SetTestCaseListing(tt.listing)
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			got, err := c.TestCases(t.Context(), agent)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(testCases(0, tt.n), got); diff != "" {
				t.Errorf("test cases mismatch (-want +got):\n%s", diff)
			}
			var pages []string
			for _, r := range srv.Requests() {
				if r.Path != "/v1/test-cases" || r.Query.Get("agentId") != agent || r.Query.Get("size") != "100" {
					t.Errorf("request %s %s?%s", r.Method, r.Path, r.Query.Encode())
				}
				pages = append(pages, r.Query.Get("page"))
			}
			if diff := cmp.Diff(tt.wantPages, pages); diff != "" {
				t.Errorf("pages requested mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// testCasesBody is a JSON list of test cases, edited as text.
func testCasesBody(t *testing.T, tcs []sigmamind.TestCase, edit func(string) string) string {
	t.Helper()
	b, err := json.Marshal(tcs)
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return string(b)
	}
	return edit(string(b))
}

func paged(body string, hasNext bool) string {
	return fmt.Sprintf(`{"data":%s,"page":0,"size":100,"hasNext":%v}`, body, hasNext)
}

// TestTestCasesHostile: a list that the gate would start "all" of must be
// read whole and be the agent's, or it is not used at all.
func TestTestCasesHostile(t *testing.T) {
	t.Parallel()
	two := testCases(0, 2)
	tests := []struct {
		name    string
		answers []string // bodies of 200 answers, in order
		wantErr string
		wantRow [2]int // page, row of a *DataError; zero for another error
	}{
		{name: "a case variant of testCaseId",
			answers: []string{testCasesBody(t, two, func(s string) string {
				return strings.Replace(s, `"label":"scenario 1"`, `"label":"scenario 1","TestCaseId":"tc_evil"`, 1)
			})},
			wantErr: `test case "tc_001" has impossible data: the test case has the key "TestCaseId", which is testCaseId in another case: refused, so that it cannot stand for testCaseId`,
			wantRow: [2]int{0, 2}},
		{name: "testCaseId twice",
			answers: []string{testCasesBody(t, two, func(s string) string {
				return strings.Replace(s, `"label":"scenario 0"`, `"label":"scenario 0","testCaseId":"tc_evil"`, 1)
			})},
			wantErr: `test case "tc_000" has impossible data: the test case has the key testCaseId twice`,
			wantRow: [2]int{0, 1}},
		{name: "another agent's",
			answers: []string{testCasesBody(t, two, func(s string) string {
				return strings.Replace(s, `"agentId":"agent_T"`, `"agentId":"agent_U"`, 1)
			})},
			wantErr: `test case "tc_000" has impossible data: it is a test case of agent "agent_U", not of agent-id`,
			wantRow: [2]int{0, 1}},
		{name: "no id",
			answers: []string{testCasesBody(t, two, func(s string) string { return strings.Replace(s, `"testCaseId":"tc_001",`, ``, 1) })},
			wantErr: `test case "" has impossible data: testCaseId is missing or empty`,
			wantRow: [2]int{0, 2}},
		{name: "a null test case",
			answers: []string{`[null]`},
			wantErr: `test case "" has impossible data: the test case is null, want an object`,
			wantRow: [2]int{0, 1}},
		{name: "a negative attempt count",
			answers: []string{testCasesBody(t, two, func(s string) string { return strings.Replace(s, `"attempt":1`, `"attempt":-1`, 1) })},
			wantErr: `test case "tc_000" has impossible data: test case "tc_000" has a negative attempt count -1`,
			wantRow: [2]int{0, 1}},
		{name: "a fractional attempt count",
			answers: []string{testCasesBody(t, two, func(s string) string { return strings.Replace(s, `"attempt":2`, `"attempt":2.5`, 1) })},
			wantErr: `test case "tc_001" has impossible data: attempt is 2.5, want an integer`,
			wantRow: [2]int{0, 2}},
		{name: "too many attempts",
			answers: []string{testCasesBody(t, two, func(s string) string { return strings.Replace(s, `"attempt":2`, `"attempt":1000000000001`, 1) })},
			wantErr: `test case "tc_001" has impossible data: attempt 1000000000001 is more than a test case can have (1000000000000)`,
			wantRow: [2]int{0, 2}},
		{name: "an id with a line break",
			answers: []string{testCasesBody(t, two, func(s string) string { return strings.Replace(s, `"tc_001"`, `"tc_001\n::error::x"`, 1) })},
			wantErr: "test case \"tc_001\\n::error::x\" has impossible data: testCaseId contains a control character",
			wantRow: [2]int{0, 2}},
		{name: "listed twice with other attempts",
			answers: []string{paged(testCasesBody(t, two, nil), true),
				paged(testCasesBody(t, []sigmamind.TestCase{testCase(2), func() sigmamind.TestCase { tc := testCase(1); tc.Attempt = 9; return tc }()}, nil), false)},
			wantErr: `test case "tc_001" has impossible data: it is listed twice with different attempt counts (2, then 9)`,
			wantRow: [2]int{1, 2}},
		{name: "null",
			answers: []string{`null`},
			wantErr: `GET /v1/test-cases: the response is neither a list of test cases nor a page of them (body: "null")`},
		{name: "a gateway's message",
			answers: []string{`{"message":"ok"}`},
			wantErr: `GET /v1/test-cases: the response has no data list: it is not a test case page (body: "{\"message\":\"ok\"}")`},
		{name: "a bare list after a page",
			answers: []string{paged(testCasesBody(t, two, nil), true), testCasesBody(t, testCases(2, 3), nil)},
			wantErr: `GET /v1/test-cases: page 1 of the test cases is a bare list, page 0 was a paginated one: the answers contradict each other`},
		{name: "a page larger than asked for",
			answers: []string{paged(testCasesBody(t, testCases(0, 101), nil), false)},
			wantErr: `GET /v1/test-cases: the page has more than 100 test cases: the gate does not read it`},
		{name: "a bare list beyond the bound",
			answers: []string{"[" + strings.Repeat(`{"testCaseId":"t"},`, sigmamind.MaxAgentTestCases) + `{"testCaseId":"t"}]`},
			wantErr: `GET /v1/test-cases: the list has more than 10000 test cases: the gate does not read it`},
		{name: "broken JSON",
			answers: []string{testCasesBody(t, two, nil)[:40]},
			wantErr: `GET /v1/test-cases: the response is not valid JSON: the body ends inside a string at byte 40`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			for _, body := range tt.answers {
				srv.Fail(sigmamindtest.Fault{Status: 200, Body: body})
			}
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			got, err := c.TestCases(t.Context(), agent)
			if got != nil {
				t.Errorf("got test cases %v with error %v", got, err)
			}
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if len(msg) > len(tt.wantErr) && strings.HasPrefix(tt.wantErr, "GET") && !strings.Contains(tt.wantErr, "(body") {
				msg, _, _ = strings.Cut(msg, " (body: ")
			}
			if diff := cmp.Diff(tt.wantErr, msg); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			var de *sigmamind.DataError
			var re *sigmamind.ResponseError
			switch {
			case tt.wantRow != [2]int{}:
				if !errors.As(err, &de) || !de.TestCase {
					t.Fatalf("got %T, want a test case's *DataError", err)
				}
				if got := [2]int{de.Page, de.Row}; got != tt.wantRow {
					t.Errorf("page, row = %v, want %v", got, tt.wantRow)
				}
			case !errors.As(err, &re):
				t.Errorf("got %T, want a *ResponseError", err)
			}
		})
	}
}

// TestTestCasesDuplicates: pages shift when a test case is added while they
// are read; one listed again is kept once.
func TestTestCasesDuplicates(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.Fail(
		sigmamindtest.Fault{Status: 200, Body: paged(testCasesBody(t, testCases(0, 2), nil), true)},
		sigmamindtest.Fault{Status: 200, Body: paged(testCasesBody(t, testCases(1, 3), nil), false)},
	)
	c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
	got, err := c.TestCases(t.Context(), agent)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(testCases(0, 3), got); diff != "" {
		t.Errorf("test cases mismatch (-want +got):\n%s", diff)
	}
}

// TestTestCasesBrokenPagination: pages that never end or never advance
// stop the listing, as they stop the batch runs'.
func TestTestCasesBrokenPagination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode      sigmamindtest.PaginationMode
		wantErr   string
		wantPages int
	}{
		{sigmamindtest.RepeatFirstPage, "GET /v1/test-cases: pages 1 to 3 brought no new test case though hasNext is true: the listing is not advancing", 4},
		{sigmamindtest.EndlessHasNext, "GET /v1/test-cases: pages 1 to 3 brought no new test case though hasNext is true: the listing is not advancing", 4},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.mode), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, sigmamindtest.WithMaxPageSize(5))
			srv.AddTestCases(agent, testCases(0, 5)...)
			srv.SetTestCaseListing(sigmamindtest.PagedList)
			srv.SetPagination(tt.mode)
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			_, err := c.TestCases(t.Context(), agent)
			var re *sigmamind.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("got %v, want a *ResponseError", err)
			}
			if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if n := len(srv.Requests()); n != tt.wantPages {
				t.Errorf("got %d requests, want %d", n, tt.wantPages)
			}
		})
	}
}

func TestTestCasesUnknownAgent(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
	_, err := c.TestCases(t.Context(), "agent_nobody")
	var ae *sigmamind.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 404 {
		t.Fatalf("got %v, want a 404 *APIError", err)
	}
	if want := "GET /v1/test-cases: 404 Not Found: Agent not found: agent_nobody"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

// TestTestCasesKeptBudget: texts are kept within one budget for the whole
// list, over pages; beyond it a test case keeps its id, attempts and
// agent, which a create and a count need.
func TestTestCasesKeptBudget(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("sends 20 MB")
	}
	// Distinct texts, so that none is shared: 4 of 4096 runes a test case,
	// 16 KiB; the 16 MiB budget is spent after about 1000.
	const n = 1200
	text := func(i, j int) string { return fmt.Sprintf("%04d-%d", i, j) + strings.Repeat("x", 4090) }
	tcs := make([]sigmamind.TestCase, n)
	for i := range tcs {
		tcs[i] = sigmamind.TestCase{TestCaseID: fmt.Sprintf("tc_%04d", i), Label: text(i, 0), UserPrompt: text(i, 1),
			SuccessCriteria: text(i, 2), LLMModel: text(i, 3), Attempt: 5, Agent: &sigmamind.Agent{AgentID: agent, Name: "Support"}}
	}
	// Over pages, so that the budget must be carried from one to the next.
	srv := newServer(t, sigmamindtest.WithMaxPageSize(100))
	srv.AddTestCases(agent, tcs...)
	srv.SetTestCaseListing(sigmamindtest.PagedList)
	c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
	got, err := c.TestCases(t.Context(), agent)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("got %d test cases, want %d", len(got), n)
	}
	whole := 0
	for i, tc := range got {
		if tc.TestCaseID != tcs[i].TestCaseID || tc.Attempt != 5 || tc.Agent == nil || tc.Agent.AgentID != agent {
			t.Fatalf("test case %d lost what a create needs: %+v", i, tc)
		}
		if tc.Label != "" {
			if whole != i {
				t.Fatalf("test case %d is whole after a lean one", i)
			}
			whole++
		}
	}
	if whole < 900 || whole > 1024 {
		t.Errorf("%d test cases kept whole, want about 1000 (16 MiB of texts)", whole)
	}
}

// TestTestCasesEchoedKey: the key is gone from what the list returns.
func TestTestCasesEchoedKey(t *testing.T) {
	t.Parallel()
	tc := testCase(0)
	tc.UserPrompt = "say " + secret
	tc.MockData[0].Value = url.QueryEscape(secret)
	srv := newServer(t, sigmamindtest.WithAPIKey(secret))
	srv.AddTestCases(agent, tc)
	c, _ := newClient(t, srv.URL, secret)
	got, err := c.TestCases(t.Context(), agent)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	noSecret(t, "test cases", string(b))
	if !strings.Contains(string(b), "say ***") {
		t.Errorf("the prompt was not kept: %s", b)
	}
}
