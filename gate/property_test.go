package gate

import (
	"math/big"
	"testing"
)

func rank(v Verdict) int { return v.severity() }

// evaluateCounts judges one finished batch and a baseline with every rate
// rule on.
func evaluateCounts(s, f, u, bf, bt int64, maxFail, minSucc, maxReg string, conf float64) Result {
	gated := Batch{ID: "new", Created: now, Successful: s, Failed: f, Total: s + f + u, Expected: s + f + u}
	base := Batch{ID: "old", Created: now, Successful: bt - bf, Failed: bf, Total: bt, Expected: bt}
	return Evaluate(Input{
		Gated: []Batch{gated}, Baseline: []Batch{base}, Now: now,
		Rules: Rules{MaxFailureRate: rate(maxFail), MinSuccessRate: rate(minSucc), MaxRegression: rate(maxReg), MinAttempts: 1, Confidence: conf},
	})
}

// checkProperties asserts, for one set of counts:
//   - turning a success into a failure never improves a verdict;
//   - a higher confidence never turns an inconclusive rule into a decided one;
//   - with confidence off, the rate rules equal the plain rates, computed
//     here independently in exact rationals.
func checkProperties(t *testing.T, s, f, u, bf, bt int64, maxFail, minSucc, maxReg string, conf float64) {
	t.Helper()
	before := evaluateCounts(s, f, u, bf, bt, maxFail, minSucc, maxReg, conf)
	if s > 0 {
		after := evaluateCounts(s-1, f+1, u, bf, bt, maxFail, minSucc, maxReg, conf)
		if rank(after.Verdict) < rank(before.Verdict) {
			t.Errorf("one more failure improved %s to %s (s=%d f=%d u=%d base %d/%d, limits %s %s %s, conf %v)",
				before.Verdict, after.Verdict, s, f, u, bf, bt, maxFail, minSucc, maxReg, conf)
		}
		for i, c := range before.Checks {
			if rank(after.Checks[i].Verdict) < rank(c.Verdict) {
				t.Errorf("one more failure improved %s from %s to %s (s=%d f=%d u=%d)", c.Rule, c.Verdict, after.Checks[i].Verdict, s, f, u)
			}
		}
	}
	if conf > 0 {
		higher := evaluateCounts(s, f, u, bf, bt, maxFail, minSucc, maxReg, conf+(1-conf)/2)
		for i, c := range before.Checks {
			if c.Verdict == Inconclusive && higher.Checks[i].Verdict != Inconclusive {
				t.Errorf("higher confidence decided %s: %s (s=%d f=%d u=%d, conf %v)", c.Rule, higher.Checks[i].Verdict, s, f, u, conf)
			}
		}
		if before.Verdict == Inconclusive && higher.Verdict != Inconclusive {
			t.Errorf("higher confidence turned inconclusive into %s", higher.Verdict)
		}
		return
	}
	n := s + f + u
	if n == 0 {
		return
	}
	exceeds := func(x, n int64, limit string) bool { // x/n > limit
		l, _ := new(big.Rat).SetString(limit)
		return big.NewRat(x, n).Cmp(l) > 0
	}
	for _, c := range before.Checks {
		var want Verdict
		switch c.Rule {
		case "max-failure-rate":
			want = map[bool]Verdict{true: Fail, false: Pass}[exceeds(f+u, n, maxFail)]
		case "min-success-rate":
			l, _ := new(big.Rat).SetString(minSucc)
			want = map[bool]Verdict{true: Fail, false: Pass}[big.NewRat(s, n).Cmp(l) < 0]
		default:
			continue
		}
		if c.Verdict != want {
			t.Errorf("%s = %s, plain rates say %s (s=%d f=%d u=%d, limits %s %s)", c.Rule, c.Verdict, want, s, f, u, maxFail, minSucc)
		}
	}
}

func TestVerdictProperties(t *testing.T) {
	t.Parallel()
	limits := []string{"0", "0.05", "0.1", "0.2", "0.5", "1"}
	for _, conf := range []float64{0, 0.8, 0.95} {
		for s := int64(0); s <= 12; s += 3 {
			for f := int64(0); f <= 6; f += 2 {
				for u := int64(0); u <= 2; u += 2 {
					for i, l := range limits {
						checkProperties(t, s, f, u, 2, 20, l, limits[len(limits)-1-i], limits[i%3], conf)
					}
				}
			}
		}
	}
}

func FuzzVerdictProperties(f *testing.F) {
	f.Add(uint16(25), uint16(4), uint16(1), uint16(3), uint16(40), uint16(100), uint16(900), uint16(50), uint16(950))
	f.Add(uint16(5), uint16(0), uint16(0), uint16(0), uint16(5), uint16(0), uint16(1000), uint16(0), uint16(0))
	f.Fuzz(func(t *testing.T, s, fl, u, bf, bt, maxFail, minSucc, maxReg, conf uint16) {
		permille := func(v uint16) string { return new(big.Rat).SetFrac64(int64(v%1001), 1000).FloatString(3) }
		c := 0.0
		if conf%1000 >= 500 {
			c = float64(conf%1000) / 1000
		}
		base := int64(bt % 500)
		checkProperties(t, int64(s%300), int64(fl%300), int64(u%50), min(int64(bf%500), base), base,
			permille(maxFail), permille(minSucc), permille(maxReg), c)
	})
}
