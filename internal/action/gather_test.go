package action

import (
	"testing"
	"time"
)

func TestRequestTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		timeout time.Duration
		retries int
		want    time.Duration
	}{
		{2 * time.Minute, 3, 30 * time.Second},
		{10 * time.Minute, 0, 10 * time.Minute}, // no retries: the whole timeout
		{10 * time.Minute, 3, 150 * time.Second},
		{2 * time.Second, 10, time.Second}, // never under a second
	}
	for _, tt := range tests {
		if got := requestTimeout(tt.timeout, tt.retries); got != tt.want {
			t.Errorf("requestTimeout(%v, %d) = %v, want %v", tt.timeout, tt.retries, got, tt.want)
		}
	}
}
