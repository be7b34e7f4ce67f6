package core

import (
	"sync"
	"sync/atomic"
	"time"
)

// chunkSize is the size of the arena chunks that entries are copied into.
// Entries larger than a quarter of it get a chunk of their own.
const chunkSize = 128 << 10

// chunk is a piece of sink-owned memory holding the bytes of many entries.
// It is reference-counted: one reference per live record in it, plus one
// while it is the chunk being filled. At zero it goes back to the pool.
type chunk struct {
	buf  []byte
	refs atomic.Int32
}

var chunkPool = sync.Pool{New: func() any { return &chunk{buf: make([]byte, 0, chunkSize)} }}

func newChunk(size int) *chunk {
	var c *chunk
	if size <= chunkSize {
		c = chunkPool.Get().(*chunk)
		c.buf = c.buf[:0]
	} else {
		c = &chunk{buf: make([]byte, 0, size)}
	}
	c.refs.Store(1)
	return c
}

// release drops one reference; it reports whether it was the last.
func (c *chunk) release() bool { return c.releaseN(1) }

// releaseN drops n references; it reports whether they were the last.
func (c *chunk) releaseN(n int32) bool {
	if c.refs.Add(-n) != 0 {
		return false
	}
	if cap(c.buf) == chunkSize {
		chunkPool.Put(c)
	}
	return true
}

// record is one entry held by the sink, from Write until it is delivered or
// dropped.
type record struct {
	data  []byte // the entry's JSON, in chunk
	chunk *chunk
	seq   uint64 // acceptance order, for Flush

	time       int64 // Entry.Time in Unix nanoseconds; 0 if unknown
	level      Level
	loggerName string
	message    string

	// Set by the batcher.
	value   []byte // the record value: data, or the Formatter's output in ext
	key     []byte // nil for no key; in ext
	headers []Header
	ext     *chunk // memory of value and key when they are not data; nil if none
}

func (r *record) entry() Entry {
	return Entry{Time: r.entryTime(), Level: r.level, LoggerName: r.loggerName, Message: r.message, JSON: r.data}
}

func (r *record) entryTime() time.Time {
	if r.time == 0 {
		return time.Time{}
	}
	return time.Unix(0, r.time)
}
