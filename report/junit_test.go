package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/gate"
)

// element is a parsed XML element, for checking a report's shape without
// trusting JUnit's own types.
type element struct {
	name     string
	attrs    map[string]string
	children []*element
	text     string
}

func parseXML(t testing.TB, doc string) *element {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	var stack []*element
	var root *element
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			e := &element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				e.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, e)
			} else if root == nil {
				root = e
			} else {
				t.Fatalf("two root elements")
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tok)
			}
		}
	}
	return root
}

// checkJUnitShape holds a report to the shape the Jenkins/Ant JUnit readers
// accept (dorny/test-reporter's java-junit parser reads testsuites > testsuite
// [name, time] > testcase [name, classname, time] > failure | error
// [message, text] | skipped; mikepenz/action-junit-report reads the same,
// and the counts): every attribute they read is there, numbers are numbers,
// and the counts add up.
func checkJUnitShape(t testing.TB, doc string) {
	t.Helper()
	if !strings.HasPrefix(doc, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %.60q", doc)
	}
	root := parseXML(t, doc)
	counts := []string{"tests", "failures", "errors", "skipped"}
	need := func(e *element, attrs ...string) {
		for _, a := range attrs {
			v, ok := e.attrs[a]
			if !ok {
				t.Errorf("<%s> has no %s attribute", e.name, a)
				continue
			}
			switch a {
			case "tests", "failures", "errors", "skipped":
				if _, err := strconv.Atoi(v); err != nil {
					t.Errorf("<%s %s=%q> is not a whole number", e.name, a, v)
				}
			case "time":
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					t.Errorf("<%s time=%q> is not a number", e.name, v)
				}
			case "name":
				if strings.TrimSpace(v) == "" {
					t.Errorf("<%s> has an empty name", e.name)
				}
			}
		}
	}
	if root.name != "testsuites" {
		t.Fatalf("the root is <%s>, want <testsuites>", root.name)
	}
	need(root, append(counts, "name", "time")...)
	total := map[string]int{}
	for _, suite := range root.children {
		if suite.name != "testsuite" {
			t.Errorf("<testsuites> holds <%s>", suite.name)
			continue
		}
		need(suite, append(counts, "name", "time")...)
		got := map[string]int{}
		for _, tc := range suite.children {
			if tc.name != "testcase" {
				t.Errorf("<testsuite> holds <%s>", tc.name)
				continue
			}
			need(tc, "name", "classname", "time")
			got["tests"]++
			if len(tc.children) > 1 {
				t.Errorf("testcase %q has %d results", tc.attrs["name"], len(tc.children))
			}
			for _, r := range tc.children {
				switch r.name {
				case "failure":
					got["failures"]++
					need(r, "message")
				case "error":
					got["errors"]++
					need(r, "message")
				case "skipped":
					got["skipped"]++
				default:
					t.Errorf("testcase %q holds <%s>", tc.attrs["name"], r.name)
				}
			}
		}
		for _, c := range counts {
			if n, _ := strconv.Atoi(suite.attrs[c]); n != got[c] {
				t.Errorf("testsuite %q: %s=%d, but it holds %d", suite.attrs["name"], c, n, got[c])
			}
			total[c] += got[c]
		}
	}
	for _, c := range counts {
		if n, _ := strconv.Atoi(root.attrs[c]); n != total[c] {
			t.Errorf("testsuites: %s=%d, but they hold %d", c, n, total[c])
		}
	}
}

func TestJUnit(t *testing.T) {
	t.Parallel()
	type outcome struct{ Name, Result, Message string }
	cases := map[string]Result{}
	for _, tc := range goldenCases() {
		cases[tc.name] = tc.r
	}
	for _, tt := range []struct {
		name string
		want []outcome
	}{
		{"passing", []outcome{{"finished", "pass", ""}, {"min-attempts", "pass", ""}, {"max-failure-rate", "pass", ""}, {"max-age", "pass", ""}}},
		{"failing", []outcome{{"finished", "pass", ""}, {"min-attempts", "pass", ""},
			{"max-failure-rate", "failure fail", "failure rate 16.7% is above the limit 10.0% (4 failed and 1 undecided of 30 attempts in batch_YhrIAYQobGXHJvg8)"}}},
		{"inconclusive", []outcome{{"finished", "pass", ""}, {"min-attempts", "pass", ""},
			{"max-failure-rate", "failure inconclusive", "inconclusive: " + cases["inconclusive"].Gate.Checks[2].Reason}}},
		{"unknown-attempts", []outcome{{"finished", "skipped", cases["unknown-attempts"].Gate.Checks[0].Reason}, {"min-attempts", "pass", ""}, {"max-failure-rate", "pass", ""}}},
		{"error", []outcome{{"sigmagate", "error error", cases["error"].Err}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := JUnit([]Result{cases[tt.name]})
			checkJUnitShape(t, doc)
			var got junitSuites
			if err := xml.Unmarshal([]byte(doc), &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Suites) != 1 {
				t.Fatalf("%d test suites, want 1 for one agent", len(got.Suites))
			}
			var outcomes []outcome
			for _, c := range got.Suites[0].Cases {
				o := outcome{Name: c.Name, Result: "pass"}
				for kind, p := range map[string]*junitProblem{"failure": c.Failure, "error": c.Error, "skipped": c.Skipped} {
					if p != nil {
						o.Result, o.Message = strings.TrimSpace(kind+" "+p.Type), p.Message
					}
				}
				outcomes = append(outcomes, o)
			}
			if diff := cmp.Diff(tt.want, outcomes); diff != "" {
				t.Errorf("test cases (-want +got):\n%s", diff)
			}
		})
	}
	golden(t, "failing.xml", JUnit([]Result{cases["failing"]}))
}

// TestJUnitHostile: untrusted text, control characters and invalid UTF-8
// included, leaves well-formed XML of the same shape, and reads back as the
// one-line text that went in.
func TestJUnitHostile(t *testing.T) {
	t.Parallel()
	for i, h := range hostile {
		results := fuzzResults(h, hostile[(i+1)%len(hostile)], h, h, hostile[(i+2)%len(hostile)])
		doc := JUnit(results)
		checkJUnitShape(t, doc)
		var got junitSuites
		if err := xml.Unmarshal([]byte(doc), &got); err != nil {
			t.Fatalf("hostile %d: %v", i, err)
		}
		if len(got.Suites) != len(results) {
			t.Fatalf("hostile %d: %d suites for %d agents", i, len(got.Suites), len(results))
		}
		for j, r := range results {
			var want []string
			for _, ch := range r.Gate.Checks {
				if r.Err == "" && ch.Verdict == gate.Fail {
					want = append(want, junitMessage(ch.Reason))
				}
			}
			var msgs []string
			for _, c := range got.Suites[j].Cases {
				if c.Failure != nil && c.Failure.Type == "fail" {
					msgs = append(msgs, c.Failure.Message)
				}
			}
			if diff := cmp.Diff(want, msgs, cmp.Transformer("valid", func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") })); diff != "" {
				t.Errorf("hostile %d, agent %d: failure messages (-want +got):\n%s", i, j, diff)
			}
		}
	}
}

func FuzzJUnit(f *testing.F) {
	f.Add("\x00\x1b<]]>&\"'", "x\xff", "a\r\nb", "batch_\u0085", "m")
	f.Fuzz(func(t *testing.T, label, prompt, criteria, batchID, model string) {
		doc := JUnit(fuzzResults(label, prompt, criteria, batchID, model))
		checkJUnitShape(t, doc)
		if err := xml.Unmarshal([]byte(doc), new(junitSuites)); err != nil {
			t.Fatal(fmt.Errorf("the report does not read back: %w", err))
		}
	})
}
