package main

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/untrusted"
	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
	"github.com/sigmagate/sigmagate/report"
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

// checkNoKey holds for every run: the key is in no form, in nothing the step
// left (the log but its ::add-mask:: line, the annotations as the runner
// shows them, the summary, the outputs).
func (s step) checkNoKey(t *testing.T, key string) {
	t.Helper()
	all := s.everything() + strings.Join(s.annotations("error"), "\n") + strings.Join(s.annotations("warning"), "\n")
	if found := untrustedtest.Leaks(all, key); len(found) > 0 {
		t.Errorf("the key %q leaked as %s:\nstdout: %s\nstderr: %s\nsummary: %s\noutputs: %v", key, strings.Join(found, ", "), s.stdout, s.stderr, s.summary, s.outputs)
	}
}

// echoServer answers every connection with what answer makes of the
// request's X-API-Key, whatever HTTP says: a server, or something in
// between, that echoes the key where net/http quotes it in an error.
func echoServer(t *testing.T, answer func(key string) string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(10 * time.Second))
				r := textproto.NewReader(bufio.NewReader(conn))
				if _, err := r.ReadLine(); err != nil {
					return
				}
				h, err := r.ReadMIMEHeader()
				if err != nil {
					return
				}
				fmt.Fprint(conn, answer(h.Get("X-API-Key")))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// tlsServer serves HTTPS at localhost with a self-signed certificate for
// names.
func tlsServer(t *testing.T, names ...string) string {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the gate's refusal of the certificate
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}}
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
			return echoServer(t, func(k string) string { return k + "\r\n\r\n" })
		}, want: `malformed HTTP response "***"`},
		{name: "the key percent-encoded in the status code", url: func(t *testing.T, _ string) string {
			return echoServer(t, func(k string) string { return "HTTP/1.1 " + url.QueryEscape(k) + " OK\r\n\r\n" })
		}, want: `malformed HTTP status code "***"`},
		{name: "a header line without a colon", url: func(t *testing.T, _ string) string {
			return echoServer(t, func(k string) string { return "HTTP/1.1 200 OK\r\n" + k + "\r\n\r\n" })
		}, want: `malformed MIME header: missing colon: "***"`},
		{name: "the key as the content length", url: func(t *testing.T, _ string) string {
			return echoServer(t, func(k string) string { return "HTTP/1.1 200 OK\r\nContent-Length: " + k + "\r\n\r\n" })
		}, want: `bad Content-Length "***"`},
		{name: "a location that is no URL", url: func(t *testing.T, _ string) string {
			return echoServer(t, func(k string) string {
				return "HTTP/1.1 302 Found\r\nLocation: ::" + k + "\r\nContent-Length: 0\r\n\r\n"
			})
		}, want: `failed to parse Location header "::***"`},
		{name: "the key as the certificate's names", url: func(t *testing.T, k string) string {
			return tlsServer(t, k, "x."+url.QueryEscape(k))
		}, want: "certificate is valid for ***, x.***, not localhost"},
		// A malformed answer is no outage: on-error: warn does not excuse it.
		{name: "malformed, with on-error: warn", url: func(t *testing.T, _ string) string {
			return echoServer(t, func(k string) string { return k + "\r\n\r\n" })
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
				s.checkHygiene(t)
				s.checkNoKey(t, key)
				wantExit, kind := 3, "error"
				if s.exit != wantExit || s.outputs["result"] != "error" {
					t.Errorf("exit %d, result %q; want %d, error\n%s", s.exit, s.outputs["result"], wantExit, s.stdout)
				}
				if got := s.annotations(kind); len(got) != 1 || !strings.Contains(got[0], tt.want) {
					t.Errorf("%s annotations %q, want one saying %q", kind, got, tt.want)
				}
				if !strings.Contains(s.summary, "\\*\\*\\*") || !strings.Contains(s.outputs["report"], "***") {
					t.Errorf("the summary and the report do not show where the key was:\n%s\n%s", s.summary, s.outputs["report"])
				}
			})
		}
	}
}

// encodings of a key as a server might echo it: as it is, and in the forms
// that URLs, JSON and HTML give it.
func encodings(key string) []string {
	var out []string
	for _, name := range []string{"itself", "url.QueryEscape", "percent, punctuation, lower", "json unicode, punctuation, upper",
		"strconv.Quote", "html.EscapeString", "html hex, punctuation"} {
		out = append(out, untrustedtest.Encode(name, key))
	}
	return out
}

// TestKeyEchoedByTheAPI: an API that echoes the key, as it is or encoded,
// in an error or in batch runs (ids, names, labels, prompts), gets it into
// no output in any form.
func TestKeyEchoedByTheAPI(t *testing.T) {
	t.Parallel()
	for _, key := range []string{markdownKey, punctKey} {
		forms := encodings(key)
		all := strings.Join(forms, " ")
		var runs []sigmamind.BatchRun
		for i, form := range forms {
			r := run5(fmt.Sprintf("batch_%d_%s", i, form), time.Now().Add(-time.Duration(i)*time.Minute), 4, 1)
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
				s.checkHygiene(t)
				s.checkNoKey(t, key)
				if s.exit != tt.wantExit {
					t.Errorf("exit %d, want %d\n%s", s.exit, tt.wantExit, s.stdout)
				}
				if !strings.Contains(s.summary, "\\*\\*\\*") {
					t.Errorf("the summary does not show where the key was:\n%s", s.summary)
				}
			})
		}
	}
}

// TestKeyEchoedWhileWaiting: the progress lines of wait name batch runs by
// their ids.
func TestKeyEchoedWhileWaiting(t *testing.T) {
	t.Parallel()
	for _, key := range []string{markdownKey, punctKey} {
		srv := sigmamindtest.NewServer(sigmamindtest.WithAPIKey(key))
		t.Cleanup(srv.Close)
		for i, form := range encodings(key) {
			srv.AddBatchRuns("agent_x", sigmamind.BatchRun{BatchID: fmt.Sprintf("batch_%d_%s", i, form), CreatedDate: testNow.Add(-time.Duration(i) * time.Minute),
				TotalAttempts: 1, SuccessfulAttempts: 1, TestCases: []sigmamind.TestCase{{TestCaseID: "tc", Attempt: 5}}})
		}
		s, _ := runInProcess(t, map[string]string{"api-key": key, "agent-id": "agent_x", "api-url": srv.URL, "wait": "10m", "batches": "5"})
		s.checkNoKey(t, key)
		if s.exit != 1 || !strings.Contains(s.stdout, "batch_0_***: 1/5 attempts") {
			t.Errorf("exit %d, want 1 and progress lines naming batch_***\n%s", s.exit, s.stdout)
		}
	}
}

// TestKeyEchoedOnTheCommandLine: outside GitHub Actions the report goes to
// standard output, and the key comes from SIGMAMIND_API_KEY.
func TestKeyEchoedOnTheCommandLine(t *testing.T) {
	t.Parallel()
	for _, key := range []string{markdownKey, punctKey} {
		api := echoServer(t, func(k string) string { return k + "\r\n\r\n" })
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
		if found := untrustedtest.Leaks(out, key); len(found) > 0 || !strings.Contains(out, `malformed HTTP response &quot;\*\*\*&quot;`) {
			t.Errorf("the key leaked as %s, or the report does not show where it was:\n%s", found, out)
		}
	}
}

// TestRedactedBeforeEveryFormatter: whatever text of a result holds the
// key, as it is or encoded, no formatter writes it in any form once the
// result is redacted (not the summary, the JSON report, the outputs or the
// annotations), and the error still says what it is.
func TestRedactedBeforeEveryFormatter(t *testing.T) {
	t.Parallel()
	for _, key := range []string{markdownKey, punctKey} {
		all := strings.Join(encodings(key), " ")
		checks := []gate.Check{{Rule: "max-failure-rate", Verdict: gate.Fail, Reason: "reason " + all, LimitText: all, ActualText: all}}
		results := map[string]report.Result{
			"a verdict": {AgentID: key, AgentName: all, Inputs: map[string]string{"agent-id": all},
				Gate: gate.Result{Verdict: gate.Fail, Checks: checks, Notes: []string{all}}},
			"an error": {AgentID: key, AgentName: all, Inputs: map[string]string{"agent-id": all}, ErrHint: "check " + all,
				Err: fmt.Errorf("could not list: %w", &sigmamind.APIError{Method: "GET", Path: "/v1/batch-runs", StatusCode: 401,
					Body: sigmamind.ErrorBody{Message: all}})},
		}
		for name, r := range results {
			t.Run(name+"/"+key, func(t *testing.T) {
				t.Parallel()
				rr := redacted(r, untrusted.NewSecrets(key))
				var log bytes.Buffer
				g := gatekeeper{cfg: config.Config{AgentID: "agent_x", OnError: "fail", OnInconclusive: "fail"},
					log: ghio.Log{W: &log}, ann: &ghio.Annotator{Log: ghio.Log{W: &log}}}
				g.announce(rr)
				written := map[string]string{"summary": report.Markdown([]report.Result{rr}), "report": report.JSON(rr), "log": log.String()}
				for _, o := range outputs(rr, g.cfg) {
					written["output "+o.Name] = o.Value
				}
				for what, text := range written {
					if found := untrustedtest.Leaks(text, key); len(found) > 0 {
						t.Errorf("%s holds the key as %s:\n%s", what, strings.Join(found, ", "), text)
					}
				}
				if r.Err == nil {
					return
				}
				var api *sigmamind.APIError
				if !errors.As(rr.Err, &api) || api.StatusCode != 401 || outage(rr.Err) || hint(rr.Err, g.cfg) != hint(r.Err, g.cfg) {
					t.Errorf("the redacted error %v no longer says what it is", rr.Err)
				}
			})
		}
	}
}
