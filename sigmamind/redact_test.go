package sigmamind_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/sigmagate/sigmagate/internal/rawserver"
	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// markdownKey is a key that the report's markdown escaping changes
// ("sk\_live\_..."), so that a plain search for it misses it there.
const markdownKey = "sk_live_0123456789abcdef"

func leaks(t *testing.T, what, text, key string) {
	t.Helper()
	if found := untrustedtest.Leaks(text, key); len(found) > 0 {
		t.Errorf("%s holds the key as %s:\n%s", what, strings.Join(found, ", "), text)
	}
}

// TestTransportErrorsAreRedacted: net/http quotes what a server sent in the
// errors it makes; the key goes from their text where it enters, and the
// error still says what it wraps.
func TestTransportErrorsAreRedacted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer func(key string) string
		want   string // in the error
	}{
		{"the key as the status line", func(k string) string { return k + "\r\n\r\n" }, `malformed HTTP response "***"`},
		{"the key as the status code", func(k string) string { return "HTTP/1.1 " + k + " OK\r\n\r\n" }, `malformed HTTP status code "***"`},
		{"the key as the version", func(k string) string { return k + " 200 OK\r\n\r\n" }, `malformed HTTP version "***"`},
		{"the key percent-encoded in the status line", func(k string) string { return url.QueryEscape(k) + "\r\n\r\n" }, `malformed HTTP response "***"`},
		{"the key json-escaped in the status line", func(k string) string { return strings.ReplaceAll(k, "_", `\u005f`) + "\r\n\r\n" }, `malformed HTTP response "***"`},
		{"a header line without a colon", func(k string) string { return "HTTP/1.1 200 OK\r\n" + k + "\r\n\r\n" }, `malformed MIME header: missing colon: "***"`},
		{"the key as the content length", func(k string) string { return "HTTP/1.1 200 OK\r\nContent-Length: " + k + "\r\n\r\n" }, `bad Content-Length "***"`},
		{"the key as the transfer encoding", func(k string) string {
			return "HTTP/1.1 200 OK\r\nTransfer-Encoding: " + k + "\r\n\r\n"
		}, "***"},
		{"a location that is no URL", func(k string) string {
			return "HTTP/1.1 302 Found\r\nLocation: ::" + k + "\r\nContent-Length: 0\r\n\r\n"
		}, `failed to parse Location header "::***"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			te, err := listOnceFailing(t, rawserver.EchoKey(t, tt.answer), markdownKey)
			leaks(t, "the error", err.Error(), markdownKey)
			leaks(t, "its problem", te.Problem, markdownKey)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if errors.Unwrap(te) == nil {
				t.Errorf("the error lost its cause")
			}
		})
	}
}

// TestCertificateNamesAreRedacted: a certificate error names what the
// certificate holds, which its maker chose; it is still a certificate
// error, and not retried.
func TestCertificateNamesAreRedacted(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the client's refusal
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{rawserver.Certificate(t, markdownKey, "x."+url.QueryEscape(markdownKey))}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	base := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	c, sl := newClient(t, base, markdownKey)
	_, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
	var hostname x509.HostnameError
	var te *sigmamind.TransportError
	if !errors.As(err, &te) || !errors.As(err, &hostname) {
		t.Fatalf("got %v, want a *TransportError wrapping an x509.HostnameError", err)
	}
	leaks(t, "the error", err.Error(), markdownKey)
	if !strings.Contains(err.Error(), "certificate is valid for ***, x.***, not localhost") {
		t.Errorf("error %q does not name the certificate's names, redacted", err)
	}
	if te.Retryable() || len(sl.Durations()) > 0 {
		t.Errorf("a certificate error was retried")
	}
}

// TestEncodedKeyIsRedacted: a server that echoes the key percent-encoded,
// JSON-escaped or as HTML references, in an error or in batch runs, does
// not get it into the client's errors or data.
func TestEncodedKeyIsRedacted(t *testing.T) {
	t.Parallel()
	percent := url.QueryEscape(strings.ReplaceAll(markdownKey, "_", "%5F"))
	jsonEscaped := strings.ReplaceAll(markdownKey, "_", `\u005F`)
	references := strings.ReplaceAll(markdownKey, "_", "&#95;")
	quoted, _ := json.Marshal(jsonEscaped) // `\\u005F`: the text itself holds `\u005F`
	run := run(0)
	run.BatchID = "batch_" + percent
	run.Agent = &sigmamind.Agent{Name: references, AgentID: agent}
	run.TestCases[0].Label = jsonEscaped
	run.TestCases[0].UserPrompt = "use " + percent + " or " + jsonEscaped + " or " + references
	tests := []struct {
		name    string
		fault   *sigmamindtest.Fault
		wantErr bool
	}{
		{"percent-encoded in a message", &sigmamindtest.Fault{Status: 401, Body: `{"message":"bad key ` + percent + `"}`}, true},
		{"json-escaped in a message", &sigmamindtest.Fault{Status: 401, Body: `{"message":"bad key ` + string(quoted[1:len(quoted)-1]) + `"}`}, true},
		{"html references in a page", &sigmamindtest.Fault{Status: 502, ContentType: "text/html", Body: "<p>key " + references + "</p>"}, true},
		{"json-escaped in a page", &sigmamindtest.Fault{Status: 502, ContentType: "text/plain", Body: "key " + jsonEscaped}, true},
		{"in batch runs", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, sigmamindtest.WithAPIKey(markdownKey))
			srv.AddBatchRuns(agent, run)
			if tt.fault != nil {
				srv.Fail(*tt.fault)
			}
			c, _ := newClient(t, srv.URL, markdownKey)
			c.MaxRetries = 0
			page, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want an error: %v", err, tt.wantErr)
			}
			if err != nil {
				leaks(t, "the error", err.Error(), markdownKey)
				leaks(t, "the error's fields", errorFields(err), markdownKey)
				if !strings.Contains(err.Error(), "key ***") {
					t.Errorf("error %q does not show where the key was", err)
				}
				return
			}
			b, _ := json.Marshal(page)
			leaks(t, "the page", string(b)+fmt.Sprintf("%+v", page.Data[0].TestCases), markdownKey)
			if got := page.Data[0].BatchID; got != "batch_***" {
				t.Errorf("batch id %q, want batch_***", got)
			}
		})
	}
}
