package untrusted

import (
	"strings"
	"testing"
)

// BenchmarkRedact measures redaction of 1 MiB texts, ordinary and hostile:
// the time must grow with the text, not with how it is crafted.
func BenchmarkRedact(b *testing.B) {
	const size = 1 << 20
	fill := func(unit string) string { return strings.Repeat(unit, size/len(unit)+1)[:size] }
	texts := []struct{ name, text string }{
		{"prose", fill("the simulated customer asks for a refund of order 1234 and the agent says ")},
		{"json", fill(`{"label":"sk\u00e9 \"quoted\" a\/b","url":"https://x.test/?q=a%20b&amp;c"},`)},
		{"backslashes", fill(`\`)},
		{"percents", fill("%25")},
		{"references", fill("&#")},
		{"zeros", "&#" + fill("0")},
		{"near misses", fill(`sk\_live\_0123456789abcde `)},
		{"keys", fill(key + " ")},
		{"encoded keys", fill(`sk%5Flive\u005f0123456789abcdef `)},
		{"invisible", fill("\u200b")},
		{"near misses with gaps", fill("s\u200bk\n_\u2060live\r\n_0123456789abcde%E2%80%8B&#8203;\\u00ad ")},
		{"keys with gaps", fill("sk_live_\u200b0123456789\nabcdef ")},
	}
	s := NewSecrets(key)
	for _, tt := range texts {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.text)))
			for b.Loop() {
				s.Redact(tt.text)
			}
		})
	}
}

// BenchmarkNewSecrets measures readying a 24-character key once the
// automata of its characters are built, as for every Redact call.
func BenchmarkNewSecrets(b *testing.B) {
	NewSecrets(key)
	for b.Loop() {
		NewSecrets(key)
	}
}

// BenchmarkCompileCharacter measures building the automaton of one
// character, which happens once per ASCII character.
func BenchmarkCompileCharacter(b *testing.B) {
	for _, c := range []string{"a", "_"} {
		b.Run(c, func(b *testing.B) {
			for b.Loop() {
				compile(forms([]byte(c), depth))
			}
		})
	}
}
