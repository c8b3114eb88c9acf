package sigmamind

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestLongIDsAreCutWhole: an id too long to be one is shown by its start,
// and a cut that falls inside a character backs off to its start, so that
// the message stays UTF-8.
func TestLongIDsAreCutWhole(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("€", 100) // 3 bytes each: byte 32 is inside one
	wantID := strings.Repeat("€", 10) + "…"
	tests := []struct {
		name string
		err  func() error
	}{
		{"invalid run", func() error { return Validate(&BatchRun{BatchID: long, Invalid: "x"}) }},
		{"too long a batchId", func() error {
			return Validate(&BatchRun{BatchID: long, CreatedDate: time.Date(2026, 3, 26, 10, 52, 45, 0, time.UTC)})
		}},
		{"too long a testCaseId", func() error {
			if de := checkTestCase("agent_x", &TestCase{TestCaseID: long}, "x"); de != nil {
				return de
			}
			return nil
		}},
		{"decoded batchId", func() error {
			p, err := decodeBody(`{"data":[{"batchId":"`+long+`","createdDate":"2026-03-26T10:52:45Z","successfulAttempts":0,"failedAttempts":0,"totalAttempts":0}],"hasNext":false}`, nil)
			if err != nil || len(p.Data) != 1 {
				return err
			}
			// The decoder's cut, not Validate's: the id it keeps is cut.
			if !utf8.ValidString(p.Data[0].BatchID) {
				t.Errorf("decoded batchId %q is not UTF-8", p.Data[0].BatchID)
			}
			return Validate(&p.Data[0])
		}},
	}
	for _, tt := range tests {
		err := tt.err()
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		msg := err.Error()
		if !utf8.ValidString(msg) || !strings.Contains(msg, wantID) || strings.Contains(msg, long[:60]) {
			t.Errorf("%s: %q; want valid UTF-8 with the id cut to %q", tt.name, msg, wantID)
		}
	}
}
