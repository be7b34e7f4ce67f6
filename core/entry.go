package core

import (
	"encoding/binary"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Entry is one log entry as the sink sees it.
//
// JSON is the entry as the logger encoded it: one JSON object, usually with a
// trailing newline, which the sink strips (Kafka records are framed, so the
// record value is the bare object). The other fields carry what routing
// needs without parsing: adapters fill in what their logger knows (zap gives
// all of them; zerolog gives Level and JSON). Read any top-level field of
// the object with [Entry.Field].
//
// An Entry handed to a TopicDecider, KeyDecider, HeaderDecider or Formatter
// is valid only during that call: JSON points into memory the sink reuses.
type Entry struct {
	Time       time.Time // when the entry was logged; zero if unknown
	Level      Level     // the entry's level; NoLevel if it has none
	LoggerName string    // the logger's name (zap's Named); "" if none
	Message    string    // the log message as given to the logger; "" if the adapter does not know it
	JSON       []byte    // the encoded JSON object

	// Key and Headers are a record key and headers that the entry
	// carries from the log call, outside its JSON: slogsink sets them from
	// the request's context. Write copies them. The record's key is Key
	// unless Config.KeyDecider is set; its headers are Config.Headers,
	// then Headers, then Config.HeaderDecider's. nil if none.
	Key     []byte
	Headers []Header
}

// Field returns the value of the top-level field name of e.JSON: the text of
// a JSON string with its escapes decoded, or the JSON text of any other value
// (a number, true, false, null, an object or an array). It returns "" if the
// field is absent or e.JSON is not a JSON object. If the field appears more
// than once, the first wins.
//
// Field reads e.JSON without unmarshalling it, and allocates only the
// returned string. Use [Entry.RawField] to avoid that allocation.
func (e Entry) Field(name string) string {
	v, ok := e.RawField(name)
	if !ok {
		return ""
	}
	if len(v) > 0 && v[0] == '"' {
		return string(unquote(nil, v))
	}
	return string(v)
}

// LookupField is like [Entry.Field] but also reports whether the field is
// present.
func (e Entry) LookupField(name string) (string, bool) {
	v, ok := e.RawField(name)
	if !ok {
		return "", false
	}
	if len(v) > 0 && v[0] == '"' {
		return string(unquote(nil, v)), true
	}
	return string(v), true
}

// RawField returns the raw JSON text of the top-level field name (a string
// value keeps its quotes and escapes) and whether it was found. The result
// aliases e.JSON: it is valid as long as e.JSON is, and must not be
// modified. RawField does not allocate.
func (e Entry) RawField(name string) ([]byte, bool) {
	b := e.JSON
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil, false
	}
	for i < len(b) {
		if b[i] != '"' {
			return nil, false
		}
		kEnd, escaped := scanString(b, i)
		if kEnd < 0 {
			return nil, false
		}
		key := b[i:kEnd]
		i = skipSpace(b, kEnd)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		vStart := skipSpace(b, i+1)
		vEnd := skipValue(b, vStart)
		if vEnd < 0 {
			return nil, false
		}
		if keyEquals(key, escaped, name) {
			return b[vStart:vEnd], true
		}
		i = skipSpace(b, vEnd)
		if i >= len(b) || b[i] != ',' {
			return nil, false
		}
		i = skipSpace(b, i+1)
	}
	return nil, false
}

// keyEquals reports whether the quoted JSON string key equals name.
func keyEquals(key []byte, escaped bool, name string) bool {
	if !escaped {
		return len(key) == len(name)+2 && string(key[1:len(key)-1]) == name
	}
	var buf [64]byte
	return string(unquote(buf[:0], key)) == name
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString returns the index just past the JSON string starting at b[i]
// (which is '"'), whether it contains escapes, or -1 if it is unterminated.
func scanString(b []byte, i int) (int, bool) {
	escaped := false
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			return i + 1, escaped
		}
	}
	return -1, escaped
}

// skipValue returns the index just past the JSON value starting at b[i], or
// -1 if there is no well-formed value there. Nested objects and arrays are
// matched by bracket depth; strings inside them are skipped whole, so
// brackets in strings do not count.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		end, _ := scanString(b, i)
		return end
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, _ := scanString(b, i)
				if end < 0 {
					return -1
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default:
		start := i
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if i == start {
					return -1
				}
				return i
			}
			i++
		}
		return -1 // a scalar cannot end the object
	}
}

// unquote appends the decoded text of the JSON string q (with its quotes) to
// dst. Invalid escapes are copied through as they are; invalid UTF-16
// surrogates become U+FFFD. It never reads outside q.
func unquote(dst, q []byte) []byte {
	if len(q) < 2 {
		return dst
	}
	s := q[1 : len(q)-1]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			dst = append(dst, c)
			continue
		}
		i++
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i+1)
			if !ok {
				dst = append(dst, '\\', 'u')
				continue
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					r2, ok = hex4(s, i+3)
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			dst = append(dst, '\\', s[i])
		}
	}
	return dst
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// headersLen is the length of hs as appendHeaders encodes them.
func headersLen(hs []Header) int {
	n := 0
	for _, h := range hs {
		n += varintLen(int64(len(h.Key))) + len(h.Key) + bytesLen(h.Value, h.Value == nil)
	}
	return n
}

// appendHeaders appends hs to dst as Kafka encodes record headers: for
// each, the key's length and bytes, then the value's (-1 for nil).
func appendHeaders(dst []byte, hs []Header) []byte {
	for _, h := range hs {
		dst = binary.AppendVarint(dst, int64(len(h.Key)))
		dst = append(dst, h.Key...)
		dst = appendBytes(dst, h.Value, h.Value == nil)
	}
	return dst
}

// decodeHeaders appends to dst the headers appendHeaders encoded in b.
// Values alias b; keys are copied into strings.
func decodeHeaders(b []byte, dst []Header) []Header {
	for len(b) > 0 {
		kl, n := binary.Varint(b)
		b = b[n:]
		k := string(b[:kl])
		b = b[kl:]
		vl, n := binary.Varint(b)
		b = b[n:]
		var v []byte
		if vl >= 0 {
			v = b[:vl:vl]
			b = b[vl:]
		}
		dst = append(dst, Header{Key: k, Value: v})
	}
	return dst
}
