package batches_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// trendRows is the trend the gate reads, as internal/action asks for it.
const trendRows = config.TrendRows

// world is an agent's listing, newest first and clean, with a request and
// rules to judge it by.
type world struct {
	rows  []sigmamind.BatchRun
	req   batches.Request
	rules gate.Rules
}

func (w world) String() string {
	s := fmt.Sprintf("count %d, baseline %d, trend %d, rules %+v:", w.req.Count, w.req.Baseline, w.req.Trend, w.rules)
	for _, r := range w.rows {
		s += fmt.Sprintf("\n  %s %s %d/%d/%d of %d", r.BatchID, r.CreatedDate.Format(time.RFC3339), r.SuccessfulAttempts, r.FailedAttempts, r.TotalAttempts, r.ExpectedAttempts())
	}
	return s
}

func randomWorld(rng *rand.Rand) world {
	n := 1 + rng.IntN(trendRows)
	w := world{req: batches.Request{AgentID: agent, Count: 1 + rng.IntN(3), Baseline: rng.IntN(3), Trend: trendRows}}
	created := fixedNow.Add(-time.Duration(rng.IntN(120)) * time.Minute)
	for i := range n {
		total := int64(1 + rng.IntN(20))
		failed := rng.Int64N(total + 1)
		successful := rng.Int64N(total - failed + 1)
		b := sigmamind.BatchRun{BatchID: fmt.Sprintf("batch_%03d", i), Agent: &sigmamind.Agent{AgentID: agent}, CreatedDate: created,
			SuccessfulAttempts: successful, FailedAttempts: failed, TotalAttempts: total}
		switch rng.IntN(4) {
		case 0: // configured attempts unknown
		case 1: // still running
			b.TestCases = []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: total + 1 + rng.Int64N(5)}}
		default:
			b.TestCases = []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: total}}
		}
		w.rows = append(w.rows, b)
		// Ties too: the same second is still newest first. Not where the
		// gated ones end, nor the judged ones: which are judged would be
		// unknown (see TestSelectTies).
		step := time.Duration(rng.IntN(3)) * time.Hour
		if next := i + 1; next == w.req.Count && w.req.Baseline > 0 || next == w.judgedRows() {
			step = max(step, time.Hour)
		}
		created = created.Add(-step)
	}
	w.rules.MinAttempts = 1
	w.rules.MaxFailureRate = ptr(gate.MustRate([]string{"0", "10%", "30%", "60%"}[rng.IntN(4)]))
	if rng.IntN(2) == 0 {
		w.rules.MaxAge = time.Duration(1+rng.IntN(6)) * time.Hour
	}
	if w.req.Baseline > 0 {
		w.rules.MaxRegression = ptr(gate.MustRate("5%"))
	}
	return w
}

// judgedRows is how many rows from the start decide the verdict.
func (w world) judgedRows() int { return w.req.Count + w.req.Baseline }

// serving says how the fake serves a world's rows.
type serving struct {
	maxPage int
	faults  []sigmamindtest.Fault
	endless bool
}

// verdict is the gate's outcome on the rows, as internal/action reaches
// it: "error" or the verdict.
func verdict(t *testing.T, rows []sigmamind.BatchRun, req batches.Request, rules gate.Rules, sv serving) string {
	t.Helper()
	fake := sigmamindtest.NewHandler(sigmamindtest.WithMaxPageSize(sv.maxPage))
	defer fake.Close()
	fake.ListAsGiven(agent, rows...)
	fake.Fail(sv.faults...)
	if sv.endless {
		fake.SetPagination(sigmamindtest.EndlessHasNext)
	}
	sel, err := batches.Select(t.Context(), fakeLister(t, fake), req)
	if err != nil {
		return "error"
	}
	return string(gate.Evaluate(gate.Input{AgentID: agent, Gated: batches.ForGate(sel.Gated), Baseline: batches.ForGate(sel.Baseline),
		Requested: req.Count, Rules: rules, Now: fixedNow}).Verdict)
}

// corrupt spoils a row in a way that does not make it newer than the rows
// before it.
func corrupt(rng *rand.Rand, b sigmamind.BatchRun) sigmamind.BatchRun {
	return modified(b, func(b *sigmamind.BatchRun) {
		switch rng.IntN(6) {
		case 0:
			b.FailedAttempts = b.TotalAttempts + 1
		case 1:
			b.SuccessfulAttempts = -1
		case 2:
			b.Agent.AgentID = "agent_other"
		case 3:
			b.CreatedDate = time.Time{}
		case 4:
			b.Agent.AgentID = ""
		default:
			b.TestCases = append(b.TestCases, sigmamind.TestCase{TestCaseID: "tc_bad", Agent: &sigmamind.Agent{AgentID: "agent_other"}, Attempt: 1})
		}
	})
}

// TestVerdictIgnoresDisplayOnlyData checks metamorphic relations: whatever
// happens to the rows read only for the trend, and whether they are read at
// all, the verdict stays what the judged rows make it.
func TestVerdictIgnoresDisplayOnlyData(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 300 {
		w := randomWorld(rng)
		want := verdict(t, w.rows, w.req, w.rules, serving{})
		if want == "error" {
			t.Fatalf("trial %d: a clean listing gives an error\n%v", trial, w)
		}
		check := func(what string, rows []sigmamind.BatchRun, req batches.Request, sv serving) {
			t.Helper()
			if got := verdict(t, rows, req, w.rules, sv); got != want {
				t.Errorf("trial %d: %s: verdict %s, want %s\n%v", trial, what, got, want, w)
			}
		}

		noTrend := w.req
		noTrend.Trend = 0
		check("no trend (no summary)", w.rows, noTrend, serving{})

		j := w.judgedRows()
		if len(w.rows) >= j {
			older := slices.Clone(w.rows)
			last := older[len(older)-1]
			for i := range 1 + rng.IntN(15) {
				b := modified(last, func(b *sigmamind.BatchRun) {
					b.BatchID = fmt.Sprintf("batch_old_%02d", i)
					b.CreatedDate = last.CreatedDate.Add(-time.Duration(i+1) * time.Hour)
					b.FailedAttempts, b.SuccessfulAttempts = b.TotalAttempts, 0
				})
				older = append(older, b)
			}
			check("older display-only rows", older, w.req, serving{})
		}
		if len(w.rows) > j {
			bad := slices.Clone(w.rows)
			for i := j; i < len(bad); i++ {
				if rng.IntN(2) == 0 {
					bad[i] = corrupt(rng, bad[i])
				}
			}
			check("corrupt trend rows", bad, w.req, serving{})

			// A contradicting copy of a trend row, listed again further on.
			copied := append(slices.Clone(w.rows), modified(w.rows[j+rng.IntN(len(w.rows)-j)], func(b *sigmamind.BatchRun) {
				b.SuccessfulAttempts, b.FailedAttempts = b.FailedAttempts, b.SuccessfulAttempts
				b.TotalAttempts = max(b.TotalAttempts-1, b.SuccessfulAttempts+b.FailedAttempts)
				b.CreatedDate = b.CreatedDate.Add(-time.Second)
			}))
			check("a contradicting copy of a trend row", copied, w.req, serving{})
		}

		// Pages of 1 to 3 rows, failing from the first page that holds
		// only trend rows on.
		size := 1 + rng.IntN(3)
		check(fmt.Sprintf("pages of %d", size), w.rows, w.req, serving{maxPage: size})
		if first := (j + size - 1) / size; first*size < len(w.rows) {
			faults := make([]sigmamindtest.Fault, first+1)
			faults[first] = sigmamindtest.Fault{Status: []int{500, 503, 404, 200}[rng.IntN(4)], Body: []string{"", "", "", "{}"}[rng.IntN(4)], Times: 5}
			check(fmt.Sprintf("pages of %d, failing from page %d", size, first), w.rows, w.req, serving{maxPage: size, faults: faults})
		}
		if len(w.rows) >= j {
			check("empty pages after hasNext", w.rows, w.req, serving{maxPage: size, endless: true})
		}
	}
}

// TestReorderingNeverPasses checks that a listing out of order never passes
// where the same batch runs newest first do not: every row is read (the
// listing is no longer than the trend), and a row newer than a judged one
// makes the gate's answer an error. Rows created at the same time are newest
// first in either order: the shuffled listing is compared with itself sorted.
func TestReorderingNeverPasses(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(13, 17))
	for trial := range 300 {
		w := randomWorld(rng)
		shuffled := slices.Clone(w.rows)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		sorted := slices.Clone(shuffled)
		slices.SortStableFunc(sorted, func(a, b sigmamind.BatchRun) int { return b.CreatedDate.Compare(a.CreatedDate) })
		want := verdict(t, sorted, w.req, w.rules, serving{})
		got := verdict(t, shuffled, w.req, w.rules, serving{maxPage: 1 + rng.IntN(4)})
		if got != want && got != "error" {
			var order []string
			for _, r := range shuffled {
				order = append(order, r.BatchID)
			}
			t.Errorf("trial %d: shuffled to %v: verdict %s, want %s or error\n%v", trial, order, got, want, w)
		}
	}
}
