package ghio_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/ghio/ghiotest"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

func TestNeutralize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{name: "normal text", in: "score 0.93 for agent a-1", want: "score 0.93 for agent a-1"},
		{name: "empty", in: "", want: ""},
		{name: "leading ::", in: "::error::fake", want: `\::error::fake`},
		{name: "leading :: only", in: "::", want: `\::`},
		{name: "one colon", in: ":x", want: ":x"},
		{name: "spaces", in: "   ::set-output name=result::pass", want: `   \::set-output name=result::pass`},
		{name: "tab", in: "\t::warning::x", want: "\t\\::warning::x"},
		{name: "NBSP", in: "\u00A0::add-mask::x", want: "\u00A0\\::add-mask::x"},
		{name: "U+3000", in: "\u3000::stop-commands::t", want: "\u3000\\::stop-commands::t"},
		{name: "mixed .NET white space", in: " \u2003\u205F\u3000::error::x", want: " \u2003\u205F\u3000\\::error::x"},
		// Control characters become U+FFFD, which is not white space to the
		// runner either: the line no longer starts with "::".
		{name: "control white space", in: " \v\f\u0085::error::x", want: " \uFFFD\uFFFD\uFFFD::error::x"},
		{name: "ANSI escape", in: "ok \x1b[8mhidden\x1b[0m", want: "ok \uFFFD[8mhidden\uFFFD[0m"},
		{name: "byte order mark", in: "\uFEFF::error::x", want: "\uFEFF\\::error::x"},
		{name: "## mid-line", in: "label ##[error]bar", want: `label ##\[error]bar`},
		{name: "## at start", in: "##[set-output name=result]pass", want: `##\[set-output name=result]pass`},
		{name: "## twice", in: "##[a]##[b]", want: `##\[a]##\[b]`},
		{name: "### ", in: "###[x]", want: `###\[x]`},
		{name: "both", in: " ::x:: ##[y]", want: ` \::x:: ##\[y]`},
		{name: ":: mid-line left alone", in: "a ::error::b", want: "a ::error::b"},
		{name: "a::b::c left alone", in: "a::b::c", want: "a::b::c"},
		{name: "zero-width space is not white space", in: "\u200B::error::x", want: "\u200B::error::x"},
		{name: "carriage return inside", in: "ok\r::set-output name=x::y", want: "ok\r\\::set-output name=x::y"},
		{name: "newline inside", in: "ok\n  ::error::y\r\n##[z]", want: "ok\n  \\::error::y\r\n##\\[z]"},
		{name: "UTF-16 byte order mark bytes", in: "\xFF\xFE:\x00:\x00", want: "\uFFFD:\uFFFD:\uFFFD"},
		{name: "invalid UTF-8", in: "a\xC0b", want: "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ghio.Neutralize(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Neutralize(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if cmds := ghiotest.CommandLines(got); len(cmds) > 0 {
				t.Errorf("Neutralize(%q) = %q, which the runner runs as %q", tt.in, got, cmds)
			}
		})
	}
}

// hostile is text an API could send to make a step's log run commands.
const hostile = "agent \"a\"\n" +
	"::set-output name=result::pass\n" +
	"  ::add-mask::everything\r\n" +
	"\t::stop-commands::token\n" +
	"\u00A0\u3000::error file=x.go::fake\n" +
	"ok\r::warning::after a carriage return\n" +
	"mid ##[set-output name=passed;]true\n" +
	"##[error]legacy at start\r" +
	"\uFEFF::notice::bom\n" +
	"last line without newline ::not-at-start::"

func TestLogPrint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{name: "one line", in: "hello", want: "hello\n"},
		{name: "empty", in: "", want: ""},
		{name: "lines", in: "a\nb\n", want: "a\nb\n"},
		{name: "empty lines kept", in: "a\n\nb", want: "a\n\nb\n"},
		{name: "line ends", in: "a\r\nb\rc\n", want: "a\nb\nc\n"},
		{name: "only carriage returns", in: "\r\r", want: "\n\n"},
		{name: "hostile", in: hostile, want: "agent \"a\"\n" +
			"\\::set-output name=result::pass\n" +
			"  \\::add-mask::everything\n" +
			"\t\\::stop-commands::token\n" +
			"\u00A0\u3000\\::error file=x.go::fake\n" +
			"ok\n" +
			"\\::warning::after a carriage return\n" +
			"mid ##\\[set-output name=passed;]true\n" +
			"##\\[error]legacy at start\n" +
			"\uFEFF\\::notice::bom\n" +
			"last line without newline ::not-at-start::\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			ghio.Log{W: &buf}.Print(tt.in)
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("Print(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if cmds := ghiotest.CommandLines(buf.String()); len(cmds) > 0 {
				t.Errorf("Print(%q) wrote command lines %q", tt.in, cmds)
			}
		})
	}
}

func TestLogPrintf(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	ghio.Log{W: &buf}.Printf("label %q: %s (%d%%)", "x\n::error::y", "\n::set-output name=a::b\r##[error]c", 5)
	want := "label \"x\\n::error::y\": \n\\::set-output name=a::b\n##\\[error]c (5%)\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("Printf mismatch (-want +got):\n%s", diff)
	}
	if cmds := ghiotest.CommandLines(buf.String()); len(cmds) > 0 {
		t.Errorf("Printf wrote command lines %q", cmds)
	}
}

func TestRedactor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{name: "no secret", in: "key abc123", want: "key abc123"},
		{name: "empty secret ignored", secrets: []string{""}, in: "key abc", want: "key abc"},
		{name: "every occurrence", secrets: []string{"abc123"}, in: "abc123 and abc123\n", want: "*** and ***\n"},
		{name: "several secrets", secrets: []string{"k1", "k2"}, in: "k2 k1 k3", want: "*** *** k3"},
		{name: "repeated", secrets: []string{"abc"}, in: "abcabc", want: "******"},
		{name: "self-overlapping", secrets: []string{"aa"}, in: "aaa", want: "***"},
		{name: "shorter first, longer holds it", secrets: []string{"abc", "abcdef"}, in: "x abcdef y", want: "x *** y"},
		{name: "longer first", secrets: []string{"abcdef", "abc"}, in: "abcdef abc", want: "*** ***"},
		{name: "overlapping, neither holds the other", secrets: []string{"abcd", "cdef"}, in: "abcdef", want: "***"},
		{name: "multi-line secret", secrets: []string{"a\nb"}, in: "xa\nby", want: "x***y"},
		{name: "secret is the whole text", secrets: []string{"s3cr3t"}, in: "s3cr3t", want: "***"},
		{name: "empty write", secrets: []string{"s"}, in: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			r := &ghio.Redactor{W: &buf}
			for _, s := range tt.secrets {
				r.Add(s)
			}
			n, err := r.Write([]byte(tt.in))
			if err != nil || n != len(tt.in) {
				t.Errorf("Write(%q) = %d, %v; want %d, nil", tt.in, n, err, len(tt.in))
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("Write(%q) with secrets %q mismatch (-want +got):\n%s", tt.in, tt.secrets, diff)
			}
		})
	}
}

func TestRedactorAddLater(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &ghio.Redactor{W: &buf}
	fmt.Fprint(r, "before: key\n")
	r.Add("key")
	fmt.Fprint(r, "after: key\n")
	if diff := cmp.Diff("before: key\nafter: ***\n", buf.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRedactorWriteError(t *testing.T) {
	t.Parallel()
	r := &ghio.Redactor{W: failWriter{}}
	r.Add("x")
	n, err := r.Write([]byte("x y"))
	if n != 0 || err == nil {
		t.Errorf("Write to a failing writer = %d, %v; want 0 and an error", n, err)
	}
}

// newAction is a real githubactions.Action that writes to buf and sees no
// environment.
func newAction(buf *bytes.Buffer) *githubactions.Action {
	return githubactions.New(githubactions.WithWriter(buf), githubactions.WithGetenv(func(string) string { return "" }))
}

func TestAnnotatorLimits(t *testing.T) {
	t.Parallel()
	var buf, plain bytes.Buffer
	a := &ghio.Annotator{Action: newAction(&buf), Log: ghio.Log{W: &plain}}
	for i := range 15 {
		a.Error(fmt.Sprintf("e%d", i))
		if i < 12 {
			a.Warning(fmt.Sprintf("w%d", i))
		}
	}
	// The runner attaches 10 of each kind; the rest go to the log as plain
	// lines, so that none is lost.
	var want, wantPlain []string
	for i := range 15 {
		if i < ghio.Annotations {
			want = append(want, fmt.Sprintf("::error::e%d", i), fmt.Sprintf("::warning::w%d", i))
			continue
		}
		wantPlain = append(wantPlain, fmt.Sprintf("error: e%d", i))
		if i < 12 {
			wantPlain = append(wantPlain, fmt.Sprintf("warning: w%d", i))
		}
	}
	got := ghiotest.Lines(buf.String())
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, ghiotest.CommandLines(buf.String())); diff != "" {
		t.Errorf("command lines mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantPlain, ghiotest.Lines(plain.String())); diff != "" {
		t.Errorf("plain lines mismatch (-want +got):\n%s", diff)
	}
}

func TestAnnotatorHostile(t *testing.T) {
	t.Parallel()
	msgs := []string{
		"boom\n::set-output name=x::y",
		"a\r::add-mask::b",
		"x\r\n::stop-commands::t",
		"100% done %0A %25 %0D",
		"::error::nested",
		"##[error]legacy",
		"  ::warning::indented",
		"tail\n",
		"",
	}
	for _, msg := range msgs {
		var buf bytes.Buffer
		a := &ghio.Annotator{Action: newAction(&buf)}
		a.Error(msg)
		a.Warning(msg)
		lines := ghiotest.Lines(buf.String())
		if diff := cmp.Diff(lines, ghiotest.CommandLines(buf.String())); diff != "" || len(lines) != 2 {
			t.Errorf("Error and Warning(%q) wrote %q; want two command lines (-lines +commands):\n%s", msg, buf.String(), diff)
			continue
		}
		for i, kind := range []string{"error", "warning"} {
			data, ok := strings.CutPrefix(lines[i], "::"+kind+"::")
			if !ok {
				t.Errorf("line %q does not start with ::%s::", lines[i], kind)
			}
			if diff := cmp.Diff(msg, ghiotest.UnescapeData(data)); diff != "" {
				t.Errorf("%s message as the runner reads it mismatch (-want +got):\n%s", kind, diff)
			}
		}
	}
}

func TestAnnotatorLong(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, msg string
		cut       bool
	}{
		{name: "4000 bytes", msg: strings.Repeat("a", 4000)},
		{name: "4001 bytes", msg: strings.Repeat("a", 4001), cut: true},
		{name: "2-byte runes", msg: "a" + strings.Repeat("é", 3000), cut: true},
		{name: "3-byte runes", msg: "ab" + strings.Repeat("✓", 2000), cut: true},
		{name: "4-byte runes", msg: "a" + strings.Repeat("😀", 1500), cut: true},
		{name: "percent signs expand only in the escaped form", msg: strings.Repeat("%", 4000)},
		{name: "line breaks", msg: strings.Repeat("\n", 5000), cut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			a := &ghio.Annotator{Action: newAction(&buf)}
			a.Error(tt.msg)
			lines := ghiotest.Lines(buf.String())
			if len(lines) != 1 {
				t.Fatalf("wrote %d lines, want 1", len(lines))
			}
			data, ok := strings.CutPrefix(lines[0], "::error::")
			if !ok {
				t.Fatalf("line does not start with ::error::")
			}
			got := ghiotest.UnescapeData(data)
			if !utf8.ValidString(got) {
				t.Errorf("message is not valid UTF-8")
			}
			if !tt.cut {
				if got != tt.msg {
					t.Errorf("message of %d bytes was changed", len(tt.msg))
				}
				return
			}
			kept, ok := strings.CutSuffix(got, "…")
			if !ok || !strings.HasPrefix(tt.msg, kept) || len(kept) > 4000 || len(kept) < 4000-3 {
				t.Errorf("message of %d bytes became %d bytes, want a prefix of 3997 to 4000 bytes and \"…\"", len(tt.msg), len(got))
			}
			// The runner cuts at 4,096 UTF-16 code units.
			if n := len(utf16Units(got)); n > 4096 {
				t.Errorf("message is %d UTF-16 code units, over the runner's 4096", n)
			}
		})
	}
}

func utf16Units(s string) []struct{} {
	var n []struct{}
	for _, r := range s {
		n = append(n, struct{}{})
		if r > 0xFFFF {
			n = append(n, struct{}{})
		}
	}
	return n
}

func TestAnnotatorPlain(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	a := &ghio.Annotator{Log: ghio.Log{W: &buf}}
	a.Error("boom\n::set-output name=x::y")
	a.Warning("w ##[error]z\r::add-mask::k")
	want := "error: boom\n" +
		"\\::set-output name=x::y\n" +
		"warning: w ##\\[error]z\n" +
		"\\::add-mask::k\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("plain annotations mismatch (-want +got):\n%s", diff)
	}
	if cmds := ghiotest.CommandLines(buf.String()); len(cmds) > 0 {
		t.Errorf("plain annotations wrote command lines %q", cmds)
	}
}

func TestAnnotatorPlainHasNoCap(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	a := &ghio.Annotator{Log: ghio.Log{W: &buf}}
	for i := range 13 {
		a.Error(fmt.Sprintf("::e%d::", i))
	}
	a.Warning(strings.Repeat("x", 5000))
	// On a terminal there is no cap: every message is a line.
	var want []string
	for i := range 13 {
		want = append(want, fmt.Sprintf("error: ::e%d::", i))
	}
	want = append(want, "warning: "+strings.Repeat("x", 4000)+"…")
	if diff := cmp.Diff(want, ghiotest.Lines(buf.String())); diff != "" {
		t.Errorf("plain annotations mismatch (-want +got):\n%s", diff)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestWriteOutputsRoundTrip(t *testing.T) {
	t.Parallel()
	values := []string{
		"plain",
		"",
		"  padded  ",
		"\t",
		"_GitHubActionsFileCommandDelimeter_",
		"ghadelimiter_",
		"ghadelimiter_00000000000000000000000000000000",
		"EOF",
		"a=b",
		"=",
		"x<<EOF",
		"<<",
		"%",
		"%0A%25%0D",
		"unicode ✓ 日本語 😀 \u00A0\u2028\u0085",
		"\uFEFF",
		"::set-output name=result::pass",
		"##[error]x",
		`{"batch":["b-1","b-2"],"rate":0.25}`,
		strings.Repeat("long ", 20000),
	}
	var outs []ghio.Output
	var want []ghiotest.Pair
	for i, v := range values {
		name := fmt.Sprintf("out_%d-x", i)
		outs = append(outs, ghio.Output{Name: name, Value: v})
		want = append(want, ghiotest.Pair{Name: name, Value: v})
	}
	path := filepath.Join(t.TempDir(), "output")
	if err := ghio.WriteOutputs(path, outs); err != nil {
		t.Fatal(err)
	}
	// A second call appends.
	if err := ghio.WriteOutputs(path, []ghio.Output{{Name: "again", Value: "v"}}); err != nil {
		t.Fatal(err)
	}
	want = append(want, ghiotest.Pair{Name: "again", Value: "v"})
	got, err := ghiotest.ParseOutputPairs(readFile(t, path))
	if err != nil {
		t.Fatalf("the runner could not read the file: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs as the runner reads them mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteOutputsNone(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	if err := ghio.WriteOutputs(path, nil); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "" {
		t.Errorf("file holds %q, want nothing", got)
	}
}

func TestWriteOutputsRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		out     ghio.Output
		wantErr string
	}{
		{name: "newline", out: ghio.Output{Name: "v", Value: "line1\nforged=1"}, wantErr: "output v holds a line break; outputs are single lines"},
		{name: "carriage return", out: ghio.Output{Name: "v", Value: "a\rb"}, wantErr: "output v holds a line break; outputs are single lines"},
		{name: "trailing newline", out: ghio.Output{Name: "v", Value: "a\n"}, wantErr: "output v holds a line break; outputs are single lines"},
		{name: "delimiter injection", out: ghio.Output{Name: "v", Value: "x\n_GitHubActionsFileCommandDelimeter_\ninjected=pwned"}, wantErr: "output v holds a line break; outputs are single lines"},
		{name: "empty name", out: ghio.Output{Name: "", Value: "x"}, wantErr: `output name "" is not valid`},
		{name: "name with =", out: ghio.Output{Name: "a=b", Value: "x"}, wantErr: `output name "a=b" is not valid`},
		{name: "name with <<", out: ghio.Output{Name: "a<<b", Value: "x"}, wantErr: `output name "a<<b" is not valid`},
		{name: "name starts with a digit", out: ghio.Output{Name: "1x", Value: "x"}, wantErr: `output name "1x" is not valid`},
		{name: "name with a space", out: ghio.Output{Name: "a b", Value: "x"}, wantErr: `output name "a b" is not valid`},
		{name: "name with a newline", out: ghio.Output{Name: "a\nb", Value: "x"}, wantErr: `output name "a\nb" is not valid`},
		{name: "name starts with -", out: ghio.Output{Name: "-a", Value: "x"}, wantErr: `output name "-a" is not valid`},
		{name: "non-ASCII name", out: ghio.Output{Name: "é", Value: "x"}, wantErr: `output name "é" is not valid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "output")
			const before = "earlier=1\n"
			if err := os.WriteFile(path, []byte(before), 0o644); err != nil {
				t.Fatal(err)
			}
			// The bad output comes second: the good one before it must not be
			// written either.
			err := ghio.WriteOutputs(path, []ghio.Output{{Name: "good", Value: "1"}, tt.out, {Name: "after", Value: "2"}})
			if diff := cmp.Diff(tt.wantErr, errText(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(before, readFile(t, path)); diff != "" {
				t.Errorf("file changed after a rejected write (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWriteOutputsUnwritable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, path := range []string{"", dir, filepath.Join(dir, "missing", "output")} {
		if err := ghio.WriteOutputs(path, []ghio.Output{{Name: "a", Value: "1"}}); err == nil {
			t.Errorf("WriteOutputs(%q): no error", path)
		}
		if err := ghio.WriteSummary(path, "# x"); err == nil {
			t.Errorf("WriteSummary(%q): no error", path)
		}
	}
}

func TestWriteSummary(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "summary")
	for _, md := range []string{"# Gate", "", "| a | b |"} {
		if err := ghio.WriteSummary(path, md); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff("# Gate\n\n| a | b |\n", readFile(t, path)); diff != "" {
		t.Errorf("summary mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteSummaryLimit(t *testing.T) {
	t.Parallel()
	t.Run("one write over", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "summary")
		if err := ghio.WriteSummary(path, strings.Repeat("x", untrusted.MaxSummaryBytes)); err == nil {
			t.Error("a summary of MaxSummary bytes plus its newline: no error")
		}
		if got := readFile(t, path); got != "" {
			t.Errorf("file holds %d bytes after a rejected write", len(got))
		}
	})
	t.Run("exactly at the limit", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "summary")
		if err := ghio.WriteSummary(path, strings.Repeat("x", untrusted.MaxSummaryBytes-1)); err != nil {
			t.Fatal(err)
		}
		if got := len(readFile(t, path)); got != untrusted.MaxSummaryBytes {
			t.Errorf("file holds %d bytes, want %d", got, untrusted.MaxSummaryBytes)
		}
		if err := ghio.WriteSummary(path, ""); err == nil {
			t.Error("one more byte past the limit: no error")
		}
		if got := len(readFile(t, path)); got != untrusted.MaxSummaryBytes {
			t.Errorf("file holds %d bytes after a rejected write, want %d", got, untrusted.MaxSummaryBytes)
		}
	})
	t.Run("two writes over together", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "summary")
		half := strings.Repeat("y", 600<<10)
		if err := ghio.WriteSummary(path, half); err != nil {
			t.Fatal(err)
		}
		if err := ghio.WriteSummary(path, half); err == nil {
			t.Error("two writes of 600 KiB: no error; the runner would drop the whole summary")
		}
		if got := len(readFile(t, path)); got != len(half)+1 {
			t.Errorf("file holds %d bytes, want the first write's %d", got, len(half)+1)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
