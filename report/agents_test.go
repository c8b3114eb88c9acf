package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/gate"
)

// agentsCase is three agents judged in one step: one passes, one fails,
// one could not be read.
func agentsCase(t *testing.T) []Result {
	t.Helper()
	byName := map[string]Result{}
	for _, tc := range goldenCases() {
		byName[tc.name] = tc.r
	}
	var out []Result
	for _, name := range []string{"passing", "failing", "error"} {
		r, ok := byName[name]
		if !ok {
			t.Fatalf("no golden case %q", name)
		}
		out = append(out, r)
	}
	return out
}

func TestGoldenAgents(t *testing.T) {
	t.Parallel()
	results := agentsCase(t)
	md := Markdown(results)
	checkMarkdown(t, md)
	golden(t, "agents.md", md)
	js := JSON(results)
	checkJSON(t, js)
	golden(t, "agents.json", js+"\n")
	txt := Text(results, false)
	checkText(t, txt, false)
	golden(t, "agents.txt", txt)

	// Every agent's verdict is in the table at the top, the error's beside
	// the others', before any agent's detail.
	head, _, ok := strings.Cut(md, "### ")
	if !ok {
		t.Fatalf("no agent's section under the overview:\n%s", md)
	}
	for _, want := range []string{
		"## 🛑 Error: SigmaMind simulations of 3 agents",
		"| Acme Support (voice) (agent\\_demo\\_pass) | ✅ pass |",
		"| Acme Support (voice) (agent\\_demo\\_fail) | ❌ fail | 16.7% | 5 of 30 failed |",
		"| agent\\_demo\\_pass | 🛑 error | n/a | — | not judged: see below |",
	} {
		if !strings.Contains(head, want) {
			t.Errorf("the overview lacks %q:\n%s", want, head)
		}
	}
	if n := strings.Count(md, "\n### "); n != 3 {
		t.Errorf("%d agent sections, want 3", n)
	}
	var doc struct {
		Version int    `json:"version"`
		Result  string `json:"result"`
		Counts  *gate.Counts
		Agents  []struct {
			Result string `json:"result"`
			Error  string `json:"error"`
		} `json:"agents"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range doc.Agents {
		got = append(got, a.Result)
	}
	if doc.Version != 2 || doc.Result != "error" || doc.Counts != nil || !cmp.Equal(got, []string{"pass", "fail", "error"}) || doc.Agents[2].Error == "" {
		t.Errorf("JSON: version %d, result %q, counts %v, agents %q; want 2, error, no totals beside an error, pass fail error", doc.Version, doc.Result, doc.Counts, got)
	}
}

func TestWorst(t *testing.T) {
	t.Parallel()
	pass := Result{Gate: gate.Result{Verdict: gate.Pass}}
	fail := Result{Gate: gate.Result{Verdict: gate.Fail}}
	inconclusive := Result{Gate: gate.Result{Verdict: gate.Inconclusive}}
	errored := Result{Err: "x", Gate: gate.Result{Verdict: gate.Pass}}
	unknown := Result{Gate: gate.Result{Verdict: "maybe"}}
	for _, tt := range []struct {
		name    string
		results []Result
		want    string
	}{
		{"none", nil, "error"},
		{"pass", []Result{pass, pass}, "pass"},
		{"inconclusive", []Result{pass, inconclusive, pass}, "inconclusive"},
		{"fail over inconclusive", []Result{inconclusive, fail}, "fail"},
		{"error over fail", []Result{fail, errored, pass}, "error"},
		{"an error with a pass verdict left in it", []Result{errored}, "error"},
		{"an unknown verdict", []Result{pass, unknown}, "error"},
	} {
		if got := Worst(tt.results); got != tt.want {
			t.Errorf("%s: Worst = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestTotals(t *testing.T) {
	t.Parallel()
	a := Result{Gate: gate.Result{Counts: gate.Counts{Batches: 1, Successful: 9, Failed: 1, Total: 10, Expected: 10}}}
	b := Result{Gate: gate.Result{Counts: gate.Counts{Batches: 2, Successful: 3, Undecided: 2, Total: 5, Expected: 5}}}
	c, ok := Totals([]Result{a, b})
	if want := (gate.Counts{Batches: 3, Successful: 12, Failed: 1, Undecided: 2, Total: 15, Expected: 15}); !ok || c != want {
		t.Errorf("Totals = %+v, %v; want %+v, true", c, ok, want)
	}
	if _, ok := Totals([]Result{a, {Err: "x"}}); ok {
		t.Error("Totals beside an error: ok, want not: a partial sum would read as the whole")
	}
	if _, ok := Totals(nil); ok {
		t.Error("Totals of nothing: ok, want not")
	}
}
