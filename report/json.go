package report

import (
	"encoding/json"
	"math"
	"time"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// MaxJSONBytes bounds the JSON report. It travels as a step output, and all
// outputs of a job share 1 MB.
const MaxJSONBytes = 64 << 10

// JSONVersion is the version of the JSON report's schema, its "version"
// field: it grows when a field changes meaning or goes, not when one is
// added. 2: the agents' reports moved into "agents", one each, and the
// counts at the top are their sum.
const JSONVersion = 2

// jsonReport is the whole report: the step's outcome, the totals of every
// agent's gated batch runs, and each agent's report.
type jsonReport struct {
	Version     int               `json:"version"`
	Result      string            `json:"result"`
	Counts      *gate.Counts      `json:"counts,omitempty"`
	FailureRate *float64          `json:"failureRate,omitempty"`
	SuccessRate *float64          `json:"successRate,omitempty"`
	Inputs      map[string]string `json:"inputs"`
	Agents      []jsonAgentReport `json:"agents"`
	Omitted     []string          `json:"omitted,omitempty"`
}

// jsonAgentReport is one agent's report.
type jsonAgentReport struct {
	Agent       jsonAgent    `json:"agent"`
	Result      string       `json:"result"`
	Error       string       `json:"error,omitempty"`
	Hint        string       `json:"hint,omitempty"`
	Note        string       `json:"note,omitempty"`
	Counts      *gate.Counts `json:"counts,omitempty"`
	FailureRate *float64     `json:"failureRate,omitempty"`
	SuccessRate *float64     `json:"successRate,omitempty"`
	Rules       []gate.Check `json:"rules,omitempty"`
	Notes       []string     `json:"notes,omitempty"`
	Batches     []jsonBatch  `json:"batches,omitempty"`
	Baseline    []jsonBatch  `json:"baselineBatches,omitempty"`
	BaselineSum *gate.Counts `json:"baselineCounts,omitempty"`
	Started     *Started     `json:"started,omitempty"`
	// The test cases are in FullJSON only: prompts would not fit an output.
	TestCases        []jsonTestCase `json:"testCases,omitempty"`
	TestCasesNotKept int            `json:"testCasesNotShown,omitempty"`
}

type jsonTestCase struct {
	ID       string         `json:"id"`
	Label    string         `json:"label,omitempty"`
	Model    string         `json:"model,omitempty"`
	Attempts int64          `json:"attempts"`
	MockData []jsonMockData `json:"mockData,omitempty"`
	Prompt   string         `json:"prompt,omitempty"`
	Criteria string         `json:"successCriteria,omitempty"`
}

type jsonMockData struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type jsonAgent struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

type jsonBatch struct {
	ID         string    `json:"id"`
	Created    time.Time `json:"created"`
	Successful int64     `json:"successful"`
	Failed     int64     `json:"failed"`
	Total      int64     `json:"total"`
	Expected   int64     `json:"expected"`
	TestCases  int       `json:"testCases"`
	URL        string    `json:"url,omitempty"`
}

// jsonBatches are the rows of a role.
func jsonBatches(rows []Row, role Role) []jsonBatch {
	out := []jsonBatch{}
	for _, r := range rows {
		if r.Role == role {
			b := r.Batch
			out = append(out, jsonBatch{ID: b.ID, Created: b.Created, Successful: b.Successful,
				Failed: b.Failed, Total: b.Total, Expected: b.Expected, TestCases: r.TestCases, URL: r.URL})
		}
	}
	return out
}

// JSON renders the results as a single line of JSON, at most MaxJSONBytes:
// batch details, then long reasons, go before the report would grow past it,
// from every agent alike.
func JSON(results []Result) string {
	j := whole(results)
	out := marshal(j)
	each := func(what string, f func(a *jsonAgentReport)) {
		if len(out) <= MaxJSONBytes {
			return
		}
		for i := range j.Agents {
			f(&j.Agents[i])
		}
		j.Omitted = append(j.Omitted, what)
		out = marshal(j)
	}
	each("batches", func(a *jsonAgentReport) { a.Batches, a.Baseline = nil, nil })
	each("long reasons", func(a *jsonAgentReport) {
		rules := make([]gate.Check, len(a.Rules))
		for i, c := range a.Rules {
			c.Reason = untrusted.Cut(c.Reason, 200)
			rules[i] = c
		}
		a.Rules = rules
		a.Error, a.Hint, a.Note = untrusted.Cut(a.Error, 1000), untrusted.Cut(a.Hint, 500), untrusted.Cut(a.Note, 500)
	})
	each("notes", func(a *jsonAgentReport) { a.Notes = nil })
	each("started test cases", func(a *jsonAgentReport) {
		if a.Started != nil && len(a.Started.TestCases) > 0 {
			st := *a.Started
			st.TestCases = nil
			a.Started = &st
		}
	})
	if len(out) > MaxJSONBytes {
		j.Inputs = nil
		j.Omitted = append(j.Omitted, "inputs")
		out = marshal(j)
	}
	each("long names", func(a *jsonAgentReport) { a.Agent.Name = untrusted.Cut(a.Agent.Name, 100) })
	// Only absurd ids and reasons are left to grow the report.
	each("long ids", func(a *jsonAgentReport) {
		a.Agent.ID = untrusted.Cut(a.Agent.ID, 200)
		if a.Started != nil {
			st := *a.Started
			st.BatchIDs, st.URLs = nil, nil
			a.Started = &st
		}
	})
	each("rules", func(a *jsonAgentReport) { a.Rules, a.Error, a.Hint = nil, untrusted.Cut(a.Error, 200), "" })
	// Fifty agents whose names and errors JSON escapes six bytes a rune
	// still fill twice the room: each keeps its id, result and counts, which
	// no text from the API can grow.
	each("agent details", func(a *jsonAgentReport) {
		*a = jsonAgentReport{Agent: jsonAgent{ID: a.Agent.ID}, Result: a.Result, Counts: a.Counts, FailureRate: a.FailureRate, SuccessRate: a.SuccessRate}
	})
	return out
}

// FullJSON renders the results as JSON with nothing left out, for a file or
// standard output, where no step output limit applies. It has JSON's schema;
// omitted is never set.
func FullJSON(results []Result) string {
	j := whole(results)
	for i, r := range results {
		if r.Err != "" {
			continue
		}
		a := &j.Agents[i]
		for _, tc := range r.TestCases {
			jt := jsonTestCase{ID: tc.ID, Label: tc.Label, Model: tc.Model, Attempts: tc.Attempts, Prompt: tc.Prompt, Criteria: tc.Criteria}
			for _, m := range tc.MockData {
				jt.MockData = append(jt.MockData, jsonMockData(m))
			}
			a.TestCases = append(a.TestCases, jt)
		}
		a.TestCasesNotKept = r.TestCasesNotKept
	}
	return marshal(j)
}

func whole(results []Result) jsonReport {
	j := jsonReport{Version: JSONVersion, Result: Worst(results), Agents: []jsonAgentReport{}}
	if len(results) > 0 {
		j.Inputs = results[0].Inputs // the step's, the same for every agent
	}
	if c, ok := Totals(results); ok {
		j.Counts = &c
		j.FailureRate, j.SuccessRate = finite(c.FailureRate()), finite(c.SuccessRate())
	}
	for _, r := range results {
		a := jsonAgentReport{Agent: jsonAgent{r.AgentID, r.AgentName}, Result: r.Outcome(), Note: r.Note, Started: r.Started}
		if r.Err != "" {
			a.Error, a.Hint = r.Err, r.Hint
		} else {
			c := r.Gate.Counts
			a.Counts = &c
			a.FailureRate, a.SuccessRate = finite(c.FailureRate()), finite(c.SuccessRate())
			a.Rules, a.Notes = r.Gate.Checks, r.Gate.Notes
			a.BaselineSum = r.Gate.Baseline
			a.Batches, a.Baseline = jsonBatches(r.Rows, Gated), jsonBatches(r.Rows, Baseline)
		}
		j.Agents = append(j.Agents, a)
	}
	return j
}

func marshal(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only a NaN from absurd counts could get here; still answer with JSON.
		return `{"result":"error","error":"the report could not be encoded"}`
	}
	return string(b)
}

func finite(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}
