package gate

import (
	"cmp"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// Rate is a fraction in [0, 1] held exactly as the user wrote it, so that a
// rule is judged exactly at its limit: 1 failure in 10 attempts is not above a
// limit of 10%, however floating point rounds 0.1.
type Rate struct {
	num, den uint64 // den is a power of ten
}

// maxRateDigits keeps num and den within uint64 with room to spare.
const maxRateDigits = 12

// ParseRate reads a fraction written as a decimal in [0, 1] ("0.1") or as a
// percentage in [0%, 100%] ("10%", "12.5 %").
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	percent := strings.HasSuffix(s, "%")
	digits := strings.TrimSpace(strings.TrimSuffix(s, "%"))
	intPart, fracPart, _ := strings.Cut(digits, ".")
	// Either part may be empty ("5.", ".5"), not both.
	if intPart != "" && !untrusted.Digits(intPart) || fracPart != "" && !untrusted.Digits(fracPart) || intPart == "" && fracPart == "" {
		return Rate{}, fmt.Errorf("%q is not a rate: write a fraction such as 0.1 or a percentage such as 10%%", s)
	}
	intPart = strings.TrimLeft(intPart, "0")
	fracPart = strings.TrimRight(fracPart, "0")
	// The number as the user meant it, for the messages: "5." is 5.
	value := intPart
	if value == "" {
		value = "0"
	}
	if fracPart != "" {
		value += "." + fracPart
	}
	above := func() error {
		switch {
		case percent:
			return fmt.Errorf("%q is above 100%%", s)
		case atMost100(intPart, fracPart):
			return fmt.Errorf("%q is above 1: write a fraction from 0 to 1, or a percentage such as %s%%", s, value)
		}
		return fmt.Errorf("%q is above 1: write a fraction from 0 to 1 or a percentage from 0%% to 100%%", s)
	}
	if len(intPart) > 3 {
		return Rate{}, above()
	}
	places := maxRateDigits
	if percent {
		places -= 2 // a percentage's decimals are two more of the fraction's
	}
	if len(fracPart) > places {
		return Rate{}, fmt.Errorf("%q has more than %d decimal places", s, places)
	}
	scale := len(fracPart)
	if percent {
		scale += 2
	}
	num, _ := strconv.ParseUint(intPart+fracPart, 10, 64) // "" leaves 0, as it should
	r := Rate{num: num, den: pow10(scale)}
	if r.num > r.den {
		return Rate{}, above()
	}
	return r.reduce(), nil
}

// atMost100 reports whether the number with these digits (leading zeros of
// the whole part and trailing zeros of the fraction removed) is at most 100.
func atMost100(whole, frac string) bool {
	return len(whole) < 3 || whole == "100" && frac == ""
}

// MustRate is ParseRate for constants in code and tests.
func MustRate(s string) Rate {
	r, err := ParseRate(s)
	if err != nil {
		panic(err)
	}
	return r
}

// RateOf returns num/den for counts, den > 0.
func RateOf(num, den int64) Rate {
	return Rate{num: uint64(num), den: uint64(den)}.reduce()
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}

func (r Rate) reduce() Rate {
	if r.den == 0 {
		return Rate{0, 1}
	}
	g := gcd(r.num, r.den)
	return Rate{r.num / g, r.den / g}
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Float64 returns the rate as a float, for display and statistics.
func (r Rate) Float64() float64 {
	if r.den == 0 {
		return 0
	}
	return float64(r.num) / float64(r.den)
}

// Cmp compares r with the count fraction x/n (n > 0): -1 when r < x/n, 0 when
// equal, +1 when r > x/n. It is exact for all counts.
func (r Rate) Cmp(x, n int64) int {
	// r.num/r.den vs x/n  <=>  r.num*n vs x*r.den, in 128 bits.
	ah, al := bits.Mul64(r.num, uint64(n))
	bh, bl := bits.Mul64(uint64(x), r.den)
	switch {
	case ah < bh || ah == bh && al < bl:
		return -1
	case ah == bh && al == bl:
		return 0
	}
	return 1
}

// rat returns r as an exact big rational.
func (r Rate) rat() *big.Rat {
	den := r.den
	if den == 0 {
		den = 1
	}
	return new(big.Rat).SetFrac(new(big.Int).SetUint64(r.num), new(big.Int).SetUint64(den))
}

// String writes the rate as a percentage, as Percent does.
func (r Rate) String() string { return Percent(r.Float64()) }

// percentDigits is the most decimals Percent shows: enough to tell 1 in
// 10^14 attempts, the most that batches can pool, from 0%, and 1 short of
// them from 100%.
const percentDigits = 12

// Percent formats a fraction as a percentage for people: one decimal ("12.5%"),
// or as many more as it takes, up to percentDigits, for a fraction that is
// not 0 not to read 0.0% and one below 1 not to read 100.0%. Past that it
// says "<0.000000000001%" or ">99.999999999999%", never 0% or 100%.
func Percent(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	p := f * 100
	for prec := 1; prec <= percentDigits; prec++ {
		s := strconv.FormatFloat(p, 'f', prec, 64)
		v, _ := strconv.ParseFloat(s, 64)
		// f itself decides: f*100 may round to 100 when f is just below 1.
		if (v == 0) == (f == 0) && (v == 100) == (f == 1) {
			return s + "%"
		}
	}
	step := "0." + strings.Repeat("0", percentDigits-1) + "1"
	if f > 0 && f < 0.5 {
		return "<" + step + "%"
	}
	return ">99." + strings.Repeat("9", percentDigits) + "%"
}

// limitString writes a rate as a percentage with every digit it has, at
// least one decimal: a limit reads as it was given (12.345%, not 12.3%), so
// that nothing judged against it seems to be on the wrong side. A rate with
// more digits than Percent shows is written as Percent writes it.
func (r Rate) limitString() string {
	if r.den == 0 || r.num > r.den {
		return Percent(r.Float64())
	}
	// num ≤ den ≤ 10^12 after ParseRate, so num*100 fits.
	whole, rem := r.num*100/r.den, r.num*100%r.den
	var frac strings.Builder
	for rem != 0 || frac.Len() == 0 {
		if frac.Len() == percentDigits {
			return Percent(r.Float64())
		}
		frac.WriteByte(byte('0' + rem*10/r.den))
		rem = rem * 10 % r.den
	}
	return strconv.FormatUint(whole, 10) + "." + frac.String() + "%"
}

// percentsAgainst writes fractions that a sentence compares with limit, all
// to one precision: one decimal as Percent, or as many more as it takes (up
// to percentDigits) for each to read on the side of limit where it is, for
// different ones to read differently, and for none to read 0% or 100%
// wrongly. So no sentence reads "bounds 10.0% to 10.0%, cannot be shown to
// be at most 10.0%". Past percentDigits each is written as Percent writes it.
func percentsAgainst(limit Rate, fs ...float64) []string {
	sides := make([]int, len(fs))
	for i, f := range fs {
		sides[i] = cmp.Compare(f, limit.Float64())
	}
	return percentsBeside(limit.limitString(), sides, fs...)
}

// percentsBeside is percentsAgainst for a limit written as shown ("12.345%",
// "95%"), where sides[i] is how fs[i] compares with the limit: the printed
// values are compared with the limit as it reads.
func percentsBeside(shown string, sides []int, fs ...float64) []string {
	out := make([]string, len(fs))
	lp, _ := strconv.ParseFloat(strings.TrimSuffix(shown, "%"), 64)
	for prec := 1; prec <= percentDigits; prec++ {
		good := true
		for i, f := range fs {
			out[i] = strconv.FormatFloat(f*100, 'f', prec, 64)
			v, _ := strconv.ParseFloat(out[i], 64)
			good = good && !math.IsNaN(f) && (v == 0) == (f == 0) && (v == 100) == (f == 1) && cmp.Compare(v, lp) == sides[i]
			for j := range i {
				good = good && (fs[j] == f) == (out[j] == out[i])
			}
		}
		if good {
			for i := range out {
				out[i] += "%"
			}
			return out
		}
	}
	for i, f := range fs {
		out[i] = Percent(f)
	}
	return out
}

// MarshalJSON writes the rate as a JSON number.
func (r Rate) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(r.Float64(), 'g', -1, 64)), nil
}
