package slogsink_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/slogsink"
)

// These examples need a Kafka broker, so they are compiled but not run;
// integration/slogsink runs the same against an in-process broker.

// Log to Kafka and to the console, and make it the default logger so that
// the log package's output reaches Kafka too.
func ExampleNew() {
	h, err := slogsink.New(slogsink.Config{
		Sink:    core.Config{Brokers: []string{"kafka:9092"}, Topic: "app-logs"},
		Options: slogsink.Options{Level: slog.LevelDebug},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close() // delivers what is queued, then closes the sink

	logger := slog.New(slog.NewMultiHandler(slog.NewTextHandler(os.Stderr, nil), h))
	slog.SetDefault(logger)

	logger.Info("order placed", "order", 1234, "amount", 12.5)
	log.Printf("from the log package") // through slog, at Info
}

// Share one sink between two slog handlers with different options (and,
// the same way, with zap through zapsink and zerolog through
// zerologsink). The handlers borrow the sink; its owner closes it.
func ExampleNewHandler() {
	sink, err := core.New(core.Config{Brokers: []string{"kafka:9092"}, Topic: "app-logs"})
	if err != nil {
		log.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sink.Close(ctx); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()

	app := slog.New(slogsink.NewHandler(sink, nil))
	audit := slog.New(slogsink.NewHandler(sink, &slogsink.Options{Level: slog.LevelDebug})).With("audit", true)

	app.Info("started")
	audit.Debug("user logged in", "user", "u-42")
}

type requestIDKey struct{}

// Key each record by the request id the context carries, so that one
// request's entries stay in order on one partition, and put it in a
// header too, outside the JSON.
func ExampleOptions_fromContext() {
	h, err := slogsink.New(slogsink.Config{
		Sink: core.Config{Brokers: []string{"kafka:9092"}, Topic: "app-logs"},
		Options: slogsink.Options{
			FromContext: func(ctx context.Context) ([]byte, []core.Header) {
				id, _ := ctx.Value(requestIDKey{}).(string)
				if id == "" {
					return nil, nil
				}
				return []byte(id), []core.Header{{Key: "request-id", Value: []byte(id)}}
			},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close()

	ctx := context.WithValue(context.Background(), requestIDKey{}, "r-42")
	slog.New(h).InfoContext(ctx, "order received") // key r-42, header request-id: r-42
}

// Route by level with one TopicDecider for slog, zap and zerolog: slog's
// levels become core levels, rounding down between the named ones.
func ExampleCoreLevel() {
	for _, l := range []slog.Level{slog.LevelDebug - 4, slog.LevelDebug, slog.LevelInfo + 2, slog.LevelWarn, slog.LevelError + 4} {
		fmt.Printf("%-8v -> %v\n", l, slogsink.CoreLevel(l))
	}
	// Output:
	// DEBUG-4  -> trace
	// DEBUG    -> debug
	// INFO+2   -> info
	// WARN     -> warn
	// ERROR+4  -> error
}
