package core

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// queue is the sink's admission state: every entry Write accepted and the
// batcher has not taken yet, the memory entries pin until they are
// finalized (delivered or dropped), and the counts the limits are decided
// on. Write admits entries into it; the batcher takes them out (take,
// takeExpired, takeOldest, takeAll, takeQueued) and finalizes them; both
// sides go through its methods.
//
// Two counts follow an entry out: released when its memory is given back,
// finalized when it is delivered or dropped. Without a spool they move
// together. In durable mode an entry's memory can go first: the batcher
// spills spooled entries out of memory (release) and reads them back from
// disk later, and Close leaves spooled entries on disk; admission decides
// on the memory held (seq - released), Flush and Stats on what is
// undelivered (seq - finalized).
//
// Admission does not serialise the logging goroutines: each Write locks
// one of several shards (whichever is free) to copy its entry into the
// shard's chunk and append its record, and decides the limits with atomic
// counters. An entry's seq, taken from one counter, is its rank in a global
// acceptance order; the batcher merges the shards by seq (gather), so
// entries leave the queue in the order they were accepted, and a
// goroutine's entries keep their order whichever shards they went to.
//
// Nothing that runs under the queue's locks calls user code or blocks:
// drops are counted and handed to the reporter, which calls the
// ErrorHandler and the Fallback later, on its own goroutine.
type queue struct {
	cfg   *resolved
	arena *arena
	c     *counters
	rep   *reporter

	// The counts admission decides on, each on a cache line of its own:
	// every Write changes seq, the others change once a batch or a chunk,
	// so Writes read them from their own caches. held = seq - released.
	seq       atomic.Uint64 // entries accepted so far (replayed ones first); an entry's seq is its rank
	_         [56]byte
	released  atomic.Uint64 // accepted entries whose memory is given back: finalized, spilled or left on disk
	_         [56]byte
	finalized atomic.Uint64 // accepted entries delivered or dropped so far
	_         [56]byte
	heldBytes atomic.Int64 // bytes of the counted chunks that held entries pin
	_         [56]byte
	fmtBytes  atomic.Int64 // of heldBytes, the batcher's chunks of formatted values
	_         [56]byte
	taken     atomic.Uint64 // entries the queue has given up so far: to the batcher, or dropped
	_         [56]byte
	lost      uint64 // accepted entries dropped so far, for Flush's count; under wmu

	closed   atomic.Bool
	eager    atomic.Bool // the next entry is the first: send it at once
	dirty    atomic.Bool // durable: entries came in since the batcher last took them all
	evict    atomic.Bool // DropOldest is over QueueLimit or evictHigh: the batcher must drop its oldest
	nearSent atomic.Bool // the batcher was told the queue is near a limit

	shards []shard

	// gmu guards staged. Gathering takes it, then every shard's lock by
	// index: that is the lock order.
	gmu      sync.Mutex
	staged   segQueue         // gathered from the shards, in seq order, not yet taken
	gathered uint64           // the last seq gathered
	cands    []evictCand      // DropOldest's scratch (evictOnce); under gmu
	dropRefs map[uint32]int32 // DropOldest's scratch (freeingPrefix); under gmu

	// wmu guards the counts of finalized entries and the Flush and Close
	// calls waiting for them: finalize takes it once per batch.
	wmu      sync.Mutex
	waiters  []*flushWaiter
	nwaiters atomic.Int32
	acks     []uint64 // durable: spool ids of finalized records, to acknowledge in the spool; under wmu
	hasAcks  atomic.Bool

	durable  bool   // SpoolDir is set
	replayed uint64 // seqs 1…replayed are the entries an earlier process left in the spool

	roomMu  sync.Mutex    // guards room
	room    chan struct{} // closed when space frees up (Block policy)
	blocked atomic.Int32  // Writes waiting on room

	limit                  int  // QueueLimit
	admitBytes             int  // what Writes may fill of QueueByteLimit: all of it but formatReserve
	dropOldest             bool // OverflowPolicy is DropOldest
	evictHigh, evictLow    int  // DropOldest: where the batcher starts dropping for memory, and down to where
	shedEntries, shedBytes int  // where load shedding starts
	nearEntries, nearBytes int  // where a partial batch goes out at once

	wake chan struct{} // to the batcher: entries are due
}

// shard is one of the queue's admission lanes: a chunk being filled and the
// records of the entries in it, in seq order.
type shard struct {
	mu   sync.Mutex
	fill *chunk // the chunk Writes copy into; nil if none
	recs segQueue
	_    [64]byte // each shard on cache lines of its own
}

// maxShards bounds the shards; the queue has about two per P.
const maxShards = 64

func newQueue(cfg *resolved, c *counters, rep *reporter) *queue {
	q := &queue{
		cfg:   cfg,
		arena: newArena(cfg.QueueByteLimit),
		c:     c,
		rep:   rep,
		limit: cfg.QueueLimit,
		room:  make(chan struct{}),
		wake:  make(chan struct{}, 1),
	}
	q.arena.released = func(ch *chunk) {
		if ch.format {
			q.fmtBytes.Add(-int64(len(ch.mem)))
		}
		q.heldBytes.Add(-int64(len(ch.mem)))
	}
	q.admitBytes = cfg.QueueByteLimit - formatReserve(cfg, q.arena)
	q.eager.Store(!cfg.DelayFirstEntry)
	q.shedEntries, q.shedBytes = math.MaxInt, math.MaxInt
	if cfg.ShedThreshold < 1 {
		q.shedEntries = shedPoint(cfg.QueueLimit, cfg.ShedThreshold)
		q.shedBytes = shedPoint(cfg.QueueByteLimit, cfg.ShedThreshold)
	}
	q.nearEntries = max(1, min(cfg.QueueLimit, q.shedEntries)/2)
	q.dropOldest = cfg.OverflowPolicy == DropOldest
	q.evictHigh = cfg.QueueByteLimit / 8 * evictHighEighths
	q.evictLow = cfg.QueueByteLimit / 8 * evictLowEighths
	q.nearBytes = max(1, min(cfg.QueueByteLimit, q.shedBytes)/2)
	// Each shard pins about two chunks more than its entries need (one
	// being filled, one being drained): keep that within an eighth of the
	// memory, so a small QueueByteLimit gets one shard.
	n := 1
	for n < 2*runtime.GOMAXPROCS(0) && n < maxShards && 2*(2*n)*q.arena.size <= cfg.QueueByteLimit/8 {
		n *= 2
	}
	q.shards = make([]shard, n)
	return q
}

// shedPoint is where shedding starts for a limit and a threshold below 1.
func shedPoint(limit int, threshold float64) int {
	return max(1, int(math.Ceil(float64(limit)*threshold)))
}

// held is the number of entries accepted whose memory is still held.
func (q *queue) held() int { return int(q.seq.Load() - q.released.Load()) }

// replay makes the queue start after n entries an earlier process left in
// the spool: they take seqs 1…n, and hold no memory. Called before the
// batcher starts.
func (q *queue) replay(n uint64) {
	q.replayed = n
	q.c.spoolThrough.Store(n) // on disk already
	q.seq.Store(n)
	q.released.Store(n)
	q.gathered = n
	q.taken.Store(n)
}

// admit takes e into the queue, copying what it keeps. data is its JSON
// without the newline; n is the room it needs (entrySize). It returns true
// if e was accepted; otherwise the reason it was refused, which the caller
// drops.
func (q *queue) admit(e *Entry, data []byte, n int) (DropReason, bool) {
	shed := e.Level < q.cfg.ShedLevel
	if shed && q.shedding() { // without the shard lock; tryAdmit decides exactly
		return ReasonShed, false
	}
	var deadline *time.Timer // Block: when to give up
	var room <-chan struct{} // Block: closed when room frees up after the last try
	defer func() {
		if deadline != nil {
			deadline.Stop()
		}
		if room != nil {
			q.blocked.Add(-1)
		}
	}()
	for evictions := 0; ; {
		seq, reason := q.tryAdmit(e, data, n, shed)
		switch reason {
		case admittedOK:
			q.admitted(seq)
			return 0, true
		case ReasonClosed, ReasonShed:
			return reason, false
		}
		switch q.cfg.OverflowPolicy {
		case DropOldest:
			// Other Writes may take the room it made before it tries again:
			// a few rounds, then it gives up.
			if evictions == maxEvictions || !q.evictFor(n) {
				return ReasonQueueFull, false
			}
			evictions++
		case Block:
			if room == nil {
				// Wait for room freed after this point, then try again
				// before waiting: what freed since the failed try is not
				// missed.
				room = q.awaitRoom()
				continue
			}
			if deadline == nil {
				deadline = time.NewTimer(q.cfg.BlockTimeout)
			}
			select {
			case <-room:
			case <-deadline.C:
				if q.closed.Load() {
					return ReasonClosed, false
				}
				return ReasonQueueFull, false
			}
			// Something freed (or the sink closed: tryAdmit says so).
			// Whether the entry fits now is tryAdmit's to decide: it may
			// fit in a chunk being filled although no whole chunk is free.
			q.blocked.Add(-1)
			room = q.awaitRoom()
		default:
			return ReasonQueueFull, false
		}
	}
}

// admittedOK is what tryAdmit returns for an entry it took.
const admittedOK DropReason = -1

// tryAdmit copies e into a shard if the queue is open and the limits allow,
// and returns its seq and admittedOK; else ReasonClosed, ReasonShed or
// ReasonQueueFull. An entry that may be shed (below ShedLevel) is refused
// once the queue holds as many entries as the shedding point, or chunks of
// as many bytes: the same compare-and-swap that counts it decides, so
// Writes racing each other cannot take one entry more than the point.
func (q *queue) tryAdmit(e *Entry, data []byte, n int, shed bool) (seq uint64, _ DropReason) {
	sh := q.lockShard()
	defer sh.mu.Unlock()
	// Under the shard's lock: close waits for this Write (see close).
	if q.closed.Load() {
		return 0, ReasonClosed
	}
	c := sh.fill
	big := n > q.arena.size/4
	need := 0
	shedBytes, shedEntries := math.MaxInt, math.MaxInt
	if shed {
		shedBytes, shedEntries = q.shedBytes, q.shedEntries
	}
	switch {
	case big || c == nil || c.room() < n:
		need = q.arena.chunkBytes(n)
		if ok, over := q.reserveBytes(need, q.admitBytes, shedBytes); !ok {
			if over {
				return 0, ReasonShed
			}
			return 0, ReasonQueueFull
		}
		if q.dropOldest && int(q.heldBytes.Load()) > q.evictHigh {
			q.askEvict() // once a chunk, not once a Write
		}
	case q.heldBytes.Load() >= int64(shedBytes):
		return 0, ReasonShed
	}
	limit := q.limit
	if q.dropOldest {
		limit += evictSlack
	}
	seq, ok := q.reserveSeq(min(limit, shedEntries))
	if !ok {
		q.heldBytes.Add(-int64(need))
		if limit > shedEntries {
			return 0, ReasonShed
		}
		return 0, ReasonQueueFull
	}
	switch {
	case big:
		c = q.arena.get(n, true) // its one reference is the record's
	case need > 0:
		if old := sh.fill; old != nil {
			q.arena.release(old.id, 1-old.pendingRefs())
		}
		c = q.arena.get(n, true) // the filling reference
		sh.fill = c
		c.pending = 1
	default:
		c.pending++
	}
	sh.recs.next().fill(seq, c, e, data)
	return seq, admittedOK
}

// admitted wakes the batcher if the new entry makes something due: the
// first entry, a full batch, or a queue near its limits; in durable mode,
// the first entry since the batcher last took them all (it writes them to
// the spool within SpoolInterval); and under DropOldest asks it to evict if
// the entry went over QueueLimit (tryAdmit asks for memory over evictHigh).
func (q *queue) admitted(seq uint64) {
	held := int(seq - q.released.Load())
	if q.durable && !q.dirty.Load() && q.dirty.CompareAndSwap(false, true) {
		q.signal()
	}
	switch {
	case q.eager.Load(),
		(seq-q.taken.Load())%uint64(q.cfg.BatchSizeLimit) == 0:
		q.signal()
	}
	if held > q.limit {
		q.evict.Store(true)
		q.signal()
	}
	if (held >= q.nearEntries || int(q.heldBytes.Load()) >= q.nearBytes) && !q.nearSent.Load() && q.nearSent.CompareAndSwap(false, true) {
		q.signal()
	}
}

// lockShard locks a shard that no other Write holds, if there is one, and
// returns it.
func (q *queue) lockShard() *shard {
	n := len(q.shards)
	i := int(rand.Uint32()) & (n - 1)
	for k := 0; k < n; k++ {
		sh := &q.shards[(i+k)&(n-1)]
		if sh.mu.TryLock() {
			return sh
		}
	}
	sh := &q.shards[i]
	sh.mu.Lock()
	return sh
}

// reserveBytes counts n more bytes of chunks if that makes no more than
// limit (admitBytes for Writes, QueueByteLimit for the batcher) and fewer
// than shedAt were held before (math.MaxInt: no shedding). over reports a
// refusal for shedAt.
func (q *queue) reserveBytes(n, limit, shedAt int) (ok, over bool) {
	for {
		cur := q.heldBytes.Load()
		if cur >= int64(shedAt) {
			return false, true
		}
		if cur+int64(n) > int64(limit) {
			return false, false
		}
		if q.heldBytes.CompareAndSwap(cur, cur+int64(n)) {
			return true, false
		}
	}
}

// reserveOK is reserveBytes without shedding.
func (q *queue) reserveOK(n, limit int) bool {
	ok, _ := q.reserveBytes(n, limit, math.MaxInt)
	return ok
}

// reserveSeq takes the next seq if fewer than limit entries are held.
func (q *queue) reserveSeq(limit int) (uint64, bool) {
	for {
		s := q.seq.Load()
		if s-q.released.Load() >= uint64(limit) {
			return 0, false
		}
		if q.seq.CompareAndSwap(s, s+1) {
			return s + 1, true
		}
	}
}

// signal wakes the batcher.
func (q *queue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// evictSlack is how far DropOldest may go over QueueLimit before the
// batcher has dropped its oldest entries to make room. QueueByteLimit,
// the memory bound, is never exceeded.
const evictSlack = 1000

// maxEvictions bounds the rounds of eviction one Write may make under
// DropOldest before it drops its own entry.
const maxEvictions = 4

// shedding reports whether the queue is over ShedThreshold.
func (q *queue) shedding() bool {
	return q.held() >= q.shedEntries || int(q.heldBytes.Load()) >= q.shedBytes
}

// near reports whether the queue is halfway to its first limit (the
// shedding point, or QueueLimit or QueueByteLimit): then a partial batch
// goes out at once rather than waiting to fill up or for Period.
func (q *queue) near() bool {
	return q.held() >= q.nearEntries || int(q.heldBytes.Load()) >= q.nearBytes
}

// fits reports whether an entry of n bytes would fit now.
func (q *queue) fits(n int) bool {
	return q.held() < q.limit && int(q.heldBytes.Load())+q.arena.chunkBytes(n) <= q.admitBytes
}

// evictFor serves DropOldest when the queue is full beyond its slack, or
// memory is short: it asks the batcher to drop its oldest entries (for the
// next Writes: memory frees by whole chunks, and the oldest chunks are the
// batcher's), and drops the oldest entries still queued if that makes room
// for an entry of n bytes now: over QueueLimit, as many as needed; short
// of memory, only as many as free a chunk, none if dropping them would free
// nothing (their chunks shared with the batcher's entries, or being
// filled). It reports whether it is worth trying again: it dropped
// something, or there is room.
func (q *queue) evictFor(n int) bool {
	q.askEvict()
	q.gmu.Lock()
	defer q.gmu.Unlock()
	q.gather()
	queued := q.staged.len()
	k := min(max(0, q.held()-q.limit+1), queued)
	if need := int(q.heldBytes.Load()) + q.arena.chunkBytes(n) - q.admitBytes; need > 0 {
		kb := q.freeingPrefix(queued, func(i int) evictCand { return candOf(q.staged.at(i)) }, need)
		if kb == 0 {
			// Dropping queued entries would free no memory: this entry
			// goes, and the batcher makes room for the next ones.
			return q.fits(n)
		}
		k = max(k, kb)
	}
	if k > 0 {
		q.drop(ReasonQueueFull, nil, q.stagedTake(nil, k))
	}
	// Another Write may have made the room while this one waited for gmu.
	return k > 0 || q.fits(n)
}

// awaitRoom registers a Write that waits for room under Block and returns
// the channel that closes when room frees up (or the sink closes) from now
// on. The caller tries to admit its entry once more before it waits, and
// undoes the registration (blocked) once it stops waiting. An entry's room
// can free in two ways, a released entry (QueueLimit) or a freed chunk
// (QueueByteLimit); finalize and release signal both, after the counts
// change: a Write that registered before reads the new counts in its next
// try, or is woken.
func (q *queue) awaitRoom() <-chan struct{} {
	q.roomMu.Lock()
	room := q.room
	q.blocked.Add(1)
	q.roomMu.Unlock()
	return room
}

// roomFreed wakes the Writes blocked for room.
func (q *queue) roomFreed() {
	if q.blocked.Load() == 0 {
		return
	}
	q.roomMu.Lock()
	close(q.room)
	q.room = make(chan struct{})
	q.roomMu.Unlock()
}

// gather moves every record out of the shards into staged, in seq order.
// It holds every shard's lock while it does, so that every seq taken so
// far has its record in a shard: the seqs it finds are exactly those after
// the last it gathered, and each record goes straight to its place. Called
// with gmu held.
func (q *queue) gather() {
	for i := range q.shards {
		q.shards[i].mu.Lock()
	}
	n := 0
	for i := range q.shards {
		sh := &q.shards[i]
		if c := sh.fill; c != nil && c.pending > 0 {
			c.refs.Add(c.pending)
			c.pending = 0
		}
		n += sh.recs.len()
	}
	if n > 0 {
		base := q.staged.len()
		q.staged.grow(n)
		first := q.gathered + 1
		for i := range q.shards {
			recs := &q.shards[i].recs
			for recs.len() > 0 {
				for _, r := range recs.frontRun() {
					*q.staged.at(base + int(r.seq-first)) = r
				}
				recs.dropFrontRun()
			}
		}
		q.gathered += uint64(n)
	}
	for i := len(q.shards) - 1; i >= 0; i-- {
		q.shards[i].mu.Unlock()
	}
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
// records to dst, and returns them with whether the queue is empty
// afterwards.
func (q *queue) take(due batchDue, segs []*segment, dst []record) (_ []*segment, _ []record, empty bool) {
	q.gmu.Lock()
	defer q.gmu.Unlock()
	q.gather()
	n := q.staged.len()
	all := due.periodDue || q.nwaiters.Load() > 0 || q.eager.Load() || q.closed.Load() || q.near()
	if !all {
		n -= n % q.cfg.BatchSizeLimit
	}
	n = min(n, due.limit)
	if n > 0 {
		q.eager.Store(false)
		segs, dst = q.staged.detach(dst, n, segs)
		q.taken.Add(uint64(n))
	}
	q.nearSent.Store(false)
	return segs, dst, q.staged.len() == 0
}

// takeQueued moves every queued entry out of the queue, as take does when
// everything is due, for the batcher to write them to the spool (durable
// mode). It leaves eager alone: that is for routing, which the batcher
// decides on its backlog.
func (q *queue) takeQueued(segs []*segment, dst []record) ([]*segment, []record) {
	q.dirty.Store(false) // before gathering: a Write after it wakes the batcher again
	q.gmu.Lock()
	defer q.gmu.Unlock()
	q.gather()
	if n := q.staged.len(); n > 0 {
		segs, dst = q.staged.detach(dst, n, segs)
		q.taken.Add(uint64(n))
	}
	q.nearSent.Store(false)
	return segs, dst
}

// takeExpired moves the queued entries with seq ≤ limit (accepted more
// than RetryTimeLimit ago) to dst.
func (q *queue) takeExpired(limit uint64, dst []record) []record {
	q.gmu.Lock()
	defer q.gmu.Unlock()
	q.gather()
	for q.staged.len() > 0 && q.staged.front().seq <= limit {
		dst = q.stagedTake(dst, 1)
	}
	return dst
}

// takeAll moves every queued entry to dst, for Close's abort.
func (q *queue) takeAll(dst []record) []record {
	q.gmu.Lock()
	defer q.gmu.Unlock()
	q.gather()
	return q.stagedTake(dst, q.staged.len())
}

// oldestQueued returns the seq of the oldest entry still queued, if any:
// seqs are dense, so it is the one after the last taken.
func (q *queue) oldestQueued() (uint64, bool) {
	taken := q.taken.Load()
	if q.seq.Load() > taken {
		return taken + 1, true
	}
	return 0, false
}

// queued is how many entries are still in the queue, not the batcher's.
func (q *queue) queued() int { return int(q.seq.Load() - q.taken.Load()) }

// excess reports, for an eviction request (none ends it), how many entries
// DropOldest took over QueueLimit and how many bytes of chunks are held
// over evictLow.
func (q *queue) excess() (over, overBytes int) {
	if !q.evict.Load() {
		return 0, 0
	}
	if held := q.held(); held > q.limit {
		over = held - q.limit
	}
	if hb := int(q.heldBytes.Load()); q.dropOldest && hb > q.evictLow {
		overBytes = hb - q.evictLow
	}
	if over == 0 && overBytes == 0 {
		q.evict.Store(false)
	}
	return over, overBytes
}

// askEvict asks the batcher to evict (DropOldest), unless it was asked
// already.
func (q *queue) askEvict() {
	if !q.evict.Load() && q.evict.CompareAndSwap(false, true) {
		q.signal()
	}
}

// evicted ends an eviction request the batcher could not serve: all that
// is over the limit is in flight.
func (q *queue) evicted() { q.evict.Store(false) }

// takeOldestLocked moves up to n of the oldest queued entries to dst.
// Called with gmu held.
func (q *queue) takeOldestLocked(n int, dst []record) []record {
	q.gather()
	return q.stagedTake(dst, min(n, q.staged.len()))
}

// untake puts back recs, the oldest records the batcher took, in order,
// at the front of the queue: it had no room to format them (formatRoom).
func (q *queue) untake(recs []record) {
	if len(recs) == 0 {
		return
	}
	q.gmu.Lock()
	q.staged.pushFront(recs)
	q.taken.Add(^uint64(len(recs) - 1))
	q.gmu.Unlock()
}

// stagedTake takes the n oldest staged records. Called with gmu held.
func (q *queue) stagedTake(dst []record, n int) []record {
	q.taken.Add(uint64(n))
	return q.staged.take(dst, n)
}

// finalize releases records that are delivered or dropped: counts them
// out of the queue and of the Flush calls waiting for them, notes the
// spool ids of those on disk for the batcher to acknowledge, releases each
// chunk once for its run of records, and wakes the Writes blocked for
// room.
func (q *queue) finalize(recs []record, delivered bool) {
	if len(recs) == 0 {
		return
	}
	inMemory := len(recs) // records whose queue memory this gives back
	q.wmu.Lock()
	if q.durable {
		for i := range recs {
			if recs[i].fromDisk {
				inMemory--
			}
			if id := recs[i].spoolID; id != 0 {
				q.acks = append(q.acks, id)
			}
		}
		if len(q.acks) > 0 {
			q.hasAcks.Store(true)
		}
	}
	if !delivered {
		q.lost += uint64(len(recs))
	}
	q.released.Add(uint64(inMemory))
	q.finalized.Add(uint64(len(recs)))
	if len(q.waiters) > 0 {
		q.countOut(recs, delivered)
	}
	q.wmu.Unlock()
	q.releaseChunks(recs)
	q.roomFreed()
}

// releaseChunks drops the chunk references of recs: each chunk once for
// its run of records, and each record's ext. Records lost to damage hold
// none (src noChunk).
func (q *queue) releaseChunks(recs []record) {
	for i := 0; i < len(recs); {
		src := recs[i].src
		j := i
		for ; j < len(recs) && recs[j].src == src; j++ {
			if ext := recs[j].ext; ext != noChunk {
				q.arena.release(ext, 1)
			}
		}
		if src != noChunk {
			q.arena.release(src, int32(j-i))
		}
		i = j
	}
}

// release gives back the memory of records that stay undelivered on disk
// (durable mode): spilled out of memory, to be read back later, or left
// in the spool by Close. They are not finalized: Flush still waits for
// them and Stats counts them in QueueDepth.
func (q *queue) release(recs []record) {
	if len(recs) == 0 {
		return
	}
	inMemory := 0
	for i := range recs {
		if !recs[i].fromDisk {
			inMemory++
		}
	}
	q.released.Add(uint64(inMemory))
	q.releaseChunks(recs)
	q.roomFreed()
}

// takeAcks returns the spool ids finalize noted since the last call,
// swapping in buf (emptied) to collect the next ones.
func (q *queue) takeAcks(buf []uint64) []uint64 {
	q.wmu.Lock()
	ids := q.acks
	q.acks = buf[:0]
	q.hasAcks.Store(false)
	q.wmu.Unlock()
	return ids
}

// flushWaiter is a Flush or Close call waiting for the entries accepted
// before it.
type flushWaiter struct {
	target    uint64 // entries accepted before the call: seq ≤ target
	remaining int    // of those, how many are still held
	dropped   int    // of those, how many were dropped, since New
	left      bool   // Close left the remaining ones in the spool: they will not come
	done      chan struct{}
}

// countOut counts finalized records out of the waits for them. Called with
// wmu held.
func (q *queue) countOut(recs []record, delivered bool) {
	for i := 0; i < len(q.waiters); i++ {
		w := q.waiters[i]
		for j := range recs {
			if recs[j].seq <= w.target {
				w.remaining--
				if !delivered {
					w.dropped++
				}
			}
		}
		if w.remaining == 0 {
			if !w.left { // else abandonWaiters closed it
				close(w.done)
			}
			q.waiters = slices.Delete(q.waiters, i, i+1)
			q.nwaiters.Add(-1)
			i--
		}
	}
}

// addWaiter registers a wait for every entry accepted so far and wakes the
// batcher to send them now. It returns nil after Close, unless closing:
// then it closes the queue first.
func (q *queue) addWaiter(closing bool) *flushWaiter {
	if closing {
		q.close()
	} else if q.closed.Load() {
		return nil
	}
	q.wmu.Lock()
	defer q.wmu.Unlock()
	// Every finalized entry was accepted before now, and none is finalized
	// while wmu is held: held = target - finalized exactly.
	target := q.seq.Load()
	w := &flushWaiter{target: target, remaining: int(target - q.finalized.Load()), dropped: int(q.lost), done: make(chan struct{})}
	if w.remaining == 0 {
		close(w.done)
		return w
	}
	q.waiters = append(q.waiters, w)
	q.nwaiters.Add(1)
	q.signal()
	return w
}

// wait waits for w, or for ctx to end. It returns how many of w's entries
// are still pending (non-zero only if ctx ended, or Close left them in the
// spool: then left is true) and how many were dropped.
func (q *queue) wait(ctx context.Context, w *flushWaiter) (pending, dropped int, left bool) {
	q.await(ctx, w)
	q.wmu.Lock()
	left = w.left
	q.wmu.Unlock()
	pending, dropped = q.endWait(w)
	return pending, dropped, left && pending > 0
}

// await waits for w, or for ctx to end, and reports whether w is done: all
// its entries finalized, or left in the spool.
func (q *queue) await(ctx context.Context, w *flushWaiter) bool {
	select {
	case <-w.done:
		return true
	case <-ctx.Done():
	}
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// endWait ends the wait w: it returns how many of w's entries are not
// finalized yet, and how many were dropped (those since New included).
// Until then, w counts every entry finalized, so that Close, which
// releases its wait only after it has dropped what is left, counts them
// all.
func (q *queue) endWait(w *flushWaiter) (pending, dropped int) {
	q.wmu.Lock()
	defer q.wmu.Unlock()
	if i := slices.Index(q.waiters, w); i >= 0 {
		q.waiters = slices.Delete(q.waiters, i, i+1)
		q.nwaiters.Add(-1)
		return w.remaining, w.dropped
	}
	return 0, w.dropped
}

// abandonWaiters ends the Flush calls still waiting once Close has left
// their entries in the spool: nothing more will be delivered.
func (q *queue) abandonWaiters() {
	q.wmu.Lock()
	defer q.wmu.Unlock()
	for _, w := range q.waiters {
		if !w.left {
			w.left = true
			close(w.done)
		}
	}
}

// close marks the queue closed: Write refuses from now on, and blocked
// Writes wake. Once it returns, every Write that got in before is done:
// each checks closed under its shard's lock, which close takes in turn.
func (q *queue) close() {
	q.closed.Store(true)
	for i := range q.shards {
		q.shards[i].mu.Lock()
		q.shards[i].mu.Unlock() // a barrier: no critical section
	}
	q.roomMu.Lock()
	close(q.room)
	q.room = make(chan struct{})
	q.roomMu.Unlock()
}

// releaseFills gives back the chunks the shards were filling, once closed
// and empty.
func (q *queue) releaseFills() {
	for i := range q.shards {
		sh := &q.shards[i]
		sh.mu.Lock()
		if c := sh.fill; c != nil {
			q.arena.release(c.id, 1-c.pendingRefs())
			sh.fill = nil
		}
		sh.mu.Unlock()
	}
}

// stats returns the counters and the queue's numbers.
func (q *queue) stats() Stats {
	fin := q.finalized.Load()
	st := q.c.snapshot()
	seq := q.seq.Load()
	st.Accepted = seq - q.replayed
	st.QueueDepth, st.QueueBytes = int(seq-fin), q.heldBytes.Load()
	st.Received = st.Accepted + q.c.rejected.Load()
	if q.c.spoolOn.Load() {
		st.Spool.Unwritten = seq - min(seq, q.c.spoolThrough.Load())
	}
	return st
}
