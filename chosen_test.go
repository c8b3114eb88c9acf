package main

import (
	"github.com/sigmagate/sigmagate/internal/steptest"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// TestWaitJudgesTheBatchRunsItChose: with wait, the batch runs chosen at the
// first look are the ones judged. A gated batch run seen running must not be
// dropped from the verdict because a later poll no longer lists it, or
// lists another one in its place; new batch runs listed before those chosen
// are no reason to fail.
func TestWaitJudgesTheBatchRunsItChose(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	a := steptest.Run5("batch_a", now.Add(-time.Minute), 5, 0)
	b := steptest.Run5("batch_b", now.Add(-10*time.Minute), 2, 0)
	b.TotalAttempts, b.TestCases[0].Attempt = 2, 10 // seen running
	bDone := steptest.Run5("batch_b", now.Add(-10*time.Minute), 10, 0)
	bDone.TotalAttempts, bDone.TestCases[0].Attempt = 10, 10
	c := steptest.Run5("batch_c", now.Add(-5*time.Minute), 5, 0) // between a and b
	d := steptest.Run5("batch_d", now.Add(-20*time.Minute), 5, 0)
	newer := steptest.Run5("batch_new", now, 0, 0)
	newer.TotalAttempts = 0
	tests := []struct {
		name      string
		later     []sigmamind.BatchRun
		wantExit  int
		wantError string
	}{
		{name: "a gated one no longer listed", later: []sigmamind.BatchRun{a, d}, wantExit: 3,
			wantError: `batch run "batch_b" has impossible data: it was listed running (2 of 10 attempts executed) when the gate chose the batch runs to judge, then no longer listed`},
		{name: "a new one among the gated", later: []sigmamind.BatchRun{a, c, b, d}, wantExit: 3,
			wantError: `batch run "batch_c" has impossible data: it was not listed when the gate chose the batch runs to judge, then listed among the gated ones`},
		{name: "a new one before them", later: []sigmamind.BatchRun{newer, a, bDone, d}, wantExit: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := steptest.NewFake(t)
			srv.ListAsGiven("agent_x", a, b, d)
			srv.Fail(sigmamindtest.Fault{}, sigmamindtest.Fault{Status: 200, Body: rawPage(t, tt.later...), Times: 20})
			// One poll, a second after the first look.
			s := runStep(t, with(srv, "wait", "1s", "batches", "2", "on-error", "warn"), nil)
			s.CheckHygiene(t)
			if s.Exit != tt.wantExit {
				t.Errorf("exit %d, result %q, batch-ids %s; want exit %d\n%s", s.Exit, s.Outputs["result"], s.Outputs["batch-ids"], tt.wantExit, s.Stdout)
			}
			if tt.wantError == "" {
				if s.Outputs["result"] != "pass" || s.Outputs["batch-ids"] != `["batch_a","batch_b"]` {
					t.Errorf("result %q, batch-ids %s; want a pass on batch_a and batch_b", s.Outputs["result"], s.Outputs["batch-ids"])
				}
				return
			}
			steptest.CheckAnnotation(t, s.Annotations("error"), tt.wantError)
			if s.Outputs["result"] != "error" || !strings.Contains(s.Stdout, "batch_b: 2/10 attempts") {
				t.Errorf("result %q; want error, after the wait showed batch_b running\n%s", s.Outputs["result"], s.Stdout)
			}
		})
	}
}
