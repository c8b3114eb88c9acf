package action

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// TestEveryChannelAsksThePolicy: the exit status, the passed output, the
// kind of every annotation, the summary's note and the log's note all say
// what the policy decided, for every policy that changes what an outcome
// does to the step.
func TestEveryChannelAsksThePolicy(t *testing.T) {
	t.Parallel()
	failing := func(t *testing.T) *sigmamindtest.Server {
		return steptest.NewFake(t, steptest.Run5("batch_x", steptest.Now.Add(-time.Hour), 4, 1))
	}
	running := func(t *testing.T) *sigmamindtest.Server {
		return steptest.NewFake(t, sigmamind.BatchRun{BatchID: "batch_r", CreatedDate: steptest.Now.Add(-time.Hour), TotalAttempts: 2, SuccessfulAttempts: 2,
			TestCases: []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: 10}}})
	}
	down := func(t *testing.T) *sigmamindtest.Server {
		srv := failing(t)
		srv.Fail(sigmamindtest.Fault{Status: 503, Times: 9})
		return srv
	}
	refused := func(t *testing.T) *sigmamindtest.Server {
		srv := failing(t)
		srv.Fail(sigmamindtest.Fault{Status: 401, Times: 9})
		return srv
	}
	tests := []struct {
		name    string
		serve   func(t *testing.T) *sigmamindtest.Server
		with    map[string]string
		outcome policy.Outcome
	}{
		{"a failure", failing, nil, policy.Outcome{Verdict: gate.Fail}},
		{"a failure, warn-only", failing, map[string]string{"warn-only": "true"}, policy.Outcome{Verdict: gate.Fail}},
		{"inconclusive, on-inconclusive: warn", running, map[string]string{"on-inconclusive": "warn"}, policy.Outcome{Verdict: gate.Inconclusive}},
		{"inconclusive, on-inconclusive: pass", running, map[string]string{"on-inconclusive": "pass"}, policy.Outcome{Verdict: gate.Inconclusive}},
		{"inconclusive, warn-only", running, map[string]string{"warn-only": "true"}, policy.Outcome{Verdict: gate.Inconclusive}},
		// The summary used to say warn-only here, while the step passed
		// because of on-inconclusive: pass and warned of nothing.
		{"inconclusive, warn-only and on-inconclusive: pass", running, map[string]string{"warn-only": "true", "on-inconclusive": "pass"},
			policy.Outcome{Verdict: gate.Inconclusive}},
		{"an outage, on-error: warn", down, map[string]string{"on-error": "warn", "retries": "1"}, policy.Outcome{Err: true, Outage: true}},
		{"a refused key, on-error: warn", refused, map[string]string{"on-error": "warn"}, policy.Outcome{Err: true}},
		{"a refused key, warn-only", refused, map[string]string{"warn-only": "true"}, policy.Outcome{Err: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			with := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": tt.serve(t).URL}
			for k, v := range tt.with {
				with[k] = v
			}
			p := policy.Policy{WarnOnly: tt.with["warn-only"] == "true", OnInconclusive: "fail", OnError: "fail"}
			if v, ok := tt.with["on-inconclusive"]; ok {
				p.OnInconclusive = v
			}
			if v, ok := tt.with["on-error"]; ok {
				p.OnError = v
			}
			want := policy.Decide(tt.outcome, p)
			s, _ := runInProcess(t, with)
			s.CheckHygiene(t)
			if s.Exit != want.Code || s.Outputs["passed"] != strconv.FormatBool(want.Passed) {
				t.Errorf("exit %d, passed %q; want %d, %v\n%s", s.Exit, s.Outputs["passed"], want.Code, want.Passed, s.Stdout)
			}
			errs, warnings := s.Annotations("error"), s.Annotations("warning")
			switch want.Severity {
			case policy.None:
				if len(errs)+len(warnings) > 0 {
					t.Errorf("annotations %q %q, want none", errs, warnings)
				}
			case policy.Warning:
				if len(errs) > 0 || len(warnings) == 0 {
					t.Errorf("errors %q, warnings %q; want warnings only", errs, warnings)
				}
			case policy.Error:
				if len(warnings) > 0 || len(errs) == 0 {
					t.Errorf("errors %q, warnings %q; want errors only", errs, warnings)
				}
			}
			for _, a := range append(errs, warnings...) {
				if want.Note != "" && !strings.HasSuffix(a, " ("+want.Note+")") {
					t.Errorf("annotation %q does not end with the note %q", a, want.Note)
				}
			}
			if strings.Contains(s.Summary, "[!NOTE]") != (want.Note != "") || !strings.Contains(s.Summary, "> [!NOTE]\n> "+want.Note+".\n") && want.Note != "" {
				t.Errorf("the summary does not show the note %q, and only it:\n%s", want.Note, s.Summary)
			}
			if want.Note != "" && !strings.Contains(s.Stdout, "\nsigmagate: "+want.Note+"\n") {
				t.Errorf("the log does not show the note %q:\n%s", want.Note, s.Stdout)
			}
			for _, other := range []string{"warn-only is set", "on-inconclusive: pass is set", "on-inconclusive: warn is set", "on-error: warn"} {
				if !strings.HasPrefix(want.Note, other) && strings.Contains(s.Summary+s.Stdout, other) {
					t.Errorf("the summary or log says %q, which is not the policy's note %q", other, want.Note)
				}
			}
		})
	}
}
