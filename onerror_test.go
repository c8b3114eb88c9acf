package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// TestOnErrorWarnExcusesOutagesOnly runs the binary against every kind of
// API failure, with on-error: warn and with on-error: fail. warn lets only
// what an outage explains pass (with a warning); everything else fails with
// exit 3 and an error that says what to fix, as on-error: fail does.
func TestOnErrorWarnExcusesOutagesOnly(t *testing.T) {
	t.Parallel()
	good := run5("batch_x", time.Now().Add(-time.Hour), 5, 0)
	fake := func(t *testing.T, faults ...sigmamindtest.Fault) string {
		srv := newFake(t, good)
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
			srv := newFake(t, sigmamind.BatchRun{BatchID: "batch_neg", CreatedDate: time.Now(), SuccessfulAttempts: 5, FailedAttempts: -1, TotalAttempts: 4})
			return srv.URL
		}, nil, false, `batch run "batch_neg" has impossible data: negative attempt count (successful 5, failed -1, total 4); the gate does not judge data that cannot be true: report the batch run to SigmaMind`},
		{"an unknown batch-id", func(t *testing.T) string { return fake(t) }, map[string]string{"batch-id": "batch_nope"}, false,
			"batch run batch_nope was not found among the 1 batch runs of agent agent_x: check batch-id"},
		{"an untrusted certificate", func(t *testing.T) string {
			h := sigmamindtest.NewHandler(sigmamindtest.WithAPIKey(testKey))
			h.AddBatchRuns("agent_x", good)
			ts := httptest.NewUnstartedServer(h.Handler())
			ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are the point
			ts.StartTLS()
			t.Cleanup(ts.Close)
			return ts.URL
		}, nil, false, "certificate signed by unknown authority; the certificate of api-url's host could not be verified: check api-url"},
		{"https to a server that does not speak it", func(t *testing.T) string { return strings.Replace(fake(t), "http://", "https://", 1) }, nil, false,
			"the server at api-url does not speak https: check the scheme and port of api-url"},

		{"an answer that is not HTTP", func(t *testing.T) string { return rawServer(t, "SSH-2.0-OpenSSH_9.6\r\n") }, nil, false,
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
		{"connection refused", func(t *testing.T) string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			l.Close()
			return "http://" + addr
		}, nil, true, "connection refused after 2 attempts; could not reach http://127.0.0.1:"},
		{"an answer that broke off", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Truncate: true, Times: 9}) }, nil, true,
			"the 200 OK answer broke off before its end: unexpected EOF after 2 attempts; SigmaMind answered, but the response broke off before its end: re-run the job later"},
		{"headers cut short", func(t *testing.T) string {
			return rawServer(t, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
		}, nil, true,
			"an answer came but could not be read: net/http: HTTP/1.x transport connection broken: unexpected EOF after 2 attempts; SigmaMind answered, but the response broke off before its end"},
		{"a hung connection", func(t *testing.T) string { return fake(t, sigmamindtest.Fault{Hang: true, Times: 9}) }, map[string]string{"timeout": "1s"}, true,
			"no complete answer within timeout 1s"},
	}
	for _, tt := range tests {
		for _, onError := range []string{"warn", "fail"} {
			t.Run(tt.name+", on-error "+onError, func(t *testing.T) {
				t.Parallel()
				with := map[string]string{"api-key": testKey, "agent-id": "agent_x", "api-url": tt.apiURL(t), "retries": "1", "on-error": onError}
				for k, v := range tt.with {
					with[k] = v
				}
				s := runStep(t, with, nil)
				s.checkHygiene(t)
				passes := onError == "warn" && tt.outage
				wantExit, wantErrors, wantWarnings := 3, 1, 0
				if passes {
					wantExit, wantErrors, wantWarnings = 0, 0, 1
				}
				got := map[string]any{"exit": s.exit, "result": s.outputs["result"], "passed": s.outputs["passed"],
					"errors": len(s.annotations("error")), "warnings": len(s.annotations("warning"))}
				want := map[string]any{"exit": wantExit, "result": "error", "passed": "false", "errors": wantErrors, "warnings": wantWarnings}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s\nstdout:\n%s", diff, s.stdout)
				}
				ann := strings.Join(append(s.annotations("error"), s.annotations("warning")...), "\n")
				if !strings.Contains(ann, tt.want) {
					t.Errorf("annotation %q does not contain %q", ann, tt.want)
				}
				suffix := map[bool]string{true: "(on-error: warn, and an outage may explain this, so this step passes)",
					false: "(on-error: warn lets only outages pass, and this is not one)"}[tt.outage]
				if got := strings.HasSuffix(ann, suffix); got != (onError == "warn") {
					t.Errorf("annotation %q ends with %q: %v, want %v", ann, suffix, got, onError == "warn")
				}
				if !strings.Contains(s.summary, "🛑 Error") {
					t.Errorf("summary does not show the error:\n%s", s.summary)
				}
			})
		}
	}
}

// TestOutageAndHint holds the one rule of on-error: warn, and the hints to
// it: a hint advises re-running exactly when the error is an outage, and
// never says the API could not be reached when it answered.
func TestOutageAndHint(t *testing.T) {
	t.Parallel()
	api := func(code int) error {
		return &sigmamind.APIError{Method: "GET", Path: "/v1/batch-runs", StatusCode: code, Attempts: 4}
	}
	transport := func(err error) *sigmamind.TransportError {
		return sigmamind.NewTransportError("GET", "/v1/batch-runs", 4, err, "")
	}
	brokeOff := transport(syscall.ECONNRESET)
	brokeOff.Answered, brokeOff.Status = true, 200
	cutShort := transport(fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", io.ErrUnexpectedEOF))
	cutShort.Answered = true
	notHTTP := transport(errors.New(`malformed HTTP response "SSH-2.0-OpenSSH_9.6"`))
	notHTTP.Answered = true
	listing := func(err error) error { return fmt.Errorf("could not list the batch runs of agent agent_x: %w", err) }
	data := &sigmamind.DataError{BatchID: "b", Problem: "negative attempt count"}
	tests := []struct {
		name   string
		err    error
		outage bool
		hint   string // part of the hint
	}{
		{"429", api(429), true, "limiting the rate"},
		{"500", api(500), true, "SigmaMind failed to answer"},
		{"502", listing(api(502)), true, "SigmaMind failed to answer"},
		{"503", api(503), true, "SigmaMind failed to answer"},
		{"504", api(504), true, "SigmaMind failed to answer"},
		{"507", api(507), true, "SigmaMind failed to answer"},
		{"599", api(599), true, "SigmaMind failed to answer"},
		{"reset", transport(syscall.ECONNRESET), true, "could not reach https://api.sigmamind.ai"},
		{"refused", transport(syscall.ECONNREFUSED), true, "could not reach"},
		{"request timeout", transport(fmt.Errorf("no answer within 30s: %w", context.DeadlineExceeded)), true, "no complete answer within timeout 2m0s"},
		{"the caller's deadline", context.DeadlineExceeded, true, "no complete answer within timeout"},
		{"a resolver that is down", transport(&net.DNSError{Err: "server misbehaving", Name: "api.sigmamind.ai", IsTemporary: true}), true, "could not reach"},
		{"an answer that broke off", brokeOff, true, "SigmaMind answered, but the response broke off before its end"},
		{"headers cut short", cutShort, true, "SigmaMind answered, but the response broke off before its end"},
		{"an answer that is not HTTP", notHTTP, false, "answered, but not with HTTP the gate can read: check api-url"},

		{"301", api(301), false, "the API answered with a redirect"},
		{"304", api(304), false, "the API answered with a redirect"},
		{"400", api(400), false, "check agent-id"},
		{"401", api(401), false, "check the api-key secret"},
		{"403", listing(api(403)), false, "check that api-key belongs to the workspace of agent-id"},
		{"404", api(404), false, "check agent-id"},
		{"408", api(408), false, "SigmaMind refused the request"},
		{"409", api(409), false, "SigmaMind refused the request"},
		{"501", api(501), false, "check that api-url is the API's base URL"},
		{"505", api(505), false, "check that api-url is the API's base URL"},
		{"511", api(511), false, "a proxy on the runner's network asks to sign in"},
		{"101", api(101), false, "check that api-url is the API's base URL"},
		{"600", api(600), false, "check that api-url is the API's base URL"},
		{"not JSON", &sigmamind.ResponseError{Method: "GET", Path: "/p", Problem: "the response is text/html, not JSON"}, false, "check api-url"},
		{"impossible data", listing(data), false, "report the batch run to SigmaMind"},
		{"unknown batch-id", &batches.NotFoundError{AgentID: "agent_x", BatchID: "b"}, false, ""},
		{"untrusted certificate", transport(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), false, "certificate of api-url's host could not be verified"},
		{"expired certificate", transport(x509.CertificateInvalidError{Reason: x509.Expired}), false, "could not be verified"},
		{"http behind https", transport(http.ErrSchemeMismatch), false, "does not speak https"},
		{"not TLS", transport(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), false, "does not speak https"},
		{"no such host", transport(&net.DNSError{Err: "no such host", Name: "api.sigmamnd.ai", IsNotFound: true}), false, "the host of api-url does not exist"},
		{"stopped", transport(context.Canceled), false, "the gate was stopped"},
		{"stopped while waiting", context.Canceled, false, "the gate was stopped"},
		// One thing wrong among others is wrong.
		{"an outage and impossible data", errors.Join(api(503), data), false, "report the batch run"},
		{"an outage and a foreign answer", errors.Join(transport(syscall.ECONNRESET), &sigmamind.ResponseError{Problem: "x"}), false, "check api-url"},
		{"a refusal after an outage", errors.Join(api(503), listing(api(401))), false, "check the api-key secret"},
		{"two outages", fmt.Errorf("%w; and %w", api(503), transport(syscall.ECONNRESET)), true, "SigmaMind failed to answer"},
		{"an error it does not know", errors.New("something new"), false, ""},
		{"an outage and an error it does not know", errors.Join(api(503), errors.New("something new")), false, ""},
		{"no error", nil, false, ""},
	}
	cfg := config.Config{APIURL: sigmamind.DefaultBaseURL, Timeout: 2 * time.Minute, Retries: 3}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := outage(tt.err); got != tt.outage {
				t.Errorf("outage(%v) = %v, want %v", tt.err, got, tt.outage)
			}
			h := ""
			if tt.err != nil {
				h = hint(tt.err, cfg)
			}
			if !strings.Contains(h, tt.hint) || tt.hint == "" && h != "" {
				t.Errorf("hint(%v) = %q, want one containing %q", tt.err, h, tt.hint)
			}
			if advises := strings.Contains(h, "re-run"); advises != tt.outage {
				t.Errorf("hint(%v) = %q advises re-running: %v; outage: %v", tt.err, h, advises, tt.outage)
			}
			var tr *sigmamind.TransportError
			if errors.As(tt.err, &tr) && (tr.Answered || tr.Status != 0) && strings.Contains(h, "could not reach") {
				t.Errorf("hint(%v) = %q, though the server answered", tt.err, h)
			}
		})
	}
}

// rawServer answers every connection with reply, whatever was asked, and
// closes it: a server on api-url that speaks something else, or breaks off.
func rawServer(t *testing.T, reply string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, 4096)
				c.Read(buf) // the request, or enough of it
				io.WriteString(c, reply)
			}()
		}
	}()
	return "http://" + l.Addr().String()
}
