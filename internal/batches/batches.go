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
}

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

// Select lists only as many batch runs as the request needs.
//
// Only the gated and baseline batch runs decide a verdict, so only what they
// need may fail it: an error at their positions, or about them, is an error.
// Once they are complete, a batch run listed for the trend that cannot be
// used is left out of it with a note, and an error that ends the listing
// ends the trend, with a note; but one that claims to be newer than a judged
// batch run shows that the listing is not newest first, and is an error.
// While looking for a batch-id, a batch run that cannot be used is passed
// over, unless it is the one looked for.
func Select(ctx context.Context, l Lister, req Request) (Selection, error) {
	judged := req.Count + req.Baseline
	if judged <= 0 {
		return Selection{}, nil
	}
	need := max(judged, req.Trend)
	size := min(need, sigmamind.MaxPageSize)
	if req.BatchID != "" {
		size = min(max(need, searchPageSize), sigmamind.MaxPageSize)
	}
	var sel Selection
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
			if judgedErr := sel.leaveOut(de, err); judgedErr != nil {
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
			if sel.replace(b) {
				continue // a later copy; the earlier one keeps its place
			}
			switch {
			case len(sel.Gated) < req.Count:
				sel.Gated = append(sel.Gated, *b)
			case len(sel.Baseline) < req.Baseline:
				sel.Baseline = append(sel.Baseline, *b)
			default:
				sel.Earlier = append(sel.Earlier, *b)
			}
		}
		if read++; read == need {
			break
		}
	}
	if !found {
		return Selection{}, &NotFoundError{AgentID: req.AgentID, BatchID: req.BatchID, Scanned: scanned}
	}
	return sel, nil
}

// replace puts a later copy of a batch run already selected in its place,
// and reports whether there was one.
func (s *Selection) replace(b *sigmamind.BatchRun) bool {
	for _, runs := range [][]sigmamind.BatchRun{s.Gated, s.Baseline, s.Earlier} {
		for i := range runs {
			if runs[i].BatchID == b.BatchID {
				runs[i] = *b
				return true
			}
		}
	}
	return false
}

// leaveOut handles a batch run that cannot be used, listed once the judged
// ones are complete: it returns err when the batch run says something about
// them after all, and otherwise leaves it out of the trend with a note.
func (s *Selection) leaveOut(de *sigmamind.DataError, err error) error {
	for _, runs := range [][]sigmamind.BatchRun{s.Gated, s.Baseline} {
		for _, r := range runs {
			if r.BatchID == de.BatchID {
				return err // a judged batch run is contradicted
			}
		}
	}
	// Listed after the judged ones but newer: they may not be the newest,
	// and the verdict would be about the wrong batch runs.
	judged := s.Gated
	if len(s.Baseline) > 0 {
		judged = s.Baseline
	}
	if oldest := judged[len(judged)-1]; de.Created.After(oldest.CreatedDate) {
		return err
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
