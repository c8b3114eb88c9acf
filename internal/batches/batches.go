// Package batches chooses which of an agent's batch runs the gate judges, and
// waits for them to finish.
package batches

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// Lister lists an agent's batch runs, newest first; *sigmamind.Client is one.
type Lister interface {
	BatchRuns(ctx context.Context, agentID string, pageSize int) iter.Seq2[*sigmamind.BatchRun, error]
}

// Request says which batch runs to judge.
type Request struct {
	AgentID string
	// BatchID, when set, is the newest batch run to gate; otherwise the
	// agent's newest is.
	BatchID string
	// Count is how many batch runs to gate, from the newest one on.
	Count int
	// Baseline is how many older batch runs to compare with.
	Baseline int
	// Trend, when more than Count+Baseline, lists older batch runs too, up
	// to this many in all, for the summary's trend. They are never judged,
	// but one that claims to be newer than a judged batch run shows that
	// the listing is not newest first: that is an error.
	Trend int
	// KeepBytes bounds what the selection keeps of test cases, for
	// display; 0 means MaxKeptBytes. Several agents judged in one step
	// share MaxKeptBytes (see KeepBytes).
	KeepBytes int64
}

// KeepBytes is each agent's share of MaxKeptBytes when agents are judged
// in one step, so that what the step keeps does not grow with the number of
// agents; at least MinKeptBytes, enough for a summary's share.
func KeepBytes(agents int) int64 {
	return max(MaxKeptBytes/int64(max(agents, 1)), MinKeptBytes)
}

// MinKeptBytes is the least an agent's selection keeps of test cases.
const MinKeptBytes = 1 << 20

// Selection is the batch runs chosen, each list newest first.
type Selection struct {
	Gated    []sigmamind.BatchRun
	Baseline []sigmamind.BatchRun
	Earlier  []sigmamind.BatchRun // older ones listed for the trend only
	// Notes say, in plain text, what the trend leaves out and why: data
	// listed only for display that could not be read.
	Notes []string
}

// NotFoundError is a batch-id that is not among the agent's batch runs.
type NotFoundError struct {
	AgentID, BatchID string
	Scanned          int
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("batch run %s was not found among the %d batch runs of agent %s: check batch-id, and that it belongs to agent-id", e.BatchID, e.Scanned, e.AgentID)
}

// searchPageSize is the page size when looking for a batch-id: the batch can
// be anywhere, and larger pages mean fewer round trips.
const searchPageSize = 25

// MaxKeptBytes bounds what one selection keeps of test cases, for display:
// the summary shows the distinct test cases of the gated batch runs, within
// 1 MB. Each page the client reads keeps up to as much while it is read;
// what Select keeps of all of them stays within this too.
const MaxKeptBytes = 16 << 20

// TieError is a batch run that the selection takes and one it does not,
// created at the same instant: the API writes whole seconds, so which is
// newer is unknown, and with it which batch runs the gate should judge.
type TieError struct {
	Newer, Older string // as listed
	Created      time.Time
	Which        string // what is unknown because of it
	Fix          string // what to do
}

func (e *TieError) Error() string {
	return fmt.Sprintf("batch runs %q and %q were created at the same instant (%s), so which is newer is unknown, and with it %s: %s",
		e.Newer, e.Older, e.Created.UTC().Format(time.RFC3339Nano), e.Which, e.Fix)
}

// Select lists only as many batch runs as the request needs, and one more:
// the row after the judged ones tells whether they are the newest.
//
// Only the gated and baseline batch runs decide a verdict, so only what they
// need may fail it: an error at their positions, or about them, is an error.
// Once they are complete, a batch run listed for the trend that cannot be
// used is left out of it with a note, and an error that ends the listing
// ends the trend, with a note; but one that claims to be newer than a judged
// batch run shows that the listing is not newest first, and is an error.
// While looking for a batch-id, a batch run that cannot be used is passed
// over, unless it is the one looked for.
//
// Where the judged batch runs end, or where the gated ones end and the
// baseline begins, two batch runs created at the same instant make the
// choice unknown: that is a *TieError. Ties among the gated batch runs, or
// among the baseline, are harmless: their attempts are pooled.
//
// Only the gated batch runs keep test cases, for display, within
// MaxKeptBytes in all, each test case id once; the others keep only their
// counts (see sigmamind.BatchRun.FoldTestCases).
func Select(ctx context.Context, l Lister, req Request) (Selection, error) {
	judged := req.Count + req.Baseline
	if judged <= 0 {
		return Selection{}, nil
	}
	shown := max(judged, req.Trend) // positions kept, the trend's included
	need := max(judged+1, req.Trend)
	size := min(need, sigmamind.MaxPageSize)
	if req.BatchID != "" {
		size = min(max(need, searchPageSize), sigmamind.MaxPageSize)
	}
	var sel Selection
	budget := req.KeepBytes
	if budget <= 0 {
		budget = MaxKeptBytes
	}
	kept := keeper{left: budget, owner: map[string]string{}}
	var next *sigmamind.BatchRun // the first usable row past the judged ones
	found := req.BatchID == ""
	scanned := 0
	read := 0 // positions from the batch-id on, left out of the trend or not
	for b, err := range l.BatchRuns(ctx, req.AgentID, size) {
		if err != nil {
			var de *sigmamind.DataError
			data := errors.As(err, &de)
			if !found && data {
				scanned++
				if de.BatchID != req.BatchID {
					continue // neither judged nor shown
				}
			}
			if !found || len(sel.Gated) < req.Count || len(sel.Baseline) < req.Baseline {
				return Selection{}, err
			}
			if !data {
				sel.Notes = append(sel.Notes, "older batch runs for the trend could not be read: "+err.Error())
				break // the listing ends here
			}
			// Reading goes on: the rows after it still witness the order.
			if judgedErr := sel.leaveOut(de, err, req, read < shown); judgedErr != nil {
				return Selection{}, judgedErr
			}
		} else {
			if !found {
				scanned++
				if b.BatchID != req.BatchID {
					continue
				}
				found = true
			}
			if sel.replace(b, &kept) {
				continue // a later copy; the earlier one keeps its place
			}
			switch {
			case len(sel.Gated) < req.Count:
				kept.keep(b)
				sel.Gated = append(sel.Gated, *b)
			case len(sel.Baseline) < req.Baseline:
				b.FoldTestCases(none)
				sel.Baseline = append(sel.Baseline, *b)
			default:
				b.FoldTestCases(none)
				if next == nil {
					c := *b // not b: it holds its page
					next = &c
				}
				if read < shown {
					sel.Earlier = append(sel.Earlier, *b)
				}
			}
		}
		if read++; read == need {
			break
		}
	}
	if !found {
		return Selection{}, &NotFoundError{AgentID: req.AgentID, BatchID: req.BatchID, Scanned: scanned}
	}
	if err := sel.ties(req, next); err != nil {
		return Selection{}, err
	}
	return sel, nil
}

// none keeps no test case.
func none(*sigmamind.TestCase) bool { return false }

// keeper chooses the test cases that the gated batch runs of a selection
// keep: each id once, as the summary shows them, within MaxKeptBytes.
type keeper struct {
	left  int64             // bytes that may still be kept
	owner map[string]string // a kept test case id → the batch run that keeps it
}

func (k *keeper) keep(b *sigmamind.BatchRun) {
	b.FoldTestCases(func(tc *sigmamind.TestCase) bool {
		if _, shown := k.owner[tc.TestCaseID]; shown && tc.TestCaseID != "" {
			return false
		}
		n := tc.Bytes()
		if n > k.left {
			k.left = 0 // spent: count the rest
			return false
		}
		k.left -= n
		if tc.TestCaseID != "" {
			k.owner[tc.TestCaseID] = b.BatchID
		}
		return true
	})
}

// release gives back what b keeps, before a later copy replaces it.
func (k *keeper) release(b *sigmamind.BatchRun) {
	for i := range b.TestCases {
		tc := &b.TestCases[i]
		k.left += tc.Bytes()
		if k.owner[tc.TestCaseID] == b.BatchID {
			delete(k.owner, tc.TestCaseID)
		}
	}
}

// replace puts a later copy of a batch run already selected in its place,
// keeping what its place keeps, and reports whether there was one.
func (s *Selection) replace(b *sigmamind.BatchRun, kept *keeper) bool {
	for part, runs := range [][]sigmamind.BatchRun{s.Gated, s.Baseline, s.Earlier} {
		for i := range runs {
			if runs[i].BatchID == b.BatchID {
				if part == 0 {
					kept.release(&runs[i])
					kept.keep(b)
				} else {
					b.FoldTestCases(none)
				}
				runs[i] = *b
				return true
			}
		}
	}
	return false
}

// ties returns a *TieError when a boundary of the selection falls between
// two batch runs created at the same instant; next is the first usable row
// after the judged ones, nil when there is none.
func (s *Selection) ties(req Request, next *sigmamind.BatchRun) error {
	if len(s.Gated) == 0 || len(s.Gated) < req.Count {
		return nil // the listing ended: no boundary
	}
	last := s.Gated[len(s.Gated)-1]
	if len(s.Baseline) > 0 && last.CreatedDate.Equal(s.Baseline[0].CreatedDate) {
		return &TieError{Newer: last.BatchID, Older: s.Baseline[0].BatchID, Created: last.CreatedDate,
			Which: "which of them is gated and which is the baseline",
			Fix:   fmt.Sprintf("gate both with batches: %d", req.Count+1)}
	}
	if len(s.Baseline) < req.Baseline || next == nil || req.onlyNamed() {
		return nil
	}
	if len(s.Baseline) > 0 {
		last = s.Baseline[len(s.Baseline)-1]
	}
	if !last.CreatedDate.Equal(next.CreatedDate) {
		return nil
	}
	e := &TieError{Newer: last.BatchID, Older: next.BatchID, Created: last.CreatedDate}
	switch {
	case req.Baseline > 0:
		e.Which, e.Fix = "which of them is in the baseline", fmt.Sprintf("compare with both with baseline-batches: %d", req.Baseline+1)
	case req.Count == 1:
		e.Which, e.Fix = "which of them is gated", "gate both with batches: 2, or name the one to gate with batch-id"
	default:
		e.Which, e.Fix = "which of them is gated", fmt.Sprintf("gate both with batches: %d", req.Count+1)
	}
	return e
}

// onlyNamed reports a request that judges the batch run named by batch-id
// alone: whatever is listed after it, and created at the same instant, is
// judged neither way.
func (r Request) onlyNamed() bool {
	return r.BatchID != "" && r.Count == 1 && r.Baseline == 0
}

// leaveOut handles a batch run that cannot be used, listed once the judged
// ones are complete: it returns err when the batch run says something about
// them after all, and otherwise leaves it out of the trend, with a note when
// it is at a position the trend shows.
func (s *Selection) leaveOut(de *sigmamind.DataError, err error, req Request, shown bool) error {
	for _, runs := range [][]sigmamind.BatchRun{s.Gated, s.Baseline} {
		for _, r := range runs {
			if r.BatchID == de.BatchID {
				return err // a judged batch run is contradicted
			}
		}
	}
	// Listed after the judged ones but newer, or as new: they may not be
	// the newest, and the verdict would be about the wrong batch runs.
	judged := s.Gated
	if len(s.Baseline) > 0 {
		judged = s.Baseline
	}
	oldest := judged[len(judged)-1]
	if de.Created.After(oldest.CreatedDate) || de.Created.Equal(oldest.CreatedDate) && !req.onlyNamed() {
		return err
	}
	if !shown {
		return nil
	}
	s.Earlier = slices.DeleteFunc(s.Earlier, func(r sigmamind.BatchRun) bool { return r.BatchID == de.BatchID })
	s.Notes = append(s.Notes, fmt.Sprintf("batch run %q is left out of the trend: %s", de.BatchID, de.Problem))
	return nil
}

// Running reports whether any of the runs has configured attempts that were
// not executed yet, as the gate counts them.
func Running(runs []sigmamind.BatchRun) bool {
	for _, b := range ForGate(runs) {
		if b.Pending() > 0 {
			return true
		}
	}
	return false
}

// Waiter polls until gated batch runs finish.
type Waiter struct {
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	// Progress receives one line per gated batch run and poll, finished ones
	// and those whose configured attempts are unknown included, so that the
	// log shows the whole selection's progress.
	Progress func(line string)
	// FirstPoll is the first pause; each next one doubles, up to MaxPoll.
	FirstPoll, MaxPoll time.Duration
	// StallPolls is how many polls in a row without a new executed attempt
	// end the wait early: a stuck batch will not finish by waiting.
	StallPolls int
}

// Wait re-lists the selection until its gated batch runs finish, the time
// limit passes, or they stop making progress, and returns the newest state.
// It keeps the batch runs chosen first, even if newer ones start meanwhile.
func (w Waiter) Wait(ctx context.Context, l Lister, req Request, sel Selection, limit time.Duration) (Selection, error) {
	if len(sel.Gated) == 0 || !Running(sel.Gated) {
		return sel, nil
	}
	req.BatchID = sel.Gated[0].BatchID
	deadline := w.Now().Add(limit)
	pause := w.FirstPoll
	executed, stalled := executedAttempts(sel.Gated), 0
	w.progress(sel.Gated)
	for Running(sel.Gated) {
		// The last pause is cut to the time left, so that the batch runs get
		// the whole limit and the line below tells the truth.
		left := deadline.Sub(w.Now())
		if left <= 0 {
			w.say(fmt.Sprintf("stopped waiting after %v (input wait): batch runs are still running", limit))
			return sel, nil
		}
		if err := w.Sleep(ctx, min(pause, left)); err != nil {
			return sel, err
		}
		next, err := Select(ctx, l, req)
		if nf := (*NotFoundError)(nil); errors.As(err, &nf) {
			err = gone(sel.Gated[0]) // the batch run the wait looks for
		}
		if err == nil {
			err = sameRuns(sel, next)
		}
		if err == nil {
			err = carryOver(sel, next)
		}
		if err != nil {
			return sel, err
		}
		sel = next
		w.progress(sel.Gated)
		if now := executedAttempts(sel.Gated); now > executed {
			executed, stalled = now, 0
		} else if stalled++; stalled >= w.StallPolls {
			w.say(fmt.Sprintf("stopped waiting: no new attempt was executed in %d polls", stalled))
			return sel, nil
		}
		pause = min(pause*2, w.MaxPoll)
	}
	return sel, nil
}

// sameRuns returns an error unless a later poll judges the batch runs that
// the first chose: each of them still listed in its part, and none new among
// them. New batch runs are listed before those chosen, which the later polls
// look for from the newest chosen on; one listed among them, or one chosen
// that is gone, means the gate would judge other batch runs than those it
// saw and waited for.
func sameRuns(prev, next Selection) error {
	for _, part := range []struct {
		role         string
		before, then []sigmamind.BatchRun
	}{{"gated", prev.Gated, next.Gated}, {"baseline", prev.Baseline, next.Baseline}} {
		was, is := map[string]bool{}, map[string]bool{}
		for _, r := range part.before {
			was[r.BatchID] = true
		}
		for _, r := range part.then {
			is[r.BatchID] = true
		}
		for _, r := range part.before {
			if !is[r.BatchID] && !listed(next, r.BatchID) {
				return gone(r)
			}
		}
		for _, r := range part.then {
			if !was[r.BatchID] {
				return &sigmamind.DataError{BatchID: r.BatchID, Created: r.CreatedDate, Problem: fmt.Sprintf(
					"it was not listed when the gate chose the batch runs to judge, then listed among the %s ones while it waited for them: "+
						"a batch run created meanwhile is listed before them, so the listings contradict each other", part.role)}
			}
		}
		for _, r := range part.before {
			if !is[r.BatchID] {
				return &sigmamind.DataError{BatchID: r.BatchID, Created: r.CreatedDate, Problem: fmt.Sprintf(
					"it was listed among the %s batch runs when the gate chose them, then listed elsewhere while it waited for them: the listings contradict each other", part.role)}
			}
		}
	}
	return nil
}

func listed(sel Selection, id string) bool {
	for _, runs := range [][]sigmamind.BatchRun{sel.Gated, sel.Baseline, sel.Earlier} {
		for _, r := range runs {
			if r.BatchID == id {
				return true
			}
		}
	}
	return false
}

// gone is the error for a batch run chosen to be judged that a later poll no
// longer lists.
func gone(r sigmamind.BatchRun) error {
	b := ForGate([]sigmamind.BatchRun{r})[0]
	state := fmt.Sprintf("finished (%d of %d attempts executed)", b.Total, b.Expected)
	switch {
	case b.Expected == 0:
		state = fmt.Sprintf("with %d attempts executed, its configured attempts unknown", b.Total)
	case b.Pending() > 0:
		state = fmt.Sprintf("running (%d of %d attempts executed)", b.Total, b.Expected)
	}
	return &sigmamind.DataError{BatchID: r.BatchID, Created: r.CreatedDate, Problem: "it was listed " + state +
		" when the gate chose the batch runs to judge, then no longer listed while it waited for them: the gate judges the batch runs it chose, and one that is gone cannot be judged"}
}

// CarryOver applies the rules that hold between two polls of the same batch
// runs to next, as Wait does: counts never go down, configured attempts never
// shrink. It is for callers that poll batch runs themselves.
func CarryOver(prev, next Selection) error { return carryOver(prev, next) }

// carryOver keeps in next what an earlier poll showed of its batch runs, as
// one run of the gate has seen them. Configured attempts never shrink: a
// later poll that lists fewer test cases, or none, has not made a batch
// finish, so the earlier ones stay. Executed and judged attempts never go
// down either: a judged batch run listed with fewer than before is
// contradicted, an error.
func carryOver(prev, next Selection) error {
	before := map[string]*sigmamind.BatchRun{}
	for _, runs := range [][]sigmamind.BatchRun{prev.Gated, prev.Baseline, prev.Earlier} {
		for i := range runs {
			before[runs[i].BatchID] = &runs[i]
		}
	}
	for part, runs := range [][]sigmamind.BatchRun{next.Gated, next.Baseline, next.Earlier} {
		for i := range runs {
			b, p := &runs[i], before[runs[i].BatchID]
			if p == nil {
				continue
			}
			if part < 2 && (b.SuccessfulAttempts < p.SuccessfulAttempts || b.FailedAttempts < p.FailedAttempts ||
				b.TotalAttempts < p.TotalAttempts || !b.CreatedDate.Equal(p.CreatedDate)) {
				return &sigmamind.DataError{BatchID: b.BatchID, Created: b.CreatedDate, Problem: fmt.Sprintf(
					"a later poll lists it with fewer attempts or another createdDate (successful %d, failed %d, total %d, created %s; then %d, %d, %d, %s): the answers contradict each other",
					p.SuccessfulAttempts, p.FailedAttempts, p.TotalAttempts, p.CreatedDate.UTC().Format(time.RFC3339),
					b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts, b.CreatedDate.UTC().Format(time.RFC3339))}
			}
			if p.ExpectedAttempts() > b.ExpectedAttempts() {
				// The earlier copy whole, with the new counts: whatever
				// makes up its configured attempts comes along.
				kept := *p
				kept.SuccessfulAttempts, kept.FailedAttempts, kept.TotalAttempts = b.SuccessfulAttempts, b.FailedAttempts, b.TotalAttempts
				*b = kept
			}
		}
	}
	return nil
}

func (w Waiter) progress(runs []sigmamind.BatchRun) {
	for i := range runs {
		if exp := runs[i].ExpectedAttempts(); exp > 0 {
			w.say(fmt.Sprintf("%s: %d/%d attempts", runs[i].BatchID, runs[i].TotalAttempts, exp))
		} else {
			w.say(fmt.Sprintf("%s: %d attempts, configured attempts unknown", runs[i].BatchID, runs[i].TotalAttempts))
		}
	}
}

// say reports a line; a nil Progress discards it.
func (w Waiter) say(line string) {
	if w.Progress != nil {
		w.Progress(line)
	}
}

func executedAttempts(runs []sigmamind.BatchRun) int64 {
	var n int64
	for i := range runs {
		n += runs[i].TotalAttempts
	}
	return n
}

// ForGate returns what the gate judges of each batch run: its counts.
func ForGate(runs []sigmamind.BatchRun) []gate.Batch {
	out := make([]gate.Batch, 0, len(runs))
	for _, r := range runs {
		out = append(out, gate.Batch{ID: r.BatchID, Created: r.CreatedDate, Successful: r.SuccessfulAttempts,
			Failed: r.FailedAttempts, Total: r.TotalAttempts, Expected: r.ExpectedAttempts()})
	}
	return out
}
