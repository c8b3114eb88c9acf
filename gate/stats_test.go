package gate

import (
	"encoding/csv"
	"math"
	"os"
	"strconv"
	"testing"
)

// readCSV returns the rows of a reference file in testdata, header dropped,
// each as floats. See testdata/README.md for how the values were computed.
func readCSV(t *testing.T, name string) [][]float64 {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]float64
	for _, rec := range recs[1:] {
		row := make([]float64, len(rec))
		for i, s := range rec {
			if row[i], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		rows = append(rows, row)
	}
	if len(rows) < 20 {
		t.Fatalf("%s: only %d rows", name, len(rows))
	}
	return rows
}

func TestClopperPearsonMatchesReference(t *testing.T) {
	t.Parallel()
	for _, row := range readCSV(t, "clopper_pearson.csv") {
		x, n, conf, wantLo, wantHi := int64(row[0]), int64(row[1]), row[2], row[3], row[4]
		if got := LowerBound(x, n, conf); math.Abs(got-wantLo) > 1e-9 {
			t.Errorf("LowerBound(%d, %d, %v) = %.15g, want %.15g", x, n, conf, got, wantLo)
		}
		if got := UpperBound(x, n, conf); math.Abs(got-wantHi) > 1e-9 {
			t.Errorf("UpperBound(%d, %d, %v) = %.15g, want %.15g", x, n, conf, got, wantHi)
		}
	}
}

func TestRiseProbabilityMatchesReference(t *testing.T) {
	t.Parallel()
	for _, row := range readCSV(t, "regression.csv") {
		x1, n1, x0, n0, delta, want := int64(row[0]), int64(row[1]), int64(row[2]), int64(row[3]), row[4], row[5]
		if got := RiseProbability(x1, n1, x0, n0, delta); math.Abs(got-want) > 1e-6 {
			t.Errorf("RiseProbability(%d, %d, %d, %d, %v) = %.15g, want %.15g", x1, n1, x0, n0, delta, got, want)
		}
	}
}

func TestAttemptsNeeded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		got, want int64
	}{
		// The rule of three's exact form: 59 clean attempts show ≤ 5% at 95%
		// (reference: upper bound 0.0495 at n=59, 0.0503 at n=58).
		{"zero failures, 5% at 95%", AttemptsToShowAtMost(0, 0, 0.95, 0.05), 59},
		{"already shown", AttemptsToShowAtMost(0, 59, 0.95, 0.05), 0},
		{"one short", AttemptsToShowAtMost(0, 58, 0.95, 0.05), 1},
		{"limit zero never", AttemptsToShowAtMost(0, 10, 0.95, 0), -1},
		{"limit one always", AttemptsToShowAtMost(10, 10, 0.95, 1), 0},
		{"success mirrored", AttemptsToShowAtLeast(0, 0, 0.95, 0.95), 59},
		{"success limit one never", AttemptsToShowAtLeast(5, 5, 0.95, 1), -1},
		{"success limit zero always", AttemptsToShowAtLeast(0, 5, 0.95, 0), 0},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	// The answer is the fewest: one fewer attempt must not be enough.
	for _, c := range []struct {
		x, n int64
		conf float64
		lim  float64
	}{{2, 40, 0.95, 0.1}, {1, 5, 0.9, 0.2}, {7, 300, 0.99, 0.05}} {
		k := AttemptsToShowAtMost(c.x, c.n, c.conf, c.lim)
		if k <= 0 || UpperBound(c.x, c.n+k, c.conf) > c.lim || UpperBound(c.x, c.n+k-1, c.conf) <= c.lim {
			t.Errorf("AttemptsToShowAtMost(%+v) = %d is not the fewest", c, k)
		}
	}
}
