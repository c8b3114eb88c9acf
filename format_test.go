package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/steptest"
)

// runCLI runs the binary as a command outside GitHub Actions.
func runCLI(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "SIGMAMIND_API_KEY=" + steptest.Key}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), out.String(), errOut.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

// textReport is the text report of a failing run of agent_x, as a person
// on a terminal reads it.
const textReport = `FAIL  SigmaMind simulations of Support bot (agent_x)

- max-failure-rate: failure rate 20.0% is above the limit 10.0% (1 of 5 attempts failed in batch_|::x)

4 of 5 attempts succeeded, 1 failed, in 1 gated batch run.

Rule              Limit         Actual       Verdict
finished          all attempts  5 of 5       pass
min-attempts      ≥ 1           5            pass
max-failure-rate  ≤ 10.0%       20.0% (1/5)  fail

Role     Batch run      Failure rate  Passed  Failed  Undecided  Total  Created (UTC)
gated    batch_|::x            20.0%       4       1          0      5  Nov 30 10:00
earlier  batch_older_1          0.0%       5       0          0      5  Nov 29 10:00
sigmagate: Support bot (agent_x): fail: 1 of 5 attempts did not succeed, in 1 gated batch run(s)
`

func TestFormatText(t *testing.T) {
	t.Parallel()
	day := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	srv := steptest.NewFake(t, steptest.Run5("batch_|::x", day, 4, 1), steptest.Run5("batch_older_1", day.Add(-24*time.Hour), 5, 0))
	args := []string{"--agent-id", "agent_x", "--api-url", srv.URL, "--max-failure-rate", "10%"}
	for _, tt := range []struct {
		name string
		env  []string
		args []string
	}{
		{"default", nil, nil},
		{"--format text", nil, []string{"--format", "text"}},
		// Never coloured through a pipe, NO_COLOR or not: the in-process
		// tests show the colour on a terminal.
		{"NO_COLOR", []string{"NO_COLOR=1"}, nil},
	} {
		code, out, errOut := runCLI(t, tt.env, append(args, tt.args...)...)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s", tt.name, code, errOut)
		}
		if diff := cmp.Diff(textReport, out); diff != "" {
			t.Errorf("%s: the text report (-want +got):\n%s", tt.name, diff)
		}
		if strings.Contains(out, "\x1b") {
			t.Errorf("%s: colour escapes through a pipe: %q", tt.name, out)
		}
	}
}

func TestFormatJSONAndMarkdown(t *testing.T) {
	t.Parallel()
	srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now().Add(-time.Hour), 5, 0))
	args := []string{"--agent-id", "agent_x", "--api-url", srv.URL}

	code, out, errOut := runCLI(t, nil, append(args, "--format", "json")...)
	var rep struct {
		Version int    `json:"version"`
		Result  string `json:"result"`
		Agents  []struct {
			Agent struct{ ID, Name string }
		}
	}
	dec := json.NewDecoder(strings.NewReader(out))
	if err := dec.Decode(&rep); err != nil || code != 0 || rep.Version != 2 || rep.Result != "pass" || len(rep.Agents) != 1 || rep.Agents[0].Agent.ID != "agent_x" {
		t.Errorf("--format json: exit %d, %v, %+v\nstdout:\n%s", code, err, rep, out)
	}
	if dec.More() || strings.Count(out, "\n") != 1 {
		t.Errorf("--format json: standard output holds more than the JSON report:\n%s", out)
	}
	if !strings.Contains(errOut, "sigmagate: Support bot (agent_x): pass") {
		t.Errorf("--format json: the verdict's log line is not on standard error:\n%s", errOut)
	}

	code, out, _ = runCLI(t, nil, append(args, "--format", "markdown")...)
	if code != 0 || !strings.HasPrefix(out, "## ✅ Passed: SigmaMind simulations of Support bot (agent\\_x)") {
		t.Errorf("--format markdown: exit %d\n%s", code, out)
	}

	code, _, errOut = runCLI(t, nil, append(args, "--format", "html")...)
	if code != 2 || !strings.Contains(errOut, `flag --format: "html" is not one of text, markdown, json`) {
		t.Errorf("--format html: exit %d, %s", code, errOut)
	}
}

// TestFormatInActions: inside GitHub Actions the job summary stays
// markdown and standard output is the log.
func TestFormatInActions(t *testing.T) {
	t.Parallel()
	srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now().Add(-time.Hour), 5, 0))
	s := runStep(t, with(srv), nil)
	s.CheckHygiene(t)
	if s.Exit != 0 || !strings.HasPrefix(s.Summary, "## ✅ Passed") || strings.Contains(s.Stdout, "PASS  SigmaMind") {
		t.Errorf("exit %d\nsummary:\n%s\nstdout:\n%s", s.Exit, s.Summary, s.Stdout)
	}
}
