package action

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/gate"
	"github.com/sigmagate/sigmagate/internal/policy"
	"github.com/sigmagate/sigmagate/report"
)

// hostileIDs are ids that Go's quoting writes as no JSON can read (\U, \x),
// or that JSON itself must escape.
var hostileIDs = []string{
	"batch_\U0001f600",
	"batch_\u2028\u2029",
	`batch_"quoted"`,
	`batch_\back\slash\`,
	"batch_<&>",
	"batch_é\u200b\u202e",
	"batch_\U0010ffff",
	"",
}

// TestIDOutputsAreJSON: batch-ids and started-batch-ids read back, with
// encoding/json, as exactly the ids; one line of ASCII.
func TestIDOutputsAreJSON(t *testing.T) {
	t.Parallel()
	r := report.Result{AgentID: "agent_x", Started: &report.Started{BatchIDs: hostileIDs}}
	for _, id := range hostileIDs {
		r.Rows = append(r.Rows, report.Row{Role: report.Gated, Batch: gate.Batch{ID: id}})
	}
	r.Rows = append(r.Rows, report.Row{Role: report.Baseline, Batch: gate.Batch{ID: "batch_baseline"}})
	for _, o := range outputs([]report.Result{r}, policy.Decision{}) {
		if o.Name != "batch-ids" && o.Name != "started-batch-ids" {
			continue
		}
		var got []string
		if err := json.Unmarshal([]byte(o.Value), &got); err != nil {
			t.Errorf("%s = %s is not JSON: %v", o.Name, o.Value, err)
			continue
		}
		if diff := cmp.Diff(hostileIDs, got); diff != "" {
			t.Errorf("%s = %s (-want +got):\n%s", o.Name, o.Value, diff)
		}
		for _, c := range []byte(o.Value) {
			if c < 0x20 || c > 0x7e {
				t.Errorf("%s = %q has byte %#x: want printable ASCII", o.Name, o.Value, c)
				break
			}
		}
	}
}

func TestJSONStringsEmpty(t *testing.T) {
	t.Parallel()
	for _, ss := range [][]string{nil, {}} {
		if got := jsonStrings(ss); got != "[]" {
			t.Errorf("jsonStrings(%#v) = %s, want []", ss, got)
		}
	}
}
