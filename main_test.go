package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/steptest"
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

// runStep runs the binary built by TestMain as the runner runs the action.
// env adds to or overrides the runner's variables; "<unset>" removes one.
func runStep(t *testing.T, with map[string]string, env map[string]string) steptest.Step {
	t.Helper()
	return runBinaryStep(t, binary, "", with, env)
}

// runBinaryStep runs bin as the runner runs the action, in dir (the
// workspace; empty: this one).
func runBinaryStep(t *testing.T, bin, dir string, with, env map[string]string) steptest.Step {
	t.Helper()
	vars, outPath, sumPath := steptest.Env(t, with)
	for k, v := range env {
		if v == "<unset>" {
			delete(vars, k)
		} else {
			vars[k] = v
		}
	}
	cmd := exec.Command(bin)
	cmd.Dir = dir
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	s := steptest.Step{Stdout: stdout.String(), Stderr: stderr.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		s.Exit = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	s.Read(t, outPath, sumPath)
	return s
}

func TestActionAsTheRunnerRunsIt(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	srv := steptest.NewFake(t,
		steptest.Run5("batch_x", now.Add(-time.Hour), 4, 1),
		steptest.Run5("batch_w", now.Add(-2*time.Hour), 5, 0),
	)
	running := steptest.NewFake(t, sigmamind.BatchRun{BatchID: "batch_r", CreatedDate: now, TotalAttempts: 2, SuccessfulAttempts: 2,
		TestCases: []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: 10}}})
	base := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL}
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
			s.CheckHygiene(t)
			if s.Exit != tt.wantExit {
				t.Errorf("exit status = %d, want %d\nstdout:\n%s\nstderr:\n%s", s.Exit, tt.wantExit, s.Stdout, s.Stderr)
			}
			got := map[string]string{}
			for k := range tt.wantOutputs {
				got[k] = s.Outputs[k]
			}
			if diff := cmp.Diff(tt.wantOutputs, got); diff != "" {
				t.Errorf("outputs mismatch (-want +got):\n%s", diff)
			}
			_, declared := steptest.ReadAction(t)
			for _, name := range declared {
				if _, ok := s.Outputs[name]; !ok {
					t.Errorf("output %s was not set", name)
				}
			}
			if len(s.Outputs) != len(declared) {
				t.Errorf("%d outputs set, want the %d declared: %v", len(s.Outputs), len(declared), s.Outputs)
			}
			var report map[string]any
			if err := json.Unmarshal([]byte(s.Outputs["report"]), &report); err != nil || report["result"] != s.Outputs["result"] {
				t.Errorf("report output is not the JSON of this result (%v): %s", err, s.Outputs["report"])
			}
			steptest.CheckAnnotation(t, s.Annotations("error"), tt.wantError)
			steptest.CheckAnnotation(t, s.Annotations("warning"), tt.wantWarning)
			if !strings.Contains(s.Summary, "SigmaMind simulations of") {
				t.Errorf("no job summary written; got %q", s.Summary)
			}
			if want := tt.with["on-inconclusive"] == "pass"; strings.Contains(s.Summary, "on-inconclusive: pass is set") != want {
				t.Errorf("summary note on on-inconclusive: pass: want %v\n%s", want, s.Summary)
			}
		})
	}
}

func TestActionRejectsInvalidInputsBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	srv := steptest.NewFake(t)
	s := runStep(t, map[string]string{
		"api-key": steptest.Key, "agent-id": "agent_x", "api-url": "http://api.example.com",
		"batches": "0", "max-failure-rate": "10", "min-success-rate": "1.5", "min-attempts": "-1",
		"timeout": "soon", "warn-only": "yes", "on-error": "ignore", "confidence": "1",
		"retries": "11", "max-age": "a week",
	}, nil)
	s.CheckHygiene(t)
	if s.Exit != 2 {
		t.Errorf("exit status = %d, want 2", s.Exit)
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
	got := s.Annotations("error")
	if len(got) != 10 || !strings.HasPrefix(got[0], "11 inputs are invalid") {
		t.Errorf("got %d error annotations, want 10, the first a count:\n%s", len(got), strings.Join(got, "\n"))
	}
	all := strings.Join(got, "\n") + "\n" + s.Stderr
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("no error containing %q in:\n%s", w, all)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests made before input validation passed", n)
	}
	if len(s.Outputs) != 0 {
		t.Errorf("outputs set despite invalid input: %v", s.Outputs)
	}
}

func TestActionMissingKeyExplainsForks(t *testing.T) {
	t.Parallel()
	s := runStep(t, map[string]string{"agent-id": "agent_x"}, nil)
	if s.Exit != 2 {
		t.Errorf("exit status = %d, want 2", s.Exit)
	}
	got := strings.Join(s.Annotations("error"), "\n")
	for _, want := range []string{"input api-key: is required", "secrets.SIGMAMIND_API_KEY", "pull requests from forks receive no secrets", `README section "Pull requests from forks"`} {
		if !strings.Contains(got, want) {
			t.Errorf("missing-key error lacks %q:\n%s", want, got)
		}
	}
	// The job's token is masked; nothing else is.
	if strings.Contains(strings.ReplaceAll(s.Stdout, "::add-mask::"+steptest.GitHubToken+"\n", ""), "::add-mask::") {
		t.Errorf("masked an empty key:\n%s", s.Stdout)
	}
}

func TestActionRunnerFilesMissing(t *testing.T) {
	t.Parallel()
	srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now(), 5, 0), steptest.Run5("batch_w", time.Now().Add(-time.Hour), 0, 5))
	pass := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL}
	fail := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL, "batch-id": "batch_w"}
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
			s.CheckHygiene(t)
			if s.Exit != tt.wantExit {
				t.Errorf("exit status = %d, want %d", s.Exit, tt.wantExit)
			}
			errs := strings.Join(s.Annotations("error"), "\n")
			if tt.wantError != "" && !strings.Contains(errs, tt.wantError) {
				t.Errorf("errors = %q, want one containing %q", errs, tt.wantError)
			}
			if tt.wantWarning != "" && !strings.Contains(strings.Join(s.Annotations("warning"), "\n"), tt.wantWarning) {
				t.Errorf("warnings = %q, want one containing %q", s.Annotations("warning"), tt.wantWarning)
			}
			if got := s.Outputs["result"] != ""; got != tt.wantOutputs {
				t.Errorf("outputs written: %v, want %v (%v)", got, tt.wantOutputs, s.Outputs)
			}
		})
	}
}

func TestActionKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	echo := steptest.Run5("batch_"+steptest.Key, time.Now(), 4, 1)
	echo.TestCases[0].Label = "label " + steptest.Key
	echo.TestCases[0].UserPrompt = "prompt " + steptest.Key
	echo.Agent.Name = steptest.Key
	srv := steptest.NewFake(t, echo)
	with := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL}
	s := runStep(t, with, nil)
	s.CheckHygiene(t)
	if s.Exit != 1 || !strings.Contains(s.Summary, "batch\\_\\*\\*\\*") {
		t.Errorf("exit %d; want 1 and the echoed key redacted in the summary:\n%s", s.Exit, s.Summary)
	}
	srv.Fail(sigmamindtest.Fault{Status: 401, Body: `{"status":401,"error":"Unauthorized","message":"key ` + steptest.Key + ` is not valid","validationErrors":{"apiKey":"` + steptest.Key + `"}}`},
		sigmamindtest.Fault{Status: 403, ContentType: "text/html", Body: "<html>forbidden for " + steptest.Key + "</html>"})
	for range 2 {
		s := runStep(t, with, nil)
		s.CheckHygiene(t)
		if s.Exit != 3 || s.Outputs["result"] != "error" {
			t.Errorf("exit %d, result %q; want 3, error", s.Exit, s.Outputs["result"])
		}
	}
}

func TestActionHostileText(t *testing.T) {
	t.Parallel()
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
		r := steptest.Run5(fmt.Sprintf("batch_%d%s", i, strings.ReplaceAll(h, "\n", " ")), time.Now().Add(-time.Duration(i)*time.Minute), 4, 1)
		r.Agent.Name = h
		r.TestCases[0].Label, r.TestCases[0].UserPrompt, r.TestCases[0].SuccessCriteria, r.TestCases[0].LLMModel = h, h, h, h
		runs = append(runs, r)
	}
	srv := steptest.NewFake(t, runs...)
	s := runStep(t, map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL, "batches": fmt.Sprint(len(hostile)), "max-failure-rate": "10%"}, nil)
	s.CheckHygiene(t)
	if s.Exit != 1 || s.Outputs["result"] != "fail" || s.Outputs["passed"] != "false" {
		t.Errorf("exit %d, result %q, passed %q; want 1, fail, false", s.Exit, s.Outputs["result"], s.Outputs["passed"])
	}
	var ids []string
	if err := json.Unmarshal([]byte(s.Outputs["batch-ids"]), &ids); err != nil || len(ids) != len(hostile) {
		t.Errorf("batch-ids = %q (%v), want %d ids", s.Outputs["batch-ids"], err, len(hostile))
	}
	if got := len(s.Annotations("error")); got != 1 {
		t.Errorf("%d error annotations, want 1: %q", got, s.Annotations("error"))
	}
	steptest.CheckTables(t, s.Summary)
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
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
	srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now(), 4, 1))

	code, out, errOut := run(nil, "--demo")
	if code != 1 || !strings.HasPrefix(out, "demo: ") || !strings.Contains(out, "\nFAIL  SigmaMind simulations") || !strings.Contains(errOut, "error: failure rate") {
		t.Errorf("--demo: exit %d, want 1 with a failing report\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, _ = run(nil, "--demo", "--agent-id", "agent_demo_pass", "--max-failure-rate", "5%")
	if code != 0 || !strings.Contains(out, "\nPASS  SigmaMind simulations") {
		t.Errorf("--demo pass: exit %d\n%s", code, out)
	}
	code, out, errOut = run([]string{"SIGMAMIND_API_KEY=" + steptest.Key}, "--agent-id", "agent_x", "--api-url", srv.URL, "--max-failure-rate", "20%")
	if code != 0 || !strings.HasPrefix(out, "PASS  SigmaMind simulations") || strings.Contains(out+errOut, steptest.Key) || strings.Contains(out+errOut, "::") {
		t.Errorf("key from SIGMAMIND_API_KEY: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	code, out, _ = run(nil, "--api-key", steptest.Key, "--agent-id", "agent_x", "--api-url", srv.URL, "--summary=false", "--warn-only")
	if code != 0 || strings.Contains(out, "SigmaMind simulations") {
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

// TestFaultsThroughTheBinary repeats a few fault cases through the compiled
// binary, real backoff and clock included.
func TestFaultsThroughTheBinary(t *testing.T) {
	t.Parallel()
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
			srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now(), 5, 0))
			srv.Fail(tt.fault)
			with := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL}
			for k, v := range tt.with {
				with[k] = v
			}
			s := runStep(t, with, nil)
			s.CheckHygiene(t)
			want := map[bool]string{true: "pass", false: "error"}[tt.wantExit == 0]
			if s.Exit != tt.wantExit || s.Outputs["result"] != want {
				t.Errorf("exit %d, result %q; want %d, %s\n%s", s.Exit, s.Outputs["result"], tt.wantExit, want, s.Stdout)
			}
			if tt.wantError != "" {
				steptest.CheckAnnotation(t, s.Annotations("error"), tt.wantError)
			}
		})
	}
}
