package core

import (
	"encoding/binary"
	"slices"
	"sync/atomic"
	"time"
)

// This file reads the time fields that zap, zerolog and slog write, and
// writes timestamps as Serilog does: .NET's round-trip format "O", seven
// fractional digits (100 ns ticks, truncated) and the offset.

// instant is a point in time and the UTC offset to write it with.
type instant struct {
	sec  int64 // Unix seconds
	nsec int32 // nanoseconds within the second, 0 to 999999999
	off  int32 // UTC offset in seconds
}

// fieldTime is what a time field says: an instant and how precisely. The
// logger's real time lies in [instant-slack, instant+res+slack): res is
// what the field's digits truncate (a second for "…T07:07:26Z"), slack
// what a trip through a float64 may have moved it (zap's epoch seconds).
type fieldTime struct {
	instant
	res, slack int64 // nanoseconds
}

// timeOf returns the instant of t, written with offset off.
func timeOf(t time.Time, off int32) instant {
	return instant{sec: t.Unix(), nsec: int32(t.Nanosecond()), off: off}
}

// entryTime chooses the time of an entry: the time field's when there is
// one (ft, have), refined to Entry.Time's when that lies within the
// field's precision (the same moment, more digits: zap's exact time behind
// its float seconds); else Entry.Time; else now. Without an offset of its
// own (a Unix time, Entry.Time, now), the time is written in UTC.
func entryTime(ft fieldTime, have bool, et time.Time) instant {
	if !have {
		if et.IsZero() {
			et = time.Now()
		}
		return timeOf(et, 0)
	}
	if et.IsZero() {
		return ft.instant
	}
	es := et.Unix()
	ds := es - ft.sec
	if ds < -10 || ds > 10 {
		return ft.instant
	}
	d := ds*1e9 + int64(et.Nanosecond()) - int64(ft.nsec)
	if d >= -ft.slack && d < ft.res+ft.slack {
		return timeOf(et, ft.off)
	}
	return ft.instant
}

// parseTimeField reads the value of a time field: a string (m.strEsc
// false) in RFC 3339 or ISO 8601 form, or a plain number (no exponent)
// of Unix seconds, milliseconds, microseconds or nanoseconds.
func parseTimeField(b []byte, m *member) (fieldTime, bool) {
	v := m.value(b)
	if v[0] == '"' {
		if m.strEsc {
			return fieldTime{}, false
		}
		return parseTimeText(v[1 : len(v)-1])
	}
	return parseUnixTime(v)
}

// parseTimeText reads YYYY-MM-DD, 'T', 't' or ' ', hh:mm:ss, an optional
// fraction after '.' or ',', and an optional zone: 'Z', ±hh:mm, ±hhmm or
// ±hh. Without a zone, the time is a wall clock time in time.Local, as
// zap's and zerolog's layouts without a zone write it.
func parseTimeText(s []byte) (fieldTime, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' {
		return fieldTime{}, false
	}
	if c := s[10]; c != 'T' && c != 't' && c != ' ' {
		return fieldTime{}, false
	}
	century, ok0 := twoDigits(s, 0)
	year, ok1 := twoDigits(s, 2)
	year += 100 * century
	month, ok2 := twoDigits(s, 5)
	day, ok3 := twoDigits(s, 8)
	hour, ok4 := twoDigits(s, 11)
	minute, ok5 := twoDigits(s, 14)
	sec, ok6 := twoDigits(s, 17)
	if !(ok0 && ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return fieldTime{}, false
	}
	i := 19
	nsec, res := 0, int64(1e9)
	if i < len(s) && (s[i] == '.' || s[i] == ',') {
		i++
		n := 0
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			if n < 9 {
				nsec = nsec*10 + int(s[i]-'0')
				res /= 10
			}
			n++
		}
		if n == 0 {
			return fieldTime{}, false
		}
		for k := n; k < 9; k++ {
			nsec *= 10
		}
	}
	if i == len(s) {
		t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.Local)
		_, off := t.Zone()
		return fieldTime{instant: timeOf(t, int32(off)), res: res}, true
	}
	off := 0
	switch s[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		sign := 1
		if s[i] == '-' {
			sign = -1
		}
		i++
		h, ok := digitsAt(s, i, 2)
		if !ok || h > 23 {
			return fieldTime{}, false
		}
		i += 2
		m := 0
		if i < len(s) && s[i] == ':' {
			i++
		}
		if i < len(s) {
			if m, ok = digitsAt(s, i, 2); !ok || m > 59 {
				return fieldTime{}, false
			}
			i += 2
		}
		off = sign * (h*3600 + m*60)
	default:
		return fieldTime{}, false
	}
	if i != len(s) {
		return fieldTime{}, false
	}
	unix := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec)
	return fieldTime{instant: instant{sec: unix - int64(off), nsec: int32(nsec), off: int32(off)}, res: res}, true
}

// daysFromCivil returns the day of the proleptic Gregorian date year
// (from 1), month, day counted from 1970-01-01 (Howard Hinnant's
// days_from_civil), the inverse of civil.
func daysFromCivil(year, month, day int) int64 {
	y := year
	if month <= 2 {
		y--
	}
	era := y / 400 // y ≥ 0
	yoe := y - era*400
	mp := month - 3 // from March
	if mp < 0 {
		mp += 12
	}
	doe := yoe*365 + yoe/4 - yoe/100 + (153*mp+2)/5 + day - 1
	return int64(era)*146097 + int64(doe) - 719468
}

// twoDigits returns the two-digit decimal number at s[i:i+2], which
// exist.
func twoDigits(s []byte, i int) (int, bool) {
	a, b := s[i]-'0', s[i+1]-'0'
	return int(a)*10 + int(b), a <= 9 && b <= 9
}

// digitsAt returns the n-digit decimal number at s[i].
func digitsAt(s []byte, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range s[i : i+n] {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseUnixTime reads a Unix time: -?digits(.digits)? The unit follows
// from the size of the integer part, as zap's and zerolog's encoders
// write times from 1973 to 2262: under 10¹¹ seconds, under 10¹⁴
// milliseconds, under 10¹⁷ microseconds, else nanoseconds.
func parseUnixTime(v []byte) (fieldTime, bool) {
	i, neg := 0, false
	if v[0] == '-' {
		neg, i = true, 1
	}
	end := skipDigits(v, i)
	if end-i > 19 {
		return fieldTime{}, false
	}
	ip := digitsValue(v[i:end])
	var unit uint64 // nanoseconds
	var prec int    // the fraction digits that count: unit is 10^prec
	switch {
	case ip < 1e11:
		unit, prec = 1e9, 9
	case ip < 1e14:
		unit, prec = 1e6, 6
	case ip < 1e17:
		unit, prec = 1e3, 3
	default:
		unit, prec = 1, 0
	}
	// The fraction, in nanoseconds: only its first prec digits matter.
	var frac uint64
	res := unit
	if i = end; i < len(v) && v[i] == '.' {
		end = skipDigits(v, i+1)
		k := min(end-i-1, prec)
		res = pow10[prec-k]
		frac = digitsValue(v[i+1:i+1+k]) * res
		i = end
	}
	if i != len(v) { // an exponent: not a time we read
		return fieldTime{}, false
	}
	var sec, nsec int64
	switch unit { // constant divisors: no division instruction
	case 1e9:
		sec = int64(ip)
	case 1e6:
		sec, nsec = int64(ip/1e3), int64(ip%1e3)*1e6
	case 1e3:
		sec, nsec = int64(ip/1e6), int64(ip%1e6)*1e3
	default:
		sec, nsec = int64(ip/1e9), int64(ip%1e9)
	}
	nsec += int64(frac)
	if neg {
		sec, nsec = -sec, -nsec
		if nsec < 0 {
			sec--
			nsec += 1e9
		}
	}
	// zap's epoch encoders divide nanoseconds in float64, which rounds
	// by up to a few hundred nanoseconds either way, even to a whole
	// number of milliseconds.
	return fieldTime{instant: instant{sec: sec, nsec: int32(nsec)}, res: int64(res), slack: 1000}, true
}

// pow10 holds 10⁰ to 10⁹.
var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9}

// digitsValue returns the value of the decimal digits s, at most 19 of
// them, eight at a time.
func digitsValue(s []byte) uint64 {
	var v uint64
	for ; len(s) >= 8; s = s[8:] {
		v = v*1e8 + eightDigits(binary.LittleEndian.Uint64(s))
	}
	for _, c := range s {
		v = v*10 + uint64(c-'0')
	}
	return v
}

// eightDigits returns the value of the eight decimal digits in x, the
// first in its lowest byte: pairs, then quadruples, then the eight are
// combined by multiplications (Daniel Lemire's method).
func eightDigits(x uint64) uint64 {
	x -= 0x3030303030303030
	x = (x * (10<<8 + 1)) >> 8 & 0x00ff00ff00ff00ff
	x = (x * (100<<16 + 1)) >> 16 & 0x0000ffff0000ffff
	return (x * (10000<<32 + 1)) >> 32
}

// appendSerilogTime appends t as .NET's DateTimeOffset.ToString("O")
// writes it, which is what Serilog's JsonFormatter writes as Timestamp:
// 2026-12-01T07:07:26.0560000+00:00.
func appendSerilogTime(dst []byte, t instant) []byte {
	dst, b := grow(dst, 33)
	clock(b, t.sec+int64(t.off), t.nsec)
	off := int(t.off)
	b[27] = '+'
	if off < 0 {
		b[27], off = '-', -off
	}
	put2(b[28:], off/3600%100)
	b[30] = ':'
	put2(b[31:], off%3600/60)
	return dst
}

// appendCLEFTime appends t in UTC as .NET's DateTime.ToString("O") writes
// a UTC time, which is what CompactJsonFormatter writes as @t:
// 2026-12-01T07:07:26.0560000Z.
func appendCLEFTime(dst []byte, t instant) []byte {
	dst, b := grow(dst, 28)
	clock(b, t.sec, t.nsec)
	b[27] = 'Z'
	return dst
}

// grow extends dst by n bytes and returns it and those n bytes, to be
// written in place: written into a buffer and then appended, they would
// be read back with wider loads than they were stored with, which stalls
// store forwarding.
func grow(dst []byte, n int) ([]byte, []byte) {
	l := len(dst)
	dst = slices.Grow(dst, n)[:l+n]
	return dst, dst[l : l+n : l+n]
}

// The Unix seconds of 0001-01-01T00:00:00 and 9999-12-31T23:59:59, the
// range of .NET's DateTime.
const (
	minClock = -62135596800
	maxClock = 253402300799
)

// clock writes the wall clock of Unix time sec, nsec into b[:27]:
// 2006-01-02T15:04:05.0000000, clamped to the years 1 to 9999 that .NET
// reads. The text of the second comes from secondCache when it holds it.
func clock(b []byte, sec int64, nsec int32) {
	b = b[:27:27]
	switch {
	case sec < minClock:
		sec, nsec = minClock, 0
	case sec > maxClock:
		sec, nsec = maxClock, 999999999
	}
	// Three words, not an array: the compiler copies a small array with
	// wider loads than its stores, which stalls store forwarding.
	w0, w1, w2, ok := secondCache.get(sec)
	if !ok {
		w0, w1, w2 = secondText(sec)
		secondCache.put(sec, w0, w1, w2)
	}
	binary.LittleEndian.PutUint64(b[0:], w0)
	binary.LittleEndian.PutUint64(b[8:], w1)
	binary.LittleEndian.PutUint64(b[16:], w2) // its last 5 bytes are overwritten
	b[19] = '.'
	ticks := int(nsec / 100) // 7 digits
	b[20] = '0' + byte(ticks/1000000)
	put2(b[21:], ticks/10000%100)
	put2(b[23:], ticks/100%100)
	put2(b[25:], ticks%100)
}

// secondText returns the text of the second sec, 2006-01-02T15:04:05, as
// three little-endian words (19 bytes, then zeros).
func secondText(sec int64) (uint64, uint64, uint64) {
	days, secs := sec/86400, sec%86400
	if secs < 0 {
		days, secs = days-1, secs+86400
	}
	year, month, day := civil(days)
	var buf [24]byte
	put4(buf[0:], year)
	buf[4] = '-'
	put2(buf[5:], month)
	buf[7] = '-'
	put2(buf[8:], day)
	buf[10] = 'T'
	put2(buf[11:], int(secs/3600))
	buf[13] = ':'
	put2(buf[14:], int(secs%3600/60))
	buf[16] = ':'
	put2(buf[17:], int(secs%60))
	return binary.LittleEndian.Uint64(buf[0:]), binary.LittleEndian.Uint64(buf[8:]), binary.LittleEndian.Uint64(buf[16:])
}

// secondCache holds the text of the last second written: consecutive
// entries are mostly in the same second, and its text costs a calendar
// conversion and six pairs of digits. The formatters of every sink share
// it.
var secondCache textCache

// textCache holds the text of one second. It is a sequence lock of
// atomics, so that formatters on several goroutines share it without a
// mutex: a reader that sees a writer at work, or finished while it read,
// does without it.
type textCache struct {
	seq  atomic.Uint64 // 0 while empty, odd while being written
	sec  atomic.Int64
	text [3]atomic.Uint64
}

// get returns the text of sec, if the cache holds it.
func (c *textCache) get(sec int64) (w0, w1, w2 uint64, ok bool) {
	s := c.seq.Load()
	if s == 0 || s&1 != 0 || c.sec.Load() != sec {
		return 0, 0, 0, false
	}
	w0, w1, w2 = c.text[0].Load(), c.text[1].Load(), c.text[2].Load()
	return w0, w1, w2, c.seq.Load() == s
}

// put makes the cache hold the text of sec, unless another goroutine is
// writing it.
func (c *textCache) put(sec int64, w0, w1, w2 uint64) {
	s := c.seq.Load()
	if s&1 != 0 || !c.seq.CompareAndSwap(s, s+1) {
		return
	}
	c.sec.Store(sec)
	c.text[0].Store(w0)
	c.text[1].Store(w1)
	c.text[2].Store(w2)
	c.seq.Store(s + 2)
}

// civil returns the proleptic Gregorian date of the day days after
// 1970-01-01 (Howard Hinnant's days_from_civil, inverted).
func civil(days int64) (year, month, day int) {
	z := days + 719468
	era := z / 146097
	if z < 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if mp >= 10 {
		month = int(mp - 9)
	}
	year = int(yoe + era*400)
	if month <= 2 {
		year++
	}
	return year, month, day
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// put2 writes v (0 to 99) as two digits at b[0:2].
func put2(b []byte, v int) {
	b[0], b[1] = digitPairs[2*v], digitPairs[2*v+1]
}

// put4 writes v (0 to 9999) as four digits at b[0:4].
func put4(b []byte, v int) {
	put2(b, v/100)
	put2(b[2:], v%100)
}
