// This file is a port of the JSON encoding of the Go standard library's
// log/slog (src/log/slog/handler.go and json_handler.go, Go 1.26), cut down
// to what a JSON handler needs, so that a Handler writes what
// slog.NewJSONHandler writes. The differences are listed in the package
// documentation ("The JSON").
//
// Copyright 2022 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be
// found in the LICENSE.golang file of this directory.

package slogsink

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// encode appends r to *buf as one JSON object, without a trailing newline,
// as slog's commonHandler.handle does for a JSONHandler.
func (h *Handler) encode(buf *[]byte, r slog.Record) {
	s := h.newEncodeState(buf, "")
	defer s.free()
	*s.buf = append(*s.buf, '{')
	// Built-in attributes. They are not in a group.
	stateGroups := s.groups
	s.groups = nil // So ReplaceAttr sees no groups instead of the pre groups.
	rep := h.opts.ReplaceAttr
	// time
	if !r.Time.IsZero() {
		key := slog.TimeKey
		val := r.Time.Round(0) // strip monotonic to match Attr behavior
		if rep == nil {
			s.appendKey(key)
			s.appendTime(val)
		} else {
			s.appendAttr(slog.Time(key, val))
		}
	}
	// level
	key := slog.LevelKey
	val := r.Level
	if rep == nil {
		s.appendKey(key)
		s.appendString(val.String())
	} else {
		s.appendAttr(slog.Any(key, val))
	}
	// source
	if h.opts.AddSource {
		src := r.Source()
		if src == nil {
			src = &slog.Source{}
		}
		s.appendAttr(slog.Any(slog.SourceKey, src))
	}
	key = slog.MessageKey
	msg := r.Message
	if rep == nil {
		s.appendKey(key)
		s.appendString(msg)
	} else {
		s.appendAttr(slog.String(key, msg))
	}
	s.groups = stateGroups // Restore groups passed to ReplaceAttrs.
	s.appendNonBuiltIns(r)
}

// withAttrs returns a copy of h with as pre-encoded after h's own, as
// slog's commonHandler.withAttrs does.
func (h *Handler) withAttrs(as []slog.Attr) *Handler {
	// We are going to ignore empty groups, so if the entire slice consists of
	// them, there is nothing to do.
	if countEmptyGroups(as) == len(as) {
		return h
	}
	h2 := h.clone()
	// Pre-format the attributes as an optimization.
	s := h2.newEncodeState(&h2.preformatted, "")
	defer s.free()
	if pfa := h2.preformatted; len(pfa) > 0 {
		s.sep = ","
		if pfa[len(pfa)-1] == '{' {
			s.sep = ""
		}
	}
	// Remember the position in the buffer, in case all attrs are empty.
	pos := len(*s.buf)
	s.openGroups()
	if !s.appendAttrs(as) {
		*s.buf = (*s.buf)[:pos]
	} else {
		// Remember how many opened groups are in preformatted, so we
		// don't open them again when we handle a Record.
		h2.nOpenGroups = len(h2.groups)
	}
	return h2
}

// withGroup returns a copy of h with the group name opened.
func (h *Handler) withGroup(name string) *Handler {
	h2 := h.clone()
	h2.groups = append(h2.groups, name)
	return h2
}

// clone returns a copy of h whose slices cannot be appended to in place.
func (h *Handler) clone() *Handler {
	h2 := *h
	h2.preformatted = slices.Clip(h.preformatted)
	h2.groups = slices.Clip(h.groups)
	return &h2
}

func (s *encodeState) appendNonBuiltIns(r slog.Record) {
	// preformatted Attrs
	if pfa := s.h.preformatted; len(pfa) > 0 {
		*s.buf = append(*s.buf, s.sep...)
		*s.buf = append(*s.buf, pfa...)
		s.sep = ","
		if pfa[len(pfa)-1] == '{' {
			s.sep = ""
		}
	}
	// Attrs in Record -- unlike the built-in ones, they are in groups started
	// from WithGroup.
	// If the record has no Attrs, don't output any groups.
	nOpenGroups := s.h.nOpenGroups
	if r.NumAttrs() > 0 {
		// The group may turn out to be empty even though it has attrs (for
		// example, ReplaceAttr may delete all the attrs).
		// So remember where we are in the buffer, to restore the position
		// later if necessary.
		pos := len(*s.buf)
		s.openGroups()
		nOpenGroups = len(s.h.groups)
		empty := true
		r.Attrs(func(a slog.Attr) bool {
			if s.appendAttr(a) {
				empty = false
			}
			return true
		})
		if empty {
			*s.buf = (*s.buf)[:pos]
			nOpenGroups = s.h.nOpenGroups
		}
	}
	// Close all open groups.
	for range s.h.groups[:nOpenGroups] {
		*s.buf = append(*s.buf, '}')
	}
	// Close the top-level object.
	*s.buf = append(*s.buf, '}')
}

// encodeState holds state for one call to encode or withAttrs (slog's
// handleState). The initial value of sep determines whether to emit a
// separator before the next key, after which it stays ",".
type encodeState struct {
	h      *Handler
	buf    *[]byte
	sep    string    // separator to write before next key
	groups *[]string // pool-allocated slice of active groups, for ReplaceAttr
}

var groupPool = sync.Pool{New: func() any {
	s := make([]string, 0, 10)
	return &s
}}

func (h *Handler) newEncodeState(buf *[]byte, sep string) encodeState {
	s := encodeState{h: h, buf: buf, sep: sep}
	if h.opts.ReplaceAttr != nil {
		s.groups = groupPool.Get().(*[]string)
		*s.groups = append(*s.groups, h.groups[:h.nOpenGroups]...)
	}
	return s
}

func (s *encodeState) free() {
	if gs := s.groups; gs != nil {
		*gs = (*gs)[:0]
		groupPool.Put(gs)
	}
}

func (s *encodeState) openGroups() {
	for _, n := range s.h.groups[s.h.nOpenGroups:] {
		s.openGroup(n)
	}
}

// openGroup starts a new group of attributes with the given name.
func (s *encodeState) openGroup(name string) {
	s.appendKey(name)
	*s.buf = append(*s.buf, '{')
	s.sep = ""
	// Collect group names for ReplaceAttr.
	if s.groups != nil {
		*s.groups = append(*s.groups, name)
	}
}

// closeGroup ends the innermost group.
func (s *encodeState) closeGroup() {
	*s.buf = append(*s.buf, '}')
	s.sep = ","
	if s.groups != nil {
		*s.groups = (*s.groups)[:len(*s.groups)-1]
	}
}

// appendAttrs appends the slice of Attrs.
// It reports whether something was appended.
func (s *encodeState) appendAttrs(as []slog.Attr) bool {
	nonEmpty := false
	for _, a := range as {
		if s.appendAttr(a) {
			nonEmpty = true
		}
	}
	return nonEmpty
}

// appendAttr appends the Attr's key and value.
// It handles replacement and checking for an empty key.
// It reports whether something was appended.
func (s *encodeState) appendAttr(a slog.Attr) bool {
	a.Value = a.Value.Resolve()
	if rep := s.h.opts.ReplaceAttr; rep != nil && a.Value.Kind() != slog.KindGroup {
		var gs []string
		if s.groups != nil {
			gs = *s.groups
		}
		// a.Value is resolved before calling ReplaceAttr, so the user doesn't have to.
		a = rep(gs, a)
		// The ReplaceAttr function may return an unresolved Attr.
		a.Value = a.Value.Resolve()
	}
	// Elide empty Attrs.
	if isEmptyAttr(a) {
		return false
	}
	// Special case: Source.
	if v := a.Value; v.Kind() == slog.KindAny {
		if src, ok := v.Any().(*slog.Source); ok {
			if src == nil || *src == (slog.Source{}) {
				return false
			}
			a.Value = sourceGroup(src)
		}
	}
	if a.Value.Kind() == slog.KindGroup {
		attrs := a.Value.Group()
		// Output only non-empty groups.
		if len(attrs) > 0 {
			// The group may turn out to be empty even though it has attrs (for
			// example, ReplaceAttr may delete all the attrs).
			// So remember where we are in the buffer, to restore the position
			// later if necessary.
			pos := len(*s.buf)
			// Inline a group with an empty key.
			if a.Key != "" {
				s.openGroup(a.Key)
			}
			if !s.appendAttrs(attrs) {
				*s.buf = (*s.buf)[:pos]
				return false
			}
			if a.Key != "" {
				s.closeGroup()
			}
		}
	} else {
		s.appendKey(a.Key)
		s.appendValue(a.Value)
	}
	return true
}

// isEmptyAttr reports whether a has an empty key and a nil value: Attr{}
// or Any("", nil) (slog's unexported Attr.isEmpty).
func isEmptyAttr(a slog.Attr) bool {
	return a.Key == "" && a.Value.Kind() == slog.KindAny && a.Value.Any() == nil
}

// isEmptyGroup reports whether v is a group that has no attributes.
// GroupValue removes empty groups, so it need not look deeper.
func isEmptyGroup(v slog.Value) bool {
	return v.Kind() == slog.KindGroup && len(v.Group()) == 0
}

// countEmptyGroups returns the number of empty group values in as.
func countEmptyGroups(as []slog.Attr) int {
	n := 0
	for _, a := range as {
		if isEmptyGroup(a.Value) {
			n++
		}
	}
	return n
}

// sourceGroup returns the non-zero fields of src as a group (slog's
// unexported Source.group).
func sourceGroup(src *slog.Source) slog.Value {
	var as []slog.Attr
	if src.Function != "" {
		as = append(as, slog.String("function", src.Function))
	}
	if src.File != "" {
		as = append(as, slog.String("file", src.File))
	}
	if src.Line != 0 {
		as = append(as, slog.Int("line", src.Line))
	}
	return slog.GroupValue(as...)
}

func (s *encodeState) appendError(err error) {
	s.appendString(fmt.Sprintf("!ERROR:%v", err))
}

func (s *encodeState) appendKey(key string) {
	*s.buf = append(*s.buf, s.sep...)
	s.appendString(key)
	*s.buf = append(*s.buf, ':')
	s.sep = ","
}

func (s *encodeState) appendString(str string) {
	*s.buf = append(*s.buf, '"')
	*s.buf = appendEscapedJSONString(*s.buf, str)
	*s.buf = append(*s.buf, '"')
}

func (s *encodeState) appendValue(v slog.Value) {
	defer func() {
		if r := recover(); r != nil {
			// If it panics with a nil pointer, the most likely cases are
			// an encoding.TextMarshaler or error fails to guard against nil,
			// in which case "<nil>" seems to be the feasible choice.
			//
			// Adapted from the code in fmt/print.go.
			if v := reflect.ValueOf(v.Any()); v.Kind() == reflect.Pointer && v.IsNil() {
				s.appendString("<nil>")
				return
			}

			// Otherwise just print the original panic message.
			s.appendString(fmt.Sprintf("!PANIC: %v", r))
		}
	}()

	if err := appendJSONValue(s, v); err != nil {
		s.appendError(err)
	}
}

// appendTime appends t as json.Marshal would, quoted RFC 3339 with
// nanoseconds (adapted from time.Time.MarshalJSON to avoid allocation).
//
// For a year outside [0,9999] slog writes its error string followed by the
// time string, which is not valid JSON ("!ERROR:…""10000-…"); a Kafka
// record must be one JSON object, so this writes one string holding both.
func (s *encodeState) appendTime(t time.Time) {
	if y := t.Year(); y < 0 || y >= 10000 {
		// RFC 3339 is clear that years are 4 digits exactly.
		// See golang.org/issue/4556#c15 for more discussion.
		*s.buf = append(*s.buf, `"!ERROR:time.Time year outside of range [0,9999]: `...)
		*s.buf = t.AppendFormat(*s.buf, time.RFC3339Nano)
		*s.buf = append(*s.buf, '"')
		return
	}
	*s.buf = append(*s.buf, '"')
	*s.buf = t.AppendFormat(*s.buf, time.RFC3339Nano)
	*s.buf = append(*s.buf, '"')
}

func appendJSONValue(s *encodeState, v slog.Value) error {
	switch v.Kind() {
	case slog.KindString:
		s.appendString(v.String())
	case slog.KindInt64:
		*s.buf = strconv.AppendInt(*s.buf, v.Int64(), 10)
	case slog.KindUint64:
		*s.buf = strconv.AppendUint(*s.buf, v.Uint64(), 10)
	case slog.KindFloat64:
		// json.Marshal is funny about floats; it doesn't
		// always match strconv.AppendFloat. So just call it.
		// That's expensive, but floats are rare.
		if err := appendJSONMarshal(s.buf, v.Float64()); err != nil {
			return err
		}
	case slog.KindBool:
		*s.buf = strconv.AppendBool(*s.buf, v.Bool())
	case slog.KindDuration:
		// Do what json.Marshal does.
		*s.buf = strconv.AppendInt(*s.buf, int64(v.Duration()), 10)
	case slog.KindTime:
		s.appendTime(v.Time())
	case slog.KindAny:
		a := v.Any()
		_, jm := a.(json.Marshaler)
		if err, ok := a.(error); ok && !jm {
			s.appendString(err.Error())
		} else {
			return appendJSONMarshal(s.buf, a)
		}
	default:
		panic(fmt.Sprintf("bad kind: %s", v.Kind()))
	}
	return nil
}

type jsonEncoder struct {
	buf *bytes.Buffer
	// Use a json.Encoder to avoid escaping HTML.
	json *json.Encoder
}

var jsonEncoderPool = &sync.Pool{
	New: func() any {
		enc := &jsonEncoder{
			buf: new(bytes.Buffer),
		}
		enc.json = json.NewEncoder(enc.buf)
		enc.json.SetEscapeHTML(false)
		return enc
	},
}

func appendJSONMarshal(buf *[]byte, v any) error {
	j := jsonEncoderPool.Get().(*jsonEncoder)
	defer func() {
		// To reduce peak allocation, return only smaller buffers to the pool.
		const maxBufferSize = 16 << 10
		if j.buf.Cap() > maxBufferSize {
			return
		}
		j.buf.Reset()
		jsonEncoderPool.Put(j)
	}()

	if err := j.json.Encode(v); err != nil {
		return err
	}

	bs := j.buf.Bytes()
	*buf = append(*buf, bs[:len(bs)-1]...) // remove final newline
	return nil
}

// appendEscapedJSONString escapes s for JSON and appends it to buf.
// It does not surround the string in quotation marks.
//
// Modified from encoding/json/encode.go:encodeState.string,
// with escapeHTML set to false.
func appendEscapedJSONString(buf []byte, s string) []byte {
	char := func(b byte) { buf = append(buf, b) }
	str := func(s string) { buf = append(buf, s...) }

	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if safeSet[b] {
				i++
				continue
			}
			if start < i {
				str(s[start:i])
			}
			char('\\')
			switch b {
			case '\\', '"':
				char(b)
			case '\n':
				char('n')
			case '\r':
				char('r')
			case '\t':
				char('t')
			default:
				// This encodes bytes < 0x20 except for \t, \n and \r.
				str(`u00`)
				char(hex[b>>4])
				char(hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			if start < i {
				str(s[start:i])
			}
			str(`\ufffd`)
			i += size
			start = i
			continue
		}
		// U+2028 is LINE SEPARATOR.
		// U+2029 is PARAGRAPH SEPARATOR.
		// They are both technically valid characters in JSON strings,
		// but don't work in JSONP, which has to be evaluated as JavaScript,
		// and can lead to security holes there. It is valid JSON to
		// escape them, so we do so unconditionally.
		// See http://timelessrepo.com/json-isnt-a-javascript-subset for discussion.
		if c == '\u2028' || c == '\u2029' {
			if start < i {
				str(s[start:i])
			}
			str(`\u202`)
			char(hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	if start < len(s) {
		str(s[start:])
	}
	return buf
}

const hex = "0123456789abcdef"

// safeSet holds the value true if the ASCII character with the given array
// position can be represented inside a JSON string without any further
// escaping: all but the ASCII control characters (0-31), the double quote
// and the backslash (copied from encoding/json/tables.go, as a loop).
var safeSet = func() (set [utf8.RuneSelf]bool) {
	for c := ' '; c < utf8.RuneSelf; c++ {
		set[c] = c != '"' && c != '\\'
	}
	return set
}()
