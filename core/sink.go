package core

import (
	"context"
	"sync/atomic"
	"time"
)

// Sink is a periodic-batching Kafka writer for log entries. Create it with
// [New]; hand it entries with [Sink.Write]; end it with [Sink.Close].
//
// A Sink is safe for concurrent use. Write copies what it keeps and never
// waits on the network; a background goroutine batches the queued entries
// and produces them to Kafka, and another calls the ErrorHandler and the
// Fallback.
type Sink struct {
	cfg   *resolved
	c     counters
	q     *queue
	rep   *reporter
	b     *batcher
	spool *spool // nil without SpoolDir

	closing   atomic.Bool   // Close has been called
	closeDone chan struct{} // closed when the first Close has returned
	closeErr  error         // what the first Close returned; read after closeDone
}

// New validates cfg and returns a running Sink. It never touches the
// network: a broker that is down at start-up does not slow or fail New, and
// entries written meanwhile are delivered once it is up (within
// RetryTimeLimit). An invalid configuration returns a [*ConfigError] naming
// the field.
//
// With SpoolDir, New opens the spool, recovering what an earlier process
// left there (damaged files are repaired and reported, never fatal): those
// entries are delivered first, before the new ones. It fails, with a
// *ConfigError naming SpoolDir, only if the directory cannot be created,
// written or locked (another sink has it open: [ErrSpoolLocked]).
func New(cfg Config) (*Sink, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	tr, err := newKafkaTransport(r)
	if err != nil {
		return nil, err
	}
	return newSink(r, tr)
}

func newSink(cfg *resolved, tr transport) (*Sink, error) {
	s := &Sink{cfg: cfg, closeDone: make(chan struct{})}
	var rec spoolRecovery
	if cfg.SpoolDir != "" {
		sp, r, err := openSpool(cfg.SpoolDir, spoolOptions{byteLimit: cfg.SpoolByteLimit, segmentBytes: cfg.spoolSegmentBytes, fs: cfg.spoolFS})
		if err != nil {
			tr.close()
			return nil, spoolConfigError(err)
		}
		s.spool, rec = sp, r
	}
	s.rep = newReporter(cfg, &s.c)
	s.q = newQueue(cfg, &s.c, s.rep)
	s.b = newBatcher(cfg, tr, s.q, &s.c, s.rep)
	if s.spool != nil {
		s.b.startSpool(s.spool, rec)
		go s.b.syncLoop()
	}
	go s.rep.run()
	go s.b.run()
	return s, nil
}

// Write queues e for Kafka. It copies e.JSON (without its trailing
// newline), e.Key and e.Headers into sink-owned memory, so the caller may
// reuse them as soon as Write returns; Time, Level, LoggerName and Message
// are kept as they are.
//
// Write never waits on the network and never calls user code. When the
// queue is full it follows Config.OverflowPolicy: by default it drops e and
// returns ErrQueueFull at once. It returns ErrTooLarge for an entry over
// MaxEntryBytes. Every entry it refuses is counted in [Stats], and handed
// to the sink's reporter goroutine, which reports it to Config.ErrorHandler
// (summed up) and writes it to Config.Fallback. Once Close has been
// called, Write only counts the entry (Dropped.Closed) and returns
// ErrClosed: it reports nothing and calls nothing.
func (s *Sink) Write(e Entry) error {
	data := trimNewline(e.JSON)
	n := entrySize(&e, data)
	var reason DropReason
	switch {
	case s.q.closed.Load():
		// After Close, whatever the entry (too large, or to be shed), it
		// is only counted; tryAdmit checks again under its shard's lock.
		reason = ReasonClosed
	case n-len(e.LoggerName)-len(e.Message) > s.cfg.MaxEntryBytes: // the record's bytes
		reason = ReasonTooLarge
	default:
		var ok bool
		if reason, ok = s.q.admit(&e, data, n); ok {
			return nil
		}
	}
	s.q.refuse(reason, data, e.Level)
	switch reason {
	case ReasonTooLarge:
		return ErrTooLarge
	case ReasonClosed:
		return ErrClosed
	}
	return ErrQueueFull
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

// Flush sends everything queued without waiting for the batch size or the
// period, and returns once every entry accepted before the call is
// delivered or dropped, or ctx ends. It returns nil if all of them were
// delivered. Otherwise it returns an [*UndeliveredError] counting those not
// delivered: those dropped since New (Err is ErrDropped), and, if ctx
// ended, those still pending (Err is ctx.Err()), which Flush leaves
// queued. It returns ErrClosed after Close. In durable mode, the entries
// replayed from SpoolDir count as accepted before any call, and those held
// on disk as pending; if Close leaves them in the spool meanwhile, Err is
// ErrLeftInSpool.
func (s *Sink) Flush(ctx context.Context) error {
	w := s.q.addWaiter(false)
	if w == nil {
		return ErrClosed
	}
	pending, dropped, left := s.q.wait(ctx, w)
	switch {
	case pending > 0 && left:
		return &UndeliveredError{Count: pending + dropped, Err: ErrLeftInSpool}
	case pending > 0:
		return &UndeliveredError{Count: pending + dropped, Err: ctx.Err()}
	case dropped > 0:
		return &UndeliveredError{Count: dropped, Err: ErrDropped}
	}
	return nil
}

// Config returns the configuration as the sink applies it: every zero
// field set to its default, Brokers trimmed of spaces, SecurityProtocol
// and SASLMechanism resolved. Adapters read it, for example, for the
// SyncTimeout of a sink they were given. The slices are copies; TLS is the
// *tls.Config given to New (the sink uses a clone), and the callbacks are
// those given. Its String redacts the password, as [Config.String] does.
func (s *Sink) Config() Config { return s.cfg.Config.clone() }

// Stats returns a snapshot of the sink's counters. It is cheap and safe to
// call from anywhere, callbacks included.
func (s *Sink) Stats() Stats { return s.q.stats() }

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
