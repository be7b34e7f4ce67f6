package core

// The values the callbacks make for an entry (the Formatter's value, a
// decided key, the HeaderDecider's headers) are held as long as the entry:
// during an outage, for every entry the batcher holds. They count in
// QueueByteLimit with the entries' copies, so that the limit bounds the
// memory of what the sink holds whatever the Formatter makes:
//
//   - the batcher copies them into chunks of its own (ext) whose bytes
//     count in the queue's held bytes (Stats.QueueBytes) like the chunks
//     Write copies entries into;
//   - it formats an entry only when there is room (formatRoom): its chunk
//     has room for any value a shared chunk takes, or a new chunk fits in
//     QueueByteLimit; else it leaves the entry in the queue, unformatted,
//     until deliveries or drops free memory;
//   - Writes leave a chunk's room (formatReserve) to the batcher, so that
//     it can always format the next entry when it holds no formatted value:
//     a queue full of copies never stalls delivery.
//
// Two things can go past the limit, each documented on Config.QueueByteLimit:
// a value larger than a quarter of a chunk, which gets a chunk of its own
// once formatted (one at a time: nothing more is formatted until memory
// is back under the limit); and, in durable mode, the values of the batch
// being routed, which the batcher formats a batch at a time.

// formats reports whether the callbacks make values the batcher keeps:
// a Formatter, a KeyDecider or a HeaderDecider is set.
func (c *resolved) formats() bool {
	return c.Formatter != nil || c.KeyDecider != nil || c.HeaderDecider != nil
}

// formatReserve is the room Writes leave to the batcher's formatted values:
// a chunk, or what MaxEntryBytes leaves of QueueByteLimit if that is less
// (an entry of MaxEntryBytes must still fit). None without callbacks that
// make values.
func formatReserve(cfg *resolved, a *arena) int {
	if !cfg.formats() {
		return 0
	}
	return max(0, min(a.size, cfg.QueueByteLimit-a.chunkBytes(cfg.MaxEntryBytes)))
}

// formatRoom reports whether the batcher may format one more entry now,
// making sure, if so, that its chunk (ext) has room for any value a shared
// chunk takes.
func (b *batcher) formatRoom() bool {
	q, a := b.q, b.q.arena
	own := 0 // the bytes of its shared chunk
	if b.ext != nil {
		own = len(b.ext.mem)
	}
	if int(q.heldBytes.Load()) > q.cfg.QueueByteLimit && int(q.fmtBytes.Load()) > own {
		return false // a large value went over: wait until it is gone
	}
	if b.ext != nil && b.ext.room() >= a.size/4 {
		return true
	}
	if b.ext != nil && b.ext.refs.Load() == 1 {
		// No record's value is in it any more (the batcher alone changes
		// the references of its chunks): give it back first.
		a.release(b.ext.id, 1)
		b.ext = nil
		q.roomFreed()
	}
	if !q.reserveOK(a.size, q.cfg.QueueByteLimit) {
		if q.fmtBytes.Load() > 0 {
			return false // formatted values are held: they free memory as they go
		}
		q.heldBytes.Add(int64(a.size)) // progress: Writes may have left less than a chunk
	}
	if b.ext != nil {
		a.release(b.ext.id, 1)
	}
	b.ext = b.q.formatChunk(a.size)
	return true
}

// extChunk returns a chunk with room for n bytes of formatted values, its
// bytes counted in the queue's (reserved if they fit, counted over the
// limit if not: the values are made). It has one reference, the caller's.
func (b *batcher) extChunk(n int) *chunk {
	q := b.q
	if size := q.arena.chunkBytes(n); !q.reserveOK(size, q.cfg.QueueByteLimit) {
		q.heldBytes.Add(int64(size))
	}
	return q.formatChunk(n)
}

// formatChunk gets a counted chunk for formatted values, whose bytes the
// caller has added to heldBytes.
func (q *queue) formatChunk(n int) *chunk {
	c := q.arena.get(n, true)
	c.format = true
	q.fmtBytes.Add(int64(len(c.mem)))
	return c
}
