package config

import (
	"strings"
	"testing"
)

// TestShortAPIKeyRefused: a key too short to redact safely is refused,
// named by its input, never shown.
func TestShortAPIKeyRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key  string
		want string // "" means accepted
	}{
		{"Q", "input api-key: is shorter than 8 characters"},
		{"Qz", "input api-key: is shorter than 8 characters"},
		{"Qz9Xw7V", "input api-key: is shorter than 8 characters"},
		{"Qz9Xw7Vb", ""},
		// Characters, not bytes: four two-byte letters are four.
		{"ключ", "is shorter than 8 characters"},
		{"ключ-пар", ""},
		{"Qz9Xw7V\n", "contains a control character"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			t.Parallel()
			r := valid()
			r.APIKey = tt.key
			_, err := Parse(r)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Parse refused a %d-character key: %v", len([]rune(tt.key)), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), strings.TrimSpace(tt.key)) {
				t.Errorf("the error shows the key: %v", err)
			}
			// The command line says the same of SIGMAMIND_API_KEY.
			if want := "input api-key: " + APIKeyProblem(tt.key); err.Error() != want {
				t.Errorf("Parse error %q, want %q", err, want)
			}
		})
	}
}
