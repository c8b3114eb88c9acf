package policy

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/gate"
)

// The decisions, written out rather than derived, so that the table reads
// as the contract of warn-only, on-inconclusive and on-error.
var (
	passed               = Decision{Code: 0, Passed: true}
	failed               = Decision{Code: 1, Severity: Error}
	errored              = Decision{Code: 3, Severity: Error}
	warnedFail           = Decision{Code: 0, Severity: Warning, Note: "warn-only is set: this step passes, and the failure is reported as a warning"}
	warnedInconclusive   = Decision{Code: 0, Severity: Warning, Note: "warn-only is set: this step passes, and the inconclusive verdict is reported as a warning"}
	passedInconclusive   = Decision{Code: 0, Passed: true, Note: "on-inconclusive: pass is set: this step passes although the evidence did not decide"}
	warnedOnInconclusive = Decision{Code: 0, Severity: Warning,
		Note: "on-inconclusive: warn is set: this step passes, and the inconclusive verdict is reported as a warning"}
	warnedOutage = Decision{Code: 0, Severity: Warning, Note: "on-error: warn, and an outage may explain this, so this step passes"}
	notAnOutage  = Decision{Code: 3, Severity: Error, Note: "on-error: warn lets only outages pass, and this is not one"}
)

// outcomes are the results a gate can come to.
var outcomes = map[string]Outcome{
	"pass":         {Verdict: gate.Pass},
	"fail":         {Verdict: gate.Fail},
	"inconclusive": {Verdict: gate.Inconclusive},
	"outage":       {Err: true, Outage: true},
	"error":        {Err: true},
}

// TestDecideEveryCombination covers every result with every setting of
// warn-only, on-inconclusive and on-error.
func TestDecideEveryCombination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		result         string
		warnOnly       bool
		onInconclusive string
		onError        string
		want           Decision
	}{
		{"pass", false, "fail", "fail", passed},
		{"pass", false, "fail", "warn", passed},
		{"pass", false, "warn", "fail", passed},
		{"pass", false, "warn", "warn", passed},
		{"pass", false, "pass", "fail", passed},
		{"pass", false, "pass", "warn", passed},
		{"pass", true, "fail", "fail", passed},
		{"pass", true, "fail", "warn", passed},
		{"pass", true, "warn", "fail", passed},
		{"pass", true, "warn", "warn", passed},
		{"pass", true, "pass", "fail", passed},
		{"pass", true, "pass", "warn", passed},
		{"fail", false, "fail", "fail", failed},
		{"fail", false, "fail", "warn", failed},
		{"fail", false, "warn", "fail", failed},
		{"fail", false, "warn", "warn", failed},
		{"fail", false, "pass", "fail", failed},
		{"fail", false, "pass", "warn", failed},
		{"fail", true, "fail", "fail", warnedFail},
		{"fail", true, "fail", "warn", warnedFail},
		{"fail", true, "warn", "fail", warnedFail},
		{"fail", true, "warn", "warn", warnedFail},
		{"fail", true, "pass", "fail", warnedFail},
		{"fail", true, "pass", "warn", warnedFail},
		{"inconclusive", false, "fail", "fail", failed},
		{"inconclusive", false, "fail", "warn", failed},
		{"inconclusive", false, "warn", "fail", warnedOnInconclusive},
		{"inconclusive", false, "warn", "warn", warnedOnInconclusive},
		{"inconclusive", false, "pass", "fail", passedInconclusive},
		{"inconclusive", false, "pass", "warn", passedInconclusive},
		{"inconclusive", true, "fail", "fail", warnedInconclusive},
		{"inconclusive", true, "fail", "warn", warnedInconclusive},
		{"inconclusive", true, "warn", "fail", warnedInconclusive},
		{"inconclusive", true, "warn", "warn", warnedInconclusive},
		{"inconclusive", true, "pass", "fail", passedInconclusive},
		{"inconclusive", true, "pass", "warn", passedInconclusive},
		{"outage", false, "fail", "fail", errored},
		{"outage", false, "fail", "warn", warnedOutage},
		{"outage", false, "warn", "fail", errored},
		{"outage", false, "warn", "warn", warnedOutage},
		{"outage", false, "pass", "fail", errored},
		{"outage", false, "pass", "warn", warnedOutage},
		{"outage", true, "fail", "fail", errored},
		{"outage", true, "fail", "warn", warnedOutage},
		{"outage", true, "warn", "fail", errored},
		{"outage", true, "warn", "warn", warnedOutage},
		{"outage", true, "pass", "fail", errored},
		{"outage", true, "pass", "warn", warnedOutage},
		{"error", false, "fail", "fail", errored},
		{"error", false, "fail", "warn", notAnOutage},
		{"error", false, "warn", "fail", errored},
		{"error", false, "warn", "warn", notAnOutage},
		{"error", false, "pass", "fail", errored},
		{"error", false, "pass", "warn", notAnOutage},
		{"error", true, "fail", "fail", errored},
		{"error", true, "fail", "warn", notAnOutage},
		{"error", true, "warn", "fail", errored},
		{"error", true, "warn", "warn", notAnOutage},
		{"error", true, "pass", "fail", errored},
		{"error", true, "pass", "warn", notAnOutage},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		name := fmt.Sprintf("%s, warn-only %v, on-inconclusive %s, on-error %s", tt.result, tt.warnOnly, tt.onInconclusive, tt.onError)
		if seen[name] {
			t.Fatalf("%s: twice in the table", name)
		}
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			o, ok := outcomes[tt.result]
			if !ok {
				t.Fatalf("no outcome %q", tt.result)
			}
			got := Decide(o, Policy{WarnOnly: tt.warnOnly, OnInconclusive: tt.onInconclusive, OnError: tt.onError})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if want := len(outcomes) * 2 * 3 * 2; len(seen) != want {
		t.Errorf("the table has %d combinations, want all %d", len(seen), want)
	}
}

// TestDecideNeverPassesWhatItDoesNotKnow: a verdict or a setting that is not
// one of the documented ones is no pass, and an outage without an error is
// no error.
func TestDecideNeverPassesWhatItDoesNotKnow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Outcome
		p    Policy
		want Decision
	}{
		{"no verdict", Outcome{}, Policy{OnInconclusive: "pass", OnError: "warn"}, failed},
		{"skipped", Outcome{Verdict: gate.Skipped}, Policy{OnInconclusive: "pass"}, failed},
		{"an unknown verdict", Outcome{Verdict: "PASS"}, Policy{}, failed},
		{"an unknown verdict, warn-only", Outcome{Verdict: "passed"}, Policy{WarnOnly: true}, warnedFail},
		{"an unknown on-inconclusive", Outcome{Verdict: gate.Inconclusive}, Policy{OnInconclusive: "Pass"}, failed},
		{"an unknown on-error", Outcome{Err: true, Outage: true}, Policy{OnError: "ignore"}, errored},
		{"an error with a verdict", Outcome{Verdict: gate.Pass, Err: true}, Policy{WarnOnly: true, OnInconclusive: "pass"}, errored},
		{"an outage without an error", Outcome{Verdict: gate.Fail, Outage: true}, Policy{OnError: "warn"}, failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Decide(tt.o, tt.p)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCombine holds the step's decision for several agents to the gravest
// of theirs: a policy that let one agent pass never lets another's failure
// or error pass.
func TestCombine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []Decision
		want Decision
	}{
		{"none", nil, Decision{Code: ExitError, Severity: Error}},
		{"one pass", []Decision{passed}, passed},
		{"all pass", []Decision{passed, passed, passed}, passed},
		{"pass and fail", []Decision{passed, failed}, failed},
		{"fail and error", []Decision{failed, errored, passed}, errored},
		{"error and fail", []Decision{errored, failed}, errored},
		{"excused outage beside a failure", []Decision{warnedOutage, failed},
			Decision{Code: ExitFail, Severity: Error, Note: warnedOutage.Note}},
		{"excused outage beside a pass", []Decision{passed, warnedOutage},
			Decision{Code: ExitPass, Severity: Warning, Note: warnedOutage.Note}},
		{"passed inconclusive beside a pass", []Decision{passedInconclusive, passed}, passedInconclusive},
		{"warned failures, one note", []Decision{warnedFail, warnedFail}, warnedFail},
		{"two notes", []Decision{warnedFail, warnedInconclusive},
			Decision{Code: ExitPass, Severity: Warning, Note: warnedFail.Note + "; " + warnedInconclusive.Note}},
		{"not an outage beside a warned failure", []Decision{notAnOutage, warnedFail},
			Decision{Code: ExitError, Severity: Error, Note: notAnOutage.Note + "; " + warnedFail.Note}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Combine(tt.in)); diff != "" {
				t.Errorf("Combine (-want +got):\n%s", diff)
			}
		})
	}
}
