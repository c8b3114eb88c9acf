package prcomment

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// DefaultAPIURL is GitHub's API, used when GITHUB_API_URL is not set.
const DefaultAPIURL = "https://api.github.com"

// MaxEventBytes bounds the event file FromEnv reads. GitHub caps webhook
// payloads at 25 MB; a larger file is not an event the runner wrote, and the
// decoder holds the whole document in memory.
const MaxEventBytes = 32 << 20

// Target says where the comment goes.
type Target struct {
	// APIURL is the REST API's base, without a trailing slash: on GitHub
	// Enterprise Server it ends in /api/v3.
	APIURL string
	Owner  string
	Repo   string
	// Number is the pull request's number, which is also its issue number:
	// a pull request's conversation comments are issue comments.
	Number int
}

func (t Target) String() string {
	return fmt.Sprintf("%s/%s#%d", t.Owner, t.Repo, t.Number)
}

// FromEnv reads the target from the runner's environment: GITHUB_EVENT_NAME,
// GITHUB_EVENT_PATH (the event's JSON, for pull_request.number),
// GITHUB_REPOSITORY and GITHUB_API_URL (default DefaultAPIURL).
//
// An event other than pull_request or pull_request_target has no pull request
// to comment on: ok is false and reason says why, with no error. Anything
// else that is missing or malformed is an error.
func FromEnv(getenv func(string) string) (t Target, ok bool, reason string, err error) {
	switch event := getenv("GITHUB_EVENT_NAME"); event {
	case "pull_request", "pull_request_target":
	case "":
		return Target{}, false, "not a pull request event (GITHUB_EVENT_NAME is not set: not running in GitHub Actions)", nil
	default:
		return Target{}, false, fmt.Sprintf("not a pull request event (%s)", untrusted.Cut(untrusted.OneLine(event), 64)), nil
	}
	api, err := apiURL(getenv("GITHUB_API_URL"))
	if err != nil {
		return Target{}, false, "", err
	}
	owner, repo, err := repository(getenv("GITHUB_REPOSITORY"))
	if err != nil {
		return Target{}, false, "", err
	}
	n, err := eventNumber(getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return Target{}, false, "", err
	}
	return Target{APIURL: api, Owner: owner, Repo: repo, Number: n}, true, "", nil
}

func apiURL(raw string) (string, error) {
	if raw == "" {
		return DefaultAPIURL, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL with a host and no query: set it to the REST API's base, such as %s or https://HOST/api/v3 on GitHub Enterprise Server",
			untrusted.Cut(untrusted.OneLine(raw), 200), DefaultAPIURL)
	}
	if !encrypted(u) {
		return "", fmt.Errorf("GITHUB_API_URL %q is http, which would send the token unencrypted: set it to the https address of the REST API (http is taken only for loopback hosts, such as a test's fake)",
			untrusted.Cut(untrusted.OneLine(raw), 200))
	}
	return strings.TrimRight(raw, "/"), nil
}

// encrypted reports whether the token sent to u cannot be read on the way:
// https, or http to this machine.
func encrypted(u *url.URL) bool {
	if u.Scheme == "https" {
		return true
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// repository splits GITHUB_REPOSITORY. Names are checked because they become
// path segments of every request.
func repository(raw string) (owner, repo string, err error) {
	owner, repo, found := strings.Cut(raw, "/")
	if !found || !validName(owner) || !validName(repo) {
		return "", "", fmt.Errorf("GITHUB_REPOSITORY %q is not OWNER/REPO: the runner sets it; set it by hand only outside GitHub Actions",
			untrusted.Cut(untrusted.OneLine(raw), 200))
	}
	return owner, repo, nil
}

func validName(s string) bool {
	if s == "" || len(s) > 100 || s == "." || s == ".." {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func eventNumber(path string) (int, error) {
	if path == "" {
		return 0, errors.New("GITHUB_EVENT_PATH is not set: the runner sets it to the event's JSON file; it is needed to find the pull request's number")
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("read the event file (GITHUB_EVENT_PATH): %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > MaxEventBytes {
		return 0, fmt.Errorf("the event file %s is %d bytes, more than any GitHub event (%d MiB); it is not read", path, fi.Size(), MaxEventBytes>>20)
	}
	var ev struct {
		PullRequest *struct {
			// Raw, so that a number in a string, which is not GitHub's,
			// is refused rather than read.
			Number *json.RawMessage `json:"number"`
		} `json:"pull_request"`
	}
	// The limit holds for a file that grows, or a pipe, after the Stat.
	lr := &io.LimitedReader{R: f, N: MaxEventBytes + 1}
	d := json.NewDecoder(lr)
	if err := d.Decode(&ev); err != nil {
		if lr.N <= 0 {
			return 0, fmt.Errorf("the event file %s is larger than any GitHub event (%d MiB); it is not read", path, MaxEventBytes>>20)
		}
		return 0, fmt.Errorf("the event file %s is not an event's JSON: %s", path, untrusted.Cut(untrusted.OneLine(err.Error()), 200))
	}
	if ev.PullRequest == nil || ev.PullRequest.Number == nil {
		return 0, fmt.Errorf("the event file %s has no pull_request.number, though the event is a pull request's", path)
	}
	raw := string(*ev.PullRequest.Number)
	n, err := strconv.ParseInt(raw, 10, 32)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("the event file %s has pull_request.number %s, which is not a pull request's number (a positive integer)",
			path, untrusted.Cut(untrusted.OneLine(raw), 40))
	}
	return int(n), nil
}
