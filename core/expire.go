package core

import (
	"slices"
	"time"
)

// checkpoint is a point of the sink's acceptance clock: seq entries had
// been accepted by at.
type checkpoint struct {
	seq uint64
	at  time.Time
}

// checkpoint notes that seq entries have been accepted by now. The clock
// keeps about 64 points per RetryTimeLimit, so entries expire within
// RetryTimeLimit/64 of their time, without a clock read per Write. Queued
// entries are checked as pull takes them (queue.takeExpired), held ones
// after each failed attempt (expire).
func (b *batcher) checkpoint(seq uint64) {
	now := time.Now()
	b.now = now
	if n := len(b.clock); n > 0 && (b.clock[n-1].seq == seq || now.Sub(b.clock[n-1].at) < b.cfg.RetryTimeLimit/64) {
		return
	}
	b.clock = append(b.clock, checkpoint{seq, now})
}

// expiredSeq returns S such that every entry with seq ≤ S was accepted more
// than RetryTimeLimit ago (0 if none).
func (b *batcher) expiredSeq() uint64 {
	cutoff := time.Now().Add(-b.cfg.RetryTimeLimit)
	i := 0
	for i < len(b.clock) && !b.clock[i].at.After(cutoff) {
		i++
	}
	if i == 0 {
		return 0
	}
	seq := b.clock[i-1].seq
	b.clock = slices.Delete(b.clock, 0, i-1)
	return seq
}

// expire drops the records of recs accepted more than RetryTimeLimit ago,
// passing the rest (which may share recs' memory) to keep. It is called
// after a failed attempt.
func (b *batcher) expire(recs []record, keep func([]record), cause error) {
	limit := b.expiredSeq()
	if limit == 0 {
		return
	}
	kept, expired := splitBySeq(recs, limit, nil)
	if len(expired) > 0 {
		keep(kept)
		b.drop(ReasonRetriesExhausted, cause, expired...)
	}
}
