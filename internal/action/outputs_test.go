package action

import (
	"math"
	"testing"
)

func TestFraction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"}, {0.2, "0.2"}, {1.0 / 30, "0.0333"}, {1, "1"}, {1.0 / 20000, "0.0001"}, {1.0 / 3e6, "0.0001"}, {1 - 1.0/3e6, "0.9999"},
		{math.NaN(), ""},
	}
	for _, tt := range tests {
		if got := fraction(tt.in, false); got != tt.want {
			t.Errorf("fraction(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := fraction(0.5, true); got != "" {
		t.Errorf("fraction with an error = %q, want empty", got)
	}
}
