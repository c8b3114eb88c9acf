package prcomment_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sigmagate/sigmagate/internal/prcomment"
)

// TestPlainHTTPOnlyOnLoopback: the token never travels unencrypted, so an
// http:// API URL is refused unless it names a loopback host (a test's
// fake), both where the runner's environment is read and by Upsert, before
// any request.
func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://ghe.example.com/api/v3", true},
		{"http://127.0.0.1:8080", true},
		{"http://127.9.9.9", true},
		{"http://localhost:3000/api/v3", true},
		{"http://LOCALHOST", true},
		{"http://[::1]:9", true},
		{"http://ghe.example.com/api/v3", false},
		{"http://api.github.com", false},
		{"http://127.0.0.1.nip.io", false},
		{"http://10.0.0.1", false},
		{"HTTP://ghe.example.com", false},
	} {
		t.Run(tc.url, func(t *testing.T) {
			t.Parallel()
			_, _, _, err := prcomment.FromEnv(func(k string) string {
				return map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_API_URL": tc.url,
					"GITHUB_REPOSITORY": "octo/repo", "GITHUB_EVENT_PATH": "/nonexistent"}[k]
			})
			// With a good URL, FromEnv goes on to the missing event file.
			if got := err != nil && strings.Contains(err.Error(), "GITHUB_API_URL"); got == tc.ok {
				t.Errorf("FromEnv: %v; want the URL accepted: %v", err, tc.ok)
			}
			if !tc.ok && !strings.Contains(err.Error(), "unencrypted") {
				t.Errorf("FromEnv: %v; want it to say why http is refused", err)
			}
			var sent atomic.Int32
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				sent.Add(1)
				return nil, errors.New("no network in this test")
			})}
			target := prcomment.Target{APIURL: tc.url, Owner: "octo", Repo: "repo", Number: 7}
			_, err = prcomment.Upsert(context.Background(), hc, "ghs_0123456789abcdef", target, prcomment.Marker([]string{"agent_x"}), "body", true)
			if tc.ok != (sent.Load() > 0) {
				t.Errorf("Upsert: %d requests sent, error %v; want a request: %v", sent.Load(), err, tc.ok)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
