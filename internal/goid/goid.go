// Package goid reads the id of the calling goroutine, for the sink to tell
// whether Close is called from a callback on one of its own goroutines,
// and for tests that tell callers apart.
package goid

import (
	"bytes"
	"runtime"
	"strconv"
)

// ID returns the calling goroutine's id, read from the first line of its
// stack trace ("goroutine 42 [running]:"); 0 if that cannot be read. It
// costs a microsecond or so: call it where that does not matter.
func ID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
