package core

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestEntryField(t *testing.T) {
	const obj = ` { "level" : "error", "msg":"disk \"full\"\n", "n": 42, "ok":true, "nil":null,` +
		` "obj":{"a":[1,{"b":"}"}]}, "arr":[1,2], "esc\u0061ped":"yes", "uni":"caf\u00e9 \ud83d\ude00", "level":"dup" } `
	for _, tt := range []struct {
		name, field string
		want        string
		wantOK      bool
		wantRaw     string
	}{
		{"string", "level", "error", true, `"error"`},
		{"escapes decoded", "msg", "disk \"full\"\n", true, `"disk \"full\"\n"`},
		{"number", "n", "42", true, "42"},
		{"bool", "ok", "true", true, "true"},
		{"null", "nil", "null", true, "null"},
		{"object with brackets in strings", "obj", `{"a":[1,{"b":"}"}]}`, true, `{"a":[1,{"b":"}"}]}`},
		{"array", "arr", "[1,2]", true, "[1,2]"},
		{"escaped key", "escaped", "yes", true, `"yes"`},
		{"unicode escapes", "uni", "café 😀", true, `"caf\u00e9 \ud83d\ude00"`},
		{"absent", "service", "", false, ""},
		{"nested fields are not top-level", "b", "", false, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := Entry{JSON: []byte(obj)}
			got, ok := e.LookupField(tt.field)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("LookupField(%q) = %q, %v; want %q, %v", tt.field, got, ok, tt.want, tt.wantOK)
			}
			if got := e.Field(tt.field); got != tt.want {
				t.Errorf("Field(%q) = %q, want %q", tt.field, got, tt.want)
			}
			if raw, _ := e.RawField(tt.field); string(raw) != tt.wantRaw {
				t.Errorf("RawField(%q) = %s, want %s", tt.field, raw, tt.wantRaw)
			}
		})
	}
	for _, bad := range []string{"", "not json", "[1,2]", `{"a":`, `{"a" 1}`, `{"a":"unterminated}`, `{"a":1`, `{"level":"x",`, `{a:1}`} {
		if v, ok := (Entry{JSON: []byte(bad)}).LookupField("level"); ok && bad != `{"level":"x",` {
			t.Errorf("LookupField on %q = %q, true; want false", bad, v)
		}
	}
}

func TestEntryFieldAllocs(t *testing.T) {
	e := Entry{JSON: []byte(`{"level":"info","ts":1,"service":"billing","request_id":"r-1"}`)}
	if n := testing.AllocsPerRun(100, func() { e.RawField("request_id") }); n != 0 {
		t.Errorf("RawField allocates %v times, want 0", n)
	}
}

// FuzzEntryField checks Field on arbitrary bytes: it never panics, and on
// valid JSON objects it agrees with encoding/json.
func FuzzEntryField(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":"x\"y","b":[1,{"c":2}]}`, `{"\u0061":"\ud800"}`, `{`, `"`, `{"a":"\`} {
		f.Add([]byte(s), "a")
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		e := Entry{JSON: data}
		got, ok := e.LookupField(name)
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return
		}
		raw, present := m[name]
		if !present {
			if ok {
				// encoding/json keeps the last duplicate, Field the first:
				// only a duplicated key may disagree.
				return
			}
			return
		}
		if !ok {
			t.Fatalf("Field(%q) absent in %s", name, data)
		}
		var s string
		if json.Unmarshal(raw, &s) == nil && !hasDup(data, name) && s != got && validUTF16(raw) {
			t.Fatalf("Field(%q) = %q, encoding/json says %q, in %s", name, got, s, data)
		}
	})
}

func hasDup(data []byte, name string) bool {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return false
	}
	seen := 0
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return false
		}
		if k == name {
			seen++
		}
		var v json.RawMessage
		if dec.Decode(&v) != nil {
			return false
		}
	}
	return seen > 1
}

// validUTF16 skips strings with lone surrogates, which encoding/json and
// Field both replace, but not always at the same width.
func validUTF16(raw []byte) bool {
	for i := 0; i+1 < len(raw); i++ {
		if raw[i] == '\\' && raw[i+1] == 'u' {
			return false
		}
	}
	return true
}
