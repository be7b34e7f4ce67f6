package core

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
)

func TestParseTimeText(t *testing.T) {
	local := func(s string) time.Time {
		t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, time.Local)
		if err != nil {
			panic(err)
		}
		return t
	}
	for _, tt := range []struct {
		in   string
		want time.Time
		res  time.Duration
		bad  bool // not a time
	}{
		{"2026-12-01T07:07:26Z", time.Date(2026, 12, 1, 7, 7, 26, 0, time.UTC), time.Second, false},                                 // zerolog's default, RFC 3339
		{"2026-12-01T07:07:26.056Z", time.Date(2026, 12, 1, 7, 7, 26, 56e6, time.UTC), time.Millisecond, false},                     // zap ISO 8601, in UTC
		{"2026-12-01T08:07:26.056+0100", time.Date(2026, 12, 1, 8, 7, 26, 56e6, time.FixedZone("", 3600)), time.Millisecond, false}, // zap ISO 8601
		{"2026-12-01T02:07:26.92767635-05:00", time.Date(2026, 12, 1, 2, 7, 26, 927676350, time.FixedZone("", -5*3600)), 10, false}, // slog, RFC 3339 nano
		{"2026-12-01T07:07:26.123456789123Z", time.Date(2026, 12, 1, 7, 7, 26, 123456789, time.UTC), 1, false},                      // digits past ns ignored
		{"2026-12-01t07:07:26,5+05:30", time.Date(2026, 12, 1, 7, 7, 26, 5e8, time.FixedZone("", 5*3600+1800)), 100 * time.Millisecond, false},
		{"2026-12-01T07:07:26+09", time.Date(2026, 12, 1, 7, 7, 26, 0, time.FixedZone("", 9*3600)), time.Second, false},
		{"2024-02-29T23:59:59z", time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC), time.Second, false},
		{"0001-01-01T00:00:00Z", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Second, false},
		{"2026-12-01 07:07:26.5", local("2026-12-01 07:07:26.5"), 100 * time.Millisecond, false}, // no zone: a local wall clock
		{"2026-07-01T07:07:26", local("2026-07-01 07:07:26"), time.Second, false},

		{in: "", bad: true},
		{in: "2026-12-01", bad: true},
		{in: "1796113636", bad: true},
		{in: "Dec  1 07:07:26", bad: true},
		{in: "2026-13-01T07:07:26Z", bad: true},
		{in: "2026-02-29T07:07:26Z", bad: true},
		{in: "2026-04-31T07:07:26Z", bad: true},
		{in: "2026-12-00T07:07:26Z", bad: true},
		{in: "0000-12-01T07:07:26Z", bad: true},
		{in: "2026-12-01T24:00:00Z", bad: true},
		{in: "2026-12-01T07:60:26Z", bad: true},
		{in: "2026-12-01T07:07:60Z", bad: true},
		{in: "2026-12-01X07:07:26Z", bad: true},
		{in: "2026-12-01T07:07:26.Z", bad: true},
		{in: "2026-12-01T07:07:26+24:00", bad: true},
		{in: "2026-12-01T07:07:26+01:60", bad: true},
		{in: "2026-12-01T07:07:26+1", bad: true},
		{in: "2026-12-01T07:07:26+01:0", bad: true},
		{in: "2026-12-01T07:07:26ZZ", bad: true},
		{in: "2026-12-01T07:07:26 UTC", bad: true},
		{in: "２026-12-01T07:07:26Z", bad: true},
	} {
		got, ok := parseTimeText([]byte(tt.in))
		if tt.bad {
			if ok {
				t.Errorf("parseTimeText(%q) = %+v, want no time", tt.in, got)
			}
			continue
		}
		_, off := tt.want.Zone()
		want := fieldTime{instant: timeOf(tt.want, int32(off)), res: int64(tt.res)}
		if !ok || got != want {
			t.Errorf("parseTimeText(%q) = %+v, %v; want %+v", tt.in, got, ok, want)
		}
	}
}

// TestDaysFromCivil checks the day count of every date from 0001 to 9999
// against the time package's, and that civil inverts it.
func TestDaysFromCivil(t *testing.T) {
	for d := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 10000; d = d.AddDate(0, 0, 1) {
		days := daysFromCivil(d.Year(), int(d.Month()), d.Day())
		if days*86400 != d.Unix() { // d is a midnight in UTC
			t.Fatalf("daysFromCivil(%v) = %d, want %d", d, days, d.Unix()/86400)
		}
		if y, m, dd := civil(days); y != d.Year() || m != int(d.Month()) || dd != d.Day() {
			t.Fatalf("civil(daysFromCivil(%v)) = %d-%d-%d", d, y, m, dd)
		}
	}
}

func TestParseUnixTime(t *testing.T) {
	for _, tt := range []struct {
		in          string
		sec, nsec   int64
		res, slack  int64
		notTime     bool
		description string
	}{
		{in: "1796113636", sec: 1796113636, res: 1e9, slack: 1000, description: "zerolog TimeFormatUnix"},
		{in: "1796113636.9274175", sec: 1796113636, nsec: 927417500, res: 100, slack: 1000, description: "zap EpochTimeEncoder"},
		{in: "1796113636.5", sec: 1796113636, nsec: 5e8, res: 1e8, slack: 1000},
		{in: "1796113636927", sec: 1796113636, nsec: 927e6, res: 1e6, slack: 1000, description: "zerolog TimeFormatUnixMs"},
		{in: "1796113636927.4175", sec: 1796113636, nsec: 927417500, res: 100, slack: 1000, description: "zap EpochMillisTimeEncoder"},
		{in: "1796113636927417", sec: 1796113636, nsec: 927417000, res: 1e3, slack: 1000, description: "zerolog TimeFormatUnixMicro"},
		{in: "1796113636927417512", sec: 1796113636, nsec: 927417512, res: 1, slack: 1000, description: "zap EpochNanosTimeEncoder, zerolog TimeFormatUnixNano"},
		{in: "1796113636927417512.75", sec: 1796113636, nsec: 927417512, res: 1, slack: 1000},
		{in: "1796113636.123456789999", sec: 1796113636, nsec: 123456789, res: 1, slack: 1000},
		{in: "0", sec: 0, res: 1e9, slack: 1000},
		{in: "99999999999", sec: 99999999999, res: 1e9, slack: 1000, description: "under 10^11: seconds"},
		{in: "100000000000", sec: 100000000, res: 1e6, slack: 1000, description: "10^11 and up: milliseconds"},
		{in: "-1.5", sec: -2, nsec: 5e8, res: 1e8, slack: 1000},
		{in: "1e9", notTime: true},
		{in: "1.5E+9", notTime: true},
		{in: "17961136369274175120", notTime: true},
	} {
		got, ok := parseUnixTime([]byte(tt.in))
		if tt.notTime {
			if ok {
				t.Errorf("parseUnixTime(%q) = %+v, want no time", tt.in, got)
			}
			continue
		}
		want := fieldTime{instant: instant{sec: tt.sec, nsec: int32(tt.nsec)}, res: tt.res, slack: tt.slack}
		if !ok || got != want {
			t.Errorf("parseUnixTime(%q) (%s) = %+v, %v; want %+v", tt.in, tt.description, got, ok, want)
		}
	}
}

// TestDigitsValue checks the eight-at-a-time digits' value against
// strconv for every length up to 19 digits.
func TestDigitsValue(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	for n := 1; n <= 19; n++ {
		for range 2000 {
			b := make([]byte, n)
			for i := range b {
				b[i] = '0' + byte(r.IntN(10))
				if r.IntN(8) == 0 {
					b[i] = "09"[r.IntN(2)]
				}
			}
			want, err := strconv.ParseUint(string(b), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			if got := digitsValue(b); got != want {
				t.Fatalf("digitsValue(%s) = %d, want %d", b, got, want)
			}
		}
	}
}

// TestZapEpochTimeRefined checks, for many times, that zap's float epoch
// seconds (and milliseconds), which lose the last digits of a time, are
// refined back to the exact Entry.Time zap's adapter gives, and that the
// refinement keeps to the field's own moment otherwise.
func TestZapEpochTimeRefined(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, enc := range []zapcore.TimeEncoder{zapcore.EpochTimeEncoder, zapcore.EpochMillisTimeEncoder, zapcore.EpochNanosTimeEncoder, zapcore.ISO8601TimeEncoder, zapcore.RFC3339NanoTimeEncoder} {
		cfg := zapcore.EncoderConfig{TimeKey: "ts", EncodeTime: enc}
		for range 2000 {
			et := time.Unix(0, 1e17+r.Int64N(4e18)).UTC() // 1973 to 2100
			buf, err := zapcore.NewJSONEncoder(cfg).EncodeEntry(zapcore.Entry{Time: et}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ms, err := readObject(buf.Bytes(), nil)
			if err != nil || len(ms) != 1 {
				t.Fatalf("%s: %v", buf.Bytes(), err)
			}
			ft, ok := parseTimeField(buf.Bytes(), &ms[0])
			if !ok {
				t.Fatalf("%s: no time", buf.Bytes())
			}
			if got, want := entryTime(ft, true, et), timeOf(et, 0); got != want {
				t.Fatalf("%s, Entry.Time %v: time %+v, want %+v", buf.Bytes(), et, got, want)
			}
			// A different Entry.Time (a second later) is not the same
			// moment: the field's time is kept.
			if got := entryTime(ft, true, et.Add(time.Second)); got != ft.instant {
				t.Fatalf("%s, Entry.Time a second later: time %+v, want the field's %+v", buf.Bytes(), got, ft.instant)
			}
			buf.Free()
		}
	}
}

func TestEntryTime(t *testing.T) {
	field := fieldTime{instant: instant{sec: 1796113636, off: 3600}, res: 1e9} // zerolog's "…:16+01:00"
	for _, tt := range []struct {
		name string
		ft   fieldTime
		have bool
		et   time.Time
		want instant
	}{
		{"field only", field, true, time.Time{}, field.instant},
		{"Entry.Time within the field's second: its digits, the field's offset", field, true, time.Unix(1796113636, 56e6), instant{sec: 1796113636, nsec: 56e6, off: 3600}},
		{"Entry.Time at the end of the second", field, true, time.Unix(1796113636, 999999999), instant{sec: 1796113636, nsec: 999999999, off: 3600}},
		{"Entry.Time in the next second: the field's", field, true, time.Unix(1796113637, 0), field.instant},
		{"Entry.Time before the field: the field's", field, true, time.Unix(1796113635, 999999999), field.instant},
		{"Entry.Time far away", field, true, time.Unix(0, 0), field.instant},
		{"no field: Entry.Time, in UTC", fieldTime{}, false, time.Unix(1796113636, 56e6).In(time.FixedZone("", 7200)), instant{sec: 1796113636, nsec: 56e6}},
	} {
		if got := entryTime(tt.ft, tt.have, tt.et); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
	before := time.Now()
	got := entryTime(fieldTime{}, false, time.Time{})
	after := time.Now()
	if g := time.Unix(got.sec, int64(got.nsec)); g.Before(before.Truncate(0)) || g.After(after) || got.off != 0 {
		t.Errorf("no time at all: got %v (offset %d), want now, between %v and %v, in UTC", g, got.off, before, after)
	}
}

func TestAppendTimes(t *testing.T) {
	// Go's layout with 7 zeros truncates as .NET's "O" does.
	const serilogLayout = "2006-01-02T15:04:05.0000000-07:00"
	for _, tt := range []struct {
		t            time.Time
		serilog, utc string
	}{
		{time.Date(2026, 12, 1, 7, 7, 26, 56e6, time.UTC), "2026-12-01T07:07:26.0560000+00:00", "2026-12-01T07:07:26.0560000Z"},
		{time.Date(2026, 12, 1, 8, 7, 26, 927417512, time.FixedZone("", 3600)), "2026-12-01T08:07:26.9274175+01:00", "2026-12-01T07:07:26.9274175Z"},
		{time.Date(2026, 1, 1, 0, 30, 0, 99, time.FixedZone("", -(9*3600+1800))), "2026-01-01T00:30:00.0000000-09:30", "2026-01-01T10:00:00.0000000Z"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01T00:00:00.0000000+00:00", "0001-01-01T00:00:00.0000000Z"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.FixedZone("", 14*3600)), "9999-12-31T23:59:59.9999999+14:00", "9999-12-31T09:59:59.9999999Z"},
		{time.Date(2024, 2, 29, 12, 0, 0, 1e8, time.UTC), "2024-02-29T12:00:00.1000000+00:00", "2024-02-29T12:00:00.1000000Z"},
		{time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC), "1900-03-01T00:00:00.0000000+00:00", "1900-03-01T00:00:00.0000000Z"},
		{time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC), "1969-12-31T23:59:59.9999999+00:00", "1969-12-31T23:59:59.9999999Z"},
		{time.Date(2000, 12, 31, 23, 59, 59, 0, time.UTC), "2000-12-31T23:59:59.0000000+00:00", "2000-12-31T23:59:59.0000000Z"},
	} {
		_, off := tt.t.Zone()
		in := timeOf(tt.t, int32(off))
		if got := string(appendSerilogTime(nil, in)); got != tt.serilog || got != tt.t.Format(serilogLayout) {
			t.Errorf("appendSerilogTime(%v) = %s, want %s (Go: %s)", tt.t, got, tt.serilog, tt.t.Format(serilogLayout))
		}
		if got := string(appendCLEFTime(nil, in)); got != tt.utc {
			t.Errorf("appendCLEFTime(%v) = %s, want %s", tt.t, got, tt.utc)
		}
	}
	// Every day from 1600 to 2400, against the time package.
	for d := time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2400; d = d.AddDate(0, 0, 1) {
		in := timeOf(d.Add(12*time.Hour+34*time.Minute+56*time.Second+7891234*time.Nanosecond), 0)
		if got, want := string(appendCLEFTime(nil, in)), d.Format("2006-01-02")+"T12:34:56.0078912Z"; got != want {
			t.Fatalf("appendCLEFTime(%v) = %s, want %s", d, got, want)
		}
	}
	// Out of .NET's range: clamped to years 1 and 9999.
	for _, tt := range []struct {
		in   instant
		want string
	}{
		{instant{sec: minClock - 1, nsec: 5}, "0001-01-01T00:00:00.0000000Z"},
		{instant{sec: maxClock + 1}, "9999-12-31T23:59:59.9999999Z"},
		{instant{sec: -1 << 62}, "0001-01-01T00:00:00.0000000Z"},
	} {
		if got := string(appendCLEFTime(nil, tt.in)); got != tt.want {
			t.Errorf("appendCLEFTime(%+v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestSecondCache formats times of a few seconds from several goroutines
// at once, so that the cache of the last second's text is hit, missed and
// written concurrently: every text must be the time package's.
func TestSecondCache(t *testing.T) {
	const layout = "2006-01-02T15:04:05.0000000Z"
	base := time.Date(2026, 12, 1, 7, 7, 26, 0, time.UTC)
	errs := make(chan string, 4)
	for g := range 4 {
		go func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for range 20000 {
				// Mostly the same second as the last call, as a batch is.
				at := base.Add(time.Duration(r.IntN(3))*time.Second*time.Duration(g+1) + time.Duration(r.IntN(1e9)))
				if got, want := string(appendCLEFTime(nil, timeOf(at, 0))), at.Format(layout); got != want {
					errs <- "appendCLEFTime(" + at.String() + ") = " + got + ", want " + want
					return
				}
			}
			errs <- ""
		}()
	}
	for range 4 {
		if msg := <-errs; msg != "" {
			t.Error(msg)
		}
	}
}
