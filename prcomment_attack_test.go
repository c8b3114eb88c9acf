package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sigmagate/sigmagate/internal/prcomment"
	"github.com/sigmagate/sigmagate/internal/prcomment/prcommenttest"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// TestPRCommentFitsWithTheLongestMarker: 50 agents whose ids make the
// longest marker, each failing with a long error, still get their comment,
// under GitHub's limit in characters, saying what it left out.
func TestPRCommentFitsWithTheLongestMarker(t *testing.T) {
	t.Parallel()
	gh := prcommenttest.NewServer()
	t.Cleanup(gh.Close)
	srv := steptest.NewFake(t)
	ids := make([]string, 50)
	for i := range ids {
		// Every '-' after another is written %2D in the marker: 128
		// characters of id become about 380 of marker.
		ids[i] = fmt.Sprintf("a%02d", i) + strings.Repeat("-", 125)
		// A name that escaping makes four times as long, and four
		// broken rules each.
		run := steptest.Run5("batch_"+fmt.Sprint(i), time.Now().Add(-time.Hour), 3, 2)
		run.Agent = &sigmamind.Agent{Name: strings.Repeat("<", 100), AgentID: ids[i], Status: "Live"}
		srv.AddBatchRuns(ids[i], run)
	}
	s := runStep(t, with(srv, "pr-comment", "always", "agent-id", strings.Join(ids, ","),
		"min-success-rate", "99%", "max-failed-attempts", "0", "min-attempts", "100"), prEnv(t, gh, "pull_request"))
	s.CheckHygiene(t)
	if s.Exit != 1 {
		t.Errorf("exit %d, want 1", s.Exit)
	}
	if w := s.Annotations("warning"); len(w) != 0 {
		t.Errorf("warnings %q, want none", w)
	}
	comments := gh.Comments("octo", "repo", 7)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1\n%s", len(comments), s.Stdout)
	}
	body := comments[0].Body
	t.Logf("comment: %d characters, %d bytes, %d of marker", utf8.RuneCountInString(body), len(body), len(prcomment.Marker(ids)))
	if n := utf8.RuneCountInString(body); n >= 65536 {
		t.Errorf("the comment is %d characters, GitHub takes fewer than 65,536", n)
	}
	if !strings.HasPrefix(body, prcomment.Marker(ids)+"\n") || !strings.Contains(body, "left out of this comment") {
		t.Errorf("the comment lacks its marker or the line that says what it left out:\n%s", body[len(prcomment.Marker(ids)):])
	}
	steptest.CheckTables(t, body)
}

// TestPRCommentHostileGitHub: whatever GitHub answers, or when it never
// answers, the verdict and exit status are the gate's, the step ends
// within timeout of the gate's end, and the token is nowhere.
func TestPRCommentHostileGitHub(t *testing.T) {
	t.Parallel()
	tok := steptest.GitHubToken
	echo := strings.Join([]string{tok, url.QueryEscape(tok), strings.ReplaceAll(tok, "_", `\u005f`), tok[:10] + "\u200b" + tok[10:], tok[:6] + "%" + fmt.Sprintf("%02X", tok[6]) + tok[7:]}, " ")
	var elsewhere sync.Mutex
	var elsewhereHits []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Lock()
		elsewhereHits = append(elsewhereHits, r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization"))
		elsewhere.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[]`)
	}))
	t.Cleanup(other.Close)
	for _, tt := range []struct {
		name    string
		handler http.HandlerFunc
		warn    string
	}{
		{"hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }, "stopped"},
		{"trickle", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			for {
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}, "pull request comment"},
		{"500 echoing the token", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			fmt.Fprintf(w, `{"message":%q,"documentation_url":%q}`, "boom "+echo, "https://docs.github.com/"+url.PathEscape(tok))
		}, "500"},
		{"rate limit", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", fmt.Sprint(time.Now().Add(time.Hour).Unix()))
			w.WriteHeader(403)
			fmt.Fprintf(w, `{"message":"API rate limit exceeded for %s"}`, tok)
		}, "rate limit"},
		{"secondary rate limit", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(403)
			fmt.Fprint(w, `{"message":"You have exceeded a secondary rate limit","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}`)
		}, "secondary rate limit"},
		{"redirect elsewhere", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path+"?token="+tok, http.StatusTemporaryRedirect)
		}, "not the API's host"},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}, "redirect"},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, "<html>"+echo+"</html>")
		}, "pull request comment"},
		{"huge", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/user" {
				w.WriteHeader(403)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `[{"id":1,"body":"`)
			chunk := strings.Repeat("a", 1<<16)
			for i := 0; i < 1024; i++ {
				if _, err := fmt.Fprint(w, chunk); err != nil {
					return
				}
			}
		}, "larger than"},
		{"html_url echoing the token", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			switch {
			case r.URL.Path == "/user":
				w.WriteHeader(403)
			case r.Method == "GET":
				fmt.Fprint(w, `[]`)
			default:
				w.WriteHeader(201)
				fmt.Fprintf(w, `{"id":5,"html_url":%q}`, "https://github.com/octo/repo/pull/7#"+url.QueryEscape(echo))
			}
		}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := httptest.NewServer(tt.handler)
			t.Cleanup(gh.Close)
			env := prEnv(t, &prcommenttest.Server{URL: gh.URL}, "pull_request")
			for _, v := range []struct {
				fake func(*testing.T) *sigmamindtest.Server
				exit int
			}{{passingFake, 0}, {failingFake, 1}} {
				start := time.Now()
				s := runStep(t, with(v.fake(t), "pr-comment", "always", "timeout", "3s"), env)
				took := time.Since(start)
				s.CheckHygiene(t)
				s.CheckNoKey(t, tok)
				if s.Exit != v.exit {
					t.Errorf("exit %d, want %d\n%s%s", s.Exit, v.exit, s.Stdout, s.Stderr)
				}
				if took > 3*time.Second+5*time.Second {
					t.Errorf("the step took %s with timeout 3s", took)
				}
				w := s.Annotations("warning")
				switch {
				case tt.warn == "" && len(w) != 0:
					t.Errorf("warnings %q, want none", w)
				case tt.warn != "" && (len(w) != 1 || !strings.Contains(w[0], tt.warn) || !strings.Contains(w[0], "the verdict is unchanged")):
					t.Errorf("warnings %q, want one containing %q", w, tt.warn)
				}
			}
		})
	}
	t.Cleanup(func() {
		elsewhere.Lock()
		defer elsewhere.Unlock()
		if len(elsewhereHits) > 0 {
			t.Errorf("requests reached another host: %q", elsewhereHits)
		}
	})
}

// TestPRCommentTouchesNothingElse: comments that look like ours but are not
// (a person's, another bot's, another agent set's, the marker spelt
// otherwise or not first) are never edited; a second run edits the one
// comment the first created.
func TestPRCommentTouchesNothingElse(t *testing.T) {
	t.Parallel()
	gh := prcommenttest.NewServer()
	t.Cleanup(gh.Close)
	gh.SetPageSize(2) // ours is on the last page
	marker := prcomment.Marker([]string{"agent_x"})
	person := prcommenttest.User{Login: "mallory", ID: 7, Type: "User"}
	otherBot := prcommenttest.User{Login: "sigmagate[bot]", ID: 8, Type: "Bot"}
	fakeActions := prcommenttest.User{Login: "github-actions[bot]", ID: 9, Type: "User"}
	bodies := []struct {
		user prcommenttest.User
		body string
	}{
		{person, marker + "\nplease edit me"},
		{person, marker},
		{otherBot, marker + "\nanother bot"},
		{fakeActions, marker + "\nnot a bot"},
		{prcommenttest.ActionsBot, prcomment.Marker([]string{"agent_x", "agent_y"}) + "\nsuperset"},
		{prcommenttest.ActionsBot, prcomment.Marker([]string{"agent_"}) + "\nprefix"},
		{prcommenttest.ActionsBot, "<!--  sigmagate: agent_x -->\nspacing"},
		{prcommenttest.ActionsBot, "<!-- SIGMAGATE: agent_x -->\ncase"},
		{prcommenttest.ActionsBot, "<!-- sigmagate: agent_x-->\nspacing"},
		{prcommenttest.ActionsBot, "hello\n" + marker + "\nsecond line"},
		{prcommenttest.ActionsBot, " " + marker + "\nleading space"},
		{prcommenttest.ActionsBot, marker + " trailing\n"},
		{prcommenttest.ActionsBot, "\ufeff" + marker + "\nBOM"},
	}
	for _, b := range bodies {
		gh.AddComment("octo", "repo", 7, b.user, b.body)
	}
	before := gh.Comments("octo", "repo", 7)
	env := prEnv(t, gh, "pull_request")
	for run := range 2 {
		s := runStep(t, with(failingFake(t), "pr-comment", "always"), env)
		s.CheckHygiene(t)
		if s.Exit != 1 || len(s.Annotations("warning")) != 0 {
			t.Fatalf("run %d: exit %d, warnings %q", run, s.Exit, s.Annotations("warning"))
		}
	}
	after := gh.Comments("octo", "repo", 7)
	if len(after) != len(before)+1 {
		t.Fatalf("%d comments, want %d: one created, then updated", len(after), len(before)+1)
	}
	for i, c := range before {
		if after[i].Body != c.Body || !after[i].UpdatedAt.Equal(c.UpdatedAt) {
			t.Errorf("comment %d (%q) was edited: %q", i, c.Body, after[i].Body)
		}
	}
	if got := writes(gh); len(got) != 2 || got[0] != "POST /repos/octo/repo/issues/7/comments" || !strings.HasPrefix(got[1], "PATCH ") {
		t.Errorf("writes %q, want one POST and one PATCH", got)
	}
}

// TestPRCommentHostileText: names, ids and error texts from the API cannot
// break the comment's markdown, close its marker, hide its rest, or start
// a workflow command in the log lines about the comment.
func TestPRCommentHostileText(t *testing.T) {
	t.Parallel()
	gh := prcommenttest.NewServer()
	t.Cleanup(gh.Close)
	hostile := "x | y |\n::error::forged\r\n<!-- hide ](javascript:alert(1)) `code` **bold** <img src=x onerror=alert(1)> --> @everyone #1"
	srv := sigmamindtest.NewServer(sigmamindtest.WithAPIKey(steptest.Key))
	t.Cleanup(srv.Close)
	run := steptest.Run5("batch_x|](javascript:alert(1))", time.Now().Add(-time.Hour), 3, 2)
	run.Agent = &sigmamind.Agent{Name: hostile, AgentID: "agent_x", Status: "Live"}
	run.TestCases[0].Label = hostile
	srv.AddBatchRuns("agent_x", run)
	runY := steptest.Run5("batch_y", time.Now().Add(-time.Hour), 1, 4)
	runY.Agent = &sigmamind.Agent{Name: hostile, AgentID: "agent_y", Status: "Live"}
	srv.AddBatchRuns("agent_y", runY)
	for _, pass := range []struct {
		agents string
		fault  bool
	}{{"agent_x", false}, {"agent_x,agent_y", false}, {"agent_x,agent_y", true}} {
		agents := pass.agents
		if pass.fault {
			// The API's error text, too, is the comment's.
			srv.Fail(sigmamindtest.Fault{Status: 400, Body: fmt.Sprintf(`{"status":400,"error":"Bad Request","message":%q}`, hostile), Times: 100})
		}
		s := runStep(t, with(srv, "pr-comment", "always", "retries", "0", "agent-id", agents, "batch-url-template", "https://app.example/b/{batchId}"), prEnv(t, gh, "pull_request"))
		s.CheckHygiene(t)
		for _, c := range gh.Comments("octo", "repo", 7) {
			if !strings.HasPrefix(c.Body, prcomment.Marker(strings.Split(agents, ","))+"\n") {
				continue
			}
			steptest.CheckTables(t, c.Body)
			_, rest, _ := strings.Cut(c.Body, "\n")
			for _, bad := range []string{"<!--", "-->", "<img", "\n::error::"} {
				if strings.Contains(rest, bad) {
					t.Errorf("%s: the comment holds %q:\n%s", agents, bad, c.Body)
				}
			}
			for _, bad := range []string{"](javascript:", "@everyone"} {
				if strings.Contains(strings.ReplaceAll(rest, `\`+bad[:1], ""), bad) {
					t.Errorf("%s: the comment holds %q unescaped:\n%s", agents, bad, c.Body)
				}
			}
			if !strings.Contains(c.Body, "x \\| y \\|") {
				t.Errorf("%s: the hostile text is not in the comment, so this test tests nothing:\n%s", agents, c.Body)
			}
		}
	}
}

// TestPRCommentHostileEvent: an event file or repository that is not what
// the runner writes is a warning with the value, and nothing is written.
func TestPRCommentHostileEvent(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, event, repo, want string
		apiURL                  string // "" for the fake's
	}{
		{"not JSON", "not json", "octo/repo", "not an event's JSON", ""},
		{"number as string", `{"pull_request":{"number":"7"}}`, "octo/repo", `pull_request.number "7"`, ""},
		{"number 0", `{"pull_request":{"number":0}}`, "octo/repo", "pull_request.number 0", ""},
		{"negative", `{"pull_request":{"number":-7}}`, "octo/repo", "pull_request.number -7", ""},
		{"float", `{"pull_request":{"number":7.5}}`, "octo/repo", "pull_request.number 7.5", ""},
		{"huge number", `{"pull_request":{"number":99999999999999999999}}`, "octo/repo", "99999999999999999999", ""},
		{"no pull request", `{"number":7}`, "octo/repo", "no pull_request.number", ""},
		{"null", `null`, "octo/repo", "no pull_request.number", ""},
		{"traversal", `{"pull_request":{"number":7}}`, "../..", `GITHUB_REPOSITORY "../.."`, ""},
		{"traversal in repo", `{"pull_request":{"number":7}}`, "octo/../../user", "is not OWNER/REPO", ""},
		{"odd chars", `{"pull_request":{"number":7}}`, "octo/re?po#x", "is not OWNER/REPO", ""},
		{"encoded slash", `{"pull_request":{"number":7}}`, "octo/a%2F..", "is not OWNER/REPO", ""},
		{"plain http", `{"pull_request":{"number":7}}`, "octo/repo", "would send the token unencrypted", "http://ghe.example.com/api/v3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := prcommenttest.NewServer()
			t.Cleanup(gh.Close)
			env := prEnv(t, gh, "pull_request")
			path := filepath.Join(t.TempDir(), "event.json")
			if err := os.WriteFile(path, []byte(tt.event), 0o644); err != nil {
				t.Fatal(err)
			}
			env["GITHUB_EVENT_PATH"], env["GITHUB_REPOSITORY"] = path, tt.repo
			if tt.apiURL != "" {
				env["GITHUB_API_URL"] = tt.apiURL
			}
			s := runStep(t, with(failingFake(t), "pr-comment", "always"), env)
			s.CheckHygiene(t)
			if s.Exit != 1 || len(gh.Requests()) != 0 {
				t.Errorf("exit %d, %d requests to GitHub; want 1, none", s.Exit, len(gh.Requests()))
			}
			if w := s.Annotations("warning"); len(w) != 1 || !strings.Contains(w[0], tt.want) {
				t.Errorf("warnings %q, want one containing %q", w, tt.want)
			}
		})
	}
}

// TestPRCommentSecretsStayHome: the token goes to GitHub only and the key
// to SigmaMind only, in no header, path or body of the other's requests.
func TestPRCommentSecretsStayHome(t *testing.T) {
	t.Parallel()
	gh := prcommenttest.NewServer()
	t.Cleanup(gh.Close)
	srv := failingFake(t)
	s := runStep(t, with(srv, "pr-comment", "always"), prEnv(t, gh, "pull_request"))
	s.CheckHygiene(t)
	if len(gh.Comments("octo", "repo", 7)) != 1 {
		t.Fatalf("no comment\n%s", s.Stdout)
	}
	for _, r := range srv.Requests() {
		all := fmt.Sprint(r.Method, r.Path, r.Query, r.Header, string(r.Body))
		if found := untrustedtest.Leaks(all, steptest.GitHubToken); len(found) > 0 {
			t.Errorf("the token went to the SigmaMind API as %s: %s", strings.Join(found, ", "), all)
		}
	}
	for _, r := range gh.Requests() {
		all := fmt.Sprint(r.Method, r.Path, r.Query, r.Header, string(r.Body))
		if found := untrustedtest.Leaks(all, steptest.Key); len(found) > 0 {
			t.Errorf("the key went to GitHub as %s: %s", strings.Join(found, ", "), all)
		}
	}
}

// TestPRCommentAppTokenWarns: a token that comments as an identity a later
// run cannot recognise (a GitHub App's installation token) would add a
// comment on every run; the first one says so, and the verdict stands.
func TestPRCommentAppTokenWarns(t *testing.T) {
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
			fmt.Fprint(w, `{"id":5,"html_url":"https://github.com/octo/repo/pull/7#issuecomment-5","user":{"login":"my-app[bot]","id":3,"type":"Bot"}}`)
		}
	}))
	t.Cleanup(gh.Close)
	s := runStep(t, with(failingFake(t), "pr-comment", "always"), prEnv(t, &prcommenttest.Server{URL: gh.URL}, "pull_request"))
	s.CheckHygiene(t)
	if s.Exit != 1 {
		t.Errorf("exit %d, want 1", s.Exit)
	}
	if w := s.Annotations("warning"); len(w) != 1 || !strings.Contains(w[0], "as my-app[bot], which a later run cannot tell for its own") || !strings.Contains(w[0], "github-token") {
		t.Errorf("warnings %q, want one naming my-app[bot] and github-token", w)
	}
}
