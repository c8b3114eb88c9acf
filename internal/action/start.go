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
	// planned is runAttempts as the test-case list gave it before the first
	// create; 0 when unknown. A run is judged against at least this size.
	planned int64
	each    int64 // attempts of every test case, when all have as many
	maxRuns int
	// runs are the batch runs started, oldest first, as last read.
	runs []sigmamind.BatchRun
	stop string // a report.Stop* value
	// plans judge the rate rules after each finished run when max-runs is
	// above 1; decided holds each rule's first decided verdict.
	plans   []plan
	decided map[string]gate.Verdict
	// at is the look that decided each rule, and its pooled counts.
	at    map[string]look
	level float64
	// read counts the runs read at least once; a run not read is unknown.
	read int
	// adopted are the runs found among the agent's newest after a create
	// whose answer was lost.
	adopted []string
	// foreign is a batch run SigmaMind answered a create with that turned
	// out not to be the run asked for; it is named, never judged.
	foreign string
}

// look is one look of the sequential plans: after run k, the pooled counts.
type look struct {
	k               int
	failures, total int64
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
	st := &starts{maxRuns: cfg.MaxRuns, decided: map[string]gate.Verdict{}, at: map[string]look{}}
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
	st.planned = st.runAttempts
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

	var lastTook time.Duration
	for k := 1; k <= cfg.MaxRuns; k++ {
		if k > 1 {
			// A run that cannot finish within the wait is attempts spent
			// for nothing: it could only end timed out.
			left := deadline.Sub(s.env.Now())
			if left <= 0 || left < lastTook {
				s.log.Printf("sigmagate: timed out: %v of the wait is left and run %d took %v, so no run %d of %d was started", max(left, 0), k-1, lastTook, k, cfg.MaxRuns)
				st.stop = report.StopTimedOut
				break
			}
		}
		began := s.env.Now()
		run, err := client.CreateBatchRunOnce(ctx, cfg.AgentID, st.testCases, sigmamind.CreateOptions{Retries: cfg.Retries, Exclude: st.ids()})
		if err != nil {
			st.stop = stopFor(ctx, err)
			return st, sel, fmt.Errorf("could not start batch run %d of %d for agent %s: %w", k, cfg.MaxRuns, cfg.AgentID, err)
		}
		how := "started"
		if run.Adopted {
			how = "started (its answer was lost; found among the agent's newest batch runs: a run someone else started meanwhile with the same test cases cannot be told from it)"
			st.adopted = append(st.adopted, run.BatchID)
		}
		s.log.Printf("sigmagate: %s batch run %s, run %d of %d", how, run.BatchID, k, cfg.MaxRuns)
		st.runs = append(st.runs, sigmamind.BatchRun{BatchID: run.BatchID, CreatedDate: run.CreatedDate, Agent: run.Agent})
		if stop, err := s.follow(ctx, client, cfg, st, deadline); err != nil || stop != "" {
			var ne *notOursError
			if errors.As(err, &ne) {
				// Not the run asked for: never judged, never reported as
				// started; the error names it.
				st.foreign = ne.batchID
				st.runs = st.runs[:len(st.runs)-1]
				st.read = min(st.read, len(st.runs))
			}
			st.stop = stop
			return st, sel, err
		}
		lastTook = s.env.Now().Sub(began)
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
		case len(st.decided) == len(st.plans) || st.failed():
			// A rule that decided fail fails the step whatever the others
			// come to: more runs would be attempts spent for nothing.
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
	if st.at == nil {
		st.at = map[string]look{}
	}
	c := gate.Pool(st.forGate(st.runs))
	for _, p := range st.plans {
		if _, done := st.decided[p.rule]; done {
			continue
		}
		step := p.seq.Look(k, c.Failures(), c.Total)
		switch {
		case step.Verdict != gate.Inconclusive:
			st.decided[p.rule] = step.Verdict
			st.at[p.rule] = look{k: k, failures: c.Failures(), total: c.Total}
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
		if err := st.ours(cfg.AgentID, *cur, b); err != nil {
			return report.StopError, err
		}
		if !first {
			// Counts never go down, as between the polls of wait.
			if err := carry(*cur, b); err != nil {
				return report.StopError, err
			}
		}
		if first {
			st.read++
		}
		progressed := b.TotalAttempts > cur.TotalAttempts
		*cur = *b
		exp := st.expected(*cur)
		switch {
		case exp > 0 && cur.TotalAttempts > exp:
			return report.StopError, &sigmamind.DataError{BatchID: cur.BatchID, Created: cur.CreatedDate, Problem: fmt.Sprintf(
				"it lists %d executed attempts, more than the %d configured (%d planned from the test-case list, %d listed in the run): the data contradicts itself, so it is not judged; re-run the step, and report it to SigmaMind if it persists",
				cur.TotalAttempts, exp, st.planned, cur.ExpectedAttempts())}
		case exp > 0:
			s.log.Printf("%s: %d/%d attempts", cur.BatchID, cur.TotalAttempts, exp)
		default:
			s.log.Printf("%s: %d attempts, configured attempts unknown", cur.BatchID, cur.TotalAttempts)
		}
		if exp == 0 || cur.TotalAttempts >= exp {
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

// expected is the configured attempts of a started run: what it lists, but
// never fewer than planned from the test-case list. A run that lists none,
// or fewer (its test cases changed meanwhile, or the answer is wrong), has
// not finished with a share of what the step asked for. 0 when unknown.
func (st *starts) expected(b sigmamind.BatchRun) int64 {
	return max(b.ExpectedAttempts(), st.planned)
}

// forGate is runs as the gate judges them, each at least its planned size.
func (st *starts) forGate(runs []sigmamind.BatchRun) []gate.Batch {
	out := batches.ForGate(runs)
	for i := range out {
		out[i].Expected = st.expected(runs[i])
	}
	return out
}

// failed reports whether a rule has decided fail: the step can no longer
// pass.
func (st *starts) failed() bool {
	for _, v := range st.decided {
		if v == gate.Fail {
			return true
		}
	}
	return false
}

// notOursError is a started batch run read with other test cases, another
// createdDate or another agent than the create asked for or answered: the
// run is someone else's, or SigmaMind's answers contradict each other.
type notOursError struct {
	batchID, problem string
}

func (e *notOursError) Error() string {
	return fmt.Sprintf("SigmaMind answered the create with batch run %s, but reading it shows %s: it is not judged and not listed in started-batch-ids; if this step's create started another batch run, it keeps running in SigmaMind. Re-run the step, and serialize the steps that start runs for this agent (a concurrency group)",
		e.batchID, e.problem)
}

// ours checks that a reading of the newest started run is the run asked for:
// exactly the requested test cases, as a set, and the createdDate and agent
// the create's answer (or the listing it was found in) gave.
func (st *starts) ours(agentID string, cur sigmamind.BatchRun, b *sigmamind.BatchRun) error {
	bad := func(format string, a ...any) error {
		return &notOursError{batchID: cur.BatchID, problem: fmt.Sprintf(format, a...)}
	}
	if b.BatchID != cur.BatchID {
		return bad("another batch id, %s", b.BatchID)
	}
	if b.LeftOutTestCases > 0 {
		return bad("%d test cases, too many to compare with the %d requested", b.TestCaseCount(), len(st.testCases))
	}
	got := make([]string, len(b.TestCases))
	for i, tc := range b.TestCases {
		got[i] = tc.TestCaseID
	}
	slices.Sort(got)
	want := slices.Clone(st.testCases)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		return bad("test cases %s, not the %d requested", quoteList(got), len(want))
	}
	if !cur.CreatedDate.IsZero() && !b.CreatedDate.Equal(cur.CreatedDate) {
		return bad("createdDate %s, not the %s its start gave", b.CreatedDate.UTC().Format(time.RFC3339Nano), cur.CreatedDate.UTC().Format(time.RFC3339Nano))
	}
	if b.Agent != nil && b.Agent.AgentID != "" && !sameAgent(b.Agent.AgentID, agentID) {
		return bad("agent %s, not %s", b.Agent.AgentID, agentID)
	}
	return nil
}

// sameAgent compares agent ids as SigmaMind writes them: agent_X or X.
func sameAgent(a, b string) bool {
	return strings.TrimPrefix(a, "agent_") == strings.TrimPrefix(b, "agent_")
}

// quoteList is up to 5 ids, then how many more.
func quoteList(ids []string) string {
	const shown = 5
	s := strings.Join(ids[:min(len(ids), shown)], ", ")
	if len(ids) > shown {
		s += fmt.Sprintf(" and %d more", len(ids)-shown)
	}
	if s == "" {
		s = "none"
	}
	return s
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
	if err == nil && st.stop == report.StopCancelled {
		err = errors.New("the step was cancelled while batch runs were running")
	}
	if err == nil && st.read < len(st.runs) && st.planned == 0 {
		// Its size unknown, a run never read would be judged as one that
		// executed nothing.
		err = fmt.Errorf("batch run %s was started but never read before the step stopped (%s): its outcome is unknown; it keeps running in SigmaMind", st.runs[len(st.runs)-1].BatchID, st.stop)
	}
	if err != nil {
		if at, ok := st.failedAt(); ok {
			// A decided fail stands: what went wrong after it cannot make
			// the step pass, not even with on-error: warn.
			j := st.judge(cfg, sel, st.runs[:at], now)
			j.gate.Notes = append(j.gate.Notes, fmt.Sprintf("after the fail was decided, the step met an error: %v", err))
			return j
		}
		return judged{sel: sel, err: err, outcome: policy.Outcome{Err: true, Outage: outage(err)}}
	}
	return st.judge(cfg, sel, st.runs, now)
}

// failedAt is how many runs the look that first decided fail judged.
func (st *starts) failedAt() (int, bool) {
	at := 0
	for rule, v := range st.decided {
		if k := st.at[rule].k; v == gate.Fail && k > 0 && (at == 0 || k < at) {
			at = k
		}
	}
	return at, at > 0
}

// judge has the gate judge runs, the runs started oldest first: all of them,
// or those judged at the look that decided fail.
func (st *starts) judge(cfg config.Config, sel batches.Selection, runs []sigmamind.BatchRun, now time.Time) judged {
	gated := st.forGate(runs)
	slices.Reverse(gated)
	res := gate.Evaluate(gate.Input{
		AgentID: cfg.AgentID, Gated: gated, Baseline: batches.ForGate(sel.Baseline),
		Requested: len(gated), Rules: cfg.Rules, Now: now,
	})
	for _, b := range runs {
		if own := b.ExpectedAttempts(); st.planned > 0 && own < st.planned && (own > 0 || len(b.TestCases) > 0) {
			res.Notes = append(res.Notes, fmt.Sprintf("batch run %s lists %s configured attempts; it is judged against the %d planned from the test-case list", b.BatchID, unknownOr(own), st.planned))
		}
	}
	for _, id := range st.adopted {
		if slices.ContainsFunc(runs, func(b sigmamind.BatchRun) bool { return b.BatchID == id }) {
			res.Notes = append(res.Notes, fmt.Sprintf("batch run %s was found among the agent's newest batch runs after a create whose answer was lost; a run someone else started meanwhile with the same test cases cannot be told from it: serialize the steps that start runs for this agent (a concurrency group)", id))
		}
	}
	if len(st.plans) > 0 {
		for i := range res.Checks {
			ch := &res.Checks[i]
			for _, p := range st.plans {
				if ch.Rule != p.rule {
					continue
				}
				v, ok := st.decided[p.rule]
				at := st.at[p.rule]
				if !ok || at.k > len(runs) {
					v = gate.Inconclusive
					c := gate.Pool(gated)
					at = look{k: len(runs), failures: c.Failures(), total: c.Total}
				}
				ch.Verdict, ch.Provisional = v, ""
				ch.Reason = fmt.Sprintf("%s after run %d of up to %d (%d of %d attempts did not succeed), judged one run after another: each look at %s, so that a wrong verdict over all looks stays within %s",
					v, at.k, st.maxRuns, at.failures, at.total, gate.Confidence(p.seq.Level()), gate.Confidence(p.seq.Confidence()))
			}
		}
		res.Verdict = worst(res.Checks)
	}
	return judged{sel: sel, gate: res, outcome: policy.Outcome{Verdict: res.Verdict}}
}

func unknownOr(n int64) string {
	if n <= 0 {
		return "no"
	}
	return strconv.FormatInt(n, 10)
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
