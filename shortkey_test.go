package main

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// TestShortKeyRefused: a key too short to redact safely is refused before
// any request, with exit 2, naming its source and never showing it; it is
// not masked either, which would garble every message.
func TestShortKeyRefused(t *testing.T) {
	t.Parallel()
	srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now(), 5, 0))
	for _, key := range []string{"Ω", "Ωж", "ΩжЯ¤Ξ∂ƒ"} {
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			s := runStep(t, map[string]string{"api-key": key, "agent-id": "agent_x", "api-url": srv.URL}, nil)
			if s.Exit != 2 || len(s.Outputs) != 0 {
				t.Errorf("exit %d, outputs %v; want 2 and none", s.Exit, s.Outputs)
			}
			if got := s.Annotations("error"); len(got) != 1 || !strings.HasPrefix(got[0], "input api-key: is shorter than 8 characters") {
				t.Errorf("error annotations %q, want one about input api-key", got)
			}
			if strings.Contains(s.Stdout+s.Stderr+s.Summary, key) || strings.Contains(strings.ReplaceAll(s.Stdout, "::add-mask::"+steptest.GitHubToken+"\n", ""), "::add-mask::") {
				t.Errorf("the key shows, or was masked:\n%s%s", s.Stdout, s.Stderr)
			}

			cmd := exec.Command(binary, "--agent-id", "agent_x", "--api-url", srv.URL)
			cmd.Env = []string{"HOME=" + t.TempDir(), "SIGMAMIND_API_KEY=" + key}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Errorf("SIGMAMIND_API_KEY: exit %v, want 2", err)
			}
			if msg := out.String(); !strings.Contains(msg, "error: environment variable SIGMAMIND_API_KEY: is shorter than 8 characters") ||
				strings.Contains(msg, "input api-key") || strings.Contains(msg, key) {
				t.Errorf("SIGMAMIND_API_KEY: want an error naming the variable, not the input, never the key:\n%s", msg)
			}
		})
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests made with a short key", n)
	}
}

// TestKeyOfEightCharactersAccepted: the shortest key accepted, and --demo,
// whose built-in key is that long, whatever SIGMAMIND_API_KEY holds.
func TestKeyOfEightCharactersAccepted(t *testing.T) {
	t.Parallel()
	const key = "Qz9Xw7Vb"
	srv := sigmamindtest.NewServer(sigmamindtest.WithAPIKey(key))
	t.Cleanup(srv.Close)
	srv.AddBatchRuns("agent_x", steptest.Run5("batch_x", time.Now(), 5, 0))
	s := runStep(t, map[string]string{"api-key": key, "agent-id": "agent_x", "api-url": srv.URL}, nil)
	if s.Exit != 0 || s.Outputs["result"] != "pass" || !strings.HasPrefix(s.Stdout, "::add-mask::"+key+"\n") {
		t.Errorf("exit %d, result %q; want 0, pass, the key masked\n%s", s.Exit, s.Outputs["result"], s.Stdout)
	}
	cmd := exec.Command(binary, "--demo", "--agent-id", "agent_demo_pass", "--max-failure-rate", "5%")
	cmd.Env = []string{"HOME=" + t.TempDir(), "SIGMAMIND_API_KEY=x"}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS  SigmaMind simulations") {
		t.Errorf("--demo with a short SIGMAMIND_API_KEY: %v\n%s", err, out)
	}
}
