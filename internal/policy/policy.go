// Package policy decides what the gate's outcome does to the step: its exit
// status, the passed output, the severity of the annotations that say why
// the gate did not pass, and the note that says why the step's status is not
// the verdict's plain one. Everything that reports the outcome asks Decide,
// so that warn-only, on-inconclusive and on-error mean one thing everywhere.
package policy

import (
	"strings"

	"github.com/sigmagate/sigmagate/gate"
)

// Exit statuses, a contract with workflows and scripts.
const (
	ExitPass  = 0
	ExitFail  = 1 // the gate failed, or was inconclusive with on-inconclusive: fail
	ExitUsage = 2 // invalid input, or a runner environment the step cannot write to
	ExitError = 3 // the API could not be read
)

// Outcome is what the gate came to: a verdict, or an error that kept it from
// judging.
type Outcome struct {
	// Verdict is the gate's when it judged: pass, fail or inconclusive.
	// Anything else is no pass.
	Verdict gate.Verdict
	// Err is set when the gate could not judge; Verdict is then unused.
	Err bool
	// Outage, with Err, says that an outage explains the error and
	// re-running may cure it. The caller classifies errors; Decide only
	// takes the answer.
	Outage bool
}

// Policy is what the inputs warn-only, on-inconclusive and on-error ask
// for. A value other than the documented ones counts as fail, the strictest.
type Policy struct {
	WarnOnly       bool
	OnInconclusive string // fail, warn or pass
	OnError        string // fail or warn
}

// Severity is how the reasons the gate did not pass are annotated.
type Severity string

const (
	None    Severity = ""        // nothing to annotate: the gate passed, or a policy lets it pass silently
	Warning Severity = "warning" // the step passes, and the reasons are warnings
	Error   Severity = "error"   // the step fails
)

// Decision is what an outcome does to the step.
type Decision struct {
	// Code is the exit status.
	Code int
	// Passed is the passed output: true for a pass, and for what a policy
	// lets pass as one (on-inconclusive: pass); a warning is no pass.
	Passed   bool
	Severity Severity
	// Note says, in one plain sentence without a final period, how a policy
	// changed what the outcome does to the step, or why it did not; empty
	// when no policy had a say. The summary, the log and the annotations
	// all show it.
	Note string
}

// Decide returns what the outcome does to the step under the policy. An
// error passes only as an outage with on-error: warn, and never sets
// Passed.
func Decide(o Outcome, p Policy) Decision {
	switch {
	case o.Err && p.OnError == "warn" && o.Outage:
		return Decision{Code: ExitPass, Severity: Warning, Note: "on-error: warn, and an outage may explain this, so this step passes"}
	case o.Err && p.OnError == "warn":
		// A refused key or a wrong api-url would otherwise pass every run
		// with a warning nobody reads.
		return Decision{Code: ExitError, Severity: Error, Note: "on-error: warn lets only outages pass, and this is not one"}
	case o.Err:
		return Decision{Code: ExitError, Severity: Error}
	case o.Verdict == gate.Pass:
		return Decision{Code: ExitPass, Passed: true}
	case o.Verdict == gate.Inconclusive && p.OnInconclusive == "pass":
		return Decision{Code: ExitPass, Passed: true, Note: "on-inconclusive: pass is set: this step passes although the evidence did not decide"}
	case p.WarnOnly && o.Verdict == gate.Inconclusive:
		return Decision{Code: ExitPass, Severity: Warning, Note: "warn-only is set: this step passes, and the inconclusive verdict is reported as a warning"}
	case p.WarnOnly:
		return Decision{Code: ExitPass, Severity: Warning, Note: "warn-only is set: this step passes, and the failure is reported as a warning"}
	case o.Verdict == gate.Inconclusive && p.OnInconclusive == "warn":
		return Decision{Code: ExitPass, Severity: Warning, Note: "on-inconclusive: warn is set: this step passes, and the inconclusive verdict is reported as a warning"}
	}
	return Decision{Code: ExitFail, Severity: Error}
}

// Combine is what the decisions for several agents, judged in one step, do
// to it together: the step fails when any one fails it, with the status of
// the gravest (an error before a failure), and it passed only when each
// passed. Each agent keeps its own decision for its own annotations; a
// policy that excused one agent's outage never excuses another's failure.
func Combine(ds []Decision) Decision {
	var c Decision
	if len(ds) == 0 {
		// Nothing judged is no pass.
		return Decision{Code: ExitError, Severity: Error}
	}
	c.Passed = true
	var notes []string
	seen := map[string]bool{}
	for _, d := range ds {
		if rank(d.Code) > rank(c.Code) {
			c.Code = d.Code
		}
		c.Passed = c.Passed && d.Passed
		if severity(d.Severity) > severity(c.Severity) {
			c.Severity = d.Severity
		}
		if d.Note != "" && !seen[d.Note] {
			seen[d.Note] = true
			notes = append(notes, d.Note)
		}
	}
	c.Note = strings.Join(notes, "; ")
	return c
}

// rank orders exit statuses by gravity.
func rank(code int) int {
	switch code {
	case ExitPass:
		return 0
	case ExitFail:
		return 1
	case ExitError:
		return 3
	}
	return 2 // ExitUsage, and any other failing status
}

func severity(s Severity) int {
	switch s {
	case None:
		return 0
	case Warning:
		return 1
	}
	return 2
}
