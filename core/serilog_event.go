package core

import (
	"bytes"
	"encoding/binary"
	"strings"
	"sync"
	"unicode/utf8"
)

// serilogEvent is an entry read as a Serilog LogEvent: which members of
// its JSON are its built-ins (time, level, message, logger, error), and
// the rest, its properties. [SerilogJSON] and [CLEF] write it, each in its
// own shape. It lives on the formatting goroutine's stack; its members
// slice is pooled.
type serilogEvent struct {
	b       []byte   // the entry's JSON
	members []member // its top-level members, in order
	pooled  *[]member
	taken   [numRoles]int32 // the member each role took, or notTaken
	// The members the roles took, in order: the properties are the runs
	// between them.
	takenSorted [numRoles]int32
	numTaken    int
	// Properties shadowed by a later one of the same name (taken too, but
	// not in takenSorted), and whether one is named SourceContext: see
	// markShadowed.
	numShadowed    int
	sourceProperty bool

	// What the adapter says of the entry, outside its JSON.
	message, loggerName string
	entryLevel          Level

	time  instant
	level serilogLevel
}

// notTaken marks a role that no member took.
const notTaken = -1

// membersPool holds the slices that events read members into.
var membersPool = sync.Pool{New: func() any { s := make([]member, 0, 64); return &s }}

// read reads e, taking its built-ins by the names in fs. It fails, naming
// the field, if e.JSON is not one valid JSON object. The caller must call
// release when done with ev.
//
// Each role takes the member whose name comes first in its list, the
// first such member if there are several, among those whose value fits
// (see accept); the members no role takes are the properties.
func (ev *serilogEvent) read(e *Entry, fs *Fields) error {
	ev.b, ev.message, ev.loggerName, ev.entryLevel = e.JSON, e.Message, e.LoggerName, e.Level
	ev.pooled = membersPool.Get().(*[]member)
	ms, err := readObject(e.JSON, (*ev.pooled)[:0])
	ev.members = ms
	if err != nil {
		return err
	}
	ev.level = serilogLevelOf(e.Level)
	ev.taken = noneTaken
	rank := maxRanks // the rank in its list of the name each role took
	var ft fieldTime
	defaults := fs.isZero()
	for i := range ms {
		m := &ms[i]
		var r role
		var k int
		var ok bool
		if defaults && !m.keyEsc {
			if !maybeDefault(ev.b, m) {
				continue
			}
			r, k, ok = defaultRole(ev.b, m)
		} else {
			r, k, ok = fs.roleOf(ev.b, m, false)
		}
		if !ok || k >= rank[r] || !ev.accept(r, m, &ft) {
			continue
		}
		ev.taken[r], rank[r] = int32(i), k
	}
	ev.numTaken = 0
	for _, i := range ev.taken {
		if i == notTaken {
			continue
		}
		ms[i].taken = true
		// Insert i in order: there are at most numRoles.
		j := ev.numTaken
		for ; j > 0 && ev.takenSorted[j-1] > i; j-- {
			ev.takenSorted[j] = ev.takenSorted[j-1]
		}
		ev.takenSorted[j] = i
		ev.numTaken++
	}
	ev.markShadowed()
	ev.time = entryTime(ft, ev.taken[roleTime] != notTaken, e.Time)
	return nil
}

// noneTaken and maxRanks are the taken and rank of an event before its
// members are read.
var (
	noneTaken = [numRoles]int32{notTaken, notTaken, notTaken, notTaken, notTaken, notTaken, notTaken}
	maxRanks  = [numRoles]int{maxRank, maxRank, maxRank, maxRank, maxRank, maxRank, maxRank}
)

// maxRank is more than any list's length.
const maxRank = int(^uint(0) >> 1)

// accept reports whether m's value fits role r, and if so, records what
// it says: a time that parses (in ft); a level name, the same as
// Entry.Level's if the adapter set one; a string message or logger name,
// the same as the adapter's if it gave one (so that a user's field of the
// same name is never lost); an error or stack that is not null.
func (ev *serilogEvent) accept(r role, m *member, ft *fieldTime) bool {
	switch r {
	case roleTime:
		if c := ev.b[m.val0]; c != '"' && c != '-' && (c < '0' || c > '9') {
			return false
		}
		t, ok := parseTimeField(ev.b, m)
		if ok {
			*ft = t
		}
		return ok
	case roleLevel:
		if !m.isString(ev.b) || m.strEsc {
			return false
		}
		l, ok := parseSerilogLevel(m.content(ev.b))
		if !ok || ev.entryLevel != NoLevel && l != serilogLevelOf(ev.entryLevel) {
			return false
		}
		ev.level = l
		return true
	case roleMessage:
		return m.isString(ev.b) && (ev.message == "" || m.says(ev.b, ev.message))
	case roleLogger:
		return m.isString(ev.b) && (ev.loggerName == "" || m.says(ev.b, ev.loggerName))
	}
	return ev.b[m.val0] != 'n' // error, errorVerbose, stack: anything but null
}

// release returns the members slice to the pool, unless it grew huge.
func (ev *serilogEvent) release() {
	if ev.pooled != nil && cap(ev.members) <= 4096 {
		*ev.pooled = ev.members[:0]
		membersPool.Put(ev.pooled)
	}
	ev.members, ev.pooled = nil, nil
}

// member returns the member role r took, or nil.
func (ev *serilogEvent) member(r role) *member {
	if i := ev.taken[r]; i != notTaken {
		return &ev.members[i]
	}
	return nil
}

// numProperties counts the members that no role took.
func (ev *serilogEvent) numProperties() int { return len(ev.members) - ev.numTaken - ev.numShadowed }

// appendProperties appends the members no role took, as "key":value
// pairs separated by commas, starting with one if comma. Runs of adjacent
// members (those between two that a role took) are copied whole from the
// entry, the separators between them as the logger wrote them. With
// atEscape, as CLEF writes them: a key that starts with '@' gets one more.
func (ev *serilogEvent) appendProperties(dst []byte, comma, atEscape bool) []byte {
	ms := ev.members
	if ev.numShadowed > 0 {
		return ev.appendEachProperty(dst, comma, atEscape)
	}
	if atEscape {
		for i := range ms {
			if ms[i].keyEsc || ev.b[ms[i].key0+1] == '@' {
				return ev.appendEachProperty(dst, comma, true)
			}
		}
	}
	from := 0 // the first member of the run
	for k := 0; k <= ev.numTaken; k++ {
		to := len(ms) // the member after the run
		if k < ev.numTaken {
			to = int(ev.takenSorted[k])
		}
		if to > from {
			if comma {
				dst = append(dst, ',')
			}
			comma = true
			dst = append(dst, ev.b[ms[from].key0:ms[to-1].val1]...)
		}
		from = to + 1
	}
	return dst
}

// appendEachProperty is appendProperties member by member, for entries
// with shadowed properties, or with atEscape and a key that starts with
// '@' (or may: it has escapes).
func (ev *serilogEvent) appendEachProperty(dst []byte, comma, atEscape bool) []byte {
	ms := ev.members
	for i := 0; i < len(ms); i++ {
		if ms[i].taken {
			continue
		}
		if comma {
			dst = append(dst, ',')
		}
		comma = true
		start := ms[i].key0
		if atEscape && startsWithAt(ms[i].key(ev.b)) {
			dst = append(dst, '"', '@')
			start++
		}
		j := i
		for j+1 < len(ms) && !ms[j+1].taken && !(atEscape && startsWithAt(ms[j+1].key(ev.b))) {
			j++
		}
		dst = append(dst, ev.b[start:ms[j].val1]...)
		i = j
	}
	return dst
}

// keyIs reports whether m's key is name.
func keyIs(b []byte, m *member, name string) bool {
	k := b[m.key0+1 : m.key1-1]
	if !m.keyEsc {
		return string(k) == name
	}
	return jsonStringEquals(k, name)
}

// hasLogger reports whether the event has a logger name to write as its
// SourceContext: one that no property named SourceContext shadows.
func (ev *serilogEvent) hasLogger() bool {
	return (ev.taken[roleLogger] != notTaken || ev.loggerName != "") && !ev.sourceProperty
}

// appendMessage appends the message as the content of a JSON string: the
// message field's text as the logger escaped it, or Entry.Message.
func (ev *serilogEvent) appendMessage(dst []byte) []byte {
	if m := ev.member(roleMessage); m != nil {
		return append(dst, m.content(ev.b)...)
	}
	return appendEscaped(dst, ev.message)
}

// appendTemplate appends the message as a Serilog message template, the
// content of a JSON string, with its braces doubled: "{{" and "}}" are
// Serilog's escapes for literal braces, so a consumer that parses the
// template never reads the "{id}" of a Go message as a property token.
func (ev *serilogEvent) appendTemplate(dst []byte) []byte {
	if m := ev.member(roleMessage); m != nil {
		return appendDoubled(dst, m.content(ev.b), m.strEsc)
	}
	start := len(dst)
	dst = appendEscaped(dst, ev.message) // writes braces as they are
	return doubleBraces(dst, start)
}

// messageHasBraces reports whether the message has a '{' or a '}'.
func (ev *serilogEvent) messageHasBraces() bool {
	if m := ev.member(roleMessage); m != nil {
		return hasBraces(m.content(ev.b), m.strEsc)
	}
	return strings.ContainsAny(ev.message, "{}")
}

// hasBraces reports whether the JSON string content q (checked by
// checkString; esc if it has escapes) stands for a text with a brace.
func hasBraces(q []byte, esc bool) bool {
	if braceIn(q) {
		return true
	}
	for i := 0; esc && i < len(q); i++ {
		if q[i] == '\\' {
			if isBraceEscape(q, i) {
				return true
			}
			i++ // skip the escaped character; \uXXXX's digits are not '\\'
		}
	}
	return false
}

// braceIn reports whether q has a '{' or a '}', testing eight bytes at a
// time.
func braceIn(q []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	// x has a zero byte if and only if (x-ones)&^x has a high bit set.
	brace := func(x uint64) bool {
		l, r := x^(ones*'{'), x^(ones*'}')
		return ((l-ones)&^l|(r-ones)&^r)&highs != 0
	}
	i := 0
	for ; i+8 <= len(q); i += 8 {
		if brace(binary.LittleEndian.Uint64(q[i:])) {
			return true
		}
	}
	if n := len(q) - i; n > 0 {
		if len(q) >= 8 {
			// The last n bytes, shifted down; the zero bytes above them
			// are no braces.
			return brace(binary.LittleEndian.Uint64(q[len(q)-8:]) >> (8 * (8 - n)))
		}
		for _, c := range q[i:] {
			if c == '{' || c == '}' {
				return true
			}
		}
	}
	return false
}

// isBraceEscape reports whether q[i:] starts with \u007b or \u007d.
func isBraceEscape(q []byte, i int) bool {
	if q[i+1] != 'u' {
		return false
	}
	r, _ := hex4(q, i+2)
	return r == '{' || r == '}'
}

// appendDoubled appends the JSON string content q (checked by
// checkString; esc if it has escapes) with every brace doubled, written as
// it is or as an escape.
func appendDoubled(dst, q []byte, esc bool) []byte {
	if !hasBraces(q, esc) {
		return append(dst, q...)
	}
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == '{' || c == '}':
			dst = append(dst, c, c)
			i++
		case c == '\\' && q[i+1] == 'u':
			dst = append(dst, q[i:i+6]...)
			if isBraceEscape(q, i) {
				dst = append(dst, q[i:i+6]...)
			}
			i += 6
		case c == '\\':
			dst = append(dst, q[i:i+2]...)
			i += 2
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

// doubleBraces doubles every '{' and '}' in dst[start:], which has no
// escaped braces, in place.
func doubleBraces(dst []byte, start int) []byte {
	n := 0
	for _, c := range dst[start:] {
		if c == '{' || c == '}' {
			n++
		}
	}
	end := len(dst)
	for range n {
		dst = append(dst, 0)
	}
	for i, j := end-1, len(dst)-1; i >= start; i-- {
		c := dst[i]
		dst[j] = c
		j--
		if c == '{' || c == '}' {
			dst[j] = c
			j--
		}
	}
	return dst
}

// hasException reports whether the entry carries an error or a stack.
func (ev *serilogEvent) hasException() bool {
	return ev.taken[roleError] != notTaken || ev.taken[roleErrorVerbose] != notTaken || ev.taken[roleStack] != notTaken
}

// appendException appends the content of the Exception string: the error
// message, or its verbose form if it has one (which starts with the
// message: zap's errorVerbose, from "%+v"), then the stack trace, each on
// a line of its own. A value that is not a string is written as its JSON
// text.
func (ev *serilogEvent) appendException(dst []byte) []byte {
	start := len(dst)
	e, v, s := ev.member(roleError), ev.member(roleErrorVerbose), ev.member(roleStack)
	if e != nil && (v == nil || !ev.startsWith(v, e)) {
		dst = ev.appendText(dst, e)
	}
	for _, m := range [...]*member{v, s} {
		if m != nil {
			if len(dst) > start {
				dst = append(dst, `\n`...)
			}
			dst = ev.appendText(dst, m)
		}
	}
	return dst
}

// startsWith reports whether the string value v starts with the string
// value p.
func (ev *serilogEvent) startsWith(v, p *member) bool {
	return v.isString(ev.b) && p.isString(ev.b) && bytes.HasPrefix(v.content(ev.b), p.content(ev.b))
}

// appendText appends m's value as the content of a JSON string: a
// string's text as it is, any other value's JSON text, escaped.
func (ev *serilogEvent) appendText(dst []byte, m *member) []byte {
	if m.isString(ev.b) {
		return append(dst, m.content(ev.b)...)
	}
	return appendEscapedJSON(dst, m.value(ev.b))
}

// appendLogger appends the logger name as the content of a JSON string.
func (ev *serilogEvent) appendLogger(dst []byte) []byte {
	if m := ev.member(roleLogger); m != nil {
		return append(dst, m.content(ev.b)...)
	}
	return appendEscaped(dst, ev.loggerName)
}

// appendEscaped appends s as the content of a JSON string, escaped as
// Serilog's JsonValueFormatter escapes: '"', '\\' and the control
// characters. Invalid UTF-8 becomes U+FFFD, as encoding/json writes it.
func appendEscaped(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\b':
			dst = append(dst, '\\', 'b')
		default:
			if c >= utf8.RuneSelf {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
		}
		i++
		start = i
	}
	return append(dst, s[start:]...)
}

// appendEscapedJSON appends the JSON text v, a value already checked by
// readObject, as the content of a JSON string. Checked JSON has control
// characters only as white space between tokens, and is valid UTF-8, so
// escaping '"', '\\', '\n', '\r' and '\t' suffices.
func appendEscapedJSON(dst, v []byte) []byte {
	for _, c := range v {
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
