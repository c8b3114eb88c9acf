package sigmamind

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// span is where an object of a page is, and which documented object it is.
type span struct {
	open, close int     // offsets just after its '{' and of its '}'
	empty       bool    // no members
	schema      *schema // nil inside an unknown member
	run         int     // the batch run it is part of; -1 for the wrapper
}

// spans finds every object of a valid page.
func spans(t *testing.T, body string) []span {
	t.Helper()
	type frame struct {
		object    bool
		expectKey bool
		key       string
		schema    *schema // of the object, or of an array's elements
		run       int
		n         int // members or elements so far
		span      int // index in out, for objects
	}
	var out []span
	var stack []*frame
	dec := json.NewDecoder(strings.NewReader(body))
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("spans: %v", err)
		}
		var parent *frame
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		// A key, or the start of a value.
		if parent != nil && parent.object && parent.expectKey {
			if _, ok := tok.(string); ok {
				parent.key, parent.expectKey = tok.(string), false
				parent.n++
				continue
			}
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			f := stack[len(stack)-1]
			if f.object {
				out[f.span].close = int(dec.InputOffset()) - 1
				out[f.span].empty = f.n == 0
			}
			stack = stack[:len(stack)-1]
			continue
		}
		// A value starts: where it is decides what it is.
		var s *schema
		run := -1
		switch {
		case parent == nil:
			s = pageSchema
		case parent.object:
			parent.expectKey = true
			run = parent.run
			if parent.key == "agent" && (parent.schema == runSchema || parent.schema == testCaseSchema) {
				s = agentSchema
			}
		default:
			run = parent.run
			if parent.schema == runSchema {
				run = parent.n
			}
			s = parent.schema
			parent.n++
		}
		d, ok := tok.(json.Delim)
		if !ok {
			continue
		}
		f := &frame{object: d == '{', expectKey: true, run: run}
		if d == '{' {
			f.schema = s
			f.span = len(out)
			out = append(out, span{open: int(dec.InputOffset()), schema: s, run: run})
		} else if parent != nil && parent.object {
			// The elements of a documented list.
			switch {
			case parent.schema == pageSchema && parent.key == "data":
				f.schema = runSchema
			case parent.schema == runSchema && parent.key == "testCases":
				f.schema = testCaseSchema
			case parent.schema == testCaseSchema && parent.key == "mockData":
				f.schema = mockDataSchema
			}
		}
		stack = append(stack, f)
	}
}

// randomValue is any JSON value, nested a little, that may hold documented
// names with hostile values.
func randomValue(r *rand.Rand, depth int) string {
	n := 7
	if depth > 3 {
		n = 5
	}
	switch r.IntN(n) {
	case 0:
		return "0"
	case 1:
		return "null"
	case 2:
		return fmt.Sprint(r.IntN(1000) - 10)
	case 3:
		return []string{`"x"`, `"2030-01-01T00:00:00Z"`, `true`, `1.5`, `1e3`, `"batch_1"`}[r.IntN(6)]
	case 4:
		return `""`
	case 5:
		items := make([]string, r.IntN(3))
		for i := range items {
			items[i] = randomValue(r, depth+1)
		}
		return "[" + strings.Join(items, ",") + "]"
	default:
		names := []string{"failedAttempts", "FailedAttempts", "batchId", "testCases", "agent", "attempt", "data", "hasNext", "x"}
		items := make([]string, r.IntN(3))
		for i := range items {
			items[i] = fmt.Sprintf("%q:%s", names[r.IntN(len(names))], randomValue(r, depth+1))
		}
		return "{" + strings.Join(items, ",") + "}"
	}
}

// basePage is a random page as documented, with unknown members that hold
// objects looking like documented ones.
func basePage(t *testing.T, r *rand.Rand) string {
	t.Helper()
	created := time.Date(2026, 3, 26, 10, 52, 45, 565e6, time.UTC)
	var p Page[BatchRun]
	for i := range 1 + r.IntN(4) {
		total := int64(r.IntN(20))
		failed := int64(r.IntN(int(total) + 1))
		b := BatchRun{BatchID: fmt.Sprintf("batch_%d", i), WorkspaceID: "org_1", CreatedDate: created.Add(-time.Duration(i) * time.Hour),
			SuccessfulAttempts: total - failed, FailedAttempts: failed, TotalAttempts: total}
		if r.IntN(2) == 0 {
			b.Agent = &Agent{Name: "Support bot", AgentID: "agent_x", Status: "Live"}
		}
		for j := range r.IntN(3) {
			tc := TestCase{TestCaseID: fmt.Sprintf("tc_%d", j), Label: "Refund", Attempt: int64(1 + r.IntN(5)), UserPrompt: "You want a refund."}
			if r.IntN(2) == 0 {
				tc.Agent = &Agent{AgentID: "agent_x"}
				tc.MockData = []MockData{{VariableName: "name", Value: "Ann"}, {}}
			}
			b.TestCases = append(b.TestCases, tc)
		}
		p.Data = append(p.Data, b)
	}
	p.HasNext = r.IntN(2) == 0
	body, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(body)
	// Unknown members, in the wrapper and in the first run.
	s = strings.Replace(s, `{"data":`, `{"meta":{"failedAttempts":0,"agent":{"name":"x"},"data":[{"batchId":"y"}]},"data":`, 1)
	s = strings.Replace(s, `"workspaceId":"org_1"`, `"workspaceId":"org_1","stats":{"failedAttempts":0,"testCases":[{"attempt":100}]}`, 1)
	return s
}

// failures is the failure count a page yields: a refused page or batch run
// counts as the most failures there are, for an error never passes.
func failures(p *Page[BatchRun], err error) int64 {
	if err != nil {
		return math.MaxInt64
	}
	var n int64
	for _, b := range p.Data {
		if b.Invalid != "" {
			return math.MaxInt64
		}
		n += b.FailedAttempts
	}
	return n
}

// TestAddedMembersNeverLowerFailures inserts, anywhere in random pages,
// unknown members, case variants of documented names and documented names
// again, with random values. Unknown members change nothing at all; a case
// variant or a duplicate refuses the batch run it is in (or the page, in the
// wrapper) and leaves every other batch run as it was. So no such change can
// lower the failure count a page yields.
func TestAddedMembersNeverLowerFailures(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 11))
	const pages, changesPerPage = 40, 60
	kinds := map[string]int{}
	for range pages {
		base := basePage(t, r)
		orig, err := decodeBody(base, nil)
		if err != nil {
			t.Fatalf("base page refused: %v\n%s", err, base)
		}
		for _, b := range orig.Data {
			if b.Invalid != "" {
				t.Fatalf("base page has an invalid run: %s\n%s", b.Invalid, base)
			}
		}
		all := spans(t, base)
		for range changesPerPage {
			type insertion struct {
				at   int
				text string
			}
			var ins []insertion
			refusedRuns := map[int]bool{}
			refusedPage := false
			for range 1 + r.IntN(3) {
				sp := all[r.IntN(len(all))]
				var key, kind string
				switch k := r.IntN(3); {
				case k == 0 || sp.schema == nil:
					kind = "unknown"
					key = []string{"extra", "failed_attempts", "failedAttempt", "FAILEDATTEMPTS_", "meta", "x"}[r.IntN(6)]
					if sp.schema != nil {
						if i, v := sp.schema.lookup([]byte(key), true); i >= 0 || v >= 0 {
							continue
						}
					}
				case k == 1:
					kind = "variant"
					name := sp.schema.names[r.IntN(len(sp.schema.names))]
					vs := caseVariants(name)
					if len(vs) == 0 {
						continue
					}
					slices.Sort(vs)
					key = vs[r.IntN(len(vs))]
				default:
					kind = "duplicate"
					key = sp.schema.names[r.IntN(len(sp.schema.names))]
				}
				kinds[kind]++
				member := fmt.Sprintf("%q:%s", key, randomValue(r, 0))
				if kind == "duplicate" {
					// Only a name the object has is given twice.
					var obj map[string]json.RawMessage
					if json.Unmarshal([]byte("{"+base[sp.open:sp.close]+"}"), &obj) != nil || obj[key] == nil {
						kinds[kind]--
						continue
					}
				}
				if kind != "unknown" && sp.schema != nil {
					if sp.run < 0 {
						refusedPage = true
					} else {
						refusedRuns[sp.run] = true
					}
				}
				// Before the first member or after the last: the last one
				// is what encoding/json would have kept.
				if r.IntN(2) == 0 {
					if !sp.empty {
						member += ","
					}
					ins = append(ins, insertion{sp.open, member})
				} else {
					if !sp.empty {
						member = "," + member
					}
					ins = append(ins, insertion{sp.close, member})
				}
			}
			// Several at one place go in the order they were drawn.
			slices.SortStableFunc(ins, func(a, b insertion) int { return b.at - a.at })
			body := base
			for _, in := range ins {
				body = body[:in.at] + in.text + body[in.at:]
			}
			if !json.Valid([]byte(body)) {
				t.Fatalf("the change made invalid JSON: %s", body)
			}
			got, err := decodeBody(body, nil)
			if failures(got, err) < failures(orig, nil) {
				t.Fatalf("failures went from %d to %d\nbase: %s\nbody: %s", failures(orig, nil), failures(got, err), base, body)
			}
			if refusedPage {
				if err == nil {
					t.Fatalf("a case variant or duplicate in the wrapper was accepted\nbody: %s", body)
				}
				continue
			}
			if err != nil {
				t.Fatalf("page refused: %v\nbody: %s", err, body)
			}
			for i := range orig.Data {
				switch {
				case refusedRuns[i] && got.Data[i].Invalid == "":
					t.Fatalf("run %d: a case variant or duplicate was accepted\nbody: %s", i, body)
				case !refusedRuns[i] && !reflect.DeepEqual(orig.Data[i], got.Data[i]):
					t.Fatalf("run %d changed (-before +after):\n%s\nbody: %s", i, cmp.Diff(orig.Data[i], got.Data[i]), body)
				}
			}
		}
	}
	for _, k := range []string{"unknown", "variant", "duplicate"} {
		if kinds[k] < 200 {
			t.Errorf("only %d changes of kind %s", kinds[k], k)
		}
	}
}
