package sigmamindtest_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind"
	"github.com/sigmagate/sigmagate/sigmamind/sigmamindtest"
)

var (
	batchIDRE = regexp.MustCompile(`^batch_[A-Za-z0-9]{16}$`)
	tcIDRE    = regexp.MustCompile(`^tc_[A-Za-z0-9]{16}$`)
)

func TestSampleRuns(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 26, 12, 0, 0, 0, time.UTC)
	for _, sc := range []sigmamindtest.Scenario{sigmamindtest.ScenarioPassing, sigmamindtest.ScenarioFailing, sigmamindtest.ScenarioRunning} {
		t.Run(sc.String(), func(t *testing.T) {
			rs := sigmamindtest.SampleRuns(now, sigmamindtest.SampleAgentID, sc)
			if len(rs) != 12 {
				t.Fatalf("got %d runs, want 12", len(rs))
			}
			checkInvariants(t, now, rs)

			newest := rs[0]
			failedOlder := 0
			for _, r := range rs[1:] {
				if r.TotalAttempts != 30 {
					t.Errorf("%s: older batch has totalAttempts %d, want 30", r.BatchID, r.TotalAttempts)
				}
				if r.FailedAttempts > 0 {
					failedOlder++
				}
			}
			if failedOlder < 2 || failedOlder > 8 {
				t.Errorf("%d older batches have failures; want some variety", failedOlder)
			}

			type counts struct{ Total, Successful, Failed int64 }
			got := counts{newest.TotalAttempts, newest.SuccessfulAttempts, newest.FailedAttempts}
			switch sc {
			case sigmamindtest.ScenarioPassing:
				for _, r := range rs[:3] {
					if diff := cmp.Diff(counts{30, 30, 0}, counts{r.TotalAttempts, r.SuccessfulAttempts, r.FailedAttempts}); diff != "" {
						t.Errorf("%s counts mismatch (-want +got):\n%s", r.BatchID, diff)
					}
				}
			case sigmamindtest.ScenarioFailing:
				undecided := got.Total - got.Successful - got.Failed
				if got.Total != 30 || got.Failed < 2 || got.Failed > 6 || undecided != 1 {
					t.Errorf("newest batch %+v: want 30 executed, a few failed, one undecided", got)
				}
			case sigmamindtest.ScenarioRunning:
				if got.Total >= newest.ExpectedAttempts() || got.Total == 0 {
					t.Errorf("newest batch %+v is not running (expected %d)", got, newest.ExpectedAttempts())
				}
				if age := now.Sub(newest.CreatedDate); age > 15*time.Minute {
					t.Errorf("running batch is %v old", age)
				}
			}

			again := sigmamindtest.SampleRuns(now, sigmamindtest.SampleAgentID, sc)
			if diff := cmp.Diff(rs, again); diff != "" {
				t.Errorf("not deterministic (-first +second):\n%s", diff)
			}
		})
	}
}

func checkInvariants(t *testing.T, now time.Time, rs []sigmamind.BatchRun) {
	t.Helper()
	seen := map[string]bool{}
	if age := now.Sub(rs[0].CreatedDate); age <= 0 || age > 3*time.Hour {
		t.Errorf("newest batch is %v old, want about 2h or less", age)
	}
	for i, r := range rs {
		if !batchIDRE.MatchString(r.BatchID) || seen[r.BatchID] {
			t.Errorf("bad or duplicate batch id %q", r.BatchID)
		}
		seen[r.BatchID] = true
		if i > 0 {
			gap := rs[i-1].CreatedDate.Sub(r.CreatedDate)
			if gap < 12*time.Hour || gap > 36*time.Hour {
				t.Errorf("%s: %v after its predecessor, want about a day", r.BatchID, gap)
			}
		}
		if r.SuccessfulAttempts < 0 || r.FailedAttempts < 0 || r.SuccessfulAttempts+r.FailedAttempts > r.TotalAttempts {
			t.Errorf("%s: inconsistent counts %d+%d > %d", r.BatchID, r.SuccessfulAttempts, r.FailedAttempts, r.TotalAttempts)
		}
		if r.ExpectedAttempts() != 30 || len(r.TestCases) != 6 {
			t.Errorf("%s: %d test cases, %d expected attempts", r.BatchID, len(r.TestCases), r.ExpectedAttempts())
		}
		if r.WorkspaceID != "org_V6eZ2zg8ziDx5pft" || r.Agent == nil || r.Agent.AgentID != sigmamindtest.SampleAgentID || r.Agent.Status != "Live" {
			t.Errorf("%s: workspace %q agent %+v", r.BatchID, r.WorkspaceID, r.Agent)
		}
		for j, tc := range r.TestCases {
			if !tcIDRE.MatchString(tc.TestCaseID) || tc.TestCaseID != rs[0].TestCases[j].TestCaseID {
				t.Errorf("%s: test case id %q is malformed or changes between batches", r.BatchID, tc.TestCaseID)
			}
			if tc.Label == "" || tc.UserPrompt == "" || tc.SuccessCriteria == "" || tc.LLMModel == "" || len(tc.MockData) != 2 || tc.Attempt != 5 {
				t.Errorf("%s: incomplete test case %+v", r.BatchID, tc)
			}
		}
	}
	// The API sends millisecond timestamps; sample data must survive JSON.
	b, err := json.Marshal(rs)
	if err != nil {
		t.Fatal(err)
	}
	var back []sigmamind.BatchRun
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rs, back); diff != "" {
		t.Errorf("JSON round trip mismatch (-want +got):\n%s", diff)
	}
}

func TestSampleRunsDifferPerAgent(t *testing.T) {
	t.Parallel()
	now := time.Now()
	a := sigmamindtest.SampleRuns(now, "agent_a", sigmamindtest.ScenarioPassing)
	b := sigmamindtest.SampleRuns(now, "agent_b", sigmamindtest.ScenarioPassing)
	if a[0].BatchID == b[0].BatchID || a[0].TestCases[0].TestCaseID == b[0].TestCases[0].TestCaseID {
		t.Error("two agents share ids")
	}
	if got := sigmamindtest.SampleRuns(now, "agent_a", sigmamindtest.Scenario(99)); len(got) != 12 {
		t.Errorf("unknown scenario: %d runs", len(got))
	}
}
