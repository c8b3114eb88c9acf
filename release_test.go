package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/action"
	"github.com/sigmagate/sigmagate/internal/rawserver"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

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

	srv := steptest.NewFake(t, steptest.Run5("batch_x", time.Now(), 5, 0))
	s := runBinaryStep(t, bin, "", with(srv), nil)
	s.CheckHygiene(t)
	if s.Exit != 0 {
		t.Fatalf("exit %d\n%s%s", s.Exit, s.Stdout, s.Stderr)
	}
	var agents []string
	for _, r := range srv.Requests() {
		agents = append(agents, r.Header.Get("User-Agent"))
	}
	if len(agents) == 0 || agents[0] != "sigmagate/"+v+" (+https://github.com/sigmagate/sigmagate)" {
		t.Errorf("User-Agent of the requests = %q, want sigmagate/%s first", agents, v)
	}
	if !strings.HasSuffix(s.Summary, "\n<sub>sigmagate "+v+"</sub>\n\n") {
		t.Errorf("the job summary does not end with the version footer:\n%s", s.Summary)
	}
}

// TestTestFakeAPI runs the switch as CI does: the fake answers inside the
// container, at exactly the address the switch names. It never widens what
// api-url accepts and never answers elsewhere.
func TestTestFakeAPI(t *testing.T) {
	t.Parallel()
	addr, other := rawserver.FreeAddr(t), rawserver.FreeAddr(t)
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
			0, map[string]string{"result": "pass", "passed": "true", "total-attempts": "30"}, "", action.FakeAPIEnv + " is set: requests to " + addr},
		{"failing agent", addr, map[string]string{"api-key": key, "agent-id": "agent_demo_fail", "api-url": "http://" + addr, "max-failure-rate": "10%"},
			1, map[string]string{"result": "fail", "passed": "false"}, "failure rate", "built-in fake SigmaMind API"},
		{"wrong key", addr, map[string]string{"api-key": "not-the-key", "agent-id": "agent_demo_pass", "api-url": "http://" + addr},
			3, map[string]string{"result": "error", "passed": "false"}, "401", "unset it in real use"},
		{"another address is not answered", addr, map[string]string{"api-key": key, "agent-id": "agent_demo_pass", "api-url": "http://" + other, "retries": "0"},
			3, map[string]string{"result": "error"}, "could not reach http://" + other, action.FakeAPIEnv},
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
				env[action.FakeAPIEnv] = tt.fake
			}
			s := runStep(t, tt.with, env)
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
			steptest.CheckAnnotation(t, s.Annotations("error"), tt.wantError)
			steptest.CheckAnnotation(t, s.Annotations("warning"), tt.wantWarning)
		})
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
