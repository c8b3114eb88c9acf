package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseRunTestCases(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value, wait string
		all               bool
		ids               []string
		wantWait          time.Duration
	}{
		{name: "empty judges existing runs", value: "", wantWait: 0},
		{name: "all", value: "all", all: true, wantWait: DefaultStartWait},
		{name: "commas", value: "tc_1,tc_2", ids: []string{"tc_1", "tc_2"}, wantWait: DefaultStartWait},
		{name: "newlines and spaces, each once", value: "tc_1\ntc_2 tc_3,\n tc_1", ids: []string{"tc_1", "tc_2", "tc_3"}, wantWait: DefaultStartWait},
		{name: "wait given wins", value: "tc_1", wait: "5m", ids: []string{"tc_1"}, wantWait: 5 * time.Minute},
		{name: "wait 0 given", value: "all", wait: "0", all: true, wantWait: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := valid()
			r.RunTestCases, r.Wait = tt.value, tt.wait
			c, err := Parse(r)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff([]any{tt.all, tt.ids, tt.wantWait}, []any{c.RunAll, c.RunTestCases, c.Wait}); diff != "" {
				t.Errorf("run-test-cases %q (-want +got):\n%s", tt.value, diff)
			}
		})
	}
}

func TestParseRunTestCasesErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(*Raw)
		want string
	}{
		{"max-runs without confidence", func(r *Raw) { r.RunTestCases, r.MaxRuns, r.MaxFailureRate = "all", "3", "10%" }, "input max-runs: is 3, which needs confidence"},
		{"max-runs without run-test-cases", func(r *Raw) { r.MaxRuns, r.Confidence, r.MaxFailureRate = "3", "0.95", "10%" }, "input max-runs: is 3, but run-test-cases is empty"},
		{"max-runs 0", func(r *Raw) { r.MaxRuns = "0" }, `input max-runs: "0" is not a whole number from 1 to 20`},
		{"max-runs too many", func(r *Raw) { r.MaxRuns = "21" }, `input max-runs: "21" is not a whole number from 1 to 20`},
		{"bad id", func(r *Raw) { r.RunTestCases = "tc_1,tc/2" }, `input run-test-cases: "tc/2" is not a test case id`},
		{"only separators", func(r *Raw) { r.RunTestCases = ", ,\n" }, "input run-test-cases: \", ,\\n\" names no test case"},
		{"all with ids", func(r *Raw) { r.RunTestCases = "all, tc_1" }, "input run-test-cases: mixes all with test case ids"},
		{"batch-id with run-test-cases", func(r *Raw) { r.RunTestCases, r.BatchID = "all", "b_1" }, "input batch-id: cannot be combined with run-test-cases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := valid()
			tt.edit(&r)
			_, err := Parse(r)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
