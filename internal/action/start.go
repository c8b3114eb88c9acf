package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/report"
	"github.com/sigmagate/sigmagate/sigmamind"
)

// starts is what the gate started with run-test-cases, and what it made of
// the runs as they finished.
type starts struct {
	testCases   []string
	runAttempts int64 // configured attempts of one run; 0 when unknown
	each        int64 // attempts of every test case, when all have as many
	maxRuns     int
	// runs are the batch runs started, oldest first, as last read.
	runs []sigmamind.BatchRun
	stop string // a report.Stop* value
	// plans judge the rate rules after each finished run when max-runs is
	// above 1; decided holds each rule's first decided verdict.
	plans   []plan
	decided map[string]gate.Verdict
	level   float64
}

type plan struct {
	rule string
	seq  gate.Sequential
}

// ids are the batch runs started, newest first.
func (st *starts) ids() []string {
	out := make([]string, 0, len(st.runs))
	for i := len(st.runs) - 1; i >= 0; i-- {
		out = append(out, st.runs[i].BatchID)
	}
	return out
}

// newestFirst are the runs started, newest first.
func (st *starts) newestFirst() []sigmamind.BatchRun {
	out := slices.Clone(st.runs)
	slices.Reverse(out)
	return out
}

// start starts batch runs of the configured test cases, one at a time, waits
// for each, and starts another while the pooled verdict is undecided and
// the budget allows. It judges exactly the runs it started: another pull
// request may start runs for the same agent meanwhile. The baseline is the
// newest runs that existed before the first start.
func (s *step) start(ctx context.Context, client *sigmamind.Client, cfg config.Config) (*starts, batches.Selection, error) {
	st := &starts{maxRuns: cfg.MaxRuns, decided: map[string]gate.Verdict{}}
	var sel batches.Selection
	// The wait bounds the whole loop; the timeout bounds the talk with the
	// API on top of it.
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout+cfg.Wait)
	defer cancel()
	deadline := s.env.Now().Add(cfg.Wait)

	listed, err := client.TestCases(ctx, cfg.AgentID)
	if err != nil {
		st.stop = stopFor(ctx, err)
		return st, sel, fmt.Errorf("could not list the test cases of agent %s: %w", cfg.AgentID, err)
	}
	attempts := map[string]int64{}
	for _, tc := range listed {
		attempts[tc.TestCaseID] = tc.Attempt
	}
	if cfg.RunAll {
		for _, tc := range listed {
			st.testCases = append(st.testCases, tc.TestCaseID)
		}
		if len(st.testCases) == 0 {
			st.stop = report.StopError
			return st, sel, &noTestCasesError{agentID: cfg.AgentID}
		}
	} else {
		st.testCases = cfg.RunTestCases
	}
	st.each = -1
	for _, id := range st.testCases {
		n, ok := attempts[id]
		if st.each == -1 || st.each == n {
			st.each = n
		} else {
			st.each = 0 // they differ
		}
		if !ok || n <= 0 {
			// Not listed: SigmaMind says what is wrong with it when asked
			// to run it, and the run says its size once read.
			st.runAttempts = 0
			break
		}
		st.runAttempts += n
	}
	s.log.Printf("sigmagate: will run %s", st.plan())

	if cfg.Baseline > 0 {
		before, err := batches.Select(ctx, client, batches.Request{AgentID: cfg.AgentID, Count: cfg.Baseline, Trend: config.TrendRows})
		if err != nil {
			st.stop = stopFor(ctx, err)
			return st, sel, fmt.Errorf("could not list the batch runs of agent %s for the baseline: %w", cfg.AgentID, err)
		}
		sel.Baseline, sel.Earlier, sel.Notes = before.Gated, before.Baseline, before.Notes
		sel.Earlier = append(sel.Earlier, before.Earlier...)
	}

	for k := 1; k <= cfg.MaxRuns; k++ {
		run, err := client.CreateBatchRunOnce(ctx, cfg.AgentID, st.testCases, sigmamind.CreateOptions{Retries: cfg.Retries, Exclude: st.ids()})
		if err != nil {
			st.stop = stopFor(ctx, err)
			return st, sel, fmt.Errorf("could not start batch run %d of %d for agent %s: %w", k, cfg.MaxRuns, cfg.AgentID, err)
		}
		how := "started"
		if run.Adopted {
			how = "started (its answer was lost; found among the agent's newest batch runs)"
		}
		s.log.Printf("sigmagate: %s batch run %s, run %d of %d", how, run.BatchID, k, cfg.MaxRuns)
		st.runs = append(st.runs, sigmamind.BatchRun{BatchID: run.BatchID, CreatedDate: run.CreatedDate, Agent: run.Agent})
		if stop, err := s.follow(ctx, client, cfg, st, deadline); err != nil || stop != "" {
			st.stop = stop
			return st, sel, err
		}
		if st.runAttempts == 0 {
			st.runAttempts = st.runs[len(st.runs)-1].ExpectedAttempts()
		}
		if cfg.MaxRuns == 1 {
			st.stop = report.StopBudget
			break
		}
		more, futile, err := st.look(cfg, k)
		if err != nil {
			st.stop = report.StopError
			return st, sel, err
		}
		switch {
		case len(st.decided) == len(st.plans):
			st.stop = report.StopDecided
		case k == cfg.MaxRuns:
			st.stop = report.StopBudget
		case futile && cfg.OnInconclusive == "fail":
			// Only a pass could change what the step does, and none can
			// come. Where inconclusive passes or warns, the runs left may
			// still turn it into a fail, so they are spent.
			st.stop = report.StopFutile
		case !more && !futile:
			st.stop = report.StopBudget
		}
		if st.stop != "" {
			break
		}
	}
	return st, sel, nil
}

// plan is the log line that says what will run.
func (st *starts) plan() string {
	what := fmt.Sprintf("%d test case(s)", len(st.testCases))
	if st.runAttempts > 0 && st.each > 0 {
		what += fmt.Sprintf(" × %d attempts = %d attempts a run", st.each, st.runAttempts)
	} else if st.runAttempts > 0 {
		what += fmt.Sprintf(" = %d attempts a run", st.runAttempts)
	} else {
		what += " (attempts a run unknown until the run is read)"
	}
	what += fmt.Sprintf(", up to %d run(s)", st.maxRuns)
	if st.runAttempts > 0 && st.maxRuns > 1 {
		what += fmt.Sprintf(" (%d attempts at most)", st.runAttempts*int64(st.maxRuns))
	}
	return what
}

// look judges the pooled runs after run k with each rate rule's plan, and
// keeps each rule's first decided verdict. It reports whether a rule still
// wants another run, and whether one stopped because no pass is reachable.
func (st *starts) look(cfg config.Config, k int) (more, futile bool, err error) {
	if st.plans == nil {
		if st.runAttempts <= 0 {
			return false, false, errors.New("the configured attempts of the batch run started are unknown, so runs cannot be judged one after another: set max-runs to 1")
		}
		if l := cfg.Rules.MaxFailureRate; l != nil {
			p, perr := gate.PlanSequential(st.runAttempts, cfg.MaxRuns, *l, cfg.Rules.Confidence)
			if perr != nil {
				return false, false, perr
			}
			st.plans = append(st.plans, plan{"max-failure-rate", p})
		}
		if l := cfg.Rules.MinSuccessRate; l != nil {
			p, perr := gate.PlanSequentialSuccess(st.runAttempts, cfg.MaxRuns, *l, cfg.Rules.Confidence)
			if perr != nil {
				return false, false, perr
			}
			st.plans = append(st.plans, plan{"min-success-rate", p})
		}
		for _, p := range st.plans {
			if st.level == 0 || p.seq.Level() > st.level {
				st.level = p.seq.Level()
			}
		}
	}
	c := gate.Pool(batches.ForGate(st.runs))
	for _, p := range st.plans {
		if _, done := st.decided[p.rule]; done {
			continue
		}
		step := p.seq.Look(k, c.Failures(), c.Total)
		switch {
		case step.Verdict != gate.Inconclusive:
			st.decided[p.rule] = step.Verdict
		case step.More:
			more = true
		case step.Futile:
			futile = true
		}
	}
	return more || (futile && cfg.OnInconclusive != "fail"), futile, nil
}

// follow reads the newest run at once, then polls it with backoff until it
// finishes. It returns why starting must stop when the run did not finish:
// stalled, timed out, cancelled, or an error.
func (s *step) follow(ctx context.Context, client *sigmamind.Client, cfg config.Config, st *starts, deadline time.Time) (string, error) {
	cur := &st.runs[len(st.runs)-1]
	pause, stalled := s.firstPoll, 0
	for first := true; ; first = false {
		if !first {
			left := deadline.Sub(s.env.Now())
			if left <= 0 {
				s.log.Printf("sigmagate: stopped waiting after %v (input wait): batch run %s is still running", cfg.Wait, cur.BatchID)
				return report.StopTimedOut, nil
			}
			if err := s.sleep(ctx, min(pause, left)); err != nil {
				return stopFor(ctx, err), nil
			}
			pause = min(pause*2, s.maxPoll)
		}
		b, err := client.BatchRun(ctx, cfg.AgentID, cur.BatchID)
		if err != nil {
			if ctx.Err() != nil {
				return stopFor(ctx, err), nil
			}
			return report.StopError, fmt.Errorf("could not read batch run %s of agent %s: %w", cur.BatchID, cfg.AgentID, err)
		}
		if !first {
			// Counts never go down, as between the polls of wait.
			if err := carry(*cur, b); err != nil {
				return report.StopError, err
			}
		}
		progressed := b.TotalAttempts > cur.TotalAttempts
		*cur = *b
		if exp := cur.ExpectedAttempts(); exp > 0 {
			s.log.Printf("%s: %d/%d attempts", cur.BatchID, cur.TotalAttempts, exp)
		} else {
			s.log.Printf("%s: %d attempts, configured attempts unknown", cur.BatchID, cur.TotalAttempts)
		}
		if !batches.Running([]sigmamind.BatchRun{*cur}) {
			return "", nil
		}
		if first || progressed {
			stalled = 0
		} else if stalled++; stalled >= stallPolls {
			s.log.Printf("sigmagate: stopped waiting: no new attempt of batch run %s was executed in %d polls", cur.BatchID, stalled)
			return report.StopStalled, nil
		}
	}
}

// carry checks a new reading of a started batch run against the one before,
// and keeps its configured attempts, as batches.Waiter does between polls.
func carry(prev sigmamind.BatchRun, next *sigmamind.BatchRun) error {
	before := batches.Selection{Gated: []sigmamind.BatchRun{prev}}
	after := batches.Selection{Gated: []sigmamind.BatchRun{*next}}
	if err := batches.CarryOver(before, after); err != nil {
		return err
	}
	*next = after.Gated[0]
	return nil
}

// stopFor says why the loop stopped after err: cancelled or timed out when
// the context ended, an error otherwise.
func stopFor(ctx context.Context, err error) string {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return report.StopCancelled
	case ctx.Err() != nil:
		return report.StopTimedOut
	case err == nil:
		return ""
	}
	return report.StopError
}

// noTestCasesError is run-test-cases: all for an agent without test cases.
type noTestCasesError struct{ agentID string }

func (e *noTestCasesError) Error() string {
	return fmt.Sprintf("agent %s has no test cases, so run-test-cases: all has nothing to run: add test cases to the agent in SigmaMind, or name them in run-test-cases", e.agentID)
}

// judgeStarted has the gate judge the runs the step started. With max-runs
// above 1, the rate rules' verdicts are the sequential plans': each rule's
// first decided verdict, or inconclusive.
func judgeStarted(cfg config.Config, st *starts, sel batches.Selection, err error, now time.Time) judged {
	sel.Gated = st.newestFirst()
	if err != nil {
		return judged{sel: sel, err: err, outcome: policy.Outcome{Err: true, Outage: outage(err)}}
	}
	if st.stop == report.StopCancelled {
		cancelled := errors.New("the step was cancelled while batch runs were running")
		return judged{sel: sel, err: cancelled, outcome: policy.Outcome{Err: true, Outage: outage(cancelled)}}
	}
	res := gate.Evaluate(gate.Input{
		AgentID: cfg.AgentID, Gated: batches.ForGate(sel.Gated), Baseline: batches.ForGate(sel.Baseline),
		Requested: len(sel.Gated), Rules: cfg.Rules, Now: now,
	})
	if len(st.plans) > 0 {
		c := gate.Pool(batches.ForGate(st.runs))
		for i := range res.Checks {
			ch := &res.Checks[i]
			for _, p := range st.plans {
				if ch.Rule != p.rule {
					continue
				}
				v, ok := st.decided[p.rule]
				if !ok {
					v = gate.Inconclusive
				}
				ch.Verdict, ch.Provisional = v, ""
				ch.Reason = fmt.Sprintf("%s after %d of up to %d runs (%d of %d attempts did not succeed), judged one run after another: each look at %s, so that a wrong verdict over all looks stays within %s",
					v, len(st.runs), st.maxRuns, c.Failures(), c.Total, gate.Confidence(p.seq.Level()), gate.Confidence(p.seq.Confidence()))
			}
		}
		res.Verdict = worst(res.Checks)
	}
	return judged{sel: sel, gate: res, outcome: policy.Outcome{Verdict: res.Verdict}}
}

// worst is the worst verdict of the checks, as the gate combines them.
func worst(checks []gate.Check) gate.Verdict {
	rank := map[gate.Verdict]int{gate.Pass: 1, gate.Inconclusive: 2, gate.Fail: 3}
	v := gate.Pass
	for _, c := range checks {
		if rank[c.Verdict] > rank[v] {
			v = c.Verdict
		}
	}
	return v
}

// startedReport is what the report shows of the runs started.
func startedReport(st *starts, getenv func(string) string) *report.Started {
	if st == nil {
		return nil
	}
	r := &report.Started{BatchIDs: st.ids(), TestCases: slices.Clone(st.testCases), Runs: len(st.runs), MaxRuns: st.maxRuns,
		RunAttempts: st.runAttempts, Stop: st.stop, Level: st.level,
		Commit: shortSHA(getenv("GITHUB_SHA")), PullRequest: pullRequest(getenv)}
	for _, b := range st.runs {
		r.Attempts += b.TotalAttempts
	}
	if r.TestCases == nil {
		r.TestCases = []string{}
	}
	return r
}

var hexSHA = regexp.MustCompile(`^[0-9a-f]{7,64}$`)

// shortSHA is a commit's first 7 hex digits; "" for anything else.
func shortSHA(sha string) string {
	if !hexSHA.MatchString(sha) {
		return ""
	}
	return sha[:7]
}

var pullRef = regexp.MustCompile(`^refs/pull/([0-9]{1,10})/(merge|head)$`)

// pullRequest is the number of the pull request the workflow runs for, from
// the event, or from GITHUB_REF; "" when it runs for none.
func pullRequest(getenv func(string) string) string {
	if path := getenv("GITHUB_EVENT_PATH"); path != "" {
		if data, err := readSmall(path, 8<<20); err == nil {
			var ev struct {
				PullRequest *struct {
					Number int64 `json:"number"`
				} `json:"pull_request"`
			}
			if json.Unmarshal(data, &ev) == nil && ev.PullRequest != nil && ev.PullRequest.Number > 0 {
				return strconv.FormatInt(ev.PullRequest.Number, 10)
			}
		}
	}
	if m := pullRef.FindStringSubmatch(getenv("GITHUB_REF")); m != nil {
		return strings.TrimLeft(m[1], "0")
	}
	return ""
}

// readSmall reads a file of at most limit bytes.
func readSmall(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, err
}
