package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// TestDigitsThroughTheBinary: what the gate prints of levels, rates and
// bounds never reads 100% for less than 1, nor 0% for more than 0, and the
// attempts still needed are a count, at the largest sizes batches can pool.
func TestDigitsThroughTheBinary(t *testing.T) {
	t.Parallel()
	huge := func(id string, created time.Time, total, failed int64) sigmamind.BatchRun {
		return sigmamind.BatchRun{BatchID: id, CreatedDate: created, Agent: &sigmamind.Agent{Name: "Support bot", AgentID: "agent_x"},
			SuccessfulAttempts: total - failed, FailedAttempts: failed, TotalAttempts: total}
	}
	now := time.Now()
	pooled := make([]sigmamind.BatchRun, 100)
	for i := range pooled {
		pooled[i] = huge(fmt.Sprintf("batch_%03d", i), now.Add(-time.Duration(i)*time.Minute), 1e12, 1e6)
	}
	tests := []struct {
		name     string
		runs     []sigmamind.BatchRun
		with     map[string]string
		wantExit int
		want     []string // parts of the one error annotation
		notWant  []string
	}{
		{"a level just below 1", []sigmamind.BatchRun{steptest.Run5("batch_x", now, 5, 0)},
			map[string]string{"confidence": "0.999999999999", "max-failure-rate": "50%"}, 1,
			[]string{"cannot be shown to be at most 50.0% at 99.9999999999% confidence: its bounds are 0.0% to 99.6%"}, []string{"100%"}},
		{"one failure in 10^12 attempts", []sigmamind.BatchRun{huge("batch_x", now, 1e12, 1)}, nil, 1,
			[]string{"failure rate 0.0000000001% is above the limit 0.0% (1 of 1000000000000 attempts failed in batch_x)"}, []string{"0.0000%"}},
		{"a rate just above its limit", []sigmamind.BatchRun{huge("batch_x", now, 10000, 1001)}, map[string]string{"max-failure-rate": "10%"}, 1,
			[]string{"failure rate 10.01% is above the limit 10.0%"}, []string{"10.0% is above"}},
		{"a limit with more digits", []sigmamind.BatchRun{huge("batch_x", now, 10000, 1235)}, map[string]string{"max-failure-rate": "12.345%"}, 1,
			[]string{"failure rate 12.35% is above the limit 12.345%"}, []string{"limit 12.3%", "≤ 12.3%"}},
		{"a success rate just below 1", []sigmamind.BatchRun{huge("batch_x", now, 1e12, 1)},
			map[string]string{"max-failure-rate": "100%", "min-success-rate": "100%"}, 1,
			[]string{"success rate 99.9999999999% is below the limit 100.0%"}, []string{"100.0000%"}},
		// More than the 2^30 further attempts the search used to stop at,
		// where it said that no number could show the limit.
		{"10^12 attempts, a limit of 10^-6", []sigmamind.BatchRun{huge("batch_x", now, 1e12, 1e6)},
			map[string]string{"max-failure-rate": "0.0001%", "confidence": "0.95"}, 1,
			[]string{"its bounds are 0.0000998% to 0.0001002%", "more attempts with no failures would show a failure rate ≤ 0.0001% at 95% confidence"},
			[]string{"no number of attempts", "-1", "0.0001%–0.0001%"}},
		{"100 batch runs of 10^12 attempts", pooled,
			map[string]string{"batches": "100", "max-failure-rate": "0.0001%", "confidence": "0.95"}, 1,
			[]string{"its bounds are 0.00009998% to 0.00010002% (100000000 of 100000000000000 attempts failed in 100 batch runs)",
				"more attempts with no failures would show a failure rate ≤ 0.0001% at 95% confidence"},
			[]string{"no number of attempts", "-1", "0.0001%–0.0001%"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := steptest.NewFake(t, tt.runs...)
			in := with(srv)
			for k, v := range tt.with {
				in[k] = v
			}
			s := runStep(t, in, nil)
			s.CheckHygiene(t)
			if s.Exit != tt.wantExit {
				t.Errorf("exit %d, want %d\n%s", s.Exit, tt.wantExit, s.Stdout)
			}
			errs := s.Annotations("error")
			if len(errs) != 1 {
				t.Fatalf("error annotations = %q, want one", errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs[0], w) {
					t.Errorf("annotation %q does not contain %q", errs[0], w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(errs[0], w) || strings.Contains(s.Summary, w) {
					t.Errorf("annotation or summary contains %q:\n%s\n%s", w, errs[0], s.Summary)
				}
			}
			var report struct {
				Rules []struct {
					Bound *struct {
						Needed int64 `json:"attemptsNeeded"`
					} `json:"bound"`
				} `json:"rules"`
			}
			if err := json.Unmarshal(steptest.OnlyAgent(t, s.Outputs["report"]), &report); err != nil {
				t.Fatal(err)
			}
			for _, r := range report.Rules {
				if r.Bound != nil && r.Bound.Needed < 0 {
					t.Errorf("attemptsNeeded = %d in the report", r.Bound.Needed)
				}
			}
		})
	}
}
