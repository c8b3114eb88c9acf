package sigmamindtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sigmagate/sigmagate/sigmamind"
)

// defaultSeed seeds the simulation unless WithSeed says otherwise, so that
// runs of the fake are repeatable.
const defaultSeed = 0x53696d756c617465

// defaultPerTick is how many attempts a simulated batch run executes a tick
// unless its Simulation says otherwise.
const defaultPerTick = 10

// TestCaseListing selects the shape of GET /v1/test-cases. SigmaMind's stored
// documentation shows a bare JSON array; its other lists are paginated.
type TestCaseListing int

const (
	// BareList answers a JSON array of every test case; page and size are
	// ignored.
	BareList TestCaseListing = iota
	// PagedList answers the paginated wrapper ({data, hasNext, ...}) and
	// honours page and size, WithMaxPageSize and SetPagination.
	PagedList
)

// Simulation says how the batch runs the fake starts progress. Each tick
// executes up to PerTick attempts; each attempt is judged failed with
// probability FailureRate, executed but judged neither with probability
// UndecidedRate, and successful otherwise, drawn from the server's seeded
// generator (WithSeed).
type Simulation struct {
	FailureRate   float64
	UndecidedRate float64
	// PerTick is how many attempts a tick executes; 0 means 10. One at
	// least the size of the batch run finishes it on its first tick.
	PerTick int64
	// Stall stops a batch run once it has executed StallAfter attempts
	// (0: before the first): it then never finishes, like one SigmaMind
	// lost.
	Stall      bool
	StallAfter int64
}

// WithSeed seeds the generator of batch ids and simulated attempts: the same
// seed and the same requests give the same answers.
func WithSeed(seed uint64) Option {
	return func(s *Server) { s.seed = seed }
}

// WithCreatedStatus sets the status of a successful create: 201 (the newer
// documentation, the default) or 200 (the older).
func WithCreatedStatus(code int) Option {
	return func(s *Server) { s.createdStatus = code }
}

// simRun is a batch run the fake started, as it progresses.
type simRun struct {
	agentID  string
	batchID  string
	expected int64
	sim      Simulation
}

// AddTestCases registers the agent and adds test cases to it, listed in the
// order given. Test cases are copied; one that names no agent is served as
// the agent's.
func (s *Server) AddTestCases(agentID string, tcs ...sigmamind.TestCase) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.agents[agentID] == nil {
		s.agents[agentID] = []entry{}
	}
	list := s.testCases[agentID]
	for _, tc := range tcs {
		tc.Agent = cloneAgent(tc.Agent)
		if tc.Agent == nil {
			tc.Agent = &sigmamind.Agent{AgentID: agentID}
		}
		tc.MockData = slices.Clone(tc.MockData)
		list = append(list, tc)
	}
	s.testCases[agentID] = list
}

// SetTestCaseListing selects the shape of the test-case list.
func (s *Server) SetTestCaseListing(l TestCaseListing) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listing = l
}

// SetSimulation sets how the agent's batch runs started from now on
// progress. Without one, every attempt succeeds, 10 a tick.
func (s *Server) SetSimulation(agentID string, sim Simulation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.simulations[agentID] = sim
}

// StartBatchRun starts a batch run of the agent's test cases as a create
// does, without a request: one started by someone else, such as the gate of
// another pull request. It fails for an agent or a test case the fake does
// not know.
func (s *Server) StartBatchRun(agentID string, testCaseIDs ...string) (sigmamind.BatchRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.agents[agentID]; !ok {
		return sigmamind.BatchRun{}, fmt.Errorf("agent %q is not known", agentID)
	}
	if len(testCaseIDs) == 0 {
		return sigmamind.BatchRun{}, errors.New("no test case ids")
	}
	if _, unknown := s.findTestCasesLocked(agentID, testCaseIDs); unknown >= 0 {
		return sigmamind.BatchRun{}, fmt.Errorf("agent %q has no test case %q", agentID, testCaseIDs[unknown])
	}
	return cloneRun(s.startLocked(agentID, testCaseIDs)), nil
}

// Tick moves every simulated batch run that is not finished or stalled on
// by one tick, as reading it does.
func (s *Server) Tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.running))
	for id := range s.running {
		ids = append(ids, id)
	}
	slices.Sort(ids) // map order would make the seeded draws vary
	for _, id := range ids {
		s.tickLocked(s.running[id])
	}
}

// BatchRunsOf returns copies of the agent's batch runs, newest first: what a
// test checks to count the batch runs a client started.
func (s *Server) BatchRunsOf(agentID string) []sigmamind.BatchRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]sigmamind.BatchRun, 0, len(s.agents[agentID]))
	for _, e := range s.agents[agentID] {
		out = append(out, cloneRun(e.run))
	}
	return out
}

// findTestCasesLocked returns the agent's test cases with the given ids, in
// their order, or the index of the first id it does not know.
func (s *Server) findTestCasesLocked(agentID string, ids []string) ([]sigmamind.TestCase, int) {
	out := make([]sigmamind.TestCase, 0, len(ids))
	for i, id := range ids {
		j := slices.IndexFunc(s.testCases[agentID], func(tc sigmamind.TestCase) bool { return tc.TestCaseID == id })
		if j < 0 {
			return nil, i
		}
		out = append(out, s.testCases[agentID][j])
	}
	return out, -1
}

// startLocked starts a batch run of known test cases and returns it as
// stored.
func (s *Server) startLocked(agentID string, testCaseIDs []string) sigmamind.BatchRun {
	tcs, _ := s.findTestCasesLocked(agentID, testCaseIDs)
	run := sigmamind.BatchRun{
		BatchID:     "batch_" + randomID(s.rng),
		Agent:       s.agentLocked(agentID),
		CreatedDate: s.now().UTC().Truncate(1e6), // milliseconds, as the API writes them
		TestCases:   tcs,
	}
	var expected int64
	for _, tc := range tcs {
		expected += max(tc.Attempt, 0)
		if run.WorkspaceID == "" {
			run.WorkspaceID = tc.WorkspaceID
		}
	}
	s.seq++
	list := append(s.agents[agentID], entry{run: cloneRun(run), seq: s.seq})
	sortEntries(list)
	s.agents[agentID] = list
	s.running[run.BatchID] = &simRun{agentID: agentID, batchID: run.BatchID, expected: expected, sim: s.simulations[agentID]}
	return run
}

// agentLocked is the agent as its batch runs name it: as its newest batch
// run or its first test case does, or by its id alone.
func (s *Server) agentLocked(agentID string) *sigmamind.Agent {
	if list := s.agents[agentID]; len(list) > 0 && list[0].run.Agent != nil {
		return cloneAgent(list[0].run.Agent)
	}
	if tcs := s.testCases[agentID]; len(tcs) > 0 && tcs[0].Agent != nil {
		return cloneAgent(tcs[0].Agent)
	}
	return &sigmamind.Agent{AgentID: agentID}
}

// tickLocked executes the next attempts of a simulated batch run.
func (s *Server) tickLocked(sr *simRun) {
	var b *sigmamind.BatchRun
	for i := range s.agents[sr.agentID] {
		if e := &s.agents[sr.agentID][i]; e.run.BatchID == sr.batchID {
			b = &e.run
			break
		}
	}
	if b == nil {
		return // replaced by the test
	}
	limit := sr.expected
	if sr.sim.Stall {
		limit = min(limit, sr.sim.StallAfter)
	}
	per := sr.sim.PerTick
	if per <= 0 {
		per = defaultPerTick
	}
	for n := min(per, limit-b.TotalAttempts); n > 0; n-- {
		switch r := s.rng.Float64(); {
		case r < sr.sim.FailureRate:
			b.FailedAttempts++
		case r < sr.sim.FailureRate+sr.sim.UndecidedRate:
		default:
			b.SuccessfulAttempts++
		}
		b.TotalAttempts++
	}
}

// createBatchRun answers POST /v1/batch-runs.
func (s *Server) createBatchRun(r *http.Request, body []byte) response {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return s.errorResponse(r, http.StatusUnsupportedMediaType, "Content-Type '"+r.Header.Get("Content-Type")+"' is not supported", nil)
	}
	var req struct {
		AgentID   string   `json:"agentId"`
		TestCases []string `json:"testCases"`
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&req); err != nil {
		return s.errorResponse(r, http.StatusBadRequest, "Malformed JSON request", nil)
	}
	invalid := map[string]any{}
	if strings.TrimSpace(req.AgentID) == "" {
		invalid["agentId"] = "must not be blank"
	}
	if len(req.TestCases) == 0 {
		invalid["testCases"] = "must not be empty"
	}
	if len(invalid) > 0 {
		return s.errorResponse(r, http.StatusBadRequest, defaultMessage(http.StatusBadRequest), invalid)
	}

	s.mu.Lock()
	if _, ok := s.agents[req.AgentID]; !ok {
		s.mu.Unlock()
		return s.errorResponse(r, http.StatusNotFound, "Agent not found: "+req.AgentID, nil)
	}
	if _, unknown := s.findTestCasesLocked(req.AgentID, req.TestCases); unknown >= 0 {
		s.mu.Unlock()
		id := req.TestCases[unknown]
		return s.errorResponse(r, http.StatusBadRequest, "Test case not found: "+id,
			map[string]any{"testCases[" + strconv.Itoa(unknown) + "]": "no test case " + id + " for agent " + req.AgentID})
	}
	run := s.startLocked(req.AgentID, req.TestCases)
	status := s.createdStatus
	s.mu.Unlock()

	out, err := json.Marshal(struct {
		BatchID     string           `json:"batchId"`
		WorkspaceID string           `json:"workspaceId,omitempty"`
		Agent       *sigmamind.Agent `json:"agent,omitempty"`
		CreatedDate time.Time        `json:"createdDate"`
	}{run.BatchID, run.WorkspaceID, run.Agent, run.CreatedDate})
	if err != nil {
		return s.errorResponse(r, http.StatusInternalServerError, defaultMessage(http.StatusInternalServerError), nil)
	}
	return jsonResponse(status, out)
}

// listTestCases answers GET /v1/test-cases.
func (s *Server) listTestCases(r *http.Request) response {
	q := r.URL.Query()
	agentID := q.Get("agentId")
	invalid := map[string]any{}
	if strings.TrimSpace(agentID) == "" {
		invalid["agentId"] = "must not be blank"
	}
	s.mu.Lock()
	listing, mode := s.listing, s.pagination
	s.mu.Unlock()
	page, size := 0, defaultSize
	if listing == PagedList {
		page = intParam(q, "page", 0, 0, invalid)
		size = intParam(q, "size", defaultSize, 1, invalid)
	}
	if len(invalid) > 0 {
		return s.errorResponse(r, http.StatusBadRequest, defaultMessage(http.StatusBadRequest), invalid)
	}

	s.mu.Lock()
	_, known := s.agents[agentID]
	tcs := make([]sigmamind.TestCase, len(s.testCases[agentID]))
	copy(tcs, s.testCases[agentID])
	var body []byte
	var err error
	if listing == BareList {
		body, err = json.Marshal(tcs)
	} else {
		if s.maxPageSize > 0 && size > s.maxPageSize {
			size = s.maxPageSize
		}
		if mode == RepeatFirstPage {
			page = 0
		}
		total := int64(len(tcs))
		offset := int64(page) * int64(size)
		out := sigmamind.Page[sigmamind.TestCase]{Data: []sigmamind.TestCase{}, Page: page, Size: size, TotalCount: total,
			TotalPages: int((total + int64(size) - 1) / int64(size)), HasPrevious: page > 0}
		out.HasNext = page < out.TotalPages-1 || mode != Normal
		if offset < total {
			out.Data = tcs[offset:min(offset+int64(size), total)]
		}
		body, err = json.Marshal(out)
	}
	s.mu.Unlock()

	switch {
	case !known:
		return s.errorResponse(r, http.StatusNotFound, "Agent not found: "+agentID, nil)
	case err != nil:
		return s.errorResponse(r, http.StatusInternalServerError, defaultMessage(http.StatusInternalServerError), nil)
	}
	return jsonResponse(http.StatusOK, body)
}
