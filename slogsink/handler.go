package slogsink

import (
	"context"
	"log/slog"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/internal/flush"
)

// Handler is a [slog.Handler] that writes each record to a [core.Sink],
// and so to Kafka, as the JSON object [slog.NewJSONHandler] would write
// (see the package documentation for the few differences). It hands the
// sink a [core.Entry] with the record's level, time and message, the JSON,
// and the record key and headers of [Options].FromContext.
//
// A Handler is safe for concurrent use. Handle encodes the record on the
// caller's goroutine into a pooled buffer, which the sink copies before
// Handle returns: nothing of the record is kept after Handle returns.
// Handlers derived with WithAttrs and WithGroup share the sink and its
// ownership: Close on any of them does what Close on the first does.
//
// Get a Handler from [New] or [NewHandler]; the zero value has no sink.
type Handler struct {
	sink  *core.Sink
	owned bool // New built sink: Close closes it
	opts  Options

	preformatted []byte   // attrs from WithAttrs, encoded, groups opened
	groups       []string // all groups started from WithGroup
	nOpenGroups  int      // the number of groups opened in preformatted
}

var _ slog.Handler = (*Handler)(nil)

// Options configure a [Handler]. They mirror [slog.HandlerOptions], so
// that replacing slog.NewJSONHandler(w, opts) by a Handler keeps the same
// records, plus FromContext. A zero Options consists entirely of default
// values.
type Options struct {
	// AddSource adds a slog.SourceKey ("source") attribute with the source
	// file, line and function of the log call, as for slog's handlers.
	AddSource bool

	// Level reports the minimum record level that is logged; records with
	// lower levels are discarded. Level.Level is called for each record:
	// to change the level while the program runs, use a [slog.LevelVar].
	// If nil, slog.LevelInfo.
	Level slog.Leveler

	// ReplaceAttr rewrites each non-group attribute before it is logged,
	// exactly as [slog.HandlerOptions].ReplaceAttr: it gets the resolved
	// attribute and the list of groups open around it (which it must not
	// retain or modify), it is called for the built-in attributes "time"
	// (unless the record's time is zero), "level", "source" (with
	// AddSource) and "msg", never for groups themselves, and a zero Attr
	// it returns drops the attribute. It runs on the logging goroutine.
	// If nil, attributes are logged as they are.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr

	// FromContext returns the Kafka record key and headers of an entry,
	// from the context it is logged with (Handle's ctx: the one given to
	// Logger.InfoContext and its kind, else context.Background()), such
	// as a trace id from a span in the context. They go into
	// [core.Entry].Key and [core.Entry].Headers, outside the JSON: the
	// record's key is the key unless [core.Config].KeyDecider is set, and
	// its headers are Config.Headers, then these, then HeaderDecider's. A
	// nil key means none, as do nil headers.
	//
	// FromContext runs on the logging goroutine, inside Handle, because the
	// context may be gone once the log call returns; it must be fast and
	// must not log. The sink copies what it returns before Handle returns,
	// so it may return memory it reuses afterwards. A panic in it reaches
	// the log call, as one in ReplaceAttr does. If nil, entries have no
	// key or headers of their own.
	FromContext func(ctx context.Context) (key []byte, headers []core.Header)
}

// Config configures [New]: the sink it builds and the Handler's options.
// The zero value is valid: records at Info and above go to topic "logs"
// on localhost:9092 (the defaults of [core.Config]).
type Config struct {
	// Sink configures the Kafka sink: brokers, topic, batching, routing,
	// security, and SyncTimeout, which bounds [Handler.Close]. See
	// [core.Config] for each field's default.
	Sink core.Config

	// Options configure the Handler: level, source, ReplaceAttr and
	// FromContext.
	Options
}

// New builds a [core.Sink] from cfg.Sink and returns a Handler writing to
// it. The Handler owns the sink: call [Handler.Close] when done logging,
// to deliver what is still queued and close the sink.
//
//	h, err := slogsink.New(slogsink.Config{Sink: core.Config{Brokers: brokers, Topic: "app-logs"}})
//	if err != nil { ... }
//	defer h.Close()
//	logger := slog.New(h)
//
// New fails if cfg.Sink is invalid (a [*core.ConfigError] names the
// field). Like [core.New], it does not touch the network.
func New(cfg Config) (*Handler, error) {
	s, err := core.New(cfg.Sink)
	if err != nil {
		return nil, err
	}
	h := NewHandler(s, &cfg.Options)
	h.owned = true
	return h, nil
}

// NewHandler returns a Handler writing to sink, a sink the caller owns and
// may share with other loggers (a zapsink or zerologsink adapter, other
// Handlers). The Handler borrows it: [Handler.Flush] and [Handler.Close]
// flush it and leave it open; close it with [core.Sink.Close] when every
// logger is done. If opts is nil, the default options are used.
// NewHandler panics if sink is nil.
func NewHandler(sink *core.Sink, opts *Options) *Handler {
	if sink == nil {
		panic("slogsink: nil *core.Sink")
	}
	h := &Handler{sink: sink}
	if opts != nil {
		h.opts = *opts
	}
	return h
}

// Enabled reports whether the handler handles records at level l: whether
// l is at least Options.Level (LevelInfo if nil).
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	minLevel := slog.LevelInfo
	if h.opts.Level != nil {
		minLevel = h.opts.Level.Level()
	}
	return l >= minLevel
}

// WithAttrs returns a Handler whose records carry attrs after h's own. The
// attributes are encoded once, now (ReplaceAttr runs on them now), not for
// each record. The new Handler writes to the same sink.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.withAttrs(attrs)
}

// WithGroup returns a Handler that qualifies the keys of the attributes
// added later, by WithAttrs or in a record, with the group name: they are
// nested in a JSON object with key name. If name is empty, WithGroup
// returns h.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.withGroup(name)
}

// Handle encodes r as a JSON object, calls Options.FromContext with ctx
// (context.Background() if ctx is nil), and writes the entry to the sink.
// The entry's [core.Entry].Level is [CoreLevel](r.Level), its Time r.Time
// (zero if r's is), its Message r.Message.
//
// Handle never waits on the network: see [core.Config].OverflowPolicy. It
// returns the error of [core.Sink.Write] when the sink refuses the entry
// ([core.ErrQueueFull], [core.ErrTooLarge], [core.ErrClosed]); the sink has
// already counted it, reported it and written it to Config.Fallback, and
// slog.Logger discards the error. A value that fails to encode is written
// as an error string, as slog's JSON handler does, never as an error here.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	var e core.Entry
	if h.opts.FromContext != nil {
		if ctx == nil {
			ctx = context.Background()
		}
		e.Key, e.Headers = h.opts.FromContext(ctx)
	}
	buf := getBuffer()
	h.encode(buf, r)
	e.Time = r.Time
	e.Level = CoreLevel(r.Level)
	e.Message = r.Message
	e.JSON = *buf
	err := h.sink.Write(e) // copies JSON, Key and Headers
	putBuffer(buf)
	return err
}

// Flush waits until every entry written to the sink before the call is
// delivered or dropped, or ctx ends, whether the Handler owns the sink or
// not; see [core.Sink.Flush]. It returns nil if all of them were delivered,
// else a [*core.UndeliveredError] counting those that were not, and
// [core.ErrClosed] once the sink is closed.
func (h *Handler) Flush(ctx context.Context) error {
	return h.sink.Flush(ctx)
}

// Close delivers what is queued, waiting up to the sink's
// Config.SyncTimeout (5s by default).
//
// A Handler from [New] owns its sink: Close then closes it (see
// [core.Sink.Close]); entries still undelivered when the time is up are
// dropped, counted and written to the sink's Fallback, and Close returns a
// [*core.UndeliveredError] counting them. Close is idempotent: later calls
// return what the first returned; records logged after Close are dropped
// and counted as Dropped.Closed.
//
// A Handler from [NewHandler] borrows its sink: Close only flushes it, as
// [Handler.Flush] does, and leaves it open for the other loggers, so
// records logged after Close still reach it. It returns nil if the sink's
// owner has already closed it.
func (h *Handler) Close() error {
	timeout := h.sink.Config().SyncTimeout
	if !h.owned {
		return flush.Sync(h.sink, timeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return h.sink.Close(ctx)
}

// Sink returns the sink h writes to, for its [core.Sink.Stats].
func (h *Handler) Sink() *core.Sink { return h.sink }
