package sigmamind

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/sigmagate/sigmagate/internal/untrusted"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Created is SigmaMind's answer to a create: the new batch run, before it
// has run anything.
type Created struct {
	BatchID     string    `json:"batchId"`
	WorkspaceID string    `json:"workspaceId,omitempty"`
	Agent       *Agent    `json:"agent,omitempty"`
	CreatedDate time.Time `json:"createdDate"`
}

// createdSchema is the documented answer to a create (200 in older
// documentation, 201 in newer).
var createdSchema = newSchema([]string{"batchId", "createdDate"}, "workspaceId", "agent")

// UncertainCreateError is a create whose outcome is not known: SigmaMind may
// have created the batch run (the request was sent, then the connection was
// lost, the request timed out, or a 5xx came), or surely did (Created: it
// answered 2xx) but its answer cannot be used. Sending the create again
// could start a second batch run for one intended run: look for it among the
// agent's newest batch runs first, as CreateBatchRunOnce does.
type UncertainCreateError struct {
	// Err is what the create met: a *TransportError or an *APIError, or,
	// with Created, a *TransportError (the answer broke off), a
	// *ResponseError or a *DataError.
	Err     error
	Created bool
	// Set by CreateBatchRunOnce, which looked for the batch run: how many
	// creates it sent, why it could not settle whether or which batch run
	// was created, the new batch runs that may be it, and the error of the
	// listing when it could not look.
	Sends      int
	Problem    string
	Candidates []string
	ListErr    error
}

func (e *UncertainCreateError) Error() string {
	var b strings.Builder
	b.WriteString(e.Err.Error())
	if e.Created {
		b.WriteString(": SigmaMind answered that it created the batch run, but the answer cannot be used")
	} else {
		b.WriteString(": the batch run may have been created")
	}
	if e.Problem != "" {
		b.WriteString("; ")
		b.WriteString(e.Problem)
	}
	if e.Sends > 1 {
		fmt.Fprintf(&b, " (%d creates sent)", e.Sends)
	}
	return b.String()
}

func (e *UncertainCreateError) Unwrap() []error {
	if e.ListErr != nil {
		return []error{e.Err, e.ListErr}
	}
	return []error{e.Err}
}

// Retryable reports whether the create may be sent again once the agent's
// batch runs show that it created none: its failure is one that may pass,
// and SigmaMind did not say that it created one.
func (e *UncertainCreateError) Retryable() bool {
	if e.Created {
		return false
	}
	var ae *APIError
	var te *TransportError
	switch {
	case errors.As(e.Err, &ae):
		return ae.Retryable()
	case errors.As(e.Err, &te):
		return te.Retryable() && !errors.Is(te, context.Canceled)
	}
	return false
}

// CreateBatchRun asks SigmaMind to start a batch run of the agent with the
// given test cases (POST /v1/batch-runs). The answer is checked as a listed
// batch run is: a batchId that can be an id, the agent (agent_X or X), a
// createdDate that is present and not in the future.
//
// It never sends the create twice where the first may have created a batch
// run. It retries, as any request, only a failure that certainly created
// nothing: a request that failed before it was written (a refused
// connection, a name that does not resolve), or a 429. Any outcome after
// which a batch run may exist (a timeout or a lost connection after the
// request was written, a 5xx), or does exist but cannot be used (a 2xx whose
// answer broke off or cannot be read or checked), is an
// *UncertainCreateError. A 400 (an unknown test case id, say) is an
// *APIError with SigmaMind's message and validation errors, never retried.
func (c *Client) CreateBatchRun(ctx context.Context, agentID string, testCaseIDs []string) (*Created, error) {
	body, err := c.createBody(agentID, testCaseIDs)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // sent nothing, whatever a transport would say
	}
	var b BatchRun
	err = c.send(ctx, http.MethodPost, batchRunsPath, nil, body, func(d *decoder) error {
		b = BatchRun{}
		return d.document(true, func() { d.created(&b) })
	}, createdNothing)
	if err != nil {
		if created, maybe := createOutcome(err); created || maybe {
			return nil, &UncertainCreateError{Err: err, Created: created}
		}
		return nil, err
	}
	scrub(&b, c.apiKey)
	if de := c.check(agentID, &b); de != nil {
		return nil, &UncertainCreateError{Err: de, Created: true}
	}
	return &Created{BatchID: b.BatchID, WorkspaceID: b.WorkspaceID, Agent: b.Agent, CreatedDate: b.CreatedDate}, nil
}

// createBody is the JSON of a create, once its arguments are known to be
// sendable as they are.
func (c *Client) createBody(agentID string, testCaseIDs []string) ([]byte, error) {
	if err := c.requestable("agent id", agentID); err != nil {
		return nil, err
	}
	if len(testCaseIDs) == 0 {
		return nil, errors.New("a batch run needs at least one test case id")
	}
	if len(testCaseIDs) > MaxAgentTestCases {
		return nil, fmt.Errorf("%d test case ids are more than a batch run is started with (%d)", len(testCaseIDs), MaxAgentTestCases)
	}
	seen := make(map[string]bool, len(testCaseIDs))
	for _, id := range testCaseIDs {
		if err := c.requestable("test case id", id); err != nil {
			return nil, err
		}
		if seen[id] {
			// Whether SigmaMind would run it twice or once is not
			// documented; and a batch run found in a listing could not be
			// matched to the request.
			return nil, fmt.Errorf("test case id %s is given twice", shortID(untrusted.Redact(id, c.apiKey)))
		}
		seen[id] = true
	}
	return json.Marshal(struct {
		AgentID   string   `json:"agentId"`
		TestCases []string `json:"testCases"`
	}{agentID, testCaseIDs})
}

// createdNothing reports a failed create that certainly created nothing,
// and so may be sent again like any request: it failed before the request
// was written, or SigmaMind limited the rate.
func createdNothing(err error) bool {
	var te *TransportError
	var ae *APIError
	switch {
	case errors.As(err, &te):
		return !te.Sent
	case errors.As(err, &ae):
		return ae.StatusCode == http.StatusTooManyRequests
	}
	return false
}

// createOutcome says what a failed create leaves behind: a batch run
// (created: SigmaMind answered 2xx), perhaps one (maybe), or none.
func createOutcome(err error) (created, maybe bool) {
	var te *TransportError
	var ae *APIError
	var re *ResponseError
	switch {
	case errors.As(err, &te):
		if !te.Sent {
			return false, false
		}
		return te.Status/100 == 2, te.Status/100 != 2
	case errors.As(err, &ae):
		// A 5xx may come from a proxy after SigmaMind acted, or from
		// SigmaMind after it stored the batch run; 4xx and 3xx refuse.
		return false, ae.StatusCode >= 500
	case errors.As(err, &re):
		return true, false // only a 2xx is read, and found unusable
	}
	return false, false
}

// created reads the answer to a create into b; its problems go to
// b.Invalid, which check turns into a *DataError.
func (d *decoder) created(b *BatchRun) {
	saved := d.beginRow("the answer")
	defer func() { b.Invalid = d.endRow(saved) }()
	var m members
	if !d.object(&m, createdSchema) {
		return
	}
	for f := d.next(&m); f >= 0; f = d.next(&m) {
		switch createdSchema.names[f] {
		case "batchId":
			b.BatchID = d.id(false, true)
		case "createdDate":
			b.CreatedDate = d.date()
		case "workspaceId":
			b.WorkspaceID = d.id(true, true)
		case "agent":
			b.Agent = d.agent(true)
		}
	}
}

// DefaultLookback is how many of an agent's newest batch runs
// CreateBatchRunOnce compares, before and after a create.
const DefaultLookback = 50

// CreateOptions tune CreateBatchRunOnce.
type CreateOptions struct {
	// Retries is how many more creates may be sent after outcomes that may
	// have created a batch run, each only once the listing shows none.
	Retries int
	// Exclude are batch ids never to adopt: those the caller started
	// before, which a listing that lags could show as new.
	Exclude []string
	// Lookback is how many of the newest batch runs are compared; 0 means
	// DefaultLookback.
	Lookback int
}

// Started is a batch run that CreateBatchRunOnce started.
type Started struct {
	Created
	// Adopted is set when the answer to the create was lost and the batch
	// run was found among the agent's newest instead.
	Adopted bool
	// Sends is how many creates were made, each but the first after the
	// listing showed that the one before created nothing. A create's own
	// retries of failures that surely created nothing (a refused
	// connection, a 429) are not counted.
	Sends int
}

// CreateBatchRunOnce starts one batch run of the agent with exactly the
// given test cases, and never two: before the first create it lists the
// agent's newest batch runs, to know what existed. When a create's outcome
// is uncertain (see UncertainCreateError), it lists them again and adopts
// the one batch run that is new (not in the first listing, not excluded,
// and listed above a batch run that was) and has exactly the requested test
// cases, as a set. Only when the listing shows none, twice, a pause apart
// (a listing may lag behind a create), does it send the create again, within
// opts.Retries, and only after a failure that may pass. Listings are
// compared, never clocks. A listing that lags longer than that still leads to
// a second batch run.
//
// It cannot tell a batch run it created from one that someone else started
// meanwhile with the same test cases: both are new. One such batch run is
// adopted; two or more, or a new one that cannot be read or compared, end
// in an *UncertainCreateError naming them, and nothing more is sent.
// Callers that must not judge another's batch run serialize the starts for
// an agent (in GitHub Actions, with a concurrency group).
func (c *Client) CreateBatchRunOnce(ctx context.Context, agentID string, testCaseIDs []string, opts CreateOptions) (*Started, error) {
	if _, err := c.createBody(agentID, testCaseIDs); err != nil {
		return nil, err
	}
	lookback := opts.Lookback
	if lookback <= 0 {
		lookback = DefaultLookback
	}
	before, err := c.newest(ctx, agentID, lookback)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(before.ids))
	for _, id := range before.ids {
		if id != "" { // a batch run without an id is no batch run to recognise
			known[id] = true
		}
	}
	excluded := make(map[string]bool, len(opts.Exclude))
	for _, id := range opts.Exclude {
		excluded[id] = true
	}
	want := slices.Clone(testCaseIDs)
	slices.Sort(want)
	for sends := 1; ; sends++ {
		created, err := c.CreateBatchRun(ctx, agentID, testCaseIDs)
		if err == nil {
			if known[created.BatchID] || excluded[created.BatchID] {
				return nil, &DataError{BatchID: created.BatchID, Created: created.CreatedDate,
					Problem: "SigmaMind answered the create with it, but it was listed before the create was sent: it is no new batch run"}
			}
			return &Started{Created: *created, Sends: sends}, nil
		}
		var u *UncertainCreateError
		if !errors.As(err, &u) {
			return nil, err
		}
		u.Sends = sends
		if ctx.Err() != nil {
			return nil, u
		}
		// A batch run may take a moment to be listed.
		wait := c.backoff(sends)
		var ae *APIError
		if errors.As(u.Err, &ae) {
			wait = max(wait, ae.RetryAfter)
		}
		if deadline, ok := ctx.Deadline(); !ok || time.Until(deadline) > wait {
			if c.Sleep(ctx, wait) != nil {
				return nil, u
			}
		}
		var after *listing
		var found *BatchRun
		var problem string
		var candidates []string
		// A listing may lag behind a create: before a resend, which would
		// start a second batch run if the first was created, look once more
		// after another pause.
		for look := 1; ; look++ {
			after, err = c.newest(ctx, agentID, lookback)
			if err != nil {
				u.Problem, u.ListErr = "listing the agent's batch runs to look for it failed: "+err.Error(), err
				return nil, u
			}
			found, problem, candidates = after.lookFor(known, excluded, want, lookback)
			if look == 2 || found != nil || problem != "" || u.Created || !u.Retryable() || sends > opts.Retries {
				break
			}
			if c.Sleep(ctx, c.backoff(sends)) != nil {
				return nil, u
			}
		}
		switch {
		case found != nil:
			return &Started{Created: Created{BatchID: found.BatchID, WorkspaceID: found.WorkspaceID, Agent: found.Agent,
				CreatedDate: found.CreatedDate}, Adopted: true, Sends: sends}, nil
		case problem != "":
			u.Problem, u.Candidates = problem, candidates
			return nil, u
		case u.Created:
			u.Problem = fmt.Sprintf("the agent's %d newest batch runs do not show it", len(after.ids))
			return nil, u
		case !u.Retryable():
			u.Problem = "the agent's newest batch runs do not show it, and the failure is not one that passes: no other create was sent"
			return nil, u
		case sends > opts.Retries:
			u.Problem = fmt.Sprintf("the agent's newest batch runs do not show it, and the retries are spent (%d)", opts.Retries)
			return nil, u
		}
		// None was created: sending again starts the only one.
	}
}

// listing is what the agent's newest batch runs were at one time: their
// ids, newest first (those that could not be read included), and the ones
// that could be read.
type listing struct {
	ids   []string
	runs  map[string]*BatchRun // nil for a batch run that could not be read
	ended bool                 // the listing ended before the lookback did
}

// newest lists up to n of the agent's newest batch runs.
func (c *Client) newest(ctx context.Context, agentID string, n int) (*listing, error) {
	l := &listing{runs: make(map[string]*BatchRun)}
	for b, err := range c.BatchRuns(ctx, agentID, min(n, MaxPageSize)) {
		var de *DataError
		var id string
		switch {
		case errors.As(err, &de):
			id = de.BatchID
		case err != nil:
			return nil, err
		default:
			id = b.BatchID
		}
		if _, again := l.runs[id]; !again {
			l.ids = append(l.ids, id)
		}
		if de != nil {
			l.runs[id] = nil
		} else {
			run := *b
			l.runs[id] = &run
		}
		if len(l.ids) == n {
			return l, nil
		}
	}
	l.ended = true
	return l, nil
}

// lookFor finds the batch run a create started, in a listing taken after
// it: new (not known, listed above a known one, or any when none was known)
// and with exactly the test cases want (sorted). It returns the one found;
// or why it cannot tell, with the batch runs that may be it; or neither
// when the listing shows that no such batch run was created.
func (l *listing) lookFor(known, excluded map[string]bool, want []string, lookback int) (found *BatchRun, problem string, candidates []string) {
	last := -1 // the last known batch run listed
	for i, id := range l.ids {
		if known[id] {
			last = i
		}
	}
	fresh := l.ids
	switch {
	case last >= 0:
		// Below the last known batch run are only older ones that the
		// first listing did not reach.
		fresh = l.ids[:last]
	case !l.ended:
		return nil, fmt.Sprintf("more than %d batch runs are listed above those listed before the create: whether one is this create's cannot be told", lookback), nil
	}
	var matches, unreadable []string
	for _, id := range fresh {
		if known[id] || excluded[id] {
			continue
		}
		b := l.runs[id]
		switch {
		case id == "" || b == nil || b.LeftOutTestCases > 0:
			unreadable = append(unreadable, id)
		case sameTestCases(b.TestCases, want):
			matches = append(matches, id)
		}
	}
	switch {
	case len(unreadable) > 0:
		return nil, fmt.Sprintf("new batch runs are listed whose test cases cannot be read (%s): one may be this create's", quoteIDs(unreadable)),
			append(matches, unreadable...)
	case len(matches) > 1:
		return nil, fmt.Sprintf("%d new batch runs with exactly these test cases are listed (%s): which one this create started cannot be told", len(matches), quoteIDs(matches)),
			matches
	case len(matches) == 1:
		return l.runs[matches[0]], "", nil
	}
	return nil, "", nil
}

// sameTestCases reports whether a batch run's test cases are exactly want
// (sorted), as a set; a test case listed twice is no match.
func sameTestCases(tcs []TestCase, want []string) bool {
	if len(tcs) != len(want) {
		return false
	}
	got := make([]string, len(tcs))
	for i, tc := range tcs {
		got[i] = tc.TestCaseID
	}
	slices.Sort(got)
	return slices.Equal(got, want)
}

func quoteIDs(ids []string) string {
	const shown = 5
	q := make([]string, 0, min(len(ids), shown))
	for _, id := range ids[:min(len(ids), shown)] {
		q = append(q, shortID(id))
	}
	s := strings.Join(q, ", ")
	if len(ids) > shown {
		s += fmt.Sprintf(" and %d more", len(ids)-shown)
	}
	return s
}
