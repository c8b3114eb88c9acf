package gate

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestPercentNeverReadsAsTheEnds: a fraction above 0 never reads 0%, one
// below 1 never 100%, however close; the digits go as far as it takes.
func TestPercentNeverReadsAsTheEnds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0%"},
		{1, "100.0%"},
		{0.999999999999, "99.9999999999%"},
		{0.99999999, "99.999999%"},
		{1 - 1e-14, "99.999999999999%"}, // 1 failure in 10^14 attempts
		{1e-14, "0.000000000001%"},
		{1e-12, "0.0000000001%"},
		{0.00000001, "0.000001%"},
		{1 - 1e-16, ">99.999999999999%"}, // f*100 rounds to 100 in floating point
		{math.Nextafter(1, 0), ">99.999999999999%"},
		{1e-300, "<0.000000000001%"},
		{math.SmallestNonzeroFloat64, "<0.000000000001%"},
		{0.5, "50.0%"},
		{0.2, "20.0%"},
		{math.NaN(), "n/a"},
		{math.Inf(1), "n/a"},
	}
	for _, tt := range tests {
		if got := Percent(tt.in); got != tt.want {
			t.Errorf("Percent(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	rng := rand.New(rand.NewPCG(7, 11))
	for range 20000 {
		// Fractions near both ends, on every scale.
		f := math.Pow(10, -rng.Float64()*20)
		for _, g := range []float64{f, 1 - f, math.Nextafter(f, 0), math.Nextafter(1-f, 1)} {
			if g <= 0 || g >= 1 {
				continue
			}
			s := Percent(g)
			v, err := strconv.ParseFloat(strings.TrimLeft(strings.TrimSuffix(s, "%"), "<>"), 64)
			if err != nil || v == 0 || v == 100 {
				t.Fatalf("Percent(%v) = %q reads as 0%% or 100%%", g, s)
			}
		}
	}
}

// TestConfidenceShowsEveryDigit: a level reads as it was written, as a
// percentage: never 100% for a level below 1, and no binary noise.
func TestConfidenceShowsEveryDigit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{0.95, "95%"},
		{0.57, "57%"}, // not 56.99999999999999%
		{0.5, "50%"},
		{0.999, "99.9%"},
		{0.9999995, "99.99995%"},
		{0.999999999999, "99.9999999999%"},
		{0.123456789012, "12.3456789012%"},
		{0.1, "10%"},
		{0.05, "5%"},
		{1, "100%"},
		{0, "0%"},
		{1e-7, "0.00001%"},
		{math.NaN(), "n/a"},
	}
	for _, tt := range tests {
		if got := Confidence(tt.in); got != tt.want {
			t.Errorf("Confidence(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// Every level the confidence input accepts reads back as written.
	rng := rand.New(rand.NewPCG(3, 5))
	for range 20000 {
		digits := 1 + rng.IntN(maxRateDigits)
		frac := strconv.FormatInt(rng.Int64N(int64(math.Pow10(digits))), 10)
		frac = strings.Repeat("0", digits-len(frac)) + frac
		level := "0." + frac
		r, err := ParseRate(level)
		if err != nil {
			t.Fatal(err)
		}
		padded := frac + "00"
		want := strings.TrimLeft(padded[:2], "0")
		if want == "" {
			want = "0"
		}
		if rest := strings.TrimRight(padded[2:], "0"); rest != "" {
			want += "." + rest
		}
		if got := Confidence(r.Float64()); got != want+"%" {
			t.Fatalf("Confidence(%s) = %q, want %q", level, got, want+"%")
		}
	}
}

// TestLimitString: a limit reads with every digit it was given.
func TestLimitString(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"0", "0.0%"}, {"10%", "10.0%"}, {"0.1", "10.0%"}, {"1", "100.0%"}, {"12.345%", "12.345%"},
		{"0.123456789012", "12.3456789012%"}, {"0.000000000001", "0.0000000001%"}, {"0.999999999999", "99.9999999999%"},
		{"0.0001%", "0.0001%"}, {"5%", "5.0%"}, {"2.5%", "2.5%"},
	}
	for _, tt := range tests {
		if got := MustRate(tt.in).limitString(); got != tt.want {
			t.Errorf("MustRate(%q).limitString() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestPercentsAgainst: what a sentence compares with a limit reads on the
// side of the limit where it is, and different values read differently.
func TestPercentsAgainst(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit string
		fs    []float64
		want  []string
	}{
		{"10%", []float64{0.2}, []string{"20.0%"}},
		{"10%", []float64{0.1001}, []string{"10.01%"}}, // not "10.0% is above the limit 10.0%"
		{"10%", []float64{0.0999}, []string{"9.99%"}},
		{"10%", []float64{0.1}, []string{"10.0%"}},
		{"0.0001%", []float64{1e-6, 9.983556644845737e-07, 1.0016469025320163e-06}, []string{"0.0001000%", "0.0000998%", "0.0001002%"}},
		{"12.345%", []float64{0.12346}, []string{"12.35%"}}, // above 12.345%, as it is
		{"50%", []float64{0, 0.45071972834694}, []string{"0.0%", "45.1%"}},
		{"100%", []float64{1 - 1e-12}, []string{"99.9999999999%"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, percentsAgainst(MustRate(tt.limit), tt.fs...)); diff != "" {
			t.Errorf("percentsAgainst(%s, %v) mismatch (-want +got):\n%s", tt.limit, tt.fs, diff)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		limit := MustRate(strconv.FormatFloat(rng.Float64(), 'f', 1+rng.IntN(maxRateDigits), 64))
		l := limit.Float64()
		// At least 10^-12 away (or on it): percentDigits tells those apart.
		near := func() float64 {
			d := math.Pow(10, -1-rng.Float64()*11)
			switch rng.IntN(3) {
			case 0:
				d = -d
			case 1:
				d = 0
			}
			return math.Min(math.Max(l+d, 0), 1)
		}
		fs := []float64{near(), near(), near()}
		got := percentsAgainst(limit, fs...)
		lp, _ := strconv.ParseFloat(strings.TrimSuffix(limit.limitString(), "%"), 64)
		for i, s := range got {
			if strings.ContainsAny(s, "<>") {
				continue // past percentDigits
			}
			v, _ := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
			if cmpFloat(v, lp) != cmpFloat(fs[i], l) {
				t.Fatalf("percentsAgainst(%s, %v) = %q: %q reads on the wrong side of %s", limit.limitString(), fs, got, s, limit.limitString())
			}
			for j := range i {
				if (fs[i] == fs[j]) != (got[i] == got[j]) {
					t.Fatalf("percentsAgainst(%s, %v) = %q: %v and %v read alike", limit.limitString(), fs, got, fs[i], fs[j])
				}
			}
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestRegressionDigits: the rise reads on the side of max-regression where
// it exactly is, with no binary noise, and the limit with its digits.
func TestRegressionDigits(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name               string
		x1, n1, x0, n0     int64
		limit              string
		verdict            Verdict
		wantLimit, wantAct string
	}{
		{"just above the limit", 5001, 100000, 0, 100, "5%", Fail, "≤ +5.0 points", "+5.001 points"},
		{"on the limit, though floats differ", 15, 100, 10, 100, "5%", Pass, "≤ +5.0 points", "+5.0 points"},
		{"a limit with more digits", 2, 10, 0, 10, "2.345%", Fail, "≤ +2.345 points", "+20.0 points"},
		{"a fall", 0, 10, 1, 10, "5%", Pass, "≤ +5.0 points", "−10.0 points"},
		{"a tiny fall", 99999, 1000000, 1, 10, "5%", Pass, "≤ +5.0 points", "−0.0001 points"},
	}
	for _, tt := range tests {
		limit := MustRate(tt.limit)
		r := Evaluate(Input{AgentID: "a", Gated: []Batch{{ID: "new", Created: at, Failed: tt.x1, Successful: tt.n1 - tt.x1, Total: tt.n1}},
			Baseline:  []Batch{{ID: "old", Created: at, Failed: tt.x0, Successful: tt.n0 - tt.x0, Total: tt.n0}},
			Requested: 1, Rules: Rules{MaxFailureRate: ptr(MustRate("100%")), MaxRegression: &limit}, Now: at})
		for _, ch := range r.Checks {
			if ch.Rule != "max-regression" {
				continue
			}
			got := []string{string(ch.Verdict), ch.LimitText, ch.ActualText}
			if diff := cmp.Diff([]string{string(tt.verdict), tt.wantLimit, tt.wantAct}, got); diff != "" {
				t.Errorf("%s: mismatch (-want +got):\n%s", tt.name, diff)
			}
		}
	}
	if got := percentsBeside("95%", []int{-1}, 0.9499); got[0] != "94.99%" {
		t.Errorf("a probability below the confidence 95%% reads %s", got[0])
	}
}
