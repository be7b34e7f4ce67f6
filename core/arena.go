package core

import (
	"sync"
	"sync/atomic"
)

// maxChunkSize is the size of the arena chunks that entries are copied
// into, unless QueueByteLimit is small: a sink's chunks are at most a
// sixteenth of it (and at least minChunkSize), so that the limit holds many
// chunks. Entries larger than a quarter of a chunk get a chunk of their own.
const (
	maxChunkSize = 128 << 10
	minChunkSize = 4 << 10
)

// chunk is a piece of sink-owned memory holding the bytes of many entries
// back to back. It is reference-counted: one reference per live record
// whose bytes it holds, plus one while a shard fills it; at zero it is free.
//
// Records name their chunk by id, an index in the arena's table, so that
// they hold no pointers: the queue's segments are memory the garbage
// collector neither scans nor guards with write barriers.
type chunk struct {
	mem     []byte // fixed while the chunk is in use: readers index it without a lock
	used    int    // bytes filled; changed only by its filler, under the shard's lock
	refs    atomic.Int32
	pending int32 // references of records not yet in refs; under the filling shard's lock
	id      uint32
	counted bool // its memory counts in the queue's bytes (QueueByteLimit)
	format  bool // it holds the batcher's formatted values (counted too)
}

// pendingRefs returns the references of the records written into c since
// they were last added to refs, and forgets them. Called with the filling
// shard's lock held.
func (c *chunk) pendingRefs() int32 {
	p := c.pending
	c.pending = 0
	return p
}

// room returns how many more bytes the chunk can take.
func (c *chunk) room() int { return len(c.mem) - c.used }

// add appends p to the chunk and returns its offset.
func (c *chunk) add(p []byte) uint32 {
	off := c.used
	c.used += copy(c.mem[off:], p)
	return uint32(off)
}

// noChunk is the id of no chunk.
const noChunk = ^uint32(0)

// arena hands out chunks of one size, reusing those given back. It keeps
// the memory of a few free chunks (a steady stream cycles through a
// handful, and a new one costs a 128 KiB clear) and lets the rest go to the
// garbage collector, so a burst's memory does not stay.
//
// Its table of chunks grows by pages that never move, so a reader holding
// a record can find its chunk without a lock: the record's publication
// (through the queue's locks or a channel) orders the table write before.
type arena struct {
	size     int
	released func(c *chunk) // called when a counted chunk is free (the queue gives its bytes back)

	mu    sync.Mutex
	pages [tablePages]*[pageChunks]*chunk
	n     uint32   // chunks in the table
	free  []uint32 // free chunks, those keeping their memory at the end
	kept  int      // free chunks that keep their memory
}

const (
	pageChunks = 256
	tablePages = 4096 // a million chunks: far more than any limit allows
	keepFree   = 16   // free chunks that keep their memory
)

func newArena(queueByteLimit int) *arena {
	return &arena{size: min(maxChunkSize, max(minChunkSize, queueByteLimit/16))}
}

// chunk returns the chunk with id.
func (a *arena) chunk(id uint32) *chunk {
	return a.pages[id/pageChunks][id%pageChunks]
}

// get returns a free chunk with room for n bytes (a regular one unless n is
// large) and one reference. counted says whether its memory counts in the
// queue's bytes.
func (a *arena) get(n int, counted bool) *chunk {
	a.mu.Lock()
	defer a.mu.Unlock()
	var c *chunk
	if k := len(a.free); k > 0 {
		c = a.chunk(a.free[k-1])
		a.free = a.free[:k-1]
		if c.mem != nil {
			a.kept--
		}
	} else {
		c = &chunk{id: a.n}
		p := a.pages[a.n/pageChunks]
		if p == nil {
			p = new([pageChunks]*chunk)
			a.pages[a.n/pageChunks] = p
		}
		p[a.n%pageChunks] = c
		a.n++
	}
	size := a.size
	if n > a.size/4 {
		size = n // a large entry gets a chunk of its own
	}
	if len(c.mem) != size {
		c.mem = make([]byte, size)
	}
	c.used = 0
	c.pending = 0
	c.counted = counted
	c.format = false
	c.refs.Store(1)
	return c
}

// chunkBytes is the memory an entry of n bytes takes if it needs a new
// chunk.
func (a *arena) chunkBytes(n int) int {
	if n > a.size/4 {
		return n
	}
	return a.size
}

// release drops n references of chunk id; at zero the chunk is free.
func (a *arena) release(id uint32, n int32) {
	c := a.chunk(id)
	if c.refs.Add(-n) != 0 {
		return
	}
	if c.counted && a.released != nil {
		a.released(c)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(c.mem) == a.size && a.kept < keepFree {
		a.free = append(a.free, c.id) // at the end: reused first
		a.kept++
		return
	}
	c.mem = nil
	a.free = append(a.free, 0)
	copy(a.free[1:], a.free)
	a.free[0] = c.id
}

// bytes returns the bytes of s, nil for a null span.
func (a *arena) bytes(s span) []byte {
	switch {
	case s.n < 0:
		return nil
	case s.n == 0:
		return []byte{}
	}
	c := a.chunk(s.chunk)
	end := s.off + uint32(s.n)
	return c.mem[s.off:end:end]
}

// span is a piece of a chunk: a record's value, key or headers.
type span struct {
	chunk uint32
	off   uint32
	n     int32 // -1: null
}

var nullSpan = span{chunk: noChunk, n: -1}

// emptySpan is a span of no bytes.
var emptySpan = span{chunk: noChunk}
