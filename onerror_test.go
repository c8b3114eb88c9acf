package main

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/rawserver"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// TestOnErrorWarnExcusesOutagesOnly runs the binary against every kind of
// API failure, with on-error: warn and with on-error: fail. warn lets only
// what an outage explains pass (with a warning); everything else fails with
// exit 3 and an error that says what to fix, as on-error: fail does.
func TestOnErrorWarnExcusesOutagesOnly(t *testing.T) {
	t.Parallel()
	good := steptest.Run5("batch_x", time.Now().Add(-time.Hour), 5, 0)
	fake := func(t *testing.T, faults ...sigmamindtest.Fault) string {
		srv := steptest.NewFake(t, good)
		srv.Fail(faults...)
		return srv.URL
	}
	tests := []struct {
		name   string
		apiURL func(t *testing.T) string
		with   map[string]string
		outage bool
		want   string // part of the annotation
	}{
		// What re-running will not cure.
		{"401", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 401, Times: 9}) }, nil, false, "401 Unauthorized: X-API-Key is missing or invalid; SigmaMind rejected the API key: check the api-key secret"},
		{"401 whose body broke off", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 401, Truncate: true, Times: 9}) }, nil, false, "SigmaMind rejected the API key"},
		{"403", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 403, Times: 9}) }, nil, false, "403 Forbidden: Access denied for this resource; the API key may not read this agent"},
		{"404, an unknown agent", func(t *testing.T) string { return fake(t) }, map[string]string{"agent-id": "agent_nobody"}, false, "404 Not Found: Agent not found: agent_nobody; check agent-id"},
		{"400", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 400, Times: 9}) }, nil, false, "400 Bad Request: Invalid request parameters; SigmaMind rejected the request: check agent-id"},
		{"405", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 405, Times: 9}) }, nil, false, "405 Method Not Allowed; SigmaMind refused the request: check agent-id, and that api-url is the API's base URL"},
		{"410", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 410, Times: 9}) }, nil, false, "SigmaMind refused the request"},
		{"422", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 422, Times: 9}) }, nil, false, "SigmaMind refused the request"},
		{"408", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 408, Times: 9}) }, nil, false, "SigmaMind refused the request"},
		{"501", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 501, Times: 9}) }, nil, false, "501 Not Implemented; SigmaMind's API documents no such answer: check that api-url is the API's base URL"},
		{"511", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 511, Times: 9}) }, nil, false, "a proxy on the runner's network asks to sign in"},
		{"301 elsewhere", func(t *testing.T) string {
			to := fake(t)
			away := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, to+r.URL.RequestURI(), http.StatusMovedPermanently)
			}))
			t.Cleanup(away.Close)
			// Another host than the target's 127.0.0.1, so not followed.
			return strings.Replace(away.URL, "127.0.0.1", "localhost", 1)
		}, nil, false, "the API answered with a redirect; the gate follows none away from api-url's host"},
		{"HTML 200", func(t *testing.T) string {
			return fake(t, sigmamindtest.Fault{Status: 200, ContentType: "text/html", Body: "<html><form>Sign in</form></html>"})
		}, nil, false, "not JSON (body: \"<html><form>Sign in</form></html>\"); what answered is not SigmaMind's API as expected: check api-url"},
		{"JSON that is no batch run page", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 200, Body: `{"message":"ok"}`}) }, nil, false,
			"the response has no data list"},
		{"impossible data", func(t *testing.T) string {
			srv := steptest.NewFake(t, sigmamind.BatchRun{BatchID: "batch_neg", CreatedDate: time.Now(), SuccessfulAttempts: 5, FailedAttempts: -1, TotalAttempts: 4})
			return srv.URL
		}, nil, false, `batch run "batch_neg" has impossible data: negative attempt count (successful 5, failed -1, total 4); the gate does not judge data that cannot be true: report the batch run to SigmaMind`},
		{"an unknown batch-id", func(t *testing.T) string { return fake(t) }, map[string]string{"batch-id": "batch_nope"}, false,
			"batch run batch_nope was not found among the 1 batch runs of agent agent_x: check batch-id"},
		{"an untrusted certificate", func(t *testing.T) string {
			h := sigmamindtest.NewHandler(sigmamindtest.WithAPIKey(steptest.Key))
			h.AddBatchRuns("agent_x", good)
			ts := httptest.NewUnstartedServer(h.Handler())
			ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
			ts.StartTLS()
			t.Cleanup(ts.Close)
			return ts.URL
		}, nil, false, "certificate signed by unknown authority; the certificate of api-url's host could not be verified: check api-url"},
		{"https to a server that does not speak it", func(t *testing.T) string { return strings.Replace(fake(t), "http://", "https://", 1) }, nil, false,
			"the server at api-url does not speak https: check the scheme and port of api-url"},

		{"an answer that is not HTTP", func(t *testing.T) string { return rawserver.Reply(t, "SSH-2.0-OpenSSH_9.6\r\n") }, nil, false,
			`an answer came but could not be read: net/http: HTTP/1.x transport connection broken: malformed HTTP response "SSH-2.0-OpenSSH_9.6" after 2 attempts; the server at api-url answered, but not with HTTP the gate can read`},

		// What an outage explains, after the retries.
		{"429", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 429, Times: 9}) }, nil, true, "429 Too Many Requests after 2 attempts; SigmaMind is limiting the rate of requests: re-run the job later"},
		{"500", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 500, Times: 9}) }, nil, true, "500 Internal Server Error: Unexpected server error after 2 attempts; SigmaMind failed to answer: re-run the job later"},
		{"502", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 502, Times: 9}) }, nil, true, "502 Bad Gateway after 2 attempts; SigmaMind failed to answer"},
		{"503", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 503, Times: 9}) }, nil, true, "503 Service Unavailable after 2 attempts; SigmaMind failed to answer"},
		{"504", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 504, Times: 9}) }, nil, true, "504 Gateway Timeout after 2 attempts; SigmaMind failed to answer"},
		{"503 whose body broke off", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 503, Truncate: true, Times: 9}) }, nil, true, "503 Service Unavailable"},
		{"520, not retried", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Status: 520, Times: 9}) }, nil, true, "520: Error; SigmaMind failed to answer: re-run the job later"},
		{"connection reset", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Reset: true, Times: 9}) }, nil, true, "could not reach"},
		{"connection refused", func(t *testing.T) string { return "http://" + rawserver.FreeAddr(t) }, nil, true, "connection refused after 2 attempts; could not reach http://127.0.0.1:"},
		{"an answer that broke off", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Truncate: true, Times: 9}) }, nil, true,
			"the 200 OK answer broke off before its end: unexpected EOF after 2 attempts; SigmaMind answered, but the response broke off before its end: re-run the job later"},
		{"headers cut short", func(t *testing.T) string {
			return rawserver.Reply(t, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
		}, nil, true,
			"an answer came but could not be read: net/http: HTTP/1.x transport connection broken: unexpected EOF after 2 attempts; SigmaMind answered, but the response broke off before its end"},
		{"a hung connection", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Hang: true, Times: 9}) }, map[string]string{"timeout": "1s"}, true,
			"no complete answer within timeout 1s"},
	}
	for _, tt := range tests {
		for _, onError := range []string{"warn", "fail"} {
			t.Run(tt.name+", on-error "+onError, func(t *testing.T) {
				t.Parallel()
				with := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": tt.apiURL(t), "retries": "1", "on-error": onError}
				for k, v := range tt.with {
					with[k] = v
				}
				s := runStep(t, with, nil)
				s.CheckHygiene(t)
				passes := onError == "warn" && tt.outage
				wantExit, wantErrors, wantWarnings := 3, 1, 0
				if passes {
					wantExit, wantErrors, wantWarnings = 0, 0, 1
				}
				got := map[string]any{"exit": s.Exit, "result": s.Outputs["result"], "passed": s.Outputs["passed"],
					"errors": len(s.Annotations("error")), "warnings": len(s.Annotations("warning"))}
				want := map[string]any{"exit": wantExit, "result": "error", "passed": "false", "errors": wantErrors, "warnings": wantWarnings}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s\nstdout:\n%s", diff, s.Stdout)
				}
				ann := strings.Join(append(s.Annotations("error"), s.Annotations("warning")...), "\n")
				if !strings.Contains(ann, tt.want) {
					t.Errorf("annotation %q does not contain %q", ann, tt.want)
				}
				suffix := map[bool]string{true: "(on-error: warn, and an outage may explain this, so this step passes)",
					false: "(on-error: warn lets only outages pass, and this is not one)"}[tt.outage]
				if got := strings.HasSuffix(ann, suffix); got != (onError == "warn") {
					t.Errorf("annotation %q ends with %q: %v, want %v", ann, suffix, got, onError == "warn")
				}
				if !strings.Contains(s.Summary, "🛑 Error") {
					t.Errorf("summary does not show the error:\n%s", s.Summary)
				}
			})
		}
	}
}
