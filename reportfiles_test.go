package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/steptest"
)

// runStepIn runs the binary as the runner runs the action, in dir, the
// workspace.
func runStepIn(t *testing.T, dir string, with map[string]string) steptest.Step {
	t.Helper()
	return runBinaryStep(t, binary, dir, with, nil)
}

// junitDoc is the JUnit shape the common readers parse.
type junitDoc struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Tests int    `xml:"tests,attr"`
		Cases []struct {
			Name      string `xml:"name,attr"`
			ClassName string `xml:"classname,attr"`
			Time      string `xml:"time,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// TestReportFilesWritten: both files are written where asked, their folders
// created, and hold the verdict.
func TestReportFilesWritten(t *testing.T) {
	t.Parallel()
	srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now().Add(-time.Hour), 4, 1))
	ws := t.TempDir()
	s := runStepIn(t, ws, with(srv, "junit-file", "reports/junit/sigmagate.xml", "report-file", filepath.Join(ws, "reports/json/sigmagate.json")))
	s.CheckHygiene(t)
	if s.Exit != 1 || s.Outputs["result"] != "fail" {
		t.Fatalf("exit %d, result %q; want 1, fail\n%s%s", s.Exit, s.Outputs["result"], s.Stdout, s.Stderr)
	}
	data, err := os.ReadFile(filepath.Join(ws, "reports/junit/sigmagate.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the JUnit file does not parse: %v\n%s", err, data)
	}
	type tc struct{ Name, Class, Failure string }
	var got []tc
	for _, c := range doc.Suites[0].Cases {
		f := ""
		if c.Failure != nil {
			f = c.Failure.Message
		}
		got = append(got, tc{c.Name, c.ClassName, f})
	}
	want := []tc{{"finished", "sigmagate.agent_x", ""}, {"min-attempts", "sigmagate.agent_x", ""},
		{"max-failure-rate", "sigmagate.agent_x", "failure rate 20.0% is above the limit 0.0% (1 of 5 attempts failed in batch_x)"}}
	if len(doc.Suites) != 1 || doc.Suites[0].Name != "SigmaMind simulations of Support bot (agent_x)" || doc.Tests != 3 || doc.Failures != 1 {
		t.Errorf("JUnit: %d suites, first %q, %d tests, %d failures; want one suite of the agent, 3 tests, 1 failure\n%s", len(doc.Suites), doc.Suites[0].Name, doc.Tests, doc.Failures, data)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JUnit test cases (-want +got):\n%s", diff)
	}

	data, err = os.ReadFile(filepath.Join(ws, "reports/json/sigmagate.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Version   int    `json:"version"`
		Result    string `json:"result"`
		Batches   []struct{ ID string }
		TestCases []struct{ ID, Label string }
	}
	err = json.Unmarshal(data, &rep)
	if err == nil {
		err = json.Unmarshal(steptest.OnlyAgent(t, string(data)), &rep)
	}
	if err != nil || rep.Version != 2 || rep.Result != "fail" || len(rep.Batches) != 1 || rep.Batches[0].ID != "batch_x" ||
		len(rep.TestCases) != 1 || rep.TestCases[0].Label != "Refund request" {
		t.Errorf("the JSON file: %v, %+v\n%s", err, rep, data)
	}
	var output map[string]any
	if err := json.Unmarshal([]byte(s.Outputs["report"]), &output); err != nil || output["version"] != 2.0 {
		t.Errorf("the report output has no version 2: %v %v", err, output["version"])
	}
	for _, name := range []string{"reports/junit/sigmagate.xml", "reports/json/sigmagate.json"} {
		if b, _ := os.ReadFile(filepath.Join(ws, name)); bytes.Contains(b, []byte(steptest.Key)) {
			t.Errorf("%s holds the key", name)
		}
	}
}

// TestReportFilesRefused: a path that cannot be written is an input error,
// before any request.
func TestReportFilesRefused(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	ws, outside := filepath.Join(root, "ws"), filepath.Join(root, "outside")
	for _, d := range []string{ws, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(ws, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "blocker"), []byte("a file, not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ input, path, want string }{
		{"junit-file", "../junit.xml", "is outside the workspace"},
		{"report-file", "reports/../../report.json", "is outside the workspace"},
		{"report-file", filepath.Join(outside, "report.json"), "is outside the workspace"},
		{"junit-file", "escape/junit.xml", "a symbolic link leads out of it"},
		{"junit-file", "escape/deeper/junit.xml", "a symbolic link leads out of it"},
		{"report-file", "blocker/report.json", "cannot be written: not a directory"},
		{"report-file", ".", "names a folder"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now(), 5, 0))
			s := runStepIn(t, ws, with(srv, tt.input, tt.path))
			s.CheckHygiene(t)
			if s.Exit != 2 {
				t.Errorf("exit %d, want 2\n%s", s.Exit, s.Stdout)
			}
			steptest.CheckAnnotation(t, s.Annotations("error"), "input "+tt.input+": ")
			steptest.CheckAnnotation(t, s.Annotations("error"), tt.want)
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d requests, want none before the inputs are valid", n)
			}
			if entries, _ := os.ReadDir(outside); len(entries) > 0 {
				t.Errorf("something was written outside the workspace: %v", entries)
			}
		})
	}
}

// TestReportFileWriteFails: a report file that cannot be written after the
// verdict never turns it into a pass: a pass becomes exit 2, a failure
// keeps exit 1.
func TestReportFileWriteFails(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		successful int64
		wantExit   int
	}{
		{"pass", 5, 2},
		{"fail", 4, 1},
	} {
		for _, input := range []string{"junit-file", "report-file"} {
			t.Run(tt.name+"/"+input, func(t *testing.T) {
				t.Parallel()
				srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now(), tt.successful, 5-tt.successful))
				ws := t.TempDir()
				// The target is a folder, which no file can replace.
				if err := os.MkdirAll(filepath.Join(ws, "out", "report"), 0o755); err != nil {
					t.Fatal(err)
				}
				s := runStepIn(t, ws, with(srv, input, "out/report"))
				s.CheckHygiene(t)
				if s.Exit != tt.wantExit || s.Outputs["result"] != tt.name {
					t.Errorf("exit %d, result %q; want %d, %s\n%s", s.Exit, s.Outputs["result"], tt.wantExit, tt.name, s.Stdout)
				}
				if len(srv.Requests()) == 0 {
					t.Error("no request: the path was refused before the verdict")
				}
				var found bool
				for _, a := range s.Annotations("error") {
					found = found || strings.Contains(a, "could not write the "+input)
				}
				if !found {
					t.Errorf("no annotation says the %s was not written: %q", input, s.Annotations("error"))
				}
				if entries, _ := os.ReadDir(filepath.Join(ws, "out")); len(entries) != 1 {
					t.Errorf("a temporary file was left behind: %v", entries)
				}
			})
		}
	}
}
