package untrusted

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestCut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"short", "abc", 5, "abc"},
		{"exactly the limit", "abcde", 5, "abcde"},
		{"one over", "abcdef", 5, "abcd…"},
		{"runes, not bytes", strings.Repeat("é", 6), 5, "éééé…"},
		{"no space before the ellipsis", "ab   cdefgh", 5, "ab…"},
		{"only spaces before the cut", "    xyz", 4, "…"},
		{"a limit of 1", "abc", 1, "…"},
		{"no limit", "abc", 0, "abc"},
		{"a negative limit", "abc", -1, "abc"},
		{"invalid UTF-8 counts a rune a byte", "\xff\xfe\xfd\xfc", 3, "\xff\xfe…"},
		{"empty", "", 3, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Cut(tt.in, tt.limit)); diff != "" {
				t.Errorf("Cut(%q, %d) mismatch (-want +got):\n%s", tt.in, tt.limit, diff)
			}
		})
	}
}

func TestCutBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		limit int
		want  string
	}{
		{"short", "abc", 5, "abc"},
		{"exactly the limit", "abcde", 5, "abcde"},
		{"one over", "abcdef", 5, "abcde…"},
		{"never inside a rune", "aé€", 4, "aé…"},
		{"a rune at the start that does not fit", "€", 2, "…"},
		{"stray continuation bytes back off one rune's worth", "00\x8e\x8e\x8e\x8e", 5, "00…"},
		{"a limit of 0", "abc", 0, "…"},
		{"a negative limit", "abc", -1, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := CutBytes(tt.in, tt.limit)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CutBytes(%q, %d) mismatch (-want +got):\n%s", tt.in, tt.limit, diff)
			}
			if tt.limit >= 0 && len(got) > tt.limit+len(Ellipsis) {
				t.Errorf("CutBytes(%q, %d) = %d bytes", tt.in, tt.limit, len(got))
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Bad Gateway", "Bad Gateway"},
		{"empty", "", ""},
		{"blank", " \n\t\r ", ""},
		{"lines collapse", "<html>\n  <body>\tdown\r\n</body>\n</html>\n", "<html> <body> down </body> </html>"},
		{"control characters", "\x00\x1b[31mred\x07alert\x7f", "[31mred alert"},
		{"invalid UTF-8", "\xff\xfeok\xc3", "ok"},
		{"a replacement character", "a\ufffdb", "a b"},
		{"zero-width space and no-break space", "a\u200bb\u00a0c", "a b c"},
		{"direction overrides", "abc\u202edcba\u202c", "abc dcba"},
		{"Unicode line breaks", "a\u2028::error::b\u2029c\u0085d", "a ::error::b c d"},
		{"spaces at the ends", "  a  b  ", "a b"},
		{"unicode kept", "Lucía – 日本語", "Lucía – 日本語"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, OneLine(tt.in)); diff != "" {
				t.Errorf("OneLine(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestDigits(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"0": true, "0123456789": true, "007": true,
		"": false, "-1": false, "+1": false, " 1": false, "1 ": false, "1.5": false, "1e3": false,
		"١٢": false, // Arabic-Indic digits
		"１":  false, // a fullwidth digit
	} {
		if got := Digits(s); got != want {
			t.Errorf("Digits(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "abc", "a\nb", " \u2028::x", "\xff\xfe", strings.Repeat("é ", 50), "a\u200b\u202eb"} {
		f.Add(s, 5)
	}
	f.Fuzz(func(t *testing.T, s string, limit int) {
		limit %= 1000
		if got := Cut(s, limit); limit > 0 && utf8.RuneCountInString(got) > limit {
			t.Errorf("Cut(%q, %d) = %q, %d runes", s, limit, got, utf8.RuneCountInString(got))
		} else if kept, ok := strings.CutSuffix(got, Ellipsis); got != s && (!ok || !strings.HasPrefix(s, kept)) {
			t.Errorf("Cut(%q, %d) = %q: not s, nor a prefix of it and an ellipsis", s, limit, got)
		}
		if got := CutBytes(s, limit); limit >= 0 && len(got) > limit+len(Ellipsis) {
			t.Errorf("CutBytes(%q, %d) = %q, %d bytes", s, limit, got, len(got))
		} else if kept, ok := strings.CutSuffix(got, Ellipsis); got != s && (!ok || !strings.HasPrefix(s, kept) || len(kept) < limit-utf8.UTFMax+1) {
			t.Errorf("CutBytes(%q, %d) = %q: not s, nor most of its first %d bytes and an ellipsis", s, limit, got, limit)
		}
		line := OneLine(s)
		if strings.ContainsFunc(line, func(r rune) bool { return r != ' ' && (unicode.IsSpace(r) || !unicode.IsPrint(r)) }) ||
			strings.Contains(line, "  ") || strings.TrimSpace(line) != line || !utf8.ValidString(line) {
			t.Errorf("OneLine(%q) = %q", s, line)
		}
		if again := OneLine(line); again != line {
			t.Errorf("OneLine is not idempotent: %q, then %q", line, again)
		}
	})
}
