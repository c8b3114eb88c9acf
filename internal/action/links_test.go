package action

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBatchURL(t *testing.T) {
	t.Parallel()
	const path = "https://app.example/agents/{agentId}/batches/{batchId}"
	const query = "https://app.example/run?agent={agentId}&batch={batchId}#top"
	tests := []struct {
		template, agent, batch, want string
	}{
		{"", "agent_x", "batch_x", ""},
		{path, "agent_x", "batch_x", "https://app.example/agents/agent_x/batches/batch_x"},
		{path, "agent_x", "a/../../admin", "https://app.example/agents/agent_x/batches/a%2F..%2F..%2Fadmin"},
		{path, "agent_x", "..", ""},
		{path, "agent_x", ".", ""},
		{path, "..", "batch_x", ""},
		{path, "agent_x", "", ""},
		{path, "agent_x", "b c)\"'<>`|[]", "https://app.example/agents/agent_x/batches/b%20c%29%22%27%3C%3E%60%7C%5B%5D"},
		{query, "agent_x", "b&batch=evil#x", "https://app.example/run?agent=agent_x&batch=b%26batch%3Devil%23x#top"},
		{query, "a;b+c=d@e:f,g$", "batch_x", "https://app.example/run?agent=a%3Bb%2Bc%3Dd%40e%3Af%2Cg%24&batch=batch_x#top"},
		{path, "agent_x", "é\n", "https://app.example/agents/agent_x/batches/%C3%A9%0A"},
	}
	for _, tt := range tests {
		got := batchURL(tt.template, tt.agent, tt.batch)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("batchURL(%q, %q, %q) (-want +got):\n%s", tt.template, tt.agent, tt.batch, diff)
		}
	}
}

// FuzzBatchURL: whatever the ids, the URL keeps the template's structure:
// the same host, the same number of path segments, the same query keys and
// fragment, and the ids come back whole when decoded.
func FuzzBatchURL(f *testing.F) {
	f.Add("agent_x", "batch_x")
	f.Add("a/b", "../..")
	f.Add("?x=1", "#f&y=2")
	f.Fuzz(func(t *testing.T, agent, batch string) {
		const template = "https://app.example/a/{agentId}/b/{batchId}?x={batchId}#f"
		got := batchURL(template, agent, batch)
		if got == "" {
			if agent != "" && agent != "." && agent != ".." && batch != "" && batch != "." && batch != ".." {
				t.Fatalf("no link for %q, %q", agent, batch)
			}
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%q does not parse: %v", got, err)
		}
		if u.Host != "app.example" || u.Fragment != "f" {
			t.Fatalf("%q: host %q, fragment %q", got, u.Host, u.Fragment)
		}
		want := []string{"", "a", agent, "b", batch}
		if diff := cmp.Diff(want, splitEscaped(t, u.EscapedPath())); diff != "" {
			t.Fatalf("path of %q (-want +got):\n%s", got, diff)
		}
		q := u.Query()
		if len(q) != 1 || q.Get("x") != batch {
			t.Fatalf("query of %q: %v, want x=%q", got, q, batch)
		}
	})
}

func splitEscaped(t *testing.T, p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '/' {
			s, err := url.PathUnescape(p[start:i])
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
			start = i + 1
		}
	}
	return out
}
