package core

import (
	"context"
	"slices"
	"time"
)

// flights is the batcher's in-flight state, in one place: the partitions
// with work, and how many produce requests are in flight. A partition's
// own request in flight is its sending count: the request reads the first
// sending records of its pending queue, which stay there, pinned, until
// the answer comes (startFlight, landFlight).
type flights struct {
	active   []*partition // partitions with pending records or a request in flight
	next     int          // where dispatch starts in active, for fairness
	inflight int          // requests in flight
}

// produceResult is the answer to a produce request.
type produceResult struct {
	p       *partition
	recErrs map[int]error
	err     error
}

// recordOverhead is a generous estimate of a record's framing bytes.
const recordOverhead = 32

// inFlight reports whether p has a request in flight.
func (p *partition) inFlight() bool { return p.pending.pinned > 0 }

// dispatch sends a request for every partition that has records, no
// request in flight and no backoff running, up to MaxInFlight requests.
func (b *batcher) dispatch() {
	now := time.Now()
	n := len(b.active)
	for i := 0; i < n && b.inflight < b.cfg.MaxInFlight; i++ {
		p := b.active[(b.next+i)%n]
		if p.inFlight() || p.pending.len() == 0 || now.Before(p.retryAt) {
			continue
		}
		b.send(p)
	}
	if n > 0 {
		b.next = (b.next + 1) % n
	}
	// Forget partitions with nothing to do.
	b.active = slices.DeleteFunc(b.active, func(p *partition) bool {
		if !p.inFlight() && p.pending.len() == 0 {
			p.active = false
			return true
		}
		return false
	})
}

// send starts a produce request with the first records of p, as many as
// BatchSizeLimit and MaxBatchBytes allow.
func (b *batcher) send(p *partition) {
	limit := b.cfg.BatchSizeLimit
	if p.maxRecs > 0 {
		limit = min(limit, p.maxRecs)
	}
	k, size := 0, 0
	pending := p.pending.items()
	for k < len(pending) && k < limit {
		r := &pending[k]
		sz := int(r.val.n) + max(0, int(r.key.n)) + int(r.hdrs.n) + len(b.static) + recordOverhead
		if k > 0 && size+sz > b.cfg.MaxBatchBytes {
			break
		}
		size += sz
		k++
	}
	batch := b.startFlight(p, k)
	// Encoded here, so that the request reads its own bytes and the
	// records can move and be released whatever the request does.
	bp := getBuf()
	var err error
	*bp, err = encodeBatch((*bp)[:0], batch, b.q.arena, b.static, len(b.cfg.Headers), b.codec, time.Now())
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		recErrs := map[int]error(nil)
		if err == nil {
			ctx, cancel := context.WithTimeout(b.ctx, b.cfg.WriteTimeout)
			recErrs, err = b.tr.produce(ctx, p.t.name, p.id, bp)
			cancel()
		}
		// Never blocks: there are at most MaxInFlight results.
		b.results <- &produceResult{p: p, recErrs: recErrs, err: err}
	}()
}

// startFlight marks the first k records of p as the request's and returns
// them.
func (b *batcher) startFlight(p *partition, k int) []record {
	p.pending.pinned = k
	b.inflight++
	b.c.inflight.Store(int32(b.inflight))
	recs := p.pending.items()[:k:k]
	for i := range recs {
		p.sent = max(p.sent, recs[i].seq)
	}
	return recs
}

// landFlight ends p's request and returns the records it carried, still at
// the front of p.pending.
func (b *batcher) landFlight(p *partition) []record {
	k := p.pending.pinned
	p.pending.pinned = 0
	b.inflight--
	b.c.inflight.Store(int32(b.inflight))
	return p.pending.items()[:k]
}

func (b *batcher) handleResult(r *produceResult) {
	p := r.p
	recs := b.landFlight(p)
	switch {
	case r.err == nil && len(r.recErrs) == 0:
		b.delivered(p, recs)
	case len(r.recErrs) > 0:
		// The broker refused single records, and with them the request:
		// drop those, send the others again.
		keep := make([]record, 0, p.pending.len())
		for i := range recs {
			if err, bad := r.recErrs[i]; bad {
				b.dropIn(p.t, ReasonNotRetriable, &ProduceError{Topic: p.t.name, Partition: p.id, Records: 1, Err: err}, recs[i])
			} else {
				keep = append(keep, recs[i])
			}
		}
		p.pending.set(append(keep, p.pending.items()[len(recs):]...))
	default:
		b.failed(p, recs, r.err)
	}
}

// delivered finalizes the records of p's request, which Kafka acknowledged.
func (b *batcher) delivered(p *partition, recs []record) {
	b.connected = true
	p.attempt, p.retryAt, p.maxRecs = 0, time.Time{}, 0
	b.lastErr = nil
	countDelivered(b.c, p.t.stats, recs, time.Now().UnixNano())
	b.q.finalize(recs, true)
	p.pending.popFront(len(recs))
}

// countDelivered counts recs, acknowledged at now, as delivered: the
// sink's and topic t's counters, bytes, one batch, and each record's
// delivery latency (from its acceptance time).
func countDelivered(c *counters, t *topicCounters, recs []record, now int64) {
	var bytes uint64
	var lat Latency
	for i := range recs {
		bytes += uint64(recs[i].val.n)
		d := time.Duration(now - recs[i].time)
		lat.Counts[latencyBucket(d)]++
		lat.Sum += d
	}
	lat.Count = uint64(len(recs))
	c.latency.add(&lat)
	t.delivered.Add(uint64(len(recs)))
	c.delivered.Add(uint64(len(recs)))
	c.batches.Add(1)
	c.bytes.Add(bytes)
}

// failed handles a request that failed as a whole: it drops what Kafka can
// never take and schedules a retry of the rest.
func (b *batcher) failed(p *partition, recs []record, err error) {
	perr := &ProduceError{Topic: p.t.name, Partition: p.id, Records: len(recs), Err: b.explain(err)}
	switch classify(err) {
	case classTooLarge:
		if len(recs) == 1 {
			b.dropIn(p.t, ReasonTooLarge, perr, recs...)
			p.pending.popFront(1)
			return
		}
		// Kafka does not say which record is too large: halve the
		// request until it does.
		p.maxRecs = max(1, len(recs)/2)
		return
	case classNotRetriable:
		b.dropIn(p.t, ReasonNotRetriable, perr, recs...)
		p.pending.popFront(len(recs))
		return
	case classStaleMeta:
		b.refreshMetadata(p.t, p.attempt >= reconnectAfter)
	}
	b.rep.report(perr)
	b.lastErr = perr
	b.c.retries.Add(uint64(len(recs)))
	b.retryLater(p, perr)
}
