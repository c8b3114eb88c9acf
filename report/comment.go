package report

import (
	"fmt"
	"strings"
)

// MaxCommentBytes bounds a pull request comment: GitHub refuses a body of
// 65,536 characters or more, and bytes are never fewer than characters.
// What goes around the comment (a marker, a footer) needs its own room: see
// CommentWithin.
const MaxCommentBytes = 65536 - 1024

// Comment renders the pull request comment: what a reviewer needs without
// opening the job: the verdict, the rules broken, the counts and the batch
// runs, and a link to the whole report (runURL, the workflow run; "" for
// none). It stays under MaxCommentBytes whatever the results hold; details
// that do not fit are left to the job summary, with a line that says so.
func Comment(results []Result, runURL string) string {
	return CommentWithin(results, runURL, MaxCommentBytes)
}

// CommentWithin is Comment in at most limit bytes (at most MaxCommentBytes),
// for a comment that shares GitHub's limit with a marker that may itself be
// long: 50 agent ids of 128 characters.
func CommentWithin(results []Result, runURL string, limit int) string {
	limit = min(limit, MaxCommentBytes)
	var b strings.Builder
	if len(results) > 1 {
		b.WriteString(overview(results))
	}
	tail := commentTail(runURL)
	for i, r := range results {
		part := commentPart(r, len(results) > 1)
		rest := len(results) - i - 1
		if b.Len()+len(part)+len(tail)+len(commentCut(rest+1)) > limit {
			b.WriteString(commentCut(rest + 1))
			break
		}
		b.WriteString(part)
	}
	if b.Len()+len(tail) > limit {
		// Only an overview of absurd texts gets here: the verdict line and
		// the link are what must stay.
		s := overviewTitle(results) + commentCut(len(results))
		b.Reset()
		b.WriteString(s)
	}
	b.WriteString(tail)
	return b.String()
}

// commentPart is one agent's part: its head without the tables, which the
// job summary holds.
func commentPart(r Result, several bool) string {
	var b strings.Builder
	name := cell(r.AgentID, idLimit)
	if r.AgentName != "" {
		name = cell(r.AgentName, labelLimit) + " (" + name + ")"
	}
	if several {
		if r.Outcome() == "pass" && r.Note == "" {
			return "" // the overview's row says all there is
		}
		fmt.Fprintf(&b, "**%s**: %s\n\n", name, verdictTitle[r.Outcome()])
	} else {
		fmt.Fprintf(&b, "## %s: SigmaMind simulations of %s\n\n", verdictTitle[r.Outcome()], name)
	}
	if r.Err != "" {
		fmt.Fprintf(&b, "**The gate could not judge the agent:** %s\n\n", cell(r.Err, 1000))
		if r.Hint != "" {
			fmt.Fprintf(&b, "**What to do:** %s\n\n", cell(r.Hint, 1000))
		}
		note(&b, r.Note)
		return b.String()
	}
	broken := r.Gate.Broken()
	for i, c := range broken {
		if i == 5 {
			fmt.Fprintf(&b, "- … and %d more, in the job summary\n", len(broken)-5)
			break
		}
		fmt.Fprintf(&b, "- **%s:** %s\n", c.Rule, cell(c.Reason, 500))
	}
	if len(broken) > 0 {
		b.WriteByte('\n')
	}
	note(&b, r.Note)
	if c := r.Gate.Counts; c.Batches > 0 && !several {
		b.WriteString(attemptsSaid(c, gatedLinks(r, func(id, u string) string { return link(id, u, idLimit) })))
	}
	return b.String()
}

func commentCut(n int) string {
	return fmt.Sprintf("_%s left out of this comment: it is limited to 64 KB; the job summary has them._\n\n", plural(n, "agent's details", "agents' details"))
}

// commentTail links the whole report. The URL is the runner's, built from
// its environment, and encoded all the same.
func commentTail(runURL string) string {
	if runURL == "" || len(runURL) > 2048 { // no real run's address is that long
		return "_The rules, the batch runs and the test cases are in the workflow run's job summary._\n"
	}
	return "_The rules, the batch runs and the test cases: [job summary](" + linkURL(runURL) + ")._\n"
}
