package core

import (
	"math/rand/v2"
	"time"
)

// retryLater schedules p's next attempt after a backoff, drops the records
// that have run out of RetryTimeLimit, and moves records without a key to
// a partition that works where that keeps its order (moveUnkeyed).
func (b *batcher) retryLater(p *partition, cause error) {
	p.attempt++
	p.retryAt = time.Now().Add(b.backoff(p.attempt))
	b.expire(p.t, p.pending.items(), p.pending.set, cause)

	t := p.t
	if len(t.parts) < 2 {
		return
	}
	if t.parts[t.sticky] == p {
		b.advanceSticky(t)
	}
	b.moveUnkeyed(p)
}

// moveUnkeyed moves records without a key off p, whose request failed, to
// another partition, without breaking the order of either: Kafka keeps a
// partition's records in the order they arrive, and the sink promises that
// this is the order they were accepted in. The target is the working
// partition that has sent the oldest records (the lowest sent); only p's
// records newer than everything the target has sent (in flight or
// delivered) move, merged by seq among its records not yet sent. The
// others, and the keyed ones, wait for p's retry. A partition's records
// are never sent behind newer ones, moved or not; the cost is that a
// request's records, sent while other partitions sent newer ones, stay on
// their partition until it takes them or RetryTimeLimit runs out, as a
// Kafka producer's do.
func (b *batcher) moveUnkeyed(p *partition) {
	var q *partition
	for _, c := range p.t.parts {
		if c != p && c.attempt == 0 && (q == nil || c.sent < q.sent) {
			q = c
		}
	}
	if q == nil {
		return
	}
	pending := p.pending.items()
	keep := pending[:0]
	var moved []record
	for _, r := range pending {
		if r.key.n < 0 && r.seq > q.sent {
			moved = append(moved, r)
		} else {
			keep = append(keep, r)
		}
	}
	if len(moved) == 0 {
		return
	}
	p.pending.set(keep)
	q.pending.mergeAfterPinned(moved)
	b.activate(q)
}

// backoff is the wait before attempt n+1: exponential from MinBackoff,
// capped at MaxBackoff, with ±20% jitter.
func (b *batcher) backoff(attempt int) time.Duration {
	d := b.cfg.MinBackoff
	for i := 1; i < attempt && d < b.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, b.cfg.MaxBackoff)
	jitter := time.Duration(rand.Int64N(int64(d)/5 + 1))
	if rand.IntN(2) == 0 {
		return d - jitter
	}
	return min(d+jitter, b.cfg.MaxBackoff)
}

// armTimer sets the timer for the earliest retry still to come, and starts
// the metadata requests whose backoff has passed.
//
// With MaxInFlight requests in flight, no partition can be sent, whatever
// its retry time, so it arms for none: an answer wakes the batcher, which
// then arms again. Arming for a retry that is due but cannot be sent would
// fire at once, and again after each turn of the loop: a spin until a
// request answers, up to WriteTimeout during an outage. Below MaxInFlight,
// dispatch has just sent every partition whose retry is due; a topic's
// metadata retry that is due starts here instead of being armed for; and
// the backlog's read retry is armed for only while it is after b.now. So
// a time already past fires the timer once at most, and the next turn acts
// on it.
func (b *batcher) armTimer() {
	var at time.Time
	if b.inflight < b.cfg.MaxInFlight {
		for _, p := range b.active {
			if !p.inFlight() && p.pending.len() > 0 && !p.retryAt.IsZero() && (at.IsZero() || p.retryAt.Before(at)) {
				at = p.retryAt
			}
		}
	}
	for _, t := range b.topics {
		if len(t.waiting) > 0 && !t.fetching {
			if t.retryAt.IsZero() || !time.Now().Before(t.retryAt) {
				b.fetchMetadata(t)
			} else if at.IsZero() || t.retryAt.Before(at) {
				at = t.retryAt
			}
		}
	}
	if r := b.bl.frontRun(); r != nil && b.readRetry.After(b.now) && (at.IsZero() || b.readRetry.Before(at)) {
		at = b.readRetry // reading the backlog's run failed: read again then
	}
	if at.Equal(b.timerAt) {
		return
	}
	b.timerAt = at
	b.timer.Stop()
	if !at.IsZero() {
		b.timer.Reset(time.Until(at))
	}
}
