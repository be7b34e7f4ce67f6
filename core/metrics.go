package core

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// LatencyBounds are the upper bounds of the buckets of [Latency]: an
// entry delivered after d falls in the first bucket whose bound is at
// least d, or in the last, unbounded one. They are fixed, so that
// histograms of different sinks and processes add up.
var LatencyBounds = [...]time.Duration{
	time.Millisecond, 2 * time.Millisecond, 5 * time.Millisecond,
	10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 200 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2 * time.Second, 5 * time.Second,
	10 * time.Second, 30 * time.Second, time.Minute,
	2 * time.Minute, 5 * time.Minute, 10 * time.Minute,
}

// Latency is a histogram of delivery latency: for each entry Kafka
// acknowledged, the time from the entry's log call to the acknowledgement.
// The log call's time is Entry.Time, which zap and slog give; for entries
// without one (zerolog's), it is the time the sink took the entry from its
// queue, so their latency leaves out the wait in the queue (at most Period,
// or the length of an outage).
type Latency struct {
	// Counts[i] is the number of entries delivered within LatencyBounds[i]
	// (and above the bound before); the last count, Counts[len(LatencyBounds)],
	// is for those slower than every bound.
	Counts [len(LatencyBounds) + 1]uint64
	Count  uint64        // entries counted: the sum of Counts
	Sum    time.Duration // their latencies added up
}

// Quantile estimates the q-quantile (0 ≤ q ≤ 1: 0.5 for the median, 0.99)
// of the latencies, by linear interpolation within the bucket it falls
// in, as Prometheus's histogram_quantile does. It returns 0 without data,
// and the last bound for a quantile in the unbounded bucket.
func (l Latency) Quantile(q float64) time.Duration {
	if l.Count == 0 {
		return 0
	}
	rank := q * float64(l.Count)
	var seen float64
	for i, n := range l.Counts {
		if n == 0 {
			continue
		}
		if seen+float64(n) >= rank {
			if i == len(LatencyBounds) {
				return LatencyBounds[i-1]
			}
			lo := time.Duration(0)
			if i > 0 {
				lo = LatencyBounds[i-1]
			}
			frac := (rank - seen) / float64(n)
			return lo + time.Duration(frac*float64(LatencyBounds[i]-lo))
		}
		seen += float64(n)
	}
	return LatencyBounds[len(LatencyBounds)-1]
}

// latencyBucket returns the bucket of d. A linear scan beats a binary
// search here: most entries fall in the first buckets.
func latencyBucket(d time.Duration) int {
	for i, b := range LatencyBounds {
		if d <= b {
			return i
		}
	}
	return len(LatencyBounds)
}

// latencyCounters is the live histogram: the batcher adds a batch's worth
// at a time, readers load.
type latencyCounters struct {
	counts [len(LatencyBounds) + 1]atomic.Uint64
	count  atomic.Uint64
	sum    atomic.Int64
}

func (l *latencyCounters) add(local *Latency) {
	for i, n := range local.Counts {
		if n > 0 {
			l.counts[i].Add(n)
		}
	}
	l.sum.Add(int64(local.Sum))
	l.count.Add(local.Count)
}

func (l *latencyCounters) snapshot() Latency {
	var s Latency
	for i := range l.counts {
		s.Counts[i] = l.counts[i].Load()
	}
	s.Sum = time.Duration(l.sum.Load())
	s.Count = l.count.Load()
	return s
}

// TopicStats counts the entries of one topic.
type TopicStats struct {
	Topic     string
	Delivered uint64 // entries Kafka acknowledged
	Dropped   uint64 // entries dropped after the sink routed them to this topic
}

// topicCounters are one topic's live counters, owned by the batcher's
// topicState and listed for Stats.
type topicCounters struct {
	name               string
	delivered, dropped atomic.Uint64
}

// topicRegistry lists every topic's counters.
type topicRegistry struct {
	mu     sync.Mutex
	topics []*topicCounters
}

func (r *topicRegistry) add(name string) *topicCounters {
	t := &topicCounters{name: name}
	r.mu.Lock()
	r.topics = append(r.topics, t)
	r.mu.Unlock()
	return t
}

func (r *topicRegistry) snapshot() []TopicStats {
	r.mu.Lock()
	out := make([]TopicStats, len(r.topics))
	for i, t := range r.topics {
		out[i] = TopicStats{Topic: t.name, Delivered: t.delivered.Load(), Dropped: t.dropped.Load()}
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b TopicStats) int { return cmp.Compare(a.Topic, b.Topic) })
	return out
}
