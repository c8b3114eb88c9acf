package sigmamind_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// pageOf is the JSON of a page as the fake server writes it, with edit
// applied to the text of its batch runs.
func pageOf(t *testing.T, runs []sigmamind.BatchRun, edit func(i int, run string) string) string {
	t.Helper()
	parts := make([]string, len(runs))
	for i, r := range runs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		parts[i] = string(b)
		if edit != nil {
			parts[i] = edit(i, parts[i])
		}
	}
	return `{"data":[` + strings.Join(parts, ",") + fmt.Sprintf(`],"page":0,"size":%d,"totalCount":%d,"totalPages":1,"hasNext":false,"hasPrevious":false}`, len(runs), len(runs))
}

// TestOverridesAreRefused: encoding/json would read the last of two keys
// that differ only in case, or of two equal keys; the client refuses the
// batch run instead of judging the override.
func TestOverridesAreRefused(t *testing.T) {
	t.Parallel()
	failing := run(1)
	failing.SuccessfulAttempts, failing.FailedAttempts = 0, 5
	add := func(s string) func(string) string {
		return func(r string) string { return strings.TrimSuffix(r, "}") + s + "}" }
	}
	tests := []struct {
		name string
		edit func(string) string
		want string
	}{
		{name: "case variant", edit: add(`,"FailedAttempts":0`),
			want: `the batch run has the key "FailedAttempts", which is failedAttempts in another case: refused, so that it cannot stand for failedAttempts`},
		{name: "duplicate", edit: add(`,"failedAttempts":0`), want: `the batch run has the key failedAttempts twice`},
		{name: "escaped duplicate", edit: add(`,"\u0066ailedAttempts":0`), want: `the batch run has the key failedAttempts twice`},
		{name: "null count", edit: func(r string) string { return strings.Replace(r, `"failedAttempts":5`, `"failedAttempts":null`, 1) },
			want: `failedAttempts is null, want an integer`},
		{name: "in a test case", edit: func(r string) string { return strings.Replace(r, `"attempt":5`, `"attempt":5,"Attempt":50`, 1) },
			want: `testCases[0] has the key "Attempt", which is attempt in another case: refused, so that it cannot stand for attempt`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := pageOf(t, []sigmamind.BatchRun{run(0), failing, run(2)}, func(i int, r string) string {
				if i != 1 {
					return r
				}
				if e := tt.edit(r); e != r {
					return e
				}
				t.Fatalf("the edit changed nothing in %s", r)
				return r
			})
			srv := newServer(t)
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: body})
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			// The page comes with its one bad row named; the others stand.
			_, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
			var de *sigmamind.DataError
			if !errors.As(err, &de) {
				t.Fatalf("got error %v (%T), want a *DataError", err, err)
			}
			if diff := cmp.Diff(&sigmamind.DataError{BatchID: "batch_001", Problem: tt.want}, de,
				cmpopts.IgnoreFields(sigmamind.DataError{}, "Created", "Page", "Row")); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunsPerPageAreBounded: a page holds the batch runs asked for, or a
// page of MaxPageSize; a server that sends more is not read.
func TestRunsPerPageAreBounded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		size, runs int
		wantErr    bool
	}{
		{size: 10, runs: sigmamind.MaxPageSize},
		{size: 10, runs: sigmamind.MaxPageSize + 1, wantErr: true},
		{size: 150, runs: 150},
		{size: 150, runs: 151, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d of %d", tt.runs, tt.size), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t)
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: pageOf(t, runs(0, tt.runs), nil)})
			c, _ := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			page, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: tt.size})
			if !tt.wantErr {
				if err != nil || len(page.Data) != tt.runs {
					t.Fatalf("got %v, want %d batch runs", err, tt.runs)
				}
				return
			}
			var re *sigmamind.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("got error %v (%T), want a *ResponseError", err, err)
			}
			want := fmt.Sprintf("the page has more than %d batch runs: the gate does not read it", max(tt.size, sigmamind.MaxPageSize))
			if diff := cmp.Diff(want, re.Problem); diff != "" {
				t.Errorf("problem mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStreamedBodyProblemsComeInOrder: the body is decoded as it arrives,
// yet a body too large is reported as such whatever else is wrong with it,
// and a body that is not JSON as such whatever it holds, as when bodies were
// read whole first.
func TestStreamedBodyProblemsComeInOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 32 MiB")
	}
	t.Parallel()
	tooLarge := "the response is larger than 32 MiB; the gate does not read it"
	tests := []struct {
		name, body, contentType, want string
	}{
		{name: "broken and too large", body: `{"data":[` + strings.Repeat("x", sigmamind.MaxBodyBytes), want: tooLarge},
		{name: "a valid page and too large", body: `{"data":[],"hasNext":false}` + strings.Repeat(" ", sigmamind.MaxBodyBytes), want: tooLarge},
		{name: "html and too large", body: "<html>" + strings.Repeat(" ", sigmamind.MaxBodyBytes), contentType: "text/html", want: tooLarge},
		{name: "a refused page and too large", body: `{"data":null,"hasNext":false}` + strings.Repeat(" ", sigmamind.MaxBodyBytes), want: tooLarge},
		{name: "a page as text", body: `{"data":[],"hasNext":false}`, contentType: "text/plain", want: "the response is text/plain, not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t)
			srv.Fail(sigmamindtest.Fault{Status: 200, Body: tt.body, ContentType: tt.contentType})
			c, sl := newClient(t, srv.URL, sigmamindtest.DefaultAPIKey)
			_, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
			var re *sigmamind.ResponseError
			if !errors.As(err, &re) {
				t.Fatalf("got error %v (%T), want a *ResponseError", err, err)
			}
			if diff := cmp.Diff(tt.want, re.Problem); diff != "" {
				t.Errorf("problem mismatch (-want +got):\n%s", diff)
			}
			if n := len(sl.Durations()); n != 0 {
				t.Errorf("retried %d times", n)
			}
		})
	}
}

// TestPageProblemsShowARedactedExcerpt: a page refused as a whole still says
// what the body began with, without the key.
func TestPageProblemsShowARedactedExcerpt(t *testing.T) {
	t.Parallel()
	srv := newServer(t, sigmamindtest.WithAPIKey(secret))
	srv.Fail(sigmamindtest.Fault{Status: 200, Body: `{"note":"` + secret + `","data":[],"HasNext":false,"hasNext":true}`})
	c, _ := newClient(t, srv.URL, secret)
	_, err := c.ListBatchRuns(t.Context(), agent, sigmamind.ListOptions{Size: 10})
	want := &sigmamind.ResponseError{Method: "GET", Path: listPath,
		Problem: `the response is not a batch run page: the page has the key "HasNext", which is hasNext in another case: refused, so that it cannot stand for hasNext`,
		Excerpt: `{"note":"***","data":[],"HasNext":false,"hasNext":true}`}
	var re *sigmamind.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("got error %v (%T), want a *ResponseError", err, err)
	}
	if diff := cmp.Diff(want, re); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
}
