package core

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"time"
)

// Sink is a periodic-batching Kafka writer for log entries. Create it with
// [New]; hand it entries with [Sink.Write]; end it with [Sink.Close].
//
// A Sink is safe for concurrent use. Write copies what it keeps and never
// waits on the network; a background goroutine batches the queued entries
// and produces them to Kafka.
type Sink struct {
	cfg   *resolved
	tr    transport
	c     counters
	rep   *reporter
	arena *arena

	mu        sync.Mutex
	queue     segQueue // accepted, not yet taken by the batcher
	chunk     *chunk   // the chunk Write copies into
	held      int      // entries accepted and not yet delivered or dropped
	heldBytes int      // bytes of the chunks they pin
	dataBytes int      // bytes of their JSON
	seq       uint64   // entries accepted so far
	closed    bool
	eager     bool           // the next entry is the first: send it at once
	evict     bool           // DropOldest went over the limits: the batcher must drop its oldest
	waiters   []*flushWaiter // Flush and Close calls waiting for delivery

	shedEntries, shedBytes int           // where load shedding starts
	room                   chan struct{} // closed when space frees up (Block policy)
	blocked                int           // Writes waiting on room

	wake       chan struct{} // Write → batcher: a batch is ready
	stop       chan struct{} // Close → batcher: stop
	abort      chan struct{} // Close → batcher: drop what is left, stop now
	done       chan struct{} // closed when the batcher has stopped
	closeOnce  sync.Once
	closeErr   error
	abortCount int // entries dropped because Close's context ended

	fallbackMu sync.Mutex
}

type flushWaiter struct {
	target    uint64 // entries accepted before the call: seq ≤ target
	remaining int    // of those, how many are still held
	dropped   int    // of those, how many were dropped
	done      chan struct{}
}

// New validates cfg and returns a running Sink. It never touches the
// network: a broker that is down at start-up does not slow or fail New, and
// entries written meanwhile are delivered once it is up (within
// RetryTimeLimit). An invalid configuration returns a [*ConfigError] naming
// the field.
func New(cfg Config) (*Sink, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	tr, err := newKafkaTransport(r)
	if err != nil {
		return nil, err
	}
	return newSink(r, tr), nil
}

func newSink(cfg *resolved, tr transport) *Sink {
	s := &Sink{
		cfg:   cfg,
		tr:    tr,
		arena: newArena(cfg.QueueByteLimit),
		eager: !cfg.DelayFirstEntry,
		room:  make(chan struct{}),
		wake:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		abort: make(chan struct{}),
		done:  make(chan struct{}),
	}
	s.rep = newReporter(cfg.ErrorHandler, &s.c)
	s.shedEntries, s.shedBytes = math.MaxInt, math.MaxInt
	if cfg.ShedThreshold < 1 {
		s.shedEntries = max(1, int(math.Ceil(float64(cfg.QueueLimit)*cfg.ShedThreshold)))
		s.shedBytes = max(1, int(math.Ceil(float64(cfg.QueueByteLimit)*cfg.ShedThreshold)))
	}
	b := newBatcher(s)
	go b.run()
	return s
}

// Write queues e for Kafka. It copies e.JSON (without its trailing
// newline), e.Key and e.Headers into sink-owned memory, so the caller may
// reuse them as soon as Write returns; Time, Level, LoggerName and Message
// are kept as they are.
//
// Write never waits on the network. When the queue is full it follows
// Config.OverflowPolicy: by default it drops e and returns ErrQueueFull at
// once. It returns ErrTooLarge for an entry over MaxEntryBytes and
// ErrClosed after Close. Every rejected entry is counted in [Stats] and
// written to Config.Fallback.
func (s *Sink) Write(e Entry) error {
	data := trimNewline(e.JSON)
	n := len(data) + len(e.Key)
	if len(e.Headers) > 0 {
		n += headersLen(e.Headers)
	}
	if n > s.cfg.MaxEntryBytes {
		s.dropRejected(data, e.Level, ReasonTooLarge)
		return ErrTooLarge
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.dropRejected(data, e.Level, ReasonClosed)
		return ErrClosed
	}
	if e.Level < s.cfg.ShedLevel && s.shedding() {
		s.mu.Unlock()
		s.dropRejected(data, e.Level, ReasonShed)
		return ErrQueueFull
	}
	if !s.makeRoom(n) {
		s.mu.Unlock()
		s.dropRejected(data, e.Level, ReasonQueueFull)
		return ErrQueueFull
	}
	c := s.chunk
	if c == nil || cap(c.buf)-len(c.buf) < n {
		c = s.newChunk(n)
	}
	off := len(c.buf)
	c.buf = append(c.buf, data...)
	r := record{
		data:       c.buf[off:len(c.buf):len(c.buf)],
		chunk:      c,
		time:       unixNano(e.Time),
		level:      e.Level,
		loggerName: e.LoggerName,
		message:    e.Message,
	}
	if e.Key != nil {
		off = len(c.buf)
		c.buf = append(c.buf, e.Key...)
		r.ekey = c.buf[off:len(c.buf):len(c.buf)]
	}
	if len(e.Headers) > 0 {
		off = len(c.buf)
		c.buf = appendHeaders(c.buf, e.Headers)
		r.ehdrs = c.buf[off:len(c.buf):len(c.buf)]
	}
	c.refs.Add(1)
	s.seq++
	s.held++
	s.dataBytes += len(data)
	r.seq = s.seq
	s.queue.push(r)
	signal := s.eager || s.queue.len() == s.cfg.BatchSizeLimit
	s.mu.Unlock()
	if signal {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// makeRoom reports whether an entry of n bytes fits, applying the overflow
// policy. It is called with s.mu held, and may release it while it waits.
func (s *Sink) makeRoom(n int) bool {
	fits := func() bool {
		if s.held >= s.cfg.QueueLimit {
			return false
		}
		if s.chunk != nil && cap(s.chunk.buf)-len(s.chunk.buf) >= n {
			return true
		}
		return s.heldBytes+s.chunkBytes(n) <= s.cfg.QueueByteLimit
	}
	if fits() {
		return true
	}
	switch s.cfg.OverflowPolicy {
	case DropOldest:
		// The oldest entries are usually the batcher's (it takes from the
		// queue in order): take the new entry a little over the limits and
		// have the batcher drop the oldest of all.
		if s.held < s.cfg.QueueLimit+evictSlack && s.heldBytes+s.chunkBytes(n) <= s.cfg.QueueByteLimit {
			s.evict = true
			select {
			case s.wake <- struct{}{}:
			default:
			}
			return true
		}
		// The batcher lags behind, or memory is short (which dropping the
		// batcher's entries would not cure at once: memory frees up by
		// whole chunks, and requests in flight pin theirs): drop the oldest
		// queued entries here.
		for !fits() && s.queue.len() > 0 {
			r := *s.queue.front()
			s.queue.take(nil, 1)
			s.dropped(ReasonQueueFull, []record{r}, nil)
			s.finalizeLocked(&r, false)
		}
		return fits()
	case Block:
		deadline := time.NewTimer(s.cfg.BlockTimeout)
		defer deadline.Stop()
		for !fits() {
			if s.closed {
				return false
			}
			room := s.room
			s.blocked++
			s.mu.Unlock()
			select {
			case <-room:
				s.mu.Lock()
				s.blocked--
			case <-deadline.C:
				s.mu.Lock()
				s.blocked--
				return fits() && !s.closed
			}
		}
		return !s.closed
	}
	return false
}

// shedding reports whether the queue is over ShedThreshold. Called with
// s.mu held.
func (s *Sink) shedding() bool {
	return s.held >= s.shedEntries || s.dataBytes >= s.shedBytes
}

// evictSlack is how far DropOldest may go over QueueLimit before the
// batcher has dropped its oldest entries to make room. QueueByteLimit,
// the memory bound, is never exceeded.
const evictSlack = 1000

// chunkBytes is the memory an entry of n bytes may need: a new chunk.
func (s *Sink) chunkBytes(n int) int {
	if n > s.arena.size/4 {
		return n
	}
	return s.arena.size
}

// newChunk replaces the chunk being filled. Called with s.mu held.
func (s *Sink) newChunk(n int) *chunk {
	if n > s.arena.size/4 {
		// A large entry gets a chunk of its own; the current one stays.
		c := s.arena.get(n)
		s.heldBytes += cap(c.buf)
		c.refs.Add(-1) // no filling reference: its one record holds it
		return c
	}
	if old := s.chunk; old != nil && old.release() {
		s.heldBytes -= cap(old.buf)
	}
	s.chunk = s.arena.get(n)
	s.heldBytes += cap(s.chunk.buf)
	return s.chunk
}

// finalizeLocked releases a record that is delivered or dropped, and wakes
// the Flush calls and blocked Writes waiting for it. Called with s.mu held.
func (s *Sink) finalizeLocked(r *record, delivered bool) {
	s.account(r, delivered)
	if r.chunk.releaseN(1) {
		s.heldBytes -= cap(r.chunk.buf)
	}
	if r.ext != nil {
		r.ext.releaseN(1)
	}
	s.roomFreed()
}

// account counts a finalized record out of the queue and the waits for
// it. Called with s.mu held.
func (s *Sink) account(r *record, delivered bool) {
	s.held--
	s.dataBytes -= len(r.data)
	for i := 0; i < len(s.waiters); i++ {
		w := s.waiters[i]
		if r.seq <= w.target {
			if !delivered {
				w.dropped++
			}
			if w.remaining--; w.remaining == 0 {
				close(w.done)
				s.waiters = append(s.waiters[:i], s.waiters[i+1:]...)
				i--
			}
		}
	}
}

// roomFreed wakes the Writes blocked for room. Called with s.mu held.
func (s *Sink) roomFreed() {
	if s.blocked > 0 {
		close(s.room)
		s.room = make(chan struct{})
	}
}

// finalize is finalizeLocked for a batch of records, taking s.mu once and
// releasing each chunk once for its run of records.
func (s *Sink) finalize(recs []record, delivered bool) {
	if len(recs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := 0; i < len(recs); {
		c := recs[i].chunk
		j := i
		for ; j < len(recs) && recs[j].chunk == c; j++ {
			s.account(&recs[j], delivered)
			if recs[j].ext != nil {
				recs[j].ext.releaseN(1)
			}
		}
		if c.releaseN(int32(j - i)) {
			s.heldBytes -= cap(c.buf)
		}
		i = j
	}
	s.roomFreed()
}

// dropRejected accounts for an entry that Write refused.
func (s *Sink) dropRejected(data []byte, level Level, reason DropReason) {
	s.c.rejected.Add(1)
	s.dropped(reason, []record{{data: data, level: level}}, nil)
}

// dropped counts drops, reports them and hands them to the fallback. The
// records must already be finalized (or never accepted).
func (s *Sink) dropped(reason DropReason, recs []record, cause error) {
	if len(recs) == 0 {
		return
	}
	s.c.dropped[reason].Add(uint64(len(recs)))
	for i := range recs {
		if l := recs[i].level; l >= 0 && l < numLevels {
			s.c.byLevel[l].Add(1)
		}
	}
	s.rep.drop(reason, len(recs), cause)
	if w := s.cfg.Fallback; w != nil {
		s.fallbackMu.Lock()
		for i := range recs {
			_, err1 := w.Write(recs[i].data)
			_, err2 := w.Write(newline)
			if err := errors.Join(err1, err2); err != nil {
				s.rep.report(&FallbackError{Err: err})
			}
		}
		s.fallbackMu.Unlock()
	}
}

var newline = []byte{'\n'}

func trimNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// addWaiterLocked registers a wait for every entry accepted so far and
// wakes the batcher to send them now. Called with s.mu held.
func (s *Sink) addWaiterLocked() *flushWaiter {
	w := &flushWaiter{target: s.seq, remaining: s.held, done: make(chan struct{})}
	if w.remaining == 0 {
		close(w.done)
		return w
	}
	s.waiters = append(s.waiters, w)
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return w
}

// Flush sends everything queued without waiting for the batch size or the
// period, and returns once every entry accepted before the call is
// delivered or dropped, or ctx ends. It returns nil if all of them were
// delivered. Otherwise it returns an [*UndeliveredError] counting those not
// delivered: dropped ones (Err is ErrDropped), and, if ctx ended, those still
// pending (Err is ctx.Err()), which Flush leaves queued. It returns
// ErrClosed after Close.

func (s *Sink) Flush(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	w := s.addWaiterLocked()
	s.mu.Unlock()
	pending, dropped := s.wait(ctx, w)
	switch {
	case pending > 0:
		return &UndeliveredError{Count: pending + dropped, Err: ctx.Err()}
	case dropped > 0:
		return &UndeliveredError{Count: dropped, Err: ErrDropped}
	}
	return nil
}

// wait waits for w, or for ctx to end. It returns how many of w's entries
// are still pending (non-zero only if ctx ended) and how many were dropped.
func (s *Sink) wait(ctx context.Context, w *flushWaiter) (pending, dropped int) {
	select {
	case <-w.done:
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := slices.Index(s.waiters, w); i >= 0 {
		s.waiters = slices.Delete(s.waiters, i, i+1)
		return w.remaining, w.dropped
	}
	return 0, w.dropped
}

// Sync is Flush with Config.SyncTimeout as its deadline, for loggers whose
// flush takes no context (zap's Sync, zerolog's Close).
func (s *Sink) Sync() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.SyncTimeout)
	defer cancel()
	return s.Flush(ctx)
}

// SyncTimeout returns Config.SyncTimeout as the sink applies it.
func (s *Sink) SyncTimeout() time.Duration { return s.cfg.SyncTimeout }

// Close flushes the sink, stops its goroutines and releases its
// connections. Entries not delivered when ctx ends are dropped, counted as
// DroppedClosed and written to Config.Fallback; Close then returns an
// [*UndeliveredError] with their number (entries in flight at that moment
// count as undelivered, though Kafka may have them). Close returns by ctx's
// deadline whatever the brokers do. Later calls return what the first
// returned, and Write returns ErrClosed.
func (s *Sink) Close(ctx context.Context) error {
	s.closeOnce.Do(func() { s.closeErr = s.close(ctx) })
	return s.closeErr
}

func (s *Sink) close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	close(s.room) // blocked Writes see closed
	s.room = make(chan struct{})
	w := s.addWaiterLocked()
	s.mu.Unlock()

	pending, dropped := s.wait(ctx, w)
	defer s.releaseChunk()
	if pending == 0 {
		close(s.stop)
		<-s.done
		s.rep.flush()
		if dropped > 0 {
			return &UndeliveredError{Count: dropped, Err: ErrDropped}
		}
		return nil
	}
	// The batcher never waits on the network, so this is prompt: it
	// drops what is left (writing it to Fallback) and stops.
	close(s.abort)
	<-s.done
	s.rep.flush()
	return &UndeliveredError{Count: dropped + s.abortCount, Err: ctx.Err()}
}

// releaseChunk gives back the chunk Write was filling, once closed.
func (s *Sink) releaseChunk() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chunk != nil && s.chunk.release() {
		s.heldBytes -= cap(s.chunk.buf)
	}
	s.chunk = nil
}

// Stats returns a snapshot of the sink's counters.
func (s *Sink) Stats() Stats {
	s.mu.Lock()
	st := s.c.snapshot() // under s.mu: consistent with the queue's numbers
	st.Accepted = s.seq
	st.QueueDepth, st.QueueBytes = s.held, int64(s.heldBytes)
	s.mu.Unlock()
	st.Received = st.Accepted + s.c.rejected.Load()
	return st
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
