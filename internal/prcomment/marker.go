package prcomment

import (
	"slices"
	"strings"
)

const (
	markerPrefix = "<!-- sigmagate: "
	markerSuffix = " -->"
)

// Marker returns the hidden first line of the comment of the agents
// agentIDs: "<!-- sigmagate: agent_a, agent_b -->". The ids are sorted and
// deduplicated, so the same set in any order has the same marker, and
// matrix jobs that gate different sets keep a comment each. Empty ids are
// left out.
//
// An id is written as it is except for bytes that could end the HTML comment,
// break the line or blur where one id ends: each of those is written %XX,
// '%' included, so that two different sets never share a marker. A '-' is
// written as it is unless it follows another, so that "--" (and with it
// "-->") never appears inside.
func Marker(agentIDs []string) string {
	ids := make([]string, 0, len(agentIDs))
	for _, id := range agentIDs {
		if id != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var b strings.Builder
	b.WriteString(markerPrefix)
	for i, id := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		for j := 0; j < len(id); j++ {
			c := id[j]
			switch {
			case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == ':', c == '/', c == '@', c == '+', c == '=':
				b.WriteByte(c)
			case c == '-' && (j == 0 || id[j-1] != '-'):
				b.WriteByte(c)
			default:
				const hex = "0123456789ABCDEF"
				b.WriteByte('%')
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
			}
		}
	}
	b.WriteString(markerSuffix)
	return b.String()
}

// validMarker reports whether m is one line that Marker could have made: the
// test of "ours" is the comment's first line, so a marker that spans lines or
// is not a closed HTML comment would never be found again.
func validMarker(m string) bool {
	inner, ok := strings.CutPrefix(m, markerPrefix)
	if !ok {
		return false
	}
	inner, ok = strings.CutSuffix(inner, markerSuffix)
	return ok && !strings.ContainsAny(inner, "\r\n<>") && !strings.Contains(inner, "--")
}

// hasMarker reports whether body's first line is marker, exactly.
func hasMarker(body, marker string) bool {
	rest, ok := strings.CutPrefix(body, marker)
	return ok && (rest == "" || rest[0] == '\n' || strings.HasPrefix(rest, "\r\n"))
}
