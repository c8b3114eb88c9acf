package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:8089", true},
		{"127.8.9.10:0", true},
		{"[::1]:8089", true},
		{"localhost:8089", true},
		{":8089", false},
		{"0.0.0.0:8089", false},
		{"[::]:8089", false},
		{"192.168.1.5:8089", false},
		{"example.com:8089", false},
		{"127.0.0.1", false},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := checkLoopback(tt.addr)
			if got := err == nil; got != tt.ok {
				t.Errorf("checkLoopback(%q) = %v, want ok=%v", tt.addr, err, tt.ok)
			}
		})
	}
}

// start runs the command and returns its base URL and a function that
// stops it and returns run's error.
func start(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, args, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no ready line: %v (run: %v)", err, <-errc)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	base, ok := strings.CutPrefix(strings.TrimSpace(line), "fakesigmamind: serving on ")
	if !ok {
		t.Fatalf("ready line = %q", line)
	}
	stop := func() error {
		cancel()
		select {
		case err := <-errc:
			return err
		case <-time.After(2 * time.Second):
			t.Fatal("did not stop")
			return nil
		}
	}
	return base, stop
}

func list(t *testing.T, base, agentID, key string) (int, sigmamind.Page[sigmamind.BatchRun]) {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/v1/batch-runs?size=100&agentId="+agentID, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-API-Key", key)
	c := &http.Client{Transport: &http.Transport{}, Timeout: 2 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var p sigmamind.Page[sigmamind.BatchRun]
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, p
}

func TestServeSamples(t *testing.T) {
	t.Parallel()
	base, stop := start(t, "-addr", "127.0.0.1:0", "-key", "k", "-max-page-size", "5")
	type got struct {
		Status int
		Size   int
		Total  int64
	}
	tests := []struct {
		agent string
		want  got
	}{
		{"agent_demo_pass", got{200, 5, 12}},
		{"agent_demo_fail", got{200, 5, 12}},
		{"agent_demo_running", got{200, 5, 12}},
		{sigmamindtest.SampleAgentID, got{200, 5, 12}},
		{"agent_demo_empty", got{200, 5, 0}},
		{"agent_unknown", got{404, 0, 0}},
	}
	for _, tt := range tests {
		status, p := list(t, base, tt.agent, "k")
		if diff := cmp.Diff(tt.want, got{status, p.Size, p.TotalCount}); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", tt.agent, diff)
		}
	}
	if status, _ := list(t, base, "agent_demo_pass", sigmamindtest.DefaultAPIKey); status != http.StatusUnauthorized {
		t.Errorf("wrong key: status %d", status)
	}
	if err := stop(); err != nil {
		t.Errorf("stop: %v", err)
	}
}

func TestServeDataFile(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	runs := sigmamindtest.SampleRuns(now, "agent_x", sigmamindtest.ScenarioRunning)[:2]
	b, err := json.Marshal(map[string][]sigmamind.BatchRun{"agent_x": runs, "agent_none": {}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "data.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	base, stop := start(t, "-addr", "127.0.0.1:0", "-data", path)
	defer stop()

	_, p := list(t, base, "agent_x", sigmamindtest.DefaultAPIKey)
	if diff := cmp.Diff(runs, p.Data); diff != "" {
		t.Errorf("runs mismatch (-want +got):\n%s", diff)
	}
	if status, _ := list(t, base, "agent_none", sigmamindtest.DefaultAPIKey); status != http.StatusOK {
		t.Errorf("agent with no runs: status %d", status)
	}
	if status, _ := list(t, base, "agent_demo_pass", sigmamindtest.DefaultAPIKey); status != http.StatusNotFound {
		t.Errorf("samples served despite -data: status %d", status)
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`["not", "a", "map"]`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"public address", []string{"-addr", "0.0.0.0:0"}, `refusing -addr "0.0.0.0:0"`},
		{"no port", []string{"-addr", "127.0.0.1"}, "invalid -addr"},
		{"missing data file", []string{"-addr", "127.0.0.1:0", "-data", filepath.Join(t.TempDir(), "nope.json")}, "read -data"},
		{"malformed data file", []string{"-addr", "127.0.0.1:0", "-data", bad}, "parse -data"},
		{"stray argument", []string{"extra"}, "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}
