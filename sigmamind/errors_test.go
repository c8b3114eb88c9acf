package sigmamind

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

const testSecret = "sk-SECRET-123"

func TestExcerpt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "empty", in: "", want: ""},
		{name: "blank", in: " \n\t\r ", want: ""},
		{name: "plain", in: "Bad Gateway", want: "Bad Gateway"},
		{name: "lines collapse", in: "<html>\n  <body>\tdown\r\n</body>\n</html>\n", want: "<html> <body> down </body> </html>"},
		{name: "control characters", in: "\x00\x1b[31mred\x07alert\x7f", want: "[31mred alert"},
		{name: "invalid utf-8", in: "\xff\xfeok\xc3", want: "ok"},
		{name: "zero-width and nbsp", in: "a\u200bb\u00a0c", want: "a b c"},
		{name: "unicode kept", in: "Lucía – 日本語", want: "Lucía – 日本語"},
		{name: "secret", in: "key sk-SECRET-123 is bad", want: "key *** is bad"},
		{name: "secret twice", in: "sk-SECRET-123sk-SECRET-123", want: "******"},
		{name: "a mask that fits whole", in: strings.Repeat("a", 158) + testSecret, want: strings.Repeat("a", 158) + "***"},
		{name: "secret at the cut", in: strings.Repeat("a", 159) + testSecret, want: strings.Repeat("a", 159) + "*…"},
		{name: "exactly the limit", in: strings.Repeat("é", 160), want: strings.Repeat("é", 160)},
		// An ellipsis would take the place of the last rune.
		{name: "one over the limit", in: strings.Repeat("é", 161), want: strings.Repeat("é", 161)},
		{name: "two over the limit", in: strings.Repeat("é", 162), want: strings.Repeat("é", 160) + "…"},
		{name: "trailing blank after the limit", in: strings.Repeat("a", 160) + "  \n", want: strings.Repeat("a", 160)},
		// Spaces count, and no space is left before the ellipsis.
		{name: "space at the cut", in: strings.Repeat("a", 160) + " b", want: strings.Repeat("a", 160) + "…"},
		{name: "many spaces", in: strings.Repeat("a ", 200), want: strings.TrimSpace(strings.Repeat("a ", 80)) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := excerpt([]byte(tt.in), testSecret)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("excerpt mismatch (-want +got):\n%s", diff)
			}
			if n := utf8.RuneCountInString(got); n > excerptLimit+1 {
				t.Errorf("excerpt has %d runes", n)
			}
		})
	}
}

func TestAPIErrorString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  APIError
		want string
	}{
		{name: "status only", err: APIError{Method: "GET", Path: "/v1/batch-runs", StatusCode: 404},
			want: "GET /v1/batch-runs: 404 Not Found"},
		{name: "message", err: APIError{Method: "GET", Path: "/v1/batch-runs", StatusCode: 401,
			Body: ErrorBody{Error: "Unauthorized", Message: "X-API-Key is missing or invalid"}},
			want: "GET /v1/batch-runs: 401 Unauthorized: X-API-Key is missing or invalid"},
		{name: "error equal to status text", err: APIError{Method: "GET", Path: "/p", StatusCode: 500, Body: ErrorBody{Error: "Internal Server Error"}},
			want: "GET /p: 500 Internal Server Error"},
		{name: "message equal to status text", err: APIError{Method: "GET", Path: "/p", StatusCode: 429, Body: ErrorBody{Error: "Too Many Requests", Message: "Too Many Requests"}},
			want: "GET /p: 429 Too Many Requests"},
		{name: "message equal to status text, other error", err: APIError{Method: "GET", Path: "/p", StatusCode: 429, Body: ErrorBody{Error: "quota", Message: "Too Many Requests"}},
			want: "GET /p: 429 Too Many Requests: quota"},
		{name: "error other than status text", err: APIError{Method: "GET", Path: "/p", StatusCode: 500, Body: ErrorBody{Error: "NullPointerException"}},
			want: "GET /p: 500 Internal Server Error: NullPointerException"},
		{name: "validation errors sorted", err: APIError{Method: "GET", Path: "/p", StatusCode: 400,
			Body: ErrorBody{Message: "Invalid request parameters", ValidationErrors: map[string]any{"size": "must be greater than or equal to 1", "agentId": "must not be blank"}}},
			want: "GET /p: 400 Bad Request: Invalid request parameters (agentId: must not be blank; size: must be greater than or equal to 1)"},
		{name: "excerpt", err: APIError{Method: "GET", Path: "/p", StatusCode: 502, Excerpt: `<html> "down"`},
			want: `GET /p: 502 Bad Gateway (body: "<html> \"down\"")`},
		{name: "attempts", err: APIError{Method: "GET", Path: "/p", StatusCode: 503, Attempts: 4},
			want: "GET /p: 503 Service Unavailable after 4 attempts"},
		{name: "one attempt is not said", err: APIError{Method: "GET", Path: "/p", StatusCode: 503, Attempts: 1},
			want: "GET /p: 503 Service Unavailable"},
		{name: "unknown status", err: APIError{Method: "GET", Path: "/p", StatusCode: 599, Body: ErrorBody{Message: "odd"}},
			want: "GET /p: 599: odd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPIErrorRetryable(t *testing.T) {
	t.Parallel()
	retryable := map[int]bool{429: true, 500: true, 502: true, 503: true, 504: true}
	for _, status := range []int{400, 401, 403, 404, 405, 408, 409, 422, 429, 500, 501, 502, 503, 504, 505} {
		e := &APIError{StatusCode: status}
		if got := e.Retryable(); got != retryable[status] {
			t.Errorf("status %d: Retryable() = %v, want %v", status, got, retryable[status])
		}
	}
}

func TestTransportError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		err           *TransportError
		wantString    string
		wantRetryable bool
	}{
		{name: "reset", err: NewTransportError("GET", "/p", 1, syscall.ECONNRESET, ""),
			wantString: "GET /p: connection reset by peer", wantRetryable: true},
		{name: "eof after attempts", err: NewTransportError("GET", "/p", 3, io.ErrUnexpectedEOF, ""),
			wantString: "GET /p: unexpected EOF after 3 attempts", wantRetryable: true},
		{name: "timeout", err: NewTransportError("GET", "/p", 1, fmt.Errorf("no answer within 1s: %w", context.DeadlineExceeded), ""),
			wantString: "GET /p: no answer within 1s: context deadline exceeded", wantRetryable: true},
		{name: "unknown authority", err: NewTransportError("GET", "/p", 1, x509.UnknownAuthorityError{}, ""),
			wantString: "GET /p: x509: certificate signed by unknown authority", wantRetryable: false},
		{name: "wrapped unknown authority", err: NewTransportError("GET", "/p", 1, fmt.Errorf("tls: %w", x509.UnknownAuthorityError{}), ""),
			wantString: "GET /p: tls: x509: certificate signed by unknown authority", wantRetryable: false},
		{name: "hostname", err: NewTransportError("GET", "/p", 1, x509.HostnameError{Certificate: &x509.Certificate{}, Host: "api.sigmamind.ai"}, ""),
			wantString: "GET /p: x509: certificate is not valid for any names, but wanted to match api.sigmamind.ai", wantRetryable: false},
		{name: "expired", err: NewTransportError("GET", "/p", 1, x509.CertificateInvalidError{Reason: x509.Expired, Detail: "expired"}, ""),
			wantString: "GET /p: x509: certificate has expired or is not yet valid: expired", wantRetryable: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.wantString, tt.err.Error()); diff != "" {
				t.Errorf("Error() mismatch (-want +got):\n%s", diff)
			}
			if got := tt.err.Retryable(); got != tt.wantRetryable {
				t.Errorf("Retryable() = %v, want %v", got, tt.wantRetryable)
			}
			if !errors.Is(tt.err, tt.err.cause) {
				t.Errorf("errors.Is(err, its cause) = false")
			}
		})
	}
}

func TestOtherErrorStrings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{err: &ResponseError{Method: "GET", Path: "/p", Problem: "the response is not a JSON object"},
			want: "GET /p: the response is not a JSON object"},
		{err: &ResponseError{Method: "GET", Path: "/p", Problem: "the response is text/html, not JSON", Excerpt: "<html>"},
			want: `GET /p: the response is text/html, not JSON (body: "<html>")`},
		{err: &DataError{BatchID: "batch_1", Problem: "batchId is empty"},
			want: `batch run "batch_1" has impossible data: batchId is empty`},
		{err: &DataError{BatchID: "batch\n1", Problem: "x"},
			want: `batch run "batch\n1" has impossible data: x`},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
			t.Errorf("Error() mismatch (-want +got):\n%s", diff)
		}
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	c := &Client{MaxRetries: 1000, MinBackoff: 500 * time.Millisecond, MaxBackoff: 30 * time.Second}
	apiErr := func(status int, ra time.Duration) error { return &APIError{StatusCode: status, RetryAfter: ra} }
	tests := []struct {
		name      string
		err       error
		attempt   int
		jitter    float64
		maxRetry  int // 0 means c.MaxRetries
		wantWait  time.Duration
		wantRetry bool
	}{
		{name: "first, no jitter", err: apiErr(503, 0), attempt: 1, jitter: 0, wantWait: 250 * time.Millisecond, wantRetry: true},
		{name: "first, most jitter", err: apiErr(503, 0), attempt: 1, jitter: 0.999, wantWait: 499750000, wantRetry: true},
		{name: "second", err: apiErr(503, 0), attempt: 2, jitter: 0.5, wantWait: 750 * time.Millisecond, wantRetry: true},
		{name: "capped", err: apiErr(503, 0), attempt: 8, jitter: 0, wantWait: 15 * time.Second, wantRetry: true},
		{name: "shift overflow", err: apiErr(503, 0), attempt: 70, jitter: 0, wantWait: 15 * time.Second, wantRetry: true},
		{name: "huge attempt", err: apiErr(503, 0), attempt: 200, jitter: 0, wantWait: 15 * time.Second, wantRetry: true},
		{name: "retry-after wins", err: apiErr(429, time.Minute), attempt: 1, jitter: 0, wantWait: time.Minute, wantRetry: true},
		{name: "backoff wins", err: apiErr(429, time.Millisecond), attempt: 1, jitter: 0, wantWait: 250 * time.Millisecond, wantRetry: true},
		{name: "client error", err: apiErr(404, 0), attempt: 1},
		{name: "out of retries", err: apiErr(503, 0), attempt: 4, maxRetry: 3},
		{name: "last retry", err: apiErr(503, 0), attempt: 3, maxRetry: 3, wantWait: 1 * time.Second, wantRetry: true},
		{name: "transport", err: NewTransportError("", "", 1, io.ErrUnexpectedEOF, ""), attempt: 1, wantWait: 250 * time.Millisecond, wantRetry: true},
		{name: "canceled", err: NewTransportError("", "", 1, context.Canceled, ""), attempt: 1},
		{name: "untrusted certificate", err: NewTransportError("", "", 1, x509.UnknownAuthorityError{}, ""), attempt: 1},
		{name: "response error", err: &ResponseError{Problem: "not json"}, attempt: 1},
		{name: "data error", err: &DataError{Problem: "negative"}, attempt: 1},
		{name: "other", err: errors.New("build request"), attempt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := *c
			if tt.maxRetry > 0 {
				c.MaxRetries = tt.maxRetry
			}
			c.Jitter = func() float64 { return tt.jitter }
			wait, retry := c.retryAfter(tt.err, tt.attempt)
			if retry != tt.wantRetry || wait != tt.wantWait {
				t.Errorf("retryAfter = %v, %v; want %v, %v", wait, retry, tt.wantWait, tt.wantRetry)
			}
		})
	}
}

func TestIsJSON(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"application/json":                true,
		"application/json; charset=utf-8": true,
		"Application/JSON":                true,
		"application/problem+json":        true,
		"text/json":                       true,
		"text/html":                       false,
		"text/plain; charset=utf-8":       false,
		"application/javascript":          false,
		"application/jsonx":               false,
		"":                                false,
		";;":                              false,
	}
	for ct, want := range tests {
		if got := isJSON(ct); got != want {
			t.Errorf("isJSON(%q) = %v, want %v", ct, got, want)
		}
	}
}

func TestRedirectPolicy(t *testing.T) {
	t.Parallel()
	base, _ := url.Parse("http://api.example.com:8080/base")
	httpsBase, _ := url.Parse("https://api.example.com")
	tests := []struct {
		name string
		base *url.URL
		to   string
		via  int
		want error // nil: follow
	}{
		{name: "same origin", base: base, to: "http://api.example.com:8080/other", via: 1},
		{name: "host case", base: base, to: "http://API.example.com:8080/other", via: 1},
		{name: "other host", base: base, to: "http://evil.example.net:8080/steal", via: 1, want: http.ErrUseLastResponse},
		{name: "subdomain", base: base, to: "http://x.api.example.com:8080/", via: 1, want: http.ErrUseLastResponse},
		{name: "other port", base: base, to: "http://api.example.com:9090/", via: 1, want: http.ErrUseLastResponse},
		{name: "upgrade to https", base: &url.URL{Scheme: "http", Host: "api.example.com"}, to: "https://api.example.com/v1", via: 1},
		{name: "downgrade to http", base: httpsBase, to: "http://api.example.com/v1", via: 1, want: http.ErrUseLastResponse},
		{name: "too many", base: base, to: "http://api.example.com:8080/loop", via: 10, want: errors.New("stopped after 10 redirects")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to, err := url.Parse(tt.to)
			if err != nil {
				t.Fatal(err)
			}
			via := make([]*http.Request, tt.via)
			got := keepKeyAtHome(tt.base, nil)(&http.Request{URL: to}, via)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("caller's policy still applies", func(t *testing.T) {
		refuse := errors.New("no redirects")
		to, _ := url.Parse("http://api.example.com:8080/other")
		got := keepKeyAtHome(base, func(*http.Request, []*http.Request) error { return refuse })(&http.Request{URL: to}, make([]*http.Request, 1))
		if !errors.Is(got, refuse) {
			t.Errorf("got %v, want %v", got, refuse)
		}
	})
	t.Run("caller's client is left alone", func(t *testing.T) {
		hc := &http.Client{}
		c, err := NewClient(hc, "https://api.example.com", "k")
		if err != nil {
			t.Fatal(err)
		}
		if hc.CheckRedirect != nil {
			t.Error("NewClient changed the caller's http.Client")
		}
		if c.httpClient == hc || c.httpClient.CheckRedirect == nil {
			t.Error("the client has no redirect policy of its own")
		}
		c, err = NewClient(nil, "https://api.example.com", "k")
		if err != nil {
			t.Fatal(err)
		}
		if http.DefaultClient.CheckRedirect != nil || c.httpClient == http.DefaultClient {
			t.Error("NewClient changed http.DefaultClient")
		}
	})
}
