package report

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// JUnit shapes, as Jenkins and Ant write them and as the common readers
// (dorny/test-reporter, mikepenz/action-junit-report, GitLab) parse them:
// testsuites > testsuite > testcase > failure | error | skipped.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Time     string      `xml:"time,attr"`
		Cases    []junitCase `xml:"testcase"`
	}
	junitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure"`
		Error     *junitProblem `xml:"error"`
		Skipped   *junitProblem `xml:"skipped"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr,omitempty"`
		Text    string `xml:",chardata"`
	}
)

// JUnit renders results as a JUnit XML report: one testsuite per agent, one
// testcase per rule. A broken rule is a failure with the reason; an
// inconclusive one is a failure too (type "inconclusive"), because the
// evidence did not show that the limit holds, and a dashboard must not show
// it green; a rule the gate skipped is a skipped case. A result that is an
// error is one testcase, "sigmagate", with an error element. Times are 0:
// the gate judges runs, it does not time them. Invalid XML characters in
// untrusted text become U+FFFD.
func JUnit(results []Result) string {
	all := junitSuites{Name: "sigmagate", Time: "0"}
	for _, r := range results {
		s := junitSuite{Name: "SigmaMind simulations of " + agentName(r), Time: "0"}
		class := "sigmagate." + untrusted.Cut(untrusted.OneLine(r.AgentID), 200)
		if r.Err != "" {
			text := r.Err
			if r.Hint != "" {
				text += "\nWhat to do: " + r.Hint
			}
			s.Cases = append(s.Cases, junitCase{Name: "sigmagate", ClassName: class, Time: "0",
				Error: &junitProblem{Message: junitMessage(r.Err), Type: "error", Text: text}})
			s.Errors++
		}
		for _, ch := range checksOf(r) {
			c := junitCase{Name: ch.Rule, ClassName: class, Time: "0"}
			text := fmt.Sprintf("%s\nlimit: %s\nactual: %s", ch.Reason, untrusted.OneLine(ch.LimitText), untrusted.OneLine(actual(ch)))
			switch ch.Verdict {
			case gate.Fail:
				c.Failure = &junitProblem{Message: junitMessage(ch.Reason), Type: "fail", Text: text}
				s.Failures++
			case gate.Inconclusive:
				c.Failure = &junitProblem{Message: junitMessage("inconclusive: " + ch.Reason), Type: "inconclusive", Text: text}
				s.Failures++
			case gate.Skipped:
				c.Skipped = &junitProblem{Message: junitMessage(ch.Reason)}
				s.Skipped++
			}
			s.Cases = append(s.Cases, c)
		}
		s.Tests = len(s.Cases)
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
		all.Skipped += s.Skipped
		all.Suites = append(all.Suites, s)
	}
	out, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		// Strings and numbers always encode; answer with a valid report all
		// the same.
		return xml.Header + `<testsuites name="sigmagate" tests="0" failures="0" errors="0" skipped="0" time="0"></testsuites>` + "\n"
	}
	return xml.Header + string(out) + "\n"
}

// checksOf are the rules a result judged; none when it is an error.
func checksOf(r Result) []gate.Check {
	if r.Err != "" {
		return nil
	}
	return r.Gate.Checks
}

func agentName(r Result) string {
	name := untrusted.Cut(untrusted.OneLine(r.AgentID), idLimit)
	if r.AgentName != "" {
		name = untrusted.Cut(untrusted.OneLine(r.AgentName), labelLimit) + " (" + name + ")"
	}
	return name
}

// junitMessage is a one-line message, short enough for a dashboard's
// column; the element's text has the whole.
func junitMessage(s string) string {
	return strings.TrimSpace(untrusted.Cut(untrusted.OneLine(s), 1000))
}
