package sigmamind_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// fuzzServer answers every request with the body last set, as JSON.
func fuzzServer(f *testing.F, status int) (*sigmamind.Client, func([]byte)) {
	var mu sync.Mutex
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b := body
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(b)
	}))
	f.Cleanup(srv.Close)
	tr := &http.Transport{}
	f.Cleanup(tr.CloseIdleConnections)
	c, err := sigmamind.NewClient(&http.Client{Transport: tr}, srv.URL, secret)
	if err != nil {
		f.Fatal(err)
	}
	c.MaxRetries = 0
	c.Sleep = (&sleeper{}).Sleep
	c.Now = func() time.Time { return fixedNow }
	return c, func(b []byte) {
		mu.Lock()
		body = b
		mu.Unlock()
	}
}

func noKey(t *testing.T, err error, v any) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(errorFields(err), secret)) {
		t.Errorf("the error has the key: %v", err)
	}
	if v != nil {
		b, merr := json.Marshal(v)
		if merr != nil {
			t.Fatalf("the result does not marshal: %v", merr)
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("the result has the key: %s", b)
		}
	}
}

// FuzzDecodeTestCases: whatever the body, the test cases come back usable
// (ids present, readable and unique, the agent's when named) or not at all.
func FuzzDecodeTestCases(f *testing.F) {
	tcs, err := json.Marshal(sigmamindtest.SampleTestCases(agent)[:2])
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(tcs),
		`{"data":` + string(tcs) + `,"hasNext":false}`,
		`{"data":` + string(tcs) + `,"hasNext":true}`,
		`[]`, `[null]`, `null`, `{}`, ``,
		`[{"testCaseId":"a"},{"testCaseId":"a","attempt":2}]`,
		`[{"testCaseId":"a","TestCaseId":"b"}]`,
		`[{"testCaseId":"a","agent":{"agentId":"agent_U"}}]`,
		`[{"testCaseId":"` + secret + `","label":"` + secret + `"}]`,
		`[{"testCaseId":"a\n","attempt":-1}]`,
		"[{\"testCaseId\":\"\xff\"}]",
	} {
		f.Add([]byte(s))
	}
	c, set := fuzzServer(f, 200)
	f.Fuzz(func(t *testing.T, b []byte) {
		set(b)
		got, err := c.TestCases(t.Context(), agent)
		noKey(t, err, got)
		if err != nil {
			var de *sigmamind.DataError
			var re *sigmamind.ResponseError
			if got != nil || !errors.As(err, &re) && !(errors.As(err, &de) && de.TestCase) {
				t.Fatalf("got %v with %v (%T)", got, err, err)
			}
			return
		}
		seen := map[string]bool{}
		for _, tc := range got {
			switch {
			case tc.TestCaseID == "" || strings.ContainsFunc(tc.TestCaseID, unicode.IsControl) || seen[tc.TestCaseID]:
				t.Errorf("test case id %q taken", tc.TestCaseID)
			case tc.Attempt < 0:
				t.Errorf("negative attempts taken: %+v", tc)
			case tc.Agent != nil && tc.Agent.AgentID != "" && strings.TrimPrefix(tc.Agent.AgentID, "agent_") != "T":
				t.Errorf("another agent's test case taken: %+v", tc)
			}
			seen[tc.TestCaseID] = true
		}
	})
}

// FuzzDecodeCreated: whatever a 201 holds, the create's answer is a batch
// run that can be polled, or an error saying a batch run was created.
func FuzzDecodeCreated(f *testing.F) {
	for _, s := range []string{
		`{"batchId":"batch_1","workspaceId":"org_W","agent":{"name":"S","agentId":"agent_T","status":"Live"},"createdDate":"2026-05-05T10:06:43.565Z"}`,
		`{"batchId":"batch_1","agent":{"agentId":"T"},"createdDate":"2026-05-05T10:06:43Z"}`,
		`{"batchId":"batch_1","BatchId":"x","agent":{"agentId":"T"},"createdDate":"2026-05-05T10:06:43Z"}`,
		`{"batchId":"","agent":{"agentId":"T"},"createdDate":"2026-05-05T10:06:43Z"}`,
		`{"batchId":"b","agent":{"agentId":"agent_U"},"createdDate":"2036-05-05T10:06:43Z"}`,
		`{"batchId":"` + secret + `","createdDate":"` + secret + `"}`,
		`[]`, `null`, `{}`, ``,
	} {
		f.Add([]byte(s))
	}
	c, set := fuzzServer(f, 201)
	f.Fuzz(func(t *testing.T, b []byte) {
		set(b)
		got, err := c.CreateBatchRun(t.Context(), agent, requested)
		noKey(t, err, got)
		if err != nil {
			var u *sigmamind.UncertainCreateError
			if got != nil || !errors.As(err, &u) || !u.Created || u.Retryable() {
				t.Fatalf("got %v with %v (%T), want an error saying a batch run was created", got, err, err)
			}
			return
		}
		if got.BatchID == "" || len(got.BatchID) > sigmamind.MaxIDLength || strings.ContainsFunc(got.BatchID, unicode.IsControl) ||
			got.CreatedDate.IsZero() || got.CreatedDate.After(fixedNow.Add(sigmamind.MaxClockSkew)) ||
			got.Agent == nil || strings.TrimPrefix(got.Agent.AgentID, "agent_") != "T" {
			t.Errorf("an unusable answer was taken: %+v", got)
		}
	})
}

// FuzzDecodeBatchRun: whatever the answer for one batch run, it is the one
// asked for and passes Validate, or it is an error.
func FuzzDecodeBatchRun(f *testing.F) {
	good, err := json.Marshal(run(0))
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(good), string(good[:len(good)/2]),
		`{"batchId":"batch_000","createdDate":"2026-05-05T10:06:43Z","successfulAttempts":1,"failedAttempts":0,"totalAttempts":1,"agent":{"agentId":"T"}}`,
		`{"batchId":"batch_001","createdDate":"2026-05-05T10:06:43Z","successfulAttempts":1,"failedAttempts":0,"totalAttempts":1,"agent":{"agentId":"T"}}`,
		`{"data":[]}`, `[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	c, set := fuzzServer(f, 200)
	f.Fuzz(func(t *testing.T, b []byte) {
		set(b)
		got, err := c.BatchRun(t.Context(), agent, "batch_000")
		noKey(t, err, got)
		if err != nil {
			var de *sigmamind.DataError
			var re *sigmamind.ResponseError
			if got != nil || !errors.As(err, &de) && !errors.As(err, &re) {
				t.Fatalf("got %v with %v (%T)", got, err, err)
			}
			return
		}
		if got.BatchID != "batch_000" {
			t.Errorf("batch run %q taken for batch_000", got.BatchID)
		}
		if verr := sigmamind.Validate(got); verr != nil {
			t.Errorf("a batch run that fails Validate was taken: %v", verr)
		}
	})
}
