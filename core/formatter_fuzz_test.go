package core_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kafkasink/kafkasink/core"
)

// FuzzFormatters feeds arbitrary logger JSON, with arbitrary adapter
// metadata, to both formatters: a valid JSON object must be formatted
// into valid JSON that carries every input field and follows the field
// rules (checkFormatters); anything else must be refused with an error,
// by both.
func FuzzFormatters(f *testing.F) {
	for _, tt := range goldenCases {
		e := tt.entry(f)
		f.Add(e.JSON, uint8(e.Level), e.Message, e.LoggerName, e.Time.UnixNano())
	}
	for _, s := range []string{
		`{}`, `{"msg":"\u007bx\u007D"}`, `{"ts":"2026-12-01 07:07:26,5"}`, `{"time":-1.5,"level":"DEBUG-9"}`,
		`{"@":1,"@@":2,"\u0040x":3}`, `{"error":null,"stack":{"a":[1,2]},"errorVerbose":7}`, `{"level":"info","level":"warn"}`,
		`{"a":"\ud800"}`, `{"a":1e999}`, `{`, `[]`, `{"a":[1,]}`, "{\"a\":\"\xff\"}",
	} {
		f.Add([]byte(s), uint8(0), "", "", int64(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, level uint8, msg, logger string, unixNano int64) {
		e := core.Entry{JSON: data, Level: core.Level(level % 9), Message: msg, LoggerName: logger}
		if unixNano != 0 {
			e.Time = time.Unix(0, unixNano)
		}
		var obj map[string]json.RawMessage
		valid := json.Unmarshal(data, &obj) == nil && utf8.Valid(data)
		_, serr := core.SerilogJSON{}.Format(nil, e)
		_, cerr := core.CLEF{}.Format(nil, e)
		if (serr == nil) != (cerr == nil) {
			t.Fatalf("SerilogJSON: %v, CLEF: %v, for %q", serr, cerr, data)
		}
		if serr != nil {
			if valid && !strings.Contains(serr.Error(), "nested more than") {
				t.Fatalf("Format(%q) = %v, but it is a valid JSON object", data, serr)
			}
			return
		}
		if !valid {
			t.Fatalf("Format(%q) accepts what is not a valid JSON object", data)
		}
		if _, _, err := checkFormatters(e, core.Fields{}); err != nil {
			t.Fatalf("entry %+v: %v", e, err)
		}
	})
}
