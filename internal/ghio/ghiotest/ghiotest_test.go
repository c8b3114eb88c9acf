package ghiotest

import (
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseOutputPairs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		data    string
		want    []Pair
		wantErr string
	}{
		{name: "empty file", data: ""},
		{name: "only empty lines", data: "\n\n\n"},
		{name: "name=value", data: "a=1\nb=2\n", want: []Pair{{"a", "1"}, {"b", "2"}}},
		{name: "last line without newline", data: "a=1", want: []Pair{{"a", "1"}}},
		{name: "split at the first =", data: "a=b=c<<d\n", want: []Pair{{"a", "b=c<<d"}}},
		{name: "empty value", data: "a=\n", want: []Pair{{"a", ""}}},
		{name: "empty lines between", data: "\na=1\n\n\nb=2\n", want: []Pair{{"a", "1"}, {"b", "2"}}},
		{name: "carriage return is kept on Linux", data: "a=1\r\n", want: []Pair{{"a", "1\r"}}},
		{name: "heredoc", data: "a<<EOF\nline1\nline2\nEOF\n", want: []Pair{{"a", "line1\nline2"}}},
		{name: "heredoc, delimiter at end of file", data: "a<<EOF\nv\nEOF", want: []Pair{{"a", "v"}}},
		{name: "heredoc, no value lines", data: "a<<EOF\nEOF\n", want: []Pair{{"a", ""}}},
		{name: "heredoc, one empty line", data: "a<<EOF\n\nEOF\n", want: []Pair{{"a", ""}}},
		{name: "heredoc, two empty lines", data: "a<<EOF\n\n\nEOF\n", want: []Pair{{"a", "\n"}}},
		{name: "heredoc, delimiter must match exactly", data: "a<<EOF\nEOF \n EOF\nEOF\n", want: []Pair{{"a", "EOF \n EOF"}}},
		{name: "heredoc value holds = and <<", data: "a<<EOF\nx=y\nz<<w\nEOF\n", want: []Pair{{"a", "x=y\nz<<w"}}},
		{name: "heredoc header with = after <<", data: "a<<E=F\nv\nE=F\n", want: []Pair{{"a", "v"}}},
		{name: "= before << is name=value", data: "a=b<<EOF\nEOF\n", wantErr: "Invalid format 'EOF'", want: []Pair{{"a", "b<<EOF"}}},
		{name: "then more", data: "a<<X\n1\nX\nb=2\nc<<Y\n3\nY\n", want: []Pair{{"a", "1"}, {"b", "2"}, {"c", "3"}}},
		{name: "utf-8 BOM dropped", data: "\uFEFFa=1\n", want: []Pair{{"a", "1"}}},
		{name: "invalid utf-8 replaced", data: "a=\xE2\x82x\xFF\n", want: []Pair{{"a", "\uFFFDx\uFFFD"}}},
		{name: "same name twice", data: "a=1\na=2\n", want: []Pair{{"a", "1"}, {"a", "2"}}},
		{name: "invalid format", data: "a=1\njunk\nb=2\n", want: []Pair{{"a", "1"}}, wantErr: "Invalid format 'junk'"},
		{name: "empty name", data: "=x\n", wantErr: "Invalid format '=x'. Name must not be empty"},
		{name: "empty heredoc name", data: "<<EOF\nv\nEOF\n", wantErr: "Invalid format '<<EOF'. Name must not be empty and delimiter must not be empty"},
		{name: "empty delimiter", data: "a=1\nb<<\nv\n\n", want: []Pair{{"a", "1"}}, wantErr: "Invalid format 'b<<'. Name must not be empty and delimiter must not be empty"},
		{name: "delimiter missing", data: "a<<EOF\nv\n", wantErr: "Invalid value. Matching delimiter not found 'EOF'"},
		{name: "header at end of file", data: "a<<EOF", wantErr: "Invalid value. Matching delimiter not found 'EOF'"},
		{name: "value line without newline", data: "a<<EOF\nv", wantErr: "Invalid value. EOF marker missing new line."},
		{name: "delimiter line not exact at end", data: "a<<EOF\nv\nEOF ", wantErr: "Invalid value. EOF marker missing new line."},
		{name: "injection through a fixed delimiter", data: "evil<<_GitHubActionsFileCommandDelimeter_\nline1\n_GitHubActionsFileCommandDelimeter_\ninjected=pwned\n_GitHubActionsFileCommandDelimeter_\n",
			want: []Pair{{"evil", "line1"}, {"injected", "pwned"}}, wantErr: "Invalid format '_GitHubActionsFileCommandDelimeter_'"},
		{name: "utf-16 BOM", data: "\xFF\xFEa\x00=\x001\x00", wantErr: "ghiotest: the file starts with a UTF-16 or UTF-32 byte order mark, which the runner would decode as such; not modelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOutputPairs(tt.data)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseOutputPairs(%q) mismatch (-want +got):\n%s", tt.data, diff)
			}
			if diff := cmp.Diff(tt.wantErr, errText(err)); diff != "" {
				t.Errorf("ParseOutputPairs(%q) error mismatch (-want +got):\n%s", tt.data, diff)
			}
		})
	}
}

func TestParseOutputs(t *testing.T) {
	t.Parallel()
	got, err := ParseOutputs("a=1\nb<<X\n2\nX\na=3\n")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"a": "3", "b": "2"}, got); diff != "" {
		t.Errorf("ParseOutputs mismatch (-want +got):\n%s", diff)
	}
	got, err = ParseOutputs("a=1\nbad\n")
	if err == nil {
		t.Error("ParseOutputs of a bad line: no error")
	}
	if diff := cmp.Diff(map[string]string{"a": "1"}, got); diff != "" {
		t.Errorf("ParseOutputs before the error mismatch (-want +got):\n%s", diff)
	}
}

func TestDecodeUTF8(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain ✓ 😀", "plain ✓ 😀"},
		{"\uFFFD", "\uFFFD"},
		{"a\xFFb", "a\uFFFDb"},
		{"\xC0\xAF", "\uFFFD\uFFFD"},                     // C0 is never a lead byte
		{"\xE2\x82", "\uFFFD"},                           // one truncated sequence, one U+FFFD
		{"\xE2\x82x", "\uFFFDx"},                         // Go's conversion would give two
		{"\xE2\x82\xE2\x82", "\uFFFD\uFFFD"},             // two maximal subparts
		{"\xED\xA0\x80", "\uFFFD\uFFFD\uFFFD"},           // a surrogate: ED takes 80..9F only
		{"\xF0\x9F\x98", "\uFFFD"},                       // truncated 4-byte sequence
		{"\xF0\x80\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // overlong: F0 takes 90..BF only
		{"\xF4\x90\x80\x80", "\uFFFD\uFFFD\uFFFD\uFFFD"}, // above U+10FFFF
		{"\xE0\xA0\n", "\uFFFD\n"},                       // a line end is never swallowed
		{"\x80\x80", "\uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, DecodeUTF8(tt.in)); diff != "" {
			t.Errorf("DecodeUTF8(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCommandLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		log  string
		want []string
	}{
		{name: "empty", log: ""},
		{name: "plain text", log: "hello\nworld\n"},
		{name: "command", log: "::error::boom\n", want: []string{"::error::boom"}},
		{name: "command with properties", log: "::error file=a.go,line=1::boom\n", want: []string{"::error file=a.go,line=1::boom"}},
		{name: "unknown names count too", log: "::mytoken::\n", want: []string{"::mytoken::"}},
		{name: "leading spaces", log: "   \t::warning::x", want: []string{"   \t::warning::x"}},
		{name: "leading NBSP and U+3000", log: "\u00A0\u3000\u2028::set-output name=x::y", want: []string{"\u00A0\u3000\u2028::set-output name=x::y"}},
		{name: "no second ::", log: "::error boom\n"},
		{name: "empty name", log: "::::x\n"},
		{name: "name starts with a space", log: ":: error::x\n"},
		{name: ":: mid-line", log: "a ::error::b\n"},
		{name: "escaped", log: `\::error::b` + "\n"},
		{name: "zero-width space is not white space", log: "\u200B::error::b\n"},
		{name: "legacy mid-line", log: "label ##[error]bar\n", want: []string{"label ##[error]bar"}},
		{name: "legacy, strict", log: "##[\n", want: []string{"##["}},
		{name: "legacy escaped", log: `##\[error]bar` + "\n"},
		{name: "carriage return ends a line", log: "ok\r::set-output name=x::y\n", want: []string{"::set-output name=x::y"}},
		{name: "crlf", log: "a\r\n::error::b\r\nc", want: []string{"::error::b"}},
		{name: "NEL does not end a line", log: "a\u0085::error::b\n"},
		{name: "U+2028 does not end a line", log: "a\u2028::error::b\n"},
		{name: "BOM at the start is dropped", log: "\uFEFF::error::b\n", want: []string{"::error::b"}},
		{name: "BOM later is kept", log: "x\n\uFEFF::error::b\n"},
		{name: "UTF-16 BOM", log: "\xFF\xFEhello", want: []string{"\xFF\xFEhello"}},
		{name: "invalid UTF-8 before ::", log: "\xC2::error::b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, CommandLines(tt.log), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("CommandLines(%q) mismatch (-want +got):\n%s", tt.log, diff)
			}
		})
	}
}

func TestLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a\n", []string{"a"}},
		{"\n", []string{""}},
		{"a\r\nb\rc\nd", []string{"a", "b", "c", "d"}},
		{"a\r\r\n", []string{"a", ""}},
		{"a\n\r", []string{"a", ""}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Lines(tt.in), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Lines(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

// TestIsDotNetSpace checks the table against Go's Unicode data: .NET's
// Char.IsWhiteSpace is the categories Zs, Zl and Zp plus U+0009..U+000D and
// U+0085.
func TestIsDotNetSpace(t *testing.T) {
	t.Parallel()
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp) || '\t' <= r && r <= '\r' || r == 0x85
		if got := isDotNetSpace(r); got != want {
			t.Errorf("isDotNetSpace(%U) = %v, want %v", r, got, want)
		}
	}
}

func TestUnescapeData(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a%0Ab%0Dc%25d", "a\nb\rc%d"},
		{"100%250A", "100%0A"}, // "%25" goes last: an escaped "%0A" stays text
		{"%", "%"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, UnescapeData(tt.in)); diff != "" {
			t.Errorf("UnescapeData(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
