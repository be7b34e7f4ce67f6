package zerologsink

import (
	"context"
	"errors"
	"io"

	"github.com/rs/zerolog"

	"github.com/kafkasink/kafkasink/core"
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
// A Writer is safe for concurrent use: zerolog does no locking of its own.
type Writer struct {
	sink *core.Sink
}

var (
	_ zerolog.LevelWriter = (*Writer)(nil)
	_ io.Closer           = (*Writer)(nil)
)

// New returns a Writer that hands entries to sink. Closing the Writer
// closes sink. New panics if sink is nil.
func New(sink *core.Sink) *Writer {
	if sink == nil {
		panic("zerologsink: nil *core.Sink")
	}
	return &Writer{sink: sink}
}

// Open builds a [core.Sink] from cfg with [core.New] and returns a Writer
// for it. Like core.New, it validates cfg (an invalid one returns a
// [*core.ConfigError]) and does not touch the network. Close the Writer to
// close the sink.
func Open(cfg core.Config) (*Writer, error) {
	s, err := core.New(cfg)
	if err != nil {
		return nil, err
	}
	return New(s), nil
}

// Sink returns the sink the Writer hands entries to, for its
// [core.Sink.Stats], or to close it with a context of one's own.
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
// Config.SyncTimeout for it to deliver everything it holds
// ([core.Sink.Sync]), since zerolog panics without closing the Writer; if
// that fails, it returns len(p) and the error from Sync, which zerolog
// prints. Otherwise it returns len(p), nil,
// as Write does.
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
		// After Close, the entry was delivered or dropped and counted.
		if err := w.sink.Sync(); err != nil && !errors.Is(err, core.ErrClosed) {
			return len(p), err
		}
	}
	return len(p), nil
}

// isRejection reports whether err is how core.Sink.Write refuses an entry
// it has already accounted for.
func isRejection(err error) bool {
	return errors.Is(err, core.ErrQueueFull) || errors.Is(err, core.ErrTooLarge) || errors.Is(err, core.ErrClosed)
}

// Flush waits until every entry written before the call is delivered or
// dropped, or ctx ends; see [core.Sink.Flush].
func (w *Writer) Flush(ctx context.Context) error {
	return w.sink.Flush(ctx)
}

// Close flushes the sink, waiting up to its Config.SyncTimeout (5s by
// default), then closes it; see
// [core.Sink.Close]. Entries not delivered by then are dropped, counted and
// written to the sink's Fallback, and Close returns a
// [*core.UndeliveredError] counting them. zerolog's Logger.Fatal calls Close
// before it exits, so the Fatal entry and those before it reach Kafka.
//
// Close is idempotent: later calls return what the first returned. Entries
// written after Close are dropped and counted as Dropped.Closed.
func (w *Writer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), w.sink.SyncTimeout())
	defer cancel()
	return w.sink.Close(ctx)
}
