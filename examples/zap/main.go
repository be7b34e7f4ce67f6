// Command zap logs with zap to the console and to Kafka at once: entries go
// to topic app-logs, errors and above to app-logs-errors, keyed by request
// so that each request's entries stay in order.
//
// It uses the brokers in KAFKA_BROKERS (comma-separated host:port), whose
// cluster must create topics on first use (auto.create.topics.enable) or
// already have app-logs and app-logs-errors. Without KAFKA_BROKERS it starts
// an in-process broker, and prints what reached each topic at the end.
//
//	go run ./examples/zap
//	KAFKA_BROKERS=localhost:9092 go run ./examples/zap
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/kafkasink/kafkasink/core"
	"github.com/kafkasink/kafkasink/integration/kafkatest"
	"github.com/kafkasink/kafkasink/zapsink"
)

var topics = []string{"app-logs", "app-logs-errors"}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "zap example:", err)
		os.Exit(1)
	}
}

func run() error {
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

	// The Kafka core: three lines to attach it, the rest is routing.
	kc, err := zapsink.New(zapsink.Config{
		Sink: core.Config{
			Brokers: brokers,
			Topic:   "app-logs",
			// Errors and above go to their own topic.
			TopicDecider: func(e core.Entry) string {
				if e.Level >= core.ErrorLevel {
					return "app-logs-errors"
				}
				return "" // Topic
			},
			// Records are keyed by the request_id field, added with With.
			KeyDecider: func(e core.Entry) []byte {
				v, ok := e.RawField("request_id")
				if !ok || len(v) < 2 || v[0] != '"' {
					return nil
				}
				return v[1 : len(v)-1]
			},
			Period: 200 * time.Millisecond,
		},
		Level: zapcore.DebugLevel,
	})
	if err != nil {
		return err
	}

	// The console core, next to it in a Tee.
	console := zapcore.NewCore(
		zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
		zapcore.Lock(os.Stderr),
		zapcore.DebugLevel,
	)
	logger := zap.New(zapcore.NewTee(console, kc)).Named("shop").With(zap.String("service", "shop"))

	logger.Debug("starting", zap.String("cache", "warm"))
	for i := range 3 {
		req := logger.With(zap.String("request_id", fmt.Sprintf("req-%d", 1000+i)))
		req.Info("order placed", zap.Float64("amount", 9.99*float64(i+1)))
		if i == 2 {
			req.Error("payment failed", zap.Error(errors.New("card declined")))
		}
	}
	logger.Warn("slow payment provider", zap.Duration("took", 1500*time.Millisecond))

	// Close delivers what is queued (for up to 5s), then closes the sink;
	// Logger.Sync would deliver without closing. A Fatal entry is
	// delivered before zap exits.
	if err := kc.Close(); err != nil {
		return err
	}
	st := kc.Sink().Stats()
	fmt.Printf("\ndelivered %d entries in %d batches, dropped %d\n", st.Delivered, st.Batches, st.Dropped.Total())

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
			fmt.Printf("\n%s:\n", topic)
			for _, r := range recs {
				fmt.Printf("  key=%-8s %s\n", r.Key, r.Value)
			}
		}
	}
	return nil
}
