package zapsink

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/internal/flush"
)

// Scheme is the URL scheme [RegisterURLSink] registers with zap.
const Scheme = "kafka"

var (
	registerOnce sync.Once
	registerErr  error
)

// RegisterURLSink registers the kafka:// URL sink with zap, so that
// zap.Config.OutputPaths and zap.Open accept URLs such as
//
//	kafka://broker1:9092,broker2:9092/app-logs?batchSizeLimit=100&period=1s
//
// See [ParseURL] for what the URL may hold. Registration is global to the
// process and done once: later calls do nothing and return the first
// call's result, which is an error only if another package registered the
// "kafka" scheme first. Importing zapsink registers nothing by itself.
//
// zap never closes the sinks it opens for a zap.Config: their goroutine and
// connections live until the process ends, and only Logger.Sync (and each
// entry above ErrorLevel, which zap syncs itself) flushes them. Call
// [CloseURLSinks] at shutdown to deliver what is still queued and release
// them, or use [New] and zapcore.NewTee for a sink you close yourself.
func RegisterURLSink() error {
	registerOnce.Do(func() {
		registerErr = zap.RegisterSink(Scheme, func(u *url.URL) (zap.Sink, error) {
			return openURLSink(u)
		})
	})
	return registerErr
}

// urlSink is the zap.Sink behind a kafka:// URL.
type urlSink struct {
	sink        *core.Sink
	syncTimeout time.Duration
	levelKey    string
}

var _ zap.Sink = (*urlSink)(nil)

// openURLSinks are the URL sinks not closed yet, for CloseURLSinks.
var openURLSinks struct {
	sync.Mutex
	m map[*urlSink]struct{}
}

func openURLSink(u *url.URL) (*urlSink, error) {
	cfg, err := configFromURL(u)
	if err != nil {
		return nil, urlError(u.String(), u, err)
	}
	s, err := core.New(cfg.Sink)
	if err != nil {
		return nil, urlError(u.String(), u, err)
	}
	us := &urlSink{sink: s, syncTimeout: s.Config().SyncTimeout, levelKey: cfg.LevelKey}
	openURLSinks.Lock()
	if openURLSinks.m == nil {
		openURLSinks.m = make(map[*urlSink]struct{})
	}
	openURLSinks.m[us] = struct{}{}
	openURLSinks.Unlock()
	return us, nil
}

// Write hands one entry encoded by zap to the sink, which copies it. zap
// gives the bytes only, so the level is read from the levelKey field and
// the time is now. Like [Core.Write], it reports entries the sink refuses
// through the sink's statistics and ErrorHandler, not as errors.
func (s *urlSink) Write(p []byte) (int, error) {
	e := core.Entry{Time: time.Now(), JSON: p}
	if v, ok := e.RawField(s.levelKey); ok && len(v) >= 2 && v[0] == '"' {
		e.Level, _ = core.ParseLevel(string(v[1 : len(v)-1]))
	}
	_ = s.sink.Write(e)
	return len(p), nil
}

// Sync flushes the sink, waiting up to its Config.SyncTimeout. After Close it
// returns nil. zap calls it holding the output's lock, which its Write
// calls need too: other goroutines' log calls wait as long.
func (s *urlSink) Sync() error { return flush.Sync(s.sink, s.syncTimeout) }

// Close delivers what is queued, waiting up to the sink's
// Config.SyncTimeout, and
// closes the sink. zap calls it only for sinks from zap.Open.
func (s *urlSink) Close() error {
	openURLSinks.Lock()
	delete(openURLSinks.m, s)
	openURLSinks.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), s.syncTimeout)
	defer cancel()
	return s.sink.Close(ctx)
}

// CloseURLSinks closes every sink opened from a kafka:// URL and not closed
// yet, each waiting up to its Config.SyncTimeout to deliver what is queued, and
// returns their errors joined. zap never closes the sinks of a zap.Config:
// call CloseURLSinks at shutdown, after the last log call, if entries
// logged since the last Sync matter. Loggers using those sinks must not log
// afterwards (their entries would be dropped and counted).
func CloseURLSinks() error {
	openURLSinks.Lock()
	sinks := make([]*urlSink, 0, len(openURLSinks.m))
	for s := range openURLSinks.m {
		sinks = append(sinks, s)
	}
	openURLSinks.Unlock()
	var errs []error
	for _, s := range sinks {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
