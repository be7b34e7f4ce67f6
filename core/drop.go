package core

// drop gives up on recs for reason; cause, if not nil, says why. It is the
// one way an entry leaves the sink undelivered, and does, in this order:
//
//  1. count them, by reason and by level (and, for entries Write refused,
//     as received but not accepted);
//  2. note them for the ErrorHandler, which the reporter calls later;
//  3. copy their JSON for the Fallback, which the reporter writes later
//     (what does not fit in its bounded buffer is counted instead);
//  4. release the memory of those the queue held, which wakes the Flush
//     calls waiting for them. Records Write refused hold none.
//
// drop never calls user code and never blocks, so it may run on a logging
// goroutine, on the batcher, and with q.mu held (locked).
func (q *queue) drop(reason DropReason, cause error, recs []record, locked bool) {
	if len(recs) == 0 {
		return
	}
	accepted := recs[0].chunk != nil // recs are all accepted, or all refused
	n := uint64(len(recs))
	if !accepted {
		q.c.rejected.Add(n)
	}
	q.c.dropped[reason].Add(n)
	for i := range recs {
		if l := recs[i].level; l >= 0 && l < numLevels {
			q.c.byLevel[l].Add(1)
		}
	}

	if reason == ReasonClosed && !accepted {
		// Written after Close was called: counted, nothing else. A handler
		// that logs into this sink cannot feed on itself.
		q.rep.countOnly(len(recs))
		return
	}
	if reason == ReasonQueueFull || reason == ReasonShed || !accepted {
		// These come as fast as the application logs: summed up.
		q.rep.noteBulkDrop(reason, len(recs))
	} else {
		q.rep.noteDrop(reason, len(recs), cause)
	}
	q.rep.fallback(recs)

	if !accepted {
		return
	}
	if locked {
		q.finalizeLocked(recs, false)
	} else {
		q.finalize(recs, false)
	}
}
