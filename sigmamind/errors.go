package sigmamind

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// APIError is an answer from SigmaMind with a status other than 2xx.
type APIError struct {
	Method     string
	Path       string // request path, without query: ids in the query stay out of messages
	StatusCode int
	Body       ErrorBody // SigmaMind's error fields, when the body had them
	Excerpt    string    // a short, sanitised excerpt of a body that was not SigmaMind's error JSON
	RetryAfter time.Duration
	Attempts   int // how many times the request was sent
}

func (e *APIError) Error() string {
	var b strings.Builder
	text := http.StatusText(e.StatusCode)
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.StatusCode)
	if text != "" {
		fmt.Fprintf(&b, " %s", text)
	}
	// A message or error that only repeats the status text says nothing new.
	if e.Body.Message != "" && e.Body.Message != text {
		fmt.Fprintf(&b, ": %s", e.Body.Message)
	} else if e.Body.Error != "" && e.Body.Error != text {
		fmt.Fprintf(&b, ": %s", e.Body.Error)
	}
	if len(e.Body.ValidationErrors) > 0 {
		keys := make([]string, 0, len(e.Body.ValidationErrors))
		for k := range e.Body.ValidationErrors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s: %v", k, e.Body.ValidationErrors[k]))
		}
		fmt.Fprintf(&b, " (%s)", strings.Join(parts, "; "))
	}
	if e.Excerpt != "" {
		fmt.Fprintf(&b, " (body: %q)", e.Excerpt)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.RetryAfter > 0 {
		// Says why the client gave up on a rate limit longer than its time.
		fmt.Fprintf(&b, " (the API asked to retry after %v)", e.RetryAfter.Round(time.Second))
	}
	return b.String()
}

// Retryable reports whether the same request may succeed later: rate limits
// and server-side failures may pass, client errors will not.
func (e *APIError) Retryable() bool {
	switch e.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// ResponseError is a 2xx answer that cannot be used: not JSON, too large, or
// not a page of batch runs. A gate that cannot read the evidence must not
// judge it.
type ResponseError struct {
	Method  string
	Path    string
	Problem string
	Excerpt string
}

func (e *ResponseError) Error() string {
	s := fmt.Sprintf("%s %s: %s", e.Method, e.Path, e.Problem)
	if e.Excerpt != "" {
		s += fmt.Sprintf(" (body: %q)", e.Excerpt)
	}
	return s
}

// TransportError is a request that got no whole HTTP answer: refused, reset,
// timed out, or answered with something that broke off or was not HTTP.
type TransportError struct {
	Method   string
	Path     string
	Attempts int
	// Answered is set when some of an answer came: the server was reached,
	// and "could not reach" would send people to the wrong place.
	Answered bool
	// Sent is set once the request's headers were written: the server may
	// have acted on it. A create that failed unsent created nothing.
	Sent bool
	// Status is the status of an answer whose body then broke off; 0 when
	// no status line was read.
	Status int
	// Problem is what went wrong, as the network layer said it, with the API
	// key removed: net/http quotes what a server sent (a malformed status
	// line or header line, a Location it cannot parse), and a certificate
	// error names what the certificate holds.
	Problem string
	// cause is the error Problem was made from, for errors.Is and errors.As.
	// Its text may hold the key: print the TransportError, never its cause.
	cause error
}

func (e *TransportError) Error() string {
	s := fmt.Sprintf("%s %s: %s", e.Method, e.Path, e.Problem)
	switch {
	case e.Status != 0:
		s = fmt.Sprintf("%s %s: the %d %s answer broke off before its end: %s", e.Method, e.Path, e.Status, http.StatusText(e.Status), e.Problem)
	case e.Answered:
		s = fmt.Sprintf("%s %s: an answer came but could not be read: %s", e.Method, e.Path, e.Problem)
	}
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s
}

func (e *TransportError) Unwrap() error { return e.cause }

// NewTransportError makes the TransportError of err, secret removed from its
// text: the one way to make one, so that no cause's text escapes unredacted.
func NewTransportError(method, path string, attempts int, err error, secret string) *TransportError {
	return &TransportError{Method: method, Path: path, Attempts: attempts, Problem: untrusted.Redact(err.Error(), secret), cause: err}
}

// Malformed reports an answer that came but is no HTTP the client can read
// (another service on the port, a broken proxy), rather than one that the
// connection cut short or that timed out: re-sending will not mend it.
func (e *TransportError) Malformed() bool {
	if !e.Answered || e.Status != 0 {
		return false // no byte came, or the status did and the body broke off
	}
	cut := errors.Is(e.cause, io.ErrUnexpectedEOF) || errors.Is(e.cause, io.EOF) || errors.Is(e.cause, syscall.ECONNRESET) ||
		errors.Is(e.cause, syscall.ECONNABORTED) || errors.Is(e.cause, syscall.EPIPE) || errors.Is(e.cause, context.DeadlineExceeded) ||
		errors.Is(e.cause, context.Canceled)
	return !cut
}

// Retryable reports whether the failure is one the network may heal. A
// certificate the client does not trust will not become trusted by retrying.
func (e *TransportError) Retryable() bool { return !e.Certificate() }

// Certificate reports a server certificate that the client could not verify:
// untrusted, expired, for another host, or otherwise unacceptable.
func (e *TransportError) Certificate() bool {
	var verify *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	var roots x509.SystemRootsError
	var insecure x509.InsecureAlgorithmError
	var constraint x509.ConstraintViolationError
	var critical x509.UnhandledCriticalExtension
	return errors.As(e.cause, &verify) || errors.As(e.cause, &unknownAuthority) || errors.As(e.cause, &invalid) ||
		errors.As(e.cause, &hostname) || errors.As(e.cause, &roots) || errors.As(e.cause, &insecure) ||
		errors.As(e.cause, &constraint) || errors.As(e.cause, &critical)
}

// DataError is a batch run that cannot be used: its numbers cannot be true,
// it belongs to another agent, or the listing contradicts itself about it.
// From TestCases it is a test case of the agent's list instead.
type DataError struct {
	BatchID string
	// TestCase is set when the data is a test case of the agent's list,
	// whose id is TestCaseID; BatchID is then empty.
	TestCase   bool
	TestCaseID string
	Problem    string
	// Created is the batch run's createdDate as listed, zero when missing:
	// a consumer that stops trusting the listing's order because of a bad
	// row it listed after others compares it with them.
	Created time.Time
	// Page (zero-based, as in ListOptions) and Row (counted from 1) locate
	// the batch run in the listing; Row is 0 for one not read from a page.
	Page, Row int
}

func (e *DataError) Error() string {
	if e.TestCase {
		return fmt.Sprintf("test case %q has impossible data: %s", e.TestCaseID, e.Problem)
	}
	return fmt.Sprintf("batch run %q has impossible data: %s", e.BatchID, e.Problem)
}

// RowErrors are the batch runs of a page that cannot be used, in the order of
// the page. ListBatchRuns returns them together with the page: its other
// batch runs can be used.
type RowErrors []*DataError

func (e RowErrors) Error() string {
	switch len(e) {
	case 0:
		return "no batch run on the page has impossible data"
	case 1:
		return e[0].Error()
	}
	return fmt.Sprintf("%v; and %d more batch runs on the page cannot be used", e[0], len(e)-1)
}

func (e RowErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, d := range e {
		out[i] = d
	}
	return out
}

// excerptLimit keeps error messages readable; enough to recognise a proxy's
// HTML page or a truncated document.
const excerptLimit = 160

// excerpt returns a short single-line preview of an untrusted text: its
// words, whole when they are at most excerptLimit+1 runes, and otherwise the
// first excerptLimit and "…".
//
// The secret goes first, in every form that encoders write it (a server may
// echo the key back percent-encoded or JSON-escaped), before anything else
// touches the text: the report's markdown escaping would turn "sk_live"
// into "sk\_live", which reads as the key and which no plain search finds.
// Masking in the log does not cover files.
func excerpt(body []byte, secret string) string {
	return untrusted.Cut(untrusted.OneLine(untrusted.Redact(string(body), secret)), excerptLimit+1)
}
