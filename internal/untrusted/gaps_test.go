package untrusted

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
)

// TestRedactAcrossGaps: a secret broken up by characters that show nothing,
// or by line breaks, still reads as the secret, so it is found; what shows
// is left alone.
func TestRedactAcrossGaps(t *testing.T) {
	t.Parallel()
	const k = "sk-live-0123456789abcdef"
	split := func(gap string) string { return k[:8] + gap + k[8:] }
	tests := []struct {
		name, in, want string
	}{
		{"zero width space", split("\u200b"), "***"},
		{"zero width joiner and non-joiner", split("\u200c\u200d"), "***"},
		{"word joiner", split("\u2060"), "***"},
		{"soft hyphen", split("\u00ad"), "***"},
		{"combining grapheme joiner", split("\u034f"), "***"},
		{"arabic letter mark", split("\u061c"), "***"},
		{"hangul fillers", split("\u115f\u1160\u3164\uffa0"), "***"},
		{"khmer vowels", split("\u17b4\u17b5"), "***"},
		{"mongolian selectors", split("\u180b\u180e\u180f"), "***"},
		{"bidi marks and overrides", split("\u200e\u200f\u202a\u202e"), "***"},
		{"invisible operators", split("\u2061\u2064\u206f"), "***"},
		{"variation selectors", split("\ufe00\ufe0f"), "***"},
		{"byte order mark", split("\ufeff"), "***"},
		{"shorthand format controls", split("\U0001BCA0\U0001BCA3"), "***"},
		{"musical formatting", split("\U0001D173\U0001D17A"), "***"},
		{"tag characters, first and last", split("\U000E0000\U000E0FFF"), "***"},
		{"line feed", split("\n"), "***"},
		{"carriage return", split("\r"), "***"},
		{"crlf", split("\r\n"), "***"},
		{"line and paragraph separators", split("\u2028\u2029"), "***"},
		{"between every two characters", untrustedtest.Between("\u200b\n")(k), "***"},
		{"many in a row", split(strings.Repeat("\u2060\r\n", 100)), "***"},
		{"inside another form", "sk%2D\u200blive-0123456789abcdef", "***"},

		{"json escape", split(`\u200b`), "***"},
		{"json escape, upper case", split(`\u200B`), "***"},
		{"json line feed", split(`\n`), "***"},
		{"json crlf", split(`\r\n`), "***"},
		{"json line separator", split(`\u2028`), "***"},
		{"percent-encoded", split("%E2%80%8B"), "***"},
		{"percent-encoded, lower case", split("%e2%80%8b"), "***"},
		{"runner's line break", split("%0D%0A"), "***"},
		{"runner's escaping of a percent-encoded line break", split("%250A"), "***"},
		{"html decimal", split("&#8203;"), "***"},
		{"html hex, no semicolon", split("&#x200B"), "***"},
		{"html named line feed", split("&NewLine;"), "***"},
		{"markdown of a json line feed", split(`\\n`), "***"},
		{"two encoders deep, not for the others", split("%25E2%2580%258B"), split("%25E2%2580%258B")},
		{"tag character, json surrogates", split(`\udb40\udc41\uDB40\uDFFF`), "***"},
		{"tag character, go escape", split(`\U000E0041`), "***"},
		{"tag character, percent-encoded", split("%F3%A0%81%81%f3%a0%bf%bf"), "***"},
		{"tag character, html hex", split("&#xE0041;&#x000e0fff"), "***"},

		{"around, not within", "\u200b" + k + "\n", "\u200b***\n"},
		{"a space shows", split(" "), split(" ")},
		{"a visible character shows", split("x"), split("x")},
		{"past the tag characters", split("\U000E1000"), split("\U000E1000")},
		{"a surrogate past them", split(`\udb40\udbff`), split(`\udb40\udbff`)},
		{"a character short, with gaps", untrustedtest.Between("\u200b")(k[:len(k)-1]), untrustedtest.Between("\u200b")(k[:len(k)-1])},
		{"inside a form", "sk%2\u200bDlive-0123456789abcdef", "sk%2\u200bDlive-0123456789abcdef"},
		{"a gap cut short", split("%E2%80"), split("%E2%80")},
		{"a gap cut short, raw", split("\xe2\x80"), split("\xe2\x80")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Redact(tt.in, k)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Redact(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if again := Redact(got, k); again != got {
				t.Errorf("redacting again changed %q to %q", got, again)
			}
		})
	}
}

// TestEveryGap: each of the gaps that untrustedtest writes, between any
// two characters, is found, for every secret tried.
func TestEveryGap(t *testing.T) {
	t.Parallel()
	for _, secret := range testSecrets {
		for _, gap := range untrustedtest.Gaps {
			in := "before " + untrustedtest.Between(gap)(secret) + " after"
			if got := Redact(in, secret); got != "before *** after" {
				t.Errorf("gap %q: Redact(%q) = %q", gap, in, got)
			}
		}
	}
}
