// Package ghiotest reads what a step leaves behind the way the GitHub Actions
// runner reads it, so that tests can check what a later step, or the log,
// would really see: step outputs parsed as the runner parses GITHUB_OUTPUT,
// and the log lines the runner would run as workflow commands.
//
// The code is a port of actions/runner (C#), written against these files:
//
//   - src/Runner.Worker/FileCommandManager.cs, class EnvFileKeyValuePairs,
//     which SetOutputFileCommand, SetEnvFileCommand and SaveStateFileCommand
//     use. Ported for Linux runners: the OS_WINDOWS branch that also takes
//     "\r\n" as a line end is left out.
//   - src/Runner.Common/ActionCommand.cs, TryParseV2 and TryParse, as
//     src/Runner.Worker/ActionCommandManager.cs calls them on every line that
//     src/Runner.Sdk/ProcessInvoker.cs reads with StreamReader.ReadLine.
//
// The version is the one the project's contract describes, runner 2.336.0
// (commit 258d6c857db3519913f7deb6004b60172f8043ae); the text read while
// porting was a stored copy of the same classes, not that exact commit.
package ghiotest

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Pair is one name and value as the runner reads them from GITHUB_OUTPUT.
type Pair struct{ Name, Value string }

// ParseOutputs reads a GITHUB_OUTPUT file as the runner does and returns the
// outputs it would set: a later pair with the same name wins. On an error it
// also returns the outputs set before it, because the runner sets each pair
// as it reads it and then fails the step.
func ParseOutputs(data string) (map[string]string, error) {
	pairs, err := ParseOutputPairs(data)
	outs := make(map[string]string, len(pairs))
	for _, p := range pairs {
		outs[p.Name] = p.Value
	}
	return outs, err
}

// ParseOutputPairs reads a GITHUB_OUTPUT file (or GITHUB_ENV, GITHUB_STATE)
// as EnvFileKeyValuePairs does and returns the pairs in order. On an error it
// also returns the pairs read before it: the runner's enumerator is lazy, so
// those have already been applied when the step fails. Error texts are the
// runner's.
//
// The format, in the runner's words: lines end at "\n"; empty lines are
// skipped; a line is NAME=VALUE when "=" comes before any "<<", split at the
// first "="; it is NAME<<DELIMITER when "<<" comes first, and the value is
// every following line up to one exactly equal to DELIMITER, without the
// newline before it.
//
// One addition: a NAME=VALUE line with an empty name ("=x") is an error here.
// EnvFileKeyValuePairs yields it (its check is dead code: it tests the line,
// not the name), and ExecutionContext.SetOutput then throws on the empty
// name, with the same effect.
//
// The runner reads the file with File.ReadAllText, so data is decoded as it
// would be: a UTF-8 byte order mark is dropped and invalid UTF-8 becomes
// U+FFFD (see DecodeUTF8). A file starting with a UTF-16 or UTF-32 byte order
// mark is an error here, as that decoding is not modelled.
func ParseOutputPairs(data string) ([]Pair, error) {
	text, err := readAllText(data)
	if err != nil {
		return nil, err
	}
	var pairs []Pair
	index := 0
	for {
		line, _, ok := readLine(text, &index)
		if !ok {
			return pairs, nil
		}
		if line == "" {
			continue
		}
		equals := strings.Index(line, "=")
		heredoc := strings.Index(line, "<<")
		switch {
		case equals >= 0 && (heredoc < 0 || equals < heredoc):
			name, value := line[:equals], line[equals+1:]
			if name == "" {
				return pairs, fmt.Errorf("Invalid format '%s'. Name must not be empty", line)
			}
			pairs = append(pairs, Pair{name, value})
		case heredoc >= 0 && (equals < 0 || heredoc < equals):
			name, delimiter := line[:heredoc], line[heredoc+2:]
			if name == "" || delimiter == "" {
				return pairs, fmt.Errorf("Invalid format '%s'. Name must not be empty and delimiter must not be empty", line)
			}
			start, end := index, index // the value's first byte and the end after its last
			for {
				l, newline, ok := readLine(text, &index)
				if ok && l == delimiter {
					break
				}
				if !ok {
					return pairs, fmt.Errorf("Invalid value. Matching delimiter not found '%s'", delimiter)
				}
				if newline == "" {
					return pairs, errors.New("Invalid value. EOF marker missing new line.")
				}
				end = index - len(newline)
			}
			value := ""
			if end > start {
				value = text[start:end]
			}
			pairs = append(pairs, Pair{name, value})
		default:
			return pairs, fmt.Errorf("Invalid format '%s'", line)
		}
	}
}

// readLine is the runner's ReadLine for Linux: the line from *index up to the
// next "\n", and that "\n", or "" when the text ends first. ok is false when
// nothing is left.
func readLine(text string, index *int) (line, newline string, ok bool) {
	if *index >= len(text) {
		return "", "", false
	}
	rest := text[*index:]
	i := strings.IndexByte(rest, '\n')
	if i < 0 {
		*index = len(text)
		return rest, "", true
	}
	*index += i + 1
	return rest[:i], "\n", true
}

// readAllText decodes a file's bytes as .NET's File.ReadAllText does for
// UTF-8.
func readAllText(data string) (string, error) {
	if hasForeignBOM(data) {
		return "", errors.New("ghiotest: the file starts with a UTF-16 or UTF-32 byte order mark, which the runner would decode as such; not modelled")
	}
	return DecodeUTF8(strings.TrimPrefix(data, "\uFEFF")), nil
}

// hasForeignBOM reports whether s starts with a byte order mark that makes a
// .NET StreamReader leave UTF-8 for UTF-16 or UTF-32. Each holds FE or FF,
// which are never valid UTF-8.
func hasForeignBOM(s string) bool {
	return strings.HasPrefix(s, "\xFE\xFF") || strings.HasPrefix(s, "\xFF\xFE") || strings.HasPrefix(s, "\x00\x00\xFE\xFF")
}

// DecodeUTF8 returns the text .NET's UTF-8 decoder (.NET Core 3.0 and later,
// which the runner uses) makes of data: valid UTF-8 unchanged, and each
// maximal subpart of an ill-formed sequence replaced by one U+FFFD, as The
// Unicode Standard (section 3.9) recommends. Go's own conversions differ:
// they replace each bad byte, or each run of bad bytes.
func DecodeUTF8(data string) string {
	if utf8.ValidString(data) {
		return data
	}
	var b strings.Builder
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRuneInString(data[i:])
		if r != utf8.RuneError || size > 1 {
			b.WriteString(data[i : i+size])
			i += size
			continue
		}
		b.WriteRune(utf8.RuneError)
		i += maximalSubpart(data[i:])
	}
	return b.String()
}

// maximalSubpart is how many bytes at the start of s, which does not start
// with a valid UTF-8 sequence, form the longest prefix of one (at least 1).
// The byte ranges are Table 3-7 of The Unicode Standard.
func maximalSubpart(s string) int {
	lo, hi := byte(0x80), byte(0xBF) // the range of the byte after the first
	var n int                        // continuation bytes the lead byte needs
	switch c := s[0]; {
	case 0xC2 <= c && c <= 0xDF:
		n = 1
	case c == 0xE0:
		n, lo = 2, 0xA0
	case 0xE1 <= c && c <= 0xEC, c == 0xEE, c == 0xEF:
		n = 2
	case c == 0xED:
		n, hi = 2, 0x9F
	case c == 0xF0:
		n, lo = 3, 0x90
	case 0xF1 <= c && c <= 0xF3:
		n = 3
	case c == 0xF4:
		n, hi = 3, 0x8F
	default:
		return 1
	}
	i := 1
	for ; i <= n && i < len(s); i++ {
		if s[i] < lo || s[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}

// CommandLines returns the lines of log that the runner would take as
// workflow commands, erring on the strict side. The runner splits a step's
// output into lines as StreamReader.ReadLine does, at "\r\n", "\r" or "\n",
// and tries each line with
//
//   - TryParseV2: the line, with leading white space trimmed (.NET's
//     Char.IsWhiteSpace), starts with "::", and the text up to the next "::"
//     starts with a command name, which runs up to the first space. The
//     runner also needs the name to be registered; here any non-empty name
//     counts, since ::stop-commands:: registers any token as a command.
//   - TryParse, the legacy form "##[name k=v;]data": here any line that holds
//     "##[" counts.
//
// log is read as the start of a stream: a leading UTF-8 byte order mark is
// dropped, as StreamReader does. A log that starts with a UTF-16 or UTF-32
// byte order mark would make the runner decode all of it in that encoding,
// so CommandLines then returns the whole log as one command line.
//
// The runner compares "::" and "##[" with culture-sensitive StartsWith and
// IndexOf, which skip characters such as U+200B; they can match where the
// ordinal comparison here does not, but the command name is then read from
// an offset that lands on ':', '#', '[' or the skipped character, never on a
// built-in command name (a stop-commands token could be anything, but setting
// one takes a command first), so the ordinal rule finds every command.
func CommandLines(log string) []string {
	if hasForeignBOM(log) {
		return []string{log}
	}
	var cmds []string
	for _, line := range Lines(DecodeUTF8(strings.TrimPrefix(log, "\uFEFF"))) {
		if isCommand(line) {
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// Lines splits s into lines as .NET's StreamReader.ReadLine does, which is
// how the runner reads a step's output: a line ends at "\r\n", "\r" or "\n",
// and a line end at the very end of s starts no further line.
func Lines(s string) []string {
	var lines []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return append(lines, s)
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return lines
}

// UnescapeData undoes the escaping of a command's data (the text after its
// second "::") as the runner's ActionCommand.UnescapeData does, in its order:
// "%0D", then "%0A", then "%25".
func UnescapeData(s string) string {
	s = strings.ReplaceAll(s, "%0D", "\r")
	s = strings.ReplaceAll(s, "%0A", "\n")
	return strings.ReplaceAll(s, "%25", "%")
}

func isCommand(line string) bool {
	if t := strings.TrimLeftFunc(line, isDotNetSpace); strings.HasPrefix(t, "::") {
		if end := strings.Index(t[2:], "::"); end >= 0 {
			name, _, _ := strings.Cut(t[2:2+end], " ")
			if name != "" {
				return true
			}
		}
	}
	return strings.Contains(line, "##[")
}

// isDotNetSpace is .NET's Char.IsWhiteSpace: the Unicode categories Zs, Zl
// and Zp, and U+0009 to U+000D and U+0085. It is kept apart from ghio's copy
// on purpose, so that a test does not check ghio against itself.
func isDotNetSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}
