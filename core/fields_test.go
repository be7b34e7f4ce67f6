package core

import "testing"

// TestDefaultFieldsSwitch checks that roleOf's switch for the zero Fields
// says what the default lists say, for every default name and a few
// others.
func TestDefaultFieldsSwitch(t *testing.T) {
	var zero Fields
	names := []string{"", "t", "tsx", "Time", "LEVEL", "messages", "log", "errors", "errorverbose", "Stack", "caller", "source"}
	for _, l := range defaultFields {
		names = append(names, l...)
	}
	for _, name := range names {
		b := []byte(`{"` + name + `":1}`)
		ms, err := readObject(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		r1, k1, ok1 := zero.roleOf(b, &ms[0], true)
		r2, k2, ok2 := zero.roleOf(b, &ms[0], false) // the lists
		if r1 != r2 || k1 != k2 || ok1 != ok2 {
			t.Errorf("%q: switch says role %d rank %d %v, lists say %d %d %v", name, r1, k1, ok1, r2, k2, ok2)
		}
	}
}
