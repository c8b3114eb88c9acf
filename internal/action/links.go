package action

import (
	"fmt"
	"strings"

	"github.com/sigmagate/sigmagate/report"
)

// batchURL is the link of a batch run by the template (input
// batch-url-template, checked when read); "" without a template. The ids
// come from the API: each is percent-encoded whole but for the unreserved
// characters (stricter than url.PathEscape, which keeps '&', '=', '+' and
// ';', which would change a query), so no id can add a path segment, a
// query or a fragment. An id that is empty, "." or ".." gets no link:
// browsers resolve those, encoded or not, as path steps.
func batchURL(template, agentID, batchID string) string {
	if template == "" {
		return ""
	}
	for _, id := range []string{agentID, batchID} {
		if id == "" || id == "." || id == ".." {
			return ""
		}
	}
	return strings.NewReplacer("{agentId}", escapeID(agentID), "{batchId}", escapeID(batchID)).Replace(template)
}

func escapeID(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// link gives every batch run of r its URL, redacted.
func link(r report.Result, template string, redact func(string) string) report.Result {
	if template == "" {
		return r
	}
	rows := make([]report.Row, len(r.Rows))
	for i, row := range r.Rows {
		row.URL = redact(batchURL(template, r.AgentID, row.Batch.ID))
		rows[i] = row
	}
	r.Rows = rows
	if st := r.Started; st != nil {
		c := *st
		c.URLs = make([]string, len(c.BatchIDs))
		for i, id := range c.BatchIDs {
			c.URLs[i] = redact(batchURL(template, r.AgentID, id))
		}
		r.Started = &c
	}
	return r
}

// maxAnnotationURLs bounds the links an annotation carries: the rules judge
// the gated batch runs pooled, so each of them broke it, but an annotation
// is a line, not a list.
const maxAnnotationURLs = 3

// gatedURLs names where to look at the batch runs that broke a rule, for
// an annotation: "; see URL, URL", the gated runs newest first; "" without
// links.
func gatedURLs(r report.Result) string {
	var urls []string
	more := 0
	for _, row := range r.Rows {
		if row.Role != report.Gated || row.URL == "" {
			continue
		}
		if len(urls) == maxAnnotationURLs {
			more++
			continue
		}
		urls = append(urls, row.URL)
	}
	if len(urls) == 0 {
		return ""
	}
	s := "; see " + strings.Join(urls, ", ")
	if more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}
