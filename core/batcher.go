package core

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// batcher is the sink's background goroutine. It alone owns the topic and
// partition state below: it takes entries from the queue when a batch is
// due, routes them (TopicDecider, KeyDecider, partitioner), formats them,
// and keeps at most one produce request in flight per partition, so order
// holds per partition.
type batcher struct {
	s   *Sink
	cfg *resolved
	tr  transport

	ctx    context.Context // cancelled when the sink stops: ends requests in flight
	cancel context.CancelFunc
	wg     sync.WaitGroup // request and metadata goroutines

	topics   map[string]*topicState
	active   []*partition // partitions with pending records or a request in flight
	next     int          // where dispatch starts in active, for fairness
	inflight int

	results chan *produceResult
	metas   chan *metaResult

	ticker    *time.Ticker
	timer     *time.Timer // the next retry
	timerAt   time.Time
	periodDue bool

	taken       []record   // the entries pull copied from the queue
	segs        []*segment // the queue segments pull took whole
	routed      int        // entries routed by this pull
	holdLimit   int        // the most records held for destinations that work
	now         time.Time  // when pull started
	lastErr     error      // the last failure of a request, for the drops at Close
	connected   bool       // a request succeeded: connection errors are not about the set-up
	clock       []checkpoint
	expired     []record // queued entries that expireQueued took out
	seqs        []uint64 // scratch for evictOldest
	ext         *chunk   // memory for formatted values and keys
	fmtBuf      []byte
	lastRefresh time.Time
}

type topicState struct {
	name     string
	parts    []*partition // nil until metadata is known
	waiting  []record     // records waiting for metadata
	fetching bool         // a metadata request is in flight
	retryAt  time.Time    // next metadata attempt after a failure
	attempt  int
	sticky   int // partition for records without a key
	fetched  time.Time
	invalid  error // the name is not a valid topic name
}

type partition struct {
	t        *topicState
	id       int32
	pending  recQueue // records waiting to be sent, in order
	inflight bool
	sending  []record // the records of the request in flight
	active   bool     // in batcher.active
	retryAt  time.Time
	attempt  int // consecutive failed attempts
	maxRecs  int // cap on records per request after a too-large error; 0 for none
}

type produceResult struct {
	p       *partition
	n       int // records sent: the first n of p.pending
	recErrs map[int]error
	err     error
}

type metaResult struct {
	t     *topicState
	parts int
	err   error
}

// metadataMaxAge is how often a topic's partition count is re-read.
const metadataMaxAge = time.Minute

func newBatcher(s *Sink) *batcher {
	ctx, cancel := context.WithCancel(context.Background())
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &batcher{
		s:       s,
		cfg:     s.cfg,
		tr:      s.tr,
		ctx:     ctx,
		cancel:  cancel,
		topics:  make(map[string]*topicState),
		results: make(chan *produceResult, s.cfg.MaxInFlight),
		metas:   make(chan *metaResult, 16),
		ticker:  time.NewTicker(s.cfg.Period),
		timer:   t,
		// Enough records for every request in flight and the next ones.
		holdLimit: 2 * s.cfg.BatchSizeLimit * s.cfg.MaxInFlight,
	}
}

func (b *batcher) run() {
	defer close(b.s.done)
	defer b.ticker.Stop()
	defer b.timer.Stop()
	for {
		b.pull()
		b.evictOldest()
		b.dispatch()
		b.armTimer()
		select {
		case <-b.s.wake:
		case <-b.ticker.C:
			b.periodDue = true // pull checks the expiry clock too
		case <-b.timer.C:
			b.timerAt = time.Time{}
		case r := <-b.results:
			b.handleResult(r)
		case m := <-b.metas:
			b.handleMeta(m)
		case <-b.s.stop:
			// Close saw everything delivered: nothing is in flight.
			b.cancel()
			b.wg.Wait()
			b.tr.close()
			return
		case <-b.s.abort:
			b.abortAll()
			return
		}
	}
}

// pull takes the entries that are due from the queue: full batches at any
// time, everything when the period has passed, on the first entry, or when
// a Flush or Close waits.
func (b *batcher) pull() {
	s := b.s
	s.mu.Lock()
	b.checkpoint(s.seq)
	b.expireQueued()
	n := s.queue.len()
	if n == 0 {
		b.periodDue = false
	}
	all := b.periodDue || s.eager || len(s.waiters) > 0 || s.closed
	if !all {
		n -= n % b.cfg.BatchSizeLimit
	}
	// Take no more than the partitions can send soon: the rest waits in
	// the queue, where DropOldest can reach it.
	n = min(n, b.holdLimit-b.sendable())
	if n <= 0 {
		s.mu.Unlock()
		b.dropExpired()
		return
	}
	s.eager = false
	b.segs, b.taken = s.queue.detach(b.taken[:0], n, b.segs[:0])
	if s.queue.len() == 0 {
		b.periodDue = false
	}
	s.mu.Unlock()
	b.dropExpired()

	b.routed = 0
	for _, sg := range b.segs {
		b.routeAll(sg.live())
		releaseSegment(sg)
	}
	b.routeAll(b.taken)
	if b.routed%b.cfg.BatchSizeLimit != 0 {
		b.nextBatch()
	}
	clear(b.segs)
	clear(b.taken)
}

// routeAll routes recs, starting a new batch every BatchSizeLimit records.
func (b *batcher) routeAll(recs []record) {
	for i := range recs {
		b.route(&recs[i])
		if b.routed++; b.routed%b.cfg.BatchSizeLimit == 0 {
			b.nextBatch()
		}
	}
}

// nextBatch sends the next batch of unkeyed records of every topic to the
// next partition.
func (b *batcher) nextBatch() {
	for _, t := range b.topics {
		if t.parts != nil && t.parts[t.sticky].pending.len() > 0 {
			b.advanceSticky(t)
		}
	}
}

// sendable counts the records the batcher holds for destinations that
// work, which it will send soon. Records for a failing partition or a
// topic whose metadata failed do not count, so that one failing
// destination cannot hold up the others: they wait (within the queue's
// limits) for their retry or RetryTimeLimit.
func (b *batcher) sendable() int {
	n := 0
	for _, p := range b.active {
		if p.attempt == 0 {
			n += p.pending.len()
		}
	}
	for _, t := range b.topics {
		if t.attempt == 0 {
			n += len(t.waiting)
		}
	}
	return n
}

// evictOldest serves DropOldest when the queue is empty and the batcher
// holds everything (an outage): it drops the oldest entries it holds that
// are not in flight until the sink is back within its limits. Retries move
// records between partitions, so a partition's records are not always in
// order: it sorts them all to find the oldest.
func (b *batcher) evictOldest() {
	s := b.s
	s.mu.Lock()
	if !s.evict {
		s.mu.Unlock()
		return
	}
	s.evict = false
	for s.held > s.cfg.QueueLimit {
		n := s.held - s.cfg.QueueLimit
		seqs := b.seqs[:0]
		for _, p := range b.active {
			for _, r := range p.pending.items()[p.pending.pinned:] {
				seqs = append(seqs, r.seq)
			}
		}
		for _, t := range b.topics {
			for _, r := range t.waiting {
				seqs = append(seqs, r.seq)
			}
		}
		b.seqs = seqs
		if len(seqs) == 0 {
			// Nothing of ours but requests in flight: the queue's entries
			// are the oldest left.
			if s.queue.len() == 0 {
				break // all in flight: the limits hold again once they are answered
			}
			evicted := s.queue.take(nil, min(n, s.queue.len()))
			s.mu.Unlock()
			s.dropped(ReasonQueueFull, evicted, nil)
			s.finalize(evicted, false)
			s.mu.Lock()
			continue
		}
		slices.Sort(seqs)
		limit := seqs[min(n, len(seqs))-1]
		var evicted []record
		for _, p := range b.active {
			evicted = p.pending.evictAfterPinned(limit, evicted)
		}
		for _, t := range b.topics {
			t.waiting, evicted = splitBySeq(t.waiting, limit, evicted)
		}
		s.mu.Unlock()
		b.drop(ReasonQueueFull, nil, evicted...)
		s.mu.Lock()
	}
	s.mu.Unlock()
}

// dropExpired accounts for what expireQueued took out of the queue.
func (b *batcher) dropExpired() {
	if len(b.expired) > 0 {
		b.s.dropped(ReasonRetriesExhausted, b.expired, nil)
		b.s.finalize(b.expired, false)
		clear(b.expired)
		b.expired = b.expired[:0]
	}
}

// route decides the record's topic, key, headers and value, and queues it
// on its partition, or on its topic until the topic's metadata is known.
func (b *batcher) route(r *record) {
	// A panicking TopicDecider, KeyDecider, HeaderDecider or Formatter
	// costs its entry, not the process: this goroutine is not the caller's.
	defer func() {
		if v := recover(); v != nil {
			b.drop(ReasonNotRetriable, &FormatError{Err: fmt.Errorf("panic in a Config callback: %v", v)}, *r)
		}
	}()
	cfg := b.cfg
	e := r.entry()
	name := cfg.Topic
	if cfg.TopicDecider != nil {
		if d := cfg.TopicDecider(e); d != "" {
			name = d
		}
	}
	t := b.topics[name]
	if t == nil {
		t = &topicState{name: strings.Clone(name)}
		if err := checkTopicName(name); err != nil {
			t.invalid = err
		}
		b.topics[t.name] = t
	}
	if t.invalid != nil {
		b.drop(ReasonNotRetriable, &ProduceError{Topic: t.name, Partition: -1, Records: 1, Err: t.invalid}, *r)
		return
	}

	r.value = r.data
	key := e.Key
	if cfg.KeyDecider != nil {
		key = cfg.KeyDecider(e)
	}
	if cfg.Formatter != nil {
		v, err := cfg.Formatter.Format(b.fmtBuf[:0], e)
		b.fmtBuf = v[:0]
		if err != nil {
			b.drop(ReasonNotRetriable, &FormatError{Err: err}, *r)
			return
		}
		if len(v) > cfg.MaxEntryBytes {
			b.drop(ReasonTooLarge, nil, *r)
			return
		}
		r.value = b.keep(r, v, len(v)+len(key))
	}
	if key != nil {
		r.key = b.keep(r, key, len(key))
	}
	r.headers = cfg.Headers
	var extra []Header
	if cfg.HeaderDecider != nil {
		extra = cfg.HeaderDecider(e)
	}
	if len(e.Headers) > 0 || len(extra) > 0 {
		// e.Headers' values are in r's chunk, which lives as long as r.
		all := make([]Header, 0, len(cfg.Headers)+len(e.Headers)+len(extra))
		all = append(all, cfg.Headers...)
		all = append(all, e.Headers...)
		for _, h := range extra {
			all = append(all, Header{Key: h.Key, Value: slices.Clone(h.Value)})
		}
		r.headers = all
	}

	if t.parts == nil || b.now.Sub(t.fetched) > metadataMaxAge {
		b.fetchMetadata(t)
	}
	if t.parts == nil {
		t.waiting = append(t.waiting, *r)
		return
	}
	b.assign(t, *r)
}

// keep copies p into batcher-owned memory that lives as long as r; need is
// the room to reserve so that r's value and key share one chunk.
func (b *batcher) keep(r *record, p []byte, need int) []byte {
	if r.ext == nil {
		if b.ext == nil || cap(b.ext.buf)-len(b.ext.buf) < need {
			if b.ext != nil {
				b.ext.release()
			}
			b.ext = b.s.arena.get(need)
		}
		r.ext = b.ext
		r.ext.refs.Add(1)
	}
	off := len(r.ext.buf)
	r.ext.buf = append(r.ext.buf, p...)
	return r.ext.buf[off:len(r.ext.buf):len(r.ext.buf)]
}

// assign queues r on its partition: by key hash, or the sticky partition.
func (b *batcher) assign(t *topicState, r record) {
	var p *partition
	if r.key != nil {
		p = t.parts[int(murmur2(r.key)&0x7fffffff)%len(t.parts)]
	} else {
		p = t.parts[t.sticky]
	}
	b.enqueue(p, r)
}

func (b *batcher) enqueue(p *partition, recs ...record) {
	p.pending.push(recs...)
	if !p.active {
		p.active = true
		b.active = append(b.active, p)
	}
}

// advanceSticky moves t's sticky partition to the next one that is not
// failing, if there is one.
func (b *batcher) advanceSticky(t *topicState) {
	n := len(t.parts)
	for i := 1; i <= n; i++ {
		j := (t.sticky + i) % n
		if t.parts[j].attempt == 0 {
			t.sticky = j
			return
		}
	}
	t.sticky = (t.sticky + 1) % n
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
		if t.parts != nil {
			return // keep using what we know; the next request retries
		}
		t.attempt++
		t.retryAt = time.Now().Add(b.backoff(t.attempt))
		err := &ProduceError{Topic: t.name, Partition: -1, Records: len(t.waiting), Err: b.explain(m.err)}
		if classify(m.err) == classNotRetriable {
			b.drop(ReasonNotRetriable, err, t.waiting...)
			t.waiting = t.waiting[:0]
			return
		}
		b.s.rep.report(err)
		b.lastErr = err
		b.expire(t.waiting, func(r []record) { t.waiting = r }, err)
		return
	}
	b.connected = true
	t.attempt, t.retryAt, t.fetched = 0, time.Time{}, time.Now()
	for i := len(t.parts); i < m.parts; i++ {
		t.parts = append(t.parts, &partition{t: t, id: int32(i)})
	}
	waiting := t.waiting
	t.waiting = nil
	for i, r := range waiting {
		b.assign(t, r)
		if (i+1)%b.cfg.BatchSizeLimit == 0 || i == len(waiting)-1 {
			b.advanceSticky(t)
		}
	}
}

// dispatch sends a request for every partition that has records, no
// request in flight and no backoff running, up to MaxInFlight requests.
func (b *batcher) dispatch() {
	now := time.Now()
	n := len(b.active)
	for i := 0; i < n && b.inflight < b.cfg.MaxInFlight; i++ {
		p := b.active[(b.next+i)%n]
		if p.inflight || p.pending.len() == 0 || now.Before(p.retryAt) {
			continue
		}
		b.send(p)
	}
	if n > 0 {
		b.next = (b.next + 1) % n
	}
	// Forget partitions with nothing to do.
	b.active = slices.DeleteFunc(b.active, func(p *partition) bool {
		if !p.inflight && p.pending.len() == 0 {
			p.active = false
			return true
		}
		return false
	})
}

// send starts a produce request with the first records of p.
func (b *batcher) send(p *partition) {
	limit := b.cfg.BatchSizeLimit
	if p.maxRecs > 0 {
		limit = min(limit, p.maxRecs)
	}
	k, size := 0, 0
	pending := p.pending.items()
	for k < len(pending) && k < limit {
		r := &pending[k]
		sz := len(r.value) + len(r.key) + recordOverhead
		for _, h := range r.headers {
			sz += len(h.Key) + len(h.Value) + 2
		}
		if k > 0 && size+sz > b.cfg.MaxBatchBytes {
			break
		}
		size += sz
		k++
	}
	// The request reads the records where they are: they stay at the
	// front of p.pending, pinned, until the answer comes.
	batch := pending[:k:k]
	p.pending.pinned = k
	p.inflight, p.sending = true, batch
	b.inflight++
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		ctx, cancel := context.WithTimeout(b.ctx, b.cfg.WriteTimeout)
		recErrs, err := b.tr.produce(ctx, p.t.name, p.id, batch)
		cancel()
		// Never blocks: there are at most MaxInFlight results.
		b.results <- &produceResult{p: p, n: k, recErrs: recErrs, err: err}
	}()
}

// recordOverhead is a generous estimate of a record's framing bytes.
const recordOverhead = 32

func (b *batcher) handleResult(r *produceResult) {
	p := r.p
	p.inflight, p.sending, p.pending.pinned = false, nil, 0
	b.inflight--
	recs := p.pending.items()[:r.n]

	if r.err == nil && len(r.recErrs) == 0 {
		b.connected = true
		p.attempt, p.retryAt, p.maxRecs = 0, time.Time{}, 0
		b.lastErr = nil
		var bytes uint64
		for i := range recs {
			bytes += uint64(len(recs[i].value))
		}
		b.s.c.delivered.Add(uint64(len(recs)))
		b.s.c.batches.Add(1)
		b.s.c.bytes.Add(bytes)
		b.s.finalize(recs, true)
		p.pending.popFront(len(recs))
		return
	}

	if len(r.recErrs) > 0 {
		// The broker refused single records, and with them the request:
		// drop those, send the others again.
		keep := make([]record, 0, p.pending.len())
		for i := range recs {
			if err, bad := r.recErrs[i]; bad {
				b.drop(ReasonNotRetriable, &ProduceError{Topic: p.t.name, Partition: p.id, Records: 1, Err: err}, recs[i])
			} else {
				keep = append(keep, recs[i])
			}
		}
		p.pending.set(append(keep, p.pending.items()[len(recs):]...))
		return
	}

	perr := &ProduceError{Topic: p.t.name, Partition: p.id, Records: len(recs), Err: b.explain(r.err)}
	switch classify(r.err) {
	case classTooLarge:
		if len(recs) == 1 {
			b.drop(ReasonTooLarge, perr, recs...)
			p.pending.popFront(1)
			return
		}
		// Kafka does not say which record is too large: halve the
		// request until it does.
		p.maxRecs = max(1, len(recs)/2)
		return
	case classNotRetriable:
		b.drop(ReasonNotRetriable, perr, recs...)
		p.pending.popFront(len(recs))
		return
	case classStaleMeta:
		b.refreshMetadata(p.t, p.attempt >= reconnectAfter)
	}

	b.s.rep.report(perr)
	b.lastErr = perr
	b.s.c.retries.Add(uint64(len(recs)))
	p.attempt++
	p.retryAt = time.Now().Add(b.backoff(p.attempt))
	b.expire(p.pending.items(), p.pending.set, perr)

	// Records without a key need not wait for this partition: move them
	// to one that works, if the topic has one.
	if len(p.t.parts) > 1 {
		t := p.t
		if t.parts[t.sticky] == p {
			b.advanceSticky(t)
		}
		if q := t.parts[t.sticky]; q != p && q.attempt == 0 {
			pending := p.pending.items()
			keep := pending[:0]
			var moved []record
			for _, r := range pending {
				if r.key == nil {
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

// checkpoint is a point of the sink's acceptance clock: seq entries had
// been accepted by at.
type checkpoint struct {
	seq uint64
	at  time.Time
}

// checkpoint notes that seq entries have been accepted by now. The clock
// keeps about 64 points per RetryTimeLimit, so entries expire within
// RetryTimeLimit/64 of their time, without a clock read per Write.
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

// expireQueued takes the queued entries accepted more than RetryTimeLimit
// ago out of the queue (into b.expired), as Kafka's delivery.timeout.ms
// does: an entry that waited that long behind an outage or a backlog is
// given up. Called with s.mu held; dropExpired finishes the job.
func (b *batcher) expireQueued() {
	limit := b.expiredSeq()
	q := &b.s.queue
	for q.len() > 0 && q.front().seq <= limit {
		b.expired = q.take(b.expired, 1)
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

// armTimer sets the timer for the earliest retry still to come.
func (b *batcher) armTimer() {
	var at time.Time
	for _, p := range b.active {
		if !p.inflight && p.pending.len() > 0 && !p.retryAt.IsZero() && (at.IsZero() || p.retryAt.Before(at)) {
			at = p.retryAt
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
	if at.Equal(b.timerAt) {
		return
	}
	b.timerAt = at
	b.timer.Stop()
	if !at.IsZero() {
		b.timer.Reset(time.Until(at))
	}
}

// drop finalizes records the batcher gives up on.
func (b *batcher) drop(reason DropReason, cause error, recs ...record) {
	if len(recs) == 0 {
		return
	}
	b.s.dropped(reason, recs, cause)
	b.s.finalize(recs, false)
}

// abortAll drops everything still held when Close's context has ended,
// and records how many entries that was for Close to report.
func (b *batcher) abortAll() {
	b.cancel()
	s := b.s
	// Requests that have answered: take their outcome.
	for drained := false; !drained; {
		select {
		case r := <-b.results:
			b.handleResult(r)
		default:
			drained = true
		}
	}
	s.mu.Lock()
	queued := s.queue.take(nil, s.queue.len())
	s.mu.Unlock()
	all := queued
	for _, t := range b.topics {
		all = append(all, t.waiting...)
		for _, p := range t.parts {
			all = append(all, p.pending.items()...)
		}
	}
	s.abortCount = len(all)
	// Say why they were still here: the last error the batcher met.
	s.dropped(ReasonClosed, all, b.lastErr)

	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range queued {
		s.finalizeLocked(&queued[i], false)
	}
	for _, t := range b.topics {
		for i := range t.waiting {
			s.finalizeLocked(&t.waiting[i], false)
		}
		for _, p := range t.parts {
			// Records of a request still running count as undelivered
			// (its outcome is unknown). kafka-go may still be reading
			// their memory: it must not go back to the pool, so their
			// chunks leave it and are left to the garbage collector.
			for i, r := range p.pending.items() {
				if p.inflight && i < len(p.sending) {
					r.chunk.pool = nil
					if r.ext != nil {
						r.ext.pool = nil
					}
				}
				s.finalizeLocked(&r, false)
			}
		}
	}
	go func() {
		b.wg.Wait()
		b.tr.close()
	}()
}

// FormatError reports that Config.Formatter failed for an entry, or that a
// TopicDecider, KeyDecider, HeaderDecider or Formatter panicked.
type FormatError struct{ Err error }

func (e *FormatError) Error() string { return "kafkasink: formatter: " + e.Err.Error() }
func (e *FormatError) Unwrap() error { return e.Err }

// explain adds what a connection cut usually means when no request has
// succeeded yet: brokers that refuse a SASL login or speak another
// security protocol just close the connection, and kafka-go passes on a
// bare EOF or reset.
func (b *batcher) explain(err error) error {
	if b.connected || !connectionCut(err) {
		return err
	}
	c := b.cfg
	hint := "the broker closed the connection before any request succeeded: check that security protocol " +
		string(c.SecurityProtocol) + " is what the brokers' listener speaks (a TLS listener needs SSL or SASL_SSL, a plaintext one PLAINTEXT or SASL_PLAINTEXT)"
	if c.SecurityProtocol.usesSASL() {
		hint += saslHint(c.Config)
	}
	return &hintError{err: err, hint: hint}
}

// connectionCut reports whether err is a connection closed or reset by the
// peer, or a TLS handshake that met something other than TLS.
func connectionCut(err error) bool {
	var rh tls.RecordHeaderError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.As(err, &rh)
}

// hintError is an error with an explanation of its likely cause.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + " (" + e.hint + ")" }
func (e *hintError) Unwrap() error { return e.err }
