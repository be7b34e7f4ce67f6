package core

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// This file reads an entry's JSON object for the formatters: once, strictly
// (RFC 8259, UTF-8 only), without allocating, into the spans of its
// top-level members. Values are validated whole, nested ones included, so
// that a formatter can copy them to its output byte for byte and the output
// is valid JSON whenever the input was. [Entry.RawField] stays the lenient
// reader for deciders; this one is for the formatters, which must refuse
// what they cannot copy safely.

// member is one top-level member of an entry's JSON object: the quoted key
// b[key0:key1] and the value b[val0:val1].
type member struct {
	key0, key1 int32
	val0, val1 int32
	keyEsc     bool // the key has escapes
	strEsc     bool // the value is a string with escapes
	taken      bool // a formatter took it as a built-in, or a later member of its name shadows it
	shadowed   bool // taken because a later member of its name shadows it
}

// key returns the member's quoted key.
func (m *member) key(b []byte) []byte { return b[m.key0:m.key1] }

// value returns the member's JSON value.
func (m *member) value(b []byte) []byte { return b[m.val0:m.val1] }

// says reports whether the member's value, a string, decodes to s.
func (m *member) says(b []byte, s string) bool {
	if !m.strEsc {
		return string(m.content(b)) == s
	}
	return jsonStringEquals(m.content(b), s)
}

// isString reports whether the member's value is a JSON string.
func (m *member) isString(b []byte) bool { return b[m.val0] == '"' }

// content returns the text between the quotes of a string value, escapes
// as they are.
func (m *member) content(b []byte) []byte { return b[m.val0+1 : m.val1-1] }

// maxDepth bounds how deeply values may nest: deeper input is refused
// rather than read with an unbounded stack.
const maxDepth = 1024

// maxJSONLen is the longest entry the spans of a member can address.
const maxJSONLen = 1<<31 - 1

// jsonError describes why an entry's JSON could not be read. The
// formatters turn it into an error naming the field.
type jsonError struct {
	off int    // byte offset in the entry's JSON
	msg string // what is wrong there
	key []byte // the quoted key of the member being read; nil if none
}

func (e *jsonError) Error() string {
	var b []byte
	if e.key != nil {
		b = append(b, "field "...)
		b = strconv.AppendQuote(b, string(unquote(nil, e.key)))
		b = append(b, ": "...)
	}
	b = append(b, "invalid JSON at byte "...)
	b = strconv.AppendInt(b, int64(e.off), 10)
	b = append(b, ": "...)
	b = append(b, e.msg...)
	return string(b)
}

// errNotObject is returned for an entry whose JSON is not one object.
var errNotObject = errors.New("entry is not a JSON object")

// readObject appends the members of the JSON object b to ms and returns
// them. It fails if b is anything but one object, surrounded by optional
// white space, that RFC 8259 accepts, in UTF-8, nested at most maxDepth
// deep. Duplicate keys are kept, in order.
//
// What loggers write, compact JSON in printable ASCII, takes readCompact;
// anything else, and every error, readGeneral.
func readObject(b []byte, ms []member) ([]member, error) {
	if len(b) > maxJSONLen {
		return ms, fmt.Errorf("entry of %d bytes is too long to format", len(b))
	}
	n := len(b)
	for n > 0 && (b[n-1] == '\n' || b[n-1] == ' ' || b[n-1] == '\r' || b[n-1] == '\t') {
		n--
	}
	if n >= 2 && b[0] == '{' && b[n-1] == '}' {
		if out, ok := readCompact(b[:n], ms); ok {
			return out, nil
		}
	}
	return readGeneral(b, ms)
}

// readCompact appends the members of the object t, which starts with '{'
// and ends with '}', to ms, if t is valid JSON without white space between
// tokens whose strings are printable ASCII without escapes (nested values
// may have anything valid); else it reports false, and ms's new elements
// are garbage.
//
// It takes the strings' quotes from a bitmap of each 64 bytes (see
// quoteBlock), computed with no dependence on what the walk found, so that
// the CPU computes it ahead of the walk; a plain string is then one quote
// to the next, and what lies between strings is checked byte by byte.
func readCompact(t []byte, ms []member) ([]member, bool) {
	n := len(t)
	if n == 2 {
		return ms, true // {}
	}
	// The walk's place: the quote flags of t[base:base+64] not yet taken.
	base := 0
	q, ok := quoteBlock(t, 0)
	if !ok {
		return ms, false
	}
	for i := 1; ; {
		// A key's quote is at t[i]: take its flag and the next one, the
		// key's end.
		for q == 0 {
			if base += 64; base >= n {
				return ms, false
			}
			if q, ok = quoteBlock(t, base); !ok {
				return ms, false
			}
		}
		if base+bits.TrailingZeros64(q) != i || t[i] != '"' {
			return ms, false
		}
		q &= q - 1
		for q == 0 {
			if base += 64; base >= n {
				return ms, false
			}
			if q, ok = quoteBlock(t, base); !ok {
				return ms, false
			}
		}
		kEnd := base + bits.TrailingZeros64(q) + 1
		q &= q - 1
		if kEnd >= n || t[kEnd-1] != '"' || t[kEnd] != ':' {
			return ms, false
		}
		v0, v := kEnd+1, kEnd+1
		switch c := t[v]; {
		case c == '"':
			for q == 0 {
				if base += 64; base >= n {
					return ms, false
				}
				if q, ok = quoteBlock(t, base); !ok {
					return ms, false
				}
			}
			if base+bits.TrailingZeros64(q) != v {
				return ms, false
			}
			q &= q - 1
			for q == 0 {
				if base += 64; base >= n {
					return ms, false
				}
				if q, ok = quoteBlock(t, base); !ok {
					return ms, false
				}
			}
			v = base + bits.TrailingZeros64(q) + 1
			q &= q - 1
			if t[v-1] != '"' {
				return ms, false
			}
		case c-'0' <= 9 || c == '-':
			if v = compactNumber(t, v); v < 0 {
				var err error
				if v, err = checkNumber(t, v0); err != nil {
					return ms, false
				}
			}
		case c == '{' || c == '[':
			var err error
			if v, err = checkContainer(t, v); err != nil || v >= n {
				return ms, false
			}
			// Go on with the flags after the value; it has read the strings
			// in it.
			base = v
			if q, ok = quoteBlock(t, base); !ok {
				return ms, false
			}
		default:
			var err error
			if v, err = checkScalar(t, v); err != nil {
				return ms, false
			}
		}
		// Fill the new member in place: a member built on the stack is
		// copied with 16-byte loads of its narrower stores, which stalls
		// store forwarding.
		ms = append(ms, member{})
		m := &ms[len(ms)-1]
		m.key0, m.key1, m.val0, m.val1 = int32(i), int32(kEnd), int32(v0), int32(v)
		if v >= n {
			return ms, false
		}
		switch t[v] {
		case ',':
			i = v + 1
		case '}':
			return ms, v == n-1
		default:
			return ms, false
		}
	}
}

// quoteBlock returns a bitmap of the quotes of t[base:base+64], bit k for
// t[base+k] (with a few false ones: a '#' right after a '"'; the walk
// checks each), and whether those bytes are free of backslashes, control
// characters and bytes from 0x80, which only the general reader reads.
func quoteBlock(t []byte, base int) (uint64, bool) {
	if base+64 <= len(t) {
		blk := t[base : base+64 : base+64]
		q0, b0 := quotes8(binary.LittleEndian.Uint64(blk[0:]))
		q1, b1 := quotes8(binary.LittleEndian.Uint64(blk[8:]))
		q2, b2 := quotes8(binary.LittleEndian.Uint64(blk[16:]))
		q3, b3 := quotes8(binary.LittleEndian.Uint64(blk[24:]))
		q4, b4 := quotes8(binary.LittleEndian.Uint64(blk[32:]))
		q5, b5 := quotes8(binary.LittleEndian.Uint64(blk[40:]))
		q6, b6 := quotes8(binary.LittleEndian.Uint64(blk[48:]))
		q7, b7 := quotes8(binary.LittleEndian.Uint64(blk[56:]))
		q := q0 | q1<<8 | q2<<16 | q3<<24 | q4<<32 | q5<<40 | q6<<48 | q7<<56
		return q, (b0|b1|b2|b3|b4|b5|b6|b7)&0x8080808080808080 == 0
	}
	var q, bad uint64
	for j := 0; base+j < len(t); j += 8 {
		var x, keep uint64
		if r := len(t) - base - j; r >= 8 {
			x, keep = binary.LittleEndian.Uint64(t[base+j:]), ^uint64(0)
		} else {
			// The last r bytes, in the low bytes of x; bytes past the end
			// are neither quotes nor bad.
			keep = 1<<(8*r) - 1
			if len(t) >= 8 {
				x = binary.LittleEndian.Uint64(t[len(t)-8:]) >> (8 * (8 - r))
			} else {
				var buf [8]byte
				copy(buf[:], t[base+j:])
				x = binary.LittleEndian.Uint64(buf[:])
			}
		}
		qj, bj := quotes8(x)
		q |= qj << j
		bad |= bj & keep
	}
	return q, bad&0x8080808080808080 == 0
}

// compactNumber returns the end of the JSON number at t[i], if it has no
// exponent and 8 bytes of t follow the start of each of its digit runs;
// else -1, and checkNumber reads it. Its digit runs are tested as words.
func compactNumber(t []byte, i int) int {
	if t[i] == '-' {
		i++
	}
	j := i // the integer part
	for {
		if j+8 > len(t) {
			return -1
		}
		if m := nonDigits8(binary.LittleEndian.Uint64(t[j:])); m != 0 {
			j += bits.TrailingZeros64(m) >> 3
			break
		}
		j += 8
	}
	if j == i || t[i] == '0' && j > i+1 {
		return -1
	}
	if t[j] == '.' {
		k := j + 1 // the fraction
		for {
			if k+8 > len(t) {
				return -1
			}
			if m := nonDigits8(binary.LittleEndian.Uint64(t[k:])); m != 0 {
				k += bits.TrailingZeros64(m) >> 3
				break
			}
			k += 8
		}
		if k == j+1 {
			return -1
		}
		j = k
	}
	if t[j]|0x20 == 'e' {
		return -1
	}
	return j
}

// quotes8 returns the quote flags of the eight bytes of x (in
// little-endian order), one bit each, and a mask whose high bits are all
// clear if none of the eight is a backslash, a control character or from
// 0x80 (only the general reader reads those). The flags are exact but for
// a '#' right after a quote, which may be flagged too, if no byte is from
// 0x80. A zero byte is no quote.
func quotes8(x uint64) (uint64, uint64) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// Below 0x80, a byte minus 1 has its high bit set only if it was 0, or
	// 1 with a borrow from a 0 below it; minus 0x20, only if it was below
	// 0x20, or a borrow came from such a byte.
	y := x ^ (ones * '"')
	z := x ^ (ones * '\\')
	// Gather the high bits of the bytes into the top byte, in order, and
	// shift it down.
	return (y - ones) & highs >> 7 * 0x0102040810204080 >> 56, x | (x - ones*0x20) | (z - ones)
}

// readGeneral is readObject for any input: strings scanned by plainEnd and
// checkString, white space skipped, errors reported.
func readGeneral(b []byte, ms []member) ([]member, error) {
	i := 0
	if len(b) == 0 || b[0] != '{' {
		i = skipSpace(b, 0)
		if i >= len(b) || b[i] != '{' {
			return ms, errNotObject
		}
	}
	i++
	if i < len(b) && b[i] != '"' {
		i = skipSpace(b, i)
		if i < len(b) && b[i] == '}' {
			return ms, checkEnd(b, i+1)
		}
	}
	for {
		// A key starts at b[i].
		if i >= len(b) {
			return ms, &jsonError{off: i, msg: "unexpected end of the object"}
		}
		if b[i] != '"' {
			return ms, &jsonError{off: i, msg: "want a quoted key, got " + describe(b[i])}
		}
		k0 := i
		kEsc := false
		if i = plainEnd(b, i+1); i >= len(b) || b[i] != '"' {
			end, esc, err := checkString(b, k0)
			if err != nil {
				return ms, err
			}
			i, kEsc = end-1, esc
		}
		i++
		kEnd := i
		if i >= len(b) || b[i] != ':' {
			if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
				return ms, &jsonError{off: i, msg: "want ':' after the key", key: b[k0:kEnd]}
			}
		}
		i++
		if i < len(b) && b[i] <= ' ' {
			i = skipSpace(b, i)
		}
		// A value starts at b[i].
		if i >= len(b) {
			return ms, &jsonError{off: i, msg: "want a value, got the end of the entry", key: b[k0:kEnd]}
		}
		v0 := i
		vEsc := false
		var err error
		switch c := b[i]; {
		case c == '"':
			if i = plainEnd(b, i+1); i < len(b) && b[i] == '"' {
				i++
			} else {
				i, vEsc, err = checkString(b, v0)
			}
		case c-'0' <= 9 || c == '-':
			i, err = checkNumber(b, i)
		case c == '{' || c == '[':
			i, err = checkContainer(b, i)
		default:
			i, err = checkScalar(b, i)
		}
		if err != nil {
			if je, ok := err.(*jsonError); ok {
				je.key = b[k0:kEnd]
			}
			return ms, err
		}
		// Fill the new member in place: a member built on the stack is
		// copied with 16-byte loads of its narrower stores, which stalls
		// store forwarding.
		ms = append(ms, member{})
		m := &ms[len(ms)-1]
		m.key0, m.key1, m.val0, m.val1 = int32(k0), int32(kEnd), int32(v0), int32(i)
		m.keyEsc, m.strEsc = kEsc, vEsc
		// A value ended at b[i].
		if i < len(b) && b[i] == ',' {
			if i++; i >= len(b) || b[i] != '"' {
				i = skipSpace(b, i)
			}
			continue
		}
		if i = skipSpace(b, i); i >= len(b) {
			return ms, &jsonError{off: i, msg: "unexpected end of the object", key: b[k0:kEnd]}
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return ms, checkEnd(b, i+1)
		default:
			return ms, &jsonError{off: i, msg: "want ',' or '}' after the value, got " + describe(b[i]), key: b[k0:kEnd]}
		}
	}
}

// plainEnd returns the index of the first byte from b[i] on that does not
// stand for itself in a JSON string (see strPlain), or len(b). It tests
// eight bytes at a time, the last few of b too.
func plainEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := special8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	if n := len(b) - i; n > 0 && len(b) >= 8 {
		// The last n bytes, shifted down: the zero bytes above them count
		// as control characters, so the first flagged is at most n.
		x := binary.LittleEndian.Uint64(b[len(b)-8:]) >> (8 * (8 - n))
		return i + bits.TrailingZeros64(special8(x))>>3
	}
	for i < len(b) && strPlain[b[i]] {
		i++
	}
	return i
}

// checkEnd fails unless only white space follows b[i].
func checkEnd(b []byte, i int) error {
	if i = skipSpace(b, i); i < len(b) {
		return &jsonError{off: i, msg: "data after the object"}
	}
	return nil
}

// describe names the byte c for an error message.
func describe(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return strconv.QuoteRune(rune(c))
	}
	return "byte 0x" + strconv.FormatUint(uint64(c), 16)
}

// strPlain[c] is true for the bytes that stand for themselves in a JSON
// string: printable ASCII other than '"' and '\\'.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// checkString checks the JSON string starting at b[i] (a '"') and returns
// the index just past it and whether it has escapes.
func checkString(b []byte, i int) (int, bool, error) {
	esc := false
	for i++; i < len(b); {
		// Skip plain bytes (printable ASCII but '"' and '\\') eight at a
		// time, then to the first byte that is not.
		for i+8 <= len(b) {
			if m := special8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
			i += 8
		}
		for i < len(b) && strPlain[b[i]] {
			i++
		}
		if i >= len(b) {
			break
		}
	special:
		switch c := b[i]; {
		case c == '"':
			return i + 1, esc, nil
		case c == '\\':
			esc = true
			if i+1 >= len(b) {
				return 0, esc, &jsonError{off: i, msg: "unterminated string"}
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if _, ok := hex4(b, i+2); !ok {
					return 0, esc, &jsonError{off: i, msg: `want 4 hex digits after \u`}
				}
				i += 6
			default:
				return 0, esc, &jsonError{off: i, msg: "invalid escape " + strconv.Quote(string(b[i:i+2]))}
			}
		case c < 0x20:
			return 0, esc, &jsonError{off: i, msg: "control character " + describe(c) + " in a string (want it escaped)"}
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return 0, esc, &jsonError{off: i, msg: "invalid UTF-8 in a string"}
			}
			i += size
		}
	}
	return 0, esc, &jsonError{off: len(b), msg: "unterminated string"}
}

// special8 returns a mask with the high bit of the lowest byte of x (in
// little-endian order) that does not stand for itself in a JSON string
// set: a control character, '"', '\\', or a byte from 0x80. It is 0 if
// all eight do. Bits above the lowest may be set spuriously (a borrow
// runs upward); the lowest is exact.
func special8(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	below := (x - ones*0x20) &^ x
	q := x ^ (ones * '"')
	quote := (q - ones) &^ q
	bs := x ^ (ones * '\\')
	backslash := (bs - ones) &^ bs
	return (below | quote | backslash | x) & highs
}

// checkScalar checks the number, true, false or null at b[i].
func checkScalar(b []byte, i int) (int, error) {
	switch c := b[i]; {
	case c == '-' || '0' <= c && c <= '9':
		return checkNumber(b, i)
	case c == 't':
		return checkLiteral(b, i, "true")
	case c == 'f':
		return checkLiteral(b, i, "false")
	case c == 'n':
		return checkLiteral(b, i, "null")
	}
	return 0, &jsonError{off: i, msg: "want a value, got " + describe(b[i])}
}

func checkLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, &jsonError{off: i, msg: "invalid literal (want " + lit + ")"}
	}
	return i + len(lit), nil
}

// checkNumber checks the JSON number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func checkNumber(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else {
		j := skipDigits(b, i)
		if j == i {
			return 0, badNumber(b, start, j, "want a digit")
		}
		i = j
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return 0, badNumber(b, start, j, "want a digit after '.'")
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return 0, badNumber(b, start, j, "want a digit in the exponent")
		}
		i = j
	}
	return i, nil
}

// skipDigits returns the index of the first byte from b[i] on that is not
// a decimal digit, testing eight bytes at a time.
func skipDigits(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := nonDigits8(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	if n := len(b) - i; n > 0 && len(b) >= 8 {
		// The last n bytes, shifted down: the zero bytes above them are no
		// digits.
		return i + bits.TrailingZeros64(nonDigits8(binary.LittleEndian.Uint64(b[len(b)-8:])>>(8*(8-n))))>>3
	}
	for i < len(b) && b[i]-'0' <= 9 {
		i++
	}
	return i
}

// nonDigits8 returns a mask with the high bit of the lowest byte of x (in
// little-endian order) that is not a decimal digit set, or 0 if all eight
// are digits. Bits above the lowest may be set spuriously.
func nonDigits8(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// Minus '0', a digit is 0 to 9, and plus 0x76 still below 0x80; any
	// other byte is at or above 0x80 in one of the two (a borrow or a
	// carry can only come from a byte below that is no digit).
	d := x - ones*'0'
	return (d | (d + ones*0x76)) & highs
}

func badNumber(b []byte, start, i int, what string) error {
	return &jsonError{off: start, msg: "invalid number " + strconv.Quote(string(b[start:min(i+1, len(b))])) + ": " + what}
}

// checkContainer checks the object or array starting at b[i].
func checkContainer(b []byte, i int) (int, error) {
	// inObject has one bit per level: set for an object, clear for an
	// array.
	var inObject [maxDepth / 64]uint64
	depth := 0
	push := func(obj bool) error {
		if depth == maxDepth {
			return &jsonError{off: i, msg: "nested more than " + strconv.Itoa(maxDepth) + " levels deep"}
		}
		if obj {
			inObject[depth/64] |= 1 << (depth % 64)
		} else {
			inObject[depth/64] &^= 1 << (depth % 64)
		}
		depth++
		return nil
	}
	top := func() bool { return inObject[(depth-1)/64]&(1<<((depth-1)%64)) != 0 }
	// key reads a key and its colon at b[i], leaving i at the value.
	key := func() error {
		if i >= len(b) || b[i] != '"' {
			if i >= len(b) {
				return &jsonError{off: i, msg: "unexpected end of an object"}
			}
			return &jsonError{off: i, msg: "want a quoted key, got " + describe(b[i])}
		}
		end, _, err := checkString(b, i)
		if err != nil {
			return err
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return &jsonError{off: i, msg: "want ':' after a key"}
		}
		i = skipSpace(b, i+1)
		return nil
	}
	for {
		// A value starts at b[i].
		if i >= len(b) {
			return 0, &jsonError{off: i, msg: "unexpected end of the entry"}
		}
		switch c := b[i]; c {
		case '{', '[':
			if err := push(c == '{'); err != nil {
				return 0, err
			}
			i = skipSpace(b, i+1)
			if i < len(b) && (b[i] == '}' && c == '{' || b[i] == ']' && c == '[') {
				i++
				depth--
				break // an empty container is a whole value
			}
			if c == '{' {
				if err := key(); err != nil {
					return 0, err
				}
			}
			continue
		case '"':
			end, _, err := checkString(b, i)
			if err != nil {
				return 0, err
			}
			i = end
		default:
			end, err := checkScalar(b, i)
			if err != nil {
				return 0, err
			}
			i = end
		}
		// A value ended at b[i]: close containers until one goes on.
		for {
			if depth == 0 {
				return i, nil
			}
			i = skipSpace(b, i)
			if i >= len(b) {
				return 0, &jsonError{off: i, msg: "unexpected end of the entry"}
			}
			obj := top()
			if b[i] == ',' {
				i = skipSpace(b, i+1)
				if obj {
					if err := key(); err != nil {
						return 0, err
					}
				}
				break
			}
			if obj && b[i] == '}' || !obj && b[i] == ']' {
				i++
				depth--
				continue
			}
			if obj {
				return 0, &jsonError{off: i, msg: "want ',' or '}' in an object, got " + describe(b[i])}
			}
			return 0, &jsonError{off: i, msg: "want ',' or ']' in an array, got " + describe(b[i])}
		}
	}
}

// jsonStringEquals reports whether the JSON string content q (the text
// between the quotes, escapes as they are, already checked by checkString)
// decodes to s. It does not allocate.
func jsonStringEquals(q []byte, s string) bool {
	j := 0
	for i := 0; i < len(q); {
		c := q[i]
		if c != '\\' {
			if j >= len(s) || s[j] != c {
				return false
			}
			i++
			j++
			continue
		}
		var r rune
		r, i = unescapeAt(q, i)
		var buf [utf8.UTFMax]byte
		n := utf8.EncodeRune(buf[:], r)
		if len(s)-j < n || string(buf[:n]) != s[j:j+n] {
			return false
		}
		j += n
	}
	return j == len(s)
}

// unescapeAt decodes the escape at q[i] (a '\\', checked), and returns
// the rune and the index past it.
func unescapeAt(q []byte, i int) (rune, int) {
	if q[i+1] == 'u' {
		return decodeU(q, i)
	}
	return rune(unescapeByte(q[i+1])), i + 2
}

// unescapeByte returns the byte a one-character escape (\n, \", …) stands
// for.
func unescapeByte(c byte) byte {
	switch c {
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
	}
	return c // '"', '\\', '/'
}

// decodeU decodes the \uXXXX escape at q[i] (checked), with the low half
// of a surrogate pair after it if there is one, and returns the rune and
// the index past it. A lone surrogate is U+FFFD, as encoding/json reads it.
func decodeU(q []byte, i int) (rune, int) {
	r, _ := hex4(q, i+2)
	i += 6
	if r < 0xd800 || r >= 0xe000 {
		return r, i
	}
	if r < 0xdc00 && i+6 <= len(q) && q[i] == '\\' && q[i+1] == 'u' {
		if r2, ok := hex4(q, i+2); ok && r2 >= 0xdc00 && r2 < 0xe000 {
			return (r-0xd800)<<10 | (r2 - 0xdc00) + 0x10000, i + 6
		}
	}
	return utf8.RuneError, i
}
