package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
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

// freeLoopbackAddr returns a loopback address where nothing listens, so
// that only an in-process answer can succeed there.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestTestFakeAPI runs the switch as CI does: the fake answers inside the
// container, at exactly the address the switch names. It never widens what
// api-url accepts and never answers elsewhere.
func TestTestFakeAPI(t *testing.T) {
	t.Parallel()
	addr, other := freeLoopbackAddr(t), freeLoopbackAddr(t)
	key := sigmamindtest.DefaultAPIKey
	tests := []struct {
		name        string
		fake        string // SIGMAGATE_TEST_FAKE_API; empty: unset
		with        map[string]string
		wantExit    int
		wantOutputs map[string]string
		wantError   string
		wantWarning string
	}{
		{"passing agent", addr, map[string]string{"api-key": key, "agent-id": "agent_demo_pass", "api-url": "http://" + addr, "max-failure-rate": "10%"},
			0, map[string]string{"result": "pass", "passed": "true", "total-attempts": "30"}, "", testFakeAPIEnv + " is set: requests to " + addr},
		{"failing agent", addr, map[string]string{"api-key": key, "agent-id": "agent_demo_fail", "api-url": "http://" + addr, "max-failure-rate": "10%"},
			1, map[string]string{"result": "fail", "passed": "false"}, "failure rate", "built-in fake SigmaMind API"},
		{"wrong key", addr, map[string]string{"api-key": "not-the-key", "agent-id": "agent_demo_pass", "api-url": "http://" + addr},
			3, map[string]string{"result": "error", "passed": "false"}, "401", "unset it in real use"},
		{"another address is not answered", addr, map[string]string{"api-key": key, "agent-id": "agent_demo_pass", "api-url": "http://" + other, "retries": "0"},
			3, map[string]string{"result": "error"}, "could not reach http://" + other, testFakeAPIEnv},
		{"unset, nothing answers", "", map[string]string{"api-key": key, "agent-id": "agent_demo_pass", "api-url": "http://" + addr, "retries": "0"},
			3, map[string]string{"result": "error"}, "could not reach http://" + addr, ""},
		{"plain http elsewhere is still refused", "10.1.2.3:80", map[string]string{"api-key": key, "agent-id": "agent_demo_pass", "api-url": "http://10.1.2.3"},
			2, map[string]string{}, `SIGMAGATE_TEST_FAKE_API="10.1.2.3:80" is not a loopback address`, ""},
		{"every interface", "0.0.0.0:8089", map[string]string{"api-key": key, "agent-id": "agent_demo_pass"},
			2, map[string]string{}, "is not a loopback address", ""},
		{"a name", "example.com:443", map[string]string{"api-key": key, "agent-id": "agent_demo_pass"},
			2, map[string]string{}, "is not a loopback address", ""},
		{"no port", "127.0.0.1", map[string]string{"api-key": key, "agent-id": "agent_demo_pass"},
			2, map[string]string{}, "is not a host:port", ""},
		{"port zero", "127.0.0.1:0", map[string]string{"api-key": key, "agent-id": "agent_demo_pass"},
			2, map[string]string{}, "has no valid port", ""},
		{"a true/false", "true", map[string]string{"api-key": key, "agent-id": "agent_demo_pass"},
			2, map[string]string{}, "set it to a loopback host:port such as 127.0.0.1:8089", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{}
			if tt.fake != "" {
				env[testFakeAPIEnv] = tt.fake
			}
			s := runStep(t, tt.with, env)
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
			checkAnnotation(t, s.annotations("error"), tt.wantError)
			checkAnnotation(t, s.annotations("warning"), tt.wantWarning)
		})
	}
}

// failingTransport fails every request that reaches the network.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("the demo must not use the network")
}

// TestDemoStaysInProcess runs --demo with a client that cannot reach
// anything: every answer must come from inside the process.
func TestDemoStaysInProcess(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--demo", "--agent-id", "agent_demo_pass"}, env{
		getenv: func(string) string { return "" },
		stdout: &stdout, stderr: &stderr,
		now:  time.Now,
		http: &http.Client{Transport: failingTransport{}},
	})
	if err != nil || !strings.Contains(stdout.String(), "## ✅ Passed") {
		t.Errorf("--demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
}

// TestNoHTTPServerInTheBinary keeps the demo's fake from pulling Go's HTTP
// server into the shipped binary: about 0.5 MB that every job using the
// action would pull.
func TestNoHTTPServerInTheBinary(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "tool", "nm", binary).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	for _, sym := range []string{"net/http.(*conn).serve", "net/http.(*Server).Serve"} {
		if bytes.Contains(out, []byte(" "+sym+"\n")) {
			t.Errorf("the binary links %s: something reached an HTTP server (sigmamindtest.NewServer or httptest?)", sym)
		}
	}
	if !bytes.Contains(out, []byte(" main.main\n")) {
		t.Fatal("go tool nm listed no main.main: the check would pass vacuously")
	}
}
