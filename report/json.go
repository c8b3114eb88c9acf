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
// added.
const JSONVersion = 1

type jsonReport struct {
	Version     int               `json:"version"`
	Result      string            `json:"result"`
	Agent       jsonAgent         `json:"agent"`
	Inputs      map[string]string `json:"inputs"`
	Error       string            `json:"error,omitempty"`
	Counts      *gate.Counts      `json:"counts,omitempty"`
	FailureRate *float64          `json:"failureRate,omitempty"`
	SuccessRate *float64          `json:"successRate,omitempty"`
	Rules       []gate.Check      `json:"rules,omitempty"`
	Notes       []string          `json:"notes,omitempty"`
	Batches     []jsonBatch       `json:"batches,omitempty"`
	Baseline    []jsonBatch       `json:"baselineBatches,omitempty"`
	BaselineSum *gate.Counts      `json:"baselineCounts,omitempty"`
	Started     *Started          `json:"started,omitempty"`
	Omitted     []string          `json:"omitted,omitempty"`
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

// JSON renders one result as a single line of JSON, at most MaxJSONBytes:
// batch details, then long reasons, go before the report would grow past it.
func JSON(r Result) string {
	j := whole(r)
	out := marshal(j)
	if len(out) > MaxJSONBytes {
		j.Batches, j.Baseline, j.Omitted = nil, nil, append(j.Omitted, "batches")
		out = marshal(j)
	}
	if len(out) > MaxJSONBytes {
		rules := make([]gate.Check, len(j.Rules))
		for i, c := range j.Rules {
			c.Reason = untrusted.Cut(c.Reason, 200)
			rules[i] = c
		}
		j.Rules, j.Notes, j.Omitted = rules, nil, append(j.Omitted, "long reasons", "notes")
		j.Error = untrusted.Cut(j.Error, 1000)
		out = marshal(j)
	}
	if len(out) > MaxJSONBytes && j.Started != nil && len(j.Started.TestCases) > 0 {
		st := *j.Started
		st.TestCases = nil
		j.Started, j.Omitted = &st, append(j.Omitted, "started test cases")
		out = marshal(j)
	}
	if len(out) > MaxJSONBytes {
		j.Inputs = nil
		j.Agent.Name = untrusted.Cut(j.Agent.Name, 100)
		j.Omitted = append(j.Omitted, "inputs")
		out = marshal(j)
	}
	if len(out) > MaxJSONBytes {
		// Only an absurd agent id is left to grow the report.
		j.Agent.ID = untrusted.Cut(j.Agent.ID, 200)
		j.Omitted = append(j.Omitted, "long agent id")
		out = marshal(j)
	}
	return out
}

// FullJSON renders one result as JSON with nothing left out, for a file or
// standard output, where no step output limit applies. It has JSON's schema;
// omitted is never set.
func FullJSON(r Result) string {
	j := whole(r)
	if r.Err == "" {
		for _, tc := range r.TestCases {
			jt := jsonTestCase{ID: tc.ID, Label: tc.Label, Model: tc.Model, Attempts: tc.Attempts, Prompt: tc.Prompt, Criteria: tc.Criteria}
			for _, m := range tc.MockData {
				jt.MockData = append(jt.MockData, jsonMockData(m))
			}
			j.TestCases = append(j.TestCases, jt)
		}
		j.TestCasesNotKept = r.TestCasesNotKept
	}
	return marshal(j)
}

func whole(r Result) jsonReport {
	j := jsonReport{Version: JSONVersion, Result: r.Outcome(), Agent: jsonAgent{r.AgentID, r.AgentName}, Inputs: r.Inputs, Started: r.Started}
	if r.Err != "" {
		j.Error = r.Err
	} else {
		c := r.Gate.Counts
		j.Counts = &c
		j.FailureRate, j.SuccessRate = finite(c.FailureRate()), finite(c.SuccessRate())
		j.Rules, j.Notes = r.Gate.Checks, r.Gate.Notes
		j.BaselineSum = r.Gate.Baseline
		j.Batches, j.Baseline = jsonBatches(r.Rows, Gated), jsonBatches(r.Rows, Baseline)
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
