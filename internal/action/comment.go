package action

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/sigmagate/sigmagate/internal/prcomment"
	"github.com/sigmagate/sigmagate/internal/untrusted"
	"github.com/sigmagate/sigmagate/report"
)

// comment leaves the report on the pull request, as pr-comment asks. It
// never changes the step's status: the comment is a copy of the summary's
// head, and a token that may not comment (a pull request from a fork gets a
// read-only one) must not fail a gate that passed, nor pass one that
// failed. Whatever keeps it from commenting is a warning.
func (s *step) comment(ctx context.Context, l loaded, results []report.Result) {
	cfg := l.cfg
	if cfg.PRComment == "off" {
		return
	}
	t, ok, reason, err := prcomment.FromEnv(s.env.Getenv)
	switch {
	case err != nil:
		s.ann.Warning(fmt.Sprintf("pr-comment: %v; no comment was written, and the verdict is unchanged", err))
		return
	case !ok:
		s.log.Printf("sigmagate: pr-comment: skipped: %s", reason)
		return
	}
	if cfg.GitHubToken == "" {
		s.ann.Warning(fmt.Sprintf("pr-comment: github-token is empty, so no comment was written on %s: leave github-token at its default (the job's token) and give the job `permissions: pull-requests: write`; the verdict is unchanged", t))
		return
	}
	// failures creates a comment only for a verdict that is not a pass,
	// but updates one that exists whatever the verdict, so that a fixed
	// pull request does not keep showing its old failure.
	create := cfg.PRComment == "always" || report.Worst(results) != "pass"
	// The marker shares GitHub's limit with the report: 50 long agent ids
	// make it some 19,000 characters. Bytes bound characters, and
	// redacting only shortens.
	marker, foot := prcomment.Marker(cfg.AgentIDs), footer(s.env.Version)
	room := prcomment.MaxBodyChars - 1 - len(marker) - len("\n") - len(foot)
	body := untrusted.Redact(report.CommentWithin(results, runURL(s.env.Getenv), room)+foot, cfg.Secrets()...)
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	res, err := prcomment.Upsert(ctx, s.env.HTTP, cfg.GitHubToken, t, marker, body, create)
	if err != nil {
		s.ann.Warning(untrusted.Redact(err.Error(), cfg.Secrets()...) + "; no comment was written, and the verdict is unchanged")
		return
	}
	switch res.Action {
	case prcomment.Created:
		s.log.Printf("sigmagate: pr-comment: created %s", commentName(res))
		if res.Stranger != "" {
			s.ann.Warning(fmt.Sprintf("pr-comment: created %s as %s, which a later run cannot tell for its own (only %s for the job's token, or a personal token's user): each run would add a comment; leave github-token at the job's token (the default), or give a personal token",
				commentName(res), res.Stranger, prcomment.ActionsBot))
		}
	case prcomment.Updated:
		s.log.Printf("sigmagate: pr-comment: updated %s", commentName(res))
	default:
		s.log.Printf("sigmagate: pr-comment: none written on %s: the verdict passed, and pr-comment: failures creates one only for a verdict that is not a pass", t)
	}
	if len(res.Others) > 0 {
		ids := make([]string, len(res.Others))
		for i, id := range res.Others {
			ids[i] = fmt.Sprint(id)
		}
		s.log.Printf("sigmagate: pr-comment: more comments of this agent set were found (%s), likely from jobs that ran at the same time; only the oldest is updated, and the others may be deleted", strings.Join(ids, ", "))
	}
}

func commentName(res prcomment.Result) string {
	if res.URL != "" {
		return res.URL
	}
	return fmt.Sprintf("comment %d", res.ID)
}

var repoName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$`)

// runURL is the address of the workflow run, whose page holds the job
// summary; "" when the runner's environment does not name one.
func runURL(getenv func(string) string) string {
	server, repo, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" ||
		!repoName.MatchString(repo) || id == "" || len(id) > 20 || !untrusted.Digits(id) {
		return ""
	}
	run := strings.TrimRight(server, "/") + "/" + repo + "/actions/runs/" + id
	if a := getenv("GITHUB_RUN_ATTEMPT"); a != "" && a != "1" && len(a) <= 10 && untrusted.Digits(a) {
		run += "/attempts/" + a
	}
	return run
}
