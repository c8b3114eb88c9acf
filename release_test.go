package main

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runBinaryStep runs bin as the runner runs the action; runStep does the
// same with the binary built by TestMain.
func runBinaryStep(t *testing.T, bin string, with, env map[string]string) step {
	t.Helper()
	vars, outPath, sumPath := stepEnv(t, with)
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command(bin)
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

// TestVersionStamp builds the binary as the Dockerfile and GoReleaser do and
// follows the version to everywhere it is shown: --version, the User-Agent
// sent to the API and the job summary's footer.
func TestVersionStamp(t *testing.T) {
	t.Parallel()
	const v = "v9.8.7"
	bin := filepath.Join(t.TempDir(), "sigmagate")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w -X main.version="+v, "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	out, err := exec.Command(bin, "--version").Output()
	if err != nil || string(out) != "sigmagate "+v+"\n" {
		t.Errorf("--version = %q, %v; want %q", out, err, "sigmagate "+v+"\n")
	}

	srv := newFake(t, run5("batch_x", time.Now(), 5, 0))
	s := runBinaryStep(t, bin, map[string]string{"api-key": testKey, "agent-id": "agent_x", "api-url": srv.URL}, nil)
	s.checkHygiene(t)
	if s.exit != 0 {
		t.Fatalf("exit %d\n%s%s", s.exit, s.stdout, s.stderr)
	}
	var agents []string
	for _, r := range srv.Requests() {
		agents = append(agents, r.Header.Get("User-Agent"))
	}
	if len(agents) == 0 || agents[0] != "sigmagate/"+v+" (+https://github.com/sigmagate/sigmagate)" {
		t.Errorf("User-Agent of the requests = %q, want sigmagate/%s first", agents, v)
	}
	if !strings.HasSuffix(s.summary, "\n<sub>sigmagate "+v+"</sub>\n\n") {
		t.Errorf("the job summary does not end with the version footer:\n%s", s.summary)
	}
}
