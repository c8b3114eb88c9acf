package prcomment_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v75/github"
	"github.com/sigmagate/sigmagate/internal/prcomment"
	"github.com/sigmagate/sigmagate/internal/prcomment/prcommenttest"
)

const (
	owner  = "octo"
	repo   = "gate"
	number = 7
	token  = prcommenttest.DefaultToken
)

var (
	marker      = prcomment.Marker([]string{"agent_b", "agent_a"})
	otherMarker = prcomment.Marker([]string{"agent_a"})
	human       = prcommenttest.User{Login: "alice", ID: 501, Type: "User"}
	otherBot    = prcommenttest.User{Login: "dependabot[bot]", ID: 49699333, Type: "Bot"}
	patUser     = prcommenttest.User{Login: "gatekeeper", ID: 777, Type: "User"}
)

func target(s *prcommenttest.Server) prcomment.Target {
	return prcomment.Target{APIURL: s.URL, Owner: owner, Repo: repo, Number: number}
}

// call is a request as the tests compare it.
type call struct {
	Method, Path string
}

func calls(s *prcommenttest.Server) []call {
	var out []call
	for _, r := range s.Requests() {
		p := r.Path
		if pg := r.Query.Get("page"); pg != "" {
			p += "?page=" + pg
		}
		out = append(out, call{r.Method, p})
	}
	return out
}

func upsert(t *testing.T, s *prcommenttest.Server, body string, create bool) (prcomment.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return prcomment.Upsert(ctx, &http.Client{}, token, target(s), marker, body, create)
}

func commentsPath(s *prcommenttest.Server) string {
	return mustPath(s) + fmt.Sprintf("/repos/%s/%s/issues/%d/comments", owner, repo, number)
}

func mustPath(s *prcommenttest.Server) string {
	u, err := url.Parse(s.URL)
	if err != nil {
		panic(err)
	}
	return u.Path
}

func TestUpsertCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		user   *prcommenttest.User
		author prcommenttest.User
	}{
		{"GITHUB_TOKEN", nil, prcommenttest.ActionsBot},
		{"personal token", &patUser, patUser},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := prcommenttest.NewServer()
			defer s.Close()
			s.SetTokenUser(tc.user)
			s.AddComment(owner, repo, number, human, "LGTM")

			first, err := upsert(t, s, "first report", true)
			if err != nil {
				t.Fatal(err)
			}
			second, err := upsert(t, s, "second report", true)
			if err != nil {
				t.Fatal(err)
			}
			cs := s.Comments(owner, repo, number)
			if len(cs) != 2 {
				t.Fatalf("got %d comments, want the human's and one of ours", len(cs))
			}
			ours := cs[1]
			want := []prcomment.Result{
				{Action: prcomment.Created, ID: ours.ID, URL: ours.HTMLURL},
				{Action: prcomment.Updated, ID: ours.ID, URL: ours.HTMLURL},
			}
			if diff := cmp.Diff(want, []prcomment.Result{first, second}); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(struct {
				Author prcommenttest.User
				Body   string
			}{tc.author, marker + "\nsecond report"}, struct {
				Author prcommenttest.User
				Body   string
			}{ours.User, ours.Body}); diff != "" {
				t.Errorf("comment (-want +got):\n%s", diff)
			}
			list := commentsPath(s)
			wantCalls := []call{
				{"GET", "/user"}, {"GET", list + "?page=1"}, {"POST", list},
				{"GET", "/user"}, {"GET", list + "?page=1"}, {"PATCH", fmt.Sprintf("/repos/%s/%s/issues/comments/%d", owner, repo, ours.ID)},
			}
			if diff := cmp.Diff(wantCalls, calls(s)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			for _, r := range s.Requests() {
				if diff := cmp.Diff([]string{"sigmagate", "Bearer " + token}, []string{r.Header.Get("User-Agent"), r.Header.Get("Authorization")}); diff != "" {
					t.Errorf("%s %s headers (-want +got):\n%s", r.Method, r.Path, diff)
				}
			}
		})
	}
}

// Comments that are not ours, even with our marker, are never edited; ours
// is found among them.
func TestUpsertTouchesOnlyOurs(t *testing.T) {
	t.Parallel()
	bot := prcommenttest.ActionsBot
	impostor := prcommenttest.User{Login: "github-actions[bot]", ID: 99, Type: "User"} // not a Bot account
	others := []struct {
		user prcommenttest.User
		body string
	}{
		{human, "LGTM"},
		{human, marker + "\nI pasted the marker"},
		{human, marker},
		{otherBot, marker + "\nanother tool"},
		{impostor, marker + "\nnot a bot"},
		{bot, otherMarker + "\nanother matrix job's agents"},
		{bot, "a note\n" + marker},
		{bot, marker + "x\nthe first line is longer"},
		{bot, " " + marker + "\nthe first line is not the marker"},
		{bot, strings.ToUpper(marker) + "\ncase differs"},
		{patUser, marker + "\na personal token's comment, while the job uses the GITHUB_TOKEN"},
	}
	for _, tc := range []struct {
		name      string
		oursAt    int // index among others where ours is inserted; -1 for none
		oursBody  string
		wantPatch bool
	}{
		{name: "none of ours", oursAt: -1},
		{name: "ours last", oursAt: len(others), oursBody: marker + "\nold report", wantPatch: true},
		{name: "ours first", oursAt: 0, oursBody: marker + "\r\nold report with CRLF", wantPatch: true},
		{name: "ours is the marker alone", oursAt: 3, oursBody: marker, wantPatch: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := prcommenttest.NewServer()
			defer s.Close()
			var oursID int64
			for i := 0; i <= len(others); i++ {
				if i == tc.oursAt {
					oursID = s.AddComment(owner, repo, number, bot, tc.oursBody)
				}
				if i < len(others) {
					s.AddComment(owner, repo, number, others[i].user, others[i].body)
				}
			}
			before := s.Comments(owner, repo, number)

			res, err := upsert(t, s, "new report", true)
			if err != nil {
				t.Fatal(err)
			}
			after := s.Comments(owner, repo, number)
			var methods []string
			for _, c := range calls(s) {
				if c.Method != "GET" {
					methods = append(methods, c.Method+" "+c.Path)
				}
			}
			var want []string
			if tc.wantPatch {
				want = []string{fmt.Sprintf("PATCH /repos/%s/%s/issues/comments/%d", owner, repo, oursID)}
				if res.Action != prcomment.Updated || res.ID != oursID {
					t.Errorf("got %v of %d, want updated of %d", res.Action, res.ID, oursID)
				}
			} else {
				want = []string{"POST " + commentsPath(s)}
				if res.Action != prcomment.Created {
					t.Errorf("got %v, want created", res.Action)
				}
			}
			if diff := cmp.Diff(want, methods); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			// Every comment but ours is as it was.
			for i, c := range before {
				if c.ID == oursID {
					continue
				}
				if diff := cmp.Diff(c, after[i]); diff != "" {
					t.Errorf("comment %d changed (-before +after):\n%s", c.ID, diff)
				}
			}
		})
	}
}

func TestUpsertFindsOursOnPageThree(t *testing.T) {
	t.Parallel()
	s := prcommenttest.NewServer()
	defer s.Close()
	s.SetPageSize(2)
	for i := range 4 {
		s.AddComment(owner, repo, number, human, "comment "+strconv.Itoa(i))
	}
	ours := s.AddComment(owner, repo, number, prcommenttest.ActionsBot, marker+"\nold")
	s.AddComment(owner, repo, number, human, "after ours")
	s.AddComment(owner, repo, number, human, "page four")

	res, err := upsert(t, s, "new", true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != prcomment.Updated || res.ID != ours {
		t.Errorf("got %v of %d, want updated of %d", res.Action, res.ID, ours)
	}
	list := commentsPath(s)
	want := []call{{"GET", "/user"}, {"GET", list + "?page=1"}, {"GET", list + "?page=2"}, {"GET", list + "?page=3"}, {"GET", list + "?page=4"},
		{"PATCH", fmt.Sprintf("/repos/%s/%s/issues/comments/%d", owner, repo, ours)}}
	if diff := cmp.Diff(want, calls(s)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	for _, r := range s.Requests() {
		if r.Method == "GET" && r.Path == list && r.Query.Get("per_page") != "100" {
			t.Errorf("per_page=%q, want 100", r.Query.Get("per_page"))
		}
	}
}

// Two jobs that raced each created a comment: the oldest is kept up to date,
// the rest are reported and left alone.
func TestUpsertUpdatesTheOldestOfSeveral(t *testing.T) {
	t.Parallel()
	for _, newestFirst := range []bool{false, true} {
		t.Run(fmt.Sprintf("newest first %v", newestFirst), func(t *testing.T) {
			t.Parallel()
			updatesTheOldest(t, newestFirst)
		})
	}
}

func updatesTheOldest(t *testing.T, newestFirst bool) {
	s := prcommenttest.NewServer()
	defer s.Close()
	s.SetPageSize(1)
	s.SetNewestFirst(newestFirst)
	first := s.AddComment(owner, repo, number, prcommenttest.ActionsBot, marker+"\nfirst job")
	s.AddComment(owner, repo, number, human, "hi")
	second := s.AddComment(owner, repo, number, prcommenttest.ActionsBot, marker+"\nsecond job")
	third := s.AddComment(owner, repo, number, prcommenttest.ActionsBot, marker+"\nthird job")

	res, err := upsert(t, s, "new", true)
	if err != nil {
		t.Fatal(err)
	}
	cs := s.Comments(owner, repo, number)
	want := prcomment.Result{Action: prcomment.Updated, ID: first, URL: cs[0].HTMLURL, Others: []int64{second, third}}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{marker + "\nnew", "hi", marker + "\nsecond job", marker + "\nthird job"},
		[]string{cs[0].Body, cs[1].Body, cs[2].Body, cs[3].Body}); diff != "" {
		t.Errorf("bodies (-want +got):\n%s", diff)
	}
}

func TestUpsertCreateFalse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		existing bool
		want     prcomment.Action
		writes   []string
	}{
		{"none exists: skipped", false, prcomment.Skipped, nil},
		{"one exists: updated all the same", true, prcomment.Updated, []string{"PATCH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := prcommenttest.NewServer()
			defer s.Close()
			s.AddComment(owner, repo, number, human, marker+"\nnot ours")
			if tc.existing {
				s.AddComment(owner, repo, number, prcommenttest.ActionsBot, marker+"\nold")
			}
			res, err := upsert(t, s, "passing now", false)
			if err != nil {
				t.Fatal(err)
			}
			var writes []string
			for _, c := range calls(s) {
				if c.Method != "GET" {
					writes = append(writes, c.Method)
				}
			}
			if diff := cmp.Diff(tc.writes, writes); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
			if res.Action != tc.want {
				t.Errorf("got %v, want %v", res.Action, tc.want)
			}
			if res.Action == prcomment.Skipped && (res.ID != 0 || res.URL != "") {
				t.Errorf("skipped, yet names comment %d %q", res.ID, res.URL)
			}
		})
	}
}

// errSummary is what the tests compare of an *Error.
type errSummary struct {
	Status int
	Denied bool
	IsDeny bool
}

func TestUpsertRefused(t *testing.T) {
	t.Parallel()
	const hint = "give the job `permissions: pull-requests: write`; pull requests from forks get a read-only token"
	rateLimited := http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {"1893456000"}}
	for _, tc := range []struct {
		name     string
		refuse   prcommenttest.Refusal
		token    string
		existing bool
		want     errSummary
		hint     string
		writes   []string // writes attempted
	}{
		{name: "read-only token may not create", refuse: prcommenttest.Refusal{Method: "POST", Status: 403},
			want: errSummary{403, true, true}, hint: hint, writes: []string{"POST"}},
		{name: "read-only token may not update", existing: true, refuse: prcommenttest.Refusal{Method: "PATCH", Status: 403},
			want: errSummary{403, true, true}, hint: hint, writes: []string{"PATCH"}},
		{name: "private repository hidden from the token", refuse: prcommenttest.Refusal{Status: 404},
			want: errSummary{404, true, true}, hint: hint},
		{name: "bad credentials", token: "ghs_wrongwrongwrongwrongwrongwrongwrong",
			want: errSummary{401, true, true}, hint: hint},
		{name: "rate limit is no refusal", refuse: prcommenttest.Refusal{Method: "GET", Path: "/repos/octo/gate/issues/7/comments", Status: 403, Message: "API rate limit exceeded", Header: rateLimited},
			want: errSummary{403, false, false}, hint: "the limit resets at 2030-01-01T00:00:00Z"},
		{name: "server error", refuse: prcommenttest.Refusal{Method: "GET", Path: "/repos/octo/gate/issues/7/comments", Status: 502},
			want: errSummary{502, false, false}},
		{name: "GET /user fails otherwise", refuse: prcommenttest.Refusal{Path: "/user", Status: 500},
			want: errSummary{500, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := prcommenttest.NewServer()
			defer s.Close()
			if tc.existing {
				s.AddComment(owner, repo, number, prcommenttest.ActionsBot, marker+"\nold")
			}
			if tc.refuse.Status != 0 {
				s.Refuse(tc.refuse)
			}
			tok := token
			if tc.token != "" {
				tok = tc.token
			}
			res, err := prcomment.Upsert(context.Background(), nil, tok, target(s), marker, "report", true)
			var pe *prcomment.Error
			if !errors.As(err, &pe) {
				t.Fatalf("got %v (%T), want a *prcomment.Error", err, err)
			}
			got := errSummary{pe.Status, pe.Denied, errors.Is(err, prcomment.ErrDenied)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", err, diff)
			}
			if tc.hint != "" && !strings.Contains(err.Error(), tc.hint) {
				t.Errorf("error %q does not say %q", err, tc.hint)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tc.want.Status)) {
				t.Errorf("error %q does not name the status", err)
			}
			if diff := cmp.Diff(prcomment.Result{}, res); diff != "" {
				t.Errorf("result of a failure (-want +got):\n%s", diff)
			}
			var writes []string
			for _, c := range calls(s) {
				if c.Method != "GET" {
					writes = append(writes, c.Method)
				}
			}
			if diff := cmp.Diff(tc.writes, writes); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
		})
	}
}

// A server that echoes the token, in every place an error takes text from,
// gets it into no error text.
func TestUpsertErrorsNeverHoldTheToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		refuse prcommenttest.Refusal
	}{
		{"403 message", prcommenttest.Refusal{Method: "POST", Status: 403, Message: "token " + token + " may not write"}},
		{"422 message", prcommenttest.Refusal{Method: "POST", Status: 422, Message: "Validation Failed for " + url.QueryEscape(token)}},
		{"rate limit message", prcommenttest.Refusal{Status: 403, Message: "limit for " + token, Header: http.Header{"X-Ratelimit-Remaining": {"0"}}}},
		{"secondary rate limit", prcommenttest.Refusal{Status: 403, Message: "slow down " + token}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := prcommenttest.NewServer()
			defer s.Close()
			s.Refuse(tc.refuse)
			_, err := upsert(t, s, "report", true)
			if err == nil {
				t.Fatal("no error")
			}
			texts := []string{err.Error(), fmt.Sprintf("%+v", err)}
			var er *github.ErrorResponse
			if errors.As(err, &er) {
				texts = append(texts, er.Error())
			}
			var rl *github.RateLimitError
			if errors.As(err, &rl) {
				texts = append(texts, rl.Error())
			}
			for _, text := range texts {
				if strings.Contains(text, token) || strings.Contains(text, url.QueryEscape(token)) || strings.Contains(text, token[4:]) {
					t.Errorf("error text holds the token: %q", text)
				}
			}
		})
	}
}

// A listing whose next page loops, skips or leaves the API's host stops with
// an error; nothing, least of all the token, goes to another host.
func TestUpsertHostilePagination(t *testing.T) {
	t.Parallel()
	var elsewhereHits atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereHits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "[]")
	}))
	defer elsewhere.Close()
	for _, tc := range []struct {
		name string
		next func(page int, self *url.URL) string
		want string
	}{
		{"next is the same page", func(_ int, self *url.URL) string { return self.String() }, "does not advance"},
		{"next goes back", func(page int, self *url.URL) string { return withPage(self, 1) }, "does not advance"},
		{"next skips a page", func(page int, self *url.URL) string { return withPage(self, page+2) }, "does not advance"},
		{"next has no page", func(_ int, self *url.URL) string { return self.Scheme + "://" + self.Host + self.Path + "?cursor=abc" }, "does not advance"},
		{"next on another host", func(page int, self *url.URL) string {
			return elsewhere.URL + self.Path + "?page=" + strconv.Itoa(page+1)
		}, "not the API's host"},
		{"next on another scheme", func(page int, self *url.URL) string {
			return "https://" + self.Host + self.Path + "?page=" + strconv.Itoa(page+1)
		}, "not the API's host"},
		{"never ends", func(page int, self *url.URL) string { return withPage(self, page+1) }, "more than 3000 comments (30 pages)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := prcommenttest.NewServer()
			defer s.Close()
			s.AddComment(owner, repo, number, human, "hi")
			s.SetNextLink(tc.next)
			_, err := upsert(t, s, "report", true)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
			for _, c := range calls(s) {
				if c.Method != "GET" {
					t.Errorf("wrote %s %s after a broken listing", c.Method, c.Path)
				}
			}
			if n := len(s.Requests()); n > 1+prcomment.MaxPages {
				t.Errorf("%d requests, more than GET /user and %d pages", n, prcomment.MaxPages)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error holds the token: %q", err)
			}
		})
	}
	if n := elsewhereHits.Load(); n != 0 {
		t.Errorf("another host got %d requests", n)
	}
}

func withPage(u *url.URL, page int) string {
	c := *u
	q := c.Query()
	q.Set("page", strconv.Itoa(page))
	c.RawQuery = q.Encode()
	return c.String()
}

// Past MaxPages, a comment of ours already found is updated: the listing is
// oldest first, so the oldest of ours is among the pages read.
func TestUpsertLongListingWithOurs(t *testing.T) {
	t.Parallel()
	s := prcommenttest.NewServer()
	defer s.Close()
	ours := s.AddComment(owner, repo, number, prcommenttest.ActionsBot, marker+"\nold")
	s.SetNextLink(func(page int, self *url.URL) string { return withPage(self, page+1) })
	res, err := upsert(t, s, "new", true)
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != prcomment.Updated || res.ID != ours {
		t.Errorf("got %v of %d, want updated of %d", res.Action, res.ID, ours)
	}
	if n := len(s.Requests()); n != 1+prcomment.MaxPages+1 {
		t.Errorf("%d requests, want GET /user, %d pages and a PATCH", n, prcomment.MaxPages)
	}
}

// A redirect to another host is not followed: the token stays home.
func TestUpsertRedirectOffHost(t *testing.T) {
	t.Parallel()
	var elsewhereAuth atomic.Value
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhereAuth.Store("hit: " + r.Header.Get("Authorization"))
		fmt.Fprint(w, "[]")
	}))
	defer elsewhere.Close()
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer api.Close()
	tg := prcomment.Target{APIURL: api.URL, Owner: owner, Repo: repo, Number: number}
	_, err := prcomment.Upsert(context.Background(), nil, token, tg, marker, "report", true)
	if err == nil || !strings.Contains(err.Error(), "not the API's host") {
		t.Errorf("got %v, want a redirect refused", err)
	}
	if v := elsewhereAuth.Load(); v != nil {
		t.Errorf("another host was asked: %v", v)
	}
}

func TestUpsertBoundsTheAnswer(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		n    int64
	}{
		{"endless", -1},
		{"just over the limit", prcomment.MaxResponseBytes + 64<<10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := prcommenttest.NewServer()
			defer s.Close()
			s.Flood(tc.n)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err := prcomment.Upsert(ctx, nil, token, target(s), marker, "report", true)
			if err == nil || !strings.Contains(err.Error(), "larger than 32 MiB") {
				t.Fatalf("got %v, want the answer refused as too large", err)
			}
			if ctx.Err() != nil {
				t.Fatal("stopped by the deadline, not by the bound")
			}
		})
	}
}

func TestUpsertEnterpriseServer(t *testing.T) {
	t.Parallel()
	s := prcommenttest.NewServer(prcommenttest.WithPrefix("/api/v3"))
	defer s.Close()
	if !strings.HasSuffix(s.URL, "/api/v3") {
		t.Fatalf("URL %q has no /api/v3", s.URL)
	}
	for _, body := range []string{"one", "two"} {
		if _, err := upsert(t, s, body, true); err != nil {
			t.Fatal(err)
		}
	}
	cs := s.Comments(owner, repo, number)
	list := "/api/v3/repos/octo/gate/issues/7/comments"
	want := []call{
		{"GET", "/api/v3/user"}, {"GET", list + "?page=1"}, {"POST", list},
		{"GET", "/api/v3/user"}, {"GET", list + "?page=1"}, {"PATCH", fmt.Sprintf("/api/v3/repos/octo/gate/issues/comments/%d", cs[0].ID)},
	}
	if diff := cmp.Diff(want, calls(s)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if len(cs) != 1 || cs[0].Body != marker+"\ntwo" {
		t.Errorf("comments %+v, want one with the second body", cs)
	}
}

func TestUpsertRefusesBadInput(t *testing.T) {
	t.Parallel()
	fits := strings.Repeat("é", prcomment.MaxBodyChars-1-len([]rune(marker))-1)
	for _, tc := range []struct {
		name   string
		mod    func(*prcomment.Target)
		token  string
		marker string
		body   string
		want   string // "" for no error
	}{
		{name: "longest body GitHub takes", body: fits},
		{name: "one character too long", body: fits + "x", want: "GitHub takes at most 65535"},
		{name: "number 0", mod: func(t *prcomment.Target) { t.Number = 0 }, want: "not a pull request's number"},
		{name: "negative number", mod: func(t *prcomment.Target) { t.Number = -3 }, want: "not a pull request's number"},
		{name: "owner with a slash", mod: func(t *prcomment.Target) { t.Owner = "a/b" }, want: "not OWNER/REPO"},
		{name: "repo ..", mod: func(t *prcomment.Target) { t.Repo = ".." }, want: "not OWNER/REPO"},
		{name: "marker of two lines", marker: "<!-- sigmagate: a -->\n<!-- sigmagate: b -->", want: "not one line made by Marker"},
		{name: "marker of another tool", marker: "<!-- other: a -->", want: "not one line made by Marker"},
		{name: "no token", token: "none", want: "no token to comment with"},
		{name: "api url with no host", mod: func(t *prcomment.Target) { t.APIURL = "file:///etc" }, want: "not an http(s) URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := prcommenttest.NewServer()
			defer s.Close()
			tg := target(s)
			if tc.mod != nil {
				tc.mod(&tg)
			}
			m := marker
			if tc.marker != "" {
				m = tc.marker
			}
			tok := token
			if tc.token == "none" {
				tok = ""
			}
			_, err := prcomment.Upsert(context.Background(), nil, tok, tg, m, tc.body, true)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
			if n := len(s.Requests()); n != 0 {
				t.Errorf("%d requests sent for input that was refused", n)
			}
		})
	}
}

// The caller's client is used, not changed.
func TestUpsertUsesTheCallersClient(t *testing.T) {
	t.Parallel()
	s := prcommenttest.NewServer()
	defer s.Close()
	var used atomic.Int64
	tr := roundTripper(func(r *http.Request) (*http.Response, error) {
		used.Add(1)
		return http.DefaultTransport.RoundTrip(r)
	})
	hc := &http.Client{Transport: tr}
	if _, err := prcomment.Upsert(context.Background(), hc, token, target(s), marker, "x", true); err != nil {
		t.Fatal(err)
	}
	if used.Load() != 3 {
		t.Errorf("the caller's transport carried %d requests, want 3", used.Load())
	}
	if hc.CheckRedirect != nil {
		t.Error("the caller's client was changed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := prcomment.Upsert(ctx, hc, token, target(s), marker, "x", true)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v with a cancelled context, want context.Canceled", err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// An html_url that is no link to show is dropped, not passed on.
func TestUpsertDropsABadURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, want string }{
		{"https://github.com/octo/gate/pull/7#issuecomment-5", "https://github.com/octo/gate/pull/7#issuecomment-5"},
		{"javascript:alert(1)", ""},
		{"https://github.com/x\n::error::forged", ""},
		{"https://github.com/x?t=" + token, ""},
		{"/relative", ""},
	} {
		t.Run(tc.url, func(t *testing.T) {
			t.Parallel()
			api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				switch r.Method {
				case "GET":
					if r.URL.Path == "/user" {
						w.WriteHeader(http.StatusForbidden)
						fmt.Fprint(w, `{"message":"Resource not accessible by integration"}`)
						return
					}
					fmt.Fprint(w, "[]")
				case "POST":
					w.WriteHeader(http.StatusCreated)
					fmt.Fprintf(w, `{"id":5,"html_url":%q}`, tc.url)
				}
			}))
			defer api.Close()
			tg := prcomment.Target{APIURL: api.URL, Owner: owner, Repo: repo, Number: number}
			res, err := prcomment.Upsert(context.Background(), nil, token, tg, marker, "x", true)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(prcomment.Result{Action: prcomment.Created, ID: 5, URL: tc.want}, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}
