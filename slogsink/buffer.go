package slogsink

import "sync"

// maxPooledBuffer is the largest buffer returned to the pool, as in slog's
// internal/buffer: a rare huge entry does not pin its memory.
const maxPooledBuffer = 16 << 10

// bufPool holds the buffers records are encoded into. The sink copies an
// entry before Write returns, so a buffer goes back as soon as Handle is
// done with it.
var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 1024)
	return &b
}}

func getBuffer() *[]byte { return bufPool.Get().(*[]byte) }

func putBuffer(b *[]byte) {
	if cap(*b) > maxPooledBuffer {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
