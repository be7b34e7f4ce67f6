package core

// abortAll drops everything still held when Close's context has ended,
// and records how many entries that was for Close to report. In durable
// mode it leaves what is spooled in the spool instead (abortDurable).
func (b *batcher) abortAll() {
	b.cancel()
	// Requests that have answered: take their outcome.
	for drained := false; !drained; {
		select {
		case r := <-b.results:
			b.handleResult(r)
		default:
			drained = true
		}
	}
	// The requests still running are given up: their records are dropped
	// below (or left in the spool), and their results are not taken.
	b.inflight = 0
	b.c.inflight.Store(0)
	if b.spool != nil {
		b.abortDurable()
		b.releaseExt()
		go b.closeTransport()
		return
	}
	// Say why they were still here: the last error the batcher met.
	queued := b.q.takeAll(b.strays)
	b.strays = nil
	b.aborted = len(queued)
	b.drop(ReasonClosed, b.lastErr, queued...)
	for _, t := range b.topics {
		// Records of a request still running count as undelivered (its
		// outcome is unknown). The request reads bytes of its own.
		all := t.takeHeld()
		b.aborted += len(all)
		b.dropIn(t, ReasonClosed, b.lastErr, all...)
	}
	b.releaseExt()
	go b.closeTransport()
}

// releaseExt gives back the batcher's chunk for formatted values and
// decided keys and headers.
func (b *batcher) releaseExt() {
	if b.ext != nil {
		b.q.arena.release(b.ext.id, 1)
		b.ext = nil
	}
}

// takeHeld takes every record the topic holds: those waiting for metadata
// and each partition's, those of a request in flight included.
func (t *topicState) takeHeld() []record {
	all := t.waiting
	t.waiting = nil
	for _, p := range t.parts {
		all = append(all, p.pending.items()...)
		p.pending.set(nil)
	}
	return all
}
