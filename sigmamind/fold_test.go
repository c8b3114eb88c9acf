package sigmamind_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sigmagate/sigmagate/sigmamind"
)

func TestFoldTestCases(t *testing.T) {
	t.Parallel()
	tc := func(id string, attempt int64) sigmamind.TestCase {
		return sigmamind.TestCase{TestCaseID: id, Attempt: attempt}
	}
	keep := func(ids ...string) func(*sigmamind.TestCase) bool {
		return func(tc *sigmamind.TestCase) bool {
			for _, id := range ids {
				if tc.TestCaseID == id {
					return true
				}
			}
			return false
		}
	}
	tests := []struct {
		name string
		b    sigmamind.BatchRun
		keep func(*sigmamind.TestCase) bool
		want sigmamind.BatchRun
	}{
		{name: "all kept", b: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", 2), tc("b", 3)}}, keep: keep("a", "b"),
			want: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", 2), tc("b", 3)}}},
		{name: "some folded, in order", b: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", 2), tc("b", 3), tc("c", 4)}}, keep: keep("a", "c"),
			want: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", 2), tc("c", 4)}, LeftOutTestCases: 1, LeftOutAttempts: 3}},
		{name: "all folded", b: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", 2), tc("b", 3)}}, keep: keep(),
			want: sigmamind.BatchRun{LeftOutTestCases: 2, LeftOutAttempts: 5}},
		{name: "with those left out before", b: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", 2)}, LeftOutTestCases: 3, LeftOutAttempts: 9}, keep: keep(),
			want: sigmamind.BatchRun{LeftOutTestCases: 4, LeftOutAttempts: 11}},
		{name: "one folded of unknown size", b: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", 2), tc("b", 0)}}, keep: keep("a"),
			want: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", 2)}, LeftOutTestCases: 1}},
		{name: "unknown before stays unknown", b: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", 2)}, LeftOutTestCases: 1}, keep: keep(),
			want: sigmamind.BatchRun{LeftOutTestCases: 2}},
		{name: "attempts left out without test cases mean nothing", b: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", 2)}, LeftOutAttempts: 7}, keep: keep(),
			want: sigmamind.BatchRun{LeftOutTestCases: 1, LeftOutAttempts: 2}},
		{name: "saturates", b: sigmamind.BatchRun{TestCases: []sigmamind.TestCase{tc("a", math.MaxInt64), tc("b", 1)}}, keep: keep(),
			want: sigmamind.BatchRun{LeftOutTestCases: 2, LeftOutAttempts: math.MaxInt64}},
		{name: "none", b: sigmamind.BatchRun{}, keep: keep(), want: sigmamind.BatchRun{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := tt.b
			b.FoldTestCases(tt.keep)
			if diff := cmp.Diff(tt.want, b); diff != "" {
				t.Errorf("FoldTestCases mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFoldKeepsWhatIsCounted: whatever is folded, ExpectedAttempts and
// TestCaseCount say what they said before, and the test cases kept are
// those keep accepted, in their order.
func TestFoldKeepsWhatIsCounted(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 5))
	attempts := []int64{-1, 0, 1, 2, 5, 1000, math.MaxInt64 / 2, math.MaxInt64}
	for trial := range 2000 {
		var b sigmamind.BatchRun
		for i := range rng.IntN(6) {
			b.TestCases = append(b.TestCases, sigmamind.TestCase{TestCaseID: string(rune('a' + i)), Attempt: attempts[rng.IntN(len(attempts))]})
		}
		if rng.IntN(3) == 0 {
			b.LeftOutTestCases = rng.Int64N(3)
			b.LeftOutAttempts = attempts[rng.IntN(len(attempts))]
		}
		before := b
		expected, count := b.ExpectedAttempts(), b.TestCaseCount()
		var want []sigmamind.TestCase
		calls := 0
		b.FoldTestCases(func(tc *sigmamind.TestCase) bool {
			calls++
			k := rng.IntN(2) == 0
			if k {
				want = append(want, *tc)
			}
			return k
		})
		if calls != len(before.TestCases) {
			t.Fatalf("trial %d: keep called %d times for %d test cases", trial, calls, len(before.TestCases))
		}
		if got := b.ExpectedAttempts(); got != expected {
			t.Errorf("trial %d: ExpectedAttempts %d, was %d\nbefore %+v\nafter %+v", trial, got, expected, before, b)
		}
		if got := b.TestCaseCount(); got != count {
			t.Errorf("trial %d: TestCaseCount %d, was %d", trial, got, count)
		}
		if len(want) < len(before.TestCases) {
			if diff := cmp.Diff(want, b.TestCases); diff != "" {
				t.Errorf("trial %d: kept mismatch (-want +got):\n%s", trial, diff)
			}
		}
	}
}
