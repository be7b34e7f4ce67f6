package core

import (
	"sync"
	"sync/atomic"
	"time"
)

// maxChunkSize is the size of the arena chunks that entries are copied
// into, unless QueueByteLimit is small: a sink's chunks are at most a
// sixteenth of it (and at least minChunkSize), so that the limit holds many
// chunks. Entries larger than a quarter of a chunk get a chunk of their own.
const (
	maxChunkSize = 128 << 10
	minChunkSize = 4 << 10
)

// chunk is a piece of sink-owned memory holding the bytes of many entries.
// It is reference-counted: one reference per live record in it, plus one
// while it is the chunk being filled. At zero it goes back to its pool.
type chunk struct {
	buf  []byte
	refs atomic.Int32
	pool *arena // nil for a chunk of one large entry
}

// arena hands out chunks of one size, reusing those given back: a few
// from a free list that the garbage collector leaves alone (a steady
// stream cycles through a handful of chunks, and a new one costs a 128 KiB
// clear), the rest through a sync.Pool, which lets a burst's memory go.
type arena struct {
	size int
	free chan *chunk
	pool sync.Pool
}

// arenaFreeChunks is how many chunks an arena keeps whatever the GC does.
const arenaFreeChunks = 16

func newArena(queueByteLimit int) *arena {
	a := &arena{size: min(maxChunkSize, max(minChunkSize, queueByteLimit/16)), free: make(chan *chunk, arenaFreeChunks)}
	a.pool.New = func() any { return &chunk{buf: make([]byte, 0, a.size), pool: a} }
	return a
}

// get returns a chunk with room for size bytes and one reference.
func (a *arena) get(size int) *chunk {
	var c *chunk
	if size <= a.size {
		select {
		case c = <-a.free:
		default:
			c = a.pool.Get().(*chunk)
		}
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
	if a := c.pool; a != nil {
		select {
		case a.free <- c:
		default:
			a.pool.Put(c)
		}
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
	ekey       []byte // Entry.Key, in chunk; nil if none
	ehdrs      []byte // Entry.Headers, encoded by appendHeaders, in chunk; nil if none

	// Set by the batcher.
	value   []byte // the record value: data, or the Formatter's output in ext
	key     []byte // nil for no key; in ext
	headers []Header
	ext     *chunk // memory of value and key when they are not data; nil if none
}

func (r *record) entry() Entry {
	return Entry{Time: r.entryTime(), Level: r.level, LoggerName: r.loggerName, Message: r.message, JSON: r.data,
		Key: r.ekey, Headers: decodeHeaders(r.ehdrs, nil)}
}

func (r *record) entryTime() time.Time {
	if r.time == 0 {
		return time.Time{}
	}
	return time.Unix(0, r.time)
}
