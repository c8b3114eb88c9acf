package action

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/gate"
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
// annotations), and the error still says what it is.
func TestRedactedBeforeEveryFormatter(t *testing.T) {
	t.Parallel()
	for _, key := range []string{markdownKey, punctKey} {
		all := strings.Join(steptest.Encodings(key), " ")
		checks := []gate.Check{{Rule: "max-failure-rate", Verdict: gate.Fail, Reason: "reason " + all, LimitText: all, ActualText: all}}
		results := map[string]report.Result{
			"a verdict": {AgentID: key, AgentName: all, Inputs: map[string]string{"agent-id": all},
				Gate: gate.Result{Verdict: gate.Fail, Checks: checks, Notes: []string{all}}},
			"an error": {AgentID: key, AgentName: all, Inputs: map[string]string{"agent-id": all}, ErrHint: "check " + all,
				Err: fmt.Errorf("could not list: %w", &sigmamind.APIError{Method: "GET", Path: "/v1/batch-runs", StatusCode: 401,
					Body: sigmamind.ErrorBody{Message: all}})},
		}
		for name, r := range results {
			t.Run(name+"/"+key, func(t *testing.T) {
				t.Parallel()
				rr := redacted(r, untrusted.NewSecrets(key))
				var log bytes.Buffer
				s := &step{log: ghio.Log{W: &log}, ann: &ghio.Annotator{Log: ghio.Log{W: &log}}}
				cfg := config.Config{AgentID: "agent_x", OnError: "fail", OnInconclusive: "fail"}
				d := policy.Decide(policy.Outcome{Verdict: rr.Gate.Verdict, Err: rr.Err != nil}, policy.Policy{OnError: cfg.OnError, OnInconclusive: cfg.OnInconclusive})
				s.announce(rr, d)
				written := map[string]string{"summary": report.Markdown([]report.Result{rr}), "report": report.JSON(rr), "log": log.String()}
				for _, o := range outputs(rr, d) {
					written["output "+o.Name] = o.Value
				}
				for what, text := range written {
					if found := untrustedtest.Leaks(text, key); len(found) > 0 {
						t.Errorf("%s holds the key as %s:\n%s", what, strings.Join(found, ", "), text)
					}
				}
				if r.Err == nil {
					return
				}
				var api *sigmamind.APIError
				if !errors.As(rr.Err, &api) || api.StatusCode != 401 || outage(rr.Err) || hint(rr.Err, cfg) != hint(r.Err, cfg) {
					t.Errorf("the redacted error %v no longer says what it is", rr.Err)
				}
			})
		}
	}
}
