package ghio_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"

	"github.com/sigmagate/sigmagate/internal/ghio"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

const encodedKey = "sk_live_0123456789abcdef"

// TestRedactorEncodedForms: the stream masker finds the key in the forms the
// report, JSON and the runner's escaping give it, not only as it is.
func TestRedactorEncodedForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{name: "markdown-escaped", secrets: []string{encodedKey}, in: `| sk\_live\_0123456789abcdef |`, want: "| *** |"},
		{name: "percent-encoded", secrets: []string{encodedKey}, in: "?key=sk%5Flive%5f0123456789abcdef\n", want: "?key=***\n"},
		{name: "json-escaped", secrets: []string{encodedKey}, in: `{"e":"sk\u005Flive\u005f0123456789abcdef"}`, want: `{"e":"***"}`},
		{name: "html reference", secrets: []string{encodedKey}, in: "sk&#95;live&#x5F;0123456789abcdef", want: "***"},
		{name: "several secrets, encoded and overlapping", secrets: []string{"abcdefgh", "efghijkl"}, in: `x abcd%65fgh\u0069jkl y`, want: "x *** y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			r := &ghio.Redactor{W: &buf}
			for _, s := range tt.secrets {
				r.Add(s)
			}
			if n, err := r.Write([]byte(tt.in)); err != nil || n != len(tt.in) {
				t.Errorf("Write = %d, %v; want %d, nil", n, err, len(tt.in))
			}
			if diff := cmp.Diff(tt.want, buf.String()); diff != "" {
				t.Errorf("Write(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if got := untrusted.Redact(tt.in, tt.secrets[0]); strings.Contains(got, tt.secrets[0]) || got == tt.in {
				t.Errorf("Redact(%q) = %q", tt.in, got)
			}
		})
	}
}

// TestRedactorAfterTheRunnersEscaping: a message that holds the key
// percent-encoded is escaped once more on its way into a workflow command
// ("%" becomes "%25"); the runner undoes that and would show the
// percent-encoded key, so the stream must not carry it.
func TestRedactorAfterTheRunnersEscaping(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	r := &ghio.Redactor{W: &buf}
	a := githubactions.New(githubactions.WithWriter(r), githubactions.WithGetenv(func(string) string { return "" }))
	a.AddMask(encodedKey)
	r.Add(encodedKey)
	a.Errorf("%s", "GET /v1: key sk%5Flive%5F0123456789abcdef\nis refused")
	want := "::add-mask::" + encodedKey + "\n::error::GET /v1: key ***%0Ais refused\n"
	if diff := cmp.Diff(want, buf.String()); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}
