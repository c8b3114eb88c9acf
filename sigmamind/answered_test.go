package sigmamind_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// TestAnswerThatBrokeOff: an answer whose body broke off is told apart from
// no answer at all, and its status, when it is not 2xx, decides what it is.
func TestAnswerThatBrokeOff(t *testing.T) {
	t.Parallel()
	type got struct {
		Type        string
		Status      int // APIError.StatusCode or TransportError.Status
		Requests    int
		InMessage   bool
		Retryable   bool
		Certificate bool
	}
	tests := []struct {
		name    string
		faults  []sigmamindtest.Fault
		message string
		want    got
	}{
		{"a 200 whose body broke off", []sigmamindtest.Fault{{Truncate: true, Times: 10}}, "the 200 OK answer broke off before its end: unexpected EOF after 2 attempts",
			got{Type: "transport", Status: 200, Requests: 2, InMessage: true, Retryable: true}},
		{"no answer at all", []sigmamindtest.Fault{{Reset: true, Times: 10}}, "",
			got{Type: "transport", Status: 0, Requests: 2, InMessage: true, Retryable: true}},
		// Before, these were transport failures: a refused key whose body
		// broke off looked like a network failure.
		{"a 401 whose body broke off", []sigmamindtest.Fault{{Status: 401, Truncate: true, Times: 10}}, "401 Unauthorized",
			got{Type: "api", Status: 401, Requests: 1, InMessage: true}},
		{"a 404 whose body broke off", []sigmamindtest.Fault{{Status: 404, Truncate: true, Times: 10}}, "404 Not Found",
			got{Type: "api", Status: 404, Requests: 1, InMessage: true}},
		{"a 503 whose body broke off", []sigmamindtest.Fault{{Status: 503, Truncate: true, Times: 10}}, "503 Service Unavailable",
			got{Type: "api", Status: 503, Requests: 2, InMessage: true, Retryable: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, sigmamindtest.WithAPIKey(secret))
			srv.AddBatchRuns(agent, runs(0, 3)...)
			srv.Fail(tt.faults...)
			c, _ := newClient(t, srv.URL, secret)
			c.MaxRetries = 1
			_, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
			var g got
			var ae *sigmamind.APIError
			var te *sigmamind.TransportError
			switch {
			case errors.As(err, &ae):
				g = got{Type: "api", Status: ae.StatusCode, Retryable: ae.Retryable()}
			case errors.As(err, &te):
				g = got{Type: "transport", Status: te.Status, Retryable: te.Retryable(), Certificate: te.Certificate()}
			default:
				t.Fatalf("error %v (%T), want an APIError or a TransportError", err, err)
			}
			g.Requests = len(srv.Requests())
			g.InMessage = strings.Contains(err.Error(), tt.message)
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("%v: mismatch (-want +got):\n%s", err, diff)
			}
			if te != nil && te.Status == 0 && strings.Contains(err.Error(), "broke off") {
				t.Errorf("no answer came, yet the error says one broke off: %v", err)
			}
		})
	}
}

func TestTransportErrorCertificate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{x509.UnknownAuthorityError{}, true},
		{&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, true},
		{&tls.CertificateVerificationError{Err: errors.New("some new verification failure")}, true},
		{fmt.Errorf("tls: %w", x509.HostnameError{Certificate: &x509.Certificate{}, Host: "api.sigmamind.ai"}), true},
		{x509.CertificateInvalidError{Reason: x509.Expired}, true},
		{x509.SystemRootsError{}, true},
		{x509.InsecureAlgorithmError(x509.SHA1WithRSA), true},
		{x509.ConstraintViolationError{}, true},
		{x509.UnhandledCriticalExtension{}, true},
		{syscall.ECONNRESET, false},
		{syscall.ECONNREFUSED, false},
		{http.ErrSchemeMismatch, false},
		{errors.New("x509 in a message is no certificate error"), false},
	}
	for _, tt := range tests {
		e := &sigmamind.TransportError{Method: "GET", Path: "/p", Attempts: 1, Err: tt.err}
		if got := e.Certificate(); got != tt.want {
			t.Errorf("Certificate() of %v (%T) = %v, want %v", tt.err, tt.err, got, tt.want)
		}
		if got := e.Retryable(); got == tt.want {
			t.Errorf("Retryable() of %v (%T) = %v, want %v", tt.err, tt.err, got, !tt.want)
		}
	}
}

// TestUntrustedCertificate: a server whose certificate the client does not
// trust is a certificate error, not retried.
func TestUntrustedCertificate(t *testing.T) {
	t.Parallel()
	fake := sigmamindtest.NewHandler(sigmamindtest.WithAPIKey(secret))
	fake.AddBatchRuns(agent, runs(0, 1)...)
	ts := httptest.NewUnstartedServer(fake.Handler())
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the point
	ts.StartTLS()
	t.Cleanup(ts.Close)
	c, sl := newClient(t, ts.URL, secret)
	_, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
	var te *sigmamind.TransportError
	if !errors.As(err, &te) || !te.Certificate() || te.Status != 0 {
		t.Fatalf("error %v (%T), want a certificate TransportError with no status", err, err)
	}
	if n := len(sl.Durations()); n != 0 {
		t.Errorf("retried %d times, want none", n)
	}
}
