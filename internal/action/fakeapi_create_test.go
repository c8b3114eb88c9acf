package action

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// TestInProcessFakeStartsBatchRuns: the demo's fake, answered through the
// HTTP client's transport, lists test cases, takes a create and moves the
// batch run on as it is read, as the gate that starts runs needs.
func TestInProcessFakeStartsBatchRuns(t *testing.T) {
	t.Parallel()
	now := time.Now()
	fake := sigmamindtest.NewHandler()
	defer fake.Close()
	fake.SeedSamples(now)
	c, err := sigmamind.NewClient(answerInProcess(nil, "", fake.Handler()), demoURL, sigmamindtest.DefaultAPIKey)
	if err != nil {
		t.Fatal(err)
	}
	const agent = "agent_demo_pass"
	tcs, err := c.TestCases(t.Context(), agent)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, tc := range tcs {
		ids = append(ids, tc.TestCaseID)
	}
	started, err := c.CreateBatchRunOnce(t.Context(), agent, ids, sigmamind.CreateOptions{Retries: 3})
	if err != nil {
		t.Fatal(err)
	}
	var totals []int64
	for range 4 {
		b, err := c.BatchRun(t.Context(), agent, started.BatchID)
		if err != nil {
			t.Fatal(err)
		}
		totals = append(totals, b.TotalAttempts)
	}
	if diff := cmp.Diff([]int64{10, 20, 30, 30}, totals); diff != "" {
		t.Errorf("progress mismatch (-want +got):\n%s", diff)
	}
	if n := len(fake.BatchRunsOf(agent)); n != 13 {
		t.Errorf("the fake has %d batch runs, want the 12 samples and the one started", n)
	}
}
