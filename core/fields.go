package core

import (
	"encoding/binary"
	"strconv"
)

// Fields names the top-level fields of an entry's JSON that [SerilogJSON]
// and [CLEF] read as the entry's built-ins (time, level, message, logger
// name, error) instead of copying them as properties. Each list is tried
// in order, and the first name present with a value of the right kind
// wins: a later name, a duplicate key, or a field of the wrong kind (a
// number named "msg") stays a property, so nothing is lost.
//
// The zero value knows the default JSON of zap, zerolog and log/slog at
// once, so one formatter serves a sink that all three write to. A nil list
// means its default; a non-nil empty list turns that built-in off (its
// fields stay properties). A name in two lists belongs to the first of
// Time, Level, Message, Logger, Error, ErrorVerbose, Stack.
//
// Serving all three has a price: a user's field named like another
// logger's built-in is read as that built-in. A zerolog field "msg" is
// taken for the message (zap's and slog's key, tried before zerolog's
// "message", which then stays a property), and a zerolog or slog field
// "logger" becomes SourceContext. Where that matters, list only the keys
// of the loggers in use: Fields{Message: []string{"message"}} for
// zerolog alone. Entry.Message and Entry.LoggerName, which zapsink sets,
// are never mistaken: a field is taken for them only if it says the same.
type Fields struct {
	// Time is the entry's time: an RFC 3339 or ISO 8601 string, or a
	// Unix time in seconds, milliseconds, microseconds or nanoseconds (told
	// apart by size), with or without a fraction. If nil, "ts" (zap),
	// "time" (zerolog, slog).
	Time []string

	// Level is the entry's level, as zap, zerolog, slog ("WARN+2") or
	// Serilog name it. If nil, "level".
	Level []string

	// Message is the message, a string. If nil, "msg" (zap, slog),
	// "message" (zerolog).
	Message []string

	// Logger is the logger's name, written as SourceContext. If nil,
	// "logger" (zap).
	Logger []string

	// Error is the error message, the start of Exception. If nil,
	// "error" (zap, zerolog), "err" (slog's convention).
	Error []string

	// ErrorVerbose is an error's detailed form, which zap writes for
	// errors that format themselves with "%+v" (a message and a stack
	// trace). If nil, "errorVerbose".
	ErrorVerbose []string

	// Stack is a stack trace, the end of Exception: zap's caller stack on
	// Error entries, zerolog's error stack. If nil, "stacktrace" (zap),
	// "stack" (zerolog).
	Stack []string
}

// role is a built-in of a Serilog event that a field of the entry can be.
type role uint8

const (
	roleTime role = iota
	roleLevel
	roleMessage
	roleLogger
	roleError
	roleErrorVerbose
	roleStack
	numRoles
)

var defaultFields = [numRoles][]string{
	roleTime:         {"ts", "time"},
	roleLevel:        {"level"},
	roleMessage:      {"msg", "message"},
	roleLogger:       {"logger"},
	roleError:        {"error", "err"},
	roleErrorVerbose: {"errorVerbose"},
	roleStack:        {"stacktrace", "stack"},
}

// names returns the field names of role r.
func (f *Fields) names(r role) []string {
	var l []string
	switch r {
	case roleTime:
		l = f.Time
	case roleLevel:
		l = f.Level
	case roleMessage:
		l = f.Message
	case roleLogger:
		l = f.Logger
	case roleError:
		l = f.Error
	case roleErrorVerbose:
		l = f.ErrorVerbose
	case roleStack:
		l = f.Stack
	}
	if l == nil {
		return defaultFields[r]
	}
	return l
}

// isZero reports whether f is the zero Fields: the defaults for all.
func (f *Fields) isZero() bool {
	return f.Time == nil && f.Level == nil && f.Message == nil && f.Logger == nil &&
		f.Error == nil && f.ErrorVerbose == nil && f.Stack == nil
}

// roleOf returns the role whose list names m's key, and the name's rank
// in that list. A name in several lists belongs to the first role. With
// defaults (f.isZero()), defaultKeys stands for the default lists.
func (f *Fields) roleOf(b []byte, m *member, defaults bool) (role, int, bool) {
	if defaults && !m.keyEsc {
		return defaultRole(b, m)
	}
	for r := range numRoles {
		for rank, name := range f.names(r) {
			if keyIs(b, m, name) {
				return r, rank, true
			}
		}
	}
	return 0, 0, false
}

// defaultKey is a name of defaultFields, in defaultKeys.
type defaultKey struct {
	lo, hi         uint64 // the name's bytes in little-endian order: the first 8, the rest
	loMask, hiMask uint64 // the bytes of lo and hi that the name has
	n              int    // its length; -1 in an empty slot
	role           role
	rank           int
}

// defaultKeys holds the names of defaultFields at defaultKeyHash of their
// length and first byte, a perfect hash for them: the role of a key is
// then one lookup and one comparison of two words.
var defaultKeys = func() (t [16]defaultKey) {
	for i := range t {
		t[i].n = -1
	}
	for r, names := range defaultFields {
		for rank, name := range names {
			if len(name) == 0 || len(name) > 16 {
				panic("core: default field name " + strconv.Quote(name) + " does not fit defaultKeys")
			}
			e := &t[defaultKeyHash(len(name), name[0])]
			if e.n != -1 {
				panic("core: default field names collide in defaultKeys")
			}
			var buf, mask [16]byte
			copy(buf[:], name)
			for i := range name {
				mask[i] = 0xff
			}
			*e = defaultKey{lo: binary.LittleEndian.Uint64(buf[:]), hi: binary.LittleEndian.Uint64(buf[8:]),
				loMask: binary.LittleEndian.Uint64(mask[:]), hiMask: binary.LittleEndian.Uint64(mask[8:]),
				n: len(name), role: role(r), rank: rank}
		}
	}
	return t
}()

// defaultKeyHash returns the slot in defaultKeys of a name of length n
// starting with c.
func defaultKeyHash(n int, c byte) int {
	return int((uint(c) ^ uint(n)*27) >> 3 & 15)
}

// defaultFirsts has a bit for each default name: bit c&63 of
// defaultFirsts[n&15] for a name of length n starting with c.
var defaultFirsts = func() (t [16]uint64) {
	for _, names := range defaultFields {
		for _, name := range names {
			t[len(name)&15] |= 1 << (name[0] & 63)
		}
	}
	return t
}()

// maybeDefault reports whether m's key may be a default name: false for
// most keys that are not, at the cost of a few instructions.
func maybeDefault(b []byte, m *member) bool {
	n := m.key1 - m.key0 - 2
	return defaultFirsts[n&15]>>(b[m.key0+1]&63)&1 != 0
}

// defaultRole is roleOf for the zero Fields and a key without escapes.
// The comparison has one branch: most keys are no built-in.
func defaultRole(b []byte, m *member) (role, int, bool) {
	k, n := int(m.key0)+1, int(m.key1-m.key0)-2
	e := &defaultKeys[defaultKeyHash(n, b[k])] // b[k] is the closing quote of ""
	w := b[k:]
	if len(w) < 16 {
		var buf [16]byte
		copy(buf[:], b[k:k+n])
		w = buf[:]
	}
	lo, hi := binary.LittleEndian.Uint64(w), binary.LittleEndian.Uint64(w[8:])
	if (lo&e.loMask^e.lo)|(hi&e.hiMask^e.hi)|uint64(e.n^n) != 0 {
		return 0, 0, false
	}
	return e.role, e.rank, true
}
