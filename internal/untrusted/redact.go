// Package untrusted handles text that the program did not write: what an API
// answers, and what the network layer says about an answer. Such text may
// carry a secret back, plainly or encoded, and must lose it before anything
// formats, escapes or prints it (Redact). It may also be of any length and
// hold anything: Cut and CutBytes bound it, OneLine makes it one line of
// visible words, and Digits checks a number before it is parsed.
//
// Escaping for a format stays with the format's writer: markdown and HTML in
// package report, workflow commands in package ghio.
package untrusted

import (
	"strings"
	"unicode/utf8"
)

// Mask replaces a secret, as the runner's own masker does.
const Mask = "***"

// Secrets finds secrets in text, each character of a secret in any of the
// forms that encoders write (see forms), in any mix: `sk\_live`,
// `sk%5Flive`, `sk\u005flive` and `sk&#95;live` all hold "sk_live"; and with
// any number of invisible characters or line breaks between two of its
// characters, in any of those forms too (see gaps.go). Its zero value finds
// nothing; make one with NewSecrets.
//
// Matching is a simulation of one small deterministic automaton per
// character of a secret, and one for what may come between two: its time is
// linear in the text, times the few partial matches alive at a time,
// whatever the text holds. A Secrets is safe for concurrent use.
type Secrets struct {
	secrets [][]*charDFA
	offsets [][]int // where the states of each character start, counting all
	// gaps[k][j] is where the states of the gap before character j of
	// secret k start (j from 1): see gaps.go.
	gaps  [][]int
	gap   *charDFA
	first [256]bool // the bytes that can start a match
	// star is set when a secret holds '*': Mask next to what is left of the
	// text can then spell that secret again.
	star bool
}

// NewSecrets returns a Secrets that finds every non-empty one of secrets.
func NewSecrets(secrets ...string) *Secrets {
	s := &Secrets{gap: gapDFA()}
	states := 0
	for _, secret := range secrets {
		if secret == "" {
			continue
		}
		var chars []*charDFA
		for i := 0; i < len(secret); {
			_, size := utf8.DecodeRuneInString(secret[i:])
			chars = append(chars, dfaFor([]byte(secret[i:i+size])))
			i += size
		}
		offsets, gaps := make([]int, len(chars)), make([]int, len(chars))
		for j, d := range chars {
			offsets[j] = states
			states += len(d.next)
			if j > 0 {
				gaps[j] = states
				states += len(s.gap.next)
			}
		}
		s.offsets = append(s.offsets, offsets)
		s.gaps = append(s.gaps, gaps)
		for b, ok := range chars[0].first {
			s.first[b] = s.first[b] || ok
		}
		s.secrets = append(s.secrets, chars)
		s.star = s.star || strings.Contains(secret, "*")
	}
	return s
}

// Redact replaces every secret in text with Mask. Stretches that secrets
// overlap become one Mask, as with the runner's masker: masking one secret
// after another would leave the rest of one that overlaps another.
func Redact(text string, secrets ...string) string {
	return NewSecrets(secrets...).Redact(text)
}

// Redact replaces every secret in text with Mask.
func (s *Secrets) Redact(text string) string {
	out, changed := s.redact(text)
	if !changed {
		return text
	}
	return out
}

// RedactBytes is Redact for bytes. It returns p itself when p holds no
// secret.
func (s *Secrets) RedactBytes(p []byte) []byte {
	out, changed := s.redact(string(p))
	if !changed {
		return p
	}
	return []byte(out)
}

// maxRounds bounds how often a text is redacted again because Mask spelled a
// secret anew; text that still does after that is masked whole.
const maxRounds = 8

func (s *Secrets) redact(text string) (string, bool) {
	out, changed := s.once(text)
	if !changed || !s.star {
		return out, changed
	}
	// A secret with a '*' can form again from Mask and its neighbours: "*ab"
	// in "*abab" leaves "***ab". Without one, Mask cannot take part in a
	// match, so one round is enough.
	for range maxRounds {
		again, more := s.once(out)
		if !more {
			return out, true
		}
		out = again
	}
	return Mask, true
}

type span struct{ start, end int }

// thread is a partial match: of secret, char characters are matched, and
// the automaton of the next one is in state; or, in a gap, that of a
// character that may come before it (see gaps.go). A thread in state 0 of a
// character after the first may begin either.
//
// It has four fields, so that the compiler keeps it in registers: a fifth
// makes matching twice as slow. at holds both char and gap.
type thread struct {
	secret, at, state int32
	start             int
}

func at(char int32, gap bool) int32 {
	if gap {
		return char<<1 | 1
	}
	return char << 1
}

func (t thread) char() int32 { return t.at >> 1 }
func (t thread) gap() bool   { return t.at&1 == 1 }

// once masks every match in text, in one pass.
func (s *Secrets) once(text string) (string, bool) {
	spans := s.find(text)
	if len(spans) == 0 {
		return text, false
	}
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, m := range spans {
		b.WriteString(text[last:m.start])
		b.WriteString(Mask)
		last = m.end
	}
	b.WriteString(text[last:])
	return b.String(), true
}

// find returns the stretches of text that matches cover, in order, those
// that overlap merged.
func (s *Secrets) find(text string) []span {
	var spans []span
	// Room for the few threads usual text keeps, without allocating.
	var curRoom, nextRoom [8]thread
	cur, next := curRoom[:0], nextRoom[:0]
	var ts threadSet
	for i := 0; i < len(text); i++ {
		if len(cur) == 0 {
			// Nothing is under way: skip to a byte that can start a match.
			for i < len(text) && !s.first[text[i]] {
				i++
			}
			if i == len(text) {
				break
			}
		}
		c := text[i]
		if s.first[c] {
			for k := range s.secrets {
				cur = append(cur, thread{secret: int32(k), start: i})
			}
		}
		// cur is in order of start, so the first thread to reach a state
		// started earliest; a later one in the same state can only match a
		// stretch inside the first one's, and is dropped.
		next = next[:0]
		ts.step++
		for _, t := range cur {
			char, gap := t.char(), t.gap()
			d := s.secrets[t.secret][char]
			if gap {
				d = s.gap
			}
			if t.state == 0 && !gap && char > 0 {
				// Between two characters, a gap may begin instead.
				if to := s.gap.start[c]; to >= 0 {
					next = ts.add(s, next, thread{t.secret, at(char, true), to, t.start})
					if s.gap.accept[to] {
						next = ts.add(s, next, thread{t.secret, t.at, 0, t.start})
					}
				}
			}
			to := d.step(t.state, c)
			if to < 0 {
				continue
			}
			next = ts.add(s, next, thread{t.secret, t.at, to, t.start})
			if !d.accept[to] {
				continue
			}
			switch {
			case gap:
				// Between two characters again: the next one, or another
				// gap, may follow.
				next = ts.add(s, next, thread{t.secret, at(char, false), 0, t.start})
			case int(char)+1 == len(s.secrets[t.secret]):
				spans = addSpan(spans, span{t.start, i + 1})
			default:
				next = ts.add(s, next, thread{t.secret, at(char+1, false), 0, t.start})
			}
		}
		cur, next = next, cur
	}
	return spans
}

// addSpan adds a match to spans, which are apart and in order. A match
// ends no earlier than those found before it, so it can only overlap the
// last ones.
func addSpan(spans []span, m span) []span {
	for len(spans) > 0 && spans[len(spans)-1].end > m.start {
		m.start = min(m.start, spans[len(spans)-1].start)
		spans = spans[:len(spans)-1]
	}
	return append(spans, m)
}

// threadSet finds a thread already in the list for this step. A few
// threads are searched one by one; past that, as a text made for it may
// bring, by a map of the states that had a thread, made then. (A table of
// every state would be large: the gaps' automaton has thousands.)
type threadSet struct {
	step int
	seen map[int]int // the step at which a state last got a thread
}

const fewThreads = 16

func (ts *threadSet) add(s *Secrets, list []thread, t thread) []thread {
	id := func(t thread) int {
		if t.gap() {
			return s.gaps[t.secret][t.char()] + int(t.state)
		}
		return s.offsets[t.secret][t.char()] + int(t.state)
	}
	if ts.seen == nil {
		for _, u := range list {
			if u.secret == t.secret && u.at == t.at && u.state == t.state {
				return list
			}
		}
		list = append(list, t)
		if len(list) > fewThreads {
			ts.seen = make(map[int]int)
			for _, u := range list {
				ts.seen[id(u)] = ts.step
			}
		}
		return list
	}
	if k := id(t); ts.seen[k] != ts.step {
		ts.seen[k] = ts.step
		list = append(list, t)
	}
	return list
}
