package prcomment_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/prcomment"
)

func TestFromEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pr := write("pr.json", `{"action":"synchronize","number":42,"pull_request":{"number":42,"title":"x"}}`)
	env := func(kv ...string) func(string) string {
		m := map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": pr, "GITHUB_REPOSITORY": "octo/gate"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	github := prcomment.Target{APIURL: "https://api.github.com", Owner: "octo", Repo: "gate", Number: 42}
	type result struct {
		Target prcomment.Target
		OK     bool
		Reason string
	}
	for _, tc := range []struct {
		name    string
		getenv  func(string) string
		want    result
		wantErr string
	}{
		{name: "pull_request", getenv: env(), want: result{github, true, ""}},
		{name: "pull_request_target", getenv: env("GITHUB_EVENT_NAME", "pull_request_target"), want: result{github, true, ""}},
		{name: "push", getenv: env("GITHUB_EVENT_NAME", "push"), want: result{Reason: "not a pull request event (push)"}},
		{name: "push reads no event file", getenv: env("GITHUB_EVENT_NAME", "push", "GITHUB_EVENT_PATH", filepath.Join(dir, "missing.json")),
			want: result{Reason: "not a pull request event (push)"}},
		{name: "issue_comment", getenv: env("GITHUB_EVENT_NAME", "issue_comment"), want: result{Reason: "not a pull request event (issue_comment)"}},
		{name: "outside Actions", getenv: func(string) string { return "" },
			want: result{Reason: "not a pull request event (GITHUB_EVENT_NAME is not set: not running in GitHub Actions)"}},
		{name: "event name with a line break", getenv: env("GITHUB_EVENT_NAME", "push\n::error::x"), want: result{Reason: "not a pull request event (push ::error::x)"}},
		{name: "enterprise server", getenv: env("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
			want: result{prcomment.Target{APIURL: "https://ghe.example.com/api/v3", Owner: "octo", Repo: "gate", Number: 42}, true, ""}},
		{name: "missing file", getenv: env("GITHUB_EVENT_PATH", filepath.Join(dir, "missing.json")), wantErr: "read the event file (GITHUB_EVENT_PATH)"},
		{name: "no event path", getenv: env("GITHUB_EVENT_PATH", ""), wantErr: "GITHUB_EVENT_PATH is not set"},
		{name: "garbage file", getenv: env("GITHUB_EVENT_PATH", write("garbage.json", "\x00\x01not json")), wantErr: "is not an event's JSON"},
		{name: "truncated file", getenv: env("GITHUB_EVENT_PATH", write("cut.json", `{"pull_request":{"number":4`)), wantErr: "is not an event's JSON"},
		{name: "array", getenv: env("GITHUB_EVENT_PATH", write("array.json", `[1]`)), wantErr: "is not an event's JSON"},
		{name: "no pull_request", getenv: env("GITHUB_EVENT_PATH", write("nopr.json", `{"number":3}`)), wantErr: "has no pull_request.number"},
		{name: "no number", getenv: env("GITHUB_EVENT_PATH", write("nonum.json", `{"pull_request":{}}`)), wantErr: "has no pull_request.number"},
		{name: "null number", getenv: env("GITHUB_EVENT_PATH", write("null.json", `{"pull_request":{"number":null}}`)), wantErr: "has no pull_request.number"},
		{name: "number 0", getenv: env("GITHUB_EVENT_PATH", write("zero.json", `{"pull_request":{"number":0}}`)), wantErr: "pull_request.number 0, which is not"},
		{name: "negative number", getenv: env("GITHUB_EVENT_PATH", write("neg.json", `{"pull_request":{"number":-5}}`)), wantErr: "pull_request.number -5, which is not"},
		{name: "fraction", getenv: env("GITHUB_EVENT_PATH", write("frac.json", `{"pull_request":{"number":4.5}}`)), wantErr: "pull_request.number 4.5, which is not"},
		{name: "exponent", getenv: env("GITHUB_EVENT_PATH", write("exp.json", `{"pull_request":{"number":1e3}}`)), wantErr: "pull_request.number 1e3, which is not"},
		{name: "huge number", getenv: env("GITHUB_EVENT_PATH", write("huge.json", `{"pull_request":{"number":99999999999999999999}}`)), wantErr: "which is not"},
		{name: "string number", getenv: env("GITHUB_EVENT_PATH", write("str.json", `{"pull_request":{"number":"7"}}`)), wantErr: `pull_request.number "7", which is not`},
		{name: "bad repository", getenv: env("GITHUB_REPOSITORY", "octo"), wantErr: `GITHUB_REPOSITORY "octo" is not OWNER/REPO`},
		{name: "repository with a path", getenv: env("GITHUB_REPOSITORY", "octo/gate/../x"), wantErr: "is not OWNER/REPO"},
		{name: "bad api url", getenv: env("GITHUB_API_URL", "ftp://x"), wantErr: `GITHUB_API_URL "ftp://x" is not an http(s) URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tg, ok, reason, err := prcomment.FromEnv(tc.getenv)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error saying %q", err, tc.wantErr)
				}
				if ok {
					t.Error("ok with an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, result{tg, ok, reason}); diff != "" {
				t.Errorf("FromEnv (-want +got):\n%s", diff)
			}
		})
	}
}

// A file larger than any event is refused without reading it whole.
func TestFromEnvBoundsTheEventFile(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the size without the disk.
	if err := f.Truncate(prcomment.MaxEventBytes + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	getenv := func(k string) string {
		return map[string]string{"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": p, "GITHUB_REPOSITORY": "o/r"}[k]
	}
	_, _, _, err = prcomment.FromEnv(getenv)
	if err == nil || !strings.Contains(err.Error(), "more than any GitHub event (32 MiB)") {
		t.Fatalf("got %v, want the file refused as too large", err)
	}
}
