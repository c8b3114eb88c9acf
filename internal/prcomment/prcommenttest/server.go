// Package prcommenttest provides a fake of GitHub's issue comments API for
// tests, in the spirit of net/http/httptest.
//
// The fake serves GET /user, GET and POST /repos/{owner}/{repo}/issues/{n}/comments
// (paginated with per_page and page, with GitHub's Link header) and
// PATCH /repos/{owner}/{repo}/issues/comments/{id}, under an optional path
// prefix such as /api/v3 (GitHub Enterprise Server). It checks the token,
// answers errors with GitHub's bodies, and records every request. It can
// refuse a token, serve pages of a given size, send a hostile Link header or
// an endless body, so that a client's failure handling can be exercised.
package prcommenttest

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultToken is the token the server accepts unless WithToken says
// otherwise. It looks like an installation token, so that a test that
// searches error texts for it searches for something realistic.
const DefaultToken = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"

// ActionsBot is the identity of a workflow's GITHUB_TOKEN.
var ActionsBot = User{Login: "github-actions[bot]", ID: 41898282, Type: "Bot"}

// User is a comment's author.
type User struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
	Type  string `json:"type"` // "User" or "Bot"
}

// Comment is an issue comment as the fake keeps it.
type Comment struct {
	ID        int64     `json:"id"`
	User      User      `json:"user"`
	Body      string    `json:"body"`
	HTMLURL   string    `json:"html_url"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Request is a request the server received.
type Request struct {
	Method string
	Path   string // as received, prefix included
	Query  url.Values
	Header http.Header
	Body   []byte // the first MiB of the body; nil when it had none
}

// Option configures a Server.
type Option func(*Server)

// WithToken sets the only token the server accepts, as "Bearer" or "token".
func WithToken(token string) Option { return func(s *Server) { s.token = token } }

// WithPrefix serves the API under prefix, e.g. "/api/v3" as GitHub
// Enterprise Server does; URL then ends in it.
func WithPrefix(prefix string) Option {
	return func(s *Server) { s.prefix = "/" + strings.Trim(prefix, "/") }
}

// Server is a fake GitHub API. It is safe for concurrent use.
type Server struct {
	// URL is the API's base, prefix included, with no trailing slash.
	URL string

	token  string
	prefix string
	ts     *httptest.Server

	mu        sync.Mutex
	comments  map[string][]*Comment // by "owner/repo#n", oldest first
	nextID    int64
	clock     time.Time
	tokenUser *User
	pageSize  int
	refusals  []Refusal
	nextLink  func(page int, self *url.URL) string
	flood     int64
	newest    bool
	requests  []Request
}

// Refusal makes the server answer requests with an error instead.
type Refusal struct {
	Method string // "" for every method
	Path   string // "" for every path; else a path below the prefix, e.g. "/user"
	Status int    // 401, 403, 404, ...
	// Message is GitHub's message; empty picks the one GitHub sends for
	// Status to a read-only token ("Resource not accessible by integration"
	// for 403).
	Message string
	// Header is added to the answer, e.g. X-RateLimit-Remaining: 0.
	Header http.Header
}

// NewServer starts a fake on 127.0.0.1 with a random port. Call Close when
// done. GET /user is refused as it is for a GITHUB_TOKEN, and comments are
// created as ActionsBot, until SetTokenUser says otherwise.
func NewServer(opts ...Option) *Server {
	s := &Server{
		token:    DefaultToken,
		comments: make(map[string][]*Comment),
		nextID:   1000,
		clock:    time.Date(2026, 5, 5, 12, 0, 0, 0, time.UTC),
	}
	for _, o := range opts {
		o(s)
	}
	s.ts = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.ts.URL + s.prefix
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.ts.Close() }

// SetTokenUser makes the token belong to u: GET /user answers it, and
// comments are created as u. nil restores a GITHUB_TOKEN: GET /user is
// refused with 403 and comments are created as ActionsBot.
func (s *Server) SetTokenUser(u *User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u != nil {
		c := *u
		u = &c
	}
	s.tokenUser = u
}

// AddComment adds a comment by user on issue or pull request n, after those
// already there, and returns its id.
func (s *Server) AddComment(owner, repo string, n int, user User, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.add(owner, repo, n, user, body).ID
}

// Comments returns copies of the comments of issue or pull request n, oldest
// first.
func (s *Server) Comments(owner, repo string, n int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments[key(owner, repo, n)] {
		out = append(out, *c)
	}
	return out
}

// SetPageSize makes the server serve at most n comments a page, whatever
// per_page asks for; 0 restores GitHub's rule (per_page, at most 100).
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// Refuse adds refusals; the first that matches a request answers it. They
// stay until ClearRefusals.
func (s *Server) Refuse(rs ...Refusal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals = append(s.refusals, rs...)
}

// ClearRefusals removes every refusal.
func (s *Server) ClearRefusals() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refusals = nil
}

// SetNextLink replaces the URL of the Link header's rel="next" on listings:
// f gets the page served and the request's own URL (absolute), and returns
// the next link, or "" for none. With it, a listing can point back to
// itself or to another host. nil restores GitHub's links.
func (s *Server) SetNextLink(f func(page int, self *url.URL) string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextLink = f
}

// SetNewestFirst makes listings newest first, which GitHub's are not, so
// that a client can show it does not take the first comment for the oldest.
func (s *Server) SetNewestFirst(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.newest = on
}

// Flood makes listings answer 200 with a JSON array of n bytes, or an
// endless one when n < 0, instead of the comments. 0 stops it.
func (s *Server) Flood(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flood = n
}

// Requests returns copies of every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = Request{Method: r.Method, Path: r.Path, Query: cloneValues(r.Query), Header: r.Header.Clone(), Body: slices.Clone(r.Body)}
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func key(owner, repo string, n int) string { return fmt.Sprintf("%s/%s#%d", owner, repo, n) }

func (s *Server) add(owner, repo string, n int, user User, body string) *Comment {
	s.nextID++
	s.clock = s.clock.Add(time.Minute)
	c := &Comment{
		ID: s.nextID, User: user, Body: body, CreatedAt: s.clock, UpdatedAt: s.clock,
		HTMLURL: fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d", owner, repo, n, s.nextID),
	}
	k := key(owner, repo, n)
	s.comments[k] = append(s.comments[k], c)
	return c
}

const maxBodyBytes = 1 << 20

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		body, _ = io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})

	path, ok := strings.CutPrefix(r.URL.Path, s.prefix)
	if !ok || s.prefix != "" && path != "" && path[0] != '/' {
		s.fail(w, http.StatusNotFound, "Not Found", nil)
		return
	}
	if !s.authorized(r) {
		s.fail(w, http.StatusUnauthorized, "Bad credentials", nil)
		return
	}
	for _, rf := range s.refusals {
		if (rf.Method == "" || rf.Method == r.Method) && (rf.Path == "" || rf.Path == path) {
			s.fail(w, rf.Status, rf.Message, rf.Header)
			return
		}
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) != 6 || parts[0] != "repos" || parts[3] != "issues" {
		if path == "/user" && r.Method == http.MethodGet {
			if s.tokenUser == nil {
				s.fail(w, http.StatusForbidden, "", nil)
				return
			}
			writeJSON(w, http.StatusOK, s.tokenUser)
			return
		}
		s.fail(w, http.StatusNotFound, "Not Found", nil)
		return
	}
	owner, repo := parts[1], parts[2]
	switch {
	case parts[5] == "comments" && (r.Method == http.MethodGet || r.Method == http.MethodPost):
		n, err := strconv.Atoi(parts[4])
		if err != nil || n <= 0 {
			s.fail(w, http.StatusNotFound, "Not Found", nil)
			return
		}
		if r.Method == http.MethodPost {
			s.create(w, owner, repo, n, body)
			return
		}
		if flood := s.flood; flood != 0 {
			// Unlocked: an endless answer must not stop the test from
			// asking the server what it received.
			s.mu.Unlock()
			defer s.mu.Lock()
			serveFlood(w, flood)
			return
		}
		s.list(w, r, owner, repo, n)
	case parts[4] == "comments" && r.Method == http.MethodPatch:
		id, err := strconv.ParseInt(parts[5], 10, 64)
		if err != nil {
			s.fail(w, http.StatusNotFound, "Not Found", nil)
			return
		}
		s.edit(w, owner, repo, id, body)
	default:
		s.fail(w, http.StatusNotFound, "Not Found", nil)
	}
}

func (s *Server) authorized(r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(auth, "token ")
	}
	return ok && s.token != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.token)) == 1
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, owner, repo string, n int) {
	q := r.URL.Query()
	size := 30
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		size = min(v, 100)
	}
	if s.pageSize > 0 {
		size = min(size, s.pageSize)
	}
	page := 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		page = v
	}
	all := s.comments[key(owner, repo, n)]
	if s.newest {
		all = slices.Clone(all)
		slices.Reverse(all)
	}
	from := min((page-1)*size, len(all))
	to := min(from+size, len(all))
	out := make([]Comment, 0, to-from)
	for _, c := range all[from:to] {
		out = append(out, *c)
	}
	self := &url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
	next := ""
	if to < len(all) {
		// GitHub's links name the repository by id; the client must not
		// expect its own path back.
		u := *self
		u.Path = s.prefix + fmt.Sprintf("/repositories/4242/issues/%d/comments", n)
		nq := cloneValues(q)
		nq.Set("page", strconv.Itoa(page+1))
		nq.Set("per_page", strconv.Itoa(size))
		u.RawQuery = nq.Encode()
		next = u.String()
	}
	if s.nextLink != nil {
		next = s.nextLink(page, self)
	}
	if next != "" {
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next))
	}
	writeJSON(w, http.StatusOK, out)
}

func serveFlood(w http.ResponseWriter, n int64) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	// One comment whose body never ends: a decoder must hold it all to
	// finish the value.
	io.WriteString(w, `[{"id":1,"body":"`)
	chunk := []byte(strings.Repeat("a", 64<<10))
	for sent := int64(0); n < 0 || sent < n; sent += int64(len(chunk)) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	io.WriteString(w, `"}]`)
}

type commentBody struct {
	Body *string `json:"body"`
}

func (s *Server) create(w http.ResponseWriter, owner, repo string, n int, body []byte) {
	var cb commentBody
	if json.Unmarshal(body, &cb) != nil || cb.Body == nil {
		s.fail(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"body\" wasn't supplied.", nil)
		return
	}
	if len([]rune(*cb.Body)) > 65536 {
		s.fail(w, http.StatusUnprocessableEntity, "Validation Failed", nil)
		return
	}
	author := ActionsBot
	if s.tokenUser != nil {
		author = *s.tokenUser
	}
	c := s.add(owner, repo, n, author, *cb.Body)
	writeJSON(w, http.StatusCreated, c)
}

func (s *Server) edit(w http.ResponseWriter, owner, repo string, id int64, body []byte) {
	var cb commentBody
	if json.Unmarshal(body, &cb) != nil || cb.Body == nil {
		s.fail(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"body\" wasn't supplied.", nil)
		return
	}
	for k, cs := range s.comments {
		if !strings.HasPrefix(k, owner+"/"+repo+"#") {
			continue
		}
		for _, c := range cs {
			if c.ID == id {
				s.clock = s.clock.Add(time.Minute)
				c.Body, c.UpdatedAt = *cb.Body, s.clock
				writeJSON(w, http.StatusOK, c)
				return
			}
		}
	}
	s.fail(w, http.StatusNotFound, "Not Found", nil)
}

func (s *Server) fail(w http.ResponseWriter, status int, message string, h http.Header) {
	if message == "" {
		switch status {
		case http.StatusUnauthorized:
			message = "Bad credentials"
		case http.StatusForbidden:
			message = "Resource not accessible by integration"
		case http.StatusNotFound:
			message = "Not Found"
		default:
			message = http.StatusText(status)
		}
	}
	for k, vs := range h {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	writeJSON(w, status, map[string]string{
		"message":           message,
		"documentation_url": "https://docs.github.com/rest",
		"status":            strconv.Itoa(status),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
