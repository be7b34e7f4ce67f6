package core

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of a sink's counters, from [Sink.Stats]. Counters
// only grow. Every entry given to Write is counted once in Received, and
// every entry an earlier process left in SpoolDir once in Replayed; in the
// end each is counted once in Delivered or in one of the Dropped counters,
// and until then it is in QueueDepth:
//
//	Received + Replayed == Delivered + Dropped.Total() + QueueDepth
//
// Without SpoolDir, Replayed is 0. In durable mode QueueDepth includes the
// entries held on disk only, and after Close those it left in SpoolDir for
// the next process. (A snapshot is taken counter by counter while the sink
// runs, so the equation holds exactly only once the sink is idle or
// closed.)
type Stats struct {
	Received  uint64 // entries given to Write
	Accepted  uint64 // entries taken into the queue (Received less rejections by Write)
	Delivered uint64 // entries acknowledged by Kafka

	// Replayed counts the entries found in SpoolDir at New, left there
	// undelivered by an earlier process: those read back to be delivered
	// before new ones, and those lost to damaged files (in
	// Dropped.Corrupt).
	Replayed uint64

	Dropped        Drops       // entries given up, by reason
	DroppedByLevel LevelCounts // the same entries, by level

	Retries uint64 // records sent again after a failed attempt
	Batches uint64 // produce requests acknowledged
	Bytes   uint64 // record value bytes acknowledged

	QueueDepth int   // entries held: queued, in flight or waiting for a retry
	QueueBytes int64 // the memory their bytes take: the chunks they are copied into, and those of their formatted values, whole (QueueByteLimit bounds it)

	// FallbackDropped counts dropped entries that a Config.Fallback never
	// received: it could not keep up (its buffer was full), its Write
	// failed, Close left it behind, or they were written after Close. With
	// a Fallback set, once the sink is closed and its callbacks returned,
	// the entries the Fallback received plus FallbackDropped make
	// Dropped.Total().
	FallbackDropped uint64

	InFlight  int           // produce requests in flight
	OldestAge time.Duration // how long the oldest entry still held has been waiting; 0 if none
	Latency   Latency       // delivery latency of the entries delivered
	Topics    []TopicStats  // by topic, sorted by name; drops before routing (in Write, in the queue, a TopicDecider panicking or naming a topic Kafka refuses) have no topic

	Spool SpoolStats // the on-disk spool's figures; zero without SpoolDir

	LastError     error     // the most recent background error, nil if none
	LastErrorTime time.Time // when it happened
}

// Drops counts dropped entries by reason.
type Drops struct {
	QueueFull        uint64 // the queue was full (overflow policy)
	Shed             uint64 // below ShedLevel while the queue was over ShedThreshold
	TooLarge         uint64 // larger than MaxEntryBytes, or rejected by Kafka as too large
	RetriesExhausted uint64 // still failing when RetryTimeLimit ran out
	Closed           uint64 // written after Close, or undelivered when Close's context ended (in durable mode, only those not on disk)
	NotRetriable     uint64 // Kafka refused it for good (invalid topic, authorization, invalid record, Formatter error)
	Corrupt          uint64 // lost to a damaged spool file (SpoolDir): torn, corrupt or missing; by no level
}

// Total is the sum of all the reasons.
func (d Drops) Total() uint64 {
	return d.QueueFull + d.Shed + d.TooLarge + d.RetriesExhausted + d.Closed + d.NotRetriable + d.Corrupt
}

// SpoolStats are the figures of a sink's on-disk spool (Config.SpoolDir),
// in [Stats].Spool.
type SpoolStats struct {
	Bytes    int64  // bytes of the spool's segment and journal files (SpoolByteLimit bounds it)
	Records  uint64 // entries on disk not yet delivered or dropped, whether also in memory or not
	Segments int    // segment files

	Appended uint64 // entries this process wrote to the spool
	ReadBack uint64 // entries read back from disk: replayed, or spilled out of memory during an outage
	// Skipped counts the entries kept in memory only, not written to
	// disk, because the spool was full (SpoolByteLimit) or failed (a full
	// disk, an I/O error): like every entry without a spool, they are lost
	// if the process dies before they are delivered.
	Skipped uint64
	Errors  uint64 // failed writes, reads and fsyncs of the spool's files (reported to ErrorHandler)
	// Unwritten counts the entries accepted and not yet through a spool
	// write: queued for the next one, or in the one under way. They are
	// what a kill -9 would lose now. It stays near one SpoolInterval's
	// entries while the spool's writer keeps up; more means it is
	// behind: the CPU or the disk is slower than the log calls, or a
	// Formatter or decider is holding up the batching goroutine.
	Unwritten uint64
}

// LevelCounts counts entries by level, one field per [Level]; [LevelCounts.Get]
// reads the count of a level held in a variable. An entry whose Level is
// none of the named levels (nor NoLevel) is counted in no field.
type LevelCounts struct {
	NoLevel uint64 // entries without a level (zerolog's NoLevel, stdlib log bridges)
	Trace   uint64
	Debug   uint64
	Info    uint64
	Warn    uint64
	Error   uint64
	DPanic  uint64 // zap's DPanic
	Panic   uint64
	Fatal   uint64
}

// Get returns the count of level l: c.Info for InfoLevel, and so on; 0 for
// a value that is not a level.
func (c LevelCounts) Get(l Level) uint64 {
	switch l {
	case NoLevel:
		return c.NoLevel
	case TraceLevel:
		return c.Trace
	case DebugLevel:
		return c.Debug
	case InfoLevel:
		return c.Info
	case WarnLevel:
		return c.Warn
	case ErrorLevel:
		return c.Error
	case DPanicLevel:
		return c.DPanic
	case PanicLevel:
		return c.Panic
	case FatalLevel:
		return c.Fatal
	}
	return 0
}

// Total is the sum of all the levels.
func (c LevelCounts) Total() uint64 {
	return c.NoLevel + c.Trace + c.Debug + c.Info + c.Warn + c.Error + c.DPanic + c.Panic + c.Fatal
}

// DropReason is why an entry was dropped.
type DropReason int

// The drop reasons, one per [Drops] counter.
const (
	ReasonQueueFull DropReason = iota
	ReasonShed
	ReasonTooLarge
	ReasonRetriesExhausted
	ReasonClosed
	ReasonNotRetriable
	ReasonCorrupt
	numReasons
)

// String describes the reason as errors show it: "queue full", "too
// large", ….
func (r DropReason) String() string {
	switch r {
	case ReasonQueueFull:
		return "queue full"
	case ReasonShed:
		return "shed (queue nearly full, below ShedLevel)"
	case ReasonTooLarge:
		return "too large"
	case ReasonRetriesExhausted:
		return "retries exhausted"
	case ReasonClosed:
		return "closed"
	case ReasonNotRetriable:
		return "not retriable"
	case ReasonCorrupt:
		return "lost to a damaged spool file"
	}
	return "unknown"
}

// counters are the sink's live counters.
type counters struct {
	rejected  atomic.Uint64 // entries Write refused
	delivered atomic.Uint64
	dropped   [numReasons]atomic.Uint64
	byLevel   [numLevels]atomic.Uint64
	retries   atomic.Uint64
	batches   atomic.Uint64
	bytes     atomic.Uint64

	fallbackDropped atomic.Uint64

	// The spool's figures: its own as the batcher last read them (spoolOn
	// says there is a spool), and the sink's.
	spoolOn       atomic.Bool
	replayed      atomic.Uint64
	spoolBytes    atomic.Int64
	spoolRecords  atomic.Uint64
	spoolSegments atomic.Int64
	spoolAppended atomic.Uint64
	spoolReadBack atomic.Uint64
	spoolSkipped  atomic.Uint64
	spoolThrough  atomic.Uint64 // the seq up to which every entry is through a spool write (written, or kept in memory only)
	spoolErrors   atomic.Uint64

	inflight atomic.Int32
	oldest   atomic.Int64 // Unix nanoseconds of the oldest entry held; 0 if none
	latency  latencyCounters
	topics   topicRegistry

	errMu    sync.Mutex
	lastErr  error     // nil if the last error was lastDrop
	lastDrop DropError // the last drop, when it was last: made into an error by snapshot
	lastAt   time.Time
}

func (c *counters) setErr(err error) {
	c.errMu.Lock()
	c.lastErr, c.lastAt = err, time.Now()
	c.errMu.Unlock()
}

// setDrop records a drop as the last error without allocating it.
func (c *counters) setDrop(reason DropReason, n int, cause error) {
	c.errMu.Lock()
	c.lastErr, c.lastDrop, c.lastAt = nil, DropError{Reason: reason, Count: n, Err: cause}, time.Now()
	c.errMu.Unlock()
}

func (c *counters) snapshot() Stats {
	s := Stats{
		Delivered: c.delivered.Load(),
		Dropped: Drops{
			QueueFull:        c.dropped[ReasonQueueFull].Load(),
			Shed:             c.dropped[ReasonShed].Load(),
			TooLarge:         c.dropped[ReasonTooLarge].Load(),
			RetriesExhausted: c.dropped[ReasonRetriesExhausted].Load(),
			Closed:           c.dropped[ReasonClosed].Load(),
			NotRetriable:     c.dropped[ReasonNotRetriable].Load(),
			Corrupt:          c.dropped[ReasonCorrupt].Load(),
		},
		Replayed: c.replayed.Load(),
		Retries:  c.retries.Load(),
		Batches:  c.batches.Load(),
		Bytes:    c.bytes.Load(),

		FallbackDropped: c.fallbackDropped.Load(),

		InFlight: int(c.inflight.Load()),
		Latency:  c.latency.snapshot(),
		Topics:   c.topics.snapshot(),
	}
	if c.spoolOn.Load() {
		s.Spool = SpoolStats{
			Bytes:    c.spoolBytes.Load(),
			Records:  c.spoolRecords.Load(),
			Segments: int(c.spoolSegments.Load()),
			Appended: c.spoolAppended.Load(),
			ReadBack: c.spoolReadBack.Load(),
			Skipped:  c.spoolSkipped.Load(),
			Errors:   c.spoolErrors.Load(),
		}
	}
	if t := c.oldest.Load(); t != 0 {
		s.OldestAge = max(0, time.Since(time.Unix(0, t)))
	}
	s.DroppedByLevel = LevelCounts{
		NoLevel: c.byLevel[NoLevel].Load(),
		Trace:   c.byLevel[TraceLevel].Load(),
		Debug:   c.byLevel[DebugLevel].Load(),
		Info:    c.byLevel[InfoLevel].Load(),
		Warn:    c.byLevel[WarnLevel].Load(),
		Error:   c.byLevel[ErrorLevel].Load(),
		DPanic:  c.byLevel[DPanicLevel].Load(),
		Panic:   c.byLevel[PanicLevel].Load(),
		Fatal:   c.byLevel[FatalLevel].Load(),
	}
	c.errMu.Lock()
	s.LastError, s.LastErrorTime = c.lastErr, c.lastAt
	if s.LastError == nil && c.lastDrop.Count > 0 {
		d := c.lastDrop
		s.LastError = &d
	}
	c.errMu.Unlock()
	return s
}
