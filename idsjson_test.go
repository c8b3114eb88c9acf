package main

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// TestBatchIDsOutputIsJSON: ids from the API that Go's quoting would write
// as no JSON parser reads (\U0001f600), or that JSON must escape, come out
// of batch-ids as JSON that reads back as exactly the ids.
func TestBatchIDsOutputIsJSON(t *testing.T) {
	t.Parallel()
	want := []string{
		"batch_\U0001f600",
		"batch_\u2028line\u2029separators",
		`batch_"quoted"`,
		`batch_\back\slash\`,
		"batch_<&>",
		"batch_\u202eoverride",
	}
	now := time.Now()
	var runs []sigmamind.BatchRun
	for i, id := range want {
		runs = append(runs, steptest.Run5(id, now.Add(-time.Duration(i)*time.Minute), 5, 0))
	}
	srv := steptest.NewFake(t, runs...)
	s := runStep(t, map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL,
		"batches": fmt.Sprint(len(want)), "max-failure-rate": "10%"}, nil)
	s.CheckHygiene(t)
	if s.Exit != 0 {
		t.Fatalf("exit %d, want 0\n%s\n%s", s.Exit, s.Stdout, s.Stderr)
	}
	for _, name := range []string{"batch-ids", "started-batch-ids"} {
		var got []string
		if err := json.Unmarshal([]byte(s.Outputs[name]), &got); err != nil {
			t.Errorf("%s = %s is not JSON: %v", name, s.Outputs[name], err)
			continue
		}
		w := want
		if name == "started-batch-ids" {
			w = []string{}
		}
		if diff := cmp.Diff(w, got); diff != "" {
			t.Errorf("%s = %s (-want +got):\n%s", name, s.Outputs[name], diff)
		}
	}
}
