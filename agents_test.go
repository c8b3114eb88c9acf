package main

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/steptest"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// agentsAPI is a fake SigmaMind API for several agents, whose handler is
// wrapped: an agent can be made to answer one status to every request, every
// request can be held back, and the requests in flight are counted.
type agentsAPI struct {
	*sigmamindtest.Server
	URL string

	mu          sync.Mutex
	down        map[string]int // agent id: the status every request for it gets
	hold        time.Duration  // how long every request is held before it is answered
	hang        bool           // hold every request until the client gives up
	inFlight    int
	maxInFlight int
}

func newAgentsAPI(t testing.TB) *agentsAPI {
	t.Helper()
	a := &agentsAPI{Server: sigmamindtest.NewHandler(sigmamindtest.WithAPIKey(steptest.Key)), down: map[string]int{}}
	ts := httptest.NewServer(http.HandlerFunc(a.serve))
	// Closing the fake first releases what it holds; then the server.
	t.Cleanup(ts.Close)
	t.Cleanup(a.Server.Close)
	a.URL = ts.URL
	return a
}

func (a *agentsAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.inFlight++
	a.maxInFlight = max(a.maxInFlight, a.inFlight)
	status, hold, hang := a.down[r.URL.Query().Get("agentId")], a.hold, a.hang
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.inFlight--
		a.mu.Unlock()
	}()
	if hang {
		<-r.Context().Done()
		return
	}
	if hold > 0 {
		select {
		case <-time.After(hold):
		case <-r.Context().Done():
			return
		}
	}
	if status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"status":%d,"error":%q,"message":"down for maintenance"}`, status, http.StatusText(status))
		return
	}
	a.Handler().ServeHTTP(w, r)
}

func (a *agentsAPI) most() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.maxInFlight
}

// runOf is a finished batch run of agent, named name, of five attempts.
func runOf(agent, name, id string, successful, failed int64) sigmamind.BatchRun {
	r := steptest.Run5(id, time.Now().Add(-time.Hour), successful, failed)
	r.Agent = &sigmamind.Agent{Name: name, AgentID: agent, Status: "Live"}
	return r
}

// agentsWith are the inputs of a step against url for agents, with kv added.
func agentsWith(url, agents string, kv ...string) map[string]string {
	m := map[string]string{"api-key": steptest.Key, "agent-id": agents, "api-url": url}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// agentReports reads the agents of a JSON report.
type agentReport struct {
	Agent struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"agent"`
	Result    string `json:"result"`
	Error     string `json:"error"`
	TestCases []struct {
		ID string `json:"id"`
	} `json:"testCases"`
}

func agentReports(t *testing.T, doc string) (version int, result string, agents []agentReport) {
	t.Helper()
	var rep struct {
		Version int           `json:"version"`
		Result  string        `json:"result"`
		Agents  []agentReport `json:"agents"`
	}
	if err := json.Unmarshal([]byte(doc), &rep); err != nil {
		t.Fatalf("report %q: %v", doc, err)
	}
	return rep.Version, rep.Result, rep.Agents
}

// twoAgents is a fake with agent_p, whose run passes, agent_f, whose run
// has one failure in five, agent_q, another that passes, and agent_r, whose
// run still runs.
func twoAgents(t *testing.T) *agentsAPI {
	t.Helper()
	a := newAgentsAPI(t)
	a.AddBatchRuns("agent_p", runOf("agent_p", "Pass bot", "batch_p", 5, 0))
	a.AddBatchRuns("agent_q", runOf("agent_q", "Other bot", "batch_q", 4, 1))
	a.AddBatchRuns("agent_f", runOf("agent_f", "Fail bot", "batch_f", 4, 1))
	a.AddBatchRuns("agent_r", sigmamind.BatchRun{BatchID: "batch_r", CreatedDate: time.Now(), TotalAttempts: 2, SuccessfulAttempts: 2,
		Agent: &sigmamind.Agent{AgentID: "agent_r", Name: "Running bot"}, TestCases: []sigmamind.TestCase{{TestCaseID: "tc_1", Attempt: 10}}})
	return a
}

// TestAgentsWorstVerdictWins: the step's result and exit status are the
// gravest of its agents', whatever their order.
func TestAgentsWorstVerdictWins(t *testing.T) {
	t.Parallel()
	a := twoAgents(t)
	tests := []struct {
		name       string
		agents     string
		with       []string
		wantExit   int
		wantResult string
		wantPassed string
		wantEach   []string // each agent's result, in the order given
	}{
		{"pass and fail", "agent_p,agent_f", nil, 1, "fail", "false", []string{"pass", "fail"}},
		{"fail and pass", "agent_f\nagent_p", nil, 1, "fail", "false", []string{"fail", "pass"}},
		{"pass and inconclusive", "agent_p,agent_r", []string{"on-inconclusive", "fail"}, 1, "inconclusive", "false", []string{"pass", "inconclusive"}},
		{"fail and an unknown agent", "agent_f,agent_nobody", nil, 3, "error", "false", []string{"fail", "error"}},
		{"an unknown agent and fail", "agent_nobody,agent_f", nil, 3, "error", "false", []string{"error", "fail"}},
		{"all pass", "agent_p, agent_q", []string{"max-failure-rate", "20%"}, 0, "pass", "true", []string{"pass", "pass"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := runStep(t, agentsWith(a.URL, tt.agents, tt.with...), nil)
			s.CheckHygiene(t)
			if s.Exit != tt.wantExit || s.Outputs["result"] != tt.wantResult || s.Outputs["passed"] != tt.wantPassed {
				t.Errorf("exit %d, result %q, passed %q; want %d, %s, %s\n%s%s", s.Exit, s.Outputs["result"], s.Outputs["passed"],
					tt.wantExit, tt.wantResult, tt.wantPassed, s.Stdout, s.Stderr)
			}
			version, result, agents := agentReports(t, s.Outputs["report"])
			var each []string
			for _, ag := range agents {
				each = append(each, ag.Result)
			}
			if version != 2 || result != tt.wantResult {
				t.Errorf("report version %d, result %q; want 2, %s", version, result, tt.wantResult)
			}
			if diff := cmp.Diff(tt.wantEach, each); diff != "" {
				t.Errorf("the agents' results (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAgentsOneErrorBesideAPass: an agent the API does not know errs the
// step, and the agent beside it is still judged and shown whole.
func TestAgentsOneErrorBesideAPass(t *testing.T) {
	t.Parallel()
	a := twoAgents(t)
	s := runStep(t, agentsWith(a.URL, "agent_p,agent_nobody"), nil)
	s.CheckHygiene(t)
	if s.Exit != 3 {
		t.Errorf("exit %d; want 3\n%s", s.Exit, s.Stdout)
	}
	want := map[string]string{"result": "error", "passed": "false", "failure-rate": "", "success-rate": "", "failed-attempts": "",
		"successful-attempts": "", "undecided-attempts": "", "total-attempts": "", "batch-ids": `["batch_p"]`, "started-batch-ids": "[]"}
	got := map[string]string{}
	for k := range want {
		got[k] = s.Outputs[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	_, _, agents := agentReports(t, s.Outputs["report"])
	type res struct{ ID, Result string }
	var each []res
	for _, ag := range agents {
		each = append(each, res{ag.Agent.ID, ag.Result})
	}
	if diff := cmp.Diff([]res{{"agent_p", "pass"}, {"agent_nobody", "error"}}, each); diff != "" {
		t.Errorf("report's agents (-want +got):\n%s", diff)
	}
	steptest.CheckAnnotation(t, s.Annotations("error"), "agent_nobody: could not list the batch runs of agent agent_nobody: GET /v1/batch-runs: 404 Not Found: Agent not found: agent_nobody; check agent-id")
	summary := strings.ReplaceAll(s.Summary, `\_`, "_")
	for _, w := range []string{
		"## 🛑 Error: SigmaMind simulations of 2 agents",
		"| Pass bot (agent_p) | ✅ pass | 0.0% | 0 of 5 failed | batch_p |",
		"| agent_nobody | 🛑 error |",
		"### ✅ Passed: SigmaMind simulations of Pass bot (agent_p)",
		"### 🛑 Error: SigmaMind simulations of agent_nobody",
	} {
		if !strings.Contains(summary, w) {
			t.Errorf("summary lacks %q:\n%s", w, s.Summary)
		}
	}
	steptest.CheckTables(t, s.Summary)
}

// TestAgentsPolicies: a policy that excuses one agent's outage, or warns of
// failures, never lets another agent's failure or error pass. passed stays
// false whenever a policy excused what did not pass.
func TestAgentsPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		agents      string
		with        []string
		wantExit    int
		wantResult  string
		wantError   string
		wantWarning string
	}{
		{"an excused outage beside a failure", "agent_down,agent_f", []string{"on-error", "warn"}, 1, "error",
			"agent_f", "agent_down: could not list the batch runs of agent agent_down: GET /v1/batch-runs: 503 Service Unavailable"},
		{"an excused outage beside a pass", "agent_down,agent_p", []string{"on-error", "warn"}, 0, "error",
			"", "agent_down: could not list the batch runs of agent agent_down: GET /v1/batch-runs: 503 Service Unavailable"},
		{"an outage, not excused, beside a pass", "agent_p,agent_down", nil, 3, "error",
			"agent_down: could not list the batch runs of agent agent_down: GET /v1/batch-runs: 503 Service Unavailable", ""},
		{"warn-only: a failure beside an unknown agent", "agent_f,agent_nobody", []string{"warn-only", "true"}, 3, "error",
			"agent_nobody: could not list the batch runs of agent agent_nobody: GET /v1/batch-runs: 404 Not Found: Agent not found: agent_nobody", "Fail bot (agent_f): failure rate 20.0% is above the limit 0.0%"},
		{"warn-only: a failure beside a pass", "agent_f,agent_p", []string{"warn-only", "true"}, 0, "fail",
			"", "Fail bot (agent_f): failure rate 20.0% is above the limit 0.0%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := twoAgents(t)
			a.down["agent_down"] = http.StatusServiceUnavailable
			s := runStep(t, agentsWith(a.URL, tt.agents, append([]string{"retries", "0"}, tt.with...)...), nil)
			s.CheckHygiene(t)
			if s.Exit != tt.wantExit || s.Outputs["result"] != tt.wantResult || s.Outputs["passed"] != "false" {
				t.Errorf("exit %d, result %q, passed %q; want %d, %s\n%s%s", s.Exit, s.Outputs["result"], s.Outputs["passed"], tt.wantExit, tt.wantResult, s.Stdout, s.Stderr)
			}
			steptest.CheckAnnotation(t, s.Annotations("error"), tt.wantError)
			steptest.CheckAnnotation(t, s.Annotations("warning"), tt.wantWarning)
		})
	}
}

// TestAgentsPooledOutputs: the counting outputs add the agents up.
func TestAgentsPooledOutputs(t *testing.T) {
	t.Parallel()
	a := twoAgents(t)
	s := runStep(t, agentsWith(a.URL, "agent_p,agent_q", "max-failure-rate", "20%"), nil)
	s.CheckHygiene(t)
	want := map[string]string{"result": "pass", "passed": "true", "failure-rate": "0.1", "success-rate": "0.9", "failed-attempts": "1",
		"successful-attempts": "9", "undecided-attempts": "0", "total-attempts": "10", "batch-ids": `["batch_p","batch_q"]`}
	got := map[string]string{}
	for k := range want {
		got[k] = s.Outputs[k]
	}
	if s.Exit != 0 {
		t.Errorf("exit %d; want 0", s.Exit)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if !strings.Contains(s.Summary, "All agents together: 1 of 10 attempts did not succeed (10.0%), in 2 gated batch runs.") {
		t.Errorf("the summary does not add the agents up:\n%s", s.Summary)
	}
}

// TestAgentsFourAtOnce: ten agents, each read with one request that the API
// holds 0.4 s, are read four at a time: never more than four requests in
// flight, and three waves (4, 4, 2) of about 0.4 s each, not ten.
func TestAgentsFourAtOnce(t *testing.T) {
	t.Parallel()
	const hold = 400 * time.Millisecond
	a := newAgentsAPI(t)
	var ids []string
	for i := range 10 {
		id := fmt.Sprintf("agent_%d", i)
		a.AddBatchRuns(id, runOf(id, "Bot", "batch_"+id, 5, 0))
		ids = append(ids, id)
	}
	a.hold = hold
	began := time.Now()
	s := runStep(t, agentsWith(a.URL, strings.Join(ids, ",")), nil)
	took := time.Since(began)
	s.CheckHygiene(t)
	if s.Exit != 0 || s.Outputs["total-attempts"] != "50" {
		t.Fatalf("exit %d, total-attempts %q; want 0, 50\n%s%s", s.Exit, s.Outputs["total-attempts"], s.Stdout, s.Stderr)
	}
	// One listing request an agent: the fake answers every run in one page.
	if n := len(a.Requests()); n != 10 {
		t.Errorf("%d requests; want one an agent, 10", n)
	}
	if got := a.most(); got != 4 {
		t.Errorf("at most %d requests in flight at once; want 4", got)
	}
	// Three waves can take no less than 3 holds. The figure to watch is
	// BenchmarkTenAgents; here only what no loaded machine excuses: ten
	// holds would be the agents one after another.
	if took < 3*hold || took >= 10*hold {
		t.Errorf("the step took %v; want about 3 × %v (three waves), and less than the %v of one agent after another", took, hold, 10*hold)
	}
	t.Logf("ten agents at %v a request: %v", hold, took)
}

// TestAgentsLogNamesEachAgent: with several agents, each agent's progress
// lines start with its id; an agent name from the API never starts a
// workflow command, in the log or in an annotation.
func TestAgentsLogNamesEachAgent(t *testing.T) {
	t.Parallel()
	srv := steptest.NewFake(t)
	for _, id := range []string{"agent_a", "agent_b"} {
		srv.AddTestCases(id, sigmamind.TestCase{TestCaseID: "tc_" + id, Label: "Case", Attempt: 5})
		srv.SetSimulation(id, finishAtOnce)
	}
	// agent_b's runs fail; its name is hostile.
	srv.SetSimulation("agent_b", sigmamindtest.Simulation{PerTick: 1000, FailureRate: 1})
	hostile := "::error::pwned\n::warning::pwned %0A::error::pwned"
	srv.OnRequest(func(r sigmamindtest.Request) {
		for _, run := range srv.BatchRunsOf("agent_b") {
			if run.Agent != nil && run.Agent.Name != hostile {
				run.Agent.Name = hostile
				srv.SetBatchRun("agent_b", run)
			}
		}
	})
	s := runStep(t, agentsWith(srv.URL, "agent_a,agent_b", "run-test-cases", "all"), nil)
	s.CheckHygiene(t)
	if s.Exit != 1 || s.Outputs["result"] != "fail" {
		t.Errorf("exit %d, result %q; want 1, fail\n%s%s", s.Exit, s.Outputs["result"], s.Stdout, s.Stderr)
	}
	for _, id := range []string{"agent_a", "agent_b"} {
		if !strings.Contains(s.Stdout, "\n"+id+": sigmagate: will run 1 test case") {
			t.Errorf("no progress line of %s starts with its id:\n%s", id, s.Stdout)
		}
	}
	// CheckHygiene lets ::error:: and ::warning:: lines through, as the
	// gate's own: a forged one is caught here.
	for _, line := range strings.Split(s.Stdout+s.Stderr, "\n") {
		if strings.HasPrefix(line, "::error::pwned") || strings.HasPrefix(line, "::warning::pwned") {
			t.Errorf("a name from the API starts a workflow command: %q", line)
		}
	}
	errs := s.Annotations("error")
	if len(errs) != 1 || !strings.Contains(errs[0], "(agent_b): failure rate") {
		t.Errorf("error annotations %q; want one, about agent_b", errs)
	}
	if len(s.Annotations("warning")) != 0 {
		t.Errorf("warnings %q; want none", s.Annotations("warning"))
	}
	steptest.CheckTables(t, s.Summary)
}

// TestAgentsReportFiles: the JUnit file holds a test suite an agent, and the
// JSON report file every agent with its test cases.
func TestAgentsReportFiles(t *testing.T) {
	t.Parallel()
	a := twoAgents(t)
	ws := t.TempDir()
	s := runStepIn(t, ws, agentsWith(a.URL, "agent_p,agent_f", "junit-file", "junit.xml", "report-file", "report.json"))
	s.CheckHygiene(t)
	if s.Exit != 1 {
		t.Errorf("exit %d; want 1", s.Exit)
	}
	data, err := os.ReadFile(filepath.Join(ws, "junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("the JUnit file does not parse: %v\n%s", err, data)
	}
	var suites []string
	for _, su := range doc.Suites {
		suites = append(suites, su.Name)
	}
	want := []string{"SigmaMind simulations of Pass bot (agent_p)", "SigmaMind simulations of Fail bot (agent_f)"}
	if diff := cmp.Diff(want, suites); diff != "" || doc.Failures != 1 {
		t.Errorf("JUnit suites (-want +got), %d failures (want 1):\n%s\n%s", doc.Failures, diff, data)
	}
	data, err = os.ReadFile(filepath.Join(ws, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	version, result, agents := agentReports(t, string(data))
	if version != 2 || result != "fail" || len(agents) != 2 {
		t.Fatalf("report file: version %d, result %q, %d agents; want 2, fail, 2\n%s", version, result, len(agents), data)
	}
	for i, id := range []string{"agent_p", "agent_f"} {
		if ag := agents[i]; ag.Agent.ID != id || len(ag.TestCases) != 1 || ag.TestCases[0].ID != "tc_1" {
			t.Errorf("report file's agent %d: %+v; want %s with its test case tc_1", i, ag, id)
		}
	}
}

// TestAgentsOnTheCommandLine: --format text reports every agent, and
// --format json prints one document with every agent.
func TestAgentsOnTheCommandLine(t *testing.T) {
	t.Parallel()
	a := twoAgents(t)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCLI(t, nil, "--agent-id", "agent_p,agent_f", "--api-url", a.URL, "--format", format)
			if code != 1 || strings.Contains(out+errOut, steptest.Key) {
				t.Errorf("exit %d; want 1, and no key\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
			}
			if format == "json" {
				dec := json.NewDecoder(strings.NewReader(out))
				var doc json.RawMessage
				if err := dec.Decode(&doc); err != nil || dec.More() {
					t.Fatalf("stdout is not one JSON document (%v):\n%s", err, out)
				}
				version, result, agents := agentReports(t, string(doc))
				if version != 2 || result != "fail" || len(agents) != 2 || agents[0].Agent.ID != "agent_p" || agents[1].Agent.ID != "agent_f" {
					t.Errorf("version %d, result %q, agents %+v; want 2, fail, agent_p and agent_f", version, result, agents)
				}
				return
			}
			for _, w := range []string{"FAIL  SigmaMind simulations of 2 agents", "Pass bot (agent_p)", "Fail bot (agent_f)", "failure rate 20.0% is above the limit 0.0%"} {
				if !strings.Contains(out, w) {
					t.Errorf("text report lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// TestAgentsCancelled: a cancelled workflow stops a step of several agents
// while every one of them waits on the API: it exits at once, with outputs
// and a summary, and an error.
func TestAgentsCancelled(t *testing.T) {
	t.Parallel()
	a := twoAgents(t)
	a.hang = true
	cmd, wait := startBinary(t, agentsWith(a.URL, "agent_p,agent_f,agent_q,agent_r,agent_x", "timeout", "1m"))
	for deadline := time.Now().Add(10 * time.Second); a.most() < 4; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("four requests never came")
		}
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	s, end := wait()
	s.CheckHygiene(t)
	if took := end.Sub(sent); took > 2*time.Second {
		t.Errorf("exited %v after SIGTERM; want within 2s", took)
	}
	if s.Exit != 3 || s.Outputs["result"] != "error" || s.Outputs["passed"] != "false" || !strings.Contains(s.Summary, "SigmaMind simulations of 5 agents") {
		t.Errorf("exit %d, result %q, passed %q; want 3, error, false, and a summary of 5 agents\n%s\n%s", s.Exit, s.Outputs["result"], s.Outputs["passed"], s.Stdout, s.Summary)
	}
	if _, _, agents := agentReports(t, s.Outputs["report"]); len(agents) != 5 {
		t.Errorf("report holds %d agents; want 5", len(agents))
	}
}

// TestAgentsInvalidInputs: what cannot go with several agents is refused
// before any request.
func TestAgentsInvalidInputs(t *testing.T) {
	t.Parallel()
	many := make([]string, 51)
	for i := range many {
		many[i] = fmt.Sprintf("agent_%d", i)
	}
	tests := []struct {
		name string
		with []string
		want string
	}{
		{"test case ids", []string{"agent-id", "agent_a,agent_b", "run-test-cases", "tc_1"}, "input run-test-cases: names test case ids, but agent-id names 2 agents"},
		{"a batch id", []string{"agent-id", "agent_a\nagent_b", "batch-id", "batch_1"}, "input batch-id: is set, but agent-id names 2 agents"},
		{"51 agents", []string{"agent-id", strings.Join(many, ",")}, "input agent-id: names 51 agents, more than 50"},
		{"one agent spelled twice", []string{"agent-id", "agent_a,a"}, `input agent-id: names one agent twice, as "agent_a" and "a"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := steptest.NewFake(t)
			s := runStep(t, agentsWith(srv.URL, "", tt.with...), nil)
			s.CheckHygiene(t)
			if s.Exit != 2 {
				t.Errorf("exit %d; want 2", s.Exit)
			}
			steptest.CheckAnnotation(t, s.Annotations("error"), tt.want)
			if n := len(srv.Requests()); n != 0 {
				t.Errorf("%d requests before the inputs were checked", n)
			}
			if len(s.Outputs) != 0 {
				t.Errorf("outputs set despite invalid input: %v", s.Outputs)
			}
		})
	}
}
