package sigmamind_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

func TestBatchRun(t *testing.T) {
	t.Parallel()
	odd := run(7)
	odd.BatchID = "batch 7%/?#x" // escaped in the path, whole in the answer
	srv := newServer(t)
	srv.AddBatchRuns(agent, run(0), run(1), odd)
	tests := []struct {
		name     string
		agentID  string
		batchID  string
		want     sigmamind.BatchRun
		wantPath string // as the server decoded it
		wantRaw  string // as sent
	}{
		{name: "newest", agentID: agent, batchID: "batch_000", want: run(0), wantPath: "/v1/batch-runs/batch_000", wantRaw: "/v1/batch-runs/batch_000"},
		{name: "older", agentID: agent, batchID: "batch_001", want: run(1), wantPath: "/v1/batch-runs/batch_001", wantRaw: "/v1/batch-runs/batch_001"},
		{name: "an id that needs escaping", agentID: agent, batchID: odd.BatchID, want: odd,
			wantPath: "/v1/batch-runs/batch 7%/?#x", wantRaw: "/v1/batch-runs/batch%207%25%2F%3F%23x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A server of its own for the request it records.
			one := newServer(t)
			one.AddBatchRuns(agent, run(0), run(1), odd)
			c, _ := newClient(t, one.URL, sigmamindtest.DefaultAPIKey)
			got, err := c.BatchRun(t.Context(), tt.agentID, tt.batchID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(&tt.want, got); diff != "" {
				t.Errorf("batch run mismatch (-want +got):\n%s", diff)
			}
			reqs := one.Requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			if diff := cmp.Diff([]string{http.MethodGet, tt.wantPath, url.Values{"agentId": {agent}}.Encode()},
				[]string{reqs[0].Method, reqs[0].Path, reqs[0].Query.Encode()}); diff != "" {
				t.Errorf("request mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("escaped on the wire", func(t *testing.T) {
		t.Parallel()
		var raw string
		c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
		c2, err := sigmamind.NewClient(&http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			raw = r.URL.EscapedPath()
			return http.DefaultTransport.RoundTrip(r)
		})}, srv.URL, sigmamindtest.DefaultAPIKey)
		if err != nil {
			t.Fatal(err)
		}
		c2.Now = c.Now
		if _, err := c2.BatchRun(t.Context(), agent, odd.BatchID); err != nil {
			t.Fatal(err)
		}
		if want := "/v1/batch-runs/batch%207%25%2F%3F%23x"; raw != want {
			t.Errorf("path sent %q, want %q", raw, want)
		}
	})
}

func TestBatchRunNotFound(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.AddBatchRuns(agent, run(0))
	c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
	_, err := c.BatchRun(t.Context(), agent, "batch_nope")
	var ae *sigmamind.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v (%T), want an *APIError", err, err)
	}
	want := "GET /v1/batch-runs/batch_nope: 404 Not Found: Batch run not found: batch_nope"
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("got %d requests, want 1: a 404 is not retried", n)
	}
}

// TestBatchRunRefusesBadIDs: an id that cannot be sent as it is never
// reaches the network: ".." would be cleaned into the list endpoint.
func TestBatchRunRefusesBadIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id, wantErr string
	}{
		{"", "the batch id is empty"},
		{".", `the batch id "." is no id`},
		{"..", `the batch id ".." is no id`},
		{"batch\n1", `the batch id "batch 1" contains a control character`},
		{"batch\xff", "the batch id is not valid UTF-8"},
		{strings.Repeat("b", sigmamind.MaxIDLength+1), "the batch id is 257 bytes long, more than any id (256)"},
		{"batch_" + secret + "\n", `the batch id "batch_*** " contains a control character`},
	}
	for _, tt := range tests {
		t.Run(tt.wantErr, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			srv.AddBatchRuns(agent, run(0))
			c, _ := newClient(t, srv.URL, secret)
			_, err := c.BatchRun(t.Context(), agent, tt.id)
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.wantErr, strings.ReplaceAll(err.Error(), `\n`, " ")); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("sent %d requests", n)
			}
		})
	}
}

// TestBatchRunHostileAnswers: what a list row may not be, the answer for
// one batch run may not be either; nor may it be another batch run.
func TestBatchRunHostileAnswers(t *testing.T) {
	t.Parallel()
	good := func(edit func(m map[string]any)) string {
		b, err := json.Marshal(run(0))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	tests := []struct {
		name    string
		body    string
		wantErr string
		want    any // the type of error
	}{
		{name: "a case variant overrides a count",
			body:    strings.TrimSuffix(good(func(map[string]any) {}), "}") + `,"FailedAttempts":0}`,
			wantErr: `batch run "batch_000" has impossible data: the batch run has the key "FailedAttempts", which is failedAttempts in another case: refused, so that it cannot stand for failedAttempts`,
			want:    &sigmamind.DataError{}},
		{name: "a key given twice",
			body:    strings.TrimSuffix(good(func(map[string]any) {}), "}") + `,"failedAttempts":0}`,
			wantErr: `batch run "batch_000" has impossible data: the batch run has the key failedAttempts twice`,
			want:    &sigmamind.DataError{}},
		{name: "another agent",
			body:    good(func(m map[string]any) { m["agent"] = map[string]any{"agentId": "agent_other"} }),
			wantErr: `batch run "batch_000" has impossible data: it is a batch run of agent "agent_other", not of agent-id`,
			want:    &sigmamind.DataError{}},
		{name: "no agent",
			body:    good(func(m map[string]any) { delete(m, "agent") }),
			wantErr: `batch run "batch_000" has impossible data: it names no agent, so it cannot be shown to be a batch run of agent-id`,
			want:    &sigmamind.DataError{}},
		{name: "created in the future",
			body:    good(func(m map[string]any) { m["createdDate"] = fixedNow.Add(time.Hour).Format(time.RFC3339) }),
			wantErr: `batch run "batch_000" has impossible data: its createdDate 2026-05-05T11:06:43Z is 1h0m0s ahead of this machine's clock, more than the 5m0s a clock may be off: a batch run cannot be created in the future`,
			want:    &sigmamind.DataError{}},
		{name: "no createdDate",
			body:    good(func(m map[string]any) { delete(m, "createdDate") }),
			wantErr: `batch run "batch_000" has impossible data: createdDate is missing`,
			want:    &sigmamind.DataError{}},
		{name: "impossible counts",
			body:    good(func(m map[string]any) { m["successfulAttempts"] = 9 }),
			wantErr: `batch run "batch_000" has impossible data: successful 9 + failed 1 attempts exceed the total 5`,
			want:    &sigmamind.DataError{}},
		{name: "another batch run",
			body:    good(func(m map[string]any) { m["batchId"] = "batch_001" }),
			wantErr: `batch run "batch_001" has impossible data: it was answered when batch run "batch_000" was asked for`,
			want:    &sigmamind.DataError{}},
		{name: "a list of it",
			body:    "[" + good(func(map[string]any) {}) + "]",
			wantErr: `GET /v1/batch-runs/batch_000: the response is not a JSON object`,
			want:    &sigmamind.ResponseError{}},
		{name: "something after it",
			body:    good(func(map[string]any) {}) + "{}",
			want:    &sigmamind.ResponseError{},
			wantErr: `GET /v1/batch-runs/batch_000: the response is not valid JSON: '{' after the JSON value at byte`},
		{name: "larger than the client reads",
			body:    good(func(map[string]any) {}) + strings.Repeat(" ", sigmamind.MaxBodyBytes),
			wantErr: `GET /v1/batch-runs/batch_000: the response is larger than 32 MiB; the gate does not read it`,
			want:    &sigmamind.ResponseError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			srv.AddBatchRuns(agent, run(0))
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: tt.body})
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			got, err := c.BatchRun(t.Context(), agent, "batch_000")
			if got != nil {
				t.Errorf("got a batch run with error %v", err)
			}
			if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("error = %v, want it to start with %q", err, tt.wantErr)
			}
			switch tt.want.(type) {
			case *sigmamind.DataError:
				var de *sigmamind.DataError
				if !errors.As(err, &de) {
					t.Errorf("got %T, want a *DataError", err)
				}
			case *sigmamind.ResponseError:
				var re *sigmamind.ResponseError
				if !errors.As(err, &re) {
					t.Errorf("got %T, want a *ResponseError", err)
				}
			}
		})
	}
}

// TestBatchRunEchoedKey: a key that the answer echoes is gone from the batch
// run and from every error.
func TestBatchRunEchoedKey(t *testing.T) {
	t.Parallel()
	b := run(0)
	b.TestCases[0].UserPrompt = "say " + secret
	srv := newServer(t, sigmamindtest.WithAPIKey(secret))
	srv.AddBatchRuns(agent, b)
	c, _ := newClient(t, srv.URL, secret)
	got, err := c.BatchRun(t.Context(), agent, "batch_000")
	if err != nil {
		t.Fatal(err)
	}
	if got.TestCases[0].UserPrompt != "say ***" {
		t.Errorf("prompt = %q", got.TestCases[0].UserPrompt)
	}
	srv.Fail(sigmamindtest.Fault{Status: 200, Body: `{"batchId":"batch_000","createdDate":"` + secret + `"}`})
	_, err = c.BatchRun(t.Context(), agent, "batch_000")
	if err == nil {
		t.Fatal("no error")
	}
	noSecret(t, "error", err.Error())
	noSecret(t, "error fields", errorFields(err))
}
