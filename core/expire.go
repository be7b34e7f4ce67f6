package core

import (
	"cmp"
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
// keeps a point every clockStep at most, so entries expire within a step
// of their time, without a clock read per Write. Queued entries are
// checked as pull takes them (queue.takeExpired), held ones after each
// failed attempt (expire).
func (b *batcher) checkpoint(seq uint64) {
	now := time.Now()
	b.now = now
	if n := len(b.clock); n > 0 && (b.clock[n-1].seq == seq || now.Sub(b.clock[n-1].at) < b.clockStep()) {
		return
	}
	if len(b.clock) >= maxClockPoints && b.cfg.RetryTimeLimit == 0 {
		// No limit prunes the clock (durable mode): thin out its older
		// half instead, so that it stays bounded, older points coarser.
		// acceptedBy then errs late, so OldestAge low, for old entries.
		half := len(b.clock) / 2 &^ 1
		k := 0
		for i := 0; i < half; i += 2 {
			b.clock[k] = b.clock[i+1]
			k++
		}
		b.clock = append(b.clock[:k], b.clock[half:]...)
	}
	b.clock = append(b.clock, checkpoint{seq, now})
}

// maxClockPoints is about the most points the acceptance clock holds.
const maxClockPoints = 4096

// clockStep is the precision of the acceptance clock: RetryTimeLimit/4096,
// at least 10ms, so the clock holds at most about 4096 points. Without a
// limit (durable mode), a second: the clock serves Stats.OldestAge only.
func (b *batcher) clockStep() time.Duration {
	if b.cfg.RetryTimeLimit == 0 {
		return time.Second
	}
	return max(10*time.Millisecond, b.cfg.RetryTimeLimit/maxClockPoints)
}

// acceptedBy returns a time by which the entry with seq was accepted, at
// most a clock step late (the time of the first point at or after it), or
// now if the clock has no such point yet.
func (b *batcher) acceptedBy(seq uint64) time.Time {
	i, _ := slices.BinarySearchFunc(b.clock, seq, func(c checkpoint, s uint64) int { return cmp.Compare(c.seq, s) })
	if i == len(b.clock) {
		return b.now
	}
	return b.clock[i].at
}

// expiredSeq returns S such that every entry with seq ≤ S was accepted more
// than RetryTimeLimit ago (0 if none).
func (b *batcher) expiredSeq() uint64 {
	if b.cfg.RetryTimeLimit == 0 {
		return 0 // no limit
	}
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
func (b *batcher) expire(t *topicState, recs []record, keep func([]record), cause error) {
	limit := b.expiredSeq()
	if limit == 0 {
		return
	}
	kept, expired := splitBySeq(recs, limit, nil)
	if len(expired) > 0 {
		keep(kept)
		b.dropIn(t, ReasonRetriesExhausted, cause, expired...)
	}
}
