// Package zerologsink sends [zerolog] entries to Kafka. Its [Writer] is a
// [zerolog.LevelWriter] and an [io.Closer] in front of a [core.Sink], which
// does the batching, retrying and accounting.
//
//	w, err := zerologsink.New(zerologsink.Config{Sink: core.Config{Brokers: []string{"kafka:9092"}, Topic: "logs"}})
//	if err != nil { ... }
//	defer w.Close()
//	log := zerolog.New(w).With().Timestamp().Logger()
//
// To log to the console too, put the Writer first in a
// [zerolog.MultiLevelWriter]:
//
//	log := zerolog.New(zerolog.MultiLevelWriter(w, zerolog.ConsoleWriter{Out: os.Stderr}))
//
// # Who closes what
//
// [New] builds a sink from a [core.Config] and the Writer owns it:
// [Writer.Close] flushes it, waiting up to its Config.SyncTimeout, then
// closes it. [NewWriter] borrows a sink that the caller owns and may share
// with other loggers (zapsink, slogsink, other Writers): its
// [Writer.Close] and [Writer.Flush] flush the sink and leave it open, and
// the caller closes the sink itself, with [core.Sink.Close], once every
// logger is done.
//
// A program that exits without Close (or, for a borrowed sink, without
// closing the sink) loses what is still queued: defer it where the Writer
// is attached. zerolog's Logger.Fatal calls Close itself (below).
//
// # Records
//
// Each Write or WriteLevel call is one entry and one Kafka record: the
// Writer neither splits nor joins lines, so it suits zerolog and writers
// that pass its entries whole, not arbitrary byte streams. By default the
// record value is the entry's bytes exactly as zerolog encoded them, less
// zerolog's trailing newline: Kafka frames records, so the value is the bare
// JSON object (a "\r\n" ending goes too; any other byte stays). A
// [core.Config].Formatter can change the value; it runs on the sink's
// goroutine, not on the logging call.
//
// The Writer copies the entry into the sink's memory before returning, as
// zerolog reuses its buffer at once. The copy goes into a shared arena:
// after warm-up, logging costs no allocation.
//
// # Levels and routing
//
// zerolog passes each entry's level to WriteLevel; it becomes
// [core.Entry].Level: Trace, Debug, Info, Warn, Error, Fatal and Panic map to
// the core levels of the same name, and [zerolog.NoLevel] (the level of
// Logger.Log and of zerolog's stdlib log bridge) to [core.NoLevel], which
// sorts below every named level, so "Level >= core.ErrorLevel" never
// matches an entry that has no level. For a custom numeric level, and for
// plain Write (from writers that drop the level, such as zerolog's diode),
// the Writer reads the level field ([zerolog.LevelFieldName], as it is at
// the time of the call) without decoding the entry: names as
// [zerolog.LevelFieldMarshalFunc] prints them first, then as
// [core.ParseLevel] reads them; anything else is NoLevel.
//
// Other fields reach a TopicDecider, KeyDecider or HeaderDecider through
// [core.Entry.Field], exactly as for zapsink, so one decider serves both
// loggers:
//
//	TopicDecider: func(e core.Entry) string {
//		if e.Level >= core.ErrorLevel {
//			return "logs-errors"
//		}
//		return "logs-" + e.Field("service")
//	},
//
// The Writer leaves [core.Entry].Time zero (zerolog's time field is text in
// a format the user chooses; parsing it would cost a time.Parse per entry),
// so the record's timestamp is the time the sink produced it, usually within
// Config.Period of the log call, later if it was retried; the entry's own
// "time" field is unchanged in the value. Message and
// LoggerName are "": read the message with e.Field("message")
// ([zerolog.MessageFieldName]).
//
// # Input that is not zerolog's
//
// The Writer never validates an entry and never rejects one for its
// content: bytes that are not a JSON object (plain text, truncated JSON,
// invalid UTF-8) are delivered as they are (less one trailing newline), as
// one record. Their level is the one WriteLevel was given; for Write it is
// NoLevel, unless the bytes begin as a JSON object whose level field comes
// before the damage. Entry.Field returns "" for fields it cannot reach, so
// deciders send such entries to the default topic. An empty write is
// ignored. A malformed entry cannot affect its neighbours: each entry is
// copied whole into its own record.
//
// # Errors and dropped entries
//
// Write and WriteLevel return len(p), nil whenever the sink has taken
// charge of the entry, including when it refuses it: queue full, or shed
// for its level as the queue fills ([core.ErrQueueFull]), larger than
// MaxEntryBytes ([core.ErrTooLarge]), or written after Close
// ([core.ErrClosed]). The sink counts each refusal
// in [core.Sink.Stats], reports it through Config.ErrorHandler (by default
// at most one line a second on stderr) and writes the entry to
// Config.Fallback. Returning the error too would make zerolog print
// "zerolog: could not write event" on stderr for every entry during an
// outage, or while a Fatal entry's Close is flushing. The one error
// WriteLevel returns is a Panic entry's failed flush (below).
//
// # Fatal, Panic and Close
//
// zerolog's Logger.Fatal writes the entry, calls Close on its writer, then
// exits. [Writer.Close] flushes for up to the sink's Config.SyncTimeout
// (5s by default, as for zap's Sync), then closes the sink if the Writer
// owns it; entries an owned sink still holds then are dropped, counted and
// written to Fallback. zerolog's own wrappers
// ([zerolog.MultiLevelWriter], [zerolog.SyncWriter],
// [zerolog.FilteredLevelWriter], the diode writer) pass Close on; a wrapper
// that does not (such as [io.MultiWriter]) loses the entries still queued
// when the program exits. [zerolog.MultiLevelWriter] closes its writers in
// order and stops at the first error, and [zerolog.ConsoleWriter] closes
// its Out (os.Stderr too): put the Writer first, so that it is closed, and
// while stderr is still open for the sink's reports.
//
// Logger.Panic does not close its writer, so WriteLevel flushes the sink,
// up to SyncTimeout, before returning a Panic entry; zerolog then panics.
package zerologsink
