package core

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReadObject(t *testing.T) {
	for _, tt := range []struct {
		in      string
		keys    []string // the raw keys read
		values  []string // the raw values read
		wantErr string   // "" if valid
	}{
		{in: `{}`},
		{in: " {\n} \n"},
		{in: `{"a":1}`, keys: []string{`"a"`}, values: []string{`1`}},
		{in: `{"a" : "x\"y" , "b":[1,{"c":[]}],"c":{}}` + "\n", keys: []string{`"a"`, `"b"`, `"c"`}, values: []string{`"x\"y"`, `[1,{"c":[]}]`, `{}`}},
		{in: `{"a":1,"a":2}`, keys: []string{`"a"`, `"a"`}, values: []string{`1`, `2`}},
		{in: `{"\u0061\ud83d\ude00":true,"n":null,"f":false}`, keys: []string{`"\u0061\ud83d\ude00"`, `"n"`, `"f"`}, values: []string{`true`, `null`, `false`}},
		{in: `{"n":-0.5e+10,"m":0,"o":10E-2}`, keys: []string{`"n"`, `"m"`, `"o"`}, values: []string{`-0.5e+10`, `0`, `10E-2`}},
		{in: `{"é✓":"日本"}`, keys: []string{`"é✓"`}, values: []string{`"日本"`}},
		{in: `{"a":[ 1 , [ ] , { "b" : [ "}" ] } ]}`, keys: []string{`"a"`}, values: []string{`[ 1 , [ ] , { "b" : [ "}" ] } ]`}},

		{in: ``, wantErr: "not a JSON object"},
		{in: `[1]`, wantErr: "not a JSON object"},
		{in: `"a"`, wantErr: "not a JSON object"},
		{in: `{`, wantErr: "unexpected end of the object"},
		{in: `{"a":1} x`, wantErr: "data after the object"},
		{in: `{"a":1}{}`, wantErr: "data after the object"},
		{in: `{a:1}`, wantErr: "want a quoted key"},
		{in: `{"a" 1}`, wantErr: `field "a": invalid JSON at byte 5: want ':'`},
		{in: `{"a":}`, wantErr: `field "a": invalid JSON at byte 5: want a value, got '}'`},
		{in: `{"a":1,}`, wantErr: "want a quoted key, got '}'"},
		{in: `{"a":1 "b":2}`, wantErr: "want ',' or '}'"},
		{in: `{"a":01}`, wantErr: "want ',' or '}'"},
		{in: `{"a":-}`, wantErr: `field "a": invalid JSON at byte 5: invalid number "-}": want a digit`},
		{in: `{"a":1.}`, wantErr: "want a digit after '.'"},
		{in: `{"a":1e}`, wantErr: "want a digit in the exponent"},
		{in: `{"a":+1}`, wantErr: "want a value, got '+'"},
		{in: `{"a":nul}`, wantErr: "invalid literal (want null)"},
		{in: `{"a":True}`, wantErr: "want a value, got 'T'"},
		{in: `{"a":NaN}`, wantErr: "want a value, got 'N'"},
		{in: `{"a":"x}`, wantErr: "unterminated string"},
		{in: `{"a":"\x"}`, wantErr: `invalid escape "\\x"`},
		{in: `{"a":"\u12"}`, wantErr: `want 4 hex digits after \u`},
		{in: "{\"a\":\"tab\there\"}", wantErr: "control character byte 0x9 in a string"},
		{in: "{\"a\":\"\xff\"}", wantErr: "invalid UTF-8"},
		{in: "{\"\xc3\":1}", wantErr: "invalid UTF-8"},
		{in: "{\"a\":\"\xed\xa0\x80\"}", wantErr: "invalid UTF-8"}, // a surrogate in UTF-8
		{in: `{"a":[1,2}`, wantErr: `field "a": invalid JSON at byte 9: want ',' or ']' in an array, got '}'`},
		{in: `{"a":{"b":1]}`, wantErr: "want ',' or '}' in an object, got ']'"},
		{in: `{"a":{"b" 1}}`, wantErr: "want ':' after a key"},
		{in: `{"a":{1:2}}`, wantErr: "want a quoted key, got '1'"},
		{in: `{"a":[1,]}`, wantErr: "want a value, got ']'"},
		{in: `{"a":[`, wantErr: "unexpected end of the entry"},
		{in: `{"a":{"b":`, wantErr: "unexpected end of the entry"},
		{in: `{"a":` + strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1) + `}`, wantErr: "nested more than 1024 levels deep"},
		{in: `{"a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`, keys: []string{`"a"`}, values: []string{strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)}},
	} {
		b := []byte(tt.in)
		ms, err := readObject(b, nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("readObject(%.60q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			var obj map[string]any
			if valid := json.Unmarshal(b, &obj) == nil && utf8.Valid(b); valid && !strings.Contains(tt.wantErr, "nested") {
				t.Errorf("readObject(%.60q) fails, but encoding/json accepts it", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("readObject(%.60q) = %v", tt.in, err)
			continue
		}
		if !json.Valid(b) {
			t.Errorf("readObject(%.60q) accepts what encoding/json refuses", tt.in)
		}
		var keys, values []string
		for _, m := range ms {
			keys = append(keys, string(m.key(b)))
			values = append(values, string(m.value(b)))
		}
		if strings.Join(keys, "|") != strings.Join(tt.keys, "|") || strings.Join(values, "|") != strings.Join(tt.values, "|") {
			t.Errorf("readObject(%.60q) read keys %q values %q, want %q %q", tt.in, keys, values, tt.keys, tt.values)
		}
	}
}

// FuzzReadObject checks readObject against encoding/json: it accepts
// exactly the JSON objects in valid UTF-8 (nested at most maxDepth deep),
// and its members are those encoding/json's decoder sees.
func FuzzReadObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"x\"y","b":[1,{"c":2}]}`, `{"\u0061":"\ud800"}`, `{"a":-0.0e-0}`, `{`, `[1]`, `{"a":[1,]}`, "{\"a\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := readObject(b, nil)
		if gs, gerr := readGeneral(b, nil); !sameRead(ms, err, gs, gerr) {
			t.Fatalf("readObject(%q) = %v, %v; readGeneral %v, %v", b, ms, err, gs, gerr)
		}
		var obj map[string]json.RawMessage
		valid := json.Unmarshal(b, &obj) == nil && utf8.Valid(b)
		if err != nil {
			if valid && !strings.Contains(err.Error(), "nested more than") {
				t.Fatalf("readObject(%q) = %v, but encoding/json reads it", b, err)
			}
			return
		}
		if !valid {
			t.Fatalf("readObject(%q) accepts what encoding/json refuses", b)
		}
		for _, m := range ms {
			var k string
			if err := json.Unmarshal(m.key(b), &k); err != nil {
				t.Fatalf("key %q: %v", m.key(b), err)
			}
			if _, ok := obj[k]; !ok {
				t.Fatalf("key %q read, but encoding/json has none", k)
			}
			if !json.Valid(m.value(b)) {
				t.Fatalf("value %q of key %q is not valid JSON", m.value(b), k)
			}
		}
		if len(ms) < len(obj) {
			t.Fatalf("read %d members, encoding/json %d", len(ms), len(obj))
		}
	})
}

// sameRead reports whether two reads found the same members, or failed
// with the same error.
func sameRead(ms []member, err error, gs []member, gerr error) bool {
	if (err == nil) != (gerr == nil) || err != nil && err.Error() != gerr.Error() {
		return false
	}
	return err != nil || slices.Equal(ms, gs)
}

// TestReadCompact checks that readCompact reads what loggers write, as
// readGeneral does, and leaves the rest to it; the 64-byte blocks of its
// bitmap are crossed by keys, strings and nested values.
func TestReadCompact(t *testing.T) {
	long := strings.Repeat("x", 70)
	for _, tt := range []struct {
		in      string
		compact bool // readCompact reads it
	}{
		{`{}`, true},
		{`{"a":1}`, true},
		{`{"a":"b","c":-1.5e3,"d":true,"e":false,"f":null}`, true},
		{`{"a":[1,{"b":"x"}],"c":"d","e":{}}`, true},
		{`{"` + long + `":"` + long + `","` + long + `":[` + long[:1] + `1,"` + long + `"],"z":1}`, false}, // x1: no value
		{`{"` + long + `":"` + long + `","` + long + `":[1,"` + long + `"],"z":1}`, true},
		{`{"k":"` + long[:57] + `","n":12345678901234567890}`, true},
		{`{"level":"info","ts":1796108846.0561235,"logger":"http","caller":"app/handler.go:42","msg":"request served"}` + "\n", true},
		{`{"x":1,"ts":1}`, true},
		{`{"a":-0.5,"b":12345678901234567890.12345678901,"c":0,"d":1e5,"e":-2.5E-3,"f":0.0,"g":7}`, true},
		{`{"a":1234567890123456,"b":-1234567.123456789012,"c":0.12345678,"d":"x"}`, true},
		{`{"a":-}`, false},
		{`{"a":1.}`, false},
		{`{"a":1.,"b":"xxxxxxxxxxxx"}`, false},
		{`{"a":-01,"b":"xxxxxxxxxxxx"}`, false},
		{`{"a":1.5e,"b":"xxxxxxxxxxxx"}`, false},
		{`{"a":.5,"b":"xxxxxxxxxxxx"}`, false},
		{`{"errorVerbose":"a","stacktrace":"b","error":"c","err":"d","message":"e","time":"f","stack":"g","tsx":1,"levels":2}`, true},
		{`{"k":"` + strings.Repeat("y", 5000) + `","` + strings.Repeat("z", 100) + `":[1,"` + strings.Repeat("w", 130) + `"],"e":{}}`, true}, // many blocks
		{" {\"a\":1}", false},
		{`{"a":1 }`, false},
		{`{"a" :1}`, false},
		{`{"#a":1}`, false}, // a false quote flag
		{`{"a":"#"}`, false},
		{`{"a":"\n"}`, false},
		{`{"a":"é"}`, false},
		{`{"a":{"b":"\u00e9"},"c":1}`, false},
		{"{\"a\":\"\t\"}", false},
		{`{"a":1}}`, false},
		{`{"a":"x"},"b":1}`, false},
		{`{"a":1,}`, false},
		{`{"a":01}`, false},
		{`{"a":tru}`, false},
		{`{"a":[1,]}`, false},
		{`{"a"}`, false},
		{`{"a":}`, false},
		{`{,}`, false},
		{`{"}`, false},
		{`{"a":"}`, false},
	} {
		b := []byte(tt.in)
		n := len(b)
		for n > 0 && b[n-1] == '\n' {
			n--
		}
		cs, ok := readCompact(b[:n], nil)
		if ok != tt.compact {
			t.Errorf("readCompact(%.60q) reads it: %v, want %v", tt.in, ok, tt.compact)
		}
		gs, gerr := readGeneral(b, nil)
		if ok && (gerr != nil || !slices.Equal(cs, gs)) {
			t.Errorf("readCompact(%.60q) = %v; readGeneral %v, %v", tt.in, cs, gs, gerr)
		}
		if ms, err := readObject(b, nil); !sameRead(ms, err, gs, gerr) {
			t.Errorf("readObject(%.60q) = %v, %v; readGeneral %v, %v", tt.in, ms, err, gs, gerr)
		}
	}
}

// TestSkipDigits checks the eight-bytes-at-a-time digit scan against a
// byte-by-byte one, for runs of every length around the word size and
// every byte after them.
func TestSkipDigits(t *testing.T) {
	for n := range 20 {
		for c := range 256 {
			for _, pre := range []string{"", "x", "-1.", "abcdefg"} {
				b := []byte(pre + strings.Repeat("7", n) + string([]byte{byte(c)}) + "9")
				want := len(pre)
				for want < len(b) && b[want] >= '0' && b[want] <= '9' {
					want++
				}
				if got := skipDigits(b, len(pre)); got != want {
					t.Fatalf("skipDigits(%q, %d) = %d, want %d", b, len(pre), got, want)
				}
				if got := skipDigits(b[:len(pre)+n], len(pre)); got != len(pre)+n {
					t.Fatalf("skipDigits(%q, %d) = %d, want %d", b[:len(pre)+n], len(pre), got, len(pre)+n)
				}
			}
		}
	}
}

// TestQuotes8 checks the quote flags of eight bytes against the bytes,
// when none is from 0x80, and that the second mask flags the eight if and
// only if one is a backslash, a control character or from 0x80.
func TestQuotes8(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	interesting := []byte{0, 1, 0x1f, 0x20, 0x21, '"', '#', '\\', ']', 'a', 0x7f, 0x80, 0xff}
	for range 500000 {
		var b [8]byte
		for i := range b {
			if r.IntN(4) != 0 {
				b[i] = interesting[r.IntN(len(interesting))]
			} else {
				b[i] = byte(r.IntN(256))
			}
		}
		q, bad := quotes8(binary.LittleEndian.Uint64(b[:]))
		wantBad, high := false, false
		for _, c := range b {
			wantBad = wantBad || c == '\\' || c < 0x20 || c >= 0x80
			high = high || c >= 0x80
		}
		if got := bad&0x8080808080808080 != 0; got != wantBad {
			t.Fatalf("quotes8(%q) flags it bad: %v, want %v", b, got, wantBad)
		}
		if high {
			continue
		}
		for i, c := range b {
			flagged := q&(1<<i) != 0
			// A '#' after a quote (or after such a '#') may be flagged.
			if c == '"' && !flagged || c != '"' && flagged && (c != '#' || i == 0 || q&(1<<(i-1)) == 0) {
				t.Fatalf("quotes8(%q) = %08b: byte %d flagged %v", b, q, i, flagged)
			}
		}
	}
}

func TestJSONStringEquals(t *testing.T) {
	for _, tt := range []struct {
		q, s string
		want bool
	}{
		{``, "", true},
		{`abc`, "abc", true},
		{`abc`, "abd", false},
		{`abc`, "ab", false},
		{`ab`, "abc", false},
		{`a\"b\\c\/d\n\t\r\b\f`, "a\"b\\c/d\n\t\r\b\f", true},
		{`\u00e9\u2713`, "é✓", true},
		{`\ud83d\ude00`, "😀", true},
		{`\ud83d`, "\ufffd", true}, // a lone surrogate reads as U+FFFD
		{`\ud83dx`, "\ufffdx", true},
		{`\u0061`, "b", false},
		{`日本`, "日本", true},
	} {
		if got := jsonStringEquals([]byte(tt.q), tt.s); got != tt.want {
			t.Errorf("jsonStringEquals(%q, %q) = %v, want %v", tt.q, tt.s, got, tt.want)
		}
		// The same, as encoding/json decodes.
		var s string
		if err := json.Unmarshal([]byte(`"`+tt.q+`"`), &s); err != nil {
			t.Fatal(err)
		}
		if got := s == tt.s; got != tt.want {
			t.Errorf("encoding/json reads %q as %q: equal %v, test wants %v", tt.q, s, got, tt.want)
		}
	}
}

// TestSpecial8 checks the 8-bytes-at-a-time test against strPlain: the
// lowest flagged byte is the first byte that is not plain.
func TestSpecial8(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	interesting := []byte{0, 0x1f, 0x20, '"', '\\', 'a', 0x7f, 0x80, 0xff, '!', '#', '[', ']', 0x21, 0x5b, 0x5d}
	for range 200000 {
		var b [8]byte
		for i := range b {
			if r.IntN(2) == 0 {
				b[i] = interesting[r.IntN(len(interesting))]
			} else {
				b[i] = byte(r.IntN(256))
			}
		}
		first := 8
		for i, c := range b {
			if !strPlain[c] {
				first = i
				break
			}
		}
		m := special8(binary.LittleEndian.Uint64(b[:]))
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) >> 3
		}
		if got != first {
			t.Fatalf("special8(%q): first special byte %d, want %d", b, got, first)
		}
	}
}
