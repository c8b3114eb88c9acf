package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// editedPage is the page the fake server would send for runs, with edit
// applied to the JSON of the first batch run.
func editedPage(t *testing.T, edit func(string) string, runs ...sigmamind.BatchRun) string {
	t.Helper()
	b, err := json.Marshal(sigmamind.Page[sigmamind.BatchRun]{Data: runs, Size: len(runs), TotalCount: int64(len(runs)), TotalPages: 1})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	first, err := json.Marshal(runs[0])
	if err != nil {
		t.Fatal(err)
	}
	edited := edit(string(first))
	if edited == string(first) || !strings.Contains(s, string(first)) {
		t.Fatalf("the edit changed nothing in %s", first)
	}
	return strings.Replace(s, string(first), edited, 1)
}

// TestUnknownAttemptsAreNotFinished: a test case without a configured
// attempt count makes the batch run's size unknown; it used to be skipped,
// so that 5 executed attempts of a batch of 5 + unknown read as finished.
func TestUnknownAttemptsAreNotFinished(t *testing.T) {
	t.Parallel()
	b := steptest.Run5("batch_x", time.Now().Add(-time.Hour), 5, 0)
	b.TotalAttempts = 10
	b.TestCases = append(b.TestCases, sigmamind.TestCase{TestCaseID: "tc_2", Label: "Escalation", Attempt: 5})
	tests := []struct {
		name     string
		edit     func(string) string
		finished bool
	}{
		{name: "every attempt count known", edit: func(r string) string {
			return strings.Replace(r, `"successfulAttempts":5`, `"successfulAttempts":10`, 1)
		}, finished: true},
		{name: "an attempt count missing", edit: func(r string) string { return strings.Replace(r, `,"attempt":5`, ``, 1) }},
		{name: "an attempt count null", edit: func(r string) string { return strings.Replace(r, `"attempt":5`, `"attempt":null`, 1) }},
		{name: "an attempt count zero", edit: func(r string) string { return strings.Replace(r, `"attempt":5`, `"attempt":0`, 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := steptest.NewFake(t, b)
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: editedPage(t, tt.edit, b), Times: 5})
			s := runStep(t, with(srv), nil)
			s.CheckHygiene(t)
			var row string
			for _, line := range strings.Split(s.Summary, "\n") {
				if strings.HasPrefix(line, "| `finished` |") {
					row = line
				}
			}
			if got := strings.Contains(row, "pass"); row == "" || got != tt.finished {
				t.Errorf("the summary calls the batch finished: %v, want %v (%q)\n%s", got, tt.finished, row, s.Summary)
			}
		})
	}
}
