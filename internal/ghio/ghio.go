// Package ghio writes what a GitHub Actions step leaves behind, so that no
// text the API sent can forge a workflow command, an output or a secret's
// appearance: log lines, annotations, step outputs and the job summary.
package ghio

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/sethvargo/go-githubactions"
	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// Redactor replaces secrets in everything written through it, in every form
// that encoders write them (see untrusted.Secrets). Masking with
// ::add-mask:: covers only the log GitHub shows, and only the secret as it
// is; this covers every stream and file, and terminals outside GitHub too.
// Stretches that secrets overlap become one mask, as the runner's masker
// does: replacing one secret after another would leave the rest of a secret
// that overlaps one replaced before it ("abc" then "abcdef" left "***def").
type Redactor struct {
	W       io.Writer
	mu      sync.Mutex
	secrets []string
	found   *untrusted.Secrets
}

// Add starts redacting s. Call it after the ::add-mask:: command has gone
// out through W, or the mask itself would be redacted.
func (r *Redactor) Add(s string) {
	if s == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append(r.secrets, s)
	r.found = untrusted.NewSecrets(r.secrets...)
}

func (r *Redactor) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := p
	if r.found != nil {
		out = r.found.RedactBytes(p)
	}
	if _, err := r.W.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Neutralize makes one line of untrusted text inert for the runner, which
// runs a line as a command when it starts with "::" after leading white
// space, or when it holds "##[" anywhere.
//
// The runner reads a step's output with .NET's StreamReader.ReadLine, which
// ends a line at "\r" as well as at "\n", so every piece between line breaks
// is neutralized as a line of its own. Invalid UTF-8 becomes U+FFFD: at the
// start of a stream the bytes FE FF or FF FE would make the runner decode
// everything after them as UTF-16.
func Neutralize(line string) string {
	line = stripControls(strings.ToValidUTF8(line, "\uFFFD"))
	line = strings.ReplaceAll(line, "##[", `##\[`)
	if !strings.ContainsAny(line, "\r\n") {
		return neutralizeStart(line)
	}
	var b strings.Builder
	for {
		i := strings.IndexAny(line, "\r\n")
		if i < 0 {
			b.WriteString(neutralizeStart(line))
			return b.String()
		}
		b.WriteString(neutralizeStart(line[:i]))
		b.WriteByte(line[i])
		line = line[i+1:]
	}
}

// stripControls replaces control characters other than tab and line breaks
// with U+FFFD: GitHub's log viewer interprets ANSI escape sequences, which
// could hide or recolour the gate's own lines.
func stripControls(s string) string {
	ctl := func(r rune) bool { return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' }
	if !strings.ContainsFunc(s, ctl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if ctl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// neutralizeStart breaks a leading "::" in a line without line breaks.
func neutralizeStart(line string) string {
	trimmed := strings.TrimLeftFunc(line, isLeading)
	if strings.HasPrefix(trimmed, "::") {
		line = line[:len(line)-len(trimmed)] + `\` + trimmed
	}
	return line
}

// isLeading is what may come before a command's "::": white space, and
// U+FEFF, the byte order mark, which the runner's StreamReader drops at the
// start of a stream.
func isLeading(r rune) bool { return isSpace(r) || r == '\uFEFF' }

// isSpace is .NET's Char.IsWhiteSpace, which the runner's TrimStart uses: a
// superset of what Go calls space.
func isSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}

// Log writes plain log lines, each neutralized. Prefix starts every line,
// before it is neutralized, so that no prefix can make a line a command.
type Log struct {
	W      io.Writer
	Prefix string
}

// Print writes text, which may hold several lines. Like the runner, it takes
// "\r\n", "\r" and "\n" as line ends, and it ends every line with "\n".
func (l Log) Print(text string) {
	var b strings.Builder
	for len(text) > 0 {
		line := text
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			text = ""
		} else {
			line = text[:i]
			if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			text = text[i+1:]
		}
		b.WriteString(Neutralize(l.Prefix + line))
		b.WriteByte('\n')
	}
	io.WriteString(l.W, b.String())
}

// Printf formats and writes a log line. Format strings are the program's own;
// untrusted text goes in as arguments.
func (l Log) Printf(format string, args ...any) { l.Print(fmt.Sprintf(format, args...)) }

// Annotations caps how many annotations a step makes: the runner attaches at
// most 10 of each kind and drops the rest silently.
const Annotations = 10

// maxMessage keeps annotation text under the runner's 4,096 characters:
// 4,000 bytes and an ellipsis are at most 4,001 UTF-16 code units.
const maxMessage = 4000

// Annotator writes error and warning annotations: workflow commands inside
// GitHub Actions, plain lines on a terminal.
type Annotator struct {
	Action   *githubactions.Action // nil outside GitHub Actions
	Log      Log                   // where plain lines go outside GitHub Actions
	errors   int
	warnings int
}

// Error annotates msg as an error.
func (a *Annotator) Error(msg string) { a.annotate(&a.errors, "error", msg) }

// Warning annotates msg as a warning.
func (a *Annotator) Warning(msg string) { a.annotate(&a.warnings, "warning", msg) }

func (a *Annotator) annotate(count *int, kind, msg string) {
	*count++
	msg = untrusted.CutBytes(stripControls(strings.ToValidUTF8(msg, "\uFFFD")), maxMessage)
	// Past the runner's cap an annotation would be dropped silently; a
	// plain log line keeps the message.
	if a.Action == nil || *count > Annotations {
		a.Log.Printf("%s: %s", kind, msg)
		return
	}
	// The library escapes the message with the runner's data escaping, so
	// a line break or "::" in it cannot start another command.
	if kind == "error" {
		a.Action.Errorf("%s", msg)
	} else {
		a.Action.Warningf("%s", msg)
	}
}

// Output is one step output.
type Output struct{ Name, Value string }

var outputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// WriteOutputs appends outputs to the runner's output file at path, in one
// write. Values must be single lines. Each uses a random delimiter, as the
// official toolkit does: go-githubactions uses a fixed one, which a value
// could contain to forge further outputs.
func WriteOutputs(path string, outs []Output) error {
	var b strings.Builder
	for _, o := range outs {
		if !outputName.MatchString(o.Name) {
			return fmt.Errorf("output name %q is not valid", o.Name)
		}
		if strings.ContainsAny(o.Value, "\r\n") {
			return fmt.Errorf("output %s holds a line break; outputs are single lines", o.Name)
		}
		delim, err := delimiter()
		if err != nil {
			return err
		}
		if strings.Contains(o.Value, delim) {
			return fmt.Errorf("output %s contains its delimiter", o.Name) // 128 random bits: never
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	return appendFile(path, b.String(), 0)
}

func delimiter() (string, error) {
	var buf [16]byte
	if _, err := rand.Read(buf[:]); err != nil {
		return "", fmt.Errorf("make an output delimiter: %w", err)
	}
	return "ghadelimiter_" + hex.EncodeToString(buf[:]), nil
}

// WriteSummary appends markdown to the job summary file at path. It writes
// nothing when the file would then pass untrusted.MaxSummaryBytes, GitHub's
// limit: the runner checks the size of the whole file.
func WriteSummary(path, markdown string) error {
	if len(markdown)+1 > untrusted.MaxSummaryBytes {
		return fmt.Errorf("the job summary is %d bytes, over GitHub's limit of 1 MiB", len(markdown))
	}
	return appendFile(path, markdown+"\n", untrusted.MaxSummaryBytes)
}

// appendFile appends text to the file at path in one write. With a limit
// above 0 it writes nothing when the file would grow past limit bytes.
func appendFile(path, text string, limit int64) error {
	if path == "" {
		return errors.New("no file path")
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if limit > 0 {
		fi, serr := f.Stat()
		if serr != nil {
			return errors.Join(serr, f.Close())
		}
		if size := fi.Size(); size+int64(len(text)) > limit {
			return errors.Join(fmt.Errorf("the job summary file already holds %d bytes; %d more would pass GitHub's limit of 1 MiB, over which the runner drops the whole summary", size, len(text)), f.Close())
		}
	}
	_, err = f.WriteString(text)
	return errors.Join(err, f.Close())
}
