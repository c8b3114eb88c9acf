package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/ghio/ghiotest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// binary is sigmagate built once for the tests that run it as the runner
// does.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sigmagate-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binary = filepath.Join(dir, "sigmagate")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const testKey = "sk-live-0123456789abcdef"

var testNow = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// step is what a run of the action leaves behind.
type step struct {
	exit            int
	outputs         map[string]string
	summary         string
	stdout, stderr  string
	outputsReadable error
}

// stepEnv builds the environment the runner gives a container action: every
// input declared in action.yml as INPUT_<NAME> with hyphens kept, the
// default when not given, and files for outputs and the summary.
func stepEnv(t *testing.T, with map[string]string) (vars map[string]string, outPath, sumPath string) {
	t.Helper()
	dir := t.TempDir()
	outPath, sumPath = filepath.Join(dir, "set_output"), filepath.Join(dir, "step_summary")
	for _, p := range []string{outPath, sumPath} {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	inputs, _ := readAction(t)
	vars = map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": outPath, "GITHUB_STEP_SUMMARY": sumPath, "HOME": dir}
	declared := map[string]bool{}
	for _, in := range inputs {
		declared[in.Name] = true
		v, ok := with[in.Name]
		if !ok {
			v = in.Default
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

// runStep runs the compiled binary as the runner runs the action.
func runStep(t *testing.T, with map[string]string, env map[string]string) step {
	t.Helper()
	vars, outPath, sumPath := stepEnv(t, with)
	for k, v := range env {
		if v == "<unset>" {
			delete(vars, k)
		} else {
			vars[k] = v
		}
	}
	cmd := exec.Command(binary)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	s := step{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		s.exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	s.read(t, outPath, sumPath)
	return s
}

func (s *step) read(t *testing.T, outPath, sumPath string) {
	t.Helper()
	data, err := os.ReadFile(outPath)
	if err == nil {
		s.outputs, s.outputsReadable = ghiotest.ParseOutputs(string(data))
		if s.outputsReadable != nil {
			t.Errorf("the runner could not parse the outputs file: %v\n%s", s.outputsReadable, data)
		}
	}
	if sum, err := os.ReadFile(sumPath); err == nil {
		s.summary = string(sum)
	}
}

// everything is all the step left where people or later steps can see it.
func (s step) everything() string {
	var b strings.Builder
	for _, line := range strings.Split(s.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			b.WriteString(line + "\n")
		}
	}
	b.WriteString(s.stderr + s.summary)
	for k, v := range s.outputs {
		b.WriteString(k + "=" + v + "\n")
	}
	return b.String()
}

// checkHygiene holds for every run: the key is masked first and appears
// nowhere else, no Go stack trace, no workflow command but the gate's own.
func (s step) checkHygiene(t *testing.T) {
	t.Helper()
	if strings.Contains(s.everything(), testKey) {
		t.Errorf("the API key leaked:\nstdout: %s\nstderr: %s\nsummary: %s\noutputs: %v", s.stdout, s.stderr, s.summary, s.outputs)
	}
	if first, _, _ := strings.Cut(s.stdout, "\n"); !strings.HasPrefix(first, "::add-mask::") {
		t.Errorf("first line of stdout = %q, want the ::add-mask:: command", first)
	}
	if strings.Contains(s.stdout+s.stderr, "goroutine ") || strings.Contains(s.stdout+s.stderr, "panic:") {
		t.Errorf("a Go stack trace reached the log:\n%s%s", s.stdout, s.stderr)
	}
	for _, line := range ghiotest.CommandLines(s.stdout + s.stderr) {
		if !strings.HasPrefix(line, "::add-mask::") && !strings.HasPrefix(line, "::error::") && !strings.HasPrefix(line, "::warning::") {
			t.Errorf("unexpected workflow command in the log: %q", line)
		}
	}
}

func (s step) annotations(kind string) []string {
	var out []string
	for _, line := range strings.Split(s.stdout, "\n") {
		if msg, ok := strings.CutPrefix(line, "::"+kind+"::"); ok {
			// Undo the runner's data escaping, as the runner does.
			out = append(out, ghiotest.UnescapeData(msg))
		}
	}
	return out
}

// newFake starts a fake SigmaMind API with one agent's batch runs.
func newFake(t *testing.T, runs ...sigmamind.BatchRun) *sigmamindtest.Server {
	t.Helper()
	srv := sigmamindtest.NewServer(sigmamindtest.WithAPIKey(testKey))
	t.Cleanup(srv.Close)
	srv.AddBatchRuns("agent_x", runs...)
	srv.AddAgent("agent_empty")
	return srv
}

// run5 is a finished batch run of one test case with five attempts.
func run5(id string, created time.Time, successful, failed int64) sigmamind.BatchRun {
	return sigmamind.BatchRun{
		BatchID: id, CreatedDate: created,
		Agent:              &sigmamind.Agent{Name: "Support bot", AgentID: "agent_x", Status: "Live"},
		TestCases:          []sigmamind.TestCase{{TestCaseID: "tc_1", Label: "Refund request", LLMModel: "gpt-4o-mini", Attempt: 5}},
		SuccessfulAttempts: successful, FailedAttempts: failed, TotalAttempts: 5,
	}
}

func TestActionAsTheRunnerRunsIt(t *testing.T) {
	now := time.Now().UTC()
	srv := newFake(t,
		run5("batch_x", now.Add(-time.Hour), 4, 1),
		run5("batch_w", now.Add(-2*time.Hour), 5, 0),
	)
	running := newFake(t, sigmamind.BatchRun{BatchID: "batch_r", CreatedDate: now, TotalAttempts: 2, SuccessfulAttempts: 2,
		TestCases: []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: 10}}})
	base := map[string]string{"api-key": testKey, "agent-id": "agent_x", "api-url": srv.URL}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	counts := func(result, passed, rate, success, failed, successful, total, ids string) map[string]string {
		return map[string]string{"result": result, "passed": passed, "failure-rate": rate, "success-rate": success,
			"failed-attempts": failed, "successful-attempts": successful, "undecided-attempts": "0", "total-attempts": total, "batch-ids": ids}
	}
	noCounts := func(result string) map[string]string {
		return map[string]string{"result": result, "passed": "false", "failure-rate": "", "success-rate": "",
			"failed-attempts": "", "successful-attempts": "", "undecided-attempts": "", "total-attempts": "", "batch-ids": "[]"}
	}
	tests := []struct {
		name        string
		with        map[string]string
		wantExit    int
		wantOutputs map[string]string
		wantError   string // part of the one ::error annotation
		wantWarning string // part of the one ::warning annotation
	}{
		{"pass", with("max-failure-rate", "20%"), 0, counts("pass", "true", "0.2", "0.8", "1", "4", "5", `["batch_x"]`), "", ""},
		{"fail", with("max-failure-rate", "10%"), 1, counts("fail", "false", "0.2", "0.8", "1", "4", "5", `["batch_x"]`),
			"failure rate 20.0% is above the limit 10.0% (1 of 5 attempts failed in batch_x)", ""},
		{"pooled batches", with("batches", "2", "max-failure-rate", "0.1"), 0, counts("pass", "true", "0.1", "0.9", "1", "9", "10", `["batch_x","batch_w"]`), "", ""},
		{"a chosen batch", with("batch-id", "batch_w"), 0, counts("pass", "true", "0", "1", "0", "5", "5", `["batch_w"]`), "", ""},
		{"warn-only", with("max-failure-rate", "10%", "warn-only", "true"), 0, counts("fail", "false", "0.2", "0.8", "1", "4", "5", `["batch_x"]`),
			"", "failure rate 20.0% is above the limit 10.0%"},
		{"too few attempts", with("min-attempts", "6", "max-failure-rate", "1"), 1, counts("fail", "false", "0.2", "0.8", "1", "4", "5", `["batch_x"]`),
			"only 5 attempts were executed in batch_x, fewer than min-attempts 6", ""},
		{"no batch runs", with("agent-id", "agent_empty"), 1, map[string]string{"result": "fail", "batch-ids": "[]", "total-attempts": "0", "failure-rate": ""},
			"no batch runs were found for agent_empty", ""},
		{"still running", with("api-url", running.URL, "max-failure-rate", "0.5"), 1, map[string]string{"result": "inconclusive", "passed": "false"},
			"still running: batch_r has executed 2 of 10 attempts", ""},
		{"still running, warn", with("api-url", running.URL, "on-inconclusive", "warn"), 0, map[string]string{"result": "inconclusive", "passed": "false"},
			"", "still running"},
		{"still running, pass", with("api-url", running.URL, "on-inconclusive", "pass"), 0, map[string]string{"result": "inconclusive", "passed": "true"}, "", ""},
		{"wrong key", with("api-key", "sk-wrong-key"), 3, noCounts("error"),
			"401 Unauthorized: X-API-Key is missing or invalid; SigmaMind rejected the API key: check the api-key secret", ""},
		// on-error: warn excuses outages only: a refused key still fails.
		{"wrong key, on-error warn", with("api-key", "sk-wrong-key", "on-error", "warn"), 3, noCounts("error"),
			"SigmaMind rejected the API key: check the api-key secret (SigmaMind Dashboard → API Keys) (on-error: warn lets only outages pass, and this is not one)", ""},
		{"unknown agent", with("agent-id", "agent_nobody"), 3, noCounts("error"), "404 Not Found: Agent not found: agent_nobody; check agent-id", ""},
		{"unknown batch", with("batch-id", "batch_nope"), 3, noCounts("error"), "batch run batch_nope was not found among the 2 batch runs of agent agent_x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := runStep(t, tt.with, nil)
			s.checkHygiene(t)
			if s.exit != tt.wantExit {
				t.Errorf("exit status = %d, want %d\nstdout:\n%s\nstderr:\n%s", s.exit, tt.wantExit, s.stdout, s.stderr)
			}
			got := map[string]string{}
			for k := range tt.wantOutputs {
				got[k] = s.outputs[k]
			}
			if diff := cmp.Diff(tt.wantOutputs, got); diff != "" {
				t.Errorf("outputs mismatch (-want +got):\n%s", diff)
			}
			_, declared := readAction(t)
			for _, name := range declared {
				if _, ok := s.outputs[name]; !ok {
					t.Errorf("output %s was not set", name)
				}
			}
			if len(s.outputs) != len(declared) {
				t.Errorf("%d outputs set, want the %d declared: %v", len(s.outputs), len(declared), s.outputs)
			}
			var report map[string]any
			if err := json.Unmarshal([]byte(s.outputs["report"]), &report); err != nil || report["result"] != s.outputs["result"] {
				t.Errorf("report output is not the JSON of this result (%v): %s", err, s.outputs["report"])
			}
			checkAnnotation(t, s.annotations("error"), tt.wantError)
			checkAnnotation(t, s.annotations("warning"), tt.wantWarning)
			if !strings.Contains(s.summary, "SigmaMind simulations of") {
				t.Errorf("no job summary written; got %q", s.summary)
			}
			if want := tt.with["on-inconclusive"] == "pass"; strings.Contains(s.summary, "`on-inconclusive: pass` is set") != want {
				t.Errorf("summary note on on-inconclusive: pass: want %v\n%s", want, s.summary)
			}
		})
	}
}

func checkAnnotation(t *testing.T, got []string, want string) {
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

func TestActionRejectsInvalidInputsBeforeAnyRequest(t *testing.T) {
	srv := newFake(t)
	s := runStep(t, map[string]string{
		"api-key": testKey, "agent-id": "agent_x", "api-url": "http://api.example.com",
		"batches": "0", "max-failure-rate": "10", "min-success-rate": "1.5", "min-attempts": "-1",
		"timeout": "soon", "warn-only": "yes", "on-error": "ignore", "confidence": "1",
		"retries": "11", "max-age": "a week",
	}, nil)
	s.checkHygiene(t)
	if s.exit != 2 {
		t.Errorf("exit status = %d, want 2", s.exit)
	}
	want := []string{
		`input api-url: "http://api.example.com" uses http, which would send the API key unencrypted`,
		`input batches: "0" is not a whole number from 1 to 100`,
		`input warn-only: "yes" is not a boolean: write true or false`,
		`input on-error: "ignore" is not one of fail, warn`,
		`input timeout: "soon" is not a duration`,
		`input max-failure-rate: "10" is above 1: write a fraction from 0 to 1, or a percentage such as 10%`,
		`input min-success-rate: "1.5" is above 1`,
		`input min-attempts: "-1" is not a whole number of 0 or more`,
		`input confidence: "1" is outside the accepted range`,
		`input retries: "11" is not a whole number from 0 to 10`,
		`input max-age: "a week" is not a duration`,
	}
	// The runner attaches 10 annotations; every problem is in the log.
	got := s.annotations("error")
	if len(got) != 10 || !strings.HasPrefix(got[0], "11 inputs are invalid") {
		t.Errorf("got %d error annotations, want 10, the first a count:\n%s", len(got), strings.Join(got, "\n"))
	}
	all := strings.Join(got, "\n") + "\n" + s.stderr
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no error containing %q in:\n%s", w, all)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests made before input validation passed", n)
	}
	if len(s.outputs) != 0 {
		t.Errorf("outputs set despite invalid input: %v", s.outputs)
	}
}

func TestActionMissingKeyExplainsForks(t *testing.T) {
	s := runStep(t, map[string]string{"agent-id": "agent_x"}, nil)
	if s.exit != 2 {
		t.Errorf("exit status = %d, want 2", s.exit)
	}
	got := strings.Join(s.annotations("error"), "\n")
	for _, want := range []string{"input api-key: is required", "secrets.SIGMAMIND_API_KEY", "pull requests from forks receive no secrets", `README section "Pull requests from forks"`} {
		if !strings.Contains(got, want) {
			t.Errorf("missing-key error lacks %q:\n%s", want, got)
		}
	}
	if strings.HasPrefix(s.stdout, "::add-mask::") {
		t.Errorf("masked an empty key")
	}
}

func TestActionRunnerFilesMissing(t *testing.T) {
	srv := newFake(t, run5("batch_x", time.Now(), 5, 0), run5("batch_w", time.Now().Add(-time.Hour), 0, 5))
	pass := map[string]string{"api-key": testKey, "agent-id": "agent_x", "api-url": srv.URL}
	fail := map[string]string{"api-key": testKey, "agent-id": "agent_x", "api-url": srv.URL, "batch-id": "batch_w"}
	dir := t.TempDir()
	for _, tt := range []struct {
		name        string
		with        map[string]string
		env         map[string]string
		wantExit    int
		wantError   string
		wantWarning string
		wantOutputs bool
	}{
		{"GITHUB_OUTPUT unset", pass, map[string]string{"GITHUB_OUTPUT": "<unset>"}, 2, "GITHUB_OUTPUT is not set", "", false},
		{"GITHUB_OUTPUT a directory", pass, map[string]string{"GITHUB_OUTPUT": dir}, 2, "could not write the step outputs to GITHUB_OUTPUT", "", false},
		{"GITHUB_OUTPUT lost on a failing gate", fail, map[string]string{"GITHUB_OUTPUT": dir}, 1, "could not write the step outputs", "", false},
		// The runner drops a summary it cannot upload without failing the
		// step; so does the gate.
		{"GITHUB_STEP_SUMMARY unwritable", pass, map[string]string{"GITHUB_STEP_SUMMARY": filepath.Join(dir, "missing", "summary")}, 0, "", "could not write the job summary", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := runStep(t, tt.with, tt.env)
			s.checkHygiene(t)
			if s.exit != tt.wantExit {
				t.Errorf("exit status = %d, want %d", s.exit, tt.wantExit)
			}
			errs := strings.Join(s.annotations("error"), "\n")
			if tt.wantError != "" && !strings.Contains(errs, tt.wantError) {
				t.Errorf("errors = %q, want one containing %q", errs, tt.wantError)
			}
			if tt.wantWarning != "" && !strings.Contains(strings.Join(s.annotations("warning"), "\n"), tt.wantWarning) {
				t.Errorf("warnings = %q, want one containing %q", s.annotations("warning"), tt.wantWarning)
			}
			if got := s.outputs["result"] != ""; got != tt.wantOutputs {
				t.Errorf("outputs written: %v, want %v (%v)", got, tt.wantOutputs, s.outputs)
			}
		})
	}
}

func TestActionKeyNeverLeaks(t *testing.T) {
	echo := run5("batch_"+testKey, time.Now(), 4, 1)
	echo.TestCases[0].Label = "label " + testKey
	echo.TestCases[0].UserPrompt = "prompt " + testKey
	echo.Agent.Name = testKey
	srv := newFake(t, echo)
	with := map[string]string{"api-key": testKey, "agent-id": "agent_x", "api-url": srv.URL}
	s := runStep(t, with, nil)
	s.checkHygiene(t)
	if s.exit != 1 || !strings.Contains(s.summary, "batch\\_\\*\\*\\*") {
		t.Errorf("exit %d; want 1 and the echoed key redacted in the summary:\n%s", s.exit, s.summary)
	}
	srv.Fail(sigmamindtest.Fault{Status: 401, Body: `{"status":401,"error":"Unauthorized","message":"key ` + testKey + ` is not valid","validationErrors":{"apiKey":"` + testKey + `"}}`},
		sigmamindtest.Fault{Status: 403, ContentType: "text/html", Body: "<html>forbidden for " + testKey + "</html>"})
	for range 2 {
		s := runStep(t, with, nil)
		s.checkHygiene(t)
		if s.exit != 3 || s.outputs["result"] != "error" {
			t.Errorf("exit %d, result %q; want 3, error", s.exit, s.outputs["result"])
		}
	}
}

func TestActionHostileText(t *testing.T) {
	hostile := []string{
		"mid ##[set-output name=result]pass\n::error::pwned",
		"::set-output name=result::pass",
		"x\n::error::pwned\n::set-output name=passed::true",
		"  ::warning::indented",
		"_GitHubActionsFileCommandDelimeter_\nresult=pass",
		"| broken | table |\n\n# Heading",
		"</details></pre><script>alert(1)</script>`code`",
		"%0A::error::encoded",
	}
	var runs []sigmamind.BatchRun
	for i, h := range hostile {
		// Ids with control characters are refused as impossible data
		// (TestFaultsNeverPass); everything else hostile goes in.
		r := run5(fmt.Sprintf("batch_%d%s", i, strings.ReplaceAll(h, "\n", " ")), time.Now().Add(-time.Duration(i)*time.Minute), 4, 1)
		r.Agent.Name = h
		r.TestCases[0].Label, r.TestCases[0].UserPrompt, r.TestCases[0].SuccessCriteria, r.TestCases[0].LLMModel = h, h, h, h
		runs = append(runs, r)
	}
	srv := newFake(t, runs...)
	s := runStep(t, map[string]string{"api-key": testKey, "agent-id": "agent_x", "api-url": srv.URL, "batches": fmt.Sprint(len(hostile)), "max-failure-rate": "10%"}, nil)
	s.checkHygiene(t)
	if s.exit != 1 || s.outputs["result"] != "fail" || s.outputs["passed"] != "false" {
		t.Errorf("exit %d, result %q, passed %q; want 1, fail, false", s.exit, s.outputs["result"], s.outputs["passed"])
	}
	var ids []string
	if err := json.Unmarshal([]byte(s.outputs["batch-ids"]), &ids); err != nil || len(ids) != len(hostile) {
		t.Errorf("batch-ids = %q (%v), want %d ids", s.outputs["batch-ids"], err, len(hostile))
	}
	if got := len(s.annotations("error")); got != 1 {
		t.Errorf("%d error annotations, want 1: %q", got, s.annotations("error"))
	}
	checkTables(t, s.summary)

	// Waiting prints progress lines that start with batch ids.
	waiting := newFake(t, sigmamind.BatchRun{BatchID: "::error::pwned ##[set-output name=result]pass", CreatedDate: testNow,
		TotalAttempts: 1, SuccessfulAttempts: 1, TestCases: []sigmamind.TestCase{{TestCaseID: "tc", Attempt: 5}}})
	s, _ = runInProcess(t, map[string]string{"api-key": testKey, "agent-id": "agent_x", "api-url": waiting.URL, "wait": "10m"})
	s.checkHygiene(t)
	if got := s.annotations("error"); len(got) != 1 || !strings.HasPrefix(got[0], "inconclusive: still running") {
		t.Errorf("error annotations = %q, want the one inconclusive verdict", got)
	}
	if s.exit != 1 || s.outputs["result"] != "inconclusive" || !strings.Contains(s.stdout, "stopped waiting: no new attempt was executed in 5 polls") {
		t.Errorf("exit %d, result %q; want 1, inconclusive after a stalled wait\n%s", s.exit, s.outputs["result"], s.stdout)
	}
}

// checkTables asserts every markdown table row has its header's columns.
func checkTables(t *testing.T, md string) {
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

func TestCommandLine(t *testing.T) {
	run := func(env []string, args ...string) (int, string, string) {
		cmd := exec.Command(binary, args...)
		cmd.Env = append([]string{"HOME=" + t.TempDir()}, env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stdout.String(), stderr.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, stdout.String(), stderr.String()
	}
	srv := newFake(t, run5("batch_x", time.Now(), 4, 1))

	code, out, errOut := run(nil, "--demo")
	if code != 1 || !strings.Contains(out, "## ❌ Failed") || !strings.Contains(errOut, "error: failure rate") {
		t.Errorf("--demo: exit %d, want 1 with a failing report\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, _ = run(nil, "--demo", "--agent-id", "agent_demo_pass", "--max-failure-rate", "5%")
	if code != 0 || !strings.Contains(out, "## ✅ Passed") {
		t.Errorf("--demo pass: exit %d\n%s", code, out)
	}
	code, out, errOut = run([]string{"SIGMAMIND_API_KEY=" + testKey}, "--agent-id", "agent_x", "--api-url", srv.URL, "--max-failure-rate", "20%")
	if code != 0 || !strings.Contains(out, "## ✅ Passed") || strings.Contains(out+errOut, testKey) || strings.Contains(out+errOut, "::") {
		t.Errorf("key from SIGMAMIND_API_KEY: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, _ = run(nil, "--api-key", testKey, "--agent-id", "agent_x", "--api-url", srv.URL, "--summary=false", "--warn-only")
	if code != 0 || strings.Contains(out, "## ") {
		t.Errorf("--summary=false --warn-only: exit %d, want 0 and no report\n%s", code, out)
	}
	code, out, _ = run(nil, "--help")
	if code != 0 || !strings.Contains(out, "-max-failure-rate") || !strings.Contains(out, "-demo") {
		t.Errorf("--help: exit %d\n%s", code, out)
	}
	code, out, _ = run(nil, "--version")
	if code != 0 || !strings.HasPrefix(out, "sigmagate ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
	code, _, errOut = run(nil, "--no-such-flag")
	if code != 2 || !strings.Contains(errOut, "flag provided but not defined: -no-such-flag") {
		t.Errorf("unknown flag: exit %d, %q", code, errOut)
	}
	code, _, errOut = run(nil, "--demo", "--summary", "false")
	if code != 2 || !strings.Contains(errOut, "a true/false flag takes its value after =, as in --summary=false") {
		t.Errorf("--summary false: exit %d, %q", code, errOut)
	}
	code, _, errOut = run(nil, "--agent-id", "agent_x", "stray")
	if code != 2 || !strings.Contains(errOut, `unexpected argument "stray"`) {
		t.Errorf("stray argument: exit %d, %q", code, errOut)
	}
}

// runInProcess runs the gate in this process, with the runner's environment
// and a recording, non-sleeping sleep: for fault tests that would otherwise
// wait for real backoff.
func runInProcess(t *testing.T, with map[string]string) (step, []time.Duration) {
	t.Helper()
	vars, outPath, sumPath := stepEnv(t, with)
	var stdout, stderr bytes.Buffer
	var slept []time.Duration
	err := run(context.Background(), nil, env{
		getenv: func(k string) string { return vars[k] },
		stdout: &stdout, stderr: &stderr,
		now:  func() time.Time { return testNow },
		http: &http.Client{},
		sleep: func(ctx context.Context, d time.Duration) error {
			slept = append(slept, d)
			return ctx.Err()
		},
	})
	s := step{exit: exitCode(err), stdout: stdout.String(), stderr: stderr.String()}
	s.read(t, outPath, sumPath)
	return s, slept
}

func TestFaultsNeverPass(t *testing.T) {
	good := run5("batch_x", testNow.Add(-time.Hour), 5, 0)
	tests := []struct {
		name       string
		faults     []sigmamindtest.Fault
		runs       []sigmamind.BatchRun
		with       map[string]string
		wantExit   int
		wantResult string
		wantError  string
	}{
		{"503 then success", []sigmamindtest.Fault{{Status: 503}}, nil, nil, 0, "pass", ""},
		{"429 with Retry-After then success", []sigmamindtest.Fault{{Status: 429, RetryAfter: "7"}}, nil, nil, 0, "pass", ""},
		{"reset then success", []sigmamindtest.Fault{{Reset: true}}, nil, nil, 0, "pass", ""},
		{"502 until retries run out", []sigmamindtest.Fault{{Status: 502, Times: 4}}, nil, nil, 3, "error", "502 Bad Gateway"},
		{"500 with retries 0", []sigmamindtest.Fault{{Status: 500}}, nil, map[string]string{"retries": "0"}, 3, "error", "500 Internal Server Error"},
		{"401 is not retried", []sigmamindtest.Fault{{Status: 401}, {Status: 401}}, nil, nil, 3, "error", "401 Unauthorized"},
		{"html from a proxy", []sigmamindtest.Fault{{Status: 200, ContentType: "text/html", Body: "<html><body>Sign in</body></html>"}}, nil, nil, 3, "error", "not JSON"},
		{"empty body", []sigmamindtest.Fault{{Status: 200, Body: " "}}, nil, nil, 3, "error", "not a JSON object"},
		{"truncated JSON", []sigmamindtest.Fault{{Status: 200, Body: `{"data":[{"batchId":"b","totalAttempts":5`}}, nil, nil, 3, "error", "not valid JSON"},
		{"negative counts", nil, []sigmamind.BatchRun{{BatchID: "batch_neg", CreatedDate: testNow, SuccessfulAttempts: 5, FailedAttempts: -1, TotalAttempts: 4}}, nil, 3, "error", "negative attempt count"},
		{"more judged than executed", nil, []sigmamind.BatchRun{{BatchID: "batch_over", CreatedDate: testNow, SuccessfulAttempts: 5, FailedAttempts: 1, TotalAttempts: 5}}, nil, 3, "error", "exceed the total"},
		{"a line break in an id", nil, []sigmamind.BatchRun{{BatchID: "batch_x\n::error::pwned", SuccessfulAttempts: 5, TotalAttempts: 5}}, nil, 3, "error", "batchId contains a control character"},
		{"an outage warned", []sigmamindtest.Fault{{Status: 503, Times: 4}}, nil, map[string]string{"on-error": "warn"}, 0, "error", ""},
		// on-error: warn excuses outages only (see onerror_test.go).
		{"a proxy's page, on-error warn", []sigmamindtest.Fault{{Status: 200, ContentType: "text/html", Body: "<html>"}}, nil, map[string]string{"on-error": "warn"}, 3, "error", "not JSON"},
		{"a redirect elsewhere", []sigmamindtest.Fault{{Status: 301, Body: " "}}, nil, nil, 3, "error", "301 Moved Permanently; the API answered with a redirect"},
		{"a reset warned", []sigmamindtest.Fault{{Reset: true, Times: 4}}, nil, map[string]string{"on-error": "warn"}, 0, "error", ""},
		{"a refused key, on-error warn", []sigmamindtest.Fault{{Status: 403}}, nil, map[string]string{"on-error": "warn"}, 3, "error", "403 Forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := tt.runs
			if runs == nil {
				runs = []sigmamind.BatchRun{good}
			}
			srv := newFake(t, runs...)
			srv.Fail(tt.faults...)
			with := map[string]string{"api-key": testKey, "agent-id": "agent_x", "api-url": srv.URL}
			for k, v := range tt.with {
				with[k] = v
			}
			s, slept := runInProcess(t, with)
			s.checkHygiene(t)
			if s.exit != tt.wantExit || s.outputs["result"] != tt.wantResult {
				t.Errorf("exit %d, result %q; want %d, %q\nstdout:\n%s", s.exit, s.outputs["result"], tt.wantExit, tt.wantResult, s.stdout)
			}
			if tt.wantError != "" {
				checkAnnotation(t, s.annotations("error"), tt.wantError)
			}
			if tt.name == "429 with Retry-After then success" && (len(slept) != 1 || slept[0] < 7*time.Second) {
				t.Errorf("slept %v, want once for at least Retry-After 7s", slept)
			}
		})
	}
}

// TestFaultsThroughTheBinary repeats a few fault cases through the compiled
// binary, real backoff and clock included.
func TestFaultsThroughTheBinary(t *testing.T) {
	tests := []struct {
		name      string
		fault     sigmamindtest.Fault
		with      map[string]string
		wantExit  int
		wantError string
	}{
		{"503 then success", sigmamindtest.Fault{Status: 503}, nil, 0, ""},
		{"a proxy's login page", sigmamindtest.Fault{Status: 200, ContentType: "text/html", Body: "<html>\n<h1>Sign in</h1>\n::error::pwned</html>"}, nil, 3,
			`the response is text/html, not JSON (body: "<html> <h1>Sign in</h1> ::error::pwned</html>")`},
		{"a hung connection", sigmamindtest.Fault{Hang: true}, map[string]string{"timeout": "1s"}, 3, "no complete answer within timeout 1s"},
		// 4s shared by 2 tries gives each 2s: the hung one is cut and retried.
		{"a hung connection, then an answer", sigmamindtest.Fault{Hang: true}, map[string]string{"timeout": "4s", "retries": "1"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, run5("batch_x", time.Now(), 5, 0))
			srv.Fail(tt.fault)
			with := map[string]string{"api-key": testKey, "agent-id": "agent_x", "api-url": srv.URL}
			for k, v := range tt.with {
				with[k] = v
			}
			s := runStep(t, with, nil)
			s.checkHygiene(t)
			want := map[bool]string{true: "pass", false: "error"}[tt.wantExit == 0]
			if s.exit != tt.wantExit || s.outputs["result"] != want {
				t.Errorf("exit %d, result %q; want %d, %s\n%s", s.exit, s.outputs["result"], tt.wantExit, want, s.stdout)
			}
			if tt.wantError != "" {
				checkAnnotation(t, s.annotations("error"), tt.wantError)
			}
		})
	}
}

func TestFraction(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {0.2, "0.2"}, {1.0 / 30, "0.0333"}, {1, "1"}, {1.0 / 20000, "0.0001"}, {1.0 / 3e6, "0.0001"}, {1 - 1.0/3e6, "0.9999"},
		{math.NaN(), ""},
	}
	for _, tt := range tests {
		if got := fraction(tt.in, nil); got != tt.want {
			t.Errorf("fraction(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := fraction(0.5, errors.New("api down")); got != "" {
		t.Errorf("fraction with an error = %q, want empty", got)
	}
}

func TestRequestTimeout(t *testing.T) {
	tests := []struct {
		timeout time.Duration
		retries int
		want    time.Duration
	}{
		{2 * time.Minute, 3, 30 * time.Second},
		{10 * time.Minute, 0, 10 * time.Minute}, // no retries: the whole timeout
		{10 * time.Minute, 3, 150 * time.Second},
		{2 * time.Second, 10, time.Second}, // never under a second
	}
	for _, tt := range tests {
		if got := requestTimeout(tt.timeout, tt.retries); got != tt.want {
			t.Errorf("requestTimeout(%v, %d) = %v, want %v", tt.timeout, tt.retries, got, tt.want)
		}
	}
}
