package zapsink

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/internal/flush"
)

// Core is a [zapcore.Core] that writes entries to a [core.Sink], and so to
// Kafka. It encodes each entry with its [zapcore.Encoder] and hands the
// sink a [core.Entry] with the level, time, logger name, message and the
// encoded JSON.
//
// A Core from [New] owns its sink; one from [NewCore] borrows it (see the
// package documentation, "Who closes what"). Cores derived with With share
// the sink and its ownership: closing any Core of an owned sink closes it
// for all. A Core is safe for concurrent use.
type Core struct {
	enab    zapcore.LevelEnabler
	enc     zapcore.Encoder
	sink    *core.Sink
	owned   bool          // New built the sink: Close closes it
	timeout time.Duration // the sink's Config.SyncTimeout
}

var _ zapcore.Core = (*Core)(nil)

// Config configures [New]. The zero value is valid: it sends entries at
// Info and above, encoded as zap's production JSON, to topic "logs" on
// localhost:9092 (the defaults of [core.Config]).
type Config struct {
	// Sink configures the Kafka sink: brokers, topic, batching, routing,
	// security, and SyncTimeout, which bounds [Core.Sync], [Core.Close]
	// and the flush after each DPanic, Panic or Fatal entry. See
	// [core.Config] for each field's default.
	Sink core.Config

	// Level enables entries by level, as zap's LevelEnabler: a
	// zapcore.Level, a zap.AtomicLevel or a zap.LevelEnablerFunc.
	// If nil, zapcore.InfoLevel.
	Level zapcore.LevelEnabler

	// Encoder encodes entries. It should write JSON objects, so that
	// TopicDecider and KeyDecider can read fields with core.Entry.Field.
	// If nil, zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()).
	Encoder zapcore.Encoder
}

// New builds a sink from cfg.Sink and returns a Core writing to it. The
// Core owns the sink: call [Core.Close] when done logging, to deliver what
// is still queued and close the sink.
//
//	kc, err := zapsink.New(zapsink.Config{Sink: core.Config{Brokers: brokers, Topic: "app-logs"}})
//	if err != nil { ... }
//	defer kc.Close()
//	logger := zap.New(zapcore.NewTee(consoleCore, kc))
//
// New fails if cfg.Sink is invalid (a [*core.ConfigError] names the
// field). Like [core.New], it does not touch the network.
func New(cfg Config) (*Core, error) {
	s, err := core.New(cfg.Sink)
	if err != nil {
		return nil, err
	}
	enc := cfg.Encoder
	if enc == nil {
		enc = zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	}
	lvl := cfg.Level
	if lvl == nil {
		lvl = zapcore.InfoLevel
	}
	c := NewCore(s, enc, lvl)
	c.owned = true
	return c, nil
}

// NewCore returns a Core that encodes the entries enab enables with enc and
// writes them to sink, a sink the caller owns and may share with other
// Cores and loggers (zerologsink, slogsink). The Core borrows it:
// [Core.Sync] and [Core.Close] flush it, waiting up to its
// Config.SyncTimeout, and leave it open; close it with [core.Sink.Close]
// once every logger is done. The flushes after DPanic, Panic and Fatal
// entries wait as long.
//
// enc should encode JSON objects (zapcore.NewJSONEncoder). NewCore panics
// if sink is nil.
func NewCore(sink *core.Sink, enc zapcore.Encoder, enab zapcore.LevelEnabler) *Core {
	if sink == nil {
		panic("zapsink: nil *core.Sink")
	}
	return &Core{enab: enab, enc: enc, sink: sink, timeout: sink.Config().SyncTimeout}
}

// Enabled reports whether entries at lvl are written.
func (c *Core) Enabled(lvl zapcore.Level) bool { return c.enab.Enabled(lvl) }

// Level returns the lowest level enabled, for [zapcore.LevelOf].
func (c *Core) Level() zapcore.Level { return zapcore.LevelOf(c.enab) }

// With returns a Core that adds fields to every entry. The fields are
// encoded once, into a clone of the encoder, so the new Core shares nothing
// mutable with c; both write to the same sink.
func (c *Core) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.enc = c.enc.Clone()
	for i := range fields {
		fields[i].AddTo(clone.enc)
	}
	return &clone
}

// Check adds c to ce if ent's level is enabled.
func (c *Core) Check(ent zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.enab.Enabled(ent.Level) {
		return ce.AddCore(ent, c)
	}
	return ce
}

// Write encodes ent and fields and hands the entry to the sink, which
// copies it; zap's buffer is freed before Write returns. It does not wait
// for Kafka, except after an entry above ErrorLevel (DPanic, Panic,
// Fatal): then it flushes the sink, waiting up to its Config.SyncTimeout,
// so that the entry is in Kafka before zap panics or exits.
//
// Write returns an error only if the encoder fails or that flush does not
// complete (entries still pending at the timeout). An entry the sink
// refuses (shed, queue full, too large, sink closed) or drops later (retries
// exhausted, not retriable, …), this one or an earlier one, is not an error
// here: the sink counts it in [core.Stats] and reports it to its
// ErrorHandler, rate-limited, and returning it would make zap print a line
// to its ErrorOutput for every entry lost during an outage, and for every
// DPanic entry after a single drop.
func (c *Core) Write(ent zapcore.Entry, fields []zapcore.Field) error {
	buf, err := c.enc.EncodeEntry(ent, fields)
	if err != nil {
		return err
	}
	_ = c.sink.Write(core.Entry{
		Time:       ent.Time,
		Level:      levelOf(ent.Level),
		LoggerName: ent.LoggerName,
		Message:    ent.Message,
		JSON:       buf.Bytes(),
	}) // counted and reported by the sink: see the doc comment
	buf.Free()
	if ent.Level > zapcore.ErrorLevel {
		if err := flush.Pending(c.sink, c.timeout); err != nil {
			return fmt.Errorf("zapsink: flushing after a %s entry: %w", ent.Level, err)
		}
	}
	return nil
}

// Sync flushes the sink: it returns once every entry written to it before
// the call is in Kafka or dropped, or the sink's Config.SyncTimeout has
// passed. It returns nil if all of them were delivered, else a
// [*core.UndeliveredError]. Once the sink is closed it returns nil: Close
// delivered what it could and reported the rest.
func (c *Core) Sync() error { return flush.Sync(c.sink, c.timeout) }

// Close delivers what is queued, waiting up to the sink's
// Config.SyncTimeout (5s by default).
//
// A Core from [New] owns its sink: Close then closes it (see
// [core.Sink.Close]); entries still undelivered when the time is up are
// dropped, counted and written to the sink's Fallback, and Close returns a
// [*core.UndeliveredError] counting them. Close is idempotent: later calls
// return what the first returned; entries logged after Close are dropped
// and counted in Stats.Dropped.Closed.
//
// A Core from [NewCore] borrows its sink: Close only flushes it, as
// [Core.Sync] does, and leaves it open for the other loggers, so entries
// logged after Close still reach it. It returns nil if the sink's owner
// has already closed it.
func (c *Core) Close() error {
	if !c.owned {
		return flush.Sync(c.sink, c.timeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	return c.sink.Close(ctx)
}

// Sink returns the sink c writes to, for its [core.Sink.Stats].
func (c *Core) Sink() *core.Sink { return c.sink }

// levels maps zap's levels from DebugLevel to FatalLevel.
var levels = [...]core.Level{
	zapcore.DebugLevel - zapcore.DebugLevel:  core.DebugLevel,
	zapcore.InfoLevel - zapcore.DebugLevel:   core.InfoLevel,
	zapcore.WarnLevel - zapcore.DebugLevel:   core.WarnLevel,
	zapcore.ErrorLevel - zapcore.DebugLevel:  core.ErrorLevel,
	zapcore.DPanicLevel - zapcore.DebugLevel: core.DPanicLevel,
	zapcore.PanicLevel - zapcore.DebugLevel:  core.PanicLevel,
	zapcore.FatalLevel - zapcore.DebugLevel:  core.FatalLevel,
}

// levelOf maps a zap level to a core level. Custom levels below Debug map
// to Trace, and those above Fatal to Fatal.
func levelOf(l zapcore.Level) core.Level {
	switch {
	case l < zapcore.DebugLevel:
		return core.TraceLevel
	case l > zapcore.FatalLevel:
		return core.FatalLevel
	}
	return levels[l-zapcore.DebugLevel]
}
