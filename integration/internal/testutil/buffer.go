package testutil

import (
	"bytes"
	"strings"
	"sync"
)

// LockedBuffer is a bytes.Buffer safe for concurrent use: a Fallback the
// sink's goroutine writes while the test reads it. The zero value is
// empty and ready.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what the buffer holds.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Len returns the number of bytes held.
func (b *LockedBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

// Take returns what the buffer holds and empties it.
func (b *LockedBuffer) Take() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := bytes.Clone(b.buf.Bytes())
	b.buf.Reset()
	return out
}

// Lines returns what the buffer holds as [Lines] splits it.
func (b *LockedBuffer) Lines() []string { return Lines(b.String()) }

// Lines splits s, one entry a line, into its lines without the newlines:
// none for an empty s.
func Lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
