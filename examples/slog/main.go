// Command slog logs with the standard library's log/slog to the console
// and to Kafka at once, through slog.NewMultiHandler: entries go to topic
// app-logs, errors and above to app-logs-errors. The OpenTelemetry span in
// the request's context becomes the record's key (its trace id, so that a
// trace's entries stay in order on one partition) and a W3C traceparent
// header, outside the JSON. With slog.SetDefault, the log package's
// output (log.Printf) reaches Kafka too.
//
// It uses the brokers in KAFKA_BROKERS (comma-separated host:port), whose
// cluster must create topics on first use (auto.create.topics.enable) or
// already have app-logs and app-logs-errors. Without KAFKA_BROKERS it starts
// an in-process broker, and prints what reached each topic at the end.
//
//	go run ./examples/slog
//	KAFKA_BROKERS=localhost:9092 go run ./examples/slog
package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.opentelemetry.io/otel/trace"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/slogsink"
)

var topics = []string{"app-logs", "app-logs-errors"}

func main() {
	if err := run(os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "slog example:", err)
		os.Exit(1)
	}
}

// run logs the example's entries, to console and to Kafka, and prints to
// out what was delivered (and, with the in-process broker, what each topic
// holds).
func run(out, console io.Writer) error {
	brokers := strings.Split(os.Getenv("KAFKA_BROKERS"), ",")
	embedded := brokers[0] == ""
	if embedded {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
		if err != nil {
			return err
		}
		defer c.Close()
		brokers = c.ListenAddrs()
	}

	// The Kafka handler: three lines to attach it, the rest is routing.
	kh, err := slogsink.New(slogsink.Config{
		Sink: core.Config{
			Brokers: brokers,
			Topic:   "app-logs",
			// Errors and above go to their own topic: the same decider
			// serves zap and zerolog.
			TopicDecider: func(e core.Entry) string {
				if e.Level >= core.ErrorLevel {
					return "app-logs-errors"
				}
				return "" // Topic
			},
			Period: 200 * time.Millisecond,
		},
		Options: slogsink.Options{
			Level:       slog.LevelDebug,
			FromContext: traceKeyAndHeader,
		},
	})
	if err != nil {
		return err
	}

	// The console handler, next to it.
	text := slog.NewTextHandler(console, &slog.HandlerOptions{Level: slog.LevelDebug})
	logger := slog.New(slog.NewMultiHandler(text, kh)).With("service", "shop")
	slog.SetDefault(logger) // log.Printf goes through slog too, at Info

	logger.Debug("starting", "cache", "warm")
	for i := range 3 {
		// In a service, OpenTelemetry's instrumentation puts the span in
		// the request's context; here it is built by hand.
		ctx := trace.ContextWithSpanContext(context.Background(), spanContext(i))
		req := logger.With("request_id", fmt.Sprintf("req-%d", 1000+i))
		req.InfoContext(ctx, "order placed", "amount", 9.99*float64(i+1))
		if i == 2 {
			req.ErrorContext(ctx, "payment failed", "err", errors.New("card declined"))
		}
	}
	log.Printf("legacy code path: %d retries", 2)
	logger.Warn("slow payment provider", "took", 1500*time.Millisecond)

	// Close delivers what is queued (for up to the sink's SyncTimeout, 5s
	// by default), then closes the sink; Flush would deliver without
	// closing. slog never flushes a handler itself: close it before exit.
	if err := kh.Close(); err != nil {
		return err
	}
	st := kh.Sink().Stats()
	fmt.Fprintf(out, "\ndelivered %d entries in %d batches, dropped %d\n", st.Delivered, st.Batches, st.Dropped.Total())

	if embedded {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// kafkatest is this module's test helper: it reads each topic back
		// with a franz-go consumer.
		for _, topic := range topics {
			recs, err := kafkatest.ReadTopic(ctx, brokers, topic)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "\n%s: %d\n", topic, len(recs))
			for _, r := range recs {
				tp, _ := r.Header("traceparent")
				fmt.Fprintf(out, "  key=%-32s traceparent=%-55s %s\n", r.Key, tp, r.Value)
			}
		}
	}
	return nil
}

// traceKeyAndHeader is the Handler's FromContext: for an entry logged with
// a context holding a valid OpenTelemetry span context, the record key is
// the trace id in hex and the header traceparent is the W3C Trace Context
// form, 00-<trace id>-<span id>-<flags>. It runs on the logging goroutine;
// the sink copies what it returns.
func traceKeyAndHeader(ctx context.Context) ([]byte, []core.Header) {
	sc := trace.SpanContextFromContext(ctx)
	if !sc.IsValid() {
		return nil, nil
	}
	tid, sid := sc.TraceID(), sc.SpanID()
	tp := make([]byte, 0, 55)
	tp = append(tp, "00-"...)
	tp = hex.AppendEncode(tp, tid[:])
	tp = append(tp, '-')
	tp = hex.AppendEncode(tp, sid[:])
	tp = append(tp, '-')
	tp = hex.AppendEncode(tp, []byte{byte(sc.TraceFlags())})
	return tp[3:35], []core.Header{{Key: "traceparent", Value: tp}}
}

// spanContext returns the span context of request i, as a tracer would
// have started it: a trace id and a span id (here from the W3C Trace
// Context specification's example), sampled.
func spanContext(i int) trace.SpanContext {
	tid, _ := trace.TraceIDFromHex(fmt.Sprintf("4bf92f3577b34da6a3ce929d0e0e47%02x", i))
	sid, _ := trace.SpanIDFromHex(fmt.Sprintf("00f067aa0ba902%02x", i))
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled})
}
