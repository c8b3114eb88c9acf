// Package untrustedtest helps test that a secret leaks nowhere: it writes a
// secret in the forms that encoders give it, and finds those forms in text.
// It does not use package untrusted, so that it can check it.
package untrustedtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
)

// An Encoder writes text in another form.
type Encoder struct {
	Name   string
	Encode func(string) string
}

// Encoders are what the gate, the libraries it uses and the runner do to
// text on its way out, alone and one over another (those whose names say
// "of"), and what other programs do to it on its way in. Those that write
// letters and digits in another form too ("every" in their names) are meant
// for one character at a time: real encoders leave letters and digits
// alone.
var Encoders = []Encoder{
	{"itself", func(s string) string { return s }},
	{"markdown table cell", MarkdownCell},
	{"markdown, all punctuation", perRune(func(r rune) string {
		if r < 0x80 && isPunct(byte(r)) {
			return `\` + string(r)
		}
		return string(r)
	})},
	{"html.EscapeString", html.EscapeString},
	{"json", jsonString(true)},
	{"json without html escaping", jsonString(false)},
	{"strconv.Quote", func(s string) string { q := strconv.Quote(s); return q[1 : len(q)-1] }},
	{"strconv.QuoteToASCII", func(s string) string { q := strconv.QuoteToASCII(s); return q[1 : len(q)-1] }},
	{"url.QueryEscape", url.QueryEscape},
	{"url.PathEscape", url.PathEscape},
	{"percent, every byte, upper", perByte("%%%02X")},
	{"percent, every byte, lower", perByte("%%%02x")},
	{"json unicode, every character, lower", jsonUnicode(`\u%04x`)},
	{"json unicode, every character, upper", jsonUnicode(`\u%04X`)},
	{"go hex, every byte", perByte(`\x%02x`)},
	{"html decimal, every character", perRune(func(r rune) string { return fmt.Sprintf("&#%d;", r) })},
	{"html decimal, every character, zeros, no semicolon", perRune(func(r rune) string { return fmt.Sprintf("&#%07d", r) })},
	{"html hex, every character", perRune(func(r rune) string { return fmt.Sprintf("&#x%X;", r) })},
	{"percent, punctuation, upper", perPunct("%%%02X")},
	{"percent, punctuation, lower", perPunct("%%%02x")},
	{"json unicode, punctuation, lower", perPunct(`\u%04x`)},
	{"json unicode, punctuation, upper", perPunct(`\u%04X`)},
	{"html decimal, punctuation", perPunct("&#%d;")},
	{"html hex, punctuation", perPunct("&#x%x;")},
	{"runner data", RunnerData},
	{"runner property", runnerProperty},
	{"markdown of strconv.Quote", func(s string) string { q := strconv.Quote(s); return MarkdownCell(q[1 : len(q)-1]) }},
	{"json of markdown", func(s string) string { return jsonString(true)(MarkdownCell(s)) }},
	{"runner of percent", func(s string) string { return RunnerData(url.QueryEscape(s)) }},
	{"runner of json unicode", func(s string) string { return RunnerData(jsonString(true)(s)) }},
	{"markdown of html decimal, every character", func(s string) string {
		return MarkdownCell(perRune(func(r rune) string { return fmt.Sprintf("&#%d;", r) })(s))
	}},
	{"json of percent, every byte", func(s string) string { return jsonString(true)(perByte("%%%02x")(s)) }},
	{"html of json", func(s string) string { return html.EscapeString(jsonString(true)(s)) }},
	{"zero width space between characters", Between("\u200b")},
	{"word joiner between characters", Between("\u2060")},
	{"soft hyphen between characters", Between("\u00ad")},
	{"combining grapheme joiner between characters", Between("\u034f")},
	{"byte order mark between characters", Between("\ufeff")},
	{"variation selector between characters", Between("\ufe0f")},
	{"bidi override between characters", Between("\u202e")},
	{"tag character between characters", Between("\U000E0041")},
	{"line feed between characters", Between("\n")},
	{"carriage return and line feed between characters", Between("\r\n")},
	{"line separator between characters", Between("\u2028")},
	{"strconv.QuoteToASCII of zero width space between characters", func(s string) string {
		q := strconv.QuoteToASCII(Between("\u200b")(s))
		return q[1 : len(q)-1]
	}},
	{"json of line feed between characters", func(s string) string { return jsonString(true)(Between("\n")(s)) }},
	{"url.QueryEscape of zero width space between characters", func(s string) string { return url.QueryEscape(Between("\u200b")(s)) }},
	{"runner data of carriage return and line feed between characters", func(s string) string { return RunnerData(Between("\r\n")(s)) }},
	{"html reference of zero width space between characters", Between("&#8203;")},
	{"json of tag character between characters", Between(`\udb40\udc41`)},
}

// Between puts gap between every two characters: what leaves a secret
// whole to the eye (see Gaps).
func Between(gap string) func(string) string {
	return func(s string) string {
		var b strings.Builder
		for i, r := range s {
			if i > 0 {
				b.WriteString(gap)
			}
			b.WriteRune(r)
		}
		return b.String()
	}
}

// Gaps are what may come between two characters of a secret and leave it
// whole to the eye: characters that show nothing (Unicode's
// Default_Ignorable_Code_Point) and line breaks, which a summary shows as a
// space and which split a log line; as themselves, and as encoders write
// them.
var Gaps = []string{
	"\u00ad", "\u034f", "\u061c", "\u115f", "\u1160", "\u17b4", "\u17b5", "\u180b", "\u180e", "\u180f",
	"\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2060", "\u2064", "\u206f",
	"\u3164", "\ufe00", "\ufe0f", "\ufeff", "\uffa0", "\U0001BCA0", "\U0001BCA3", "\U0001D173", "\U0001D17A",
	"\U000E0000", "\U000E0001", "\U000E0041", "\U000E0FFF",
	"\n", "\r", "\r\n", "\u2028", "\u2029",
	`\u200b`, `\u200B`, `\u2028`, `\ufeff`, "%E2%80%8B", "%e2%80%8b", "%C2%AD", "&#8203;", "&#x200B", "&#173;",
	`\n`, `\r\n`, "%0A", "%0D%0A", "&#10;", "&NewLine;",
	`\udb40\udc41`, `\U000e0041`, "%F3%A0%81%81", "&#xE0041;",
}

// WithoutGaps is s without the characters that show nothing and the line
// breaks, as themselves: what a reader sees of it.
func WithoutGaps(s string) string {
	return strings.Map(func(r rune) rune {
		if invisible(r) {
			return -1
		}
		return r
	}, s)
}

// invisible reports a Default_Ignorable_Code_Point or a line break. It does
// not share the list of package untrusted, so that it can check it.
func invisible(r rune) bool {
	switch {
	case r == '\n', r == '\r', r == 0x2028, r == 0x2029,
		r == 0x00AD, r == 0x034F, r == 0x061C, r >= 0x115F && r <= 0x1160, r >= 0x17B4 && r <= 0x17B5,
		r >= 0x180B && r <= 0x180F, r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E,
		r >= 0x2060 && r <= 0x206F, r == 0x3164, r >= 0xFE00 && r <= 0xFE0F, r == 0xFEFF, r == 0xFFA0,
		r >= 0x1BCA0 && r <= 0x1BCA3, r >= 0x1D173 && r <= 0x1D17A, r >= 0xE0000 && r <= 0xE0FFF:
		return true
	}
	return false
}

// Encode writes s with the encoder of that name.
func Encode(name, s string) string {
	for _, e := range Encoders {
		if e.Name == name {
			return e.Encode(s)
		}
	}
	panic("untrustedtest: no encoder " + name)
}

// Leaks names every encoder whose form of secret text holds.
func Leaks(text, secret string) []string {
	var found []string
	for _, e := range Encoders {
		if strings.Contains(text, e.Encode(secret)) {
			found = append(found, fmt.Sprintf("%s (%q)", e.Name, e.Encode(secret)))
		}
	}
	return found
}

func isPunct(b byte) bool {
	return b >= '!' && b <= '/' || b >= ':' && b <= '@' || b >= '[' && b <= '`' || b >= '{' && b <= '~'
}

func perRune(f func(rune) string) func(string) string {
	return func(s string) string {
		var b strings.Builder
		for _, r := range s {
			b.WriteString(f(r))
		}
		return b.String()
	}
}

// perPunct writes ASCII punctuation with format, and leaves the rest.
func perPunct(format string) func(string) string {
	return func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			if isPunct(s[i]) {
				fmt.Fprintf(&b, format, s[i])
			} else {
				b.WriteByte(s[i])
			}
		}
		return b.String()
	}
}

func perByte(format string) func(string) string {
	return func(s string) string {
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			fmt.Fprintf(&b, format, s[i])
		}
		return b.String()
	}
}

// jsonUnicode writes every character as JSON's \uXXXX, past U+FFFF as a
// surrogate pair.
func jsonUnicode(format string) func(string) string {
	return func(s string) string {
		var b strings.Builder
		for _, u := range utf16.Encode([]rune(s)) {
			fmt.Fprintf(&b, format, u)
		}
		return b.String()
	}
}

func jsonString(escapeHTML bool) func(string) string {
	return func(s string) string {
		var b bytes.Buffer
		e := json.NewEncoder(&b)
		e.SetEscapeHTML(escapeHTML)
		if err := e.Encode(s); err != nil {
			panic(err)
		}
		out := strings.TrimSuffix(b.String(), "\n")
		return out[1 : len(out)-1]
	}
}

// MarkdownCell escapes as the report's table cells do.
func MarkdownCell(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '"':
			b.WriteString("&quot;")
		case '\\', '`', '*', '_', '[', ']', '|', '~', '#', '!', '$', '@':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// RunnerData escapes as the runner's workflow commands escape their data.
func RunnerData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func runnerProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
