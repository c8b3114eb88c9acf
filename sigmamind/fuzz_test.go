package sigmamind_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// FuzzDecodePage sends arbitrary bytes as a 200 answer to the list request.
// Whatever the body, the client must not panic, must either fail with a
// *ResponseError or return a page whose batch runs pass Validate but for
// those its RowErrors name, and must never let the API key through.
func FuzzDecodePage(f *testing.F) {
	sample := sigmamind.Page[sigmamind.BatchRun]{
		Data:       sigmamindtest.SampleRuns(fixedNow, sigmamindtest.SampleAgentID, sigmamindtest.ScenarioFailing)[:2],
		Size:       2,
		TotalCount: 12,
		TotalPages: 6,
		HasNext:    true,
	}
	realistic, err := json.Marshal(sample)
	if err != nil {
		f.Fatal(err)
	}
	seeds := []string{
		string(realistic),
		string(realistic[:len(realistic)/2]),
		`{"data":[],"page":0,"size":10,"totalCount":0,"totalPages":0,"hasNext":false,"hasPrevious":false}`,
		`{"data":[{"batchId":"batch_1","createdDate":"2026-03-26T10:52:45.565Z","testCases":[{"testCaseId":"tc_1","attempt":5}],"successfulAttempts":4,"failedAttempts":1,"totalAttempts":5}],"hasNext":false}`,
		`{"data":[{"batchId":"b","createdDate":"2023-11-07T05:31:56Z","successfulAttempts":-1,"failedAttempts":0,"totalAttempts":5}]}`,
		`{"data":[{"batchId":"b","successfulAttempts":3,"failedAttempts":3,"totalAttempts":5}]}`,
		`{"data":[{"batchId":"","totalAttempts":1}]}`,
		`{"data":[{"batchId":"b","testCases":[{"testCaseId":"t","attempt":-1}]}]}`,
		`{"data":[{"batchId":"b","successfulAttempts":9223372036854775807,"failedAttempts":1,"totalAttempts":9223372036854775807}]}`,
		`{"data":[{"batchId":"b","totalAttempts":1e3}]}`,
		`{"data":[null]}`,
		`{"data":null}`,
		`{}`,
		`null`,
		`[]`,
		``,
		`<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>`,
		`{"data":[{"batchId":"batch_sk-SECRET-123","agent":{"name":"sk-SECRET-123"},"testCases":[{"label":"sk-SECRET-123","userPrompt":"say sk-SECRET-123"}]}]}`,
		`{"data":[{"batchId":"b","createdDate":"sk-SECRET-123"}]}`,
		`{"data":[{"batchId":"sk-SECRET\u002d123","successfulAttempts":-1}]}`,
		`<html>sk-SECRET-123</html>`,
		"{\"data\":[{\"batchId\":\"\xff\xfe\"}]}",
	}
	for _, s := range seeds {
		f.Add([]byte(s), true)
	}
	f.Add([]byte(`<html>sk-SECRET-123</html>`), false)
	f.Add(realistic, false)

	var (
		mu       sync.Mutex
		body     []byte
		jsonType bool
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b, j := body, jsonType
		mu.Unlock()
		if j {
			w.Header().Set("Content-Type", "application/json")
		} else {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
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

	f.Fuzz(func(t *testing.T, b []byte, j bool) {
		mu.Lock()
		body, jsonType = b, j
		mu.Unlock()

		page, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
		var rows sigmamind.RowErrors
		if errors.As(err, &rows) {
			// Some rows cannot be used; the page comes with them named.
			if page == nil || len(rows) == 0 || len(rows) > len(page.Data) {
				t.Fatalf("row errors %v with page %+v", err, page)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(errorFields(err), secret) {
				t.Errorf("the error has the key: %v", err)
			}
		} else if err != nil {
			if page != nil {
				t.Errorf("got a page with error %v", err)
			}
			var (
				re *sigmamind.ResponseError
				de *sigmamind.DataError
			)
			switch {
			case errors.As(err, &re):
				if strings.ContainsAny(re.Excerpt, "\r\n") || utf8.RuneCountInString(re.Excerpt) > 161 {
					t.Errorf("excerpt is not short and on one line: %q", re.Excerpt)
				}
			case errors.As(err, &de):
				if !j {
					t.Errorf("a non-JSON answer was decoded: %v", err)
				}
			default:
				t.Fatalf("a 200 answer failed with %v (%T)", err, err)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(errorFields(err), secret) {
				t.Errorf("the error has the key: %v", err)
			}
			return
		}
		if !j {
			t.Fatalf("a text/html answer was accepted: %q", b)
		}
		if page == nil || page.Data == nil {
			t.Fatalf("no error and no data: %+v", page)
		}
		bad := map[int]bool{}
		for _, de := range rows {
			if de.Row < 1 || de.Row > len(page.Data) || bad[de.Row] {
				t.Errorf("row error at row %d of a page of %d: %v", de.Row, len(page.Data), de)
			}
			bad[de.Row] = true
		}
		for i := range page.Data {
			if verr := sigmamind.Validate(&page.Data[i]); verr != nil && !bad[i+1] {
				t.Errorf("a batch run not named among the row errors does not pass Validate: %v", verr)
			}
		}
		out, merr := json.Marshal(page)
		if merr != nil {
			t.Fatalf("the page does not marshal: %v", merr)
		}
		if strings.Contains(string(out), secret) {
			t.Errorf("the page has the key: %s", out)
		}
	})
}
