package gate

import (
	"strings"
	"testing"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    float64
		wantErr string
	}{
		{"0", 0, ""},
		{"0.1", 0.1, ""},
		{"10%", 0.1, ""},
		{" 10 % ", 0.1, ""},
		{".5", 0.5, ""},
		{"1", 1, ""},
		{"1.0", 1, ""},
		{"100%", 1, ""},
		{"0%", 0, ""},
		{"12.5%", 0.125, ""},
		{"0.0001", 0.0001, ""},
		{"007.50%", 0.075, ""},
		{"10", 0, `"10" is above 1: write a fraction from 0 to 1, or a percentage such as 10%`},
		{"5.", 0, `"5." is above 1: write a fraction from 0 to 1, or a percentage such as 5%`},
		{"150", 0, `"150" is above 1: write a fraction from 0 to 1 or a percentage from 0% to 100%`},
		{"100", 0, `"100" is above 1: write a fraction from 0 to 1, or a percentage such as 100%`},
		{"12345%", 0, `"12345%" is above 100%`},
		{"0.1234567890123", 0, `"0.1234567890123" has more than 12 decimal places`},
		{"0.123456789012", 0.123456789012, ""},
		{"12.12345678901%", 0, `"12.12345678901%" has more than 10 decimal places`},
		{"101%", 0, `"101%" is above 100%`},
		{"1.01", 0, "is above 1"},
		{"-0.1", 0, "is not a rate"},
		{"+0.1", 0, "is not a rate"},
		{"", 0, "is not a rate"},
		{"%", 0, "is not a rate"},
		{".", 0, "is not a rate"},
		{"1e-1", 0, "is not a rate"},
		{"0x1p-2", 0, "is not a rate"},
		{"NaN", 0, "is not a rate"},
		{"Inf", 0, "is not a rate"},
		{"ten", 0, "is not a rate"},
		{"0,1", 0, "is not a rate"},
		{"0.1%%", 0, "is not a rate"},
		{"0.0000000000001", 0, "more than 12 decimal places"},
		{"99999999999999999999%", 0, "is above 100%"},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseRate(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
		case tt.wantErr == "" && err != nil:
			t.Errorf("ParseRate(%q) error = %v", tt.in, err)
		case tt.wantErr == "" && got.Float64() != tt.want:
			t.Errorf("ParseRate(%q) = %v, want %v", tt.in, got.Float64(), tt.want)
		}
	}
}

func TestPercent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0.0%"}, {0.2, "20.0%"}, {0.125, "12.5%"}, {1, "100.0%"},
		{0.0001, "0.01%"}, {0.9999, "99.99%"}, {1.0 / 3, "33.3%"}, {0.00000001, "0.000001%"}, // not 0.0000%: see digits_test.go
	}
	for _, tt := range tests {
		if got := Percent(tt.in); got != tt.want {
			t.Errorf("Percent(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"0", "0.1", "10%", " 10 % ", ".5", "100%", "10", "-1", "1e-1", "NaN", "0.0000000000001", "007.50%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err != nil {
			if !strings.Contains(err.Error(), "rate") && !strings.Contains(err.Error(), "above") && !strings.Contains(err.Error(), "decimal places") {
				t.Errorf("ParseRate(%q): unhelpful error %q", s, err)
			}
			return
		}
		f := r.Float64()
		if f < 0 || f > 1 || f != f {
			t.Errorf("ParseRate(%q) = %v, outside [0, 1]", s, f)
		}
		// The exact comparison agrees with the float one away from the limit.
		for _, n := range []int64{1, 7, 10, 1000} {
			for x := int64(0); x <= n; x += max(n/7, 1) {
				c := r.Cmp(x, n)
				if fx := float64(x) / float64(n); fx < f*(1-1e-9)-1e-12 && c != 1 || fx > f*(1+1e-9)+1e-12 && c != -1 {
					t.Errorf("ParseRate(%q).Cmp(%d, %d) = %d", s, x, n, c)
				}
			}
		}
	})
}
