package main

import (
	"encoding/json"
	"github.com/sigmagate/sigmagate/internal/steptest"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigmagate/sigmagate/internal/ghio/ghiotest"
	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
)

// TestKeyBrokenUpNeverShows: an agent name, a test case's label or prompt
// holding the key broken up by characters that show nothing, or by a line
// break, must not show the key in the summary, the outputs or the log. A
// reader sees through those characters, and through the escaping each
// place applies, so that is what is searched: the text unescaped, without
// them.
func TestKeyBrokenUpNeverShows(t *testing.T) {
	t.Parallel()
	gaps := map[string]string{
		"zero width space": "\u200b", "word joiner": "\u2060", "soft hyphen": "\u00ad",
		"combining grapheme joiner": "\u034f", "byte order mark": "\ufeff", "variation selector": "\ufe0f",
		"bidi override": "\u202e", "mongolian vowel separator": "\u180e", "tag character": "\U000E0041",
		"line feed": "\n", "carriage return": "\r", "crlf": "\r\n", "line separator": "\u2028",
		"several": "\u200b\n\u2060",
	}
	places := map[string]func(b *runText, s string){
		"agent name": func(b *runText, s string) { b.agent = s },
		"label":      func(b *runText, s string) { b.label = s },
		"prompt":     func(b *runText, s string) { b.prompt = s },
	}
	for gapName, gap := range gaps {
		for place, set := range places {
			t.Run(gapName+"/"+place, func(t *testing.T) {
				t.Parallel()
				var text runText
				set(&text, "note "+untrustedtest.Between(gap)(steptest.Key)+" end")
				b := steptest.Run5("batch_x", time.Now().Add(-time.Hour), 4, 1)
				b.Agent.Name = text.agent
				b.TestCases[0].Label, b.TestCases[0].UserPrompt = text.label, text.prompt
				s := runStep(t, with(steptest.NewFake(t, b)), nil)
				s.CheckHygiene(t)
				s.CheckNoKey(t, steptest.Key)
				if s.Exit != 1 {
					t.Errorf("exit %d, want 1 (the batch run fails)", s.Exit)
				}
				outputs := ""
				for k, v := range s.Outputs {
					outputs += k + "=" + v + "\n"
				}
				var log strings.Builder
				for _, line := range strings.Split(s.Stdout+s.Stderr, "\n") {
					if !strings.HasPrefix(line, "::add-mask::") {
						log.WriteString(line + "\n")
					}
				}
				for where, text := range map[string]string{"log": log.String(), "summary": s.Summary, "outputs": outputs} {
					if seen := asRead(text); strings.Contains(seen, steptest.Key) {
						i := strings.Index(seen, steptest.Key)
						t.Errorf("the key shows in the %s: ...%q...", where, seen[max(0, i-40):min(len(seen), i+len(steptest.Key)+40)])
					}
				}
				if !redactedNote.MatchString(s.Summary) {
					t.Errorf("the text, redacted, is not in the summary:\n%s", s.Summary)
				}
			})
		}
	}
}

// runText is where a batch run's text goes.
type runText struct{ agent, label, prompt string }

var (
	// The text as it was written, redacted: a table cell escapes the mask.
	redactedNote = regexp.MustCompile(`note (\\\*){3} end|note \*\*\* end`)
	jsonEscape   = regexp.MustCompile(`\\u[0-9a-fA-F]{4}|\\[nrt"\\/]`)
	backslash    = regexp.MustCompile(`\\(.)`)
)

// asRead is text as a reader sees it: the runner's escaping of workflow
// commands, JSON's escapes, HTML references and markdown's backslashes
// undone, and characters that show nothing and line breaks removed.
func asRead(s string) string {
	s = ghiotest.UnescapeData(s)
	s = jsonEscape.ReplaceAllStringFunc(s, func(e string) string {
		var out string
		if err := json.Unmarshal([]byte(`"`+e+`"`), &out); err != nil {
			return e
		}
		return out
	})
	// A pair of escaped surrogates, as JSON writes a tag character, is
	// left as two replacement characters above; Go's quoting reads it.
	if u, err := strconv.Unquote(`"` + strings.ReplaceAll(s, `"`, `\"`) + `"`); err == nil {
		s = u
	}
	s = html.UnescapeString(s)
	s = backslash.ReplaceAllString(s, "$1")
	return untrustedtest.WithoutGaps(s)
}
