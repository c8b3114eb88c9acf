package gate

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestAttemptsNeededAtScale: near the most attempts batches can pool
// (10^12 each, 100 of them) and past it, the answer is -1 only when no
// number would, NeededTooMany only past MaxNeeded, and otherwise a count
// after which the gate's own bounds decide the rule; never a negative or
// wrapped number, never n+k past math.MaxInt64.
func TestAttemptsNeededAtScale(t *testing.T) {
	t.Parallel()
	ns := []int64{0, 59, 1e12, 1e13, 1e14, 1e15, math.MaxInt64 - MaxNeeded, math.MaxInt64 - 1, math.MaxInt64}
	limits := []float64{0, 1e-12, 1e-6, 0.01, 0.999999999999, 1}
	confs := []float64{0.95, 0.999999999999}
	for _, n := range ns {
		xs := []int64{0, 1, n / 100, n}
		if n > 1e15 {
			xs = []int64{0, 1, n} // the quantile is slow at such sizes
		}
		for _, x := range xs {
			if x > n {
				continue
			}
			for _, limit := range limits {
				for _, conf := range confs {
					atMost := AttemptsToShowAtMost(x, n, conf, limit)
					checkNeeded(t, fmt.Sprintf("AttemptsToShowAtMost(%d, %d, %v, %v)", x, n, conf, limit), atMost, n, limit <= 0,
						func(k int64) bool { return UpperBound(x, n+k, conf) <= limit })
					s := n - x
					atLeast := AttemptsToShowAtLeast(s, n, conf, limit)
					checkNeeded(t, fmt.Sprintf("AttemptsToShowAtLeast(%d, %d, %v, %v)", s, n, conf, limit), atLeast, n, limit >= 1,
						func(k int64) bool { return n+k > 0 && LowerBound(s+k, n+k, conf) >= limit })
				}
			}
		}
	}
}

func checkNeeded(t *testing.T, call string, k, n int64, never bool, ok func(int64) bool) {
	t.Helper()
	switch {
	case never:
		if k != -1 {
			t.Errorf("%s = %d, want -1: no number of attempts can show it", call, k)
		}
	case k == NeededTooMany:
		if top := min(MaxNeeded, math.MaxInt64-n); ok(top) {
			t.Errorf("%s = NeededTooMany, but %d more attempts would do", call, top)
		}
	case k < 0 || k > MaxNeeded || n > math.MaxInt64-k:
		t.Errorf("%s = %d: not a count of further attempts", call, k)
	case !ok(k):
		t.Errorf("%s = %d, but the gate's bound after that many more does not decide the rule", call, k)
	}
}

// TestAttemptsNeededBeyondTheOldSearch: the search stopped at 2^30 further
// attempts and then said that no number could show the limit ("loosen the
// limit"), which was false: any limit above 0 can be shown.
func TestAttemptsNeededBeyondTheOldSearch(t *testing.T) {
	t.Parallel()
	// With no failure the bound has a closed form, so the exact answer is
	// known: the fewest m with 1 − 0.05^(1/m) ≤ 1e-12, about 3.0e12.
	exact := int64(math.Ceil(math.Log(0.05) / math.Log1p(-1e-12)))
	if got := AttemptsToShowAtMost(0, 0, 0.95, 1e-12); got < exact-1 || got > exact+1 {
		t.Errorf("AttemptsToShowAtMost(0, 0, 0.95, 1e-12) = %d, want %d", got, exact)
	}
	// Near 1, floats are 1.1e-16 apart, so a lower bound 1e-12 below 1 is
	// known to about 1e-4 of that distance, and so is the answer.
	if got := AttemptsToShowAtLeast(0, 0, 0.95, 1-1e-12); math.Abs(float64(got)/float64(exact)-1) > 2e-4 {
		t.Errorf("AttemptsToShowAtLeast(0, 0, 0.95, 1-1e-12) = %d, want about %d", got, exact)
	}
	// 10^6 failures in 10^12 attempts at a limit of 10^-6: about 1.6e9
	// more (1.645 standard deviations of 10^-9 over 10^-6, times n).
	k := AttemptsToShowAtMost(1e6, 1e12, 0.95, 1e-6)
	if k < 1<<30 || k > 1e11 || UpperBound(1e6, 1e12+k, 0.95) > 1e-6 {
		t.Errorf("AttemptsToShowAtMost(1e6, 1e12, 0.95, 1e-6) = %d, want about 1.6e9", k)
	}
}

func TestNeededPhrase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		k    int64
		want string
	}{
		{-1, "no number of attempts can show a failure rate ≤ 0.0% at 95% confidence: loosen the limit"},
		{0, "0 more attempts with no failures would show a failure rate ≤ 0.0% at 95% confidence"},
		{1, "1 more attempt with no failures would show a failure rate ≤ 0.0% at 95% confidence"},
		{1 << 40, "1099511627776 more attempts with no failures would show a failure rate ≤ 0.0% at 95% confidence"},
		{MaxNeeded, "1000000000000000 more attempts with no failures would show a failure rate ≤ 0.0% at 95% confidence"},
		{NeededTooMany, "more than 1000000000000000 more attempts with no failures would be needed to show a failure rate ≤ 0.0% at 95% confidence"},
	}
	for _, tt := range tests {
		if got := neededPhrase(tt.k, "failures", "a failure rate", "≤ 0.0%", "at 95% confidence"); got != tt.want {
			t.Errorf("neededPhrase(%d) = %q, want %q", tt.k, got, tt.want)
		}
		if strings.Contains(neededPhrase(tt.k, "failures", "a failure rate", "≤ 0.0%", "at 95% confidence"), "-") {
			t.Errorf("neededPhrase(%d) shows a negative number", tt.k)
		}
	}
}
