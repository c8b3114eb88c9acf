// Package sigmamindtest provides a fake SigmaMind API for tests, demos and
// container workflows, in the spirit of net/http/httptest.
//
// The fake serves GET /v1/batch-runs (paginated, newest first),
// GET /v1/batch-runs/{batchId}?agentId=, POST /v1/batch-runs (a create, whose
// batch run then progresses as simulated) and GET /v1/test-cases?agentId=,
// checks X-API-Key, validates parameters the way SigmaMind's Spring backend
// does, and answers errors with Spring-style bodies. Faults (status codes,
// delays, hangs, resets, truncated bodies, before or after the request took
// effect) and broken pagination can be injected to exercise a client's
// failure handling.
package sigmamindtest

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sigmagate/sigmagate/sigmamind"
)

// DefaultAPIKey is the X-API-Key the server accepts unless WithAPIKey says
// otherwise.
const DefaultAPIKey = "test-key"

const (
	listPath      = "/v1/batch-runs"
	testCasesPath = "/v1/test-cases"
	defaultSize   = 10
	maxSeenConns  = 4096
	jsonMediaType = "application/json"
)

// PaginationMode selects how the list endpoint paginates. The broken modes
// let a client prove that it cannot loop forever on a misbehaving server.
type PaginationMode int

const (
	// Normal paginates correctly.
	Normal PaginationMode = iota
	// RepeatFirstPage ignores the page parameter: every response is page 0
	// with hasNext true.
	RepeatFirstPage
	// EndlessHasNext paginates correctly but always claims hasNext, so
	// pages past the end are empty yet never final.
	EndlessHasNext
)

// Request is a request the server received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte // the first MiB of the body; nil when it had none
}

// Fault replaces the server's normal answer to one or more requests.
//
// Precedence: Delay is waited first; then Hang, then Reset; otherwise the
// fault's response (Status/Body), or the normal response when both are zero,
// is sent, truncated if Truncate is set. A zero Fault therefore lets one
// request through untouched, which is handy as a spacer in a FIFO sequence.
//
// A fault answers instead of the server: the request takes no effect (a
// create creates nothing, a read does not advance a simulated batch run),
// unless Process is set. With Process the request is handled first, and
// then the fault answers: a create whose answer is lost.
type Fault struct {
	Status      int           // status to answer with; 0 with Reset/Hang means no answer
	Body        string        // raw body; when empty and Status >= 400, a Spring-style ErrorBody JSON for Status
	ContentType string        // default application/json
	RetryAfter  string        // Retry-After header value, as given (seconds or HTTP date)
	Delay       time.Duration // wait before answering (stop early if the request's context ends)
	Hang        bool          // never answer: block until the client gives up (request context done) or the server closes
	Reset       bool          // hijack and close the connection with no response (client sees a reset/EOF)
	Truncate    bool          // send a valid Content-Length for the full normal response but only half of the body, then close
	Process     bool          // handle the request as usual (it takes effect) before the fault answers it
	Times       int           // how many requests this fault answers; 0 means 1
}

// Option configures a Server.
type Option func(*Server)

// WithAPIKey sets the only X-API-Key the server accepts. A request without
// the header is always rejected, so WithAPIKey("") rejects every request.
func WithAPIKey(key string) Option {
	return func(s *Server) { s.apiKey = key }
}

// WithMaxPageSize makes the server clamp size to n, as real servers do to
// protect themselves; n <= 0 means no limit.
func WithMaxPageSize(n int) Option {
	return func(s *Server) { s.maxPageSize = max(n, 0) }
}

// WithClock sets the clock used for error timestamps and the createdDate of
// created batch runs, so tests can compare whole bodies. A nil function keeps
// time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Server) {
		if now != nil {
			s.now = now
		}
	}
}

// Server is a fake SigmaMind API. It is safe for concurrent use.
type Server struct {
	URL string // base URL, e.g. http://127.0.0.1:PORT (no trailing slash); empty for NewHandler

	// Set by options before the server is shared; read-only afterwards.
	apiKey        string
	maxPageSize   int
	now           func() time.Time
	createdStatus int
	seed          uint64

	ts        *httptest.Server
	done      chan struct{} // closed by Close to release hung and delayed requests
	closeOnce sync.Once

	mu         sync.Mutex
	agents     map[string][]entry // sorted newest first
	seq        int64
	faults     []pendingFault
	pagination PaginationMode
	requests   []Request
	seenConns  map[string]struct{} // remote addresses that already sent a request
	onRequest  func(Request)

	// Test cases and simulated batch runs (simulate.go).
	testCases   map[string][]sigmamind.TestCase
	listing     TestCaseListing
	simulations map[string]Simulation // by agent
	running     map[string]*simRun    // by batch id
	rng         *rand.Rand
}

type entry struct {
	run sigmamind.BatchRun
	seq int64 // insertion order, to break CreatedDate ties later-added first
}

type pendingFault struct {
	Fault
	left int
}

// NewServer starts a fake on 127.0.0.1 with a random port. Call Close when
// done.
func NewServer(opts ...Option) *Server {
	s := NewHandler(opts...)
	s.ts = httptest.NewServer(s.Handler())
	s.URL = s.ts.URL
	return s
}

// NewHandler returns a fake that is not listening; serve s.Handler() with
// your own http.Server. Its URL is empty.
func NewHandler(opts ...Option) *Server {
	s := &Server{
		apiKey:        DefaultAPIKey,
		now:           time.Now,
		createdStatus: http.StatusCreated,
		seed:          defaultSeed,
		done:          make(chan struct{}),
		agents:        make(map[string][]entry),
		seenConns:     make(map[string]struct{}),
		testCases:     make(map[string][]sigmamind.TestCase),
		simulations:   make(map[string]Simulation),
		running:       make(map[string]*simRun),
	}
	for _, opt := range opts {
		if opt != nil {
			opt(s)
		}
	}
	s.rng = rand.New(rand.NewPCG(s.seed, s.seed^sampleSeed))
	return s
}

// Handler returns the fake's HTTP handler.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

// Close releases requests blocked by Hang or Delay faults and, for a server
// started by NewServer, shuts it down. Releasing first matters: httptest
// waits for outstanding requests, so a hung one would block Close forever.
// It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	if s.ts != nil {
		s.ts.Close()
	}
}

// AddAgent registers an agent with no batch runs, so listing it answers an
// empty page instead of 404.
func (s *Server) AddAgent(agentID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.agents[agentID]; !ok {
		s.agents[agentID] = []entry{}
	}
}

// AddBatchRuns registers the agent and adds runs to it. Runs are copied, so
// the caller may reuse them. Batch ids are not deduplicated: a test may want
// a server that lists the same batch twice.
//
// A run without an agent is served as the agent's: SigmaMind always names
// it, and a client checks it. Serve a raw page (Fault.Body) to test a run
// that names no agent.
func (s *Server) AddBatchRuns(agentID string, runs ...sigmamind.BatchRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.agents[agentID]
	if list == nil {
		list = []entry{}
	}
	for _, r := range runs {
		s.seq++
		list = append(list, entry{run: ownRun(agentID, r), seq: s.seq})
	}
	sortEntries(list)
	s.agents[agentID] = list
}

// SetBatchRun replaces the agent's runs that have run.BatchID, or adds run
// when there is none, so a test can make a batch progress between polls.
func (s *Server) SetBatchRun(agentID string, run sigmamind.BatchRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.agents[agentID]
	found := false
	for i := range list {
		if list[i].run.BatchID == run.BatchID {
			list[i].run = ownRun(agentID, run)
			found = true
		}
	}
	if !found {
		if list == nil {
			list = []entry{}
		}
		s.seq++
		list = append(list, entry{run: ownRun(agentID, run), seq: s.seq})
	}
	sortEntries(list)
	s.agents[agentID] = list
}

// ListAsGiven replaces the agent's runs with runs, listed in the given order
// rather than newest first, so that a test can serve a listing that is out
// of order. A later AddBatchRuns or SetBatchRun sorts them again.
func (s *Server) ListAsGiven(agentID string, runs ...sigmamind.BatchRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]entry, 0, len(runs))
	for _, r := range runs {
		s.seq++
		list = append(list, entry{run: ownRun(agentID, r), seq: s.seq})
	}
	s.agents[agentID] = list
}

// Fail enqueues faults. Each following request, whatever its path or
// credentials, is answered by the head fault until its Times are used up.
//
// Go's http.Transport silently retries an idempotent request once when a
// kept-alive connection closes before any response byte. So that a Reset is
// seen by the client, a Reset on a connection that already carried a request
// does not use up one of its Times: the transport's retry, on a fresh
// connection, is reset and counted instead.
func (s *Server) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		s.faults = append(s.faults, pendingFault{Fault: f, left: max(f.Times, 1)})
	}
}

// SetPagination switches the pagination mode of the list endpoint.
func (s *Server) SetPagination(m PaginationMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pagination = m
}

// Requests returns copies of every request received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	for i, r := range s.requests {
		out[i] = cloneRequest(r)
	}
	return out
}

// OnRequest sets a function called with each request as it arrives, before
// it is answered or takes effect: a test can start another batch run
// "meanwhile" (StartBatchRun) or change the server at an exact moment. It is
// called outside the server's lock; nil removes it.
func (s *Server) OnRequest(f func(Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onRequest = f
}

// maxBodyBytes bounds what the fake reads of a request body.
const maxBodyBytes = 1 << 20

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		body, _ = io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	}
	req, hook := s.request(r, body)
	if hook != nil {
		hook(req)
	}
	f, ok, takesEffect := s.record(r, req)
	if ok {
		var normal *response
		if f.Process && takesEffect {
			resp := s.respond(r, body)
			normal = &resp
		}
		s.serveFault(w, r, body, f, normal)
		return
	}
	writeResponse(w, s.respond(r, body))
}

// request is what the server keeps of r, and the hook to call with it.
func (s *Server) request(r *http.Request, body []byte) (Request, func(Request)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.Query(),
		Header: r.Header.Clone(),
		Body:   body,
	}, s.onRequest
}

// record stores the request and dequeues the fault that answers it, if any.
// takesEffect is false for a request that a Reset answers without using it
// up, as net/http sends it again.
func (s *Server) record(r *http.Request, req Request) (f Fault, ok, takesEffect bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, cloneRequest(req))
	_, reused := s.seenConns[r.RemoteAddr]
	if len(s.seenConns) >= maxSeenConns {
		// Forgetting old connections only risks one extra Reset; unbounded
		// growth would hurt a long-running fakesigmamind.
		clear(s.seenConns)
	}
	s.seenConns[r.RemoteAddr] = struct{}{}

	if len(s.faults) == 0 {
		return Fault{}, false, true
	}
	head := &s.faults[0]
	f = head.Fault
	// net/http sends again only what it may: a GET, never a POST.
	if f.Reset && !f.Hang && reused && replayable(r.Method) {
		return f, true, false
	}
	head.left--
	if head.left <= 0 {
		s.faults = s.faults[1:]
	}
	return f, true, true
}

func replayable(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// serveFault answers with f; normal is the usual answer when the request
// was already handled (Process), nil otherwise.
func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, body []byte, f Fault, normal *response) {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			abort(w)
			return
		case <-s.done:
			abort(w)
			return
		}
	}
	if f.Hang {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		abort(w)
		return
	}
	if f.Reset {
		abort(w)
		return
	}

	var resp response
	switch {
	case f.Status != 0 || f.Body != "":
		resp = s.faultResponse(r, f)
	case normal != nil:
		resp = *normal
	default:
		resp = s.respond(r, body)
	}
	if f.RetryAfter != "" {
		resp.header.Set("Retry-After", f.RetryAfter)
	}
	if f.Truncate {
		// Declaring the full length and stopping halfway makes net/http
		// close the connection, so the client reads an unexpected EOF.
		resp.header.Set("Content-Length", strconv.Itoa(len(resp.body)))
		resp.body = resp.body[:len(resp.body)/2]
	}
	writeResponse(w, resp)
}

// abort ends the exchange without a response. Hijacking lets the client see
// a closed connection rather than an empty 200; where hijacking is not
// supported (HTTP/2, recorders), ErrAbortHandler is net/http's own way to
// abort a response.
func abort(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func (s *Server) faultResponse(r *http.Request, f Fault) response {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if status < 100 || status > 999 {
		// WriteHeader panics on such codes; a misconfigured fault should
		// fail the test visibly instead of crashing it.
		return s.errorResponse(r, http.StatusInternalServerError, "sigmamindtest: invalid fault status "+strconv.Itoa(f.Status), nil)
	}
	var resp response
	if f.Body == "" && status >= 400 {
		resp = s.errorResponse(r, status, defaultMessage(status), nil)
	} else {
		resp = response{status: status, header: http.Header{}, body: []byte(f.Body)}
	}
	ct := f.ContentType
	if ct == "" {
		ct = jsonMediaType
	}
	resp.header.Set("Content-Type", ct)
	return resp
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func writeResponse(w http.ResponseWriter, resp response) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	w.WriteHeader(resp.status)
	_, _ = w.Write(resp.body)
}

// respond computes the normal answer; ordering follows Spring: security
// filter first, then routing, then parameter validation, then lookup.
func (s *Server) respond(r *http.Request, body []byte) response {
	key := r.Header.Get("X-API-Key")
	if key == "" || subtle.ConstantTimeCompare([]byte(key), []byte(s.apiKey)) != 1 {
		return s.errorResponse(r, http.StatusUnauthorized, defaultMessage(http.StatusUnauthorized), nil)
	}

	path := r.URL.Path
	var batchID string
	allow := http.MethodGet
	switch {
	case path == listPath:
		allow = http.MethodGet + ", " + http.MethodPost
	case strings.HasPrefix(path, listPath+"/"):
		// From the path as sent, so that an id with an escaped slash is
		// one segment.
		seg := strings.TrimPrefix(r.URL.EscapedPath(), listPath+"/")
		id, err := url.PathUnescape(seg)
		if seg == "" || strings.Contains(seg, "/") || err != nil {
			return s.errorResponse(r, http.StatusNotFound, defaultMessage(http.StatusNotFound), nil)
		}
		batchID = id
	case path == testCasesPath:
	default:
		return s.errorResponse(r, http.StatusNotFound, defaultMessage(http.StatusNotFound), nil)
	}
	if r.Method == http.MethodPost && path == listPath {
		return s.createBatchRun(r, body)
	}
	if r.Method != http.MethodGet {
		resp := s.errorResponse(r, http.StatusMethodNotAllowed, "Request method '"+r.Method+"' is not supported", nil)
		resp.header.Set("Allow", allow)
		return resp
	}
	if path == testCasesPath {
		return s.listTestCases(r)
	}

	q := r.URL.Query()
	agentID := q.Get("agentId")
	invalid := map[string]any{}
	if strings.TrimSpace(agentID) == "" {
		invalid["agentId"] = "must not be blank"
	}
	page, size := 0, defaultSize
	if batchID == "" {
		page = intParam(q, "page", 0, 0, invalid)
		size = intParam(q, "size", defaultSize, 1, invalid)
	}
	if len(invalid) > 0 {
		return s.errorResponse(r, http.StatusBadRequest, defaultMessage(http.StatusBadRequest), invalid)
	}

	if batchID != "" {
		return s.getBatch(r, agentID, batchID)
	}
	return s.listBatches(r, agentID, page, size)
}

// intParam parses an int32 query parameter. An empty value means the
// default, as Spring treats it for a parameter with a defaultValue.
func intParam(q url.Values, name string, def, minimum int, invalid map[string]any) int {
	raw := q.Get(name)
	if raw == "" {
		return def
	}
	n, err := strconv.ParseInt(raw, 10, 32)
	if err != nil {
		invalid[name] = "must be a valid integer"
		return def
	}
	if int(n) < minimum {
		invalid[name] = "must be greater than or equal to " + strconv.Itoa(minimum)
		return def
	}
	return int(n)
}

func (s *Server) getBatch(r *http.Request, agentID, batchID string) response {
	s.mu.Lock()
	// Reading a simulated batch run is what moves it on.
	if _, mine := s.agents[agentID]; mine {
		if sr := s.running[batchID]; sr != nil && sr.agentID == agentID {
			s.tickLocked(sr)
		}
	}
	list, known := s.agents[agentID]
	var run *sigmamind.BatchRun
	for i := range list {
		if list[i].run.BatchID == batchID {
			run = &list[i].run
			break
		}
	}
	var body []byte
	var err error
	if run != nil {
		// Marshal under the lock: SetBatchRun replaces entries in place.
		body, err = json.Marshal(run)
	}
	s.mu.Unlock()

	switch {
	case !known:
		return s.errorResponse(r, http.StatusNotFound, "Agent not found: "+agentID, nil)
	case run == nil:
		return s.errorResponse(r, http.StatusNotFound, "Batch run not found: "+batchID, nil)
	case err != nil:
		return s.errorResponse(r, http.StatusInternalServerError, defaultMessage(http.StatusInternalServerError), nil)
	}
	return jsonResponse(http.StatusOK, body)
}

func (s *Server) listBatches(r *http.Request, agentID string, page, size int) response {
	if s.maxPageSize > 0 && size > s.maxPageSize {
		size = s.maxPageSize
	}

	s.mu.Lock()
	list, known := s.agents[agentID]
	mode := s.pagination
	if mode == RepeatFirstPage {
		page = 0
	}
	total := int64(len(list))
	// int64 because page and size are each up to 2^31-1.
	offset := int64(page) * int64(size)
	out := sigmamind.Page[sigmamind.BatchRun]{
		Data:        []sigmamind.BatchRun{},
		Page:        page,
		Size:        size,
		TotalCount:  total,
		TotalPages:  int((total + int64(size) - 1) / int64(size)),
		HasPrevious: page > 0,
	}
	out.HasNext = page < out.TotalPages-1
	if offset < total {
		end := min(offset+int64(size), total)
		for _, e := range list[offset:end] {
			out.Data = append(out.Data, e.run)
		}
	}
	if mode == RepeatFirstPage || mode == EndlessHasNext {
		out.HasNext = true
	}
	body, err := json.Marshal(out)
	s.mu.Unlock()

	if !known {
		return s.errorResponse(r, http.StatusNotFound, "Agent not found: "+agentID, nil)
	}
	if err != nil {
		return s.errorResponse(r, http.StatusInternalServerError, defaultMessage(http.StatusInternalServerError), nil)
	}
	return jsonResponse(http.StatusOK, body)
}

func jsonResponse(status int, body []byte) response {
	h := http.Header{}
	h.Set("Content-Type", jsonMediaType)
	return response{status: status, header: h, body: body}
}

// errorResponse builds a Spring-style error. encoding/json escapes whatever
// the client sent (agent ids, methods), so the body stays valid JSON.
func (s *Server) errorResponse(r *http.Request, status int, msg string, invalid map[string]any) response {
	body, err := json.Marshal(sigmamind.ErrorBody{
		Timestamp:        s.now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Status:           status,
		Error:            http.StatusText(status),
		Message:          msg,
		Path:             r.URL.Path,
		ValidationErrors: invalid,
	})
	if err != nil {
		// Unreachable with these field types, but never answer half a body.
		body = []byte(`{"status":500,"error":"Internal Server Error"}`)
	}
	return jsonResponse(status, body)
}

// defaultMessage returns the messages shown in SigmaMind's API reference.
func defaultMessage(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "Invalid request parameters"
	case http.StatusUnauthorized:
		return "X-API-Key is missing or invalid"
	case http.StatusForbidden:
		return "Access denied for this resource"
	case http.StatusNotFound:
		return "The requested resource was not found"
	case http.StatusInternalServerError:
		return "Unexpected server error"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}

func sortEntries(list []entry) {
	slices.SortFunc(list, func(a, b entry) int {
		if c := b.run.CreatedDate.Compare(a.run.CreatedDate); c != 0 {
			return c
		}
		// Later-added first, so ties keep a stable and predictable order.
		return int(b.seq - a.seq)
	})
}

// ownRun is a copy of r as the agent's run: one that names no agent names
// agentID.
func ownRun(agentID string, r sigmamind.BatchRun) sigmamind.BatchRun {
	r = cloneRun(r)
	if r.Agent == nil {
		r.Agent = &sigmamind.Agent{AgentID: agentID}
	}
	return r
}

// cloneRun copies a run deeply, so neither the caller nor a JSON encoder
// running concurrently can observe the other's changes.
func cloneRun(r sigmamind.BatchRun) sigmamind.BatchRun {
	r.Agent = cloneAgent(r.Agent)
	if r.TestCases != nil {
		tcs := make([]sigmamind.TestCase, len(r.TestCases))
		for i, tc := range r.TestCases {
			tc.Agent = cloneAgent(tc.Agent)
			tc.MockData = slices.Clone(tc.MockData)
			tcs[i] = tc
		}
		r.TestCases = tcs
	}
	return r
}

func cloneAgent(a *sigmamind.Agent) *sigmamind.Agent {
	if a == nil {
		return nil
	}
	c := *a
	return &c
}

func cloneRequest(r Request) Request {
	q := make(url.Values, len(r.Query))
	for k, v := range r.Query {
		q[k] = slices.Clone(v)
	}
	r.Query = q
	r.Header = r.Header.Clone()
	r.Body = slices.Clone(r.Body)
	return r
}
