// Package report renders gate results for people (the markdown job summary)
// and for programs (a compact JSON document). It only renders: what it shows
// is built elsewhere (internal/action), in its own types, and it knows
// nothing of the API that the batch runs came from.
package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// Result is the gate's outcome for one agent, with what a reader needs to
// understand it. Its texts are untrusted: the report escapes them for where
// it puts them, and bounds them.
type Result struct {
	AgentID   string
	AgentName string
	// Gate is the judgement; meaningless when Err is set.
	Gate gate.Result
	// Rows are the batch runs listed, newest first: the gated ones, then
	// the baseline, then earlier ones listed for the trend only.
	Rows []Row
	// TrendRows is how many of Rows the trend table shows; a line counts
	// the rest. 0 shows them all.
	TrendRows int
	// TestCases are the distinct test cases of the gated batch runs.
	TestCases []TestCase
	// TestCasesNotKept is at least how many more test cases the gated batch
	// runs list than TestCases holds: the client keeps a bounded number for
	// display, and counts the rest.
	TestCasesNotKept int
	// Notes say what the trend leaves out and why, in plain text.
	Notes []string
	// Inputs are the settings that shaped the result, by input name. They
	// must not hold the API key.
	Inputs map[string]string
	// Note says, in one plain sentence without a final period, how a policy
	// (warn-only, on-inconclusive, on-error) changed what the outcome does
	// to the step, or why it did not; empty when none had a say.
	Note string
	// Err is why the gate could not judge; when it is set, the result is
	// "error".
	Err string
	// Hint tells what to do about Err.
	Hint string
	// Started, when the gate started batch runs (run-test-cases), says
	// which and why it started no more; nil otherwise.
	Started *Started
}

// Role is what a listed batch run is to the verdict.
type Role string

const (
	Gated    Role = "gated"    // judged
	Baseline Role = "baseline" // compared with, for regressions
	Earlier  Role = "earlier"  // listed for the trend only
)

// Row is one batch run as listed.
type Row struct {
	Role Role
	// Batch is the batch run's id, creation and counts as listed; Expected
	// is 0 when its configured attempts are unknown.
	Batch gate.Batch
	// TestCases is how many test cases it lists.
	TestCases int
	// URL links the batch run (input batch-url-template); empty: no link.
	// Untrusted as every text: the report encodes what would end the link.
	URL string `json:",omitempty"`
}

// TestCase is one test case of the gated batch runs.
type TestCase struct {
	ID, Label, Model string
	// Attempts is how many attempts it was configured to run.
	Attempts int64
	MockData []MockData
	// Prompt is the simulated user's prompt, and Criteria what success is.
	Prompt, Criteria string
}

// MockData is one variable that a simulation substituted with a fixed
// value.
type MockData struct{ Name, Value string }

// Outcome is the result's one-word state: pass, fail, inconclusive or error.
func (r Result) Outcome() string {
	if r.Err != "" {
		return "error"
	}
	return string(r.Gate.Verdict)
}

// summaryBudget bounds the job summary: GitHub's limit, less room for what
// the writer adds after the report (its final line break, a footer) and for
// what earlier steps of the job wrote to the same file.
const summaryBudget = untrusted.MaxSummaryBytes - 48<<10

// Limits on untrusted texts, in runes.
const (
	idLimit     = 64
	labelLimit  = 100
	promptLimit = 4000
	// preWidth is how many runes of a <pre> line fit the width of a job
	// summary.
	preWidth = 100
)

// Markdown renders the job summary for results. It never exceeds
// summaryBudget: details that do not fit are left out, with a line that says
// so.
func Markdown(results []Result) string {
	return markdown(results, summaryBudget)
}

func markdown(results []Result, budget int) string {
	const sep = "\n---\n\n"
	var b strings.Builder
	level := "##"
	if len(results) > 1 {
		// Every agent's verdict first, then each one's detail under it.
		// Only a budget far below the job summary's has no room for it.
		ov := overview(results)
		if len(ov) > budget/2 {
			ov = overviewTitle(results)
		}
		if len(ov) <= budget {
			b.WriteString(ov)
		}
		level = "###"
	}
	heads := make([]string, len(results))
	// later[i] is the least room the sections after the i-th take, each its
	// head and the line that says its details were left out: one agent's
	// details must not crowd out another's verdict and reasons.
	later := make([]int, len(results))
	for i := len(results) - 1; i >= 0; i-- {
		heads[i] = renderHead(results[i], level)
		if i > 0 {
			later[i-1] = later[i] + len(sep) + len(heads[i]) + casesLeftOut(results[i])
		}
	}
	for i, r := range results {
		// Keep room for the line that says the agents after this one were
		// left out.
		reserve := 0
		if rest := len(results) - i - 1; rest > 0 {
			reserve = len(sep) + len(agentsLeftOut(rest, true))
		}
		s := ""
		if i > 0 {
			s = sep
		}
		head := heads[i]
		// The head comes whole, with room to say that details were left out.
		need := len(s) + len(head) + reserve + casesLeftOut(r)
		if b.Len()+need > budget {
			if line := s + agentsLeftOut(len(results)-i, i > 0); b.Len()+len(line) <= budget {
				b.WriteString(line)
			}
			break
		}
		b.WriteString(s)
		b.WriteString(head)
		if r.Err == "" {
			// The room the later heads need, if there is any left: the
			// line that says these details were left out always fits.
			room := budget - reserve
			if r := budget - later[i]; r < room {
				room = max(r, b.Len()+casesLeftOut(results[i]))
			}
			details(&b, r, room)
		}
	}
	return b.String()
}

// casesLeftOut is the room for the line that says r's test cases were left
// out, when it has any to leave out.
func casesLeftOut(r Result) int {
	if n := len(r.TestCases); n > 0 && r.Err == "" {
		return len(leftOut(n, "test case"))
	}
	return 0
}

func agentsLeftOut(n int, more bool) string {
	what := plural(n, "agent", "agents")
	if more {
		what = plural(n, "more agent", "more agents")
	}
	return fmt.Sprintf("_%s left out: the job summary is limited to 1 MB._\n", what)
}

var verdictTitle = map[string]string{
	"pass":         "✅ Passed",
	"fail":         "❌ Failed",
	"inconclusive": "⚠️ Inconclusive",
	"error":        "🛑 Error",
}

var verdictMark = map[gate.Verdict]string{
	gate.Pass:         "✅ pass",
	gate.Fail:         "❌ fail",
	gate.Inconclusive: "⚠️ inconclusive",
	gate.Skipped:      "➖ skipped",
}

// renderHead renders the parts a reviewer reads first; they are bounded in
// size whatever the data.
func renderHead(r Result, level string) string {
	var b strings.Builder
	name := cell(r.AgentID, idLimit)
	if r.AgentName != "" {
		name = cell(r.AgentName, labelLimit) + " (" + name + ")"
	}
	fmt.Fprintf(&b, "%s %s: SigmaMind simulations of %s\n\n", level, verdictTitle[r.Outcome()], name)
	if r.Err != "" {
		fmt.Fprintf(&b, "**The gate could not judge the agent:** %s\n\n", cell(r.Err, 1000))
		if r.Hint != "" {
			// Not at the start of a line: untrusted text there could read
			// as a workflow command ("::error::") if the summary is logged.
			fmt.Fprintf(&b, "**What to do:** %s\n\n", cell(r.Hint, 1000))
		}
		note(&b, r.Note)
		b.WriteString(renderStarted(r.Started))
		return b.String()
	}
	broken := r.Gate.Broken()
	for i, c := range broken {
		if i == 10 {
			fmt.Fprintf(&b, "- … and %d more, in the table below\n", len(broken)-10)
			break
		}
		fmt.Fprintf(&b, "- **%s:** %s\n", c.Rule, cell(c.Reason, 1000))
	}
	if len(broken) > 0 {
		b.WriteByte('\n')
	}
	note(&b, r.Note)
	b.WriteString(renderStarted(r.Started))
	if c := r.Gate.Counts; c.Batches > 0 { // with none, the broken rule says so
		b.WriteString(attemptsSaid(c, ""))
	}
	for _, n := range r.Gate.Notes {
		fmt.Fprintf(&b, "_%s_\n\n", cell(n, 500))
	}

	b.WriteString("| Rule | Limit | Actual | Verdict |\n|:--|--:|--:|:--|\n")
	for _, ch := range r.Gate.Checks {
		mark := verdictMark[ch.Verdict]
		if ch.Provisional != "" {
			mark = "⏳ " + string(ch.Provisional) + " so far"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", ch.Rule, cell(ch.LimitText, 60), cell(actual(ch), 200), mark)
	}
	b.WriteByte('\n')
	explained := explained(r.Gate)
	for _, ch := range explained {
		fmt.Fprintf(&b, "- `%s`: %s\n", ch.Rule, cell(ch.Reason, 1000))
	}
	if len(explained) > 0 {
		b.WriteByte('\n')
	}
	batchTable(&b, r)
	return b.String()
}

// attemptsSaid is the paragraph that counts the attempts of the gated
// batch runs; runs, when not empty, names them after a colon.
func attemptsSaid(c gate.Counts, runs string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s of %s attempts succeeded, %s failed", num(c.Successful), num(c.Total), num(c.Failed))
	switch {
	case c.Undecided > 0 && c.Pending > 0:
		fmt.Fprintf(&b, " and %s undecided (errored or not judged yet; counted as failed)", num(c.Undecided))
	case c.Undecided > 0:
		fmt.Fprintf(&b, " and %s undecided (errored; counted as failed)", num(c.Undecided))
	}
	fmt.Fprintf(&b, ", in %s", plural(c.Batches, "gated batch run", "gated batch runs"))
	if runs != "" {
		b.WriteString(": " + runs)
	}
	if c.Pending > 0 {
		fmt.Fprintf(&b, "; %s still to run", plural(int(c.Pending), "attempt is", "attempts are"))
	}
	b.WriteString(".\n\n")
	return b.String()
}

// explained are the rules that passed or were skipped but need their
// sentence to be read: a confidence bound or a regression is not told by its
// numbers alone. Those that did not pass are told above the table already.
func explained(res gate.Result) []gate.Check {
	var out []gate.Check
	for _, ch := range res.Checks {
		if ch.Verdict != gate.Fail && ch.Verdict != gate.Inconclusive && (ch.Bound != nil || ch.Regression != nil) {
			out = append(out, ch)
		}
	}
	return out
}

// note renders the policy's note as an alert.
func note(b *strings.Builder, text string) {
	if text != "" {
		fmt.Fprintf(b, "> [!NOTE]\n> %s.\n\n", cell(text, 500))
	}
}

func actual(ch gate.Check) string {
	s := ch.ActualText
	if bd := ch.Bound; bd != nil {
		lower, upper := bd.LowerText, bd.UpperText
		if lower == "" || upper == "" {
			lower, upper = gate.Percent(bd.Lower), gate.Percent(bd.Upper)
		}
		s += fmt.Sprintf("; one-sided %s bounds %s–%s", gate.Confidence(bd.Confidence), lower, upper)
	}
	if rg := ch.Regression; rg != nil {
		s = fmt.Sprintf("%s (%s → %s)", s, gate.Percent(rg.BaselineRate), gate.Percent(rg.NewRate))
		if rg.Probability != nil {
			p := rg.ProbabilityText
			if p == "" {
				p = gate.Percent(*rg.Probability)
			}
			s += fmt.Sprintf("; probability of a larger rise %s", p)
		}
	}
	return s
}

func batchTable(b *strings.Builder, r Result) {
	rows := r.Rows
	if len(rows) == 0 {
		return
	}
	// The rate and its bar come right after the id, so that the trend reads
	// first and stays in view when a narrow page scrolls the table.
	b.WriteString("| Batch run | Role | Failure rate | Trend | Passed | Failed | Undecided | Total | Created (UTC) |\n|:--|:--|--:|:--|--:|--:|--:|--:|:--|\n")
	for i, row := range rows {
		if i == r.TrendRows && i > 0 {
			fmt.Fprintf(b, "| _%s not shown_ | | | | | | | | |\n", plural(len(rows)-r.TrendRows, "older batch run", "older batch runs"))
			break
		}
		run := row.Batch
		counts := run
		if row.Role == Baseline {
			counts = gate.AsBaseline(counts) // as the regression rule counts it
		}
		total := num(run.Total)
		switch {
		case counts.Expected == 0:
			// Never a bare count: it would read as a finished batch.
			total += " (configured attempts unknown)"
		case counts.Pending() > 0:
			total += fmt.Sprintf(" of %s ⏳", num(counts.Expected))
		}
		rate, bar := "n/a", ""
		if c := gate.Pool([]gate.Batch{counts}); c.Total > 0 {
			rate, bar = gate.Percent(c.FailureRate()), "`"+Bar(c.FailureRate())+"`"
		}
		undecided := counts.Undecided()
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			link(run.ID, row.URL, idLimit), cell(string(row.Role), idLimit), rate, bar, num(run.Successful), num(run.Failed), num(undecided), total, created(run.Created, rows[0].Batch.Created.UTC().Year()))
	}
	b.WriteByte('\n')
	for i, n := range r.Notes {
		if i == 3 {
			fmt.Fprintf(b, "_%s_\n\n", plural(len(r.Notes)-3, "more note", "more notes"))
			break
		}
		fmt.Fprintf(b, "_%s_\n\n", cell(n, 500))
	}
}

// Bar draws a fraction as ten cells of Unicode blocks, in eighths, so that a
// trend reads at a glance in any markdown renderer, with no image service.
func Bar(f float64) string {
	const width = 10
	eighths := 0 // and for NaN
	switch {
	case f >= 1:
		eighths = width * 8
	case f > 0:
		// Any failure must show, and any success must keep the bar short
		// of full.
		eighths = min(max(int(f*width*8+0.5), 1), width*8-1)
	}
	var b strings.Builder
	b.WriteString(strings.Repeat("█", eighths/8))
	cells := eighths / 8
	if rem := eighths % 8; rem > 0 {
		b.WriteRune([]rune("▏▎▍▌▋▊▉")[rem-1])
		cells++
	}
	b.WriteString(strings.Repeat("░", width-cells))
	return b.String()
}

func created(t time.Time, year int) string {
	if t.IsZero() {
		return "unknown"
	}
	// Short, to keep the table on the page: the year shows only when it is
	// not the newest batch run's.
	if t.UTC().Year() != year {
		return t.UTC().Format("Jan 2 2006 15:04")
	}
	return t.UTC().Format("Jan 2 15:04")
}

// leftOut is the line that says what the budget left out.
func leftOut(n int, what string) string {
	return fmt.Sprintf("\n_%s left out: the job summary is limited to 1 MB. See the batch runs in SigmaMind._\n", plural(n, what, what+"s"))
}

// details renders the test cases of the gated batch runs, as far as the
// budget allows.
func details(b *strings.Builder, r Result, budget int) {
	cases := r.TestCases
	if len(cases) == 0 {
		return
	}
	var prompted []TestCase
	for _, tc := range cases {
		if tc.Prompt != "" || tc.Criteria != "" {
			prompted = append(prompted, tc)
		}
	}
	const closing = "\n</details>\n\n"
	what := plural(len(cases), "test case", "test cases") + " of the gated batch runs"
	if r.TestCasesNotKept > 0 {
		// Nothing silent: the table is not the whole suite.
		what += fmt.Sprintf(" (at least %d more not shown: more than sigmagate keeps for display)", r.TestCasesNotKept)
	}
	open := fmt.Sprintf("<details><summary>%s</summary>\n\n", what) +
		"| Test case | Model | Attempts | Mock data |\n|:--|:--|--:|:--|\n"
	// Keep room for what may follow the rows: the closing tag and the lines
	// that say what was left out.
	promptsReserve := len(leftOut(len(prompted), "prompt"))
	reserve := len(closing) + len(leftOut(len(cases), "test case")) + promptsReserve
	if b.Len()+len(open)+reserve > budget {
		// No room for the table: say so, if even that fits.
		if line := leftOut(len(cases), "test case"); b.Len()+len(line) <= budget {
			b.WriteString(line)
		}
		return
	}
	b.WriteString(open)
	for i, tc := range cases {
		var mock []string
		for _, m := range tc.MockData {
			mock = append(mock, m.Name+"="+m.Value)
		}
		row := fmt.Sprintf("| %s | %s | %s | %s |\n", cell(label(tc), labelLimit), cell(tc.Model, 40), num(tc.Attempts), cell(strings.Join(mock, ", "), 200))
		if b.Len()+len(row)+reserve > budget {
			b.WriteString(leftOut(len(cases)-i, "test case"))
			break
		}
		b.WriteString(row)
	}
	b.WriteString(closing)
	for i, tc := range prompted {
		// The label goes on one line: a line break in it would end the HTML
		// block, and what follows would be read as markdown.
		block := fmt.Sprintf("<details><summary>%s: prompt and success criteria</summary>\n\n<pre>\nUser prompt:\n%s\n\nSuccess criteria:\n%s\n</pre>\n\n</details>\n\n",
			html(untrusted.Cut(untrusted.OneLine(label(tc)), labelLimit)), html(wrap(untrusted.Cut(tc.Prompt, promptLimit), preWidth)), html(wrap(untrusted.Cut(tc.Criteria, promptLimit), preWidth)))
		if b.Len()+len(block)+promptsReserve > budget {
			b.WriteString(leftOut(len(prompted)-i, "prompt"))
			break
		}
		b.WriteString(block)
	}
}

func label(tc TestCase) string {
	if strings.TrimSpace(tc.Label) != "" {
		return tc.Label
	}
	if tc.ID != "" {
		return tc.ID
	}
	return "(unnamed test case)"
}

func num(n int64) string { return fmt.Sprint(n) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
