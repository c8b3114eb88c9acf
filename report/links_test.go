package report

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// linkedCell is a table row's first cell as a whole markdown link: escaped
// text, then a destination with nothing that could end it early.
var linkedCell = regexp.MustCompile(`^\| \[((?:[^\\\[\]]|\\.)*)\]\(([^\s()<>|\[\]\\` + "`" + `"']*)\) \| `)

// linksResult is a judged result whose batch runs, and the one started,
// have the id and the URL given.
func linksResult(id, u string) Result {
	r := fuzzResults("label", "prompt", "criteria", id, "model")[0]
	for i := range r.Rows {
		r.Rows[i].URL = u
	}
	r.Started = &Started{BatchIDs: []string{r.Rows[0].Batch.ID}, URLs: []string{u}, TestCases: []string{}, Runs: 1, MaxRuns: 1, Stop: StopDecided}
	return r
}

// checkLinks checks that every batch run of r is one whole link in every
// table row and in what the step started, that the text report keeps its
// columns, and that the JSON report holds each URL as given.
func checkLinks(t *testing.T, r Result, u string) {
	t.Helper()
	md := Markdown([]Result{r})
	checkMarkdown(t, md)
	rows := 0
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "| [") {
			continue
		}
		rows++
		m := linkedCell.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("a batch run's row does not start with one whole link: %q", line)
			continue
		}
		if m[2] != linkURL(u) {
			t.Errorf("link destination %q, want %q", m[2], linkURL(u))
		}
	}
	if rows != len(r.Rows) {
		t.Errorf("%d rows start with a link, want %d:\n%s", rows, len(r.Rows), md)
	}
	started := "**Batch runs this step started:** [" + cell(r.Started.BatchIDs[0], idLimit) + "](" + linkURL(u) + ")."
	if !strings.Contains(md, started) {
		t.Errorf("the summary lacks %q", started)
	}
	checkText(t, Text([]Result{r}, false), false)
	js := JSON([]Result{r})
	checkJSON(t, js)
	var doc struct {
		Agents []struct {
			Batches []struct {
				URL string `json:"url"`
			} `json:"batches"`
			Started *Started `json:"started"`
		} `json:"agents"`
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Agents) != 1 {
		t.Fatalf("JSON: %v, %d agents; want one", err, len(doc.Agents))
	}
	j := doc.Agents[0]
	if !utf8.ValidString(u) {
		return // JSON carries invalid bytes as U+FFFD
	}
	for _, b := range j.Batches {
		if diff := cmp.Diff(u, b.URL); diff != "" {
			t.Errorf("JSON url (-want +got):\n%s", diff)
		}
	}
	if diff := cmp.Diff([]string{u}, j.Started.URLs); diff != "" {
		t.Errorf("JSON started urls (-want +got):\n%s", diff)
	}
}

func TestLinks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ id, url string }{
		{"batch_x", "https://app.example/agents/agent_x/batches/batch_x"},
		{"batch_x) [y](javascript:z)", "https://app.example/b/x) [y](javascript:z)"},
		{"a|b", "https://app.example/b/a|b?q=1&r=2#f"},
		{"<b>\n::error::x", "https://app.example/<b>\n::error::x"},
		{"##[set-output]", "https://app.example/##[set-output]"},
		{"\\`\"'", "https://app.example/\\`\"'é\x1b[31m"},
	} {
		checkLinks(t, linksResult(tc.id, tc.url), tc.url)
	}
}

// The destination keeps '&' through the entity markdown decodes back.
func TestLinkURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://a.example/b?x=1&y=2": "https://a.example/b?x=1&amp;y=2",
		"https://a.example/(b) c":     "https://a.example/%28b%29%20c",
		"https://a.example/<b>|[c]":   "https://a.example/%3Cb%3E%7C%5Bc%5D",
	} {
		if diff := cmp.Diff(want, linkURL(in)); diff != "" {
			t.Errorf("linkURL(%q) (-want +got):\n%s", in, diff)
		}
	}
}

// FuzzLinks: whatever the id, and whatever a URL holds after the
// template's https origin, no link and no table row breaks.
func FuzzLinks(f *testing.F) {
	for _, h := range hostile {
		f.Add(h, h)
	}
	f.Add("x)", "x) y")
	f.Fuzz(func(t *testing.T, id, rest string) {
		u := "https://app.example/" + rest
		checkLinks(t, linksResult(id, u), u)
	})
}
