package core

import "slices"

// evictOldest serves DropOldest once Write has taken entries over
// QueueLimit: it drops the oldest entries held that are not in flight
// until the sink is back within its limits. The batcher's own records are
// older than the queued ones (it takes from the queue in order), so they
// go first; retries move records between partitions, so a partition's
// records are not always in order: it sorts them all to find the oldest.
func (b *batcher) evictOldest() {
	for b.evictOnce() {
	}
}

// evictOnce drops the oldest entries that are over QueueLimit now, and
// reports whether to look again. It holds the queue's eviction lock, which
// Write's own eviction (queue.evictFor) takes too: the two never drop for
// the same excess.
func (b *batcher) evictOnce() bool {
	b.q.gmu.Lock()
	defer b.q.gmu.Unlock()
	over, queued := b.q.excess()
	if over == 0 {
		return false
	}
	seqs := b.seqs[:0]
	for _, p := range b.active {
		for _, r := range p.pending.items()[p.pending.pinned:] {
			seqs = append(seqs, r.seq)
		}
	}
	for _, t := range b.topics {
		for _, r := range t.waiting {
			seqs = append(seqs, r.seq)
		}
	}
	// In durable mode, the backlog's records in memory: after spill, those
	// kept in memory only.
	b.bl.eachMemSeq(func(seq uint64) { seqs = append(seqs, seq) })
	b.seqs = seqs
	if len(seqs) == 0 {
		if queued == 0 {
			// All in flight: the limits hold again once they are answered.
			b.q.evicted()
			return false
		}
		// Nothing of ours but requests in flight: the queue's entries
		// are the oldest left.
		b.drop(ReasonQueueFull, nil, b.q.takeOldestLocked(over, nil)...)
		return true
	}
	slices.Sort(seqs)
	limit := seqs[min(over, len(seqs))-1]
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
	return true
}
