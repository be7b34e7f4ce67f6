package core

import (
	"math/rand/v2"
	"time"
)

// retryLater schedules p's next attempt after a backoff, drops the records
// that have run out of RetryTimeLimit, and moves the records without a key
// to a partition that works, if the topic has one.
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
	q := t.parts[t.sticky]
	if q == p || q.attempt != 0 {
		return
	}
	pending := p.pending.items()
	keep := pending[:0]
	var moved []record
	for _, r := range pending {
		if r.key.n < 0 {
			moved = append(moved, r)
		} else {
			keep = append(keep, r)
		}
	}
	p.pending.set(keep)
	if len(moved) > 0 {
		b.enqueue(q, moved...)
	}
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
