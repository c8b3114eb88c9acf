package action

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/internal/untrusted"
	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
	"github.com/sigmagate/sigmagate/report"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// Keys that the report's escaping changes: "_" and "*" are escaped in
// markdown, "&", "<", ">" and '"' become HTML references there and \u00XX
// in JSON. A search for the key as it is finds none of those forms.
const (
	markdownKey = "sk_live_0123456789abcdef"
	punctKey    = `sk*live&<0123>"key"`
)

// TestKeyEchoedWhileWaiting: the progress lines of wait name batch runs by
// their ids.
func TestKeyEchoedWhileWaiting(t *testing.T) {
	t.Parallel()
	for _, key := range []string{markdownKey, punctKey} {
		srv := sigmamindtest.NewServer(sigmamindtest.WithAPIKey(key))
		t.Cleanup(srv.Close)
		for i, form := range steptest.Encodings(key) {
			srv.AddBatchRuns("agent_x", sigmamind.BatchRun{BatchID: fmt.Sprintf("batch_%d_%s", i, form), CreatedDate: steptest.Now.Add(-time.Duration(i) * time.Minute),
				TotalAttempts: 1, SuccessfulAttempts: 1, TestCases: []sigmamind.TestCase{{TestCaseID: "tc", Attempt: 5}}})
		}
		s, _ := runInProcess(t, map[string]string{"api-key": key, "agent-id": "agent_x", "api-url": srv.URL, "wait": "10m", "batches": "5"})
		s.CheckNoKey(t, key)
		if s.Exit != 1 || !strings.Contains(s.Stdout, "batch_0_***: 1/5 attempts") {
			t.Errorf("exit %d, want 1 and progress lines naming batch_***\n%s", s.Exit, s.Stdout)
		}
	}
}

// TestRedactedBeforeEveryFormatter: whatever text of a result holds the
// key, as it is or encoded, no formatter writes it in any form once the
// result is redacted (not the summary, the JSON report, the outputs or the
// annotations), and the error still says what it is and what to do.
func TestRedactedBeforeEveryFormatter(t *testing.T) {
	t.Parallel()
	for _, key := range []string{markdownKey, punctKey} {
		all := strings.Join(steptest.Encodings(key), " ")
		run := steptest.Run5("batch_"+all, steptest.Now, 4, 1)
		run.Agent.Name = all
		run.TestCases[0].TestCaseID, run.TestCases[0].Label, run.TestCases[0].LLMModel = all, all, all
		run.TestCases[0].UserPrompt, run.TestCases[0].SuccessCriteria = all, all
		run.TestCases[0].MockData = []sigmamind.MockData{{VariableName: all, Value: all}}
		checks := []gate.Check{{Rule: "max-failure-rate", Verdict: gate.Fail, Reason: "reason " + all, LimitText: all, ActualText: all}}
		apiErr := fmt.Errorf("listing: %w", &sigmamind.APIError{Method: "GET", Path: "/v1/batch-runs", StatusCode: 401, Body: sigmamind.ErrorBody{Message: all}})
		cases := map[string]judged{
			"a verdict": {sel: batches.Selection{Gated: []sigmamind.BatchRun{run}, Notes: []string{all}},
				gate: gate.Result{Verdict: gate.Fail, Checks: checks, Notes: []string{all}}, outcome: policy.Outcome{Verdict: gate.Fail}},
			"an error": {err: apiErr, outcome: policy.Outcome{Err: true, Outage: outage(apiErr)}},
		}
		for name, j := range cases {
			t.Run(name+"/"+key, func(t *testing.T) {
				t.Parallel()
				l := loaded{cfg: config.Config{AgentID: key, OnError: "warn", OnInconclusive: "fail", WarnOnly: true}, inputs: map[string]string{"agent-id": all}}
				d := policy.Decide(j.outcome, policy.Policy{WarnOnly: l.cfg.WarnOnly, OnInconclusive: l.cfg.OnInconclusive, OnError: l.cfg.OnError})
				r := redacted(result(l, j, d), untrusted.NewSecrets(key))
				var log bytes.Buffer
				s := &step{log: ghio.Log{W: &log}, ann: &ghio.Annotator{Log: ghio.Log{W: &log}}}
				s.announce(r, d, false)
				written := map[string]string{"summary": report.Markdown([]report.Result{r}), "report": report.JSON([]report.Result{r}), "log": log.String()}
				for _, o := range outputs([]report.Result{r}, d) {
					written["output "+o.Name] = o.Value
				}
				for what, text := range written {
					if found := untrustedtest.Leaks(text, key); len(found) > 0 {
						t.Errorf("%s holds the key as %s:\n%s", what, strings.Join(found, ", "), text)
					}
				}
				if j.err != nil && (!strings.Contains(log.String(), "401 Unauthorized") || !strings.Contains(log.String(), "check the api-key secret") ||
					!strings.Contains(log.String(), "on-error: warn lets only outages pass")) {
					t.Errorf("the error no longer says what it is and what to do:\n%s", log.String())
				}
			})
		}
	}
}
