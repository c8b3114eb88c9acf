package prcomment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/google/go-github/v75/github"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// ErrDenied matches (errors.Is) an *Error whose token may not read or write
// the pull request's comments.
var ErrDenied = errors.New("the token may not comment on the pull request")

// permissionsHint is what to do about a refused token. A pull request from a
// fork runs with a read-only GITHUB_TOKEN whatever the workflow asks for.
const permissionsHint = "give the job `permissions: pull-requests: write`; pull requests from forks get a read-only token, so the comment is skipped there"

// Error is a failed step of Upsert. Its text says what failed, the HTTP
// status and what to do, and never holds the token.
type Error struct {
	// Op is what failed, e.g. "list the comments of octo/repo#7".
	Op string
	// Method and Path are the request's, Path without the query.
	Method, Path string
	// Status is the HTTP status of GitHub's answer; 0 when none came.
	Status int
	// Denied is set when the token may not read or write the comments: 401,
	// 403 (other than a rate limit) or 404, which is how GitHub answers a
	// token that may not see a private repository.
	Denied bool
	// Problem is the detail, one line, with the token removed.
	Problem string
	// Hint is what to do about it.
	Hint string

	cause error
}

func (e *Error) Error() string {
	s := "pull request comment: " + e.Op
	if e.Method != "" {
		s += fmt.Sprintf(": %s %s", e.Method, e.Path)
	}
	if e.Status != 0 {
		s += fmt.Sprintf(": %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Problem != "" {
		s += ": " + e.Problem
	}
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap returns the cause: go-github's *ErrorResponse, *RateLimitError or
// *AbuseRateLimitError (their messages already stripped of the token), a
// context error, or a transport error. Print the Error, never its cause: a
// transport error may quote what a server sent.
func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is(err, ErrDenied) true for a refused token.
func (e *Error) Is(target error) bool { return target == ErrDenied && e.Denied }

// newError classifies err, the failure of a request of op to path, and
// removes token from every text it keeps.
func newError(op, method, path string, err error, token string) *Error {
	clean := func(s string) string { return untrusted.Cut(untrusted.OneLine(untrusted.Redact(s, token)), 300) }
	e := &Error{Op: op, Method: method, Path: path, cause: err}
	var (
		rate   *github.RateLimitError
		abuse  *github.AbuseRateLimitError
		resp   *github.ErrorResponse
		redir  *github.RedirectionError
		accept *github.AcceptedError
		large  *tooLargeError
		off    *offHostError
		uerr   *url.Error
	)
	switch {
	case errors.As(err, &large):
		e.Problem = large.Error()
		e.Hint = "the answer is not GitHub's; check GITHUB_API_URL"
	case errors.As(err, &off):
		e.Problem = clean(off.Error())
		e.Hint = "the token is sent to the API's host only; check GITHUB_API_URL"
	case errors.As(err, &rate):
		rate.Message = clean(rate.Message)
		e.Status = statusOf(rate.Response)
		e.Problem = "GitHub's rate limit is used up: " + rate.Message
		e.Hint = "the comment is left as it was; it is written again on the next run"
		if !rate.Rate.Reset.IsZero() {
			e.Hint = fmt.Sprintf("the limit resets at %s; ", rate.Rate.Reset.UTC().Format(time.RFC3339)) + e.Hint
		}
	case errors.As(err, &abuse):
		abuse.Message = clean(abuse.Message)
		e.Status = statusOf(abuse.Response)
		e.Problem = "GitHub's secondary rate limit: " + abuse.Message
		e.Hint = "too many requests at once (many jobs commenting together?); the comment is written again on the next run"
	case errors.As(err, &resp):
		resp.Message = clean(resp.Message)
		for i := range resp.Errors {
			x := &resp.Errors[i]
			x.Message, x.Resource, x.Field, x.Code = clean(x.Message), clean(x.Resource), clean(x.Field), clean(x.Code)
		}
		resp.DocumentationURL = clean(resp.DocumentationURL)
		e.Status = statusOf(resp.Response)
		if resp.Message != http.StatusText(e.Status) {
			e.Problem = resp.Message
		}
		switch {
		case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden || e.Status == http.StatusNotFound:
			e.Denied = true
			e.Hint = "the token may not read or write the pull request's comments: " + permissionsHint
		case e.Status >= 500:
			e.Hint = "GitHub failed; the comment is written again on the next run"
		}
	case errors.As(err, &redir):
		e.Status = redir.StatusCode
		e.Problem = "a redirect"
		if redir.Location != nil {
			e.Problem += " to " + clean(redir.Location.Redacted())
		}
		e.Hint = "check GITHUB_API_URL"
	case errors.As(err, &accept):
		e.Status = http.StatusAccepted
		e.Problem = "GitHub accepted the request but did not answer it yet"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.Problem = "stopped: " + err.Error()
	case errors.As(err, &uerr):
		// *url.Error repeats the URL, which the Method and Path already say.
		e.Problem = clean(uerr.Err.Error())
	default:
		e.Problem = clean(err.Error())
	}
	return e
}

func statusOf(r *http.Response) int {
	if r == nil {
		return 0
	}
	return r.StatusCode
}
