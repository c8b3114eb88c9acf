package gate

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSum(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		parts []Counts
		want  Counts
	}{
		{"none", nil, Counts{}},
		{"two", []Counts{
			{Batches: 1, Successful: 8, Failed: 1, Undecided: 1, Total: 10, Expected: 10},
			{Batches: 2, Successful: 5, Failed: 4, Undecided: 0, Total: 9, Expected: 12, Pending: 3},
		}, Counts{Batches: 3, Successful: 13, Failed: 5, Undecided: 1, Total: 19, Expected: 22, Pending: 3}},
		{"one unknown size makes the sum's unknown", []Counts{
			{Batches: 1, Successful: 1, Total: 1, Expected: 1},
			{Batches: 1, Successful: 1, Total: 1, Expected: 0},
		}, Counts{Batches: 2, Successful: 2, Total: 2, Expected: 0}},
		{"no batches is not an unknown size", []Counts{
			{Batches: 1, Successful: 1, Total: 1, Expected: 1},
			{},
		}, Counts{Batches: 1, Successful: 1, Total: 1, Expected: 1}},
		{"saturates", []Counts{
			{Batches: 1, Failed: math.MaxInt64 - 1, Total: math.MaxInt64 - 1, Expected: math.MaxInt64 - 1},
			{Batches: 1, Failed: 5, Total: 5, Expected: 5},
		}, Counts{Batches: 2, Failed: math.MaxInt64, Total: math.MaxInt64, Expected: math.MaxInt64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Sum(tt.parts)); diff != "" {
				t.Errorf("Sum (-want +got):\n%s", diff)
			}
		})
	}
}
