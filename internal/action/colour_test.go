package action

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestColour: the text report is coloured only on a terminal, and never
// with NO_COLOR set; markdown and JSON never are.
func TestColour(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		terminal bool
		noColor  string
		args     []string
		want     bool
	}{
		{"terminal", true, "", nil, true},
		{"terminal, NO_COLOR=1", true, "1", nil, false},
		{"terminal, NO_COLOR=0", true, "0", nil, false}, // any value but empty turns it off
		{"pipe", false, "", nil, false},
		{"terminal, markdown", true, "", []string{"--format", "markdown"}, false},
		{"terminal, json", true, "", []string{"--format", "json"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), append([]string{"--demo", "--agent-id", "agent_demo_fail"}, tt.args...), Env{
				Getenv: func(k string) string {
					if k == "NO_COLOR" {
						return tt.noColor
					}
					return ""
				},
				Stdout: &stdout, Stderr: &stderr,
				Now:        time.Now,
				HTTP:       &http.Client{Transport: failingTransport{}},
				IsTerminal: func() bool { return tt.terminal },
			})
			out := stdout.String()
			if code != 1 || strings.Contains(out, "\x1b[") != tt.want {
				t.Errorf("exit %d, coloured %v, want 1, %v:\n%q", code, strings.Contains(out, "\x1b["), tt.want, out)
			}
			if tt.want && !strings.Contains(out, "\n\x1b[1m\x1b[31mFAIL\x1b[0m  SigmaMind simulations") {
				t.Errorf("the verdict is not coloured red:\n%q", out)
			}
		})
	}
}
