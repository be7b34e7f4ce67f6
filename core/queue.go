package core

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// queue is the sink's admission state: every entry Write accepted and
// nobody has finalized yet (delivered or dropped), the memory they pin,
// and the Flush calls and blocked Writes waiting on them. Write admits
// entries into it; the batcher takes them out, evicts and expires them,
// and finalizes them; both sides go through its methods.
//
// Its lock, mu, is the only lock on the log call's path. Nothing that
// runs under it calls user code or blocks: drops are counted and handed
// to the reporter, which calls the ErrorHandler and the Fallback later,
// on its own goroutine.
type queue struct {
	cfg   *resolved
	arena *arena
	c     *counters
	rep   *reporter

	mu        sync.Mutex
	pending   segQueue // accepted, not yet taken by the batcher
	chunk     *chunk   // the chunk Write copies into
	held      int      // entries accepted and not yet finalized
	heldBytes int      // bytes of the chunks they pin
	dataBytes int      // bytes of their JSON
	seq       uint64   // entries accepted so far; an entry's seq is its rank
	closed    bool
	eager     bool // the next entry is the first: send it at once
	evict     bool // DropOldest went over QueueLimit: the batcher must drop its oldest
	waiters   []*flushWaiter
	lost      int // accepted entries dropped so far, for Flush's count

	shedEntries, shedBytes int           // where load shedding starts
	nearEntries, nearBytes int           // where a partial batch goes out at once
	room                   chan struct{} // closed when space frees up (Block policy)
	blocked                int           // Writes waiting on room

	wake chan struct{} // to the batcher: entries are due
}

// flushWaiter is a Flush or Close call waiting for the entries accepted
// before it.
type flushWaiter struct {
	target    uint64 // entries accepted before the call: seq ≤ target
	remaining int    // of those, how many are still held
	dropped   int    // of those, how many were dropped, since New
	done      chan struct{}
}

func newQueue(cfg *resolved, c *counters, rep *reporter) *queue {
	q := &queue{
		cfg:   cfg,
		arena: newArena(cfg.QueueByteLimit),
		c:     c,
		rep:   rep,
		eager: !cfg.DelayFirstEntry,
		room:  make(chan struct{}),
		wake:  make(chan struct{}, 1),
	}
	q.shedEntries, q.shedBytes = math.MaxInt, math.MaxInt
	if cfg.ShedThreshold < 1 {
		q.shedEntries = shedPoint(cfg.QueueLimit, cfg.ShedThreshold)
		q.shedBytes = shedPoint(cfg.QueueByteLimit, cfg.ShedThreshold)
	}
	q.nearEntries = max(1, min(cfg.QueueLimit, q.shedEntries)/2)
	q.nearBytes = max(1, min(cfg.QueueByteLimit, q.shedBytes)/2)
	return q
}

// shedPoint is where shedding starts for a limit and a threshold below 1.
func shedPoint(limit int, threshold float64) int {
	return max(1, int(math.Ceil(float64(limit)*threshold)))
}

// admit takes e into the queue, copying what it keeps. n is the room it
// needs (its JSON, key and encoded headers); data is its JSON without the
// newline. It returns true if e was accepted; otherwise the reason it was
// refused, which the caller drops.
func (q *queue) admit(e *Entry, data []byte, n int) (DropReason, bool) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return ReasonClosed, false
	}
	if e.Level < q.cfg.ShedLevel && q.shedding() {
		q.mu.Unlock()
		return ReasonShed, false
	}
	if reason, ok := q.makeRoom(n); !ok {
		q.mu.Unlock()
		return reason, false
	}
	wasNear := q.near()
	q.push(e, data, n)
	signal := q.eager || q.pending.len() == q.cfg.BatchSizeLimit || !wasNear && q.near()
	q.mu.Unlock()
	if signal {
		q.signal()
	}
	return 0, true
}

// push copies e into the chunk being filled and queues its record. Called
// with q.mu held, once makeRoom made room.
func (q *queue) push(e *Entry, data []byte, n int) {
	c := q.chunk
	if c == nil || cap(c.buf)-len(c.buf) < n {
		c = q.newChunk(n)
	}
	off := len(c.buf)
	c.buf = append(c.buf, data...)
	r := record{
		data:       c.buf[off:len(c.buf):len(c.buf)],
		chunk:      c,
		time:       unixNano(e.Time),
		level:      e.Level,
		loggerName: e.LoggerName,
		message:    e.Message,
	}
	if e.Key != nil {
		off = len(c.buf)
		c.buf = append(c.buf, e.Key...)
		r.ekey = c.buf[off:len(c.buf):len(c.buf)]
	}
	if len(e.Headers) > 0 {
		off = len(c.buf)
		c.buf = appendHeaders(c.buf, e.Headers)
		r.ehdrs = c.buf[off:len(c.buf):len(c.buf)]
	}
	c.refs.Add(1)
	q.seq++
	q.held++
	q.dataBytes += len(data)
	r.seq = q.seq
	q.pending.push(r)
}

// signal wakes the batcher.
func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// fits reports whether an entry of n bytes fits in the limits. Called with
// q.mu held.
func (q *queue) fits(n int) bool {
	if q.held >= q.cfg.QueueLimit {
		return false
	}
	if q.chunk != nil && cap(q.chunk.buf)-len(q.chunk.buf) >= n {
		return true
	}
	return q.heldBytes+q.chunkBytes(n) <= q.cfg.QueueByteLimit
}

// makeRoom reports whether an entry of n bytes fits, applying the overflow
// policy, or why not. Called with q.mu held; Block releases it while it
// waits.
func (q *queue) makeRoom(n int) (DropReason, bool) {
	if q.fits(n) {
		return 0, true
	}
	switch q.cfg.OverflowPolicy {
	case DropOldest:
		return ReasonQueueFull, q.dropOldestFor(n)
	case Block:
		return q.blockFor(n)
	}
	return ReasonQueueFull, false
}

// dropOldestFor makes room for an entry of n bytes under DropOldest.
func (q *queue) dropOldestFor(n int) bool {
	// The oldest entries are usually the batcher's (it takes from the
	// queue in order): take the new entry a little over QueueLimit and
	// have the batcher drop the oldest of all.
	if q.held < q.cfg.QueueLimit+evictSlack && q.heldBytes+q.chunkBytes(n) <= q.cfg.QueueByteLimit {
		q.evict = true
		q.signal()
		return true
	}
	// The batcher lags behind, or memory is short (which dropping the
	// batcher's entries would not cure at once: memory frees up by whole
	// chunks, and requests in flight pin theirs): drop the oldest queued
	// entries here. drop never calls user code, so it may run under q.mu.
	var one [1]record
	for !q.fits(n) && q.pending.len() > 0 {
		q.pending.take(one[:0], 1)
		q.drop(ReasonQueueFull, nil, one[:], true)
	}
	return q.fits(n)
}

// blockFor waits up to BlockTimeout for room for an entry of n bytes.
func (q *queue) blockFor(n int) (DropReason, bool) {
	deadline := time.NewTimer(q.cfg.BlockTimeout)
	defer deadline.Stop()
	for !q.fits(n) {
		if q.closed {
			return ReasonClosed, false
		}
		room := q.room
		q.blocked++
		q.mu.Unlock()
		select {
		case <-room:
			q.mu.Lock()
			q.blocked--
		case <-deadline.C:
			q.mu.Lock()
			q.blocked--
			if q.closed {
				return ReasonClosed, false
			}
			return ReasonQueueFull, q.fits(n)
		}
	}
	if q.closed {
		return ReasonClosed, false
	}
	return 0, true
}

// evictSlack is how far DropOldest may go over QueueLimit before the
// batcher has dropped its oldest entries to make room. QueueByteLimit,
// the memory bound, is never exceeded.
const evictSlack = 1000

// shedding reports whether the queue is over ShedThreshold. Called with
// q.mu held.
func (q *queue) shedding() bool {
	return q.held >= q.shedEntries || q.dataBytes >= q.shedBytes
}

// near reports whether the queue is halfway to its first limit (the
// shedding point, or QueueLimit or QueueByteLimit): then a partial batch
// goes out at once rather than waiting to fill up or for Period. Called
// with q.mu held.
func (q *queue) near() bool {
	return q.held >= q.nearEntries || q.heldBytes >= q.nearBytes
}

// chunkBytes is the memory an entry of n bytes may need: a new chunk.
func (q *queue) chunkBytes(n int) int {
	if n > q.arena.size/4 {
		return n
	}
	return q.arena.size
}

// newChunk replaces the chunk being filled. Called with q.mu held.
func (q *queue) newChunk(n int) *chunk {
	if n > q.arena.size/4 {
		// A large entry gets a chunk of its own; the current one stays.
		c := q.arena.get(n)
		q.heldBytes += cap(c.buf)
		c.refs.Add(-1) // no filling reference: its one record holds it
		return c
	}
	if old := q.chunk; old != nil && old.release() {
		q.heldBytes -= cap(old.buf)
	}
	q.chunk = q.arena.get(n)
	q.heldBytes += cap(q.chunk.buf)
	return q.chunk
}

// batchDue describes what the batcher may take: everything queued, or
// only whole batches.
type batchDue struct {
	periodDue bool // Period has passed since the last pull
	limit     int  // the most entries to take
}

// take moves the entries that are due out of the queue: whole batches at
// any time; everything when the period has passed, on the first entry,
// when a Flush or Close waits, or when the queue is near a limit. It
// appends the segments it took whole to segs and copies of the other
// records to dst, and returns them with the number of entries accepted so
// far and whether the queue is empty afterwards.
func (q *queue) take(due batchDue, segs []*segment, dst []record) (_ []*segment, _ []record, seq uint64, empty bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := q.pending.len()
	all := due.periodDue || q.eager || len(q.waiters) > 0 || q.closed || q.near()
	if !all {
		n -= n % q.cfg.BatchSizeLimit
	}
	n = min(n, due.limit)
	if n > 0 {
		q.eager = false
		segs, dst = q.pending.detach(dst, n, segs)
	}
	return segs, dst, q.seq, q.pending.len() == 0
}

// takeExpired moves the queued entries with seq ≤ limit (accepted more
// than RetryTimeLimit ago) to dst.
func (q *queue) takeExpired(limit uint64, dst []record) []record {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.pending.len() > 0 && q.pending.front().seq <= limit {
		dst = q.pending.take(dst, 1)
	}
	return dst
}

// takeAll moves every queued entry to dst, for Close's abort.
func (q *queue) takeAll(dst []record) []record {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pending.take(dst, q.pending.len())
}

// excess reports, once, how many entries DropOldest took over QueueLimit
// (0 if none), and how many of them are still queued rather than the
// batcher's.
func (q *queue) excess() (over, queued int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.evict {
		return 0, 0
	}
	if q.held <= q.cfg.QueueLimit {
		q.evict = false
		return 0, 0
	}
	return q.held - q.cfg.QueueLimit, q.pending.len()
}

// evicted clears the eviction request once the batcher has done what it
// could.
func (q *queue) evicted() {
	q.mu.Lock()
	q.evict = false
	q.mu.Unlock()
}

// takeOldest moves up to n of the oldest queued entries to dst.
func (q *queue) takeOldest(n int, dst []record) []record {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.pending.take(dst, min(n, q.pending.len()))
}

// finalize releases records that are delivered or dropped: counts them out
// of the queue, releases each chunk once for its run of records, and wakes
// the Flush calls and blocked Writes waiting for them.
func (q *queue) finalize(recs []record, delivered bool) {
	if len(recs) == 0 {
		return
	}
	q.mu.Lock()
	q.finalizeLocked(recs, delivered)
	q.mu.Unlock()
}

func (q *queue) finalizeLocked(recs []record, delivered bool) {
	for i := 0; i < len(recs); {
		c := recs[i].chunk
		j := i
		for ; j < len(recs) && recs[j].chunk == c; j++ {
			q.account(&recs[j], delivered)
			if recs[j].ext != nil {
				recs[j].ext.releaseN(1)
			}
		}
		if c != nil && c.releaseN(int32(j-i)) {
			q.heldBytes -= cap(c.buf)
		}
		i = j
	}
	if q.blocked > 0 {
		close(q.room)
		q.room = make(chan struct{})
	}
}

// account counts a finalized record out of the queue and out of the waits
// for it. Called with q.mu held.
func (q *queue) account(r *record, delivered bool) {
	q.held--
	q.dataBytes -= len(r.data)
	if !delivered {
		q.lost++
	}
	for i := 0; i < len(q.waiters); i++ {
		w := q.waiters[i]
		if r.seq <= w.target {
			if !delivered {
				w.dropped++
			}
			if w.remaining--; w.remaining == 0 {
				close(w.done)
				q.waiters = slices.Delete(q.waiters, i, i+1)
				i--
			}
		}
	}
}

// disown keeps the memory of recs out of the pools once it is released,
// for records a request still in flight may read: their chunks are left to
// the garbage collector.
func (q *queue) disown(recs []record) {
	if len(recs) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for i := range recs {
		recs[i].chunk.pool = nil
		if recs[i].ext != nil {
			recs[i].ext.pool = nil
		}
	}
}

// addWaiter registers a wait for every entry accepted so far and wakes the
// batcher to send them now. It returns nil after Close, unless closing.
func (q *queue) addWaiter(closing bool) *flushWaiter {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed && !closing {
		return nil
	}
	if closing {
		q.closed = true
		close(q.room) // blocked Writes see closed
		q.room = make(chan struct{})
	}
	w := &flushWaiter{target: q.seq, remaining: q.held, dropped: q.lost, done: make(chan struct{})}
	if w.remaining == 0 {
		close(w.done)
		return w
	}
	q.waiters = append(q.waiters, w)
	q.signal()
	return w
}

// wait waits for w, or for ctx to end. It returns how many of w's entries
// are still pending (non-zero only if ctx ended) and how many were dropped.
func (q *queue) wait(ctx context.Context, w *flushWaiter) (pending, dropped int) {
	select {
	case <-w.done:
	case <-ctx.Done():
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if i := slices.Index(q.waiters, w); i >= 0 {
		q.waiters = slices.Delete(q.waiters, i, i+1)
		return w.remaining, w.dropped
	}
	return 0, w.dropped
}

// isClosed reports whether Close has started.
func (q *queue) isClosed() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.closed
}

// releaseChunk gives back the chunk Write was filling, once closed.
func (q *queue) releaseChunk() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.chunk != nil && q.chunk.release() {
		q.heldBytes -= cap(q.chunk.buf)
	}
	q.chunk = nil
}

// stats returns the counters and the queue's numbers, read under q.mu so
// that they agree with each other as far as finalized records go.
func (q *queue) stats() Stats {
	q.mu.Lock()
	st := q.c.snapshot()
	st.Accepted = q.seq
	st.QueueDepth, st.QueueBytes = q.held, int64(q.heldBytes)
	q.mu.Unlock()
	st.Received = st.Accepted + q.c.rejected.Load()
	return st
}
