package core

import (
	"bytes"
	"unicode/utf8"
)

// Serilog keeps a LogEvent's properties in a dictionary: it never writes
// a name twice, and its readers count on that (System.Text.Json's
// JsonNode refuses an object with a name twice). The loggers do write
// names twice: a field given to With and again on the call, in zap,
// zerolog and slog alike. The event's last word wins, as in Serilog, where
// an event's own property beats one its logger's context adds: the last
// member of a name is the property, the earlier ones are shadowed. A
// property named SourceContext shadows the logger's name the same way.

// markShadowed marks, as taken, the properties that a later property of
// the same name shadows, counting them in numShadowed, and notes whether
// a property is named SourceContext. A 64-bit filter of the names seen
// keeps the usual event, without a name twice, from comparing names
// pairwise. Names with escapes, which are rare, take the slow way:
// compared decoded, pairwise.
func (ev *serilogEvent) markShadowed() {
	ev.numShadowed, ev.sourceProperty = 0, false
	ms, b := ev.members, ev.b
	var seen uint64 // in a register: an array here costs a store and a load a member
	for i := len(ms) - 1; i >= 0; i-- {
		m := &ms[i]
		if m.taken {
			continue
		}
		if m.keyEsc {
			ev.markShadowedDecoded()
			return
		}
		// The name is b[k0:k1], between the key's quotes.
		k0, k1 := int(m.key0)+1, int(m.key1)-1
		h := uint(0)
		if k1 > k0 {
			h = nameHash(k1-k0, b[k0], b[k1-1])
		}
		bit := uint64(1) << (h & 63)
		if seen&bit != 0 && ev.laterProperty(i, b[k0:k1]) {
			m.taken, m.shadowed = true, true
			ev.numShadowed++
			continue
		}
		seen |= bit
		if k1-k0 == len("SourceContext") && string(b[k0:k1]) == "SourceContext" {
			ev.sourceProperty = true
		}
	}
}

// laterProperty reports whether a property after member i is named name;
// they have no escapes.
func (ev *serilogEvent) laterProperty(i int, name []byte) bool {
	ms := ev.members
	for j := i + 1; j < len(ms); j++ {
		if !ms[j].taken && bytes.Equal(ev.b[ms[j].key0+1:ms[j].key1-1], name) {
			return true
		}
	}
	return false
}

// markShadowedDecoded is markShadowed for an event with a name that has
// escapes: it starts over, comparing every two properties' names
// decoded.
func (ev *serilogEvent) markShadowedDecoded() {
	ms := ev.members
	for i := range ms {
		if ms[i].taken && ms[i].shadowed {
			ms[i].taken, ms[i].shadowed = false, false
		}
	}
	ev.numShadowed, ev.sourceProperty = 0, false
	var abuf, bbuf [64]byte // most names fit
	a, b := abuf[:0], bbuf[:0]
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].taken {
			continue
		}
		a = ev.decodedName(a[:0], &ms[i])
		for j := i + 1; j < len(ms); j++ {
			if ms[j].taken {
				continue
			}
			if b = ev.decodedName(b[:0], &ms[j]); bytes.Equal(a, b) {
				ms[i].taken, ms[i].shadowed = true, true
				ev.numShadowed++
				break
			}
		}
		if !ms[i].taken && string(a) == "SourceContext" {
			ev.sourceProperty = true
		}
	}
}

// decodedName appends m's name, decoded, to dst.
func (ev *serilogEvent) decodedName(dst []byte, m *member) []byte {
	k := ev.b[m.key0+1 : m.key1-1]
	for i := 0; i < len(k); {
		c := k[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		var r rune
		r, i = unescapeAt(k, i)
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

// nameHash is a cheap hash of a name of n bytes from first to last, for
// markShadowed's filter: 6 bits.
func nameHash(n int, first, last byte) uint {
	x := uint64(n)<<16 | uint64(first)<<8 | uint64(last)
	return uint((x * 0x9e3779b97f4a7c15) >> 58)
}
