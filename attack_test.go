package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/rawserver"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// Tests, through the compiled binary, of what a hostile or broken API may
// send: spellings of the agent id, dates, bodies, the network and headers.
// None of it may pass a failing gate, leak the key, forge a command or hang.

// TestAgentIDSpellings: only agent_X and X name the agent X; every other
// spelling that looks like it is another agent's batch run.
func TestAgentIDSpellings(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"AGENT_x", "agent_X", "Agent_x", " agent_x", "agent_x ", "agent_x\t", "agent_ｘ", "ＡＧＥＮＴ_x",
		"agent_agent_x", "agent_x\u200b", "agent_x\u00ad", "agent_", "agent-x"} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			b := steptest.Run5("batch_y", time.Now().Add(-time.Hour), 5, 0)
			b.Agent.AgentID = id
			srv := steptest.NewFake(t)
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: rawPage(t, b), Times: 10})
			s := runStep(t, with(srv), nil)
			s.CheckHygiene(t)
			if s.Exit != 3 || s.Outputs["result"] != "error" {
				t.Errorf("agentId %q: exit %d, result %q; want 3, error", id, s.Exit, s.Outputs["result"])
			}
		})
	}
}

// TestCreatedDateForms: RFC 3339 in any offset, with any fraction, is read
// as the instant it names; anything else, the future and the zero time are
// errors. The batch run is clean and an hour old, so max-age 2h passes it.
func TestCreatedDateForms(t *testing.T) {
	t.Parallel()
	then := time.Now().UTC().Add(-time.Hour)
	tests := []struct {
		date string
		want int
	}{
		{then.In(time.FixedZone("", 5*3600)).Format(time.RFC3339), 0},
		{then.In(time.FixedZone("", -(9*3600 + 30*60))).Format(time.RFC3339), 0},
		{then.Format("2006-01-02T15:04:05+00:00"), 0},
		{then.Format("2006-01-02T15:04:05.123456789Z"), 0},
		{then.Format("2006-01-02T15:04:05.1234567891234Z"), 0},
		{then.Format("2006-01-02T15:04:05"), 3},
		{then.Format("2006-01-02 15:04:05Z"), 3},
		{then.Format("2006-01-02t15:04:05z"), 3},
		{then.Format("2006-01-02T15:04:05+24:00"), 3},
		{"9999-12-31T23:59:59Z", 3},
		{"2016-12-31T23:59:60Z", 3},
		{"0001-01-01T00:00:00Z", 3},
		{fmt.Sprint(then.Unix()), 3},
		{"", 3},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			t.Parallel()
			b := steptest.Run5("batch_y", then, 5, 0)
			body := editedPage(t, func(r string) string {
				i := strings.Index(r, `"createdDate":"`) + len(`"createdDate":"`)
				j := strings.Index(r[i:], `"`)
				return r[:i] + tt.date + r[i+j:]
			}, b)
			srv := steptest.NewFake(t)
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: body, Times: 10})
			s := runStep(t, with(srv, "max-age", "2h"), nil)
			s.CheckHygiene(t)
			if s.Exit != tt.want {
				t.Errorf("createdDate %q: exit %d, result %q; want %d\n%q", tt.date, s.Exit, s.Outputs["result"], tt.want, s.Annotations("error"))
			}
		})
	}
}

// TestOrderByInstant: a batch run whose date, written in another offset,
// reads later as text but is older is not the newest.
func TestOrderByInstant(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC().Truncate(time.Second)
	older, newer := steptest.Run5("batch_a", now.Add(-3*time.Hour), 5, 0), steptest.Run5("batch_b", now.Add(-2*time.Hour), 0, 5)
	body := rawPage(t, older, newer)
	// "...T(h+2):..+05:00" sorts after "...T(h+1):..Z" as text.
	plus5 := older.CreatedDate.In(time.FixedZone("", 5*3600)).Format(time.RFC3339)
	body = strings.Replace(body, older.CreatedDate.Format(time.RFC3339Nano), plus5, 1)
	if !strings.Contains(body, plus5) {
		t.Fatal("the edit changed nothing")
	}
	srv := steptest.NewFake(t)
	srv.Fail(sigmamindtest.Fault{Status: 200, Body: body, Times: 10})
	s := runStep(t, with(srv), nil)
	s.CheckHygiene(t)
	if got := s.Annotations("error"); s.Exit != 3 || len(got) != 1 || !strings.Contains(got[0], "the listing is not newest first") {
		t.Errorf("exit %d, errors %q; want 3, the listing is not newest first", s.Exit, got)
	}
}

// TestHostileBodies: bodies that bend JSON never pass a failing batch run
// (4 of 5 successful, max-failure-rate 0), with on-error: warn too; those
// that cannot be read are no outage.
func TestHostileBodies(t *testing.T) {
	t.Parallel()
	page := rawPage(t, steptest.Run5("batch_y", time.Now().Add(-time.Hour), 4, 1))
	edit := func(old, replacement string) string {
		if !strings.Contains(page, old) {
			t.Fatalf("%s is not in the page", old)
		}
		return strings.Replace(page, old, replacement, 1)
	}
	const failed = `"failedAttempts":1`
	tests := []struct {
		name string
		body string
		want int
	}{
		{"attempt as a string", edit(`"attempt":5`, `"attempt":"5"`), 3},
		{"a byte order mark", "\uFEFF" + page, 3},
		{"UTF-16 byte order mark", "\xff\xfe" + page, 3},
		{"an escaped name overriding", edit(failed, failed+`,"failed\u0041ttempts":0`), 3},
		{"an escaped name alone", edit(failed, `"failed\u0041ttempts":1`), 1},
		{"a long s overriding", edit(failed, failed+`,"failedAttempt\u017f":0`), 3},
		{"a nested unknown object", edit(failed, failed+`,"x":{"failedAttempts":0,"data":[]}`), 1},
		{"a fraction", edit(failed, `"failedAttempts":1.0`), 3},
		{"an exponent", edit(failed, `"failedAttempts":1e0`), 3},
		{"data twice", edit(`{"data":`, `{"data":[],"data":`), 3},
		{"hasNext as a string", edit(`"hasNext":false`, `"hasNext":"false"`), 3},
		{"a second document", page + page, 3},
		{"a NUL after the document", page + "\x00", 3},
		{"totalPages huge", edit(`"totalPages":1`, `"totalPages":9223372036854775807`), 1},
		{"totalCount huge", edit(`"totalCount":1`, `"totalCount":9223372036854775807`), 1},
		{"totalCount negative", edit(`"totalCount":1`, `"totalCount":-1`), 1},
		{"page negative", edit(`"page":0`, `"page":-1`), 1},
	}
	for _, tt := range tests {
		for _, onError := range []string{"fail", "warn"} {
			t.Run(tt.name+" on-error "+onError, func(t *testing.T) {
				t.Parallel()
				srv := steptest.NewFake(t)
				srv.Fail(sigmamindtest.Fault{Status: 200, Body: tt.body, Times: 10})
				s := runStep(t, with(srv, "on-error", onError, "retries", "0"), nil)
				s.CheckHygiene(t)
				if s.Exit != tt.want || s.Outputs["passed"] != "false" {
					t.Errorf("exit %d, result %q, passed %q; want %d, not passed\n%q %q", s.Exit, s.Outputs["result"], s.Outputs["passed"], tt.want,
						s.Annotations("error"), s.Annotations("warning"))
				}
			})
		}
	}
}

// TestSlowAnswersEndInTime: a body that stalls or drips, headers that drip
// or never end: the step ends within timeout (plus wait) and never passes.
func TestSlowAnswersEndInTime(t *testing.T) {
	t.Parallel()
	page := rawPage(t, steptest.Run5("batch_x", time.Now().Add(-time.Hour), 5, 0))
	tests := []struct {
		name  string
		serve func(c net.Conn)
		with  []string
		limit time.Duration
	}{
		{"a chunked body that stalls", func(c net.Conn) {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", 20, page[:20])
			time.Sleep(20 * time.Second)
		}, []string{"timeout", "4s", "retries", "1"}, 8 * time.Second},
		{"a body that drips", func(c net.Conn) {
			fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(page))
			for i := range len(page) {
				if _, err := c.Write([]byte{page[i]}); err != nil {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
		}, []string{"timeout", "4s", "retries", "1"}, 8 * time.Second},
		{"a status line that drips", func(c net.Conn) {
			for _, b := range []byte("HTTP/1.1 200 OK\r\n") {
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
				time.Sleep(time.Second)
			}
		}, []string{"timeout", "4s", "retries", "1"}, 8 * time.Second},
		{"headers that never end", func(c net.Conn) {
			c.Write([]byte("HTTP/1.1 200 OK\r\n"))
			for range 20000 {
				if _, err := c.Write([]byte("X-A: " + strings.Repeat("b", 1000) + "\r\n")); err != nil {
					return
				}
			}
		}, []string{"timeout", "4s", "retries", "0"}, 8 * time.Second},
		{"no answer, with wait", func(c net.Conn) { time.Sleep(20 * time.Second) }, []string{"timeout", "2s", "wait", "2s", "retries", "0"}, 6 * time.Second},
	}
	for _, tt := range tests {
		for _, onError := range []string{"fail", "warn"} {
			t.Run(tt.name+" on-error "+onError, func(t *testing.T) {
				t.Parallel()
				w := map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": rawserver.AfterHead(t, tt.serve), "on-error": onError}
				for i := 0; i+1 < len(tt.with); i += 2 {
					w[tt.with[i]] = tt.with[i+1]
				}
				start := time.Now()
				s := runStep(t, w, nil)
				took := time.Since(start)
				s.CheckHygiene(t)
				if took > tt.limit || s.Outputs["result"] != "error" || s.Outputs["passed"] != "false" {
					t.Errorf("took %v (limit %v), result %q, passed %q; want error, not passed", took, tt.limit, s.Outputs["result"], s.Outputs["passed"])
				}
			})
		}
	}
}

// TestGzipAnswers: a gzip body is read as what it holds, and one that
// inflates past the body limit is refused as too large, no outage.
func TestGzipAnswers(t *testing.T) {
	t.Parallel()
	gz := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write([]byte(s))
		w.Close()
		return b.Bytes()
	}
	tests := []struct {
		name  string
		body  []byte
		want  int
		error string
	}{
		{"a failing page", gz(rawPage(t, steptest.Run5("batch_x", time.Now().Add(-time.Hour), 4, 1))), 1, "failure rate 20.0% is above the limit"},
		{"a bomb", gz(`{"data":[],"x":"` + strings.Repeat(" ", 256<<20)), 3, "the response is larger than 32 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Content-Encoding", "gzip")
				w.Write(tt.body)
			}))
			t.Cleanup(srv.Close)
			s := runStep(t, map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": srv.URL, "retries": "0", "on-error": "warn"}, nil)
			s.CheckHygiene(t)
			if got := s.Annotations("error"); s.Exit != tt.want || len(got) != 1 || !strings.Contains(got[0], tt.error) {
				t.Errorf("exit %d, errors %q; want %d, %q", s.Exit, got, tt.want, tt.error)
			}
		})
	}
}

// TestKeyInHeaders: a key that comes back in any part of an answer's head
// is gone from everything the step leaves, with and without a summary.
func TestKeyInHeaders(t *testing.T) {
	t.Parallel()
	k := steptest.Key
	for _, tt := range []struct{ name, reply string }{
		{"a redirect's Location", "HTTP/1.1 301 Moved\r\nLocation: https://evil.example/?k=" + url.QueryEscape(k) + "\r\nContent-Length: 0\r\n\r\n"},
		{"a redirect's path", "HTTP/1.1 302 Found\r\nLocation: /v1/" + k + "\r\nContent-Length: 0\r\n\r\n"},
		{"Content-Type", "HTTP/1.1 200 OK\r\nContent-Type: text/" + k + "\r\nContent-Length: 2\r\n\r\n{}"},
		{"Retry-After", "HTTP/1.1 429 Too Many\r\nRetry-After: " + k + "\r\nContent-Length: 0\r\n\r\n"},
		{"the reason phrase", "HTTP/1.1 503 " + k + "\r\nContent-Length: 0\r\n\r\n"},
		{"the status code", "HTTP/1.1 5" + k + "\r\nContent-Length: 0\r\n\r\n"},
		{"a header name", "HTTP/1.1 200 OK\r\n" + k + " x\r\n\r\n"},
		{"Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: " + k + "\r\n\r\n"},
		{"Transfer-Encoding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: " + k + "\r\n\r\n"},
		{"a chunk size", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + k + "\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := rawserver.Reply(t, tt.reply)
			for _, summary := range []string{"true", "false"} {
				s := runStep(t, map[string]string{"api-key": steptest.Key, "agent-id": "agent_x", "api-url": u, "retries": "0", "summary": summary}, nil)
				s.CheckHygiene(t)
				if s.Exit != 3 {
					t.Errorf("summary %s: exit %d, want 3", summary, s.Exit)
				}
			}
		})
	}
}

// TestHostileIDsInProgress: the lines that wait prints start with a batch
// id; one that looks like a workflow command stays text.
func TestHostileIDsInProgress(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"::warning::forged", " ::error::forged", "\u00a0::error::forged", "##[group]forged", "::set-output name=result::pass", "a|b`c<x>&amp;\u2028::error::x"} {
		t.Run(id, func(t *testing.T) {
			t.Parallel()
			b := steptest.Run5(id, time.Now().Add(-time.Minute), 2, 0)
			b.TotalAttempts, b.TestCases[0].Attempt = 2, 10
			srv := steptest.NewFake(t, b)
			s := runStep(t, with(srv, "wait", "1s"), nil)
			s.CheckHygiene(t)
			steptest.CheckTables(t, s.Summary)
			if s.Exit != 1 || s.Outputs["result"] != "inconclusive" {
				t.Errorf("exit %d, result %q; want 1, inconclusive", s.Exit, s.Outputs["result"])
			}
		})
	}
}
