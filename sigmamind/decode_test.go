package sigmamind

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const decodeSecret = "sk-test-SECRET-42"

// decodeBody decodes a page of batch runs as ListBatchRuns does, through
// wrap (nil: as is).
func decodeBody(body string, wrap func(io.Reader) io.Reader) (*Page[BatchRun], error) {
	var r io.Reader = strings.NewReader(body)
	if wrap != nil {
		r = wrap(r)
	}
	var p Page[BatchRun]
	if err := readBatchRunPage(newDecoder(r, decodeSecret), &p, MaxPageSize); err != nil {
		return nil, err
	}
	return &p, nil
}

// Templates of a page whose every documented object is present. Each
// «marker» stands before the closing brace of an object, where a test may
// add members.
const (
	mockTmpl     = `{"variableName":"customer_name","value":"Ann"«mock»}`
	testCaseTmpl = `{"testCaseId":"tc_1","label":"Refund request","agent":` + `{"name":"Support bot","agentId":"agent_x","status":"Live"«tcagent»}` +
		`,"workspaceId":"org_1","llmModel":"gpt-4o-mini","mockData":[` + mockTmpl + `],"userPrompt":"You want a refund.","attempt":5,"successCriteria":"The agent refunds."«tc»}`
	runTmpl = `{"batchId":"%s","workspaceId":"org_1","agent":{"name":"Support bot","agentId":"agent_x","status":"Live"«agent»},` +
		`"createdDate":"2026-03-26T10:52:45.565Z","testCases":[` + testCaseTmpl + `],"successfulAttempts":0,"failedAttempts":5,"totalAttempts":5«run»}`
	pageTmpl = `{"data":[%s,%s,%s],"page":0,"size":3,"totalCount":3,"totalPages":1,"hasNext":false,"hasPrevious":false«page»}`
)

// levels are the objects of the templates: their marker and documented
// names, and where a problem there is reported.
var levels = []struct {
	marker string
	schema *schema
	where  string // "" for the page: problems there fail the page
}{
	{"page", pageSchema, ""},
	{"run", runSchema, "the batch run"},
	{"agent", agentSchema, "agent"},
	{"tc", testCaseSchema, "testCases[0]"},
	{"tcagent", agentSchema, "testCases[0].agent"},
	{"mock", mockDataSchema, "testCases[0].mockData[0]"},
}

// page builds the page of three batch runs, the middle one edited by
// middle, with the given text at each marker of the middle run (and of the
// page).
func page(middle func(string) string, at map[string]string) string {
	row := func(id string, texts map[string]string) string {
		s := fmt.Sprintf(runTmpl, id)
		for _, l := range levels[1:] {
			s = strings.ReplaceAll(s, "«"+l.marker+"»", texts[l.marker])
		}
		return s
	}
	mid := row("batch_2", at)
	if middle != nil {
		mid = middle(mid)
	}
	s := fmt.Sprintf(pageTmpl, row("batch_1", nil), mid, row("batch_3", nil))
	return strings.Replace(s, "«page»", at["page"], 1)
}

// wantRun is what each run of the templates decodes to.
func wantRun(id string) BatchRun {
	agent := func() *Agent { return &Agent{Name: "Support bot", AgentID: "agent_x", Status: "Live"} }
	return BatchRun{BatchID: id, WorkspaceID: "org_1", Agent: agent(),
		CreatedDate: time.Date(2026, 3, 26, 10, 52, 45, 565e6, time.UTC),
		TestCases: []TestCase{{TestCaseID: "tc_1", Label: "Refund request", Agent: agent(), WorkspaceID: "org_1", LLMModel: "gpt-4o-mini",
			MockData: []MockData{{VariableName: "customer_name", Value: "Ann"}}, UserPrompt: "You want a refund.", Attempt: 5, SuccessCriteria: "The agent refunds."}},
		FailedAttempts: 5, TotalAttempts: 5}
}

func wantPage(middle BatchRun) *Page[BatchRun] {
	return &Page[BatchRun]{Data: []BatchRun{wantRun("batch_1"), middle, wantRun("batch_3")}, Size: 3, TotalCount: 3, TotalPages: 1}
}

func TestPageTemplate(t *testing.T) {
	t.Parallel()
	body := page(nil, nil)
	if strings.Contains(body, "«") || !json.Valid([]byte(body)) {
		t.Fatalf("bad template: %s", body)
	}
	got, err := decodeBody(body, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantPage(wantRun("batch_2")), got); diff != "" {
		t.Errorf("page mismatch (-want +got):\n%s", diff)
	}
	// encoding/json agrees on a page as documented.
	var std Page[BatchRun]
	if err := json.Unmarshal([]byte(body), &std); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&std, got); diff != "" {
		t.Errorf("encoding/json disagrees (-encoding/json +decoder):\n%s", diff)
	}
}

// caseVariants are spellings of name that encoding/json would take for it.
func caseVariants(name string) []string {
	set := map[string]bool{}
	add := func(s string) {
		if s != name {
			set[s] = true
		}
	}
	add(strings.ToUpper(name[:1]) + name[1:])
	add(strings.ToUpper(name))
	add(strings.ToLower(name))
	// Unicode folds: the long s folds to s, the Kelvin sign to k.
	add(strings.Replace(name, "s", "ſ", 1))
	add(strings.Replace(name, "k", "\u212a", 1))
	// The dotted capital I lowers to i, which encoding/json then takes as I.
	add(strings.Replace(strings.Replace(name, "I", "\u0130", 1), "i", "\u0130", 1))
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	return out
}

// decoded is what a test compares: the page problem, or the middle run's
// problem and that every other run was read whole.
type decoded struct {
	PageProblem   string
	MiddleInvalid string
	OthersWhole   bool
}

func outcome(t *testing.T, body string) decoded {
	t.Helper()
	got, err := decodeBody(body, nil)
	if err != nil {
		var re *readError
		if !errors.As(err, &re) {
			t.Fatalf("error %v (%T), want a *readError", err, err)
		}
		return decoded{PageProblem: re.problem}
	}
	if len(got.Data) != 3 {
		t.Fatalf("got %d runs, want 3", len(got.Data))
	}
	whole := cmp.Diff(wantRun("batch_1"), got.Data[0]) == "" && cmp.Diff(wantRun("batch_3"), got.Data[2]) == ""
	return decoded{MiddleInvalid: got.Data[1].Invalid, OthersWhole: whole}
}

// TestCaseVariantsAndDuplicatesAreRefused adds, after each documented member
// of each object, a case variant of its name or the name again, with a value
// that would otherwise replace it. In a batch run that run is refused and the
// others are read; in the wrapper the page is refused.
func TestCaseVariantsAndDuplicatesAreRefused(t *testing.T) {
	t.Parallel()
	values := map[string]string{"data": `[]`, "hasNext": `true`, "hasPrevious": `true`, "agent": `null`, "testCases": `[]`, "mockData": `[]`,
		"createdDate": `"2030-01-01T00:00:00Z"`, "batchId": `"batch_9"`}
	n := 0
	for _, l := range levels {
		for _, name := range l.schema.names {
			v, ok := values[name]
			if !ok {
				v = "0"
				if !strings.Contains(name, "ttempt") && !strings.HasPrefix(name, "total") && name != "page" && name != "size" {
					v = `"x"`
				}
			}
			type change struct{ key, problem string }
			changes := []change{{name, fmt.Sprintf("has the key %s twice", name)}}
			for _, variant := range caseVariants(name) {
				changes = append(changes, change{variant,
					fmt.Sprintf("has the key %q, which is %s in another case: refused, so that it cannot stand for %s", variant, name, name)})
			}
			for _, c := range changes {
				n++
				t.Run(l.marker+"/"+c.key, func(t *testing.T) {
					body := page(nil, map[string]string{l.marker: fmt.Sprintf(`,%q:%s`, c.key, v)})
					want := decoded{MiddleInvalid: l.where + " " + c.problem, OthersWhole: true}
					if l.where == "" {
						want = decoded{PageProblem: "the response is not a batch run page: the page " + c.problem}
					}
					if diff := cmp.Diff(want, outcome(t, body)); diff != "" {
						t.Errorf("outcome mismatch (-want +got):\n%s\nbody: %s", diff, body)
					}
				})
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d cases: the levels are not all covered", n)
	}
}

func TestDecodeRefusals(t *testing.T) {
	t.Parallel()
	set := func(field, value string) func(string) string {
		return func(run string) string {
			i := strings.Index(run, `"`+field+`":`)
			if i < 0 {
				panic(field)
			}
			j := i + len(field) + 3
			end := j + strings.IndexAny(run[j:], ",}")
			if run[j] == '"' {
				end = j + 1 + strings.Index(run[j+1:], `"`) + 1
			}
			if run[j] == '{' || run[j] == '[' {
				// The documented objects of the template have no nesting
				// beyond what this finds.
				depth := 0
				for k := j; k < len(run); k++ {
					switch run[k] {
					case '{', '[':
						depth++
					case '}', ']':
						depth--
					}
					if depth == 0 {
						end = k + 1
						break
					}
				}
			}
			return run[:i] + `"` + field + `":` + value + run[end:]
		}
	}
	drop := func(field string) func(string) string {
		return func(run string) string {
			return strings.Replace(set(field, "0")(run), `"`+field+`":0,`, "", 1)
		}
	}
	whole := func(edit func(*BatchRun)) *BatchRun {
		b := wantRun("batch_2")
		edit(&b)
		return &b
	}
	long := strings.Repeat("b", 300)
	tests := []struct {
		name    string
		middle  func(string) string
		at      map[string]string
		body    string // instead of the template
		invalid string // the middle run's problem
		page    string // the page's problem
		want    *BatchRun
	}{
		{name: "null successfulAttempts", middle: set("successfulAttempts", "null"), invalid: "successfulAttempts is null, want an integer"},
		{name: "null failedAttempts", middle: set("failedAttempts", "null"), invalid: "failedAttempts is null, want an integer"},
		{name: "null totalAttempts", middle: set("totalAttempts", "null"), invalid: "totalAttempts is null, want an integer"},
		{name: "null batchId", middle: set("batchId", "null"), invalid: "batchId is null, want a string"},
		{name: "null createdDate", middle: set("createdDate", "null"), invalid: "createdDate is null, want an RFC 3339 time"},
		{name: "missing batchId", middle: drop("batchId"), invalid: "batchId is missing"},
		{name: "missing createdDate", middle: drop("createdDate"), invalid: "createdDate is missing"},
		{name: "missing successfulAttempts", middle: drop("successfulAttempts"), invalid: "successfulAttempts is missing"},
		{name: "missing failedAttempts", middle: drop("failedAttempts"), invalid: "failedAttempts is missing"},
		{name: "missing totalAttempts", middle: func(r string) string { return strings.Replace(r, `,"totalAttempts":5`, "", 1) },
			invalid: "totalAttempts is missing"},
		{name: "fraction", middle: set("failedAttempts", "1.5"), invalid: "failedAttempts is 1.5, want an integer"},
		{name: "integral fraction", middle: set("failedAttempts", "5.0"), invalid: "failedAttempts is 5.0, want an integer"},
		{name: "exponent", middle: set("failedAttempts", "5e0"), invalid: "failedAttempts is 5e0, want an integer"},
		{name: "big exponent", middle: set("totalAttempts", "1E+3"), invalid: "totalAttempts is 1E+3, want an integer"},
		{name: "negative zero fraction", middle: set("failedAttempts", "-0.0"), invalid: "failedAttempts is -0.0, want an integer"},
		{name: "over int64", middle: set("failedAttempts", "9223372036854775808"), invalid: "failedAttempts is 9223372036854775808, more than a 64-bit integer holds"},
		{name: "under int64", middle: set("failedAttempts", "-9223372036854775809"), invalid: "failedAttempts is -9223372036854775809, more than a 64-bit integer holds"},
		{name: "a hundred digits", middle: set("failedAttempts", strings.Repeat("9", 100)), invalid: "failedAttempts is a number of 100 characters, more than a 64-bit integer holds"},
		{name: "int64 max is read", middle: set("totalAttempts", "9223372036854775807"), want: whole(func(b *BatchRun) { b.TotalAttempts = math.MaxInt64 })},
		{name: "negative zero is zero", middle: set("failedAttempts", "-0"), want: whole(func(b *BatchRun) { b.FailedAttempts = 0 })},
		{name: "count as a string", middle: set("failedAttempts", `"5"`), invalid: "failedAttempts is a string, want an integer"},
		{name: "count as a boolean", middle: set("failedAttempts", `true`), invalid: "failedAttempts is a boolean, want an integer"},
		{name: "count as an object", middle: set("failedAttempts", `{"failedAttempts":0}`), invalid: "failedAttempts is an object, want an integer"},
		{name: "batchId as a number", middle: set("batchId", `2`), invalid: "batchId is a number, want a string"},
		{name: "agent as a string", middle: set("agent", `"agent_x"`), invalid: "agent is a string, want an object"},
		{name: "testCases as an object", middle: set("testCases", `{}`), invalid: "testCases is an object, want a list"},
		{name: "a test case as a number", middle: set("testCases", `[1]`), invalid: "testCases[0] is a number, want an object"},
		{name: "a null test case", middle: set("testCases", `[null]`), invalid: "testCases[0] is null, want an object"},
		{name: "mockData as an object", middle: set("mockData", `{}`), invalid: "testCases[0].mockData is an object, want a list"},
		{name: "mock value as a number", middle: set("value", `1`), invalid: "testCases[0].mockData[0].value is a number, want a string"},
		{name: "label as a number", middle: set("label", `1`), invalid: "testCases[0].label is a number, want a string"},
		{name: "attempt as a string", middle: set("attempt", `"5"`), invalid: "testCases[0].attempt is a string, want an integer"},
		{name: "attempt as a fraction", middle: set("attempt", `2.5`), invalid: "testCases[0].attempt is 2.5, want an integer"},
		{name: "negative attempt", middle: set("attempt", `-2`), invalid: `test case "tc_1" has a negative attempt count -2`},
		{name: "createdDate as a number", middle: set("createdDate", `1774522365`), invalid: "createdDate is a number, want an RFC 3339 time"},
		{name: "createdDate not a time", middle: set("createdDate", `"yesterday"`), invalid: `createdDate "yesterday" is not an RFC 3339 time`},
		{name: "createdDate a day", middle: set("createdDate", `"2026-03-26"`), invalid: `createdDate "2026-03-26" is not an RFC 3339 time`},
		{name: "createdDate without a zone", middle: set("createdDate", `"2026-03-26T10:52:45.565"`), invalid: `createdDate "2026-03-26T10:52:45.565" is not an RFC 3339 time`},
		{name: "createdDate long", middle: set("createdDate", `"`+strings.Repeat("2", 100)+`"`), invalid: `createdDate is a string of 100 bytes, not an RFC 3339 time`},
		{name: "createdDate with the key", middle: set("createdDate", `"`+decodeSecret+`"`), invalid: `createdDate "***" is not an RFC 3339 time`},
		{name: "createdDate without a fraction", middle: set("createdDate", `"2026-03-26T10:52:45Z"`),
			want: whole(func(b *BatchRun) { b.CreatedDate = time.Date(2026, 3, 26, 10, 52, 45, 0, time.UTC) })},
		{name: "createdDate with an offset", middle: set("createdDate", `"2026-03-26T12:52:45.565+02:00"`),
			want: whole(func(b *BatchRun) {
				b.CreatedDate = time.Date(2026, 3, 26, 12, 52, 45, 565e6, time.FixedZone("", 2*3600))
			})},
		{name: "batchId too long", middle: set("batchId", `"`+long+`"`), invalid: "batchId is 300 bytes long, more than any id (256)"},
		{name: "batchId at the bound", middle: set("batchId", `"`+long[:256]+`"`), want: whole(func(b *BatchRun) { b.BatchID = long[:256] })},
		{name: "testCaseId too long", middle: set("testCaseId", `"`+long[:257]+`"`), invalid: "testCases[0].testCaseId is 257 bytes long, more than any id (256)"},
		{name: "agentId too long", middle: set("agent", `{"agentId":"`+long+`"}`), invalid: "agent.agentId is 300 bytes long, more than any id (256)"},
		{name: "workspaceId too long", middle: set("workspaceId", `"`+long+`"`), invalid: "workspaceId is 300 bytes long, more than any id (256)"},
		{name: "a null batch run", middle: func(string) string { return "null" }, invalid: "the batch run is null, want an object"},
		{name: "a batch run as a number", middle: func(string) string { return "5" }, invalid: "the batch run is a number, want an object"},
		{name: "a batch run as a list", middle: func(string) string { return `[{"batchId":"b"}]` }, invalid: "the batch run is a list, want an object"},
		{name: "an escaped duplicate", at: map[string]string{"run": `,"\u0066ailedAttempts":0`}, invalid: "the batch run has the key failedAttempts twice"},
		{name: "an escaped name", middle: func(r string) string { return strings.Replace(r, `"failedAttempts"`, `"\u0066ailedAttempts"`, 1) },
			want: whole(func(*BatchRun) {})},

		{name: "optional values null", middle: func(r string) string {
			for _, f := range []string{"workspaceId", "label", "userPrompt", "llmModel", "successCriteria", "testCaseId", "status", "name", "variableName", "value"} {
				r = strings.ReplaceAll(r, `"`+f+`":`, `"`+f+`":null,"was`+f+`":`)
			}
			return r
		}, want: &BatchRun{BatchID: "batch_2", Agent: &Agent{AgentID: "agent_x"}, CreatedDate: wantRun("").CreatedDate, FailedAttempts: 5, TotalAttempts: 5,
			TestCases: []TestCase{{Agent: &Agent{AgentID: "agent_x"}, MockData: []MockData{{}}, Attempt: 5}}}},
		{name: "agent null", middle: set("agent", "null"), want: whole(func(b *BatchRun) { b.Agent = nil })},
		{name: "testCases null", middle: set("testCases", "null"), want: whole(func(b *BatchRun) { b.TestCases = nil })},
		{name: "testCases empty", middle: set("testCases", "[]"), want: whole(func(b *BatchRun) { b.TestCases = nil })},
		{name: "mockData null", middle: set("mockData", "null"), want: whole(func(b *BatchRun) { b.TestCases[0].MockData = nil })},
		{name: "attempt null", middle: set("attempt", "null"), want: whole(func(b *BatchRun) { b.TestCases[0].Attempt = 0 })},
		{name: "attempt missing", middle: func(r string) string { return strings.Replace(r, `"attempt":5,`, "", 1) },
			want: whole(func(b *BatchRun) { b.TestCases[0].Attempt = 0 })},
		{name: "unknown members everywhere", at: map[string]string{
			"page": `,"links":{"next":"/v1/batch-runs?page=1","failedAttempts":0}`, "run": `,"status":"COMPLETED","FailedAttempt":0,"stats":[{"failedAttempts":0},[[[1.5e300]]]]`,
			"agent": `,"kind":null`, "tc": `,"tags":["a","b"],"ATTEMPTS":1`, "tcagent": `,"x":true`, "mock": `,"type":"string","n":-1.5`,
		}, want: whole(func(*BatchRun) {})},
		{name: "invalid UTF-8 and lone surrogates", middle: set("label", "\"\xff\\ud800x\\udc00\\ud83d\\ude00\""),
			want: whole(func(b *BatchRun) { b.TestCases[0].Label = "\ufffd\ufffdx\ufffd😀" })},
		{name: "escapes", middle: set("label", `"a\"b\\c\/d\b\f\n\r\t\u00e9"`), want: whole(func(b *BatchRun) { b.TestCases[0].Label = "a\"b\\c/d\b\f\n\r\té" })},

		{name: "data null", body: `{"data":null,"hasNext":false}`, page: "the response has no data list: it is not a batch run page"},
		{name: "data missing", body: `{"hasNext":false}`, page: "the response has no data list: it is not a batch run page"},
		{name: "empty object", body: `{}`, page: "the response has no data list: it is not a batch run page"},
		{name: "data an object", body: `{"data":{},"hasNext":false}`, page: "the response is not a batch run page: data is an object, want a list"},
		{name: "hasNext missing", body: `{"data":[]}`, page: "the response is not a batch run page: hasNext is missing"},
		{name: "hasNext null", body: `{"data":[],"hasNext":null}`, page: "the response is not a batch run page: hasNext is null, want a boolean"},
		{name: "hasNext a string", body: `{"data":[],"hasNext":"false"}`, page: "the response is not a batch run page: hasNext is a string, want a boolean"},
		{name: "page a fraction", body: `{"data":[],"hasNext":false,"page":0.5}`, page: "the response is not a batch run page: page is 0.5, want an integer"},
		{name: "totalCount null", body: `{"data":[],"hasNext":false,"totalCount":null}`, page: "the response is not a batch run page: totalCount is null, want an integer"},
		{name: "an empty page", body: `{"data":[],"hasNext":false}`},
		{name: "not an object", body: `[]`, page: "the response is not a JSON object"},
		{name: "empty", body: ``, page: "the response is not a JSON object"},
		{name: "blank", body: " \n\t\r", page: "the response is not a JSON object"},
		{name: "null", body: `null`, page: "the response is not a JSON object"},
		{name: "unicode space first", body: "\u00a0{}", page: "the response is not a JSON object"},
		{name: "trailing garbage", body: page(nil, nil) + `x`, page: "the response is not valid JSON: 'x' after the JSON value at byte 1690"},
		{name: "a second object", body: page(nil, nil) + ` {}`, page: "the response is not valid JSON: '{' after the JSON value at byte 1691"},
		{name: "a closing bracket", body: page(nil, nil) + `]`, page: "the response is not valid JSON: ']' after the JSON value at byte 1690"},
		{name: "trailing whitespace", body: page(nil, nil) + " \r\n\t"},
		{name: "a trailing comma", body: `{"data":[],"hasNext":false,}`, page: `the response is not valid JSON: '}' where a key was due at byte 27`},
		{name: "a control character", body: "{\"data\":[],\"hasNext\":false,\"x\":\"a\nb\"}", page: `the response is not valid JSON: control character byte 0x0a in a string at byte 33`},
		{name: "a bad escape", body: `{"data":[],"hasNext":false,"x":"\x"}`, page: `the response is not valid JSON: invalid escape 'x' in a string at byte 33`},
		{name: "a leading zero", body: `{"data":[],"hasNext":false,"x":01}`, page: `the response is not valid JSON: '1' where ',' or '}' was due at byte 32`},
		{name: "a bare word", body: `{"data":[],"hasNext":nope}`, page: `the response is not valid JSON: invalid literal at byte 21`},
		{name: "deep nesting", body: `{"data":[],"hasNext":false,"x":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`,
			page: "the response is not valid JSON: nesting deeper than 128 levels at byte 158"},
		{name: "deep nesting in a batch run", middle: set("agent", `{"x":`+strings.Repeat(`{"a":`, 200)+"1"+strings.Repeat("}", 201)),
			page: "the response is not valid JSON: nesting deeper than 128 levels at byte 1217"},
		{name: "nesting within the bound", body: `{"data":[],"hasNext":false,"x":` + strings.Repeat("[", 120) + strings.Repeat("]", 120) + `}`},
		{name: "more runs than a page holds", body: `{"data":[` + strings.Repeat(`{},`, MaxPageSize) + `{}],"hasNext":false}`,
			page: "the page has more than 100 batch runs: the gate does not read it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := tt.body
			if tt.middle != nil || tt.at != nil {
				body = page(tt.middle, tt.at)
			}
			got, err := decodeBody(body, nil)
			// The same through one byte at a time: every buffer boundary.
			slow, slowErr := decodeBody(body, iotest.OneByteReader)
			if diff := cmp.Diff(fmt.Sprint(err), fmt.Sprint(slowErr)); diff != "" {
				t.Errorf("one byte at a time, the error differs (-whole +bytes):\n%s", diff)
			}
			if diff := cmp.Diff(got, slow); diff != "" {
				t.Errorf("one byte at a time, the page differs (-whole +bytes):\n%s", diff)
			}
			if tt.page != "" {
				var re *readError
				if !errors.As(err, &re) {
					t.Fatalf("error %v (%T), want a *readError", err, err)
				}
				if diff := cmp.Diff(tt.page, re.problem); diff != "" {
					t.Errorf("problem mismatch (-want +got):\n%s", diff)
				}
				valid, syntax := json.Valid([]byte(body)), strings.HasPrefix(re.problem, "the response is not valid JSON")
				if valid && syntax && !strings.Contains(re.problem, "nesting") || !valid && !syntax && re.problem != "the response is not a JSON object" {
					t.Errorf("json.Valid = %v, yet the problem is %q", valid, re.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.middle == nil && tt.at == nil {
				return
			}
			if diff := cmp.Diff(wantRun("batch_1"), got.Data[0]); diff != "" {
				t.Errorf("the run before was not read whole (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantRun("batch_3"), got.Data[2]); diff != "" {
				t.Errorf("the run after was not read whole (-want +got):\n%s", diff)
			}
			if tt.want != nil {
				if diff := cmp.Diff(tt.want, &got.Data[1]); diff != "" {
					t.Errorf("run mismatch (-want +got):\n%s", diff)
				}
				return
			}
			if diff := cmp.Diff(tt.invalid, got.Data[1].Invalid); diff != "" {
				t.Errorf("problem mismatch (-want +got):\n%s", diff)
			}
			var de *DataError
			if err := Validate(&got.Data[1]); !errors.As(err, &de) || de.Problem != tt.invalid {
				t.Errorf("Validate = %v, want a *DataError with the problem", err)
			}
		})
	}
}

// TestEveryPrefixFails: a body cut anywhere is never read as a page.
func TestEveryPrefixFails(t *testing.T) {
	t.Parallel()
	body := page(nil, nil)
	for n := range len(body) {
		if _, err := decodeBody(body[:n], nil); err == nil {
			t.Fatalf("the first %d bytes were read as a page: %s", n, body[:n])
		}
	}
}

func TestValidateRefusesAnInvalidRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		b    BatchRun
		want *DataError
	}{
		{name: "first, before the counts", b: BatchRun{BatchID: "batch_1", Invalid: "failedAttempts is null, want an integer", FailedAttempts: -1},
			want: &DataError{BatchID: "batch_1", Problem: "failedAttempts is null, want an integer"}},
		{name: "no id", b: BatchRun{Invalid: "batchId is missing"}, want: &DataError{Problem: "batchId is missing"}},
		{name: "long id", b: BatchRun{BatchID: strings.Repeat("b", 300), Invalid: "x"}, want: &DataError{BatchID: strings.Repeat("b", 32) + "…", Problem: "x"}},
	}
	for _, tt := range tests {
		var de *DataError
		if err := Validate(&tt.b); !errors.As(err, &de) {
			t.Fatalf("%s: Validate = %v, want a *DataError", tt.name, err)
		}
		if diff := cmp.Diff(tt.want, de); diff != "" {
			t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
		}
	}
}

// runWithCases is a page of one batch run whose test cases are given.
func runWithCases(cases ...string) string {
	return `{"data":[{"batchId":"batch_1","createdDate":"2026-03-26T10:52:45Z","testCases":[` + strings.Join(cases, ",") +
		`],"successfulAttempts":0,"failedAttempts":0,"totalAttempts":0}],"hasNext":false}`
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestKeepsBoundedCountsWhole: what is kept is bounded; what is counted is
// not.
func TestKeepsBoundedCountsWhole(t *testing.T) {
	t.Parallel()
	type counts struct {
		Kept, LeftOut, LeftOutAttempts, Expected int64
		Invalid                                  string
	}
	tc := func(attempt string) string { return `{"testCaseId":"tc","attempt":` + attempt + `}` }
	tests := []struct {
		name  string
		cases []string
		want  counts
	}{
		{name: "under the bound", cases: repeat(tc("2"), 10), want: counts{Kept: 10, Expected: 20}},
		{name: "at the bound", cases: repeat(tc("2"), MaxTestCases), want: counts{Kept: MaxTestCases, Expected: 2 * MaxTestCases}},
		{name: "over the bound", cases: repeat(tc("2"), MaxTestCases+500),
			want: counts{Kept: MaxTestCases, LeftOut: 500, LeftOutAttempts: 1000, Expected: 2*MaxTestCases + 1000}},
		{name: "empty test cases over the bound", cases: repeat(`{}`, 3000), want: counts{Kept: MaxTestCases, LeftOut: 2000}},
		{name: "one left out with a null attempt", cases: append(repeat(tc("2"), MaxTestCases+5), tc("null")),
			want: counts{Kept: MaxTestCases, LeftOut: 6}},
		{name: "one left out with attempt 0", cases: append(repeat(tc("2"), MaxTestCases+5), tc("0")), want: counts{Kept: MaxTestCases, LeftOut: 6}},
		{name: "one left out without attempt", cases: append(repeat(tc("2"), MaxTestCases+5), `{"testCaseId":"tc"}`), want: counts{Kept: MaxTestCases, LeftOut: 6}},
		{name: "one kept without attempt", cases: append([]string{`{}`}, repeat(tc("2"), 5)...), want: counts{Kept: 6}},
		{name: "left out with huge attempts", cases: append(repeat(tc("2"), MaxTestCases), tc("9223372036854775807"), tc("9223372036854775807")),
			want: counts{Kept: MaxTestCases, LeftOut: 2, LeftOutAttempts: math.MaxInt64, Expected: math.MaxInt64}},
		{name: "a negative attempt left out", cases: append(repeat(tc("2"), MaxTestCases), `{"testCaseId":"tc_last","attempt":-1}`),
			want: counts{Kept: MaxTestCases, LeftOut: 1, Expected: 0, Invalid: `test case "tc_last" has a negative attempt count -1`}},
		{name: "a case variant left out", cases: append(repeat(tc("2"), MaxTestCases), `{"attempt":1,"Attempt":9}`),
			want: counts{Kept: MaxTestCases, LeftOut: 1, LeftOutAttempts: 1, Expected: 2*MaxTestCases + 1,
				Invalid: `testCases[1000] has the key "Attempt", which is attempt in another case: refused, so that it cannot stand for attempt`}},
		{name: "a wrong type left out", cases: append(repeat(tc("2"), MaxTestCases), `{"label":5}`),
			want: counts{Kept: MaxTestCases, LeftOut: 1, Invalid: `testCases[1000].label is a number, want a string`}},
		{name: "a long id left out", cases: append(repeat(tc("2"), MaxTestCases), `{"testCaseId":"`+strings.Repeat("t", 257)+`"}`),
			want: counts{Kept: MaxTestCases, LeftOut: 1, Invalid: `testCases[1000].testCaseId is 257 bytes long, more than any id (256)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := decodeBody(runWithCases(tt.cases...), nil)
			if err != nil {
				t.Fatal(err)
			}
			b := &p.Data[0]
			got := counts{Kept: int64(len(b.TestCases)), LeftOut: b.LeftOutTestCases, LeftOutAttempts: b.LeftOutAttempts, Expected: b.ExpectedAttempts(), Invalid: b.Invalid}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("counts mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTextsAreCutIdsAreNot(t *testing.T) {
	t.Parallel()
	runes := func(r string, n int) string { return strings.Repeat(r, n) }
	cut := func(s string) string {
		r := []rune(s)
		return string(r[:MaxTextRunes-1]) + "…"
	}
	id := runes("i", MaxIDLength)
	tests := []struct {
		name, value, want string
	}{
		{"short", "hello", "hello"},
		{"at the bound", runes("a", MaxTextRunes), runes("a", MaxTextRunes)},
		{"one over", runes("a", MaxTextRunes+1), cut(runes("a", MaxTextRunes+1))},
		{"long ascii", runes("a", 100000), cut(runes("a", MaxTextRunes))},
		{"two-byte runes", runes("é", 5000), cut(runes("é", 5000))},
		{"four-byte runes at the bound", runes("😀", MaxTextRunes), runes("😀", MaxTextRunes)},
		{"four-byte runes", runes("😀", 5000), cut(runes("😀", 5000))},
		{"escaped runes", runes(`\u00e9`, 5000), cut(runes("é", 5000))},
	}
	for _, tt := range tests {
		value, _ := json.Marshal(tt.value)
		if strings.HasPrefix(tt.value, `\u`) {
			value = []byte(`"` + tt.value + `"`)
		}
		for _, field := range []string{"label", "userPrompt", "successCriteria", "llmModel"} {
			body := runWithCases(`{"testCaseId":"` + id + `","` + field + `":` + string(value) + `,"mockData":[{"variableName":` + string(value) + `,"value":` + string(value) +
				`}],"agent":{"name":` + string(value) + `,"agentId":"` + id + `"},"attempt":1}`)
			p, err := decodeBody(body, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc := p.Data[0].TestCases[0]
			got := map[string]string{"testCaseId": tc.TestCaseID, "agentId": tc.Agent.AgentID, "name": tc.Agent.Name,
				"variableName": tc.MockData[0].VariableName, "value": tc.MockData[0].Value,
				"field": map[string]string{"label": tc.Label, "userPrompt": tc.UserPrompt, "successCriteria": tc.SuccessCriteria, "llmModel": tc.LLMModel}[field]}
			want := map[string]string{"testCaseId": id, "agentId": id, "name": tt.want, "variableName": tt.want, "value": tt.want, "field": tt.want}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s, %s: mismatch (-want +got):\n%s", tt.name, field, diff)
			}
			if n := utf8.RuneCountInString(got["field"]); n > MaxTextRunes {
				t.Errorf("%s: kept %d runes", tt.name, n)
			}
		}
	}
}

func TestMockDataIsBounded(t *testing.T) {
	t.Parallel()
	mocks := repeat(`{"variableName":"v","value":"x"}`, 3*maxMockData)
	p, err := decodeBody(runWithCases(`{"mockData":[`+strings.Join(mocks, ",")+`],"attempt":1}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Data[0].TestCases[0].MockData); n != maxMockData {
		t.Errorf("kept %d mock variables, want %d", n, maxMockData)
	}
	// Those not kept are still checked.
	mocks = append(mocks, `{"Value":"x"}`)
	p, err = decodeBody(runWithCases(`{"mockData":[`+strings.Join(mocks, ",")+`],"attempt":1}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Data[0].Invalid == "" {
		t.Errorf("a case variant in a mock variable not kept was not refused")
	}
}

// TestKeptBudget: once a page has kept maxKeptBytes, its test cases are
// counted, not kept.
func TestKeptBudget(t *testing.T) {
	t.Parallel()
	cases := make([]string, 20)
	for i := range cases {
		// Distinct texts, so that none is shared.
		cases[i] = fmt.Sprintf(`{"testCaseId":"tc_%d","userPrompt":"%s","attempt":3}`, i, strings.Repeat(string(rune('a'+i)), 1000))
	}
	d := newDecoder(strings.NewReader(runWithCases(cases...)), "")
	d.kept = maxKeptBytes - 5000
	var p Page[BatchRun]
	if err := readBatchRunPage(d, &p, MaxPageSize); err != nil {
		t.Fatal(err)
	}
	b := p.Data[0]
	if len(b.TestCases) == 0 || len(b.TestCases) > 5 {
		t.Errorf("kept %d test cases, want a few", len(b.TestCases))
	}
	if got := int64(len(b.TestCases)) + b.LeftOutTestCases; got != 20 {
		t.Errorf("counted %d test cases, want 20", got)
	}
	if got := b.ExpectedAttempts(); got != 60 {
		t.Errorf("ExpectedAttempts = %d, want 60", got)
	}
	if d.kept > maxKeptBytes+2000 {
		t.Errorf("kept %d bytes, more than the budget allows", d.kept)
	}
}

// TestEqualTextsAreShared: a page lists the same test cases in every batch
// run; their texts are kept once.
func TestEqualTextsAreShared(t *testing.T) {
	t.Parallel()
	p, err := decodeBody(page(nil, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := p.Data[0].TestCases[0].UserPrompt, p.Data[2].TestCases[0].UserPrompt
	if a != b || unsafeData(a) != unsafeData(b) {
		t.Errorf("equal prompts are kept twice")
	}
}

func unsafeData(s string) *byte { return unsafe.StringData(s) }

// TestSourceExcerpt: an excerpt from a body's kept start never shows a part
// of the key cut at the end of what was kept.
func TestSourceExcerpt(t *testing.T) {
	t.Parallel()
	for cut := 1; cut < len(decodeSecret); cut++ {
		body := strings.Repeat(" ", excerptBytes-cut) + decodeSecret + "}"
		s := newSource(strings.NewReader(body), MaxBodyBytes)
		s.drain()
		if got := s.excerpt(decodeSecret); strings.Contains(got, decodeSecret[:cut]) {
			t.Errorf("cut %d: excerpt %q shows part of the key", cut, got)
		}
	}
	s := newSource(strings.NewReader(`{"a":"`+decodeSecret+`"}`), MaxBodyBytes)
	s.drain()
	if diff := cmp.Diff(`{"a":"***"}`, s.excerpt(decodeSecret)); diff != "" {
		t.Errorf("excerpt mismatch (-want +got):\n%s", diff)
	}
}

// FuzzDecoderAgreesWithEncodingJSON compares the decoder with encoding/json
// on any body: it refuses every body that is not valid JSON; a page it reads
// with no refused batch run is what encoding/json reads too; and reading one
// byte at a time changes nothing.
func FuzzDecoderAgreesWithEncodingJSON(f *testing.F) {
	f.Add(page(nil, nil))
	f.Add(page(nil, map[string]string{"run": `,"FailedAttempts":0`}))
	f.Add(`{"data":[{"batchId":"b","createdDate":"2026-03-26T10:52:45Z","successfulAttempts":1,"failedAttempts":0,"totalAttempts":1,"testCases":null}],"hasNext":true}`)
	f.Add(`{"data":[{"batchId":"b\ud800\u00e9\"","createdDate":"2026-03-26T10:52:45+01:00","successfulAttempts":-0,"failedAttempts":0,"totalAttempts":1e0}],"hasNext":false}`)
	f.Add(`{"data":[],"hasNext":false,"x":[1,{"y":[true,false,null,"\u0041"]}],"page":-1}`)
	f.Add(`{"data":[null,{},[],1,"x"],"hasNext":false}`)
	f.Add("{\"data\":[],\"hasNext\":false,\"\xff\":\"\xed\xa0\x80\"}")
	f.Fuzz(func(t *testing.T, body string) {
		got, err := decodeBody(body, nil)
		slow, slowErr := decodeBody(body, iotest.OneByteReader)
		// reflect, not cmp, while all is well: cmp's cost per run would
		// slow the fuzzer down tenfold.
		if fmt.Sprint(err) != fmt.Sprint(slowErr) || !reflect.DeepEqual(got, slow) {
			t.Fatalf("one byte at a time differs: %v / %v\n%s", err, slowErr, cmp.Diff(got, slow))
		}
		valid := json.Valid([]byte(body))
		if err != nil {
			var re *readError
			if !errors.As(err, &re) {
				t.Fatalf("error %v (%T)", err, err)
			}
			if valid && strings.HasPrefix(re.problem, "the response is not valid JSON") && !strings.Contains(re.problem, "nesting") {
				t.Fatalf("valid JSON refused as invalid: %v", err)
			}
			return
		}
		if !valid {
			t.Fatalf("invalid JSON was read as a page: %+v", got)
		}
		for _, b := range got.Data {
			if b.Invalid != "" {
				return
			}
			if n := int64(len(b.TestCases)); n > MaxTestCases {
				t.Fatalf("kept %d test cases", n)
			}
		}
		var std Page[BatchRun]
		if err := json.Unmarshal([]byte(body), &std); err != nil {
			t.Fatalf("read as a page, but encoding/json says: %v", err)
		}
		if len(body) > 3000 {
			return // texts may have been cut, test cases left out
		}
		for i := range std.Data {
			for j := range std.Data[i].TestCases {
				tc := &std.Data[i].TestCases[j]
				tc.MockData = tc.MockData[:min(len(tc.MockData), maxMockData)]
			}
		}
		if !reflect.DeepEqual(&std, got) {
			if diff := cmp.Diff(&std, got, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("encoding/json disagrees (-encoding/json +decoder):\n%s", diff)
			}
		}
	})
}
