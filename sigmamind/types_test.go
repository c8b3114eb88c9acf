package sigmamind_test

import (
	"math"
	"testing"

	"github.com/sigmagate/sigmagate/sigmamind"
)

func TestExpectedAttempts(t *testing.T) {
	t.Parallel()
	cases := func(attempts ...int64) []sigmamind.TestCase {
		out := make([]sigmamind.TestCase, len(attempts))
		for i, a := range attempts {
			out[i] = sigmamind.TestCase{TestCaseID: "tc", Attempt: a}
		}
		return out
	}
	tests := []struct {
		name string
		b    sigmamind.BatchRun
		want int64
	}{
		{name: "no test cases", want: 0},
		{name: "test cases only", b: sigmamind.BatchRun{TestCases: cases(5, 3)}, want: 8},
		// One test case of unknown size makes the batch's size unknown: a
		// batch seen at 3 of 3 known attempts may have more to run.
		{name: "one without attempts", b: sigmamind.BatchRun{TestCases: cases(5, 0, 3)}, want: 0},
		{name: "one negative", b: sigmamind.BatchRun{TestCases: cases(5, -1)}, want: 0},
		{name: "saturates", b: sigmamind.BatchRun{TestCases: cases(math.MaxInt64, 1)}, want: math.MaxInt64},
		{name: "saturated, then unknown", b: sigmamind.BatchRun{TestCases: cases(math.MaxInt64, 1, 0)}, want: 0},
	}
	for _, tt := range tests {
		if got := tt.b.ExpectedAttempts(); got != tt.want {
			t.Errorf("%s: ExpectedAttempts = %d, want %d", tt.name, got, tt.want)
		}
	}
}
