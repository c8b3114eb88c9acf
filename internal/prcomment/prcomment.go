package prcomment

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v75/github"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

const (
	// MaxBodyChars is one more than the longest comment GitHub accepts, in
	// characters, marker line included.
	MaxBodyChars = 65536
	// MaxResponseBytes bounds what is read of one answer. A page of 100
	// comments of GitHub's longest, in 4-byte characters, is about 26 MB.
	MaxResponseBytes = 32 << 20
	// MaxPages bounds the search for the comment: 3,000 comments.
	MaxPages = 30
	perPage  = 100
	// ActionsBot is the login of the identity of the workflow's GITHUB_TOKEN.
	// "[bot]" cannot be part of a person's login.
	ActionsBot = "github-actions[bot]"
)

// Action is what Upsert did.
type Action int

const (
	// Skipped: no comment of ours exists and none was to be created.
	Skipped Action = iota
	// Created: there was none, a new comment was posted.
	Created
	// Updated: the existing comment was edited in place.
	Updated
)

func (a Action) String() string {
	switch a {
	case Skipped:
		return "skipped"
	case Created:
		return "created"
	case Updated:
		return "updated"
	}
	return "Action(" + strconv.Itoa(int(a)) + ")"
}

// Result is what Upsert did, to which comment.
type Result struct {
	Action Action
	// ID and URL are the comment's; zero when Skipped. URL is the html_url
	// GitHub answered, when it is a one-line http(s) URL.
	ID  int64
	URL string
	// Others are the ids of further comments of ours with the same marker,
	// oldest first, left as they were: jobs that raced each created one.
	// Only the oldest is kept up to date.
	Others []int64
	// Stranger is the login a created comment was written as when it is
	// not an identity Upsert takes for its own (a GitHub App's installation
	// token writes as the App's bot): the next run will not find the
	// comment, and would create another.
	Stranger string
}

// Upsert writes marker, a line break and body as this tool's comment on the
// pull request t: it edits the oldest existing comment of ours whose first
// line is marker, or, when there is none, creates one if create is true.
// pr-comment: failures creates only on a failing verdict, yet always updates
// a comment that exists, so that it never shows an outdated failure.
//
// Ours means written by the token's identity, decided once per call:
//   - GET /user answers (a personal access token): comments by that user's id.
//   - GET /user is refused with 401, 403 or 404 (the workflow's
//     GITHUB_TOKEN, an installation token, may not read it): comments by the
//     Bot account "github-actions[bot]", the GITHUB_TOKEN's identity. A
//     GitHub App's own installation token therefore never finds its comment;
//     use the GITHUB_TOKEN or a personal token.
//
// Any other failure of GET /user is an error: without knowing who we are, no
// comment can be shown to be ours.
//
// The search reads at most MaxPages pages. When they end with no comment of
// ours yet more pages follow, Upsert returns an error rather than create a
// second comment. hc nil means http.DefaultClient; the token is sent to
// t.APIURL's host only, and no request goes anywhere else.
func Upsert(ctx context.Context, hc *http.Client, token string, t Target, marker, body string, create bool) (Result, error) {
	text := marker + "\n" + body
	if token == "" {
		return Result{}, errors.New("pull request comment: no token to comment with; pass the workflow's GITHUB_TOKEN (github.token)")
	}
	if err := check(t, marker, text); err != nil {
		return Result{}, err
	}
	c, err := newClient(hc, token, t.APIURL)
	if err != nil {
		return Result{}, err
	}
	mine, err := c.identity(ctx)
	if err != nil {
		return Result{}, err
	}
	found, err := c.find(ctx, t, marker, mine)
	if err != nil {
		return Result{}, err
	}
	if len(found) == 0 {
		if !create {
			return Result{Action: Skipped}, nil
		}
		path := fmt.Sprintf("/repos/%s/%s/issues/%d/comments", t.Owner, t.Repo, t.Number)
		got, _, err := c.gh.Issues.CreateComment(ctx, t.Owner, t.Repo, t.Number, &github.IssueComment{Body: &text})
		if err != nil {
			return Result{}, newError("create the comment on "+t.String(), http.MethodPost, path, err, token)
		}
		res := Result{Action: Created, ID: got.GetID(), URL: cleanURL(got.GetHTMLURL(), token)}
		if u := got.GetUser(); u != nil && !mine(u) {
			res.Stranger = untrusted.Cut(untrusted.OneLine(untrusted.Redact(cmp.Or(u.GetLogin(), "an unnamed user"), token)), 100)
		}
		return res, nil
	}
	oldest := found[0]
	path := fmt.Sprintf("/repos/%s/%s/issues/comments/%d", t.Owner, t.Repo, oldest)
	got, _, err := c.gh.Issues.EditComment(ctx, t.Owner, t.Repo, oldest, &github.IssueComment{Body: &text})
	if err != nil {
		return Result{}, newError(fmt.Sprintf("update comment %d on %s", oldest, t), http.MethodPatch, path, err, token)
	}
	res := Result{Action: Updated, ID: oldest, URL: cleanURL(got.GetHTMLURL(), token)}
	if len(found) > 1 {
		res.Others = found[1:]
	}
	return res, nil
}

func check(t Target, marker, text string) error {
	switch {
	case !validName(t.Owner) || !validName(t.Repo):
		return fmt.Errorf("pull request comment: repository %q/%q is not OWNER/REPO", t.Owner, t.Repo)
	case t.Number <= 0:
		return fmt.Errorf("pull request comment: pull request number %d is not a pull request's number (a positive integer)", t.Number)
	case !validMarker(marker):
		return fmt.Errorf("pull request comment: marker %q is not one line made by Marker", untrusted.Cut(marker, 100))
	}
	if n := utf8.RuneCountInString(text); n >= MaxBodyChars {
		return fmt.Errorf("pull request comment: the comment is %d characters, GitHub takes at most %d; shorten the report", n, MaxBodyChars-1)
	}
	return nil
}

type client struct {
	gh    *github.Client
	token string
}

func newClient(hc *http.Client, token, apiURL string) (*client, error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	base, err := url.Parse(strings.TrimRight(apiURL, "/") + "/")
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.User != nil || base.RawQuery != "" {
		return nil, fmt.Errorf("pull request comment: API URL %q is not an http(s) URL with a host; set GITHUB_API_URL to the REST API's base", untrusted.Cut(untrusted.OneLine(apiURL), 200))
	}
	if !encrypted(base) {
		return nil, fmt.Errorf("pull request comment: API URL %q is http, which would send the token unencrypted; set GITHUB_API_URL to the https address of the REST API (http is taken only for loopback hosts)", untrusted.Cut(untrusted.OneLine(apiURL), 200))
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	// A copy: the caller's client keeps its own transport and policy.
	own := *hc
	own.Transport = &guard{base: base, token: token, next: next}
	own.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(req.URL, base) {
			return &offHostError{what: "a redirect", to: req.URL}
		}
		if len(via) >= 5 {
			return errors.New("stopped after 5 redirects")
		}
		if hc.CheckRedirect != nil {
			return hc.CheckRedirect(req, via)
		}
		return nil
	}
	gh := github.NewClient(&own)
	// The URL as the runner gives it: https://api.github.com, or
	// https://HOST/api/v3 on GitHub Enterprise Server. WithEnterpriseURLs
	// would append /api/v3 to a base that lacks it, which is right for no
	// URL the runner sets.
	gh.BaseURL = base
	gh.UserAgent = "sigmagate"
	return &client{gh: gh, token: token}, nil
}

// identity says which comments are ours (see Upsert).
func (c *client) identity(ctx context.Context) (func(*github.User) bool, error) {
	u, _, err := c.gh.Users.Get(ctx, "")
	var resp *github.ErrorResponse
	switch {
	case err == nil && u.GetID() != 0:
		id := u.GetID()
		return func(a *github.User) bool { return a.GetID() == id }, nil
	case err == nil:
		return nil, &Error{Op: "find the token's user", Method: http.MethodGet, Path: "/user", Status: http.StatusOK,
			Problem: "the answer names no user id", Hint: "check GITHUB_API_URL"}
	case errors.As(err, &resp) && resp.Response != nil &&
		(resp.Response.StatusCode == http.StatusUnauthorized || resp.Response.StatusCode == http.StatusForbidden || resp.Response.StatusCode == http.StatusNotFound):
		return func(a *github.User) bool { return a.GetType() == "Bot" && a.GetLogin() == ActionsBot }, nil
	}
	return nil, newError("find the token's user", http.MethodGet, "/user", err, c.token)
}

// find returns the ids of our comments whose first line is marker, oldest
// first.
func (c *client) find(ctx context.Context, t Target, marker string, mine func(*github.User) bool) ([]int64, error) {
	path := fmt.Sprintf("/repos/%s/%s/issues/%d/comments", t.Owner, t.Repo, t.Number)
	op := "list the comments of " + t.String()
	var ours []ourComment
	for page := 1; ; page++ {
		opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{Page: page, PerPage: perPage}}
		comments, resp, err := c.gh.Issues.ListComments(ctx, t.Owner, t.Repo, t.Number, opts)
		if err != nil {
			return nil, newError(op, http.MethodGet, path, err, c.token)
		}
		for _, cm := range comments {
			if cm.GetID() > 0 && mine(cm.GetUser()) && hasMarker(cm.GetBody(), marker) {
				ours = append(ours, ourComment{id: cm.GetID(), created: cm.GetCreatedAt().Unix()})
			}
		}
		next, err := nextPage(resp.Response, c.gh.BaseURL, page)
		if err != nil {
			return nil, newError(op, http.MethodGet, path, err, c.token)
		}
		if next == 0 {
			break
		}
		if page == MaxPages {
			if len(ours) > 0 {
				// The listing is oldest first: the oldest of ours is among
				// the pages read.
				break
			}
			return nil, &Error{Op: op, Method: http.MethodGet, Path: path,
				Problem: fmt.Sprintf("more than %d comments (%d pages), none of them ours; the rest is not searched, so that no second comment is created", MaxPages*perPage, MaxPages),
				Hint:    "the report is not posted on this pull request"}
		}
	}
	// The listing is oldest first; sorting again keeps "the oldest" true on
	// a server that lists otherwise.
	sortOldest(ours)
	ids := make([]int64, len(ours))
	for i, o := range ours {
		ids[i] = o.id
	}
	return ids, nil
}

type ourComment struct {
	id      int64
	created int64
}

func sortOldest(cs []ourComment) {
	slices.SortStableFunc(cs, func(a, b ourComment) int {
		return cmp.Or(cmp.Compare(a.created, b.created), cmp.Compare(a.id, b.id))
	})
}

// nextPage reads the Link header of the answer to page: 0 when it names no
// next page. go-github takes only the page number from a next link and asks
// the API's host for it, but a next link elsewhere, or one that does not
// advance by one page, is a server that is not GitHub or is broken: reading
// on could loop, or skip the page that holds our comment.
func nextPage(r *http.Response, base *url.URL, page int) (int, error) {
	for _, header := range r.Header.Values("Link") {
		for _, link := range strings.Split(header, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") || !isNext(params) {
				continue
			}
			u, err := r.Request.URL.Parse(target[1 : len(target)-1])
			if err != nil {
				return 0, fmt.Errorf("the Link header's next page %q is no URL", untrusted.Cut(target, 200))
			}
			if !sameOrigin(u, base) {
				return 0, &offHostError{what: "the Link header's next page", to: u}
			}
			n, err := strconv.Atoi(u.Query().Get("page"))
			if err != nil || n != page+1 {
				return 0, fmt.Errorf("the Link header's next page after page %d is page %q: the listing does not advance", page, untrusted.Cut(u.Query().Get("page"), 40))
			}
			return n, nil
		}
	}
	return 0, nil
}

func isNext(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "rel") {
			for rel := range strings.FieldsSeq(strings.Trim(strings.TrimSpace(v), `"`)) {
				if strings.EqualFold(rel, "next") {
					return true
				}
			}
		}
	}
	return false
}

func sameOrigin(u, base *url.URL) bool {
	return strings.EqualFold(u.Scheme, base.Scheme) && strings.EqualFold(u.Host, base.Host)
}

// cleanURL keeps an html_url that can be shown as a link: one line, http(s),
// with the token removed should a server echo it.
func cleanURL(raw, token string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(raw) > 2048 ||
		strings.ContainsFunc(raw, func(r rune) bool { return r < 0x21 || r == 0x7f }) ||
		untrusted.Redact(raw, token) != raw {
		return ""
	}
	return raw
}

// guard sends requests to the API's origin only, with the token, and bounds
// what is read of each answer. go-github decodes answers whole; a server
// that is not GitHub must not fill memory.
type guard struct {
	base  *url.URL
	token string
	next  http.RoundTripper
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	if !sameOrigin(req.URL, g.base) {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, &offHostError{what: "a request", to: req.URL}
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+g.token)
	resp, err := g.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	resp.Body = &capped{rc: resp.Body, left: MaxResponseBytes}
	return resp, nil
}

type capped struct {
	rc   io.ReadCloser
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		for {
			n, err := c.rc.Read(one[:])
			if n > 0 {
				return 0, &tooLargeError{}
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *capped) Close() error { return c.rc.Close() }

type tooLargeError struct{}

func (*tooLargeError) Error() string {
	return fmt.Sprintf("the answer is larger than %d MiB; it is not read", MaxResponseBytes>>20)
}

type offHostError struct {
	what string
	to   *url.URL
}

func (e *offHostError) Error() string {
	return fmt.Sprintf("%s goes to %s, not the API's host; it is not followed", e.what, e.to.Redacted())
}
