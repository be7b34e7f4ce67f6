package slogsink_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/slogsink"
)

type traceKey struct{}

// Log to the console and to Kafka through slog.NewMultiHandler, errors to
// their own topic, with the request's trace id from the context as the
// record key and a header. (The time is left out so that the output does
// not change.)
func ExampleNew() {
	// An in-process broker stands in for Kafka.
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "app-logs", "app-logs-errors"))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	noTime := func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}
	h, err := slogsink.New(slogsink.Config{
		Sink: core.Config{
			Brokers: c.Addrs(),
			Topic:   "app-logs",
			TopicDecider: func(e core.Entry) string {
				if e.Level >= core.ErrorLevel {
					return "app-logs-errors"
				}
				return "" // Topic
			},
		},
		Options: slogsink.Options{
			ReplaceAttr: noTime,
			FromContext: func(ctx context.Context) ([]byte, []core.Header) {
				id, _ := ctx.Value(traceKey{}).(string)
				if id == "" {
					return nil, nil
				}
				return []byte(id), []core.Header{{Key: "trace-id", Value: []byte(id)}}
			},
		},
	})
	if err != nil {
		panic(err)
	}
	console := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})
	logger := slog.New(slog.NewMultiHandler(console, h))

	ctx := context.WithValue(context.Background(), traceKey{}, "4bf92f3577b34da6")
	req := logger.With("request_id", "r-42")
	req.InfoContext(ctx, "order received", "items", 3)
	req.ErrorContext(ctx, "payment declined", slog.Group("card", "status", "expired"))
	if err := h.Close(); err != nil { // or h.Flush(ctx), to keep logging
		panic(err)
	}

	for _, topic := range []string{"app-logs", "app-logs-errors"} {
		recs, err := c.Read(context.Background(), topic)
		if err != nil {
			panic(err)
		}
		for _, r := range recs {
			tid, _ := r.Header("trace-id")
			fmt.Printf("%s key=%s trace-id=%s: %s\n", r.Topic, r.Key, tid, r.Value)
		}
	}
	// Output:
	// level=INFO msg="order received" request_id=r-42 items=3
	// level=ERROR msg="payment declined" request_id=r-42 card.status=expired
	// app-logs key=4bf92f3577b34da6 trace-id=4bf92f3577b34da6: {"level":"INFO","msg":"order received","request_id":"r-42","items":3}
	// app-logs-errors key=4bf92f3577b34da6 trace-id=4bf92f3577b34da6: {"level":"ERROR","msg":"payment declined","request_id":"r-42","card":{"status":"expired"}}
}

// One sink shared by two handlers, which borrow it: their Close flushes,
// and the sink's owner closes it when every logger is done.
func ExampleNewHandler() {
	c, err := kafkatest.StartCluster(kfake.NumBrokers(1))
	if err != nil {
		panic(err)
	}
	defer c.Close()

	sink, err := core.New(core.Config{Brokers: c.Addrs(), Topic: kafkatest.DefaultTopic})
	if err != nil {
		panic(err)
	}
	app := slogsink.NewHandler(sink, nil)
	audit := slogsink.NewHandler(sink, &slogsink.Options{Level: slog.LevelDebug})

	slog.New(app).Debug("not logged: app is at Info")
	slog.New(audit).Debug("logged: audit is at Debug", "user", "u-1")
	if err := app.Close(); err != nil { // flushes; the sink stays open
		panic(err)
	}
	slog.New(app).Info("still logging after app.Close")

	ctx, cancel := context.WithTimeout(context.Background(), sink.Config().SyncTimeout)
	defer cancel()
	if err := sink.Close(ctx); err != nil {
		panic(err)
	}
	st := sink.Stats()
	fmt.Println("delivered:", st.Delivered, "dropped:", st.Dropped.Total())
	// Output:
	// delivered: 2 dropped: 0
}
