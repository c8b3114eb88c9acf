package untrusted

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
)

// FuzzRedactEncoded builds text around a secret written with a mix of
// encodings, character by character, with maybe something invisible or a
// line break between two characters (untrustedtest.Gaps), then maybe
// encoded whole once more (two encoders deep at most, as forms are), and
// checks that the secret is gone in every encoding, that redacting again
// changes nothing, and that text that cannot hold the secret is left as it
// was.
func FuzzRedactEncoded(f *testing.F) {
	for _, s := range testSecrets {
		f.Add(s, "before ", " after", []byte{0, 1, 2, 3, 4, 5, 6, 7})
	}
	f.Add(key, `\`, "%", []byte{3, 3, 9, 200, 17})
	f.Add("*abcdefg", "", "abcdefgabcdefg", []byte{0})
	f.Add(key, key[:10], key[10:], []byte{40, 41, 42, 43, 44})
	f.Add(key, "x\u200b", "\n", []byte{0, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 26})
	f.Add("sk-live-0123456789abcdef", "", "", []byte{0, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 8})
	gaps := untrustedtest.Gaps
	f.Fuzz(func(t *testing.T, secret, prefix, suffix string, choices []byte) {
		if !utf8.ValidString(secret) || utf8.RuneCountInString(secret) < 8 || len(secret) > 64 {
			return
		}
		var b strings.Builder
		i, nested := 0, false
		for _, r := range secret {
			e := encoders[0]
			if i < len(choices) {
				e = encoders[int(choices[i])%len(encoders)]
				// A choice with its top bit set puts a gap before the
				// character (none before the first).
				if i > 0 && choices[i]&0x80 != 0 {
					gap := gaps[int(choices[i]&0x7f)%len(gaps)]
					nested = nested || strings.ContainsAny(gap, `\%&`)
					b.WriteString(gap)
				}
			}
			i++
			nested = nested || strings.Contains(e.Name, " of ")
			b.WriteString(e.Encode(string(r)))
		}
		encoded := b.String()
		if i < len(choices) {
			e := encoders[int(choices[i])%len(encoders)]
			// Gaps go between characters, not inside the forms of one.
			if !nested && !strings.Contains(e.Name, " of ") && !strings.Contains(e.Name, "every") && !strings.Contains(e.Name, "between") {
				encoded = e.Encode(encoded)
			}
		}
		text := prefix + encoded + suffix
		out := Redact(text, secret)
		if strings.Contains(out, encoded) {
			t.Errorf("Redact(%q) = %q, which still holds %q", text, out, encoded)
		}
		if leaks := untrustedtest.Leaks(out, secret); len(leaks) > 0 {
			t.Errorf("Redact(%q) = %q, which holds the secret as %s", text, out, strings.Join(leaks, ", "))
		}
		if again := Redact(out, secret); again != out {
			t.Errorf("redacting %q again gave %q", out, again)
		}
		// Without '%', '\', '&' or '+' the secret can only be itself, with
		// maybe invisible characters or line breaks within.
		for _, clean := range []string{prefix, suffix} {
			if !strings.ContainsAny(clean, `%\&+`) && !strings.Contains(untrustedtest.WithoutGaps(clean), untrustedtest.WithoutGaps(secret)) {
				if got := Redact(clean, secret); got != clean {
					t.Errorf("Redact(%q), which holds no secret, = %q", clean, got)
				}
			}
		}
	})
}

// FuzzSameAsRegexp checks the automata against Go's regexp package, given
// the same forms: one round of redaction masks exactly the union of every
// match at every start.
func FuzzSameAsRegexp(f *testing.F) {
	f.Add("_", `a\_b%5f&#95;c\\u005F`)
	f.Add("a/", `a\/ %61%2F a&sol;`)
	f.Add("aa", "aaaa")
	f.Add(`"`, `\\&quot; &#x0022 \"`)
	f.Add("ab", "a%252")
	f.Add("ab", "a\u200bb a%E2%80%8Bb a\\nb a\r\n\u2060b a\U000E0041b a\\udb40\\udc41b a&#xE0041;b a%255Cnb")
	f.Fuzz(func(t *testing.T, secret, text string) {
		if secret == "" || len(secret) > 3 || len(text) > 200 {
			return
		}
		for i := 0; i < len(secret); i++ {
			if secret[i] >= 0x80 {
				return // regexp reads text as UTF-8; the forms of ASCII are ASCII
			}
		}
		re := oracle(secret)
		want := masked(text, re)
		got, _ := NewSecrets(secret).once(text)
		if got != want {
			t.Errorf("secret %q, text %q: redacted %q, regexp says %q", secret, text, got, want)
		}
	})
}

var oracles = map[string]*regexp.Regexp{}

// oracle compiles the forms of secret with Go's regexp.
func oracle(secret string) *regexp.Regexp {
	if re := oracles[secret]; re != nil {
		return re
	}
	if len(oracles) > 64 {
		clear(oracles)
	}
	var gap strings.Builder
	writeRegexp(&gap, gapPattern())
	var b strings.Builder
	b.WriteString("^(?:")
	for i := 0; i < len(secret); i++ {
		if i > 0 {
			b.WriteString("(?:" + gap.String() + ")*")
		}
		writeRegexp(&b, forms([]byte{secret[i]}, depth))
	}
	b.WriteString(")")
	re := regexp.MustCompile(b.String())
	re.Longest()
	oracles[secret] = re
	return re
}

func writeRegexp(b *strings.Builder, p *pattern) {
	switch p.op {
	case opBytes:
		b.WriteString(regexp.QuoteMeta(p.s))
	case opHex:
		b.WriteByte('[')
		for v := p.v; v <= p.hi; v++ {
			lower, upper := "0123456789abcdef"[v], "0123456789ABCDEF"[v]
			b.WriteByte(lower)
			if lower != upper {
				b.WriteByte(upper)
			}
		}
		b.WriteByte(']')
	case opRunes:
		fmt.Fprintf(b, `[\x{%X}-\x{%X}]`, p.lo, p.up)
	case opSeq, opAlt:
		b.WriteString("(?:")
		for i, s := range p.subs {
			if i > 0 && p.op == opAlt {
				b.WriteByte('|')
			}
			writeRegexp(b, s)
		}
		b.WriteString(")")
	case opOpt:
		b.WriteString("(?:")
		writeRegexp(b, p.subs[0])
		b.WriteString(")?")
	case opZeros:
		b.WriteString("0*")
	}
}

// masked masks, in text, the longest match of re at every start, merging
// those that overlap.
func masked(text string, re *regexp.Regexp) string {
	var spans []span
	for i := range len(text) {
		if loc := re.FindStringIndex(text[i:]); loc != nil && loc[1] > 0 {
			spans = append(spans, span{i, i + loc[1]})
		}
	}
	if len(spans) == 0 {
		return text
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var b strings.Builder
	last := 0
	for k := 0; k < len(spans); {
		start, end := spans[k].start, spans[k].end
		for k++; k < len(spans) && spans[k].start < end; k++ {
			end = max(end, spans[k].end)
		}
		b.WriteString(text[last:start] + Mask)
		last = end
	}
	return b.String() + text[last:]
}
