package sigmamind_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/rawserver"
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
		Answered    bool
		Malformed   bool
	}
	tests := []struct {
		name    string
		faults  []sigmamindtest.Fault
		message string
		want    got
	}{
		{"a 200 whose body broke off", []sigmamindtest.Fault{{Truncate: true, Times: 10}}, "the 200 OK answer broke off before its end: unexpected EOF after 2 attempts",
			got{Type: "transport", Status: 200, Requests: 2, InMessage: true, Retryable: true, Answered: true}},
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
				g = got{Type: "transport", Status: te.Status, Retryable: te.Retryable(), Certificate: te.Certificate(), Answered: te.Answered, Malformed: te.Malformed()}
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
		e := sigmamind.NewTransportError("GET", "/p", 1, tt.err, "")
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

// TestAnswerThatIsNotHTTP: a server that answers with something that is not
// HTTP was reached, and re-sending will not mend it; one whose answer was
// cut short within the headers was reached too, but the network explains it.
func TestAnswerThatIsNotHTTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		reply         string
		wantMalformed bool
		wantMessage   string
	}{
		{"another protocol", "SSH-2.0-OpenSSH_9.6\r\n", true, `an answer came but could not be read: net/http: HTTP/1.x transport connection broken: malformed HTTP response "SSH-2.0-OpenSSH_9.6"`},
		{"a bad status line", "HTTP/1.1 two hundred OK\r\n\r\n", true, "malformed HTTP status code"},
		{"headers cut at a line's end", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n", false, "an answer came but could not be read: net/http: HTTP/1.x transport connection broken: unexpected EOF"},
		{"nothing", "", false, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			te, err := listOnceFailing(t, rawserver.Reply(t, tt.reply), secret)
			if te.Answered != (tt.reply != "") || te.Malformed() != tt.wantMalformed || te.Status != 0 {
				t.Errorf("%v: Answered %v, Malformed %v, Status %d; want %v, %v, 0", err, te.Answered, te.Malformed(), te.Status, tt.reply != "", tt.wantMalformed)
			}
			if !strings.Contains(err.Error(), tt.wantMessage) {
				t.Errorf("error %q does not contain %q", err, tt.wantMessage)
			}
		})
	}
}

func TestTransportErrorMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		answered bool
		status   int
		err      error
		want     bool
	}{
		{true, 0, errors.New(`malformed HTTP response "x"`), true},
		{true, 0, textproto.ProtocolError("malformed MIME header line: x"), true},
		{true, 0, fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", io.ErrUnexpectedEOF), false},
		{true, 0, syscall.ECONNRESET, false},
		{true, 0, fmt.Errorf("no answer within 1s: %w", context.DeadlineExceeded), false},
		{true, 200, io.ErrUnexpectedEOF, false},    // the body broke off
		{true, 200, errors.New("anything"), false}, // a status came: it is HTTP
		{false, 0, errors.New("anything"), false},  // nothing came
		{false, 0, syscall.ECONNREFUSED, false},
	}
	for _, tt := range tests {
		e := sigmamind.NewTransportError("GET", "/p", 1, tt.err, "")
		e.Answered, e.Status = tt.answered, tt.status
		if got := e.Malformed(); got != tt.want {
			t.Errorf("Malformed() of %+v = %v, want %v", e, got, tt.want)
		}
	}
}

// listOnceFailing lists batch runs once, with no retry, from url with key:
// the error must be a *TransportError, and both are returned.
func listOnceFailing(t *testing.T, url, key string) (*sigmamind.TransportError, error) {
	t.Helper()
	c, _ := newClient(t, url, key)
	c.MaxRetries = 0
	_, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
	var te *sigmamind.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("got %v (%T), want a *TransportError", err, err)
	}
	return te, err
}
