package core

import (
	"bytes"
	"runtime"
	"strconv"
)

// goid returns the current goroutine's id, read from its stack trace's
// first line ("goroutine 42 [running]:"). It costs a microsecond or so:
// the sink calls it only when its goroutines start and in Close, to tell
// whether Close was called from a callback on one of them.
func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
