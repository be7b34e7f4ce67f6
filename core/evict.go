package core

import (
	"cmp"
	"slices"
)

// Under DropOldest the sink keeps the newest entries, whichever limit
// binds. QueueLimit: Write takes up to evictSlack entries over it and the
// batcher drops as many of the oldest. QueueByteLimit: memory frees by
// whole chunks, and the oldest entries' chunks are the batcher's (it takes
// from the queue in order, and during an outage takes everything), so
// Write alone can seldom make room. The batcher keeps room instead: once
// the chunks held pass evictHigh of QueueByteLimit, it drops the oldest
// entries that are not in flight until they are back under evictLow, so
// that Writes find room. Short of room all the same (the batcher is
// behind), Write drops the oldest queued entries if that frees memory at
// once, else its own entry: QueueByteLimit is never exceeded.
const (
	evictHighEighths = 7 // evictHigh: 7/8 of QueueByteLimit
	evictLowEighths  = 6 // evictLow: 6/8 of QueueByteLimit
)

// evictOldest serves DropOldest once Write has taken entries over
// QueueLimit, or memory has passed evictHigh: it drops the oldest entries
// held that are not in flight until the sink is back within its limits.
// The batcher's own records are older than the queued ones (it takes from
// the queue in order), so they go first; retries move records between
// partitions, so a partition's records are not always in order: it sorts
// them all to find the oldest.
func (b *batcher) evictOldest() {
	for b.evictOnce() {
	}
}

// evictCand is an entry DropOldest may drop: its seq and the chunks it
// pins.
type evictCand struct {
	seq      uint64
	src, ext uint32
}

func candOf(r *record) evictCand { return evictCand{seq: r.seq, src: r.src, ext: r.ext} }

// evictOnce drops the oldest entries that are over QueueLimit now, or as
// many as free the memory over evictLow, and reports whether to look
// again. It holds the queue's eviction lock, which Write's own eviction
// (queue.evictFor) takes too: the two never drop for the same excess.
func (b *batcher) evictOnce() bool {
	q := b.q
	q.gmu.Lock()
	defer q.gmu.Unlock()
	over, overBytes := q.excess()
	if over == 0 && overBytes == 0 {
		return false
	}
	cands := q.cands[:0]
	for _, p := range b.active {
		for i, rs := p.pending.pinned, p.pending.items(); i < len(rs); i++ {
			cands = append(cands, candOf(&rs[i]))
		}
	}
	for _, t := range b.topics {
		for i := range t.waiting {
			cands = append(cands, candOf(&t.waiting[i]))
		}
	}
	// In durable mode, the backlog's records in memory: after spill, those
	// kept in memory only.
	b.bl.eachMemRecord(func(r *record) { cands = append(cands, candOf(r)) })
	q.cands = cands
	slices.SortFunc(cands, func(x, y evictCand) int { return cmp.Compare(x.seq, y.seq) })
	// The queued entries come after ours, in order: every one is newer.
	if over > len(cands) || overBytes > 0 {
		q.gather()
	}
	ours, total := len(cands), len(cands)+q.staged.len()
	cand := func(i int) evictCand {
		if i < ours {
			return cands[i]
		}
		return candOf(q.staged.at(i - ours))
	}
	cut := min(over, total)
	if overBytes > 0 {
		cut = max(cut, q.freeingPrefix(total, cand, overBytes))
	}
	if cut == 0 {
		// All in flight, or nothing to drop would free memory (requests
		// in flight, or a chunk being filled, pin it): the limits hold
		// again once requests are answered.
		q.evicted()
		return false
	}
	if k := min(cut, ours); k > 0 {
		limit := cands[k-1].seq
		for _, p := range b.active {
			b.dropIn(p.t, ReasonQueueFull, nil, p.pending.evictAfterPinned(limit, nil)...)
		}
		for _, t := range b.topics {
			var evicted []record
			t.waiting, evicted = splitBySeq(t.waiting, limit, nil)
			b.dropIn(t, ReasonQueueFull, nil, evicted...)
		}
		if k := b.bl.memBelow(limit + 1); k > 0 { // the backlog's are in seq order
			b.drop(ReasonQueueFull, nil, b.bl.takeMem(nil, k)...)
		}
	}
	if k := cut - ours; k > 0 {
		b.drop(ReasonQueueFull, nil, q.takeOldestLocked(k, nil)...)
	}
	return true
}

// freeingPrefix returns how many of the n oldest candidates (cand(0) the
// oldest) to drop to free need bytes of counted chunks: the shortest
// prefix that frees them, or, if none does, the prefix up to the last
// candidate whose drop frees a chunk (0 if none would: the chunks are
// pinned by requests in flight or a chunk being filled). A chunk frees
// when every reference it has is dropped. Called with gmu held, after
// gather: the queued records' references are in refs, and the only ones a
// Write can still add are to a chunk it fills, which its filling
// reference pins.
func (q *queue) freeingPrefix(n int, cand func(i int) evictCand, need int) int {
	clear(q.dropRefs)
	if q.dropRefs == nil {
		q.dropRefs = make(map[uint32]int32)
	}
	freed, cut := 0, 0
	for i := 0; i < n && freed < need; i++ {
		c := cand(i)
		if f := q.frees(c.src) + q.frees(c.ext); f > 0 {
			freed += f
			cut = i + 1
		}
	}
	return cut
}

// frees counts one more dropped reference to chunk id and returns its
// bytes if that is its last reference and it counts in QueueByteLimit.
func (q *queue) frees(id uint32) int {
	if id == noChunk {
		return 0
	}
	c := q.arena.chunk(id)
	if !c.counted {
		return 0
	}
	k := q.dropRefs[id] + 1
	q.dropRefs[id] = k
	if k == c.refs.Load() {
		return len(c.mem)
	}
	return 0
}
