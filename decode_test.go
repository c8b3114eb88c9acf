package main

import (
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// TestOverridingKeysDoNotPass: Go's encoding/json matched names
// case-insensitively and kept the last of two keys, so a failing batch run
// followed by "FailedAttempts": 0 passed the gate. Such a batch run is
// refused, whatever the spelling of the override.
func TestOverridingKeysDoNotPass(t *testing.T) {
	t.Parallel()
	failing := steptest.Run5("batch_x", time.Now().Add(-time.Hour), 0, 5)
	add := func(members string) func(string) string {
		return func(r string) string { return strings.TrimSuffix(r, "}") + members + "}" }
	}
	tests := []struct {
		name     string
		edit     func(string) string
		wantExit int
		result   string
		message  string
	}{
		{name: "as sent", edit: nil, wantExit: 1, result: "fail"},
		{name: "a trailing case variant", edit: add(`,"FailedAttempts":0`),
			wantExit: 3, result: "error", message: `the batch run has the key "FailedAttempts", which is failedAttempts in another case`},
		// Before, this one passed: encoding/json read 5 successful, 0 failed.
		{name: "trailing case variants of both counts", edit: add(`,"SuccessfulAttempts":5,"FailedAttempts":0`),
			wantExit: 3, result: "error", message: `the batch run has the key "SuccessfulAttempts", which is successfulAttempts in another case`},
		{name: "trailing duplicates of both counts", edit: add(`,"successfulAttempts":5,"failedAttempts":0`),
			wantExit: 3, result: "error", message: `the batch run has the key successfulAttempts twice`},
		{name: "Unicode case variants", edit: add(`,"ſuccessfulAttempts":5,"failedAttemptſ":0`),
			wantExit: 3, result: "error", message: `which is successfulAttempts in another case`},
		{name: "null failures", edit: func(r string) string { return strings.Replace(r, `"failedAttempts":5`, `"failedAttempts":null`, 1) },
			wantExit: 3, result: "error", message: `failedAttempts is null, want an integer`},
		{name: "fractional failures", edit: func(r string) string { return strings.Replace(r, `"failedAttempts":5`, `"failedAttempts":0.5e1`, 1) },
			wantExit: 3, result: "error", message: `failedAttempts is 0.5e1, want an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := steptest.NewFake(t, failing)
			if tt.edit != nil {
				srv.Fail(sigmamindtest.Fault{Status: 200, Body: editedPage(t, tt.edit, failing), Times: 5})
			}
			s := runStep(t, with(srv), nil)
			s.CheckHygiene(t)
			if s.Exit != tt.wantExit || s.Outputs["result"] != tt.result {
				t.Errorf("exit %d, result %q; want %d, %q\n%s", s.Exit, s.Outputs["result"], tt.wantExit, tt.result, s.Stdout)
			}
			if tt.message != "" {
				steptest.CheckAnnotation(t, s.Annotations("error"), tt.message)
			}
		})
	}
}
