package untrusted

import (
	"encoding/binary"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"
)

// pattern is a regular expression over bytes, built in code: the forms a
// character of a secret may take in text.
type pattern struct {
	op     op
	s      string     // opBytes
	v, hi  byte       // opHex: values from v to hi, each from 0 to 15
	lo, up rune       // opRunes
	subs   []*pattern // opSeq, opAlt, opOpt
}

type op uint8

const (
	opBytes op = iota // exactly the bytes s
	opHex             // a hex digit for a value from v to hi, in either case
	opSeq             // subs one after another
	opAlt             // any one of subs
	opOpt             // subs[0] or nothing
	opZeros           // any number of '0': leading zeros of an HTML character reference
	opRunes           // the UTF-8 of any code point from lo to up (see build)
)

func lit(s string) *pattern       { return &pattern{op: opBytes, s: s} }
func seq(ps ...*pattern) *pattern { return &pattern{op: opSeq, subs: ps} }
func alt(ps ...*pattern) *pattern { return &pattern{op: opAlt, subs: ps} }
func opt(p *pattern) *pattern     { return &pattern{op: opOpt, subs: []*pattern{p}} }
func hexDigit(v byte) *pattern    { return &pattern{op: opHex, v: v & 15, hi: v & 15} }
func zeros() *pattern             { return &pattern{op: opZeros} }
func hexByte(b byte) *pattern     { return seq(hexDigit(b>>4), hexDigit(b)) }

func hexRange(lo, hi byte) *pattern { return &pattern{op: opHex, v: lo & 15, hi: hi & 15} }
func runes(lo, up rune) *pattern    { return &pattern{op: opRunes, lo: lo, up: up} }

func hexFixed(n uint32, w int) *pattern {
	ps := make([]*pattern, w)
	for i := range w {
		ps[i] = hexDigit(byte(n >> (4 * (w - 1 - i))))
	}
	return seq(ps...)
}

// hexShortest is n in hex without leading zeros, each digit in either case.
func hexShortest(n uint32) *pattern {
	var ps []*pattern
	for _, c := range strconv.FormatUint(uint64(n), 16) {
		v, _ := strconv.ParseUint(string(c), 16, 8)
		ps = append(ps, hexDigit(byte(v)))
	}
	return seq(ps...)
}

// entityNames are the HTML named character references of ASCII characters,
// as the HTML standard lists them. Every one may end without ';', as
// browsers accept for some of them.
var entityNames = map[byte][]string{
	'\t': {"Tab"}, '\n': {"NewLine"}, '!': {"excl"}, '"': {"quot", "QUOT"}, '#': {"num"}, '$': {"dollar"},
	'%': {"percnt"}, '&': {"amp", "AMP"}, '\'': {"apos"}, '(': {"lpar"}, ')': {"rpar"}, '*': {"ast", "midast"},
	'+': {"plus"}, ',': {"comma"}, '.': {"period"}, '/': {"sol"}, ':': {"colon"}, ';': {"semi"},
	'<': {"lt", "LT"}, '=': {"equals"}, '>': {"gt", "GT"}, '?': {"quest"}, '@': {"commat"},
	'[': {"lsqb", "lbrack"}, '\\': {"bsol"}, ']': {"rsqb", "rbrack"}, '^': {"Hat"}, '_': {"lowbar", "UnderBar"},
	'`': {"grave", "DiacriticalGrave"}, '{': {"lcub", "lbrace"}, '|': {"verbar", "vert", "VerticalLine"},
	'}': {"rcub", "rbrace"},
}

// shortEscapes are the one-letter backslash escapes of JSON and Go.
var shortEscapes = map[byte]string{'\a': "a", '\b': "b", '\f': "f", '\n': "n", '\r': "r", '\t': "t", '\v': "v"}

// isPunct reports ASCII punctuation: what markdown escapes with a backslash,
// and what the forms of a character are made of besides letters and digits.
func isPunct(b byte) bool {
	return b >= '!' && b <= '/' || b >= ':' && b <= '@' || b >= '[' && b <= '`' || b >= '{' && b <= '~'
}

// forms is every way the character c (one rune's UTF-8 bytes, or one byte
// that is not UTF-8) may appear in text that some encoder wrote:
//
//   - itself;
//   - percent-encoded, byte by byte (URLs, the runner's escaping of
//     workflow commands: %25, %0A, %3A, ...), '+' for a space, and
//     JavaScript's %uXXXX;
//   - backslash-escaped, as markdown escapes punctuation and JSON escapes
//     '\', '"' and '/'; JSON's and Go's \n, \t, ...; \uXXXX (a surrogate
//     pair past U+FFFF), Go's \UXXXXXXXX, and \xXX;
//   - an HTML character reference: &#95;, &#x5F; (leading zeros allowed,
//     the ';' optional) or a name (&lowbar;).
//
// Hex digits may be in either case. At depth 2 the punctuation a form is
// made of may itself take a form of depth 1, as when one encoder's output
// goes through another: JSON or the runner escaping a markdown escape
// (`\\_`, `%5C_`), markdown escaping a JSON escape (`\\u005f`), the runner
// escaping a percent-encoding (`%255F`), markdown escaping Go's quoting of
// a quote (`\\&quot;`). Deeper nesting is not looked for.
func forms(c []byte, depth int) *pattern {
	sym := func(b byte) *pattern {
		if depth > 1 && isPunct(b) {
			return asciiForms(b, depth-1)
		}
		return lit(string(b))
	}
	r, size := utf8.DecodeRune(c)
	isRune := !(r == utf8.RuneError && size < 2)
	alts := []*pattern{lit(string(c))}

	var percent, hexEscape []*pattern
	for _, b := range c {
		percent = append(percent, sym('%'), hexByte(b))
		hexEscape = append(hexEscape, sym('\\'), lit("x"), hexByte(b))
	}
	alts = append(alts, seq(percent...), seq(hexEscape...))
	if !isRune {
		return alt(alts...)
	}
	u := uint32(r)
	if r == ' ' {
		alts = append(alts, sym('+'))
	}
	if len(c) == 1 && isPunct(c[0]) {
		alts = append(alts, seq(sym('\\'), sym(c[0])))
	}
	if len(c) == 1 && shortEscapes[c[0]] != "" {
		alts = append(alts, seq(sym('\\'), lit(shortEscapes[c[0]])))
	}
	if r >= 0x80 && r < 0x100 {
		alts = append(alts, seq(sym('\\'), lit("x"), hexByte(byte(r))))
	}
	if r < 0x10000 {
		alts = append(alts, seq(sym('\\'), lit("u"), hexFixed(u, 4)), seq(sym('%'), lit("u"), hexFixed(u, 4)))
	} else {
		hi, lo := utf16Pair(r)
		alts = append(alts, seq(sym('\\'), lit("u"), hexFixed(hi, 4), sym('\\'), lit("u"), hexFixed(lo, 4)))
	}
	alts = append(alts, seq(sym('\\'), lit("U"), hexFixed(u, 8)))
	end := opt(sym(';'))
	alts = append(alts,
		seq(sym('&'), sym('#'), zeros(), lit(strconv.FormatUint(uint64(u), 10)), end),
		seq(sym('&'), sym('#'), alt(lit("x"), lit("X")), zeros(), hexShortest(u), end))
	if len(c) == 1 {
		for _, name := range entityNames[c[0]] {
			alts = append(alts, seq(sym('&'), lit(name), end))
		}
	}
	return alt(alts...)
}

func utf16Pair(r rune) (hi, lo uint32) {
	r -= 0x10000
	return 0xD800 + uint32(r>>10)&0x3FF, 0xDC00 + uint32(r)&0x3FF
}

// asciiForms is forms of one ASCII character, built once.
func asciiForms(b byte, depth int) *pattern {
	asciiPatterns.once.Do(func() {
		for i := range 128 {
			asciiPatterns.depth1[i] = forms([]byte{byte(i)}, 1)
		}
	})
	if depth == 1 {
		return asciiPatterns.depth1[b]
	}
	return forms([]byte{b}, depth)
}

var asciiPatterns struct {
	once   sync.Once
	depth1 [128]*pattern
}

// depth is how deeply forms nest: two encoders, one over the other.
const depth = 2

// charDFA is the automaton that recognises the forms of one character of a
// secret. State 0 is the start.
type charDFA struct {
	next   [][]transition
	accept []bool
	first  [256]bool // the bytes that leave the start state
	// start is where each byte leads from the start state, -1 nowhere:
	// every partial match begins there, and the gaps' start has many ways
	// out, too many to search one by one for every byte.
	start [256]int32
}

type transition struct {
	b  byte
	to int32
}

func (d *charDFA) step(state int32, b byte) int32 {
	if state == 0 {
		return d.start[b]
	}
	for _, t := range d.next[state] {
		if t.b == b {
			return t.to
		}
	}
	return -1
}

// dfaFor returns the automaton for the character c. Those of ASCII
// characters, which API keys are made of, are built once.
func dfaFor(c []byte) *charDFA {
	if len(c) != 1 || c[0] >= 0x80 {
		return compile(forms(c, depth))
	}
	if d, ok := asciiDFAs.Load(c[0]); ok {
		return d.(*charDFA)
	}
	d, _ := asciiDFAs.LoadOrStore(c[0], compile(forms(c, depth)))
	return d.(*charDFA)
}

var asciiDFAs sync.Map // byte → *charDFA

// nfa is a Thompson automaton with empty moves, an intermediate step from a
// pattern to a charDFA.
type nfa struct {
	edges [][]nfaEdge
	empty [][]int32
}

type nfaEdge struct {
	a, b byte // the byte, and its other case (a again when none)
	to   int32
}

func (n *nfa) node() int32 {
	n.edges = append(n.edges, nil)
	n.empty = append(n.empty, nil)
	return int32(len(n.edges) - 1)
}

// build adds p from the node from and returns the node where it ends. It
// adds moves only out of from and out of nodes it makes, never into from,
// so alternatives can share their start.
func (n *nfa) build(p *pattern, from int32) int32 {
	switch p.op {
	case opBytes:
		for i := 0; i < len(p.s); i++ {
			to := n.node()
			n.edges[from] = append(n.edges[from], nfaEdge{p.s[i], p.s[i], to})
			from = to
		}
		return from
	case opHex:
		to := n.node()
		for v := p.v; v <= p.hi; v++ {
			n.edges[from] = append(n.edges[from], nfaEdge{"0123456789abcdef"[v], "0123456789ABCDEF"[v], to})
		}
		return to
	case opRunes:
		// Only ranges whose code points share all but whole trailing
		// bytes (80 to BF), as the tag characters U+E0000 to U+E0FFF do:
		// one fixed start, then any continuation byte.
		lo, up := utf8.AppendRune(nil, p.lo), utf8.AppendRune(nil, p.up)
		i := 0
		for i < len(lo) && len(lo) == len(up) && lo[i] == up[i] {
			i++
		}
		for k := i; k < len(lo); k++ {
			if len(lo) != len(up) || lo[k] != 0x80 || up[k] != 0xBF {
				panic("untrusted: a code point range that is not whole UTF-8 blocks")
			}
		}
		from = n.build(lit(string(lo[:i])), from)
		for range len(lo) - i {
			to := n.node()
			for b := 0x80; b <= 0xBF; b++ {
				n.edges[from] = append(n.edges[from], nfaEdge{byte(b), byte(b), to})
			}
			from = to
		}
		return from
	case opSeq:
		for _, s := range p.subs {
			from = n.build(s, from)
		}
		return from
	case opAlt:
		to := n.node()
		for _, s := range p.subs {
			end := n.build(s, from)
			n.empty[end] = append(n.empty[end], to)
		}
		return to
	case opOpt:
		to := n.node()
		end := n.build(p.subs[0], from)
		n.empty[end] = append(n.empty[end], to)
		n.empty[from] = append(n.empty[from], to)
		return to
	case opZeros:
		loop := n.node()
		n.empty[from] = append(n.empty[from], loop)
		n.edges[loop] = append(n.edges[loop], nfaEdge{'0', '0', loop})
		return loop
	}
	panic("untrusted: unknown pattern op")
}

// compile turns p into a deterministic automaton by the subset
// construction. The forms of one character make a small automaton; a
// deterministic one keeps matching to one state per character and start.
func compile(p *pattern) *charDFA {
	var n nfa
	start := n.node()
	final := n.build(p, start)

	closure := func(set []int32) []int32 {
		seen := map[int32]bool{}
		stack := slices.Clone(set)
		var out []int32
		for len(stack) > 0 {
			s := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[s] {
				continue
			}
			seen[s] = true
			out = append(out, s)
			stack = append(stack, n.empty[s]...)
		}
		slices.Sort(out)
		return out
	}
	key := func(set []int32) string {
		b := make([]byte, 0, 4*len(set))
		for _, s := range set {
			b = binary.LittleEndian.AppendUint32(b, uint32(s))
		}
		return string(b)
	}

	d := &charDFA{}
	ids := map[string]int32{}
	var sets [][]int32
	add := func(set []int32) int32 {
		k := key(set)
		if id, ok := ids[k]; ok {
			return id
		}
		id := int32(len(sets))
		ids[k] = id
		sets = append(sets, set)
		d.next = append(d.next, nil)
		d.accept = append(d.accept, slices.Contains(set, final))
		return id
	}
	add(closure([]int32{start}))
	var targets [256][]int32
	for id := 0; id < len(sets); id++ {
		var used []byte
		for _, s := range sets[id] {
			for _, e := range n.edges[s] {
				for _, b := range []byte{e.a, e.b} {
					if len(targets[b]) == 0 {
						used = append(used, b)
					}
					if !slices.Contains(targets[b], e.to) {
						targets[b] = append(targets[b], e.to)
					}
				}
			}
		}
		slices.Sort(used)
		for _, b := range used {
			to := add(closure(targets[b]))
			d.next[id] = append(d.next[id], transition{b, to})
			targets[b] = targets[b][:0]
		}
	}
	for b := range d.start {
		d.start[b] = -1
	}
	for _, t := range d.next[0] {
		d.first[t.b] = true
		d.start[t.b] = t.to
	}
	return d
}
