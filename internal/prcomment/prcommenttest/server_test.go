package prcommenttest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/internal/prcomment/prcommenttest"
)

type answer struct {
	Status int
	Link   string
	Body   string
}

func do(t *testing.T, method, u, token, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, u, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header.Get("Link"), strings.TrimSpace(string(b))}
}

func TestServer(t *testing.T) {
	t.Parallel()
	s := prcommenttest.NewServer(prcommenttest.WithPrefix("api/v3"))
	defer s.Close()
	bob := prcommenttest.User{Login: "bob", ID: 2, Type: "User"}
	first := s.AddComment("o", "r", 1, bob, "one")
	s.AddComment("o", "r", 1, bob, "two")
	s.AddComment("o", "r", 2, bob, "elsewhere")
	list := s.URL + "/repos/o/r/issues/1/comments"
	tok := prcommenttest.DefaultToken

	got := []answer{
		do(t, "GET", list, "", ""),
		do(t, "GET", list, "wrong", ""),
		do(t, "GET", s.URL+"/user", tok, ""),
		do(t, "GET", list+"?per_page=1", tok, ""),
		do(t, "GET", list+"?per_page=1&page=2", tok, ""),
		do(t, "PATCH", s.URL+"/repos/o/r/issues/comments/"+jsonNumber(first), tok, `{"body":"edited"}`),
		do(t, "POST", list, tok, `{"nobody":1}`),
		do(t, "GET", strings.TrimSuffix(s.URL, "/api/v3")+"/repos/o/r/issues/1/comments", tok, ""),
	}
	u, _ := url.Parse(list)
	want := []answer{
		{401, "", `{"documentation_url":"https://docs.github.com/rest","message":"Bad credentials","status":"401"}`},
		{401, "", `{"documentation_url":"https://docs.github.com/rest","message":"Bad credentials","status":"401"}`},
		{403, "", `{"documentation_url":"https://docs.github.com/rest","message":"Resource not accessible by integration","status":"403"}`},
		{200, "<http://" + u.Host + "/api/v3/repositories/4242/issues/1/comments?page=2&per_page=1>; rel=\"next\"",
			`[{"id":1001,"user":{"login":"bob","id":2,"type":"User"},"body":"one","html_url":"https://github.com/o/r/pull/1#issuecomment-1001","created_at":"2026-05-05T12:01:00Z","updated_at":"2026-05-05T12:01:00Z"}]`},
		{200, "", `[{"id":1002,"user":{"login":"bob","id":2,"type":"User"},"body":"two","html_url":"https://github.com/o/r/pull/1#issuecomment-1002","created_at":"2026-05-05T12:02:00Z","updated_at":"2026-05-05T12:02:00Z"}]`},
		{200, "", `{"id":1001,"user":{"login":"bob","id":2,"type":"User"},"body":"edited","html_url":"https://github.com/o/r/pull/1#issuecomment-1001","created_at":"2026-05-05T12:01:00Z","updated_at":"2026-05-05T12:04:00Z"}`},
		{422, "", `{"documentation_url":"https://docs.github.com/rest","message":"Invalid request.\n\n\"body\" wasn't supplied.","status":"422"}`},
		{404, "", `{"documentation_url":"https://docs.github.com/rest","message":"Not Found","status":"404"}`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	var paths []string
	for _, r := range s.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	if diff := cmp.Diff([]string{
		"GET /api/v3/repos/o/r/issues/1/comments", "GET /api/v3/repos/o/r/issues/1/comments", "GET /api/v3/user",
		"GET /api/v3/repos/o/r/issues/1/comments", "GET /api/v3/repos/o/r/issues/1/comments",
		"PATCH /api/v3/repos/o/r/issues/comments/1001", "POST /api/v3/repos/o/r/issues/1/comments", "GET /repos/o/r/issues/1/comments",
	}, paths); diff != "" {
		t.Errorf("recorded (-want +got):\n%s", diff)
	}
}

func TestServerCreatesAsTheTokensUser(t *testing.T) {
	t.Parallel()
	s := prcommenttest.NewServer()
	defer s.Close()
	list := s.URL + "/repos/o/r/issues/3/comments"
	do(t, "POST", list, prcommenttest.DefaultToken, `{"body":"by the bot"}`)
	pat := prcommenttest.User{Login: "pat", ID: 9, Type: "User"}
	s.SetTokenUser(&pat)
	me := do(t, "GET", s.URL+"/user", prcommenttest.DefaultToken, "")
	do(t, "POST", list, prcommenttest.DefaultToken, `{"body":"by pat"}`)
	var authors []prcommenttest.User
	for _, c := range s.Comments("o", "r", 3) {
		authors = append(authors, c.User)
	}
	if diff := cmp.Diff([]prcommenttest.User{prcommenttest.ActionsBot, pat}, authors); diff != "" {
		t.Errorf("authors (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(answer{200, "", `{"login":"pat","id":9,"type":"User"}`}, me); diff != "" {
		t.Errorf("GET /user (-want +got):\n%s", diff)
	}
}

func TestServerRefusesAndFloods(t *testing.T) {
	t.Parallel()
	s := prcommenttest.NewServer()
	defer s.Close()
	list := s.URL + "/repos/o/r/issues/3/comments"
	tok := prcommenttest.DefaultToken
	s.Refuse(prcommenttest.Refusal{Method: "POST", Status: 403})
	if a := do(t, "POST", list, tok, `{"body":"x"}`); a.Status != 403 || len(s.Comments("o", "r", 3)) != 0 {
		t.Errorf("refused POST: %+v, %d comments", a, len(s.Comments("o", "r", 3)))
	}
	s.ClearRefusals()
	s.SetNextLink(func(page int, self *url.URL) string { return "https://elsewhere.example/x?page=9" })
	if a := do(t, "GET", list, tok, ""); a.Link != `<https://elsewhere.example/x?page=9>; rel="next"` {
		t.Errorf("hostile link: %+v", a)
	}
	s.Flood(1 << 20)
	a := do(t, "GET", list, tok, "")
	if a.Status != 200 || len(a.Body) < 1<<20 || !json.Valid([]byte(a.Body)) {
		t.Errorf("flood: status %d, %d bytes, valid %v", a.Status, len(a.Body), json.Valid([]byte(a.Body)))
	}
}

func jsonNumber(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
