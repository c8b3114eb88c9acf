package gate

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkEvaluate judges 50 gated batch runs against a baseline of 50 with
// every rule on, confidence and regression included: the batch runs of a
// page of 100 (sigmamind's BenchmarkListBatchRuns) split as the gate reads
// them.
func BenchmarkEvaluate(b *testing.B) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	var runs []Batch
	for i := range 100 {
		runs = append(runs, Batch{ID: fmt.Sprintf("batch_%016d", i),
			Created:    time.Date(2026, 11, 29, 10, 52, 45, 565e6, time.UTC).Add(-time.Duration(i) * time.Hour),
			Successful: 95, Failed: 4, Total: 100, Expected: 100})
	}
	in := Input{AgentID: "agent_x", Gated: runs[:50], Baseline: runs[50:], Requested: 50, Now: now,
		Rules: Rules{MaxFailureRate: rate("5%"), MinSuccessRate: rate("90%"), MaxFailedAttempts: count(1000),
			MinAttempts: 100, Confidence: 0.95, MaxAge: 24 * time.Hour, MaxRegression: rate("5%")}}
	b.ReportAllocs()
	for b.Loop() {
		if res := Evaluate(in); res.Verdict == "" {
			b.Fatal("no verdict")
		}
	}
}
