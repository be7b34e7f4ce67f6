package core

import (
	"context"

	"sync"
	"sync/atomic"
	"time"

	"github.com/kafkasink/kafkasink/internal/goid"
	"github.com/segmentio/kafka-go/compress"
)

// batcher is the sink's background goroutine. It alone owns the topic and
// partition state: it takes entries from the queue when a batch is due,
// routes them (TopicDecider, KeyDecider, HeaderDecider, Formatter, the
// partitioner), and keeps at most one produce request in flight per
// partition, so order holds per partition. It reaches the queue through
// its methods only, and the outside world through the transport and the
// reporter.
//
// Its files, by concept: this one (the loop and its end), route.go
// (routing and partitioning), metadata.go, dispatch.go (requests and their
// results), retry.go (backoff and the retry timer), expire.go (the
// acceptance clock and RetryTimeLimit), abort.go (Close's deadline),
// durable.go and backlog.go (durable mode: the spool's writer, the backlog
// of spooled entries, spilling and reading back).
type batcher struct {
	cfg *resolved
	tr  transport
	q   *queue
	c   *counters
	rep *reporter

	ctx    context.Context // cancelled when the sink stops: ends requests in flight
	cancel context.CancelFunc
	wg     sync.WaitGroup // request and metadata goroutines

	topics map[string]*topicState
	flights

	results chan *produceResult
	metas   chan *metaResult

	ticker    *time.Ticker
	timer     *time.Timer // the next retry
	timerAt   time.Time
	periodDue bool

	taken     []record   // the entries pull copied from the queue
	segs      []*segment // the queue segments pull took whole
	routed    int        // entries routed by this pull
	holdLimit int        // the most records held for destinations that work
	now       time.Time  // when pull started
	lastErr   error      // the last failure of a request, for the drops at Close
	connected bool       // a request succeeded: connection errors are not about the set-up
	clock     []checkpoint
	expired   []record // queued entries that pull found expired
	strays    []record // entries pull took but did not route: Close gave up
	halted    bool     // Close gave up: route no more
	ext       *chunk   // memory for formatted values, decided keys and headers
	fmtBuf    []byte
	hdrBuf    []byte
	names     interner // logger names and messages, for the callbacks' Entry
	plain     bool     // no TopicDecider, KeyDecider, HeaderDecider or Formatter
	dflt      *topicState
	static    []byte         // Config.Headers, encoded
	codec     compress.Codec // nil for none

	lastRefresh time.Time
	inCall      atomic.Int32  // the user callback running now (a callback), none if none
	gid         atomic.Uint64 // the batcher goroutine's id, for Close called from a callback

	durableState // durable mode (SpoolDir); spool nil without

	stop    chan struct{} // Close → batcher: everything is delivered, stop
	abort   chan struct{} // Close → batcher: drop what is left, stop now
	done    chan struct{} // closed when the batcher has stopped
	trDone  chan struct{} // closed when the transport is closed
	aborted int           // entries abortAll dropped; read after done
}

func newBatcher(cfg *resolved, tr transport, q *queue, c *counters, rep *reporter) *batcher {
	ctx, cancel := context.WithCancel(context.Background())
	t := time.NewTimer(time.Hour)
	t.Stop()
	b := &batcher{
		cfg:     cfg,
		tr:      tr,
		q:       q,
		c:       c,
		rep:     rep,
		ctx:     ctx,
		cancel:  cancel,
		topics:  make(map[string]*topicState),
		results: make(chan *produceResult, cfg.MaxInFlight),
		metas:   make(chan *metaResult, 16),
		ticker:  time.NewTicker(cfg.Period),
		timer:   t,
		// Enough records for every request in flight and the next ones.
		holdLimit: 2 * cfg.BatchSizeLimit * cfg.MaxInFlight,
		stop:      make(chan struct{}),
		abort:     make(chan struct{}),
		done:      make(chan struct{}),
		trDone:    make(chan struct{}),
		plain:     cfg.TopicDecider == nil && cfg.KeyDecider == nil && cfg.HeaderDecider == nil && cfg.Formatter == nil,
		static:    appendHeaders(nil, cfg.Headers),
		codec:     batchCodec(cfg.Compression),
		names:     interner{m: make(map[string]string)},
	}
	return b
}

func (b *batcher) run() {
	b.gid.Store(goid.ID())
	defer close(b.done)
	defer b.ticker.Stop()
	defer b.timer.Stop()
	var spoolTimer <-chan time.Time // nil without a spool: never fire
	var written <-chan *spoolBatch
	if b.spool != nil {
		spoolTimer, written = b.spoolTimer.C, b.writeRes
		defer b.spoolTimer.Stop()
		go b.writeLoop()
		defer func() {
			close(b.writeReq)
			<-b.writerDone
		}()
	}
	for {
		if b.spool != nil {
			b.pullDurable()
		} else {
			b.pull()
		}
		b.evictOldest()
		if b.aborting() {
			// Close gave up on delivery, maybe while pull was in a
			// callback: start no request, not even a retry, and drop what
			// is left now rather than when the select below sees it.
			b.abortAll()
			return
		}
		b.dispatch()
		if b.spool != nil {
			b.durableRound()
		}
		b.armTimer()
		b.noteOldest()
		select {
		case <-b.q.wake:
		case <-b.ticker.C:
			b.periodDue = true // pull checks the expiry clock too
		case <-b.timer.C:
			b.timerAt = time.Time{}
		case <-spoolTimer:
			b.spoolArmed, b.spoolTick = false, true
		case wb := <-written:
			b.written(wb)
		case r := <-b.results:
			b.handleResult(r)
		case m := <-b.metas:
			b.handleMeta(m)
		case <-b.stop:
			// Close saw everything delivered: nothing is in flight. A
			// metadata request may be: it ends with b.ctx, and kafka-go
			// is not waited for here.
			if b.spool != nil {
				if b.writing {
					b.written(<-b.writeRes)
				}
				b.releaseReadBack() // the writer acknowledges the last as it stops
			}
			b.releaseExt() // counted in QueueByteLimit: Stats reads 0 once closed
			b.cancel()
			go b.closeTransport()
			return
		case <-b.abort:
			b.abortAll()
			return
		}
	}
}

// end stops the batcher for Close: at once if everything was delivered,
// else after dropping what is left (abort; in durable mode, what is
// spooled stays in the spool instead). It waits until the batcher has
// stopped, or until hard if it is in a callback (until late if it is doing
// its own work: dropping what it holds). It returns how
// many entries it left in the spool, or what it left behind if the batcher
// was still in a callback then.
func (b *batcher) end(abort bool, hard, late <-chan struct{}) (inSpool int, left *AbandonedError) {
	if abort {
		close(b.abort)
	} else {
		close(b.stop)
	}
	if waitStopped(b.done, hard, late, func() bool { return b.inCall.Load() == int32(noCallback) }) {
		b.waitTransport(hard)
		return b.durableState.left, nil
	}
	name := callback(b.inCall.Load()).String()
	if name == "" {
		name = "the batcher"
	}
	return 0, &AbandonedError{Callback: name, Held: b.q.stats().QueueDepth, LeftRunning: true}
}

// waitStopped waits for done until hard; past hard, until late while own
// says the goroutine is doing its own work (not in a callback). It reports
// whether done came.
func waitStopped(done, hard, late <-chan struct{}, own func() bool) bool {
	select {
	case <-done:
		return true
	case <-hard:
	}
	if !own() {
		return false
	}
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for {
		select {
		case <-done:
			return true
		case <-late:
			return false
		case <-poll.C:
			if !own() {
				return false // it went into a callback
			}
		}
	}
}

// closeTransport waits for the requests still running, which the
// batcher's context has cancelled, then closes the transport's
// connections.
func (b *batcher) closeTransport() {
	b.wg.Wait()
	b.tr.close()
	close(b.trDone)
}

// waitTransport waits for closeTransport, or for hard: kafka-go may take
// its time to give up a request.
func (b *batcher) waitTransport(hard <-chan struct{}) {
	select {
	case <-b.trDone:
	case <-hard:
	}
}

// callback names a user callback, so that a panic or Close can say which
// one it was.
type callback int32

const (
	noCallback callback = iota
	callTopicDecider
	callKeyDecider
	callHeaderDecider
	callFormatter
)

func (c callback) String() string {
	switch c {
	case callTopicDecider:
		return "TopicDecider"
	case callKeyDecider:
		return "KeyDecider"
	case callHeaderDecider:
		return "HeaderDecider"
	case callFormatter:
		return "Formatter"
	}
	return ""
}

// calling notes that the batcher enters (or, with noCallback, leaves) a
// user callback.
func (b *batcher) calling(c callback) { b.inCall.Store(int32(c)) }

// drop gives up on records the batcher holds: see queue.drop.
func (b *batcher) drop(reason DropReason, cause error, recs ...record) {
	b.q.drop(reason, cause, recs)
}

// dropIn is drop for records routed to t, which counts them for t too.
func (b *batcher) dropIn(t *topicState, reason DropReason, cause error, recs ...record) {
	if len(recs) > 0 {
		t.stats.dropped.Add(uint64(len(recs)))
		b.drop(reason, cause, recs...)
	}
}

// noteOldest publishes the time of the oldest entry held, for
// Stats.OldestAge: the oldest of the first records of each partition and
// topic (retries can put an older record further back, so this is close,
// not exact), and of the queue's oldest entry, from the acceptance clock.
func (b *batcher) noteOldest() {
	var oldest int64
	older := func(t int64) {
		if t != 0 && (oldest == 0 || t < oldest) {
			oldest = t
		}
	}
	for _, p := range b.active {
		if p.pending.len() > 0 {
			older(p.pending.items()[0].time)
		}
	}
	for _, t := range b.topics {
		if len(t.waiting) > 0 {
			older(t.waiting[0].time)
		}
	}
	if run := b.bl.frontRun(); run != nil {
		older(b.acceptedBy(run.seq).UnixNano())
	} else if b.bl.mem.len() > 0 {
		older(b.bl.mem.front().time)
	}
	if seq, ok := b.q.oldestQueued(); ok {
		older(b.acceptedBy(seq).UnixNano())
	}
	b.c.oldest.Store(oldest)
}

// aborting reports whether Close has given up on delivery.
func (b *batcher) aborting() bool {
	select {
	case <-b.abort:
		return true
	default:
		return false
	}
}

// pull takes the entries that are due from the queue (see queue.take) and
// routes them, after dropping the queued entries that expired.
func (b *batcher) pull() {
	if limit := b.expiredSeq(); limit > 0 {
		b.expired = b.q.takeExpired(limit, b.expired[:0])
		if len(b.expired) > 0 {
			b.drop(ReasonRetriesExhausted, nil, b.expired...)
			clear(b.expired)
		}
	}
	// Take no more than the partitions can send soon: the rest waits in
	// the queue, where DropOldest can reach it.
	due := batchDue{periodDue: b.periodDue, limit: b.holdLimit - b.sendable()}
	if b.cfg.formats() && !b.formatRoom() {
		due.limit = 0 // no room for their values: they wait in the queue
	}
	var empty bool
	b.segs, b.taken, empty = b.q.take(due, b.segs[:0], b.taken[:0])
	b.checkpoint(b.q.seq.Load())
	if empty {
		b.periodDue = false
	}
	b.routed = 0
	// What it finds no room to format goes back to the queue, in order.
	var unfit []record
	for _, sg := range b.segs {
		live := sg.live()
		if unfit == nil {
			if k := b.routeFitting(live); k < len(live) {
				unfit = append(make([]record, 0, len(live)-k+len(b.taken)), live[k:]...)
			}
		} else {
			unfit = append(unfit, live...)
		}
		releaseSegment(sg)
	}
	if unfit == nil {
		if k := b.routeFitting(b.taken); k < len(b.taken) {
			unfit = b.taken[k:]
		}
	} else {
		unfit = append(unfit, b.taken...)
	}
	if len(unfit) > 0 {
		b.q.untake(unfit)
		b.periodDue = true // they were due: they go as soon as there is room
	}
	if b.routed%b.cfg.BatchSizeLimit != 0 {
		b.nextBatch()
	}
	clear(b.segs)
	clear(b.taken)
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
