package prcomment_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/prcomment"
)

// TestUpsertNamesAStranger: a token whose comments are not written as an
// identity Upsert can recognise later (a GitHub App's installation token:
// GET /user is refused, and the comment is the App's bot's) would create a
// comment on every run; Upsert says who wrote it, so that the caller can
// warn.
func TestUpsertNamesAStranger(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, author string
		want         string
	}{
		{"the job's token", `{"login":"github-actions[bot]","id":41898282,"type":"Bot"}`, ""},
		{"an app's token", `{"login":"my-app[bot]","id":3,"type":"Bot"}`, "my-app[bot]"},
		{"a hostile login", `{"login":"x\n::error::forged","id":3,"type":"Bot"}`, "x ::error::forged"},
		{"no login", `{"id":3,"type":"Bot"}`, "an unnamed user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch {
				case r.URL.Path == "/user":
					w.WriteHeader(403)
					fmt.Fprint(w, `{"message":"Resource not accessible by integration"}`)
				case r.Method == "GET":
					fmt.Fprint(w, `[]`)
				default:
					w.WriteHeader(201)
					fmt.Fprintf(w, `{"id":5,"user":%s}`, tc.author)
				}
			}))
			defer gh.Close()
			target := prcomment.Target{APIURL: gh.URL, Owner: "octo", Repo: "repo", Number: 7}
			res, err := prcomment.Upsert(context.Background(), nil, "ghs_0123456789abcdef", target, prcomment.Marker([]string{"agent_x"}), "body", true)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(prcomment.Result{Action: prcomment.Created, ID: 5, Stranger: tc.want}, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}
