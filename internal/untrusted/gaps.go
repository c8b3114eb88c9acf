package untrusted

import (
	"sync"
	"unicode/utf8"
)

// Between two characters of a secret, text may hold characters that show
// nothing, or a line break: "sk-live-\u200b0123" reads as the key in a
// summary, and a line break the report turns into a space or the log
// splits in two still leaves it whole to the eye. A secret is found with
// any number of them between any two of its characters.
//
// ignorable are the code points Unicode calls Default_Ignorable_Code_Point
// (DerivedCoreProperties.txt), but for the tag characters, which tagBlock
// covers, and the line breaks.
var ignorable = [][2]rune{
	{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}, // line breaks
	{0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C}, {0x115F, 0x1160},
	{0x17B4, 0x17B5}, {0x180B, 0x180F}, {0x200B, 0x200F}, {0x202A, 0x202E},
	{0x2060, 0x206F}, {0x3164, 0x3164}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF},
	{0xFFA0, 0xFFA0}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
}

// The tag characters, U+E0000 to U+E0FFF: too many to spell each in every
// form, so tagBlock has the forms that take a range cheaply.
const tagFirst, tagLast = 0xE0000, 0xE0FFF

// gapPattern is one character that may come between two characters of a
// secret, in the forms that forms gives a character (the tag characters in
// those tagBlock gives). \r and \n, which the gate's own formatters escape
// (the runner's %0A, JSON's \n), are looked for two encoders deep, as the
// characters of a secret are; the others one deep, as they come: two deep,
// their automaton would have thousands of states more, and building it
// would cost every run of the gate some 20 MB.
func gapPattern() *pattern {
	var alts []*pattern
	for _, r := range ignorable {
		for c := r[0]; c <= r[1]; c++ {
			d := 1
			if c < utf8.RuneSelf {
				d = depth
			}
			alts = append(alts, forms(utf8.AppendRune(nil, c), d))
		}
	}
	return alt(append(alts, tagBlock(1))...)
}

// tagBlock is the tag characters themselves, as JSON's surrogate pairs
// (\uDB40\uDC00 to \uDB40\uDFFF), Go's \U000E0XXX, percent-encoded UTF-8,
// and HTML hex references. Decimal references are left out: their digits
// do not split into ranges as simply.
func tagBlock(depth int) *pattern {
	sym := func(b byte) *pattern {
		if depth > 1 {
			return asciiForms(b, depth-1)
		}
		return lit(string(b))
	}
	nibble := func() *pattern { return hexRange(0, 15) }
	cont := func() *pattern { return seq(sym('%'), hexRange(8, 0xB), nibble()) } // a continuation byte
	hi, _ := utf16Pair(tagFirst)
	return alt(
		runes(tagFirst, tagLast),
		seq(sym('\\'), lit("u"), hexFixed(hi, 4), sym('\\'), lit("u"), hexDigit(0xD), hexRange(0xC, 0xF), nibble(), nibble()),
		seq(sym('\\'), lit("U"), hexFixed(tagFirst>>12, 5), nibble(), nibble(), nibble()),
		seq(sym('%'), hexByte(0xF3), sym('%'), hexByte(0xA0), cont(), cont()),
		seq(sym('&'), sym('#'), alt(lit("x"), lit("X")), zeros(), hexDigit(0xE), hexDigit(0), nibble(), nibble(), nibble(), opt(sym(';'))),
	)
}

// gapDFA is the automaton of gapPattern, built once.
var gapDFA = sync.OnceValue(func() *charDFA { return compile(gapPattern()) })
