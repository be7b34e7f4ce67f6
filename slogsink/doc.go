// Package slogsink sends [log/slog] records to Kafka. Its [Handler] is a
// [slog.Handler] in front of a [core.Sink], which does the batching,
// retrying and accounting.
//
//	h, err := slogsink.New(slogsink.Config{Sink: core.Config{Brokers: []string{"kafka:9092"}, Topic: "app-logs"}})
//	if err != nil { ... }
//	defer h.Close()
//	logger := slog.New(h)
//
// To log to the console too, put it behind [slog.NewMultiHandler]:
//
//	logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(os.Stderr, nil), h))
//
// and to route the log package's output (log.Printf) to Kafka as well,
// make it the default: slog.SetDefault(logger).
//
// # Who closes what
//
// [New] builds a sink from a [core.Config] and the Handler owns it:
// [Handler.Close] flushes it, waiting up to its Config.SyncTimeout, then
// closes it. [NewHandler] borrows a sink that the caller owns and may share
// with other loggers (zap through zapsink, zerolog through zerologsink,
// other Handlers): its [Handler.Close] and [Handler.Flush] flush the sink
// and leave it open, and the caller closes the sink itself, with
// [core.Sink.Close], once every logger is done. Handlers derived with
// WithAttrs and WithGroup (and so loggers from Logger.With) share their
// parent's sink and ownership.
//
// Exiting without Close (or, for a borrowed sink, without closing the sink)
// loses what is still queued. slog has no Fatal level and never flushes
// its handler: call Close, or Flush, before os.Exit.
//
// # The JSON
//
// The record value is the JSON object [slog.NewJSONHandler] writes for the
// same record and options, byte for byte, without its trailing newline
// (Kafka frames records): the keys "time" (omitted if the record's time is
// zero), "level", "source" (with AddSource), "msg", then the attributes,
// groups as nested objects, with the same escaping, the same value
// encodings and the same [Options].ReplaceAttr calls, in the same order,
// with the same groups. The encoding is a port of slog's own (Go 1.26,
// BSD licence: see LICENSE.golang in this directory), not a wrapper of
// slog.JSONHandler, which writes to an io.Writer that cannot tell which
// record it gets.
//
// The differences: a time whose year is outside [0,9999], for which slog
// writes its error string followed by the time, which is not valid JSON,
// is one string holding both; and WithGroup("") returns the Handler
// itself, as the [slog.Handler] documentation asks (slog.Logger never
// calls it with "").
//
// As in slog, a value that fails to encode (NaN or ±Inf, a MarshalJSON
// that fails) is written as the string "!ERROR:…", a panicking
// MarshalJSON or Error method as "!PANIC: …" (or "<nil>" for a nil
// pointer), a [slog.LogValuer] that panics as "LogValue panicked" with a
// stack, and one that keeps returning LogValuers is given up on after 100
// calls, as an error string: the record is still delivered.
//
// # Levels, time and routing
//
// Each record becomes a [core.Entry] whose Level is [CoreLevel] of the
// record's level (Debug, Info, Warn and Error keep their names; a level
// between two of them rounds down; one below Debug is
// [core.TraceLevel]), whose Time is the record's time (zero stays zero:
// the Kafka record then gets the time it is produced), and whose Message is
// the record's message. zap's entries carry the same fields, so one
// TopicDecider serves zap, zerolog and slog:
//
//	TopicDecider: func(e core.Entry) string {
//		if e.Level >= core.ErrorLevel {
//			return "app-logs-errors"
//		}
//		return "" // Config.Topic
//	},
//
// Attributes reach the deciders through [core.Entry.Field] ("msg" and the
// top-level attributes; a group is its JSON object).
//
// # Context: record key and headers
//
// Handle gets the context of the log call (Logger.InfoContext and its
// kind), which zap and zerolog never see. [Options].FromContext turns it
// into the Kafka record's key and headers, outside the JSON: for example a
// trace id as a "traceparent" header, or a tenant id as the key so that a
// tenant's entries stay in order on one partition. It runs on the logging
// goroutine, since the context may be gone by the time the entry is sent.
//
// # Errors and dropped entries
//
// Handle never waits on the network (under the sink's Block overflow
// policy it waits, up to BlockTimeout, for room in the queue). When the
// sink refuses an entry
// (queue full, shed for its level, too large, sink closed), the sink
// counts it in [core.Sink.Stats], reports it to its ErrorHandler and
// writes it to its Fallback; Handle also returns the error, which
// slog.Logger discards.
//
// # Cost
//
// Handle encodes into a pooled buffer, which the sink copies into its own
// memory before Handle returns; WithAttrs encodes its attributes once. It
// allocates nothing beyond what slog's JSON handler allocates for the same
// record: nothing for strings, numbers, booleans, times and durations.
package slogsink
