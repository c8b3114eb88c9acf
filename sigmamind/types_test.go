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
		{name: "left out", b: sigmamind.BatchRun{TestCases: cases(5), LeftOutTestCases: 2, LeftOutAttempts: 7}, want: 12},
		{name: "left out only", b: sigmamind.BatchRun{LeftOutTestCases: 2, LeftOutAttempts: 7}, want: 7},
		{name: "left out of unknown size", b: sigmamind.BatchRun{TestCases: cases(5), LeftOutTestCases: 2}, want: 0},
		{name: "left out attempts without test cases are ignored", b: sigmamind.BatchRun{TestCases: cases(5), LeftOutAttempts: 7}, want: 5},
		{name: "saturates", b: sigmamind.BatchRun{TestCases: cases(math.MaxInt64, 1)}, want: math.MaxInt64},
		{name: "saturated, then unknown", b: sigmamind.BatchRun{TestCases: cases(math.MaxInt64, 1, 0)}, want: 0},
		{name: "saturates with those left out", b: sigmamind.BatchRun{TestCases: cases(2), LeftOutTestCases: 1, LeftOutAttempts: math.MaxInt64}, want: math.MaxInt64},
	}
	for _, tt := range tests {
		if got := tt.b.ExpectedAttempts(); got != tt.want {
			t.Errorf("%s: ExpectedAttempts = %d, want %d", tt.name, got, tt.want)
		}
	}
}
