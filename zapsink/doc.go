// Package zapsink ships [go.uber.org/zap] logs to Kafka through a
// [core.Sink]: as a [zapcore.Core] to combine with others, or as a
// kafka:// URL in zap.Config.OutputPaths.
//
// # Attaching
//
// [New] builds the sink from a [core.Config] and returns a [*Core] that
// encodes with zap's production JSON encoder:
//
//	kc, err := zapsink.New(zapsink.Config{Sink: core.Config{Brokers: brokers, Topic: "app-logs"}})
//	if err != nil { ... }
//	defer kc.Close()
//	logger := zap.New(zapcore.NewTee(consoleCore, kc))
//
// The Core works wherever zap takes a Core: alone, in zapcore.NewTee next
// to a console core, under zapcore.NewSamplerWithOptions. [NewCore] wraps a
// sink you built yourself with [core.New], for example one shared with a
// zerolog or slog logger, with the encoder and level of your choice.
//
// # Who closes what
//
// [New] builds a sink from a [core.Config] and the Core owns it:
// [Core.Close] flushes it, waiting up to its Config.SyncTimeout, then
// closes it. [NewCore] borrows a sink that the caller owns and may share
// with other loggers (zerologsink, slogsink, other Cores): its [Core.Close]
// and [Core.Sync] flush the sink and leave it open, and the caller closes
// the sink itself, with [core.Sink.Close], once every logger is done. Cores
// derived with With (and so loggers from Logger.With) share their parent's
// sink and ownership.
//
// A program that exits without Close (or, for a borrowed sink, without
// closing the sink) loses what is still queued, unless Logger.Sync ran
// after the last entry: defer it where the Core is attached.
//
// # Routing
//
// The sink decides each entry's topic and key with the TopicDecider and
// KeyDecider of its [core.Config]. The Core gives them the entry's level, time, logger
// name and message, and the JSON, whose fields (those added with With
// included) [core.Entry.Field] reads. To send errors and above to their own
// topic:
//
//	TopicDecider: func(e core.Entry) string {
//		if e.Level >= core.ErrorLevel {
//			return "app-logs-errors"
//		}
//		return "" // Config.Topic
//	},
//
// To key records by a field, so that the entries of one request stay in
// order on one partition:
//
//	KeyDecider: func(e core.Entry) []byte {
//		v, ok := e.RawField("request_id") // the JSON text, quotes included
//		if !ok || len(v) < 2 || v[0] != '"' {
//			return nil // no key
//		}
//		return v[1 : len(v)-1] // copied by the sink; escapes are kept
//	},
//
// Deciders run on the sink's goroutine, after the log call has returned.
//
// # Levels
//
// zap's levels map to the [core.Level] of the same name; custom levels below
// Debug map to TraceLevel, and above Fatal to FatalLevel.
//
// # Flushing, Fatal and Panic
//
// Write only queues the entry; the sink sends batches in the background.
// [Core.Sync] (which Logger.Sync calls) waits until every entry written
// before it is in Kafka, or until the sink's Config.SyncTimeout (5s by
// default) passes. zap does not call Sync before it exits on Fatal or
// panics on Panic, so the Core flushes itself, with the same timeout,
// after each DPanic, Panic and Fatal entry: a logger.Fatal line is in
// Kafka before the process exits, unless the brokers are unreachable for
// the whole timeout.
//
// # Errors
//
// The sink never blocks a log call by default: when its queue is full it
// drops the entry. Write does not report such drops (queue full, entry too
// large, sink closed) to zap, which would print a line to its ErrorOutput
// for each entry lost during an outage. The sink counts them in
// [core.Sink.Stats] (reachable through [Core.Sink]), writes the entries to
// Config.Fallback if set, and reports them to Config.ErrorHandler, or as
// rate-limited lines on stderr. Write returns an error when the encoder
// fails, and when the flush after a DPanic, Panic or Fatal entry does not
// complete; zap prints those to its ErrorOutput.
//
// # The kafka:// URL sink
//
// After [RegisterURLSink], zap.Config accepts Kafka URLs:
//
//	zapsink.RegisterURLSink()
//	cfg := zap.NewProductionConfig()
//	cfg.OutputPaths = []string{"stderr", "kafka://broker1:9092,broker2:9092/app-logs?batchSizeLimit=100&period=1s"}
//	logger, err := cfg.Build()
//
// Registration is explicit rather than done on import, so that importing
// the package has no global effect and cannot collide with another
// package's "kafka" scheme. [ParseURL] lists the query parameters: they
// carry the names of Serilog.Sinks.Kafka's settings (batchSizeLimit,
// period, securityProtocol, saslMechanism, sslCaLocation, …).
//
// The URL sink receives bytes already encoded by zap, so it reads the level
// from the JSON's "level" field (the levelKey parameter names another) and
// stamps entries with the time they reach it; a URL cannot carry a
// TopicDecider or KeyDecider. Use Encoding "json". Logger.Sync flushes the
// sink, and zap syncs it after every entry above ErrorLevel (DPanic
// included, also in production, where DPanic does not panic). zap holds the
// output's one lock while it syncs, so during such a flush the log calls of
// every other goroutine on that output wait for it, up to syncTimeout when
// the brokers are down; a [Core] in zapcore.NewTee has no such lock, and
// its flushes wait on the calling goroutine only. zap never
// closes the sinks of a zap.Config: [CloseURLSinks] does, at shutdown
// (defer it next to Build: a program that exits without it, or without
// Logger.Sync, loses what is still queued).
//
// Keep passwords out of the URL: when a sink fails to open,
// zap.Config.Build quotes the whole URL in its error, user info included.
// Name an environment variable that holds the password instead:
// kafka://user@broker:9093/logs?saslPasswordEnv=KAFKA_PASSWORD.
package zapsink
