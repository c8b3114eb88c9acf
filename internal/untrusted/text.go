package untrusted

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxSummaryBytes is GitHub's limit for one step's job summary: over it, the
// runner drops the whole summary rather than cutting it.
const MaxSummaryBytes = 1 << 20

// Ellipsis marks where Cut and CutBytes cut a text.
const Ellipsis = "…"

// Cut returns s when it has at most limit runes, and otherwise its first
// runes and Ellipsis, limit runes in all, so that a bound on a text is a
// bound on what shows of it. No white space is left before the ellipsis. A
// limit of 0 or less leaves s whole.
func Cut(s string, limit int) string {
	if limit <= 0 || utf8.RuneCountInString(s) <= limit {
		return s
	}
	n := 0
	for i := range s {
		if n == limit-1 {
			return strings.TrimRightFunc(s[:i], unicode.IsSpace) + Ellipsis
		}
		n++
	}
	return s
}

// CutBytes returns s when it has at most limit bytes, and otherwise its
// first limit bytes, backed off to the start of a rune, and Ellipsis: at most
// limit+len(Ellipsis) bytes in all. Limits in bytes bound what UTF-8 cannot
// outgrow: the runner counts an annotation's UTF-16 code units, and no rune
// takes more of them than of bytes.
func CutBytes(s string, limit int) string {
	if limit < 0 || len(s) <= limit {
		return s
	}
	// Stray continuation bytes are no rune to keep whole: back off over
	// one rune's worth at most.
	for i := 1; i < utf8.UTFMax && limit > 0 && !utf8.RuneStart(s[limit]); i++ {
		limit--
	}
	return s[:limit] + Ellipsis
}

// OneLine makes untrusted text one line of plain words: every line break,
// control character, other invisible character (a zero-width space, a
// direction override) and byte that is not UTF-8 becomes a space, runs of
// spaces become one, and none is left at either end.
func OneLine(s string) string {
	if !strings.ContainsFunc(s, hidden) && !strings.Contains(s, "  ") && strings.TrimSpace(s) == s {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is due before the next visible rune
	for _, r := range s {
		if hidden(r) || r == ' ' {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hidden reports a rune that OneLine does not keep as it is.
func hidden(r rune) bool {
	return r != ' ' && (r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r))
}

// Digits reports whether s is one or more ASCII digits, and nothing else:
// no sign, no space, no other script's digits.
func Digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
