package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/zap"
)

// The three simulated services: one logs with zap, one with zerolog, one
// with log/slog.
const (
	zapService     = "checkout"
	zerologService = "inventory"
	slogService    = "payments"
)

// entryKey identifies one logged entry: a request logs at most one entry
// per level.
type entryKey struct{ service, requestID, level string }

// expected records where each logged entry should land.
type expected struct {
	topicOf  map[entryKey]string
	perTopic map[string]int
	levels   map[string]int // entries per level, for the summary
}

// newExpected returns an empty record of expectations.
func newExpected() *expected {
	return &expected{topicOf: map[entryKey]string{}, perTopic: map[string]int{}, levels: map[string]int{}}
}

// add records that service logged an entry at level for request id, which
// should land in topic.
func (e *expected) add(service, id, level, topic string) {
	e.topicOf[entryKey{service, id, level}] = topic
	e.perTopic[topic]++
	e.levels[level]++
}

// total is the number of entries logged.
func (e *expected) total() int { return len(e.topicOf) }

// request is one simulated HTTP request and what became of it.
type request struct {
	id      string
	method  string
	path    string
	status  int
	latency time.Duration
	bytes   int
	err     string // why it failed; "" if it did not
}

// What the simulated requests are made of.
var (
	paths    = []string{"/api/cart", "/api/orders", "/api/items/{id}", "/api/stock", "/healthz"}
	methods  = []string{"GET", "GET", "GET", "POST", "PUT"}
	failures = []string{"upstream timeout", "connection reset by peer", "deadline exceeded calling payments", "database is locked"}
)

// slowAfter is the latency above which a request also logs a warning.
const slowAfter = 400 * time.Millisecond

// newRequest simulates request number i of a service: about 5% fail with a
// 5xx (an error entry), 3% are 404s, and about 7% are slower than
// slowAfter (a warning entry, besides the request's own).
func newRequest(rng *rand.Rand, prefix string, i int) request {
	r := request{
		id:      fmt.Sprintf("%s-%06d", prefix, i),
		method:  methods[rng.IntN(len(methods))],
		path:    paths[rng.IntN(len(paths))],
		status:  200,
		latency: time.Duration(5+rng.ExpFloat64()*150) * time.Millisecond,
		bytes:   200 + rng.IntN(8000),
	}
	switch n := rng.IntN(100); {
	case n < 5:
		r.status = []int{500, 502, 503}[rng.IntN(3)]
		r.err = failures[rng.IntN(len(failures))]
	case n < 8:
		r.status = 404
	}
	return r
}

// logZap logs r through the zap logger l: the request's entry, at Error
// if it failed, and a warning if it was slow. It records what it logged
// in exp, under the topic the TopicDecider will choose.
func logZap(l *zap.Logger, r request, exp *expected, route func(level string) string) {
	if r.latency > slowAfter {
		l.Warn("slow request", zap.String("request_id", r.id), zap.String("path", r.path), zap.Duration("latency", r.latency))
		exp.add(zapService, r.id, "warn", route("warn"))
	}
	fields := []zap.Field{
		zap.String("request_id", r.id), zap.String("method", r.method), zap.String("path", r.path),
		zap.Int("status", r.status), zap.Duration("latency", r.latency), zap.Int("bytes", r.bytes),
	}
	if r.err != "" {
		l.Error("request failed", append(fields, zap.String("error", r.err))...)
		exp.add(zapService, r.id, "error", route("error"))
		return
	}
	l.Info("request handled", fields...)
	exp.add(zapService, r.id, "info", route("info"))
}

// logZerolog is logZap for the zerolog logger l.
func logZerolog(l zerolog.Logger, r request, exp *expected, route func(level string) string) {
	if r.latency > slowAfter {
		l.Warn().Str("request_id", r.id).Str("path", r.path).Dur("latency", r.latency).Msg("slow request")
		exp.add(zerologService, r.id, "warn", route("warn"))
	}
	var e *zerolog.Event
	level := "info"
	if r.err != "" {
		e, level = l.Error().Str("error", r.err), "error"
	} else {
		e = l.Info()
	}
	e = e.Str("request_id", r.id).Str("method", r.method).Str("path", r.path).
		Int("status", r.status).Dur("latency", r.latency).Int("bytes", r.bytes)
	if r.err != "" {
		e.Msg("request failed")
	} else {
		e.Msg("request handled")
	}
	exp.add(zerologService, r.id, level, route(level))
}

// logSlog is logZap for the slog logger l. slog names its levels in
// capitals ("INFO"); verify reads them case-insensitively.
func logSlog(l *slog.Logger, r request, exp *expected, route func(level string) string) {
	ctx := context.Background()
	if r.latency > slowAfter {
		l.LogAttrs(ctx, slog.LevelWarn, "slow request",
			slog.String("request_id", r.id), slog.String("path", r.path), slog.Duration("latency", r.latency))
		exp.add(slogService, r.id, "warn", route("warn"))
	}
	attrs := []slog.Attr{
		slog.String("request_id", r.id), slog.String("method", r.method), slog.String("path", r.path),
		slog.Int("status", r.status), slog.Duration("latency", r.latency), slog.Int("bytes", r.bytes),
	}
	if r.err != "" {
		l.LogAttrs(ctx, slog.LevelError, "request failed", append(attrs, slog.String("error", r.err))...)
		exp.add(slogService, r.id, "error", route("error"))
		return
	}
	l.LogAttrs(ctx, slog.LevelInfo, "request handled", attrs...)
	exp.add(slogService, r.id, "info", route("info"))
}
