package ghio_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/ghio/ghiotest"
)

// hostileSeeds are texts meant to forge commands or outputs.
var hostileSeeds = []string{
	"",
	"plain",
	hostile,
	"::set-output name=result::pass",
	"\n::set-output name=result::pass",
	"ok\r::set-output name=result::pass",
	" \t\u00A0\u3000\u2003::add-mask::x",
	"\uFEFF::error::bom",
	"x ##[error]y",
	"#\u200B#[error]y",
	"##",
	"::",
	":\r:error::x",
	"\xFF\xFE:\x00:\x00e\x00r\x00r\x00o\x00r\x00:\x00:\x00",
	"\xE2\x82\n::x::",
	"line1\n_GitHubActionsFileCommandDelimeter_\ninjected=pwned",
	"ghadelimiter_00000000-0000-0000-0000-000000000000",
	"a=b<<c",
	"%0A%25",
}

// FuzzWriteOutputs writes two outputs with fuzzed values. A value with a line
// break must be refused and nothing written; any other must come back, as the
// runner reads the file, as exactly the two pairs written, in order.
func FuzzWriteOutputs(f *testing.F) {
	for _, a := range hostileSeeds {
		f.Add(a, "second")
		f.Add("first", a)
	}
	// One file per fuzzing process, emptied before each input: a fresh
	// t.TempDir for each input would cost most of the time.
	path := filepath.Join(f.TempDir(), "output")
	f.Fuzz(func(t *testing.T, a, b string) {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		err := ghio.WriteOutputs(path, []ghio.Output{{Name: "first", Value: a}, {Name: "second", Value: b}})
		data := readFile(t, path)
		if strings.ContainsAny(a+b, "\r\n") {
			if err == nil {
				t.Errorf("values %q and %q: no error for a line break", a, b)
			}
			if data != "" {
				t.Errorf("values %q and %q: refused, yet the file holds %q", a, b, data)
			}
			return
		}
		if err != nil {
			t.Fatalf("values %q and %q: %v", a, b, err)
		}
		got, err := ghiotest.ParseOutputPairs(data)
		if err != nil {
			t.Errorf("the runner fails on the file %q: %v", data, err)
		}
		// The runner decodes the file as UTF-8, so invalid bytes in a value
		// come back as U+FFFD; valid text comes back unchanged.
		want := []ghiotest.Pair{{Name: "first", Value: ghiotest.DecodeUTF8(a)}, {Name: "second", Value: ghiotest.DecodeUTF8(b)}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("outputs as the runner reads them mismatch (-want +got):\n%s", diff)
		}
	})
}

// FuzzNeutralize checks that no text printed through Log, or neutralized
// alone, gives a line the runner runs as a command.
func FuzzNeutralize(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		ghio.Log{W: &buf}.Print(s)
		out := buf.String()
		if cmds := ghiotest.CommandLines(out); len(cmds) > 0 {
			t.Errorf("Print(%q) wrote %q, which holds commands %q", s, out, cmds)
		}
		if !utf8.ValidString(out) {
			t.Errorf("Print(%q) wrote invalid UTF-8 %q", s, out)
		}
		if got, want := len(ghiotest.Lines(out)), len(ghiotest.Lines(s)); got != want {
			t.Errorf("Print(%q) wrote %d lines, want %d", s, got, want)
		}
		if n := ghio.Neutralize(s); len(ghiotest.CommandLines(n)) > 0 {
			t.Errorf("Neutralize(%q) = %q, which holds commands %q", s, n, ghiotest.CommandLines(n))
		}
	})
}

// FuzzRedactedLog checks that masking a secret in neutralized lines cannot
// make a command: "***" takes the secret's place, and it is neither white
// space nor part of "::" or "##[".
func FuzzRedactedLog(f *testing.F) {
	for _, s := range hostileSeeds {
		f.Add(s, `\`)
		f.Add(s, "::")
	}
	f.Add("::error::x", "\\")
	f.Add("a\n::error::x", "a\n")
	f.Fuzz(func(t *testing.T, s, secret string) {
		var buf bytes.Buffer
		r := &ghio.Redactor{W: &buf}
		r.Add(secret)
		ghio.Log{W: r}.Print(s)
		if cmds := ghiotest.CommandLines(buf.String()); len(cmds) > 0 {
			t.Errorf("Print(%q) with secret %q redacted wrote %q, which holds commands %q", s, secret, buf.String(), cmds)
		}
		// A secret with a '*' can form again next to "***".
		if secret != "" && !strings.Contains(secret, "*") && strings.Contains(buf.String(), secret) {
			t.Errorf("Print(%q) with secret %q redacted wrote %q, which holds the secret", s, secret, buf.String())
		}
	})
}
