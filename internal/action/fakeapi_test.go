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

// recordingTransport answers every request with 204, recording its host.
type recordingTransport struct{ hosts []string }

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.hosts = append(r.hosts, req.URL.Host)
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: req}, nil
}

// TestDemoAnswersOnlyItsAddress: the demo's fake answers its own address,
// and nothing else: a request for another host, such as GitHub's API for
// pr-comment, must not get the fake SigmaMind's answer.
func TestDemoAnswersOnlyItsAddress(t *testing.T) {
	t.Parallel()
	next := &recordingTransport{}
	env := Env{HTTP: &http.Client{Transport: next}, Now: time.Now}
	fake := startDemo(&env)
	defer fake.Close()
	for _, tt := range []struct {
		url     string
		status  int
		network bool
	}{
		{demoURL + "/v1/batch-runs?agentId=agent_demo_pass", http.StatusUnauthorized, false}, // no key: the fake refuses
		{"http://127.0.0.1:8080/repos/o/r/issues/7/comments", http.StatusNoContent, true},
		{"https://api.github.com/repos/o/r/issues/7/comments", http.StatusNoContent, true},
	} {
		before := len(next.hosts)
		resp, err := env.HTTP.Get(tt.url)
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.status || (len(next.hosts) > before) != tt.network {
			t.Errorf("%s: status %d, sent on: %v; want %d, %v", tt.url, resp.StatusCode, len(next.hosts) > before, tt.status, tt.network)
		}
	}
}
