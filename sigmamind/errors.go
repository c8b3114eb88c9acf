package sigmamind

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode"

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

// TransportError is a request that got no HTTP answer: refused, reset, timed
// out, or an answer net/http could not read.
type TransportError struct {
	Method   string
	Path     string
	Attempts int
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
	if e.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", e.Attempts)
	}
	return s
}

func (e *TransportError) Unwrap() error { return e.cause }

// newTransportError makes the TransportError of err, secret removed from its
// text.
func newTransportError(method, path string, attempts int, err error, secret string) *TransportError {
	return &TransportError{Method: method, Path: path, Attempts: attempts, Problem: redact(err.Error(), secret), cause: err}
}

// Retryable reports whether the failure is one the network may heal. A
// certificate the client does not trust will not become trusted by retrying.
func (e *TransportError) Retryable() bool {
	var unknownAuthority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var hostname x509.HostnameError
	return !errors.As(e.cause, &unknownAuthority) && !errors.As(e.cause, &invalid) && !errors.As(e.cause, &hostname)
}

// DataError is a batch run whose numbers cannot be true.
type DataError struct {
	BatchID string
	Problem string
}

func (e *DataError) Error() string {
	return fmt.Sprintf("batch run %q has impossible data: %s", e.BatchID, e.Problem)
}

// excerptLimit keeps error messages readable; enough to recognise a proxy's
// HTML page or a truncated document.
const excerptLimit = 160

// excerpt returns a short single-line preview of an untrusted body: control
// characters become spaces, runs of space collapse, and the secret is removed.
// It has at most excerptLimit runes, spaces included, and then "…".
func excerpt(body []byte, secret string) string {
	s := redact(string(body), secret)
	var b strings.Builder
	space := false // a space is due before the next printable rune
	n := 0
	for _, r := range s {
		if r == unicode.ReplacementChar || unicode.IsControl(r) || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = n > 0
			continue
		}
		need := 1
		if space {
			need = 2
		}
		if n+need > excerptLimit {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		n += need
	}
	return b.String()
}

// redact removes the secret from text the API sent, in every form that
// encoders write it (a server may echo the key back percent-encoded or
// JSON-escaped), before anything escapes the text: the report's markdown
// escaping would turn "sk_live" into "sk\_live", which reads as the key and
// which no plain search finds. Masking in the log does not cover files.
func redact(s, secret string) string {
	return untrusted.Redact(s, secret)
}
