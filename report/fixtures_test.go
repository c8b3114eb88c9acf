package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/sigmagate/sigmagate/gate"
)

// The tests render the fake API's sample batch runs as the application
// turns them into rows and test cases: testdata/samples.json, which
// internal/action's TestReportSamples writes and holds to what the
// application builds. The report knows nothing of the API, and neither do
// its tests.

// samples is testdata/samples.json.
type samples struct {
	Now       time.Time         `json:"now"`
	TrendRows int               `json:"trendRows"` // what the application passes as Result.TrendRows
	Inputs    map[string]string `json:"inputs"`    // every input but the key, with its default
	Samples   map[string]sample `json:"samples"`   // keyed agent/scenario
}

// sample is an agent's sample batch runs: every row newest first, without
// a role, and the test cases that each lists.
type sample struct {
	AgentName string     `json:"agentName"`
	TestCases []TestCase `json:"testCases"`
	Rows      []Row      `json:"rows"`
}

var loadSamples = sync.OnceValue(func() samples {
	b, err := os.ReadFile(filepath.Join("testdata", "samples.json"))
	if err != nil {
		panic(err)
	}
	var s samples
	if err := json.Unmarshal(b, &s); err != nil {
		panic(err)
	}
	return s
})

// now is when the samples were taken.
var now = loadSamples().Now

// trendRows is what the application passes as Result.TrendRows.
var trendRows = loadSamples().TrendRows

// sampleOf returns a copy of the sample batch runs of agentID in scenario
// (passing, failing, running), for a test to change.
func sampleOf(agentID, scenario string) sample {
	s, ok := loadSamples().Samples[agentID+"/"+scenario]
	if !ok {
		panic("no sample " + agentID + "/" + scenario + " in testdata/samples.json")
	}
	s.Rows = slices.Clone(s.Rows)
	s.TestCases = slices.Clone(s.TestCases)
	for i := range s.TestCases {
		s.TestCases[i].MockData = slices.Clone(s.TestCases[i].MockData)
	}
	return s
}

func rate(s string) *gate.Rate { r := gate.MustRate(s); return &r }

func count(n int64) *int64 { return &n }

// inputs are the step's inputs as the report records them: every input but
// the key, with its default, then the given ones.
func inputs(agentID string, set ...string) map[string]string {
	m := map[string]string{}
	for k, v := range loadSamples().Inputs {
		m[k] = v
	}
	m["agent-id"] = agentID
	for i := 0; i+1 < len(set); i += 2 {
		m[set[i]] = set[i+1]
	}
	return m
}

// judged is the result of gating the rows of gated against those of
// baseline, which list the test cases tcs, of the agent named agentName.
func judged(agentID, agentName string, gated, baseline []Row, tcs []TestCase, requested int, rules gate.Rules, in map[string]string) Result {
	r := Result{AgentID: agentID, AgentName: agentName, Inputs: in, TrendRows: trendRows, TestCases: tcs}
	r.Rows = append(withRole(gated, Gated), withRole(baseline, Baseline)...)
	r.Gate = gate.Evaluate(gate.Input{AgentID: agentID, Gated: batchesOf(gated), Baseline: batchesOf(baseline),
		Requested: requested, Rules: rules, Now: now})
	return r
}

// judgedSample gates the newest gated rows of s against the next baseline
// ones.
func judgedSample(agentID string, s sample, gated, baseline, requested int, rules gate.Rules, in map[string]string) Result {
	return judged(agentID, s.AgentName, s.Rows[:gated], s.Rows[gated:gated+baseline], s.TestCases, requested, rules, in)
}

// withEarlier adds the batch runs listed for the trend only.
func withEarlier(r Result, earlier []Row) Result {
	r.Rows = append(r.Rows, withRole(earlier, Earlier)...)
	return r
}

func withRole(rows []Row, role Role) []Row {
	out := slices.Clone(rows)
	for i := range out {
		out[i].Role = role
	}
	return out
}

func batchesOf(rows []Row) []gate.Batch {
	out := []gate.Batch{}
	for _, r := range rows {
		out = append(out, r.Batch)
	}
	return out
}
