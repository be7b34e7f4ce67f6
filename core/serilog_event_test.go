package core

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestHasBraces checks the test for braces in a message against
// strings.ContainsAny, at every length and position around the eight
// bytes tested at a time, and with braces written as escapes.
func TestHasBraces(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	alphabet := "ab{}|zy~\x7f"
	for range 20000 {
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		if got, want := hasBraces(b, false), strings.ContainsAny(string(b), "{}"); got != want {
			t.Fatalf("hasBraces(%q) = %v, want %v", b, got, want)
		}
	}
	for _, tt := range []struct {
		q    string
		want bool
	}{
		{`\u007b`, true},
		{`\u007D`, true},
		{`a\u007cb`, false},
		{`\\u007b`, false}, // an escaped backslash, then text
		{`\n\t\"`, false},
		{`x\"{`, true},
	} {
		if got := hasBraces([]byte(tt.q), true); got != tt.want {
			t.Errorf("hasBraces(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}
