package action

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"

	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// The built-in fake SigmaMind API is answered inside the process, through
// the HTTP client's transport, for --demo and for SIGMAGATE_TEST_FAKE_API.
// No socket is opened: the binary listens on no port, and it carries no HTTP
// server, which would add about 0.5 MB (6%) to every image pull.

// FakeAPIEnv names the test-only switch. An action's container on a
// GitHub-hosted runner sits on the job's Docker network, so it cannot reach a
// fake API served on the runner's 127.0.0.1, and api-url refuses plain http
// to any other host. With the switch set to a loopback host:port, requests
// to exactly that address are answered by the built-in fake; api-url must
// still name it, so setting the switch alone changes nothing a user relies on.
const FakeAPIEnv = "SIGMAGATE_TEST_FAKE_API"

// demoURL is the api-url of --demo, answered in-process: it only has to
// pass the api-url rule and read as local. Requests to other addresses, such
// as GitHub's for pr-comment, go where they are sent.
const demoURL = "http://" + demoHost

const demoHost = "127.0.0.1"

// inProcess answers requests for host, or for any host when host is empty,
// with h, and passes the others on to next.
type inProcess struct {
	host string
	h    http.Handler
	next http.RoundTripper
}

func (t *inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.host != "" && req.URL.Host != t.host {
		return t.next.RoundTrip(req)
	}
	if req.Body != nil {
		defer req.Body.Close()
	}
	// The handler expects a request as a server would hand it over.
	in := req.Clone(req.Context())
	in.Host, in.RequestURI, in.RemoteAddr = req.URL.Host, req.URL.RequestURI(), "in-process"
	if in.Body == nil {
		in.Body = http.NoBody
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, in)
	// As a real transport does: a request that timed out has no answer.
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// answerInProcess returns a copy of c whose requests for host (every request
// when host is empty) h answers.
func answerInProcess(c *http.Client, host string, h http.Handler) *http.Client {
	var hc http.Client
	if c != nil {
		hc = *c
	}
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	hc.Transport = &inProcess{host: host, h: h, next: next}
	return &hc
}

// startDemo serves the sample agents of --demo to the requests of e.HTTP
// for demoURL. The caller closes the fake.
func startDemo(e *Env) *sigmamindtest.Server {
	fake := sigmamindtest.NewHandler()
	fake.SeedSamples(e.Now())
	e.HTTP = answerInProcess(e.HTTP, demoHost, fake.Handler())
	return fake
}

// startTestFake honours SIGMAGATE_TEST_FAKE_API: unset, it does nothing and
// stop is a no-op. Set, it must be a loopback host:port; the fake then
// answers the requests for that address with the sample agents, accepting
// the key test-key, and a warning says so on every run.
func startTestFake(e *Env, warn func(string)) (stop func(), err error) {
	addr := e.Getenv(FakeAPIEnv)
	if addr == "" {
		return func() {}, nil
	}
	if err = checkFakeAddr(addr); err != nil {
		return nil, err
	}
	fake := sigmamindtest.NewHandler()
	fake.SeedSamples(e.Now())
	e.HTTP = answerInProcess(e.HTTP, addr, fake.Handler())
	warn(fmt.Sprintf("%s is set: requests to %s are answered by sigmagate's built-in fake SigmaMind API with sample agents, not by SigmaMind. It is for testing the action; unset it in real use.", FakeAPIEnv, addr))
	return fake.Close, nil
}

// checkFakeAddr accepts a loopback host:port, the only addresses api-url
// may reach over plain http, spelt as api-url's host must spell it.
func checkFakeAddr(addr string) error {
	bad := func(why string) error {
		return fmt.Errorf("%s=%q %s: set it to a loopback host:port such as 127.0.0.1:8089 (and api-url to http://127.0.0.1:8089), or unset it: it is for testing the action only", FakeAPIEnv, addr, why)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad("is not a host:port")
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return bad("has no valid port")
	}
	if host == "localhost" {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() && ip.Zone() == "" {
		return nil
	}
	return bad("is not a loopback address")
}
