package gate

import (
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
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
	if !onlyDigits(intPart) || !onlyDigits(fracPart) || intPart == "" && fracPart == "" {
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

// onlyDigits reports whether s has only ASCII digits; "" has none that are
// not, so it passes: an empty part of a number is checked by the caller.
func onlyDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
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

// Percent formats a fraction as a percentage for people: one decimal ("12.5%"),
// or up to four where one would show a rate that is not zero as 0.0% or one
// that is not whole as 100.0%.
func Percent(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "n/a"
	}
	p := f * 100
	for prec := 1; ; prec++ {
		s := strconv.FormatFloat(p, 'f', prec, 64)
		v, _ := strconv.ParseFloat(s, 64)
		if prec == 4 || (v == 0) == (p == 0) && (v == 100) == (p == 100) {
			return s + "%"
		}
	}
}

// MarshalJSON writes the rate as a JSON number.
func (r Rate) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(r.Float64(), 'g', -1, 64)), nil
}
