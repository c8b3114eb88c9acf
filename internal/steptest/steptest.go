// Package steptest runs sigmagate's step as the GitHub Actions runner does,
// and reads what the step leaves behind the way the runner does: for the
// tests of the binary (package main) and of the application in process
// (package action).
package steptest

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/ghio/ghiotest"
	"github.com/sigmagate/sigmagate/internal/prcomment/prcommenttest"
	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// Key is the API key of the tests' fake APIs.
const Key = "sk-live-0123456789abcdef"

// Now is the tests' fixed clock.
var Now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// Root returns the module's root directory, where action.yml and README.md
// are, from the directory of the package under test.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// Input is one input of action.yml.
type Input struct {
	Name, Default, Description string
	Required                   bool
}

// ReadAction reads the inputs and outputs of action.yml. It understands the
// file's own plain layout (two-space indents, single-quoted scalars on one
// line) and fails on anything else rather than guess.
func ReadAction(t testing.TB) (inputs []Input, outputs []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(Root(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		key, value, _ := strings.Cut(strings.TrimSpace(line), ":")
		value = unquote(t, strings.TrimSpace(value))
		switch {
		case indent == 0:
			section = key
		case indent == 2 && section == "inputs":
			inputs = append(inputs, Input{Name: key})
		case indent == 2 && section == "outputs":
			outputs = append(outputs, key)
		case indent == 4 && section == "inputs":
			in := &inputs[len(inputs)-1]
			switch key {
			case "default":
				in.Default = value
			case "required":
				in.Required = value == "true"
			case "description":
				in.Description = value
			default:
				t.Fatalf("action.yml: input %s has an unexpected key %q", in.Name, key)
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 || len(outputs) == 0 {
		t.Fatalf("action.yml: found %d inputs and %d outputs", len(inputs), len(outputs))
	}
	return inputs, outputs
}

func unquote(t testing.TB, s string) string {
	t.Helper()
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	if strings.HasPrefix(s, "\"") || strings.HasPrefix(s, "'") {
		t.Fatalf("action.yml: use single quotes, on one line: %s", s)
	}
	return s
}

// Step is what a run of the action leaves behind.
type Step struct {
	Exit           int
	Outputs        map[string]string
	Summary        string
	Stdout, Stderr string
}

// Env builds the environment the runner gives a container action: every
// input declared in action.yml as INPUT_<NAME> with hyphens kept, the
// default when not given, and files for outputs and the summary.
func Env(t testing.TB, with map[string]string) (vars map[string]string, outPath, sumPath string) {
	t.Helper()
	dir := t.TempDir()
	outPath, sumPath = filepath.Join(dir, "set_output"), filepath.Join(dir, "step_summary")
	for _, p := range []string{outPath, sumPath} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inputs, _ := ReadAction(t)
	vars = map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outPath, "GITHUB_STEP_SUMMARY": sumPath, "HOME": dir}
	declared := map[string]bool{}
	for _, in := range inputs {
		declared[in.Name] = true
		v, ok := with[in.Name]
		if !ok {
			v = in.Default
		}
		if v == "${{ github.token }}" {
			v = GitHubToken // the runner evaluates the expression
		}
		vars["INPUT_"+strings.ToUpper(in.Name)] = v
	}
	for name := range with {
		if !declared[name] {
			t.Fatalf("input %q is not declared in action.yml", name)
		}
	}
	return vars, outPath, sumPath
}

// GitHubToken is the job's token as the runner passes it to github-token's
// default; the fake GitHub (prcommenttest) accepts it.
const GitHubToken = prcommenttest.DefaultToken

// Read reads the outputs and the summary the step wrote, as the runner
// does.
func (s *Step) Read(t testing.TB, outPath, sumPath string) {
	t.Helper()
	data, err := os.ReadFile(outPath)
	if err == nil {
		var perr error
		s.Outputs, perr = ghiotest.ParseOutputs(string(data))
		if perr != nil {
			t.Errorf("the runner could not parse the outputs file: %v\n%s", perr, data)
		}
	}
	if sum, err := os.ReadFile(sumPath); err == nil {
		s.Summary = string(sum)
	}
}

// Everything is all the step left where people or later steps can see it.
func (s Step) Everything() string {
	var b strings.Builder
	for _, line := range strings.Split(s.Stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString(s.Stderr + s.Summary)
	for k, v := range s.Outputs {
		b.WriteString(k + "=" + v + "\n")
	}
	return b.String()
}

// CheckHygiene holds for every run: Key is masked first and appears nowhere
// else, no Go stack trace, no workflow command but the gate's own.
func (s Step) CheckHygiene(t testing.TB) {
	t.Helper()
	if strings.Contains(s.Everything(), GitHubToken) {
		t.Errorf("the job's token leaked:\nstdout: %s\nstderr: %s\nsummary: %s\noutputs: %v", s.Stdout, s.Stderr, s.Summary, s.Outputs)
	}
	if strings.Contains(s.Everything(), Key) {
		t.Errorf("the API key leaked:\nstdout: %s\nstderr: %s\nsummary: %s\noutputs: %v", s.Stdout, s.Stderr, s.Summary, s.Outputs)
	}
	if first, _, _ := strings.Cut(s.Stdout, "\n"); !strings.HasPrefix(first, "::add-mask::") {
		t.Errorf("first line of stdout = %q, want the ::add-mask:: command", first)
	}
	if strings.Contains(s.Stdout+s.Stderr, "goroutine ") || strings.Contains(s.Stdout+s.Stderr, "panic:") {
		t.Errorf("a Go stack trace reached the log:\n%s%s", s.Stdout, s.Stderr)
	}
	for _, line := range ghiotest.CommandLines(s.Stdout + s.Stderr) {
		if !strings.HasPrefix(line, "::add-mask::") && !strings.HasPrefix(line, "::error::") && !strings.HasPrefix(line, "::warning::") {
			t.Errorf("unexpected workflow command in the log: %q", line)
		}
	}
}

// CheckNoKey holds for every run: the key is in no form, in nothing the step
// left (the log but its ::add-mask:: line, the annotations as the runner
// shows them, the summary, the outputs).
func (s Step) CheckNoKey(t testing.TB, key string) {
	t.Helper()
	all := s.Everything() + strings.Join(s.Annotations("error"), "\n") + strings.Join(s.Annotations("warning"), "\n")
	if found := untrustedtest.Leaks(all, key); len(found) > 0 {
		t.Errorf("the key %q leaked as %s:\nstdout: %s\nstderr: %s\nsummary: %s\noutputs: %v", key, strings.Join(found, ", "), s.Stdout, s.Stderr, s.Summary, s.Outputs)
	}
}

// Annotations are the messages of the step's annotations of a kind (error,
// warning), as the runner shows them.
func (s Step) Annotations(kind string) []string {
	var out []string
	for _, line := range strings.Split(s.Stdout, "\n") {
		if msg, ok := strings.CutPrefix(line, "::"+kind+"::"); ok {
			// Undo the runner's data escaping, as the runner does.
			out = append(out, ghiotest.UnescapeData(msg))
		}
	}
	return out
}

// CheckAnnotation checks that got is one annotation containing want, or
// none when want is empty.
func CheckAnnotation(t testing.TB, got []string, want string) {
	t.Helper()
	if want == "" {
		if len(got) > 0 {
			t.Errorf("unexpected annotations %q", got)
		}
		return
	}
	if len(got) != 1 || !strings.Contains(got[0], want) {
		t.Errorf("annotations = %q, want one containing %q", got, want)
	}
}

// CheckTables asserts every markdown table row has its header's columns.
func CheckTables(t testing.TB, md string) {
	t.Helper()
	cols := -1
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = -1
			continue
		}
		n := strings.Count(line, "|") - strings.Count(line, `\|`)
		if cols < 0 {
			cols = n
		} else if n != cols {
			t.Errorf("table row has %d separators, header %d: %q", n, cols, line)
		}
	}
}

// NewFake starts a fake SigmaMind API that takes Key, with the batch runs of
// agent_x and an agent_empty without any.
func NewFake(t testing.TB, runs ...sigmamind.BatchRun) *sigmamindtest.Server {
	t.Helper()
	srv := sigmamindtest.NewServer(sigmamindtest.WithAPIKey(Key))
	t.Cleanup(srv.Close)
	srv.AddBatchRuns("agent_x", runs...)
	srv.AddAgent("agent_empty")
	return srv
}

// Run5 is a finished batch run of agent_x, with one test case of five
// attempts.
func Run5(id string, created time.Time, successful, failed int64) sigmamind.BatchRun {
	return sigmamind.BatchRun{
		BatchID: id, CreatedDate: created,
		Agent:              &sigmamind.Agent{Name: "Support bot", AgentID: "agent_x", Status: "Live"},
		TestCases:          []sigmamind.TestCase{{TestCaseID: "tc_1", Label: "Refund request", LLMModel: "gpt-4o-mini", Attempt: 5}},
		SuccessfulAttempts: successful, FailedAttempts: failed, TotalAttempts: 5,
	}
}

// Encodings of a key as a server might echo it: as it is, and in the forms
// that URLs, JSON and HTML give it.
func Encodings(key string) []string {
	var out []string
	for _, name := range []string{"itself", "url.QueryEscape", "percent, punctuation, lower", "json unicode, punctuation, upper",
		"strconv.Quote", "html.EscapeString", "html hex, punctuation"} {
		out = append(out, untrustedtest.Encode(name, key))
	}
	return out
}

// OnlyAgent returns the JSON of the one agent a report (the report output or
// file) holds, for tests of one agent that read its rules, batches or runs
// started; it fails the test unless there is exactly one.
func OnlyAgent(t testing.TB, report string) []byte {
	t.Helper()
	var doc struct {
		Version int               `json:"version"`
		Agents  []json.RawMessage `json:"agents"`
	}
	if err := json.Unmarshal([]byte(report), &doc); err != nil || doc.Version != 2 || len(doc.Agents) != 1 {
		t.Fatalf("report: %v, version %d, %d agents; want version 2 with one agent:\n%s", err, doc.Version, len(doc.Agents), report)
	}
	return doc.Agents[0]
}
