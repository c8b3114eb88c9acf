package sigmamind

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// DefaultBaseURL is SigmaMind's public API.
const DefaultBaseURL = "https://api.sigmamind.ai"

const (
	// MaxBodyBytes bounds what the client reads from one response. A page of
	// 100 batch runs with long prompts is a few MiB; more is a broken server.
	MaxBodyBytes = 32 << 20
	// MaxPageSize is the largest page the client asks for. SigmaMind documents
	// no maximum; 100 is a size every paginated API accepts.
	MaxPageSize = 100
	// maxPages bounds a listing, so that a server whose hasNext never turns
	// false cannot keep the gate busy until its timeout.
	maxPages = 1000
	// maxStalePages is how many pages in a row may bring no batch run that was
	// not seen before; more means the server is not advancing.
	maxStalePages  = 3
	errorBodyBytes = 64 << 10
	// MaxIDLength bounds a batch id; SigmaMind's are about 22 characters.
	MaxIDLength = 256
	// MaxAttempts bounds the attempts of one batch run, so that sums over
	// many batches cannot overflow.
	MaxAttempts = 1e12
	// MaxClockSkew is how far a createdDate may be ahead of the client's
	// clock. Clocks drift a little; a batch run created further in the future
	// is impossible, and would look fresh to max-age forever.
	MaxClockSkew = 5 * time.Minute
)

// Client talks to SigmaMind's API. Its zero value is not usable: make one
// with NewClient. Exported fields may be changed before the first call.
type Client struct {
	httpClient *http.Client
	baseURL    *url.URL
	apiKey     string

	// UserAgent is sent with every request.
	UserAgent string
	// MaxRetries is how often a retryable failure is retried; 0 means never.
	MaxRetries int
	// RequestTimeout bounds one request, so that one hung connection cannot
	// use up the whole budget of the caller's context.
	RequestTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait before a retry.
	MinBackoff, MaxBackoff time.Duration
	// Sleep waits between retries; tests replace it to avoid real sleeping.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now reads the clock for Retry-After dates.
	Now func() time.Time
	// Jitter returns a random fraction in [0, 1) used to spread retries.
	Jitter func() float64
}

// NewClient returns a client of the API at baseURL that authenticates with
// apiKey. A nil httpClient means http.DefaultClient.
func NewClient(httpClient *http.Client, baseURL, apiKey string) (*Client, error) {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("parse base url: %w", err)
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("base url %q: want an http or https url with a host", baseURL)
	}
	// A copy, so that the redirect policy is this client's own and the
	// caller's client is left as it was.
	hc := *httpClient
	hc.CheckRedirect = keepKeyAtHome(u, httpClient.CheckRedirect)
	return &Client{
		httpClient:     &hc,
		baseURL:        u,
		apiKey:         apiKey,
		UserAgent:      "sigmagate",
		MaxRetries:     3,
		RequestTimeout: 30 * time.Second,
		MinBackoff:     500 * time.Millisecond,
		MaxBackoff:     30 * time.Second,
		Sleep:          sleep,
		Now:            time.Now,
		Jitter:         rand.Float64,
	}, nil
}

// keepKeyAtHome is a redirect policy that follows redirects only within the
// API's origin (or from http to https on the same host). net/http strips
// Authorization and cookies from a redirect to another host, but it forwards
// every other header, X-API-Key included; so a redirect elsewhere is not
// followed: its 3xx answer is returned and reported as an *APIError.
func keepKeyAtHome(base *url.URL, next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		to := req.URL
		sameHost := strings.EqualFold(to.Host, base.Host)
		upgrade := base.Scheme == "http" && to.Scheme == "https" &&
			strings.EqualFold(to.Hostname(), base.Hostname()) && (to.Port() == "" || to.Port() == "443")
		if !(sameHost && to.Scheme == base.Scheme) && !upgrade {
			return http.ErrUseLastResponse
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
}

// ListOptions selects one page of a list. Page is zero-based.
type ListOptions struct {
	Page int
	Size int
}

// ListBatchRuns returns one page of the agent's batch runs, newest first.
// Every batch run on the page is checked on its own: its numbers, its agent
// (agentID, spelt agent_X or X) and its createdDate (present, and not ahead
// of Now by more than MaxClockSkew). When some fail, the page comes with
// RowErrors that name them: one bad row does not make the others unusable,
// and a caller that stops at any error still never uses it.
func (c *Client) ListBatchRuns(ctx context.Context, agentID string, opts ListOptions) (*Page[BatchRun], error) {
	q := url.Values{}
	q.Set("agentId", agentID)
	q.Set("page", strconv.Itoa(opts.Page))
	q.Set("size", strconv.Itoa(opts.Size))
	var page Page[BatchRun]
	// A server may send fewer batch runs than asked for, never many more:
	// the bound keeps a page's memory bounded too.
	maxRuns := max(opts.Size, MaxPageSize)
	err := c.get(ctx, batchRunsPath, q, func(d *decoder) error {
		page = Page[BatchRun]{} // a retry starts afresh
		return readBatchRunPage(d, &page, maxRuns)
	})
	if err != nil {
		return nil, err
	}
	var bad RowErrors
	for i := range page.Data {
		b := &page.Data[i]
		scrub(b, c.apiKey)
		if de := c.check(agentID, b); de != nil {
			de.Page, de.Row = opts.Page, i+1
			bad = append(bad, de)
		}
	}
	if len(bad) > 0 {
		return &page, bad
	}
	return &page, nil
}

// BatchRuns iterates over the agent's batch runs, newest first, asking for
// pages of pageSize. It follows hasNext rather than trusting the page size.
// Stop iterating to stop requesting.
//
// A batch run that cannot be used is yielded as (nil, *DataError), and the
// iteration goes on with the next one if the consumer keeps ranging: its
// numbers are impossible, it names another agent, it has no createdDate or
// one in the future, it is newer than a batch run listed before it (the
// listing is not newest first), or it contradicts an earlier copy of itself.
// Any other error (an HTTP failure, a page that cannot be read, a listing
// that does not end or does not advance) ends the iteration.
//
// New runs shift the pages while they are read, so a batch can come again.
// An identical copy is skipped. A copy that is a plain progression of the
// earlier one (no count went down, the configured attempts did not shrink)
// is yielded again: it replaces the earlier one, which keeps its place. Any
// other copy is a *DataError, whatever the batch's state.
func (c *Client) BatchRuns(ctx context.Context, agentID string, pageSize int) iter.Seq2[*BatchRun, error] {
	return func(yield func(*BatchRun, error) bool) {
		// Only what later checks need, never the rows: a search through
		// a thousand pages must not keep them all.
		seen := make(map[string]sighting)
		var oldest struct {
			id      string
			created time.Time
			set     bool
		}
		stale := 0
		for page := 0; ; page++ {
			if page == maxPages {
				yield(nil, &ResponseError{Method: http.MethodGet, Path: c.shown(batchRunsPath),
					Problem: fmt.Sprintf("still more pages after %d pages of %d: the listing does not end", maxPages, pageSize)})
				return
			}
			p, err := c.ListBatchRuns(ctx, agentID, ListOptions{Page: page, Size: pageSize})
			var bad RowErrors
			if err != nil && !errors.As(err, &bad) {
				yield(nil, err)
				return
			}
			fresh := 0
			for i := range p.Data {
				b := &p.Data[i]
				var problem *DataError
				if len(bad) > 0 && bad[0].Row == i+1 {
					problem, bad = bad[0], bad[1:]
				}
				key := seenKey(b.BatchID)
				earlier, again := seen[key]
				now := sight(b)
				if !again {
					fresh++
				}
				fail := func(format string, args ...any) *DataError {
					return &DataError{BatchID: b.BatchID, Created: b.CreatedDate, Page: page, Row: i + 1, Problem: fmt.Sprintf(format, args...)}
				}
				switch {
				case problem != nil:
				case again && earlier.bad:
					problem = fail("it is listed again after a copy that could not be used")
				case again:
					if why := contradiction(earlier, now); why != "" {
						problem = fail("%s", why)
					} else if earlier.same(now) {
						continue
					}
				case oldest.set && b.CreatedDate.After(oldest.created):
					problem = fail("its createdDate %s is newer than that of batch run %q (%s), listed before it: the listing is not newest first",
						stamp(b.CreatedDate), oldest.id, stamp(oldest.created))
				}
				if problem != nil {
					seen[key] = sighting{bad: true}
					if !yield(nil, problem) {
						return
					}
					continue
				}
				seen[key] = now
				if !again {
					oldest.id, oldest.created, oldest.set = strings.Clone(b.BatchID), b.CreatedDate, true
				}
				if !yield(b, nil) {
					return
				}
			}
			if !p.HasNext {
				return
			}
			if fresh == 0 {
				stale++
			} else {
				stale = 0
			}
			if stale == maxStalePages {
				yield(nil, &ResponseError{Method: http.MethodGet, Path: c.shown(batchRunsPath),
					Problem: fmt.Sprintf("pages %d to %d brought no new batch run though hasNext is true: the listing is not advancing", page-maxStalePages+1, page)})
				return
			}
		}
	}
}

// sighting is what the listing said of a batch run: what a later copy of it
// is checked against.
type sighting struct {
	successful, failed, total, expected int64
	created                             time.Time
	bad                                 bool // it could not be used
}

func sight(b *BatchRun) sighting {
	return sighting{successful: b.SuccessfulAttempts, failed: b.FailedAttempts, total: b.TotalAttempts,
		expected: b.ExpectedAttempts(), created: b.CreatedDate}
}

func (a sighting) same(b sighting) bool {
	return a.successful == b.successful && a.failed == b.failed && a.total == b.total &&
		a.expected == b.expected && a.created.Equal(b.created) && a.bad == b.bad
}

// contradiction says why a later copy of a batch run cannot follow the
// earlier one, or "" when it can: a batch run only moves forward. Its state
// does not matter: without test cases nobody knows whether it finished, and
// 10 successful then 10 failed attempts is no progress either way.
func contradiction(earlier, later sighting) string {
	switch {
	case !later.created.Equal(earlier.created):
		return fmt.Sprintf("it is listed again with another createdDate (%s, then %s)", stamp(earlier.created), stamp(later.created))
	case later.successful < earlier.successful || later.failed < earlier.failed || later.total < earlier.total:
		return fmt.Sprintf("it is listed again with fewer attempts (successful %d, failed %d, total %d; then %d, %d, %d): the copies contradict each other",
			earlier.successful, earlier.failed, earlier.total, later.successful, later.failed, later.total)
	case later.expected < earlier.expected:
		return fmt.Sprintf("it is listed again with fewer configured attempts (%d, then %s): the copies contradict each other",
			earlier.expected, configured(later.expected))
	}
	return ""
}

func configured(n int64) string {
	if n == 0 {
		return "unknown"
	}
	return strconv.FormatInt(n, 10)
}

// seenKey is the key of a batch id in the iterator's memory: the id itself,
// copied so that it keeps nothing else alive, or a digest of an id too long
// to be one, so that a hostile id costs no more than a real one.
func seenKey(id string) string {
	if len(id) > MaxIDLength {
		sum := sha256.Sum256([]byte(id))
		return "\x00" + string(sum[:])
	}
	return strings.Clone(id)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "none"
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// Validate reports a batch run whose numbers cannot be true, or that has no
// createdDate. Judging such a batch could pass a gate on nonsense, so it is
// an error instead.
func Validate(b *BatchRun) error {
	if err := validate(b); err != nil {
		return err
	}
	return nil
}

func validate(b *BatchRun) *DataError {
	bad := func(format string, args ...any) *DataError {
		return &DataError{BatchID: b.BatchID, Created: b.CreatedDate, Problem: fmt.Sprintf(format, args...)}
	}
	switch {
	case b.Invalid != "":
		// The decoder refused part of its JSON: what was read of it cannot
		// be trusted.
		d := bad("%s", b.Invalid)
		if len(d.BatchID) > MaxIDLength {
			d.BatchID = cutID(d.BatchID)
		}
		return d
	case b.BatchID == "":
		return bad("batchId is empty")
	case strings.ContainsFunc(b.BatchID, unicode.IsControl):
		// Ids are opaque, but a line break in one is no id: it would only
		// split log lines and report rows.
		return bad("batchId contains a control character")
	case len(b.BatchID) > MaxIDLength:
		// Ids travel in step outputs, which a job shares 1 MB of.
		return &DataError{BatchID: cutID(b.BatchID), Created: b.CreatedDate, Problem: fmt.Sprintf("batchId is %d bytes long, more than any id (%d)", len(b.BatchID), MaxIDLength)}
	case b.CreatedDate.IsZero():
		// Without it neither the listing's order nor max-age can be checked.
		return bad("createdDate is missing")
	case b.TotalAttempts > MaxAttempts:
		return bad("totalAttempts %d is more than a batch run can have (%d)", b.TotalAttempts, int64(MaxAttempts))
	case b.SuccessfulAttempts < 0 || b.FailedAttempts < 0 || b.TotalAttempts < 0:
		return bad("negative attempt count (successful %d, failed %d, total %d)", b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts)
	case b.SuccessfulAttempts > b.TotalAttempts || b.FailedAttempts > b.TotalAttempts-b.SuccessfulAttempts:
		return bad("successful %d + failed %d attempts exceed the total %d", b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts)
	}
	for _, tc := range b.TestCases {
		if tc.Attempt < 0 {
			return bad("test case %q has a negative attempt count %d", tc.TestCaseID, tc.Attempt)
		}
	}
	return nil
}

// check reports why a batch run listed for agentID cannot be used: its own
// numbers, whose it is, when it was created.
func (c *Client) check(agentID string, b *BatchRun) *DataError {
	if de := validate(b); de != nil {
		return de
	}
	bad := func(format string, args ...any) *DataError {
		return &DataError{BatchID: b.BatchID, Created: b.CreatedDate, Problem: fmt.Sprintf(format, args...)}
	}
	// Another agent's batch runs are no evidence about this one; and an
	// agent that is not named cannot be shown to be this one.
	switch {
	case b.Agent == nil:
		return bad("it names no agent, so it cannot be shown to be a batch run of agent-id")
	case b.Agent.AgentID == "":
		return bad("its agent.agentId is empty, so it cannot be shown to be a batch run of agent-id")
	case !sameAgent(b.Agent.AgentID, agentID):
		return bad("it is a batch run of agent %s, not of agent-id", shortID(b.Agent.AgentID))
	}
	for _, tc := range b.TestCases {
		if tc.Agent != nil && tc.Agent.AgentID != "" && !sameAgent(tc.Agent.AgentID, agentID) {
			return bad("its test case %s is of agent %s, not of agent-id", shortID(tc.TestCaseID), shortID(tc.Agent.AgentID))
		}
	}
	if now := c.Now(); b.CreatedDate.After(now.Add(MaxClockSkew)) {
		return bad("its createdDate %s is %v ahead of this machine's clock, more than the %v a clock may be off: a batch run cannot be created in the future",
			stamp(b.CreatedDate), b.CreatedDate.Sub(now).Round(time.Second), MaxClockSkew)
	}
	return nil
}

// sameAgent reports whether two agent ids name one agent. SigmaMind writes an
// agent id both as agent_X and as the bare X; nothing looser is the same: no
// case folding, no trimming, one prefix at most.
func sameAgent(a, b string) bool {
	bare := func(id string) string { return strings.TrimPrefix(id, "agent_") }
	return bare(a) != "" && bare(a) == bare(b)
}

// shortID quotes an id from the API for a message: escaped, and cut so that
// a hostile one cannot flood it.
func shortID(id string) string {
	return strconv.Quote(untrusted.Cut(id, 64))
}

// cutID is the start of an id too long to be one, for a message: its first
// 32 bytes, never half a character, and "…".
func cutID(id string) string {
	return untrusted.CutBytes(id, 32)
}

// scrub removes the API key from every text of a batch run, so that a server
// echoing it cannot carry it into a summary, an output or a report file.
func scrub(b *BatchRun, key string) {
	if key == "" {
		return
	}
	found := untrusted.NewSecrets(key)
	r := func(s *string) { *s = found.Redact(*s) }
	agent := func(a *Agent) {
		if a != nil {
			r(&a.Name)
			r(&a.AgentID)
			r(&a.Status)
		}
	}
	r(&b.BatchID)
	r(&b.Invalid)
	r(&b.WorkspaceID)
	agent(b.Agent)
	for i := range b.TestCases {
		tc := &b.TestCases[i]
		r(&tc.TestCaseID)
		r(&tc.Label)
		agent(tc.Agent)
		r(&tc.WorkspaceID)
		r(&tc.LLMModel)
		r(&tc.UserPrompt)
		r(&tc.SuccessCriteria)
		for j := range tc.MockData {
			r(&tc.MockData[j].VariableName)
			r(&tc.MockData[j].Value)
		}
	}
}

const batchRunsPath = "/v1/batch-runs"

// shown is the path of an endpoint as requested, base path included, for
// messages: a 404 from an api-url ending in /v1 must not read as an unknown
// agent.
func (c *Client) shown(path string) string {
	// Escaped, so that an id in the path shows as it was sent; redacted,
	// because an id can come from an answer.
	return untrusted.Redact("/"+strings.TrimLeft(c.baseURL.JoinPath(path).EscapedPath(), "/"), c.apiKey)
}

// get sends a GET request, retrying what may pass later, and reads a 2xx
// JSON answer with read as it arrives.
func (c *Client) get(ctx context.Context, path string, q url.Values, read func(*decoder) error) error {
	return c.send(ctx, http.MethodGet, path, q, nil, read, nil)
}

// send sends a request with an optional JSON body, retrying what may pass
// later and, when again is set, only what again allows; it reads a 2xx JSON
// answer with read as it arrives. It is the one place that turns an answer
// into an error. path is joined to the base URL as an escaped path.
func (c *Client) send(ctx context.Context, method, path string, q url.Values, body []byte, read func(*decoder) error, again func(error) bool) error {
	u := c.baseURL.JoinPath(path)
	u.RawQuery = q.Encode()
	for attempt := 1; ; attempt++ {
		err := c.try(ctx, method, u, body, c.shown(path), attempt, read)
		if err == nil {
			return nil
		}
		wait, retry := c.retryAfter(err, attempt)
		if !retry || again != nil && !again(err) || ctx.Err() != nil {
			return err
		}
		// The deadline is on the real clock; c.Now may be a test's or the
		// caller's fake one, so it must not measure the time left.
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
			return err // waiting would outlast the caller's time: say why now
		}
		if serr := c.Sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

// try sends one request and reads the body of a 2xx answer with read. The
// body is decoded as it arrives rather than read whole first: memory
// follows what read keeps, not what the server sends.
func (c *Client) try(ctx context.Context, method string, u *url.URL, body []byte, path string, attempt int, read func(*decoder) error) error {
	parent := ctx
	if c.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.RequestTimeout)
		defer cancel()
	}
	// Whether any of an answer came, to tell a server that answered with
	// something unreadable from one that could not be reached. Reset for
	// every request of a redirect chain.
	// And whether the request certainly did not go out, for a create: one
	// that failed while a connection was sought or before its headers were
	// written created nothing. A transport that reports neither (not
	// net/http's) may have sent it.
	var answered, unsent atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GetConn:              func(string) { answered.Store(false); unsent.Store(true) },
		WroteHeaders:         func() { unsent.Store(false) },
		GotFirstResponseByte: func() { answered.Store(true) },
	})
	var payload io.Reader
	if body != nil {
		payload = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), payload)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("X-API-Key", c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	transportErr := func(err error) *TransportError {
		// *url.Error repeats the full URL; the method and path say enough.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		// Only when the request's own timeout struck: the caller's deadline
		// is not this request being slow.
		if errors.Is(err, context.DeadlineExceeded) && c.RequestTimeout > 0 && parent.Err() == nil {
			err = fmt.Errorf("no answer within %v: %w", c.RequestTimeout, err)
		}
		// net/http quotes what the server sent in some errors: the key
		// goes here, where the text enters, before any formatter.
		return NewTransportError(req.Method, path, attempt, err, c.apiKey)
	}
	resp, err := c.httpClient.Do(req)
	if err != nil {
		te := transportErr(err)
		te.Answered = answered.Load()
		te.Sent = !unsent.Load() || te.Answered
		return te
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		// The status is the answer: a 401 whose body broke off is still a
		// refused key, not a network failure. The body only adds detail.
		answer, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyBytes+1))
		return c.apiError(resp, path, answer, attempt)
	}
	src := newSource(resp.Body, MaxBodyBytes)
	ct := resp.Header.Get("Content-Type")
	var rerr error
	if ct == "" || isJSON(ct) {
		d := newDecoder(src, c.apiKey)
		rerr = read(d)
		if d.readErr != nil && src.err == nil {
			src.err = d.readErr
		}
	}
	// What is left is read too, so that a broken connection, then the size,
	// then the type come first, as when the body was read whole.
	src.drain()
	if src.err != nil {
		// The server answered, then the body broke off; a whole answer may
		// come next time.
		te := transportErr(src.err)
		te.Answered, te.Sent, te.Status = true, true, resp.StatusCode
		return te
	}
	if src.n > MaxBodyBytes {
		return &ResponseError{Method: req.Method, Path: path,
			Problem: fmt.Sprintf("the response is larger than %d MiB; the gate does not read it", MaxBodyBytes>>20)}
	}
	if ct != "" && !isJSON(ct) {
		return &ResponseError{Method: req.Method, Path: path,
			Problem: fmt.Sprintf("the response is %s, not JSON", excerpt([]byte(ct), c.apiKey)), Excerpt: src.excerpt(c.apiKey)}
	}
	var re *readError
	if errors.As(rerr, &re) {
		return &ResponseError{Method: req.Method, Path: path, Problem: untrusted.Redact(re.problem, c.apiKey), Excerpt: src.excerpt(c.apiKey)}
	}
	return rerr
}

func (c *Client) apiError(resp *http.Response, path string, body []byte, attempt int) *APIError {
	e := &APIError{Method: resp.Request.Method, Path: path, StatusCode: resp.StatusCode, Attempts: attempt}
	var eb ErrorBody
	if json.Unmarshal(body, &eb) == nil && (eb.Message != "" || eb.Error != "" || len(eb.ValidationErrors) > 0) {
		e.Body = ErrorBody{
			Error:   excerpt([]byte(eb.Error), c.apiKey),
			Message: excerpt([]byte(eb.Message), c.apiKey),
			Path:    excerpt([]byte(eb.Path), c.apiKey),
		}
		if len(eb.ValidationErrors) > 0 {
			e.Body.ValidationErrors = make(map[string]any, len(eb.ValidationErrors))
			for k, v := range eb.ValidationErrors {
				e.Body.ValidationErrors[excerpt([]byte(k), c.apiKey)] = excerpt([]byte(fmt.Sprint(v)), c.apiKey)
			}
		}
	} else if len(bytes.TrimSpace(body)) > 0 {
		e.Excerpt = excerpt(body, c.apiKey)
	}
	if ra := strings.TrimSpace(resp.Header.Get("Retry-After")); ra != "" {
		if untrusted.Digits(ra) {
			// Saturate: a huge value must not wrap around into a short wait.
			secs, err := strconv.ParseInt(ra, 10, 64)
			if err != nil || secs > int64(math.MaxInt64/time.Second) {
				e.RetryAfter = math.MaxInt64
			} else {
				e.RetryAfter = time.Duration(secs) * time.Second
			}
		} else if t, err := http.ParseTime(ra); err == nil {
			e.RetryAfter = max(t.Sub(c.Now()), 0)
		}
	}
	return e
}

// retryAfter says whether err is worth another try and how long to wait.
func (c *Client) retryAfter(err error, attempt int) (time.Duration, bool) {
	if attempt > c.MaxRetries {
		return 0, false
	}
	var retryAfter time.Duration
	var apiErr *APIError
	var tErr *TransportError
	switch {
	case errors.As(err, &apiErr):
		if !apiErr.Retryable() {
			return 0, false
		}
		retryAfter = apiErr.RetryAfter
	case errors.As(err, &tErr):
		if !tErr.Retryable() || errors.Is(err, context.Canceled) {
			return 0, false
		}
	default:
		return 0, false
	}
	return max(c.backoff(attempt), retryAfter), true
}

// backoff is the wait before the retry that follows attempt: exponential,
// with jitter in [d/2, d), so that many gates that failed together do not
// retry together.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.MinBackoff << (attempt - 1)
	if d > c.MaxBackoff || d <= 0 {
		d = c.MaxBackoff
	}
	return d/2 + time.Duration(c.Jitter()*float64(d/2))
}

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/json"
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
