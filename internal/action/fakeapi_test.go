package action

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

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
	code := Main(context.Background(), []string{"--demo", "--agent-id", "agent_demo_pass"}, Env{
		Getenv: func(string) string { return "" },
		Stdout: &stdout, Stderr: &stderr,
		Now:  time.Now,
		HTTP: &http.Client{Transport: failingTransport{}},
	})
	if code != 0 || !strings.Contains(stdout.String(), "\nPASS  SigmaMind simulations") {
		t.Errorf("--demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
}
