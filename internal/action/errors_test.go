package action

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/sigmamind"
)

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
