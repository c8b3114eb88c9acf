package action

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/batches"
	"github.com/sigmagate/sigmagate/internal/config"
	"github.com/sigmagate/sigmagate/report"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

// update rewrites report/testdata/samples.json:
//
//	go test ./internal/action -run TestReportSamples -update
var update = flag.Bool("update", false, "rewrite report/testdata/samples.json")

// reportSamples is report/testdata/samples.json: the fake API's sample
// batch runs as this package turns them into the report's rows and test
// cases, with the inputs' defaults and the trend's length. The report's
// tests render them without knowing the API; this test holds the file to
// what the application builds.
type reportSamples struct {
	Now       time.Time         `json:"now"`
	TrendRows int               `json:"trendRows"`
	Inputs    map[string]string `json:"inputs"` // every input but the key, with its default
	// Samples are keyed agent/scenario.
	Samples map[string]reportSample `json:"samples"`
}

type reportSample struct {
	AgentName string `json:"agentName"`
	// TestCases are the newest batch run's; every sample run lists the
	// same ones.
	TestCases []report.TestCase `json:"testCases"`
	// Rows are every sample batch run, newest first, without a role.
	Rows []report.Row `json:"rows"`
}

func TestReportSamples(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	want := reportSamples{Now: now, TrendRows: config.TrendRows, Inputs: map[string]string{}, Samples: map[string]reportSample{}}
	for _, in := range config.Inputs() {
		if in.Name != "api-key" {
			want.Inputs[in.Name] = in.Default
		}
	}
	for _, s := range []struct {
		agent    string
		scenario sigmamindtest.Scenario
	}{
		{"agent_demo_pass", sigmamindtest.ScenarioPassing},
		{"agent_demo_fail", sigmamindtest.ScenarioFailing},
		{"agent_demo_running", sigmamindtest.ScenarioRunning},
		{"agent_undecided", sigmamindtest.ScenarioPassing},
		{"agent_few", sigmamindtest.ScenarioPassing},
		{"agent_hostile", sigmamindtest.ScenarioFailing},
		{"agent_fuzz", sigmamindtest.ScenarioFailing},
		{"agent_big", sigmamindtest.ScenarioFailing},
		{"agent_big", sigmamindtest.ScenarioPassing},
	} {
		runs := sigmamindtest.SampleRuns(now, s.agent, s.scenario)
		sample := reportSample{AgentName: runs[0].Agent.Name, Rows: rows(batches.Selection{Gated: runs})}
		sample.TestCases, _ = testCases(runs[:1])
		for i := range sample.Rows {
			sample.Rows[i].Role = ""
		}
		want.Samples[s.agent+"/"+s.scenario.String()] = sample
	}
	js, err := json.MarshalIndent(want, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	js = append(js, '\n')
	path := filepath.Join("..", "..", "report", "testdata", "samples.json")
	if *update {
		if err := os.WriteFile(path, js, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/action -run TestReportSamples -update writes it)", err)
	}
	if !bytes.Equal(got, js) {
		var old reportSamples
		_ = json.Unmarshal(got, &old)
		t.Errorf("%s is not what the application builds of the samples (go test ./internal/action -run TestReportSamples -update rewrites it); (-file +built):\n%s",
			path, cmp.Diff(old, want))
	}
}
