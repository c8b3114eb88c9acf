package sigmamind

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/sigmagate/sigmagate/internal/untrusted"
)

// This file reads SigmaMind's JSON as a stream, with rules of its own rather
// than encoding/json's. encoding/json matches field names case-insensitively
// and takes the last of duplicate keys, so a trailing "FailedAttempts": 0
// overrides "failedAttempts": 5; it turns null into 0; and it keeps every
// element of every list, so a page of millions of empty test cases takes
// gigabytes. Here:
//
//   - names match exactly; a key that equals a documented name only when case
//     is ignored, and a documented key given twice in one object, are
//     refused: either could override what the gate judges;
//   - unknown keys are skipped, to a bounded depth;
//   - integers are JSON integers that fit in 64 bits (no 1.5, no 1e3), and a
//     null count is refused, never read as 0;
//   - what is kept is bounded: a few thousand test cases per batch run, texts
//     of a few KiB, a budget per page; everything listed is still counted.
//
// A problem confined to one element of a list (one batch run) is recorded
// on that element and reading goes on; broken syntax, or a problem with the
// wrapper, ends the whole response.

const (
	// MaxTestCases is how many test cases of one batch run are kept in
	// TestCases, for display. The rest are counted (LeftOutTestCases) and
	// their attempts summed (LeftOutAttempts), so that no count depends on
	// it. A batch run has tens of test cases; the job summary, limited to
	// 1 MB, cannot show many more than a thousand rows anyway.
	MaxTestCases = 1000
	// MaxTextRunes bounds each display text kept from the API (labels,
	// prompts, success criteria, models, mock data, names). A longer text is
	// cut to MaxTextRunes-1 runes and "…". The report shows at most 4000
	// runes of a prompt, so the cut never shows. Ids are never cut: an id
	// longer than MaxIDLength makes its batch run invalid.
	MaxTextRunes = 4096
	// maxMockData is how many mock variables of one test case are kept. The
	// report shows them in a cell of 200 runes: a few dozen at most.
	maxMockData = 64
	// maxKeptBytes bounds what one page keeps of its test cases (structures
	// and texts, equal texts counted once). Once it is spent, test cases are
	// counted but no longer kept. Together with MaxTestCases, maxMockData,
	// MaxTextRunes and the number of batch runs on a page, it bounds the
	// memory of a page whatever its body holds. Only the display uses what
	// it bounds, and the job summary shows at most 1 MB.
	maxKeptBytes = 16 << 20
	// maxDepth bounds the nesting of arrays and objects. The deepest
	// documented value (a mock variable) is 7 levels down.
	maxDepth = 128
	// maxKeyBytes is how much of a key is kept to compare with documented
	// names. A case variant of the longest name is at most 3 bytes per
	// letter (the Kelvin sign folds to k): 18 letters, 54 bytes.
	maxKeyBytes = 64
	// internOverhead is what one kept text costs besides its bytes: a map
	// entry and a string header.
	internOverhead = 64
	readBufSize    = 32 << 10
)

// readError is a problem with a response as a whole: broken syntax, not the
// shape documented, too large a page. Its problem is said to the user.
type readError struct{ problem string }

func (e *readError) Error() string { return e.problem }

// A decoder reads one JSON document from a stream. Its methods read one
// value each and consume it whole, whatever it holds, unless the document
// itself is broken: then d.err is set and every method returns at once.
//
// Problems with a value's content (a wrong type, null, a missing or
// duplicate field) are refused into d.problem, which belongs to the current
// row (see beginRow); reading goes on with the next value.
type decoder struct {
	src      io.Reader
	buf      []byte // buf[pos:end] is read but not yet decoded
	pos, end int
	off      int64 // input offset of buf[0]
	eof      bool
	readErr  error // the first failure of src other than io.EOF
	empty    int   // consecutive reads that returned nothing

	err     error // the first problem with the document: ends reading
	depth   int
	path    []segment // where the value being read is, for messages
	rowBase int       // path length where the current row starts
	rowName string    // what the row is called when the problem is the row itself
	problem string    // the first problem of the current row

	secret   string // removed from values quoted in problems
	text     []byte // the decoded text of the last string read
	num      []byte // the start of the last number read
	interned map[string]string
	kept     int64 // bytes kept of texts and test cases (see maxKeptBytes)
}

// segment is one step of a path: a member name, or an index when name is "".
type segment struct {
	name  string
	index int64
}

func newDecoder(r io.Reader, secret string) *decoder {
	return &decoder{src: r, buf: make([]byte, readBufSize), secret: secret,
		text: make([]byte, 0, 256), interned: make(map[string]string)}
}

// more makes at least n unread bytes available, unless the input ends
// first. n is small: the longest run read at once is an escaped surrogate
// pair, 12 bytes.
func (d *decoder) more(n int) bool {
	for d.end-d.pos < n {
		if d.eof {
			return false
		}
		if d.pos > 0 {
			copy(d.buf, d.buf[d.pos:d.end])
			d.off += int64(d.pos)
			d.end -= d.pos
			d.pos = 0
		}
		m, err := d.src.Read(d.buf[d.end:])
		d.end += m
		switch {
		case err == io.EOF:
			d.eof = true
		case err != nil:
			d.eof, d.readErr = true, err
		case m == 0:
			if d.empty++; d.empty > 100 {
				d.eof, d.readErr = true, io.ErrNoProgress
			}
		default:
			d.empty = 0
		}
	}
	return true
}

// offset is the input offset of the next byte.
func (d *decoder) offset() int64 { return d.off + int64(d.pos) }

// fail records a problem with the document.
func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = &readError{problem: fmt.Sprintf("the response is not valid JSON: "+format+" at byte %d", append(args, d.offset())...)}
	}
}

// unexpected fails on the next byte (or the end of the input) where
// something else was due.
func (d *decoder) unexpected(want string) {
	if d.pos < d.end || d.more(1) {
		d.fail("%s where %s was due", describe(d.buf[d.pos]), want)
	} else {
		d.fail("the body ends where %s was due", want)
	}
}

func describe(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", c)
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// ws skips whitespace and returns the next byte, false at the end.
func (d *decoder) ws() (byte, bool) {
	for {
		for d.pos < d.end {
			switch c := d.buf[d.pos]; c {
			case ' ', '\t', '\n', '\r':
				d.pos++
			default:
				return c, true
			}
		}
		if !d.more(1) {
			return 0, false
		}
	}
}

// refuse records a problem of the current row; the first one is kept. The
// format's first verb is for where the problem is (see where), computed
// only when the problem is kept: a row may hold millions of problems.
func (d *decoder) refuse(format string, args ...any) {
	if d.problem == "" && d.err == nil {
		d.problem = fmt.Sprintf(format, append([]any{d.where()}, args...)...)
	}
}

// beginRow starts a row: an element of a list whose problems are its own.
// It returns what endRow needs to restore the enclosing row.
func (d *decoder) beginRow(name string) (saved row) {
	saved = row{d.problem, d.rowBase, d.rowName}
	d.problem, d.rowBase, d.rowName = "", len(d.path), name
	return saved
}

type row struct {
	problem string
	base    int
	name    string
}

// endRow ends a row and returns its first problem, "" if none.
func (d *decoder) endRow(saved row) string {
	p := d.problem
	d.problem, d.rowBase, d.rowName = saved.problem, saved.base, saved.name
	return p
}

// where names the value being read, relative to the current row.
func (d *decoder) where() string {
	if len(d.path) <= d.rowBase {
		return d.rowName
	}
	var b strings.Builder
	for _, s := range d.path[d.rowBase:] {
		if s.name == "" {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	return b.String()
}

// quote shows a value from the API in a problem: short, whole (a cut value
// could hold part of the key, which redaction would then miss) and with the
// key removed.
func (d *decoder) quote(s string) string {
	if len(s) > 64 {
		return fmt.Sprintf("(%d bytes)", len(s))
	}
	return strconv.Quote(untrusted.Redact(s, d.secret))
}

// kind names the JSON type that starts with c, for problems.
func kind(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// wrongType refuses the next value, which is not of the type wanted, and
// skips it.
func (d *decoder) wrongType(c byte, want string) {
	if !strings.ContainsRune(`{["tfn-0123456789`, rune(c)) {
		d.unexpected("a value")
		return
	}
	d.refuse("%s is %s, want %s", kind(c), want)
	d.skip()
}

// null consumes a null if one is next.
func (d *decoder) null() bool {
	c, ok := d.ws()
	if !ok || c != 'n' {
		return false
	}
	d.literal("null")
	return true
}

func (d *decoder) literal(lit string) {
	if !d.more(len(lit)) || string(d.buf[d.pos:d.pos+len(lit)]) != lit {
		d.fail("invalid literal")
		return
	}
	d.pos += len(lit)
}

// str reads the string that starts at the next byte, a quote. It keeps the
// first runes of its decoded text in d.text, at most keepBytes bytes and
// keepRunes runes, and returns the length of the whole decoded text. Like
// encoding/json it turns invalid UTF-8 and lone surrogates into U+FFFD.
func (d *decoder) str(keepBytes, keepRunes int) (n int64, runes int64) {
	d.pos++ // the opening quote
	d.text = d.text[:0]
	kept, full := 0, keepBytes == 0 || keepRunes == 0
	add := func(p []byte) {
		n += int64(len(p))
		runes++
		if full {
			return
		}
		if len(d.text)+len(p) > keepBytes || kept == keepRunes {
			full = true
			return
		}
		d.text = append(d.text, p...)
		kept++
	}
	var enc [utf8.UTFMax]byte
	for {
		if d.pos == d.end && !d.more(1) {
			d.fail("the body ends inside a string")
			return n, runes
		}
		c := d.buf[d.pos]
		switch {
		case c == '"':
			d.pos++
			return n, runes
		case c == '\\':
			r := d.escape()
			if d.err != nil {
				return n, runes
			}
			add(enc[:utf8.EncodeRune(enc[:], r)])
		case c < 0x20:
			d.fail("control character %s in a string", describe(c))
			return n, runes
		case c < utf8.RuneSelf:
			// A run of plain ASCII, the common case, at once.
			j := d.pos + 1
			for j < d.end {
				if b := d.buf[j]; b < 0x20 || b >= utf8.RuneSelf || b == '"' || b == '\\' {
					break
				}
				j++
			}
			run := d.buf[d.pos:j]
			n += int64(len(run))
			runes += int64(len(run))
			if !full {
				room := min(keepBytes-len(d.text), keepRunes-kept)
				if len(run) > room {
					run, full = run[:room], true
				}
				d.text = append(d.text, run...)
				kept += len(run)
			}
			d.pos = j
		default:
			if !utf8.FullRune(d.buf[d.pos:d.end]) {
				d.more(utf8.UTFMax)
			}
			r, size := utf8.DecodeRune(d.buf[d.pos:d.end])
			if r == utf8.RuneError && size == 1 {
				add(enc[:utf8.EncodeRune(enc[:], utf8.RuneError)])
			} else {
				add(d.buf[d.pos : d.pos+size])
			}
			d.pos += size
		}
	}
}

// escape reads an escape sequence in a string and returns its rune.
func (d *decoder) escape() rune {
	if !d.more(2) {
		d.fail("the body ends inside a string")
		return 0
	}
	c := d.buf[d.pos+1]
	d.pos += 2
	switch c {
	case '"', '\\', '/':
		return rune(c)
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'u':
		r := d.hex4(0)
		if r < 0 {
			d.fail("invalid \\u escape in a string")
			return 0
		}
		d.pos += 4
		if !utf16.IsSurrogate(r) {
			return r
		}
		// A pair of escapes makes one rune; anything else makes U+FFFD, as
		// in encoding/json.
		if d.more(6) && d.buf[d.pos] == '\\' && d.buf[d.pos+1] == 'u' {
			if r2 := d.hex4(2); r2 >= 0 {
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					d.pos += 6
					return dec
				}
			}
		}
		return utf8.RuneError
	}
	d.pos--
	d.fail("invalid escape %s in a string", describe(c))
	return 0
}

// hex4 decodes the four hex digits k bytes ahead, or returns -1.
func (d *decoder) hex4(k int) rune {
	if !d.more(k + 4) {
		return -1
	}
	var r rune
	for _, c := range d.buf[d.pos+k : d.pos+k+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// number reads a number literal that starts at the next byte. It keeps its
// first bytes in d.num and reports whether it is an integer literal (no
// fraction, no exponent) and its length.
func (d *decoder) number() (integer bool, n int) {
	d.num = d.num[:0]
	next := func() (byte, bool) {
		if d.pos == d.end && !d.more(1) {
			return 0, false
		}
		return d.buf[d.pos], true
	}
	take := func(c byte) {
		if len(d.num) < 32 {
			d.num = append(d.num, c)
		}
		n++
		d.pos++
	}
	digits := func() int {
		k := 0
		for c, ok := next(); ok && '0' <= c && c <= '9'; c, ok = next() {
			take(c)
			k++
		}
		return k
	}
	integer = true
	if c, _ := next(); c == '-' {
		take(c)
	}
	switch c, ok := next(); {
	case ok && c == '0':
		take(c)
	case ok && '1' <= c && c <= '9':
		digits()
	default:
		d.unexpected("a digit")
		return false, n
	}
	if c, ok := next(); ok && c == '.' {
		take(c)
		integer = false
		if digits() == 0 {
			d.unexpected("a digit")
			return false, n
		}
	}
	if c, ok := next(); ok && (c == 'e' || c == 'E') {
		take(c)
		integer = false
		if c, ok := next(); ok && (c == '+' || c == '-') {
			take(c)
		}
		if digits() == 0 {
			d.unexpected("a digit")
			return false, n
		}
	}
	return integer, n
}

// skip reads and drops the next value, checking its syntax.
func (d *decoder) skip() {
	c, ok := d.ws()
	if !ok {
		d.unexpected("a value")
		return
	}
	switch c {
	case '{':
		if !d.enter() {
			return
		}
		for first := true; ; first = false {
			c, ok := d.ws()
			if ok && c == '}' {
				break
			}
			if !first {
				if !ok || c != ',' {
					d.unexpected("',' or '}'")
					return
				}
				d.pos++
				c, ok = d.ws()
			}
			if !ok || c != '"' {
				d.unexpected("a key")
				return
			}
			d.str(0, 0)
			d.colon()
			d.skip()
			if d.err != nil {
				return
			}
		}
		d.pos++
		d.depth--
	case '[':
		if !d.enter() {
			return
		}
		for first := true; ; first = false {
			c, ok := d.ws()
			if ok && c == ']' {
				break
			}
			if !first {
				if !ok || c != ',' {
					d.unexpected("',' or ']'")
					return
				}
				d.pos++
			}
			d.skip()
			if d.err != nil {
				return
			}
		}
		d.pos++
		d.depth--
	case '"':
		d.str(0, 0)
	case 't':
		d.literal("true")
	case 'f':
		d.literal("false")
	case 'n':
		d.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			d.number()
			return
		}
		d.unexpected("a value")
	}
}

// enter consumes the opening bracket of an array or object, within the
// depth bound.
func (d *decoder) enter() bool {
	if d.depth == maxDepth {
		d.fail("nesting deeper than %d levels", maxDepth)
		return false
	}
	d.depth++
	d.pos++
	return true
}

func (d *decoder) colon() {
	if c, ok := d.ws(); !ok || c != ':' {
		d.unexpected("':'")
		return
	}
	d.pos++
}

// A schema lists the documented members of an object.
type schema struct {
	names    []string
	folded   []string // the names as encoding/json folds them
	required uint64   // bit i: names[i] must be present
}

func newSchema(required []string, optional ...string) *schema {
	s := &schema{names: append(append([]string(nil), required...), optional...)}
	for _, name := range s.names {
		s.folded = append(s.folded, jsonFold([]byte(name)))
	}
	s.required = 1<<len(required) - 1
	return s
}

// members iterates over the documented members of one object.
type members struct {
	s      *schema
	seen   uint64
	first  bool
	inside bool // a member's name is on the path
}

// object starts reading an object of schema s. If the next value is not an
// object, it is refused and skipped, and object returns false.
func (d *decoder) object(m *members, s *schema) bool {
	if !d.open('{', "an object") {
		return false
	}
	*m = members{s: s, first: true}
	return true
}

// open enters the object or array that the next value must be, opened by
// want; anything else is refused and skipped.
func (d *decoder) open(want byte, what string) bool {
	c, ok := d.ws()
	if !ok {
		d.unexpected(what)
		return false
	}
	if c != want {
		d.wrongType(c, what)
		return false
	}
	return d.enter()
}

// next moves to the value of the next documented member and returns its
// index in the schema, or -1 after the end of the object. Unknown members
// are skipped; case variants of documented names and documented names given
// twice are refused, their values skipped. At the end, a required member
// that was absent is refused.
func (d *decoder) next(m *members) int {
	if m.inside {
		d.path = d.path[:len(d.path)-1]
		m.inside = false
	}
	for d.err == nil {
		c, ok := d.ws()
		if ok && c == '}' {
			d.pos++
			d.depth--
			d.missing(m)
			return -1
		}
		if !m.first {
			if !ok || c != ',' {
				d.unexpected("',' or '}'")
				return -1
			}
			d.pos++
			c, ok = d.ws()
		}
		m.first = false
		if !ok || c != '"' {
			d.unexpected("a key")
			return -1
		}
		n, _ := d.str(maxKeyBytes, maxKeyBytes)
		d.colon()
		if d.err != nil {
			return -1
		}
		// A key longer than maxKeyBytes is neither a documented name nor a
		// case variant of one.
		key, whole := d.text, n == int64(len(d.text))
		i, variant := m.s.lookup(key, whole)
		switch {
		case i >= 0 && m.seen&(1<<i) != 0:
			d.refuse("%s has the key %s twice", m.s.names[i])
			d.skip()
		case i >= 0:
			m.seen |= 1 << i
			d.path = append(d.path, segment{name: m.s.names[i]})
			m.inside = true
			return i
		case variant >= 0:
			name := m.s.names[variant]
			d.refuse("%s has the key %s, which is %s in another case: refused, so that it cannot stand for %s",
				d.quote(string(key)), name, name)
			d.skip()
		default:
			d.skip() // unknown
		}
	}
	return -1
}

// lookup returns the index of the documented name that key is, or else of
// the one it equals when case is ignored (as encoding/json would match it),
// or -1s.
func (s *schema) lookup(key []byte, whole bool) (exact, variant int) {
	if !whole {
		return -1, -1
	}
	for i, name := range s.names {
		if string(key) == name {
			return i, -1
		}
	}
	// On ASCII, encoding/json's folding is bytes.EqualFold's.
	ascii := !slices.ContainsFunc(key, func(c byte) bool { return c >= utf8.RuneSelf })
	folded := ""
	if !ascii {
		folded = jsonFold(key)
	}
	for i, name := range s.names {
		if bytes.EqualFold(key, []byte(name)) || !ascii && folded == s.folded[i] {
			return -1, i
		}
	}
	return -1, -1
}

// jsonFold folds a name as encoding/json does to match it: a rune r as
// ToUpper(ToLower(r)). It differs from bytes.EqualFold for a few runes, such
// as the dotted capital I, which it takes for I.
func jsonFold(name []byte) string {
	var b strings.Builder
	for _, r := range string(name) {
		b.WriteRune(unicode.ToUpper(unicode.ToLower(r)))
	}
	return b.String()
}

func (d *decoder) missing(m *members) {
	if miss := m.s.required &^ m.seen; miss != 0 {
		for i, name := range m.s.names {
			if miss&(1<<i) != 0 {
				d.path = append(d.path, segment{name: name})
				d.refuse("%s is missing")
				d.path = d.path[:len(d.path)-1]
				return
			}
		}
	}
}

// elements iterates over the elements of one array.
type elements struct {
	i      int64
	inside bool
}

// array starts reading an array. If the next value is not an array, it is
// refused and skipped, and array returns false.
func (d *decoder) array(a *elements) bool {
	if !d.open('[', "a list") {
		return false
	}
	*a = elements{i: -1}
	return true
}

// elem moves to the next element and returns its index, or -1 after the end
// of the array.
func (d *decoder) elem(a *elements) int64 {
	if a.inside {
		d.path = d.path[:len(d.path)-1]
		a.inside = false
	}
	if d.err != nil {
		return -1
	}
	c, ok := d.ws()
	if ok && c == ']' {
		d.pos++
		d.depth--
		return -1
	}
	if a.i >= 0 {
		if !ok || c != ',' {
			d.unexpected("',' or ']'")
			return -1
		}
		d.pos++
	}
	a.i++
	d.path = append(d.path, segment{index: a.i})
	a.inside = true
	return a.i
}

// keep returns the kept text as a string, sharing equal texts, and counts
// what it keeps.
func (d *decoder) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.interned[string(b)]; ok {
		return s
	}
	s := string(b)
	d.interned[s] = s
	d.kept += int64(len(s)) + internOverhead
	return s
}

// display reads a display text: a string, or null for none. It is cut to
// MaxTextRunes; with keep false it is checked but not kept.
func (d *decoder) display(keep bool) string {
	c, ok := d.ws()
	if !ok || c != '"' {
		if ok && c == 'n' {
			d.literal("null")
			return ""
		}
		if !ok {
			d.unexpected("a string")
			return ""
		}
		d.wrongType(c, "a string")
		return ""
	}
	if !keep {
		d.str(0, 0)
		return ""
	}
	_, runes := d.str(MaxTextRunes*utf8.UTFMax, MaxTextRunes)
	if runes > MaxTextRunes {
		_, size := utf8.DecodeLastRune(d.text)
		d.text = append(d.text[:len(d.text)-size], "…"...)
	}
	return d.keep(d.text)
}

// id reads an id: a string of at most MaxIDLength bytes, never cut, or null
// for none when nullOK. A longer id is refused; what is returned of it is
// its start and "…", for messages.
func (d *decoder) id(nullOK, keep bool) string {
	c, ok := d.ws()
	if !ok || c != '"' {
		if ok && c == 'n' && nullOK {
			d.literal("null")
			return ""
		}
		if !ok {
			d.unexpected("a string")
			return ""
		}
		d.wrongType(c, "a string")
		return ""
	}
	n, _ := d.str(MaxIDLength, math.MaxInt)
	if n > MaxIDLength {
		d.refuse("%s is %d bytes long, more than any id (%d)", n, MaxIDLength)
		return cutID(string(d.text))
	}
	if !keep {
		return ""
	}
	return d.keep(d.text)
}

// integer reads an integer that fits in 64 bits; anything else, null
// included, is refused and reads as 0.
func (d *decoder) integer() int64 {
	c, ok := d.ws()
	if !ok {
		d.unexpected("an integer")
		return 0
	}
	if c != '-' && (c < '0' || c > '9') {
		d.wrongType(c, "an integer")
		return 0
	}
	integer, n := d.number()
	if d.err != nil {
		return 0
	}
	if !integer {
		d.refuse("%s is %s, want an integer", d.numberText(n))
		return 0
	}
	// d.num holds a valid integer literal: an optional minus, then digits.
	digits, neg := d.num, d.num[0] == '-'
	if neg {
		digits = digits[1:]
	}
	var v uint64
	over := n > len(d.num)
	for _, c := range digits {
		if v > (math.MaxUint64-9)/10 {
			over = true
			break
		}
		v = v*10 + uint64(c-'0')
	}
	switch {
	case over, !neg && v > math.MaxInt64, neg && v > 1<<63:
		d.refuse("%s is %s, more than a 64-bit integer holds", d.numberText(n))
		return 0
	case neg:
		return int64(-v)
	}
	return int64(v)
}

// numberText shows the number last read, n characters long, in a problem.
func (d *decoder) numberText(n int) string {
	if n > len(d.num) {
		return fmt.Sprintf("a number of %d characters", n)
	}
	return string(d.num)
}

// boolean reads true or false; anything else, null included, is refused.
func (d *decoder) boolean() bool {
	c, ok := d.ws()
	switch {
	case !ok:
		d.unexpected("a boolean")
	case c == 't':
		d.literal("true")
		return true
	case c == 'f':
		d.literal("false")
	default:
		d.wrongType(c, "a boolean")
	}
	return false
}

// date reads an RFC 3339 time, with or without fractional seconds.
func (d *decoder) date() time.Time {
	c, ok := d.ws()
	if !ok || c != '"' {
		if !ok {
			d.unexpected("a string")
		} else {
			d.wrongType(c, "an RFC 3339 time")
		}
		return time.Time{}
	}
	n, _ := d.str(64, 64)
	var t time.Time
	switch {
	case n > int64(len(d.text)):
		d.refuse("%s is a string of %d bytes, not an RFC 3339 time", n)
	case t.UnmarshalText(d.text) != nil:
		d.refuse("%s %s is not an RFC 3339 time", d.quote(string(d.text)))
	default:
		return t
	}
	return time.Time{}
}

// document reads one JSON value with read and refuses anything but
// whitespace after it. A body that is not a JSON object is refused as such
// when object is set.
func (d *decoder) document(object bool, read func()) error {
	if object {
		if c, ok := d.ws(); !ok || c != '{' {
			return &readError{problem: "the response is not a JSON object"}
		}
	}
	read()
	if d.err == nil {
		if c, ok := d.ws(); ok {
			d.fail("%s after the JSON value", describe(c))
		}
	}
	return d.err
}

// Schemas of the documented objects. Which members are required is a choice:
// those without which a batch run cannot be judged (its id, its date, its
// counts) and those without which a page cannot be followed (its list, and
// whether another page comes). Everything else is display or paging detail
// that older API versions may leave out.
var (
	pageSchema = newSchema([]string{"data", "hasNext"}, "page", "size", "totalCount", "totalPages", "hasPrevious")
	runSchema  = newSchema([]string{"batchId", "createdDate", "successfulAttempts", "failedAttempts", "totalAttempts"},
		"workspaceId", "agent", "testCases")
	agentSchema    = newSchema(nil, "name", "agentId", "status")
	testCaseSchema = newSchema(nil, "testCaseId", "label", "agent", "workspaceId", "llmModel", "mockData", "userPrompt", "attempt", "successCriteria")
	mockDataSchema = newSchema(nil, "variableName", "value")
)

// readPage reads SigmaMind's paginated wrapper, with item reading each
// element of data. More than maxItems elements, a data list that is absent
// or not a list, and any problem with the wrapper's own members end the
// page; problems within an element are item's to record.
func readPage[T any](d *decoder, p *Page[T], maxItems int, noun string, item func(*decoder, *T)) error {
	return d.document(true, func() {
		d.rowName = "the page"
		var m members
		d.object(&m, pageSchema)
		listed := false // data is there, and not null
		for f := d.next(&m); f >= 0; f = d.next(&m) {
			switch pageSchema.names[f] {
			case "data":
				if d.null() {
					continue
				}
				listed = true
				var a elements
				if !d.array(&a) {
					continue
				}
				p.Data = make([]T, 0, min(maxItems, 16))
				for i := d.elem(&a); i >= 0; i = d.elem(&a) {
					if i == int64(maxItems) {
						d.err = &readError{problem: fmt.Sprintf("the page has more than %d %ss: the gate does not read it", maxItems, noun)}
						return
					}
					var zero T
					p.Data = append(p.Data, zero)
					item(d, &p.Data[i])
				}
			case "hasNext":
				p.HasNext = d.boolean()
			case "hasPrevious":
				p.HasPrevious = d.boolean()
			case "page":
				p.Page = d.intValue()
			case "size":
				p.Size = d.intValue()
			case "totalPages":
				p.TotalPages = d.intValue()
			case "totalCount":
				p.TotalCount = d.integer()
			}
		}
		if d.err != nil {
			return
		}
		if !listed {
			// Some other JSON object, such as a gateway's {"message": ...}
			// sent with 200: reading it as an empty list would misreport.
			d.err = &readError{problem: fmt.Sprintf("the response has no data list: it is not a %s page", noun)}
			return
		}
		if d.problem != "" {
			d.err = &readError{problem: fmt.Sprintf("the response is not a %s page: %s", noun, d.problem)}
		}
	})
}

// intValue reads an integer that fits in an int.
func (d *decoder) intValue() int {
	v := d.integer()
	if v > math.MaxInt || v < math.MinInt {
		d.refuse("%s is %d, more than an int holds", v)
		return 0
	}
	return int(v)
}

// readBatchRunPage reads a page of batch runs.
func readBatchRunPage(d *decoder, p *Page[BatchRun], maxItems int) error {
	return readPage(d, p, maxItems, "batch run", (*decoder).batchRun)
}

// batchRun reads one batch run. Its problems are its own: they are recorded
// in b.Invalid, which Validate turns into a *DataError.
func (d *decoder) batchRun(b *BatchRun) {
	saved := d.beginRow("the batch run")
	defer func() { b.Invalid = d.endRow(saved) }()
	var m members
	if !d.object(&m, runSchema) {
		return
	}
	for f := d.next(&m); f >= 0; f = d.next(&m) {
		switch runSchema.names[f] {
		case "batchId":
			b.BatchID = d.id(false, true)
		case "createdDate":
			b.CreatedDate = d.date()
		case "successfulAttempts":
			b.SuccessfulAttempts = d.integer()
		case "failedAttempts":
			b.FailedAttempts = d.integer()
		case "totalAttempts":
			b.TotalAttempts = d.integer()
		case "workspaceId":
			b.WorkspaceID = d.id(true, true)
		case "agent":
			b.Agent = d.agent(true)
		case "testCases":
			d.testCases(b)
		}
	}
}

// agent reads an agent, or null for none.
func (d *decoder) agent(keep bool) *Agent {
	if d.null() {
		return nil
	}
	var a Agent
	var m members
	if !d.object(&m, agentSchema) {
		return nil
	}
	for f := d.next(&m); f >= 0; f = d.next(&m) {
		switch agentSchema.names[f] {
		case "name":
			a.Name = d.display(keep)
		case "agentId":
			a.AgentID = d.id(true, keep)
		case "status":
			a.Status = d.display(keep)
		}
	}
	if !keep {
		return nil
	}
	return &a
}

// testCases reads a batch run's test cases: the first are kept, every one
// is counted, and the configured attempts of those left out are summed.
func (d *decoder) testCases(b *BatchRun) {
	if d.null() {
		return // not listed
	}
	var a elements
	if !d.array(&a) {
		return
	}
	var skipped TestCase
	for i := d.elem(&a); i >= 0; i = d.elem(&a) {
		if len(b.TestCases) < MaxTestCases && d.kept < maxKeptBytes {
			var tc TestCase
			d.testCase(&tc, true)
			cost := int64(unsafe.Sizeof(tc)) + int64(cap(tc.MockData))*int64(unsafe.Sizeof(MockData{}))
			if tc.Agent != nil {
				cost += int64(unsafe.Sizeof(*tc.Agent))
			}
			if d.kept+cost <= maxKeptBytes {
				d.kept += cost
				b.TestCases = append(b.TestCases, tc)
				continue
			}
			d.kept = maxKeptBytes // spent: count the rest
			skipped = tc
		} else {
			d.testCase(&skipped, false)
		}
		b.leaveOut(skipped.Attempt)
	}
}

// testCase reads a test case into tc. With keep false only its attempt
// count is set: the rest is checked, not kept.
func (d *decoder) testCase(tc *TestCase, keep bool) {
	*tc = TestCase{}
	var m members
	if !d.object(&m, testCaseSchema) {
		return
	}
	var id []byte // for a message about a test case not kept
	for f := d.next(&m); f >= 0; f = d.next(&m) {
		switch testCaseSchema.names[f] {
		case "testCaseId":
			tc.TestCaseID = d.id(true, keep)
			if !keep {
				id = append(id[:0], d.text...)
			}
		case "attempt":
			if d.null() {
				continue // unknown, like a missing attempt
			}
			tc.Attempt = d.integer()
		case "label":
			tc.Label = d.display(keep)
		case "agent":
			tc.Agent = d.agent(keep)
		case "workspaceId":
			tc.WorkspaceID = d.id(true, keep)
		case "llmModel":
			tc.LLMModel = d.display(keep)
		case "userPrompt":
			tc.UserPrompt = d.display(keep)
		case "successCriteria":
			tc.SuccessCriteria = d.display(keep)
		case "mockData":
			tc.MockData = d.mockData(keep)
		}
	}
	if tc.Attempt < 0 {
		if keep {
			id = []byte(tc.TestCaseID)
		}
		// Validate says the same of a test case that was kept; one left out
		// must not escape it.
		if d.problem == "" && d.err == nil {
			d.problem = fmt.Sprintf("test case %s has a negative attempt count %d", d.quote(string(id)), tc.Attempt)
		}
	}
}

// mockData reads a test case's mock variables, keeping the first
// maxMockData of them.
func (d *decoder) mockData(keep bool) []MockData {
	if d.null() {
		return nil
	}
	var out []MockData
	var a elements
	if !d.array(&a) {
		return nil
	}
	for d.elem(&a) >= 0 {
		k := keep && len(out) < maxMockData
		var md MockData
		var m members
		if !d.object(&m, mockDataSchema) {
			continue
		}
		for f := d.next(&m); f >= 0; f = d.next(&m) {
			switch mockDataSchema.names[f] {
			case "variableName":
				md.VariableName = d.display(k)
			case "value":
				md.Value = d.display(k)
			}
		}
		if k {
			out = append(out, md)
		}
	}
	return out
}

// source is a response body as the decoder reads it: bounded, counted, with
// its start kept for excerpts in messages.
type source struct {
	r      io.Reader
	n      int64
	err    error // the first failure other than io.EOF
	prefix []byte
}

// excerptBytes is how much of a body's start is kept for an excerpt.
const excerptBytes = 64 << 10

func newSource(r io.Reader, limit int64) *source {
	return &source{r: io.LimitReader(r, limit+1), prefix: make([]byte, 0, 4<<10)}
}

func (s *source) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.n += int64(n)
	if room := excerptBytes - len(s.prefix); room > 0 {
		s.prefix = append(s.prefix, p[:min(n, room)]...)
	}
	if err != nil && err != io.EOF && s.err == nil {
		s.err = err
	}
	return n, err
}

// drain reads the rest of the body, so that its size and a broken
// connection are known as if it had been read whole.
func (s *source) drain() {
	_, err := io.Copy(io.Discard, s)
	if err != nil && s.err == nil {
		s.err = err
	}
}

// excerpt is a short, redacted excerpt of the body's start. When the body
// is longer than the kept start, the start's last bytes are dropped: they
// could hold part of the key, which redaction would not recognise.
func (s *source) excerpt(secret string) string {
	p := s.prefix
	if s.n > int64(len(p)) {
		p = p[:max(0, len(p)-8*len(secret))]
	}
	return excerpt(p, secret)
}
