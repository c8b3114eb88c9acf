package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBatchURLTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, template string
		want           string // "" means accepted
	}{
		{"both placeholders", "https://app.example/agents/{agentId}/batches/{batchId}", ""},
		{"batch only, in the query", "https://app.example/runs?id={batchId}", ""},
		{"no placeholder", "https://app.example/batches", ""},
		{"unknown placeholder", "https://app.example/{agent}/{batchId}", `unknown placeholder or an unbalanced brace near "{agent}"`},
		{"wrong case", "https://app.example/{batchid}", `near "{batchid}"`},
		{"unbalanced open", "https://app.example/{batchId", `near "{"`},
		{"unbalanced close", "https://app.example/batchId}", `near "}"`},
		{"nested", "https://app.example/{{batchId}}", "unbalanced brace"},
		{"http", "http://app.example/{batchId}", "the scheme must be https"},
		{"http loopback", "http://127.0.0.1/{batchId}", "the scheme must be https"},
		{"javascript", "javascript:alert(1)//{batchId}", "is not a URL"},
		{"relative", "/batches/{batchId}", "is not a URL"},
		{"credentials", "https://user:pw@app.example/{batchId}", "must not contain credentials"},
		{"space", "https://app.example/a b/{batchId}", "holds white space"},
		{"angle bracket", "https://app.example/<x>/{batchId}", "holds white space"},
		{"newline", "https://app.example/{batchId}\n::error::x", "holds white space"},
		{"no host", "https:///{batchId}", "is not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := valid()
			r.BatchURLTemplate = tt.template
			c, err := Parse(r)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Parse(%q) = %v, want no error", tt.template, err)
				}
				if diff := cmp.Diff(tt.template, c.BatchURLTemplate); diff != "" {
					t.Errorf("BatchURLTemplate (-want +got):\n%s", diff)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "input batch-url-template: ") || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) = %v, want an error of batch-url-template containing %q", tt.template, err, tt.want)
			}
			if c.BatchURLTemplate != "" {
				t.Errorf("a refused template was kept: %q", c.BatchURLTemplate)
			}
		})
	}
}
