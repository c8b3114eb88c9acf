package sigmamind

import (
	"context"
	"fmt"
	"github.com/sigmagate/sigmagate/internal/untrusted"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unsafe"
)

// MaxAgentTestCases bounds the test cases of one agent that TestCases reads,
// and those of one create. An agent has tens; thousands would be simulations
// no merge gate waits for.
const MaxAgentTestCases = 10000

const testCasesPath = "/v1/test-cases"

// TestCases returns the agent's test cases, in the order listed. The answer
// is read in either shape SigmaMind documents: a bare JSON array (the whole
// list), or the paginated wrapper, whose pages are followed while hasNext
// says so, with the listing's guards against pages that never end or do not
// advance.
//
// Every test case must be usable, or the call fails with a *DataError that
// names it (TestCase set): its JSON as documented, with a testCaseId, and an
// agent, when it names one, that is agentID (agent_X or X). A gate that
// starts "all" test cases must not start a set it could not read whole.
// A test case listed twice (pages shift when one is added) is kept once;
// listed twice with other attempt counts, it is a *DataError.
//
// Memory is bounded: each test case's texts are kept as in a batch run
// (see MaxTextRunes) within one budget for the whole list; beyond it only
// the id, the attempt count and the agent's id are kept.
func (c *Client) TestCases(ctx context.Context, agentID string) ([]TestCase, error) {
	out := []TestCase{}
	seen := make(map[string]int) // test case id → index in out
	var kept int64               // bytes kept of texts, over all pages
	stale := 0
	for page := 0; ; page++ {
		if page == maxPages {
			return nil, &ResponseError{Method: http.MethodGet, Path: c.shown(testCasesPath),
				Problem: fmt.Sprintf("still more pages after %d pages of %d: the listing does not end", maxPages, MaxPageSize)}
		}
		// A bare list ignores page and size; a paginated one needs them.
		q := url.Values{}
		q.Set("agentId", agentID)
		q.Set("page", strconv.Itoa(page))
		q.Set("size", strconv.Itoa(MaxPageSize))
		var l testCaseList
		err := c.get(ctx, testCasesPath, q, func(d *decoder) error {
			l = testCaseList{} // a retry starts afresh
			d.kept = kept
			err := readTestCases(d, &l, MaxPageSize, MaxAgentTestCases)
			l.kept = d.kept
			return err
		})
		if err != nil {
			return nil, err
		}
		if l.bare && page > 0 {
			return nil, &ResponseError{Method: http.MethodGet, Path: c.shown(testCasesPath),
				Problem: fmt.Sprintf("page %d of the test cases is a bare list, page 0 was a paginated one: the answers contradict each other", page)}
		}
		kept = l.kept
		scrub(&BatchRun{TestCases: l.Data}, c.apiKey) // the test cases, in place
		fresh := 0
		for i := range l.Data {
			tc := &l.Data[i]
			invalid := ""
			if i == l.bad {
				invalid = untrusted.Redact(l.problem, c.apiKey)
			}
			if de := checkTestCase(agentID, tc, invalid); de != nil {
				de.Page, de.Row = page, i+1
				return nil, de
			}
			if j, again := seen[tc.TestCaseID]; again {
				if out[j].Attempt != tc.Attempt {
					return nil, &DataError{TestCase: true, TestCaseID: tc.TestCaseID, Page: page, Row: i + 1,
						Problem: fmt.Sprintf("it is listed twice with different attempt counts (%s, then %s)", configured(out[j].Attempt), configured(tc.Attempt))}
				}
				continue
			}
			if len(out) == MaxAgentTestCases {
				return nil, &ResponseError{Method: http.MethodGet, Path: c.shown(testCasesPath),
					Problem: fmt.Sprintf("the agent has more than %d test cases: the gate does not read them", MaxAgentTestCases)}
			}
			seen[tc.TestCaseID] = len(out)
			out = append(out, *tc)
			fresh++
		}
		if l.bare || !l.HasNext {
			return out, nil
		}
		if fresh == 0 {
			stale++
		} else {
			stale = 0
		}
		if stale == maxStalePages {
			return nil, &ResponseError{Method: http.MethodGet, Path: c.shown(testCasesPath),
				Problem: fmt.Sprintf("pages %d to %d brought no new test case though hasNext is true: the listing is not advancing", page-maxStalePages+1, page)}
		}
	}
}

// checkTestCase reports why a test case listed for agentID cannot be used;
// invalid is the decoder's problem with it.
func checkTestCase(agentID string, tc *TestCase, invalid string) *DataError {
	bad := func(format string, args ...any) *DataError {
		id := tc.TestCaseID
		if len(id) > MaxIDLength {
			id = cutID(id)
		}
		return &DataError{TestCase: true, TestCaseID: id, Problem: fmt.Sprintf(format, args...)}
	}
	switch {
	case invalid != "":
		return bad("%s", invalid)
	case tc.TestCaseID == "":
		return bad("testCaseId is missing or empty")
	case strings.ContainsFunc(tc.TestCaseID, unicode.IsControl):
		return bad("testCaseId contains a control character")
	case tc.Attempt > MaxAttempts:
		return bad("attempt %d is more than a test case can have (%d)", tc.Attempt, int64(MaxAttempts))
	case tc.Agent != nil && tc.Agent.AgentID != "" && !sameAgent(tc.Agent.AgentID, agentID):
		return bad("it is a test case of agent %s, not of agent-id", shortID(tc.Agent.AgentID))
	}
	return nil
}

// testCaseList is one answer of the test-case endpoint.
type testCaseList struct {
	Page[TestCase]
	bare    bool   // a JSON array, not the paginated wrapper
	bad     int    // index of the first test case not as documented; -1 if none
	problem string // what is wrong with it
	kept    int64  // the decoder's budget spent, this answer included
}

// readTestCases reads a list of test cases in either shape: a bare array of
// at most maxBare, or a page of at most maxPage. Each test case is a row:
// its problems are recorded, the first in l.bad and l.problem, and reading
// goes on.
func readTestCases(d *decoder, l *testCaseList, maxPage, maxBare int) error {
	l.bad = -1
	n := 0
	item := func(d *decoder, tc *TestCase) {
		i := n
		n++
		saved := d.beginRow("the test case")
		d.listedTestCase(tc)
		if p := d.endRow(saved); p != "" && l.bad < 0 {
			l.bad, l.problem = i, p
		}
	}
	c, ok := d.ws()
	switch {
	case ok && c == '{':
		return readPage(d, &l.Page, maxPage, "test case", item)
	case ok && c == '[':
		l.bare = true
		return d.document(false, func() {
			var a elements
			if !d.array(&a) {
				return
			}
			l.Data = make([]TestCase, 0, 16)
			for i := d.elem(&a); i >= 0; i = d.elem(&a) {
				if i == int64(maxBare) {
					d.err = &readError{problem: fmt.Sprintf("the list has more than %d test cases: the gate does not read it", maxBare)}
					return
				}
				l.Data = append(l.Data, TestCase{})
				item(d, &l.Data[i])
			}
		})
	}
	return &readError{problem: "the response is neither a list of test cases nor a page of them"}
}

// listedTestCase reads a test case of the agent's list: whole while the
// budget of kept texts lasts, then only what a create and a count need.
func (d *decoder) listedTestCase(tc *TestCase) {
	if d.kept >= maxKeptBytes {
		d.leanTestCase(tc)
		return
	}
	d.testCase(tc, true)
	cost := int64(unsafe.Sizeof(*tc)) + int64(cap(tc.MockData))*int64(unsafe.Sizeof(MockData{}))
	if tc.Agent != nil {
		cost += int64(unsafe.Sizeof(*tc.Agent))
	}
	if d.kept+cost <= maxKeptBytes {
		d.kept += cost
		return
	}
	d.kept = maxKeptBytes // spent: the rest are lean
	var agent *Agent
	if tc.Agent != nil {
		agent = &Agent{AgentID: tc.Agent.AgentID}
	}
	*tc = TestCase{TestCaseID: tc.TestCaseID, Agent: agent, Attempt: tc.Attempt}
}

// leanTestCase reads a test case keeping its id, attempt count and agent's
// id; the rest is checked, not kept.
func (d *decoder) leanTestCase(tc *TestCase) {
	*tc = TestCase{}
	var m members
	if !d.object(&m, testCaseSchema) {
		return
	}
	for f := d.next(&m); f >= 0; f = d.next(&m) {
		switch testCaseSchema.names[f] {
		case "testCaseId":
			tc.TestCaseID = d.id(true, true)
		case "attempt":
			if d.null() {
				continue
			}
			tc.Attempt = d.integer()
		case "agent":
			tc.Agent = d.agentID()
		case "workspaceId":
			d.id(true, false)
		case "mockData":
			d.mockData(false)
		default: // the display texts
			d.display(false)
		}
	}
	if tc.Attempt < 0 && d.problem == "" && d.err == nil {
		d.problem = fmt.Sprintf("test case %s has a negative attempt count %d", d.quote(tc.TestCaseID), tc.Attempt)
	}
}

// agentID reads an agent, or null for none, keeping only its id.
func (d *decoder) agentID() *Agent {
	if d.null() {
		return nil
	}
	var m members
	if !d.object(&m, agentSchema) {
		return nil
	}
	var a Agent
	for f := d.next(&m); f >= 0; f = d.next(&m) {
		if agentSchema.names[f] == "agentId" {
			a.AgentID = d.id(true, true)
		} else {
			d.display(false)
		}
	}
	return &a
}
