package report

import (
	"fmt"
	"strings"

	"github.com/sigmagate/sigmagate/gate"
)

// gravity orders outcomes: the step's outcome is its agents' gravest.
var gravity = map[string]int{"pass": 0, "inconclusive": 1, "fail": 2, "error": 3}

// Worst is the outcome of several results judged together: error, then
// fail, then inconclusive, then pass. No result at all is an error: nothing
// judged is no pass.
func Worst(results []Result) string {
	if len(results) == 0 {
		return "error"
	}
	worst := "pass"
	for _, r := range results {
		o := r.Outcome()
		g, ok := gravity[o]
		if !ok {
			return "error" // a verdict this package does not know is no pass
		}
		if g > gravity[worst] {
			worst = o
		}
	}
	return worst
}

// Totals are the counts of every result's gated batch runs added up; ok is
// false when any result is an error, whose counts are unknown: a partial sum
// would read as the whole.
func Totals(results []Result) (c gate.Counts, ok bool) {
	parts := make([]gate.Counts, 0, len(results))
	for _, r := range results {
		if r.Err != "" {
			return gate.Counts{}, false
		}
		parts = append(parts, r.Gate.Counts)
	}
	return gate.Sum(parts), len(results) > 0
}

// overviewIDs is how many gated batch runs an overview row names.
const overviewIDs = 3

// overview renders the table that opens a summary of several agents: one
// row an agent, so that the verdict of each is read before any detail.
func overview(results []Result) string {
	var b strings.Builder
	b.WriteString(overviewTitle(results))
	b.WriteString("| Agent | Verdict | Failure rate | Attempts | Gated batch runs |\n|:--|:--|--:|--:|:--|\n")
	for _, r := range results {
		name := cell(r.AgentID, idLimit)
		if r.AgentName != "" {
			name = cell(r.AgentName, labelLimit) + " (" + name + ")"
		}
		mark := verdictMark[r.Gate.Verdict]
		rate, attempts, runs := "n/a", "", ""
		if r.Err != "" {
			// The error is told in the agent's part below: in a column of
			// numbers it would only stretch the table.
			mark, attempts, runs = "🛑 error", "—", "not judged: see below"
		} else {
			c := r.Gate.Counts
			if c.Total > 0 {
				rate = gate.Percent(c.FailureRate())
			}
			attempts = fmt.Sprintf("%s of %s failed", num(c.Failures()), num(c.Total))
			runs = gatedLinks(r, func(id, u string) string { return link(id, u, idLimit) })
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, mark, rate, attempts, runs)
	}
	b.WriteByte('\n')
	if c, ok := Totals(results); ok && c.Total > 0 {
		fmt.Fprintf(&b, "All agents together: %s of %s attempts did not succeed (%s), in %s.\n\n",
			num(c.Failures()), num(c.Total), gate.Percent(c.FailureRate()), plural(c.Batches, "gated batch run", "gated batch runs"))
	}
	return b.String()
}

func overviewTitle(results []Result) string {
	return fmt.Sprintf("## %s: SigmaMind simulations of %d agents\n\n", verdictTitle[Worst(results)], len(results))
}

// gatedLinks names the newest gated batch runs of r, each shown by show,
// and counts the rest.
func gatedLinks(r Result, show func(id, url string) string) string {
	var out []string
	more := 0
	for _, row := range r.Rows {
		if row.Role != Gated {
			continue
		}
		if len(out) == overviewIDs {
			more++
			continue
		}
		out = append(out, show(row.Batch.ID, row.URL))
	}
	s := strings.Join(out, ", ")
	if more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}
