package core

import (
	"context"
	"time"
)

// metadataMaxAge is how often a topic's partition count is re-read.
const metadataMaxAge = time.Minute

// metaResult is the answer to a metadata request for one topic.
type metaResult struct {
	t     *topicState
	parts int
	err   error
}

// fetchMetadata starts a metadata request for t unless one is running or
// its backoff has not passed.
func (b *batcher) fetchMetadata(t *topicState) {
	if t.fetching || time.Now().Before(t.retryAt) {
		return
	}
	t.fetching = true
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		ctx, cancel := context.WithTimeout(b.ctx, b.cfg.WriteTimeout)
		n, err := b.tr.partitions(ctx, t.name)
		cancel()
		select {
		case b.metas <- &metaResult{t: t, parts: n, err: err}:
		case <-b.ctx.Done():
		}
	}()
}

func (b *batcher) handleMeta(m *metaResult) {
	t := m.t
	t.fetching = false
	if m.err != nil {
		// Backoff either way: with the partitions known, the next record
		// routed would ask again at once, and during an outage (refused
		// connections answer at once) that is a request per record.
		t.attempt++
		t.retryAt = time.Now().Add(b.backoff(t.attempt))
		if t.parts != nil {
			return // keep using what we know
		}
		err := &ProduceError{Topic: t.name, Partition: -1, Records: len(t.waiting), Err: b.explain(m.err)}
		if classify(m.err) == classNotRetriable {
			b.dropIn(t, ReasonNotRetriable, err, t.waiting...)
			t.waiting = t.waiting[:0]
			return
		}
		b.rep.report(err)
		b.lastErr = err
		b.expire(t, t.waiting, func(r []record) { t.waiting = r }, err)
		return
	}
	b.connected = true
	t.attempt, t.retryAt, t.fetched = 0, time.Time{}, time.Now()
	for i := len(t.parts); i < m.parts; i++ {
		t.parts = append(t.parts, &partition{t: t, id: int32(i)})
	}
	waiting := t.waiting
	t.waiting = nil
	for i := range waiting {
		b.assign(t, &waiting[i])
		if (i+1)%b.cfg.BatchSizeLimit == 0 || i == len(waiting)-1 {
			b.advanceSticky(t)
		}
	}
}

// reconnectAfter is how many failures of a partition for stale metadata
// in a row make the next refresh drop kafka-go's connections too: fresh
// metadata cannot help while a connection goes on answering for a broker
// that is gone.
const reconnectAfter = 3

// refreshMetadata asks kafka-go to refresh its cluster metadata, at most
// once a second, and re-reads t's partition count.
func (b *batcher) refreshMetadata(t *topicState, reconnect bool) {
	if time.Since(b.lastRefresh) < time.Second {
		return
	}
	b.lastRefresh = time.Now()
	t.fetched = time.Time{}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		ctx, cancel := context.WithTimeout(b.ctx, b.cfg.WriteTimeout)
		b.tr.refresh(ctx, reconnect)
		cancel()
	}()
}
