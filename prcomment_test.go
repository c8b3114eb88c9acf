package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/prcomment"
	"github.com/sigmagate/sigmagate/internal/prcomment/prcommenttest"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// prEnv is the runner's environment of a pull_request event for pull
// request 7 of octo/repo, with GitHub's API at gh.
func prEnv(t *testing.T, gh *prcommenttest.Server, event string) map[string]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(path, []byte(`{"action":"synchronize","number":7,"pull_request":{"number":7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": path, "GITHUB_REPOSITORY": "octo/repo",
		"GITHUB_API_URL": gh.URL, "GITHUB_SERVER_URL": "https://github.com", "GITHUB_RUN_ID": "4242"}
}

// writes are the requests that wrote a comment.
func writes(gh *prcommenttest.Server) []string {
	var out []string
	for _, r := range gh.Requests() {
		if r.Method == "POST" || r.Method == "PATCH" || r.Method == "DELETE" {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

func failingFake(t *testing.T) *sigmamindtest.Server {
	return steptest.NewFake(t, steptest.Run5("batch_x", time.Now().Add(-time.Hour), 3, 2))
}

func passingFake(t *testing.T) *sigmamindtest.Server {
	return steptest.NewFake(t, steptest.Run5("batch_x", time.Now().Add(-time.Hour), 5, 0))
}

// TestPRCommentCreatedOnceThenUpdated: the first run creates the comment,
// the next updates it in place; nobody else's comment is touched, and
// the comment says what the summary's head says, with a link to the run.
func TestPRCommentCreatedOnceThenUpdated(t *testing.T) {
	t.Parallel()
	gh := prcommenttest.NewServer()
	t.Cleanup(gh.Close)
	marker := prcomment.Marker([]string{"agent_x"})
	human := gh.AddComment("octo", "repo", 7, prcommenttest.User{Login: "mallory", ID: 7, Type: "User"}, marker+"\nplease edit me")
	env := prEnv(t, gh, "pull_request")

	s := runStep(t, with(failingFake(t), "pr-comment", "always", "batch-url-template", "https://app.example/b/{batchId}"), env)
	s.CheckHygiene(t)
	if s.Exit != 1 || s.Outputs["result"] != "fail" {
		t.Fatalf("first run: exit %d, result %q; want 1, fail\n%s%s", s.Exit, s.Outputs["result"], s.Stdout, s.Stderr)
	}
	if got := writes(gh); len(got) != 1 || got[0] != "POST /repos/octo/repo/issues/7/comments" {
		t.Fatalf("first run wrote %q, want one POST", got)
	}
	if !strings.Contains(s.Stdout, "sigmagate: pr-comment: created ") {
		t.Errorf("the log does not say the comment was created:\n%s", s.Stdout)
	}
	comments := gh.Comments("octo", "repo", 7)
	if len(comments) != 2 {
		t.Fatalf("%d comments, want the person's and ours", len(comments))
	}
	body := comments[1].Body
	for _, want := range []string{
		marker + "\n## ❌ Failed: SigmaMind simulations of Support bot (agent\\_x)",
		"- **max-failure-rate:** failure rate 40.0% is above the limit",
		"[batch\\_x](https://app.example/b/batch_x)",
		"[job summary](https://github.com/octo/repo/actions/runs/4242)",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the comment lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, steptest.Key) || strings.Contains(body, steptest.GitHubToken) {
		t.Errorf("a secret is in the comment:\n%s", body)
	}

	// Fixed: the next run updates the same comment, now green.
	s = runStep(t, with(passingFake(t), "pr-comment", "always"), env)
	s.CheckHygiene(t)
	if s.Exit != 0 {
		t.Fatalf("second run: exit %d\n%s%s", s.Exit, s.Stdout, s.Stderr)
	}
	got := writes(gh)
	if len(got) != 2 || !strings.HasPrefix(got[1], "PATCH /repos/octo/repo/issues/comments/") {
		t.Fatalf("the runs wrote %q, want one POST, then one PATCH", got)
	}
	comments = gh.Comments("octo", "repo", 7)
	if len(comments) != 2 || !strings.Contains(comments[1].Body, "## ✅ Passed") {
		t.Errorf("after the second run: %d comments, ours %q; want 2, passed", len(comments), comments[len(comments)-1].Body)
	}
	if comments[0].ID != human || comments[0].Body != marker+"\nplease edit me" {
		t.Errorf("the person's comment changed: %+v", comments[0])
	}
}

// TestPRCommentFailuresMode: failures creates no comment for a pass, one
// for a failure, and updates an existing one whatever the verdict.
func TestPRCommentFailuresMode(t *testing.T) {
	t.Parallel()
	gh := prcommenttest.NewServer()
	t.Cleanup(gh.Close)
	env := prEnv(t, gh, "pull_request_target")
	s := runStep(t, with(passingFake(t), "pr-comment", "failures"), env)
	if s.Exit != 0 || len(writes(gh)) != 0 || len(gh.Comments("octo", "repo", 7)) != 0 {
		t.Fatalf("a pass with pr-comment: failures: exit %d, writes %q; want 0, none", s.Exit, writes(gh))
	}
	if !strings.Contains(s.Stdout, "pr-comment: none written") {
		t.Errorf("the log does not say why no comment was written:\n%s", s.Stdout)
	}
	s = runStep(t, with(failingFake(t), "pr-comment", "failures"), env)
	if s.Exit != 1 || len(gh.Comments("octo", "repo", 7)) != 1 {
		t.Fatalf("a fail with pr-comment: failures: exit %d, %d comments; want 1, 1", s.Exit, len(gh.Comments("octo", "repo", 7)))
	}
	s = runStep(t, with(passingFake(t), "pr-comment", "failures"), env)
	comments := gh.Comments("octo", "repo", 7)
	if s.Exit != 0 || len(comments) != 1 || !strings.Contains(comments[0].Body, "✅ Passed") {
		t.Errorf("the fix with pr-comment: failures: exit %d, comments %+v; want the comment updated to passed", s.Exit, comments)
	}
}

// TestPRCommentRefusedTokenOnlyWarns: a token that may not comment (a
// fork's read-only token) leaves a warning; the verdict, exit status and
// outputs stay the verdict's, a pass a pass and a fail a fail. The token,
// echoed by the server, is nowhere.
func TestPRCommentRefusedTokenOnlyWarns(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		fake   func(*testing.T) *sigmamindtest.Server
		exit   int
		result string
	}{
		{"pass", passingFake, 0, "pass"},
		{"fail", failingFake, 1, "fail"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := prcommenttest.NewServer()
			t.Cleanup(gh.Close)
			gh.Refuse(prcommenttest.Refusal{Method: "POST", Status: 403, Message: "Resource not accessible by integration " + steptest.GitHubToken})
			s := runStep(t, with(tt.fake(t), "pr-comment", "always"), prEnv(t, gh, "pull_request"))
			s.CheckHygiene(t)
			if s.Exit != tt.exit || s.Outputs["result"] != tt.result {
				t.Errorf("exit %d, result %q; want %d, %s", s.Exit, s.Outputs["result"], tt.exit, tt.result)
			}
			warn := s.Annotations("warning")
			if len(warn) != 1 || !strings.Contains(warn[0], "403") || !strings.Contains(warn[0], "pull-requests: write") || !strings.Contains(warn[0], "the verdict is unchanged") {
				t.Errorf("warnings %q, want one naming the 403 and the permission", warn)
			}
			if n := len(writes(gh)); n != 1 {
				t.Errorf("%d writes, want the one refused create", n)
			}
		})
	}
}

// TestPRCommentOnlyOnPullRequests: another event skips the comment with a
// log line and no request to GitHub.
func TestPRCommentOnlyOnPullRequests(t *testing.T) {
	t.Parallel()
	gh := prcommenttest.NewServer()
	t.Cleanup(gh.Close)
	env := prEnv(t, gh, "push")
	s := runStep(t, with(failingFake(t), "pr-comment", "always"), env)
	s.CheckHygiene(t)
	if s.Exit != 1 || len(gh.Requests()) != 0 || !strings.Contains(s.Stdout, "sigmagate: pr-comment: skipped: not a pull request event (push)") {
		t.Errorf("push: exit %d, %d requests to GitHub; want 1, none, and a log line\n%s", s.Exit, len(gh.Requests()), s.Stdout)
	}
	// Off, the default: not a request either, on a pull request.
	s = runStep(t, with(failingFake(t)), prEnv(t, gh, "pull_request"))
	if len(gh.Requests()) != 0 || strings.Contains(s.Stdout, "pr-comment") {
		t.Errorf("pr-comment off: %d requests to GitHub\n%s", len(gh.Requests()), s.Stdout)
	}
}

// TestPRCommentAgentSets: matrix jobs for different agents keep a comment
// each; the same set in another order is the same comment. GitHub
// Enterprise's API path is used as GITHUB_API_URL gives it.
func TestPRCommentAgentSets(t *testing.T) {
	t.Parallel()
	gh := prcommenttest.NewServer(prcommenttest.WithPrefix("/api/v3"))
	t.Cleanup(gh.Close)
	env := prEnv(t, gh, "pull_request")
	srv := failingFake(t)
	srv.AddAgent("agent_y")
	for _, agents := range []string{"agent_x", "agent_x,agent_y", "agent_y, agent_x", "agent_x"} {
		s := runStep(t, with(srv, "pr-comment", "always", "agent-id", agents), env)
		s.CheckHygiene(t)
		if len(s.Annotations("warning")) != 0 {
			t.Fatalf("%s: warnings %q", agents, s.Annotations("warning"))
		}
	}
	if n := len(gh.Comments("octo", "repo", 7)); n != 2 {
		t.Errorf("%d comments, want 2: one for agent_x, one for agent_x and agent_y", n)
	}
	for _, r := range gh.Requests() {
		if !strings.HasPrefix(r.Path, "/api/v3/") {
			t.Errorf("request to %s, want under /api/v3/", r.Path)
		}
	}
}

// TestGitHubTokenRedacted: the job's token, echoed by the SigmaMind API in
// any encoding, or by GitHub in a refusal, is in nothing the step leaves,
// the comment included.
func TestGitHubTokenRedacted(t *testing.T) {
	t.Parallel()
	tok := steptest.GitHubToken
	gh := prcommenttest.NewServer()
	t.Cleanup(gh.Close)
	srv := steptest.NewFake(t)
	echo := strings.Join([]string{tok, url.QueryEscape(tok), strings.ReplaceAll(tok, "_", `\u005f`), tok[:10] + "\u200b" + tok[10:]}, " | ")
	srv.Fail(sigmamindtest.Fault{Status: 404, Body: `{"status":404,"error":"Not Found","message":"no agent for ` + strings.ReplaceAll(echo, `"`, `\"`) + `"}`, Times: 10})
	s := runStep(t, with(srv, "pr-comment", "always", "retries", "0"), prEnv(t, gh, "pull_request"))
	s.CheckHygiene(t)
	s.CheckNoKey(t, tok)
	if s.Exit != 3 {
		t.Errorf("exit %d, want 3\n%s%s", s.Exit, s.Stdout, s.Stderr)
	}
	comments := gh.Comments("octo", "repo", 7)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	if found := untrustedtest.Leaks(comments[0].Body, tok); len(found) > 0 || !strings.Contains(comments[0].Body, "🛑 Error") {
		t.Errorf("the comment shows the token as %s, or no error:\n%s", strings.Join(found, ", "), comments[0].Body)
	}
}

// TestPRCommentWithoutAToken: an empty github-token (act and other local
// runners give no job token) is no input error: off pull requests the
// comment is skipped as ever, and on one a warning says why none was
// written; the verdict decides the exit status either way.
func TestPRCommentWithoutAToken(t *testing.T) {
	t.Parallel()
	for _, event := range []string{"push", "pull_request"} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			gh := prcommenttest.NewServer()
			t.Cleanup(gh.Close)
			s := runStep(t, with(failingFake(t), "pr-comment", "always", "github-token", ""), prEnv(t, gh, event))
			s.CheckHygiene(t)
			if s.Exit != 1 || s.Outputs["result"] != "fail" || len(gh.Requests()) != 0 {
				t.Errorf("exit %d, result %q, %d requests to GitHub; want 1, fail, none\n%s%s", s.Exit, s.Outputs["result"], len(gh.Requests()), s.Stdout, s.Stderr)
			}
			warn := s.Annotations("warning")
			if event == "push" && (len(warn) != 0 || !strings.Contains(s.Stdout, "pr-comment: skipped")) {
				t.Errorf("push: warnings %q; want none, and the skip logged\n%s", warn, s.Stdout)
			}
			if event == "pull_request" && (len(warn) != 1 || !strings.Contains(warn[0], "github-token is empty") || !strings.Contains(warn[0], "the verdict is unchanged")) {
				t.Errorf("pull_request: warnings %q; want one saying the token is empty", warn)
			}
		})
	}
}
