package core

import "slices"

// drop gives up on records the sink accepted, for reason; cause, if not
// nil, says why. With refuse, for entries Write did not accept, it is the
// one way an entry leaves the sink undelivered, and does, in this order:
//
//  1. count the entries, by reason and by level;
//  2. note them for the ErrorHandler, which the reporter calls later;
//  3. copy their JSON for the Fallback, which the reporter writes later
//     (what does not fit in its bounded buffer is counted instead);
//  4. release their memory (finalize), which wakes the Flush calls
//     waiting for them.
//
// drop never calls user code and never blocks, so it may run on a logging
// goroutine, on the batcher, and with the queue's locks held.
func (q *queue) drop(reason DropReason, cause error, recs []record) {
	if len(recs) == 0 {
		return
	}
	q.count(reason, len(recs), func(i int) Level { return recs[i].level })
	if reason == ReasonQueueFull || reason == ReasonShed {
		// These come as fast as the application logs: summed up.
		q.rep.noteBulkDrop(reason, len(recs))
	} else {
		q.rep.noteDrop(reason, len(recs), cause)
	}
	q.rep.fallback(len(recs), func(i int) []byte { return q.arena.bytes(recs[i].dataSpan()) })
	q.finalize(recs, false)
}

// refuse is drop for an entry Write refused: data, its JSON, is the
// caller's, and there is no memory to release. Once Close has been called
// the entry is only counted: a handler that logs into this sink cannot feed
// on itself.
func (q *queue) refuse(reason DropReason, data []byte, level Level) {
	q.c.rejected.Add(1)
	q.count(reason, 1, func(int) Level { return level })
	if reason == ReasonClosed {
		q.rep.countOnly(1)
		return
	}
	q.rep.noteBulkDrop(reason, 1)
	q.rep.fallback(1, func(int) []byte { return data })
}

// count counts n drops for reason, by level.
func (q *queue) count(reason DropReason, n int, level func(i int) Level) {
	q.c.dropped[reason].Add(uint64(n))
	for i := range n {
		if l := level(i); l >= 0 && l < numLevels {
			q.c.byLevel[l].Add(1)
		}
	}
}

// dropLost is drop for the n entries with seqs from, from+1, … that the
// spool lost to damage (Dropped.Corrupt): their bytes are gone, so there
// is nothing to count by level or to hand to the Fallback, and no memory
// to release (they were on disk only; the spool has finalized their ids).
// cause says what was damaged.
func (q *queue) dropLost(from, n uint64, cause error) {
	if n == 0 {
		return
	}
	q.c.dropped[ReasonCorrupt].Add(n)
	q.rep.noteDrop(ReasonCorrupt, int(n), cause)
	q.wmu.Lock()
	q.lost += n
	q.finalized.Add(n)
	for i := 0; i < len(q.waiters); i++ {
		w := q.waiters[i]
		if w.target < from {
			continue
		}
		k := int(min(n, w.target-from+1))
		w.remaining -= k
		w.dropped += k
		if w.remaining == 0 {
			if !w.left {
				close(w.done)
			}
			q.waiters = slices.Delete(q.waiters, i, i+1)
			q.nwaiters.Add(-1)
			i--
		}
	}
	q.wmu.Unlock()
}
