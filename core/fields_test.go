package core

import (
	"strings"
	"testing"
)

// TestDefaultFieldsTable checks that roleOf's table for the zero Fields
// says what the default lists say (and that maybeDefault lets every
// default name through), for every default name and others of
// the same lengths and first bytes, at the end of the entry and before
// more of it.
func TestDefaultFieldsTable(t *testing.T) {
	var zero Fields
	names := []string{"", "t", "tsx", "Time", "LEVEL", "messages", "log", "errors", "errorverbose", "Stack", "caller", "source",
		"tz", "mag", "erf", "tima", "lever", "errox", "stacc", "logges", "messagf", "stacktracf", "errorVerbosf", "xrrorVerbose",
		"method", "status", "user", "path", "0123456789abcdef", "0123456789abcdefg",
		"e00*rVerbo1a", "errorVerbosa", "xrrorVerbose", "e" + strings.Repeat("~", 11)} // e00*rVerbo1a: found by FuzzFormatters
	for _, l := range defaultFields {
		names = append(names, l...)
	}
	for _, name := range names {
		for _, in := range []string{`{"` + name + `":1}`, `{"` + name + `":"` + strings.Repeat("x", 20) + `"}`} {
			b := []byte(in)
			ms, err := readObject(b, nil)
			if err != nil {
				t.Fatal(err)
			}
			r1, k1, ok1 := zero.roleOf(b, &ms[0], true)
			r2, k2, ok2 := zero.roleOf(b, &ms[0], false) // the lists
			if r1 != r2 || k1 != k2 || ok1 != ok2 {
				t.Errorf("%s: table says role %d rank %d %v, lists say %d %d %v", in, r1, k1, ok1, r2, k2, ok2)
			}
			if ok2 && !maybeDefault(b, &ms[0]) {
				t.Errorf("%s: maybeDefault says no, but it is a default name", in)
			}
		}
	}
}
