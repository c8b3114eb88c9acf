package report

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// Text renders one result for a terminal: the verdict first, then why, the
// rules with their limits, and the batch runs, in columns aligned with
// spaces. It has no markdown and no HTML. With colour, the verdicts are
// coloured with ANSI escapes, the only control characters it writes:
// untrusted text is one line of printable characters, no run of two spaces
// (the columns' separator), and no line starts with it, so that nothing it
// holds can move the cursor, recolour the screen, start a workflow command
// or shift a column.
//
// Several results open with a table of their verdicts, one row an agent.
func Text(results []Result, colour bool) string {
	if len(results) == 1 {
		return text(results[0], colour)
	}
	var b strings.Builder
	textOverview(&b, results, painter(colour))
	for _, r := range results {
		b.WriteString("\n" + strings.Repeat("-", 72) + "\n\n")
		b.WriteString(text(r, colour))
	}
	return b.String()
}

// textOverview renders the verdict of each of several results, the
// program's words first on each line.
func textOverview(b *strings.Builder, results []Result, p painter) {
	worst := Worst(results)
	fmt.Fprintf(b, "%s  SigmaMind simulations of %d agents\n\n", p.verdict(worst, strings.ToUpper(worst)), len(results))
	rows := [][]string{{"Verdict", "Failure rate", "Attempts failed", "Agent"}}
	outcomes := []string{""}
	for _, r := range results {
		name := plain(r.AgentID, idLimit)
		if r.AgentName != "" {
			name = plain(r.AgentName, labelLimit) + " (" + name + ")"
		}
		rate, attempts := "n/a", "n/a"
		if r.Err == "" {
			c := r.Gate.Counts
			if c.Total > 0 {
				rate = gate.Percent(c.FailureRate())
			}
			attempts = num(c.Failures()) + " of " + num(c.Total)
		}
		rows = append(rows, []string{r.Outcome(), rate, attempts, name})
		outcomes = append(outcomes, r.Outcome())
	}
	columns(b, rows, []bool{false, true, true, false}, func(row, col int, s string) string {
		if row == 0 || col != 0 {
			return s
		}
		return p.verdict(outcomes[row], s)
	})
	if c, ok := Totals(results); ok && c.Total > 0 {
		fmt.Fprintf(b, "\nAll agents together: %s of %s attempts did not succeed (%s), in %s.\n",
			num(c.Failures()), num(c.Total), gate.Percent(c.FailureRate()), plural(c.Batches, "gated batch run", "gated batch runs"))
	}
}

func text(r Result, colour bool) string {
	p := painter(colour)
	var b strings.Builder
	name := plain(r.AgentID, idLimit)
	if r.AgentName != "" {
		name = plain(r.AgentName, labelLimit) + " (" + name + ")"
	}
	fmt.Fprintf(&b, "%s  SigmaMind simulations of %s\n\n", p.verdict(r.Outcome(), strings.ToUpper(r.Outcome())), name)
	if r.Err != "" {
		fmt.Fprintf(&b, "The gate could not judge the agent: %s\n", plain(r.Err, 1000))
		if r.Hint != "" {
			fmt.Fprintf(&b, "What to do: %s\n", plain(r.Hint, 1000))
		}
		b.WriteByte('\n')
		textNote(&b, r.Note)
		textStarted(&b, r.Started)
		return b.String()
	}
	broken := r.Gate.Broken()
	for i, c := range broken {
		if i == 10 {
			fmt.Fprintf(&b, "- and %d more, in the table below\n", len(broken)-10)
			break
		}
		fmt.Fprintf(&b, "- %s: %s\n", c.Rule, plain(c.Reason, 1000))
	}
	if len(broken) > 0 {
		b.WriteByte('\n')
	}
	textNote(&b, r.Note)
	textStarted(&b, r.Started)
	if c := r.Gate.Counts; c.Batches > 0 {
		fmt.Fprintf(&b, "%s of %s attempts succeeded, %s failed", num(c.Successful), num(c.Total), num(c.Failed))
		if c.Undecided > 0 {
			fmt.Fprintf(&b, " and %s undecided (counted as failed)", num(c.Undecided))
		}
		fmt.Fprintf(&b, ", in %s", plural(c.Batches, "gated batch run", "gated batch runs"))
		if c.Pending > 0 {
			fmt.Fprintf(&b, "; %s still to run", plural(int(c.Pending), "attempt is", "attempts are"))
		}
		b.WriteString(".\n\n")
	}
	for _, n := range r.Gate.Notes {
		fmt.Fprintf(&b, "Note: %s\n\n", plain(n, 500))
	}

	rules := [][]string{{"Rule", "Limit", "Actual", "Verdict"}}
	marks := []string{""}
	for _, ch := range r.Gate.Checks {
		mark := string(ch.Verdict)
		if ch.Provisional != "" {
			mark = string(ch.Provisional) + " so far"
		}
		rules = append(rules, []string{ch.Rule, plain(ch.LimitText, 60), plain(actual(ch), 200), mark})
		marks = append(marks, string(ch.Verdict))
	}
	columns(&b, rules, []bool{false, false, false, false}, func(row, col int, s string) string {
		if row == 0 || col != 3 {
			return s
		}
		return p.verdict(marks[row], s)
	})
	b.WriteByte('\n')
	explained := explained(r.Gate)
	for _, ch := range explained {
		fmt.Fprintf(&b, "- %s: %s\n", ch.Rule, plain(ch.Reason, 1000))
	}
	if len(explained) > 0 {
		b.WriteByte('\n')
	}
	textBatches(&b, r)
	return b.String()
}

// textBatches renders the batch runs listed. The role comes first: it is
// the program's word, so no row starts with text from the API.
func textBatches(b *strings.Builder, r Result) {
	if len(r.Rows) == 0 {
		return
	}
	rows := [][]string{{"Role", "Batch run", "Failure rate", "Passed", "Failed", "Undecided", "Total", "Created (UTC)"}}
	right := []bool{false, false, true, true, true, true, true, false}
	links := slices.ContainsFunc(r.Rows, func(row Row) bool { return row.URL != "" })
	if links {
		// Last, so that a long URL pushes no other column out of line.
		rows[0], right = append(rows[0], "Link"), append(right, false)
	}
	more := 0
	for i, row := range r.Rows {
		if i == r.TrendRows && i > 0 {
			more = len(r.Rows) - i
			break
		}
		run := row.Batch
		counts := run
		if row.Role == Baseline {
			counts = gate.AsBaseline(counts)
		}
		total := num(run.Total)
		switch {
		case counts.Expected == 0:
			total += " (configured attempts unknown)"
		case counts.Pending() > 0:
			total += " of " + num(counts.Expected) + " (running)"
		}
		rate := "n/a"
		if c := gate.Pool([]gate.Batch{counts}); c.Total > 0 {
			rate = gate.Percent(c.FailureRate())
		}
		cells := []string{string(row.Role), plain(run.ID, idLimit), rate, num(run.Successful), num(run.Failed), num(counts.Undecided()), total,
			created(run.Created, r.Rows[0].Batch.Created.UTC().Year())}
		if links {
			cells = append(cells, encodeURL(row.URL, false))
		}
		rows = append(rows, cells)
	}
	columns(b, rows, right, nil)
	if more > 0 {
		fmt.Fprintf(b, "(%s not shown)\n", plural(more, "older batch run", "older batch runs"))
	}
	if len(r.Notes) > 0 {
		b.WriteByte('\n')
	}
	for i, n := range r.Notes {
		if i == 3 {
			fmt.Fprintf(b, "(%s)\n", plural(len(r.Notes)-3, "more note", "more notes"))
			break
		}
		fmt.Fprintf(b, "Note: %s\n", plain(n, 500))
	}
}

func textNote(b *strings.Builder, text string) {
	if text != "" {
		fmt.Fprintf(b, "Note: %s.\n\n", plain(text, 500))
	}
}

func textStarted(b *strings.Builder, s *Started) {
	if s == nil {
		return
	}
	ids := make([]string, len(s.BatchIDs))
	for i, id := range s.BatchIDs {
		ids[i] = plain(id, idLimit)
		if u := s.url(i); u != "" {
			ids[i] += " (" + encodeURL(u, false) + ")"
		}
	}
	started := "none"
	if len(ids) > 0 {
		started = strings.Join(ids, ", ")
	}
	fmt.Fprintf(b, "Batch runs this step started: %s; %s of %d, stopped because %s.\n\n", started, plural(s.Runs, "run", "runs"), s.MaxRuns, stopText[s.Stop])
}

// columns writes rows as columns padded with spaces to their widest cell, at
// least two spaces apart; right-aligned columns are numbers. paint, when not
// nil, colours a left-aligned cell before it is padded, so that the escapes
// take no width.
func columns(b *strings.Builder, rows [][]string, right []bool, paint func(row, col int, s string) string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for r, row := range rows {
		var line strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if right[i] {
				line.WriteString(pad + c)
				continue
			}
			if paint != nil {
				c = paint(r, i, c)
			}
			line.WriteString(c)
			if i < len(row)-1 {
				line.WriteString(pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}

// plain makes untrusted text safe for a terminal line: one line of
// printable characters (no escape, no control character), no run of
// spaces, cut to limit runes, and no "##[", which the runner reads as a
// command anywhere in a line were the report logged. "::" is left alone
// ("::1" in an address must read right): it starts a command only at the
// start of a line, and no line of the report starts with untrusted text.
func plain(s string, limit int) string {
	s = untrusted.Cut(untrusted.OneLine(s), limit)
	if !strings.Contains(s, "##[") {
		return s
	}
	return strings.ReplaceAll(s, "##[", "## [")
}

type painter bool

// ANSI colours of the verdicts; NO_COLOR and pipes get none (the caller
// decides).
var verdictColour = map[string]string{
	"pass":         "\x1b[32m", // green
	"fail":         "\x1b[31m", // red
	"error":        "\x1b[31m",
	"inconclusive": "\x1b[33m", // yellow
}

func (p painter) verdict(v, s string) string {
	c, ok := verdictColour[v]
	if !bool(p) || !ok {
		return s
	}
	return "\x1b[1m" + c + s + "\x1b[0m"
}
