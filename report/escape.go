package report

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// cell makes untrusted text safe for a markdown table cell: one line, cut to
// limit runes, no HTML, and no character that could end the cell, start a
// code span, a link or emphasis. Every row keeps its columns whatever the
// text holds.
func cell(s string, limit int) string {
	s = untrusted.Cut(untrusted.OneLine(s), limit)
	var b strings.Builder
	b.Grow(len(s) + 8)
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
			// GitHub renders \-escaped punctuation literally; '$' would
			// start math and '@' a mention.
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// link makes a markdown link of untrusted text to u, or the text alone when
// u is empty. The text is escaped as a cell; in u, every byte that could end
// the destination, split the table row, open HTML or start an entity is
// percent-encoded ('&' is written as an entity, which the destination
// decodes back), so whatever u holds, the link and its row stay whole.
func link(text, u string, limit int) string {
	t := cell(text, limit)
	if u == "" {
		return t
	}
	return "[" + t + "](" + linkURL(u) + ")"
}

func linkURL(u string) string { return encodeURL(u, true) }

// encodeURL percent-encodes every byte of u that is not printable ASCII or
// that markdown or HTML could read as syntax; with entity, '&' becomes
// "&amp;" (markdown decodes it back), else it is kept.
func encodeURL(u string, entity bool) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(u) + 8)
	for i := 0; i < len(u); i++ {
		switch c := u[i]; {
		case c == '&' && entity:
			b.WriteString("&amp;")
		case c <= ' ' || c >= 0x7f || strings.IndexByte("()<>[]|\\`\"'", c) >= 0:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// html makes untrusted text safe inside an HTML element such as <pre> or
// <summary>: nothing in it can close the element or open another.
func html(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r == '\r' || unicode.IsControl(r) || r == utf8.RuneError:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	// Entities render the same, and keep a line of the summary from
	// reading as a workflow command if it is ever printed to a log.
	out := strings.ReplaceAll(b.String(), "::", ":&#58;")
	return strings.ReplaceAll(out, "##[", "##&#91;")
}

// wrap breaks lines longer than width runes at their last space within it,
// or at width when they have none: GitHub does not wrap a <pre>, and a
// prompt on one long line would scroll sideways out of sight.
func wrap(s string, width int) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/width + 1)
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		for utf8.RuneCountInString(line) > width {
			end, space, n := len(line), -1, 0
			for j, r := range line {
				if n == width {
					end = j
					break
				}
				if r == ' ' && n > 0 {
					space = j
				}
				n++
			}
			if space > 0 && !unicode.IsSpace(firstRune(line[end:])) {
				b.WriteString(line[:space])
				line = line[space+1:]
			} else {
				b.WriteString(strings.TrimRight(line[:end], " "))
				line = strings.TrimLeft(line[end:], " ")
			}
			b.WriteByte('\n')
		}
		b.WriteString(line)
	}
	return b.String()
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}
