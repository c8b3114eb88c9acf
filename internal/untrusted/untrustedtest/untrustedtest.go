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
