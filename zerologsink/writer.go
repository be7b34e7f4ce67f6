package zerologsink

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/internal/flush"
)

// Writer sends zerolog's entries to Kafka through a [core.Sink]. It is a
// [zerolog.LevelWriter] and an [io.Closer]: give it to [zerolog.New], or to
// [zerolog.MultiLevelWriter] next to a console writer.
//
// Each call to Write or WriteLevel is one entry. The bytes are copied into
// the sink's memory before the call returns, so zerolog may reuse them;
// the Kafka record value is those bytes without their trailing newline.
// Write and WriteLevel never wait on the network (see [core.Config]'s
// OverflowPolicy), except for a Panic entry, which is flushed first.
//
// A Writer from [New] owns its sink; one from [NewWriter] borrows it (see
// the package documentation, "Who closes what"). A Writer is safe for
// concurrent use: zerolog does no locking of its own.
type Writer struct {
	sink    *core.Sink
	owned   bool          // New built the sink: Close closes it
	timeout time.Duration // the sink's Config.SyncTimeout
}

var (
	_ zerolog.LevelWriter = (*Writer)(nil)
	_ io.Closer           = (*Writer)(nil)
)

// Config configures [New]. The zero value is valid: entries go to topic
// "logs" on localhost:9092 (the defaults of [core.Config]).
type Config struct {
	// Sink configures the Kafka sink: brokers, topic, batching, routing,
	// security, and SyncTimeout, which bounds [Writer.Close] and the flush
	// after a Panic entry. See [core.Config] for each field's default.
	Sink core.Config
}

// New builds a [core.Sink] from cfg.Sink and returns a Writer handing
// entries to it. The Writer owns the sink: call [Writer.Close] when done
// logging (zerolog's Logger.Fatal calls it too), to deliver what is still
// queued and close the sink.
//
//	w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{Brokers: brokers, Topic: "app-logs"}})
//	if err != nil { ... }
//	defer w.Close()
//	log := zerolog.New(w).With().Timestamp().Logger()
//
// New fails if cfg.Sink is invalid (a [*core.ConfigError] names the
// field). Like [core.New], it does not touch the network.
func New(cfg Config) (*Writer, error) {
	s, err := core.New(cfg.Sink)
	if err != nil {
		return nil, err
	}
	w := NewWriter(s)
	w.owned = true
	return w, nil
}

// NewWriter returns a Writer that hands entries to sink, a sink the caller
// owns and may share with other loggers (zapsink, slogsink, other
// Writers). The Writer borrows it: [Writer.Close] and [Writer.Flush] flush
// it and leave it open; close it with [core.Sink.Close] once every logger
// is done. NewWriter panics if sink is nil.
func NewWriter(sink *core.Sink) *Writer {
	if sink == nil {
		panic("zerologsink: nil *core.Sink")
	}
	return &Writer{sink: sink, timeout: sink.Config().SyncTimeout}
}

// Sink returns the sink the Writer hands entries to, for its
// [core.Sink.Stats].
func (w *Writer) Sink() *core.Sink { return w.sink }

// Write queues the entry p, reading its level from its top-level field
// named [zerolog.LevelFieldName] (as it is at the time of the call); an
// entry without one, or that is not a JSON object, has [core.NoLevel]. zerolog calls WriteLevel instead; Write
// serves writers that drop the level, such as
// [github.com/rs/zerolog/diode].
//
// Write returns len(p), nil even when the sink refuses the entry (queue
// full or shed, too large, or sink closed): see the package documentation.
// An entry whose level field says panic is flushed as WriteLevel does.
func (w *Writer) Write(p []byte) (int, error) {
	return w.write(levelOf(p, zerolog.LevelFieldName), p)
}

// WriteLevel queues the entry p with level l, as zerolog's Logger does for
// every entry. zerolog's levels map to core's levels of the same name, and
// [zerolog.NoLevel] to [core.NoLevel]; for a level zerolog does not name (a
// custom numeric level), WriteLevel reads the level field as Write does.
//
// For [zerolog.PanicLevel], WriteLevel waits up to the sink's
// Config.SyncTimeout for it to deliver everything it holds, since zerolog
// panics without closing the Writer; if entries are still pending then, it
// returns len(p) and the flush's error (a [*core.UndeliveredError]), which
// zerolog prints. Entries the sink dropped (this one or earlier ones) are
// not an error here: the sink counted and reported them.
// Otherwise it returns len(p), nil, as Write does.
func (w *Writer) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	lvl, ok := coreLevel(l)
	if !ok {
		return w.Write(p)
	}
	return w.write(lvl, p)
}

func (w *Writer) write(l core.Level, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := w.sink.Write(core.Entry{Level: l, JSON: p}); err != nil {
		if isRejection(err) {
			// Counted in Stats, reported to the ErrorHandler and written
			// to Fallback by the sink: an error here would make zerolog
			// print a line per entry as well.
			return len(p), nil
		}
		return 0, err
	}
	if l == core.PanicLevel {
		if err := flush.Pending(w.sink, w.timeout); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// flush flushes the sink for up to its SyncTimeout. Once the sink is
// closed it returns nil: everything was delivered or dropped and counted.
// isRejection reports whether err is how core.Sink.Write refuses an entry
// it has already accounted for.
func isRejection(err error) bool {
	return errors.Is(err, core.ErrQueueFull) || errors.Is(err, core.ErrTooLarge) || errors.Is(err, core.ErrClosed)
}

// Flush waits until every entry written to the sink before the call is
// delivered or dropped, or ctx ends, whether the Writer owns the sink or
// not; see [core.Sink.Flush]. It returns nil if all of them were
// delivered, else a [*core.UndeliveredError] counting those that were not,
// and [core.ErrClosed] once the sink is closed.
func (w *Writer) Flush(ctx context.Context) error {
	return w.sink.Flush(ctx)
}

// Close delivers what is queued, waiting up to the sink's
// Config.SyncTimeout (5s by default). zerolog's Logger.Fatal calls Close
// before it exits, so the Fatal entry and those before it reach Kafka.
//
// A Writer from [New] owns its sink: Close then closes it (see
// [core.Sink.Close]); entries still undelivered when the time is up are
// dropped, counted and written to the sink's Fallback, and Close returns a
// [*core.UndeliveredError] counting them. Close is idempotent: later calls
// return what the first returned; entries written after Close are dropped
// and counted as Dropped.Closed.
//
// A Writer from [NewWriter] borrows its sink: Close only flushes it, and
// leaves it open for the other loggers, so entries written after Close
// still reach it. It returns nil if the sink's owner has already closed
// it.
func (w *Writer) Close() error {
	if !w.owned {
		return flush.Sync(w.sink, w.timeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.timeout)
	defer cancel()
	return w.sink.Close(ctx)
}
