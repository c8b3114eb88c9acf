package main

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/rawserver"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
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

// tlsServer serves HTTPS at localhost with a self-signed certificate for
// names.
func tlsServer(t *testing.T, names ...string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the gate's refusal of the certificate
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{rawserver.Certificate(t, names...)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

// TestKeyEchoedByTheHTTPLayer: errors that net/http makes quote what the
// server sent, and a certificate error names what the certificate holds.
// The key in them reaches no output in any form: not the summary, where
// markdown escaping would turn it into "sk\_live\_...", not the report,
// where JSON writes "&" as \u0026, not the annotations or the log.
func TestKeyEchoedByTheHTTPLayer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		url  func(t *testing.T, key string) string
		with map[string]string
		want string // in the error annotation
	}{
		{name: "the key as the status line", url: func(t *testing.T, _ string) string {
			return rawserver.EchoKey(t, func(k string) string { return k + "\r\n\r\n" })
		}, want: `malformed HTTP response "***"`},
		{name: "the key percent-encoded in the status code", url: func(t *testing.T, _ string) string {
			return rawserver.EchoKey(t, func(k string) string { return "HTTP/1.1 " + url.QueryEscape(k) + " OK\r\n\r\n" })
		}, want: `malformed HTTP status code "***"`},
		{name: "a header line without a colon", url: func(t *testing.T, _ string) string {
			return rawserver.EchoKey(t, func(k string) string { return "HTTP/1.1 200 OK\r\n" + k + "\r\n\r\n" })
		}, want: `malformed MIME header: missing colon: "***"`},
		{name: "the key as the content length", url: func(t *testing.T, _ string) string {
			return rawserver.EchoKey(t, func(k string) string { return "HTTP/1.1 200 OK\r\nContent-Length: " + k + "\r\n\r\n" })
		}, want: `bad Content-Length "***"`},
		{name: "a location that is no URL", url: func(t *testing.T, _ string) string {
			return rawserver.EchoKey(t, func(k string) string {
				return "HTTP/1.1 302 Found\r\nLocation: ::" + k + "\r\nContent-Length: 0\r\n\r\n"
			})
		}, want: `failed to parse Location header "::***"`},
		{name: "the key as the certificate's names", url: func(t *testing.T, k string) string {
			return tlsServer(t, k, "x."+url.QueryEscape(k))
		}, want: "certificate is valid for ***, x.***, not localhost"},
		// A malformed answer is no outage: on-error: warn does not excuse it.
		{name: "malformed, with on-error: warn", url: func(t *testing.T, _ string) string {
			return rawserver.EchoKey(t, func(k string) string { return k + "\r\n\r\n" })
		}, with: map[string]string{"on-error": "warn"}, want: `malformed HTTP response "***"`},
	}
	for _, key := range []string{markdownKey, punctKey} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s", tt.name, key), func(t *testing.T) {
				t.Parallel()
				with := map[string]string{"api-key": key, "agent-id": "agent_x", "api-url": tt.url(t, key), "retries": "0"}
				for k, v := range tt.with {
					with[k] = v
				}
				s := runStep(t, with, nil)
				s.CheckHygiene(t)
				s.CheckNoKey(t, key)
				wantExit, kind := 3, "error"
				if s.Exit != wantExit || s.Outputs["result"] != "error" {
					t.Errorf("exit %d, result %q; want %d, error\n%s", s.Exit, s.Outputs["result"], wantExit, s.Stdout)
				}
				if got := s.Annotations(kind); len(got) != 1 || !strings.Contains(got[0], tt.want) {
					t.Errorf("%s annotations %q, want one saying %q", kind, got, tt.want)
				}
				if !strings.Contains(s.Summary, "\\*\\*\\*") || !strings.Contains(s.Outputs["report"], "***") {
					t.Errorf("the summary and the report do not show where the key was:\n%s\n%s", s.Summary, s.Outputs["report"])
				}
			})
		}
	}
}

// TestKeyEchoedByTheAPI: an API that echoes the key, as it is or encoded,
// in an error or in batch runs (ids, names, labels, prompts), gets it into
// no output in any form.
func TestKeyEchoedByTheAPI(t *testing.T) {
	t.Parallel()
	for _, key := range []string{markdownKey, punctKey} {
		forms := steptest.Encodings(key)
		all := strings.Join(forms, " ")
		var runs []sigmamind.BatchRun
		for i, form := range forms {
			r := steptest.Run5(fmt.Sprintf("batch_%d_%s", i, form), time.Now().Add(-time.Duration(i)*time.Minute), 4, 1)
			r.Agent.Name = "agent " + form
			r.TestCases[0].TestCaseID = "tc_" + form
			r.TestCases[0].Label = "label " + form
			r.TestCases[0].LLMModel = form
			r.TestCases[0].UserPrompt = "prompt " + all
			r.TestCases[0].SuccessCriteria = "criteria " + form
			r.TestCases[0].MockData = []sigmamind.MockData{{VariableName: form, Value: form}}
			runs = append(runs, r)
		}
		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(all)
		tests := []struct {
			name     string
			fault    *sigmamindtest.Fault
			with     map[string]string
			wantExit int
		}{
			{name: "in batch runs", with: map[string]string{"batches": fmt.Sprint(len(runs)), "max-failure-rate": "10%"}, wantExit: 1},
			{name: "in an error message", fault: &sigmamindtest.Fault{Status: 401,
				Body: `{"status":401,"error":"Unauthorized","message":"key ` + quoted + ` is not valid","validationErrors":{"apiKey":"` + quoted + `"}}`}, wantExit: 3},
			{name: "in an html page", fault: &sigmamindtest.Fault{Status: 403, ContentType: "text/html", Body: "<html>forbidden for " + all + "</html>"}, wantExit: 3},
			{name: "in a content type", fault: &sigmamindtest.Fault{Status: 200, ContentType: "text/" + url.QueryEscape(key), Body: "{}"}, wantExit: 3},
			{name: "in a page that is no JSON", fault: &sigmamindtest.Fault{Status: 200, Body: `{"data":[{"batchId":"` + quoted}, wantExit: 3},
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/%s", tt.name, key), func(t *testing.T) {
				t.Parallel()
				srv := sigmamindtest.NewServer(sigmamindtest.WithAPIKey(key))
				t.Cleanup(srv.Close)
				srv.AddBatchRuns("agent_x", runs...)
				if tt.fault != nil {
					srv.Fail(*tt.fault)
				}
				with := map[string]string{"api-key": key, "agent-id": "agent_x", "api-url": srv.URL}
				for k, v := range tt.with {
					with[k] = v
				}
				s := runStep(t, with, nil)
				s.CheckHygiene(t)
				s.CheckNoKey(t, key)
				if s.Exit != tt.wantExit {
					t.Errorf("exit %d, want %d\n%s", s.Exit, tt.wantExit, s.Stdout)
				}
				if !strings.Contains(s.Summary, "\\*\\*\\*") {
					t.Errorf("the summary does not show where the key was:\n%s", s.Summary)
				}
			})
		}
	}
}

// TestKeyEchoedOnTheCommandLine: outside GitHub Actions the report goes to
// standard output, and the key comes from SIGMAMIND_API_KEY.
func TestKeyEchoedOnTheCommandLine(t *testing.T) {
	t.Parallel()
	for _, key := range []string{markdownKey, punctKey} {
		api := rawserver.EchoKey(t, func(k string) string { return k + "\r\n\r\n" })
		cmd := exec.Command(binary, "--agent-id", "agent_x", "--api-url", api, "--retries", "0")
		cmd.Env = []string{"HOME=" + t.TempDir(), "SIGMAMIND_API_KEY=" + key}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 3 {
			t.Errorf("exit %v, want 3", err)
		}
		out := stdout.String() + stderr.String()
		if found := untrustedtest.Leaks(out, key); len(found) > 0 || !strings.Contains(out, `malformed HTTP response "***"`) {
			t.Errorf("the key leaked as %s, or the report does not show where it was:\n%s", found, out)
		}
	}
}
