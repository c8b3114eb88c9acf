package report

import (
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/ghio"
)

// sgr matches the colour escapes Text writes, and nothing else.
var sgr = regexp.MustCompile("\x1b\\[(?:1m\x1b\\[3[123]m|0m)")

// checkText holds a text report to its promises: no control character but
// line ends and, with colour, Text's own escapes; no line the runner would
// read as a workflow command; no markdown or HTML of the report's own; and
// every table row's columns where its header's are, whatever the texts.
var linkColumn = regexp.MustCompile(`(?m)^Role  .*  Link$`)

func checkText(t testing.TB, txt string, colour bool) {
	t.Helper()
	plainTxt := sgr.ReplaceAllString(txt, "")
	if !colour && plainTxt != txt {
		t.Errorf("colour escapes without colour:\n%q", txt)
	}
	for _, line := range strings.Split(plainTxt, "\n") {
		if strings.ContainsFunc(line, unicode.IsControl) {
			t.Errorf("a control character in %q", line)
		}
		if ghio.Neutralize(line) != line {
			t.Errorf("the runner could read a command in %q", line)
		}
		for _, own := range []string{"## ", "<details>", "<pre>", "| ", "**"} {
			if strings.HasPrefix(line, own) {
				t.Errorf("markdown or HTML in %q", line)
			}
		}
	}
	checkColumns(t, plainTxt, "Rule  ", "Verdict", regexp.MustCompile(`^(pass|fail|inconclusive|skipped)( so far)?$`))
	if linkColumn.MatchString(plainTxt) {
		// With links, the URL is the last column, one word with nothing
		// that could split it, and the date is still in line.
		checkColumns(t, plainTxt, "Role  ", "Created (UTC)", nil)
		checkColumns(t, plainTxt, "Role  ", "Link", regexp.MustCompile(`^https://[!-~]+$`))
	} else {
		checkColumns(t, plainTxt, "Role  ", "Created (UTC)", regexp.MustCompile(`^(unknown|[A-Z][a-z]{2} \d{1,2}( \d{4})? \d{2}:\d{2})$`))
	}
	checkColumns(t, plainTxt, "Role  ", "Batch run", nil)
}

// checkColumns checks that in the table whose header line starts with
// header, every row has two spaces, then the column named col, at the
// header's offset in runes; with last, the column is the last and its cell
// must match it.
func checkColumns(t testing.TB, txt, header, col string, last *regexp.Regexp) {
	t.Helper()
	lines := strings.Split(txt, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, header) {
			continue
		}
		at := utf8.RuneCountInString(line[:strings.Index(line, col)])
		for _, row := range lines[i+1:] {
			if row == "" || strings.HasPrefix(row, "(") {
				break
			}
			runes := []rune(row)
			if len(runes) < at || string(runes[at-2:at]) != "  " || runes[at] == ' ' {
				t.Errorf("column %q is not at rune %d in %q", col, at, row)
				continue
			}
			if last != nil && !last.MatchString(string(runes[at:])) {
				t.Errorf("column %q of %q is %q", col, row, string(runes[at:]))
			}
		}
		return
	}
	if header == "Rule  " && !strings.HasPrefix(txt, "ERROR") {
		t.Errorf("no table %q in:\n%s", header, txt)
	}
}

func TestTextGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range goldenCases() {
		t.Run(tc.name, func(t *testing.T) {
			txt := Text([]Result{tc.r}, false)
			if tc.r.Err == "" {
				checkText(t, txt, false)
			}
			golden(t, tc.name+".txt", txt)
			coloured := Text([]Result{tc.r}, true)
			if got := sgr.ReplaceAllString(coloured, ""); got != txt {
				t.Errorf("the coloured report is not the plain one with escapes (-plain +coloured):\n%s", cmp.Diff(txt, got))
			}
			if !strings.HasPrefix(coloured, "\x1b[1m") {
				t.Errorf("the coloured report does not start with the coloured verdict: %q", untruncated(coloured))
			}
		})
	}
}

func untruncated(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// TestTextContent holds the text golden files to what they are about.
func TestTextContent(t *testing.T) {
	t.Parallel()
	want := map[string][]string{
		"passing":      {"PASS  SigmaMind simulations of Acme Support (voice) (agent_demo_pass)\n", "max-failure-rate  ≤ 5.0%"},
		"failing":      {"FAIL  SigmaMind simulations of", "- max-failure-rate: failure rate 16.7% is above the limit 10.0%", "fail\n"},
		"inconclusive": {"INCONCLUSIVE  SigmaMind", "one-sided 95% bounds 0.0%–45.1%", "inconclusive\n"},
		"warn-only":    {"Note: warn-only is set: this step passes"},
		"error":        {"ERROR  SigmaMind simulations of agent_demo_pass\n", "The gate could not judge the agent: could not list the batch runs of agent agent_demo_pass", "What to do: "},
		"hostile":      {"<script>", "gated     batch_|::error::pwned ", "batch_## [set-output"},
	}
	for _, tc := range goldenCases() {
		txt := Text([]Result{tc.r}, false)
		for _, s := range want[tc.name] {
			if !strings.Contains(txt, s) {
				t.Errorf("%s: the text report lacks %q:\n%s", tc.name, s, txt)
			}
		}
		for _, s := range []string{`\_`, "&lt;", "&amp;", "<details>", "<pre>", "**"} {
			if !strings.HasPrefix(tc.name, "hostile") && strings.Contains(txt, s) {
				t.Errorf("%s: the text report holds the markdown escape or tag %q", tc.name, s)
			}
		}
	}
}

func FuzzText(f *testing.F) {
	for i, h := range hostile {
		f.Add(h, hostile[(i+1)%len(hostile)], hostile[(i+2)%len(hostile)], hostile[(i+3)%len(hostile)], hostile[(i+4)%len(hostile)])
	}
	f.Add("Refund", "\x1b]0;title\x07", "\x1b[2J", "batch_\x1b[31mred", "\u200b::error::x")
	f.Fuzz(func(t *testing.T, label, prompt, criteria, batchID, model string) {
		for _, r := range fuzzResults(label, prompt, criteria, batchID, model) {
			for _, colour := range []bool{false, true} {
				txt := Text([]Result{r}, colour)
				if r.Err == "" {
					checkText(t, txt, colour)
				} else {
					checkTextLines(t, txt)
				}
			}
		}
	})
}

// checkTextLines is checkText for a report without tables.
func checkTextLines(t testing.TB, txt string) {
	t.Helper()
	for _, line := range strings.Split(sgr.ReplaceAllString(txt, ""), "\n") {
		if strings.ContainsFunc(line, unicode.IsControl) || ghio.Neutralize(line) != line {
			t.Errorf("an unsafe line %q", line)
		}
	}
}

// TestHostileText runs the fuzz properties over every pairing of the
// hostile texts.
func TestHostileText(t *testing.T) {
	t.Parallel()
	for i, h := range hostile {
		for j, g := range hostile {
			for _, r := range fuzzResults(h, g, hostile[(i+j)%len(hostile)], g+"\x1b[2J", h) {
				if r.Err == "" {
					checkText(t, Text([]Result{r}, true), true)
				} else {
					checkTextLines(t, Text([]Result{r}, true))
				}
			}
		}
	}
}

func TestPlain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"::error::x", "::error::x"}, // no line starts with it
		{"http://[::1]:8080", "http://[::1]:8080"},
		{"x ##[error]y", "x ## [error]y"},
		{"###[", "### ["},
		{"\x1b[31mred\x1b[0m", "[31mred [0m"},
		{"a  b\n\tc", "a b c"},
		{"plain", "plain"},
	} {
		if got := plain(tt.in, 100); got != tt.want {
			t.Errorf("plain(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
