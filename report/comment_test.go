package report

import (
	"strings"
	"testing"
)

func TestGoldenComment(t *testing.T) {
	t.Parallel()
	const run = "https://github.com/o/r/actions/runs/7"
	byName := map[string]Result{}
	for _, tc := range goldenCases() {
		byName[tc.name] = tc.r
	}
	for _, tc := range []struct {
		name    string
		results []Result
		want    []string
	}{
		{"comment-failing", []Result{byName["failing"]}, []string{
			"## ❌ Failed: SigmaMind simulations of Acme Support (voice) (agent\\_demo\\_fail)",
			"- **max-failure-rate:** failure rate 16.7% is above the limit",
			"in 1 gated batch run: batch\\_YhrIAYQobGXHJvg8.",
			"[job summary](https://github.com/o/r/actions/runs/7)",
		}},
		{"comment-links", []Result{byName["links"]}, []string{"](https://app.example/"}},
		{"comment-agents", agentsCase(t), []string{
			"## 🛑 Error: SigmaMind simulations of 3 agents",
			"| Acme Support (voice) (agent\\_demo\\_fail) | ❌ fail |",
			"**Acme Support (voice) (agent\\_demo\\_fail)**: ❌ Failed",
			"**agent\\_demo\\_pass**: 🛑 Error",
			"!**Acme Support (voice) (agent\\_demo\\_pass)**",
		}},
		{"comment-hostile", []Result{byName["hostile"], byName["hostile-error"]}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			md := Comment(tc.results, run)
			checkMarkdown(t, md)
			golden(t, tc.name+".md", md)
			for _, s := range tc.want {
				if not, ok := strings.CutPrefix(s, "!"); ok {
					if strings.Contains(md, not) {
						t.Errorf("the comment holds %q:\n%s", not, md)
					}
				} else if !strings.Contains(md, s) {
					t.Errorf("the comment lacks %q:\n%s", s, md)
				}
			}
			if strings.Contains(md, "<details>") || strings.Contains(md, "| Batch run |") {
				t.Errorf("the comment holds the summary's details:\n%s", md)
			}
		})
	}
}

// TestCommentSize: no results make a comment GitHub would refuse, and what
// is cut is said.
func TestCommentSize(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("<&>|`\u2028x", 20000)
	var failing Result
	for _, tc := range goldenCases() {
		if tc.name == "failing" {
			failing = tc.r
		}
	}
	var many []Result
	for i := range 50 {
		r := failing
		r.AgentID, r.AgentName, r.Note = huge[:64+i], huge, huge
		checks := append(r.Gate.Checks[:0:0], r.Gate.Checks...)
		for j := range checks {
			checks[j].Reason = huge
		}
		for range 4 {
			checks = append(checks, checks...)
		}
		r.Gate.Checks = checks
		many = append(many, r)
	}
	many = append(many, Result{AgentID: huge, AgentName: huge, Err: huge, Hint: huge, Note: huge})
	for _, set := range [][]Result{many, many[:1], many[50:], {many[0], many[50]}} {
		md := Comment(set, "https://github.com/o/r/actions/runs/7?"+huge)
		if len(md) > MaxCommentBytes {
			t.Errorf("%d results: the comment is %d bytes, over %d", len(set), len(md), MaxCommentBytes)
		}
		checkMarkdown(t, md)
		if len(set) == len(many) && !strings.Contains(md, "left out of this comment") {
			t.Errorf("%d results: details were cut without a word", len(set))
		}
	}
}
