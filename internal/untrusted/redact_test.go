package untrusted

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sigmagate/sigmagate/internal/untrusted/untrustedtest"
)

const key = "sk_live_0123456789abcdef"

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secrets []string
		in      string
		want    string
	}{
		{name: "itself", secrets: []string{key}, in: "a " + key + " b", want: "a *** b"},
		{name: "markdown escapes", secrets: []string{key}, in: `a sk\_live\_0123456789abcdef b`, want: "a *** b"},
		{name: "percent, every byte, upper", secrets: []string{key}, in: "?k=sk%5Flive%5F0123456789abcdef&x", want: "?k=***&x"},
		{name: "percent, every byte, lower", secrets: []string{key}, in: "sk%5flive%5f0123456789abcdef", want: "***"},
		{name: "every byte percent-encoded", secrets: []string{"ab/cd+ef"}, in: "%61%62%2F%63%64%2b%65%66", want: "***"},
		{name: "json unicode escapes, either case", secrets: []string{key}, in: `"sk\u005flive\u005F0123456789abcdef"`, want: `"***"`},
		{name: "json slash", secrets: []string{"ab/cd/ef"}, in: `{"k":"ab\/cd\/ef"}`, want: `{"k":"***"}`},
		{name: "json quote and backslash", secrets: []string{`ab"cd\ef`}, in: `"ab\"cd\\ef"`, want: `"***"`},
		{name: "go hex escape", secrets: []string{"abc-defg"}, in: `abc\x2ddefg`, want: "***"},
		{name: "html decimal, every character", secrets: []string{key}, in: "sk&#95;live&#095;0123456789abcdef", want: "***"},
		{name: "html hex, either case", secrets: []string{key}, in: "sk&#x5f;live&#X5F;0123456789abcdef", want: "***"},
		{name: "html without semicolon", secrets: []string{key}, in: "sk&#95live&#x5F0123456789abcdef", want: "***"},
		{name: "html named", secrets: []string{"a&b<c>d_e"}, in: "a&amp;b&lt;c&gt;d&lowbar;e", want: "***"},
		{name: "a mix", secrets: []string{key}, in: `s%6B\_live&#95;0\u0031%323456789abcdef`, want: "***"},
		{name: "the runner's escaping of a percent-encoding", secrets: []string{key}, in: "sk%255Flive%255F0123456789abcdef", want: "***"},
		{name: "json of a markdown escape", secrets: []string{key}, in: `sk\\_live\\_0123456789abcdef`, want: "***"},
		{name: "markdown of a json escape", secrets: []string{key}, in: `sk\\u005flive\\u005f0123456789abcdef`, want: "***"},
		{name: "markdown of go's quoting", secrets: []string{`ab"cd"ef`}, in: `ab\\&quot;cd\\&quot;ef`, want: "***"},
		{name: "markdown of an html reference", secrets: []string{key}, in: `sk&amp;\#95;live&amp;\#95;0123456789abcdef`, want: "***"},
		{name: "the runner's escaping of a line break", secrets: []string{"ab\ncdefg"}, in: "ab%0Acdefg", want: "***"},
		{name: "the runner's property escaping", secrets: []string{"a:b,cdefg"}, in: "a%3Ab%2Ccdefg", want: "***"},
		{name: "a space as +", secrets: []string{"ab cdefg"}, in: "q=ab+cdefg", want: "q=***"},
		{name: "non-ASCII, percent and json", secrets: []string{"clé-secrète"}, in: "cl%C3%A9-secr\\u00e8te", want: "***"},
		{name: "past U+FFFF, a surrogate pair", secrets: []string{"key🔑value"}, in: `key\ud83d\udd11value`, want: "***"},
		{name: "html reference of a code point", secrets: []string{"key🔑value"}, in: `key&#x1F511;value`, want: "***"},

		{name: "every occurrence", secrets: []string{key}, in: key + " " + key, want: "*** ***"},
		{name: "next to each other", secrets: []string{"abcdefgh"}, in: "abcdefghabcdefgh", want: "******"},
		{name: "overlapping occurrences", secrets: []string{"abababab"}, in: "ababababab", want: "***"},
		{name: "overlapping secrets", secrets: []string{"abcdefgh", "efghijkl"}, in: "abcdefghijkl", want: "***"},
		{name: "one secret holds another", secrets: []string{"abcdefgh", "abcdefghijkl"}, in: "x abcdefghijkl y", want: "x *** y"},
		{name: "the optional semicolon is taken", secrets: []string{"abcdefg_"}, in: "abcdefg&#95;;", want: "***;"},

		{name: "no secret", in: key, want: key},
		{name: "empty secret", secrets: []string{""}, in: key, want: key},
		{name: "a character short", secrets: []string{key}, in: key[:len(key)-1], want: key[:len(key)-1]},
		{name: "letters keep their case", secrets: []string{key}, in: strings.ToUpper(key), want: strings.ToUpper(key)},
		{name: "a letter is not escaped", secrets: []string{key}, in: `\sk_live_0123456789abcdef`, want: `\***`},
		{name: "a wrong escape", secrets: []string{key}, in: "sk%5Elive_0123456789abcdef", want: "sk%5Elive_0123456789abcdef"},
		{name: "an escape cut short", secrets: []string{key}, in: "sk%5live_0123456789abcdef", want: "sk%5live_0123456789abcdef"},
		{name: "empty text", secrets: []string{key}, in: "", want: ""},
		{name: "invalid UTF-8 around", secrets: []string{key}, in: "\xff" + key + "\xc3", want: "\xff***\xc3"},
		{name: "a secret of invalid UTF-8", secrets: []string{"ab\xffcdefg"}, in: "ab%FFcdefg ab\\xffcdefg ab\xffcdefg", want: "*** *** ***"},

		// Mask next to the rest of the text must not spell the secret anew.
		{name: "a secret with a star", secrets: []string{"*abcdefg"}, in: "*abcdefgabcdefgabcdefg", want: "*******"},
		{name: "a star escaped", secrets: []string{"ab*cdefg"}, in: `ab\*cdefg`, want: "***"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Redact(tt.in, tt.secrets...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Redact(%q, %q) mismatch (-want +got):\n%s", tt.in, tt.secrets, diff)
			}
			if again := Redact(got, tt.secrets...); again != got {
				t.Errorf("redacting again changed %q to %q", got, again)
			}
			if b := NewSecrets(tt.secrets...).RedactBytes([]byte(tt.in)); string(b) != tt.want {
				t.Errorf("RedactBytes(%q) = %q, want %q", tt.in, b, tt.want)
			}
		})
	}
}

// TestRedactBytesKeepsCleanText: the stream masker writes what it was given
// when nothing matched.
func TestRedactBytesKeepsCleanText(t *testing.T) {
	t.Parallel()
	p := []byte("nothing secret here")
	if got := NewSecrets(key).RedactBytes(p); &got[0] != &p[0] {
		t.Errorf("RedactBytes copied clean text")
	}
	var zero Secrets
	if got := zero.Redact(key); got != key {
		t.Errorf("the zero Secrets changed %q to %q", key, got)
	}
}

var encoders = untrustedtest.Encoders

var testSecrets = []string{
	key,
	"sk-live-0123456789abcdef",
	`k&<y>"q'/\z*[]|~#!$@;:,%+ -`,
	"clé-secrète",
	"key🔑value",
	"two\nlines",
}

// TestEveryEncoding: whatever encoded the secret, it goes, and nothing
// around it does.
func TestEveryEncoding(t *testing.T) {
	t.Parallel()
	for _, secret := range testSecrets {
		for _, e := range encoders {
			t.Run(fmt.Sprintf("%s/%q", e.Name, secret), func(t *testing.T) {
				t.Parallel()
				encoded := e.Encode(secret)
				in := "before " + encoded + " after"
				if diff := cmp.Diff("before *** after", Redact(in, secret)); diff != "" {
					t.Errorf("Redact(%q) mismatch (-want +got):\n%s", in, diff)
				}
			})
		}
	}
}

// TestFormsOfThePrintableASCII: every printable ASCII character is found
// in every form that is written for it.
func TestFormsOfThePrintableASCII(t *testing.T) {
	t.Parallel()
	for c := byte(' '); c <= '~'; c++ {
		secret := "ab" + string(c) + "cdefg"
		for _, e := range encoders {
			encoded := "ab" + e.Encode(string(c)) + "cdefg"
			if got := Redact(encoded, secret); got != Mask {
				t.Errorf("%s: Redact(%q, %q) = %q, want %q", e.Name, encoded, secret, got, Mask)
			}
		}
	}
}

func TestNewSecretsIgnoresEmpty(t *testing.T) {
	t.Parallel()
	s := NewSecrets("", key, "")
	if got := s.Redact("a " + key); got != "a ***" {
		t.Errorf("Redact = %q", got)
	}
	if n := len(s.secrets); n != 1 {
		t.Errorf("%d secrets, want 1", n)
	}
	if !utf8.ValidString(Mask) {
		t.Errorf("Mask is not UTF-8")
	}
}
